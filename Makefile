# `make demo` and `make test` each create or refresh .venv first, so they work on a fresh machine.
PYTHON ?= python3.11
# Blender 5.1+ embeds Python 3.13: pyenv's, else whatever python3.13 is on PATH.
PYTHON313 ?= $(or $(firstword $(wildcard $(HOME)/.pyenv/versions/3.13*/bin/python3.13)),python3.13)
VENV := .venv
VENV_PYTHON := $(VENV)/bin/python
STAMP := $(VENV)/.requirements-installed

# One venv per Blender the install test runs in (tests/test_install.py): bpy with the numpy that Blender
# release bundles, and nothing else but bpy's own dependencies (what Blender ships in its Python).
BLENDER_STAMPS := .venv-bpy42/.installed .venv-bpy45/.installed .venv-bpy50/.installed .venv-bpy52/.installed

.PHONY: demo test test-fast bench build blenders clean FORCE

$(STAMP): requirements.txt
	test -x $(VENV_PYTHON) || $(PYTHON) -m venv $(VENV)
	$(VENV_PYTHON) -m pip install --quiet --upgrade pip
	$(VENV_PYTHON) -m pip install --quiet -r requirements.txt
	touch $(STAMP)

demo: $(STAMP)
	mkdir -p out
	$(VENV_PYTHON) -m portrait3d_blender make examples/grace_hopper.jpg -o out/grace_hopper_3d.mp4 \
		--width 512 --samples 8 --blend out/grace_hopper_3d.blend --overwrite

# Each as `.venv-bpyNN`: the Python that Blender release embeds, and the bpy and numpy it pins.
BLENDER_PYTHON_42 := $(PYTHON)
BLENDER_PINS_42 := bpy==4.2.23 numpy==1.26.4
BLENDER_PYTHON_45 := $(PYTHON)
BLENDER_PINS_45 := bpy==4.5.15 numpy==1.26.4
BLENDER_PYTHON_50 := $(PYTHON)
BLENDER_PINS_50 := bpy==5.0.1 numpy==1.26.4
BLENDER_PYTHON_52 := $(PYTHON313)
BLENDER_PINS_52 := bpy==5.2.3 numpy==2.3.5

BLENDER_SPEC = $(BLENDER_PYTHON_$*) $(BLENDER_PINS_$*)

# A venv's `.pins` holds its Python and pins; it is rewritten, and so newer than `.installed`, only when they
# change, which rebuilds that venv. (`venv --clear` empties the folder: the recipe writes `.pins` again.)
.venv-bpy%/.pins: FORCE
	@mkdir -p $(@D)
	@echo '$(BLENDER_SPEC)' | cmp -s - $@ || echo '$(BLENDER_SPEC)' > $@

.venv-bpy%/.installed: .venv-bpy%/.pins
	$(BLENDER_PYTHON_$*) -m venv --clear .venv-bpy$*
	.venv-bpy$*/bin/python -m pip install --quiet $(BLENDER_PINS_$*)
	.venv-bpy$*/bin/python -m pip uninstall --quiet --yes setuptools  # not in Blender's Python (3.13 venvs have none)
	echo '$(BLENDER_SPEC)' > .venv-bpy$*/.pins
	touch $@

.SECONDARY: $(BLENDER_STAMPS:.installed=.pins)

blenders: $(BLENDER_STAMPS)

test: $(STAMP) $(BLENDER_STAMPS)
	P3D_REQUIRE_BLENDERS=1 $(VENV_PYTHON) -m pytest

test-fast: $(STAMP)
	$(VENV_PYTHON) -m pytest -m "not slow"

bench: $(STAMP)
	$(VENV_PYTHON) bench/bench_pipeline.py
	$(VENV_PYTHON) bench/bench_refine.py

build: $(STAMP)
	$(VENV_PYTHON) build.py

clean:
	rm -rf build dist out .pytest_cache
