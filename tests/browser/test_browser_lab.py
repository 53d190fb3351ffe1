"""JupyterLab, in Chromium: every lecture runs, and its slider (04: α, 05: Δw, others: the first one) drives
the picture by mouse drag, by keyboard and by typing into the readout, with no widget-manager error.
"""
import pytest

from browser_helpers import (VIEWPORT, block_foreign_requests, close_notebook, deck_id, deck_name, decks,
                             drag_handle, kernel_busy, open_notebook, pick_slider, readout_value, run_all,
                             settle_image, slider_pattern, type_readout, widget_cells, widget_error_messages)


@pytest.fixture(scope="module")
def lab_page(browser, lab):
    """One JupyterLab page for all lectures (loading the app costs seconds); notebooks open and close in it."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(30_000)
    context.blocked = block_foreign_requests(context, [lab.base])
    page = context.new_page()
    page.messages = []
    page.on("console", lambda m: page.messages.append((m.type, m.text)))
    page.on("pageerror", lambda e: page.messages.append(("pageerror", str(e))))
    yield page
    context.close()


@pytest.mark.parametrize("notebook", decks(), ids=deck_id)
def test_slider_drives_the_plot_in_jupyterlab(notebook, lab, lab_page, artifacts):
    name = deck_name(notebook)
    page = lab_page
    messages = page.messages
    messages.clear()
    open_notebook(page, lab, f"lectures/{name}")
    try:
        check_slider(page, lab, name, artifacts)
    finally:
        close_notebook(page)
    errors = widget_error_messages(messages)
    assert not errors, f"{name}: widget-manager errors in the console:\n" + "\n".join(errors[:5])


def check_slider(page, lab, name, artifacts):
    run_all(page)

    cells = widget_cells(lab.root / "lectures" / name)
    assert cells, f"{name}: no cell builds a widget (a `...Widget(...)` expression); each lecture has a slider"
    cell = next((page.locator(f'.jp-Cell[data-windowed-list-index="{i}"]') for i in cells
                 if page.locator(f'.jp-Cell[data-windowed-list-index="{i}"] .widget-slider').count()), None)
    assert cell is not None, f"{name}: none of the widget cells {cells} shows a slider after Run All"
    slider = pick_slider(cell, slider_pattern(name))
    slider.scroll_into_view_if_needed()
    img = cell.locator(".jp-OutputArea img.widget-image").first
    handle, track = slider.locator(".ui-slider-handle"), slider.locator(".ui-slider")
    busy = lambda: kernel_busy(page)  # noqa: E731
    start = settle_image(img, busy=busy)

    # Keyboard: Home and End put the jQuery-UI slider at its ends; one ArrowLeft is one step back.
    handle.focus()
    page.keyboard.press("Home")
    at_min, lo = settle_image(img, busy=busy), readout_value(slider)
    page.keyboard.press("End")
    at_max, hi = settle_image(img, busy=busy), readout_value(slider)
    assert hi > lo, f"{name}: End ({hi}) is not above Home ({lo})"
    assert at_max != at_min, f"{name}: the picture is the same at the slider's two ends"
    page.keyboard.press("ArrowLeft")
    settle_image(img, busy=busy)
    assert lo < readout_value(slider) < hi, f"{name}: ArrowLeft from the end did not step back"

    # Mouse: drag the handle to 30 % of the track.
    before = settle_image(img, busy=busy)
    drag_handle(page, handle, track, 0.3)
    dragged, value = settle_image(img, busy=busy), readout_value(slider)
    assert dragged != before, f"{name}: dragging the slider did not change the picture"
    assert lo + 0.1 * (hi - lo) < value < lo + 0.5 * (hi - lo), f"{name}: dragged to 30 %, readout {value}"

    # The number box: type a value, the readout shows it and the picture follows.
    typed = lo + 0.75 * (hi - lo)
    type_readout(page, slider, f"{typed:.6g}")
    after_typing, shown = settle_image(img, busy=busy), readout_value(slider)
    assert abs(shown - typed) <= 0.02 * (hi - lo), f"{name}: typed {typed:.6g}, readout shows {shown}"
    assert after_typing != dragged, f"{name}: typing into the readout did not change the picture"
    assert start  # the default picture was there before any move

    page.screenshot(path=str(artifacts / f"lab-{name.removesuffix('.ipynb')}.png"))
