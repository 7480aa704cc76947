/* dhchap_host.c - the host's side of a DH-HMAC-CHAP transaction (see dhchap_host.h). */
#include "dhchap_host.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth_msg.h"

struct dhchap_host {
	char hostnqn[256], subnqn[256];
	uint8_t kh[DHCHAP_MAX_SECRET], kc[DHCHAP_MAX_SECRET];
	size_t khlen, kclen;
	uint16_t t_id;
	uint8_t hash_id;
	size_t hl;
	uint8_t z[DHCHAP_MAX_DHVLEN];
	size_t zlen;
	uint8_t c2[DHCHAP_MAX_HL];
	uint32_t s2;
	bool refused;
};

struct dhchap_host *dhchap_host_new(const struct dhchap_secret *key,
				    const struct dhchap_secret *ctrl_key, const char *hostnqn,
				    const char *subnqn)
{
	struct dhchap_host *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	snprintf(h->hostnqn, sizeof(h->hostnqn), "%s", hostnqn);
	snprintf(h->subnqn, sizeof(h->subnqn), "%s", subnqn);
	if (dhchap_transform_key(key, hostnqn, h->kh, &h->khlen) ||
	    (ctrl_key && dhchap_transform_key(ctrl_key, subnqn, h->kc, &h->kclen))) {
		dhchap_host_free(h);
		return NULL;
	}
	return h;
}

void dhchap_host_free(struct dhchap_host *h)
{
	if (!h)
		return;
	OPENSSL_cleanse(h, sizeof(*h));
	free(h);
}

size_t dhchap_host_negotiate(struct dhchap_host *h, uint16_t t_id, uint8_t *buf, size_t size)
{
	static const uint8_t hashes[] = {DHCHAP_SHA256, DHCHAP_SHA384, DHCHAP_SHA512};
	static const uint8_t groups[] = {DHCHAP_DH_NULL,   DHCHAP_FFDHE2048, DHCHAP_FFDHE3072,
					 DHCHAP_FFDHE4096, DHCHAP_FFDHE6144, DHCHAP_FFDHE8192};

	h->t_id = t_id;
	return auth_negotiate_encode(buf, size, t_id, 0, hashes, sizeof(hashes), groups,
				     sizeof(groups));
}

/* Decodes msg, which must be of kind want (or an AUTH_Failure1) in this transaction. */
static int expect(const struct dhchap_host *h, const uint8_t *msg, size_t len,
		  enum auth_msg_kind want, struct auth_msg *m, uint8_t *reason)
{
	int r = auth_msg_decode(msg, len, m, reason);

	if (r)
		return r;
	if (m->kind == AUTH_FAILURE1) {
		*reason = m->failure.rcodeex;
		return -EACCES;
	}
	return m->kind == want && m->t_id == h->t_id ? 0 : -EPROTO;
}

int dhchap_host_reply(struct dhchap_host *h, const uint8_t *msg, size_t len, uint8_t *buf,
		      size_t size, uint8_t *reason)
{
	uint8_t pub[DHCHAP_MAX_DHVLEN], ca[DHCHAP_MAX_HL], r1[DHCHAP_MAX_HL];
	struct dhchap_dh *dh = NULL;
	struct auth_msg m;
	int r = expect(h, msg, len, AUTH_CHALLENGE, &m, reason);

	if (r)
		return r;
	h->hash_id = m.challenge.hash_id;
	h->hl = m.challenge.hl;
	h->zlen = m.challenge.dhgid ? dhchap_dh_len(m.challenge.dhgid) : 0;
	if (h->zlen == (size_t)-1 || m.challenge.dhvlen != h->zlen || !m.challenge.seqnum)
		return -EBADMSG;
	if (h->zlen &&
	    (dhchap_dh_generate(m.challenge.dhgid, &dh) || dhchap_dh_public(dh, pub, h->zlen) ||
	     dhchap_dh_shared(dh, m.challenge.dhv, h->zlen, h->z))) {
		r = -EBADMSG;
		goto out;
	}
	if (dhchap_augment(h->hash_id, h->z, h->zlen, m.challenge.c, ca) ||
	    dhchap_host_response(h->hash_id, h->kh, h->khlen, ca, m.challenge.seqnum, h->t_id, 0,
				 h->hostnqn, h->subnqn, r1)) {
		r = -EIO;
		goto out;
	}
	if (h->kclen) {
		h->s2 = dhchap_random_seqnum();
		if (dhchap_random(h->c2, h->hl)) {
			r = -EIO;
			goto out;
		}
	}
	size_t n = auth_reply_encode(buf, size, h->t_id, h->hl, r1, h->kclen ? h->c2 : NULL,
				     h->kclen ? h->s2 : 0, pub, h->zlen);
	r = n > size ? -ENOSPC : (int)n;
out:
	dhchap_dh_free(dh);
	OPENSSL_cleanse(ca, sizeof(ca));
	OPENSSL_cleanse(r1, sizeof(r1));
	return r;
}

int dhchap_host_success(struct dhchap_host *h, const uint8_t *msg, size_t len, uint8_t *buf,
			size_t size, uint8_t *reason)
{
	uint8_t ca[DHCHAP_MAX_HL], r2[DHCHAP_MAX_HL];
	struct auth_msg m;
	int r = expect(h, msg, len, AUTH_SUCCESS1, &m, reason);
	size_t n;

	if (r)
		return r;
	if (m.success1.hl != h->hl)
		return -EBADMSG;
	if (!h->kclen)
		return 0;
	if (!m.success1.rvalid || dhchap_augment(h->hash_id, h->z, h->zlen, h->c2, ca) ||
	    dhchap_ctrl_response(h->hash_id, h->kc, h->kclen, ca, h->s2, h->t_id, 0, h->subnqn,
				 h->hostnqn, r2) ||
	    !dhchap_equal(r2, m.success1.rval, h->hl)) {
		h->refused = true;
		n = auth_failure_encode(buf, size, AUTH_FAILURE2, h->t_id, AUTH_FAIL_FAILED);
	} else {
		n = auth_success2_encode(buf, size, h->t_id);
	}
	OPENSSL_cleanse(ca, sizeof(ca));
	OPENSSL_cleanse(r2, sizeof(r2));
	return n > size ? -ENOSPC : (int)n;
}

int dhchap_host_failed(const struct dhchap_host *h)
{
	return h->refused ? -EKEYREJECTED : 0;
}
