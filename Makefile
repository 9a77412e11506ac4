# parley — two commands: `make run` and `make test`.
BUILD ?= build
JOBS  ?= 2
PORT  ?= 8080
DATA  ?= ./data

.PHONY: all deps build run test unit integration cluster fuzz sanitize tsan thread-safety bench compare clean web web-deps test-web test-sdk test-react test-e2e chaos

all: build

deps:
	@scripts/deps.sh

$(BUILD)/CMakeCache.txt:
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null

build: deps $(BUILD)/CMakeCache.txt
	@cmake --build $(BUILD) -j$(JOBS)

run: build web
	@mkdir -p $(DATA)
	$(BUILD)/parleyd --port $(PORT) --data-dir $(DATA)

FUZZ_SECONDS ?= 10

test: build web
	@scripts/cluster-deps.sh
	@cd $(BUILD) && ctest --output-on-failure -j$(JOBS)
	@scripts/fuzz.sh $(FUZZ_SECONDS)
	@$(MAKE) --no-print-directory test-web
	@$(MAKE) --no-print-directory chaos

unit: build
	@cd $(BUILD) && ctest --output-on-failure -L unit

integration: build
	@cd $(BUILD) && ctest --output-on-failure -L integration

cluster: build
	@scripts/cluster-deps.sh
	@cd $(BUILD) && ctest --output-on-failure -L cluster

# libFuzzer targets (clang, ASan+UBSan) on the seed corpus in fuzz/corpus; longer runs with
# `make fuzz FUZZ_SECONDS=600`.
fuzz: deps
	@scripts/fuzz.sh $(FUZZ_SECONDS)

# Sanitizer builds of the unit and integration suites (their own build directories).
sanitize: deps
	@cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DPARLEY_SANITIZE=address,undefined -DPARLEY_BUILD_BENCH=OFF >/dev/null
	@cmake --build build-asan -j$(JOBS) --target parley_unit_tests parley_integration_tests parleyd
	@cd build-asan && ctest --output-on-failure -j$(JOBS) -L 'unit|integration'

tsan: deps
	@cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPARLEY_SANITIZE=thread -DPARLEY_BUILD_BENCH=OFF >/dev/null
	@cmake --build build-tsan -j$(JOBS) --target parley_unit_tests parley_integration_tests parleyd
	@cd build-tsan && TSAN_OPTIONS="suppressions=$(CURDIR)/tests/tsan.supp $$TSAN_OPTIONS" \
	  ctest --output-on-failure -j$(JOBS) -L 'unit|integration'

# The lock rules (GUARDED_BY, REQUIRES in hub/) checked by clang's -Wthread-safety: the domain
# layers built with clang-14 in their own directory; a violation is an error.
thread-safety: deps
	@scripts/clang-deps.sh
	@CXX=clang++-14 cmake -S . -B build-tsa -DCMAKE_BUILD_TYPE=Debug -DPARLEY_BUILD_TESTS=OFF -DPARLEY_BUILD_BENCH=OFF >/dev/null
	@cmake --build build-tsa -j$(JOBS) --target parley_hub parley_store
	@if clang++-14 -std=c++20 -fsyntax-only -Wthread-safety -Werror=thread-safety -Isrc \
	    tests/thread_safety/unlocked_access.cpp 2>/dev/null; then \
	  echo "thread-safety: an unlocked access compiled: the analysis is not running"; exit 1; fi
	@echo "thread-safety: the hub's lock annotations hold (and an unlocked access is refused)"

bench: build
	@$(BUILD)/parley-microbench

# parley against the Node peers and a 3-node cluster (about an hour; COMPARE_ARGS=--quick for
# a few minutes); writes the report section of docs/benchmarks.md and docs/bench/*.svg.
compare:
	@JOBS=$(JOBS) bench/compare $(COMPARE_ARGS)

clean:
	rm -rf $(BUILD) web/dist

# ---- web client (web/, clients/js, tests/e2e): npm ci from the committed lockfiles, then a
# Vite build into web/dist, which parleyd serves at /. Each step reruns only when its inputs
# changed, so an up-to-date `make web` takes no time.
NPM_CI   = npm ci --no-audit --no-fund --loglevel=error
WEB_SRC := $(shell find web/src clients/js/src clients/react/src -type f 2>/dev/null) \
           web/index.html web/admin/index.html web/vite.config.ts web/tsconfig.json web/package.json

web-deps:
	@scripts/web-deps.sh

%/node_modules/.package-lock.json: %/package-lock.json
	@scripts/web-deps.sh
	@echo "npm ci in $*"
	@cd $* && $(NPM_CI)
	@touch $@

web/dist/index.html: web/node_modules/.package-lock.json clients/js/node_modules/.package-lock.json $(WEB_SRC)
	@echo "building web/dist"
	@cd web && npm run --silent build >/tmp/parley-web-build.log 2>&1 || { cat /tmp/parley-web-build.log; exit 1; }

web: web/dist/index.html

# SDK unit tests (Vitest, fake timers).
test-sdk: clients/js/node_modules/.package-lock.json
	@cd clients/js && npx --no-install tsc --noEmit && npx --no-install vitest run

# React bindings' tests (Vitest, Testing Library, the real SDK over a fake socket).
test-react: clients/react/node_modules/.package-lock.json clients/js/node_modules/.package-lock.json
	@cd clients/react && npx --no-install tsc --noEmit && npx --no-install vitest run

# End-to-end: Debian's Chromium (installed when missing) against a real parleyd.
test-e2e: build web clients/js/dist/index.js tests/e2e/node_modules/.package-lock.json
	@scripts/web-deps.sh --browser
	@cd tests/e2e && node --test --test-concurrency=1 --test-timeout=120000 --test-reporter=spec

test-web: test-sdk test-react test-e2e

# ---- chaos run (tests/chaos): SDK clients through a fault-injecting proxy, parleyd killed with
# SIGKILL and restarted mid-run, then every store and view checked (docs/reliability.md). The
# short form (one node, then a 3-node cluster) runs in make test; longer:
# `make chaos CHAOS_ARGS="--duration 300 --clients 200"`, one mode: `CHAOS_MODES=cluster`.
CHAOS_ARGS  ?=
CHAOS_MODES ?= single cluster
SDK_SRC := $(shell find clients/js/src -type f 2>/dev/null)

clients/js/dist/index.js: clients/js/node_modules/.package-lock.json clients/js/tsconfig.build.json $(SDK_SRC)
	@cd clients/js && npm run --silent build

chaos: build clients/js/dist/index.js tests/chaos/node_modules/.package-lock.json
	@scripts/cluster-deps.sh
	@for mode in $(CHAOS_MODES); do node tests/chaos/chaos.mjs --quiet --mode $$mode $(CHAOS_ARGS) || exit 1; done
