# Neural Architecture Design course. Two commands matter: `make lab` and `make test`.
# Each creates .venv when missing and (re)installs the course when pyproject.toml changed.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell sha256sum pyproject.toml | cut -c1-16)
PIP_QUIET := --quiet --disable-pip-version-check
JOBS ?= 2

.PHONY: venv lab test test-notebook bench clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "Installing the course into $(VENV) (torch==2.13.0, ipywidgets==7.8.5, jupyterlab-rise==0.43.1, ...)"
	@$(BIN)/python -m pip install $(PIP_QUIET) -e '.[test]' 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
	@rm -f $(VENV)/.installed-*
	@touch $@

## Open the course in JupyterLab (127.0.0.1 only, token authentication).
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)  # containers and Binder-like images run as root
lab: venv
	$(BIN)/jupyter lab --ip=127.0.0.1 --ServerApp.root_dir=$(CURDIR) $(ALLOW_ROOT)

## Execute every notebook (nbval) and run the unit tests, offline (tests/offline/sitecustomize.py).
# One BLAS/torch thread per process: the notebooks run $(JOBS) at a time, one per core.
OFFLINE := COURSE_OFFLINE=1 PYTHONPATH=$(CURDIR)/tests/offline OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
test: venv
	$(OFFLINE) $(BIN)/python -m pytest -n $(JOBS) --dist loadfile --no-loadscope-reorder --nbval-lax --nbval-current-env $(PYTEST_ARGS)

## One notebook: make test-notebook NB=lectures/01_neurons.ipynb
test-notebook: venv
	$(OFFLINE) $(BIN)/python -m pytest --nbval-lax --nbval-current-env $(NB)

## Wall time per notebook (kernel start included) and widget update latency.
bench: venv
	$(BIN)/python tools/bench.py

clean:
	rm -rf build .pytest_cache .hypothesis

# Targets of the homework (nbgrader) and of the slides live beside what they build.
-include homework/homework.mk tools/slides.mk
