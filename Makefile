# Two commands for a newcomer: `make demo`, then `make test`. `make app` opens the browser app.
# Every target creates .venv and installs what it needs: a machine keeps nothing between sessions.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
VENDOR := static/vendor
ASSETS := $(VENDOR)/.installed
OUT ?= out
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
NPM_PACKAGES := leaflet@1.9.4 leaflet-draw@1.0.4

.PHONY: demo test app bench lint fonts chromium assets venv clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $@

# Chinese text in charts needs a CJK font (Debian's Noto CJK).
fonts:
	@fc-list 2>/dev/null | grep -qi 'Noto Sans CJK' || { \
	  echo "installing fonts-noto-cjk (Debian)"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq fonts-noto-cjk fontconfig >/dev/null; }

# Debian's chromium for the end-to-end browser tests (Playwright drives the system binary).
chromium:
	@command -v chromium >/dev/null || { \
	  echo "installing chromium (Debian)"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }

# Leaflet and leaflet-draw from npm, served by the app and inlined into report.html (no CDN).
assets: $(ASSETS)

$(ASSETS):
	rm -rf $(VENDOR) .npm_assets && mkdir -p .npm_assets $(VENDOR)
	cd .npm_assets && echo "{\"name\":\"gridmap-assets\",\"private\":true}" > package.json && npm install --silent --no-audit --no-fund $(NPM_PACKAGES)
	cp -r .npm_assets/node_modules/leaflet/dist $(VENDOR)/leaflet
	cp -r .npm_assets/node_modules/leaflet-draw/dist $(VENDOR)/leaflet-draw
	rm -rf .npm_assets
	@touch $@

demo: $(STAMP) fonts assets
	$(BIN)/gridmap demo --out $(OUT)

test: $(STAMP) fonts chromium assets
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

app: $(STAMP) fonts assets
	$(BIN)/gridmap app

bench: $(STAMP)
	@for b in benchmarks/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) $(VENDOR) $(OUT) .pytest_cache .mypy_cache .ruff_cache
