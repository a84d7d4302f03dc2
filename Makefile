# The two commands of the README: `make test` and `make demo`. Both set up .venv themselves.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: test demo lint bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

test: $(STAMP)
	$(PY) -m pytest tests

demo: $(STAMP)
	$(PY) examples/two_layer_net.py

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
