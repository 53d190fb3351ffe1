"""The homework pipeline: student versions are fresh and leak nothing, and the autograder survives bad code.

One temporary nbgrader course directory serves the whole module: it regenerates the student versions from
homework/source (compared with the committed homework/release) and autogrades crafted submissions of both
homeworks in ONE `nbgrader autograde` run (the kernels dominate the cost, so each crafted notebook carries
several defects in different questions). Nothing is written inside the repository.
"""
import json
import pathlib
import resource
import re
import sys
import time

import pytest

from notebooks import ROOT

sys.path.insert(0, str(ROOT / "homework"))
import grading  # noqa: E402

HW1, HW2 = "hw1_signal_propagation", "hw2_deep_linear"
HIDDEN = re.compile(r"^\s*### BEGIN HIDDEN TESTS\s*$(.*?)^\s*### END HIDDEN TESTS\s*$", re.M | re.S)
SOLUTION = re.compile(r"^\s*### BEGIN SOLUTION\s*$(.*?)^\s*### END SOLUTION\s*$", re.M | re.S)
MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "BEGIN MARK SCHEME")

# Defects planted in a correct submission, one per question, to check that each costs exactly that question:
# (question, cell, exact text of the reference solution, replacement).
DEFECTS = {
    "loop": ("B1", "b1_code", "    return float(w @ m), float(w @ np.asarray(C, dtype=float) @ w)\n",
             "    while True:  # an infinite loop: the per-cell timeout must stop it\n        pass\n"),
    "wrong": ("B3", "b3_code", "    return np.sqrt(2 / (1 + s ** 2))\n",
              "    return np.sqrt(2 / (1 + s))  # wrong, yet right at s = 0 and s = 1: only hidden tests see it\n"),
    "raises": ("B5", "b5_code", "    zs, h = [], X\n", "    raise ValueError('a bug in the student code')\n"),
}


def load(path):
    return json.loads(pathlib.Path(path).read_text(encoding="utf-8"))


def cells_by_id(nb):
    return {c["metadata"]["nbgrader"]["grade_id"]: c for c in nb["cells"] if "nbgrader" in c["metadata"]}


def text(cell):
    return "".join(cell["source"])


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A temporary course directory in which the student versions were just regenerated."""
    course = grading.new_course(tmp_path_factory.mktemp("course"))
    grading.generate(course)
    return course


def test_there_is_a_homework_per_source_folder():
    assert grading.ASSIGNMENTS == [HW1, HW2]
    for hw in grading.ASSIGNMENTS:
        assert (ROOT / "homework" / "release" / hw / f"{hw}.ipynb").exists(), f"run `make homework` ({hw})"


def test_release_is_up_to_date(course):
    """The committed student versions are exactly what nbgrader makes of the current sources."""
    for hw in grading.ASSIGNMENTS:
        fresh = load(course / "release" / hw / f"{hw}.ipynb")
        committed = load(ROOT / "homework" / "release" / hw / f"{hw}.ipynb")
        assert committed == fresh, f"homework/release/{hw} is stale: run `make homework` and commit it"


@pytest.mark.parametrize("hw", [HW1, HW2])
def test_release_has_no_solutions_and_no_hidden_tests(hw):
    source = load(ROOT / "homework" / "source" / hw / f"{hw}.ipynb")
    release = load(ROOT / "homework" / "release" / hw / f"{hw}.ipynb")
    released = "\n".join(text(c) for c in release["cells"])
    for marker in MARKERS:
        assert marker not in released, f"{hw}: the student version contains '{marker}'"
    # every distinctive line of a solution or hidden test in the source must be gone from the student version
    secret, public = set(), set()
    for cell in source["cells"]:
        src = text(cell)
        regions = SOLUTION.findall(src) + HIDDEN.findall(src)
        secret.update(line.strip() for region in regions for line in region.splitlines())
        public.update(line.strip() for line in HIDDEN.sub("", SOLUTION.sub("", src)).splitlines())
    distinctive = {line for line in secret - public if len(line) >= 12}
    assert len(distinctive) > 50, "the source has solutions and hidden tests to hide"
    released_lines = {line.strip() for line in released.splitlines()}
    leaked = sorted(distinctive & released_lines)
    assert not leaked, f"{hw}: the student version leaks {leaked[:5]}"
    stub_cells = [c for c in release["cells"] if c["metadata"].get("nbgrader", {}).get("solution")]
    assert stub_cells and all("YOUR CODE HERE" in text(c) or "YOUR ANSWER HERE" in text(c) for c in stub_cells)


def test_every_question_has_statement_solution_visible_and_hidden_tests():
    for hw in grading.ASSIGNMENTS:
        cells = cells_by_id(load(ROOT / "homework" / "source" / hw / f"{hw}.ipynb"))
        questions = {gid.split("_")[0] for gid in cells}
        assert len(questions) >= 5
        for q in questions:
            tests, code = cells[f"{q}_tests"], cells[f"{q}_code"]
            assert tests["metadata"]["nbgrader"]["points"] > 0 and tests["metadata"]["nbgrader"]["locked"]
            assert HIDDEN.search(text(tests)) and HIDDEN.sub("", text(tests)).count("\n") >= 2, f"{q}: visible tests"
            assert SOLUTION.search(text(code)), f"{q}: solution region"
            assert not text(tests).rstrip().splitlines()[-1].startswith(("check(", "float(")), \
                f"{q}: a test cell must not end on a value (nbgrader reads a number there as partial credit)"


def craft(course, hw, defects=()):
    """The student version with every answer filled in from the source, then the named defects planted."""
    nb = grading.solution_submission(load(course / "release" / hw / f"{hw}.ipynb"),
                                     load(course / "source" / hw / f"{hw}.ipynb"))
    cells = cells_by_id(nb)
    for name in defects:
        _, grade_id, old, new = DEFECTS[name]
        src = text(cells[grade_id])
        assert src.count(old) == 1, f"defect {name!r}: the reference solution of {grade_id} changed"
        cells[grade_id]["source"] = src.replace(old, new)
    return nb


def test_autograding(course):
    """Solution -> full marks; untouched student version -> 0; each defect costs exactly its question."""
    submissions = {
        "solution": {hw: craft(course, hw) for hw in (HW1, HW2)},
        "untouched": {hw: load(course / "release" / hw / f"{hw}.ipynb") for hw in (HW1, HW2)},
        "defects": {HW1: craft(course, HW1, DEFECTS)},
    }
    cpu0, t0 = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    grades = grading.autograde(course, submissions)
    cpu1, wall = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter() - t0
    cpu = cpu1.ru_utime + cpu1.ru_stime - cpu0.ru_utime - cpu0.ru_stime
    print(f"autograde of 5 notebooks: {wall:.1f} s wall, {cpu:.1f} s CPU")

    for hw in (HW1, HW2):
        table = grading.by_question(grades["solution"][hw])
        assert all(t["auto"] == t["auto_max"] > 0 for t in table.values()), (hw, table)
        assert all(t["written"] is None for t in table.values() if t["written_max"]), "written answers go to a person"
        untouched = grades["untouched"][hw]
        assert all(score == 0 for score, _ in untouched.values()), (hw, untouched)

    full = grading.by_question(grades["solution"][HW1])
    got = grading.by_question(grades["defects"][HW1])
    zero = {DEFECTS[name][0] for name in DEFECTS}
    for q, t in full.items():
        assert got[q]["auto"] == (0 if q in zero else t["auto"]), (q, got[q])
    assert sum(t["auto"] for t in got.values()) == sum(t["auto"] for t in full.values()) - sum(full[q]["auto"] for q in zero)

    graded = load(course / "autograded" / "defects" / HW1 / f"{HW1}.ipynb")
    errors = {gid: [o.get("ename") for o in c.get("outputs", []) if o["output_type"] == "error"]
              for gid, c in cells_by_id(graded).items()}
    assert "CellTimeoutError" in errors["b1_tests"], errors["b1_tests"]  # the loop was interrupted
    assert errors["b3_tests"] == ["AssertionError"] and errors["b5_tests"] == ["ValueError"], errors
    assert cpu < 120, f"grading 5 notebooks took {cpu:.0f} s of CPU"


def test_student_release(tmp_path):
    dest = tmp_path / "student"
    grading.student_release(dest)
    for hw in grading.ASSIGNMENTS:
        assert (dest / "homework" / hw / f"{hw}.ipynb").exists()
    assert (dest / "README.md").exists() and (dest / "course_utils" / "__init__.py").exists()
    assert not (dest / "homework" / "source").exists() and not list(dest.rglob("gradebook.db"))
    for path in dest.rglob("*"):
        if path.is_file() and path.suffix in (".ipynb", ".py", ".md", ".txt"):
            content = path.read_text(encoding="utf-8")
            assert not any(m in content for m in MARKERS), f"{path.relative_to(dest)} contains a solution marker"
    with pytest.raises(SystemExit, match="not empty"):
        grading.student_release(dest)
