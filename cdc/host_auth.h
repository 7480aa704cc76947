/* host_auth.h - the DH-HMAC-CHAP settings of hosts set through the control API, in memory:
 * indexed by host NQN, loaded from the store at start and changed once a change to them is
 * committed (reg_auth.c). Which settings apply to a host: the keys file's, else these. */
#ifndef CDC_HOST_AUTH_H
#define CDC_HOST_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "auth_keys.h"

struct host_auth_db;
struct store;

struct host_auth_db *host_auth_db_new(void);
/* Wipes every secret. NULL is a no-op. */
void host_auth_db_free(struct host_auth_db *db);

/* Sets (copies) or replaces h's entry; -ENOMEM. */
int host_auth_db_put(struct host_auth_db *db, const struct auth_host *h);
/* Forgets nqn's entry, wiping it; -ENOENT if none. */
int host_auth_db_del(struct host_auth_db *db, const char *nqn);
const struct auth_host *host_auth_db_find(const struct host_auth_db *db, const char *nqn);
size_t host_auth_db_count(const struct host_auth_db *db);

/* Fills db from the store. A stored key that does not parse (the file was edited by hand)
 * fails the load with -EIO: a host that must authenticate would otherwise be let in. */
int host_auth_db_load(struct host_auth_db *db, struct store *st);

/* An entry from the DHHC-1 texts (ctrl_key NULL: none). -EINVAL, or -EBADMSG for a CRC
 * mismatch, with *which "key" or "ctrl_key"; out is wiped on failure. */
int host_auth_parse(struct auth_host *out, const char *nqn, const char *key, const char *ctrl_key,
		    bool require, const char **which);

/* The settings a host authenticates with: the keys file's section if it has one (*from_file
 * set), else the stored ones, else NULL. Either source may be NULL. */
const struct auth_host *host_auth_lookup(const struct auth_keys *file,
					 const struct host_auth_db *db, const char *nqn,
					 bool *from_file);

#endif
