/* notify.h - tells the discovery controllers whose view changed. It keeps the live
 * controllers indexed by host NQN; after a commit, a change set names the logs whose bytes
 * changed and whose view of log 70h that was, and notify raises the log change event on
 * exactly those controllers (disc_ctrl coalesces, masks until read, and sends the AEN). */
#ifndef CDC_NOTIFY_H
#define CDC_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>

#include "view.h"

struct disc_ctrl;
struct notify;

/* What a batch changed, as hosts see it. */
struct change_set {
	int logs; /* FABRIC_LOG70, FABRIC_LOG71: the logs whose bytes changed */
	/* Whose log 70h view changed: every host's (all), or the nhosts host NQNs named.
	 * Without zoning one view serves every host. */
	bool all;
	const char *const *hosts;
	size_t nhosts;
	/* With zoning, hosts see different views: each controller is told when the view it
	 * is served now differs from the one it was served at the last change (all ignored). */
	bool zoned;
};

struct notify *notify_new(void);
void notify_free(struct notify *n);

/* A controller's association is live (its host NQN known) or ended. -ENOMEM on add. */
int notify_ctrl_add(struct notify *n, struct disc_ctrl *ctrl);
void notify_ctrl_del(struct notify *n, struct disc_ctrl *ctrl);
/* The controller enabled or disabled events (Set Features AEC). */
void notify_ctrl_events(struct notify *n, struct disc_ctrl *ctrl);

/* Whether a live controller wants log 71h change events: without one, nobody needs to
 * know at once whether log 71h's bytes changed, and it is rebuilt when read. */
bool notify_hostlog_wanted(const struct notify *n);

/* Raises the events of cs; returns how many events were raised (70h and 71h each count). */
size_t notify_send(struct notify *n, const struct change_set *cs);

#endif
