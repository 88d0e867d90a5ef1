# The README's commands. `make run` and `make test` do all set-up on a fresh machine with Python 3.11.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install system-deps run test lint unit integration clean lock audit audit-latest

# Tools the tests run for real: Prometheus and promtool (dashboard queries, alert rules), docker-compose v1 (it
# validates docker-compose.yml without a Docker engine), stunnel4 and openssl (Kafka over TLS in front of the
# embedded broker). Installed from Debian when missing.
SYSTEM_TOOLS := prometheus promtool docker-compose stunnel4 openssl
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

system-deps:
	@for t in $(SYSTEM_TOOLS); do command -v $$t >/dev/null || missing=1; done; \
	if [ -n "$$missing" ]; then \
		echo "installing prometheus, docker-compose, stunnel4 and openssl from Debian"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends \
			prometheus docker-compose stunnel4 openssl; \
	fi

run: $(STAMP)
	$(BIN)/claimstream run --demo

lint: $(STAMP)
	$(BIN)/ruff check streams tests scripts examples
	$(BIN)/mypy

unit: $(STAMP) system-deps
	$(BIN)/pytest -q tests/unit tests/agents

integration: $(STAMP) system-deps
	$(BIN)/pytest -q tests/integration

test: lint system-deps
	$(BIN)/pytest -q -rs --durations=25

# requirements.lock: what a clean install resolves to (the Docker image installs with it as constraints).
lock:
	rm -rf /tmp/claimstream-lock && $(PYTHON) -m venv /tmp/claimstream-lock
	/tmp/claimstream-lock/bin/pip install --quiet --upgrade pip && /tmp/claimstream-lock/bin/pip install --quiet '.[dev]'
	{ sed -n '1,2p' requirements.lock; /tmp/claimstream-lock/bin/pip freeze --exclude-editable | grep -v '^claimstream'; } \
		> requirements.lock.new && mv requirements.lock.new requirements.lock

# Known vulnerabilities in the locked packages. Needs PyPI's JSON API or OSV (not reachable from every machine).
audit: $(STAMP)
	$(BIN)/pip install --quiet pip-audit
	$(BIN)/pip-audit --requirement requirements.lock --no-deps --disable-pip --strict

# Where only a PyPI mirror is reachable (project pages, no per-release pages, no OSV): PyPI's advisories for the
# pinned releases that are the latest ones; the others are listed as not checked.
audit-latest: $(STAMP)
	$(BIN)/python scripts/audit_latest.py requirements.lock

clean:
	rm -rf $(VENV) .claimstream .pytest_cache .mypy_cache .ruff_cache
