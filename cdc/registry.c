/* registry.c - the mutation path. Requests queue up during a loop turn; one deferred flush
 * stages them all (model changes recorded with their undo, store writes in one transaction),
 * persists the next GENCTR, commits, and only then rebuilds the logs, sends AENs and
 * completes the commands. A failed commit undoes the model and fails the batch: nothing
 * acknowledged was lost, nothing lost was acknowledged. */
#include "registry.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <time.h>

#include "log.h"

enum req_kind { REQ_DIM, REQ_CONNECT, REQ_DISCONNECT, REQ_ADMIN, REQ_EXPIRE };

struct reg_req {
	TAILQ_ENTRY(reg_req) link;
	enum req_kind kind;
	struct disc_ctrl *ctrl; /* NULL once the association went away */
	uint16_t cid;
	struct dim_request dim;
	char hostnqn[CDC_NQN_MAX + 1];
	char peer[CDC_TRADDR_MAX + 1];
	uint8_t adrfam;
	uint8_t hostid[16];
	uint16_t status;
	struct admin_req admin;
	registry_admin_cb admin_cb;
	void *admin_arg;
	int admin_err;
	char refusal[CDC_NQN_MAX * 2 + 128]; /* why a DIM was refused, for the journal */
	struct timespec submitted;	     /* a DIM's, for its latency */
};

/* An NQN that has a live association through ctrl (its host NQN or an EID it registered),
 * indexed by controller then NQN: a disconnect finds its NQNs without a walk. */
struct live {
	RB_ENTRY(live) link;
	struct disc_ctrl *ctrl;
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

enum undo_kind { U_ENT_PUT, U_ENT_DEL, U_HOST_PUT, U_HOST_DEL, U_REC_PUT, U_REC_DEL };

struct undo {
	enum undo_kind kind;
	union {
		struct entity ent;
		struct host_rec host;
		struct log_rec rec;
	} u;
};

struct registry {
	struct event_base *base;
	struct event *flush_ev;
	struct store *store;
	struct fabric *fabric;
	struct disc_svc *svc;
	struct registry_limits lim;
	TAILQ_HEAD(, reg_req) pending;
	uint64_t genctr_stored;
	uint64_t hgenctr_reserved; /* log 71h's counter stays below this, which is stored */
	struct live_tree live;
	struct undo *undo;
	size_t nundo, undo_cap;
	bool hosts_changed;	    /* log 71h changed in this batch */
	unsigned int journal_added; /* entries since the journal was last trimmed */
	struct event *expire_ev;    /* forgets implicit hosts gone longer than host_expiry */
	bool expire_pending;
	struct ratelimit rl;
	struct ratelimit_peers rl_peers; /* refused DIMs, by the sender's address */
	struct registry_stats stats;
};

/* ---- staging: model changes with their undo, store writes ---- */

static int undo_push(struct registry *r, enum undo_kind kind, const void *rec, size_t len)
{
	if (r->nundo == r->undo_cap) {
		size_t cap = r->undo_cap ? r->undo_cap * 2 : 64;
		struct undo *u = realloc(r->undo, cap * sizeof(*u));
		if (!u)
			return -ENOMEM;
		r->undo = u;
		r->undo_cap = cap;
	}
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
		}
	}
}

static int stage_entity(struct registry *r, const struct entity *e)
{
	const struct entity *old = fabric_entity_find(r->fabric, e->nqn);
	int err = old ? undo_push(r, U_ENT_PUT, old, sizeof(*old))
		      : undo_push(r, U_ENT_DEL, e, sizeof(*e));

	if (!err)
		err = fabric_entity_put(r->fabric, e);
	return err ? err : store_entity_put(r->store, e);
}

static int stage_rec_del(struct registry *r, const struct log_rec *key);
static int stage_host_del(struct registry *r, const struct host_rec *key);

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
	err = store_entity_del(r->store, nqn);
	return err == -ENOENT ? 0 : err;
}

static int stage_host_put(struct registry *r, const struct host_rec *h)
{
	const struct host_rec *old = fabric_host_find(r->fabric, h);
	int err = old ? undo_push(r, U_HOST_PUT, old, sizeof(*old))
		      : undo_push(r, U_HOST_DEL, h, sizeof(*h));

	if (!err)
		err = fabric_host_put(r->fabric, h);
	r->hosts_changed = true;
	return err ? err : store_host_put(r->store, h);
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
	err = store_host_del(r->store, &copy);
	return err == -ENOENT ? 0 : err;
}

static int stage_rec_put(struct registry *r, const struct log_rec *rec)
{
	const struct log_rec *old = fabric_rec_find(r->fabric, rec);
	int err = old ? undo_push(r, U_REC_PUT, old, sizeof(*old))
		      : undo_push(r, U_REC_DEL, rec, sizeof(*rec));

	if (!err)
		err = fabric_rec_put(r->fabric, rec);
	return err ? err : store_rec_put(r->store, rec);
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
	err = store_rec_del(r->store, &copy);
	return err == -ENOENT ? 0 : err;
}

/* ---- live associations (NCC) ---- */

static int live_add(struct registry *r, struct disc_ctrl *ctrl, const char *nqn)
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
	int flipped = fabric_conn(r->fabric, nqn, +1);
	if (flipped < 0)
		return flipped;
	r->hosts_changed |= flipped;
	return 0;
}

/* Returns whether log 70h may change: an NQN that owns records lost an association. */
static bool live_drop(struct registry *r, struct disc_ctrl *ctrl)
{
	struct live key = {.ctrl = ctrl}, *l, *next;
	bool owner = false;

	for (l = RB_NFIND(live_tree, &r->live, &key); l && l->ctrl == ctrl; l = next) {
		next = RB_NEXT(live_tree, &r->live, l);
		owner |= fabric_rec_next_of(r->fabric, l->nqn, NULL) != NULL;
		r->hosts_changed |= fabric_conn(r->fabric, l->nqn, -1) > 0;
		RB_REMOVE(live_tree, &r->live, l);
		free(l);
	}
	return owner;
}

/* ---- requests ---- */

#define JOURNAL_KEEP	   100000
#define JOURNAL_TRIM_EVERY 1024

/* The journal is a window on recent changes, not an archive: trimmed every so many
 * entries, refusals included, so a host sending refused DIMs cannot grow it. */
static int journal(struct registry *r, int64_t now, const char *who, const char *peer,
		   const char *what, const char *detail)
{
	int err = store_journal_add(r->store, now, who, peer, what, detail);

	if (!err && ++r->journal_added >= JOURNAL_TRIM_EVERY) {
		err = store_journal_trim(r->store, JOURNAL_KEEP);
		r->journal_added = 0;
	}
	return err;
}

static const char *tas_name(uint8_t tas)
{
	static const char *const names[] = {"register", "deregister", "update"};

	return tas < 3 ? names[tas] : "?";
}

static uint16_t status_of_errno(int err)
{
	/* Insufficient Discovery Resources may clear up (no DNR); the store's troubles too. */
	if (err == -ENOSPC)
		return nvme_status(NVME_SCT_CMD_SPECIFIC, NVME_SC_INSUFFICIENT_DISC_RES, false);
	return nvme_status(NVME_SCT_GENERIC, NVME_SC_INTERNAL, false);
}

#define SC_INVALID_DISC_INFO                                                                       \
	nvme_status(NVME_SCT_CMD_SPECIFIC, NVME_SC_INVALID_DISCOVERY_INFO, true)

/* Who may change an entity over NVMe: the host NQN of the association that registered it;
 * a host known only because it connected is its own. What the administrator declared is
 * the administrator's: NULL, nobody over NVMe. */
static const char *entity_owner(const struct entity *e)
{
	if (e->etype == ENTITY_SUBSYSTEM || e->source == REG_ADMIN)
		return NULL;
	return e->regnqn[0] ? e->regnqn : e->nqn;
}

/* Why a DIM may not touch its entity, or NULL if it may. A host registers only itself
 * (EID = its Connect HOSTNQN); anyone else changes only what its own host NQN registered. */
static const char *dim_refusal(const struct registry *r, const struct reg_req *q)
{
	const struct entity *e = fabric_entity_find(r->fabric, q->dim.entity.nqn);

	if (q->dim.etype == NVMF_DIM_ETYPE_HOST && strcmp(q->dim.entity.nqn, q->hostnqn))
		return "a host registers only its own host NQN";
	if (!e)
		return NULL;
	const char *owner = entity_owner(e);
	if (!owner)
		return "the administrator declared it";
	return strcmp(owner, q->hostnqn) ? "it belongs to another host" : NULL;
}

static bool config_has(const struct fabric *f, const char *nqn, uint8_t subtype,
		       const struct cdc_port *port);
static bool declared(struct fabric *f, const char *nqn);

/* Whether subsystem subnqn is someone else's than entity eid: the configuration's, the
 * administrator's, or another DDC's. */
static bool subsys_taken(struct registry *r, const char *subnqn, const char *eid)
{
	if (declared(r->fabric, subnqn) || config_has(r->fabric, subnqn, NVME_NQN_NVME, NULL))
		return true;
	for (const struct log_rec *rec = fabric_subsys_next(r->fabric, NVME_NQN_NVME, subnqn, NULL);
	     rec; rec = fabric_subsys_next(r->fabric, NVME_NQN_NVME, subnqn, rec))
		if (strcmp(rec->owner, eid))
			return true;
	return false;
}

/* The first subsystem of the request that is someone else's, or NULL. */
static const char *dim_taken_subsys(struct registry *r, const struct reg_req *q)
{
	const char *last = NULL;

	if (q->dim.tas == NVMF_DIM_TAS_DEREGISTER)
		return NULL;
	for (size_t i = 0; i < q->dim.nument; i++) {
		const struct dim_entry *de = &q->dim.entries[i];
		if (de->is_host || de->rec.subtype != NVME_NQN_NVME ||
		    (last && !strcmp(last, de->rec.subnqn)))
			continue;
		last = de->rec.subnqn;
		if (subsys_taken(r, last, q->dim.entity.nqn))
			return last;
	}
	return NULL;
}

static void entry_fill_peer(struct reg_req *q, struct dim_entry *de)
{
	if (!de->traddr_from_peer)
		return;
	snprintf(de->host.traddr, sizeof(de->host.traddr), "%s", q->peer);
	de->host.adrfam = q->adrfam;
}

static int64_t seen_granularity(const struct registry *r);

static int stage_register_entity(struct registry *r, struct reg_req *q)
{
	struct entity e = q->dim.entity;
	const struct entity *old = fabric_entity_find(r->fabric, e.nqn);
	int64_t now = time(NULL);

	e.source = REG_DIM;
	snprintf(e.regnqn, sizeof(e.regnqn), "%s", q->hostnqn);
	e.first_seen = old ? old->first_seen : now;
	e.last_seen = old ? old->last_seen : now;
	/* A DDC registers port after port under one EID: rewrite its row only when something
	 * but the time changed, or the time by more than last_seen's granularity. */
	if (old && !memcmp(old, &e, sizeof(e)) && now - old->last_seen < seen_granularity(r))
		return 0;
	e.last_seen = now;
	return stage_entity(r, &e);
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

static bool entry_find(struct registry *r, struct reg_req *q, struct dim_entry *de, void *out);

static int stage_entry_put(struct registry *r, struct reg_req *q, struct dim_entry *de)
{
	entry_fill_peer(q, de);
	if (de->is_host) {
		de->host.source = REG_DIM;
		return stage_host_put(r, &de->host);
	}
	de->rec.source = REG_DIM;
	snprintf(de->rec.owner, sizeof(de->rec.owner), "%s", q->dim.entity.nqn);
	/* Under EKTYPE 0x3F the key is the PORTID: a port that moved replaces its record. */
	struct log_rec old;
	if (entry_find(r, q, de, &old) && !fabric_rec_key_equal(&old, &de->rec)) {
		int err = stage_rec_del(r, &old);
		if (err)
			return err;
	}
	return stage_rec_put(r, &de->rec);
}

/* The registered record that entry de names under the request's EKTYPE, if any. */
static bool entry_find(struct registry *r, struct reg_req *q, struct dim_entry *de, void *out)
{
	entry_fill_peer(q, de);
	if (de->is_host) {
		const struct host_rec *h = fabric_host_find(r->fabric, &de->host);
		if (h)
			memcpy(out, h, sizeof(*h));
		return h != NULL;
	}
	snprintf(de->rec.owner, sizeof(de->rec.owner), "%s", q->dim.entity.nqn);
	/* Only the entity's own records of that subsystem (the NQN is in every entry key):
	 * under EKTYPE 0x3F another DDC's PORTID is no match. */
	const char *owner = de->rec.owner, *subnqn = de->rec.subnqn;
	for (const struct log_rec *rec = fabric_rec_next_in(r->fabric, owner, subnqn, NULL); rec;
	     rec = fabric_rec_next_in(r->fabric, owner, subnqn, rec))
		if (dim_rec_key_match(q->dim.ektype, rec, &de->rec)) {
			memcpy(out, rec, sizeof(*rec));
			return true;
		}
	return false;
}

static int stage_entry_del(struct registry *r, struct reg_req *q, struct dim_entry *de)
{
	union {
		struct host_rec h;
		struct log_rec rec;
	} found;

	if (!entry_find(r, q, de, &found))
		return 0;
	return de->is_host ? stage_host_del(r, &found.h) : stage_rec_del(r, &found.rec);
}

static uint16_t check_limits(struct registry *r, const struct reg_req *q)
{
	size_t mine = registered(r, q->dim.entity.nqn);
	size_t total = registered(r, NULL);
	size_t added = 0;

	/* Registering again what is already there replaces it: only new keys count. */
	for (size_t i = 0; i < q->dim.nument; i++) {
		struct dim_entry de = q->dim.entries[i];
		if (de.is_host) {
			added += !fabric_host_find(r->fabric, &de.host) || de.traddr_from_peer;
			continue;
		}
		snprintf(de.rec.owner, sizeof(de.rec.owner), "%s", q->dim.entity.nqn);
		added += !fabric_rec_find(r->fabric, &de.rec);
	}
	if (mine + added > r->lim.max_per_entity || total + added > r->lim.max_total)
		return nvme_status(NVME_SCT_CMD_SPECIFIC, NVME_SC_INSUFFICIENT_DISC_RES, false);
	return 0;
}

/* Returns the NVMe status for the request; a negative errno only for store trouble. */
static int stage_dim(struct registry *r, struct reg_req *q)
{
	struct dim_request *d = &q->dim;
	int err = 0;

	const char *why = dim_refusal(r, q), *taken = why ? NULL : dim_taken_subsys(r, q);
	if (why || taken) {
		snprintf(q->refusal, sizeof(q->refusal), "%s: %s%s%s", d->entity.nqn,
			 why ? why : "subsystem ", why ? "" : taken,
			 why ? "" : " belongs to another registrant");
		log_peer_ratelimited(&r->rl_peers, q->peer, LOG_WARNING,
				     "DIM %s from %s (%s) refused: %s", tas_name(d->tas),
				     q->hostnqn, q->peer, q->refusal);
		return SC_INVALID_DISC_INFO;
	}
	switch (d->tas) {
	case NVMF_DIM_TAS_REGISTER: {
		uint16_t st = check_limits(r, q);
		if (st)
			return st;
		err = stage_register_entity(r, q);
		for (size_t i = 0; !err && i < d->nument; i++)
			err = stage_entry_put(r, q, &d->entries[i]);
		break;
	}
	case NVMF_DIM_TAS_DEREGISTER:
		for (size_t i = 0; !err && i < d->nument; i++)
			err = stage_entry_del(r, q, &d->entries[i]);
		break;
	case NVMF_DIM_TAS_UPDATE: {
		union {
			struct host_rec h;
			struct log_rec rec;
		} found;
		if (!entry_find(r, q, &d->entries[0], &found))
			return SC_INVALID_DISC_INFO;
		err = d->entries[0].is_host ? stage_host_del(r, &found.h)
					    : stage_rec_del(r, &found.rec);
		if (!err)
			err = stage_entry_put(r, q, &d->entries[1]);
		break;
	}
	}
	if (!err)
		err = live_add(r, q->ctrl, d->entity.nqn);
	return err;
}

/* How stale a stored last_seen may get before a connection or a disconnection rewrites
 * it: exact enough for expiry, without a store write for every connection. */
static int64_t seen_granularity(const struct registry *r)
{
	unsigned int g = r->lim.host_expiry / 4;

	return !r->lim.host_expiry || g > 3600 ? 3600 : g;
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

static int stage_host_entity_del(struct registry *r, const char *nqn);

/* Forgets an implicit host (gone too long, or making room), with a journal entry. */
static int forget_host(struct registry *r, const char *nqn, int64_t now, const char *why)
{
	char copy[CDC_NQN_MAX + 1];

	snprintf(copy, sizeof(copy), "%s", nqn); /* nqn may be the entity's, freed below */
	log_info("forgetting implicit host %s: %s", copy, why);
	int err = stage_host_entity_del(r, copy);
	return err ? err : journal(r, now, "cdcd", "", "host forgotten", copy);
}

/* Makes room for one more implicit host by forgetting the one that left longest ago.
 * Returns 1 when there is room, 0 when every implicit host is connected, or an errno. */
static int implicit_room(struct registry *r, int64_t now)
{
	const struct entity *oldest = NULL;

	if (!r->lim.max_implicit || r->fabric->nimplicit < r->lim.max_implicit)
		return 1;
	for (const struct entity *e = fabric_entity_next(r->fabric, NULL); e;
	     e = fabric_entity_next(r->fabric, e))
		if (e->source == REG_IMPLICIT && !fabric_connected(r->fabric, e->nqn) &&
		    (!oldest || e->last_seen < oldest->last_seen))
			oldest = e;
	if (!oldest)
		return 0;
	int err = forget_host(r, oldest->nqn, now, "max-implicit-hosts reached");
	return err ? err : 1;
}

static int stage_connect(struct registry *r, struct reg_req *q, int64_t now)
{
	/* Implicit registration: a host that connects is known, registered or not. */
	struct host_rec h = {
		.source = REG_IMPLICIT, .trtype = NVMF_TRTYPE_TCP, .adrfam = q->adrfam};
	int err = 0;

	snprintf(h.hostnqn, sizeof(h.hostnqn), "%s", q->hostnqn);
	snprintf(h.traddr, sizeof(h.traddr), "%s", q->peer);
	memcpy(h.hostid, q->hostid, sizeof(h.hostid));
	if (fabric_entity_find(r->fabric, q->hostnqn)) {
		err = stage_seen(r, q->hostnqn, now);
	} else {
		int room = implicit_room(r, now);
		if (room <= 0) {
			if (room == 0)
				log_ratelimited(&r->rl, LOG_WARNING,
						"host %s served but not recorded: "
						"max-implicit-hosts (%zu) reached, all connected",
						q->hostnqn, r->lim.max_implicit);
			return room ? room : live_add(r, q->ctrl, q->hostnqn);
		}
		struct entity e = {.etype = NVMF_DIM_ETYPE_HOST,
				   .source = REG_IMPLICIT,
				   .first_seen = now,
				   .last_seen = now};
		snprintf(e.nqn, sizeof(e.nqn), "%s", q->hostnqn);
		err = stage_entity(r, &e);
	}
	bool known = fabric_host_next_of(r->fabric, q->hostnqn, NULL) != NULL;
	if (!err && !known)
		err = stage_host_put(r, &h);
	if (!err)
		err = live_add(r, q->ctrl, q->hostnqn);
	return err;
}

/* Most hosts one sweep forgets: the rest wait for the next, so no sweep stalls the loop. */
#define EXPIRE_BATCH 1000

static int stage_expire(struct registry *r, int64_t now)
{
	char(*gone)[CDC_NQN_MAX + 1] = calloc(EXPIRE_BATCH, sizeof(*gone));
	size_t n = 0;
	int err = 0;

	if (!gone)
		return -ENOMEM;
	for (const struct entity *e = fabric_entity_next(r->fabric, NULL); e && n < EXPIRE_BATCH;
	     e = fabric_entity_next(r->fabric, e))
		if (e->source == REG_IMPLICIT && now - e->last_seen > r->lim.host_expiry &&
		    !fabric_connected(r->fabric, e->nqn))
			memcpy(gone[n++], e->nqn, sizeof(gone[0]));
	for (size_t i = 0; !err && i < n; i++)
		err = forget_host(r, gone[i], now, "not seen for implicit-host-expiry");
	free(gone);
	return err;
}

static void submit(struct registry *r, struct reg_req *q);

/* ---- the administrator's requests ---- */

static bool config_has(const struct fabric *f, const char *nqn, uint8_t subtype,
		       const struct cdc_port *port)
{
	for (size_t i = 0; i < f->ncfg; i++) {
		const struct log_rec *c = &f->cfg_recs[i];
		if (c->subtype != subtype)
			continue;
		if (port ? !strcmp(c->port.traddr, port->traddr) &&
				    !strcmp(c->port.trsvcid, port->trsvcid)
			 : !strcmp(c->subnqn, nqn))
			return true;
	}
	return false;
}

static bool declared(struct fabric *f, const char *nqn)
{
	const struct entity *e = fabric_entity_find(f, nqn);

	return e && e->etype == ENTITY_SUBSYSTEM;
}

/* Whether a subsystem of that NQN exists (configured, declared or registered). */
static bool subsys_exists(struct registry *r, const char *nqn)
{
	return declared(r->fabric, nqn) || config_has(r->fabric, nqn, NVME_NQN_NVME, NULL) ||
	       fabric_subsys_next(r->fabric, NVME_NQN_NVME, nqn, NULL);
}

/* The registered record of subtype at port (and of subsystem nqn, for ports). */
static const struct log_rec *admin_find(struct registry *r, uint8_t subtype, const char *nqn,
					const struct cdc_port *port)
{
	for (const struct log_rec *rec = fabric_subsys_next(r->fabric, subtype, nqn, NULL); rec;
	     rec = fabric_subsys_next(r->fabric, subtype, nqn, rec))
		if (!strcmp(rec->port.traddr, port->traddr) &&
		    !strcmp(rec->port.trsvcid, port->trsvcid))
			return rec;
	return NULL;
}

static int stage_admin_put(struct registry *r, const struct admin_req *a, uint8_t subtype)
{
	struct log_rec rec = {.source = REG_ADMIN, .subtype = subtype, .port = a->port};

	snprintf(rec.subnqn, sizeof(rec.subnqn), "%s", a->nqn);
	return stage_rec_put(r, &rec);
}

static int stage_admin_del(struct registry *r, const struct admin_req *a, uint8_t subtype)
{
	const char *nqn = subtype == NVME_NQN_NVME ? a->nqn : NULL;
	const struct log_rec *rec = admin_find(r, subtype, nqn, &a->port);

	if (!rec)
		return config_has(r->fabric, a->nqn, subtype, &a->port) ? -EPERM : -ENOENT;
	struct log_rec copy = *rec;
	return stage_rec_del(r, &copy);
}

static int stage_subsys_del(struct registry *r, const char *nqn)
{
	bool any = declared(r->fabric, nqn);
	int err = 0;

	const struct log_rec *rec, *next;
	for (rec = fabric_subsys_next(r->fabric, NVME_NQN_NVME, nqn, NULL); !err && rec;
	     rec = next) {
		struct log_rec copy = *rec;
		next = fabric_subsys_next(r->fabric, NVME_NQN_NVME, nqn, rec);
		any = true;
		err = stage_rec_del(r, &copy);
	}
	if (!any)
		return config_has(r->fabric, nqn, NVME_NQN_NVME, NULL) ? -EPERM : -ENOENT;
	return err ? err : stage_entity_del(r, nqn);
}

/* A host entity and every log 71h entry of its NQN. A connected host stays connected and is
 * registered again implicitly at its next Connect. */
static int stage_host_entity_del(struct registry *r, const char *nqn)
{
	const struct entity *e = fabric_entity_find(r->fabric, nqn);

	if (!e || e->etype != NVMF_DIM_ETYPE_HOST)
		return -ENOENT;
	return stage_entity_del(r, nqn);
}

/* Returns the verdict for the administrator (0, -EEXIST, ...); *store_err for the store. */
static int stage_admin(struct registry *r, const struct admin_req *a, int *store_err)
{
	int64_t now = time(NULL);
	int verdict = 0;

	switch (a->op) {
	case ADMIN_SUBSYS_ADD:
		if (subsys_exists(r, a->nqn))
			return -EEXIST;
		struct entity e = {.etype = ENTITY_SUBSYSTEM,
				   .source = REG_ADMIN,
				   .first_seen = now,
				   .last_seen = now};
		snprintf(e.nqn, sizeof(e.nqn), "%s", a->nqn);
		*store_err = stage_entity(r, &e);
		return 0;
	case ADMIN_SUBSYS_DEL:
		verdict = stage_subsys_del(r, a->nqn);
		break;
	case ADMIN_PORT_ADD:
		if (!subsys_exists(r, a->nqn))
			return -ENOENT;
		*store_err = stage_admin_put(r, a, NVME_NQN_NVME);
		return 0;
	case ADMIN_PORT_DEL:
		verdict = stage_admin_del(r, a, NVME_NQN_NVME);
		break;
	case ADMIN_REFERRAL_ADD:
		*store_err = stage_admin_put(r, a, NVME_NQN_DISC);
		return 0;
	case ADMIN_REFERRAL_DEL:
		verdict = stage_admin_del(r, a, NVME_NQN_DISC);
		break;
	case ADMIN_HOST_DEL:
		verdict = stage_host_entity_del(r, a->nqn);
		break;
	}
	/* -ENOENT and -EPERM are answers; anything else came from the store. */
	if (verdict == -ENOENT || verdict == -EPERM)
		return verdict;
	*store_err = verdict;
	return 0;
}

static const char *admin_name(enum admin_op op)
{
	static const char *const names[] = {"subsystem add", "subsystem del", "port add",
					    "port del",	     "referral add",  "referral del",
					    "host del"};

	return names[op];
}

int registry_admin(struct registry *r, const struct admin_req *a, registry_admin_cb cb, void *arg)
{
	struct reg_req *q = calloc(1, sizeof(*q));

	if (!q)
		return -ENOMEM;
	q->kind = REQ_ADMIN;
	q->admin = *a;
	q->admin_cb = cb;
	q->admin_arg = arg;
	snprintf(q->hostnqn, sizeof(q->hostnqn), "admin");
	snprintf(q->peer, sizeof(q->peer), "control socket");
	submit(r, q);
	return 0;
}

const struct registry_stats *registry_get_stats(const struct registry *r)
{
	return &r->stats;
}

struct store *registry_store(struct registry *r)
{
	return r->store;
}

/* Stages one request; *dirty learns whether log 70h may change (GENCTR to persist). */
static int stage(struct registry *r, struct reg_req *q, int64_t now, bool *dirty)
{
	char detail[512];
	int rc;

	switch (q->kind) {
	case REQ_DIM:
		rc = stage_dim(r, q);
		if (rc > 0) {
			q->status = (uint16_t)rc;
			if (!q->refusal[0])
				return 0;
			snprintf(detail, sizeof(detail), "%s refused", tas_name(q->dim.tas));
			return journal(r, now, q->hostnqn, q->peer, detail, q->refusal);
		}
		if (rc == 0) {
			*dirty = true;
			snprintf(detail, sizeof(detail), "%s: %zu %s entries", q->dim.entity.nqn,
				 q->dim.nument,
				 q->dim.etype == NVMF_DIM_ETYPE_DDC ? "subsystem" : "host");
			rc = journal(r, now, q->hostnqn, q->peer, tas_name(q->dim.tas), detail);
		}
		return rc;
	case REQ_CONNECT:
		*dirty |= fabric_rec_next_of(r->fabric, q->hostnqn, NULL) != NULL;
		return stage_connect(r, q, now);
	case REQ_DISCONNECT:
		return stage_seen(r, q->hostnqn, now);
	case REQ_EXPIRE:
		r->expire_pending = false;
		return stage_expire(r, now);
	case REQ_ADMIN:
		rc = 0;
		q->admin_err = stage_admin(r, &q->admin, &rc);
		if (rc || q->admin_err)
			return rc;
		*dirty = true;
		snprintf(detail, sizeof(detail), "%s %s%s%s", q->admin.nqn, q->admin.port.traddr,
			 q->admin.port.trsvcid[0] ? ":" : "", q->admin.port.trsvcid);
		return journal(r, now, "admin", q->peer, admin_name(q->admin.op), detail);
	}
	return 0;
}

/* ---- the flush ---- */

/* Committing is where a registration waits on the disk: timed, so the metrics show it. */
static int commit_timed(struct registry *r)
{
	struct timespec start;

	clock_gettime(CLOCK_MONOTONIC, &start);
	int err = store_commit(r->store);
	histogram_observe(&r->stats.commit_latency, histogram_since(&start));
	return err;
}

static void count(struct registry *r, const struct reg_req *q)
{
	if (q->kind == REQ_ADMIN && !q->admin_err)
		r->stats.registrations[REG_ADMIN]++;
	if (q->kind != REQ_DIM)
		return;
	histogram_observe(&r->stats.dim_latency, histogram_since(&q->submitted));
	if (!q->status)
		r->stats.registrations[REG_DIM]++;
}

static void complete(struct reg_req *q)
{
	if (q->kind == REQ_ADMIN) {
		if (q->admin_cb)
			q->admin_cb(q->admin_arg, q->admin_err);
		free(q);
		return;
	}
	if (q->kind == REQ_DIM && q->ctrl)
		disc_ctrl_complete(q->ctrl, q->cid, q->status);
	if (q->kind == REQ_DIM && q->status == 0)
		log_info("DIM %s from %s (%s): %s, %zu entries", tas_name(q->dim.tas), q->hostnqn,
			 q->peer, q->dim.entity.nqn, q->dim.nument);
	dim_request_free(&q->dim);
	free(q);
}

static void notify(struct registry *r, int changed)
{
	if (changed & FABRIC_LOG70) {
		log_info("discovery log changed: GENCTR %llu, %zu entries",
			 (unsigned long long)r->fabric->genctr, r->fabric->nentries);
		disc_svc_log_changed(r->svc);
	}
	if (changed & FABRIC_LOG71)
		disc_svc_hostlog_changed(r->svc);
}

/* Log 71h changes with every connection, too often to write each value: a block of values
 * is reserved in the store instead, and a restart resumes above the reservation. */
#define HGENCTR_BLOCK 4096

/* Persist counters the model moved on its own (configuration, recovery, log 71h). */
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

static void fail_batch(struct registry *r, struct reg_req *first, int err, int n)
{
	log_ratelimited(&r->rl, LOG_ERR, "store: %s (%s); %d requests failed", strerror(-err),
			store_errmsg(r->store), n);
	store_rollback(r->store);
	undo_all(r);
	for (struct reg_req *q = first; q; q = TAILQ_NEXT(q, link)) {
		if (q->kind == REQ_DIM && !q->status)
			q->status = status_of_errno(err);
		if (q->kind == REQ_ADMIN && !q->admin_err)
			q->admin_err = err;
	}
}

static void flush_cb(evutil_socket_t fd, short what, void *arg)
{
	struct registry *r = arg;
	TAILQ_HEAD(, reg_req) batch = TAILQ_HEAD_INITIALIZER(batch);
	struct reg_req *q;
	int64_t now = time(NULL);
	bool dirty = false;
	int err, n = 0;

	(void)fd;
	(void)what;
	TAILQ_CONCAT(&batch, &r->pending, link);
	/* Associations that went away are facts, not requests: they need no commit. */
	TAILQ_FOREACH (q, &batch, link)
		if (q->kind == REQ_DISCONNECT)
			dirty |= live_drop(r, q->ctrl);

	uint64_t g =
		(r->fabric->genctr > r->genctr_stored ? r->fabric->genctr : r->genctr_stored) + 1;
	err = store_begin(r->store);
	TAILQ_FOREACH (q, &batch, link) {
		if (err)
			break;
		/* A request whose association left in the meantime still applies: it was sent. */
		err = stage(r, q, now, &dirty);
		n++;
	}
	/* Persisted before anyone can see it: after a crash GENCTR resumes above it. */
	if (!err && dirty)
		err = store_genctr_set(r->store, g);
	if (!err)
		err = commit_timed(r);
	if (err) {
		fail_batch(r, TAILQ_FIRST(&batch), err, n);
	} else {
		r->nundo = 0;
		if (dirty)
			r->genctr_stored = g;
	}
	/* Without a record or an owner's association changing, log 70h stayed the same. */
	int changed = 0;
	if (dirty || err)
		changed = fabric_rebuild_logs(r->fabric, dirty && !err ? g - 1 : r->genctr_stored,
					      FABRIC_LOG70);
	if (r->hosts_changed && changed >= 0) {
		fabric_hostlog_changed(r->fabric);
		changed |= FABRIC_LOG71;
	}
	r->hosts_changed = false;
	persist_genctr(r);
	if (changed > 0)
		notify(r, changed);
	while ((q = TAILQ_FIRST(&batch))) {
		TAILQ_REMOVE(&batch, q, link);
		count(r, q);
		complete(q);
	}
}

static void submit(struct registry *r, struct reg_req *q)
{
	bool idle = TAILQ_EMPTY(&r->pending);

	TAILQ_INSERT_TAIL(&r->pending, q, link);
	if (idle)
		event_active(r->flush_ev, EV_TIMEOUT, 0);
}

static void expire_cb(evutil_socket_t fd, short what, void *arg)
{
	struct registry *r = arg;
	struct reg_req *q;

	(void)fd;
	(void)what;
	if (r->expire_pending || !(q = calloc(1, sizeof(*q))))
		return;
	q->kind = REQ_EXPIRE;
	r->expire_pending = true;
	submit(r, q);
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

static struct reg_req *req_new(enum req_kind kind, struct disc_ctrl *ctrl)
{
	struct reg_req *q = calloc(1, sizeof(*q));

	if (!q)
		return NULL;
	q->kind = kind;
	q->ctrl = ctrl;
	snprintf(q->hostnqn, sizeof(q->hostnqn), "%s", disc_ctrl_hostnqn(ctrl));
	snprintf(q->peer, sizeof(q->peer), "%s", disc_ctrl_peer(ctrl, &q->adrfam));
	memcpy(q->hostid, disc_ctrl_hostid(ctrl), sizeof(q->hostid));
	return q;
}

static int hook_dim(void *arg, struct disc_ctrl *ctrl, uint16_t cid, struct dim_request *dim)
{
	struct registry *r = arg;
	struct reg_req *q = req_new(REQ_DIM, ctrl);

	if (!q)
		return -ENOMEM;
	q->cid = cid;
	clock_gettime(CLOCK_MONOTONIC, &q->submitted);
	q->dim = *dim; /* the request's entries now belong to q */
	memset(dim, 0, sizeof(*dim));
	submit(r, q);
	return 0;
}

static void hook_connected(void *arg, struct disc_ctrl *ctrl)
{
	struct reg_req *q = req_new(REQ_CONNECT, ctrl);

	if (q)
		submit(arg, q);
}

static void hook_disconnected(void *arg, struct disc_ctrl *ctrl)
{
	struct registry *r = arg;
	struct reg_req *q;

	/* Nobody is left to complete: cancel, but let the requests themselves go through. */
	TAILQ_FOREACH (q, &r->pending, link)
		if (q->ctrl == ctrl)
			q->ctrl = NULL;
	q = calloc(1, sizeof(*q));
	if (!q) {
		live_drop(r, ctrl); /* the logs catch up at the next change */
		return;
	}
	q->kind = REQ_DISCONNECT;
	q->ctrl = ctrl; /* only compared, never used: the association is gone */
	snprintf(q->hostnqn, sizeof(q->hostnqn), "%s", disc_ctrl_hostnqn(ctrl));
	submit(r, q);
}

const struct disc_registry_ops registry_ctrl_ops = {
	.dim = hook_dim,
	.connected = hook_connected,
	.disconnected = hook_disconnected,
};

/* ---- life cycle ---- */

struct registry *registry_new(struct event_base *base, struct store *store, struct fabric *f,
			      struct disc_svc *svc, const struct registry_limits *lim)
{
	struct registry *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->base = base;
	r->store = store;
	r->fabric = f;
	r->svc = svc;
	r->lim = *lim;
	r->rl = (struct ratelimit)RATELIMIT_INIT(5, 10);
	ratelimit_peers_init(&r->rl_peers, 5, 10);
	TAILQ_INIT(&r->pending);
	RB_INIT(&r->live);
	r->flush_ev = event_new(base, -1, 0, flush_cb, r);
	r->expire_ev = event_new(base, -1, EV_PERSIST, expire_cb, r);
	if (!r->flush_ev || !r->expire_ev) {
		if (r->flush_ev)
			event_free(r->flush_ev);
		free(r);
		return NULL;
	}
	expire_arm(r);
	return r;
}

void registry_free(struct registry *r)
{
	struct reg_req *q;

	if (!r)
		return;
	if (!TAILQ_EMPTY(&r->pending))
		flush_cb(-1, 0, r);
	while ((q = TAILQ_FIRST(&r->pending))) {
		TAILQ_REMOVE(&r->pending, q, link);
		dim_request_free(&q->dim);
		free(q);
	}
	event_free(r->flush_ev);
	event_free(r->expire_ev);
	struct live *l;
	while ((l = RB_MIN(live_tree, &r->live))) {
		RB_REMOVE(live_tree, &r->live, l);
		free(l);
	}
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

int registry_load(struct registry *r)
{
	struct store_loader ld = {load_entity, load_host, load_rec, r->fabric};
	uint64_t genctr = 0;
	int err = store_load(r->store, &ld, &genctr);

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
	log_info("loaded %zu entities, %zu hosts, %zu records; GENCTR %llu", r->fabric->nents,
		 r->fabric->nhosts, r->fabric->nrecs, (unsigned long long)r->fabric->genctr);
	return 0;
}

void registry_set_limits(struct registry *r, const struct registry_limits *lim)
{
	bool rearm = lim->host_expiry != r->lim.host_expiry;

	r->lim = *lim;
	if (rearm)
		expire_arm(r);
}

void registry_config_changed(struct registry *r, const struct cdc_config *cfg)
{
	int changed = fabric_apply_config(r->fabric, cfg);

	if (changed < 0) {
		log_err("cannot build the discovery log: %s", strerror(-changed));
		return;
	}
	r->stats.registrations[REG_CONFIG]++;
	persist_genctr(r);
	notify(r, changed);
}
