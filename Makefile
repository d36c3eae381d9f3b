# The two commands of the README's quick start. Both create (or reuse) the project virtualenv in .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test test-fast lint clean

$(BIN)/opengap: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

demo: $(BIN)/opengap
	$(BIN)/opengap run --offline

# Two pytest workers (pytest-xdist), one per core: the suite is CPU-bound (Great Expectations, pandas), so the
# wall time nearly halves; each worker starts its own Prefect test harness.
# The oldest DuckDB the README promises opens the catalog (BI drivers bundle DuckDB 1.x): a test checks it with this.
OLD_DUCKDB := .venv-duckdb1/bin/python
$(OLD_DUCKDB):
	$(PYTHON) -m venv .venv-duckdb1
	.venv-duckdb1/bin/python -m pip install --quiet duckdb==1.1.3

test: $(BIN)/opengap $(OLD_DUCKDB)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n 2

test-fast: $(BIN)/opengap  # the inner loop: everything but the tests that run a Prefect flow
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n 2 -m "not flow"

.PHONY: fuzz
fuzz: $(BIN)/opengap  # the parser fuzz with thousands of mutations per parser (a few hundred in `make test`)
	OPENGAP_FUZZ_N=3000 $(BIN)/python -m pytest tests/test_fuzz.py -q

lint: $(BIN)/opengap
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) .venv-duckdb1 data .pytest_cache
