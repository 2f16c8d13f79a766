# The two commands: `make run` (the call centre with its demo configuration) and `make test`.
SHELL := /bin/bash
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test setup system asterisk console lint typecheck pytest bench clean

run: setup
	bash scripts/ensure-services.sh redis
	CC_DEMO=true CC_SEED_EXPERTS_CSV=config/demo-experts.csv CC_SEED_ROSTER_CSV=config/demo-roster.csv \
		CC_SEED_UNITS_CSV=config/demo-units.csv \
		$(BIN)/callcenter run --with-asterisk

test: setup
	bash scripts/ensure-services.sh redis postgres
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/pytest
	@# The wall-clock guard: the time-sensitive tests again with the machine's clock 12 hours on. The
	@# hotline is open 12 hours a day: of the two runs one is in an open hour and one in a closed one,
	@# so a test that reads the real hour fails whenever it runs.
	bash scripts/at-hour.sh +12h $(BIN)/pytest -q -m any_hour

setup: system $(STAMP) asterisk console

console:
	bash scripts/build-console.sh

system:
	bash scripts/install-system-packages.sh

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

asterisk: $(STAMP)
	$(BIN)/callcenter asterisk install

bench: setup
	$(BIN)/python bench/fastagi_latency.py --requests 3000
	$(BIN)/python bench/fastagi_latency.py --requests 3000 --rate 100
	$(BIN)/python bench/fastagi_latency.py --requests 2000 --postgres
	$(BIN)/python bench/entry_capacity.py --calls 300 --rate 30 --hold-ms 3000
	$(BIN)/python bench/transfer_latency.py --transfers 30
	$(BIN)/python bench/console_ring.py --calls 30
	$(BIN)/python bench/wallboard_latency.py --clients 10 100 1000 --rounds 20
	$(BIN)/python bench/work_orders.py --orders 2000 --million 1000000

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache .import_linter_cache test-artifacts
