/* reg_admin.c - the administrator's requests (control API) as changes. The administrator
 * may remove anything a DIM registered but adds no port to a DDC's subsystem (-EBUSY);
 * what the configuration file defines is changed in the file (-EPERM). The plan answers -EEXIST and
 * -ENOENT from the model as the batch left it, so requests queued in one loop turn see each other.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "registry.h"

struct admin_change {
	struct change c;
	struct admin_req a;
	registry_admin_cb cb;
	void *arg;
};

/* Whether a subsystem of that NQN exists (configured, declared or registered). */
static bool subsys_exists(const struct fabric *f, const char *nqn)
{
	return fabric_subsys_declared(f, nqn) || fabric_subsys_next(f, NVME_NQN_NVME, nqn, NULL);
}

/* Whether a DDC registered subsystem nqn's ports (by DIM or pull). The administrator adds
 * no port to it: that DDC's next registration, which nvme-stas sends on every reconnect,
 * would then be refused as another registrant's subsystem. */
static bool registered_by_ddc(const struct fabric *f, const char *nqn)
{
	for (const struct log_rec *rec = fabric_subsys_next(f, NVME_NQN_NVME, nqn, NULL); rec;
	     rec = fabric_subsys_next(f, NVME_NQN_NVME, nqn, rec))
		if (rec->source != REG_ADMIN && rec->source != REG_CONFIG)
			return true;
	return false;
}

/* The registered record of subtype at port (and of subsystem nqn, for ports). */
static const struct log_rec *admin_find(const struct fabric *f, uint8_t subtype, const char *nqn,
					const struct cdc_port *port)
{
	for (const struct log_rec *rec = fabric_subsys_next(f, subtype, nqn, NULL); rec;
	     rec = fabric_subsys_next(f, subtype, nqn, rec))
		if (!strcmp(rec->port.traddr, port->traddr) &&
		    !strcmp(rec->port.trsvcid, port->trsvcid))
			return rec;
	return NULL;
}

static int put(struct stager *s, struct change *c, uint8_t subtype)
{
	const struct admin_req *a = &((struct admin_change *)c)->a;
	struct change_op op = {.kind = CHG_REC_PUT};

	op.u.rec = (struct log_rec){.source = REG_ADMIN, .subtype = subtype, .port = a->port};
	snprintf(op.u.rec.subnqn, sizeof(op.u.rec.subnqn), "%s", a->nqn);
	return stager_apply(s, c, &op);
}

static int del(struct stager *s, struct change *c, uint8_t subtype)
{
	const struct admin_req *a = &((struct admin_change *)c)->a;
	const char *nqn = subtype == NVME_NQN_NVME ? a->nqn : NULL;
	const struct log_rec *rec = admin_find(s->f, subtype, nqn, &a->port);
	struct change_op op = {.kind = CHG_REC_DEL};

	if (!rec) {
		c->verdict = fabric_config_has(s->f, a->nqn, subtype, &a->port) ? -EPERM : -ENOENT;
		return 0;
	}
	op.u.rec = *rec;
	return stager_apply(s, c, &op);
}

static int entity_del(struct stager *s, struct change *c, const char *nqn)
{
	struct change_op op = {.kind = CHG_ENTITY_DEL};

	snprintf(op.u.nqn, sizeof(op.u.nqn), "%s", nqn);
	return stager_apply(s, c, &op);
}

static int subsys_add(struct stager *s, struct change *c)
{
	const struct admin_req *a = &((struct admin_change *)c)->a;
	struct change_op op = {.kind = CHG_ENTITY_PUT};

	if (subsys_exists(s->f, a->nqn)) {
		c->verdict = -EEXIST;
		return 0;
	}
	op.u.ent = (struct entity){.etype = ENTITY_SUBSYSTEM, .source = REG_ADMIN};
	snprintf(op.u.ent.nqn, sizeof(op.u.ent.nqn), "%s", a->nqn);
	return stager_apply(s, c, &op);
}

/* Every owner's ports of the subsystem, and the administrator's declaration of it. */
static int subsys_del(struct stager *s, struct change *c)
{
	const char *nqn = ((struct admin_change *)c)->a.nqn;
	const struct entity *e = fabric_entity_find(s->f, nqn);
	bool any = e && e->etype == ENTITY_SUBSYSTEM;
	struct change_op op = {.kind = CHG_REC_DEL};
	int err = 0;

	const struct log_rec *rec, *next;
	for (rec = fabric_subsys_next(s->f, NVME_NQN_NVME, nqn, NULL); !err && rec; rec = next) {
		op.u.rec = *rec;
		next = fabric_subsys_next(s->f, NVME_NQN_NVME, nqn, rec);
		any = true;
		err = stager_apply(s, c, &op);
	}
	if (!any) {
		c->verdict = fabric_config_has(s->f, nqn, NVME_NQN_NVME, NULL) ? -EPERM : -ENOENT;
		return 0;
	}
	return err ? err : entity_del(s, c, nqn);
}

/* A host entity and every log 71h entry of its NQN. A connected host stays connected and is
 * registered again implicitly at its next Connect. */
static int host_del(struct stager *s, struct change *c)
{
	const char *nqn = ((struct admin_change *)c)->a.nqn;
	const struct entity *e = fabric_entity_find(s->f, nqn);

	if (!e || e->etype != NVMF_DIM_ETYPE_HOST) {
		c->verdict = -ENOENT;
		return 0;
	}
	return entity_del(s, c, nqn);
}

static int stage_op(struct stager *s, struct change *c)
{
	const struct admin_req *a = &((struct admin_change *)c)->a;

	switch (a->op) {
	case ADMIN_SUBSYS_ADD:
		return subsys_add(s, c);
	case ADMIN_SUBSYS_DEL:
		return subsys_del(s, c);
	case ADMIN_PORT_ADD:
		if (registered_by_ddc(s->f, a->nqn))
			c->verdict = -EBUSY;
		else if (subsys_exists(s->f, a->nqn))
			return put(s, c, NVME_NQN_NVME);
		else
			c->verdict = -ENOENT;
		return 0;
	case ADMIN_PORT_DEL:
		return del(s, c, NVME_NQN_NVME);
	case ADMIN_REFERRAL_ADD:
		return put(s, c, NVME_NQN_DISC);
	case ADMIN_REFERRAL_DEL:
		return del(s, c, NVME_NQN_DISC);
	case ADMIN_HOST_DEL:
		return host_del(s, c);
	}
	c->verdict = -EINVAL;
	return 0;
}

static const char *admin_name(enum admin_op op)
{
	static const char *const names[] = {"subsystem add", "subsystem del", "port add",
					    "port del",	     "referral add",  "referral del",
					    "host del"};

	return (size_t)op < sizeof(names) / sizeof(names[0]) ? names[op] : "?";
}

static int plan_admin(struct change *c, struct stager *s)
{
	const struct admin_req *a = &((struct admin_change *)c)->a;
	char detail[CDC_NQN_MAX + CDC_TRADDR_MAX + CDC_TRSVCID_MAX + 8];

	int err = stage_op(s, c);
	if (err || c->verdict)
		return err;
	snprintf(detail, sizeof(detail), "%s %s%s%s", a->nqn, a->port.traddr,
		 a->port.trsvcid[0] ? ":" : "", a->port.trsvcid);
	struct change_op j = change_journal_op("admin", c->peer, admin_name(a->op), detail);
	return stager_apply(s, c, &j);
}

static void done_admin(struct change *c, int err)
{
	struct admin_change *q = (struct admin_change *)c;

	if (q->cb)
		q->cb(q->arg, err);
	change_release(c);
	free(q);
}

int registry_admin(struct registry *r, const struct admin_req *a, registry_admin_cb cb, void *arg)
{
	struct admin_change *q = calloc(1, sizeof(*q));

	if (!q)
		return -ENOMEM;
	change_init(&q->c, REG_ADMIN, "admin", "control socket", plan_admin, done_admin);
	q->a = *a;
	q->cb = cb;
	q->arg = arg;
	registry_submit(r, &q->c);
	return 0;
}
