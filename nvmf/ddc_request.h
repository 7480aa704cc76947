/* ddc_request.h - what a pull-model DDC asks of the CDC that pulls from it (TP8010,
 * protocol.md §7.4 and §7.6): the DDC raises AEN F3h, the CDC reads the Pull Model DDC Request
 * log page (73h), and for a Discovery Log Page Request answers with Send Discovery Log Page
 * (admin opcode 39h) carrying the log asked for. Pure: bytes in, values or bytes out. */
#ifndef NVMF_DDC_REQUEST_H
#define NVMF_DDC_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nvmf_tcp.h"

#define DDC_REQ_LID	   0x73
#define DDC_REQ_AEN	   0x0073f302u /* AEN DW0: notice, AEI F3h, log 73h */
#define DDC_REQ_AEC	   (1u << 28)  /* AEC PMDRLPCN: the CDC wants those AENs */
#define DDC_REQ_READ	   512	       /* bytes of log 73h read: its largest request is 262 */
#define NVME_ADMIN_SDLP	   0x39
#define SDLP_LPUR	   (1u << 31) /* completion DW0: send the log again when it changes */
#define DDC_REQ_ZGORIG_MAX 223
#define DDC_REQ_ZGNAME_MAX 30

enum ddc_req_ori {
	DDC_REQ_GAZ = 1, /* get active ZoneGroup */
	DDC_REQ_AAZ = 2, /* add/replace active ZoneGroup */
	DDC_REQ_RAZ = 3, /* remove active ZoneGroup */
	DDC_REQ_LOG = 4, /* Discovery Log Page Request */
};

/* RLPS: what the SDLP carries. */
enum sdlp_rlps {
	SDLP_VALID = 0,	      /* the log */
	SDLP_UNSUPPORTED = 1, /* invalid or unsupported log page */
	SDLP_NOT_ALLOWED = 2,
	SDLP_FAILED = 3, /* not successful: SCT/SC say why */
};

struct ddc_req {
	uint8_t ori;
	uint32_t tpdrpl;  /* the request's total length */
	uint8_t lid, lsp; /* DDC_REQ_LOG */
	uint32_t tid;	  /* GAZ, AAZ, RAZ: transaction, originator and ZoneGroup */
	char zgorig[DDC_REQ_ZGORIG_MAX + 1];
	char zgname[DDC_REQ_ZGNAME_MAX + 1];
};

/* Decodes len bytes of log 73h. -EPROTO: shorter than its ORI needs, or an unknown ORI;
 * -ENOENT: ORI 0, no request pending. */
int ddc_req_decode(const uint8_t *buf, size_t len, struct ddc_req *out);

/* Encodes a request (the tests' DDC). Returns the length, 0 if size is too small. */
size_t ddc_req_encode(const struct ddc_req *r, uint8_t *out, size_t size);

/* The SDLP command for a log of len bytes (a multiple of 4) sent whole from offset 0, or for
 * a refusal (rlps not SDLP_VALID, len 0; status: the reason, for SDLP_FAILED). */
void sdlp_sqe(struct nvme_sqe *sqe, uint8_t lid, uint8_t lsp, enum sdlp_rlps rlps, uint16_t status,
	      uint32_t len);

#endif
