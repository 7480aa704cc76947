/* nvmf_tcp.c - NVMe/TCP PDU codec: header validation, digests, encode/decode.
 * Pure: bytes in, a verdict or bytes out. Every rejection names the TermReq FES and the
 * offset of the offending field, so the queue can answer exactly as the spec asks. */
#include "nvmf_tcp.h"

#include <errno.h>
#include <string.h>

/* CRC32C (Castagnoli), reflected polynomial 0x82F63B78, one byte at a time: the digests
 * cover a few KiB per PDU on a discovery controller, so a byte-wise table is enough. */
static const uint32_t crc32c_table[256] = {
	0x00000000u, 0xf26b8303u, 0xe13b70f7u, 0x1350f3f4u, 0xc79a971fu, 0x35f1141cu, 0x26a1e7e8u,
	0xd4ca64ebu, 0x8ad958cfu, 0x78b2dbccu, 0x6be22838u, 0x9989ab3bu, 0x4d43cfd0u, 0xbf284cd3u,
	0xac78bf27u, 0x5e133c24u, 0x105ec76fu, 0xe235446cu, 0xf165b798u, 0x030e349bu, 0xd7c45070u,
	0x25afd373u, 0x36ff2087u, 0xc494a384u, 0x9a879fa0u, 0x68ec1ca3u, 0x7bbcef57u, 0x89d76c54u,
	0x5d1d08bfu, 0xaf768bbcu, 0xbc267848u, 0x4e4dfb4bu, 0x20bd8edeu, 0xd2d60dddu, 0xc186fe29u,
	0x33ed7d2au, 0xe72719c1u, 0x154c9ac2u, 0x061c6936u, 0xf477ea35u, 0xaa64d611u, 0x580f5512u,
	0x4b5fa6e6u, 0xb93425e5u, 0x6dfe410eu, 0x9f95c20du, 0x8cc531f9u, 0x7eaeb2fau, 0x30e349b1u,
	0xc288cab2u, 0xd1d83946u, 0x23b3ba45u, 0xf779deaeu, 0x05125dadu, 0x1642ae59u, 0xe4292d5au,
	0xba3a117eu, 0x4851927du, 0x5b016189u, 0xa96ae28au, 0x7da08661u, 0x8fcb0562u, 0x9c9bf696u,
	0x6ef07595u, 0x417b1dbcu, 0xb3109ebfu, 0xa0406d4bu, 0x522bee48u, 0x86e18aa3u, 0x748a09a0u,
	0x67dafa54u, 0x95b17957u, 0xcba24573u, 0x39c9c670u, 0x2a993584u, 0xd8f2b687u, 0x0c38d26cu,
	0xfe53516fu, 0xed03a29bu, 0x1f682198u, 0x5125dad3u, 0xa34e59d0u, 0xb01eaa24u, 0x42752927u,
	0x96bf4dccu, 0x64d4cecfu, 0x77843d3bu, 0x85efbe38u, 0xdbfc821cu, 0x2997011fu, 0x3ac7f2ebu,
	0xc8ac71e8u, 0x1c661503u, 0xee0d9600u, 0xfd5d65f4u, 0x0f36e6f7u, 0x61c69362u, 0x93ad1061u,
	0x80fde395u, 0x72966096u, 0xa65c047du, 0x5437877eu, 0x4767748au, 0xb50cf789u, 0xeb1fcbadu,
	0x197448aeu, 0x0a24bb5au, 0xf84f3859u, 0x2c855cb2u, 0xdeeedfb1u, 0xcdbe2c45u, 0x3fd5af46u,
	0x7198540du, 0x83f3d70eu, 0x90a324fau, 0x62c8a7f9u, 0xb602c312u, 0x44694011u, 0x5739b3e5u,
	0xa55230e6u, 0xfb410cc2u, 0x092a8fc1u, 0x1a7a7c35u, 0xe811ff36u, 0x3cdb9bddu, 0xceb018deu,
	0xdde0eb2au, 0x2f8b6829u, 0x82f63b78u, 0x709db87bu, 0x63cd4b8fu, 0x91a6c88cu, 0x456cac67u,
	0xb7072f64u, 0xa457dc90u, 0x563c5f93u, 0x082f63b7u, 0xfa44e0b4u, 0xe9141340u, 0x1b7f9043u,
	0xcfb5f4a8u, 0x3dde77abu, 0x2e8e845fu, 0xdce5075cu, 0x92a8fc17u, 0x60c37f14u, 0x73938ce0u,
	0x81f80fe3u, 0x55326b08u, 0xa759e80bu, 0xb4091bffu, 0x466298fcu, 0x1871a4d8u, 0xea1a27dbu,
	0xf94ad42fu, 0x0b21572cu, 0xdfeb33c7u, 0x2d80b0c4u, 0x3ed04330u, 0xccbbc033u, 0xa24bb5a6u,
	0x502036a5u, 0x4370c551u, 0xb11b4652u, 0x65d122b9u, 0x97baa1bau, 0x84ea524eu, 0x7681d14du,
	0x2892ed69u, 0xdaf96e6au, 0xc9a99d9eu, 0x3bc21e9du, 0xef087a76u, 0x1d63f975u, 0x0e330a81u,
	0xfc588982u, 0xb21572c9u, 0x407ef1cau, 0x532e023eu, 0xa145813du, 0x758fe5d6u, 0x87e466d5u,
	0x94b49521u, 0x66df1622u, 0x38cc2a06u, 0xcaa7a905u, 0xd9f75af1u, 0x2b9cd9f2u, 0xff56bd19u,
	0x0d3d3e1au, 0x1e6dcdeeu, 0xec064eedu, 0xc38d26c4u, 0x31e6a5c7u, 0x22b65633u, 0xd0ddd530u,
	0x0417b1dbu, 0xf67c32d8u, 0xe52cc12cu, 0x1747422fu, 0x49547e0bu, 0xbb3ffd08u, 0xa86f0efcu,
	0x5a048dffu, 0x8ecee914u, 0x7ca56a17u, 0x6ff599e3u, 0x9d9e1ae0u, 0xd3d3e1abu, 0x21b862a8u,
	0x32e8915cu, 0xc083125fu, 0x144976b4u, 0xe622f5b7u, 0xf5720643u, 0x07198540u, 0x590ab964u,
	0xab613a67u, 0xb831c993u, 0x4a5a4a90u, 0x9e902e7bu, 0x6cfbad78u, 0x7fab5e8cu, 0x8dc0dd8fu,
	0xe330a81au, 0x115b2b19u, 0x020bd8edu, 0xf0605beeu, 0x24aa3f05u, 0xd6c1bc06u, 0xc5914ff2u,
	0x37faccf1u, 0x69e9f0d5u, 0x9b8273d6u, 0x88d28022u, 0x7ab90321u, 0xae7367cau, 0x5c18e4c9u,
	0x4f48173du, 0xbd23943eu, 0xf36e6f75u, 0x0105ec76u, 0x12551f82u, 0xe03e9c81u, 0x34f4f86au,
	0xc69f7b69u, 0xd5cf889du, 0x27a40b9eu, 0x79b737bau, 0x8bdcb4b9u, 0x988c474du, 0x6ae7c44eu,
	0xbe2da0a5u, 0x4c4623a6u, 0x5f16d052u, 0xad7d5351u,
};

uint32_t crc32c(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len--)
		crc = crc32c_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return crc;
}

uint32_t nvme_tcp_digest(const void *buf, size_t len)
{
	return ~crc32c(~0u, buf, len);
}

static bool type_accepted(uint8_t type, bool controller)
{
	switch (type) {
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
	default:
		return 24;
	}
}

static bool type_has_hdgst(uint8_t type)
{
	return type >= NVME_TCP_CMD;
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

	if (!type_accepted(type, lim->controller))
		return reject(fes, fei, NVME_TCP_FES_INVALID_PDU_HDR, CH_TYPE);
	if (hlen != expected_hlen(type))
		return reject(fes, fei, NVME_TCP_FES_INVALID_PDU_HDR, CH_HLEN);

	if (type == NVME_TCP_H2C_TERM || type == NVME_TCP_C2H_TERM) {
		if (check_term(plen, fes, fei) < 0)
			return -EPROTO;
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
