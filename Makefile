# `make demo` and `make test` each create or refresh .venv first, so they work on a fresh machine.
PYTHON ?= python3.11
VENV := .venv
VENV_PYTHON := $(VENV)/bin/python
STAMP := $(VENV)/.requirements-installed

.PHONY: demo test test-fast bench build clean

$(STAMP): requirements.txt
	test -x $(VENV_PYTHON) || $(PYTHON) -m venv $(VENV)
	$(VENV_PYTHON) -m pip install --quiet --upgrade pip
	$(VENV_PYTHON) -m pip install --quiet -r requirements.txt
	touch $(STAMP)

demo: $(STAMP)
	mkdir -p out
	$(VENV_PYTHON) -m portrait3d_blender make examples/grace_hopper.jpg -o out/grace_hopper_3d.mp4 \
		--width 512 --samples 8 --blend out/grace_hopper_3d.blend --overwrite

test: $(STAMP)
	$(VENV_PYTHON) -m pytest

test-fast: $(STAMP)
	$(VENV_PYTHON) -m pytest -m "not slow"

bench: $(STAMP)
	$(VENV_PYTHON) bench/bench_pipeline.py
	$(VENV_PYTHON) bench/bench_refine.py

build: $(STAMP)
	$(VENV_PYTHON) build.py

clean:
	rm -rf build dist out .pytest_cache
