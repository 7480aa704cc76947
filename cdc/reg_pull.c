/* reg_pull.c - a DDC's discovery log as a change. The entries are turned into records owned
 * by the DDC's name when the log arrives; the plan then decides against the model as the
 * batch left it: subsystems that the configuration, the administrator or another
 * registrant define stay theirs (the pulled duplicate is skipped), the DDC's earlier
 * records that the log no longer lists go, the others are put. */
#include "reg_pull.h"

#include <errno.h>
#include <nvme/types.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "nvmf_tcp.h"
#include "registry.h"

#define LOG_HDR	  1024
#define LOG_ENTRY 1024

struct pull_change {
	struct change c;
	struct log_rec *recs; /* sorted by key, no duplicates */
	size_t n, skipped;
	reg_pull_cb cb;
	void *arg;
};

/* The record entry e becomes, or false for an entry not re-exported. */
static bool rec_of(const struct nvmf_disc_log_entry *e, const char *owner, const char *self_nqn,
		   struct log_rec *out)
{
	memset(out, 0, sizeof(*out));
	if (e->subtype != NVME_NQN_NVME || e->trtype != NVMF_TRTYPE_TCP ||
	    (e->adrfam != NVMF_ADDR_FAMILY_IP4 && e->adrfam != NVMF_ADDR_FAMILY_IP6))
		return false;
	(void)wire_text_get(out->subnqn, sizeof(out->subnqn), e->subnqn, sizeof(e->subnqn));
	(void)wire_text_get(out->port.traddr, sizeof(out->port.traddr), e->traddr,
			    sizeof(e->traddr));
	(void)wire_text_get(out->port.trsvcid, sizeof(out->port.trsvcid), e->trsvcid,
			    sizeof(e->trsvcid));
	if (!nqn_is_valid(out->subnqn) || !out->port.traddr[0] || !out->port.trsvcid[0] ||
	    !strcmp(out->subnqn, self_nqn) || !strcmp(out->subnqn, NVME_DISC_SUBSYS_NAME))
		return false;
	snprintf(out->owner, sizeof(out->owner), "%s", owner);
	out->source = REG_PULL;
	out->subtype = NVME_NQN_NVME;
	out->port.trtype = e->trtype;
	out->port.adrfam = e->adrfam;
	out->port.treq = e->treq;
	out->port.sectype = e->tsas.tcp.sectype;
	out->port.portid = le16toh(e->portid);
	return true;
}

/* The record key of model.h (owner is the same for all of one change). */
static int rec_cmp(const void *pa, const void *pb)
{
	const struct log_rec *a = pa, *b = pb;
	int c = strcmp(a->subnqn, b->subnqn);

	if (!c)
		c = (int)a->port.trtype - (int)b->port.trtype;
	if (!c)
		c = (int)a->port.adrfam - (int)b->port.adrfam;
	if (!c)
		c = strcmp(a->port.traddr, b->port.traddr);
	return c ? c : strcmp(a->port.trsvcid, b->port.trsvcid);
}

static int recs_of_log(struct pull_change *q, const uint8_t *log, size_t len, const char *self)
{
	if (len < LOG_HDR || get_le64(log + 8) != (len - LOG_HDR) / LOG_ENTRY)
		return -EPROTO;
	size_t numrec = (len - LOG_HDR) / LOG_ENTRY;
	q->recs = calloc(numrec ? numrec : 1, sizeof(*q->recs));
	if (!q->recs)
		return -ENOMEM;
	for (size_t i = 0; i < numrec; i++) {
		struct nvmf_disc_log_entry e;
		memcpy(&e, log + LOG_HDR + i * LOG_ENTRY, sizeof(e));
		q->n += rec_of(&e, q->c.owner, self, &q->recs[q->n]);
	}
	qsort(q->recs, q->n, sizeof(*q->recs), rec_cmp);
	size_t kept = 0;
	for (size_t i = 0; i < q->n; i++)
		if (!kept || rec_cmp(&q->recs[kept - 1], &q->recs[i]))
			q->recs[kept++] = q->recs[i];
	q->n = kept;
	return 0;
}

/* Drops the records of subsystems that are others'; counts what the rest adds. */
static size_t recs_filter(struct pull_change *q, const struct fabric *f)
{
	size_t kept = 0, added = 0;

	q->skipped = 0;
	for (size_t i = 0; i < q->n; i++) {
		if (fabric_subsys_taken(f, q->recs[i].subnqn, q->c.owner)) {
			q->skipped++;
			continue;
		}
		added += !fabric_rec_find(f, &q->recs[i]);
		q->recs[kept++] = q->recs[i];
	}
	q->n = kept;
	return added;
}

/* The DDC's records that the log no longer lists. */
static int stage_dropped(struct pull_change *q, struct stager *s)
{
	const struct log_rec *rec, *next;
	int err = 0;

	for (rec = fabric_rec_next_of(s->f, q->c.owner, NULL); !err && rec; rec = next) {
		next = fabric_rec_next_of(s->f, q->c.owner, rec);
		if (bsearch(rec, q->recs, q->n, sizeof(*q->recs), rec_cmp))
			continue;
		struct change_op op = {.kind = CHG_REC_DEL, .u.rec = *rec};
		err = stager_apply(s, &q->c, &op);
	}
	return err;
}

static int stage_entity(struct pull_change *q, struct stager *s)
{
	struct change_op op = {.kind = CHG_ENTITY_PUT};

	op.u.ent = (struct entity){.etype = NVMF_DIM_ETYPE_DDC, .source = REG_PULL};
	snprintf(op.u.ent.nqn, sizeof(op.u.ent.nqn), "%s", q->c.owner);
	snprintf(op.u.ent.ename, sizeof(op.u.ent.ename), "%s", q->c.peer);
	int err = stager_apply(s, &q->c, &op);
	if (err)
		return err;
	struct change_op live = {.kind = CHG_LIVE};
	snprintf(live.u.nqn, sizeof(live.u.nqn), "%s", q->c.owner);
	return stager_apply(s, &q->c, &live);
}

static int plan_pull(struct change *c, struct stager *s)
{
	struct pull_change *q = (struct pull_change *)c;
	char detail[CDC_NQN_MAX + 64];

	if (stager_room(s, c->owner, recs_filter(q, s->f))) {
		c->verdict = -ENOSPC;
		return 0;
	}
	int err = stage_dropped(q, s);
	if (!err)
		err = stage_entity(q, s);
	for (size_t i = 0; !err && i < q->n; i++) {
		struct change_op op = {.kind = CHG_REC_PUT, .u.rec = q->recs[i]};
		err = stager_apply(s, c, &op);
	}
	if (err)
		return err;
	snprintf(detail, sizeof(detail), "%s: %zu entries, %zu skipped", c->owner, q->n,
		 q->skipped);
	struct change_op j = change_journal_op(c->owner, c->peer, "pull", detail);
	return stager_apply(s, c, &j);
}

static void done_pull(struct change *c, int err)
{
	struct pull_change *q = (struct pull_change *)c;

	if (q->cb)
		q->cb(q->arg, c->owner, err, q->n, q->skipped);
	free(q->recs);
	change_release(c);
	free(q);
}

int reg_pull_replace(struct registry *r, const char *owner, const char *peer, const void *assoc,
		     const uint8_t *log, size_t len, const char *self_nqn, reg_pull_cb cb,
		     void *arg)
{
	struct pull_change *q = calloc(1, sizeof(*q));

	if (!q)
		return -ENOMEM;
	change_init(&q->c, REG_PULL, owner, peer, plan_pull, done_pull);
	q->c.assoc = assoc;
	q->cb = cb;
	q->arg = arg;
	int err = recs_of_log(q, log, len, self_nqn);
	if (err) {
		free(q->recs);
		free(q);
		return err;
	}
	registry_submit(r, &q->c);
	return 0;
}

/* Changes that need nothing but their operations. */
static void done_plain(struct change *c, int err)
{
	if (err)
		log_err("pull: %s: change not applied: %s", c->owner, strerror(-err));
	change_release(c);
	free(c);
}

static int submit_ops(struct registry *r, const char *owner, const char *peer,
		      const struct change_op *ops, size_t n)
{
	struct change *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	change_init(c, REG_PULL, owner, peer, NULL, done_plain);
	for (size_t i = 0; i < n; i++)
		if (change_add(c, &ops[i])) {
			change_release(c);
			free(c);
			return -ENOMEM;
		}
	registry_submit(r, c);
	return 0;
}

int reg_pull_gone(struct registry *r, const void *assoc)
{
	struct change_op op = {.kind = CHG_GONE, .u.assoc = assoc};

	return submit_ops(r, "pull", "", &op, 1);
}

int reg_pull_withdraw(struct registry *r, const char *owner, const char *peer)
{
	struct change_op ops[2] = {{.kind = CHG_ENTITY_DEL}};

	snprintf(ops[0].u.nqn, sizeof(ops[0].u.nqn), "%s", owner);
	ops[1] = change_journal_op(owner, peer, "pull withdrawn", owner);
	return submit_ops(r, owner, peer, ops, 2);
}
