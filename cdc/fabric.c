/* fabric.c - the in-memory fabric model and the log bodies built from it. Pure: no sockets,
 * no SQL. A log's counter moves only when its bytes change, so a mutation nobody can see
 * sends no AEN and a host's multi-command read stays consistent. */
#include "fabric.h"

#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "disc_log.h"

/* The nodes behind the collections; the record each holds comes first, so a pointer to
 * the record is a pointer to its node. */
struct fabric_ent {
	struct entity e;
	RB_ENTRY(fabric_ent) by_nqn;
	TAILQ_ENTRY(fabric_ent) order;
	RB_ENTRY(fabric_ent) by_idle; /* in idle_tree while idle */
	bool idle;
};

struct fabric_host {
	struct host_rec h;
	RB_ENTRY(fabric_host) by_key;
	TAILQ_ENTRY(fabric_host) order;
	struct log_slot slot; /* in log 71h */
};

struct fabric_rec {
	struct log_rec r;
	RB_ENTRY(fabric_rec) by_key;
	RB_ENTRY(fabric_rec) by_subsys;
	TAILQ_ENTRY(fabric_rec) order;
	struct log_slot slot;	      /* in log 70h */
	RB_ENTRY(fabric_rec) by_addr; /* in rec_by_addr while in_addr: a path's record */
	bool in_addr;
};

/* An address marked down. */
struct fabric_down {
	struct cdc_port addr; /* trtype, adrfam, traddr, trsvcid; the rest zero */
	RB_ENTRY(fabric_down) link;
};

#define NODE_OF_SLOT(type, s) ((type *)(void *)((char *)(s)-offsetof(type, slot)))

static int port_addr_cmp(const struct cdc_port *a, const struct cdc_port *b)
{
	int c = (int)a->trtype - (int)b->trtype;

	if (!c)
		c = (int)a->adrfam - (int)b->adrfam;
	if (!c)
		c = strcmp(a->traddr, b->traddr);
	return c ? c : strcmp(a->trsvcid, b->trsvcid);
}

/* The keys, on the records themselves: callers hand in records that live outside nodes. */
static int host_key_cmp(const struct host_rec *a, const struct host_rec *b)
{
	int c = strcmp(a->hostnqn, b->hostnqn);

	if (!c)
		c = (int)a->trtype - (int)b->trtype;
	if (!c)
		c = (int)a->adrfam - (int)b->adrfam;
	if (!c)
		c = strcmp(a->traddr, b->traddr);
	return c ? c : strcmp(a->trsvcid, b->trsvcid);
}

static int rec_key_cmp(const struct log_rec *a, const struct log_rec *b)
{
	int c = strcmp(a->owner, b->owner);

	if (!c)
		c = strcmp(a->subnqn, b->subnqn);
	return c ? c : port_addr_cmp(&a->port, &b->port);
}

static int ent_cmp(const struct fabric_ent *a, const struct fabric_ent *b)
{
	return strcmp(a->e.nqn, b->e.nqn);
}

static int host_cmp(const struct fabric_host *a, const struct fabric_host *b)
{
	return host_key_cmp(&a->h, &b->h);
}

static int rec_cmp(const struct fabric_rec *a, const struct fabric_rec *b)
{
	return rec_key_cmp(&a->r, &b->r);
}

static int subsys_cmp(const struct fabric_rec *a, const struct fabric_rec *b)
{
	int c = (int)a->r.subtype - (int)b->r.subtype;

	if (!c)
		c = strcmp(a->r.subnqn, b->r.subnqn);
	return c ? c : rec_cmp(a, b);
}

/* Paths: records by address first, so one address's records are neighbours. */
static int addr_rec_cmp(const struct fabric_rec *a, const struct fabric_rec *b)
{
	int c = port_addr_cmp(&a->r.port, &b->r.port);

	return c ? c : rec_cmp(a, b);
}

static int down_cmp(const struct fabric_down *a, const struct fabric_down *b)
{
	return port_addr_cmp(&a->addr, &b->addr);
}

static int idle_cmp(const struct fabric_ent *a, const struct fabric_ent *b)
{
	if (a->e.last_seen != b->e.last_seen)
		return a->e.last_seen < b->e.last_seen ? -1 : 1;
	return strcmp(a->e.nqn, b->e.nqn);
}

RB_GENERATE_STATIC(fabric_ent_tree, fabric_ent, by_nqn, ent_cmp)
RB_GENERATE_STATIC(fabric_idle_tree, fabric_ent, by_idle, idle_cmp)
RB_GENERATE_STATIC(fabric_host_tree, fabric_host, by_key, host_cmp)
RB_GENERATE_STATIC(fabric_rec_tree, fabric_rec, by_key, rec_cmp)
RB_GENERATE_STATIC(fabric_subsys_tree, fabric_rec, by_subsys, subsys_cmp)
RB_GENERATE_STATIC(fabric_addr_tree, fabric_rec, by_addr, addr_rec_cmp)
RB_GENERATE_STATIC(fabric_down_tree, fabric_down, link, down_cmp)

void fabric_init(struct fabric *f)
{
	memset(f, 0, sizeof(*f));
	RB_INIT(&f->ent_tree);
	TAILQ_INIT(&f->ent_list);
	RB_INIT(&f->idle_tree);
	RB_INIT(&f->host_tree);
	TAILQ_INIT(&f->host_list);
	RB_INIT(&f->rec_tree);
	RB_INIT(&f->rec_by_subsys);
	TAILQ_INIT(&f->rec_list);
	RB_INIT(&f->rec_by_addr);
	RB_INIT(&f->down_tree);
	log_body_init(&f->cfg70);
	log_body_init(&f->log70);
	log_body_init(&f->log71);
	fabric_zone_init(f);
}

void fabric_free(struct fabric *f)
{
	struct fabric_ent *e;
	struct fabric_host *h;
	struct fabric_rec *r;
	struct fabric_down *d;

	while ((d = RB_MIN(fabric_down_tree, &f->down_tree))) {
		RB_REMOVE(fabric_down_tree, &f->down_tree, d);
		free(d);
	}
	log_body_free(&f->cfg70);
	log_body_free(&f->log70);
	log_body_free(&f->log71);
	while ((e = TAILQ_FIRST(&f->ent_list))) {
		TAILQ_REMOVE(&f->ent_list, e, order);
		free(e);
	}
	while ((h = TAILQ_FIRST(&f->host_list))) {
		TAILQ_REMOVE(&f->host_list, h, order);
		free(h);
	}
	while ((r = TAILQ_FIRST(&f->rec_list))) {
		TAILQ_REMOVE(&f->rec_list, r, order);
		free(r);
	}
	view_unref(f->view70);
	view_unref(f->view71);
	free(f->cfg_recs);
	free(f->cfg_zones.groups);
	free(f->cfg_zones.aliases);
	free(f->cfg_slots);
	free(f->conns);
	fabric_zone_free(f);
	fabric_init(f);
}

bool fabric_rec_key_equal(const struct log_rec *a, const struct log_rec *b)
{
	return !rec_key_cmp(a, b);
}

bool fabric_host_key_equal(const struct host_rec *a, const struct host_rec *b)
{
	return !host_key_cmp(a, b);
}

/* ---- entities ---- */

static void idle_leave(struct fabric *f, struct fabric_ent *n)
{
	if (n->idle)
		RB_REMOVE(fabric_idle_tree, &f->idle_tree, n);
	n->idle = false;
}

/* An implicit host is idle while it has no live association; its place in the index is
 * its last_seen, so callers leave before last_seen changes and join again after. */
static void idle_join(struct fabric *f, struct fabric_ent *n)
{
	if (!n->idle && n->e.source == REG_IMPLICIT && !fabric_connected(f, n->e.nqn)) {
		RB_INSERT(fabric_idle_tree, &f->idle_tree, n);
		n->idle = true;
	}
}

const struct entity *fabric_idle_implicit_next(const struct fabric *f, const struct entity *prev)
{
	struct fabric_idle_tree *t = (struct fabric_idle_tree *)&f->idle_tree;

	return prev ? (const struct entity *)RB_NEXT(fabric_idle_tree, t, (struct fabric_ent *)prev)
		    : (const struct entity *)RB_MIN(fabric_idle_tree, t);
}

struct entity *fabric_entity_find(const struct fabric *f, const char *nqn)
{
	struct fabric_ent key;

	snprintf(key.e.nqn, sizeof(key.e.nqn), "%s", nqn);
	return (struct entity *)RB_FIND(fabric_ent_tree, (struct fabric_ent_tree *)&f->ent_tree,
					&key);
}

int fabric_entity_append(struct fabric *f, const struct entity *e)
{
	struct fabric_ent *n = malloc(sizeof(*n));

	if (!n)
		return -ENOMEM;
	n->e = *e;
	n->idle = false;
	RB_INSERT(fabric_ent_tree, &f->ent_tree, n);
	TAILQ_INSERT_TAIL(&f->ent_list, n, order);
	f->nents++;
	f->nimplicit += e->source == REG_IMPLICIT;
	idle_join(f, n);
	return 0;
}

int fabric_entity_put(struct fabric *f, const struct entity *e)
{
	struct entity *old = fabric_entity_find(f, e->nqn);

	if (!old)
		return fabric_entity_append(f, e);
	f->nimplicit -= old->source == REG_IMPLICIT;
	f->nimplicit += e->source == REG_IMPLICIT;
	idle_leave(f, (struct fabric_ent *)old);
	*old = *e;
	idle_join(f, (struct fabric_ent *)old);
	return 0;
}

void fabric_entity_del(struct fabric *f, const char *nqn)
{
	struct log_rec *r, *rnext;
	struct host_rec *h, *hnext;

	for (r = fabric_rec_next_of(f, nqn, NULL); r; r = rnext) {
		rnext = fabric_rec_next_of(f, nqn, r);
		fabric_rec_del(f, r);
	}
	for (h = fabric_host_next_of(f, nqn, NULL); h; h = hnext) {
		hnext = fabric_host_next_of(f, nqn, h);
		fabric_host_del(f, h);
	}
	struct fabric_ent *n = (void *)fabric_entity_find(f, nqn);
	if (!n)
		return;
	idle_leave(f, n);
	RB_REMOVE(fabric_ent_tree, &f->ent_tree, n);
	TAILQ_REMOVE(&f->ent_list, n, order);
	f->nents--;
	f->nimplicit -= n->e.source == REG_IMPLICIT;
	free(n);
}

struct entity *fabric_entity_next(const struct fabric *f, const struct entity *prev)
{
	return prev ? (struct entity *)TAILQ_NEXT((const struct fabric_ent *)prev, order)
		    : (struct entity *)TAILQ_FIRST(&f->ent_list);
}

/* ---- host records ---- */

struct host_rec *fabric_host_find(const struct fabric *f, const struct host_rec *key)
{
	struct fabric_host k = {.h = *key};

	return (struct host_rec *)RB_FIND(fabric_host_tree,
					  (struct fabric_host_tree *)&f->host_tree, &k);
}

int fabric_host_append(struct fabric *f, const struct host_rec *h)
{
	struct fabric_host *n = malloc(sizeof(*n));

	if (!n)
		return -ENOMEM;
	n->h = *h;
	n->slot = (struct log_slot){0};
	if (log_body_add(&f->log71, &n->slot)) {
		free(n);
		return -ENOMEM;
	}
	RB_INSERT(fabric_host_tree, &f->host_tree, n);
	TAILQ_INSERT_TAIL(&f->host_list, n, order);
	f->nhosts++;
	f->nhosts_implicit += h->source == REG_IMPLICIT;
	return 0;
}

int fabric_host_put(struct fabric *f, const struct host_rec *h)
{
	struct host_rec *old = fabric_host_find(f, h);

	if (!old)
		return fabric_host_append(f, h);
	f->nhosts_implicit -= old->source == REG_IMPLICIT;
	f->nhosts_implicit += h->source == REG_IMPLICIT;
	*old = *h;
	log_body_touch(&f->log71, &((struct fabric_host *)old)->slot);
	return 0;
}

bool fabric_host_del(struct fabric *f, const struct host_rec *key)
{
	struct fabric_host *n = (void *)fabric_host_find(f, key);

	if (!n)
		return false;
	RB_REMOVE(fabric_host_tree, &f->host_tree, n);
	TAILQ_REMOVE(&f->host_list, n, order);
	log_body_remove(&f->log71, &n->slot);
	f->nhosts--;
	f->nhosts_implicit -= n->h.source == REG_IMPLICIT;
	free(n);
	return true;
}

struct host_rec *fabric_host_next(const struct fabric *f, const struct host_rec *prev)
{
	return prev ? (struct host_rec *)TAILQ_NEXT((const struct fabric_host *)prev, order)
		    : (struct host_rec *)TAILQ_FIRST(&f->host_list);
}

struct host_rec *fabric_host_next_of(const struct fabric *f, const char *hostnqn,
				     const struct host_rec *prev)
{
	struct fabric_host *n;

	if (prev) {
		n = RB_NEXT(fabric_host_tree, &f->host_tree, (struct fabric_host *)prev);
	} else {
		struct fabric_host key = {0};
		snprintf(key.h.hostnqn, sizeof(key.h.hostnqn), "%s", hostnqn);
		/* The smallest key of that host NQN: empty address, type and family 0. */
		n = RB_NFIND(fabric_host_tree, (struct fabric_host_tree *)&f->host_tree, &key);
	}
	return n && !strcmp(n->h.hostnqn, hostnqn) ? &n->h : NULL;
}

/* ---- paths ---- */

struct cdc_port fabric_path_key(const struct cdc_port *p)
{
	struct cdc_port k = {.trtype = p->trtype, .adrfam = p->adrfam};

	snprintf(k.traddr, sizeof(k.traddr), "%s", p->traddr);
	snprintf(k.trsvcid, sizeof(k.trsvcid), "%s", p->trsvcid);
	return k;
}

int fabric_path_cmp(const struct cdc_port *a, const struct cdc_port *b)
{
	return port_addr_cmp(a, b);
}

bool fabric_path_probed(const struct log_rec *r)
{
	return r->subtype == NVME_NQN_NVME && r->port.trtype == NVMF_TRTYPE_TCP &&
	       (r->port.adrfam == NVMF_ADDR_FAMILY_IP4 || r->port.adrfam == NVMF_ADDR_FAMILY_IP6);
}

/* The first record at addr, in the address index. */
static struct fabric_rec *addr_first(const struct fabric *f, const struct cdc_port *addr)
{
	/* Owner and subsystem empty: the smallest key at that address. */
	struct fabric_rec key = {.r.port = fabric_path_key(addr)}, *n;

	n = RB_NFIND(fabric_addr_tree, (struct fabric_addr_tree *)&f->rec_by_addr, &key);
	return n && !port_addr_cmp(&n->r.port, addr) ? n : NULL;
}

static bool same_addr(const struct fabric_rec *a, const struct fabric_rec *b)
{
	return a && b && !port_addr_cmp(&a->r.port, &b->r.port);
}

/* Whether n is the only record of its path. */
static bool path_alone(struct fabric *f, struct fabric_rec *n)
{
	(void)f; /* RB_PREV and RB_NEXT need no head here, on another tree.h they may */
	return !same_addr(RB_PREV(fabric_addr_tree, &f->rec_by_addr, n), n) &&
	       !same_addr(RB_NEXT(fabric_addr_tree, &f->rec_by_addr, n), n);
}

static void path_join(struct fabric *f, struct fabric_rec *n)
{
	if (n->in_addr || !fabric_path_probed(&n->r))
		return;
	RB_INSERT(fabric_addr_tree, &f->rec_by_addr, n);
	n->in_addr = true;
	if (f->path_watch && path_alone(f, n))
		f->path_watch(f->path_arg, &n->r.port);
}

static void path_leave(struct fabric *f, struct fabric_rec *n)
{
	if (!n->in_addr)
		return;
	bool alone = path_alone(f, n);
	RB_REMOVE(fabric_addr_tree, &f->rec_by_addr, n);
	n->in_addr = false;
	if (f->path_watch && alone)
		f->path_watch(f->path_arg, &n->r.port);
}

const struct log_rec *fabric_path_next(const struct fabric *f, const struct log_rec *prev)
{
	struct fabric_addr_tree *t = (struct fabric_addr_tree *)&f->rec_by_addr;
	struct fabric_rec *n = prev ? (struct fabric_rec *)prev : NULL;

	if (!n)
		return (const struct log_rec *)RB_MIN(fabric_addr_tree, t);
	struct fabric_rec *next = RB_NEXT(fabric_addr_tree, t, n);
	while (same_addr(next, n))
		next = RB_NEXT(fabric_addr_tree, t, next);
	return next ? &next->r : NULL;
}

const struct log_rec *fabric_path_find(const struct fabric *f, const struct cdc_port *addr)
{
	const struct fabric_rec *n = addr_first(f, addr);

	return n ? &n->r : NULL;
}

static struct fabric_down *down_find(const struct fabric *f, const struct cdc_port *addr)
{
	struct fabric_down key = {.addr = fabric_path_key(addr)};

	return RB_FIND(fabric_down_tree, (struct fabric_down_tree *)&f->down_tree, &key);
}

bool fabric_path_down(const struct fabric *f, const struct cdc_port *addr)
{
	return f->ndown && down_find(f, addr);
}

int fabric_path_set_down(struct fabric *f, const struct cdc_port *addr, bool down)
{
	struct fabric_down *d = down_find(f, addr);
	int touched = 0;

	if (!!d == down)
		return 0;
	if (down) {
		if (!(d = malloc(sizeof(*d))))
			return -ENOMEM;
		d->addr = fabric_path_key(addr);
		RB_INSERT(fabric_down_tree, &f->down_tree, d);
		f->ndown++;
	} else {
		RB_REMOVE(fabric_down_tree, &f->down_tree, d);
		free(d);
		f->ndown--;
	}
	for (struct fabric_rec *n = addr_first(f, addr); n && !port_addr_cmp(&n->r.port, addr);
	     n = RB_NEXT(fabric_addr_tree, &f->rec_by_addr, n)) {
		log_body_touch(&f->log70, &n->slot);
		touched = 1;
	}
	return touched;
}

const struct cdc_port *fabric_down_next(const struct fabric *f, const struct cdc_port *prev)
{
	struct fabric_down_tree *t = (struct fabric_down_tree *)&f->down_tree;
	struct fabric_down *d = prev ? RB_NEXT(fabric_down_tree, t, (struct fabric_down *)prev)
				     : RB_MIN(fabric_down_tree, t);

	return d ? &d->addr : NULL;
}

void fabric_path_watch(struct fabric *f, fabric_path_fn fn, void *arg)
{
	f->path_watch = fn;
	f->path_arg = arg;
}

/* ---- log records ---- */

struct log_rec *fabric_rec_find(const struct fabric *f, const struct log_rec *key)
{
	struct fabric_rec k = {.r = *key};

	return (struct log_rec *)RB_FIND(fabric_rec_tree, (struct fabric_rec_tree *)&f->rec_tree,
					 &k);
}

int fabric_rec_append(struct fabric *f, const struct log_rec *r)
{
	struct fabric_rec *n = malloc(sizeof(*n));

	if (!n)
		return -ENOMEM;
	n->r = *r;
	n->slot = (struct log_slot){0};
	if (log_body_add(&f->log70, &n->slot)) {
		free(n);
		return -ENOMEM;
	}
	RB_INSERT(fabric_rec_tree, &f->rec_tree, n);
	RB_INSERT(fabric_subsys_tree, &f->rec_by_subsys, n);
	TAILQ_INSERT_TAIL(&f->rec_list, n, order);
	f->nrecs++;
	n->in_addr = false;
	path_join(f, n);
	return 0;
}

int fabric_rec_put(struct fabric *f, const struct log_rec *r)
{
	struct fabric_rec *old = (void *)fabric_rec_find(f, r);

	if (!old)
		return fabric_rec_append(f, r);
	/* The subtype is not part of the key but orders the subsystem index, and makes a
	 * record a path or not. */
	RB_REMOVE(fabric_subsys_tree, &f->rec_by_subsys, old);
	if (!fabric_path_probed(r))
		path_leave(f, old);
	old->r = *r;
	RB_INSERT(fabric_subsys_tree, &f->rec_by_subsys, old);
	path_join(f, old);
	log_body_touch(&f->log70, &old->slot);
	return 0;
}

bool fabric_rec_del(struct fabric *f, const struct log_rec *key)
{
	struct fabric_rec *n = (void *)fabric_rec_find(f, key);

	if (!n)
		return false;
	path_leave(f, n);
	RB_REMOVE(fabric_rec_tree, &f->rec_tree, n);
	RB_REMOVE(fabric_subsys_tree, &f->rec_by_subsys, n);
	TAILQ_REMOVE(&f->rec_list, n, order);
	log_body_remove(&f->log70, &n->slot);
	f->nrecs--;
	free(n);
	return true;
}

struct log_rec *fabric_rec_next(const struct fabric *f, const struct log_rec *prev)
{
	return prev ? (struct log_rec *)TAILQ_NEXT((const struct fabric_rec *)prev, order)
		    : (struct log_rec *)TAILQ_FIRST(&f->rec_list);
}

struct log_rec *fabric_rec_next_of(const struct fabric *f, const char *owner,
				   const struct log_rec *prev)
{
	return fabric_rec_next_in(f, owner, NULL, prev);
}

/* The owner's records, of one subsystem or (subnqn NULL) of all: a range of the key order,
 * which starts with the owner and then the subsystem. */
struct log_rec *fabric_rec_next_in(const struct fabric *f, const char *owner, const char *subnqn,
				   const struct log_rec *prev)
{
	struct fabric_rec *n;

	if (prev) {
		n = RB_NEXT(fabric_rec_tree, &f->rec_tree, (struct fabric_rec *)prev);
	} else {
		struct fabric_rec key = {0};
		snprintf(key.r.owner, sizeof(key.r.owner), "%s", owner);
		snprintf(key.r.subnqn, sizeof(key.r.subnqn), "%s", subnqn ? subnqn : "");
		n = RB_NFIND(fabric_rec_tree, (struct fabric_rec_tree *)&f->rec_tree, &key);
	}
	if (!n || strcmp(n->r.owner, owner) || (subnqn && strcmp(n->r.subnqn, subnqn)))
		return NULL;
	return &n->r;
}

struct log_rec *fabric_subsys_next(const struct fabric *f, uint8_t subtype, const char *subnqn,
				   const struct log_rec *prev)
{
	struct fabric_rec *n;

	if (prev) {
		n = RB_NEXT(fabric_subsys_tree, &f->rec_by_subsys, (struct fabric_rec *)prev);
	} else {
		struct fabric_rec key = {.r.subtype = subtype};
		snprintf(key.r.subnqn, sizeof(key.r.subnqn), "%s", subnqn ? subnqn : "");
		n = RB_NFIND(fabric_subsys_tree, (struct fabric_subsys_tree *)&f->rec_by_subsys,
			     &key);
	}
	if (!n || n->r.subtype != subtype || (subnqn && strcmp(n->r.subnqn, subnqn)))
		return NULL;
	return &n->r;
}

size_t fabric_rec_count(const struct fabric *f, const char *owner)
{
	size_t n = 0;

	for (const struct log_rec *r = fabric_rec_next_of(f, owner, NULL); r;
	     r = fabric_rec_next_of(f, owner, r))
		n++;
	return n;
}

/* ---- connections ---- */

static uint32_t nqn_hash(const char *nqn)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	while (*nqn)
		h = (h ^ (uint8_t)*nqn++) * 16777619u;
	return h;
}

/* The slot of nqn, or the free slot where it would go (the table always has one). */
static struct conn_count *conn_slot(const struct fabric *f, const char *nqn)
{
	size_t mask = f->conns_cap - 1;

	for (size_t i = nqn_hash(nqn) & mask;; i = (i + 1) & mask)
		if (!f->conns[i].n || !strcmp(f->conns[i].nqn, nqn))
			return &f->conns[i];
}

bool fabric_connected(const struct fabric *f, const char *nqn)
{
	return f->conns_cap && conn_slot(f, nqn)->n;
}

static int conns_resize(struct fabric *f, size_t cap)
{
	struct conn_count *old = f->conns;
	size_t oldcap = f->conns_cap;

	f->conns = calloc(cap, sizeof(*old));
	if (!f->conns) {
		f->conns = old;
		return -ENOMEM;
	}
	f->conns_cap = cap;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].n)
			*conn_slot(f, old[i].nqn) = old[i];
	free(old);
	return 0;
}

/* Removing from linear probing: re-place the rest of the cluster after the hole. */
static void conn_remove(struct fabric *f, struct conn_count *c)
{
	size_t mask = f->conns_cap - 1, i = (size_t)(c - f->conns);

	c->n = 0;
	f->nconns--;
	for (i = (i + 1) & mask; f->conns[i].n; i = (i + 1) & mask) {
		struct conn_count moved = f->conns[i];
		f->conns[i].n = 0;
		*conn_slot(f, moved.nqn) = moved;
	}
}

/* nqn's NCC flipped: its records (log 70h) and its addresses (log 71h) are to be rebuilt,
 * and an implicit host joins or leaves the idle index. */
static void conn_flipped(struct fabric *f, const char *nqn)
{
	struct fabric_ent *n = (struct fabric_ent *)fabric_entity_find(f, nqn);

	if (n) {
		idle_leave(f, n);
		idle_join(f, n);
	}
	for (struct log_rec *r = fabric_rec_next_of(f, nqn, NULL); r;
	     r = fabric_rec_next_of(f, nqn, r))
		log_body_touch(&f->log70, &((struct fabric_rec *)r)->slot);
	for (struct host_rec *h = fabric_host_next_of(f, nqn, NULL); h;
	     h = fabric_host_next_of(f, nqn, h))
		log_body_touch(&f->log71, &((struct fabric_host *)h)->slot);
}

int fabric_conn(struct fabric *f, const char *nqn, int delta)
{
	if ((f->nconns + 1) * 2 > f->conns_cap &&
	    conns_resize(f, f->conns_cap ? f->conns_cap * 2 : 64))
		return -ENOMEM;
	struct conn_count *c = conn_slot(f, nqn);

	if (!c->n) {
		if (delta <= 0)
			return 0;
		snprintf(c->nqn, sizeof(c->nqn), "%s", nqn);
		c->n = (unsigned int)delta;
		f->nconns++;
		conn_flipped(f, nqn);
		return 1;
	}
	if (delta < 0 && c->n <= (unsigned int)-delta) {
		conn_remove(f, c);
		conn_flipped(f, nqn);
		return 1;
	}
	c->n = (unsigned int)((int)c->n + delta);
	return 0;
}

/* ---- building what hosts read ---- */

/* NCC: the entity that registered an entry has no live association with us. Records of
 * one owner tend to be neighbours, so the last answer is kept. */
struct ncc_cache {
	const char *owner;
	bool ncc;
};

static void rec_entry_fill(const struct fabric *f, const struct log_rec *r,
			   struct nvmf_disc_log_entry *e, struct ncc_cache *c)
{
	if (r->owner[0] && (!c->owner || strcmp(c->owner, r->owner))) {
		c->owner = r->owner;
		c->ncc = !fabric_connected(f, r->owner);
	}
	uint16_t eflags = r->owner[0] && c->ncc ? NVMF_DISC_EFLAGS_NCC : 0;

	disc_entry_fill(e, r->subtype, &r->port, r->subnqn, eflags);
	if (r->asqsz)
		e->asqsz = htole16(r->asqsz);
}

/* ---- the bodies ---- */

static size_t rec_size(void *ctx, const struct log_slot *slot)
{
	(void)ctx;
	(void)slot;
	return DISC_LOG_ENTRY_LEN;
}

static void rec_fill(void *ctx, const struct log_slot *slot, uint8_t *out, size_t len)
{
	struct ncc_cache c = {0};

	(void)len;
	rec_entry_fill(ctx, &NODE_OF_SLOT(const struct fabric_rec, slot)->r, (void *)out, &c);
}

/* A registered record at an address marked down is withheld. */
static size_t reg_rec_size(void *ctx, const struct log_slot *slot)
{
	const struct fabric_rec *n = NODE_OF_SLOT(const struct fabric_rec, slot);

	return n->in_addr && fabric_path_down(ctx, &n->r.port) ? 0 : DISC_LOG_ENTRY_LEN;
}

static const struct log_body_ops rec_ops = {reg_rec_size, rec_fill};

static size_t host_size(void *ctx, const struct log_slot *slot)
{
	(void)ctx;
	return disc_hostlog_entry_len(&NODE_OF_SLOT(const struct fabric_host, slot)->h);
}

static void host_fill(void *ctx, const struct log_slot *slot, uint8_t *out, size_t len)
{
	const struct host_rec *h = &NODE_OF_SLOT(const struct fabric_host, slot)->h;

	disc_hostlog_entry_fill(out, len, h,
				fabric_connected(ctx, h->hostnqn) ? 0 : NVMF_DISC_EFLAGS_NCC);
}

static const struct log_body_ops host_ops = {host_size, host_fill};

/* The configuration's records, whose slots are an array beside them. */
struct cfg_ctx {
	const struct fabric *f;
	const struct log_rec *recs;
	const struct log_slot *slots;
};

static void cfg_fill(void *ctx, const struct log_slot *slot, uint8_t *out, size_t len)
{
	const struct cfg_ctx *c = ctx;
	struct ncc_cache nc = {0};

	(void)len;
	rec_entry_fill(c->f, &c->recs[slot - c->slots], (void *)out, &nc);
}

static const struct log_body_ops cfg_ops = {rec_size, cfg_fill};

/* A new view of what is now served, made when its bytes or its counter moved; the old one
 * stays with the readers that hold it. -ENOMEM keeps the old. */
static int publish70(struct fabric *f)
{
	const struct log_body *bodies[] = {&f->cfg70, &f->log70};

	f->nentries = f->cfg70.nentries + f->log70.nentries;
	struct view *v = view_new(bodies, 2, f->genctr);
	if (!v)
		return -ENOMEM;
	view_unref(f->view70);
	f->view70 = v;
	return 0;
}

static int publish71(struct fabric *f)
{
	const struct log_body *body = &f->log71;

	f->hostlog_len = f->log71.len;
	f->nhostlog = f->log71.nentries;
	struct view *v = view_new(&body, 1, f->hgenctr);
	if (!v)
		return -ENOMEM;
	view_unref(f->view71);
	f->view71 = v;
	return 0;
}

static void bump70(struct fabric *f, uint64_t floor)
{
	f->genctr = (f->genctr > floor ? f->genctr : floor) + 1;
}

int fabric_rebuild_logs(struct fabric *f, uint64_t floor, int which)
{
	int changed = 0;

	/* Only the pages whose members changed are rebuilt; a counter moves only when bytes
	 * did, and a new view is made only then. */
	if (which & FABRIC_LOG70) {
		int c = log_body_build(&f->log70, &rec_ops, f);
		if (c < 0)
			return c;
		bool rezoned = f->zoning_changed;
		c |= f->cfg_changed | f->zoning_changed;
		if (c) {
			changed |= FABRIC_LOG70;
			bump70(f, floor);
		}
		if ((c || !f->view70) && publish70(f))
			return -ENOMEM;
		if (c) {
			/* Every zoned view is checked again at its next read. */
			f->view_serial++;
			fabric_zone_prune(f);
		}
		if (rezoned)
			f->zoning_serial = f->view_serial;
		/* With zoning, what a DDC reads of log 71h follows its records and the zones: its
		 * counter moves with them, as the bytes it reads may have. */
		if (c && f->zoning_on) {
			f->hgenctr++;
			changed |= FABRIC_LOG71;
		}
		f->cfg_changed = f->zoning_changed = false;
	}
	if (which & FABRIC_LOG71) {
		int c = log_body_build(&f->log71, &host_ops, f);
		if (c < 0)
			return c;
		f->hostlog_stale = false;
		if (c) {
			changed |= FABRIC_LOG71;
			f->hgenctr++;
		}
		if ((c || !f->view71) && publish71(f))
			return -ENOMEM;
	}
	return changed;
}

int fabric_genctr_raise(struct fabric *f, uint64_t genctr)
{
	if (genctr <= f->genctr)
		return 0;
	f->genctr = genctr;
	f->view_serial++; /* the zoned views carry it too */
	return publish70(f);
}

void fabric_hostlog_defer(struct fabric *f)
{
	f->hostlog_stale = true;
}

int fabric_hostlog_refresh(struct fabric *f)
{
	if (!f->hostlog_stale)
		return 0;
	int c = fabric_rebuild_logs(f, 0, FABRIC_LOG71);
	return c < 0 ? c : 0;
}

int fabric_rebuild(struct fabric *f, uint64_t floor)
{
	return fabric_rebuild_logs(f, floor, FABRIC_LOG70 | FABRIC_LOG71);
}

const struct view *fabric_hostlog_view(const struct fabric *f)
{
	return f->view71;
}

const struct nvmf_disc_log_entry *fabric_entry(const struct fabric *f, size_t i)
{
	return f->view70 ? view_entry(f->view70, i) : NULL;
}

/* ---- the configuration's share ---- */

struct fabric_cfg *fabric_cfg_new(const struct cdc_config *cfg)
{
	struct fabric_cfg *c = calloc(1, sizeof(*c));
	size_t total = cfg->nreferrals, k = 0;

	for (size_t i = 0; i < cfg->nsubsys; i++)
		total += cfg->subsys[i].nports;
	if (!c || (total && !(c->recs = calloc(total, sizeof(*c->recs))))) {
		free(c);
		return NULL;
	}
	for (size_t i = 0; i < cfg->nsubsys; i++)
		for (size_t j = 0; j < cfg->subsys[i].nports; j++, k++) {
			c->recs[k].subtype = NVME_NQN_NVME;
			snprintf(c->recs[k].subnqn, sizeof(c->recs[k].subnqn), "%s",
				 cfg->subsys[i].nqn);
			c->recs[k].port = cfg->subsys[i].ports[j];
		}
	for (size_t i = 0; i < cfg->nreferrals; i++, k++) {
		c->recs[k].subtype = NVME_NQN_DISC;
		snprintf(c->recs[k].subnqn, sizeof(c->recs[k].subnqn), "%s", cfg->referrals[i].nqn);
		c->recs[k].port = cfg->referrals[i].port;
	}
	c->n = total;
	struct fabric_zone_names *zn = &c->zones;
	snprintf(zn->orig, sizeof(zn->orig), "%s", cfg->nqn);
	if (cfg->nzonegroups && !(zn->groups = calloc(cfg->nzonegroups, sizeof(*zn->groups))))
		goto nomem;
	if (cfg->nzonealiases && !(zn->aliases = calloc(cfg->nzonealiases, sizeof(*zn->aliases))))
		goto nomem;
	for (; zn->ngroups < cfg->nzonegroups; zn->ngroups++)
		memcpy(zn->groups[zn->ngroups], cfg->zonegroups[zn->ngroups].name,
		       sizeof(*zn->groups));
	for (; zn->naliases < cfg->nzonealiases; zn->naliases++)
		memcpy(zn->aliases[zn->naliases], cfg->zonealiases[zn->naliases].name,
		       sizeof(*zn->aliases));
	c->zoning = cfg->zoning;
	c->policy = cfg->zoning_policy == CDC_ZONING_ALLOW ? ZONE_POLICY_ALLOW : ZONE_POLICY_DENY;
	size_t off = 0;
	for (size_t i = 0; i < cfg->nlisten && off < sizeof(c->listen_key); i++)
		off += (size_t)snprintf(c->listen_key + off, sizeof(c->listen_key) - off, "%s,",
					cfg->listen[i].text);
	return c;
nomem:
	fabric_cfg_free(c);
	return NULL;
}

void fabric_cfg_free(struct fabric_cfg *c)
{
	if (c) {
		free(c->recs);
		free(c->zones.groups);
		free(c->zones.aliases);
	}
	free(c);
}
/* Whether two bodies hold the same bytes (the configuration's: small). */
static bool bodies_equal(const struct log_body *a, const struct log_body *b)
{
	struct view *x = view_new(&a, 1, 0), *y = view_new(&b, 1, 0);
	bool same = x && y && fabric_views_equal(x, y);

	view_unref(x);
	view_unref(y);
	return same;
}

/* The configuration's entries as a body of their own, built. */
static int cfg_body(const struct fabric *f, const struct log_rec *r, size_t n, struct log_body *out,
		    struct log_slot **slots)
{
	struct cfg_ctx ctx = {f, r, NULL};
	int err = 0;

	log_body_init(out);
	*slots = n ? calloc(n, sizeof(**slots)) : NULL;
	if (n && !*slots)
		return -ENOMEM;
	ctx.slots = *slots;
	for (size_t i = 0; i < n && !err; i++)
		err = log_body_add(out, &(*slots)[i]);
	if (!err)
		err = log_body_build(out, &cfg_ops, &ctx);
	if (err < 0) {
		log_body_free(out);
		free(*slots);
		return err;
	}
	return 0;
}

int fabric_cfg_swap(struct fabric *f, struct fabric_cfg **c)
{
	struct fabric_cfg *in = *c;
	struct log_slot *slots;
	struct log_body body;

	int err = cfg_body(f, in->recs, in->n, &body, &slots);
	if (err)
		return err;
	if (!bodies_equal(&body, &f->cfg70) || strcmp(in->listen_key, f->listen_key))
		f->cfg_changed = true;
	log_body_free(&f->cfg70);
	free(f->cfg_slots);
	f->cfg70 = body;
	f->cfg_slots = slots;
	/* The records and the key trade places with the value's. */
	struct log_rec *recs = f->cfg_recs;
	size_t n = f->ncfg;
	f->cfg_recs = in->recs;
	f->ncfg = in->n;
	in->recs = recs;
	in->n = n;
	char key[sizeof(f->listen_key)];
	memcpy(key, f->listen_key, sizeof(key));
	memcpy(f->listen_key, in->listen_key, sizeof(key));
	memcpy(in->listen_key, key, sizeof(key));
	struct fabric_zone_names names = f->cfg_zones;
	f->cfg_zones = in->zones;
	in->zones = names;
	/* Zoning's switch and policy are the configuration's too, and trade places alike. */
	bool on = f->zoning_on;
	enum zone_policy policy = f->zoning.policy;
	fabric_zoning_set(f, in->zoning, in->policy);
	in->zoning = on;
	in->policy = policy;
	return 0;
}

int fabric_apply_config(struct fabric *f, const struct cdc_config *cfg)
{
	struct fabric_cfg *c = fabric_cfg_new(cfg);

	if (!c)
		return -ENOMEM;
	int err = fabric_cfg_swap(f, &c);
	fabric_cfg_free(c);
	return err ? err : fabric_rebuild(f, f->genctr);
}

bool fabric_config_has(const struct fabric *f, const char *nqn, uint8_t subtype,
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

bool fabric_subsys_declared(const struct fabric *f, const char *nqn)
{
	const struct entity *e = fabric_entity_find(f, nqn);

	return (e && e->etype == ENTITY_SUBSYSTEM) ||
	       fabric_config_has(f, nqn, NVME_NQN_NVME, NULL);
}

bool fabric_subsys_taken(const struct fabric *f, const char *subnqn, const char *owner)
{
	if (fabric_subsys_declared(f, subnqn))
		return true;
	for (const struct log_rec *rec = fabric_subsys_next(f, NVME_NQN_NVME, subnqn, NULL); rec;
	     rec = fabric_subsys_next(f, NVME_NQN_NVME, subnqn, rec))
		if (strcmp(rec->owner, owner))
			return true;
	return false;
}
