"""Course-wide pytest plugin: after nbval has run a notebook, run it once more and compare.

For every notebook nbval collects, an extra item `<notebook>::determinism` is scheduled right after the
notebook's last cell (same file, so `--dist loadfile` keeps it on the same worker). It executes the
notebook again in a fresh kernel and asserts that every text output (printed numbers, check lines,
reprs; memory addresses masked) is identical to nbval's run. Cells tagged `nbval-ignore-output` are not
compared. `--no-determinism` turns the extra run off (e.g. while editing one notebook).

It also orders the files longest first, for `make test`'s `--dist loadfile --no-loadscope-reorder`:
pytest-xdist then hands the long files out first and packs the short ones around them (instead of
ordering files by their number of tests, which leaves the slow browser tests for the end).
"""
import sys
import pathlib

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent / "tests"))


def pytest_addoption(parser):
    parser.addoption("--no-determinism", action="store_true", help="do not re-run notebooks to compare outputs")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session, config, items):
    add_determinism_items(config, items)
    items.sort(key=cost_rank)  # stable: a notebook's cells and its determinism item keep their order


def add_determinism_items(config, items):
    if config.getoption("--no-determinism"):
        return
    try:
        from nbval.plugin import IPyNbCell
    except ImportError:
        return
    out, pending = [], None
    for item in items:
        parent = item.parent if isinstance(item, IPyNbCell) else None
        if pending is not None and parent is not pending:
            out.append(DeterminismItem.from_parent(pending, name="determinism"))
            pending = None
        out.append(item)
        if parent is not None:
            pending = parent
    if pending is not None:
        out.append(DeterminismItem.from_parent(pending, name="determinism"))
    items[:] = out


# Files by cost, most expensive first (seconds on one core of the 2-core machine, `--durations`); the rest
# keep their order after these. Browser tests mostly wait on Chromium and the kernel, so their idle time is
# best spent while the other worker runs CPU-bound files.
LONGEST_FIRST = (
    "tests/test_widget_leaks.py",          # ~95 s: 1,000 moves of each widget
    "tests/browser/test_browser_lab_more.py",  # ~50 s
    "tests/browser/test_browser_rise.py",  # ~45 s
    "tests/browser/test_browser_lab.py",   # ~40 s
    "tests/test_homework.py",              # ~35 s: nbgrader autograding
    "lectures/06_", "lectures/03_", "lectures/02_",  # 10-20 s each with the determinism re-run
    "lectures/05_", "lectures/04_", "lectures/01_", "homework/source/",
    "tests/browser/test_browser_static.py",
    "tests/test_widgets.py",
)


def cost_rank(item):
    """Position of the item's file in LONGEST_FIRST (len(LONGEST_FIRST) for files not listed)."""
    return next((k for k, prefix in enumerate(LONGEST_FIRST) if item.nodeid.startswith(prefix)), len(LONGEST_FIRST))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    report = (yield).get_result()
    if report.failed and not isinstance(item, DeterminismItem) and isinstance(item.parent, pytest.File):
        item.parent.stash[FAILED] = True


FAILED = pytest.StashKey[bool]()  # set on a notebook's collector when one of its cells failed


class DeterminismItem(pytest.Item):
    def runtest(self):
        from nbval.plugin import IPyNbCell
        from nbrun import execute, text_of

        notebook = self.parent
        if notebook.stash.get(FAILED, False):
            pytest.skip("the notebook failed under nbval; determinism is not compared")
        first = {}
        for cell_item in notebook.session.items:
            if isinstance(cell_item, IPyNbCell) and cell_item.parent is notebook and cell_item.test_outputs is not None:
                if "nbval-ignore-output" not in cell_item.cell.metadata.get("tags", []):
                    first[cell_item.cell_num] = text_of(cell_item.test_outputs)
        nb, _ = execute(notebook.path)
        code_cells = [c for c in nb.cells if c.cell_type == "code"]  # nbval numbers code cells only
        diffs = []
        for num, text in first.items():
            again = text_of(code_cells[num].get("outputs", []))
            if text != again:  # text_of masks memory addresses in both
                diffs.append(f"cell {num}:\n--- first run\n{text[:600]}\n--- second run\n{again[:600]}")
        assert not diffs, "outputs differ between two fresh runs:\n" + "\n".join(diffs[:5])

    def reportinfo(self):
        return self.path, None, f"{self.parent.name}::determinism"
