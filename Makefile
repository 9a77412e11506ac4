# parley — two commands: `make run` and `make test`.
BUILD ?= build
JOBS  ?= 2
PORT  ?= 8080
DATA  ?= ./data

.PHONY: all deps build run test unit integration bench clean

all: build

deps:
	@scripts/deps.sh

$(BUILD)/CMakeCache.txt:
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null

build: deps $(BUILD)/CMakeCache.txt
	@cmake --build $(BUILD) -j$(JOBS)

run: build
	@mkdir -p $(DATA)
	$(BUILD)/parleyd --port $(PORT) --data-dir $(DATA)

test: build
	@cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

unit: build
	@cd $(BUILD) && ctest --output-on-failure -L unit

integration: build
	@cd $(BUILD) && ctest --output-on-failure -L integration

bench: build
	@$(BUILD)/parley-microbench

clean:
	rm -rf $(BUILD)
