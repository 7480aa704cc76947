/* test_etcd.c - the etcd store without etcd: records through their JSON values and back,
 * keys that never run into each other, a txn's rows, and the watch stream (own txns
 * skipped, others grouped by revision, held while a txn of ours is in flight and then
 * without what that txn replaced). The wire with a real etcd: tests/integration/test-etcd.sh. */
#include "../../db/etcd.c"

#include <check.h>

#define OTHER_MARKER "/t/w/nqn.2014-08.org.example:cdc:other"

struct seen {
	int calls;
	uint64_t rev[8];
	size_t n[8];
	struct etcd_event ev[8];
};

static void remote(void *arg, const struct etcd_event *ev, size_t n, uint64_t rev)
{
	struct seen *s = arg;

	if (s->calls < 8) {
		s->rev[s->calls] = rev;
		s->n[s->calls] = n;
		if (n)
			s->ev[s->calls] = ev[0];
	}
	s->calls++;
}

static struct event_base *base;
static struct etcd *e;
static struct seen seen;

static void setup(void)
{
	struct etcd_opts o = {
		"http://127.0.0.1:1", "/t/", NULL, NULL, NULL, "nqn.2014-08.org.example:cdc:me"};

	base = event_base_new();
	ck_assert_int_eq(etcd_new(base, &o, &e), 0);
	memset(&seen, 0, sizeof(seen));
	e->remote = remote;
	e->remote_arg = &seen;
}

static void teardown(void)
{
	etcd_free(e);
	event_base_free(base);
}

static struct log_rec a_rec(const char *owner, const char *subnqn)
{
	struct log_rec r = {.source = REG_DIM, .subtype = 2, .asqsz = 32};

	snprintf(r.owner, sizeof(r.owner), "%s", owner);
	snprintf(r.subnqn, sizeof(r.subnqn), "%s", subnqn);
	r.port = (struct cdc_port){.trtype = 3, .adrfam = 1, .treq = 2, .portid = 7};
	snprintf(r.port.traddr, sizeof(r.port.traddr), "192.0.2.1");
	snprintf(r.port.trsvcid, sizeof(r.port.trsvcid), "4420");
	return r;
}

/* A stored value as etcd hands it back: base64 of the JSON. */
static int parse_stored(char *json, struct etcd_event *ev)
{
	char *b64 = b64_enc(json, strlen(json));
	int err = value_parse(b64, ev);

	free(b64);
	free(json);
	return err;
}

START_TEST(records_come_back_from_their_values_unchanged)
{
	struct entity ent = {
		.etype = 2, .source = REG_DIM, .first_seen = 1700000000, .last_seen = 1700000123};
	struct host_rec h = {.source = REG_IMPLICIT, .trtype = 3, .adrfam = 1, .sectype = 1};
	struct log_rec r = a_rec("nqn.2014-08.org.example:ddc", "nqn.2014-08.org.example:s\"1");
	struct etcd_event ev;

	snprintf(ent.nqn, sizeof(ent.nqn), "nqn.2014-08.org.example:ddc");
	snprintf(ent.ename, sizeof(ent.ename), "a DDC / with \\ odd \"bytes\"");
	snprintf(ent.regnqn, sizeof(ent.regnqn), "nqn.2014-08.org.example:ddc");
	snprintf(h.hostnqn, sizeof(h.hostnqn), "nqn.2014-08.org.example:host");
	snprintf(h.traddr, sizeof(h.traddr), "fe80::1");
	for (int i = 0; i < 16; i++)
		h.hostid[i] = (uint8_t)(0xf0 + i);
	ck_assert_int_eq(parse_stored(entity_json(&ent), &ev), 0);
	ck_assert_int_eq(ev.kind, ETCD_ENTITY);
	ck_assert_mem_eq(&ev.u.ent, &ent, sizeof(ent));
	ck_assert_int_eq(parse_stored(host_json(&h), &ev), 0);
	ck_assert_int_eq(ev.kind, ETCD_HOST);
	ck_assert_mem_eq(&ev.u.host, &h, sizeof(h));
	ck_assert_int_eq(parse_stored(rec_json(&r), &ev), 0);
	ck_assert_int_eq(ev.kind, ETCD_REC);
	ck_assert_mem_eq(&ev.u.rec, &r, sizeof(r));
	ck_assert_int_eq(parse_stored(strdup("7"), &ev), -EINVAL);
	ck_assert_int_eq(parse_stored(strdup("{\"x\":1}"), &ev), -ENOENT);
}
END_TEST

START_TEST(keys_of_different_records_differ_even_with_slashes)
{
	struct log_rec a = a_rec("nqn.x:a/b", "nqn.x:c"), b = a_rec("nqn.x:a", "b/nqn.x:c");
	char ka[ETCD_KEY_MAX], kb[ETCD_KEY_MAX];

	key_rec(e, &a, ka, sizeof(ka));
	key_rec(e, &b, kb, sizeof(kb));
	ck_assert_str_ne(ka, kb);
	ck_assert_str_eq(ka, "/t/r/nqn.x:a%2Fb/nqn.x:c/3/1/192.0.2.1/4420");
}
END_TEST

START_TEST(a_key_written_twice_in_a_batch_is_one_row_the_last_write)
{
	struct log_rec r = a_rec("nqn.x:o", "nqn.x:s");

	ck_assert_int_eq(etcd_rec_put(e, &r), 0);
	ck_assert_int_eq(etcd_rec_del(e, &r), 0);
	ck_assert_uint_eq(etcd_staged(e), 1);
	ck_assert_ptr_null(RB_MIN(staged_tree, &e->staged)->value);
	etcd_rollback(e);
	ck_assert_uint_eq(etcd_staged(e), 0);
}
END_TEST

/* A watch answer line: events of (revision, key, JSON value or NULL for a delete). */
static void feed(struct req *q, const char *text, size_t chunk)
{
	for (size_t off = 0, len = strlen(text); off < len; off += chunk) {
		size_t n = len - off < chunk ? len - off : chunk;
		ck_assert_uint_eq(watch_write((char *)text + off, 1, n, q), n);
	}
}

static char *event_json(uint64_t rev, const char *key, const char *value, bool del)
{
	char *k = b64_enc(key, strlen(key)), *v = b64_enc(value, strlen(value)), *out = NULL;

	if (del)
		ck_assert_int_ge(asprintf(&out,
					  "{\"type\":\"DELETE\",\"kv\":{\"key\":\"%s\","
					  "\"mod_revision\":\"%llu\"},\"prev_kv\":{\"key\":\"%s\","
					  "\"value\":\"%s\"}}",
					  k, (unsigned long long)rev, k, v),
				 0);
	else
		ck_assert_int_ge(asprintf(&out,
					  "{\"kv\":{\"key\":\"%s\",\"mod_revision\":\"%llu\","
					  "\"value\":\"%s\"}}",
					  k, (unsigned long long)rev, v),
				 0);
	free(k);
	free(v);
	return out;
}

static char *rec_event(uint64_t rev, const struct log_rec *r, bool del)
{
	char k[ETCD_KEY_MAX], *v = rec_json(r);

	key_rec(e, r, k, sizeof(k));
	char *out = event_json(rev, k, v, del);
	free(v);
	return out;
}

static char *line(const char *ev1, const char *ev2, const char *ev3)
{
	char *out = NULL;

	ck_assert_int_ge(
		asprintf(&out,
			 "{\"result\":{\"header\":{\"revision\":\"9\"},\"events\":[%s%s%s%s%s]}}\n",
			 ev1, ev2 ? "," : "", ev2 ? ev2 : "", ev3 ? "," : "", ev3 ? ev3 : ""),
		0);
	return out;
}

START_TEST(the_watch_skips_own_txns_and_hands_on_others_by_revision)
{
	struct req q = {.e = e};
	struct log_rec r1 = a_rec("nqn.x:o", "nqn.x:s1"), r2 = a_rec("nqn.x:o", "nqn.x:s2");
	char *a = rec_event(5, &r1, false), *m5 = event_json(5, OTHER_MARKER, "1", false);
	char *b = rec_event(6, &r2, false), *m6 = event_json(6, e->marker, "1", false);
	char *d = rec_event(7, &r1, true);
	char *l1 = line(a, m5, NULL), *l2 = line(b, m6, NULL), *l3 = line(d, NULL, NULL);
	char created[] = "{\"result\":{\"header\":{\"revision\":\"4\"},\"created\":true}}\n";

	feed(&q, created, 7);
	ck_assert(e->watch_live);
	/* Lines cut anywhere; revision 6 is ours (its marker: etcd sends a revision's events
	 * in one answer). */
	feed(&q, l1, 13);
	feed(&q, l2, 100);
	ck_assert_int_eq(seen.calls, 1);
	ck_assert_uint_eq(seen.rev[0], 5);
	ck_assert_uint_eq(seen.n[0], 1);
	ck_assert_str_eq(seen.ev[0].u.rec.subnqn, "nqn.x:s1");
	ck_assert_uint_eq(e->watch_rev, 6);
	/* A delete names its record through the value it removed. */
	feed(&q, l3, 1000);
	ck_assert_int_eq(seen.calls, 2);
	ck_assert(seen.ev[1].del);
	ck_assert_str_eq(seen.ev[1].u.rec.subnqn, "nqn.x:s1");
	free(q.in.p);
	free(a), free(m5), free(b), free(m6), free(d), free(l1), free(l2), free(l3);
}
END_TEST

START_TEST(others_txns_wait_for_ours_and_lose_what_ours_replaced)
{
	struct req q = {.e = e}, inflight = {0};
	struct log_rec r1 = a_rec("nqn.x:o", "nqn.x:s1"), r2 = a_rec("nqn.x:o", "nqn.x:s2");
	char *a = rec_event(7, &r1, false), *b = rec_event(7, &r2, false), *l = line(a, b, NULL);
	char k[ETCD_KEY_MAX];

	e->txn = &inflight;
	feed(&q, l, 50);
	ck_assert_int_eq(seen.calls, 0);
	/* Our txn, revision 8, wrote r1 again: revision 7's r1 is older than what we have. */
	struct own_txn *own = calloc(1, sizeof(*own));
	own->rev = 8;
	own->n = 1;
	own->keys = calloc(1, sizeof(char *));
	key_rec(e, &r1, k, sizeof(k));
	own->keys[0] = strdup(k);
	TAILQ_INSERT_TAIL(&e->own, own, link);
	e->txn = NULL;
	deliver_held(e);
	ck_assert_int_eq(seen.calls, 1);
	ck_assert_uint_eq(seen.rev[0], 7);
	ck_assert_uint_eq(seen.n[0], 1);
	ck_assert_str_eq(seen.ev[0].u.rec.subnqn, "nqn.x:s2");
	free(q.in.p);
	free(a), free(b), free(l);
}
END_TEST

START_TEST(a_txn_of_another_instance_without_records_still_moves_genctr)
{
	struct req q = {.e = e};
	char *m = event_json(11, OTHER_MARKER, "3", false), *l = line(m, NULL, NULL);

	feed(&q, l, 64);
	ck_assert_int_eq(seen.calls, 1);
	ck_assert_uint_eq(seen.rev[0], 11);
	ck_assert_uint_eq(seen.n[0], 0);
	free(q.in.p);
	free(m), free(l);
}
END_TEST

/* A self key's value as another instance (by) writes it, with n entries of trsvcid 8009+i. */
static char *self_value(const char *by, size_t n)
{
	struct nvmf_disc_log_entry ent[ETCD_MAX_SELF] = {0};
	char *blob, *json = NULL, *out;

	for (size_t i = 0; i < n; i++)
		snprintf(ent[i].trsvcid, sizeof(ent[i].trsvcid), "%zu", 8009 + i);
	blob = b64_enc((const char *)ent, n * sizeof(ent[0]));
	ck_assert_int_ge(
		asprintf(&json, "{\"k\":\"s\",\"by\":\"%s\",\"entries\":\"%s\"}", by, blob), 0);
	out = b64_enc(json, strlen(json));
	free(blob);
	free(json);
	return out;
}

START_TEST(other_instances_self_entries_come_and_go_and_ours_are_not_among_them)
{
	struct nvmf_disc_log_entry out[ETCD_MAX_SELF];
	char *b = self_value("nqn.2014-08.org.example:cdc:b", 2);
	char *me = self_value("nqn.2014-08.org.example:cdc:me", 1);

	peer_event(e, me, false);
	ck_assert_uint_eq(etcd_peer_entries(e, out, ETCD_MAX_SELF), 0);
	peer_event(e, b, false);
	ck_assert(e->peers_changed);
	ck_assert_uint_eq(etcd_peer_entries(e, out, ETCD_MAX_SELF), 2);
	ck_assert_str_eq(out[1].trsvcid, "8010");
	ck_assert_uint_eq(etcd_peer_entries(e, out, 1), 1);
	/* Written again (a new lease): the same peer, not another. */
	peer_event(e, b, false);
	ck_assert_uint_eq(etcd_peer_entries(e, out, ETCD_MAX_SELF), 2);
	/* Its lease expired: the delete names it through the value it removed. */
	peer_event(e, b, true);
	ck_assert_uint_eq(etcd_peer_entries(e, out, ETCD_MAX_SELF), 0);
	free(b);
	free(me);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("etcd");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, records_come_back_from_their_values_unchanged);
	tcase_add_test(tc, keys_of_different_records_differ_even_with_slashes);
	tcase_add_test(tc, a_key_written_twice_in_a_batch_is_one_row_the_last_write);
	tcase_add_test(tc, the_watch_skips_own_txns_and_hands_on_others_by_revision);
	tcase_add_test(tc, others_txns_wait_for_ours_and_lose_what_ours_replaced);
	tcase_add_test(tc, a_txn_of_another_instance_without_records_still_moves_genctr);
	tcase_add_test(tc, other_instances_self_entries_come_and_go_and_ours_are_not_among_them);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());

	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
