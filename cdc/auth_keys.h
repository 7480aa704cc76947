/* auth_keys.h - the DH-HMAC-CHAP secrets and policy of each host, read from the keys file
 * (dhchap-keys in cdcd.conf; mode 0600, INI with one [host NQN] section per host). The file
 * holds secrets: nothing here writes a key's value to a log or an error message. */
#ifndef CDC_AUTH_KEYS_H
#define CDC_AUTH_KEYS_H

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"
#include "dhchap.h"

struct auth_host {
	char nqn[CDC_NQN_MAX + 1];
	struct dhchap_secret key;      /* the host's secret: verifies its response */
	struct dhchap_secret ctrl_key; /* ours for this host: answers its challenge */
	bool has_ctrl_key;
	bool require; /* require-auth: the host must authenticate (default when it has a key) */
};

struct auth_keys {
	struct auth_host *hosts; /* sorted by NQN */
	size_t nhosts;
};

/* Parses a keys file already in memory; name stands for the file in messages. 0, or
 * -EINVAL with err saying "NAME:LINE: what is wrong" (never the value of a key). */
int auth_keys_parse(struct auth_keys *out, const char *name, const char *buf, size_t len, char *err,
		    size_t errlen);

/* Reads and parses the file at path. It must be a regular file that neither group nor
 * others may read or write (-EPERM otherwise): it holds every host's secret. */
int auth_keys_load(struct auth_keys *out, const char *path, char *err, size_t errlen);

/* The entry of hostnqn, or NULL. */
const struct auth_host *auth_keys_find(const struct auth_keys *keys, const char *hostnqn);

/* Wipes and frees the secrets; keys is left empty. */
void auth_keys_free(struct auth_keys *keys);

#endif
