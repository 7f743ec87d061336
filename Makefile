# verikit: `make run` serves it locally on moto, `make test` runs every test.
PY     ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
SDK    := .venv-sdk
JS     := tests/sdk/js
CB     := tests/sdk/cloudbase
PORT   ?= 8000
STAGE  ?= dev

.PHONY: run test bench package vendor clean provision deploy destroy template import-leancloud browser screenshots fuzz load

# two stamps: .serve is what `make run` and the operator tools need (requirements-serve.txt),
# .installed adds the test tooling (requirements-dev.txt: pytest, schemathesis, Playwright,
# cfn-lint); a first `make run` installs only the former
$(VENV)/.serve: requirements.txt requirements-vendor.txt requirements-serve.txt
	test -x $(VENV)/bin/python || $(PY) -m venv $(VENV)
	$(VENV)/bin/python -m pip install -q "pip>=23,<26.3"  # chalice 1.34 needs pip<26.3
	$(VENV)/bin/python -m pip install -q --no-compile -r requirements-serve.txt  # bytecode on first import: half the CPU
	touch $@

$(VENV)/.installed: $(VENV)/.serve requirements-dev.txt
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

run: $(VENV)/.serve
	PORT=$(PORT) $(VENV)/bin/python -m devserver

test: $(VENV)/.installed $(SDK)/.installed $(JS)/node_modules/.package-lock.json $(CB)/node_modules/.package-lock.json vendor browser
	$(VENV)/bin/python -m pytest tests

# the console's browser tests drive Debian's chromium headless (Playwright for Python
# launches /usr/bin/chromium; no browser is downloaded). Installed once, as root; a CJK
# font so that the Chinese pages render.
BROWSER_PKGS := chromium chromium-driver fonts-wqy-zenhei
browser:
	@dpkg -s $(BROWSER_PKGS) >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y $(BROWSER_PKGS); \
	  else echo "the browser tests need: sudo apt-get install $(BROWSER_PKGS)"; exit 1; fi; }

# refresh the console screenshots the README shows (docs/console/)
screenshots: $(VENV)/.installed browser
	VERIKIT_SCREENSHOTS=$(CURDIR)/docs/console $(VENV)/bin/python -m pytest tests/test_console_browser.py -q

# schema fuzzing of every operation in /openapi.json, longer than make test's (FUZZ_EXAMPLES per operation)
fuzz: $(VENV)/.installed
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-150} FUZZ_RANDOM=1 $(VENV)/bin/python -m pytest tests/test_fuzz.py -p no:cacheprovider

# a bounded load run against a local server on 127.0.0.1 (bench/load.py): throughput, p50/p99, 5xx, broken rules
load: $(VENV)/.serve
	$(VENV)/bin/python bench/load.py

bench: $(VENV)/.installed vendor
	$(VENV)/bin/python bench/bench.py

# reinstalled only when requirements-vendor.txt changed (so it works offline otherwise),
# into vendor.tmp first: a failed install leaves the previous vendor/ in place
vendor: vendor/.installed

vendor/.installed: requirements-vendor.txt | $(VENV)/.serve
	rm -rf vendor.tmp && $(VENV)/bin/python -m pip install -q --no-deps --target vendor.tmp -r requirements-vendor.txt
	find vendor.tmp -name '__pycache__' -prune -exec rm -rf {} +
	rm -rf vendor && mv vendor.tmp vendor && touch $@

package: vendor
	$(VENV)/bin/python -c 'from deploy.__main__ import fresh_bytecode; fresh_bytecode(".")'
	$(VENV)/bin/python -m deploy.layer .
	rm -rf build/package-$(STAGE) && AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-us-east-1} $(VENV)/bin/chalice package --stage $(STAGE) build/package-$(STAGE)

clean:
	rm -rf $(VENV) $(SDK) $(JS)/node_modules $(CB)/node_modules vendor vendor.tmp build .local

# Deploying (see README "Deploying"): STAGE=dev|prod; LEANCLOUD_KEYS=1 takes a LeanCloud app's id
# and keys for missing parameters (README "Moving from LeanCloud"); SMS_PROVIDERS=aliyun,tencent asks for
# those providers' credentials missing from the environment (README "Sending to mainland China")
provision: $(VENV)/.serve
	$(VENV)/bin/python -m deploy provision --stage $(STAGE) $(if $(LEANCLOUD_KEYS),--leancloud-keys) $(if $(SMS_PROVIDERS),--sms-providers $(SMS_PROVIDERS))

deploy: vendor
	$(VENV)/bin/python -m deploy deploy --stage $(STAGE) $(if $(LEANCLOUD_KEYS),--leancloud-keys) $(if $(SMS_PROVIDERS),--sms-providers $(SMS_PROVIDERS))

# DELETE_TABLES=yes also deletes the stage's tables: their data is gone for good
destroy: $(VENV)/.serve
	$(VENV)/bin/python -m deploy destroy --stage $(STAGE) $(if $(filter yes,$(DELETE_TABLES)),--delete-tables --yes)

template: vendor
	$(VENV)/bin/python -m deploy template --stage $(STAGE) -o build/verikit-$(STAGE).json
	$(VENV)/bin/python -c 'from deploy.__main__ import fresh_bytecode; fresh_bytecode(".")'
	$(VENV)/bin/python -m deploy.layer .
	rm -rf build/sam-$(STAGE) && AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-us-east-1} $(VENV)/bin/chalice package --stage $(STAGE) --merge-template build/verikit-$(STAGE).json build/sam-$(STAGE)
	$(VENV)/bin/cfn-lint -- build/sam-$(STAGE)/sam.json && echo "build/sam-$(STAGE)/sam.json: cfn-lint clean"

# A LeanCloud _User export into a running verikit (README "Moving from LeanCloud"):
#   make import-leancloud FILE=_User.jsonl URL=http://127.0.0.1:8000 APP_ID=... [DRY_RUN=1] [KEEP_ACCOUNT=1] [PARALLEL=4] [REVIVE_DELETED=1]
# the master key comes from MASTER_KEY in the environment, or is asked for
import-leancloud: $(VENV)/.serve
	@test -n "$(FILE)" -a -n "$(URL)" || { echo "usage: make import-leancloud FILE=<export> URL=<base url> [APP_ID=<app id>] [DRY_RUN=1] [KEEP_ACCOUNT=1] [PARALLEL=<requests in flight>] [REVIVE_DELETED=1]"; exit 2; }
	$(VENV)/bin/python -m deploy.import_leancloud "$(FILE)" --url "$(URL)" $(if $(APP_ID),--app-id "$(APP_ID)") $(if $(DRY_RUN),--dry-run) $(if $(KEEP_ACCOUNT),--keep-account) $(if $(PARALLEL),--parallel $(PARALLEL)) $(if $(REVIVE_DELETED),--revive-deleted)
