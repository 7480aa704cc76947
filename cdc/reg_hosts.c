/* reg_hosts.c - changes from connections: implicit registration of a host that connects,
 * the end of its associations, and forgetting implicit hosts that left long ago. */
#include "reg_hosts.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "registry.h"

/* A host entity and every log 71h entry of its NQN. */
static struct change_op entity_del_op(const char *nqn)
{
	struct change_op op = {.kind = CHG_ENTITY_DEL};

	snprintf(op.u.nqn, sizeof(op.u.nqn), "%s", nqn);
	return op;
}

/* Forgets an implicit host (gone too long, or making room), with a journal entry. */
static int forget_host(struct stager *s, struct change *c, const char *nqn, const char *why)
{
	struct change_op del = entity_del_op(nqn); /* a copy: nqn may be the entity's */
	struct change_op j = change_journal_op("cdcd", "", "host forgotten", del.u.nqn);

	log_info("forgetting implicit host %s: %s", del.u.nqn, why);
	int err = stager_apply(s, c, &del);
	return err ? err : stager_apply(s, c, &j);
}

/* Makes room for one more implicit host by forgetting the one that left longest ago.
 * Returns 1 when there is room, 0 when every implicit host is connected, or an errno. */
static int implicit_room(struct stager *s, struct change *c)
{
	if (!s->lim->max_implicit || s->f->nimplicit < s->lim->max_implicit)
		return 1;
	const struct entity *oldest = fabric_idle_implicit_next(s->f, NULL);
	if (!oldest)
		return 0;
	int err = forget_host(s, c, oldest->nqn, "max-implicit-hosts reached");
	return err ? err : 1;
}

struct connect_change {
	struct change c;
	uint8_t adrfam;
	uint8_t hostid[16];
};

static int apply_nqn(struct stager *s, struct change *c, enum change_op_kind kind, const char *nqn)
{
	struct change_op op = {.kind = kind};

	snprintf(op.u.nqn, sizeof(op.u.nqn), "%s", nqn);
	return stager_apply(s, c, &op);
}

/* Implicit registration: a host that connects is known, registered or not. */
static int plan_connect(struct change *c, struct stager *s)
{
	struct connect_change *cc = (struct connect_change *)c;
	struct change_op op = {.kind = CHG_ENTITY_PUT};
	int err;

	if (fabric_entity_find(s->f, c->owner)) {
		err = apply_nqn(s, c, CHG_SEEN, c->owner);
	} else {
		int room = implicit_room(s, c);
		if (room <= 0) {
			if (room == 0)
				log_ratelimited(s->rl, LOG_WARNING,
						"host %s served but not recorded: "
						"max-implicit-hosts (%zu) reached, all connected",
						c->owner, s->lim->max_implicit);
			return room ? room : apply_nqn(s, c, CHG_LIVE, c->owner);
		}
		op.u.ent = (struct entity){.etype = NVMF_DIM_ETYPE_HOST, .source = REG_IMPLICIT};
		snprintf(op.u.ent.nqn, sizeof(op.u.ent.nqn), "%s", c->owner);
		err = stager_apply(s, c, &op);
	}
	if (!err && !fabric_host_next_of(s->f, c->owner, NULL)) {
		op.kind = CHG_HOST_PUT;
		op.u.host = (struct host_rec){
			.source = REG_IMPLICIT, .trtype = NVMF_TRTYPE_TCP, .adrfam = cc->adrfam};
		snprintf(op.u.host.hostnqn, sizeof(op.u.host.hostnqn), "%s", c->owner);
		snprintf(op.u.host.traddr, sizeof(op.u.host.traddr), "%s", c->peer);
		memcpy(op.u.host.hostid, cc->hostid, sizeof(op.u.host.hostid));
		err = stager_apply(s, c, &op);
	}
	return err ? err : apply_nqn(s, c, CHG_LIVE, c->owner);
}

/* Connections have nobody to tell of the outcome: a failed batch is logged once. */
static void done_free(struct change *c, int err)
{
	(void)err;
	change_release(c);
	free(c);
}

int reg_hosts_connected(struct registry *r, struct disc_ctrl *ctrl)
{
	struct connect_change *cc = calloc(1, sizeof(*cc));
	uint8_t adrfam;

	if (!cc)
		return -ENOMEM;
	change_init_ctrl(&cc->c, REG_IMPLICIT, ctrl, &adrfam, plan_connect, done_free);
	cc->adrfam = adrfam;
	memcpy(cc->hostid, disc_ctrl_hostid(ctrl), sizeof(cc->hostid));
	registry_submit(r, &cc->c);
	return 0;
}

/* Needs no plan: the associations end, and the host was last seen now. */
int reg_hosts_disconnected(struct registry *r, const struct disc_ctrl *ctrl)
{
	struct change *c = calloc(1, sizeof(*c));
	struct change_op gone = {.kind = CHG_GONE, .u.assoc = ctrl};
	struct change_op seen = {.kind = CHG_SEEN};

	if (!c)
		return -ENOMEM;
	change_init(c, REG_IMPLICIT, disc_ctrl_hostnqn(ctrl), "", NULL, done_free);
	snprintf(seen.u.nqn, sizeof(seen.u.nqn), "%s", c->owner);
	if (change_add(c, &gone) || change_add(c, &seen)) {
		done_free(c, -ENOMEM);
		return -ENOMEM;
	}
	registry_submit(r, c);
	return 0;
}

/* Most hosts one sweep forgets: the rest wait for the next, so no sweep stalls the loop. */
#define EXPIRE_BATCH 1000

struct expire_change {
	struct change c;
	bool *pending;
};

static int plan_expire(struct change *c, struct stager *s)
{
	char(*gone)[CDC_NQN_MAX + 1] = calloc(EXPIRE_BATCH, sizeof(*gone));
	size_t n = 0;
	int err = 0;

	if (!gone)
		return -ENOMEM;
	/* Oldest first: the sweep stops at the first host seen recently enough. */
	for (const struct entity *e = fabric_idle_implicit_next(s->f, NULL);
	     e && n < EXPIRE_BATCH && s->now - e->last_seen > s->lim->host_expiry;
	     e = fabric_idle_implicit_next(s->f, e))
		memcpy(gone[n++], e->nqn, sizeof(gone[0]));
	for (size_t i = 0; !err && i < n; i++)
		err = forget_host(s, c, gone[i], "not seen for implicit-host-expiry");
	free(gone);
	return err;
}

static void expire_done(struct change *c, int err)
{
	*((struct expire_change *)c)->pending = false;
	done_free(c, err);
}

int reg_hosts_expire(struct registry *r, bool *pending)
{
	struct expire_change *ec = calloc(1, sizeof(*ec));

	if (!ec)
		return -ENOMEM;
	change_init(&ec->c, REG_IMPLICIT, "cdcd", "", plan_expire, expire_done);
	ec->pending = pending;
	registry_submit(r, &ec->c);
	return 0;
}
