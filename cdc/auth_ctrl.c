/* auth_ctrl.c - one DH-HMAC-CHAP transaction, controller side (protocol.md 9.1-9.7, whose
 * order and failure rules follow the Linux target and SPDK):
 *   Send(Negotiate) -> Receive(Challenge) -> Send(Reply) -> Receive(Success1)
 *   [-> Send(Success2) when the host asked to authenticate us]
 * A protocol error turns the next Receive into AUTH_Failure1, after which the association
 * ends. Failures are logged here, once, with the host's NQN and never a key. */
#include "auth_ctrl.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth_msg.h"
#include "log.h"

enum step {
	STEP_NEGOTIATE, /* waiting for AUTH_Negotiate */
	STEP_CHALLENGE, /* the next Receive gets the Challenge */
	STEP_REPLY,	/* waiting for the Reply */
	STEP_SUCCESS1,	/* the next Receive gets Success1 */
	STEP_SUCCESS2,	/* waiting for Success2 (bidirectional) */
	STEP_FAILURE1,	/* the next Receive gets AUTH_Failure1 */
	STEP_DONE,	/* authenticated; a new Negotiate starts over */
	STEP_FAILED,
};

struct auth_ctrl {
	enum step step;
	bool authenticated;
	char hostnqn[CDC_NQN_MAX + 1], subnqn[CDC_NQN_MAX + 1];
	uint8_t kh[DHCHAP_MAX_SECRET], kc[DHCHAP_MAX_SECRET];
	size_t khlen, kclen;
	struct auth_prefs prefs;
	uint32_t seqnum; /* S1 of the next challenge */

	/* the transaction */
	uint16_t t_id;
	uint8_t sc_c, hash_id, dhgid, reason;
	size_t hl;
	uint8_t c1[DHCHAP_MAX_HL];
	uint8_t r2[DHCHAP_MAX_HL];
	bool bidirectional;
	struct dhchap_dh *dh;
};

static void transaction_clear(struct auth_ctrl *a)
{
	dhchap_dh_free(a->dh);
	a->dh = NULL;
	OPENSSL_cleanse(a->c1, sizeof(a->c1));
	OPENSSL_cleanse(a->r2, sizeof(a->r2));
	a->bidirectional = false;
}

struct auth_ctrl *auth_ctrl_new(const struct auth_host *host, const char *hostnqn,
				const char *subnqn, const struct auth_prefs *prefs)
{
	struct auth_ctrl *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	snprintf(a->hostnqn, sizeof(a->hostnqn), "%s", hostnqn);
	snprintf(a->subnqn, sizeof(a->subnqn), "%s", subnqn);
	a->prefs = *prefs;
	a->seqnum = dhchap_random_seqnum();
	/* The host's key is transformed with its NQN, ours with the NQN it connected to. */
	if (dhchap_transform_key(&host->key, hostnqn, a->kh, &a->khlen) ||
	    (host->has_ctrl_key &&
	     dhchap_transform_key(&host->ctrl_key, subnqn, a->kc, &a->kclen))) {
		log_err("authentication of %s: cannot transform its keys", hostnqn);
		auth_ctrl_free(a);
		return NULL;
	}
	return a;
}

void auth_ctrl_free(struct auth_ctrl *a)
{
	if (!a)
		return;
	transaction_clear(a);
	OPENSSL_cleanse(a, sizeof(*a));
	free(a);
}

enum auth_ctrl_result auth_ctrl_result(const struct auth_ctrl *a)
{
	if (a->step == STEP_FAILED)
		return AUTH_CTRL_FAILED;
	return a->authenticated && a->step == STEP_DONE ? AUTH_CTRL_SUCCESS : AUTH_CTRL_PENDING;
}

static const char *reason_text(uint8_t reason)
{
	switch (reason) {
	case AUTH_FAIL_FAILED:
		return "authentication failed";
	case AUTH_FAIL_PROTOCOL_UNUSABLE:
		return "no DH-HMAC-CHAP protocol offered";
	case AUTH_FAIL_SCC_MISMATCH:
		return "secure channel concatenation not supported";
	case AUTH_FAIL_HASH_UNUSABLE:
		return "no acceptable hash offered";
	case AUTH_FAIL_DHGROUP_UNUSABLE:
		return "no acceptable DH group offered";
	case AUTH_FAIL_INCORRECT_PAYLOAD:
		return "incorrect payload";
	}
	return "unexpected message";
}

static void fail(struct auth_ctrl *a, uint8_t reason)
{
	log_warn("authentication of %s to %s refused: %s", a->hostnqn, a->subnqn,
		 reason_text(reason));
	transaction_clear(a);
	a->reason = reason;
	a->step = STEP_FAILURE1;
}

/* The first of ours the host offers, or -1. */
static int choose(const uint8_t *ours, size_t nours, const uint8_t *theirs, size_t ntheirs)
{
	for (size_t i = 0; i < nours; i++)
		if (memchr(theirs, ours[i], ntheirs))
			return ours[i];
	return -1;
}

static void negotiate(struct auth_ctrl *a, const struct auth_msg *m)
{
	transaction_clear(a);
	a->t_id = m->t_id;
	a->sc_c = m->negotiate.sc_c;
	if (a->sc_c != 0) /* no TLS PSK generation (secure channel concatenation) */
	{
		fail(a, AUTH_FAIL_SCC_MISMATCH);
		return;
	}
	int h = choose(a->prefs.hashes, a->prefs.nhashes, m->negotiate.hash_ids,
		       m->negotiate.halen);
	if (h < 0) {
		fail(a, AUTH_FAIL_HASH_UNUSABLE);
		return;
	}
	int g = choose(a->prefs.dhgroups, a->prefs.ndhgroups, m->negotiate.dh_ids,
		       m->negotiate.dhlen);
	if (g < 0) {
		fail(a, AUTH_FAIL_DHGROUP_UNUSABLE);
		return;
	}
	a->hash_id = (uint8_t)h;
	a->dhgid = (uint8_t)g;
	a->hl = dhchap_hash_len(a->hash_id);
	if (dhchap_random(a->c1, a->hl) ||
	    (a->dhgid != DHCHAP_DH_NULL && dhchap_dh_generate(a->dhgid, &a->dh))) {
		log_err("authentication of %s: no random challenge or DH key", a->hostnqn);
		{
			fail(a, AUTH_FAIL_FAILED);
			return;
		}
	}
	a->step = STEP_CHALLENGE;
}

static void reply(struct auth_ctrl *a, const struct auth_msg *m)
{
	uint8_t z[DHCHAP_MAX_DHVLEN], ca[DHCHAP_MAX_HL], r1[DHCHAP_MAX_HL];
	size_t zlen = a->dh ? dhchap_dh_len(a->dhgid) : 0;
	uint8_t reason = AUTH_FAIL_INCORRECT_PAYLOAD;

	if (m->t_id != a->t_id || m->reply.hl != a->hl || m->reply.dhvlen != zlen)
		goto fail;
	if (zlen && dhchap_dh_shared(a->dh, m->reply.dhv, zlen, z))
		goto fail;
	reason = AUTH_FAIL_FAILED;
	if (dhchap_augment(a->hash_id, z, zlen, a->c1, ca) ||
	    dhchap_host_response(a->hash_id, a->kh, a->khlen, ca, a->seqnum, a->t_id, a->sc_c,
				 a->hostnqn, a->subnqn, r1))
		goto fail;
	if (!dhchap_equal(r1, m->reply.rval, a->hl))
		goto fail;
	if (m->reply.cvalid) {
		/* The host wants us to prove our key: with a fresh challenge of its own. */
		if (!a->kclen || !m->reply.seqnum || dhchap_equal(m->reply.cval, a->c1, a->hl))
			goto fail;
		if (dhchap_augment(a->hash_id, z, zlen, m->reply.cval, ca) ||
		    dhchap_ctrl_response(a->hash_id, a->kc, a->kclen, ca, m->reply.seqnum, a->t_id,
					 a->sc_c, a->subnqn, a->hostnqn, a->r2))
			goto fail;
		a->bidirectional = true;
	}
	a->step = STEP_SUCCESS1;
	goto out;
fail:
	if (reason == AUTH_FAIL_FAILED && m->reply.cvalid && !a->kclen)
		log_warn("authentication of %s: it asks to authenticate the controller, which "
			 "has no dhchap-ctrl-key for it",
			 a->hostnqn);
	fail(a, reason);
out:
	OPENSSL_cleanse(z, sizeof(z));
	OPENSSL_cleanse(ca, sizeof(ca));
	OPENSSL_cleanse(r1, sizeof(r1));
}

void auth_ctrl_send(struct auth_ctrl *a, const uint8_t *msg, size_t len)
{
	struct auth_msg m;
	uint8_t reason;
	int r = auth_msg_decode(msg, len, &m, &reason);

	if (r == 0 && m.kind == AUTH_FAILURE2) {
		log_warn("authentication of %s to %s: the host gave up (reason %u)", a->hostnqn,
			 a->subnqn, m.failure.rcodeex);
		transaction_clear(a);
		a->step = STEP_FAILED;
		return;
	}
	if (a->step == STEP_FAILED)
		return;
	if (r == -EBADMSG) {
		fail(a, reason);
		return;
	}
	if (r) {
		fail(a, AUTH_FAIL_INCORRECT_PROTOCOL_MSG);
		return;
	}
	switch (a->step) {
	case STEP_NEGOTIATE:
	case STEP_DONE: /* a host may authenticate again on the same queue */
		if (m.kind != AUTH_NEGOTIATE) {
			fail(a, AUTH_FAIL_INCORRECT_PROTOCOL_MSG);
			return;
		}
		{
			negotiate(a, &m);
			return;
		}
	case STEP_REPLY:
		if (m.kind != AUTH_REPLY) {
			fail(a, AUTH_FAIL_INCORRECT_PROTOCOL_MSG);
			return;
		}
		{
			reply(a, &m);
			return;
		}
	case STEP_SUCCESS2:
		if (m.kind != AUTH_SUCCESS2 || m.t_id != a->t_id) {
			fail(a, AUTH_FAIL_INCORRECT_PROTOCOL_MSG);
			return;
		}
		transaction_clear(a);
		a->authenticated = true;
		a->step = STEP_DONE;
		log_info("host %s authenticated to %s (bidirectional)", a->hostnqn, a->subnqn);
		return;
	default: {
		fail(a, AUTH_FAIL_INCORRECT_PROTOCOL_MSG);
		return;
	}
	}
}

int auth_ctrl_receive(struct auth_ctrl *a, uint8_t *buf, size_t size)
{
	uint8_t dhv[DHCHAP_MAX_DHVLEN];
	size_t n;

	switch (a->step) {
	case STEP_CHALLENGE: {
		size_t dhvlen = a->dh ? dhchap_dh_len(a->dhgid) : 0;
		if (dhvlen && dhchap_dh_public(a->dh, dhv, dhvlen)) {
			fail(a, AUTH_FAIL_FAILED);
			return auth_ctrl_receive(a, buf, size);
		}
		/* S1: a new value for every challenge, never 0 */
		if (++a->seqnum == 0)
			a->seqnum = 1;
		n = auth_challenge_encode(buf, size, a->t_id, a->hash_id, a->hl, a->dhgid,
					  a->seqnum, a->c1, dhv, dhvlen);
		if (n > size)
			return -ENOSPC;
		a->step = STEP_REPLY;
		return (int)n;
	}
	case STEP_SUCCESS1:
		n = auth_success1_encode(buf, size, a->t_id, a->hl,
					 a->bidirectional ? a->r2 : NULL);
		if (n > size)
			return -ENOSPC;
		if (a->bidirectional) {
			a->step = STEP_SUCCESS2;
		} else {
			transaction_clear(a);
			a->authenticated = true;
			a->step = STEP_DONE;
			log_info("host %s authenticated to %s", a->hostnqn, a->subnqn);
		}
		return (int)n;
	case STEP_FAILURE1:
	case STEP_FAILED: /* over: the same answer again, the connection is closing */
		n = auth_failure_encode(buf, size, AUTH_FAILURE1, a->t_id,
					a->reason ? a->reason : AUTH_FAIL_FAILED);
		if (n > size)
			return -ENOSPC;
		a->step = STEP_FAILED;
		return (int)n;
	default:
		/* A Receive where no message is due ends the transaction as any other error. */
		fail(a, AUTH_FAIL_INCORRECT_PROTOCOL_MSG);
		return auth_ctrl_receive(a, buf, size);
	}
}
