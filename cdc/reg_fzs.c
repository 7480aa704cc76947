/* reg_fzs.c - Fabric Zoning Lookup, Receive and Send from DDCs (see reg_fzs.h). A lookup and
 * the last fragment are changes like any other (decided on the model as the batch left it,
 * durable before their completion); the locks and the fragments on their way are transient
 * and kept here, one per zone group being sent, with a timer each. */
#include "reg_fzs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "disc_ctrl.h"
#include "log.h"
#include "reg_zoning.h"
#include "registry.h"

#define ST(sc, dnr) nvme_status(NVME_SCT_CMD_SPECIFIC, (sc), (dnr))
#define ST_LOCKED   ST(ZW_SC_LOCKED, false)
#define ST_NOTFOUND ST(ZW_SC_NOT_FOUND, true)
#define ST_DISABLED ST(ZW_SC_DISABLED, true)
#define ST_ORIG	    ST(ZW_SC_ORIG_INVALID, true)
#define ST_INVALID  nvme_status(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD, true)
#define ST_INTERNAL nvme_status(NVME_SCT_GENERIC, NVME_SC_INTERNAL, false)

/* A zone group a DDC is sending: locked from its lookup until its last fragment, or the
 * timer. */
struct fzs_lock {
	TAILQ_ENTRY(fzs_lock) link;
	struct fzs *owner;
	uint32_t key;
	char orig[CDC_NQN_MAX + 1];
	char name[ZONE_GROUP_NAME_MAX + 1];
	struct event *expire;
	unsigned int seconds; /* what it was given, for the log */
	/* The association that took it: another controller of the same DDC (a reconnect after
	 * the lock expired, say) must not add to what this one is sending. Only compared. */
	const struct disc_ctrl *ctrl;
	uint8_t *buf;
	size_t len, cap;
	bool sending; /* the last fragment is being applied */
};

/* Locks are few (one per group being sent) and short-lived: a list. */
struct fzs {
	struct event_base *base;
	unsigned int seconds; /* how long a new lock lasts */
	TAILQ_HEAD(, fzs_lock) locks;
};

struct fzs *fzs_new(struct event_base *base)
{
	struct fzs *z = calloc(1, sizeof(*z));

	if (z) {
		z->base = base;
		z->seconds = FZS_LOCK_SECONDS;
		TAILQ_INIT(&z->locks);
	}
	return z;
}

void fzs_set_timeout(struct fzs *z, unsigned int seconds)
{
	if (z)
		z->seconds = seconds ? seconds : FZS_LOCK_SECONDS;
}

static void lock_free(struct fzs_lock *l)
{
	TAILQ_REMOVE(&l->owner->locks, l, link);
	event_free(l->expire);
	free(l->buf);
	free(l);
}

void fzs_free(struct fzs *z)
{
	if (!z)
		return;
	while (!TAILQ_EMPTY(&z->locks))
		lock_free(TAILQ_FIRST(&z->locks));
	free(z);
}

static struct fzs_lock *lock_find(struct fzs *z, const char *orig, const char *name)
{
	struct fzs_lock *l;

	TAILQ_FOREACH (l, &z->locks, link)
		if (!strcmp(l->orig, orig) && !strcmp(l->name, name))
			return l;
	return NULL;
}

static struct fzs_lock *lock_by_key(struct fzs *z, uint32_t key)
{
	struct fzs_lock *l;

	TAILQ_FOREACH (l, &z->locks, link)
		if (l->key == key)
			return l;
	return NULL;
}

static void expire_cb(evutil_socket_t fd, short what, void *arg)
{
	struct fzs_lock *l = arg;

	(void)fd;
	(void)what;
	if (l->sending)
		return; /* the change completes and unlocks it */
	log_warn("zone group %s of %s: not sent within %u s, unlocked and discarded", l->name,
		 l->orig, l->seconds);
	lock_free(l);
}

static struct fzs_lock *lock_take(struct fzs *z, const char *orig, const char *name)
{
	struct fzs_lock *l = calloc(1, sizeof(*l));
	struct timeval tv = {(time_t)z->seconds, 0};

	if (!l)
		return NULL;
	l->owner = z;
	l->seconds = z->seconds;
	snprintf(l->orig, sizeof(l->orig), "%s", orig);
	snprintf(l->name, sizeof(l->name), "%s", name);
	l->expire = evtimer_new(z->base, expire_cb, l);
	if (!l->expire || evtimer_add(l->expire, &tv)) {
		if (l->expire)
			event_free(l->expire);
		free(l);
		return NULL;
	}
	TAILQ_INSERT_TAIL(&z->locks, l, link);
	return l;
}

/* ---- the lookup ---- */

struct fzl_change {
	struct change c;
	struct fzs *z;
	struct zw_lookup l;
	uint16_t cid;
	uint16_t status; /* the refusal, when verdict says there was one */
	uint32_t key;
	struct fzs_lock *lock; /* taken by an AAZ lookup: let go if the change fails */
};

/* Who may push zoning: a DDC (an entity it registered as one), for the groups it
 * originates. A host could otherwise zone itself with any subsystem. */
static uint16_t originator_check(const struct fabric *f, const char *requester, const char *orig)
{
	const struct entity *e = fabric_entity_find(f, requester);

	if (!f->zoning_on)
		return ST_DISABLED;
	if (!e || e->etype != NVMF_DIM_ETYPE_DDC)
		return ST_ORIG;
	return strcmp(orig, requester) ? ST_ORIG : 0;
}

static int plan_fzl(struct change *c, struct stager *s)
{
	struct fzl_change *q = (struct fzl_change *)c;
	const struct zw_lookup *l = &q->l;
	const struct zone_group *g = zoning_group_find(&s->f->zoning, l->orig, l->name);
	struct zoning_change chg;
	int err = 0;

	q->status = originator_check(s->f, c->owner, l->orig);
	if (!q->status && l->otyp != ZW_OTYP_GAZ_LOOKUP && l->otyp != ZW_OTYP_AAZ_LOOKUP &&
	    l->otyp != ZW_OTYP_RAZ_LOOKUP)
		q->status = ST_INVALID;
	if (!q->status && l->otyp == ZW_OTYP_GAZ_LOOKUP) {
		/* Reading changes nothing: the key of the group as it is enforced. */
		const struct zone_group *a = zoning_active_find(&s->f->zoning, l->orig, l->name);
		if (a)
			q->key = a->key;
		else
			q->status = ST_NOTFOUND;
	}
	if (!q->status && l->otyp == ZW_OTYP_GAZ_LOOKUP)
		return 0;
	if (!q->status && lock_find(q->z, l->orig, l->name))
		q->status = ST_LOCKED;
	if (!q->status && l->otyp == ZW_OTYP_RAZ_LOOKUP && !g)
		q->status = ST_NOTFOUND;
	if (q->status) {
		c->verdict = -EPERM;
		return 0;
	}
	if (g)
		q->key = g->key;
	if (l->otyp == ZW_OTYP_AAZ_LOOKUP) {
		q->lock = lock_take(q->z, l->orig, l->name);
		if (!q->lock)
			return -ENOMEM;
		q->lock->ctrl = c->ctrl;
		if (g) {
			q->lock->key = g->key;
			return 0; /* nothing to change until the group arrives */
		}
	}
	/* AAZ of a group not there yet creates it empty; RAZ removes one. */
	struct zoning *work = reg_zoning_copy(s->f);
	if (!work)
		return -ENOMEM;
	if (l->otyp == ZW_OTYP_AAZ_LOOKUP) {
		err = zoning_group_create(work, l->orig, l->orig, l->name, &q->key);
		q->lock->key = q->key;
	} else {
		err = zoning_deactivate(work, l->orig, l->orig, l->name, &chg);
		if (!err)
			zoning_change_release(&chg);
		if (!err)
			err = zoning_group_delete(work, l->orig, l->orig, l->name);
	}
	if (err) {
		reg_zoning_drop(work);
		q->status = err == -ENOSPC || err == -ENOMEM ? ST_INTERNAL : ST_INVALID;
		c->verdict = err;
		return err == -ENOMEM ? err : 0;
	}
	err = reg_zoning_stage(s, c, work, l->orig, l->name, NULL);
	if (err)
		return err;
	struct change_op j = change_journal_op(
		c->owner, c->peer,
		l->otyp == ZW_OTYP_AAZ_LOOKUP ? "zonegroup create" : "zonegroup remove", l->name);
	return stager_apply(s, c, &j);
}

static void done_fzl(struct change *c, int err)
{
	struct fzl_change *q = (struct fzl_change *)c;
	uint16_t status = q->status ? q->status : err ? ST_INTERNAL : 0;

	if (status && q->lock)
		lock_free(q->lock); /* the group it was to lock is not there */
	if (c->ctrl)
		disc_ctrl_complete_dw0(c->ctrl, q->cid, status, status ? 0 : q->key);
	change_release(c);
	free(q);
}

int reg_fzs_lookup(struct registry *r, struct fzs *z, struct disc_ctrl *ctrl, uint16_t cid,
		   const struct zw_lookup *l)
{
	struct fzl_change *q = calloc(1, sizeof(*q));
	uint8_t adrfam;

	if (!q)
		return -ENOMEM;
	/* Zoning a DDC pushes is no registration: not counted as one. */
	change_init_ctrl(&q->c, REG_IMPLICIT, ctrl, &adrfam, plan_fzl, done_fzl);
	q->z = z;
	q->l = *l;
	q->cid = cid;
	registry_submit(r, &q->c);
	return 0;
}

/* ---- reading a group ---- */

uint16_t reg_fzs_receive(const struct fabric *f, struct disc_ctrl *ctrl, uint32_t key,
			 uint8_t **buf, size_t *len, uint32_t *gen)
{
	const struct zone_group *g = f->zoning_on ? zoning_active_by_key(&f->zoning, key) : NULL;

	uint16_t st = g ? originator_check(f, disc_ctrl_hostnqn(ctrl), g->orig) : 0;

	if (!f->zoning_on)
		return ST_DISABLED;
	if (!g)
		return ST_NOTFOUND;
	if (st)
		return st;
	*len = zw_group_len(g);
	*buf = malloc(*len);
	if (!*buf)
		return ST_INTERNAL;
	zw_group_encode(g, *buf);
	*gen = g->gen;
	return 0;
}

/* ---- sending a group ---- */

struct fzs_change {
	struct change c;
	struct fzs_lock *lock;
	struct zone_group g; /* decoded, zones owned */
	uint16_t cid;
};

/* The group sent replaces the configured one and is activated: one change. */
static int plan_fzs(struct change *c, struct stager *s)
{
	struct fzs_change *q = (struct fzs_change *)c;
	struct zoning *work = reg_zoning_copy(s->f);
	struct zoning_change chg;

	if (!work)
		return -ENOMEM;
	int err = zoning_group_set(work, q->g.orig, q->g.orig, q->g.name, q->g.zones, q->g.nzones);
	if (!err)
		err = zoning_activate(work, q->g.orig, q->g.orig, q->g.name, &chg);
	if (!err)
		zoning_change_release(&chg);
	if (err) {
		reg_zoning_drop(work);
		c->verdict = err;
		return err == -ENOMEM ? err : 0;
	}
	err = reg_zoning_stage(s, c, work, q->g.orig, q->g.name, NULL);
	if (err)
		return err;
	struct change_op j = change_journal_op(c->owner, c->peer, "zonegroup activate", q->g.name);
	return stager_apply(s, c, &j);
}

static void done_fzs(struct change *c, int err)
{
	struct fzs_change *q = (struct fzs_change *)c;
	uint16_t status = !err		   ? 0
			  : err == -ENOENT ? ST_NOTFOUND /* an alias it names */
			  : err == -EINVAL ? ST_INVALID
			  : err == -EPERM  ? ST_ORIG
					   : ST_INTERNAL;

	lock_free(q->lock);
	if (c->ctrl)
		disc_ctrl_complete(c->ctrl, q->cid, status);
	zw_group_release(&q->g);
	change_release(c);
	free(q);
}

int reg_fzs_send(struct registry *r, const struct fabric *f, struct fzs *z, struct disc_ctrl *ctrl,
		 uint16_t cid, uint32_t key, uint32_t off, const uint8_t *frag, size_t len,
		 bool last)
{
	struct fzs_lock *l = lock_by_key(z, key);
	uint32_t bad;

	if (!f->zoning_on)
		return ST_DISABLED;
	if (!l || l->sending)
		return ST_NOTFOUND;
	if (strcmp(l->orig, disc_ctrl_hostnqn(ctrl)))
		return ST_ORIG;
	if (l->ctrl != ctrl)
		return ST_NOTFOUND; /* the key is locked, but not for this sender */
	if (off > ZW_GROUP_MAX_LEN || len > ZW_GROUP_MAX_LEN - off)
		return ST_INVALID;
	if (off + len > l->cap) {
		size_t cap = off + len > 2 * l->cap ? off + len : 2 * l->cap;
		uint8_t *grown = realloc(l->buf, cap);
		if (!grown)
			return ST_INTERNAL;
		memset(grown + l->cap, 0, cap - l->cap);
		l->buf = grown;
		l->cap = cap;
	}
	memcpy(l->buf + off, frag, len);
	if (off + len > l->len)
		l->len = off + len;
	if (!last)
		return 0;

	struct fzs_change *q = calloc(1, sizeof(*q));
	uint8_t adrfam;
	if (!q)
		return ST_INTERNAL;
	if (zw_group_decode(l->buf, l->len, &q->g, &bad) || strcmp(q->g.orig, l->orig) ||
	    strcmp(q->g.name, l->name)) {
		log_info("zone group %s from %s: refused at byte %u of what was sent", l->name,
			 l->orig, bad);
		zw_group_release(&q->g);
		free(q);
		lock_free(l); /* what was sent is discarded with its lock */
		return ST_INVALID;
	}
	change_init_ctrl(&q->c, REG_IMPLICIT, ctrl, &adrfam, plan_fzs, done_fzs);
	q->lock = l;
	q->cid = cid;
	l->sending = true;
	registry_submit(r, &q->c);
	return -1;
}
