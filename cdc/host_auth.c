/* host_auth.c - the hosts' stored DH-HMAC-CHAP settings in a red-black tree by NQN (see
 * host_auth.h). Entries hold secrets: each is wiped before its memory is let go. */
#include "host_auth.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store.h"
#include "tree.h"

struct host_auth_node {
	RB_ENTRY(host_auth_node) link;
	struct auth_host h;
};

static int node_cmp(const struct host_auth_node *a, const struct host_auth_node *b)
{
	return strcmp(a->h.nqn, b->h.nqn);
}

RB_HEAD(host_auth_tree, host_auth_node);
RB_GENERATE_STATIC(host_auth_tree, host_auth_node, link, node_cmp)

struct host_auth_db {
	struct host_auth_tree tree;
	size_t n;
};

struct host_auth_db *host_auth_db_new(void)
{
	struct host_auth_db *db = calloc(1, sizeof(*db));

	if (db)
		RB_INIT(&db->tree);
	return db;
}

static void node_free(struct host_auth_node *n)
{
	OPENSSL_cleanse(n, sizeof(*n));
	free(n);
}

void host_auth_db_free(struct host_auth_db *db)
{
	struct host_auth_node *n;

	if (!db)
		return;
	while ((n = RB_MIN(host_auth_tree, &db->tree))) {
		RB_REMOVE(host_auth_tree, &db->tree, n);
		node_free(n);
	}
	free(db);
}

static struct host_auth_node *find(const struct host_auth_db *db, const char *nqn)
{
	struct host_auth_node key;

	if (!db || strlen(nqn) >= sizeof(key.h.nqn))
		return NULL;
	memcpy(key.h.nqn, nqn, strlen(nqn) + 1);
	return RB_FIND(host_auth_tree, (struct host_auth_tree *)&db->tree, &key);
}

int host_auth_db_put(struct host_auth_db *db, const struct auth_host *h)
{
	struct host_auth_node *n = find(db, h->nqn);

	if (n) {
		n->h = *h;
		return 0;
	}
	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->h = *h;
	RB_INSERT(host_auth_tree, &db->tree, n);
	db->n++;
	return 0;
}

int host_auth_db_del(struct host_auth_db *db, const char *nqn)
{
	struct host_auth_node *n = find(db, nqn);

	if (!n)
		return -ENOENT;
	RB_REMOVE(host_auth_tree, &db->tree, n);
	node_free(n);
	db->n--;
	return 0;
}

const struct auth_host *host_auth_db_find(const struct host_auth_db *db, const char *nqn)
{
	struct host_auth_node *n = find(db, nqn);

	return n ? &n->h : NULL;
}

size_t host_auth_db_count(const struct host_auth_db *db)
{
	return db ? db->n : 0;
}

int host_auth_parse(struct auth_host *out, const char *nqn, const char *key, const char *ctrl_key,
		    bool require, const char **which)
{
	int err;

	memset(out, 0, sizeof(*out));
	if (!nqn_is_valid(nqn)) {
		*which = "hostnqn";
		return -EINVAL;
	}
	snprintf(out->nqn, sizeof(out->nqn), "%s", nqn);
	*which = "key";
	err = dhchap_secret_parse(key, &out->key);
	if (!err && ctrl_key) {
		*which = "ctrl_key";
		err = dhchap_secret_parse(ctrl_key, &out->ctrl_key);
		out->has_ctrl_key = true;
	}
	if (err) {
		OPENSSL_cleanse(out, sizeof(*out));
		return err;
	}
	out->require = require;
	return 0;
}

static int load_one(void *arg, const struct store_host_auth *a)
{
	struct auth_host h;
	const char *which;
	int err = host_auth_parse(&h, a->hostnqn, a->key, a->ctrl_key, a->require, &which);

	if (err) {
		/* Which row and which column, never the value. */
		if (!strcmp(which, "hostnqn"))
			log_err("store: host_auth has a row whose host NQN is not valid");
		else
			log_err("store: the %s of host %.223s is not a DHHC-1 secret", which,
				a->hostnqn);
		return -EIO;
	}
	err = host_auth_db_put(arg, &h);
	OPENSSL_cleanse(&h, sizeof(h));
	return err;
}

int host_auth_db_load(struct host_auth_db *db, struct store *st)
{
	return store_host_auth_load(st, load_one, db);
}

const struct auth_host *host_auth_lookup(const struct auth_keys *file,
					 const struct host_auth_db *db, const char *nqn,
					 bool *from_file)
{
	const struct auth_host *h = auth_keys_find(file, nqn);

	if (from_file)
		*from_file = h != NULL;
	return h ? h : host_auth_db_find(db, nqn);
}
