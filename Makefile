# verikit: `make run` serves it locally on moto, `make test` runs every test.
PY     ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
SDK    := .venv-sdk
JS     := tests/sdk/js
CB     := tests/sdk/cloudbase
PORT   ?= 8000
STAGE  ?= dev

.PHONY: run test bench package vendor clean provision deploy destroy template import-leancloud

$(VENV)/.installed: requirements.txt requirements-vendor.txt requirements-dev.txt
	test -x $(VENV)/bin/python || $(PY) -m venv $(VENV)
	$(VENV)/bin/python -m pip install -q "pip>=23,<26.3"  # chalice 1.34 needs pip<26.3
	$(VENV)/bin/python -m pip install -q -r requirements-dev.txt
	touch $@

$(SDK)/.installed: requirements-sdk.txt
	test -x $(SDK)/bin/python || $(PY) -m venv $(SDK)
	$(SDK)/bin/python -m pip install -q -r requirements-sdk.txt
	touch $@

# the official LeanCloud JS SDK (leancloud-storage), pinned by package-lock.json
$(JS)/node_modules/.package-lock.json: $(JS)/package.json $(JS)/package-lock.json
	@command -v npm >/dev/null || { echo "make test needs node and npm (node 20) for the JS SDK tests"; exit 1; }
	cd $(JS) && npm ci --ignore-scripts --no-audit --no-fund

# the official CloudBase JS SDK (@cloudbase/js-sdk), pinned by package-lock.json
$(CB)/node_modules/.package-lock.json: $(CB)/package.json $(CB)/package-lock.json
	@command -v npm >/dev/null || { echo "make test needs node and npm (node 20) for the JS SDK tests"; exit 1; }
	cd $(CB) && npm ci --ignore-scripts --no-audit --no-fund

run: $(VENV)/.installed
	PORT=$(PORT) $(VENV)/bin/python -m devserver

test: $(VENV)/.installed $(SDK)/.installed $(JS)/node_modules/.package-lock.json $(CB)/node_modules/.package-lock.json vendor
	$(VENV)/bin/python -m pytest tests

bench: $(VENV)/.installed vendor
	$(VENV)/bin/python bench/bench.py

vendor: $(VENV)/.installed
	rm -rf vendor && $(VENV)/bin/python -m pip install -q --no-deps --target vendor -r requirements-vendor.txt
	find vendor -name '__pycache__' -prune -exec rm -rf {} +

package: vendor
	rm -rf build/package-$(STAGE) && AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-us-east-1} $(VENV)/bin/chalice package --stage $(STAGE) build/package-$(STAGE)

clean:
	rm -rf $(VENV) $(SDK) $(JS)/node_modules $(CB)/node_modules vendor build .local

# Deploying (see README "Deploying"): STAGE=dev|prod; LEANCLOUD_KEYS=1 takes a LeanCloud app's id
# and keys for missing parameters (README "Moving from LeanCloud")
provision: $(VENV)/.installed
	$(VENV)/bin/python -m deploy provision --stage $(STAGE) $(if $(LEANCLOUD_KEYS),--leancloud-keys)

deploy: vendor
	$(VENV)/bin/python -m deploy deploy --stage $(STAGE) $(if $(LEANCLOUD_KEYS),--leancloud-keys)

# DELETE_TABLES=yes also deletes the stage's tables: their data is gone for good
destroy: $(VENV)/.installed
	$(VENV)/bin/python -m deploy destroy --stage $(STAGE) $(if $(filter yes,$(DELETE_TABLES)),--delete-tables --yes)

template: vendor
	$(VENV)/bin/python -m deploy template --stage $(STAGE) -o build/verikit-$(STAGE).json
	rm -rf build/sam-$(STAGE) && AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-us-east-1} $(VENV)/bin/chalice package --stage $(STAGE) --merge-template build/verikit-$(STAGE).json build/sam-$(STAGE)
	$(VENV)/bin/cfn-lint -- build/sam-$(STAGE)/sam.json && echo "build/sam-$(STAGE)/sam.json: cfn-lint clean"

# A LeanCloud _User export into a running verikit (README "Moving from LeanCloud"):
#   make import-leancloud FILE=_User.jsonl URL=http://127.0.0.1:8000 APP_ID=... [DRY_RUN=1]
# the master key comes from MASTER_KEY in the environment, or is asked for
import-leancloud: $(VENV)/.installed
	@test -n "$(FILE)" -a -n "$(URL)" || { echo "usage: make import-leancloud FILE=<export> URL=<base url> [APP_ID=<app id>] [DRY_RUN=1]"; exit 2; }
	$(VENV)/bin/python -m deploy.import_leancloud "$(FILE)" --url "$(URL)" $(if $(APP_ID),--app-id "$(APP_ID)") $(if $(DRY_RUN),--dry-run)
