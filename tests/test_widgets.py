"""The widget contract, for every registered widget (course_utils.plotting.LiveFigure subclasses).

Headless: no browser. Moving a control is `control.value = v`, exactly what a drag does through the
widget comm. Each move must change the picture, keep the same figure and artists, and open no figure.
"""
import gc
import weakref

import ipywidgets
import matplotlib.pyplot as plt
import numpy as np
import pytest

from course_utils.plotting import _move_plan, all_widgets

WIDGETS = all_widgets()


def artist_ids(fig):
    return [(id(ax), tuple(id(a) for a in ax.get_children())) for ax in fig.axes]


def test_widgets_are_registered():
    assert WIDGETS, "no widget registered"


@pytest.fixture(params=list(WIDGETS), ids=list(WIDGETS))
def live(request):
    before = set(plt.get_fignums())
    w = WIDGETS[request.param]()
    yield w
    w.close()
    assert set(plt.get_fignums()) == before, "the widget left a pyplot figure open"


def test_default_picture_is_an_image_at_native_size(live):
    import io

    from PIL import Image

    frame = Image.open(io.BytesIO(live.image.value))
    w, h = live.fig.canvas.get_width_height()
    assert frame.format.lower() == live.image.format and frame.size == (w, h)
    assert live.image.layout.width == f"{w}px"  # shown at its own size, never stretched
    assert len(set(frame.convert("L").getdata())) > 10, "the default picture is blank"


def test_every_control_changes_the_picture_without_rebuilding(live):
    fig, ids = live.fig, artist_ids(live.fig)
    for name, control in live.controls.items():
        old_frame = live.image.value
        new_value = _different_value(control)
        control.value = new_value
        assert live.values()[name] == new_value
        assert live.image.value != old_frame, f"moving {name} to {new_value!r} did not change the picture"
        assert live.fig is fig and artist_ids(fig) == ids, f"moving {name} rebuilt the figure or its artists"


def test_update_is_fast_enough(live):
    times = live.time_moves(20)
    assert np.median(times) < 0.25, f"median update {np.median(times)*1e3:.0f} ms"  # generous: CI machines vary


@pytest.mark.parametrize("name", list(WIDGETS))
def test_a_closed_widget_is_freed(name):
    """Re-running a widget cell builds a new one: after close() the old figure must not stay in memory."""
    w = WIDGETS[name]()
    parts = [w.widget, w.image, *w.controls.values()]
    ids = {part.model_id for part in parts}
    ref = weakref.ref(w)
    w.close()
    w.close()  # idempotent
    del w
    gc.collect()
    assert ref() is None, f"{name}: the closed widget is still referenced (its figure with it)"
    assert all(part.comm is None for part in parts), f"{name}: close() left a control or the image open"
    live_models = getattr(ipywidgets.Widget, "widgets", None)  # ipywidgets 7's registry of open widgets
    if live_models is not None:
        assert not ids & set(live_models)


def _different_value(control):
    for _, value in _move_plan({"c": control}, 7):
        if value != control.value:
            return value
    raise AssertionError(f"could not find a new value for {control}")
