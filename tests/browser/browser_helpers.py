"""Plumbing for the browser tests: Chromium, a hermetic JupyterLab server, widget probes.

Nothing here downloads anything: Playwright drives Debian's /usr/bin/chromium (never its own browser
build), JupyterLab listens on 127.0.0.1 with a random token, and every request that leaves the server's
origin is aborted.
"""
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from notebooks import ROOT, lecture_notebooks, slides_of

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "build" / "browser-artifacts"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
    "--disable-dev-shm-usage", "--no-default-browser-check", "--mute-audio",
]
VIEWPORT = {"width": 1280, "height": 800}  # the lecture hall's projector, as in the notebooks' RISE metadata
SERVER_START_S = 60
KERNEL_RUN_S = 60  # a lecture runs in <= 10 s under nbval (lecture 6: 15 s); the browser adds rendering

# Console errors that mean the widgets broke (the widget manager, its models, views or comms).
WIDGET_MANAGER_ERROR = re.compile(
    r"jupyter-widgets|widget ?manager|widgets? (model|view)|Class \S+ not found in (module|registry)"
    r"|Could not (create|render|display) (a )?(model|view|widget)|Model not found|Error (creating|rendering) "
    r"(widget|view)|comm (open|msg)", re.IGNORECASE)


def chromium_missing_reason():
    """None when the browser tests can run; otherwise why not (a sentence for pytest.skip)."""
    if not CHROMIUM.exists():
        return (f"browser tests need Chromium at {CHROMIUM} (Debian package `chromium`; "
                "install it with tools/install_browser.sh). They are required when CI=true.")
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "browser tests need the Python package `playwright` (pip install -e '.[test]')"
    return None


def launch_chromium(playwright):
    """Debian's Chromium, headless, with nothing that phones home."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True,
                                      timeout=30_000)


def block_foreign_requests(page_or_context, allowed_prefixes):
    """Abort every request whose URL does not start with one of `allowed_prefixes`; return the blocked list."""
    blocked = []

    def handle(route):
        url = route.request.url
        if url.startswith(tuple(allowed_prefixes)):
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    page_or_context.route("**/*", handle)
    return blocked


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LabServer:
    """`jupyter lab` on 127.0.0.1 over a copy of the lectures, with its own config, runtime and settings.

    The venv's own share/jupyter (labextensions: jupyterlab-rise, @jupyter-widgets) stays on the data path:
    JUPYTER_DATA_DIR only replaces the *user* data dir; sys.prefix/share/jupyter is always searched.
    Stopped by its PID (SIGTERM, then SIGKILL), its kernels with it.
    """

    def __init__(self, workdir, notebooks):
        self.workdir = Path(workdir)
        self.root = self.workdir / "root"
        self.home = self.workdir / "home"
        self.token = secrets.token_hex(16)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc = None
        self.log_path = self.workdir / "server.log"
        (self.root / "lectures").mkdir(parents=True, exist_ok=True)
        for nb in notebooks:
            shutil.copy2(nb, self.root / "lectures" / Path(nb).name)
        for sub in ("config", "runtime", "data", "settings", "workspaces", "ipython", "mpl"):
            (self.home / sub).mkdir(parents=True, exist_ok=True)

    def env(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "JPY_"))}
        h = self.home
        env.update(
            JUPYTER_CONFIG_DIR=str(h / "config"),
            JUPYTER_RUNTIME_DIR=str(h / "runtime"),
            JUPYTER_DATA_DIR=str(h / "data"),
            JUPYTERLAB_SETTINGS_DIR=str(h / "settings"),
            JUPYTERLAB_WORKSPACES_DIR=str(h / "workspaces"),
            JUPYTER_PLATFORM_DIRS="1",
            IPYTHONDIR=str(h / "ipython"),
            MPLCONFIGDIR=str(h / "mpl"),
            COURSE_DEVICE=os.environ.get("COURSE_DEVICE", "cpu"),
            PYTHONDONTWRITEBYTECODE="1",
        )
        return env

    def _write_settings(self):
        h = self.home
        # Server and front end: what the course needs (no nbgrader, no terminals, no Notebook 7 app).
        (h / "config" / "labconfig").mkdir(exist_ok=True)
        (h / "config" / "labconfig" / "page_config.json").write_text(json.dumps({
            "disabledExtensions": {"@jupyter/nbgrader": True, "@jupyter-notebook/lab-extension": True}}))
        (h / "config" / "jupyter_server_config.json").write_text(json.dumps({
            "ServerApp": {"jpserver_extensions": {
                "jupyter_server_terminals": False, "notebook": False,
                **{f"nbgrader.server_extensions.{e}": False
                   for e in ("assignment_list", "course_list", "formgrader", "validate_assignment")}}},
        }))
        # Lab: no news or update checks (no network), RISE starting at the beginning.
        settings = {
            "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
                {"fetchNews": "false", "checkForUpdates": False},
            "jupyterlab-rise/plugin.jupyterlab-settings": {"start_slideshow_at": "beginning"},
            "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none", "autoStartDefaultKernel": True,
                                                                       "kernelShutdown": True},
        }
        for rel, value in settings.items():
            p = h / "settings" / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(json.dumps(value))

    def start(self):
        self._write_settings()
        cmd = [
            sys.executable, "-m", "jupyterlab",
            "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0", f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root}", "--ServerApp.terminals_enabled=False",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ]
        if os.geteuid() == 0:  # containers and CI runners often run as root
            cmd.append("--allow-root")
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen(cmd, cwd=self.root, env=self.env(), stdout=self._log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + SERVER_START_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with {self.proc.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(f"{self.base}/api/status?token={self.token}", timeout=2) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise TimeoutError(f"jupyter lab did not answer within {SERVER_START_S} s:\n{self.log()}")

    def log(self):
        try:
            return self.log_path.read_text()[-4000:]
        except OSError:
            return ""

    def url(self, path):
        sep = "&" if "?" in path else "?"
        return f"{self.base}{path}{sep}token={self.token}"

    def stop(self):
        """Stop the server by its PID: SIGTERM (it shuts its kernels down), then SIGKILL what is left."""
        if self.proc is None:
            return
        import psutil

        try:
            children = psutil.Process(self.proc.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            children = []
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        for child in children:  # kernels the server did not take down in time
            try:
                child.kill()
            except psutil.NoSuchProcess:
                pass
        self._log.close()
        self.proc = None


# -- page probes ------------------------------------------------------------------------------------

IMAGE_BYTES_JS = """async (img) => {
    const r = await fetch(img.src);
    const b = new Uint8Array(await r.arrayBuffer());
    const d = await crypto.subtle.digest('SHA-256', b);
    return Array.from(new Uint8Array(d)).map(x => x.toString(16).padStart(2, '0')).join('') + ':' + b.length;
}"""


def image_digest(img):
    """SHA-256 of the bytes the <img> shows (its src is a blob: or data: URL that changes every frame)."""
    return img.evaluate(IMAGE_BYTES_JS)


def settle_image(img, quiet_s=0.4, timeout_s=20.0, busy=lambda: False):
    """Wait until the image's src has not changed for `quiet_s` while `busy()` is false; return its digest."""
    deadline = time.monotonic() + timeout_s
    last, since = None, time.monotonic()
    while time.monotonic() < deadline:
        src = img.get_attribute("src")
        if src != last or busy():
            last, since = src, time.monotonic()
        elif time.monotonic() - since >= quiet_s:
            return image_digest(img)
        time.sleep(0.05)
    raise TimeoutError(f"the plot image kept changing for {timeout_s} s")


def drag_handle(page, handle, track, fraction):
    """Drag a jQuery-UI slider handle (ipywidgets 7: `.ui-slider-handle`) to `fraction` of its track."""
    hb = handle.bounding_box()
    tb = track.bounding_box()
    if hb is None or tb is None:
        raise AssertionError("the slider is not visible")
    x0, y0 = hb["x"] + hb["width"] / 2, hb["y"] + hb["height"] / 2
    x1 = tb["x"] + fraction * tb["width"]
    page.mouse.move(x0, y0)
    page.mouse.down()
    for k in range(1, 9):
        page.mouse.move(x0 + (x1 - x0) * k / 8, y0)
        time.sleep(0.03)
    page.mouse.up()


def readout_value(slider):
    text = slider.locator(".widget-readout").inner_text().strip()
    try:
        return float(text)
    except ValueError:
        raise AssertionError(f"slider readout {text!r} is not a number") from None


def type_readout(page, slider, value):
    """Type a number into the slider's readout (contenteditable in ipywidgets 7, <input> in 8) and commit."""
    readout = slider.locator(".widget-readout")
    readout.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(str(value))
    page.keyboard.press("Enter")


# -- notebooks ---------------------------------------------------------------------------------------

def decks(prefixes=None):
    """Lecture notebooks that exist (only those whose name starts with one of `prefixes`, if given);
    [None], meaning the fixture deck, while there are none: it stands in for them."""
    lectures = lecture_notebooks()
    if prefixes:
        lectures = [p for p in lectures if p.name.startswith(tuple(prefixes))]
    return lectures or [None]


def deck_id(path):
    return "fixture_deck" if path is None else path.stem


def deck_name(path):
    return "00_fixture_deck.ipynb" if path is None else path.name


# The slider each lecture must drive in the browser: 04's α and 05's Δw widget by name; any other lecture,
# the first slider of its first widget that has one.
TARGETS = {"04": ("AlphaWidget(", r"α|alpha"), "05": ("DeltaWWidget(", r"η|eta|Δ")}
WIDGET_CALL = re.compile(r"\b[A-Z]\w*Widget\(")


def expected_slide_count(path):
    """Leaf slides of the deck, as the slide lint counts them (tests/notebooks.py: slides_of)."""
    return len(slides_of(json.loads(Path(path).read_text(encoding="utf-8"))))


def widget_cells(path):
    """Indices of the code cells that build a widget (`FooWidget(...)`), the target first for 04 and 05.
    (A cell may build one without showing it: the browser tests look for sliders in these cells first,
    then in any cell.)"""
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    cells = [i for i, c in enumerate(nb["cells"])
             if c["cell_type"] == "code" and WIDGET_CALL.search("".join(c["source"]))]
    target = TARGETS.get(Path(path).name[:2])
    if target:
        cells.sort(key=lambda i: target[0] not in "".join(nb["cells"][i]["source"]))
    return cells


def slider_pattern(path):
    target = TARGETS.get(Path(path).name[:2])
    return target[1] if target else None


# -- JupyterLab ----------------------------------------------------------------------------------------

NOTEBOOK_STATE_JS = """() => {
    const prompts = Array.from(document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputArea-prompt'))
        .map(p => p.textContent.trim());
    const err = Array.from(document.querySelectorAll('.jp-Notebook [data-mime-type="application/vnd.jupyter.stderr"],'
        + ' .jp-Notebook [data-mime-type="application/vnd.jupyter.error"]'))
        .find(e => /Traceback|Error\b/.test(e.innerText));
    const status = document.querySelector('.jp-Notebook-ExecutionIndicator');
    return {total: prompts.length, done: prompts.filter(t => /^\\[\\d+\\]:$/.test(t)).length,
            busy: prompts.filter(t => t.includes('*')).length,
            idle: status ? status.dataset.status === 'idle' : false,
            error: err ? err.innerText.slice(0, 3000) : null};
}"""


def open_notebook(page, server, rel_path):
    """Open a notebook in JupyterLab: by URL the first time, then from the file browser (no app reload)."""
    name = Path(rel_path).name
    if "/lab" not in page.url:
        page.goto(server.url(f"/lab/tree/{rel_path}?reset"), timeout=SERVER_START_S * 1000)
    else:
        page.locator(".jp-DirListing-itemName", has_text=name).dblclick()
    page.locator(".jp-NotebookPanel .jp-Notebook").first.wait_for(timeout=SERVER_START_S * 1000)
    page.locator(".lm-TabBar-tab.lm-mod-current", has_text=name).wait_for(timeout=SERVER_START_S * 1000)
    page.get_by_text("| Idle").wait_for(timeout=SERVER_START_S * 1000)  # the kernel has started


def close_notebook(page):
    """Close the current notebook tab, discarding its outputs; its kernel shuts down (setting kernelShutdown)."""
    page.locator(".lm-TabBar-tab.lm-mod-current .lm-TabBar-tabCloseIcon").first.click()
    discard = page.get_by_role("button", name="Discard")
    try:
        discard.click(timeout=5_000)
    except Exception:  # nothing to discard
        pass
    page.locator(".jp-NotebookPanel").first.wait_for(state="detached", timeout=10_000)


def run_all(page, timeout_s=KERNEL_RUN_S):
    """Run ▸ Run All Cells, then wait until every code cell has an execution count and the kernel is idle."""
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    deadline = time.monotonic() + timeout_s
    state, stalled_since = None, None
    while time.monotonic() < deadline:
        state = page.evaluate(NOTEBOOK_STATE_JS)
        if state["error"]:
            raise AssertionError(f"a cell raised in JupyterLab:\n{state['error']}")
        if state["total"] and state["done"] == state["total"] and state["busy"] == 0 and state["idle"]:
            return state
        stalled = state["busy"] == 0 and state["idle"] and 0 < state["done"] < state["total"]
        stalled_since = (stalled_since or time.monotonic()) if stalled else None
        if stalled_since and time.monotonic() - stalled_since > 5:
            raise AssertionError(f"Run All stopped after {state['done']} of {state['total']} code cells "
                                 f"with the kernel idle (a cell failed?): {state}")
        time.sleep(0.25)
    raise TimeoutError(f"Run All did not finish within {timeout_s} s: {state}")


def kernel_busy(page):
    el = page.locator(".jp-Notebook-ExecutionIndicator").first
    return el.count() > 0 and el.get_attribute("data-status") != "idle"


def pick_slider(cell, pattern):
    """The slider in `cell`'s output whose label (its title holds the raw description) matches `pattern`;
    with no pattern, the first slider."""
    sliders = cell.locator(".jp-OutputArea .widget-slider")
    if pattern is None:
        return sliders.first
    for k in range(sliders.count()):
        label = sliders.nth(k).locator(".widget-label")
        text = (label.get_attribute("title") or "") + " " + label.inner_text()
        if re.search(pattern, text, re.IGNORECASE):
            return sliders.nth(k)
    raise AssertionError(f"no slider labelled /{pattern}/ in the widget's output")


def record_messages(page):
    """Collect the page's console messages and uncaught errors as (kind, text) pairs into a list; return it."""
    messages = []
    page.on("console", lambda m: messages.append((m.type, m.text)))
    page.on("pageerror", lambda e: messages.append(("pageerror", str(e))))
    return messages


def widget_error_messages(messages):
    return [text for kind, text in messages if kind in ("error", "pageerror") and WIDGET_MANAGER_ERROR.search(text)]
