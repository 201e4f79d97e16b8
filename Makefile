# Thin wrapper over CMake/CTest so a newcomer types only `make demo` or
# `make test` (see README.md). Each target installs missing Debian packages.
BUILD ?= build
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
PREFIX ?= /usr/local
CMAKE_FLAGS ?=

.PHONY: all deps deps-test build demo test check-sanitize bench install clean

all: build

deps:
	@sh scripts/deps.sh build

deps-test:
	@sh scripts/deps.sh test

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_INSTALL_PREFIX=$(PREFIX) $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j$(JOBS) -- --no-print-directory

demo: build
	@sh examples/demo.sh $(CURDIR)/$(BUILD)/retort

# Starts a throwaway PostgreSQL (stopped on exit, pass or fail) around CTest;
# CTest's summary is the last thing printed.
test: deps-test build
	@tests/support/with-postgres.sh ctest --test-dir $(BUILD) --output-on-failure -j$(JOBS)

check-sanitize: deps-test
	@$(MAKE) --no-print-directory build BUILD=build-asan CMAKE_FLAGS="-DRETORT_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug"
	@ASAN_OPTIONS=detect_leaks=1:exitcode=86 LSAN_OPTIONS=exitcode=86 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=86 \
		tests/support/with-postgres.sh ctest --test-dir build-asan --output-on-failure -j$(JOBS)

bench: build
	@sh scripts/deps.sh bench
	@sh bench/run.sh $(CURDIR)/$(BUILD)/retort

install: build
	@cmake --install $(BUILD) --prefix $(PREFIX)

clean:
	rm -rf build build-asan
