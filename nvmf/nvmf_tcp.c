/* nvmf_tcp.c - NVMe/TCP PDU codec: header validation, digests, encode/decode.
 * Pure: bytes in, a verdict or bytes out. Every rejection names the TermReq FES and the
 * offset of the offending field, so the queue can answer exactly as the spec asks. */
#include "nvmf_tcp.h"

#include <errno.h>
#include <string.h>

#include "crc32c.h"
#include "kickstart.h"

uint32_t nvme_tcp_digest(const void *buf, size_t len)
{
	return ~crc32c(~0u, buf, len);
}

static bool type_accepted(uint8_t type, const struct nvmf_tcp_limits *lim)
{
	bool controller = lim->controller;

	switch (type) {
	case NVME_TCP_KDREQ:
		return controller && lim->kickstart;
	case NVME_TCP_ICREQ:
	case NVME_TCP_H2C_TERM:
	case NVME_TCP_CMD:
	case NVME_TCP_H2C_DATA:
		return controller;
	case NVME_TCP_ICRESP:
	case NVME_TCP_C2H_TERM:
	case NVME_TCP_RSP:
	case NVME_TCP_C2H_DATA:
	case NVME_TCP_R2T:
		return !controller;
	}
	return false;
}

static uint8_t expected_hlen(uint8_t type)
{
	switch (type) {
	case NVME_TCP_ICREQ:
	case NVME_TCP_ICRESP:
		return NVME_TCP_IC_LEN;
	case NVME_TCP_CMD:
		return NVME_TCP_CMD_HLEN;
	case NVME_TCP_KDREQ:
		return KDREQ_HLEN;
	default:
		return 24;
	}
}

static bool type_has_hdgst(uint8_t type)
{
	return type >= NVME_TCP_CMD && type <= NVME_TCP_R2T;
}

static bool type_may_carry_data(uint8_t type)
{
	return type == NVME_TCP_CMD || type == NVME_TCP_H2C_DATA || type == NVME_TCP_C2H_DATA;
}

static uint32_t max_data_len(uint8_t type, const struct nvmf_tcp_limits *lim)
{
	switch (type) {
	case NVME_TCP_CMD:
		return lim->max_icd;
	case NVME_TCP_H2C_DATA:
		return lim->max_h2cdata;
	case NVME_TCP_C2H_DATA:
		return lim->max_c2hdata;
	}
	return 0;
}

static ssize_t reject(uint16_t *fes, uint32_t *fei, uint16_t f, uint32_t off)
{
	*fes = f;
	*fei = off;
	return -EPROTO;
}

/* Field offsets in the common header, reported as FEI. */
enum { CH_TYPE = 0, CH_FLAGS = 1, CH_HLEN = 2, CH_PDO = 3, CH_PLEN = 4 };

static ssize_t check_term(uint32_t plen, uint16_t *fes, uint32_t *fei)
{
	if (plen < NVME_TCP_TERM_HLEN || plen > NVME_TCP_TERM_HLEN + NVME_TCP_TERM_MAX_COPY)
		return reject(fes, fei, NVME_TCP_FES_INVALID_PDU_HDR, CH_PLEN);
	return 0;
}

ssize_t nvmf_tcp_pdu_check(const uint8_t *buf, size_t len, const struct nvmf_tcp_limits *lim,
			   uint16_t *fes, uint32_t *fei)
{
	if (len < NVME_TCP_CH_LEN)
		return 0;

	uint8_t type = buf[0], flags = buf[1], hlen = buf[2], pdo = buf[3];
	uint32_t plen = get_le32(buf + 4);

	if (!type_accepted(type, lim))
		return reject(fes, fei, NVME_TCP_FES_INVALID_PDU_HDR, CH_TYPE);
	if (hlen != expected_hlen(type))
		return reject(fes, fei, NVME_TCP_FES_INVALID_PDU_HDR, CH_HLEN);

	if (type == NVME_TCP_H2C_TERM || type == NVME_TCP_C2H_TERM) {
		if (check_term(plen, fes, fei) < 0)
			return -EPROTO;
		return len >= plen ? (ssize_t)plen : 0;
	}
	if (type == NVME_TCP_KDREQ) {
		/* Like the ICReq it follows: no digests, whatever FLAGS says. */
		if (kdreq_check_header(buf, fei) < 0) {
			*fes = NVME_TCP_FES_INVALID_PDU_HDR;
			return -EPROTO;
		}
		return len >= plen ? (ssize_t)plen : 0;
	}
	if (type == NVME_TCP_ICREQ || type == NVME_TCP_ICRESP) {
		if (plen != NVME_TCP_IC_LEN)
			return reject(fes, fei, NVME_TCP_FES_INVALID_PDU_HDR, CH_PLEN);
		if (pdo != 0)
			return reject(fes, fei, NVME_TCP_FES_INVALID_PDU_HDR, CH_PDO);
		return len >= plen ? (ssize_t)plen : 0;
	}

	bool hd = lim->hdgst && type_has_hdgst(type);
	if (!!(flags & NVME_TCP_F_HDGST) != hd)
		return reject(fes, fei, NVME_TCP_FES_INVALID_PDU_HDR, CH_FLAGS);
	uint32_t hdr_total = hlen + (hd ? NVME_TCP_DIGEST_LEN : 0);

	if (pdo == 0) {
		/* No data: nothing may follow the header. */
		if (flags & NVME_TCP_F_DDGST)
			return reject(fes, fei, NVME_TCP_FES_INVALID_PDU_HDR, CH_FLAGS);
		if (plen != hdr_total)
			return reject(fes, fei, NVME_TCP_FES_INVALID_PDU_HDR, CH_PLEN);
		return len >= plen ? (ssize_t)plen : 0;
	}

	if (!type_may_carry_data(type) || pdo < hdr_total || pdo % 4)
		return reject(fes, fei, NVME_TCP_FES_INVALID_PDU_HDR, CH_PDO);
	bool dd = lim->ddgst;
	if (!!(flags & NVME_TCP_F_DDGST) != dd)
		return reject(fes, fei, NVME_TCP_FES_INVALID_PDU_HDR, CH_FLAGS);
	uint32_t tail = dd ? NVME_TCP_DIGEST_LEN : 0;
	if (plen <= (uint32_t)pdo + tail)
		return reject(fes, fei, NVME_TCP_FES_INVALID_PDU_HDR, CH_PLEN);
	if (plen - pdo - tail > max_data_len(type, lim))
		return reject(fes, fei, NVME_TCP_FES_DATA_LIMIT_EXCEEDED, CH_PLEN);
	return len >= plen ? (ssize_t)plen : 0;
}

int nvmf_tcp_pdu_parse(const uint8_t *buf, size_t len, const struct nvmf_tcp_limits *lim,
		       struct nvmf_tcp_pdu *pdu, uint16_t *fes, uint32_t *fei)
{
	ssize_t n = nvmf_tcp_pdu_check(buf, len, lim, fes, fei);

	if (n <= 0)
		return n < 0 ? (int)n : -EAGAIN;

	memset(pdu, 0, sizeof(*pdu));
	pdu->type = buf[0];
	pdu->flags = buf[1];
	pdu->hlen = buf[2];
	pdu->pdo = buf[3];
	pdu->plen = (uint32_t)n;
	pdu->hdr = buf;
	pdu->ddgst_ok = true;

	/* Only where nvmf_tcp_pdu_check validated them: ICReq/ICResp and TermReq have no
	 * digests and no data whatever their FLAGS and PDO bytes say. */
	if (type_has_hdgst(pdu->type) && pdu->flags & NVME_TCP_F_HDGST &&
	    get_le32(buf + pdu->hlen) != nvme_tcp_digest(buf, pdu->hlen))
		return (int)reject(fes, fei, NVME_TCP_FES_HDR_DIGEST_ERR, 0);

	if (pdu->pdo && type_may_carry_data(pdu->type)) {
		uint32_t tail = pdu->flags & NVME_TCP_F_DDGST ? NVME_TCP_DIGEST_LEN : 0;
		pdu->data = buf + pdu->pdo;
		pdu->data_len = pdu->plen - pdu->pdo - tail;
		if (tail && get_le32(pdu->data + pdu->data_len) !=
				    nvme_tcp_digest(pdu->data, pdu->data_len))
			pdu->ddgst_ok = false;
	}
	return 0;
}

void nvme_sqe_decode(const uint8_t *p, struct nvme_sqe *sqe)
{
	for (int i = 0; i < 16; i++)
		sqe->cdw[i] = get_le32(p + 4 * i);
	sqe->opcode = p[0];
	sqe->flags = p[1];
	sqe->cid = get_le16(p + 2);
	sqe->nsid = sqe->cdw[1];
	sqe->fctype = p[4];
	sqe->sgl_addr = get_le64(p + 24);
	sqe->sgl_len = get_le32(p + 32);
	sqe->sgl_id = p[39];
}

void nvme_sqe_encode(const struct nvme_sqe *sqe, uint8_t *p)
{
	for (int i = 0; i < 16; i++)
		put_le32(p + 4 * i, sqe->cdw[i]);
	p[0] = sqe->opcode;
	p[1] = sqe->flags;
	put_le16(p + 2, sqe->cid);
	if (sqe->opcode == 0x7f)
		p[4] = sqe->fctype;
	else
		put_le32(p + 4, sqe->nsid);
	put_le64(p + 24, sqe->sgl_addr);
	put_le32(p + 32, sqe->sgl_len);
	p[36] = p[37] = p[38] = 0;
	p[39] = sqe->sgl_id;
}

void nvme_cqe_decode(const uint8_t *p, struct nvme_cqe *cqe)
{
	cqe->dw0 = get_le32(p);
	cqe->dw1 = get_le32(p + 4);
	cqe->sqhd = get_le16(p + 8);
	cqe->sqid = get_le16(p + 10);
	cqe->cid = get_le16(p + 12);
	cqe->status = get_le16(p + 14) >> 1;
}

void nvme_cqe_encode(const struct nvme_cqe *cqe, uint8_t *p)
{
	put_le32(p, cqe->dw0);
	put_le32(p + 4, cqe->dw1);
	put_le16(p + 8, cqe->sqhd);
	put_le16(p + 10, cqe->sqid);
	put_le16(p + 12, cqe->cid);
	put_le16(p + 14, nvme_status_wire(cqe->status));
}

static void ch_encode(uint8_t *out, uint8_t type, uint8_t flags, uint8_t hlen, uint8_t pdo,
		      uint32_t plen)
{
	out[0] = type;
	out[1] = flags;
	out[2] = hlen;
	out[3] = pdo;
	put_le32(out + 4, plen);
}

void nvme_tcp_ic_encode(uint8_t type, const struct nvme_tcp_ic *ic, uint8_t *out)
{
	memset(out, 0, NVME_TCP_IC_LEN);
	ch_encode(out, type, 0, NVME_TCP_IC_LEN, 0, NVME_TCP_IC_LEN);
	put_le16(out + 8, ic->pfv);
	out[10] = ic->pda;
	out[11] = ic->dgst;
	put_le32(out + 12, ic->maxr2t_or_maxh2cdata);
}

void nvme_tcp_ic_decode(const uint8_t *buf, struct nvme_tcp_ic *ic)
{
	ic->pfv = get_le16(buf + 8);
	ic->pda = buf[10];
	ic->dgst = buf[11];
	ic->maxr2t_or_maxh2cdata = get_le32(buf + 12);
}

static size_t add_hdgst(uint8_t *out, size_t hlen, bool hdgst)
{
	if (!hdgst)
		return hlen;
	put_le32(out + hlen, nvme_tcp_digest(out, hlen));
	return hlen + NVME_TCP_DIGEST_LEN;
}

size_t nvme_tcp_rsp_encode(const struct nvme_cqe *cqe, bool hdgst, uint8_t *out)
{
	uint32_t plen = NVME_TCP_RSP_HLEN + (hdgst ? NVME_TCP_DIGEST_LEN : 0);

	ch_encode(out, NVME_TCP_RSP, hdgst ? NVME_TCP_F_HDGST : 0, NVME_TCP_RSP_HLEN, 0, plen);
	nvme_cqe_encode(cqe, out + NVME_TCP_CH_LEN);
	return add_hdgst(out, NVME_TCP_RSP_HLEN, hdgst);
}

size_t nvme_tcp_data_hdr_encode(uint8_t type, uint8_t flags, uint16_t cccid, uint16_t ttag,
				uint32_t datao, uint32_t datal, bool hdgst, bool ddgst,
				uint8_t *out)
{
	uint8_t pdo = NVME_TCP_DATA_HLEN + (hdgst ? NVME_TCP_DIGEST_LEN : 0);
	uint32_t plen = pdo + datal + (ddgst ? NVME_TCP_DIGEST_LEN : 0);

	flags |= (hdgst ? NVME_TCP_F_HDGST : 0) | (ddgst ? NVME_TCP_F_DDGST : 0);
	ch_encode(out, type, flags, NVME_TCP_DATA_HLEN, pdo, plen);
	put_le16(out + 8, cccid);
	put_le16(out + 10, ttag);
	put_le32(out + 12, datao);
	put_le32(out + 16, datal);
	put_le32(out + 20, 0);
	return add_hdgst(out, NVME_TCP_DATA_HLEN, hdgst);
}

size_t nvme_tcp_r2t_encode(uint16_t cccid, uint16_t ttag, uint32_t r2to, uint32_t r2tl, bool hdgst,
			   uint8_t *out)
{
	uint32_t plen = NVME_TCP_DATA_HLEN + (hdgst ? NVME_TCP_DIGEST_LEN : 0);

	ch_encode(out, NVME_TCP_R2T, hdgst ? NVME_TCP_F_HDGST : 0, NVME_TCP_DATA_HLEN, 0, plen);
	put_le16(out + 8, cccid);
	put_le16(out + 10, ttag);
	put_le32(out + 12, r2to);
	put_le32(out + 16, r2tl);
	put_le32(out + 20, 0);
	return add_hdgst(out, NVME_TCP_DATA_HLEN, hdgst);
}

size_t nvme_tcp_cmd_encode(const struct nvme_sqe *sqe, const uint8_t *data, uint32_t data_len,
			   bool hdgst, bool ddgst, uint8_t *out)
{
	uint32_t hd = hdgst ? NVME_TCP_DIGEST_LEN : 0;
	bool dd = ddgst && data_len;
	uint8_t pdo = data_len ? (uint8_t)(NVME_TCP_CMD_HLEN + hd) : 0;
	uint32_t plen = NVME_TCP_CMD_HLEN + hd + data_len + (dd ? NVME_TCP_DIGEST_LEN : 0);
	uint8_t flags = (hdgst ? NVME_TCP_F_HDGST : 0) | (dd ? NVME_TCP_F_DDGST : 0);

	ch_encode(out, NVME_TCP_CMD, flags, NVME_TCP_CMD_HLEN, pdo, plen);
	nvme_sqe_encode(sqe, out + NVME_TCP_CH_LEN);
	size_t n = add_hdgst(out, NVME_TCP_CMD_HLEN, hdgst);
	if (data_len) {
		memcpy(out + n, data, data_len);
		n += data_len;
		if (dd) {
			put_le32(out + n, nvme_tcp_digest(data, data_len));
			n += NVME_TCP_DIGEST_LEN;
		}
	}
	return n;
}

size_t nvme_tcp_term_encode(uint8_t type, uint16_t fes, uint32_t fei, const uint8_t *bad_hdr,
			    size_t bad_len, uint8_t *out)
{
	if (bad_len > NVME_TCP_TERM_MAX_COPY)
		bad_len = NVME_TCP_TERM_MAX_COPY;
	memset(out, 0, NVME_TCP_TERM_HLEN);
	ch_encode(out, type, 0, NVME_TCP_TERM_HLEN, 0, (uint32_t)(NVME_TCP_TERM_HLEN + bad_len));
	put_le16(out + 8, fes);
	/* FEI sits at offset 10, unaligned: the spec layout, not the old kernel struct's. */
	put_le32(out + 10, fei);
	if (bad_len)
		memcpy(out + NVME_TCP_TERM_HLEN, bad_hdr, bad_len);
	return NVME_TCP_TERM_HLEN + bad_len;
}

void nvme_tcp_data_hdr_decode(const uint8_t *hdr, struct nvme_tcp_data_hdr *d)
{
	d->cccid = get_le16(hdr + 8);
	d->ttag = get_le16(hdr + 10);
	d->datao = get_le32(hdr + 12);
	d->datal = get_le32(hdr + 16);
}
