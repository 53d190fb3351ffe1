"""Write a clean course notebook from a plain-text cell list (an authoring aid; the .ipynb is the source of truth).

Usage: python tools/mknb.py SRC.txt OUT.ipynb

SRC format: cells start with a marker line
    %% md <slide_type> [tag,tag]      markdown cell
    %% code <slide_type> [tag,tag]    code cell
<slide_type> is one of slide, subslide, fragment, skip, notes, - ; tags are optional.
Writes no outputs, no execution counts, kernelspec python3, slideshow metadata on every cell.
"""
import pathlib
import re
import sys

import nbformat

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "tests"))
from notebooks import SLIDE_TYPES  # noqa: E402
MARK = re.compile(r"^%% (md|code) (\S+)(?: \[([^\]]*)\])?\s*$")


def parse(text):
    cells, kind, meta, lines = [], None, None, []

    def flush():
        if kind is None:
            return
        src = "\n".join(lines).strip("\n")
        cell = nbformat.v4.new_markdown_cell(src) if kind == "md" else nbformat.v4.new_code_cell(src)
        cell.metadata = meta
        cells.append(cell)

    for line in text.splitlines():
        m = MARK.match(line)
        if m:
            flush()
            kind, slide, tags = m.group(1), m.group(2), m.group(3)
            if slide not in SLIDE_TYPES:
                raise SystemExit(f"unknown slide type {slide!r} in: {line}")
            meta = {"slideshow": {"slide_type": slide}}
            if tags:
                meta["tags"] = [t.strip() for t in tags.split(",") if t.strip()]
            lines = []
        else:
            if kind is None and line.strip():
                raise SystemExit(f"text before the first cell marker: {line}")
            lines.append(line)
    flush()
    return cells


def main(src, out):
    nb = nbformat.v4.new_notebook()
    nb.cells = parse(open(src, encoding="utf-8").read())
    for i, c in enumerate(nb.cells):
        c.id = f"cell-{i:03d}"  # stable ids: clean diffs when a notebook is regenerated
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
        "rise": {"scroll": True, "width": 1280, "height": 800, "center": False, "enable_chalkboard": False},
    }
    nbformat.validate(nb)
    nbformat.write(nb, out)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    main(*sys.argv[1:])
