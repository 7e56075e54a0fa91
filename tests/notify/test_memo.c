/*
 * test_memo.c - the notifier's bounded memory (notify/src/memo.h): it never holds more than its
 * capacity, forgets the least recently used entry first, and keeps working through long runs
 * of insertions and deletions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdbool.h>
#include <stdio.h>

#include "memo.h"
#include "wms/errors.h"

static void test_a_stored_value_is_found_and_replaced(void **state)
{
	(void)state;
	struct memo *m;
	int64_t v = 0;
	assert_int_equal(memo_new(4, &m), 0);
	assert_false(memo_get(m, 1, &v));
	memo_put(m, 1, 10);
	assert_true(memo_get(m, 1, &v));
	assert_int_equal(v, 10);
	memo_put(m, 1, 11);
	assert_true(memo_get(m, 1, &v));
	assert_int_equal(v, 11);
	assert_int_equal(memo_count(m), 1);
	memo_free(m);
}

static void test_a_full_memo_forgets_the_least_recently_used_key(void **state)
{
	(void)state;
	struct memo *m;
	assert_int_equal(memo_new(3, &m), 0);
	memo_put(m, 1, 1);
	memo_put(m, 2, 2);
	memo_put(m, 3, 3);
	assert_true(memo_get(m, 1, NULL)); /* 1 is now the most recent; 2 the least */
	memo_put(m, 4, 4);
	assert_int_equal(memo_count(m), 3);
	assert_false(memo_get(m, 2, NULL));
	assert_true(memo_get(m, 1, NULL));
	assert_true(memo_get(m, 3, NULL));
	assert_true(memo_get(m, 4, NULL));
	memo_free(m);
}

static void test_deleting_frees_room_and_unknown_keys_are_ignored(void **state)
{
	(void)state;
	struct memo *m;
	assert_int_equal(memo_new(2, &m), 0);
	memo_put(m, 1, 1);
	memo_put(m, 2, 2);
	memo_del(m, 99);
	memo_del(m, 1);
	assert_int_equal(memo_count(m), 1);
	memo_put(m, 3, 3);
	assert_true(memo_get(m, 2, NULL)); /* nothing was evicted: room was free */
	assert_true(memo_get(m, 3, NULL));
	memo_free(m);
}

static uint64_t key_of(uint64_t n)
{
	char id[32];
	snprintf(id, sizeof(id), "SO-%llu", (unsigned long long)n);
	return memo_key("acme", id);
}

static void test_a_long_churn_stays_within_the_capacity_and_keeps_the_newest(void **state)
{
	(void)state;
	struct memo *m;
	const uint64_t cap = 1000;
	int64_t v = 0;
	assert_int_equal(memo_new(cap, &m), 0);
	for (uint64_t k = 1; k <= 100000; k++) {
		memo_put(m, key_of(k), (int64_t)k);
		if (k % 7 == 0)
			memo_del(m, key_of(k - 3));
		assert_true(memo_count(m) <= cap);
	}
	/* The newest entries are there with their values; deleted and old ones are not. */
	for (uint64_t k = 100000 - 500; k <= 100000; k++) {
		/* K was deleted when K + 3 was stored, if K + 3 is a multiple of 7. */
		if ((k + 3) % 7 == 0 && k + 3 <= 100000)
			assert_false(memo_get(m, key_of(k), NULL));
		else
			assert_true(memo_get(m, key_of(k), &v) && v == (int64_t)k);
	}
	assert_false(memo_get(m, key_of(1), NULL));
	memo_free(m);
}

static void test_keys_separate_tenant_from_id(void **state)
{
	(void)state;
	assert_true(memo_key("ab", "c") != memo_key("a", "bc"));
	assert_true(memo_key("acme", "SO-1") != memo_key("globex", "SO-1"));
	assert_true(memo_key(NULL, "x") == memo_key("", "x"));
}

static void test_capacities_outside_the_bounds_are_refused(void **state)
{
	(void)state;
	struct memo *m = NULL;
	assert_int_equal(memo_new(0, &m), WMS_ERANGE);
	assert_int_equal(memo_new((size_t)MEMO_CAP_MAX + 1, &m), WMS_ERANGE);
	assert_null(m);
	memo_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_stored_value_is_found_and_replaced),
		cmocka_unit_test(test_a_full_memo_forgets_the_least_recently_used_key),
		cmocka_unit_test(test_deleting_frees_room_and_unknown_keys_are_ignored),
		cmocka_unit_test(test_a_long_churn_stays_within_the_capacity_and_keeps_the_newest),
		cmocka_unit_test(test_keys_separate_tenant_from_id),
		cmocka_unit_test(test_capacities_outside_the_bounds_are_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
