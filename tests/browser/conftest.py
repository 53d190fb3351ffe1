"""Fixtures of the browser tests: Chromium (Debian's, through Playwright) and a hermetic JupyterLab server.

Every test in this folder is marked `browser`. Where /usr/bin/chromium is missing they are skipped with a
message saying how to install it (tools/install_browser.sh); with CI=true they fail instead: CI must run them.
"""
import os
from pathlib import Path

import pytest

from browser_helpers import (ARTIFACTS, VIEWPORT, LabServer, block_foreign_requests, chromium_missing_reason,
                             launch_chromium, record_messages)
from fixture_deck import write_fixture_deck
from notebooks import lecture_notebooks

HERE = Path(__file__).resolve().parent
CI = os.environ.get("CI", "").lower() == "true"
MISSING = chromium_missing_reason()


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.browser)
            if MISSING and not CI:
                item.add_marker(pytest.mark.skip(reason=MISSING))


@pytest.fixture(scope="session")
def browser():
    if MISSING:
        pytest.fail(f"CI=true requires the browser tests, but: {MISSING}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = launch_chromium(pw)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    """JupyterLab over copies of all lecture notebooks (plus the fixture deck), stopped by PID afterwards."""
    work = tmp_path_factory.mktemp("jupyterlab")
    fixture = write_fixture_deck(work / "00_fixture_deck.ipynb")
    server = LabServer(work, lecture_notebooks() + [fixture]).start()
    yield server
    server.stop()


def new_lab_context(browser, lab):
    """A fresh browser profile, 1280×800, that can reach only the lab server (`context.blocked`: the rest)."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(30_000)
    context.blocked = block_foreign_requests(context, [lab.base])
    return context


@pytest.fixture
def lab_context(browser, lab):
    context = new_lab_context(browser, lab)
    yield context
    context.close()


@pytest.fixture(scope="module")
def lab_page(browser, lab):
    """One JupyterLab page for all lectures of a test module (loading the app costs seconds); notebooks open and close in it."""
    context = new_lab_context(browser, lab)
    page = context.new_page()
    page.messages = record_messages(page)
    yield page
    context.close()


@pytest.fixture(scope="session")
def artifacts():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
