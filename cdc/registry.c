/* registry.c - the mutation path. Changes queue up during a loop turn; one deferred flush
 * stages them all (each one's plan, then its operations, onto the model with their undo and
 * into one store transaction), persists the next GENCTR, commits, and only then rebuilds the
 * logs, hands the change set to notify and completes the changes. A failed commit undoes the
 * model and fails the batch: nothing acknowledged was lost, nothing lost was acknowledged.
 * With etcd the registrations go to its txn instead, and the batch finishes when etcd
 * answers; changes arriving meanwhile wait for the next batch, and other instances' txns
 * are applied to the model here too, without a store write.
 * What a change means is its source's business (reg_*.c); here every change is the same. */
#include "registry.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <time.h>

#include "array.h"
#include "etcd.h"
#include "log.h"
#include "notify.h"
#include "reg_dim.h"
#include "reg_fzs.h"
#include "reg_hosts.h"
#include "reg_zoning.h"

/* An NQN that has a live association through ctrl (its host NQN or an EID it registered),
 * or through a pull connection to a DDC, indexed by association then NQN: a disconnect
 * finds its NQNs without a walk. */
struct live {
	RB_ENTRY(live) link;
	const void *ctrl;
	char nqn[CDC_NQN_MAX + 1];
};

static int live_cmp(const struct live *a, const struct live *b)
{
	if (a->ctrl != b->ctrl)
		return (uintptr_t)a->ctrl < (uintptr_t)b->ctrl ? -1 : 1;
	return strcmp(a->nqn, b->nqn);
}

RB_HEAD(live_tree, live);
RB_GENERATE_STATIC(live_tree, live, link, live_cmp)

/* With etcd, an NQN's associations counted by where they are: here (by ""), to tell etcd when
 * the first comes and the last goes; or at another instance (by its identity), as etcd says. */
struct conn_at {
	RB_ENTRY(conn_at) link;
	unsigned int n;
	char nqn[CDC_NQN_MAX + 1];
	char by[CDC_NQN_MAX + 1];
};

static int conn_at_cmp(const struct conn_at *a, const struct conn_at *b)
{
	int c = strcmp(a->nqn, b->nqn);

	return c ? c : strcmp(a->by, b->by);
}

RB_HEAD(conn_at_tree, conn_at);
RB_GENERATE_STATIC(conn_at_tree, conn_at, link, conn_at_cmp)

enum undo_kind {
	U_ENT_PUT,
	U_ENT_DEL,
	U_HOST_PUT,
	U_HOST_DEL,
	U_REC_PUT,
	U_REC_DEL,
	U_CONFIG,
	U_PATH,
	U_ZONING
};

struct undo {
	enum undo_kind kind;
	union {
		struct entity ent;
		struct host_rec host;
		struct log_rec rec;
		struct fabric_cfg *cfg;	 /* the configuration replaced, owned here */
		struct change_path path; /* the mark before */
		struct zoning *zoning;	 /* the zoning databases replaced, owned here */
	} u;
};

/* Where registrations (entities, hosts, records) are written: the SQLite transaction, or
 * the next etcd txn. Everything else (journal, zoning, counters) stays in SQLite. */
struct rows_ops {
	int (*entity_put)(void *ctx, const struct entity *e);
	int (*entity_del)(void *ctx, const char *nqn);
	int (*host_put)(void *ctx, const struct host_rec *h);
	int (*host_del)(void *ctx, const struct host_rec *h);
	int (*rec_put)(void *ctx, const struct log_rec *rec);
	int (*rec_del)(void *ctx, const struct log_rec *rec);
};

static int sq_entity_put(void *st, const struct entity *e)
{
	return store_entity_put(st, e);
}

static int sq_entity_del(void *st, const char *nqn)
{
	return store_entity_del(st, nqn);
}

static int sq_host_put(void *st, const struct host_rec *h)
{
	return store_host_put(st, h);
}

static int sq_host_del(void *st, const struct host_rec *h)
{
	return store_host_del(st, h);
}

static int sq_rec_put(void *st, const struct log_rec *rec)
{
	return store_rec_put(st, rec);
}

static int sq_rec_del(void *st, const struct log_rec *rec)
{
	return store_rec_del(st, rec);
}

static const struct rows_ops sqlite_rows = {sq_entity_put, sq_entity_del, sq_host_put,
					    sq_host_del,   sq_rec_put,	  sq_rec_del};
static const struct rows_ops etcd_rows = {etcd_entity_put, etcd_entity_del, etcd_host_put,
					  etcd_host_del,   etcd_rec_put,    etcd_rec_del};

struct registry {
	struct event_base *base;
	struct event *flush_ev;
	struct store *store;
	struct fabric *fabric;
	struct notify *notify;
	struct registry_limits lim;
	TAILQ_HEAD(, change) pending;
	uint64_t genctr_stored;
	uint64_t hgenctr_reserved; /* log 71h's counter stays below this, which is stored */
	struct live_tree live;
	struct undo *undo;
	size_t nundo, undo_cap;
	bool dirty70;		    /* log 70h may change in this batch: GENCTR to persist */
	bool hosts_changed;	    /* log 71h may change in this batch */
	unsigned int journal_added; /* entries since the journal was last trimmed */
	struct event *expire_ev;    /* forgets implicit hosts gone longer than host_expiry */
	bool expire_pending;
	struct ratelimit rl;
	struct ratelimit_peers rl_peers; /* refusals, by the sender's address */
	struct registry_stats stats;
	void (*observer)(void *arg, int logs);
	void *observer_arg;
	struct fzs *fzs; /* zone groups DDCs are sending */
	const struct rows_ops *rows;
	void *rows_ctx;
	struct etcd *etcd;	     /* NULL: registrations are in SQLite alone */
	bool inflight;		     /* the batch in flight waits for etcd's answer */
	bool marker_only;	     /* it writes no record: only a revision for GENCTR */
	TAILQ_HEAD(, change) flight; /* the batch being committed */
	uint64_t genctr_hint;	     /* GENCTR goes no lower: from etcd's revision */
	struct conn_at_tree conns;   /* with etcd: associations by NQN and instance */
	struct disc_svc *svc;
	struct nvmf_disc_log_entry peer_self[DISC_MAX_SELF]; /* the other instances' */
	bool peers_pending; /* they changed while a batch was in flight */
};

/* ---- undo ---- */

static int undo_push(struct registry *r, enum undo_kind kind, const void *rec, size_t len)
{
	struct undo *u = array_grow(r->undo, &r->undo_cap, r->nundo, sizeof(*u), 64);

	if (!u)
		return -ENOMEM;
	r->undo = u;
	r->undo[r->nundo].kind = kind;
	memcpy(&r->undo[r->nundo].u, rec, len);
	r->nundo++;
	return 0;
}

/* Undo in reverse order: each entry restores what was there before one change. */
static void undo_all(struct registry *r)
{
	while (r->nundo) {
		struct undo *u = &r->undo[--r->nundo];
		switch (u->kind) {
		case U_ENT_PUT:
			fabric_entity_put(r->fabric, &u->u.ent);
			break;
		case U_ENT_DEL:
			fabric_entity_del(r->fabric, u->u.ent.nqn);
			break;
		case U_HOST_PUT:
			fabric_host_put(r->fabric, &u->u.host);
			break;
		case U_HOST_DEL:
			fabric_host_del(r->fabric, &u->u.host);
			break;
		case U_REC_PUT:
			fabric_rec_put(r->fabric, &u->u.rec);
			break;
		case U_REC_DEL:
			fabric_rec_del(r->fabric, &u->u.rec);
			break;
		case U_PATH:
			/* Without memory to mark it down again the address stays served:
			 * hosts may see a dead path, nothing registered is lost. */
			fabric_path_set_down(r->fabric, &u->u.path.addr, u->u.path.down);
			break;
		case U_CONFIG:
			/* Out of memory, the new configuration stays: the file says so anyway. */
			fabric_cfg_swap(r->fabric, &u->u.cfg);
			fabric_cfg_free(u->u.cfg);
			break;
		case U_ZONING:
			fabric_zoning_swap(r->fabric, u->u.zoning);
			zoning_free(u->u.zoning);
			free(u->u.zoning);
			break;
		}
	}
}

/* The batch committed: the undo records only let go of what they own. */
static void undo_forget(struct registry *r)
{
	for (size_t i = 0; i < r->nundo; i++) {
		if (r->undo[i].kind == U_CONFIG)
			fabric_cfg_free(r->undo[i].u.cfg);
		if (r->undo[i].kind == U_ZONING) {
			zoning_free(r->undo[i].u.zoning);
			free(r->undo[i].u.zoning);
		}
	}
	r->nundo = 0;
}

/* ---- staging: model changes with their undo, store writes ---- */

static int stage_entity(struct registry *r, const struct entity *e)
{
	const struct entity *old = fabric_entity_find(r->fabric, e->nqn);
	int err = old ? undo_push(r, U_ENT_PUT, old, sizeof(*old))
		      : undo_push(r, U_ENT_DEL, e, sizeof(*e));

	if (!err)
		err = fabric_entity_put(r->fabric, e);
	return err ? err : r->rows->entity_put(r->rows_ctx, e);
}

/* How stale a stored last_seen may get before a connection or a registration rewrites
 * it: exact enough for expiry, without a store write for every connection. */
static int64_t seen_granularity(const struct registry *r)
{
	unsigned int g = r->lim.host_expiry / 4;

	return !r->lim.host_expiry || g > 3600 ? 3600 : g;
}

/* An entity as its source describes it; the times are the registry's. A DDC registers port
 * after port under one EID: its row is rewritten only when something but the time changed,
 * or the time by more than last_seen's granularity. */
static int stage_entity_put(struct registry *r, const struct entity *in, int64_t now)
{
	const struct entity *old = fabric_entity_find(r->fabric, in->nqn);
	struct entity e = *in;

	e.first_seen = old ? old->first_seen : now;
	e.last_seen = old ? old->last_seen : now;
	if (old && !memcmp(old, &e, sizeof(e)) && now - old->last_seen < seen_granularity(r))
		return 0;
	e.last_seen = now;
	return stage_entity(r, &e);
}

static int stage_seen(struct registry *r, const char *nqn, int64_t now)
{
	const struct entity *e = fabric_entity_find(r->fabric, nqn);

	if (!e || e->etype != NVMF_DIM_ETYPE_HOST || now - e->last_seen < seen_granularity(r))
		return 0;
	struct entity copy = *e;
	copy.last_seen = now;
	return stage_entity(r, &copy);
}

static int stage_host_put(struct registry *r, const struct host_rec *h)
{
	const struct host_rec *old = fabric_host_find(r->fabric, h);
	int err = old ? undo_push(r, U_HOST_PUT, old, sizeof(*old))
		      : undo_push(r, U_HOST_DEL, h, sizeof(*h));

	if (!err)
		err = fabric_host_put(r->fabric, h);
	r->hosts_changed = true;
	return err ? err : r->rows->host_put(r->rows_ctx, h);
}

static int stage_host_del(struct registry *r, const struct host_rec *key)
{
	const struct host_rec *old = fabric_host_find(r->fabric, key);

	if (!old)
		return 0;
	struct host_rec copy = *old;
	int err = undo_push(r, U_HOST_PUT, &copy, sizeof(copy));
	if (err)
		return err;
	fabric_host_del(r->fabric, &copy);
	r->hosts_changed = true;
	err = r->rows->host_del(r->rows_ctx, &copy);
	return err == -ENOENT ? 0 : err;
}

static int stage_rec_put(struct registry *r, const struct log_rec *rec)
{
	const struct log_rec *old = fabric_rec_find(r->fabric, rec);
	int err = old ? undo_push(r, U_REC_PUT, old, sizeof(*old))
		      : undo_push(r, U_REC_DEL, rec, sizeof(*rec));

	if (!err)
		err = fabric_rec_put(r->fabric, rec);
	r->dirty70 = true;
	return err ? err : r->rows->rec_put(r->rows_ctx, rec);
}

static int stage_rec_del(struct registry *r, const struct log_rec *key)
{
	const struct log_rec *old = fabric_rec_find(r->fabric, key);

	if (!old)
		return 0;
	struct log_rec copy = *old;
	int err = undo_push(r, U_REC_PUT, &copy, sizeof(copy));
	if (err)
		return err;
	fabric_rec_del(r->fabric, &copy);
	r->dirty70 = true;
	err = r->rows->rec_del(r->rows_ctx, &copy);
	return err == -ENOENT ? 0 : err;
}

/* An entity with what it owns: its records and its host records go first, each with its
 * undo, so a failed commit brings all of them back. */
static int stage_entity_del(struct registry *r, const char *nqn)
{
	const struct entity *old = fabric_entity_find(r->fabric, nqn);
	const struct log_rec *rec;
	const struct host_rec *h;
	int err = 0;

	if (!old)
		return 0;
	while (!err && (rec = fabric_rec_next_of(r->fabric, nqn, NULL))) {
		struct log_rec copy = *rec;
		err = stage_rec_del(r, &copy);
	}
	while (!err && (h = fabric_host_next_of(r->fabric, nqn, NULL))) {
		struct host_rec copy = *h;
		err = stage_host_del(r, &copy);
	}
	old = fabric_entity_find(r->fabric, nqn);
	if (!err)
		err = undo_push(r, U_ENT_PUT, old, sizeof(*old));
	if (err)
		return err;
	fabric_entity_del(r->fabric, nqn);
	err = r->rows->entity_del(r->rows_ctx, nqn);
	return err == -ENOENT ? 0 : err;
}

/* The configuration is not stored (the file is its own store), but replacing it moves
 * GENCTR like any change of log 70h. Takes the op's configuration. */
static int stage_config(struct registry *r, struct fabric_cfg **cfg)
{
	int err = undo_push(r, U_CONFIG, cfg, sizeof(*cfg));

	if (err)
		return err;
	err = fabric_cfg_swap(r->fabric, cfg);
	if (err) {
		r->nundo--;
		return err;
	}
	r->undo[r->nundo - 1].u.cfg = *cfg; /* now the replaced one */
	*cfg = NULL;
	/* the same file again changes nothing */
	r->dirty70 |= r->fabric->cfg_changed | r->fabric->zoning_changed;
	return 0;
}

/* A path's mark is runtime state (health.c says why): moved with its undo, never stored,
 * but a change of what hosts see moves GENCTR like any other. */
static int stage_path(struct registry *r, const struct change_path *p)
{
	struct change_path old = {p->addr, fabric_path_down(r->fabric, &p->addr)};

	if (old.down == p->down)
		return 0;
	int err = undo_push(r, U_PATH, &old, sizeof(old));
	if (err)
		return err;
	int touched = fabric_path_set_down(r->fabric, &p->addr, p->down);
	if (touched < 0) {
		r->nundo--;
		return touched;
	}
	r->dirty70 |= touched > 0;
	return 0;
}

/* The zoning databases are replaced whole by the change's copy (reg_zoning.c); the ones
 * replaced are the undo. Log 70h may change for any host: GENCTR to persist. */
static int stage_zoning(struct registry *r, struct change_zoning *cz)
{
	if (!cz->z)
		return reg_zoning_unstore(r->store, cz); /* the model is not touched */
	int err = undo_push(r, U_ZONING, &cz->z, sizeof(cz->z));

	if (err)
		return err;
	fabric_zoning_swap(r->fabric, cz->z); /* cz->z now holds the old ones */
	cz->z = NULL;
	r->dirty70 = true;
	return reg_zoning_persist(r->store, &r->fabric->zoning, cz);
}

/* ---- live associations (NCC) ---- */

/* nqn's NCC flipped: its records in log 70h and its addresses in log 71h change. */
static void live_flipped(struct registry *r, const char *nqn)
{
	r->hosts_changed = true;
	r->dirty70 |= fabric_rec_next_of(r->fabric, nqn, NULL) != NULL;
}

/* Counts an association of nqn at by (delta +1 or -1); returns whether the count went from
 * 0 to 1 or from 1 to 0, or -ENOMEM. */
static int conn_count(struct registry *r, const char *nqn, const char *by, int delta)
{
	struct conn_at key = {0}, *c;

	snprintf(key.nqn, sizeof(key.nqn), "%s", nqn);
	snprintf(key.by, sizeof(key.by), "%s", by);
	c = RB_FIND(conn_at_tree, &r->conns, &key);
	if (!c && delta < 0)
		return 0;
	if (!c) {
		c = malloc(sizeof(*c));
		if (!c)
			return -ENOMEM;
		*c = key;
		RB_INSERT(conn_at_tree, &r->conns, c);
	}
	c->n += delta;
	if (c->n)
		return delta > 0 && c->n == 1;
	RB_REMOVE(conn_at_tree, &r->conns, c);
	free(c);
	return 1;
}

/* This instance's first association of nqn came or its last went: etcd is told, so that
 * the other instances clear or set its NCC. */
static void conn_here(struct registry *r, const char *nqn, int delta)
{
	if (!r->etcd)
		return;
	int flipped = conn_count(r, nqn, "", delta);
	if (flipped > 0)
		flipped = etcd_conn_set(r->etcd, nqn, delta > 0);
	/* A disconnection may come with no change to carry it: a batch of its own then. */
	if (flipped == 0 && delta < 0)
		event_active(r->flush_ev, EV_TIMEOUT, 0);
	if (flipped < 0)
		log_ratelimited(&r->rl, LOG_ERR, "etcd: no memory to share the association of %s",
				nqn);
}

static int live_add(struct registry *r, const void *ctrl, const char *nqn)
{
	struct live key = {.ctrl = ctrl};

	snprintf(key.nqn, sizeof(key.nqn), "%s", nqn);
	if (!ctrl || RB_FIND(live_tree, &r->live, &key))
		return 0;
	struct live *l = malloc(sizeof(*l));
	if (!l)
		return -ENOMEM;
	*l = key;
	RB_INSERT(live_tree, &r->live, l);
	conn_here(r, nqn, +1);
	int flipped = fabric_conn(r->fabric, nqn, +1);
	if (flipped < 0)
		return flipped;
	if (flipped)
		live_flipped(r, nqn);
	return 0;
}

/* Associations that went away are facts, not requests: nothing to store or undo. */
static void live_drop(struct registry *r, const void *ctrl)
{
	struct live key = {.ctrl = ctrl}, *l, *next;

	for (l = RB_NFIND(live_tree, &r->live, &key); l && l->ctrl == ctrl; l = next) {
		next = RB_NEXT(live_tree, &r->live, l);
		if (fabric_conn(r->fabric, l->nqn, -1) > 0)
			live_flipped(r, l->nqn);
		conn_here(r, l->nqn, -1);
		RB_REMOVE(live_tree, &r->live, l);
		free(l);
	}
}

/* ---- the journal ---- */

#define JOURNAL_KEEP	   100000
#define JOURNAL_TRIM_EVERY 1024

/* The journal is a window on recent changes, not an archive: trimmed every so many
 * entries, refusals included, so a host sending refused DIMs cannot grow it. */
static int journal(struct registry *r, int64_t now, const struct change_journal *j)
{
	int err = store_journal_add(r->store, now, j->who, j->peer, j->what, j->detail);

	if (!err && ++r->journal_added >= JOURNAL_TRIM_EVERY) {
		err = store_journal_trim(r->store, JOURNAL_KEEP);
		r->journal_added = 0;
	}
	return err;
}

/* ---- what plans see ---- */

int stager_apply(struct stager *s, struct change *c, struct change_op *op)
{
	struct registry *r = s->r;

	switch (op->kind) {
	case CHG_ENTITY_PUT:
		return stage_entity_put(r, &op->u.ent, s->now);
	case CHG_ENTITY_DEL:
		return stage_entity_del(r, op->u.nqn);
	case CHG_HOST_PUT:
		return stage_host_put(r, &op->u.host);
	case CHG_HOST_DEL:
		return stage_host_del(r, &op->u.host);
	case CHG_REC_PUT:
		return stage_rec_put(r, &op->u.rec);
	case CHG_REC_DEL:
		return stage_rec_del(r, &op->u.rec);
	case CHG_SEEN:
		return stage_seen(r, op->u.nqn, s->now);
	case CHG_LIVE:
		return live_add(r, c->assoc ? c->assoc : c->ctrl, op->u.nqn);
	case CHG_GONE:
		live_drop(r, op->u.assoc);
		return 0;
	case CHG_CONFIG:
		return stage_config(r, &op->u.cfg);
	case CHG_JOURNAL:
		return journal(r, s->now, &op->u.journal);
	case CHG_PATH:
		return stage_path(r, &op->u.path);
	case CHG_ZONING:
		return stage_zoning(r, &op->u.zoning);
	}
	return -EINVAL;
}

/* Registered records of nqn (or of everyone): what the limits count. A host that merely
 * connected is not a registration of its own doing. */
static size_t registered(const struct registry *r, const char *nqn)
{
	const struct fabric *f = r->fabric;

	if (!nqn)
		return f->nrecs + f->nhosts - f->nhosts_implicit;
	size_t n = fabric_rec_count(f, nqn);
	for (const struct host_rec *h = fabric_host_next_of(f, nqn, NULL); h;
	     h = fabric_host_next_of(f, nqn, h))
		n += h->source != REG_IMPLICIT;
	return n;
}

int stager_room(const struct stager *s, const char *nqn, size_t added)
{
	if (registered(s->r, nqn) + added > s->lim->max_per_entity ||
	    registered(s->r, NULL) + added > s->lim->max_total)
		return -ENOSPC;
	return 0;
}

/* One change: its plan decides on the model as the batch left it, then its operations. */
static int stage(struct registry *r, struct change *c, int64_t now)
{
	struct stager s = {r, r->fabric, &r->lim, now, &r->rl, &r->rl_peers};
	int err = c->plan ? c->plan(c, &s) : 0;

	for (size_t i = 0; !err && !c->verdict && i < c->nops; i++)
		err = stager_apply(&s, c, &c->ops[i]);
	return err;
}

/* ---- the flush ---- */

/* Log 71h changes with every connection, too often to write each value: a block of values
 * is reserved in the store instead, and a restart resumes above the reservation. */
#define HGENCTR_BLOCK 4096

/* Committing is where a registration waits on the disk: timed, so the metrics show it. */
static int commit_timed(struct registry *r)
{
	struct timespec start;

	clock_gettime(CLOCK_MONOTONIC, &start);
	int err = store_commit(r->store);
	histogram_observe(&r->stats.commit_latency, histogram_since(&start));
	return err;
}

/* Registrations by source count what was applied; connections and expiry are not
 * registrations. A DIM's latency runs from its submission to its completion. */
static void count(struct registry *r, const struct change *c, int outcome)
{
	if (c->source == REG_DIM)
		histogram_observe(&r->stats.dim_latency, histogram_since(&c->submitted));
	if (!outcome && c->source != REG_IMPLICIT && c->source < REG_NSOURCES)
		r->stats.registrations[c->source]++;
}

const struct registry_stats *registry_get_stats(const struct registry *r)
{
	return &r->stats;
}

/* Persist counters the model moved on its own (recovery, a failed batch, log 71h). */
static void persist_genctr(struct registry *r)
{
	bool g = r->fabric->genctr > r->genctr_stored;
	bool h = r->fabric->hgenctr >= r->hgenctr_reserved;
	uint64_t reserve = r->fabric->hgenctr + HGENCTR_BLOCK;

	if (!g && !h)
		return;
	int err = store_begin(r->store);
	if (!err && g)
		err = store_genctr_set(r->store, r->fabric->genctr);
	if (!err && h)
		err = store_counter_set(r->store, "hgenctr", reserve);
	if (!err)
		err = commit_timed(r);
	if (err) {
		store_rollback(r->store);
		log_ratelimited(&r->rl, LOG_ERR, "store: cannot persist GENCTR %llu: %s (%s)",
				(unsigned long long)r->fabric->genctr, strerror(-err),
				store_errmsg(r->store));
		return;
	}
	if (g)
		r->genctr_stored = r->fabric->genctr;
	if (h)
		r->hgenctr_reserved = reserve;
}

/* Stages the batch: the model with its undo, the rows, the SQLite transaction. */
/* With etcd, a batch whose rows reach what one txn may hold leaves the changes after it for
 * the next batch, in their order. */
static void batch_cut(struct registry *r, struct change *last)
{
	TAILQ_HEAD(, change) rest = TAILQ_HEAD_INITIALIZER(rest);
	struct change *c;

	while ((c = TAILQ_NEXT(last, link))) {
		TAILQ_REMOVE(&r->flight, c, link);
		TAILQ_INSERT_TAIL(&rest, c, link);
	}
	TAILQ_CONCAT(&rest, &r->pending, link);
	TAILQ_CONCAT(&r->pending, &rest, link);
}

static int stage_batch(struct registry *r, int64_t now, int *n)
{
	int err = store_begin(r->store);

	*n = 0;
	/* A change whose association left in the meantime still applies: it was sent. */
	for (struct change *c = TAILQ_FIRST(&r->flight); c && !err; c = TAILQ_NEXT(c, link)) {
		err = stage(r, c, now);
		++*n;
		if (!err && r->etcd && etcd_staged(r->etcd) >= ETCD_BATCH_ROWS)
			batch_cut(r, c);
	}
	return err;
}

/* Commits the staged batch with the next GENCTR; on error rolls back and, unless the
 * batch is already durable elsewhere (keep), undoes the model. */
static int commit_local(struct registry *r, int err, int n, bool keep)
{
	uint64_t g = r->fabric->genctr > r->genctr_stored ? r->fabric->genctr : r->genctr_stored;

	if (r->genctr_hint > g + 1)
		g = r->genctr_hint - 1;
	g++;
	/* Persisted before anyone can see it: after a crash GENCTR resumes above it. */
	if (!err && r->dirty70)
		err = store_genctr_set(r->store, g);
	if (!err)
		err = commit_timed(r);
	if (!err) {
		undo_forget(r);
		if (r->dirty70)
			r->genctr_stored = g;
		return 0;
	}
	log_ratelimited(&r->rl, LOG_ERR, "store: %s (%s); %d changes failed", strerror(-err),
			store_errmsg(r->store), n);
	store_rollback(r->store);
	if (keep) {
		undo_forget(r);
		return 0;
	}
	undo_all(r);
	return err;
}

/* Rebuilds what may have changed and says what did: the change set. Without a record or
 * an owner's association changing, log 70h stayed the same; without a host record or a
 * host's association, log 71h. */
static int rebuild(struct registry *r, bool failed, int *maybe)
{
	int which = (r->dirty70 || failed ? FABRIC_LOG70 : 0) |
		    (r->hosts_changed || failed ? FABRIC_LOG71 : 0);

	*maybe = which;
	uint64_t floor = r->dirty70 && !failed ? r->genctr_stored - 1 : r->genctr_stored;

	if (r->genctr_hint > floor + 1)
		floor = r->genctr_hint - 1;

	/* Every host that connects changes log 71h; building it at once only pays when some
	 * controller waits for its change events. */
	if ((which & FABRIC_LOG71) && !notify_hostlog_wanted(r->notify)) {
		fabric_hostlog_defer(r->fabric);
		which &= ~FABRIC_LOG71;
	}
	r->dirty70 = r->hosts_changed = false;
	int changed = which ? fabric_rebuild_logs(r->fabric, floor, which) : 0;
	/* A shared fabric's revision moved (etcd): GENCTR follows even where no entry did. */
	if (changed >= 0 && r->fabric->genctr < r->genctr_hint) {
		int err = fabric_genctr_raise(r->fabric, r->genctr_hint);
		changed = err ? err : changed;
	}
	return changed;
}

static void notify_changed(struct registry *r, int changed)
{
	struct change_set cs = {.logs = changed, .all = true, .zoned = r->fabric->zoning_on};

	if (changed & FABRIC_LOG70)
		log_info("discovery log changed: GENCTR %llu, %zu entries",
			 (unsigned long long)r->fabric->genctr, r->fabric->nentries);
	notify_send(r->notify, &cs);
}

void registry_set_observer(struct registry *r, void (*fn)(void *arg, int logs), void *arg)
{
	r->observer = fn;
	r->observer_arg = arg;
}

/* ---- other instances' changes (etcd) ---- */

/* Each revision of etcd leaves room for this many local moves of GENCTR (a path marked
 * down, a configuration reload) before the next: instances that saw the same revision
 * serve nearly the same GENCTR, and every instance's GENCTR only grows. */
#define GENCTR_PER_REVISION (1ULL << 16)

/* nqn's association with instance by came (+1) or went (-1); a key written again (a new
 * lease) is the same association. */
static int remote_conn(struct registry *r, const char *nqn, const char *by, int delta)
{
	struct conn_at key = {0};

	snprintf(key.nqn, sizeof(key.nqn), "%s", nqn);
	snprintf(key.by, sizeof(key.by), "%s", by);
	if ((RB_FIND(conn_at_tree, &r->conns, &key) != NULL) == (delta > 0))
		return 0;
	int err = conn_count(r, nqn, by, delta);
	int flipped = err < 0 ? err : fabric_conn(r->fabric, nqn, delta);
	if (flipped > 0)
		live_flipped(r, nqn);
	return flipped < 0 ? flipped : 0;
}

/* Pass 0 removes records, 1 entities (with what they own), 2 adds entities, 3 records:
 * whatever order the txn had, an owner exists before its records. */
static int remote_one(struct registry *r, const struct etcd_event *ev, int pass)
{
	if (ev->del && ev->kind != ETCD_ENTITY && pass == 0) {
		if (ev->kind == ETCD_HOST)
			r->hosts_changed |= fabric_host_del(r->fabric, &ev->u.host);
		else
			r->dirty70 |= fabric_rec_del(r->fabric, &ev->u.rec);
	} else if (ev->del && ev->kind == ETCD_ENTITY && pass == 1) {
		live_flipped(r, ev->u.ent.nqn);
		fabric_entity_del(r->fabric, ev->u.ent.nqn);
	} else if (!ev->del && ev->kind == ETCD_ENTITY && pass == 2) {
		return fabric_entity_put(r->fabric, &ev->u.ent);
	} else if (!ev->del && ev->kind == ETCD_HOST && pass == 3) {
		r->hosts_changed = true;
		return fabric_host_put(r->fabric, &ev->u.host);
	} else if (!ev->del && ev->kind == ETCD_REC && pass == 3) {
		r->dirty70 = true;
		return fabric_rec_put(r->fabric, &ev->u.rec);
	} else if (ev->kind == ETCD_CONN && pass == 3) {
		return remote_conn(r, ev->u.conn.nqn, ev->u.conn.by, ev->del ? -1 : +1);
	}
	return 0;
}

/* After another instance's change: GENCTR to its revision, the logs, the AENs. */
static void remote_finish(struct registry *r, uint64_t rev, int err)
{
	int maybe;

	if (err)
		log_ratelimited(&r->rl, LOG_ERR, "etcd: revision %llu applied in part: %s",
				(unsigned long long)rev, strerror(-err));
	if (rev * GENCTR_PER_REVISION > r->genctr_hint)
		r->genctr_hint = rev * GENCTR_PER_REVISION;
	int changed = rebuild(r, false, &maybe);
	if (changed < 0)
		log_ratelimited(&r->rl, LOG_ERR, "cannot build the discovery logs: %s",
				strerror(-changed));
	persist_genctr(r);
	if (changed > 0)
		notify_changed(r, changed);
	if (maybe && r->observer)
		r->observer(r->observer_arg, maybe);
}

static int remote_apply(struct registry *r, const struct etcd_event *ev, size_t n, int from, int to)
{
	int err = 0;

	for (int pass = from; pass <= to; pass++)
		for (size_t i = 0; i < n; i++) {
			int e = remote_one(r, &ev[i], pass);
			err = e ? e : err;
		}
	return err;
}

/* A txn of another instance: applied to the model as it stands (no batch is in flight, etcd
 * holds such txns until ours is answered), then the logs and AENs as for a batch. */
static void remote_cb(void *arg, const struct etcd_event *ev, size_t n, uint64_t rev)
{
	struct registry *r = arg;

	remote_finish(r, rev, remote_apply(r, ev, n, 0, 3));
}

/* What the model holds of etcd's and the snapshot does not, as deletes. */
static int snapshot_gone(struct registry *r, struct etcd_event **out, size_t *n)
{
	const struct fabric *f = r->fabric;
	size_t cap = f->nents + f->nhosts + f->nrecs, k = 0;
	struct etcd_event *ev = calloc(cap ? cap : 1, sizeof(*ev));

	if (!ev)
		return -ENOMEM;
	for (const struct entity *e = fabric_entity_next(f, NULL); e && k < cap;
	     e = fabric_entity_next(f, e)) {
		ev[k] = (struct etcd_event){.kind = ETCD_ENTITY, .del = true, .u.ent = *e};
		k += !etcd_has(r->etcd, &ev[k]);
	}
	for (const struct host_rec *h = fabric_host_next(f, NULL); h && k < cap;
	     h = fabric_host_next(f, h)) {
		ev[k] = (struct etcd_event){.kind = ETCD_HOST, .del = true, .u.host = *h};
		k += !etcd_has(r->etcd, &ev[k]);
	}
	for (const struct log_rec *rec = fabric_rec_next(f, NULL); rec && k < cap;
	     rec = fabric_rec_next(f, rec)) {
		ev[k] = (struct etcd_event){.kind = ETCD_REC, .del = true, .u.rec = *rec};
		k += !etcd_has(r->etcd, &ev[k]);
	}
	*out = ev;
	*n = k;
	return 0;
}

/* The other instances' connections the snapshot no longer has. */
static int snapshot_conns(struct registry *r)
{
	struct conn_at *c, *next;
	struct etcd_event ev = {.kind = ETCD_CONN, .del = true};
	int err = 0;

	for (c = RB_MIN(conn_at_tree, &r->conns); c; c = next) {
		next = RB_NEXT(conn_at_tree, &r->conns, c);
		if (!c->by[0])
			continue;
		snprintf(ev.u.conn.nqn, sizeof(ev.u.conn.nqn), "%s", c->nqn);
		snprintf(ev.u.conn.by, sizeof(ev.u.conn.by), "%s", c->by);
		if (!etcd_has(r->etcd, &ev)) {
			int e = remote_conn(r, ev.u.conn.nqn, ev.u.conn.by, -1);
			err = e ? e : err;
		}
	}
	return err;
}

/* etcd read again in full (the watch could not resume): what is gone goes, the rest is put
 * again, as if the missed txns had come one by one. */
static void snapshot_cb(void *arg, const struct etcd_event *ev, size_t n, uint64_t rev)
{
	struct registry *r = arg;
	struct etcd_event *gone = NULL;
	size_t ngone = 0;
	int err = snapshot_gone(r, &gone, &ngone);

	if (!err)
		err = remote_apply(r, gone, ngone, 0, 1);
	free(gone);
	int e = snapshot_conns(r);
	err = e ? e : err;
	e = remote_apply(r, ev, n, 2, 3);
	remote_finish(r, rev, e ? e : err);
}

/* The other instances' self entries changed: every host's log did. */
static void peers_apply(struct registry *r)
{
	struct nvmf_disc_log_entry now[DISC_MAX_SELF];
	size_t n = etcd_peer_entries(r->etcd, now, DISC_MAX_SELF);

	if (n == r->svc->npeer_self && !memcmp(now, r->peer_self, n * sizeof(now[0])))
		return;
	memcpy(r->peer_self, now, n * sizeof(now[0]));
	r->svc->peer_self = r->peer_self;
	r->svc->npeer_self = n;
	r->fabric->cfg_changed = r->dirty70 = true;
	remote_finish(r, 0, 0);
}

static void peers_cb(void *arg)
{
	struct registry *r = arg;

	if (r->inflight)
		r->peers_pending = true;
	else
		peers_apply(r);
}

/* The batch in flight is over: rebuild, tell, complete. */
static void finish_batch(struct registry *r, int err)
{
	struct change *c;
	int maybe;
	int changed = rebuild(r, err != 0, &maybe);

	if (changed < 0)
		log_ratelimited(&r->rl, LOG_ERR, "cannot build the discovery logs: %s",
				strerror(-changed));
	persist_genctr(r);
	/* AENs leave before the completions: a host that sees its DIM complete and then reads
	 * the log has been told of what it reads. */
	if (changed > 0)
		notify_changed(r, changed);
	if (maybe && r->observer)
		r->observer(r->observer_arg, maybe);
	while ((c = TAILQ_FIRST(&r->flight))) {
		int outcome = c->verdict ? c->verdict : err;
		TAILQ_REMOVE(&r->flight, c, link);
		count(r, c, outcome);
		c->done(c, outcome);
	}
	/* What arrived while etcd was asked goes in the next batch. */
	if (!TAILQ_EMPTY(&r->pending))
		event_active(r->flush_ev, EV_TIMEOUT, 0);
	if (r->peers_pending && !r->inflight) {
		r->peers_pending = false;
		peers_apply(r);
	}
}

/* etcd answered the batch's txn. The registrations are in etcd from here on: a SQLite
 * failure now loses only the journal lines and zoning rows of the batch. */
static void etcd_done(void *arg, int err, uint64_t rev)
{
	struct registry *r = arg;
	int n = 0;
	struct change *c;

	r->inflight = false;
	TAILQ_FOREACH (c, &r->flight, link)
		n++;
	if (err && r->marker_only) {
		/* Nothing to share: the change stands here, GENCTR moves on its own. */
		err = commit_local(r, 0, n, false);
	} else if (err) {
		log_ratelimited(&r->rl, LOG_ERR, "etcd: cannot commit; %d changes failed", n);
		store_rollback(r->store);
		undo_all(r);
	} else {
		r->genctr_hint = rev * GENCTR_PER_REVISION;
		commit_local(r, 0, n, true);
	}
	finish_batch(r, err);
}

void registry_flush(struct registry *r)
{
	int n;

	/* With etcd, associations that went outside any change are written too. */
	if ((TAILQ_EMPTY(&r->pending) && !(r->etcd && etcd_staged(r->etcd))) || r->inflight)
		return;
	TAILQ_CONCAT(&r->flight, &r->pending, link);
	int err = stage_batch(r, time(NULL), &n);
	/* A change of log 70h here alone (a connection's NCC, a path mark) still takes a
	 * revision, so every instance's GENCTR passes it. */
	if (!err && r->etcd && (etcd_staged(r->etcd) || r->dirty70)) {
		r->marker_only = !etcd_staged(r->etcd);
		err = etcd_commit(r->etcd, etcd_done, r);
		if (!err) {
			r->inflight = true;
			return;
		}
	}
	if (r->etcd)
		etcd_rollback(r->etcd);
	finish_batch(r, commit_local(r, err, n, false));
}

static void flush_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	registry_flush(arg);
}

void registry_submit(struct registry *r, struct change *c)
{
	bool idle = TAILQ_EMPTY(&r->pending);

	clock_gettime(CLOCK_MONOTONIC, &c->submitted);
	TAILQ_INSERT_TAIL(&r->pending, c, link);
	if (idle)
		event_active(r->flush_ev, EV_TIMEOUT, 0);
}

static void expire_cb(evutil_socket_t fd, short what, void *arg)
{
	struct registry *r = arg;

	(void)fd;
	(void)what;
	if (!r->expire_pending && !reg_hosts_expire(r, &r->expire_pending))
		r->expire_pending = true;
}

/* Sweeps often enough that a host is forgotten within a quarter of the expiry time late. */
static void expire_arm(struct registry *r)
{
	unsigned int every = r->lim.host_expiry / 4;
	struct timeval tv = {every < 1 ? 1 : every > 60 ? 60 : every, 0};

	if (r->lim.host_expiry)
		event_add(r->expire_ev, &tv);
	else
		event_del(r->expire_ev);
}

/* ---- hooks for the discovery controllers ---- */

static int hook_dim(void *arg, struct disc_ctrl *ctrl, uint16_t cid, struct dim_request *dim)
{
	return reg_dim_submit(arg, ctrl, cid, dim);
}

static void hook_connected(void *arg, struct disc_ctrl *ctrl)
{
	struct registry *r = arg;

	if (notify_ctrl_add(r->notify, ctrl))
		log_ratelimited(&r->rl, LOG_ERR, "controller of %s: no memory for its AENs",
				disc_ctrl_hostnqn(ctrl));
	reg_hosts_connected(r, ctrl);
}

static void hook_disconnected(void *arg, struct disc_ctrl *ctrl)
{
	struct registry *r = arg;
	struct change *c;

	/* Nobody is left to complete: cancel, but let the changes themselves go through. */
	TAILQ_FOREACH (c, &r->pending, link)
		if (c->ctrl == ctrl)
			c->ctrl = NULL;
	TAILQ_FOREACH (c, &r->flight, link)
		if (c->ctrl == ctrl)
			c->ctrl = NULL;
	notify_ctrl_del(r->notify, ctrl);
	if (reg_hosts_disconnected(r, ctrl))
		live_drop(r, ctrl); /* the logs catch up at the next change */
}

static void hook_events_changed(void *arg, struct disc_ctrl *ctrl)
{
	struct registry *r = arg;

	notify_ctrl_events(r->notify, ctrl);
}

static int hook_fzl(void *arg, struct disc_ctrl *ctrl, uint16_t cid, const struct zw_lookup *l)
{
	struct registry *r = arg;

	return reg_fzs_lookup(r, r->fzs, ctrl, cid, l);
}

static uint16_t hook_fzr(void *arg, struct disc_ctrl *ctrl, uint32_t key, uint8_t **buf,
			 size_t *len, uint32_t *gen)
{
	struct registry *r = arg;

	return reg_fzs_receive(r->fabric, ctrl, key, buf, len, gen);
}

static int hook_fzs(void *arg, struct disc_ctrl *ctrl, uint16_t cid, uint32_t key, uint32_t off,
		    const uint8_t *frag, size_t len, bool last)
{
	struct registry *r = arg;

	return reg_fzs_send(r, r->fabric, r->fzs, ctrl, cid, key, off, frag, len, last);
}

const struct disc_registry_ops registry_ctrl_ops = {
	.dim = hook_dim,
	.connected = hook_connected,
	.disconnected = hook_disconnected,
	.events_changed = hook_events_changed,
	.fzl = hook_fzl,
	.fzr = hook_fzr,
	.fzs = hook_fzs,
};

/* ---- life cycle ---- */

struct registry *registry_new(struct event_base *base, struct store *store, struct fabric *f,
			      struct disc_svc *svc, const struct registry_limits *lim)
{
	struct registry *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->svc = svc; /* controllers are told through the notify index the hooks keep */
	r->base = base;
	r->store = store;
	r->fabric = f;
	r->lim = *lim;
	r->rl = (struct ratelimit)RATELIMIT_INIT(5, 10);
	ratelimit_peers_init(&r->rl_peers, 5, 10);
	TAILQ_INIT(&r->pending);
	TAILQ_INIT(&r->flight);
	RB_INIT(&r->conns);
	r->rows = &sqlite_rows;
	r->rows_ctx = store;
	RB_INIT(&r->live);
	r->notify = notify_new();
	r->fzs = fzs_new(base);
	r->flush_ev = event_new(base, -1, 0, flush_cb, r);
	r->expire_ev = event_new(base, -1, EV_PERSIST, expire_cb, r);
	if (!r->notify || !r->fzs || !r->flush_ev || !r->expire_ev) {
		if (r->flush_ev)
			event_free(r->flush_ev);
		if (r->expire_ev)
			event_free(r->expire_ev);
		notify_free(r->notify);
		fzs_free(r->fzs);
		free(r);
		return NULL;
	}
	fzs_set_timeout(r->fzs, lim->zoning_lock);
	expire_arm(r);
	return r;
}

void registry_free(struct registry *r)
{
	struct change *c;

	if (!r)
		return;
	if (!TAILQ_EMPTY(&r->pending))
		registry_flush(r);
	/* Whether etcd took the batch in flight is not known: it was never acknowledged. */
	if (r->inflight) {
		etcd_cancel(r->etcd);
		r->inflight = false;
		store_rollback(r->store);
		undo_all(r);
		finish_batch(r, -ECANCELED);
	}
	/* What the last completions queued: nobody is left to hear it. */
	while ((c = TAILQ_FIRST(&r->pending))) {
		TAILQ_REMOVE(&r->pending, c, link);
		c->ctrl = NULL;
		c->done(c, -ECANCELED);
	}
	event_free(r->flush_ev);
	event_free(r->expire_ev);
	struct live *l;
	while ((l = RB_MIN(live_tree, &r->live))) {
		RB_REMOVE(live_tree, &r->live, l);
		free(l);
	}
	struct conn_at *ca;
	while ((ca = RB_MIN(conn_at_tree, &r->conns))) {
		RB_REMOVE(conn_at_tree, &r->conns, ca);
		free(ca);
	}
	notify_free(r->notify);
	fzs_free(r->fzs);
	free(r->undo);
	free(r);
}

/* The store keeps the keys unique: loading appends, in one pass. */
static int load_entity(void *arg, const struct entity *e)
{
	return fabric_entity_append(arg, e);
}

static int load_host(void *arg, const struct host_rec *h)
{
	return fabric_host_append(arg, h);
}

static int load_rec(void *arg, const struct log_rec *rec)
{
	return fabric_rec_append(arg, rec);
}

/* etcd's records may come in any order and again: each one replaces. */
static int put_entity(void *arg, const struct entity *e)
{
	return fabric_entity_put(((struct registry *)arg)->fabric, e);
}

static int put_host(void *arg, const struct host_rec *h)
{
	return fabric_host_put(((struct registry *)arg)->fabric, h);
}

static int put_rec(void *arg, const struct log_rec *rec)
{
	return fabric_rec_put(((struct registry *)arg)->fabric, rec);
}

static int load_conn(void *arg, const char *nqn, const char *by)
{
	return remote_conn(arg, nqn, by, +1);
}

/* This instance's self entries, for the other instances to serve: its listeners with a
 * concrete address (a wildcard one has no address to give). */
static void self_publish(struct registry *r)
{
	struct nvmf_disc_log_entry self[DISC_MAX_SELF];
	size_t n = disc_log_self_entries(r->svc->listen, r->svc->nlisten, NULL, r->svc->nqn, self,
					 DISC_MAX_SELF);

	etcd_self_set(r->etcd, self, n);
}

void registry_listeners_changed(struct registry *r)
{
	if (!r->etcd)
		return;
	self_publish(r);
	event_active(r->flush_ev, EV_TIMEOUT, 0);
}

/* The registrations from etcd, the rest (GENCTR, zoning, counters) from SQLite. */
static int load_shared(struct registry *r, uint64_t *genctr, uint64_t *rev)
{
	struct store_loader none = {NULL, NULL, NULL, NULL};
	struct etcd_loader ld = {{put_entity, put_host, put_rec, r}, load_conn};
	int err = store_load(r->store, &none, genctr);

	if (!err)
		err = etcd_load(r->etcd, &ld, rev);
	if (!err && *genctr < *rev * GENCTR_PER_REVISION)
		*genctr = *rev * GENCTR_PER_REVISION;
	if (err)
		return err;
	/* This instance's listeners for the others' logs, and theirs for its own. */
	self_publish(r);
	r->svc->npeer_self = etcd_peer_entries(r->etcd, r->peer_self, DISC_MAX_SELF);
	r->svc->peer_self = r->peer_self;
	return 0;
}

int registry_load(struct registry *r)
{
	struct store_loader ld = {load_entity, load_host, load_rec, r->fabric};
	uint64_t genctr = 0, rev = 0;
	int err = r->etcd ? load_shared(r, &genctr, &rev) : store_load(r->store, &ld, &genctr);

	if (!err)
		err = reg_zoning_load(r->store, &r->fabric->zoning);
	if (err)
		return err;
	r->genctr_stored = genctr;
	/* Resume above anything a host may have seen before the restart. */
	if (r->fabric->genctr < genctr)
		r->fabric->genctr = genctr;
	err = store_counter_get(r->store, "hgenctr", &r->hgenctr_reserved);
	if (err)
		return err;
	r->fabric->hgenctr = r->hgenctr_reserved;
	fabric_rebuild(r->fabric, genctr);
	persist_genctr(r);
	log_info("loaded %zu entities, %zu hosts, %zu records, %zu zone groups (%zu active); "
		 "GENCTR %llu",
		 r->fabric->nents, r->fabric->nhosts, r->fabric->nrecs, r->fabric->zoning.ngroups,
		 r->fabric->zoning.nactive, (unsigned long long)r->fabric->genctr);
	if (r->etcd && (err = etcd_watch(r->etcd, rev, remote_cb, snapshot_cb, r)))
		log_err("etcd: cannot watch: %s", strerror(-err));
	if (r->etcd)
		event_active(r->flush_ev, EV_TIMEOUT, 0); /* this instance's self entries */
	return err;
}

void registry_set_limits(struct registry *r, const struct registry_limits *lim)
{
	bool rearm = lim->host_expiry != r->lim.host_expiry;

	r->lim = *lim;
	fzs_set_timeout(r->fzs, lim->zoning_lock);
	if (rearm)
		expire_arm(r);
}

static void etcd_kick(void *arg)
{
	struct registry *r = arg;

	event_active(r->flush_ev, EV_TIMEOUT, 0);
}

void registry_set_etcd(struct registry *r, struct etcd *etcd)
{
	r->etcd = etcd;
	if (etcd)
		etcd_set_kick(etcd, etcd_kick, r);
	if (etcd)
		etcd_set_peers_cb(etcd, peers_cb, r);
	r->rows = etcd ? &etcd_rows : &sqlite_rows;
	r->rows_ctx = etcd ? (void *)etcd : (void *)r->store;
}

struct store *registry_store(struct registry *r)
{
	return r->store;
}
