# The two commands of the README: `make test` and `make demo`. Both set up .venv themselves.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEMO_STAMP := $(VENV)/.demo-installed

.PHONY: test demo lint bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

test: $(STAMP)
	$(PY) -m pytest tests

$(DEMO_STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[demo]'
	touch $(DEMO_STAMP)

demo: $(DEMO_STAMP)
	$(PY) -m ember.cli train

lint: $(STAMP)
	$(PY) -m ruff check ember tests benchmarks examples

bench: $(STAMP)
	$(PY) benchmarks/bench_core.py
	$(PY) benchmarks/bench_nn.py
	$(PY) benchmarks/bench_vision.py
	$(PY) benchmarks/bench_optim.py
	$(PY) benchmarks/bench_data.py
	$(PY) benchmarks/bench_vision_data.py

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
