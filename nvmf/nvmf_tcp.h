/* nvmf_tcp.h - NVMe/TCP PDU codec (NVMe/TCP transport binding, protocol.md section 1).
 * Pure functions over byte buffers: no allocation, no sockets, no globals. The controller
 * queue, the userspace host, the unit tests and the fuzz targets all call the same code. */
#ifndef CDC_NVMF_TCP_H
#define CDC_NVMF_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "crc32c.h"
#include "status.h"

enum nvme_tcp_pdu_type {
	NVME_TCP_ICREQ = 0x00,
	NVME_TCP_ICRESP = 0x01,
	NVME_TCP_H2C_TERM = 0x02,
	NVME_TCP_C2H_TERM = 0x03,
	NVME_TCP_CMD = 0x04,
	NVME_TCP_RSP = 0x05,
	NVME_TCP_H2C_DATA = 0x06,
	NVME_TCP_C2H_DATA = 0x07,
	NVME_TCP_R2T = 0x09,
};

enum nvme_tcp_pdu_flags {
	NVME_TCP_F_HDGST = 1 << 0,
	NVME_TCP_F_DDGST = 1 << 1,
	NVME_TCP_F_DATA_LAST = 1 << 2,
	NVME_TCP_F_DATA_SUCCESS = 1 << 3,
};

/* Fatal Error Status of a TermReq PDU. */
enum nvme_tcp_fes {
	NVME_TCP_FES_INVALID_PDU_HDR = 0x01,
	NVME_TCP_FES_PDU_SEQ_ERR = 0x02,
	NVME_TCP_FES_HDR_DIGEST_ERR = 0x03,
	NVME_TCP_FES_DATA_OUT_OF_RANGE = 0x04,
	NVME_TCP_FES_DATA_LIMIT_EXCEEDED = 0x05,
	NVME_TCP_FES_UNSUPPORTED_PARAM = 0x06,
};

#define NVME_TCP_CH_LEN	       8
#define NVME_TCP_IC_LEN	       128
#define NVME_TCP_CMD_HLEN      72
#define NVME_TCP_RSP_HLEN      24
#define NVME_TCP_DATA_HLEN     24
#define NVME_TCP_TERM_HLEN     24
#define NVME_TCP_TERM_MAX_COPY 128
#define NVME_TCP_DIGEST_LEN    4
#define NVME_SQE_LEN	       64
#define NVME_CQE_LEN	       16

/* SGL identifiers the Linux TCP host uses (protocol.md 2.4). */
#define NVME_SGL_INCAPSULE 0x01 /* data block, offset subtype: data is in the capsule */
#define NVME_SGL_TRANSPORT 0x5a /* transport data block: data moves in C2HData / R2T+H2CData */

/* The 64-byte submission queue entry, decoded. Fabrics commands overlay CDW10..15. */
struct nvme_sqe {
	uint8_t opcode;
	uint8_t flags;
	uint16_t cid;
	uint32_t nsid;
	uint8_t fctype; /* byte 4: fabrics command type when opcode is 0x7f */
	uint64_t sgl_addr;
	uint32_t sgl_len;
	uint8_t sgl_id;
	uint32_t cdw[16]; /* raw dwords; cdw[10]..cdw[15] are the command dwords */
};

struct nvme_cqe {
	uint32_t dw0;
	uint32_t dw1;
	uint16_t sqhd;
	uint16_t sqid;
	uint16_t cid;
	uint16_t status; /* libnvme form: (DNR 0x4000) | SCT << 8 | SC; the wire carries it << 1 */
};

/* What one side of a connection has negotiated and accepts. */
struct nvmf_tcp_limits {
	bool hdgst;
	bool ddgst;
	bool controller;      /* true on the controller side: accept host-to-controller PDUs */
	bool kickstart;	      /* controller: a KDReq may come (after the ICReq, before commands) */
	uint32_t max_icd;     /* in-capsule data accepted (controller) */
	uint32_t max_h2cdata; /* bytes in one H2CData PDU (controller) */
	uint32_t max_c2hdata; /* bytes in one C2HData PDU (host) */
};

/* Little-endian field access on unaligned buffers. */
static inline uint16_t get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}
static inline uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t get_le64(const uint8_t *p)
{
	return (uint64_t)get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}
static inline void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}
static inline void put_le32(uint8_t *p, uint32_t v)
{
	put_le16(p, (uint16_t)v);
	put_le16(p + 2, (uint16_t)(v >> 16));
}
static inline void put_le64(uint8_t *p, uint64_t v)
{
	put_le32(p, (uint32_t)v);
	put_le32(p + 4, (uint32_t)(v >> 32));
}

/* The digest as NVMe/TCP sends it: CRC32C (init ~0, final xor ~0) of buf. */
uint32_t nvme_tcp_digest(const void *buf, size_t len);

/* A received PDU, split into its parts (pointers into the caller's buffer). */
struct nvmf_tcp_pdu {
	uint8_t type;
	uint8_t flags;
	uint8_t hlen;
	uint8_t pdo;
	uint32_t plen;
	const uint8_t *hdr;  /* hlen bytes: common header + PDU specific header */
	const uint8_t *data; /* NULL if the PDU carries no data */
	uint32_t data_len;
	bool ddgst_ok; /* false: the data digest was present and wrong */
};

/* Looks at the start of a byte stream. Returns the PDU length once a whole PDU is in buf,
 * 0 if more bytes are needed, or -EPROTO with *fes and *fei set to the TermReq the peer
 * should get (fei: byte offset of the offending field in the header). Needs at least the
 * 8-byte common header to judge; never reads past len. */
ssize_t nvmf_tcp_pdu_check(const uint8_t *buf, size_t len, const struct nvmf_tcp_limits *lim,
			   uint16_t *fes, uint32_t *fei);

/* Splits a whole PDU (as accepted by nvmf_tcp_pdu_check) and verifies its digests.
 * A bad header digest is -EPROTO with *fes = HDR_DIGEST_ERR; a bad data digest is not an
 * error here (pdu->ddgst_ok = false) because it fails one command, not the connection. */
int nvmf_tcp_pdu_parse(const uint8_t *buf, size_t len, const struct nvmf_tcp_limits *lim,
		       struct nvmf_tcp_pdu *pdu, uint16_t *fes, uint32_t *fei);

void nvme_sqe_decode(const uint8_t *sqe64, struct nvme_sqe *sqe);
void nvme_sqe_encode(const struct nvme_sqe *sqe, uint8_t *sqe64);
void nvme_cqe_decode(const uint8_t *cqe16, struct nvme_cqe *cqe);
void nvme_cqe_encode(const struct nvme_cqe *cqe, uint8_t *cqe16);

/* ICReq / ICResp (128 bytes, never digests). */
struct nvme_tcp_ic {
	uint16_t pfv;
	uint8_t pda;  /* HPDA in ICReq, CPDA in ICResp */
	uint8_t dgst; /* bit 0 header digest, bit 1 data digest */
	uint32_t maxr2t_or_maxh2cdata;
};
void nvme_tcp_ic_encode(uint8_t type, const struct nvme_tcp_ic *ic, uint8_t *out128);
void nvme_tcp_ic_decode(const uint8_t *buf128, struct nvme_tcp_ic *ic);

/* Encoders write into out and return the number of bytes written; the caller provides
 * room for the header plus digests (and the data for capsules). Data PDUs are written as
 * header (+HDGST) only: the caller sends the data and then, if ddgst, the digest. */
size_t nvme_tcp_rsp_encode(const struct nvme_cqe *cqe, bool hdgst, uint8_t *out);
size_t nvme_tcp_data_hdr_encode(uint8_t type, uint8_t flags, uint16_t cccid, uint16_t ttag,
				uint32_t datao, uint32_t datal, bool hdgst, bool ddgst,
				uint8_t *out);
size_t nvme_tcp_r2t_encode(uint16_t cccid, uint16_t ttag, uint32_t r2to, uint32_t r2tl, bool hdgst,
			   uint8_t *out);
size_t nvme_tcp_cmd_encode(const struct nvme_sqe *sqe, const uint8_t *data, uint32_t data_len,
			   bool hdgst, bool ddgst, uint8_t *out);
/* TermReq with a copy of up to 128 bytes of the offending header; out needs 152 bytes. */
size_t nvme_tcp_term_encode(uint8_t type, uint16_t fes, uint32_t fei, const uint8_t *bad_hdr,
			    size_t bad_len, uint8_t *out);

/* The data-PDU specific header fields (H2CData, C2HData, R2T). */
struct nvme_tcp_data_hdr {
	uint16_t cccid;
	uint16_t ttag;
	uint32_t datao;
	uint32_t datal;
};
void nvme_tcp_data_hdr_decode(const uint8_t *hdr24, struct nvme_tcp_data_hdr *d);

#endif
