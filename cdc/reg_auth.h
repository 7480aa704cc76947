/* reg_auth.h - the administrator's changes to a host's DH-HMAC-CHAP settings (control API)
 * as changes: stored in the batch's transaction with a journal line that never holds a
 * key, and put in force for new connections once committed. */
#ifndef CDC_REG_AUTH_H
#define CDC_REG_AUTH_H

#include <stdbool.h>

#include "auth_keys.h"
#include "registry.h"

enum host_auth_op {
	HOST_AUTH_SET,	   /* the key and ctrl key of h; require as below */
	HOST_AUTH_CLEAR,   /* forget the host's settings */
	HOST_AUTH_REQUIRE, /* change require only; the keys stay */
};

struct host_auth_req {
	enum host_auth_op op;
	struct auth_host h; /* h.nqn always; the keys for HOST_AUTH_SET */
	bool require_set;   /* SET: else require stays as stored (true for a new host) */
	bool require;
};

/* Completes after the commit with 0, -EPERM (the keys file has a section for the host: it
 * is changed there), -ENOENT (clear or require without stored settings), -ENOMEM (stored,
 * but in force only after a restart), or the store's error. svc holds the keys file's and the stored settings (svc->auth_db). The secrets of
 * q are copied, and wiped once done. */
int registry_host_auth(struct registry *r, struct disc_svc *svc, const struct host_auth_req *q,
		       registry_admin_cb cb, void *arg);

#endif
