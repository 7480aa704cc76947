/* reg_auth.c - the administrator's changes to hosts' DH-HMAC-CHAP settings as changes (see
 * reg_auth.h). The store row is written in the batch's transaction; the in-memory settings
 * (host_auth.c) change only once the commit succeeded, so a failed batch has nothing to
 * undo and a Connect never sees settings that were not durable. A transaction already under
 * way copied its keys when it began: it goes on with them, as after a keys file reload. */
#include "reg_auth.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host_auth.h"
#include "log.h"
#include "store.h"

struct auth_change {
	struct change c;
	struct host_auth_req q; /* holds secrets: wiped when done */
	struct disc_svc *svc;
	registry_admin_cb cb;
	void *arg;
};

static const char *op_name(enum host_auth_op op)
{
	return op == HOST_AUTH_SET     ? "host set-key"
	       : op == HOST_AUTH_CLEAR ? "host clear-key"
				       : "host require-auth";
}

/* The host's keys in DHHC-1 text, as the keys file would hold them; require as asked, or
 * as stored. */
static int store_keys(struct change *c, struct store *st, const struct host_auth_req *q)
{
	char key[DHCHAP_SECRET_TEXT], ctrl[DHCHAP_SECRET_TEXT];
	const struct auth_host *h = &q->h;
	struct store_host_auth row = {h->nqn, key, h->has_ctrl_key ? ctrl : NULL,
				      q->require_set ? q->require : -1};
	int err = 0;

	if (dhchap_secret_format(&h->key, key, sizeof(key)) < 0 ||
	    (h->has_ctrl_key && dhchap_secret_format(&h->ctrl_key, ctrl, sizeof(ctrl)) < 0))
		c->verdict = -EINVAL; /* a secret the parser would not have made */
	else
		err = store_host_auth_put(st, &row);
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(ctrl, sizeof(ctrl));
	return err;
}

/* Decided on the store, which holds what the changes before this one in the batch wrote:
 * each change touches only what it names (the keys, or require), so changes of one batch
 * end as they would one after the other. */
static int stage(struct change *c, struct store *st)
{
	struct auth_change *a = (struct auth_change *)c;
	struct host_auth_req *q = &a->q;
	int err;

	if (auth_keys_find(a->svc->auth_keys, q->h.nqn)) {
		c->verdict = -EPERM;
		return 0;
	}
	switch (q->op) {
	case HOST_AUTH_SET:
		return store_keys(c, st, q);
	case HOST_AUTH_REQUIRE:
		err = store_host_auth_require(st, q->h.nqn, q->require);
		break;
	case HOST_AUTH_CLEAR:
		err = store_host_auth_del(st, q->h.nqn);
		break;
	default:
		c->verdict = -EINVAL;
		return 0;
	}
	if (err == -ENOENT) {
		c->verdict = err;
		err = 0;
	}
	return err;
}

/* The journal says which host and what changed about it: never a key. */
static int plan_auth(struct change *c, struct stager *s)
{
	const struct host_auth_req *q = &((struct auth_change *)c)->q;
	char detail[CDC_NQN_MAX + 64];

	/* Not a model change: the row goes straight into the batch's open transaction. */
	int err = stage(c, registry_store(s->r));
	if (err || c->verdict)
		return err;
	if (q->op == HOST_AUTH_SET)
		snprintf(detail, sizeof(detail), "%s ctrl-key=%s%s", q->h.nqn,
			 q->h.has_ctrl_key ? "yes" : "no",
			 !q->require_set ? ""
			 : q->require	 ? " require=yes"
					 : " require=no");
	else if (q->op == HOST_AUTH_REQUIRE)
		snprintf(detail, sizeof(detail), "%s %s", q->h.nqn, q->require ? "yes" : "no");
	else
		snprintf(detail, sizeof(detail), "%s", q->h.nqn);
	struct change_op j = change_journal_op("admin", c->peer, op_name(q->op), detail);
	return stager_apply(s, c, &j);
}

/* Committed: the settings in memory follow, in the batch's order as the store did. */
static int apply(struct host_auth_db *db, struct host_auth_req *q)
{
	const struct auth_host *old = host_auth_db_find(db, q->h.nqn);

	switch (q->op) {
	case HOST_AUTH_SET:
		q->h.require = q->require_set ? q->require : old ? old->require : true;
		return host_auth_db_put(db, &q->h);
	case HOST_AUTH_REQUIRE:
		if (!old)
			return -ENOENT; /* the store had it: cannot happen */
		q->h = *old;
		q->h.require = q->require;
		return host_auth_db_put(db, &q->h);
	case HOST_AUTH_CLEAR:
		host_auth_db_del(db, q->h.nqn);
		return 0;
	}
	return -EINVAL;
}

static void done_auth(struct change *c, int err)
{
	struct auth_change *a = (struct auth_change *)c;

	if (!err)
		err = apply(a->svc->auth_db, &a->q);
	if (!err)
		log_info("%s %s", op_name(a->q.op), a->q.h.nqn);
	else if (err == -ENOMEM || (err == -ENOENT && !c->verdict))
		log_err("%s %s: stored, but not in force until a restart", op_name(a->q.op),
			a->q.h.nqn);
	if (a->cb)
		a->cb(a->arg, err);
	change_release(c);
	OPENSSL_cleanse(a, sizeof(*a));
	free(a);
}

int registry_host_auth(struct registry *r, struct disc_svc *svc, const struct host_auth_req *q,
		       registry_admin_cb cb, void *arg)
{
	struct auth_change *a = calloc(1, sizeof(*a));

	if (!a)
		return -ENOMEM;
	change_init(&a->c, REG_ADMIN, "admin", "control socket", plan_auth, done_auth);
	a->q = *q;
	a->svc = svc;
	a->cb = cb;
	a->arg = arg;
	registry_submit(r, &a->c);
	return 0;
}
