# Two commands do everything on a fresh machine:
#   make manuscript   build the example manuscript (HTML, PDF, DOCX) -- the default target
#   make test         run the test suite
# Both create and fill .venv when needed, and install the few Debian packages that
# weasyprint needs (Pango, fonts) when they are missing and we run as root.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# The setup (Debian packages, .venv) lives in tools/setup_env.py, which Quarto's pre-render step
# runs too; tools/setup.sh finds a Python >= 3.11 for it ($(PYTHON) first).
SETUP  := PYTHON=$(PYTHON) sh tools/setup.sh

.DEFAULT_GOAL := manuscript
.PHONY: manuscript test lint check benchmark sysdeps clean

manuscript: $(STAMP)
	$(PY) -m analysis build
	$(PY) -m analysis render

test: $(STAMP)
	$(PY) -m pytest

lint: $(STAMP)
	$(PY) -m ruff check analysis tests benchmarks tools
	$(PY) -m ruff format --check analysis tests benchmarks tools

check: $(STAMP)
	$(PY) -m analysis check

benchmark: $(STAMP)
	$(PY) benchmarks/bench_reml.py
	$(PY) benchmarks/bench_incremental.py

$(STAMP): pyproject.toml | sysdeps
	@$(SETUP) venv

sysdeps:
	@$(SETUP) sysdeps

clean:
	rm -rf $(VENV) _output .pytest_cache .ruff_cache
