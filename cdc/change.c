/* change.c - building change values: their operations and what those own. */
#include "change.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "disc_ctrl.h"
#include "fabric.h"

void change_init(struct change *c, enum reg_source source, const char *owner, const char *peer,
		 change_plan_fn plan, change_done_fn done)
{
	memset(c, 0, sizeof(*c));
	c->source = source;
	snprintf(c->owner, sizeof(c->owner), "%s", owner);
	snprintf(c->peer, sizeof(c->peer), "%s", peer);
	c->plan = plan;
	c->done = done;
}

void change_init_ctrl(struct change *c, enum reg_source source, struct disc_ctrl *ctrl,
		      uint8_t *adrfam, change_plan_fn plan, change_done_fn done)
{
	const char *peer = disc_ctrl_peer(ctrl, adrfam);

	change_init(c, source, disc_ctrl_hostnqn(ctrl), peer, plan, done);
	c->ctrl = ctrl;
}

int change_add(struct change *c, const struct change_op *op)
{
	struct change_op *ops = array_grow(c->ops, &c->cap, c->nops, sizeof(*ops), 4);

	if (!ops)
		return -ENOMEM;
	c->ops = ops;
	c->ops[c->nops++] = *op;
	return 0;
}

void change_release(struct change *c)
{
	for (size_t i = 0; i < c->nops; i++) {
		if (c->ops[i].kind == CHG_CONFIG)
			fabric_cfg_free(c->ops[i].u.cfg);
		if (c->ops[i].kind == CHG_ZONING && c->ops[i].u.zoning.z) {
			zoning_free(c->ops[i].u.zoning.z);
			free(c->ops[i].u.zoning.z);
		}
	}
	free(c->ops);
	c->ops = NULL;
	c->nops = c->cap = 0;
}

struct change_op change_journal_op(const char *who, const char *peer, const char *what,
				   const char *detail)
{
	struct change_op op = {.kind = CHG_JOURNAL};
	struct change_journal *j = &op.u.journal;

	snprintf(j->who, sizeof(j->who), "%s", who);
	snprintf(j->peer, sizeof(j->peer), "%s", peer);
	snprintf(j->what, sizeof(j->what), "%s", what);
	snprintf(j->detail, sizeof(j->detail), "%s", detail);
	return op;
}
