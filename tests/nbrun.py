"""Execute a notebook in a fresh kernel (nbclient) and read back its text: for bench, determinism and GPU gates."""
import os
import pathlib
import re
import subprocess
import time

import nbformat
from nbclient import NotebookClient

ADDRESS = re.compile(r"0x[0-9a-fA-F]+")
CHECK_LINE = re.compile(r"^ok\s+(?P<name>.+?): (?P<value>\S+) vs (?P<expected>\S+) \((?P<kind>abs|rel) tol (?P<tol>\S+),")


def execute(path, env=None, timeout=600, **client_options):
    """Run every cell of `path` in a new python3 kernel from this interpreter's environment.

    Returns (executed notebook, wall seconds including kernel start). `env` entries are added to the
    kernel's environment (e.g. {"COURSE_DEVICE": "cuda"}); `client_options` go to `NotebookClient`
    (e.g. store_widget_state=True for the static slides).
    """
    path = pathlib.Path(path)
    nb = nbformat.read(path, as_version=4)
    # jupyter_client starts the "python3" kernel with sys.executable, i.e. this venv's Python.
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}}, **client_options)
    t0 = time.perf_counter()
    client.execute(env={**os.environ, **(env or {})},
                   stderr=subprocess.DEVNULL)  # the kernel's start-up chatter; errors arrive as outputs
    return nb, time.perf_counter() - t0


def text_of(outputs):
    """The text a student reads in a cell's outputs (streams, text/plain, errors), memory addresses masked."""
    parts = []
    for out in outputs:
        kind = out.get("output_type")
        if kind == "stream":
            parts.append(out.get("text", ""))
        elif kind in ("execute_result", "display_data"):
            parts.append(out.get("data", {}).get("text/plain", ""))
        elif kind == "error":
            parts.append(f"{out.get('ename')}: {out.get('evalue')}")
    return ADDRESS.sub("0x…", "".join(p if isinstance(p, str) else "".join(p) for p in parts))


def cell_texts(nb):
    """[(cell index, text)] for the code cells whose outputs are compared (not tagged nbval-ignore-output)."""
    return [(i, text_of(c.get("outputs", []))) for i, c in enumerate(nb.cells)
            if c.cell_type == "code" and "nbval-ignore-output" not in c.get("metadata", {}).get("tags", [])]


def checked_values(text):
    """Parse the lines `course_utils.check` prints: {name: (value, tol, kind)}."""
    found = {}
    for line in text.splitlines():
        m = CHECK_LINE.match(line)
        if m:
            try:
                found[m["name"]] = (float(m["value"]), float(m["tol"]), m["kind"])
            except ValueError:
                continue  # an array-valued check prints its shape, not a number
    return found
