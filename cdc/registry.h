/* registry.h - the one path by which the fabric changes (design.md): change values from
 * every source are staged on the model with their undo and written to the store, committed
 * with the next GENCTR, turned into a change set for notify, and only then completed. All
 * changes that arrive in one loop turn share one transaction (group commit). */
#ifndef CDC_REGISTRY_H
#define CDC_REGISTRY_H

#include <event2/event.h>
#include <stddef.h>
#include <stdint.h>

#include "change.h"
#include "dim.h"
#include "disc_ctrl.h"
#include "fabric.h"
#include "histogram.h"
#include "store.h"

struct registry;

/* What the registry did, for the metrics: counters that only grow. */
#define REG_NSOURCES (REG_ADMIN + 1)
struct registry_stats {
	/* Requests committed, by enum reg_source: a DIM (register, update, deregister) that
	 * succeeded, an admin change that succeeded, a configuration (re)load applied. */
	uint64_t registrations[REG_NSOURCES];
	struct histogram dim_latency;	 /* a parsed DIM until its completion is handed back */
	struct histogram commit_latency; /* one store commit (the fsync) */
};

struct registry_limits {
	size_t max_per_entity;	  /* records (ports, referrals, host addresses) of one entity */
	size_t max_total;	  /* records of all entities */
	size_t max_implicit;	  /* hosts known only because they connected; 0: no limit */
	unsigned int host_expiry; /* seconds an implicit host is kept after it left; 0: ever */
	unsigned int zoning_lock; /* seconds a DDC's zone group lock lasts; 0: the default */
};

struct registry *registry_new(struct event_base *base, struct store *store, struct fabric *f,
			      struct disc_svc *svc, const struct registry_limits *lim);
void registry_free(struct registry *r);

/* Fill the fabric from the store at start (and, with etcd, start watching it). */
int registry_load(struct registry *r);

/* Registrations go to etcd and come from it (before registry_load()); the SQLite store
 * keeps the journal, zoning and counters. A batch then completes when etcd answered. */
struct etcd;
void registry_set_etcd(struct registry *r, struct etcd *etcd);
/* The listeners changed (a reload): with etcd, the other instances are told. */
void registry_listeners_changed(struct registry *r);

void registry_set_limits(struct registry *r, const struct registry_limits *lim);

/* Queues a change (change.h) for this loop turn's batch. The registry stages it, commits,
 * notifies and then calls its done callback, which frees it. */
void registry_submit(struct registry *r, struct change *c);
/* Runs the batch now instead of at the end of the loop turn. */
void registry_flush(struct registry *r);

/* The configuration changed (reg_config.c): its entries replace the configuration's share of
 * log 70h, in a batch of its own, before this returns. The file is its own store. */
void registry_config_changed(struct registry *r, const struct cdc_config *cfg);

/* What the administrator asks for through the control API (reg_admin.c). The admin may
 * change anything a DIM registered; what the configuration file defines is changed in the
 * file. */
enum admin_op {
	ADMIN_SUBSYS_ADD,
	ADMIN_SUBSYS_DEL,
	ADMIN_PORT_ADD,
	ADMIN_PORT_DEL,
	ADMIN_REFERRAL_ADD,
	ADMIN_REFERRAL_DEL,
	ADMIN_HOST_DEL, /* a host (implicit or registered) with its log 71h entries */
};

struct admin_req {
	enum admin_op op;
	char nqn[CDC_NQN_MAX + 1]; /* subsystem or host; for referrals the referred DC's NQN */
	struct cdc_port port;
};

/* Completes after the commit with 0, -EEXIST, -ENOENT, -EPERM (defined in the configuration
 * file), or the store's error. */
typedef void (*registry_admin_cb)(void *arg, int err);
int registry_admin(struct registry *r, const struct admin_req *a, registry_admin_cb cb, void *arg);

/* What the administrator asks of zoning (reg_zoning.c). Groups are named by {orig, group};
 * zones within a group by zone; aliases by alias. Members are added to or removed from a
 * zone (group and zone set) or an alias (alias set). */
enum zoning_op {
	ZONING_GROUP_CREATE,
	ZONING_GROUP_DEL,
	ZONING_ZONE_CREATE,
	ZONING_ZONE_DEL,
	ZONING_MEMBER_ADD,
	ZONING_MEMBER_DEL,
	ZONING_ALIAS_CREATE,
	ZONING_ALIAS_DEL,
	ZONING_ACTIVATE,
	ZONING_DEACTIVATE,
};

struct zoning_req {
	enum zoning_op op;
	char orig[CDC_NQN_MAX + 1];
	char group[ZONE_GROUP_NAME_MAX + 1];
	char zone[ZONE_NAME_MAX + 1];
	char alias[ZONE_ALIAS_NAME_MAX + 1];
	struct zone_member member;
};

/* Completes after the commit with 0, -EEXIST, -ENOENT, -EBUSY (deleting an active group),
 * -EINVAL, -ENOSPC (keys exhausted), or the store's error. Activating or deactivating a
 * group is one change: every host's view moves from the old zones to the new at once. */
typedef void (*registry_zoning_cb)(void *arg, int err);
int registry_zoning(struct registry *r, const struct zoning_req *z, registry_zoning_cb cb,
		    void *arg);

const struct registry_stats *registry_get_stats(const struct registry *r);

/* Called after every commit that may have changed log 70h or 71h (FABRIC_LOG* bits), once
 * the hosts were told: for what must follow the logs outside the discovery controllers (a
 * DDC that asked to be sent log 71h whenever it changes). One observer; NULL removes it. */
void registry_set_observer(struct registry *r, void (*fn)(void *arg, int logs), void *arg);

/* The change journal, for the control API. */
struct store *registry_store(struct registry *r);

/* The hooks the discovery controllers call (see struct disc_registry_ops). */
extern const struct disc_registry_ops registry_ctrl_ops;

#endif
