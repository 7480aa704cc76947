/* notify.c - the controller index and the fan-out of log change events. The index is a
 * red-black tree by host NQN then controller, so the controllers of one host are found
 * without a walk of all of them once views differ between hosts; a change every host sees
 * walks a plain list instead, which is what 10,000 AENs ahead of a DIM's completion cost. */
#include "notify.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "disc_ctrl.h"
#include "fabric.h"
#include "tree.h"

struct notify_node {
	RB_ENTRY(notify_node) link;
	TAILQ_ENTRY(notify_node) order;
	TAILQ_ENTRY(notify_node) hostlog; /* in hostlog while wants_hostlog */
	bool wants_hostlog;
	const char *hostnqn; /* the controller's own, which outlives the node */
	struct disc_ctrl *ctrl;
	struct view *seen;   /* with zoning: the view it was served at the last change */
	struct view *seen71; /* with zoning, while wants_hostlog: the same for log 71h */
};

static int node_cmp(const struct notify_node *a, const struct notify_node *b)
{
	int c = strcmp(a->hostnqn, b->hostnqn);

	if (c)
		return c;
	if (a->ctrl == b->ctrl)
		return 0;
	return (uintptr_t)a->ctrl < (uintptr_t)b->ctrl ? -1 : 1;
}

RB_HEAD(notify_tree, notify_node);
RB_GENERATE_STATIC(notify_tree, notify_node, link, node_cmp)

/* Log 71h listeners have a list of their own: they are few (DDCs, other CDCs), and a host
 * connecting changes log 71h, so walking every controller for it would make each connect
 * cost as much as there are persistent controllers. */
struct notify {
	struct notify_tree ctrls;
	TAILQ_HEAD(, notify_node) all;
	TAILQ_HEAD(, notify_node) hostlog;
	/* Zoning was on at the last change: controllers remember the views they were served.
	 * Off, they hold none (one view serves everyone, and an old one kept per controller
	 * would keep its pages alive). */
	bool zoned;
};

struct notify *notify_new(void)
{
	struct notify *n = calloc(1, sizeof(*n));

	if (n) {
		RB_INIT(&n->ctrls);
		TAILQ_INIT(&n->all);
		TAILQ_INIT(&n->hostlog);
	}
	return n;
}

void notify_free(struct notify *n)
{
	struct notify_node *x;

	if (!n)
		return;
	while ((x = RB_MIN(notify_tree, &n->ctrls))) {
		RB_REMOVE(notify_tree, &n->ctrls, x);
		view_unref(x->seen);
		view_unref(x->seen71);
		free(x);
	}
	free(n);
}

/* Remembers the view x's host is served now; whether that differs from the one before. */
static bool see(struct notify_node *x)
{
	struct view *now = (struct view *)disc_ctrl_view(x->ctrl);
	bool changed = !fabric_views_equal(x->seen, now);

	if (now != x->seen) {
		view_unref(x->seen);
		x->seen = now ? view_ref(now) : NULL;
	}
	return changed;
}

/* The same for log 71h, which with zoning each DDC reads filtered by its own subsystems. */
static bool see71(struct notify_node *x)
{
	struct view *now = disc_ctrl_hostlog_view(x->ctrl);
	bool changed = !fabric_views_equal(x->seen71, now);

	view_unref(x->seen71);
	x->seen71 = now;
	return changed;
}

int notify_ctrl_add(struct notify *n, struct disc_ctrl *ctrl)
{
	struct notify_node *x = malloc(sizeof(*x));

	if (!x)
		return -ENOMEM;
	x->hostnqn = disc_ctrl_hostnqn(ctrl);
	x->ctrl = ctrl;
	x->wants_hostlog = false;
	x->seen = x->seen71 = NULL;
	if (RB_INSERT(notify_tree, &n->ctrls, x)) {
		free(x); /* already there */
		return 0;
	}
	TAILQ_INSERT_TAIL(&n->all, x, order);
	notify_ctrl_events(n, ctrl);
	if (n->zoned)
		see(x);
	return 0;
}

static struct notify_node *node_find(struct notify *n, struct disc_ctrl *ctrl)
{
	struct notify_node key = {.hostnqn = disc_ctrl_hostnqn(ctrl), .ctrl = ctrl};

	return RB_FIND(notify_tree, &n->ctrls, &key);
}

void notify_ctrl_events(struct notify *n, struct disc_ctrl *ctrl)
{
	struct notify_node *x = node_find(n, ctrl);
	bool wants = x && disc_ctrl_wants_event(ctrl, DISC_LID_HOST_DISCOVERY);

	if (!x || wants == x->wants_hostlog)
		return;
	x->wants_hostlog = wants;
	if (wants) {
		TAILQ_INSERT_TAIL(&n->hostlog, x, hostlog);
		if (n->zoned)
			see71(x);
	} else {
		TAILQ_REMOVE(&n->hostlog, x, hostlog);
		view_unref(x->seen71);
		x->seen71 = NULL;
	}
}

bool notify_hostlog_wanted(const struct notify *n)
{
	return !TAILQ_EMPTY(&n->hostlog);
}

void notify_ctrl_del(struct notify *n, struct disc_ctrl *ctrl)
{
	struct notify_node *x = node_find(n, ctrl);

	if (x) {
		RB_REMOVE(notify_tree, &n->ctrls, x);
		TAILQ_REMOVE(&n->all, x, order);
		if (x->wants_hostlog)
			TAILQ_REMOVE(&n->hostlog, x, hostlog);
		view_unref(x->seen);
		view_unref(x->seen71);
		free(x);
	}
}

static size_t tell(struct disc_ctrl *ctrl, bool log70, bool log71)
{
	if (log70)
		disc_ctrl_log_changed(ctrl, NVME_LOG_LID_DISCOVER);
	if (log71)
		disc_ctrl_log_changed(ctrl, DISC_LID_HOST_DISCOVERY);
	return log70 || log71;
}

/* Only the named hosts' controllers: one lookup each. */
static size_t send_named(struct notify *n, const struct change_set *cs)
{
	size_t told = 0;

	for (size_t i = 0; i < cs->nhosts; i++) {
		struct notify_node key = {.hostnqn = cs->hosts[i], .ctrl = NULL}, *x;
		for (x = RB_NFIND(notify_tree, &n->ctrls, &key);
		     x && !strcmp(x->hostnqn, key.hostnqn); x = RB_NEXT(notify_tree, &n->ctrls, x))
			told += tell(x->ctrl, true, false);
	}
	return told;
}

/* Zoning was turned on or off. Off, the views remembered are let go; on, none is known yet,
 * so the change that turned it on tells every controller. */
static void forget_all(struct notify *n, bool zoned)
{
	struct notify_node *x;

	TAILQ_FOREACH (x, &n->all, order) {
		view_unref(x->seen);
		view_unref(x->seen71);
		x->seen = x->seen71 = NULL;
	}
	n->zoned = zoned;
}

size_t notify_send(struct notify *n, const struct change_set *cs)
{
	bool log70 = cs->logs & FABRIC_LOG70, log71 = cs->logs & FABRIC_LOG71;
	struct notify_node *x;
	size_t told = 0;

	/* With zoning, each controller whose view moved: its view is built (or found, for
	 * every host of its visibility) and compared with the one it saw at the last change.
	 * A DDC's log 71h moves with zoning and with its own subsystems too, so its listeners
	 * compare at every change. */
	if (cs->zoned != n->zoned)
		forget_all(n, cs->zoned);
	if (cs->zoned) {
		if (log70)
			TAILQ_FOREACH (x, &n->all, order)
				told += tell(x->ctrl, see(x), false);
		if (log70 || log71)
			TAILQ_FOREACH (x, &n->hostlog, hostlog)
				told += tell(x->ctrl, false, see71(x));
		return told;
	}
	/* Log 70h changed for every host (one view for all): every controller, and the log
	 * 71h listeners among them in the same pass. */
	if (log70 && cs->all) {
		TAILQ_FOREACH (x, &n->all, order)
			told += tell(x->ctrl, true, log71 && x->wants_hostlog);
		return told;
	}
	if (log70)
		told += send_named(n, cs);
	if (log71)
		TAILQ_FOREACH (x, &n->hostlog, hostlog)
			told += tell(x->ctrl, false, true);
	return told;
}
