# The two commands of the README: `make run` and `make test`. Everything else is theirs.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
INDEX  ?= index
PORT   ?= 8000
EXAMPLES := examples/articles

.PHONY: setup test-setup index run test lint chromium nginx clean

## Serving needs the package and its dependencies only; the tests and benchmarks add
## their extras (pytest, Playwright, Schemathesis, ruff, mypy, the peer engines).
$(BIN)/news-search: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.test-extras: $(BIN)/news-search
	$(BIN)/pip install --quiet -e '.[test,bench]'
	touch $@

setup: $(BIN)/news-search

test-setup: $(VENV)/.test-extras

## The index: built from the example articles if there is none yet.
index: setup
	@test -L $(INDEX)/current || $(BIN)/news-search index build $(EXAMPLES) --index $(INDEX)

## Serve the search page and the API on http://127.0.0.1:$(PORT)/ (gunicorn).
run: index
	$(BIN)/news-search serve --index $(INDEX) --port $(PORT)

## Debian's Chromium for the browser tests (installed when we are root, as in CI).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "chromium is not installed (sudo apt-get install chromium): browser tests will skip"; \
	  fi; }

## Debian's nginx for the reverse-proxy test (tests/test_nginx.py), installed as chromium is.
nginx:
	@command -v nginx >/dev/null 2>&1 || test -x /usr/sbin/nginx || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null; \
	  else \
	    echo "nginx is not installed (sudo apt-get install nginx): the nginx test will skip"; \
	  fi; }

lint: test-setup
	$(BIN)/ruff check search web tests bench
	$(BIN)/ruff format --check search web tests bench
	$(BIN)/mypy

## Lint, type-check and run every test (engine, CLI, web, live server, browser).
test: lint chromium nginx
	$(BIN)/pytest -ra

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info test-artifacts
