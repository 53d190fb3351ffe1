"""Where the course's notebooks live; shared by the hygiene, slide and bench code."""
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[1]


def lecture_notebooks():
    return sorted((ROOT / "lectures").glob("*.ipynb"))


def homework_notebooks():
    return sorted(p for p in (ROOT / "homework").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts
                  and p.relative_to(ROOT / "homework").parts[0] in ("source", "release"))


def all_notebooks():
    return lecture_notebooks() + homework_notebooks()
