/* auth_msg.c - encode and decode the in-band authentication messages (protocol.md 9.2-9.6).
 * Every length the peer states is checked against the bytes that arrived before anything
 * is read past the fixed header. */
#include "auth_msg.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "dhchap.h"

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static int bad(uint8_t *reason, uint8_t why)
{
	*reason = why;
	return -EBADMSG;
}

static int decode_negotiate(const uint8_t *buf, size_t len, struct auth_msg *m, uint8_t *reason)
{
	uint8_t napd = buf[7];

	if (len < 8 || napd == 0 || len < AUTH_NEGOTIATE_LEN(napd))
		return bad(reason, AUTH_FAIL_INCORRECT_PAYLOAD);
	m->negotiate.sc_c = buf[6];
	for (unsigned int i = 0; i < napd; i++) {
		const uint8_t *d = buf + 8 + 64 * i;
		if (d[0] != AUTH_DHCHAP_AUTHID)
			continue;
		if (d[2] == 0 || d[2] > AUTH_LIST_MAX || d[3] == 0 || d[3] > AUTH_LIST_MAX)
			return bad(reason, AUTH_FAIL_INCORRECT_PAYLOAD);
		m->negotiate.halen = d[2];
		m->negotiate.dhlen = d[3];
		memcpy(m->negotiate.hash_ids, d + 4, d[2]);
		memcpy(m->negotiate.dh_ids, d + 4 + AUTH_LIST_MAX, d[3]);
		return 0;
	}
	return bad(reason, AUTH_FAIL_PROTOCOL_UNUSABLE);
}

/* HL must be a digest length we know. */
static bool hl_ok(uint8_t hl)
{
	return hl == 32 || hl == 48 || hl == 64;
}

int auth_msg_decode(const uint8_t *buf, size_t len, struct auth_msg *m, uint8_t *reason)
{
	memset(m, 0, sizeof(*m));
	*reason = AUTH_FAIL_INCORRECT_PROTOCOL_MSG;
	if (len < 8)
		return bad(reason, AUTH_FAIL_INCORRECT_PAYLOAD);
	m->kind = (enum auth_msg_kind)(buf[0] << 8 | buf[1]);
	m->t_id = get16(buf + 4);
	switch (m->kind) {
	case AUTH_NEGOTIATE:
		return decode_negotiate(buf, len, m, reason);
	case AUTH_FAILURE1:
	case AUTH_FAILURE2:
		m->failure.rcode = buf[6];
		m->failure.rcodeex = buf[7];
		return 0;
	case AUTH_CHALLENGE:
	case AUTH_REPLY:
	case AUTH_SUCCESS1:
	case AUTH_SUCCESS2:
		break;
	default:
		return -EPROTO;
	}
	if (len < 16)
		return bad(reason, AUTH_FAIL_INCORRECT_PAYLOAD);
	uint8_t hl = buf[6];
	uint16_t dhvlen = get16(buf + 10);
	switch (m->kind) {
	case AUTH_CHALLENGE:
		if (!hl_ok(hl) || dhvlen % 4 || len < 16u + hl + dhvlen ||
		    dhchap_hash_len(buf[8]) != hl)
			return bad(reason, AUTH_FAIL_INCORRECT_PAYLOAD);
		m->challenge.hl = hl;
		m->challenge.hash_id = buf[8];
		m->challenge.dhgid = buf[9];
		m->challenge.dhvlen = dhvlen;
		m->challenge.seqnum = get32(buf + 12);
		m->challenge.c = buf + 16;
		m->challenge.dhv = dhvlen ? buf + 16 + hl : NULL;
		return 0;
	case AUTH_REPLY:
		if (!hl_ok(hl) || dhvlen % 4 || len < 16u + 2u * hl + dhvlen)
			return bad(reason, AUTH_FAIL_INCORRECT_PAYLOAD);
		m->reply.hl = hl;
		m->reply.cvalid = buf[8];
		m->reply.dhvlen = dhvlen;
		m->reply.seqnum = get32(buf + 12);
		m->reply.rval = buf + 16;
		m->reply.cval = buf + 16 + hl;
		m->reply.dhv = dhvlen ? buf + 16 + 2 * hl : NULL;
		return 0;
	case AUTH_SUCCESS1:
		if (!hl_ok(hl) || len < 16u + hl)
			return bad(reason, AUTH_FAIL_INCORRECT_PAYLOAD);
		m->success1.hl = hl;
		m->success1.rvalid = buf[8];
		m->success1.rval = buf + 16;
		return 0;
	default: /* AUTH_SUCCESS2: the header only */
		return 0;
	}
}

static void header(uint8_t *buf, enum auth_msg_kind kind, uint16_t t_id)
{
	buf[0] = (uint8_t)(kind >> 8);
	buf[1] = (uint8_t)kind;
	put16(buf + 4, t_id);
}

size_t auth_negotiate_encode(uint8_t *buf, size_t size, uint16_t t_id, uint8_t sc_c,
			     const uint8_t *hash_ids, size_t nhash, const uint8_t *dh_ids,
			     size_t ndh)
{
	size_t len = AUTH_NEGOTIATE_LEN(1);

	if (size < len || nhash > AUTH_LIST_MAX || ndh > AUTH_LIST_MAX)
		return len;
	memset(buf, 0, len);
	header(buf, AUTH_NEGOTIATE, t_id);
	buf[6] = sc_c;
	buf[7] = 1;
	buf[8] = AUTH_DHCHAP_AUTHID;
	buf[10] = (uint8_t)nhash;
	buf[11] = (uint8_t)ndh;
	memcpy(buf + 12, hash_ids, nhash);
	memcpy(buf + 12 + AUTH_LIST_MAX, dh_ids, ndh);
	return len;
}

size_t auth_challenge_encode(uint8_t *buf, size_t size, uint16_t t_id, uint8_t hash_id, size_t hl,
			     uint8_t dhgid, uint32_t seqnum, const uint8_t *c, const uint8_t *dhv,
			     size_t dhvlen)
{
	size_t len = 16 + hl + dhvlen;

	if (size < len)
		return len;
	memset(buf, 0, 16);
	header(buf, AUTH_CHALLENGE, t_id);
	buf[6] = (uint8_t)hl;
	buf[8] = hash_id;
	buf[9] = dhgid;
	put16(buf + 10, (uint16_t)dhvlen);
	put32(buf + 12, seqnum);
	memcpy(buf + 16, c, hl);
	if (dhvlen)
		memcpy(buf + 16 + hl, dhv, dhvlen);
	return len;
}

size_t auth_reply_encode(uint8_t *buf, size_t size, uint16_t t_id, size_t hl, const uint8_t *rval,
			 const uint8_t *cval, uint32_t seqnum, const uint8_t *dhv, size_t dhvlen)
{
	size_t len = 16 + 2 * hl + dhvlen;

	if (size < len)
		return len;
	memset(buf, 0, len);
	header(buf, AUTH_REPLY, t_id);
	buf[6] = (uint8_t)hl;
	buf[8] = cval != NULL;
	put16(buf + 10, (uint16_t)dhvlen);
	put32(buf + 12, seqnum);
	memcpy(buf + 16, rval, hl);
	if (cval)
		memcpy(buf + 16 + hl, cval, hl);
	if (dhvlen)
		memcpy(buf + 16 + 2 * hl, dhv, dhvlen);
	return len;
}

size_t auth_success1_encode(uint8_t *buf, size_t size, uint16_t t_id, size_t hl,
			    const uint8_t *rval)
{
	size_t len = 16 + hl;

	if (size < len)
		return len;
	memset(buf, 0, len);
	header(buf, AUTH_SUCCESS1, t_id);
	buf[6] = (uint8_t)hl;
	if (rval) {
		buf[8] = 1;
		memcpy(buf + 16, rval, hl);
	}
	return len;
}

size_t auth_success2_encode(uint8_t *buf, size_t size, uint16_t t_id)
{
	if (size < 16)
		return 16;
	memset(buf, 0, 16);
	header(buf, AUTH_SUCCESS2, t_id);
	return 16;
}

size_t auth_failure_encode(uint8_t *buf, size_t size, enum auth_msg_kind kind, uint16_t t_id,
			   uint8_t reason)
{
	if (size < AUTH_FAILURE_LEN)
		return AUTH_FAILURE_LEN;
	memset(buf, 0, AUTH_FAILURE_LEN);
	header(buf, kind, t_id);
	buf[6] = 0x01; /* RCODE: authentication failure */
	buf[7] = reason;
	return AUTH_FAILURE_LEN;
}
