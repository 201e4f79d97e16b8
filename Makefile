# Thin wrapper over CMake/CTest so a newcomer types only `make demo` or
# `make test` (see README.md). Each target installs missing Debian packages.
BUILD ?= build
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
PREFIX ?= /usr/local
CMAKE_FLAGS ?=
FUZZ_TIME ?= 60
FUZZ_BUILD ?= build-fuzz

# `make test` builds with clang when it is installed (deps-test installs
# it): with clang the fuzz targets (tests/fuzz) get libFuzzer and a short
# fuzzing run each. It builds in a directory of its own, so no build tree
# ever switches compilers and `make demo`/`install` keep the default one.
# Evaluated when the recipe runs, after deps-test.
TEST_CC = $(shell command -v clang 2>/dev/null)
TEST_BUILD = $(if $(TEST_CC),build-test,$(BUILD))
TEST_CMAKE_FLAGS = $(if $(TEST_CC),-DCMAKE_C_COMPILER=$(TEST_CC)) $(CMAKE_FLAGS)

.PHONY: all deps deps-test build demo test check-sanitize check-valgrind fuzz bench install clean

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
test: deps-test
	@$(MAKE) --no-print-directory build BUILD=$(TEST_BUILD) CMAKE_FLAGS="$(TEST_CMAKE_FLAGS)"
	@tests/support/with-postgres.sh ctest --test-dir $(TEST_BUILD) --output-on-failure -j$(JOBS)

check-sanitize: deps-test
	@$(MAKE) --no-print-directory build BUILD=build-asan CMAKE_FLAGS="-DRETORT_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug"
	@ASAN_OPTIONS=detect_leaks=1:exitcode=86 LSAN_OPTIONS=exitcode=86 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=86 \
		tests/support/with-postgres.sh ctest --test-dir build-asan --output-on-failure -j$(JOBS)

# Each libFuzzer target for FUZZ_TIME seconds (JOBS at a time); findings
# and the grown corpus stay in $(FUZZ_BUILD)/fuzz/<target>/.
fuzz: deps-test
	@command -v clang >/dev/null 2>&1 || { echo "make fuzz: clang is needed (scripts/deps.sh test)" >&2; exit 1; }
	@cmake -S . -B $(FUZZ_BUILD) -DCMAKE_C_COMPILER=$$(command -v clang) $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(FUZZ_BUILD) -j$(JOBS) --target fuzzers -- --no-print-directory
	@sh scripts/fuzz.sh $(FUZZ_BUILD) $(FUZZ_TIME) $(JOBS)

# The CLI suites that run retort itself, with every retort process under
# valgrind (tests/support/valgrind-retort.sh); its report goes to
# $(BUILD)/valgrind.log, and any error or leak fails the test that saw it.
VALGRIND_SUITES ?= tests/cli/basics.bats tests/cli/sqlite.bats tests/cli/safety.bats
check-valgrind: deps-test build
	@: >$(BUILD)/valgrind.log
	@RETORT_REAL_BIN=$(CURDIR)/$(BUILD)/retort RETORT_BIN=$(CURDIR)/tests/support/valgrind-retort.sh \
		RETORT_VALGRIND_LOG=$(CURDIR)/$(BUILD)/valgrind.log RETORT_SRC=$(CURDIR) \
		tests/support/with-postgres.sh bats $(VALGRIND_SUITES); rc=$$?; \
		if [ -s $(BUILD)/valgrind.log ]; then echo "valgrind reported:"; cat $(BUILD)/valgrind.log; exit 1; fi; \
		echo "valgrind: no errors, no leaks"; exit $$rc

bench: build
	@sh scripts/deps.sh bench
	@sh bench/run.sh $(CURDIR)/$(BUILD)/retort

install: build
	@cmake --install $(BUILD) --prefix $(PREFIX)

clean:
	rm -rf build build-asan build-test $(FUZZ_BUILD)
