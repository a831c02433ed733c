# `make demo` and `make test` work on a fresh clone: they create .venv, install, then run.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.posekit-installed
DEMO_OUT ?= demo_out
DEMO_IMAGE ?= data/mmpose_tests/coco/000000000785.jpg
# BlazePose's weights ship inside this wheel (Apache-2.0); posekit reads them from it, offline.
WHEELS := wheels
MP_STAMP := $(WHEELS)/.mediapipe-0.10.14
# MediaPipe's own runtime, the reference the BlazePose tests compare against (needs numpy<2).
REF := .venv-ref
REF_STAMP := $(REF)/.posekit-reference

.PHONY: setup reference demo test test-slow bench clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[dev]'
	touch $(STAMP)

$(MP_STAMP):
	$(PYTHON) -m pip download -q mediapipe==0.10.14 --no-deps --only-binary=:all: --python-version 3.11 \
		--implementation cp --platform manylinux_2_17_x86_64 -d $(WHEELS)
	touch $(MP_STAMP)

$(REF_STAMP):
	test -x $(REF)/bin/python || $(PYTHON) -m venv $(REF)
	$(REF)/bin/python -m pip install -q mediapipe==0.10.14 'numpy<2'
	touch $(REF_STAMP)

setup: $(STAMP) $(MP_STAMP)

reference: $(REF_STAMP)

demo: setup
	$(BIN)/posekit infer $(DEMO_IMAGE) --out $(DEMO_OUT)
	@echo "keypoints: $(DEMO_OUT)/results.json   overlay: $(DEMO_OUT)/overlays/"

# two pytest-xdist workers, a test file each at a time (the CI machine has 2 cores; 1: one process)
TEST_WORKERS ?= 2
test: setup reference
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile

test-slow: setup reference
	$(BIN)/python -m pytest -q -m slow

bench: setup
	$(BIN)/python bench/eval_speed.py

clean:
	rm -rf $(VENV) $(REF) $(DEMO_OUT) build *.egg-info
