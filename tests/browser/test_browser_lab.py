"""JupyterLab, in Chromium: every lecture runs, and its slider (04: α, 05: Δw, others: the first one) drives
the picture by mouse drag and by keyboard (04, 05: also by typing into the readout), with no widget-manager
error in the console.
"""
import pytest

from browser_helpers import (close_notebook, deck_id, deck_name, decks,
                             drag_handle, kernel_busy, open_notebook, pick_slider, readout_value, run_all,
                             settle_image, slider_pattern, type_readout, widget_cells, widget_error_messages)


@pytest.mark.parametrize("notebook", decks()[0::2], ids=deck_id)  # the others: test_browser_lab_more.py
def test_slider_drives_the_plot_in_jupyterlab(notebook, lab, lab_page, artifacts):
    lab_slider_case(notebook, lab, lab_page, artifacts)


def lab_slider_case(notebook, lab, lab_page, artifacts):
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
    shown = page.locator(".jp-Notebook .jp-Cell:has(.jp-OutputArea .widget-slider)")
    indices = [int(shown.nth(k).get_attribute("data-windowed-list-index")) for k in range(shown.count())]
    assert indices, f"{name}: no slider in any output after Run All (each lecture has a slider widget)"
    target = next((i for i in cells if i in indices), indices[0])
    cell = page.locator(f'.jp-Cell[data-windowed-list-index="{target}"]')
    slider = pick_slider(cell, slider_pattern(name))
    slider.scroll_into_view_if_needed()
    img = cell.locator(".jp-OutputArea img.widget-image").first
    handle, track = slider.locator(".ui-slider-handle"), slider.locator(".ui-slider")
    busy = lambda: kernel_busy(page)  # noqa: E731
    settle_image(img, busy=busy)  # the default picture, drawn and settled before any move

    # Keyboard: Home and End put the jQuery-UI slider at its ends; one ArrowLeft is one step back.
    handle.focus()
    page.keyboard.press("Home")
    at_min, lo = settle_image(img, busy=busy), readout_value(slider)
    lo_text = slider.locator(".widget-readout").inner_text().strip()
    page.keyboard.press("End")
    at_max, hi = settle_image(img, busy=busy), readout_value(slider)
    assert hi > lo, f"{name}: End ({hi}) is not above Home ({lo})"
    assert at_max != at_min, f"{name}: the picture is the same at the slider's two ends"
    page.keyboard.press("ArrowLeft")
    before = settle_image(img, busy=busy)
    stepped = readout_value(slider)
    assert lo < stepped < hi, f"{name}: ArrowLeft from the end did not step back"

    # Mouse: drag the handle to 30 % of the track (sliders may be non-linear: only the order is checked).
    drag_handle(page, handle, track, 0.3)
    dragged, value = settle_image(img, busy=busy), readout_value(slider)
    assert dragged != before, f"{name}: dragging the slider did not change the picture"
    assert lo < value < stepped, f"{name}: dragged from {stepped} towards 30 % of [{lo}, {hi}], readout {value}"

    # The number box of the α and Δw sliders (a presenter's way in RISE, where arrow keys change slides):
    # type the minimum; the readout shows it and the picture is the one drawn at Home. (Other lectures'
    # first slider may be a SelectionSlider, whose readout takes no typing.)
    if slider_pattern(name) is None:
        page.screenshot(path=str(artifacts / f"lab-{name.removesuffix('.ipynb')}.png"))
        return
    type_readout(page, slider, lo_text)
    after_typing, shown = settle_image(img, busy=busy), readout_value(slider)
    assert shown == lo, f"{name}: typed {lo_text}, the readout shows {shown}"
    assert after_typing != dragged, f"{name}: typing into the readout did not change the picture"
    assert after_typing == at_min, f"{name}: the same value drew a different picture (Home vs typed)"

    page.screenshot(path=str(artifacts / f"lab-{name.removesuffix('.ipynb')}.png"))
