# Everything a fresh machine needs: `make run` and `make test` build .venv themselves.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PO     := $(wildcard i18n/locales/*/LC_MESSAGES/messages.po)
MO     := $(PO:.po=.mo)

.PHONY: install browser catalogs run test lint typecheck layers pytest messages flows-check bench chaos clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

# The browser tests drive Debian's Chromium (no browser download); fonts so that Thai, Lao and Khmer screenshots
# read as a person sees them. Installed once, when missing, as root or through sudo.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium and the Thai/Lao/Khmer fonts for the browser tests"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq \
	    chromium fonts-noto-core fonts-thai-tlwg fonts-noto-color-emoji >/dev/null; }

# Compiled catalogs are build output (not committed); pybabel is Babel's own CLI.
i18n/locales/%/LC_MESSAGES/messages.mo: i18n/locales/%/LC_MESSAGES/messages.po $(STAMP)
	$(BIN)/pybabel --quiet compile --use-fuzzy -d i18n/locales -D messages -l $*

catalogs: $(MO)

# Re-extract the source strings (i18n/messages.py) and merge them into every catalog.
messages: $(STAMP)
	$(BIN)/pybabel extract -F i18n/babel.cfg -k N_ --no-location --sort-output \
	  --project=ntswatch --copyright-holder="NTS-Mekong Watch" -o i18n/messages.pot i18n
	$(BIN)/pybabel --quiet update --no-fuzzy-matching -i i18n/messages.pot -d i18n/locales -D messages
	$(BIN)/python -m i18n.annotate
	$(BIN)/python -m i18n.review

run: install catalogs
	$(BIN)/ntswatch run

lint: install
	$(BIN)/ruff check .

typecheck: install
	$(BIN)/mypy

# The layering contract in .importlinter: channels carry messages, centres/ does the centre's work, and so on.
layers: install
	$(BIN)/lint-imports --no-cache

# Every core, each xdist worker with its own Redis; PYTEST_ARGS passes more (e.g. -m 'not system').
pytest: install browser catalogs
	$(BIN)/python -m pytest -n auto $(PYTEST_ARGS)

flows-check: install catalogs
	$(BIN)/ntswatch flows check

test: install browser catalogs
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache
	$(BIN)/ntswatch flows check --quiet
	$(BIN)/python -m pytest -n auto $(PYTEST_ARGS)

bench: install catalogs
	$(BIN)/python -m bench.gateway_path
	$(BIN)/python -m bench.ussd_latency
	$(BIN)/python -m bench.broadcast
	$(BIN)/python -m bench.drain
	$(BIN)/python -m bench.resolve
	$(BIN)/python -m bench.board
	$(BIN)/python -m bench.e2e
	$(BIN)/python -m bench.scale
	$(BIN)/python -m bench.latest

# The real stack under SIGKILLs and a Telegram outage, three runs: bench/results/chaos.json (0 lost, 0 doubled).
chaos: install catalogs
	$(BIN)/python -m bench.chaos --runs 3

clean:
	rm -rf $(VENV) var test-artifacts .mypy_cache .pytest_cache .ruff_cache $(MO)
