"""`make test` schedules files longest first (conftest.py: LONGEST_FIRST, with --no-loadscope-reorder).

A renamed file would silently drop out of that order, and xdist would again leave it for the end: every
entry must name files that exist, and the Makefile must keep xdist from re-sorting the files.
"""
import re

from notebooks import ROOT


def test_every_longest_first_entry_names_a_file(request):
    LONGEST_FIRST = request.config.pluginmanager.get_plugin(str(ROOT / "conftest.py")).LONGEST_FIRST
    missing = [prefix for prefix in LONGEST_FIRST if not any(ROOT.glob(prefix + "*"))]
    assert not missing, f"LONGEST_FIRST names no file for {missing}"


def test_make_test_keeps_the_order():
    recipe = re.search(r"^test: .*\n\t(.*)$", (ROOT / "Makefile").read_text(), re.M).group(1)
    assert "--dist loadfile" in recipe and "--no-loadscope-reorder" in recipe, recipe
