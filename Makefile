# Two commands do all the set-up on a fresh Debian machine with Python 3.11+:
#   make run   install, migrate, load the demo content, serve http://127.0.0.1:5000 with a job consumer
#   make test  install (with test extras, Debian's chromium and nginx) and run every test
#   make lint  install, then ruff and mypy (configured in pyproject.toml); CI runs it before the tests
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_INSTALL := $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends

.PHONY: install run test lint bench system-packages chromium nginx fonts clean

# python3-venv is a separate Debian package; install it only when venv/ensurepip are missing.
system-packages:
	@$(PYTHON) -c "import venv, ensurepip" 2>/dev/null || { $(SUDO) apt-get update -q && $(APT_INSTALL) python3-venv; }

$(VENV)/.installed: pyproject.toml | system-packages
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test,lint]'
	touch $@

install: $(VENV)/.installed

# Browser tests drive Debian's chromium through Playwright (never a downloaded browser).
chromium:
	@command -v chromium >/dev/null 2>&1 || { $(SUDO) apt-get update -q && $(APT_INSTALL) chromium; }

# Certificate PDFs embed Debian's fonts so names in any script print (coursesite/certificates/pdf.py): DejaVu (Latin,
# Greek, Cyrillic), Amiri (Arabic, 2.6 MB) and Droid Sans Fallback (Chinese, Japanese, Korean, 7 MB).
CERTIFICATE_FONTS := /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf \
	/usr/share/fonts/opentype/fonts-hosny-amiri/Amiri-Regular.ttf /usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf
fonts:
	@for font in $(CERTIFICATE_FONTS); do [ -e $$font ] || missing=1; done; [ -z "$$missing" ] || \
		{ $(SUDO) apt-get update -q && $(APT_INSTALL) fonts-dejavu-core fonts-hosny-amiri fonts-droid-fallback; }

# A job consumer (mail, scheduled jobs) runs beside the development server; both stop together (Ctrl-C).
run: install fonts
	$(FLASK) db upgrade
	$(FLASK) demo load
	$(FLASK) jobs work --workers 2 & consumer=$$!; \
	trap 'kill $$consumer 2>/dev/null; wait $$consumer' EXIT; trap 'exit 130' INT TERM; \
	$(FLASK) run --host 127.0.0.1 --port 5000

# The deployment test (tests/deploy/) runs Debian's nginx, with its brotli module, on loopback as the current user,
# with a certificate made by openssl (not in a minimal Debian image).
nginx:
	@[ -x /usr/sbin/nginx ] && [ -e /usr/share/nginx/modules-available/mod-http-brotli-filter.conf ] && \
		command -v openssl >/dev/null 2>&1 || \
		{ $(SUDO) apt-get update -q && $(APT_INSTALL) nginx libnginx-mod-http-brotli-filter openssl; }

test: install chromium nginx fonts
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: install fonts
	$(BIN)/pip install -q -e '.[bench]'
	@command -v wrk >/dev/null 2>&1 || { $(SUDO) apt-get update -q && $(APT_INSTALL) wrk; }
	$(BIN)/python bench/pages.py
	$(BIN)/python bench/lecture.py
	$(BIN)/python bench/jobs.py
	$(BIN)/python bench/registration.py
	$(BIN)/python bench/search.py  # and on PostgreSQL too when BENCH_POSTGRES_URL is set
	$(BIN)/python bench/progress.py
	$(BIN)/python bench/certificate_pdf.py
	$(BIN)/python bench/quiz_storm.py

clean:
	rm -rf $(VENV) instance .pytest_cache
