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

.PHONY: all deps deps-test build demo test check-sanitize check-valgrind fuzz bench install check-fresh clean

all: build

deps:
	@sh scripts/deps.sh build

deps-test:
	@sh scripts/deps.sh test

# Quiet: CMake's and the compiler's output go to $(BUILD)/build.log, which
# is printed whole when the build fails. BUILD_TESTING=ON (make test,
# check-sanitize) also builds the unit tests and fuzz targets, which need
# the test packages (cmocka); a plain build needs only `deps.sh build`.
# `make build` says what it built; as a step of demo, install, ... it is silent.
BUILD_TESTING ?= OFF
BUILD_LOG = $(BUILD)/build.log
SAY_BUILT = $(filter build all,$(or $(MAKECMDGOALS),all))
build: deps
	@mkdir -p $(BUILD)
	@if { cmake -S . -B $(BUILD) -DCMAKE_INSTALL_PREFIX=$(PREFIX) -DBUILD_TESTING=$(BUILD_TESTING) $(CMAKE_FLAGS) && \
	      cmake --build $(BUILD) -j$(JOBS) -- --no-print-directory; } >$(BUILD_LOG) 2>&1; then \
	  $(if $(SAY_BUILT),echo "built $(BUILD)/retort (log: $(BUILD_LOG))";) :; \
	else cat $(BUILD_LOG) >&2; echo "make: the build in $(BUILD)/ failed (output above, also in $(BUILD_LOG))" >&2; exit 1; fi

demo: build
	@sh examples/demo.sh $(abspath $(BUILD))/retort

# Starts a throwaway PostgreSQL (stopped on exit, pass or fail) around CTest;
# CTest's summary is the last thing printed.
test: deps-test
	@$(MAKE) --no-print-directory build BUILD=$(TEST_BUILD) CMAKE_FLAGS="$(TEST_CMAKE_FLAGS)" BUILD_TESTING=ON
	@tests/support/with-postgres.sh ctest --test-dir $(TEST_BUILD) --output-on-failure -j$(JOBS)

check-sanitize: deps-test
	@$(MAKE) --no-print-directory build BUILD=build-asan CMAKE_FLAGS="-DRETORT_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug" BUILD_TESTING=ON
	@ASAN_OPTIONS=detect_leaks=1:exitcode=86 LSAN_OPTIONS=exitcode=86 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=86 \
		tests/support/with-postgres.sh ctest --test-dir build-asan --output-on-failure -j$(JOBS)

# Each libFuzzer target for FUZZ_TIME seconds (JOBS at a time); findings
# and the grown corpus stay in $(FUZZ_BUILD)/fuzz/<target>/.
fuzz: deps-test
	@command -v clang >/dev/null 2>&1 || { echo "make fuzz: clang is needed (scripts/deps.sh test)" >&2; exit 1; }
	@cmake -S . -B $(FUZZ_BUILD) -DCMAKE_C_COMPILER=$$(command -v clang) -DBUILD_TESTING=ON $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(FUZZ_BUILD) -j$(JOBS) --target fuzzers -- --no-print-directory
	@sh scripts/fuzz.sh $(FUZZ_BUILD) $(FUZZ_TIME) $(JOBS)

# The CLI suites that run retort itself, with every retort process under
# valgrind (tests/support/valgrind-retort.sh); its report goes to
# $(BUILD)/valgrind.log, and any error or leak fails the test that saw it.
VALGRIND_SUITES ?= tests/cli/basics.bats tests/cli/sqlite.bats tests/cli/safety.bats tests/cli/autogenerate.bats
check-valgrind: deps-test build
	@: >$(BUILD)/valgrind.log
	@RETORT_REAL_BIN=$(abspath $(BUILD))/retort RETORT_BIN=$(CURDIR)/tests/support/valgrind-retort.sh \
		RETORT_VALGRIND_LOG=$(abspath $(BUILD))/valgrind.log RETORT_SRC=$(CURDIR) \
		tests/support/with-postgres.sh bats $(VALGRIND_SUITES); rc=$$?; \
		if [ -s $(BUILD)/valgrind.log ]; then echo "valgrind reported:"; cat $(BUILD)/valgrind.log; exit 1; fi; \
		echo "valgrind: no errors, no leaks"; exit $$rc

bench: build
	@sh scripts/deps.sh bench
	@sh bench/run.sh $(abspath $(BUILD))/retort
	@sh bench/schema.sh $(abspath $(BUILD))/retort

install: build
	@cmake --install $(BUILD) --prefix $(PREFIX)

# `make demo` and `make test`, each as the first command in a fresh clone on
# a fresh minimal Debian 12 root (mmdebstrap, chroot, empty package lists).
# Downloads packages, so not part of .ci/run. CHECK_FRESH_WORKTREE=1 copies
# the working tree instead of cloning HEAD (see scripts/check-fresh.sh).
check-fresh:
	@sh scripts/check-fresh.sh

clean:
	rm -rf build build-asan build-test $(FUZZ_BUILD)
