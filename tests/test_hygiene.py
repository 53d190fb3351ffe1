"""Committed notebooks are clean: no outputs, no execution counts, python3 kernel, one H1, slide metadata."""
import json
import re

import pytest

from notebooks import ROOT, SLIDE_TYPES, all_notebooks

NOTEBOOKS = all_notebooks()
NETWORK = re.compile(r"urllib|requests\.|http\.client|socket\.|fetch_openml|fetch_\w+\(|download=True|wget|curl ")
ABS_PATH = re.compile(r"(?<![\w.])/(root|home|tmp|work|Users)/")


def ids(paths):
    return [str(p.relative_to(ROOT)) for p in paths]


def test_there_are_notebooks():
    assert (ROOT / "lectures" / "01_neurons.ipynb") in NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids(NOTEBOOKS))
def test_notebook_is_clean(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    ids = [cell.get("id") for cell in nb["cells"]]
    assert None not in ids and len(set(ids)) == len(ids), f"{path.name}: every cell needs a unique id (nbformat 4.5)"
    h1 = 0
    for i, cell in enumerate(nb["cells"]):
        where = f"{path.name} cell {i}"
        src = "".join(cell["source"])
        slide = cell.get("metadata", {}).get("slideshow", {}).get("slide_type")
        assert slide in SLIDE_TYPES, f"{where}: missing or unknown slideshow metadata ({slide!r})"
        if cell["cell_type"] == "code":
            assert not cell.get("outputs"), f"{where}: committed with outputs"
            assert cell.get("execution_count") is None, f"{where}: committed with an execution count"
            assert not NETWORK.search(src), f"{where}: reads the network"
            assert not re.search(r"['\"]cuda['\"]", src), f"{where}: hard-codes 'cuda' (use get_device())"
        if cell["cell_type"] == "markdown":
            in_fence = False
            for line in src.splitlines():
                if line.startswith("```"):
                    in_fence = not in_fence
                if not in_fence and re.match(r"^# \S", line):
                    h1 += 1
        assert not ABS_PATH.search(src), f"{where}: an absolute path from a developer's machine"
    assert h1 == 1, f"{path.name}: expected exactly one H1, found {h1}"


def test_lab_serves_loopback_with_a_token():
    lab = [line for line in (ROOT / "Makefile").read_text().splitlines() if "jupyter lab" in line]
    assert lab, "Makefile has no `jupyter lab` command"
    for line in lab:
        assert "--ip=127.0.0.1" in line, "make lab must bind to 127.0.0.1 only"
        assert not re.search(r"token=(''|\"\"|\s|$)|password=|0\.0\.0\.0|disable_check_xsrf", line), line


SECRET = re.compile(r"token=[0-9a-f]{16,}|(?<![\w.])/(home|Users)/\w+|/root/")


def tracked_text_files():
    import subprocess

    names = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    for name in names:
        path = ROOT / name
        if path.suffix in {".ipynb", ".py", ".md", ".txt", ".yml", ".yaml", ".toml", ".cfg", ".json", ".mk", ".sh", ""}:
            if path.is_file():
                yield path


def test_no_tokens_user_names_or_machine_paths_are_committed():
    offenders = []
    for path in tracked_text_files():
        if path == ROOT / "tests" / "test_hygiene.py":
            continue  # this file spells the patterns out
        text = path.read_text(encoding="utf-8", errors="replace")
        m = SECRET.search(text)
        if m:
            offenders.append(f"{path.relative_to(ROOT)}: {m.group(0)!r}")
    assert not offenders, offenders
