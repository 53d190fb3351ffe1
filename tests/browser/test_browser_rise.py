"""RISE, in Chromium: lectures 04 (α) and 05 (Δw) as slideshows at /rise/<path>.

The presenter's path: Run All in JupyterLab (the set-up cells are `skip` slides), open the deck at
/rise/<path> (it joins the same kernel session), page to the widget's slide with Space, run that cell
with Ctrl+Enter, drag the slider. Screenshots go to build/browser-artifacts/.
"""
import json

import pytest

from browser_helpers import (close_notebook, deck_id, deck_name, decks, drag_handle, expected_slide_count,
                             kernel_busy, open_notebook, pick_slider, readout_value, record_messages, run_all,
                             settle_image, slider_pattern, type_readout, widget_cells, widget_error_messages)

SLIDES_JS = """() => {
    const top = Array.from(document.querySelectorAll('.reveal .slides > section'));
    return top.reduce((n, s) => n + Math.max(1, s.querySelectorAll(':scope > section').length), 0);
}"""
# What the audience sees: the present slide and how many of its fragments are shown (Space changes one of them).
SHOWN_JS = """() => {
    const s = Array.from(document.querySelectorAll('.reveal .slides section.present')).pop();
    return s ? s.id + '#' + s.querySelectorAll('.fragment.visible').length : '';
}"""


@pytest.mark.parametrize("notebook", decks(("04", "05")), ids=deck_id)
def test_rise_slideshow_and_its_slider(notebook, lab, lab_context, artifacts):
    name = deck_name(notebook)
    stem = name.removesuffix(".ipynb")
    path = lab.root / "lectures" / name
    cells = widget_cells(path)
    assert cells, f"{name}: no widget cell"
    target = cells[0]

    lab_page = lab_context.new_page()
    page = None
    try:
        open_notebook(lab_page, lab, f"lectures/{name}")
        run_all(lab_page)  # the kernel now holds the set-up cells' names

        page = lab_context.new_page()
        messages = record_messages(page)
        page.goto(lab.url(f"/rise/lectures/{name}"), timeout=60_000)
        page.locator(".reveal .slides section.present").first.wait_for(timeout=60_000)

        count = page.evaluate(SLIDES_JS)
        assert count == expected_slide_count(path), f"{name}: RISE shows {count} slides, the metadata says " \
                                                    f"{expected_slide_count(path)}"
        page.screenshot(path=str(artifacts / f"rise-{stem}-title.png"))

        cell = page.locator(f'.jp-Cell[data-windowed-list-index="{target}"]')
        section = cell.evaluate("c => c.closest('section').id")  # RISE names them slide-<h>-<v>
        present = page.locator(f"section#{section}.present")
        for _ in range(3 * count + 50):  # Space: next fragment or slide, as a presenter's clicker does
            if present.count():
                break
            shown = page.evaluate(SHOWN_JS)
            page.keyboard.press("Space")
            page.wait_for_function(f"() => ({SHOWN_JS})() !== {json.dumps(shown)}", timeout=5_000)
        assert present.count(), f"{name}: paging with Space never reached the widget's slide {section}"
        cell.click()
        page.keyboard.press("Control+Enter")  # run in place (Shift+Enter would also move to the next slide)
        cell.locator(".jp-OutputArea .widget-slider").first.wait_for(timeout=60_000)
        slider = pick_slider(cell, slider_pattern(name))
        img = cell.locator(".jp-OutputArea img.widget-image").first
        busy = lambda: kernel_busy(lab_page)  # noqa: E731  (the slideshow shares the notebook's kernel)
        before, start_value = settle_image(img, busy=busy), readout_value(slider)
        slider.scroll_into_view_if_needed()
        page.screenshot(path=str(artifacts / f"rise-{stem}-widget.png"))

        handle, track = slider.locator(".ui-slider-handle"), slider.locator(".ui-slider")
        drag_handle(page, handle, track, 0.2 if handle.evaluate("h => parseFloat(h.style.left) > 50") else 0.8)
        dragged, value = settle_image(img, busy=busy), readout_value(slider)
        assert value != start_value, f"{name}: the drag did not move the slider in RISE (readout {value})"
        assert dragged != before, f"{name}: dragging the slider in RISE did not change the picture"
        assert present.count(), f"{name}: the drag changed the slide"
        page.screenshot(path=str(artifacts / f"rise-{stem}-dragged.png"))

        type_readout(page, slider, f"{start_value:.6g}")  # the number box: back to the default
        typed = settle_image(img, busy=busy)
        assert abs(readout_value(slider) - start_value) < 1e-9 + 1e-3 * abs(start_value)
        assert typed != dragged, f"{name}: typing into the readout in RISE did not change the picture"

        errors = widget_error_messages(messages)
        assert not errors, f"{name}: widget-manager errors in the RISE console:\n" + "\n".join(errors[:5])
    finally:
        if page is not None:
            page.close()
        close_notebook(lab_page)
        lab_page.close()
