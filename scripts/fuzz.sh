#!/bin/sh
# Runs every libFuzzer target built in BUILD for SECONDS each, JOBS at a
# time, and prints one line per target: executions and crashes. New corpus
# entries and crash artifacts stay in BUILD/fuzz/<target>/ (the seeds in
# tests/fuzz/corpus/ are only read). Exit status 1 when anything crashed.
# Usage: scripts/fuzz.sh BUILD SECONDS [JOBS]   (`make fuzz` calls it)
set -eu
build=$1
seconds=$2
jobs=${3:-2}
src=$(cd "$(dirname "$0")/.." && pwd)
case "$seconds" in '' | *[!0-9]*) echo "fuzz: FUZZ_TIME must be a number of seconds" >&2; exit 2 ;; esac

targets=""
for f in "$src"/tests/fuzz/fuzz_*.c; do
	name=$(basename "$f" .c)
	[ -x "$build/$name" ] || { echo "fuzz: $build/$name not built" >&2; exit 2; }
	targets="$targets $name"
done

run() { # name: one fuzzing session, output to its log
	name=$1
	short=${name#fuzz_}
	work=$build/fuzz/$short
	mkdir -p "$work/corpus"
	ls "$work" | grep -E '^(crash|leak|timeout|oom)-' >"$work/.before" || true
	dict=
	[ -f "$src/tests/fuzz/$short.dict" ] && dict=-dict=$src/tests/fuzz/$short.dict
	"$build/$name" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=20 \
		-print_final_stats=1 -artifact_prefix="$work/" $dict \
		"$work/corpus" "$src/tests/fuzz/corpus/$short" >"$work/fuzz.log" 2>&1 || true
}

echo "fuzz: $seconds s per target, $jobs at a time; logs and findings in $build/fuzz/" >&2
running=0
for name in $targets; do
	run "$name" &
	running=$((running + 1))
	if [ "$running" -ge "$jobs" ]; then
		wait
		running=0
	fi
done
wait

status=0
for name in $targets; do
	short=${name#fuzz_}
	work=$build/fuzz/$short
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/fuzz.log" | tail -n 1)
	new=$(ls "$work" | grep -E '^(crash|leak|timeout|oom)-' | grep -vxF -f "$work/.before" || true)
	ncrash=$(printf '%s' "$new" | grep -c . || true)
	corpus=$(ls "$work/corpus" | wc -l)
	printf '%-14s %10s executions  %s crashes  (corpus %s)\n' "$name" "${execs:-?}" "$ncrash" "$corpus"
	for a in $new; do
		echo "    $work/$a  (log: $work/fuzz.log)"
		status=1
	done
	if [ -z "$execs" ] && [ "$ncrash" -eq 0 ]; then
		echo "    did not run to the end; see $work/fuzz.log"
		status=1
	fi
done
exit $status
