# Two commands do everything on a fresh Debian machine (as root, or with the Debian packages present):
#   make run    set up, then serve on http://127.0.0.1:8080 (make run PORT=9000: on that port, links too)
#   make test   set up, then ruff and the whole suite on SQLite and PostgreSQL
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8080
# Quiet set-up: as root pip would warn about it at every install, and offer its own upgrade.
PIP := PIP_ROOT_USER_ACTION=ignore PIP_DISABLE_PIP_VERSION_CHECK=1 $(BIN)/pip
# Fonts for the certificate; Pango and HarfBuzz's subsetter for WeasyPrint (without it a PDF takes seconds);
# for the tests poppler-utils (pdftotext, pdftoppm, pdfsig), zbar (libzbar0, for pyzbar) and the chromium that
# Playwright drives.
DEBIAN_PACKAGES := fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 poppler-utils libzbar0 chromium

.PHONY: run test bench bench-scale setup debian-packages lint clean

setup: $(VENV)/.installed .env debian-packages

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Python 3.11 or newer is needed (found $$($(PYTHON) --version))"; exit 1; }
	$(PYTHON) -m venv $(VENV) || { [ "$$(id -u)" = 0 ] && apt-get update -qq && \
		apt-get install -y -qq python3-venv && $(PYTHON) -m venv $(VENV); }
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e ".[dev]"
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
	@# Links in replies point where the service listens, unless PUBLIC_URL is set (a tunnel's https address, say).
	PUBLIC_URL="$${PUBLIC_URL:-http://127.0.0.1:$(PORT)}" $(BIN)/jxjy serve --host 127.0.0.1 --port $(PORT)

lint: setup
	$(BIN)/ruff check .

test: lint
	$(BIN)/python -m pytest

bench: setup
	$(BIN)/python bench/webhook.py
	$(BIN)/python bench/certificate.py
	$(BIN)/python bench/uploads.py

# Not part of `make bench` nor of the tests: it needs the local PostgreSQL (trust auth) and, at the default
# 1,000,000 people, a quarter of an hour or more. `make bench-scale PEOPLE=200000` for a smaller province.
PEOPLE ?= 1000000
bench-scale: setup
	PYTHONPATH=. $(BIN)/python bench/scale.py --people $(PEOPLE)

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
