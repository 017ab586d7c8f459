# The two commands of the README: `make run` and `make test`. Everything else is theirs.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
INDEX  ?= index
EXAMPLES := examples/articles

.PHONY: setup run test lint clean

$(BIN)/news-search: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

setup: $(BIN)/news-search

## Build the index from the example articles if there is none, then search it.
run: setup
	@test -L $(INDEX)/current || $(BIN)/news-search index build $(EXAMPLES) --index $(INDEX)
	$(BIN)/news-search index stats --index $(INDEX)
	$(BIN)/news-search query "$(or $(Q),taliban)" --index $(INDEX)

lint: setup
	$(BIN)/ruff check search tests bench
	$(BIN)/ruff format --check search tests bench
	$(BIN)/mypy

## Lint, type-check and run every test.
test: lint
	$(BIN)/pytest -ra

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info
