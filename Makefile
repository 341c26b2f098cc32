# cobranca-kit: two commands do all the set-up (make run, make test).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.instalado

.PHONY: run test lint lab app bench clean venv capturas treinar

venv: $(STAMP)

# Reinstall only when the dependency list changes (a warm venv is reused).
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	cd exemplo && ../$(BIN)/cobranca-kit demo

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest tests notebooks --nbval-lax

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

lab: $(STAMP)
	COBRANCA_CONFIG=$(CURDIR)/exemplo/cobranca.toml $(BIN)/jupyter lab --ServerApp.root_dir=$(CURDIR) notebooks/01_bancada.ipynb

app: $(STAMP)
	cd exemplo && COBRANCA_CONFIG=$(CURDIR)/exemplo/cobranca.toml ../$(BIN)/voila ../notebooks/01_bancada.ipynb

# README screenshots (docs/img/*.png) of the app, on a throw-away copy of exemplo/.
capturas: $(STAMP)
	$(BIN)/python scripts/capturas.py

bench: $(STAMP)
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

# Retrain the checker's classifier from the development corpus (deterministic: same corpus, same file).
treinar: $(STAMP)
	$(BIN)/python -m cobranca_kit.compliance.training

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache exemplo/runs exemplo/biblioteca exemplo/*.sqlite exemplo/.cache
