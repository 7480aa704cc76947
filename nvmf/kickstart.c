/* kickstart.c - KDReq / KDResp codec. Nothing in a KDReq is trusted: its length must be the
 * header plus whole records, each record's strings are bounded by their fields, and an address
 * must be numeric (no name is ever resolved because a peer asked). */
#include "kickstart.h"

#include <errno.h>
#include <nvme/types.h>
#include <stdio.h>
#include <string.h>

#include "nvmf_tcp.h"

/* Field offsets in the KDReq and its records, as the public test client lays them out. */
enum { KD_NUMKR = 8, KD_NUMDIE = 10 };
enum { KR_TRTYPE = 0, KR_ADRFAM = 1, KR_TRSVCID = 2, KR_TRADDR = 34 };
#define KR_TRSVCID_LEN 32
#define KR_TRADDR_LEN  256
#define KD_NQN_OFF     10
#define KD_NQN_LEN     256

int kdreq_check_header(const uint8_t *ch, uint32_t *fei)
{
	uint32_t plen = get_le32(ch + 4);

	if (ch[2] != KDREQ_HLEN) {
		*fei = 2;
		return -EPROTO;
	}
	/* PDO: the client writes 12 (where the records start); 0 is taken too. */
	if (ch[3] != KDREQ_HLEN && ch[3] != 0) {
		*fei = 3;
		return -EPROTO;
	}
	if (plen < KDREQ_HLEN || plen > KDREQ_MAX_LEN || (plen - KDREQ_HLEN) % KDREQ_RECORD_LEN) {
		*fei = 4;
		return -EPROTO;
	}
	return 0;
}

/* A fixed-size string field: up to its first NUL, without trailing blanks. */
static void field_get(char *dst, size_t size, const uint8_t *src, size_t len)
{
	const uint8_t *nul = memchr(src, '\0', len);

	if (nul)
		len = (size_t)(nul - src);
	while (len && src[len - 1] == ' ')
		len--;
	if (len >= size)
		len = 0; /* too long to be an address or a port: rejected below as empty */
	memcpy(dst, src, len);
	dst[len] = '\0';
}

static int record_decode(const uint8_t *r, const char *peer, struct cdc_port *out)
{
	char traddr[KR_TRADDR_LEN], trsvcid[KR_TRSVCID_LEN];

	memset(out, 0, sizeof(*out));
	if (r[KR_TRTYPE] != NVMF_TRTYPE_TCP)
		return -EINVAL;
	field_get(traddr, sizeof(traddr), r + KR_TRADDR, KR_TRADDR_LEN);
	field_get(trsvcid, sizeof(trsvcid), r + KR_TRSVCID, KR_TRSVCID_LEN);
	snprintf(out->traddr, sizeof(out->traddr), "%s", traddr[0] ? traddr : peer);
	if (addr_trsvcid_canon(trsvcid[0] ? trsvcid : "8009", out->trsvcid, sizeof(out->trsvcid)) <
	    0)
		return -EINVAL;
	/* ADRFAM is taken from the address itself: the record's byte must not contradict it. */
	if (r[KR_ADRFAM] == NVMF_ADDR_FAMILY_IP4 || r[KR_ADRFAM] == NVMF_ADDR_FAMILY_IP6)
		out->adrfam = r[KR_ADRFAM];
	if (addr_traddr_canon(&out->adrfam, out->traddr, sizeof(out->traddr)) < 0)
		return -EINVAL;
	out->trtype = NVMF_TRTYPE_TCP;
	return 0;
}

int kdreq_decode(const uint8_t *buf, size_t len, const char *peer, struct kdreq *out)
{
	uint32_t fei;
	size_t numkr;

	memset(out, 0, sizeof(*out));
	if (len < KDREQ_HLEN || kdreq_check_header(buf, &fei) < 0 || get_le32(buf + 4) != len)
		return -EPROTO;
	numkr = get_le16(buf + KD_NUMKR);
	if (numkr != (len - KDREQ_HLEN) / KDREQ_RECORD_LEN)
		return -EPROTO;
	out->numdie = get_le16(buf + KD_NUMDIE);
	for (size_t i = 0; i < numkr; i++) {
		struct cdc_port *p = &out->rec[out->nrec].port;

		if (record_decode(buf + KDREQ_HLEN + i * KDREQ_RECORD_LEN, peer, p) < 0)
			out->skipped++;
		else
			out->nrec++;
	}
	return 0;
}

size_t kdreq_encode(const struct cdc_port *ports, size_t n, uint16_t numdie, uint8_t *out)
{
	size_t len = KDREQ_HLEN + n * KDREQ_RECORD_LEN;

	if (n > KDREQ_MAX_RECORDS)
		return 0;
	memset(out, 0, len);
	out[0] = NVME_TCP_KDREQ;
	out[1] = 1 << 6; /* as the public client sends it; its meaning is not known */
	out[2] = KDREQ_HLEN;
	out[3] = KDREQ_HLEN;
	put_le32(out + 4, (uint32_t)len);
	put_le16(out + KD_NUMKR, (uint16_t)n);
	put_le16(out + KD_NUMDIE, numdie);
	for (size_t i = 0; i < n; i++) {
		uint8_t *r = out + KDREQ_HLEN + i * KDREQ_RECORD_LEN;

		r[KR_TRTYPE] = ports[i].trtype ? ports[i].trtype : NVMF_TRTYPE_TCP;
		r[KR_ADRFAM] = ports[i].adrfam;
		memcpy(r + KR_TRSVCID, ports[i].trsvcid, strnlen(ports[i].trsvcid, KR_TRSVCID_LEN));
		memcpy(r + KR_TRADDR, ports[i].traddr, strnlen(ports[i].traddr, KR_TRADDR_LEN));
	}
	return len;
}

void kdresp_encode(uint8_t ksstat, uint8_t failrsn, const char *cdcnqn, uint8_t out[KDRESP_LEN])
{
	memset(out, 0, KDRESP_LEN);
	out[0] = NVME_TCP_KDRESP;
	out[2] = KDRESP_HLEN;
	put_le32(out + 4, KDRESP_LEN);
	out[8] = ksstat;
	out[9] = failrsn;
	memcpy(out + KD_NQN_OFF, cdcnqn, strnlen(cdcnqn, KD_NQN_LEN - 1));
}

int kdresp_decode(const uint8_t *buf, size_t len, uint8_t *ksstat, uint8_t *failrsn, char *nqn)
{
	if (len != KDRESP_LEN || buf[0] != NVME_TCP_KDRESP || buf[2] != KDRESP_HLEN ||
	    get_le32(buf + 4) != KDRESP_LEN)
		return -EPROTO;
	*ksstat = buf[8];
	*failrsn = buf[9];
	field_get(nqn, CDC_NQN_MAX + 1, buf + KD_NQN_OFF, KD_NQN_LEN);
	return 0;
}
