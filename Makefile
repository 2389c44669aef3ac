# Two commands do everything on a fresh machine:
#   make manuscript   build the example manuscript (HTML, PDF, DOCX) -- the default target
#   make test         run the test suite
# Both create and fill .venv when needed, and install the few Debian packages that
# weasyprint needs (Pango, fonts) when they are missing and we run as root.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# Debian packages the renderer needs at run time: Pango for weasyprint, one font family for
# text and figures (DejaVu), fontconfig to find it.
DEB_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fontconfig fonts-dejavu-core fonts-dejavu-extra

.DEFAULT_GOAL := manuscript
.PHONY: manuscript test lint check benchmark sysdeps clean

manuscript: $(STAMP)
	$(PY) -m analysis build
	$(PY) -m analysis render

test: $(STAMP)
	$(PY) -m pytest

lint: $(STAMP)
	$(PY) -m ruff check analysis tests benchmarks
	$(PY) -m ruff format --check analysis tests benchmarks

check: $(STAMP)
	$(PY) -m analysis check

benchmark: $(STAMP)
	$(PY) benchmarks/bench_reml.py
	$(PY) benchmarks/bench_incremental.py

$(STAMP): pyproject.toml | sysdeps
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

sysdeps:
	@command -v dpkg-query >/dev/null || { echo "Not a Debian system: install Pango and a font family for weasyprint yourself (see README)"; exit 0; }; \
	missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	  else \
	    echo "Missing Debian packages:$$missing -- install them with: sudo apt-get install$$missing" >&2; exit 1; \
	  fi; \
	fi

clean:
	rm -rf $(VENV) _output .pytest_cache .ruff_cache
