"""Regenerate, grade and package the homework with nbgrader, in throw-away course directories.

    python homework/grading.py release                 # make homework: source/<hw> -> release/<hw>
    python homework/grading.py grade HW SUBMISSION     # make grade: autograde one notebook, print points
    python homework/grading.py student-release DEST    # make student-release: the course without solutions

nbgrader writes a gradebook and submitted/autograded/ folders wherever it runs. These commands copy
`nbgrader_config.py` and `source/` into a temporary course directory, run nbgrader there, and copy back only
what they were asked for, so nothing but release/ ever changes in the repository. tests/test_homework.py
grades crafted submissions with the same functions.
"""
import argparse
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

HOMEWORK = pathlib.Path(__file__).resolve().parent
ROOT = HOMEWORK.parent
ASSIGNMENTS = sorted(p.name for p in (HOMEWORK / "source").iterdir() if p.is_dir() and not p.name.startswith("."))
SOLUTION_MARK = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$")


def nbgrader(course, *args):
    """Run the nbgrader command line in `course` with this interpreter; RuntimeError with its log on failure."""
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")  # kernel, alembic
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(var, "1")  # small matrices, one notebook at a time: threads only add contention
    cmd = [sys.executable, "-m", "nbgrader", *args, "--log-level=WARN"]
    run = subprocess.run(cmd, cwd=course, env=env, capture_output=True, text=True)
    if run.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[2:])} failed in {course}:\n{run.stdout}\n{run.stderr}")
    return run


def new_course(dest):
    """A fresh nbgrader course directory at `dest`: the course's config and sources, nothing else."""
    dest = pathlib.Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy2(HOMEWORK / "nbgrader_config.py", dest)
    shutil.copytree(HOMEWORK / "source", dest / "source", ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    return dest


def generate(course, assignment="*"):
    """nbgrader generate_assignment: writes course/release/<hw>/ and records the hidden tests in the gradebook."""
    nbgrader(course, "generate_assignment", assignment, "--force")
    return pathlib.Path(course) / "release"


def solution_submission(release_nb, source_nb):
    """The student version with every answer cell filled in from the source (delimiters removed)."""
    solutions = {}
    for cell in source_nb["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        if meta.get("solution"):
            lines = "".join(cell["source"]).splitlines(keepends=True)
            solutions[meta["grade_id"]] = "".join(line for line in lines if not SOLUTION_MARK.match(line))
    sub = json.loads(json.dumps(release_nb))
    for cell in sub["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if grade_id in solutions:
            cell["source"] = solutions[grade_id]
    return sub


def autograde(course, submissions, timeout=None):
    """Autograde {student: {assignment: notebook dict}} in ONE nbgrader run; return the per-cell grades.

    Result: {student: {assignment: {grade_id: (score, max_score)}}}; score is None for a written answer that
    waits for a person. `timeout` overrides the per-cell limit of nbgrader_config.py.
    """
    course = pathlib.Path(course)
    names = {}
    for student, notebooks in submissions.items():
        for assignment, nb in notebooks.items():
            (names[assignment],) = [p.name for p in (course / "source" / assignment).glob("*.ipynb")]
            folder = course / "submitted" / student / assignment
            folder.mkdir(parents=True, exist_ok=True)
            (folder / names[assignment]).write_text(json.dumps(nb, indent=1), encoding="utf-8")
    which = next(iter(names)) if len(names) == 1 else "*"
    nbgrader(course, "autograde", which, "--force", *([f"--Execute.timeout={timeout}"] if timeout else []))
    from nbgrader.api import Gradebook

    out = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for student, notebooks in submissions.items():
            for assignment in notebooks:
                sub = gb.find_submission_notebook(names[assignment][:-len(".ipynb")], assignment, student)
                out.setdefault(student, {})[assignment] = {
                    g.name: (None if g.needs_manual_grade else g.score, g.max_score) for g in sub.grades}
    return out


def by_question(grades):
    """Points per question from cell grades; grade ids are '<question>_<part>' (b1_tests, b1_written -> B1).

    Returns {question: {"auto", "auto_max", "written", "written_max"}}; "written" is None while a written
    answer waits for a person (nbgrader gives 0 only to an answer left untouched).
    """
    table = {}
    for grade_id, (score, max_score) in grades.items():
        q = table.setdefault(grade_id.split("_")[0].upper(), {"auto": 0.0, "auto_max": 0.0, "written": 0.0, "written_max": 0.0})
        kind = "auto" if grade_id.endswith("_tests") else "written"
        q[f"{kind}_max"] += max_score
        q[kind] = None if score is None or q[kind] is None else q[kind] + score
    return table


def grade(assignment, submission):
    """Autograde one notebook in a temporary course directory and print the points per question."""
    nb = json.loads(pathlib.Path(submission).read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as tmp:
        course = new_course(tmp)
        generate(course, assignment)
        table = by_question(autograde(course, {"submission": {assignment: nb}})["submission"][assignment])
    show = lambda got, most: "-" if not most else f"{'to grade' if got is None else format(got, 'g')} / {most:g}"
    print(f"{assignment}: {submission}\n{'question':10s} {'autograded':>12s} {'written':>14s}")
    for q, t in sorted(table.items()):
        print(f"{q:10s} {show(t['auto'], t['auto_max']):>12s} {show(t['written'], t['written_max']):>14s}")
    total = lambda key: sum(t[key] for t in table.values())
    print(f"{'total':10s} {show(total('auto'), total('auto_max')):>12s} {'(by hand) ' + format(total('written_max'), 'g'):>14s}")
    return table


def release(dest=HOMEWORK / "release"):
    """Regenerate every student version into `dest` (release/ of the course by default)."""
    with tempfile.TemporaryDirectory() as tmp:
        fresh = generate(new_course(tmp))
        for assignment in ASSIGNMENTS:
            shutil.rmtree(pathlib.Path(dest) / assignment, ignore_errors=True)
            shutil.copytree(fresh / assignment, pathlib.Path(dest) / assignment)
            print(f"wrote {pathlib.Path(dest) / assignment}")


STUDENT_README = """# Neural Architecture Design — student copy

```bash
make lab    # create .venv, install the course, open JupyterLab here
```

- `lectures/`: the lecture notebooks; run them top to bottom, every claim is checked by the cell below it.
- `homework/<hw>/<hw>.ipynb`: the homework. Fill in every `YOUR CODE HERE` / `YOUR ANSWER HERE`, run the
  test cell under each answer, then *Kernel -> Restart & Run All*. To check the whole notebook from a terminal:
  `.venv/bin/nbgrader validate homework/<hw>/<hw>.ipynb` (it runs every cell and lists failing tests).
  At grading, hidden tests of the same kind run in the same cells; each cell must finish within 10 seconds.
- `course_utils/`: the small package the notebooks import.
"""


def tracked(folder):
    """Files under ROOT/folder that git tracks (all files when this is not a git checkout)."""
    run = subprocess.run(["git", "ls-files", "-z", folder], cwd=ROOT, capture_output=True, text=True)
    if run.returncode == 0 and run.stdout:
        return [ROOT / name for name in run.stdout.split("\0") if name]
    return [p for p in (ROOT / folder).rglob("*") if p.is_file() and "__pycache__" not in p.parts]


def student_release(dest):
    """Write a student copy of the course to `dest`: committed lectures and course_utils, the student
    versions of the homework, the environment files and a student README. No source/, no solutions."""
    dest = pathlib.Path(dest)
    if dest.exists() and any(dest.iterdir()):
        raise SystemExit(f"{dest} exists and is not empty")
    files = tracked("lectures") + tracked("course_utils") + [ROOT / n for n in ("pyproject.toml", "environment.yml", "Makefile")]
    files += [p for hw in ASSIGNMENTS for p in (HOMEWORK / "release" / hw).rglob("*") if p.is_file()]
    for path in files:
        if not path.exists() or ".ipynb_checkpoints" in path.parts:
            continue
        rel = path.relative_to(ROOT)
        if rel.parts[:2] == ("homework", "release"):
            rel = pathlib.Path("homework", *rel.parts[2:])
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, dest / rel)
    (dest / "README.md").write_text(STUDENT_README, encoding="utf-8")
    print(f"wrote a student copy of the course to {dest}")


def assignment_name(name):
    """The assignment that `name` names or uniquely begins (hw1 -> hw1_signal_propagation)."""
    matches = [a for a in ASSIGNMENTS if a == name] or [a for a in ASSIGNMENTS if a.startswith(name)]
    if len(matches) != 1:
        raise argparse.ArgumentTypeError(f"{name!r} is not one of {ASSIGNMENTS}")
    return matches[0]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("release", help="regenerate homework/release/ from homework/source/")
    g = sub.add_parser("grade", help="autograde one submitted notebook and print the points per question")
    g.add_argument("assignment", type=assignment_name, help=f"one of {ASSIGNMENTS} (a unique prefix such as hw1 will do)")
    g.add_argument("submission", help="path to the student's .ipynb")
    s = sub.add_parser("student-release", help="write a student copy of the course")
    s.add_argument("dest")
    args = parser.parse_args(argv)
    if args.command == "release":
        release()
    elif args.command == "grade":
        grade(args.assignment, args.submission)
    else:
        student_release(args.dest)


if __name__ == "__main__":
    main()
