/* pdu_stream.h - framing NVMe/TCP PDUs out of a libevent input buffer, for both ends of a
 * connection (the controller queue and the userspace host). The judging is nvmf_tcp's. */
#ifndef CDC_PDU_STREAM_H
#define CDC_PDU_STREAM_H

#include <errno.h>
#include <event2/buffer.h>

#include "nvmf_tcp.h"

/* The next whole PDU at the head of in, parsed into pdu (pointers into the buffer, valid
 * until the caller drains pdu->plen bytes). Returns 1 for a PDU, 0 when more bytes are
 * needed, -EPROTO with *fes, *fei and *bad (the offending header, hlen bytes) to report. */
static inline int pdu_stream_next(struct evbuffer *in, const struct nvmf_tcp_limits *lim,
				  struct nvmf_tcp_pdu *pdu, uint16_t *fes, uint32_t *fei,
				  const uint8_t **bad, size_t *badlen)
{
	static const size_t chlen = NVME_TCP_CH_LEN;
	uint8_t ch[NVME_TCP_CH_LEN];
	size_t avail = evbuffer_get_length(in);

	if (avail < chlen)
		return 0;
	evbuffer_copyout(in, ch, chlen);
	/* The common header alone says whether the PDU is acceptable and how long. */
	if (nvmf_tcp_pdu_check(ch, chlen, lim, fes, fei) < 0) {
		*bad = evbuffer_pullup(in, (ssize_t)chlen);
		*badlen = chlen;
		return -EPROTO;
	}
	uint32_t plen = get_le32(ch + 4);
	if (avail < plen)
		return 0;
	const uint8_t *buf = evbuffer_pullup(in, plen);
	if (nvmf_tcp_pdu_parse(buf, plen, lim, pdu, fes, fei) < 0) {
		*bad = buf;
		*badlen = buf[2];
		return -EPROTO;
	}
	return 1;
}

#endif
