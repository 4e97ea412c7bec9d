# The two set-up commands on a fresh Debian machine: `make demo` and `make test`.
# Each installs what it needs: Debian packages when missing, a virtualenv from pyproject.toml,
# and kube-apiserver built once from Debian's source package (cached outside the repo).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
APISERVER_CACHE ?= /var/cache/kiali-console
APISERVER := $(APISERVER_CACHE)/kube-apiserver-v1.20.2
PYTEST_WORKERS ?= 2

.PHONY: demo test lint bench deps apiserver native clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

deps:
	bash mesh/sim/install_debian_deps.sh

$(APISERVER):
	KIALI_SIM_CACHE=$(APISERVER_CACHE) bash mesh/sim/build_apiserver.sh

apiserver: deps $(APISERVER)

# The graph's hot modules compiled with mypyc (mesh/native.py); a no-op when up to date,
# a warning and plain Python when they cannot be compiled.
native: $(STAMP)
	$(BIN)/python -m mesh.native

# The unit tests run a second time on the uncompiled modules, which run wherever no build
# matches the sources.
test: deps $(STAMP) $(APISERVER) native
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup --ignore=tests/bench
	KIALI_NATIVE=0 $(BIN)/pytest -q -n $(PYTEST_WORKERS) tests/unit

demo: deps $(STAMP) $(APISERVER) native
	$(BIN)/python -m mesh.sim.demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check kiali_site mesh validations tests
	$(BIN)/mypy kiali_site mesh validations

bench: deps $(STAMP) $(APISERVER) native
	$(BIN)/pytest tests/bench -s -p no:xdist

clean:
	rm -rf $(VENV) var test-output .native
