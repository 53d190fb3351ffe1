"""The static slides of `make slides` (build/slides/), opened from file:// with every network request blocked:
reveal.js initialises, the slide count matches the notebook's metadata, each widget shows its saved picture.

Decks missing or older than their notebook (or than course_utils, or the exporter) are rebuilt first with
tools/export_slides.py. The reveal.js/MathJax/widget assets come from `make slides` (the npm registry, at
build time): without them the test is skipped (CI=true: fails), since a test run stays offline.
"""
import os
import sys

import pytest

from browser_helpers import ARTIFACTS, ROOT, VIEWPORT, block_foreign_requests, deck_id, decks, expected_slide_count

SLIDES = ROOT / "build" / "slides"
CI = os.environ.get("CI", "").lower() == "true"
REVEAL = "assets/reveal.js/dist/reveal.js"


def stale(notebook):
    deck = SLIDES / f"{notebook.stem}.slides.html"
    if not deck.exists():
        return True
    inputs = [notebook, ROOT / "tools" / "export_slides.py", *(ROOT / "course_utils").glob("*.py")]
    return deck.stat().st_mtime < max(p.stat().st_mtime for p in inputs)


@pytest.fixture(scope="module")
def slides():
    lectures = [p for p in decks() if p is not None]
    if not lectures:
        pytest.skip("no lecture notebooks yet")
    if not (SLIDES / "assets" / ".npm-packages.json").exists():
        message = "build/slides/assets is missing: run `make slides` once (it fetches reveal.js etc. from npm)"
        if CI:
            pytest.fail(message)
        pytest.skip(message)
    todo = [p for p in lectures if stale(p)]
    if todo:
        sys.path.insert(0, str(ROOT / "tools"))
        import export_slides

        export_slides.main(["--out", str(SLIDES), *map(str, todo)])
    return SLIDES


@pytest.mark.parametrize("notebook", [p for p in decks() if p is not None], ids=deck_id)
def test_static_slides_work_offline(notebook, slides, browser):
    context = browser.new_context(viewport=VIEWPORT)
    try:
        context.set_default_timeout(30_000)
        blocked = block_foreign_requests(context, ["file://"])
        page = context.new_page()
        failed = []
        page.on("requestfailed", lambda r: failed.append(r.url))
        page.on("pageerror", lambda e: failed.append(f"page error: {e}"))
        page.goto((slides / f"{notebook.stem}.slides.html").as_uri(), timeout=30_000)
        page.locator(".reveal.ready").wait_for(timeout=30_000)

        total = page.evaluate(f"() => new Promise((ok, bad) => require(['{REVEAL}'], R => ok(R.getTotalSlides()), bad))")
        assert total == expected_slide_count(notebook), f"{notebook.name}: {total} static slides, metadata says " \
                                                        f"{expected_slide_count(notebook)}"
        if "$" in notebook.read_text(encoding="utf-8"):  # the maths is typeset by the local MathJax
            page.wait_for_function("() => document.querySelectorAll('.MathJax_CHTML').length > 0", timeout=30_000)
        views = page.locator('script[type="application/vnd.jupyter.widget-view+json"]').count()
        if views:  # the saved widget state renders: every widget shows its default picture
            page.wait_for_function(f"() => Array.from(document.querySelectorAll('img.widget-image'))"
                                   f".filter(i => i.complete && i.naturalWidth > 0).length >= {views}", timeout=30_000)
            first = page.locator("img.widget-image").first
            index = first.evaluate("i => { const s = i.closest('section'); return Reveal_index(s); }".replace(
                "Reveal_index(s)", "[Array.from(document.querySelectorAll('.reveal .slides > section'))"
                ".indexOf(s.parentElement.matches('section') ? s.parentElement : s),"
                " s.parentElement.matches('section') ? Array.from(s.parentElement.children).indexOf(s) : 0]"))
            page.evaluate(f"() => require(['{REVEAL}'], R => R.slide({index[0]}, {index[1]}))")
            page.wait_for_timeout(500)
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"static-{notebook.stem}-widget.png"))
        assert not blocked, f"{notebook.name}: the slides asked the network for {blocked[:3]}"
        assert not failed, f"{notebook.name}: requests failed or the page raised: {failed[:3]}"
    finally:
        context.close()
