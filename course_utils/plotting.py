"""The course's figure style and `LiveFigure`, the base of every slider widget.

Widget contract (tested for every widget in tests/test_widgets.py and timed by `make bench`):
  * `__init__` builds the figure and its artists once and draws the default picture;
  * `update(**values)` moves existing artists (`set_data`, `set_ydata`, `set_array`, `set_text`) and never
    creates a figure; it is a plain method, so tests call it (or set `slider.value`) headlessly;
  * `close()` closes its ipywidgets and lets the figure be freed (tests/test_widgets.py checks it is);
  * the frame is shown in an `ipywidgets.Image` (JPEG bytes), which ipywidgets 7 and 8 both render, in
    JupyterLab and in RISE, and which the static slide export saves with the widget state.
"""
import base64
import io
import time

import matplotlib

import numpy as np

# Okabe & Ito (2008): distinguishable under the common colour-vision deficiencies.
PALETTE = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "vermillion": "#D55E00",
    "sky": "#56B4E9",
    "purple": "#CC79A7",
    "yellow": "#F0E442",
    "black": "#000000",
}
CYCLE = [PALETTE[k] for k in ("blue", "orange", "green", "vermillion", "purple", "sky", "yellow", "black")]

COURSE_STYLE = {
    "figure.figsize": (7.0, 4.0),
    "figure.dpi": 80,  # widget frames are images pushed to the browser: small and fast, still readable on a slide
    "savefig.dpi": 80,
    "font.size": 13,  # large enough to read from the back of a lecture hall
    "axes.titlesize": 14,
    "axes.labelsize": 13,
    "legend.fontsize": 11,
    "axes.prop_cycle": matplotlib.cycler(color=CYCLE),
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "lines.linewidth": 2.0,
    "image.cmap": "viridis",
}


def use_course_style():
    """Apply the course style to matplotlib's global rcParams (idempotent)."""
    matplotlib.rcParams.update(COURSE_STYLE)


use_course_style()

def subplots(nrows=1, ncols=1, figsize=None, **kwargs):
    """A figure for a widget: `matplotlib.figure.Figure` on an Agg canvas, outside pyplot.

    Outside pyplot means no figure is ever left open in `plt`'s registry, however often a widget is
    built, and nothing is shown twice by the inline backend. Returns (fig, axes) like `plt.subplots`;
    extra keywords go to `Figure.subplots` (sharex, gridspec_kw, ...).
    ValueError/TypeError for grid sizes outside 1..10 or a figsize that is not two positive inches.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from .checks import require_array, require_int

    nrows, ncols = require_int(nrows, "nrows", low=1, high=10), require_int(ncols, "ncols", low=1, high=10)
    if figsize is None:
        figsize = COURSE_STYLE["figure.figsize"]
    w, h = require_array(figsize, "figsize", shape=(2,))
    if not (0 < w <= 30 and 0 < h <= 30):
        raise ValueError(f"figsize must be (width, height) in inches, each in (0, 30], got {(w, h)}")
    fig = Figure(figsize=(w, h), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, **kwargs)
    return fig, axes


WIDGETS = {}  # name -> factory: every LiveFigure subclass registered for tests and `make bench`


def register_widget(name):
    """Class decorator: record a LiveFigure subclass under `name` so the widget tests and bench find it."""
    def decorate(cls):
        if name in WIDGETS and WIDGETS[name] is not cls:
            raise ValueError(f"widget name {name!r} is registered twice")
        WIDGETS[name] = cls
        cls.widget_name = name
        return cls
    return decorate


class LiveFigure:
    """A matplotlib figure driven by ipywidgets controls, redrawn by blitting.

    Subclasses implement `build()` (create `self.fig` and its artists, once; pass every artist that
    `update` moves through `self.animate(...)`) and `update(**values)` (move those artists). `controls`
    maps each keyword of `update` to an ipywidgets control.

    A frame costs: restore the cached static background, draw the animated artists, encode a JPEG
    (about 7 + 1 ms for a three-panel figure on one core). If `update` changes something static
    (axis limits, tick labels), it calls `self.invalidate()` and the next frame is drawn in full.
    """

    widget_name = None
    frame_format = "jpeg"  # encodes ~7x faster than PNG (1 vs 7 ms a frame) at the same size; q90 keeps text crisp
    jpeg_quality = 90

    def __init__(self, controls):
        import ipywidgets as widgets  # imported here so the rest of course_utils works without a front end

        self.controls = dict(controls)
        self.fig = None
        self._animated = []
        self._background = None
        self.build()
        if self.fig is None:
            raise RuntimeError(f"{type(self).__name__}.build() must create self.fig")
        width = int(round(self.fig.get_figwidth() * self.fig.dpi))
        # Never upscale the frame (RISE stretches images to the slide width): native size, shrink to fit.
        self.image = widgets.Image(format=self.frame_format, layout=widgets.Layout(width=f"{width}px", max_width="100%"))
        self.update(**self.values())
        self.render()
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.widget = widgets.VBox([widgets.HBox(list(self.controls.values())), self.image])

    # -- to implement -------------------------------------------------------------------------
    def build(self):
        raise NotImplementedError

    def update(self, **values):
        raise NotImplementedError

    # -- plumbing -----------------------------------------------------------------------------
    def animate(self, *artists):
        """Mark artists that `update` moves: they are redrawn every frame over a cached background."""
        for a in artists:
            a.set_animated(True)
            self._animated.append(a)
        return artists[0] if len(artists) == 1 else artists

    def invalidate(self):
        """Forget the cached background (call after changing axis limits or other static parts)."""
        self._background = None

    def values(self):
        """The current value of every control, as keyword arguments for `update`."""
        return {name: c.value for name, c in self.controls.items()}

    def render(self):
        """Draw the frame (blitting the animated artists) and push the encoded bytes to the Image widget."""
        from PIL import Image

        canvas = self.fig.canvas
        if self._background is None:
            canvas.draw()  # static parts only: animated artists are skipped by a full draw
            self._background = canvas.copy_from_bbox(self.fig.bbox)
        else:
            canvas.restore_region(self._background)
        for a in self._animated:
            if a.get_visible():
                self.fig.draw_artist(a)
        frame = Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba()).convert("RGB")
        buf = io.BytesIO()
        frame.save(buf, format=self.frame_format, quality=self.jpeg_quality)
        self.image.value = buf.getvalue()
        return self.image.value

    def _on_change(self, change):
        self.update(**self.values())
        self.render()

    def close(self):
        """Close the controls, buttons and image (front end included) and let the figure go.

        ipywidgets keeps every widget until it is closed, and the controls' observers keep this object and
        its figure (several MB) alive: re-running a cell that builds a widget adds one each time. Idempotent.
        """
        if self.fig is None:
            return
        for control in self.controls.values():
            control.unobserve(self._on_change, names="value")
        stack = [self.widget]
        while stack:  # the VBox, its HBox of controls and buttons, the Image
            w = stack.pop()
            stack.extend(getattr(w, "children", ()))
            w.close()
        self.fig, self._animated, self._background = None, [], None

    def _ipython_display_(self):
        """Show the live widget; frontends without a widget manager (GitHub, nbviewer) get the picture."""
        from IPython.display import publish_display_data

        publish_display_data({
            "application/vnd.jupyter.widget-view+json": {
                "version_major": 2, "version_minor": 0, "model_id": self.widget.model_id},
            f"image/{self.frame_format}": base64.b64encode(self.image.value).decode("ascii"),
            "text/plain": f"<{type(self).__name__}: move the sliders in JupyterLab to update the figure>",
        })

    def time_moves(self, n=50, clock=time.perf_counter):
        """Simulate `n` control moves over each control's range; return seconds per move (update + render),
        by `clock` (wall time; `time.process_time` for this process's CPU time, blind to other processes)."""
        times = []
        for name, value in _move_plan(self.controls, n):
            t0 = clock()
            self.controls[name].value = value  # fires _on_change exactly as a browser drag does
            times.append(clock() - t0)
        return np.array(times)


def _move_plan(controls, n):
    """Yield (control name, value) pairs: n moves spread over the sliders, back and forth, plus dropdown changes."""
    names = list(controls)
    for k in range(n):
        name = names[k % len(names)]
        c = controls[name]
        if hasattr(c, "options") and c.options:
            opts = list(c.options)
            opt = opts[(k // len(names) + 1) % len(opts)]
            yield name, opt[1] if isinstance(opt, tuple) else opt
        elif hasattr(c, "min") and hasattr(c, "max"):
            frac = ((k * 0.37) % 1.0)
            v = c.min + frac * (c.max - c.min)
            if isinstance(c.value, (int, np.integer)) and not isinstance(c.value, bool):
                v = int(round(v))
            yield name, v


def all_widgets():
    """Import every course_utils module and return the registry {name: LiveFigure subclass}."""
    import importlib
    import pkgutil

    import course_utils

    for mod in pkgutil.iter_modules(course_utils.__path__):
        importlib.import_module(f"course_utils.{mod.name}")
    return dict(sorted(WIDGETS.items()))
