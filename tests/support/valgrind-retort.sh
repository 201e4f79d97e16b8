#!/bin/sh
# Runs the retort binary named by $RETORT_REAL_BIN under valgrind: any
# memory error or definite/indirect leak makes it exit 86, which no test
# expects, so the bats suites double as a valgrind pass (make check-valgrind).
exec valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect \
	--error-exitcode=86 --log-fd=9 "$RETORT_REAL_BIN" "$@" 9>>"${RETORT_VALGRIND_LOG:-/dev/stderr}"
