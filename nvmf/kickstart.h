/* kickstart.h - the Kickstart Discovery PDUs of TP8010 pull registration (protocol.md §1.11):
 * a DDC sends KDReq right after an ICReq, naming the addresses where the CDC should connect
 * back to it, and the CDC answers KDResp with its NQN. Pure: bytes in, records or bytes out.
 *
 * The layout is not in any public specification text; it is the one the public kickstart test
 * client uses, and it is read defensively: the PDU type values (KDReq 0Ah, KDResp 0Bh) and the
 * record layout are believed, not confirmed, every length is checked against PLEN before it is
 * used, and the strings are taken up to their first NUL or trailing blank. */
#ifndef NVMF_KICKSTART_H
#define NVMF_KICKSTART_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

#define NVME_TCP_KDREQ	      0x0a
#define NVME_TCP_KDRESP	      0x0b
#define KDREQ_HLEN	      12  /* CH, NUMKR (le16), NUMDIE (le16) */
#define KDREQ_RECORD_LEN      290 /* TRTYPE, ADRFAM, TRSVCID[32], TRADDR[256] */
#define KDREQ_MAX_RECORDS     16  /* what one DDC may name in one request */
#define KDREQ_MAX_LEN	      (KDREQ_HLEN + KDREQ_MAX_RECORDS * KDREQ_RECORD_LEN)
#define KDRESP_HLEN	      10  /* CH, KSSTAT, FAILRSN */
#define KDRESP_LEN	      274 /* ... CDCNQN[256], 8 bytes reserved */
#define KDRESP_SUCCESS	      0
#define KDRESP_FAILURE	      1
#define KDRESP_RSN_RESOURCES  1 /* Insufficient Discovery Resources (value believed) */
#define KDRESP_RSN_NOT_ACCEPT 2 /* no usable record, or kickstart disabled (ours) */

/* One place to connect back to: a numeric TCP address and port (addr_traddr_canon() form). An
 * empty TRADDR in the request means the address the request came from. */
struct kdreq_record {
	struct cdc_port port;
};

struct kdreq {
	uint16_t numdie; /* discovery information entries the DDC will expose */
	size_t nrec;
	struct kdreq_record rec[KDREQ_MAX_RECORDS];
	size_t skipped; /* records that are not TCP, or whose address or port is not numeric */
};

/* Whether the common header ch (8 bytes) can start a KDReq: HLEN and PDO 12, PLEN 12 plus whole
 * records, at most KDREQ_MAX_RECORDS of them. 0, or -EPROTO with *fei the offending byte. */
int kdreq_check_header(const uint8_t *ch, uint32_t *fei);

/* Decodes a whole KDReq (kdreq_check_header() passed, len == PLEN). peer: the numeric address
 * the request came from, for records with an empty TRADDR. Records that cannot be used are
 * counted in skipped, not fatal. 0 or -EPROTO (NUMKR disagrees with PLEN). */
int kdreq_decode(const uint8_t *buf, size_t len, const char *peer, struct kdreq *out);

/* Encodes a KDReq naming the given ports, for the tests and the benchmark's DDC. Returns the
 * length written (at most KDREQ_MAX_LEN), 0 if n is too large. */
size_t kdreq_encode(const struct cdc_port *ports, size_t n, uint16_t numdie, uint8_t *out);

/* Encodes the KDResp: KDRESP_LEN bytes. cdcnqn is written NUL-terminated. */
void kdresp_encode(uint8_t ksstat, uint8_t failrsn, const char *cdcnqn, uint8_t out[KDRESP_LEN]);

/* Decodes a KDResp of KDRESP_LEN bytes; nqn gets CDC_NQN_MAX + 1 bytes. 0 or -EPROTO. */
int kdresp_decode(const uint8_t *buf, size_t len, uint8_t *ksstat, uint8_t *failrsn, char *nqn);

#endif
