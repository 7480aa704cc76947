/* test_store.c - unit tests for db/store.c against real files in a private mkdtemp directory:
 * round trips through close and reopen, upserts and deletes by key, cascades, transactions
 * and crashes, schema migration and refusals, a read-only file and a full disk. */

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "store.h"

/* Check fixtures take no argument, so the directory name has to live here. Each test uses
 * files named after itself inside it. */
static char tmpdir[PATH_MAX];

/* What a child process reports when the kernel would not let it set up its scene. */
#define EXIT_SKIP 77

#define OWNER "nqn.2014-08.org.example:ddc-1"

static void tmpdir_create(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "%s/cdc-store-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	/* The store logs its refusals; the tests provoke many. */
	log_open(true, LOG_CRIT);
}

static int remove_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Runs in the parent, so it cleans up after a failed (forked) test as well. */
static void tmpdir_remove(void)
{
	chmod(tmpdir, 0700);
	nftw(tmpdir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void path_of(char *path, size_t len, const char *name)
{
	int n = snprintf(path, len, "%s/%s", tmpdir, name);

	ck_assert(n > 0 && (size_t)n < len);
}

static struct store *open_ok(const char *path)
{
	struct store *st = NULL;

	ck_assert_int_eq(store_open(path, &st), 0);
	ck_assert_ptr_nonnull(st);
	return st;
}

/* Every byte value but NUL, so that a text field proves it is stored byte for byte. */
static void fill(char *dst, size_t size, const char *prefix, unsigned int seed)
{
	size_t n = strlen(prefix);

	memcpy(dst, prefix, n);
	for (size_t i = n; i < size - 1; i++)
		dst[i] = (char)(1 + (i * 7 + seed) % 255);
	dst[size - 1] = '\0';
}

static void make_entity(struct entity *e, const char *nqn)
{
	memset(e, 0, sizeof(*e));
	snprintf(e->nqn, sizeof(e->nqn), "%s", nqn);
	e->etype = 2;
	e->source = REG_DIM;
	snprintf(e->ename, sizeof(e->ename), "ddc one");
	snprintf(e->ever, sizeof(e->ever), "1.0");
	snprintf(e->regnqn, sizeof(e->regnqn), "nqn.2014-08.org.example:host-a");
	e->first_seen = 1700000000;
	e->last_seen = 1700000100;
}

static void make_host(struct host_rec *h, const char *nqn, const char *traddr)
{
	memset(h, 0, sizeof(*h));
	snprintf(h->hostnqn, sizeof(h->hostnqn), "%s", nqn);
	h->source = REG_DIM;
	h->trtype = 3;
	h->adrfam = 1;
	h->sectype = 0;
	snprintf(h->traddr, sizeof(h->traddr), "%s", traddr);
	snprintf(h->trsvcid, sizeof(h->trsvcid), "4420");
	for (int i = 0; i < 16; i++)
		h->hostid[i] = (uint8_t)(0xa0 + i);
	snprintf(h->symname, sizeof(h->symname), "rack 4");
}

static void make_rec(struct log_rec *r, const char *owner, const char *subnqn, const char *traddr)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->owner, sizeof(r->owner), "%s", owner);
	snprintf(r->subnqn, sizeof(r->subnqn), "%s", subnqn);
	r->source = owner[0] ? REG_PULL : REG_ADMIN;
	r->subtype = 2;
	r->port.trtype = 3;
	r->port.adrfam = 1;
	r->port.portid = 1;
	snprintf(r->port.traddr, sizeof(r->port.traddr), "%s", traddr);
	snprintf(r->port.trsvcid, sizeof(r->port.trsvcid), "4420");
}

/* ---- loading into arrays ---- */

#define LOADED_MAX 64

struct loaded {
	struct entity ents[LOADED_MAX];
	struct host_rec hosts[LOADED_MAX];
	struct log_rec recs[LOADED_MAX];
	size_t nents, nhosts, nrecs;
	uint64_t genctr;
	int stop_after; /* > 0: the callback fails with -ECANCELED after this many records */
};

static int take_entity(void *arg, const struct entity *e)
{
	struct loaded *l = arg;

	ck_assert_uint_lt(l->nents, LOADED_MAX);
	l->ents[l->nents++] = *e;
	return l->stop_after && (int)l->nents >= l->stop_after ? -ECANCELED : 0;
}

static int take_host(void *arg, const struct host_rec *h)
{
	struct loaded *l = arg;

	ck_assert_uint_lt(l->nhosts, LOADED_MAX);
	l->hosts[l->nhosts++] = *h;
	return 0;
}

static int take_rec(void *arg, const struct log_rec *r)
{
	struct loaded *l = arg;

	ck_assert_uint_lt(l->nrecs, LOADED_MAX);
	l->recs[l->nrecs++] = *r;
	return 0;
}

/* Open path afresh, load everything, close: what a restarted daemon would see. */
static struct loaded *reload(const char *path)
{
	struct loaded *l = calloc(1, sizeof(*l));
	struct store_loader ld = {take_entity, take_host, take_rec, l};
	struct store *st = open_ok(path);

	ck_assert_ptr_nonnull(l);
	ck_assert_int_eq(store_load(st, &ld, &l->genctr), 0);
	store_close(st);
	return l;
}

static int64_t raw_int(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	int64_t v;

	ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

static void raw_exec(const char *path, const char *sql)
{
	sqlite3 *db;

	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static void write_bytes(const char *path, const void *buf, size_t len, off_t at)
{
	int fd = open(path, O_WRONLY | O_CREAT, 0600);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, buf, len, at), (ssize_t)len);
	ck_assert_int_eq(close(fd), 0);
}

/* ---- round trips ---- */

START_TEST(entity_round_trips_at_max_lengths)
{
	char path[PATH_MAX];
	struct entity e;
	struct store *st;
	struct loaded *l;

	path_of(path, sizeof(path), "entity.db");
	memset(&e, 0, sizeof(e));
	fill(e.nqn, sizeof(e.nqn), "nqn.2014-08.org.example:", 1);
	fill(e.ename, sizeof(e.ename), "", 2);
	fill(e.ever, sizeof(e.ever), "", 3);
	fill(e.regnqn, sizeof(e.regnqn), "nqn.2014-08.org.example:", 4);
	e.etype = 255;
	e.source = REG_KICKSTART;
	e.first_seen = INT64_MIN;
	e.last_seen = INT64_MAX;

	st = open_ok(path);
	ck_assert_int_eq(store_begin(st), 0);
	ck_assert_int_eq(store_entity_put(st, &e), 0);
	ck_assert_int_eq(store_commit(st), 0);
	store_close(st);

	l = reload(path);
	ck_assert_uint_eq(l->nents, 1);
	ck_assert_mem_eq(&l->ents[0], &e, sizeof(e));
	free(l);
}
END_TEST

START_TEST(host_round_trips_at_max_lengths)
{
	char path[PATH_MAX];
	struct entity e;
	struct host_rec h;
	struct store *st;
	struct loaded *l;

	path_of(path, sizeof(path), "host.db");
	memset(&h, 0, sizeof(h));
	fill(h.hostnqn, sizeof(h.hostnqn), "nqn.2014-08.org.example:", 5);
	fill(h.traddr, sizeof(h.traddr), "", 6);
	fill(h.trsvcid, sizeof(h.trsvcid), "", 7);
	fill(h.symname, sizeof(h.symname), "", 8);
	for (int i = 0; i < 16; i++)
		h.hostid[i] = (uint8_t)(i * 17); /* a NUL in the middle, 0xff at the end */
	h.source = 255;
	h.trtype = 254;
	h.adrfam = 253;
	h.sectype = 252;
	make_entity(&e, h.hostnqn);

	st = open_ok(path);
	ck_assert_int_eq(store_begin(st), 0);
	ck_assert_int_eq(store_entity_put(st, &e), 0);
	ck_assert_int_eq(store_host_put(st, &h), 0);
	ck_assert_int_eq(store_commit(st), 0);
	store_close(st);

	l = reload(path);
	ck_assert_uint_eq(l->nhosts, 1);
	ck_assert_mem_eq(&l->hosts[0], &h, sizeof(h));
	free(l);
}
END_TEST

START_TEST(rec_round_trips_at_max_lengths_with_and_without_owner)
{
	char path[PATH_MAX];
	struct entity e;
	struct log_rec r[2];
	struct store *st;
	struct loaded *l;

	path_of(path, sizeof(path), "rec.db");
	for (int i = 0; i < 2; i++) {
		memset(&r[i], 0, sizeof(r[i]));
		if (i == 0)
			fill(r[i].owner, sizeof(r[i].owner), "nqn.2014-08.org.example:", 9);
		fill(r[i].subnqn, sizeof(r[i].subnqn), "nqn.2014-08.org.example:", 10);
		fill(r[i].port.traddr, sizeof(r[i].port.traddr), "", 11);
		fill(r[i].port.trsvcid, sizeof(r[i].port.trsvcid), "", 12);
		r[i].source = (uint8_t)(250 + i);
		r[i].subtype = 1;
		r[i].asqsz = 65535;
		r[i].port.trtype = 255;
		r[i].port.adrfam = 254;
		r[i].port.treq = 7;
		r[i].port.sectype = 253;
		r[i].port.portid = 65535;
	}
	make_entity(&e, r[0].owner);

	st = open_ok(path);
	ck_assert_int_eq(store_begin(st), 0);
	ck_assert_int_eq(store_entity_put(st, &e), 0);
	ck_assert_int_eq(store_rec_put(st, &r[0]), 0);
	ck_assert_int_eq(store_rec_put(st, &r[1]), 0);
	ck_assert_int_eq(store_commit(st), 0);
	store_close(st);

	l = reload(path);
	ck_assert_uint_eq(l->nrecs, 2);
	ck_assert_mem_eq(&l->recs[0], &r[0], sizeof(r[0]));
	ck_assert_mem_eq(&l->recs[1], &r[1], sizeof(r[1]));
	free(l);
}
END_TEST

START_TEST(unterminated_fields_are_refused)
{
	char path[PATH_MAX];
	struct entity e;
	struct host_rec h;
	struct log_rec r;
	struct store *st;

	path_of(path, sizeof(path), "unterminated.db");
	make_entity(&e, OWNER);
	make_host(&h, OWNER, "192.0.2.1");
	make_rec(&r, "", "nqn.2014-08.org.example:sub", "192.0.2.1");
	memset(e.ename, 'x', sizeof(e.ename));
	memset(h.symname, 'x', sizeof(h.symname));
	memset(r.port.trsvcid, '1', sizeof(r.port.trsvcid));

	st = open_ok(path);
	ck_assert_int_eq(store_begin(st), 0);
	ck_assert_int_eq(store_entity_put(st, &e), -EINVAL);
	ck_assert_int_eq(store_host_put(st, &h), -EINVAL);
	ck_assert_int_eq(store_rec_put(st, &r), -EINVAL);
	ck_assert_int_eq(store_commit(st), 0);
	store_close(st);
}
END_TEST

/* ---- upserts and deletes ---- */

START_TEST(entity_put_again_replaces_it_and_keeps_its_hosts_and_records)
{
	char path[PATH_MAX];
	struct entity e;
	struct host_rec h;
	struct log_rec r;
	struct store *st;
	struct loaded *l;

	path_of(path, sizeof(path), "entity_upsert.db");
	make_entity(&e, OWNER);
	make_host(&h, OWNER, "192.0.2.1");
	make_rec(&r, OWNER, "nqn.2014-08.org.example:sub", "192.0.2.1");

	st = open_ok(path);
	ck_assert_int_eq(store_begin(st), 0);
	ck_assert_int_eq(store_entity_put(st, &e), 0);
	ck_assert_int_eq(store_host_put(st, &h), 0);
	ck_assert_int_eq(store_rec_put(st, &r), 0);
	ck_assert_int_eq(store_commit(st), 0);
	snprintf(e.ename, sizeof(e.ename), "renamed");
	e.last_seen = 1800000000;
	ck_assert_int_eq(store_begin(st), 0);
	ck_assert_int_eq(store_entity_put(st, &e), 0);
	ck_assert_int_eq(store_commit(st), 0);
	store_close(st);

	l = reload(path);
	ck_assert_uint_eq(l->nents, 1);
	ck_assert_mem_eq(&l->ents[0], &e, sizeof(e));
	ck_assert_uint_eq(l->nhosts, 1);
	ck_assert_uint_eq(l->nrecs, 1);
	free(l);
}
END_TEST

START_TEST(host_put_again_replaces_rather_than_duplicates)
{
	char path[PATH_MAX];
	struct entity e;
	struct host_rec h, other;
	struct store *st;
	struct loaded *l;

	path_of(path, sizeof(path), "host_upsert.db");
	make_entity(&e, OWNER);
	make_host(&h, OWNER, "192.0.2.1");
	make_host(&other, OWNER, "192.0.2.2");

	st = open_ok(path);
	ck_assert_int_eq(store_begin(st), 0);
	ck_assert_int_eq(store_entity_put(st, &e), 0);
	ck_assert_int_eq(store_host_put(st, &h), 0);
	ck_assert_int_eq(store_host_put(st, &other), 0);
	snprintf(h.symname, sizeof(h.symname), "moved to rack 5");
	h.hostid[0] = 0x11;
	h.sectype = 2;
	ck_assert_int_eq(store_host_put(st, &h), 0);
	ck_assert_int_eq(store_commit(st), 0);
	store_close(st);

	l = reload(path);
	ck_assert_uint_eq(l->nhosts, 2);
	ck_assert_mem_eq(&l->hosts[0], &h, sizeof(h));
	ck_assert_mem_eq(&l->hosts[1], &other, sizeof(other));
	free(l);
}
END_TEST

START_TEST(rec_put_again_replaces_rather_than_duplicates)
{
	char path[PATH_MAX];
	struct entity e;
	struct log_rec r;
	struct store *st;
	struct loaded *l;

	path_of(path, sizeof(path), "rec_upsert.db");
	make_entity(&e, OWNER);
	make_rec(&r, OWNER, "nqn.2014-08.org.example:sub", "192.0.2.1");

	st = open_ok(path);
	ck_assert_int_eq(store_begin(st), 0);
	ck_assert_int_eq(store_entity_put(st, &e), 0);
	ck_assert_int_eq(store_rec_put(st, &r), 0);
	r.port.portid = 9;
	r.port.treq = 1;
	r.asqsz = 128;
	ck_assert_int_eq(store_rec_put(st, &r), 0);
	ck_assert_int_eq(store_commit(st), 0);
	store_close(st);

	l = reload(path);
	ck_assert_uint_eq(l->nrecs, 1);
	ck_assert_mem_eq(&l->recs[0], &r, sizeof(r));
	free(l);
}
END_TEST

START_TEST(ownerless_rec_put_twice_leaves_one_row)
{
	char path[PATH_MAX];
	struct log_rec r;
	struct store *st;
	struct loaded *l;

	path_of(path, sizeof(path), "rec_ownerless.db");
	make_rec(&r, "", "nqn.2014-08.org.example:sub", "192.0.2.1");

	st = open_ok(path);
	ck_assert_int_eq(store_begin(st), 0);
	ck_assert_int_eq(store_rec_put(st, &r), 0);
	ck_assert_int_eq(store_commit(st), 0);
	r.port.portid = 2;
	ck_assert_int_eq(store_begin(st), 0);
	ck_assert_int_eq(store_rec_put(st, &r), 0);
	ck_assert_int_eq(store_commit(st), 0);
	store_close(st);

	ck_assert_int_eq(raw_int(path, "SELECT count(*) FROM rec"), 1);
	l = reload(path);
	ck_assert_uint_eq(l->nrecs, 1);
	ck_assert_mem_eq(&l->recs[0], &r, sizeof(r));
	free(l);
}
END_TEST

START_TEST(same_port_of_an_owner_and_of_no_owner_are_two_records)
{
	char path[PATH_MAX];
	struct entity e;
	struct log_rec mine, admin;
	struct store *st;
	struct loaded *l;

	path_of(path, sizeof(path), "rec_two_owners.db");
	make_entity(&e, OWNER);
	make_rec(&mine, OWNER, "nqn.2014-08.org.example:sub", "192.0.2.1");
	make_rec(&admin, "", "nqn.2014-08.org.example:sub", "192.0.2.1");

	st = open_ok(path);
	ck_assert_int_eq(store_begin(st), 0);
	ck_assert_int_eq(store_entity_put(st, &e), 0);
	ck_assert_int_eq(store_rec_put(st, &mine), 0);
	ck_assert_int_eq(store_rec_put(st, &admin), 0);
	ck_assert_int_eq(store_commit(st), 0);
	ck_assert_int_eq(store_begin(st), 0);
	ck_assert_int_eq(store_rec_del(st, &admin), 0);
	ck_assert_int_eq(store_commit(st), 0);
	store_close(st);

	l = reload(path);
	ck_assert_uint_eq(l->nrecs, 1);
	ck_assert_str_eq(l->recs[0].owner, OWNER);
	free(l);
}
END_TEST

START_TEST(del_removes_only_the_keyed_host_and_record)
{
	char path[PATH_MAX];
	struct entity e;
	struct host_rec h[2];
	struct log_rec r[3];
	struct store *st;
	struct loaded *l;

	path_of(path, sizeof(path), "del.db");
	make_entity(&e, OWNER);
	make_host(&h[0], OWNER, "192.0.2.1");
	make_host(&h[1], OWNER, "192.0.2.2");
	make_rec(&r[0], OWNER, "nqn.2014-08.org.example:sub", "192.0.2.1");
	make_rec(&r[1], OWNER, "nqn.2014-08.org.example:sub", "192.0.2.2");
	make_rec(&r[2], "", "nqn.2014-08.org.example:sub", "192.0.2.1");

	st = open_ok(path);
	ck_assert_int_eq(store_begin(st), 0);
	ck_assert_int_eq(store_entity_put(st, &e), 0);
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(store_host_put(st, &h[i]), 0);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(store_rec_put(st, &r[i]), 0);
	ck_assert_int_eq(store_commit(st), 0);

	/* The key is all that matters: the other fields of the argument may differ. */
	snprintf(h[0].symname, sizeof(h[0].symname), "whatever");
	r[0].port.portid = 77;
	ck_assert_int_eq(store_begin(st), 0);
	ck_assert_int_eq(store_host_del(st, &h[0]), 0);
	ck_assert_int_eq(store_rec_del(st, &r[0]), 0);
	ck_assert_int_eq(store_commit(st), 0);
	store_close(st);

	l = reload(path);
	ck_assert_uint_eq(l->nhosts, 1);
	ck_assert_str_eq(l->hosts[0].traddr, "192.0.2.2");
	ck_assert_uint_eq(l->nrecs, 2);
	ck_assert_mem_eq(&l->recs[0], &r[1], sizeof(r[1]));
	ck_assert_mem_eq(&l->recs[1], &r[2], sizeof(r[2]));
	free(l);
}
END_TEST

START_TEST(entity_delete_cascades_to_its_hosts_and_records_only)
{
	char path[PATH_MAX];
	struct entity e[2];
	struct host_rec h[2];
	struct log_rec r[3];
	struct store *st;
	struct loaded *l;

	path_of(path, sizeof(path), "cascade.db");
	make_entity(&e[0], OWNER);
	make_entity(&e[1], "nqn.2014-08.org.example:ddc-2");
	make_host(&h[0], e[0].nqn, "192.0.2.1");
	make_host(&h[1], e[1].nqn, "192.0.2.1");
	make_rec(&r[0], e[0].nqn, "nqn.2014-08.org.example:sub", "192.0.2.1");
	make_rec(&r[1], e[1].nqn, "nqn.2014-08.org.example:sub", "192.0.2.1");
	make_rec(&r[2], "", "nqn.2014-08.org.example:sub", "192.0.2.1");

	st = open_ok(path);
	ck_assert_int_eq(store_begin(st), 0);
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(store_entity_put(st, &e[i]), 0);
		ck_assert_int_eq(store_host_put(st, &h[i]), 0);
	}
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(store_rec_put(st, &r[i]), 0);
	ck_assert_int_eq(store_commit(st), 0);
	ck_assert_int_eq(store_begin(st), 0);
	ck_assert_int_eq(store_entity_del(st, e[0].nqn), 0);
	ck_assert_int_eq(store_commit(st), 0);
	store_close(st);

	l = reload(path);
	ck_assert_uint_eq(l->nents, 1);
	ck_assert_str_eq(l->ents[0].nqn, e[1].nqn);
	ck_assert_uint_eq(l->nhosts, 1);
	ck_assert_str_eq(l->hosts[0].hostnqn, e[1].nqn);
	ck_assert_uint_eq(l->nrecs, 2);
	ck_assert_str_eq(l->recs[0].owner, e[1].nqn);
	ck_assert_str_eq(l->recs[1].owner, "");
	free(l);
}
END_TEST

START_TEST(deleting_what_is_not_there_is_enoent)
{
	char path[PATH_MAX];
	struct entity e;
	struct host_rec h;
	struct log_rec r;
	struct store *st;

	path_of(path, sizeof(path), "enoent.db");
	make_entity(&e, OWNER);
	make_host(&h, OWNER, "192.0.2.1");
	make_rec(&r, OWNER, "nqn.2014-08.org.example:sub", "192.0.2.1");

	st = open_ok(path);
	ck_assert_int_eq(store_begin(st), 0);
	ck_assert_int_eq(store_entity_del(st, OWNER), -ENOENT);
	ck_assert_int_eq(store_host_del(st, &h), -ENOENT);
	ck_assert_int_eq(store_rec_del(st, &r), -ENOENT);
	ck_assert_int_eq(store_entity_put(st, &e), 0);
	ck_assert_int_eq(store_host_put(st, &h), 0);
	/* Same owner and subsystem, another port: still not there. */
	snprintf(h.trsvcid, sizeof(h.trsvcid), "4421");
	ck_assert_int_eq(store_host_del(st, &h), -ENOENT);
	ck_assert_str_ne(store_errmsg(st), "");
	/* -ENOENT does not spoil the transaction. */
	ck_assert_int_eq(store_commit(st), 0);
	store_close(st);
}
END_TEST

START_TEST(host_or_rec_of_an_unknown_entity_is_einval_and_the_transaction_goes_on)
{
	char path[PATH_MAX];
	struct entity e;
	struct host_rec h;
	struct log_rec r;
	struct store *st;
	struct loaded *l;

	path_of(path, sizeof(path), "fk.db");
	make_entity(&e, OWNER);
	make_host(&h, "nqn.2014-08.org.example:nobody", "192.0.2.1");
	make_rec(&r, "nqn.2014-08.org.example:nobody", "nqn.2014-08.org.example:sub", "192.0.2.1");

	st = open_ok(path);
	ck_assert_int_eq(store_begin(st), 0);
	ck_assert_int_eq(store_entity_put(st, &e), 0);
	ck_assert_int_eq(store_host_put(st, &h), -EINVAL);
	ck_assert_int_eq(store_rec_put(st, &r), -EINVAL);
	ck_assert_int_eq(store_commit(st), 0);
	store_close(st);

	l = reload(path);
	ck_assert_uint_eq(l->nents, 1);
	ck_assert_uint_eq(l->nhosts, 0);
	ck_assert_uint_eq(l->nrecs, 0);
	free(l);
}
END_TEST

/* ---- transactions ---- */

START_TEST(rollback_leaves_nothing)
{
	char path[PATH_MAX];
	struct entity e;
	struct log_rec r;
	struct store *st;
	struct loaded *l;

	path_of(path, sizeof(path), "rollback.db");
	make_entity(&e, OWNER);
	make_rec(&r, OWNER, "nqn.2014-08.org.example:sub", "192.0.2.1");

	st = open_ok(path);
	ck_assert_int_eq(store_begin(st), 0);
	ck_assert_int_eq(store_entity_put(st, &e), 0);
	ck_assert_int_eq(store_rec_put(st, &r), 0);
	ck_assert_int_eq(store_genctr_set(st, 5), 0);
	ck_assert_int_eq(store_journal_add(st, 1, OWNER, "192.0.2.1", "register", "x"), 0);
	store_rollback(st);
	/* The store is usable again after a rollback. */
	ck_assert_int_eq(store_begin(st), 0);
	ck_assert_int_eq(store_commit(st), 0);
	store_close(st);

	l = reload(path);
	ck_assert_uint_eq(l->nents, 0);
	ck_assert_uint_eq(l->nrecs, 0);
	ck_assert_uint_eq(l->genctr, 0);
	ck_assert_int_eq(raw_int(path, "SELECT count(*) FROM journal"), 0);
	free(l);
}
END_TEST

START_TEST(close_with_a_transaction_open_discards_it)
{
	char path[PATH_MAX];
	struct entity e;
	struct store *st;
	struct loaded *l;

	path_of(path, sizeof(path), "close_open_tx.db");
	make_entity(&e, OWNER);
	st = open_ok(path);
	ck_assert_int_eq(store_begin(st), 0);
	ck_assert_int_eq(store_entity_put(st, &e), 0);
	store_close(st);

	l = reload(path);
	ck_assert_uint_eq(l->nents, 0);
	free(l);
}
END_TEST

START_TEST(writes_outside_a_transaction_are_refused)
{
	char path[PATH_MAX];
	struct entity e;
	struct host_rec h;
	struct log_rec r;
	struct store *st;
	struct loaded *l;

	path_of(path, sizeof(path), "no_tx.db");
	make_entity(&e, OWNER);
	make_host(&h, OWNER, "192.0.2.1");
	make_rec(&r, "", "nqn.2014-08.org.example:sub", "192.0.2.1");

	st = open_ok(path);
	ck_assert_int_eq(store_entity_put(st, &e), -EINVAL);
	ck_assert_int_eq(store_entity_del(st, OWNER), -EINVAL);
	ck_assert_int_eq(store_host_put(st, &h), -EINVAL);
	ck_assert_int_eq(store_host_del(st, &h), -EINVAL);
	ck_assert_int_eq(store_rec_put(st, &r), -EINVAL);
	ck_assert_int_eq(store_rec_del(st, &r), -EINVAL);
	ck_assert_int_eq(store_genctr_set(st, 1), -EINVAL);
	ck_assert_int_eq(store_journal_add(st, 1, OWNER, "", "register", ""), -EINVAL);
	ck_assert_int_eq(store_commit(st), -EINVAL);
	ck_assert_str_eq(store_errmsg(st), "commit outside a transaction");
	store_close(st);

	l = reload(path);
	ck_assert_uint_eq(l->nents + l->nhosts + l->nrecs, 0);
	free(l);
}
END_TEST

START_TEST(nested_begin_is_ebusy_and_keeps_the_open_transaction)
{
	char path[PATH_MAX];
	struct entity e;
	struct store *st;
	struct loaded *l;

	path_of(path, sizeof(path), "nested.db");
	make_entity(&e, OWNER);
	st = open_ok(path);
	ck_assert_int_eq(store_begin(st), 0);
	ck_assert_int_eq(store_entity_put(st, &e), 0);
	ck_assert_int_eq(store_begin(st), -EBUSY);
	ck_assert_int_eq(store_commit(st), 0);
	store_close(st);

	l = reload(path);
	ck_assert_uint_eq(l->nents, 1);
	free(l);
}
END_TEST

START_TEST(load_inside_a_transaction_is_ebusy)
{
	char path[PATH_MAX];
	struct store_loader ld = {NULL, NULL, NULL, NULL};
	struct store *st;
	uint64_t g;

	path_of(path, sizeof(path), "load_in_tx.db");
	st = open_ok(path);
	ck_assert_int_eq(store_begin(st), 0);
	ck_assert_int_eq(store_load(st, &ld, &g), -EBUSY);
	store_rollback(st);
	ck_assert_int_eq(store_load(st, &ld, &g), 0);
	store_close(st);
}
END_TEST

START_TEST(load_callback_error_stops_the_load_and_is_returned)
{
	char path[PATH_MAX];
	struct entity e;
	struct store *st;
	struct loaded *l = calloc(1, sizeof(*l));
	struct store_loader ld = {take_entity, take_host, take_rec, l};
	uint64_t g = 99;

	ck_assert_ptr_nonnull(l);
	path_of(path, sizeof(path), "load_stop.db");
	st = open_ok(path);
	ck_assert_int_eq(store_begin(st), 0);
	for (int i = 0; i < 5; i++) {
		char nqn[64];

		snprintf(nqn, sizeof(nqn), "nqn.2014-08.org.example:e%d", i);
		make_entity(&e, nqn);
		ck_assert_int_eq(store_entity_put(st, &e), 0);
	}
	ck_assert_int_eq(store_commit(st), 0);
	l->stop_after = 2;
	ck_assert_int_eq(store_load(st, &ld, &g), -ECANCELED);
	ck_assert_uint_eq(l->nents, 2);
	ck_assert_uint_eq(g, 99);
	/* And the store still loads in full afterwards. */
	memset(l, 0, sizeof(*l));
	ck_assert_int_eq(store_load(st, &ld, &g), 0);
	ck_assert_uint_eq(l->nents, 5);
	store_close(st);
	free(l);
}
END_TEST

/* ---- crashes ---- */

enum crash { CRASH_EXIT, CRASH_KILL };

/* A child that writes an entity and GENCTR 7, commits or not, and dies without closing. */
static int crash_child(const char *path, bool commit, enum crash how)
{
	int status;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct entity e;
		struct store *st;

		make_entity(&e, OWNER);
		if (store_open(path, &st))
			_exit(2);
		if (store_begin(st) || store_entity_put(st, &e) || store_genctr_set(st, 7))
			_exit(3);
		if (commit && store_commit(st))
			_exit(4);
		if (how == CRASH_KILL)
			raise(SIGKILL);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return status;
}

START_TEST(committed_transaction_survives_exit_without_close)
{
	char path[PATH_MAX];
	struct loaded *l;
	int status;

	path_of(path, sizeof(path), "crash_exit.db");
	status = crash_child(path, true, CRASH_EXIT);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);

	l = reload(path);
	ck_assert_uint_eq(l->nents, 1);
	ck_assert_str_eq(l->ents[0].nqn, OWNER);
	ck_assert_uint_eq(l->genctr, 7);
	free(l);
}
END_TEST

START_TEST(committed_transaction_survives_kill_9)
{
	char path[PATH_MAX];
	struct loaded *l;
	int status;

	path_of(path, sizeof(path), "crash_kill.db");
	status = crash_child(path, true, CRASH_KILL);
	ck_assert(WIFSIGNALED(status));
	ck_assert_int_eq(WTERMSIG(status), SIGKILL);

	l = reload(path);
	ck_assert_uint_eq(l->nents, 1);
	ck_assert_uint_eq(l->genctr, 7);
	free(l);
}
END_TEST

START_TEST(uncommitted_transaction_is_gone_after_kill_9)
{
	char path[PATH_MAX];
	struct loaded *l;
	int status;

	path_of(path, sizeof(path), "crash_uncommitted.db");
	status = crash_child(path, false, CRASH_KILL);
	ck_assert(WIFSIGNALED(status));

	l = reload(path);
	ck_assert_uint_eq(l->nents, 0);
	ck_assert_uint_eq(l->genctr, 0);
	free(l);
}
END_TEST

/* ---- GENCTR ---- */

START_TEST(genctr_never_goes_backwards)
{
	char path[PATH_MAX];
	struct store *st;
	struct loaded *l;

	path_of(path, sizeof(path), "genctr.db");
	st = open_ok(path);
	ck_assert_int_eq(store_begin(st), 0);
	ck_assert_int_eq(store_genctr_set(st, 5), 0);
	ck_assert_int_eq(store_genctr_set(st, 4), -ERANGE);
	ck_assert_int_eq(store_genctr_set(st, 5), 0);
	ck_assert_int_eq(store_commit(st), 0);
	store_close(st);

	st = open_ok(path);
	ck_assert_int_eq(store_begin(st), 0);
	ck_assert_int_eq(store_genctr_set(st, 0), -ERANGE);
	ck_assert_int_eq(store_genctr_set(st, (uint64_t)INT64_MAX + 1), -ERANGE);
	ck_assert_int_eq(store_genctr_set(st, 6), 0);
	ck_assert_int_eq(store_commit(st), 0);
	store_close(st);

	l = reload(path);
	ck_assert_uint_eq(l->genctr, 6);
	free(l);
}
END_TEST

/* ---- journal ---- */

struct page {
	struct journal_entry e[16];
	int n;
};

static int take_journal(void *arg, const struct journal_entry *j)
{
	struct page *p = arg;

	ck_assert_int_lt(p->n, 16);
	p->e[p->n++] = *j;
	return 0;
}

START_TEST(journal_pages_oldest_first_from_since)
{
	char path[PATH_MAX], detail[600];
	struct store *st;
	struct page p;
	int64_t since = 0;
	int total = 0, got;

	path_of(path, sizeof(path), "journal.db");
	st = open_ok(path);
	ck_assert_int_eq(store_begin(st), 0);
	for (int i = 0; i < 25; i++) {
		snprintf(detail, sizeof(detail), "entry %d", i);
		ck_assert_int_eq(
			store_journal_add(st, 1000 + i, OWNER, "192.0.2.1", "register", detail), 0);
	}
	ck_assert_int_eq(store_commit(st), 0);
	store_close(st);

	st = open_ok(path);
	do {
		memset(&p, 0, sizeof(p));
		got = store_journal_read(st, since, 10, take_journal, &p);
		ck_assert_int_eq(got, p.n);
		for (int i = 0; i < got; i++) {
			char want[32];

			ck_assert_int_gt(p.e[i].id, since);
			since = p.e[i].id;
			snprintf(want, sizeof(want), "entry %d", total);
			ck_assert_str_eq(p.e[i].detail, want);
			ck_assert_int_eq(p.e[i].when, 1000 + total);
			ck_assert_str_eq(p.e[i].actor, OWNER);
			ck_assert_str_eq(p.e[i].peer, "192.0.2.1");
			ck_assert_str_eq(p.e[i].action, "register");
			total++;
		}
		ck_assert_int_le(got, 10);
	} while (got > 0);
	ck_assert_int_eq(total, 25);
	ck_assert_int_eq(store_journal_read(st, 0, 0, take_journal, &p), 0);
	ck_assert_int_eq(store_journal_read(st, 0, -1, take_journal, &p), -EINVAL);
	store_close(st);
}
END_TEST

static int count_cb(void *arg, const struct journal_entry *j)
{
	int64_t *last = arg;

	*last = j->id;
	return 0;
}

START_TEST(journal_trim_keeps_the_newest_entries)
{
	char path[PATH_MAX];
	int64_t last = 0;

	path_of(path, sizeof(path), "trim.db");
	struct store *st = open_ok(path);

	ck_assert_int_eq(store_begin(st), 0);
	for (int i = 0; i < 10; i++)
		ck_assert_int_eq(store_journal_add(st, i, "a", "p", "register", "d"), 0);
	ck_assert_int_eq(store_journal_trim(st, 3), 0);
	ck_assert_int_eq(store_commit(st), 0);
	ck_assert_int_eq(store_journal_read(st, 0, 100, count_cb, &last), 3);
	ck_assert_int_eq(last, 10);
	/* New ids continue after the trimmed ones. */
	ck_assert_int_eq(store_begin(st), 0);
	ck_assert_int_eq(store_journal_add(st, 11, "a", "p", "register", "d"), 0);
	ck_assert_int_eq(store_commit(st), 0);
	ck_assert_int_eq(store_journal_read(st, 10, 100, count_cb, &last), 1);
	ck_assert_int_eq(last, 11);
	ck_assert_int_eq(store_journal_trim(st, 1), -EINVAL); /* outside a transaction */
	store_close(st);
}
END_TEST

START_TEST(journal_cuts_long_strings_and_takes_null_ones)
{
	char path[PATH_MAX], detail[2000];
	struct store *st;
	struct page p = {0};

	path_of(path, sizeof(path), "journal_long.db");
	memset(detail, 'd', sizeof(detail) - 1);
	detail[sizeof(detail) - 1] = '\0';
	st = open_ok(path);
	ck_assert_int_eq(store_begin(st), 0);
	ck_assert_int_eq(store_journal_add(st, 1, NULL, NULL, "admin", detail), 0);
	ck_assert_int_eq(store_commit(st), 0);
	ck_assert_int_eq(store_journal_read(st, 0, 10, take_journal, &p), 1);
	ck_assert_str_eq(p.e[0].actor, "");
	ck_assert_str_eq(p.e[0].peer, "");
	ck_assert_uint_eq(strlen(p.e[0].detail), sizeof(p.e[0].detail) - 1);
	store_close(st);
}
END_TEST

/* ---- schema and refusals ---- */

START_TEST(new_and_empty_files_are_migrated_to_the_current_version)
{
	char path[PATH_MAX], empty[PATH_MAX];
	struct loaded *l;

	path_of(path, sizeof(path), "new.db");
	path_of(empty, sizeof(empty), "empty.db");
	write_bytes(empty, "", 0, 0);

	store_close(open_ok(path));
	store_close(open_ok(empty));
	ck_assert_int_eq(raw_int(path, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	ck_assert_int_eq(raw_int(empty, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	ck_assert_int_eq(raw_int(path, "SELECT journal_mode = 'wal' FROM pragma_journal_mode"), 1);
	l = reload(empty);
	ck_assert_uint_eq(l->nents + l->nhosts + l->nrecs, 0);
	ck_assert_uint_eq(l->genctr, 0);
	free(l);
}
END_TEST

#define KEY1 "DHHC-1:00:ia6zGodOr4SEG0Zzaw398rpY0wqipUWj4jWjUh4HWUz6aQ2n:"
#define KEY2 "DHHC-1:01:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR:"

struct auth_rows {
	int n;
	char nqn[4][CDC_NQN_MAX + 1];
	char key[4][128], ctrl[4][128];
	bool require[4];
};

static int take_auth(void *arg, const struct store_host_auth *a)
{
	struct auth_rows *r = arg;

	ck_assert_int_lt(r->n, 4);
	snprintf(r->nqn[r->n], sizeof(r->nqn[0]), "%s", a->hostnqn);
	snprintf(r->key[r->n], sizeof(r->key[0]), "%s", a->key);
	snprintf(r->ctrl[r->n], sizeof(r->ctrl[0]), "%s", a->ctrl_key ? a->ctrl_key : "(none)");
	r->require[r->n++] = a->require;
	return 0;
}

/* Schema 3 as cdcd wrote it: the current schema less what migration 4 added. */
static void make_schema_3(const char *path)
{
	struct store *st = open_ok(path);
	struct entity e;
	struct host_rec h;

	ck_assert_int_eq(store_begin(st), 0);
	make_entity(&e, OWNER);
	ck_assert_int_eq(store_entity_put(st, &e), 0);
	make_host(&h, OWNER, "192.0.2.1");
	ck_assert_int_eq(store_host_put(st, &h), 0);
	ck_assert_int_eq(store_genctr_set(st, 42), 0);
	ck_assert_int_eq(store_commit(st), 0);
	store_close(st);
	raw_exec(path, "DROP TABLE host_auth; PRAGMA user_version = 3");
	ck_assert_int_eq(raw_int(path, "SELECT count(*) FROM sqlite_master WHERE name = "
				       "'host_auth'"),
			 0);
}

START_TEST(schema_3_is_migrated_to_4_and_keeps_its_records)
{
	char path[PATH_MAX];
	struct auth_rows rows = {0};
	struct loaded *l;

	path_of(path, sizeof(path), "v3.db");
	make_schema_3(path);
	l = reload(path);
	ck_assert_uint_eq(l->nents, 1);
	ck_assert_uint_eq(l->nhosts, 1);
	ck_assert_str_eq(l->hosts[0].traddr, "192.0.2.1");
	ck_assert_uint_eq(l->genctr, 42);
	free(l);
	ck_assert_int_eq(raw_int(path, "PRAGMA user_version"), 4);

	struct store *st = open_ok(path);
	ck_assert_int_eq(store_host_auth_load(st, take_auth, &rows), 0);
	ck_assert_int_eq(rows.n, 0);
	struct store_host_auth a = {OWNER, KEY1, NULL, 1};
	ck_assert_int_eq(store_begin(st), 0);
	ck_assert_int_eq(store_host_auth_put(st, &a), 0);
	ck_assert_int_eq(store_commit(st), 0);
	store_close(st);
}
END_TEST

START_TEST(host_auth_rows_round_trip_replace_and_delete)
{
	char path[PATH_MAX];
	struct auth_rows rows = {0};
	struct store *st;
	struct store_host_auth a = {"nqn.2014-08.org.example:h1", KEY1, KEY2, -1};
	struct store_host_auth b = {"nqn.2014-08.org.example:h2", KEY2, NULL, 0};

	path_of(path, sizeof(path), "auth.db");
	st = open_ok(path);
	ck_assert_int_eq(store_host_auth_put(st, &a), -EINVAL); /* outside a transaction */
	ck_assert_int_eq(store_begin(st), 0);
	ck_assert_int_eq(store_host_auth_put(st, &a), 0); /* new, require kept: yes */
	ck_assert_int_eq(store_host_auth_put(st, &b), 0);
	a.key = KEY2;
	a.ctrl_key = NULL;
	b.key = KEY1;
	b.require = -1;
	ck_assert_int_eq(store_host_auth_put(st, &a), 0); /* replaces the keys */
	ck_assert_int_eq(store_host_auth_put(st, &b), 0); /* and keeps require */
	ck_assert_int_eq(store_commit(st), 0);
	store_close(st);

	st = open_ok(path);
	ck_assert_int_eq(store_host_auth_load(st, take_auth, &rows), 0);
	ck_assert_int_eq(rows.n, 2);
	ck_assert_str_eq(rows.nqn[0], "nqn.2014-08.org.example:h1");
	ck_assert_str_eq(rows.key[0], KEY2);
	ck_assert_str_eq(rows.ctrl[0], "(none)");
	ck_assert(rows.require[0]);
	ck_assert_str_eq(rows.key[1], KEY1);
	ck_assert(!rows.require[1]);
	ck_assert_int_eq(store_begin(st), 0);
	ck_assert_int_eq(store_host_auth_require(st, "nqn.2014-08.org.example:h2", true), 0);
	ck_assert_int_eq(store_host_auth_require(st, "nqn.2014-08.org.example:h3", true), -ENOENT);
	ck_assert_int_eq(store_host_auth_del(st, "nqn.2014-08.org.example:h1"), 0);
	ck_assert_int_eq(store_host_auth_del(st, "nqn.2014-08.org.example:h1"), -ENOENT);
	ck_assert_int_eq(store_commit(st), 0); /* the -ENOENTs did not end the transaction */
	memset(&rows, 0, sizeof(rows));
	ck_assert_int_eq(store_host_auth_load(st, take_auth, &rows), 0);
	ck_assert_int_eq(rows.n, 1);
	ck_assert_str_eq(rows.nqn[0], "nqn.2014-08.org.example:h2");
	ck_assert(rows.require[0]);
	store_close(st);
}
END_TEST

static unsigned int mode_of(const char *path, const char *suffix)
{
	char name[PATH_MAX + 8];
	struct stat sb;

	snprintf(name, sizeof(name), "%s%s", path, suffix);
	ck_assert_int_eq(stat(name, &sb), 0);
	return (unsigned int)(sb.st_mode & 0777);
}

/* It holds the hosts' secrets: whatever the umask, only the daemon's user reads it. */
START_TEST(new_database_and_its_wal_and_shm_are_0600)
{
	char path[PATH_MAX];
	struct entity e;
	mode_t old = umask(002);

	path_of(path, sizeof(path), "private.db");
	struct store *st = open_ok(path);
	ck_assert_int_eq(store_begin(st), 0);
	make_entity(&e, OWNER);
	ck_assert_int_eq(store_entity_put(st, &e), 0);
	ck_assert_int_eq(store_commit(st), 0);
	ck_assert_uint_eq(mode_of(path, ""), 0600);
	ck_assert_uint_eq(mode_of(path, "-wal"), 0600);
	ck_assert_uint_eq(mode_of(path, "-shm"), 0600);
	store_close(st);
	umask(old);
}
END_TEST

START_TEST(wider_modes_are_tightened_at_open)
{
	char path[PATH_MAX], wal[PATH_MAX + 8], shm[PATH_MAX + 8];
	struct entity e;

	path_of(path, sizeof(path), "wide.db");
	snprintf(wal, sizeof(wal), "%s-wal", path);
	snprintf(shm, sizeof(shm), "%s-shm", path);
	struct store *st = open_ok(path);
	ck_assert_int_eq(store_begin(st), 0);
	make_entity(&e, OWNER);
	ck_assert_int_eq(store_entity_put(st, &e), 0);
	ck_assert_int_eq(store_commit(st), 0);
	/* As an older cdcd left them, the -wal and -shm kept open by the first store. */
	ck_assert_int_eq(chmod(path, 0644), 0);
	ck_assert_int_eq(chmod(wal, 0664), 0);
	ck_assert_int_eq(chmod(shm, 0644), 0);
	struct store *again = open_ok(path);
	ck_assert_uint_eq(mode_of(path, ""), 0600);
	ck_assert_uint_eq(mode_of(path, "-wal"), 0600);
	ck_assert_uint_eq(mode_of(path, "-shm"), 0600);
	store_close(again);
	store_close(st);
}
END_TEST

START_TEST(database_from_a_newer_version_is_refused_with_eproto)
{
	char path[PATH_MAX];
	struct store *st = (struct store *)1;

	path_of(path, sizeof(path), "future.db");
	store_close(open_ok(path));
	raw_exec(path, "PRAGMA user_version = 99");
	ck_assert_int_eq(store_open(path, &st), -EPROTO);
	ck_assert_ptr_null(st);
	/* Untouched: an older cdcd started by mistake must not damage it. */
	ck_assert_int_eq(raw_int(path, "PRAGMA user_version"), 99);
}
END_TEST

START_TEST(open_in_a_missing_directory_is_enoent)
{
	char path[PATH_MAX];
	struct store *st = NULL;

	path_of(path, sizeof(path), "missing/cdcd.db");
	ck_assert_int_eq(store_open(path, &st), -ENOENT);
	ck_assert_ptr_null(st);
}
END_TEST

START_TEST(begin_while_another_connection_writes_is_ebusy)
{
	char path[PATH_MAX];
	struct store *st;
	sqlite3 *db;

	path_of(path, sizeof(path), "busy.db");
	st = open_ok(path);
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	ck_assert_int_eq(store_begin(st), -EBUSY);
	ck_assert_int_eq(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	ck_assert_int_eq(store_begin(st), 0);
	ck_assert_int_eq(store_commit(st), 0);
	store_close(st);
}
END_TEST

START_TEST(garbage_file_is_refused_with_eio)
{
	char path[PATH_MAX];
	unsigned char junk[65536];
	unsigned int seed = getenv("STORE_SEED") ? (unsigned int)atoi(getenv("STORE_SEED"))
						 : (unsigned int)getpid();
	struct store *st = NULL;

	printf("garbage_file_is_refused_with_eio: seed %u (STORE_SEED replays)\n", seed);
	srand(seed);
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (unsigned char)rand();
	path_of(path, sizeof(path), "garbage.db");
	write_bytes(path, junk, sizeof(junk), 0);
	ck_assert_int_eq(store_open(path, &st), -EIO);
	ck_assert_ptr_null(st);
}
END_TEST

START_TEST(corrupt_table_pages_fail_the_load_with_eio)
{
	char path[PATH_MAX];
	unsigned char junk[4096 * 16];
	struct entity e;
	struct store *st;
	struct store_loader ld = {take_entity, take_host, take_rec, NULL};
	struct loaded *l = calloc(1, sizeof(*l));
	uint64_t g;
	int err;

	ck_assert_ptr_nonnull(l);
	ld.arg = l;
	path_of(path, sizeof(path), "corrupt.db");
	st = open_ok(path);
	ck_assert_int_eq(store_begin(st), 0);
	make_entity(&e, OWNER);
	ck_assert_int_eq(store_entity_put(st, &e), 0);
	ck_assert_int_eq(store_commit(st), 0);
	store_close(st); /* checkpoints: everything is in the main file now */

	/* Keep page 1 (header and schema), scribble over the tables. */
	memset(junk, 0x5a, sizeof(junk));
	write_bytes(path, junk, sizeof(junk), 4096);
	st = NULL;
	err = store_open(path, &st);
	if (!err) {
		err = store_load(st, &ld, &g);
		store_close(st);
	}
	ck_assert_int_eq(err, -EIO);
	free(l);
}
END_TEST

/* Run fn in a child (its own process, so that it may drop privileges or mount), and return
 * its exit status. */
static int in_child(int (*fn)(const char *dir), const char *dir)
{
	int status;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(fn(dir));
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/* Root ignores file modes; nobody does not. */
static int drop_root(void)
{
	if (geteuid() != 0)
		return 0;
	return chmod(tmpdir, 0711) || setgid(65534) || setuid(65534) ? -EPERM : 0;
}

/* Exit codes of the children below: 0 as expected, otherwise the step that went wrong. */
static int read_only_file_child(const char *dir)
{
	char path[PATH_MAX];
	struct store_loader ld = {take_entity, take_host, take_rec, NULL};
	struct loaded *l = calloc(1, sizeof(*l));
	struct entity e;
	struct store *st;
	uint64_t g;
	int err;

	snprintf(path, sizeof(path), "%s/ro.db", dir);
	ld.arg = l;
	if (!l || drop_root())
		return 10;
	if (store_open(path, &st))
		return 11;
	if (store_load(st, &ld, &g) || l->nents != 1 || g != 3)
		return 12;
	make_entity(&e, "nqn.2014-08.org.example:new");
	err = store_begin(st);
	if (!err)
		err = store_entity_put(st, &e);
	if (!err)
		err = store_commit(st);
	store_rollback(st);
	store_close(st);
	free(l);
	return err == -EROFS ? 0 : 13;
}

static int read_only_dir_child(const char *dir)
{
	char path[PATH_MAX];
	struct store *st = NULL;

	snprintf(path, sizeof(path), "%s/ro.db", dir);
	if (drop_root())
		return 10;
	return store_open(path, &st) == -EROFS && !st ? 0 : 11;
}

/* A database with one entity and GENCTR 3 in dir/ro.db, then made read-only. */
static void make_read_only_db(const char *name, char *dir, size_t len, mode_t dir_mode)
{
	char path[PATH_MAX + 16];
	struct entity e;
	struct store *st;

	path_of(dir, len, name);
	ck_assert_int_eq(mkdir(dir, 0755), 0);
	snprintf(path, sizeof(path), "%s/ro.db", dir);
	st = open_ok(path);
	make_entity(&e, OWNER);
	ck_assert_int_eq(store_begin(st), 0);
	ck_assert_int_eq(store_entity_put(st, &e), 0);
	ck_assert_int_eq(store_genctr_set(st, 3), 0);
	ck_assert_int_eq(store_commit(st), 0);
	store_close(st);
	ck_assert_int_eq(chmod(path, 0444), 0);
	ck_assert_int_eq(chmod(dir, dir_mode), 0);
}

START_TEST(read_only_file_loads_but_refuses_writes_with_erofs)
{
	char dir[PATH_MAX];

	/* The directory stays writable: SQLite needs it for the -wal and -shm files. */
	make_read_only_db("ro_file", dir, sizeof(dir), 0777);
	ck_assert_int_eq(in_child(read_only_file_child, dir), 0);
}
END_TEST

START_TEST(read_only_directory_is_refused_with_erofs)
{
	char dir[PATH_MAX];

	/* Without -wal and -shm files SQLite cannot read a WAL database it cannot write. */
	make_read_only_db("ro_dir", dir, sizeof(dir), 0555);
	ck_assert_int_eq(in_child(read_only_dir_child, dir), 0);
	chmod(dir, 0755);
}
END_TEST

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -EIO;
}

/* A private mount namespace: as root directly, otherwise inside a user namespace. The mounts
 * made in it vanish with the process. */
static int private_mounts(void)
{
	char map[64];
	uid_t uid = getuid();
	gid_t gid = getgid();

	if (unshare(CLONE_NEWNS)) {
		if (unshare(CLONE_NEWUSER | CLONE_NEWNS))
			return -errno;
		snprintf(map, sizeof(map), "0 %u 1", (unsigned int)uid);
		if (write_file("/proc/self/setgroups", "deny") ||
		    write_file("/proc/self/uid_map", map))
			return -EPERM;
		snprintf(map, sizeof(map), "0 %u 1", (unsigned int)gid);
		if (write_file("/proc/self/gid_map", map))
			return -EPERM;
	}
	/* Only the propagation changes; "none" rather than NULL keeps valgrind quiet. */
	return mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) ? -errno : 0;
}

/* 256 KiB: room for the schema and a few commits of journal entries. */
static int tiny_tmpfs(const char *dir)
{
	if (private_mounts() || mount("tmpfs", dir, "tmpfs", 0, "size=256k,mode=0700"))
		return -EPERM;
	return 0;
}

static int count_journal(void *arg, const struct journal_entry *j)
{
	(void)j;
	(*(int *)arg)++;
	return 0;
}

static int full_disk_child(const char *dir)
{
	char path[PATH_MAX], detail[500];
	struct store_loader ld = {NULL, NULL, NULL, NULL};
	struct page p;
	struct store *st;
	uint64_t g;
	int err = 0, committed = 0, n;

	if (tiny_tmpfs(dir))
		return EXIT_SKIP;
	snprintf(path, sizeof(path), "%s/full.db", dir);
	memset(detail, 'x', sizeof(detail) - 1);
	detail[sizeof(detail) - 1] = '\0';
	if (store_open(path, &st))
		return 20;
	/* Batches of 20 entries until the disk is full. */
	for (int batch = 0; !err && batch < 1000; batch++) {
		err = store_begin(st);
		for (int i = 0; !err && i < 20; i++)
			err = store_journal_add(st, batch, OWNER, "192.0.2.1", "register", detail);
		if (!err)
			err = store_genctr_set(st, (uint64_t)batch + 1);
		if (!err)
			err = store_commit(st);
		if (!err)
			committed = batch + 1;
	}
	store_rollback(st);
	if (err != -ENOSPC)
		return 21;
	/* What was committed is readable, in this process and after a restart. */
	for (int pass = 0; pass < 2; pass++) {
		if (store_load(st, &ld, &g) || g != (uint64_t)committed)
			return 22;
		n = 0;
		for (int64_t since = 0;;) {
			memset(&p, 0, sizeof(p));
			int got = store_journal_read(st, since, 16, take_journal, &p);
			if (got < 0)
				return 23;
			if (got == 0)
				break;
			n += got;
			since = p.e[got - 1].id;
		}
		if (committed == 0 || n != committed * 20)
			return 24;
		store_close(st);
		if (pass == 0 && store_open(path, &st))
			return 25;
	}
	return 0;
}

START_TEST(full_disk_fails_the_commit_with_enospc_and_keeps_what_was_committed)
{
	char dir[PATH_MAX];
	int rc;

	path_of(dir, sizeof(dir), "full");
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	rc = in_child(full_disk_child, dir);
	/* main() made sure there is a private mount namespace before running this. */
	ck_assert_msg(rc != EXIT_SKIP, "no private mount namespace for a small tmpfs");
	ck_assert_int_eq(rc, 0);
}
END_TEST

/* One transaction too big for the cache and the disk: SQLite hits the full disk while
 * spilling, in the middle of the writes. */
static int full_disk_mid_transaction_child(const char *dir)
{
	char path[PATH_MAX], detail[500];
	struct store *st;
	int err = 0, added = 0, rows = 0, commit;

	if (tiny_tmpfs(dir))
		return EXIT_SKIP;
	snprintf(path, sizeof(path), "%s/spill.db", dir);
	memset(detail, 'x', sizeof(detail) - 1);
	detail[sizeof(detail) - 1] = '\0';
	if (store_open(path, &st) || store_begin(st))
		return 30;
	for (int i = 0; !err && i < 20000; i++) {
		err = store_journal_add(st, i, OWNER, "192.0.2.1", "register", detail);
		if (!err)
			added++;
	}
	if (err != -ENOSPC)
		return 31;
	/* A caller that carries on regardless. */
	for (int i = 0; i < 3; i++)
		if (!store_journal_add(st, i, OWNER, "192.0.2.1", "register", "late"))
			added++;
	commit = store_commit(st);
	store_close(st);
	if (store_open(path, &st) || store_journal_read(st, 0, 100000, count_journal, &rows) < 0)
		return 32;
	store_close(st);
	/* Whatever SQLite did inside: a commit that succeeded kept every write it was given,
	 * one that failed kept none. */
	if (commit == 0 ? rows != added : rows != 0)
		return 33;
	return 0;
}

START_TEST(full_disk_mid_transaction_keeps_all_of_it_or_none)
{
	char dir[PATH_MAX];
	int rc;

	path_of(dir, sizeof(dir), "spill");
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	rc = in_child(full_disk_mid_transaction_child, dir);
	ck_assert_msg(rc != EXIT_SKIP, "no private mount namespace for a small tmpfs");
	ck_assert_int_eq(rc, 0);
}
END_TEST

/* Zoning rows: what the loader hands back is what was put, the last put of a key wins, a
 * delete removes, and the key counter persists without going backwards. */
struct zone_seen {
	int groups, aliases;
	char text[4][256];
};

static int seen_alias(void *arg, const char *name, const char *members)
{
	struct zone_seen *z = arg;

	snprintf(z->text[z->aliases++ % 2 + 2], sizeof(z->text[0]), "%s=%s", name, members);
	return 0;
}

static int seen_group(void *arg, const struct store_zone_group *g)
{
	struct zone_seen *z = arg;

	snprintf(z->text[z->groups++ % 2], sizeof(z->text[0]), "%s/%s %u %u %s %s", g->orig,
		 g->name, g->key, g->gen, g->zones, g->active ? g->active : "-");
	return 0;
}

START_TEST(zoning_rows_round_trip_and_the_key_counter_persists)
{
	char path[PATH_MAX];
	struct store_zone_group g1 = {OWNER, "g1", 1, 1, "[]", NULL};
	struct store_zone_group g2 = {OWNER, "g2", 2, 7, "[{\"name\":\"z\"}]", "[]"};
	struct zone_seen z = {0};
	uint64_t next = 0;

	path_of(path, sizeof(path), "zoning.db");
	struct store *st = open_ok(path);
	struct store_zone_loader ld = {seen_alias, seen_group, &z};
	ck_assert_int_eq(store_zone_load(st, &ld, &next), 0);
	ck_assert_int_eq(z.groups + z.aliases, 0);
	ck_assert_uint_eq(next, 1);

	ck_assert_int_eq(store_begin(st), 0);
	ck_assert_int_eq(store_zone_group_put(st, &g1), 0);
	ck_assert_int_eq(store_zone_group_put(st, &g2), 0);
	g1.gen = 2;
	g1.active = "[]";
	ck_assert_int_eq(store_zone_group_put(st, &g1), 0); /* replaces, keeps its place */
	ck_assert_int_eq(store_zone_alias_put(st, "a1", "[1]"), 0);
	ck_assert_int_eq(store_zone_alias_put(st, "a2", "[2]"), 0);
	ck_assert_int_eq(store_zone_alias_del(st, "a2"), 0);
	ck_assert_int_eq(store_counter_set(st, "zone_next_key", 3), 0);
	ck_assert_int_eq(store_commit(st), 0);
	store_close(st);

	st = open_ok(path);
	ck_assert_int_eq(store_zone_load(st, &ld, &next), 0);
	ck_assert_int_eq(z.groups, 2);
	ck_assert_int_eq(z.aliases, 1);
	ck_assert_str_eq(z.text[0], OWNER "/g1 1 2 [] []");
	ck_assert_str_eq(z.text[1], OWNER "/g2 2 7 [{\"name\":\"z\"}] []");
	ck_assert_str_eq(z.text[2], "a1=[1]");
	ck_assert_uint_eq(next, 3);

	ck_assert_int_eq(store_begin(st), 0);
	ck_assert_int_eq(store_zone_group_del(st, OWNER, "g1"), 0);
	ck_assert_int_eq(store_counter_set(st, "zone_next_key", 2), -ERANGE);
	store_rollback(st);
	ck_assert_int_eq(store_begin(st), 0);
	ck_assert_int_eq(store_zone_group_del(st, OWNER, "g1"), 0);
	ck_assert_int_eq(store_commit(st), 0);
	memset(&z, 0, sizeof(z));
	ck_assert_int_eq(store_zone_load(st, &ld, &next), 0);
	ck_assert_int_eq(z.groups, 1);
	ck_assert_str_eq(z.text[0], OWNER "/g2 2 7 [{\"name\":\"z\"}] []");
	store_close(st);
}
END_TEST

static Suite *store_suite(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("store");

	tcase_add_unchecked_fixture(tc, tmpdir_create, tmpdir_remove);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, entity_round_trips_at_max_lengths);
	tcase_add_test(tc, host_round_trips_at_max_lengths);
	tcase_add_test(tc, rec_round_trips_at_max_lengths_with_and_without_owner);
	tcase_add_test(tc, unterminated_fields_are_refused);
	tcase_add_test(tc, entity_put_again_replaces_it_and_keeps_its_hosts_and_records);
	tcase_add_test(tc, zoning_rows_round_trip_and_the_key_counter_persists);
	tcase_add_test(tc, host_put_again_replaces_rather_than_duplicates);
	tcase_add_test(tc, rec_put_again_replaces_rather_than_duplicates);
	tcase_add_test(tc, ownerless_rec_put_twice_leaves_one_row);
	tcase_add_test(tc, same_port_of_an_owner_and_of_no_owner_are_two_records);
	tcase_add_test(tc, del_removes_only_the_keyed_host_and_record);
	tcase_add_test(tc, entity_delete_cascades_to_its_hosts_and_records_only);
	tcase_add_test(tc, deleting_what_is_not_there_is_enoent);
	tcase_add_test(tc, host_or_rec_of_an_unknown_entity_is_einval_and_the_transaction_goes_on);
	tcase_add_test(tc, rollback_leaves_nothing);
	tcase_add_test(tc, close_with_a_transaction_open_discards_it);
	tcase_add_test(tc, writes_outside_a_transaction_are_refused);
	tcase_add_test(tc, nested_begin_is_ebusy_and_keeps_the_open_transaction);
	tcase_add_test(tc, load_inside_a_transaction_is_ebusy);
	tcase_add_test(tc, load_callback_error_stops_the_load_and_is_returned);
	tcase_add_test(tc, committed_transaction_survives_exit_without_close);
	tcase_add_test(tc, committed_transaction_survives_kill_9);
	tcase_add_test(tc, uncommitted_transaction_is_gone_after_kill_9);
	tcase_add_test(tc, genctr_never_goes_backwards);
	tcase_add_test(tc, journal_pages_oldest_first_from_since);
	tcase_add_test(tc, journal_trim_keeps_the_newest_entries);
	tcase_add_test(tc, journal_cuts_long_strings_and_takes_null_ones);
	tcase_add_test(tc, new_and_empty_files_are_migrated_to_the_current_version);
	tcase_add_test(tc, database_from_a_newer_version_is_refused_with_eproto);
	tcase_add_test(tc, schema_3_is_migrated_to_4_and_keeps_its_records);
	tcase_add_test(tc, host_auth_rows_round_trip_replace_and_delete);
	tcase_add_test(tc, new_database_and_its_wal_and_shm_are_0600);
	tcase_add_test(tc, wider_modes_are_tightened_at_open);
	tcase_add_test(tc, open_in_a_missing_directory_is_enoent);
	tcase_add_test(tc, begin_while_another_connection_writes_is_ebusy);
	tcase_add_test(tc, garbage_file_is_refused_with_eio);
	tcase_add_test(tc, corrupt_table_pages_fail_the_load_with_eio);
	tcase_add_test(tc, read_only_file_loads_but_refuses_writes_with_erofs);
	tcase_add_test(tc, read_only_directory_is_refused_with_erofs);
	suite_add_tcase(s, tc);

	/* Its own program (test_store_full_disk), so that automake counts it as skipped where
	 * there is no private mount namespace. */
	tc = tcase_create("full-disk");
	tcase_add_unchecked_fixture(tc, tmpdir_create, tmpdir_remove);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, full_disk_fails_the_commit_with_enospc_and_keeps_what_was_committed);
	tcase_add_test(tc, full_disk_mid_transaction_keeps_all_of_it_or_none);
	suite_add_tcase(s, tc);
	return s;
}

/* Whether a child can mount a small tmpfs of its own (as root, or in a user namespace). */
static bool can_mount_a_tmpfs(void)
{
	char dir[] = "/tmp/cdc-store-probe-XXXXXX";
	int status = -1;

	if (!mkdtemp(dir))
		return false;
	pid_t pid = fork();
	if (pid == 0)
		_exit(tiny_tmpfs(dir) ? EXIT_SKIP : 0);
	if (pid > 0)
		waitpid(pid, &status, 0);
	rmdir(dir);
	return pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

int main(void)
{
	SRunner *sr = srunner_create(store_suite());
	int failed;

#ifdef STORE_FULL_DISK_ONLY
	if (!can_mount_a_tmpfs()) {
		printf("SKIP: no private mount namespace for a small tmpfs (the full-disk tests "
		       "need "
		       "root or user namespaces)\n");
		srunner_free(sr);
		return EXIT_SKIP;
	}
	srunner_run(sr, NULL, "full-disk", CK_NORMAL);
#else
	(void)can_mount_a_tmpfs;
	srunner_run(sr, NULL, "store", CK_NORMAL);
#endif
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
