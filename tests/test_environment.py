"""environment.yml (conda/Binder) and pyproject.toml (pip/make) describe the same environment."""
import re
import tomllib

import yaml

from notebooks import ROOT


def _name_and_spec(req):
    m = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", req)
    return m.group(1).lower().replace("_", "-"), m.group(2).replace(" ", "")


def pyproject_requirements():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = project["dependencies"] + project["optional-dependencies"]["test"]
    return dict(_name_and_spec(r) for r in reqs)


def environment_requirements():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    reqs = [r.split("#")[0] for r in pip if not r.startswith("-")]
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    assert any(d.startswith("python=3.11") for d in conda), "environment.yml must pin python=3.11"
    assert "-e ." in pip, "environment.yml must install the course package itself (-e .)"
    return dict(_name_and_spec(r) for r in reqs)


def test_same_packages_and_specifiers():
    py, env = pyproject_requirements(), environment_requirements()
    assert set(py) == set(env), f"only in pyproject: {set(py) - set(env)}; only in environment.yml: {set(env) - set(py)}"
    differ = {k: (py[k], env[k]) for k in py if py[k] != env[k]}
    assert not differ, f"specifiers differ (pyproject, environment.yml): {differ}"


def test_the_pins_the_course_relies_on():
    py = pyproject_requirements()
    assert py["torch"] == "==2.13.0"
    assert py["ipywidgets"] == "==7.8.5" and py["jupyterlab-rise"] == "==0.43.1"


def test_installed_versions_match_the_pins():
    from importlib.metadata import version

    assert version("torch").split("+")[0] == "2.13.0"
    assert version("ipywidgets") == "7.8.5"
    assert version("jupyterlab-rise") == "0.43.1"
