/* change.h - a change to the fabric as a value: who asks (source, owner, the association it
 * came through), the operations, and how the asker hears the outcome. Each source of change
 * (DIM, connections, the control API, the configuration) builds these in its own file and
 * hands them to the registry, which stages, commits and completes them all the same way. */
#ifndef CDC_CHANGE_H
#define CDC_CHANGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>
#include <time.h>

#include "model.h"
#include "zoning.h"

struct disc_ctrl;
struct fabric;
struct fabric_cfg;
struct ratelimit;
struct ratelimit_peers;
struct registry;
struct registry_limits;

enum change_op_kind {
	CHG_ENTITY_PUT, /* first_seen kept, last_seen set by the registry */
	CHG_ENTITY_DEL, /* with its records and host records */
	CHG_HOST_PUT,
	CHG_HOST_DEL,
	CHG_REC_PUT,
	CHG_REC_DEL,
	CHG_SEEN,    /* a host entity was seen now: last_seen moves, at a coarse granularity */
	CHG_LIVE,    /* nqn has a live association through the change's assoc (or ctrl) */
	CHG_GONE,    /* every association through u.assoc ended */
	CHG_CONFIG,  /* the configuration's share of log 70h is replaced (owned by the op) */
	CHG_JOURNAL, /* a line of the change journal */
	CHG_PATH,    /* an address's records are withheld (down) or served (up); not stored */
	CHG_ZONING,  /* the zoning databases are replaced (owned by the op), see below */
};

struct change_path {
	struct cdc_port addr; /* trtype, adrfam, traddr, trsvcid */
	bool down;
};

/* A zoning change (reg_zoning.c): the databases as they are to be, built aside, and which
 * stored rows that touched (a group by {orig, name}, an alias; empty: none). Without
 * databases (z NULL) the rows named are only deleted from the store. */
struct change_zoning {
	struct zoning *z;
	char orig[CDC_NQN_MAX + 1];
	char group[ZONE_GROUP_NAME_MAX + 1];
	char alias[ZONE_ALIAS_NAME_MAX + 1];
};

struct change_journal {
	char who[CDC_NQN_MAX + 1];
	char peer[CDC_TRADDR_MAX + 1];
	char what[64];
	char detail[512];
};

struct change_op {
	enum change_op_kind kind;
	union {
		struct entity ent;
		struct host_rec host;
		struct log_rec rec;
		char nqn[CDC_NQN_MAX + 1];
		const void *assoc; /* a discovery controller, or a pull connection */
		struct fabric_cfg *cfg;
		struct change_journal journal;
		struct change_path path;
		struct change_zoning zoning;
	} u;
};

struct change;
struct stager;

/* Decides against the model as the batch has left it, and stages what it decides through
 * stager_apply(). Returns 0 (c->verdict may say it was refused) or a negative errno that
 * fails the whole batch (the store's, ENOMEM). */
typedef int (*change_plan_fn)(struct change *c, struct stager *s);
/* The outcome, once committed or failed: c->verdict if the change was refused, else 0 or
 * the store's error. Frees the change. */
typedef void (*change_done_fn)(struct change *c, int err);

struct change {
	TAILQ_ENTRY(change) link;
	enum reg_source source;
	char owner[CDC_NQN_MAX + 1];   /* who asks: an association's host NQN, "admin", "cdcd" */
	char peer[CDC_TRADDR_MAX + 1]; /* where from, for the journal and the log */
	struct disc_ctrl *ctrl;	       /* the association it came through; NULL: none, or gone */
	/* What CHG_LIVE ties its NQN to when that is not ctrl: a pull connection to a DDC
	 * (reg_pull.c). Only compared, never read. */
	const void *assoc;
	struct change_op *ops; /* known when submitted, staged in order */
	size_t nops, cap;
	change_plan_fn plan; /* NULL: the operations say it all; else staged before them */
	change_done_fn done;
	int verdict;		   /* 0, or why it was refused: -EPERM, -ENOENT, -EEXIST, -ENOSPC */
	struct timespec submitted; /* when the registry took it, for the metrics */
};

/* The registry's side of staging, for plans: the model to decide on, its limits, and the
 * rate limits of what a peer can cause. */
struct stager {
	struct registry *r;
	struct fabric *f; /* read it; change it only through stager_apply() */
	const struct registry_limits *lim;
	int64_t now;
	struct ratelimit *rl;
	struct ratelimit_peers *rl_peers;
};

/* Applies one operation to the model with its undo and writes it to the store's open
 * transaction; takes what the operation owns (CHG_CONFIG's configuration). Returns 0 or a
 * negative errno (the batch fails). */
int stager_apply(struct stager *s, struct change *c, struct change_op *op);
/* Whether entity nqn may register added more records (per entity and in total): 0 or
 * -ENOSPC. */
int stager_room(const struct stager *s, const char *nqn, size_t added);

void change_init(struct change *c, enum reg_source source, const char *owner, const char *peer,
		 change_plan_fn plan, change_done_fn done);
/* The same for a change that came through controller ctrl: its host NQN asks, from its
 * address (whose ADRFAM goes to *adrfam). */
void change_init_ctrl(struct change *c, enum reg_source source, struct disc_ctrl *ctrl,
		      uint8_t *adrfam, change_plan_fn plan, change_done_fn done);
/* Appends an operation to be staged in order; -ENOMEM. */
int change_add(struct change *c, const struct change_op *op);
/* Releases what the operations own (not c itself). */
void change_release(struct change *c);

/* A journal line as an operation. */
struct change_op change_journal_op(const char *who, const char *peer, const char *what,
				   const char *detail);

#endif
