/* disc_log.h - discovery log pages (LID 70h, 71h, 00h) as hosts read them.
 * Pure: no sockets, no SQL. A log is read through a view (genctr, this connection's own
 * SUBTYPE 3 entries, the shared fabric entries) so a 4 KiB read copies 4 KiB, never the log. */
#ifndef CDC_DISC_LOG_H
#define CDC_DISC_LOG_H

#include <nvme/types.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "addr.h"
#include "model.h"

#define DISC_LOG_HDR_LEN   1024
#define DISC_LOG_ENTRY_LEN 1024
#define DISC_ADMIN_SQ_SIZE 128 /* ASQSZ we report for our own entries; MQES + 1 */

struct disc_log_view {
	uint64_t genctr;
	const struct nvmf_disc_log_entry *self;
	size_t nself;
	const struct nvmf_disc_log_entry *body;
	size_t nbody;
};

/* A log body shared by reference: replies point into it instead of copying it, so a host
 * that asked for 16 MiB and stopped reading holds a reference, not a copy. Immutable while
 * anyone but its builder holds it (refs > 1). */
struct disc_blob {
	unsigned int refs;
	size_t cap;
	_Alignas(8) uint8_t data[];
};

/* A blob of at least need bytes for the builder to fill: *b itself when only the builder
 * holds it (grown if needed), else a fresh one (*b's reference is dropped). -ENOMEM. */
int disc_blob_reserve(struct disc_blob **b, size_t need);
struct disc_blob *disc_blob_ref(struct disc_blob *b);
void disc_blob_unref(struct disc_blob *b);

/* A read of [off, off + len) of a log made of a prefix (header, self entries: built per
 * read, copied) and a shared body, split in that order into the bytes to copy, the body
 * bytes to reference, and the zeros past the end. */
struct disc_log_slice {
	uint32_t copy_len;
	uint64_t body_off;
	uint32_t body_len;
	uint32_t zero_len;
};
void disc_log_slice(uint64_t prefix_len, uint64_t body_len, uint64_t off, uint32_t len,
		    struct disc_log_slice *s);

/* Fill one 1024-byte entry for a port. */
void disc_entry_fill(struct nvmf_disc_log_entry *e, uint8_t subtype, const struct cdc_port *port,
		     const char *subnqn, uint16_t eflags);

/* SUBTYPE 3 (current discovery subsystem) entries, one per listener. A wildcard listener
 * is reported with the address the host connected to (local), since a host cannot use
 * 0.0.0.0; wildcard listeners of the other family are left out. Returns the count. */
size_t disc_log_self_entries(const struct cdc_listen *listen, size_t nlisten,
			     const struct sockaddr *local, const char *nqn,
			     struct nvmf_disc_log_entry *out, size_t max);

uint64_t disc_log_size(const struct disc_log_view *v);

/* Copy len bytes of the log starting at byte off into dst; bytes past the end are zero.
 * -EINVAL when off lies beyond the end of the log (the host gets Invalid Field). */
int disc_log_read(const struct disc_log_view *v, uint64_t off, uint8_t *dst, size_t len);

/* The connection address sa as an entry's ADRFAM and TRADDR. */
void disc_addr_port(const struct sockaddr *sa, struct cdc_port *port);

/* Log 71h (Host Discovery, TP8010, protocol.md 7.2). libnvme 1.3 has no structs for it (later
 * ones call them nvme_host_discover_log and nvme_host_ext_discover_log); the offsets are
 * pinned below. */
#define DISC_LID_HOST_DISCOVERY 0x71

struct disc_hostlog_hdr {
	uint64_t genctr; /* le */
	uint64_t numrec; /* le */
	uint16_t recfmt; /* le; 0 */
	uint8_t hdlpf;	 /* bit 0 ALLHOST */
	uint8_t rsvd19;
	uint32_t thdlpl; /* le; total length of the log in bytes */
	uint8_t rsvd24[1000];
} __attribute__((packed));

struct disc_hostlog_entry {
	uint8_t trtype;
	uint8_t adrfam;
	uint8_t rsvd2[8];
	uint16_t eflags; /* le; NVMF_DISC_EFLAGS_NCC only */
	uint8_t rsvd12[244];
	char hostnqn[NVME_NQN_LENGTH];
	char traddr[NVMF_TRADDR_SIZE];
	union nvmf_tsas tsas;
	uint32_t tel;	  /* le; this entry's length, extended attributes included */
	uint16_t numexat; /* le; at least 1: the Host Identifier */
	uint8_t rsvd1030[2];
	uint8_t exat[]; /* struct nvmf_ext_attr, each value padded to a dword */
} __attribute__((packed));

_Static_assert(sizeof(struct disc_hostlog_hdr) == DISC_LOG_HDR_LEN, "71h header");
_Static_assert(offsetof(struct disc_hostlog_hdr, thdlpl) == 20, "71h THDLPL");
_Static_assert(offsetof(struct disc_hostlog_entry, eflags) == 10, "71h EFLAGS");
_Static_assert(offsetof(struct disc_hostlog_entry, hostnqn) == 256, "71h HOSTNQN");
_Static_assert(offsetof(struct disc_hostlog_entry, traddr) == 512, "71h TRADDR");
_Static_assert(offsetof(struct disc_hostlog_entry, tsas) == 768, "71h TSAS");
_Static_assert(offsetof(struct disc_hostlog_entry, tel) == 1024, "71h TEL");
_Static_assert(offsetof(struct disc_hostlog_entry, numexat) == 1028, "71h NUMEXAT");
_Static_assert(offsetof(struct disc_hostlog_entry, exat) == 1032, "71h EXAT");

#define HOSTLOG_ENTRY_FIXED 1024 /* up to TEL: the part of the entry that is not its own length */
#define HOSTLOG_EXAT_OFF    offsetof(struct disc_hostlog_entry, exat)

/* The length (TEL) of h's 71h entry: the fixed part, the Host Identifier and, when h has one,
 * the symbolic name padded to a dword. */
size_t disc_hostlog_entry_len(const struct host_rec *h);

/* Write h's 71h entry into p (len bytes, as disc_hostlog_entry_len() said). EFLAGS is the
 * caller's: whether the host is connected (NCC) is no part of the record. */
void disc_hostlog_entry_fill(uint8_t *p, size_t len, const struct host_rec *h, uint16_t eflags);

/* Log 71h as read: header then the entries fabric built, sliced like 70h. entries may be NULL
 * when dst covers only the header. */
int disc_hostlog_read(uint64_t genctr, const uint8_t *entries, size_t len, size_t nrec,
		      uint64_t off, uint8_t *dst, size_t dlen);

/* The Supported Log Pages page (LID 00h): 256 le32, index = LID. */
#define DISC_SUPPORTED_LOGS_LEN 1024
void disc_log_supported(uint8_t out[DISC_SUPPORTED_LOGS_LEN]);

#endif
