/* reg_health.c - a path's health verdict as a change: one CHG_PATH operation and the
 * journal line that tells the administrator why hosts stopped (or started again) seeing it. */
#include "reg_health.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "registry.h"

struct health_change {
	struct change c;
	struct cdc_port addr;
	bool down;
	reg_health_cb cb;
	void *arg;
};

static void done_health(struct change *c, int err)
{
	struct health_change *q = (struct health_change *)c;

	q->cb(q->arg, &q->addr, q->down, err);
	change_release(c);
	free(q);
}

int reg_health_mark(struct registry *r, const struct cdc_port *addr, bool down, const char *what,
		    reg_health_cb cb, void *arg)
{
	struct health_change *q = calloc(1, sizeof(*q));
	char where[CDC_TRADDR_MAX + CDC_TRSVCID_MAX + 8];

	if (!q)
		return -ENOMEM;
	snprintf(where, sizeof(where), "%s:%s", addr->traddr, addr->trsvcid);
	change_init(&q->c, REG_HEALTH, "health", where, NULL, done_health);
	q->addr = *addr;
	q->down = down;
	q->cb = cb;
	q->arg = arg;
	struct change_op ops[2] = {{.kind = CHG_PATH, .u.path = {*addr, down}}};
	ops[1] = change_journal_op("health", where, what, where);
	for (size_t i = 0; i < 2; i++)
		if (change_add(&q->c, &ops[i])) {
			change_release(&q->c);
			free(q);
			return -ENOMEM;
		}
	registry_submit(r, &q->c);
	return 0;
}
