# `make demo` and `make test` work on a fresh clone: they create .venv, install, then run.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.posekit-installed
DEMO_OUT ?= demo_out

.PHONY: setup demo test test-slow bench clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

demo: setup
	$(BIN)/posekit eval --gt ../shared/data/coco_mini/annotations/person_keypoints_val2017.json \
		--results demo/coco_mini_val2017_results.json --metric coco pck --json $(DEMO_OUT)/metrics.json

test: setup
	$(BIN)/python -m pytest -q

test-slow: setup
	$(BIN)/python -m pytest -q -m slow

bench: setup
	$(BIN)/python bench/eval_speed.py

clean:
	rm -rf $(VENV) $(DEMO_OUT) build *.egg-info
