/* store.h - the SQLite store of the CDC's registrations: the source of truth the fabric is
 * rebuilt from at start. Schema and migrations, prepared statements, and the one transaction
 * per loop turn into which the registry groups its writes (group commit). No business rules. */
#ifndef CDC_STORE_H
#define CDC_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "model.h"

/* The schema version this code writes (PRAGMA user_version). */
#define STORE_SCHEMA_VERSION 4

struct store;

/* Called per record by store_load(); a return < 0 stops the load and is returned. A NULL
 * callback skips that kind of record. Entities come before the hosts and records they own. */
struct store_loader {
	int (*entity)(void *arg, const struct entity *e);
	int (*host)(void *arg, const struct host_rec *h);
	int (*rec)(void *arg, const struct log_rec *r);
	void *arg;
};

/* One line of the change journal: who changed what, when, from which address. */
struct journal_entry {
	int64_t id, when;
	char actor[CDC_NQN_MAX + 1];
	char peer[64];
	char action[32];
	char detail[512];
};

/* Open (create, migrate) the database at path. -EPROTO for a newer schema, -EIO for a file
 * that is not a database or is corrupt. A read-only file opens and its writes fail -EROFS;
 * in a read-only directory (no room for the -wal and -shm files) the open fails -EROFS. */
int store_open(const char *path, struct store **out);
/* Close; a transaction still open is rolled back (it was never acknowledged). NULL is a no-op. */
void store_close(struct store *st);

/* Feed every stored record to ld, then set *genctr to the persisted GENCTR. */
int store_load(struct store *st, const struct store_loader *ld, uint64_t *genctr);

/* Open the write transaction of a loop turn; -EBUSY if one is already open. */
int store_begin(struct store *st);
/* Commit; durable when it returns 0. On error the transaction is rolled back and over. */
int store_commit(struct store *st);
/* Discard the open transaction, if any. */
void store_rollback(struct store *st);

/* The writes below fail -EINVAL outside store_begin()/store_commit(). Once one of them failed
 * in a way that made SQLite abandon the transaction, the others and store_commit() return
 * that error until store_rollback(). */

/* Insert or replace the entity with this nqn; its hosts and records stay. */
int store_entity_put(struct store *st, const struct entity *e);
/* Delete an entity with its host_recs and log_recs; -ENOENT if there is none. */
int store_entity_del(struct store *st, const char *nqn);
/* Insert or replace by (hostnqn, trtype, adrfam, traddr, trsvcid); -EINVAL without its entity. */
int store_host_put(struct store *st, const struct host_rec *h);
/* Delete the host_rec with the key of h; -ENOENT if there is none. */
int store_host_del(struct store *st, const struct host_rec *h);
/* Insert or replace by (owner, subnqn, trtype, adrfam, traddr, trsvcid); -EINVAL if the owner
 * is not "" and has no entity. */
int store_rec_put(struct store *st, const struct log_rec *r);
/* Delete the log_rec with the key of r; -ENOENT if there is none. */
int store_rec_del(struct store *st, const struct log_rec *r);
/* Persist GENCTR; -ERANGE if it is lower than the stored one (an equal one is accepted). */
int store_genctr_set(struct store *st, uint64_t genctr);
/* Other persisted counters ("hgenctr"): set refuses to go backwards (-ERANGE), like GENCTR. */
int store_counter_set(struct store *st, const char *name, uint64_t value);
int store_counter_get(struct store *st, const char *name, uint64_t *value);

/* Zoning (schema 3): a zone group by {orig, name}, with its configured zones and its active
 * copy as the zoning code serialized them (active NULL: not active); aliases likewise. The
 * next zone group key is the counter "zone_next_key". */
struct store_zone_group {
	const char *orig, *name;
	uint32_t key, gen;
	const char *zones;
	const char *active;
};
int store_zone_group_put(struct store *st, const struct store_zone_group *g);
int store_zone_group_del(struct store *st, const char *orig, const char *name);
int store_zone_alias_put(struct store *st, const char *name, const char *members);
int store_zone_alias_del(struct store *st, const char *name);
/* Feeds every alias, then every group, to ld (a return < 0 stops and is returned), then
 * sets *next_key. The strings are valid during the call only. */
struct store_zone_loader {
	int (*alias)(void *arg, const char *name, const char *members);
	int (*group)(void *arg, const struct store_zone_group *g);
	void *arg;
};
int store_zone_load(struct store *st, const struct store_zone_loader *ld, uint64_t *next_key);

/* A host's DH-HMAC-CHAP settings set through the control API (schema 4): its secret and
 * the controller's in DHHC-1 text (ctrl_key NULL: none), and whether it must authenticate.
 * The database file is kept 0600 because of these; nothing here logs a key. */
struct store_host_auth {
	const char *hostnqn;
	const char *key;
	const char *ctrl_key;
	int require; /* 0 or 1; put: -1 keeps it as stored (1 for a new host) */
};
/* Sets the host's keys (replacing both). */
int store_host_auth_put(struct store *st, const struct store_host_auth *a);
/* These two: -ENOENT if the host has no row; the transaction goes on. */
int store_host_auth_require(struct store *st, const char *hostnqn, bool require);
int store_host_auth_del(struct store *st, const char *hostnqn);
/* Feeds every row to cb (a return < 0 stops and is returned); the strings are valid during
 * the call only. */
int store_host_auth_load(struct store *st, int (*cb)(void *arg, const struct store_host_auth *a),
			 void *arg);

/* Append to the change journal; strings longer than struct journal_entry's fields are cut. */
int store_journal_add(struct store *st, int64_t when, const char *actor_nqn, const char *peer,
		      const char *action, const char *detail);
/* Entries with id > since, oldest first, at most limit; returns how many cb was given. */
/* Keep only the newest keep entries (ids are never handed out again, so paging by since
 * stays correct). */
int store_journal_trim(struct store *st, int64_t keep);
int store_journal_read(struct store *st, int64_t since, int limit,
		       int (*cb)(void *arg, const struct journal_entry *j), void *arg);
/* The id of the newest entry, 0 when there is none: where to start for the last few. */
int store_journal_last(struct store *st, int64_t *id);

/* The last error in words (SQLite's message or the store's own), for log lines. */
const char *store_errmsg(const struct store *st);

#endif
