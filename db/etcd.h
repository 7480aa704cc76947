/* etcd.h - the registrations (entities, log 71h hosts, log 70h records) kept in etcd, for
 * several cdcd sharing one fabric. A batch is one txn, acknowledged only once etcd answered;
 * a watch streams what the other instances committed. Runs on the libevent loop. */
#ifndef CDC_ETCD_H
#define CDC_ETCD_H

#include <event2/event.h>
#include <nvme/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "store.h"

struct etcd;

/* etcd refuses a txn of more operations than its --max-txn-ops (128 by default): a batch
 * stops taking changes once its rows reach ETCD_BATCH_ROWS, and the connections' keys fill
 * what is left. */
#define ETCD_TXN_OPS	128
#define ETCD_BATCH_ROWS 96
#define ETCD_MAX_SELF	8 /* self entries one instance announces */

struct etcd_opts {
	const char *endpoints;		 /* "http://127.0.0.1:2379,http://..." */
	const char *prefix;		 /* every key starts with it: "/nvme-cdc/" */
	const char *cacert, *cert, *key; /* TLS to etcd; NULL or "" for none */
	const char *id;			 /* this instance, unique among those sharing prefix */
};

enum etcd_kind { ETCD_ENTITY, ETCD_HOST, ETCD_REC, ETCD_CONN };

/* One key another instance changed, decoded: a put, or the delete of the record named. */
struct etcd_event {
	enum etcd_kind kind;
	bool del;
	union {
		struct entity ent;
		struct host_rec host;
		struct log_rec rec;
		struct {
			char nqn[CDC_NQN_MAX + 1];
			char by[CDC_NQN_MAX + 1]; /* the instance it is connected to */
		} conn;
	} u;
};

/* Another instance's txn at revision rev, n 0 for one that wrote no record (only moved
 * GENCTR); called only while no txn of ours is in flight. */
typedef void (*etcd_remote_fn)(void *arg, const struct etcd_event *ev, size_t n, uint64_t rev);
/* A txn's answer: 0 and its revision, or -EIO (etcd unreachable or refusing). */
typedef void (*etcd_done_fn)(void *arg, int err, uint64_t rev);

int etcd_new(struct event_base *base, const struct etcd_opts *o, struct etcd **out);
/* Frees; a txn in flight is dropped without its callback. NULL is a no-op. */
void etcd_free(struct etcd *e);

/* What the load finds: the records, and the NQNs connected to the other live instances. */
struct etcd_loader {
	struct store_loader rows;
	int (*conn)(void *arg, const char *nqn, const char *by);
};

/* Feeds every stored record to ld (entities first) and sets *rev to the revision read;
 * takes this instance's lease, which its keepalives renew. Blocks: called once at start,
 * before the loop runs, as the SQLite load is. */
int etcd_load(struct etcd *e, const struct etcd_loader *ld, uint64_t *rev);
/* Everything under the prefix at revision rev, read again because the watch could not resume
 * (etcd compacted the revisions it missed): what the model holds and etcd_has() denies is
 * gone. Called only while no txn of ours is in flight. */
typedef void (*etcd_snapshot_fn)(void *arg, const struct etcd_event *ev, size_t n, uint64_t rev);
/* Streams the other instances' changes after revision rev to fn, reconnecting as needed,
 * and reading everything again (snap) when the revisions missed are compacted. */
int etcd_watch(struct etcd *e, uint64_t rev, etcd_remote_fn fn, etcd_snapshot_fn snap, void *arg);
/* During an etcd_snapshot_fn: whether the snapshot holds ev's record (or connection). */
bool etcd_has(const struct etcd *e, const struct etcd_event *ev);

/* The rows of the next txn: the last write of a key wins (etcd refuses a key twice). */
int etcd_entity_put(void *e, const struct entity *ent);
int etcd_entity_del(void *e, const char *nqn);
int etcd_host_put(void *e, const struct host_rec *h);
int etcd_host_del(void *e, const struct host_rec *h);
int etcd_rec_put(void *e, const struct log_rec *r);
int etcd_rec_del(void *e, const struct log_rec *r);
/* nqn has an association with this instance (up) or no longer: a key bound to the lease,
 * so that it goes when the instance does. Written with the next txn, and again after a
 * failed one or a lost lease. */
int etcd_conn_set(struct etcd *e, const char *nqn, bool up);
/* This instance's self entries (SUBTYPE 3, its listeners with a concrete address), for the
 * other instances to serve too while its lease lives. Written with the next txn. */
int etcd_self_set(struct etcd *e, const struct nvmf_disc_log_entry *ent, size_t n);
/* The other live instances' self entries, at most max; and who to tell when they change
 * (not while a txn of ours is in flight: the registry defers it). */
size_t etcd_peer_entries(const struct etcd *e, struct nvmf_disc_log_entry *out, size_t max);
void etcd_set_peers_cb(struct etcd *e, void (*fn)(void *arg), void *arg);
/* Called when there is something to write outside a batch (a renewed lease's keys). */
void etcd_set_kick(struct etcd *e, void (*fn)(void *arg), void *arg);
size_t etcd_staged(const struct etcd *e);
/* Sends the staged rows, with the marker that makes it a revision, as one txn (with no rows
 * staged, the marker alone: a revision for the other instances' GENCTR); done is called later, on
 * the loop. -EBUSY while one is in flight; on any error the rows are dropped and done is not
 * called. */
int etcd_commit(struct etcd *e, etcd_done_fn done, void *arg);
/* Drops the txn in flight without its callback: whether etcd applied it is not known. */
void etcd_cancel(struct etcd *e);
/* Drops the staged rows. */
void etcd_rollback(struct etcd *e);
/* Whether the watch is streaming (for the status and the tests). */
bool etcd_watching(const struct etcd *e);

#endif
