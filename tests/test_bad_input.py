"""Bad input never gets a traceback from deep inside NumPy/torch: property-based, over every public function.

For each public function of course_utils (every module), hypothesis draws arguments from a deliberately
hostile mix (None, strings, bools, NaN/inf, negative and huge sizes, empty and wrongly shaped arrays,
tensors) and calls it. Allowed outcomes: a result, or a ValueError/TypeError raised by course_utils' own
code whose message names one of the function's parameters. Anything else (IndexError, ZeroDivisionError,
AttributeError, LinAlgError, a torch RuntimeError from a kernel, a hang) fails.
"""
import importlib
import inspect
import os
import pkgutil
import re
import traceback

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import course_utils

EXAMPLES = int(os.environ.get("COURSE_HYPOTHESIS_EXAMPLES", "40"))
# check() raises AssertionError by design (it is the notebooks' assert); the require_* validators are the
# tool that gives every other function its clear errors, tested on their own in tests/test_checks.py.
SKIP = {"check", "require_array", "require_int", "require_real", "require_choice", "require_int_sequence",
        "require_float_dtype", "require_bool", "require_labels"}
NOT_ARGUMENTS = {"self", "cls"}


def public_functions():
    found = {}
    for mod in pkgutil.iter_modules(course_utils.__path__):
        module = importlib.import_module(f"course_utils.{mod.name}")
        for name, obj in vars(module).items():
            if (inspect.isfunction(obj) and obj.__module__ == module.__name__ and not name.startswith("_")
                    and name not in SKIP):
                found[f"{mod.name}.{name}"] = obj
    return dict(sorted(found.items()))


FUNCTIONS = public_functions()

small_ints = st.integers(min_value=-3, max_value=12)
floats = st.sampled_from([0.0, -1.0, 1.0, 0.5, 2.5, float("nan"), float("inf"), -float("inf"), 1e308, -1e-300])
shapes = st.lists(st.integers(min_value=0, max_value=4), min_size=0, max_size=3).map(tuple)
arrays = st.builds(lambda s, fill: np.full(s, fill), shapes, floats)
hostile = st.one_of(
    st.none(), st.booleans(), small_ints, floats, st.text(max_size=5), arrays,
    arrays.map(lambda a: torch.as_tensor(a)), st.lists(small_ints, max_size=4),
    st.just([[1.0, 2.0], [3.0]]), st.just(object()),
)


PACKAGE = os.path.dirname(course_utils.__file__)


def raised_by_course_utils(err):
    """True when the error was raised by course_utils' own code (a check), not deep inside NumPy/torch/SciPy."""
    return os.path.dirname(traceback.extract_tb(err.__traceback__)[-1].filename) == PACKAGE


def messages_name_an_argument(fn, err):
    params = [p for p in inspect.signature(fn).parameters if p not in NOT_ARGUMENTS]
    return any(re.search(rf"\b{re.escape(p)}\b", str(err)) for p in params)


@pytest.mark.parametrize("qualname", list(FUNCTIONS))
def test_hostile_arguments_get_clear_errors(qualname):
    fn = FUNCTIONS[qualname]
    params = [p for p in inspect.signature(fn).parameters.values()
              if p.name not in NOT_ARGUMENTS and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    if not params:
        pytest.skip(f"{qualname} takes no arguments")

    @settings(max_examples=EXAMPLES, deadline=2000, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(st.fixed_dictionaries({p.name: hostile for p in params if p.default is inspect.Parameter.empty},
                                 optional={p.name: hostile for p in params if p.default is not inspect.Parameter.empty}))
    def run(kwargs):
        try:
            fn(**kwargs)
        except (ValueError, TypeError) as err:
            assert raised_by_course_utils(err) and messages_name_an_argument(fn, err), \
                f"{qualname}({kwargs!r}) raised an unclear {type(err).__name__}: {err}"

    run()
