# drillwatch — two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
export OMP_NUM_THREADS ?= 1
export OPENBLAS_NUM_THREADS ?= 1

.PHONY: run test install lint typecheck pytest browser model field-model bench clean

$(STAMP): requirements.lock requirements-dev.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check --upgrade pip
	$(BIN)/pip install -q --disable-pip-version-check -r requirements-dev.lock
	$(BIN)/pip install -q --disable-pip-version-check --no-deps -e .
	touch $@

install: $(STAMP)

## run: serve API + dashboard on http://127.0.0.1:8000 with a simulated fleet of 3 wells
run: install
	$(BIN)/drillwatch db upgrade
	DRILLWATCH_DEMO_WELLS=$${DRILLWATCH_DEMO_WELLS:-3} $(BIN)/drillwatch serve

## browser: Debian's Chromium for the dashboard tests (nothing downloads a browser)
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium chromium-driver >/dev/null; }
	@chromium --version

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy

pytest: install browser
	$(BIN)/pytest -q

## test: lint, type-check and the whole test suite (PostgreSQL on 127.0.0.1:5432 required in CI)
test: lint typecheck pytest

## model: the bundled model: the classifier from 144 simulated wells (re-calibrated on validation seeds 7-16), then its field detector from the real wells in $(DATA) (imported into var/model-home the way a user imports theirs) with signatures laid over them + 24 simulated wells; evaluated on real wells and held-out seeds 2-5 (~2 h 30 min; `make field-model` redoes only the field detector, ~10 min)
DATA ?= ../shared/data
MODEL_HOME := var/model-home
REAL_WELLS := KICK-17,TSPP1,TSPP2,TSPP3,TSPP4,NO_15_9-F-9_A

model: install
	$(BIN)/drillwatch simulate --wells 144 --hours 24 --seed 1 --out var/train144 --format parquet --manifest
	$(BIN)/drillwatch train --data var/train144 --heads pack_off --version bundled-v9-remake --out models/bundled
	OMP_NUM_THREADS=1 $(BIN)/drillwatch calibrate --model models/bundled --seeds 7-16 --budget 0.08 --mistype-share 0.2 --version bundled-v10-remake --out models/bundled
	OMP_NUM_THREADS=1 $(BIN)/drillwatch calibrate --model models/bundled --detector analogue --seeds 7-16 --budget 0.08 --mistype-share 0.2 --version bundled-v11-remake --out models/bundled
	$(MAKE) field-model

field-model: install
	rm -rf $(MODEL_HOME)
	DRILLWATCH_HOME=$(MODEL_HOME) $(BIN)/drillwatch import telemetry $(DATA)/real/kick/KICK-17.csv
	DRILLWATCH_HOME=$(MODEL_HOME) $(BIN)/drillwatch import accidents $(DATA)/real/kick/accidents.csv
	for i in 1 2 3 4; do DRILLWATCH_HOME=$(MODEL_HOME) $(BIN)/drillwatch import telemetry $(DATA)/real/drilling/TSPP$$i.csv --timezone UTC || exit 1; done
	DRILLWATCH_HOME=$(MODEL_HOME) $(BIN)/drillwatch import telemetry $(DATA)/volve/F-9_GwdTime.xml
	DRILLWATCH_HOME=$(MODEL_HOME) $(BIN)/drillwatch import telemetry $(DATA)/volve/F-9_Pits.xml --channels TVA
	$(BIN)/drillwatch simulate --wells 24 --hours 24 --seed 21 --out var/field-sims --format parquet --manifest
	DRILLWATCH_HOME=$(MODEL_HOME) $(BIN)/drillwatch field --wells $(REAL_WELLS) --sims var/field-sims --model models/bundled --version bundled-v12 --out models/bundled
	DRILLWATCH_HOME=$(MODEL_HOME) $(BIN)/drillwatch evaluate --wells $(REAL_WELLS) --model models/bundled
	OMP_NUM_THREADS=1 $(BIN)/drillwatch evaluate --model models/bundled --seeds 2-5 --wells 8 --hours 24 --record

bench: install
	$(BIN)/python bench/ingest.py

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
