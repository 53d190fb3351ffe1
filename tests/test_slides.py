"""Every lecture is a deck that presents on a 1280×800 screen (RISE, and `make slides`).

* The first cell is a `slide` (the title slide).
* No slide's source is taller than the screen. A slide is a `slide`/`subslide` cell plus the `fragment`
  and `-` cells after it (`skip` cells are not shown, `notes` go to the speaker view). Its height is
  estimated in pixels as RISE draws it at 1280×800 (measured on this stack):
    code line 19 px (long lines wrap at 100 characters), markdown line 26 px (wrap at 95 characters),
    heading # 62 px, ## 48 px, ### 40 px, a display-math line ($$..$$, \\begin{..}) 36 px, a table row 32 px,
    and 20 px of padding per cell; the slide must fit in 800 − 60 px (its margins).
  That is about 35 code lines, or about 25 lines of text, or any mix of the two. Outputs are not counted:
  they can scroll (the decks set `"scroll": true`), the source the presenter talks over must not.
"""
import json
import math
import re

import pytest

from notebooks import ROOT, lecture_notebooks, slide_type, slides_of

LECTURES = lecture_notebooks()
SCREEN_PX = 800 - 60
CELL_PAD_PX = 20
CODE_PX, CODE_WRAP = 19, 100
TEXT_PX, TEXT_WRAP = 26, 95
HEADING_PX = {1: 62, 2: 48, 3: 40}
MATH_PX, TABLE_ROW_PX = 36, 32


def code_height(src):
    lines = src.rstrip("\n").split("\n") if src.strip() else []
    return sum(max(1, math.ceil(len(line) / CODE_WRAP)) for line in lines) * CODE_PX


def markdown_height(src):
    px, in_math = 0, False
    for line in src.split("\n"):
        s = line.strip()
        if in_math or s.startswith(("$$", "\\begin")):
            delimiter_only = s in ("$$", "") or re.fullmatch(r"\\(begin|end)\{\w+\*?\}", s)
            px += 0 if delimiter_only else MATH_PX
            if in_math:
                in_math = not (s.endswith("$$") or s.startswith("\\end"))
            else:
                in_math = (s.startswith("$$") and (s == "$$" or not s[2:].rstrip().endswith("$$"))) or \
                          (s.startswith("\\begin") and "\\end" not in s)
            continue
        if not s:
            continue
        heading = re.match(r"^(#{1,6})\s", s)
        if heading:
            px += HEADING_PX.get(len(heading.group(1)), 34)
        elif s.startswith("|"):
            px += 0 if re.fullmatch(r"\|?[\s:|-]+\|?", s) else TABLE_ROW_PX  # the |---| rule is not drawn
        else:
            px += math.ceil(len(s) / TEXT_WRAP) * TEXT_PX
    return px


def height(cells):
    px = 0
    for c in cells:
        src = "".join(c["source"])
        px += CELL_PAD_PX + (code_height(src) if c["cell_type"] == "code" else markdown_height(src))
    return px


def test_the_measure():
    assert code_height("a = 1\nb = 2\n") == 2 * CODE_PX
    assert code_height("x" * 150) == 2 * CODE_PX  # wraps
    assert markdown_height("## Title\n\nOne line.\n") == HEADING_PX[2] + TEXT_PX
    assert markdown_height("$$\na = b\n$$") == MATH_PX == markdown_height("$$a = b$$")
    assert markdown_height("\\begin{aligned}\na &= b\\\\\nc &= d\n\\end{aligned}\nText.") == 2 * MATH_PX + TEXT_PX
    assert markdown_height("| a | b |\n|---|---|\n| 1 | 2 |") == 2 * TABLE_ROW_PX
    nb = {"cells": [{"cell_type": "markdown", "source": "# T", "metadata": {"slideshow": {"slide_type": "slide"}}},
                     {"cell_type": "code", "source": "import x", "metadata": {"slideshow": {"slide_type": "skip"}}},
                     {"cell_type": "code", "source": "f()", "metadata": {"slideshow": {"slide_type": "fragment"}}},
                     {"cell_type": "markdown", "source": "n", "metadata": {"slideshow": {"slide_type": "notes"}}},
                     {"cell_type": "markdown", "source": "## S", "metadata": {"slideshow": {"slide_type": "subslide"}}}]}
    assert [(i, len(cells)) for i, cells in slides_of(nb)] == [(0, 2), (4, 1)]


def ids(paths):
    return [str(p.relative_to(ROOT)) for p in paths]


@pytest.mark.parametrize("path", LECTURES, ids=ids(LECTURES))
def test_deck_starts_with_a_title_slide(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    first = slide_type(nb["cells"][0])
    assert first == "slide", f"{path.name}: the first cell is {first!r}, not the title `slide`"


@pytest.mark.parametrize("path", LECTURES, ids=ids(LECTURES))
def test_every_slide_fits_the_screen(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    too_tall = [f"slide at cell {i}: about {height(cells)} px of source (screen: {SCREEN_PX} px); "
                f"split it with a `subslide` or move set-up code to a `skip` cell or course_utils"
                for i, cells in slides_of(nb) if height(cells) > SCREEN_PX]
    assert not too_tall, f"{path.name}:\n" + "\n".join(too_tall)
