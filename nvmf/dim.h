/* dim.h - parse and check Discovery Information Management (DIM, opcode 21h) command data
 * (TP8010, protocol.md 7.1) into the records a registration becomes. Pure: no I/O, no globals;
 * the only allocation is the request's entry array, bounded by the caller. */
#ifndef CDC_DIM_H
#define CDC_DIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"

/* Values libnvme 1.3 has no names for (SPEC 5.4.4, Figure "DIM data"; protocol.md 6.4, 7.1). */
#define DIM_EKTYPE_TRADDR   0x5f /* entry key: NQN, TSAS, TRSVCID, ADRFAM, TRTYPE, TRADDR */
#define DIM_EKTYPE_PORTID   0x3f /* entry key: NQN, TSAS, TRSVCID, ADRFAM, TRTYPE, PORTID */
#define DIM_EXATTYPE_LABEL8 0x03 /* admin label, UTF-8 (2 = NVMF_EXATTYPE_SYMNAME is ASCII) */

/* One entry of a DIM request: a host (ETYPE host or CDC) or a subsystem port / referral
 * (ETYPE DDC). */
struct dim_entry {
	bool is_host;
	struct host_rec host;  /* is_host: hostnqn, trtype, adrfam, traddr, trsvcid, sectype,
				* hostid, symname */
	struct log_rec rec;    /* !is_host: subnqn, subtype, asqsz, port (trtype, adrfam, treq,
				* sectype, portid, traddr, trsvcid); owner = EID */
	bool traddr_from_peer; /* TRADDR was empty: the CDC fills in the connection's peer
				* address */
};

struct dim_request {
	uint8_t tas; /* enum nvmf_dim_tas */
	uint16_t entfmt, etype, ektype;
	uint8_t portlcl;
	struct entity entity; /* nqn = EID, etype, ename, ever (source/timestamps left 0) */
	size_t nument;
	struct dim_entry *entries;
};

/* Parse and check DIM command data (cdw10 carries TAS). Returns 0, or an NVMe status in libnvme
 * form with *err_off the byte offset of the offending field in data (for the log line):
 *  - Invalid Field in Command (SCT 0, SC 02h, DNR): reserved TAS, TDL, NUMENT, ENTFMT, ETYPE,
 *    PORTLCL, EKTYPE or EID values; a TEL, NUMEXAT or EXATLEN that does not fit or is not a
 *    multiple of 4; entries that do not end exactly at TDL; an NQN, TRADDR or TRSVCID field with
 *    no NUL in its whole width; an empty host TRADDR in a request with more than one entry; a
 *    malformed value: a TRADDR that is not a numeric address of ADRFAM, a TRSVCID that is not a
 *    decimal port 1..65535 (hosts may leave it empty), a subsystem NQN that is not an NQN.
 *  - Invalid Discovery Information (SCT 1, SC 2Fh, DNR): information not applicable to ETYPE or
 *    not usable in a discovery log: a host entry in basic format or without a 16-byte Host
 *    Identifier attribute, a host NQN that is not the EID, SUBTYPE other than 1 or 2 for a
 *    subsystem entry, TRTYPE other than TCP, ADRFAM other than IPv4/IPv6, a wildcard TRADDR.
 *  - Insufficient Discovery Resources (SCT 1, SC 32h, no DNR): NUMENT > max_entries, so that a
 *    request cannot make us allocate much (also if the entry array cannot be allocated).
 * TRADDR is stored in inet_ntop's form and TRSVCID in decimal without leading zeros (as the
 * configuration stores them), so one address spelt two ways is one key.
 * On error req holds nothing; on success release it with dim_request_free(). */
uint16_t dim_parse(uint32_t cdw10, const uint8_t *data, uint32_t len, size_t max_entries,
		   struct dim_request *req, uint32_t *err_off);
void dim_request_free(struct dim_request *req);

/* Whether two entries name the same record under EKTYPE (0x5F: NQN, TSAS, TRSVCID, ADRFAM,
 * TRTYPE, TRADDR; 0x3F: NQN, TSAS, TRSVCID, ADRFAM, TRTYPE, PORTID). The owner is not part of
 * the entry key: callers compare it themselves. Other EKTYPE values match nothing. */
bool dim_rec_key_match(uint16_t ektype, const struct log_rec *a, const struct log_rec *b);
/* The same for host entries, which always use EKTYPE 0x5F. */
bool dim_host_key_match(const struct host_rec *a, const struct host_rec *b);

/* The other direction, for DDCs (tools, tests, the benchmark): DIM data of entity e pushing
 * n subsystem ports or referrals as basic entries under ektype. Returns the TDL, or 0 when it
 * does not fit in size. */
size_t dim_encode_ddc(uint8_t *buf, size_t size, uint16_t ektype, const struct entity *e,
		      const struct log_rec *recs, size_t n);

#endif
