# tabletwin: the two commands are `make demo` and `make test`.
VENV    ?= .venv
PY      := $(VENV)/bin/python
UV      := $(VENV)/bin/uv
STAMP   := $(VENV)/.installed-stamp
PYTHON  ?= python3
DEMO_DB := data/demo_warehouse.duckdb

.PHONY: install demo test test-fast ui lock clean

# Create the virtualenv and install the locked dependencies (uv, from PyPI), then the project.
$(STAMP): requirements.lock pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check uv
	$(UV) pip install -q -p $(PY) -r requirements.lock
	$(UV) pip install -q -p $(PY) --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

# Build the demo bank warehouse and run every table's chain for today's partition.
demo: install
	$(VENV)/bin/tabletwin demo-warehouse $(DEMO_DB)
	$(VENV)/bin/tabletwin run

# Every test: tests/unit and tests/integration (CI runs this), on 2 processes (pytest-xdist).
# --dist loadgroup: tests marked @pytest.mark.xdist_group(name) run on one worker, one after another
# (those sharing a module-scoped run, or a resource that cannot be shared); the rest are spread.
test: install
	$(PY) -m pytest -q -n 2 --dist loadgroup

# The unit tier only (no Dagster run, no server, no browser), on 2 processes (pytest-xdist): the
# quick loop while editing.
test-fast: install
	$(PY) -m pytest -q -n 2 tests/unit -m "not (integration or postgres or celery or browser)"

# The Dagster UI on http://127.0.0.1:3000 (asset graph, checks, schedule, run history).
ui: install
	$(VENV)/bin/tabletwin ui

# Re-pin requirements.lock after changing pyproject.toml dependencies.
lock:
	$(UV) pip compile pyproject.toml --extra test -p 3.11 -o requirements.lock

clean:
	rm -rf data/storage data/reports data/dagster_home
