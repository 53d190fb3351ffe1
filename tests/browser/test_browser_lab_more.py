"""The second half of the JupyterLab slider tests (test_browser_lab.py), in a file of its own so that
`--dist loadfile` can give the halves to different workers when that balances the run (conftest.py orders them).
"""
import pytest

from browser_helpers import deck_id, decks
from test_browser_lab import lab_slider_case


@pytest.mark.parametrize("notebook", decks()[1::2], ids=deck_id)
def test_slider_drives_the_plot_in_jupyterlab(notebook, lab, lab_page, artifacts):
    lab_slider_case(notebook, lab, lab_page, artifacts)
