# Two commands do everything on a fresh Debian machine (as root, or with the Debian packages present):
#   make run    set up, then serve on http://127.0.0.1:8080
#   make test   set up, then ruff and the whole suite on SQLite and PostgreSQL
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Fonts for the certificate; Pango and HarfBuzz's subsetter for WeasyPrint (without it a PDF takes seconds);
# for the tests poppler-utils (pdftotext, pdftoppm, pdfsig), zbar (libzbar0, for pyzbar) and the chromium that
# Playwright drives.
DEBIAN_PACKAGES := fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 poppler-utils libzbar0 chromium

.PHONY: run test bench setup debian-packages lint clean

setup: $(VENV)/.installed .env debian-packages

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Python 3.11 or newer is needed (found $$($(PYTHON) --version))"; exit 1; }
	$(PYTHON) -m venv $(VENV) || { [ "$$(id -u)" = 0 ] && apt-get update -qq && \
		apt-get install -y -qq python3-venv && $(PYTHON) -m venv $(VENV); }
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

.env:
	cp .env.example .env

debian-packages:
	@missing=$$(for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "Installing Debian packages: $$missing"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
		else \
			echo "Missing Debian packages (install as root): apt-get install $$missing"; \
		fi; \
	fi

run: setup
	$(BIN)/jxjy keys init
	$(BIN)/jxjy db migrate
	$(BIN)/jxjy demo load
	$(BIN)/jxjy serve --host 127.0.0.1 --port 8080

lint: setup
	$(BIN)/ruff check .

test: lint
	$(BIN)/python -m pytest

bench: setup
	$(BIN)/python bench/webhook.py
	$(BIN)/python bench/certificate.py
	$(BIN)/python bench/uploads.py

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
