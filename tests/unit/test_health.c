/* test_health.c - unit tests for path health's pure parts: the verdict of a run of probes
 * (cdc/health.c), when the next probe is due, and what the fabric does with an address
 * marked down (cdc/fabric.c): its registered entries are withheld from log 70h and come
 * back, GENCTR moves only when the log does, and health hears of paths as they come and
 * go. HEALTH_SEED=N replays the randomised delays with seed N. */

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nvme/types.h>

#include "fabric.h"
#include "health.h"

#define OWNER	"nqn.2024-01.com.example:ddc:a"
#define SUBSYS1 "nqn.2024-01.com.example:subsys1"
#define SUBSYS2 "nqn.2024-01.com.example:subsys2"

static const struct health_opts opts = {
	.enable = true, .interval_ms = 10000, .timeout_ms = 1000, .failures = 3, .concurrency = 8};

/* ---- verdicts ---- */

START_TEST(unknown_stays_unknown_until_the_threshold_then_down)
{
	struct health_track t = {0};

	ck_assert(!health_observe(&t, false, 3));
	ck_assert(!health_observe(&t, false, 3));
	ck_assert_int_eq(t.state, HEALTH_UNKNOWN);
	ck_assert(health_observe(&t, false, 3));
	ck_assert_int_eq(t.state, HEALTH_DOWN);
	ck_assert_uint_eq(t.fails, 3);
	ck_assert(!health_observe(&t, false, 3));
	ck_assert_uint_eq(t.fails, 4);
}
END_TEST

START_TEST(one_success_is_up_at_once_and_forgets_the_failures)
{
	struct health_track t = {HEALTH_DOWN, 7};

	ck_assert(health_observe(&t, true, 3));
	ck_assert_int_eq(t.state, HEALTH_UP);
	ck_assert_uint_eq(t.fails, 0);
	ck_assert(!health_observe(&t, true, 3));
}
END_TEST

START_TEST(an_up_port_survives_failures_below_the_threshold)
{
	struct health_track t = {HEALTH_UP, 0};

	ck_assert(!health_observe(&t, false, 3));
	ck_assert(!health_observe(&t, false, 3));
	ck_assert(!health_observe(&t, true, 3)); /* the run is broken: count again */
	ck_assert(!health_observe(&t, false, 3));
	ck_assert(!health_observe(&t, false, 3));
	ck_assert_int_eq(t.state, HEALTH_UP);
	ck_assert(health_observe(&t, false, 3));
	ck_assert_int_eq(t.state, HEALTH_DOWN);
}
END_TEST

START_TEST(threshold_zero_counts_as_one)
{
	struct health_track t = {HEALTH_UP, 0};

	ck_assert(health_observe(&t, false, 0));
	ck_assert_int_eq(t.state, HEALTH_DOWN);
}
END_TEST

/* ---- schedule ---- */

static uint32_t seed_rng(void)
{
	const char *env = getenv("HEALTH_SEED");
	uint32_t seed = env ? (uint32_t)strtoul(env, NULL, 10) : (uint32_t)time(NULL);

	printf("HEALTH_SEED=%u\n", seed);
	srandom(seed);
	return seed;
}

static void delay_within(const struct health_track *t, uint64_t base)
{
	uint64_t lo = base - base * HEALTH_JITTER_PCT / 100,
		 hi = base + base * HEALTH_JITTER_PCT / 100;

	ck_assert_uint_eq(health_delay_ms(&opts, t, 0), lo);
	ck_assert_uint_eq(health_delay_ms(&opts, t, (uint32_t)(hi - lo)), hi);
	for (int i = 0; i < 1000; i++) {
		uint64_t d = health_delay_ms(&opts, t, (uint32_t)random());
		ck_assert_uint_ge(d, lo);
		ck_assert_uint_le(d, hi);
	}
}

START_TEST(a_port_that_answers_is_probed_every_interval_with_jitter)
{
	struct health_track up = {HEALTH_UP, 0}, failing = {HEALTH_UP, 2}, unknown = {0};

	seed_rng();
	delay_within(&up, opts.interval_ms);
	delay_within(&failing, opts.interval_ms); /* below the threshold: no backoff yet */
	delay_within(&unknown, opts.interval_ms);
}
END_TEST

START_TEST(a_down_port_backs_off_doubling_up_to_the_cap)
{
	struct health_track t = {HEALTH_DOWN, opts.failures};

	seed_rng();
	delay_within(&t, opts.interval_ms); /* just marked down */
	t.fails++;
	delay_within(&t, 2ull * opts.interval_ms);
	t.fails++;
	delay_within(&t, 4ull * opts.interval_ms);
	t.fails++;
	delay_within(&t, (uint64_t)HEALTH_BACKOFF_MAX * opts.interval_ms);
	t.fails = 1000000;
	delay_within(&t, (uint64_t)HEALTH_BACKOFF_MAX * opts.interval_ms);
}
END_TEST

START_TEST(first_probes_spread_over_one_interval)
{
	seed_rng();
	ck_assert_uint_eq(health_first_delay_ms(&opts, 0), 0);
	ck_assert_uint_eq(health_first_delay_ms(&opts, opts.interval_ms), 0);
	for (int i = 0; i < 1000; i++)
		ck_assert_uint_lt(health_first_delay_ms(&opts, (uint32_t)random()),
				  opts.interval_ms);
}
END_TEST

/* ---- the fabric's down marks ---- */

static struct log_rec rec(const char *owner, const char *subnqn, uint8_t subtype,
			  const char *traddr, const char *trsvcid)
{
	struct log_rec r = {.source = REG_DIM, .subtype = subtype};

	snprintf(r.owner, sizeof(r.owner), "%s", owner);
	snprintf(r.subnqn, sizeof(r.subnqn), "%s", subnqn);
	r.port.trtype = NVMF_TRTYPE_TCP;
	r.port.adrfam = NVMF_ADDR_FAMILY_IP4;
	snprintf(r.port.traddr, sizeof(r.port.traddr), "%s", traddr);
	snprintf(r.port.trsvcid, sizeof(r.port.trsvcid), "%s", trsvcid);
	return r;
}

/* Which entries the host view holds, as "TRADDR:TRSVCID/SUBNQN-tail" joined by spaces. */
static const char *served(struct fabric *f)
{
	static char out[1024];
	const struct view *v = fabric_host_view(f, "", NULL);
	size_t off = 0;

	out[0] = '\0';
	for (size_t i = 0; v && i < v->nentries; i++) {
		const struct nvmf_disc_log_entry *e = view_entry(v, i);
		char traddr[sizeof(e->traddr) + 1], trsvcid[sizeof(e->trsvcid) + 1];
		snprintf(traddr, sizeof(traddr), "%.*s", (int)sizeof(e->traddr), e->traddr);
		snprintf(trsvcid, sizeof(trsvcid), "%.*s", (int)sizeof(e->trsvcid), e->trsvcid);
		traddr[strcspn(traddr, " ")] = trsvcid[strcspn(trsvcid, " ")] = '\0';
		off += (size_t)snprintf(out + off, sizeof(out) - off, "%s%s:%s/%s", off ? " " : "",
					traddr, trsvcid, strrchr(e->subnqn, ':') + 1);
	}
	return out;
}

static void setup(struct fabric *f)
{
	struct log_rec a1 = rec(OWNER, SUBSYS1, NVME_NQN_NVME, "127.0.0.1", "4420");
	struct log_rec a2 = rec(OWNER, SUBSYS2, NVME_NQN_NVME, "127.0.0.1", "4420");
	struct log_rec b1 = rec(OWNER, SUBSYS1, NVME_NQN_NVME, "127.0.0.2", "4420");

	fabric_init(f);
	ck_assert_int_eq(fabric_rec_put(f, &a1), 0);
	ck_assert_int_eq(fabric_rec_put(f, &a2), 0);
	ck_assert_int_eq(fabric_rec_put(f, &b1), 0);
	ck_assert_int_ge(fabric_rebuild(f, 0), 0);
	ck_assert_str_eq(served(f),
			 "127.0.0.1:4420/subsys1 127.0.0.1:4420/subsys2 127.0.0.2:4420/subsys1");
}

START_TEST(down_withholds_every_entry_at_the_address_and_up_restores_them)
{
	struct fabric f;
	struct log_rec a1 = rec(OWNER, SUBSYS1, NVME_NQN_NVME, "127.0.0.1", "4420");

	setup(&f);
	uint64_t g = f.genctr;
	ck_assert_int_eq(fabric_path_set_down(&f, &a1.port, true), 1);
	ck_assert(fabric_path_down(&f, &a1.port));
	ck_assert_int_eq(fabric_rebuild(&f, g), FABRIC_LOG70);
	ck_assert_uint_gt(f.genctr, g);
	ck_assert_str_eq(served(&f), "127.0.0.2:4420/subsys1");
	ck_assert_uint_eq(f.nentries, 1);

	g = f.genctr;
	ck_assert_int_eq(fabric_path_set_down(&f, &a1.port, false), 1);
	ck_assert(!fabric_path_down(&f, &a1.port));
	ck_assert_int_eq(fabric_rebuild(&f, g), FABRIC_LOG70);
	ck_assert_uint_gt(f.genctr, g);
	ck_assert_str_eq(served(&f),
			 "127.0.0.1:4420/subsys1 127.0.0.1:4420/subsys2 127.0.0.2:4420/subsys1");
	fabric_free(&f);
}
END_TEST

START_TEST(marking_twice_or_an_address_without_records_changes_no_log)
{
	struct fabric f;
	struct log_rec a1 = rec(OWNER, SUBSYS1, NVME_NQN_NVME, "127.0.0.1", "4420");
	struct log_rec none = rec(OWNER, SUBSYS1, NVME_NQN_NVME, "127.0.0.9", "4420");

	setup(&f);
	ck_assert_int_eq(fabric_path_set_down(&f, &a1.port, true), 1);
	ck_assert_int_eq(fabric_path_set_down(&f, &a1.port, true), 0);
	ck_assert_int_eq(fabric_path_set_down(&f, &none.port, true), 0);
	ck_assert_int_eq(fabric_rebuild(&f, 0), FABRIC_LOG70);
	uint64_t g = f.genctr;
	ck_assert_int_eq(fabric_path_set_down(&f, &none.port, false), 0);
	ck_assert_int_eq(fabric_rebuild(&f, 0), 0);
	ck_assert_uint_eq(f.genctr, g);
	ck_assert_ptr_null(fabric_down_next(&f, fabric_down_next(&f, NULL)));
	fabric_free(&f);
}
END_TEST

START_TEST(a_record_registered_at_a_down_address_is_withheld_too)
{
	struct fabric f;
	struct log_rec b2 = rec(OWNER, SUBSYS2, NVME_NQN_NVME, "127.0.0.2", "4420");

	setup(&f);
	ck_assert_int_eq(fabric_path_set_down(&f, &b2.port, true), 1);
	ck_assert_int_eq(fabric_rec_put(&f, &b2), 0);
	ck_assert_int_ge(fabric_rebuild(&f, 0), 0);
	ck_assert_str_eq(served(&f), "127.0.0.1:4420/subsys1 127.0.0.1:4420/subsys2");
	fabric_free(&f);
}
END_TEST

START_TEST(referrals_and_other_transports_are_not_paths)
{
	struct fabric f;
	struct log_rec ref = rec(OWNER, NVME_DISC_SUBSYS_NAME, NVME_NQN_DISC, "127.0.0.3", "8009");
	struct log_rec rdma = rec(OWNER, SUBSYS1, NVME_NQN_NVME, "127.0.0.4", "4420");

	rdma.port.trtype = NVMF_TRTYPE_RDMA;
	ck_assert(!fabric_path_probed(&ref));
	ck_assert(!fabric_path_probed(&rdma));
	setup(&f);
	ck_assert_int_eq(fabric_rec_put(&f, &ref), 0);
	ck_assert_int_eq(fabric_rec_put(&f, &rdma), 0);
	ck_assert_int_ge(fabric_rebuild(&f, 0), 0);
	/* Marking them changes nothing hosts see: they are not in the path index. */
	ck_assert_int_eq(fabric_path_set_down(&f, &ref.port, true), 0);
	ck_assert_int_eq(fabric_path_set_down(&f, &rdma.port, true), 0);
	ck_assert_int_eq(fabric_rebuild(&f, 0), 0);
	fabric_free(&f);
}
END_TEST

struct watched {
	char seen[8][CDC_TRADDR_MAX + CDC_TRSVCID_MAX + 2];
	int n;
};

static void watch(void *arg, const struct cdc_port *addr)
{
	struct watched *w = arg;

	ck_assert_int_lt(w->n, 8);
	snprintf(w->seen[w->n++], sizeof(w->seen[0]), "%s:%s", addr->traddr, addr->trsvcid);
}

START_TEST(health_hears_of_a_path_when_its_first_record_comes_and_its_last_goes)
{
	struct fabric f;
	struct watched w = {0};
	struct log_rec a1 = rec(OWNER, SUBSYS1, NVME_NQN_NVME, "127.0.0.1", "4420");
	struct log_rec a2 = rec(OWNER, SUBSYS2, NVME_NQN_NVME, "127.0.0.1", "4420");
	struct log_rec c1 = rec(OWNER, SUBSYS1, NVME_NQN_NVME, "127.0.0.5", "4421");

	setup(&f);
	fabric_path_watch(&f, watch, &w);
	ck_assert_int_eq(fabric_rec_put(&f, &c1), 0);
	ck_assert_int_eq(w.n, 1);
	ck_assert_str_eq(w.seen[0], "127.0.0.5:4421");
	ck_assert_ptr_nonnull(fabric_path_find(&f, &c1.port));
	fabric_rec_del(&f, &a1); /* 127.0.0.1:4420 still has subsys2 */
	ck_assert_int_eq(w.n, 1);
	fabric_rec_del(&f, &a2);
	ck_assert_int_eq(w.n, 2);
	ck_assert_str_eq(w.seen[1], "127.0.0.1:4420");
	ck_assert_ptr_null(fabric_path_find(&f, &a1.port));
	/* A put of an existing record is no news. */
	ck_assert_int_eq(fabric_rec_put(&f, &c1), 0);
	ck_assert_int_eq(w.n, 2);

	/* The walk at enable: one record per address, in order. */
	const struct log_rec *r = fabric_path_next(&f, NULL);
	ck_assert_str_eq(r->port.traddr, "127.0.0.2");
	r = fabric_path_next(&f, r);
	ck_assert_str_eq(r->port.traddr, "127.0.0.5");
	ck_assert_ptr_null(fabric_path_next(&f, r));
	fabric_free(&f);
}
END_TEST

static Suite *health_suite(void)
{
	Suite *s = suite_create("health");
	TCase *tc = tcase_create("verdict");

	tcase_add_test(tc, unknown_stays_unknown_until_the_threshold_then_down);
	tcase_add_test(tc, one_success_is_up_at_once_and_forgets_the_failures);
	tcase_add_test(tc, an_up_port_survives_failures_below_the_threshold);
	tcase_add_test(tc, threshold_zero_counts_as_one);
	suite_add_tcase(s, tc);
	tc = tcase_create("schedule");
	tcase_add_test(tc, a_port_that_answers_is_probed_every_interval_with_jitter);
	tcase_add_test(tc, a_down_port_backs_off_doubling_up_to_the_cap);
	tcase_add_test(tc, first_probes_spread_over_one_interval);
	suite_add_tcase(s, tc);
	tc = tcase_create("fabric");
	tcase_add_test(tc, down_withholds_every_entry_at_the_address_and_up_restores_them);
	tcase_add_test(tc, marking_twice_or_an_address_without_records_changes_no_log);
	tcase_add_test(tc, a_record_registered_at_a_down_address_is_withheld_too);
	tcase_add_test(tc, referrals_and_other_transports_are_not_paths);
	tcase_add_test(tc, health_hears_of_a_path_when_its_first_record_comes_and_its_last_goes);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(health_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
