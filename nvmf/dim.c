/* dim.c - DIM command data (SPEC 5.4.4, protocol.md 7.1): bytes in, a checked request out.
 * Every field is read at its offset with get_le* (the data is unaligned and untrusted); the
 * only allocation is the entry array, once NUMENT is bounded by max_entries and by TDL. */

#include <endian.h>
#include <errno.h>
#include <nvme/types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "dim.h"
#include "disc_log.h"
#include "nvmf_tcp.h"

/* Offsets in the data header (struct nvmf_dim_data). */
enum {
	H_TDL = offsetof(struct nvmf_dim_data, tdl),
	H_NUMENT = offsetof(struct nvmf_dim_data, nument),
	H_ENTFMT = offsetof(struct nvmf_dim_data, entfmt),
	H_ETYPE = offsetof(struct nvmf_dim_data, etype),
	H_PORTLCL = offsetof(struct nvmf_dim_data, portlcl),
	H_EKTYPE = offsetof(struct nvmf_dim_data, ektype),
	H_EID = offsetof(struct nvmf_dim_data, eid),
	H_ENAME = offsetof(struct nvmf_dim_data, ename),
	H_EVER = offsetof(struct nvmf_dim_data, ever),
	H_LEN = sizeof(struct nvmf_dim_data),
};

/* Offsets in an entry (struct nvmf_ext_die; a basic entry is its first 1024 bytes). */
enum {
	E_TRTYPE = offsetof(struct nvmf_ext_die, trtype),
	E_ADRFAM = offsetof(struct nvmf_ext_die, adrfam),
	E_SUBTYPE = offsetof(struct nvmf_ext_die, subtype),
	E_TREQ = offsetof(struct nvmf_ext_die, treq),
	E_PORTID = offsetof(struct nvmf_ext_die, portid),
	E_ASQSZ = offsetof(struct nvmf_ext_die, asqsz),
	E_TRSVCID = offsetof(struct nvmf_ext_die, trsvcid),
	E_NQN = offsetof(struct nvmf_ext_die, nqn),
	E_TRADDR = offsetof(struct nvmf_ext_die, traddr),
	E_SECTYPE = offsetof(struct nvmf_ext_die, tsas.tcp.sectype),
	E_TEL = offsetof(struct nvmf_ext_die, tel),
	E_NUMEXAT = offsetof(struct nvmf_ext_die, numexat),
	E_BASIC_LEN = sizeof(struct nvmf_disc_log_entry),
	E_EXT_MIN = sizeof(struct nvmf_ext_die),
	X_TYPE = offsetof(struct nvmf_ext_attr, exattype),
	X_LEN = offsetof(struct nvmf_ext_attr, exatlen),
	X_HDR = sizeof(struct nvmf_ext_attr),
};

#define HOSTID_LEN 16

_Static_assert(H_LEN == 1024 && E_BASIC_LEN == 1024 && E_EXT_MIN == 1032 && X_HDR == 4,
	       "DIM layouts as in protocol.md 6.3, 6.4 and 7.1");
_Static_assert(E_TRADDR == offsetof(struct nvmf_disc_log_entry, traddr) &&
		       E_SECTYPE == offsetof(struct nvmf_disc_log_entry, tsas.tcp.sectype),
	       "a basic entry is the first 1024 bytes of an extended one");
_Static_assert(CDC_TRADDR_MAX + 1 >= NVMF_TRADDR_SIZE && CDC_TRSVCID_MAX + 1 >= NVMF_TRSVCID_SIZE,
	       "a NUL-terminated TRADDR or TRSVCID field always fits");

static uint16_t fail(uint32_t *err_off, uint32_t off, uint16_t status)
{
	*err_off = off;
	return status;
}

static uint16_t invalid_field(uint32_t *err_off, uint32_t off)
{
	return fail(err_off, off, nvme_status(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD, true));
}

static uint16_t invalid_info(uint32_t *err_off, uint32_t off)
{
	return fail(err_off, off,
		    nvme_status(NVME_SCT_CMD_SPECIFIC, NVME_SC_INVALID_DISCOVERY_INFO, true));
}

static uint16_t no_resources(uint32_t *err_off, uint32_t off)
{
	return fail(err_off, off,
		    nvme_status(NVME_SCT_CMD_SPECIFIC, NVME_SC_INSUFFICIENT_DISC_RES, false));
}

/* Length of the string in a fixed-width field, or -1 if the field has no NUL. */
static int field_len(const uint8_t *p, size_t width)
{
	const uint8_t *nul = memchr(p, 0, width);

	return nul ? (int)(nul - p) : -1;
}

/* Copies a field's n bytes (n < the size of dst) as a string. */
static void copy_field(char *dst, const uint8_t *p, size_t n)
{
	memcpy(dst, p, n);
	dst[n] = '\0';
}

/* The NUL-terminated NQN, TRADDR and TRSVCID fields of the entry at off, copied out. */
struct entry_text {
	char nqn[CDC_NQN_MAX + 1];
	bool nqn_fits;
	char traddr[CDC_TRADDR_MAX + 1];
	char trsvcid[CDC_TRSVCID_MAX + 1];
};

static uint16_t entry_text(const uint8_t *data, uint32_t off, struct entry_text *t,
			   uint32_t *err_off)
{
	int nqn = field_len(data + off + E_NQN, NVME_NQN_LENGTH);
	int traddr = field_len(data + off + E_TRADDR, NVMF_TRADDR_SIZE);
	int trsvcid = field_len(data + off + E_TRSVCID, NVMF_TRSVCID_SIZE);

	if (nqn < 0)
		return invalid_field(err_off, off + E_NQN);
	if (traddr < 0)
		return invalid_field(err_off, off + E_TRADDR);
	if (trsvcid < 0)
		return invalid_field(err_off, off + E_TRSVCID);
	/* An NQN longer than CDC_NQN_MAX is not an NQN; the caller decides the status. */
	t->nqn_fits = nqn <= CDC_NQN_MAX;
	copy_field(t->nqn, data + off + E_NQN, t->nqn_fits ? (size_t)nqn : 0);
	copy_field(t->traddr, data + off + E_TRADDR, (size_t)traddr);
	copy_field(t->trsvcid, data + off + E_TRSVCID, (size_t)trsvcid);
	return 0;
}

/* Walks the NUMEXAT extended attributes of the entry at off (TEL bytes, already checked). For a
 * host entry (h not NULL) it picks up the Host Identifier and the admin label. */
static uint16_t entry_exat(const uint8_t *data, uint32_t off, uint32_t tel, struct host_rec *h,
			   bool *hostid, uint32_t *err_off)
{
	uint16_t numexat = get_le16(data + off + E_NUMEXAT);
	uint32_t end = off + tel;
	uint32_t a = off + E_EXT_MIN;

	for (uint16_t i = 0; i < numexat; i++) {
		if (end - a < X_HDR)
			return invalid_field(err_off, off + E_NUMEXAT);
		uint16_t exattype = get_le16(data + a + X_TYPE);
		uint16_t exatlen = get_le16(data + a + X_LEN);
		const uint8_t *exatval = data + a + X_HDR;

		if (!exatlen || exatlen % 4 || exatlen > end - a - X_HDR)
			return invalid_field(err_off, a + X_LEN);
		switch (h ? exattype : 0) {
		case NVMF_EXATTYPE_HOSTID:
			if (exatlen == HOSTID_LEN) {
				memcpy(h->hostid, exatval, HOSTID_LEN);
				*hostid = true;
			}
			break;
		case NVMF_EXATTYPE_SYMNAME:
		case DIM_EXATTYPE_LABEL8: {
			/* Spaces (libnvme) or NULs (SPEC) pad the label. */
			size_t n = exatlen;

			while (n && (exatval[n - 1] == ' ' || exatval[n - 1] == '\0'))
				n--;
			(void)wire_text_get(h->symname, sizeof(h->symname), exatval, n);
			break;
		}
		default: /* unknown attributes, and any of a subsystem entry, are skipped */
			break;
		}
		a += X_HDR + exatlen;
	}
	return 0;
}

/* A TRADDR that is no numeric address of ADRFAM is a bad field; the wildcard, an address but
 * not one a host can connect to, is bad discovery information. Rewrites it canonically. */
static uint16_t traddr_check(uint8_t adrfam, char *traddr, size_t size, uint32_t off,
			     uint32_t *err_off)
{
	int ret = addr_traddr_canon(&adrfam, traddr, size);

	if (ret == -EADDRNOTAVAIL)
		return invalid_info(err_off, off);
	return ret ? invalid_field(err_off, off) : 0;
}

static uint16_t host_entry(const struct dim_request *req, const uint8_t *data, uint32_t off,
			   const struct entry_text *t, bool hostid, struct dim_entry *de,
			   uint32_t *err_off)
{
	struct host_rec *h = &de->host;

	de->is_host = true;
	h->trtype = data[off + E_TRTYPE];
	h->adrfam = data[off + E_ADRFAM];
	h->sectype = data[off + E_SECTYPE];
	if (h->trtype != NVMF_TRTYPE_TCP)
		return invalid_info(err_off, off + E_TRTYPE);
	if (h->adrfam != NVMF_ADDR_FAMILY_IP4 && h->adrfam != NVMF_ADDR_FAMILY_IP6)
		return invalid_info(err_off, off + E_ADRFAM);
	if (!t->nqn_fits || !nqn_is_valid(t->nqn) || strcmp(t->nqn, req->entity.nqn))
		return invalid_info(err_off, off + E_NQN);
	if (!hostid)
		return invalid_info(err_off, off + E_NUMEXAT);
	memcpy(h->hostnqn, t->nqn, sizeof(h->hostnqn));
	memcpy(h->traddr, t->traddr, sizeof(h->traddr));
	memcpy(h->trsvcid, t->trsvcid, sizeof(h->trsvcid));
	if (!h->traddr[0]) {
		/* "Use the address I am connecting from": one entry only. */
		if (req->nument != 1)
			return invalid_field(err_off, off + E_TRADDR);
		de->traddr_from_peer = true;
	} else {
		uint16_t st = traddr_check(h->adrfam, h->traddr, sizeof(h->traddr), off + E_TRADDR,
					   err_off);
		if (st)
			return st;
	}
	/* libnvme leaves TRSVCID empty; a host that fills it in names a port. */
	if (h->trsvcid[0] && addr_trsvcid_canon(h->trsvcid, h->trsvcid, sizeof(h->trsvcid)))
		return invalid_field(err_off, off + E_TRSVCID);
	return 0;
}

static uint16_t subsys_entry(const struct dim_request *req, const uint8_t *data, uint32_t off,
			     const struct entry_text *t, struct dim_entry *de, uint32_t *err_off)
{
	struct log_rec *rec = &de->rec;
	struct cdc_port *port = &rec->port;

	de->is_host = false;
	rec->subtype = data[off + E_SUBTYPE];
	rec->asqsz = get_le16(data + off + E_ASQSZ);
	port->trtype = data[off + E_TRTYPE];
	port->adrfam = data[off + E_ADRFAM];
	port->treq = data[off + E_TREQ];
	port->sectype = data[off + E_SECTYPE];
	port->portid = get_le16(data + off + E_PORTID);
	if (rec->subtype != NVME_NQN_NVME && rec->subtype != NVME_NQN_DISC)
		return invalid_info(err_off, off + E_SUBTYPE);
	if (port->trtype != NVMF_TRTYPE_TCP)
		return invalid_info(err_off, off + E_TRTYPE);
	if (port->adrfam != NVMF_ADDR_FAMILY_IP4 && port->adrfam != NVMF_ADDR_FAMILY_IP6)
		return invalid_info(err_off, off + E_ADRFAM);
	if (!t->nqn_fits || !nqn_is_valid(t->nqn))
		return invalid_field(err_off, off + E_NQN);
	memcpy(rec->subnqn, t->nqn, sizeof(rec->subnqn));
	memcpy(rec->owner, req->entity.nqn, sizeof(rec->owner));
	memcpy(port->traddr, t->traddr, sizeof(port->traddr));
	memcpy(port->trsvcid, t->trsvcid, sizeof(port->trsvcid));
	uint16_t st = traddr_check(port->adrfam, port->traddr, sizeof(port->traddr), off + E_TRADDR,
				   err_off);
	if (st)
		return st;
	if (addr_trsvcid_canon(port->trsvcid, port->trsvcid, sizeof(port->trsvcid)))
		return invalid_field(err_off, off + E_TRSVCID);
	return 0;
}

/* Parses the entry at *off (within len) into de and moves *off past it. */
static uint16_t parse_entry(const struct dim_request *req, const uint8_t *data, uint32_t len,
			    uint32_t *off, struct dim_entry *de, uint32_t *err_off)
{
	uint32_t o = *off, elen = E_BASIC_LEN;
	struct entry_text t;
	bool hostid = false;
	uint16_t st;

	if (req->entfmt == NVMF_DIM_ENTFMT_BASIC) {
		if (len - o < E_BASIC_LEN)
			return invalid_field(err_off, H_NUMENT);
	} else {
		if (len - o < E_EXT_MIN)
			return invalid_field(err_off, o + E_TEL);
		elen = get_le32(data + o + E_TEL);
		if (elen % 4 || elen < E_EXT_MIN || elen > len - o)
			return invalid_field(err_off, o + E_TEL);
		st = entry_exat(data, o, elen, req->etype == NVMF_DIM_ETYPE_DDC ? NULL : &de->host,
				&hostid, err_off);
		if (st)
			return st;
	}
	st = entry_text(data, o, &t, err_off);
	if (!st)
		st = req->etype == NVMF_DIM_ETYPE_DDC
			     ? subsys_entry(req, data, o, &t, de, err_off)
			     : host_entry(req, data, o, &t, hostid, de, err_off);
	*off = o + elen;
	return st;
}

/* The header checks (everything before the entries), filling req. */
static uint16_t parse_header(uint32_t cdw10, const uint8_t *data, uint32_t len, size_t max_entries,
			     struct dim_request *req, uint32_t *err_off)
{
	uint64_t nument;
	int eid;

	req->tas = cdw10 & 0xf;
	if (req->tas > NVMF_DIM_TAS_UPDATE)
		return invalid_field(err_off, 0);
	if (!data || len < H_LEN || get_le32(data + H_TDL) != len)
		return invalid_field(err_off, H_TDL);
	nument = get_le64(data + H_NUMENT);
	if (!nument || (req->tas == NVMF_DIM_TAS_UPDATE && nument != 2))
		return invalid_field(err_off, H_NUMENT);
	if (nument > max_entries)
		return no_resources(err_off, H_NUMENT);

	req->entfmt = get_le16(data + H_ENTFMT);
	req->etype = get_le16(data + H_ETYPE);
	req->portlcl = data[H_PORTLCL];
	req->ektype = get_le16(data + H_EKTYPE);
	if (req->entfmt != NVMF_DIM_ENTFMT_BASIC && req->entfmt != NVMF_DIM_ENTFMT_EXTENDED)
		return invalid_field(err_off, H_ENTFMT);
	if (req->etype < NVMF_DIM_ETYPE_HOST || req->etype > NVMF_DIM_ETYPE_CDC)
		return invalid_field(err_off, H_ETYPE);
	if (req->portlcl && req->etype != NVMF_DIM_ETYPE_DDC)
		return invalid_field(err_off, H_PORTLCL);
	if (req->ektype != DIM_EKTYPE_TRADDR &&
	    (req->ektype != DIM_EKTYPE_PORTID || req->etype != NVMF_DIM_ETYPE_DDC))
		return invalid_field(err_off, H_EKTYPE);
	if (req->etype != NVMF_DIM_ETYPE_DDC && req->entfmt != NVMF_DIM_ENTFMT_EXTENDED)
		return invalid_info(err_off, H_ENTFMT); /* host entries are extended entries */

	eid = field_len(data + H_EID, NVME_NQN_LENGTH);
	if (eid < 0 || eid > CDC_NQN_MAX)
		return invalid_field(err_off, H_EID);
	copy_field(req->entity.nqn, data + H_EID, (size_t)eid);
	if (!nqn_is_valid(req->entity.nqn))
		return invalid_field(err_off, H_EID);
	req->entity.etype = (uint8_t)req->etype;
	(void)wire_text_get(req->entity.ename, sizeof(req->entity.ename), data + H_ENAME,
			    NVMF_ENAME_LEN);
	(void)wire_text_get(req->entity.ever, sizeof(req->entity.ever), data + H_EVER,
			    NVMF_EVER_LEN);

	/* Every entry takes at least this much: refuse a NUMENT the data cannot hold before
	 * allocating for it. */
	if (nument >
	    (len - H_LEN) / (req->entfmt == NVMF_DIM_ENTFMT_BASIC ? E_BASIC_LEN : E_EXT_MIN))
		return invalid_field(err_off, H_NUMENT);
	req->nument = (size_t)nument;
	return 0;
}

uint16_t dim_parse(uint32_t cdw10, const uint8_t *data, uint32_t len, size_t max_entries,
		   struct dim_request *req, uint32_t *err_off)
{
	uint32_t off = H_LEN;
	uint16_t st;

	memset(req, 0, sizeof(*req));
	*err_off = 0;
	st = parse_header(cdw10, data, len, max_entries, req, err_off);
	if (st)
		goto out;
	req->entries = calloc(req->nument, sizeof(*req->entries));
	if (!req->entries) {
		st = no_resources(err_off, H_NUMENT);
		goto out;
	}
	for (size_t i = 0; i < req->nument; i++) {
		st = parse_entry(req, data, len, &off, &req->entries[i], err_off);
		if (st)
			goto out;
	}
	if (off != len)
		st = invalid_field(err_off, off); /* bytes after the last entry */
out:
	if (st) {
		dim_request_free(req);
		memset(req, 0, sizeof(*req));
	}
	return st;
}

void dim_request_free(struct dim_request *req)
{
	free(req->entries);
	req->entries = NULL;
	req->nument = 0;
}

bool dim_rec_key_match(uint16_t ektype, const struct log_rec *a, const struct log_rec *b)
{
	const struct cdc_port *pa = &a->port, *pb = &b->port;

	if (strcmp(a->subnqn, b->subnqn) || pa->sectype != pb->sectype ||
	    strcmp(pa->trsvcid, pb->trsvcid) || pa->adrfam != pb->adrfam ||
	    pa->trtype != pb->trtype)
		return false;
	switch (ektype) {
	case DIM_EKTYPE_TRADDR:
		return !strcmp(pa->traddr, pb->traddr);
	case DIM_EKTYPE_PORTID:
		return pa->portid == pb->portid;
	}
	return false;
}

bool dim_host_key_match(const struct host_rec *a, const struct host_rec *b)
{
	return !strcmp(a->hostnqn, b->hostnqn) && a->sectype == b->sectype &&
	       !strcmp(a->trsvcid, b->trsvcid) && a->adrfam == b->adrfam &&
	       a->trtype == b->trtype && !strcmp(a->traddr, b->traddr);
}

/* ASCII fields need no NUL: a 64-character EVER fills its 64 bytes (the parser takes all
 * 64 back). */
static void put_field(uint8_t *p, size_t size, const char *s)
{
	memcpy(p, s, strnlen(s, size));
}

size_t dim_encode_ddc(uint8_t *buf, size_t size, uint16_t ektype, const struct entity *e,
		      const struct log_rec *recs, size_t n)
{
	size_t tdl = H_LEN + n * DISC_LOG_ENTRY_LEN;

	if (tdl > size || tdl > UINT32_MAX)
		return 0;
	memset(buf, 0, H_LEN);
	put_le32(buf + H_TDL, (uint32_t)tdl);
	put_le64(buf + H_NUMENT, n);
	put_le16(buf + H_ENTFMT, NVMF_DIM_ENTFMT_BASIC);
	put_le16(buf + H_ETYPE, NVMF_DIM_ETYPE_DDC);
	put_le16(buf + H_EKTYPE, ektype);
	put_field(buf + H_EID, NVME_NQN_LENGTH, e->nqn);
	put_field(buf + H_ENAME, NVMF_ENAME_LEN, e->ename);
	put_field(buf + H_EVER, NVMF_EVER_LEN, e->ever);
	/* A basic DIE is a log entry; EFLAGS lies in what the DIE keeps reserved, left 0.
	 * Built aside and copied: buf has no alignment to promise. */
	for (size_t i = 0; i < n; i++) {
		struct nvmf_disc_log_entry die;
		disc_entry_fill(&die, recs[i].subtype, &recs[i].port, recs[i].subnqn, 0);
		if (recs[i].asqsz)
			die.asqsz = htole16(recs[i].asqsz);
		memcpy(buf + H_LEN + i * DISC_LOG_ENTRY_LEN, &die, sizeof(die));
	}
	return tdl;
}
