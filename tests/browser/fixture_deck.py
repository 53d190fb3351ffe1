"""A two-slide deck with one slider widget, written at test time (never committed as .ipynb, so nbval
does not collect it). It stands in for the lectures while none exist, and is the RISE control deck.
"""
import nbformat

CELLS = [
    ("markdown", "slide", "# Fixture deck\n\nOne slider, one picture."),
    ("code", "skip", "import ipywidgets as widgets\nimport numpy as np\n"
                     "from course_utils.plotting import LiveFigure, subplots"),
    ("markdown", "slide", "## A line whose slope you drag"),
    ("code", "-", '''class SlopeWidget(LiveFigure):
    def __init__(self):
        super().__init__({"alpha": widgets.FloatSlider(value=1.0, min=0.0, max=3.0, step=0.1, description="α")})

    def build(self):
        self.fig, ax = subplots()
        self.x = np.linspace(0, 1, 50)
        ax.set_ylim(0, 3)
        (self.line,) = ax.plot(self.x, self.x)
        self.animate(self.line)

    def update(self, alpha):
        self.line.set_ydata(alpha * self.x)


SlopeWidget()'''),
    ("markdown", "subslide", "## A subslide\n\nWith speaker notes."),
    ("markdown", "notes", "Speaker notes."),
    ("markdown", "fragment", "- a fragment"),
]


def write_fixture_deck(path):
    nb = nbformat.v4.new_notebook()
    for i, (kind, slide, src) in enumerate(CELLS):
        cell = nbformat.v4.new_markdown_cell(src) if kind == "markdown" else nbformat.v4.new_code_cell(src)
        cell.metadata = {"slideshow": {"slide_type": slide}}
        cell.id = f"cell-{i:03d}"
        nb.cells.append(cell)
    nb.metadata = {"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
                   "language_info": {"name": "python"}, "rise": {"scroll": True, "width": 1280, "height": 800}}
    nbformat.write(nb, path)
    return path
