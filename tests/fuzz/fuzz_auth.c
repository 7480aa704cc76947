/* fuzz_auth.c - libFuzzer target for the in-band authentication message decoders: any input
 * is refused with a documented error or decodes into a message whose every referenced byte
 * lies in the input, and which encodes back to the bytes it came from. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void inside(const uint8_t *p, size_t n, const uint8_t *data, size_t size)
{
	if (n && (p < data || p + n > data + size))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct auth_msg m;
	uint8_t reason, out[16 + 2 * 64 + 65535];
	size_t n = 0;

	int r = auth_msg_decode(data, size, &m, &reason);
	if (r == -EPROTO)
		return 0;
	if (r == -EBADMSG) {
		if (reason < 0x01 || reason > 0x07)
			abort();
		return 0;
	}
	if (r)
		abort();
	switch (m.kind) {
	case AUTH_NEGOTIATE:
		if (!m.negotiate.halen || m.negotiate.halen > AUTH_LIST_MAX || !m.negotiate.dhlen ||
		    m.negotiate.dhlen > AUTH_LIST_MAX)
			abort();
		return 0;
	case AUTH_CHALLENGE:
		inside(m.challenge.c, m.challenge.hl, data, size);
		inside(m.challenge.dhv, m.challenge.dhvlen, data, size);
		n = auth_challenge_encode(out, sizeof(out), m.t_id, m.challenge.hash_id,
					  m.challenge.hl, m.challenge.dhgid, m.challenge.seqnum,
					  m.challenge.c, m.challenge.dhv, m.challenge.dhvlen);
		break;
	case AUTH_REPLY:
		inside(m.reply.rval, 2u * m.reply.hl, data, size);
		inside(m.reply.dhv, m.reply.dhvlen, data, size);
		if (m.reply.cvalid > 1 || data[7] || data[9] || data[2] || data[3])
			return 0; /* reserved bits are not kept */
		n = auth_reply_encode(out, sizeof(out), m.t_id, m.reply.hl, m.reply.rval,
				      m.reply.cvalid ? m.reply.cval : NULL, m.reply.seqnum,
				      m.reply.dhv, m.reply.dhvlen);
		if (!m.reply.cvalid)
			memcpy(out + 16 + m.reply.hl, m.reply.cval, m.reply.hl);
		break;
	case AUTH_SUCCESS1:
		inside(m.success1.rval, m.success1.hl, data, size);
		return 0;
	default:
		return 0;
	}
	if (n > sizeof(out) || n > size)
		abort();
	/* The header's reserved bytes are not kept; what follows it must come back. */
	if (memcmp(out + 16, data + 16, n - 16) != 0)
		abort();
	return 0;
}
