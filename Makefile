# One task runner for people and CI. `make run` and `make test` set everything up on a fresh machine.
PYTHON ?= python3.11
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: setup run test test-fast evals bench lint fmt browser clean

$(STAMP): pyproject.toml requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet pip==26.3
	# llama-cpp-python builds from source the first time (~4 min on two cores); pip caches the wheel.
	$(PY) -m pip install --progress-bar off -c requirements.lock -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)  ## create .venv and install pinned dependencies

run: setup  ## ingest the corpus and start the web UI on http://127.0.0.1:7860
	$(VENV)/bin/assistant serve

browser:  ## Debian's Chromium for the browser test (Playwright's own download is not reachable here)
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }

test: setup browser  ## unit + integration tests, then the eval suite with its committed thresholds
	$(PY) -m pytest tests evals

test-fast: setup  ## tests that load no model, open no Chroma and start no server (~20 s); the rest are marked slow
	$(PY) -m pytest tests -m "not slow"

evals: setup  ## the eval suite alone, with a report under .data/eval-report
	$(PY) -m pytest evals

bench: setup  ## benchmarks; each writes JSON under bench/results/
	$(PY) -m bench

lint: setup
	$(VENV)/bin/ruff check assistant tests evals bench
	$(VENV)/bin/ruff format --check assistant tests evals bench

fmt: setup
	$(VENV)/bin/ruff format assistant tests evals bench

clean:
	rm -rf .data test-artifacts
