# Tandem: `make run` serves the demo, `make test` runs every test.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
export FLASK_APP := app.py

.PHONY: run test test-fast bench worker migrate clean reset-demo

$(VENV)/.installed-run: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed-run
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

## run: install, migrate, load demo data, serve on http://127.0.0.1:5000
run: $(VENV)/.installed-run
	$(BIN)/flask db upgrade
	$(BIN)/flask seed-demo
	$(BIN)/flask run --host 127.0.0.1 --port 5000

## reset-demo: empty the database (any DATABASE_URL), load the demo data again, forget saved emails
reset-demo: $(VENV)/.installed-run
	$(BIN)/flask db downgrade base
	$(BIN)/flask db upgrade
	$(BIN)/flask seed-demo
	rm -rf instance/mail

## test: install what the tests need (Chromium included) and run the whole suite
test: $(VENV)/.installed-test
	scripts/ensure-chromium
	$(BIN)/pytest $(PYTEST_ARGS)

## test-fast: unit tests only
test-fast: $(VENV)/.installed-test
	$(BIN)/pytest tests/unit -q

## bench: benchmarks (not part of the test suite)
bench: $(VENV)/.installed-test
	$(BIN)/python -m bench

worker: $(VENV)/.installed-run
	$(BIN)/flask worker

migrate: $(VENV)/.installed-run
	$(BIN)/flask db upgrade

clean:
	rm -rf $(VENV) instance .pytest_cache
