/* auth_ctrl.h - the controller's side of DH-HMAC-CHAP on one association (protocol.md 9):
 * Authentication Send and Receive payloads in, the next message out, and a verdict. The
 * discovery controller owns one while a host authenticates; no sockets, no timers. */
#ifndef CDC_AUTH_CTRL_H
#define CDC_AUTH_CTRL_H

#include <stddef.h>
#include <stdint.h>

#include "auth_keys.h"

struct auth_ctrl;

/* What the controller offers, strongest first (the first one the host also offers wins). */
struct auth_prefs {
	const uint8_t *hashes;
	size_t nhashes;
	const uint8_t *dhgroups;
	size_t ndhgroups;
};

enum auth_ctrl_result {
	AUTH_CTRL_PENDING, /* no transaction succeeded yet */
	AUTH_CTRL_SUCCESS, /* the host proved its key (and, if it asked, we proved ours) */
	AUTH_CTRL_FAILED,  /* over: close the connection after this command's completion */
};

/* A transaction for host (its keys are transformed now, with hostnqn and subnqn, the NQNs
 * of its Connect). NULL if out of memory or a key could not be transformed. */
struct auth_ctrl *auth_ctrl_new(const struct auth_host *host, const char *hostnqn,
				const char *subnqn, const struct auth_prefs *prefs);
/* Wipes every key, challenge and shared secret. */
void auth_ctrl_free(struct auth_ctrl *a);

/* An Authentication Send's message. A protocol error is not the command's: it is answered
 * by the next Authentication Receive with AUTH_Failure1. */
void auth_ctrl_send(struct auth_ctrl *a, const uint8_t *msg, size_t len);

/* An Authentication Receive: the message for the host in buf. Its length, or -ENOSPC if
 * size (the command's allocation length) cannot hold it. */
int auth_ctrl_receive(struct auth_ctrl *a, uint8_t *buf, size_t size);

enum auth_ctrl_result auth_ctrl_result(const struct auth_ctrl *a);

#endif
