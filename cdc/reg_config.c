/* reg_config.c - a configuration reload as a change: the file's subsystem ports, referrals
 * and listeners replace the configuration's share of log 70h. It runs in a batch of its own
 * at once, so that the daemon serves the new file from the moment it was read. */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "registry.h"

static void done_config(struct change *c, int err)
{
	if (err)
		log_err("configuration not applied: %s", strerror(-err));
	change_release(c);
	free(c);
}

void registry_config_changed(struct registry *r, const struct cdc_config *cfg)
{
	struct change *c = calloc(1, sizeof(*c));
	struct change_op op = {.kind = CHG_CONFIG};

	if (c) {
		change_init(c, REG_CONFIG, "config", "", NULL, done_config);
		op.u.cfg = fabric_cfg_new(cfg);
	}
	if (!c || !op.u.cfg || change_add(c, &op)) {
		log_err("cannot build the discovery log: %s", strerror(ENOMEM));
		fabric_cfg_free(op.u.cfg);
		free(c);
		return;
	}
	registry_submit(r, c);
	registry_flush(r);
}
