# chainops.ethereum — developer entry points. `make lab` and `make test` work on a fresh Debian 12 machine.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
VENV ?= .venv
BIN := $(VENV)/bin
export PATH := $(CURDIR)/$(BIN):$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/collections
# the unshare wrapper podman needs on this kind of VM (see docs/testing.md)
NS := scripts/in-podman-ns.sh

.PHONY: help bootstrap lab lab-down test lint yamllint ansible-lint ruff sanity unit devnet render controlplane k8s-tools molecule live bench build clean

help:
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

bootstrap: ## install apt packages, the venv, anvil, Lodestar and the pinned k8s control plane (idempotent)
	bash scripts/bootstrap.sh

lab: bootstrap ## converge the three lab hosts with site.yml (render-only for k8s layers)
	bash scripts/lab.sh up

lab-down: ## remove the lab containers and networks
	bash scripts/lab.sh down

test: bootstrap ## the whole ladder: lint, sanity, unit, devnet, render+validate, controlplane, molecule
	bash scripts/test.sh

lint: yamllint ansible-lint ruff ## all linters

yamllint:
	$(BIN)/yamllint --strict .

ansible-lint:
	$(BIN)/ansible-lint --offline --profile production

ruff:
	$(BIN)/ruff check .

sanity: ## ansible-test sanity on a clean copy of the collection
	bash scripts/sanity.sh

unit: ## pytest: unit tests, preflight corpus, role/spec consistency
	bash scripts/pytest.sh unit

devnet: ## pytest: health code against real Lodestar and anvil on 127.0.0.1
	bash scripts/pytest.sh devnet

render: ## render every example inventory and validate the objects
	bash scripts/pytest.sh render

controlplane: ## pytest: rendered objects, scheduling, admission and drain against a real control plane on 127.0.0.1
	bash scripts/pytest.sh controlplane

k8s-tools: ## build the pinned kube-apiserver, controller manager, scheduler, etcd, helm and kwok (cached)
	bash scripts/k8s-tools.sh

molecule: ## molecule scenarios on systemd containers (Debian 12 and 13)
	bash scripts/molecule.sh

live: ## opt-in checks against a live cluster (CHAINOPS_LIVE_KUBECONFIG=...); skipped otherwise
	bash scripts/pytest.sh live

bench: bootstrap ## benchmarks, one name=value line per figure
	@for b in benchmarks/bench_*.py; do $(BIN)/python "$$b" || { echo "bench: $$b failed" >&2; exit 1; }; done

build: ## build the collection artifact into build/
	mkdir -p build && $(BIN)/ansible-galaxy collection build --force --output-path build .

clean:
	rm -rf build .pytest_cache .ruff_cache
