# `make run` and `make test` create .venv when it is missing and install the project into it.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint check eval bench report lock clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,plot]'
	touch $(STAMP)

run: $(STAMP)  ## the bot: console chat without TELEGRAM_BOT_TOKEN, Telegram with it
	$(PY) -m bot

test: lint $(STAMP)  ## ruff, mypy and the whole test suite
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check faq bot tests scripts
	$(VENV)/bin/mypy faq bot

check: $(STAMP)  ## validate intents.yaml
	$(PY) -m faq check

eval: $(STAMP)  ## accuracy on every dev set and the real borrower queries, beside the baseline
	$(PY) -m faq eval

bench: $(STAMP)  ## latency, cold start and memory
	$(PY) -m faq bench

report: $(STAMP)  ## what users asked (the usage log)
	$(PY) -m faq report

lock: $(STAMP)  ## regenerate requirements.txt (the deploy lock) from pyproject.toml
	$(PY) -m pip install --quiet 'uv>=0.5,<1'
	$(PY) scripts/lock.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info
