/*
 * test_phase.c: the migrate part's batching (run/phase.c): timed batches
 * sized from the last one (batch_sizer) and the :batch_size
 * placeholder's detection (run_is_batched).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "run/run.h"

/* The size after one batch of `first` rows whose statement took took_us. */
static long after(long first, long long took_us, int target_ms)
{
	batch_sizer b;
	run_sizer_init(&b, first, target_ms);
	run_sizer_next(&b, took_us, -1);
	return b.size;
}

/* A sizer started at 100 rows and grown (by fast batches) to at least
 * `to` rows. */
static void grown(batch_sizer *b, long to)
{
	run_sizer_init(b, 100, 50);
	while (b->size < to)
		run_sizer_next(b, 1000, -1);
}

/* A batch that took exactly the target keeps its size; a faster one grows
 * it in proportion, but at most by half (growth is cautious: a cost that
 * jumps with the size cannot make the next hold much longer). */
static void test_grows_by_half_at_most(void **state)
{
	(void)state;
	assert_int_equal(after(1000, 50000, 50), 1000);
	assert_int_equal(after(1000, 40000, 50), 1250);
	assert_int_equal(after(1000, 25000, 50), 1500);
	assert_int_equal(after(1000, 5000, 50), 1500);
	assert_int_equal(after(1000, 0, 50), 1500); /* too fast to measure */
}

/* A slow batch shrinks the next one at once, in proportion, but never
 * below the first size. */
static void test_shrinks_at_once_to_the_first(void **state)
{
	(void)state;
	batch_sizer b;
	grown(&b, 4000);
	long n = b.size;
	run_sizer_next(&b, 100000, -1); /* twice the target */
	assert_int_equal(b.size, n / 2);
	run_sizer_next(&b, 5000000, -1); /* 5 s */
	assert_int_equal(b.size, 100);
	assert_int_equal(after(1000, 500000000, 50), 1000);
	assert_int_equal(after(1, 500000000, 50), 1);
	assert_int_equal(after(0, 1000, 50), 1); /* a first size of 0 is 1 */
}

/* A cost per batch that does not fall with its size (a scan, a round trip
 * to a distant server) keeps the size at the first, never one row. */
static void test_fixed_cost_keeps_the_first(void **state)
{
	(void)state;
	batch_sizer b;
	run_sizer_init(&b, 1000, 2);
	for (int i = 0; i < 30; i++)
		run_sizer_next(&b, 7000 + b.size, -1); /* 7 ms whatever the size */
	assert_int_equal(b.size, 1000);
}

/* The round trip a BEGIN measured is not counted as the statement's work:
 * 20 ms of network and 1 ms of work grows the batch. */
static void test_round_trip_is_not_work(void **state)
{
	(void)state;
	batch_sizer b;
	run_sizer_init(&b, 1000, 50);
	run_sizer_next(&b, 21000, 20000);
	assert_int_equal(b.size, 1500);
	run_sizer_next(&b, 21500, 25000); /* the smallest round trip counts */
	assert_int_equal(b.size, 2250);
}

/* No batch beyond ten million rows, however fast; a long target is honoured. */
static void test_bounded(void **state)
{
	(void)state;
	assert_int_equal(after(8000000, 1, 50), 10000000);
	assert_int_equal(after(6000000, 1, 50), 9000000);
	assert_int_equal(after(10000000, 1, 50), 10000000);
	assert_int_equal(after(1000, 200000, 200), 1000);
	assert_int_equal(after(1000, 160000, 200), 1250);
}

/* A cost that jumps past some size (PostgreSQL switching plans at a larger
 * LIMIT): 4 us a row up to 5000 rows, 14 us a row above. The sizer finds
 * the cliff, probes it once more to confirm it, then stays below it,
 * instead of swinging across it every other batch. */
static long long cliff(long n)
{
	return n <= 5000 ? 4LL * n : 14LL * n;
}

static void test_stays_below_a_cliff(void **state)
{
	(void)state;
	batch_sizer b;
	run_sizer_init(&b, 1000, 50);
	int slow = 0;
	for (int i = 0; i < 100; i++) {
		long n = b.size;
		if (n > 5000)
			slow++;
		run_sizer_next(&b, cliff(n), -1);
	}
	assert_true(slow <= 2);
	assert_true(b.confirmed);
	assert_true(b.ceiling > 5000 && b.ceiling <= 8000);
	assert_true(b.size <= 5000 && b.size >= 2500);
}

/* One stall over the target sets a ceiling; the probe 20 batches later is
 * fast, so the ceiling goes and the batches grow on. */
static void test_a_stall_is_forgotten_after_a_probe(void **state)
{
	(void)state;
	batch_sizer b;
	run_sizer_init(&b, 1000, 50);
	for (int i = 0; i < 3; i++)
		run_sizer_next(&b, 1LL * b.size, -1); /* 1 us a row */
	long n = b.size;
	run_sizer_next(&b, 200000, -1); /* a 200 ms lock wait */
	assert_int_equal(b.ceiling, n);
	int i;
	for (i = 0; i < 40 && b.ceiling; i++)
		run_sizer_next(&b, 1LL * b.size, -1);
	assert_int_equal(b.ceiling, 0);
	assert_true(i <= 25);
	for (i = 0; i < 20; i++)
		run_sizer_next(&b, 1LL * b.size, -1);
	assert_true(b.size > 10 * n);
}

/* One stall below the target sets no ceiling: a batch that took longer
 * per row but still less than the target is no cliff. */
static void test_a_stall_under_the_target_sets_no_ceiling(void **state)
{
	(void)state;
	batch_sizer b;
	run_sizer_init(&b, 1000, 50);
	run_sizer_next(&b, 2000, -1);  /* 1000 rows, 2 ms */
	run_sizer_next(&b, 15000, -1); /* 1500 rows, 15 ms: 5x per row */
	assert_int_equal(b.ceiling, 0);
	assert_int_equal(b.size, 2250);
}

/* Linear cost: the size settles where a batch takes the target. */
static void test_settles_on_the_target(void **state)
{
	(void)state;
	batch_sizer b;
	run_sizer_init(&b, 1000, 50);
	for (int i = 0; i < 40; i++)
		run_sizer_next(&b, 2000LL + 2LL * b.size, -1); /* 2 ms + 2 us a row */
	/* 2 ms + 2 us x 24,000 = 50 ms */
	assert_true(b.size >= 22000 && b.size <= 25000);
	assert_int_equal(b.ceiling, 0);
}

static void test_is_batched(void **state)
{
	(void)state;
	assert_true(run_is_batched("UPDATE t SET a = b WHERE id IN (SELECT id FROM t LIMIT :batch_size)"));
	assert_false(run_is_batched("UPDATE t SET a = ':batch_size'"));
	assert_false(run_is_batched("SELECT x::batch_size FROM t"));
	assert_false(run_is_batched("UPDATE t SET a = 1 -- :batch_size"));
	assert_false(run_is_batched("UPDATE t SET a = :batch_sizes"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_grows_by_half_at_most),
	    cmocka_unit_test(test_shrinks_at_once_to_the_first),
	    cmocka_unit_test(test_fixed_cost_keeps_the_first),
	    cmocka_unit_test(test_round_trip_is_not_work),
	    cmocka_unit_test(test_bounded),
	    cmocka_unit_test(test_stays_below_a_cliff),
	    cmocka_unit_test(test_a_stall_under_the_target_sets_no_ceiling),
	    cmocka_unit_test(test_a_stall_is_forgotten_after_a_probe),
	    cmocka_unit_test(test_settles_on_the_target),
	    cmocka_unit_test(test_is_batched),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
