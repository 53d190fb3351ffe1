"""Where the course's notebooks live; shared by the hygiene, slide and bench code."""
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[1]


def lecture_notebooks():
    return sorted((ROOT / "lectures").glob("*.ipynb"))


SLIDE_TYPES = {"slide", "subslide", "fragment", "skip", "notes", "-"}  # RISE's slide types; '-' continues a slide


def homework_notebooks(folders=("source", "release")):
    """Homework notebooks under homework/<folder>/ for each of `folders` (nbgrader's source and release)."""
    return sorted(p for p in (ROOT / "homework").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts
                  and p.relative_to(ROOT / "homework").parts[0] in folders)


def all_notebooks():
    return lecture_notebooks() + homework_notebooks()


def slide_type(cell):
    """RISE slide type of a cell ('-' when unset)."""
    return cell.get("metadata", {}).get("slideshow", {}).get("slide_type", "-")


def slides_of(nb):
    """[(index of the slide's first cell, [cells shown on it])]: a new slide at each `slide`/`subslide` cell
    (or at the first shown cell), `skip` and `notes` cells not shown."""
    slides = []
    for i, cell in enumerate(nb["cells"]):
        kind = slide_type(cell)
        if kind in ("skip", "notes"):
            continue
        if kind in ("slide", "subslide") or not slides:
            slides.append((i, []))
        slides[-1][1].append(cell)
    return slides
