/* reg_dim.c - a DIM command as a change. The plan decides against the model as the batch
 * left it (ownership, the subsystems of others, limits, the entries an EKTYPE names) and
 * stages the entity, its entries and its live association; the completion turns the
 * outcome into the command's NVMe status. */
#include "reg_dim.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dim.h"
#include "disc_ctrl.h"
#include "log.h"
#include "registry.h"

struct dim_change {
	struct change c;
	uint16_t cid;
	struct dim_request dim;
};

#define SC_INVALID_DISC_INFO                                                                       \
	nvme_status(NVME_SCT_CMD_SPECIFIC, NVME_SC_INVALID_DISCOVERY_INFO, true)

static const char *tas_name(uint8_t tas)
{
	static const char *const names[] = {"register", "deregister", "update"};

	return tas < 3 ? names[tas] : "?";
}

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
static const char *dim_refusal(const struct fabric *f, const struct dim_change *q)
{
	const struct entity *e = fabric_entity_find(f, q->dim.entity.nqn);

	if (q->dim.etype == NVMF_DIM_ETYPE_HOST && strcmp(q->dim.entity.nqn, q->c.owner))
		return "a host registers only its own host NQN";
	if (!e)
		return NULL;
	const char *owner = entity_owner(e);
	if (!owner)
		return "the administrator declared it";
	return strcmp(owner, q->c.owner) ? "it belongs to another host" : NULL;
}

/* The first subsystem of the request that is someone else's, or NULL. */
static const char *dim_taken_subsys(const struct fabric *f, const struct dim_change *q)
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
		if (fabric_subsys_taken(f, last, q->dim.entity.nqn))
			return last;
	}
	return NULL;
}

/* Refuses with a journal entry and a rate-limited log line (a remote peer causes it). */
static int refuse(struct dim_change *q, struct stager *s, const char *why, const char *taken)
{
	char what[64], detail[CDC_NQN_MAX * 2 + 128];

	snprintf(detail, sizeof(detail), "%s: %s%s%s", q->dim.entity.nqn, why ? why : "subsystem ",
		 why ? "" : taken, why ? "" : " belongs to another registrant");
	log_peer_ratelimited(s->rl_peers, q->c.peer, LOG_WARNING, "DIM %s from %s (%s) refused: %s",
			     tas_name(q->dim.tas), q->c.owner, q->c.peer, detail);
	snprintf(what, sizeof(what), "%s refused", tas_name(q->dim.tas));
	struct change_op j = change_journal_op(q->c.owner, q->c.peer, what, detail);
	q->c.verdict = -EPERM;
	return stager_apply(s, &q->c, &j);
}

/* The registered record that entry de names under the request's EKTYPE, if any. */
static bool entry_find(const struct fabric *f, const struct dim_change *q,
		       const struct dim_entry *de, struct change_op *out)
{
	if (de->is_host) {
		const struct host_rec *h = fabric_host_find(f, &de->host);
		if (h)
			out->u.host = *h;
		return h != NULL;
	}
	/* Only the entity's own records of that subsystem (the NQN is in every entry key):
	 * under EKTYPE 0x3F another DDC's PORTID is no match. */
	const char *owner = de->rec.owner, *subnqn = de->rec.subnqn;
	for (const struct log_rec *rec = fabric_rec_next_in(f, owner, subnqn, NULL); rec;
	     rec = fabric_rec_next_in(f, owner, subnqn, rec))
		if (dim_rec_key_match(q->dim.ektype, rec, &de->rec)) {
			out->u.rec = *rec;
			return true;
		}
	return false;
}

/* Stages the deletion of what entry de names; 0 when it names nothing, 1 when it did. */
static int entry_del(struct dim_change *q, struct stager *s, const struct dim_entry *de)
{
	struct change_op op = {.kind = de->is_host ? CHG_HOST_DEL : CHG_REC_DEL};

	if (!entry_find(s->f, q, de, &op))
		return 0;
	int err = stager_apply(s, &q->c, &op);
	return err ? err : 1;
}

static int entry_put(struct dim_change *q, struct stager *s, const struct dim_entry *de)
{
	struct change_op op = {.kind = de->is_host ? CHG_HOST_PUT : CHG_REC_PUT};

	if (de->is_host) {
		op.u.host = de->host;
		return stager_apply(s, &q->c, &op);
	}
	/* Under EKTYPE 0x3F the key is the PORTID: a port that moved replaces its record. */
	struct change_op old = {.kind = CHG_REC_DEL};
	if (entry_find(s->f, q, de, &old) && !fabric_rec_key_equal(&old.u.rec, &de->rec)) {
		int err = stager_apply(s, &q->c, &old);
		if (err)
			return err;
	}
	op.u.rec = de->rec;
	return stager_apply(s, &q->c, &op);
}

/* Registering again what is already there replaces it: only new keys count. */
static int check_limits(const struct dim_change *q, const struct stager *s)
{
	size_t added = 0;

	for (size_t i = 0; i < q->dim.nument; i++) {
		const struct dim_entry *de = &q->dim.entries[i];
		added += de->is_host ? !fabric_host_find(s->f, &de->host)
				     : !fabric_rec_find(s->f, &de->rec);
	}
	return stager_room(s, q->dim.entity.nqn, added);
}

static int stage_register(struct dim_change *q, struct stager *s)
{
	struct change_op op = {.kind = CHG_ENTITY_PUT, .u.ent = q->dim.entity};
	int err = check_limits(q, s);

	if (err) {
		q->c.verdict = err;
		return 0;
	}
	op.u.ent.source = REG_DIM;
	snprintf(op.u.ent.regnqn, sizeof(op.u.ent.regnqn), "%s", q->c.owner);
	err = stager_apply(s, &q->c, &op);
	for (size_t i = 0; !err && i < q->dim.nument; i++)
		err = entry_put(q, s, &q->dim.entries[i]);
	return err;
}

static int stage_entries(struct dim_change *q, struct stager *s)
{
	struct dim_request *d = &q->dim;
	int err = 0;

	switch (d->tas) {
	case NVMF_DIM_TAS_REGISTER:
		return stage_register(q, s);
	case NVMF_DIM_TAS_DEREGISTER:
		for (size_t i = 0; err >= 0 && i < d->nument; i++)
			err = entry_del(q, s, &d->entries[i]);
		return err < 0 ? err : 0;
	case NVMF_DIM_TAS_UPDATE:
		err = entry_del(q, s, &d->entries[0]);
		if (err == 0)
			q->c.verdict = -ENOENT;
		return err <= 0 ? err : entry_put(q, s, &d->entries[1]);
	}
	return 0;
}

static int plan_dim(struct change *c, struct stager *s)
{
	struct dim_change *q = (struct dim_change *)c;
	const char *why = dim_refusal(s->f, q), *taken = why ? NULL : dim_taken_subsys(s->f, q);
	char detail[CDC_NQN_MAX + 64];

	if (why || taken)
		return refuse(q, s, why, taken);
	int err = stage_entries(q, s);
	if (err || c->verdict)
		return err;
	struct change_op live = {.kind = CHG_LIVE};
	snprintf(live.u.nqn, sizeof(live.u.nqn), "%s", q->dim.entity.nqn);
	err = stager_apply(s, c, &live);
	snprintf(detail, sizeof(detail), "%s: %zu %s entries", q->dim.entity.nqn, q->dim.nument,
		 q->dim.etype == NVMF_DIM_ETYPE_DDC ? "subsystem" : "host");
	struct change_op j = change_journal_op(c->owner, c->peer, tas_name(q->dim.tas), detail);
	return err ? err : stager_apply(s, c, &j);
}

static uint16_t dim_status(int err)
{
	switch (err) {
	case 0:
		return 0;
	case -EPERM:
	case -ENOENT:
		return SC_INVALID_DISC_INFO;
	case -ENOSPC:
		/* Insufficient Discovery Resources may clear up (no DNR); a full disk too. */
		return nvme_status(NVME_SCT_CMD_SPECIFIC, NVME_SC_INSUFFICIENT_DISC_RES, false);
	}
	return nvme_status(NVME_SCT_GENERIC, NVME_SC_INTERNAL, false);
}

static void done_dim(struct change *c, int err)
{
	struct dim_change *q = (struct dim_change *)c;

	if (c->ctrl)
		disc_ctrl_complete(c->ctrl, q->cid, dim_status(err));
	if (!err)
		log_info("DIM %s from %s (%s): %s, %zu entries", tas_name(q->dim.tas), c->owner,
			 c->peer, q->dim.entity.nqn, q->dim.nument);
	dim_request_free(&q->dim);
	change_release(c);
	free(q);
}

/* An empty TRADDR stands for the address the command came from; the owner of a record is
 * the entity. Both are known now, so the entries are keys from here on. */
static void entries_complete(struct dim_change *q, uint8_t adrfam)
{
	for (size_t i = 0; i < q->dim.nument; i++) {
		struct dim_entry *de = &q->dim.entries[i];
		if (de->is_host) {
			de->host.source = REG_DIM;
			if (de->traddr_from_peer) {
				snprintf(de->host.traddr, sizeof(de->host.traddr), "%s", q->c.peer);
				de->host.adrfam = adrfam;
			}
			continue;
		}
		de->rec.source = REG_DIM;
		snprintf(de->rec.owner, sizeof(de->rec.owner), "%s", q->dim.entity.nqn);
	}
}

int reg_dim_submit(struct registry *r, struct disc_ctrl *ctrl, uint16_t cid,
		   struct dim_request *dim)
{
	struct dim_change *q = calloc(1, sizeof(*q));
	uint8_t adrfam;

	if (!q)
		return -ENOMEM;
	change_init_ctrl(&q->c, REG_DIM, ctrl, &adrfam, plan_dim, done_dim);
	q->cid = cid;
	q->dim = *dim; /* the request's entries now belong to q */
	memset(dim, 0, sizeof(*dim));
	entries_complete(q, adrfam);
	registry_submit(r, &q->c);
	return 0;
}
