/* test_dim.c - unit tests for nvmf/dim.c: DIM data built the way libnvme's nvmf_dim() and a DDC
 * build it parses into the expected records, every rejection rule answers with its status, DNR
 * and field offset, entry keys match under both EKTYPEs, and no single-byte change crashes. */

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nvme/types.h>

#include "addr.h"
#include "dim.h"
#include "model.h"
#include "nvmf_tcp.h"

#define HOSTNQN	 "nqn.2014-08.org.nvmexpress:uuid:4c4c4544-0034-5810-8051-b4c04f4e4a33"
#define HOST2NQN "nqn.2014-08.org.nvmexpress:uuid:0f9c3a52-7d4e-4a8b-9c1d-2e3f4a5b6c7d"
#define DDCNQN	 "nqn.2024-01.com.example:ddc1"
#define SUBNQN1	 "nqn.2024-01.com.example:subsys1"
#define SUBNQN2	 "nqn.2024-01.com.example:subsys2"
#define ENAME	 "node12.example.com"
#define EVER	 "Linux 6.1.0-56-amd64"

/* The three statuses dim_parse() answers with, in libnvme form (protocol.md 11 has the wire
 * form, shifted left by one). */
#define ST_INVALID_FIELD 0x4002 /* SCT 0, SC 02h, DNR */
#define ST_INVALID_INFO	 0x412f /* SCT 1, SC 2Fh, DNR */
#define ST_NO_RESOURCES	 0x0132 /* SCT 1, SC 32h, no DNR */

/* Offsets of the fields the rejections point at (protocol.md 6.3, 6.4, 7.1). */
#define O_TDL	    0
#define O_NUMENT    8
#define O_ENTFMT    16
#define O_ETYPE	    18
#define O_PORTLCL   20
#define O_EKTYPE    22
#define O_EID	    24
#define O_ENAME	    280
#define O_EVER	    536
#define O_DIE	    1024 /* the first entry */
#define E_TRTYPE    0
#define E_ADRFAM    1
#define E_SUBTYPE   2
#define E_TREQ	    3
#define E_PORTID    4
#define E_CNTLID    6
#define E_ASQSZ	    8
#define E_TRSVCID   32
#define E_NQN	    256
#define E_TRADDR    512
#define E_SECTYPE   768
#define E_TEL	    1024
#define E_NUMEXAT   1028
#define E_EXAT	    1032
#define HOST_TEL    1052 /* libnvme: the entry and one Host Identifier attribute */
#define LIBNVME_TDL 2076

static const uint8_t HOSTID[16] = {0x4c, 0x4c, 0x45, 0x44, 0x00, 0x34, 0x58, 0x10,
				   0x80, 0x51, 0xb4, 0xc0, 0x4f, 0x4e, 0x4a, 0x33};

struct dim_buf {
	uint8_t b[8192];
	uint32_t len;
};

static void put_str(uint8_t *p, const char *s)
{
	memcpy(p, s, strlen(s));
}

static uint32_t roundup4(size_t n)
{
	return (uint32_t)((n + 3) & ~(size_t)3);
}

/* The 1024-byte header; TDL is written by finish(). */
static void hdr(struct dim_buf *d, uint64_t nument, uint16_t entfmt, uint16_t etype,
		uint16_t ektype, const char *eid)
{
	memset(d, 0, sizeof(*d));
	put_le64(d->b + O_NUMENT, nument);
	put_le16(d->b + O_ENTFMT, entfmt);
	put_le16(d->b + O_ETYPE, etype);
	put_le16(d->b + O_EKTYPE, ektype);
	put_str(d->b + O_EID, eid);
	put_str(d->b + O_ENAME, ENAME);
	put_str(d->b + O_EVER, EVER);
	d->len = 1024;
}

static void finish(struct dim_buf *d)
{
	put_le32(d->b + O_TDL, d->len);
}

/* Appends an extended host entry as libnvme's nvmf_fill_die() writes it (symname padded with
 * spaces); returns its offset. */
static uint32_t add_host(struct dim_buf *d, uint8_t adrfam, const char *nqn, const char *traddr,
			 const char *symname)
{
	uint32_t off = d->len, tel = HOST_TEL;
	size_t n = symname ? strlen(symname) : 0;
	uint8_t *e = d->b + off;

	if (n)
		tel += 4 + roundup4(n);
	e[E_TRTYPE] = NVMF_TRTYPE_TCP;
	e[E_ADRFAM] = adrfam;
	put_str(e + E_NQN, nqn);
	put_str(e + E_TRADDR, traddr);
	put_le32(e + E_TEL, tel);
	put_le16(e + E_NUMEXAT, n ? 2 : 1);
	put_le16(e + E_EXAT, NVMF_EXATTYPE_HOSTID);
	put_le16(e + E_EXAT + 2, 16);
	memcpy(e + E_EXAT + 4, HOSTID, 16);
	if (n) {
		put_le16(e + E_EXAT + 20, NVMF_EXATTYPE_SYMNAME);
		put_le16(e + E_EXAT + 22, (uint16_t)roundup4(n));
		memcpy(e + E_EXAT + 24, symname, n);
		memset(e + E_EXAT + 24 + n, ' ', roundup4(n) - n);
	}
	d->len += tel;
	return off;
}

struct port_spec {
	uint8_t subtype, adrfam, treq, sectype;
	uint16_t portid, asqsz;
	const char *nqn, *traddr, *trsvcid;
};

static const struct port_spec PORT1 = {NVME_NQN_NVME, NVMF_ADDR_FAMILY_IP4, 1,	   2, 1, 32,
				       SUBNQN1,	      "192.0.2.10",	    "4420"};
static const struct port_spec PORT2 = {NVME_NQN_NVME, NVMF_ADDR_FAMILY_IP6, 2,	   0, 2, 128,
				       SUBNQN2,	      "2001:db8::10",	    "4421"};

/* Appends a subsystem entry (basic: 1024 bytes; extended: TEL 1032, no attributes). */
static uint32_t add_port(struct dim_buf *d, bool extended, const struct port_spec *ps)
{
	uint32_t off = d->len;
	uint8_t *e = d->b + off;

	e[E_TRTYPE] = NVMF_TRTYPE_TCP;
	e[E_ADRFAM] = ps->adrfam;
	e[E_SUBTYPE] = ps->subtype;
	e[E_TREQ] = ps->treq;
	put_le16(e + E_PORTID, ps->portid);
	put_le16(e + E_CNTLID, 0xffff);
	put_le16(e + E_ASQSZ, ps->asqsz);
	put_str(e + E_TRSVCID, ps->trsvcid);
	put_str(e + E_NQN, ps->nqn);
	put_str(e + E_TRADDR, ps->traddr);
	e[E_SECTYPE] = ps->sectype;
	d->len += 1024;
	if (extended) {
		put_le32(e + E_TEL, 1032);
		d->len += 8;
	}
	return off;
}

/* What libnvme's nvmf_register_ctrl() sends: one host entry, TRADDR empty. */
static void host_register(struct dim_buf *d, const char *symname)
{
	hdr(d, 1, NVMF_DIM_ENTFMT_EXTENDED, NVMF_DIM_ETYPE_HOST, DIM_EKTYPE_TRADDR, HOSTNQN);
	add_host(d, NVMF_ADDR_FAMILY_IP4, HOSTNQN, "", symname);
	finish(d);
}

/* A DDC registering PORT1 and PORT2. */
static void ddc_register(struct dim_buf *d, bool extended, uint16_t ektype)
{
	hdr(d, 2, extended ? NVMF_DIM_ENTFMT_EXTENDED : NVMF_DIM_ENTFMT_BASIC, NVMF_DIM_ETYPE_DDC,
	    ektype, DDCNQN);
	add_port(d, extended, &PORT1);
	add_port(d, extended, &PORT2);
	finish(d);
}

static uint16_t parse(const struct dim_buf *d, uint32_t cdw10, struct dim_request *req,
		      uint32_t *err_off)
{
	*err_off = 0xdeadbeef;
	return dim_parse(cdw10, d->b, d->len, 64, req, err_off);
}

/* dim_parse() refuses d (TAS from cdw10) with status st pointing at byte off, and leaves no
 * entries behind. */
#define ck_refused(d, cdw10, st, off)                                                              \
	do {                                                                                       \
		struct dim_request req_;                                                           \
		uint32_t off_;                                                                     \
		ck_assert_uint_eq(parse((d), (cdw10), &req_, &off_), (st));                        \
		ck_assert_uint_eq(off_, (off));                                                    \
		ck_assert_ptr_null(req_.entries);                                                  \
		ck_assert_uint_eq(req_.nument, 0);                                                 \
	} while (0)

static void ck_port(const struct dim_entry *de, const struct port_spec *ps, const char *traddr)
{
	ck_assert(!de->is_host);
	ck_assert(!de->traddr_from_peer);
	ck_assert_str_eq(de->rec.owner, DDCNQN);
	ck_assert_uint_eq(de->rec.source, 0);
	ck_assert_uint_eq(de->rec.subtype, ps->subtype);
	ck_assert_uint_eq(de->rec.asqsz, ps->asqsz);
	ck_assert_str_eq(de->rec.subnqn, ps->nqn);
	ck_assert_uint_eq(de->rec.port.trtype, NVMF_TRTYPE_TCP);
	ck_assert_uint_eq(de->rec.port.adrfam, ps->adrfam);
	ck_assert_uint_eq(de->rec.port.treq, ps->treq);
	ck_assert_uint_eq(de->rec.port.sectype, ps->sectype);
	ck_assert_uint_eq(de->rec.port.portid, ps->portid);
	ck_assert_str_eq(de->rec.port.traddr, traddr ? traddr : ps->traddr);
	ck_assert_str_eq(de->rec.port.trsvcid, ps->trsvcid);
}

/* ---- what parses ---- */

START_TEST(statuses_are_invalid_field_invalid_information_and_insufficient_resources)
{
	ck_assert_uint_eq(ST_INVALID_FIELD,
			  nvme_status(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD, true));
	ck_assert_uint_eq(ST_INVALID_INFO,
			  nvme_status(NVME_SCT_CMD_SPECIFIC, NVME_SC_INVALID_DISCOVERY_INFO, true));
	ck_assert_uint_eq(ST_NO_RESOURCES,
			  nvme_status(NVME_SCT_CMD_SPECIFIC, NVME_SC_INSUFFICIENT_DISC_RES, false));
	ck_assert_uint_eq(nvme_status_wire(ST_INVALID_FIELD), 0x8004);
	ck_assert_uint_eq(nvme_status_wire(ST_INVALID_INFO), 0x825e);
	ck_assert_uint_eq(nvme_status_wire(ST_NO_RESOURCES), 0x0264);
}
END_TEST

START_TEST(libnvme_host_register_parses_into_entity_and_host_record)
{
	struct dim_buf d;
	struct dim_request req;
	uint32_t off;

	host_register(&d, NULL);
	ck_assert_uint_eq(d.len, LIBNVME_TDL);
	ck_assert_uint_eq(parse(&d, NVMF_DIM_TAS_REGISTER, &req, &off), 0);
	ck_assert_uint_eq(off, 0);
	ck_assert_uint_eq(req.tas, NVMF_DIM_TAS_REGISTER);
	ck_assert_uint_eq(req.entfmt, NVMF_DIM_ENTFMT_EXTENDED);
	ck_assert_uint_eq(req.etype, NVMF_DIM_ETYPE_HOST);
	ck_assert_uint_eq(req.ektype, 0x5f);
	ck_assert_uint_eq(req.portlcl, 0);
	ck_assert_str_eq(req.entity.nqn, HOSTNQN);
	ck_assert_uint_eq(req.entity.etype, NVMF_DIM_ETYPE_HOST);
	ck_assert_uint_eq(req.entity.source, 0);
	ck_assert_str_eq(req.entity.ename, ENAME);
	ck_assert_str_eq(req.entity.ever, EVER);
	ck_assert_str_eq(req.entity.regnqn, "");
	ck_assert_int_eq(req.entity.first_seen, 0);
	ck_assert_int_eq(req.entity.last_seen, 0);
	ck_assert_uint_eq(req.nument, 1);
	ck_assert_ptr_nonnull(req.entries);

	const struct dim_entry *de = &req.entries[0];
	ck_assert(de->is_host);
	ck_assert(de->traddr_from_peer);
	ck_assert_str_eq(de->host.hostnqn, HOSTNQN);
	ck_assert_uint_eq(de->host.source, 0);
	ck_assert_uint_eq(de->host.trtype, NVMF_TRTYPE_TCP);
	ck_assert_uint_eq(de->host.adrfam, NVMF_ADDR_FAMILY_IP4);
	ck_assert_uint_eq(de->host.sectype, 0);
	ck_assert_str_eq(de->host.traddr, "");
	ck_assert_str_eq(de->host.trsvcid, "");
	ck_assert_mem_eq(de->host.hostid, HOSTID, 16);
	ck_assert_str_eq(de->host.symname, "");
	dim_request_free(&req);
	ck_assert_ptr_null(req.entries);
	ck_assert_uint_eq(req.nument, 0);
	dim_request_free(&req); /* twice is harmless */
}
END_TEST

START_TEST(host_symbolic_name_loses_the_spaces_libnvme_pads_it_with)
{
	struct dim_buf d;
	struct dim_request req;
	uint32_t off;

	host_register(&d, "web-01");
	ck_assert_uint_eq(d.len, 1024 + 1032 + 20 + 4 + 8);
	ck_assert_uint_eq(get_le16(d.b + O_DIE + E_NUMEXAT), 2);
	ck_assert_uint_eq(parse(&d, NVMF_DIM_TAS_REGISTER, &req, &off), 0);
	ck_assert_str_eq(req.entries[0].host.symname, "web-01");
	ck_assert_mem_eq(req.entries[0].host.hostid, HOSTID, 16);
	dim_request_free(&req);
}
END_TEST

START_TEST(host_symbolic_name_filling_its_attribute_needs_no_terminator)
{
	struct dim_buf d;
	struct dim_request req;
	uint32_t off;

	host_register(&d, "rack7-node12"); /* 12 bytes: no padding at all */
	ck_assert_uint_eq(d.len, 1024 + 1032 + 20 + 4 + 12);
	ck_assert_uint_eq(parse(&d, NVMF_DIM_TAS_REGISTER, &req, &off), 0);
	ck_assert_str_eq(req.entries[0].host.symname, "rack7-node12");
	dim_request_free(&req);
}
END_TEST

START_TEST(host_utf8_admin_label_padded_with_nuls_is_the_symbolic_name)
{
	struct dim_buf d;
	struct dim_request req;
	uint32_t off;

	host_register(&d, "web-01");
	d.b[O_DIE + E_EXAT + 20] = DIM_EXATTYPE_LABEL8;
	memcpy(d.b + O_DIE + E_EXAT + 24, "h\xc3\xb4te\0\0\0", 8);
	ck_assert_uint_eq(parse(&d, NVMF_DIM_TAS_REGISTER, &req, &off), 0);
	ck_assert_str_eq(req.entries[0].host.symname, "h\xc3\xb4te");
	dim_request_free(&req);
}
END_TEST

START_TEST(unknown_extended_attributes_are_skipped)
{
	struct dim_buf d;
	struct dim_request req;
	uint32_t off;

	hdr(&d, 1, NVMF_DIM_ENTFMT_EXTENDED, NVMF_DIM_ETYPE_HOST, DIM_EKTYPE_TRADDR, HOSTNQN);
	add_host(&d, NVMF_ADDR_FAMILY_IP4, HOSTNQN, "", NULL);
	/* An attribute of type 0x99 in front of the Host Identifier. */
	memmove(d.b + O_DIE + E_EXAT + 12, d.b + O_DIE + E_EXAT, 20);
	put_le16(d.b + O_DIE + E_EXAT, 0x99);
	put_le16(d.b + O_DIE + E_EXAT + 2, 8);
	memset(d.b + O_DIE + E_EXAT + 4, 0xee, 8);
	put_le16(d.b + O_DIE + E_NUMEXAT, 2);
	put_le32(d.b + O_DIE + E_TEL, HOST_TEL + 12);
	d.len += 12;
	finish(&d);
	ck_assert_uint_eq(parse(&d, NVMF_DIM_TAS_REGISTER, &req, &off), 0);
	ck_assert_mem_eq(req.entries[0].host.hostid, HOSTID, 16);
	dim_request_free(&req);
}
END_TEST

START_TEST(tel_may_leave_room_after_the_attributes)
{
	struct dim_buf d;
	struct dim_request req;
	uint32_t off;

	hdr(&d, 1, NVMF_DIM_ENTFMT_EXTENDED, NVMF_DIM_ETYPE_HOST, DIM_EKTYPE_TRADDR, HOSTNQN);
	add_host(&d, NVMF_ADDR_FAMILY_IP4, HOSTNQN, "", NULL);
	put_le32(d.b + O_DIE + E_TEL, HOST_TEL + 8);
	d.len += 8;
	finish(&d);
	ck_assert_uint_eq(parse(&d, NVMF_DIM_TAS_REGISTER, &req, &off), 0);
	dim_request_free(&req);
}
END_TEST

START_TEST(entity_name_and_version_lose_trailing_spaces)
{
	struct dim_buf d;
	struct dim_request req;
	uint32_t off;

	host_register(&d, NULL);
	memset(d.b + O_ENAME + strlen(ENAME), ' ', 256 - strlen(ENAME)); /* no NUL at all */
	memset(d.b + O_EVER + strlen(EVER), ' ', 10);
	ck_assert_uint_eq(parse(&d, NVMF_DIM_TAS_REGISTER, &req, &off), 0);
	ck_assert_str_eq(req.entity.ename, ENAME);
	ck_assert_str_eq(req.entity.ever, EVER);
	dim_request_free(&req);
}
END_TEST

START_TEST(entity_name_and_version_without_nul_are_cut_to_fit)
{
	struct dim_buf d;
	struct dim_request req;
	uint32_t off;
	char want[256];

	host_register(&d, NULL);
	memset(d.b + O_ENAME, 'n', 256);
	memset(d.b + O_EVER, 'v', 64);
	ck_assert_uint_eq(parse(&d, NVMF_DIM_TAS_REGISTER, &req, &off), 0);
	memset(want, 'n', 255);
	want[255] = '\0';
	ck_assert_str_eq(req.entity.ename, want);
	memset(want, 'v', 64);
	want[64] = '\0';
	ck_assert_str_eq(req.entity.ever, want);
	dim_request_free(&req);
}
END_TEST

START_TEST(host_with_an_address_keeps_it_in_canonical_form)
{
	struct dim_buf d;
	struct dim_request req;
	uint32_t off;

	hdr(&d, 1, NVMF_DIM_ENTFMT_EXTENDED, NVMF_DIM_ETYPE_CDC, DIM_EKTYPE_TRADDR, HOSTNQN);
	add_host(&d, NVMF_ADDR_FAMILY_IP6, HOSTNQN, "2001:DB8:0:0::0:7", NULL);
	put_str(d.b + O_DIE + E_TRSVCID, "08009");
	d.b[O_DIE + E_SECTYPE] = NVMF_TCP_SECTYPE_TLS13;
	finish(&d);
	ck_assert_uint_eq(parse(&d, NVMF_DIM_TAS_REGISTER, &req, &off), 0);
	ck_assert_uint_eq(req.etype, NVMF_DIM_ETYPE_CDC);
	ck_assert_uint_eq(req.entity.etype, NVMF_DIM_ETYPE_CDC);
	ck_assert(req.entries[0].is_host);
	ck_assert(!req.entries[0].traddr_from_peer);
	ck_assert_uint_eq(req.entries[0].host.adrfam, NVMF_ADDR_FAMILY_IP6);
	ck_assert_str_eq(req.entries[0].host.traddr, "2001:db8::7");
	ck_assert_str_eq(req.entries[0].host.trsvcid, "8009");
	ck_assert_uint_eq(req.entries[0].host.sectype, NVMF_TCP_SECTYPE_TLS13);
	dim_request_free(&req);
}
END_TEST

START_TEST(ddc_registers_two_ports_with_basic_entries)
{
	struct dim_buf d;
	struct dim_request req;
	uint32_t off;

	ddc_register(&d, false, DIM_EKTYPE_PORTID);
	d.b[O_PORTLCL] = 1;
	ck_assert_uint_eq(d.len, 1024 + 2 * 1024);
	ck_assert_uint_eq(parse(&d, NVMF_DIM_TAS_REGISTER, &req, &off), 0);
	ck_assert_uint_eq(off, 0);
	ck_assert_uint_eq(req.entfmt, NVMF_DIM_ENTFMT_BASIC);
	ck_assert_uint_eq(req.etype, NVMF_DIM_ETYPE_DDC);
	ck_assert_uint_eq(req.ektype, 0x3f);
	ck_assert_uint_eq(req.portlcl, 1);
	ck_assert_str_eq(req.entity.nqn, DDCNQN);
	ck_assert_uint_eq(req.entity.etype, NVMF_DIM_ETYPE_DDC);
	ck_assert_uint_eq(req.nument, 2);
	ck_port(&req.entries[0], &PORT1, NULL);
	ck_port(&req.entries[1], &PORT2, NULL);
	dim_request_free(&req);
}
END_TEST

START_TEST(ddc_registers_two_ports_with_extended_entries)
{
	struct dim_buf d;
	struct dim_request req;
	uint32_t off;

	ddc_register(&d, true, DIM_EKTYPE_TRADDR);
	ck_assert_uint_eq(d.len, 1024 + 2 * 1032);
	ck_assert_uint_eq(parse(&d, NVMF_DIM_TAS_REGISTER, &req, &off), 0);
	ck_assert_uint_eq(req.entfmt, NVMF_DIM_ENTFMT_EXTENDED);
	ck_assert_uint_eq(req.ektype, 0x5f);
	ck_assert_uint_eq(req.nument, 2);
	ck_port(&req.entries[0], &PORT1, NULL);
	ck_port(&req.entries[1], &PORT2, NULL);
	dim_request_free(&req);
}
END_TEST

START_TEST(ddc_extended_entry_may_carry_attributes)
{
	struct dim_buf d;
	struct dim_request req;
	uint32_t off, e;

	hdr(&d, 2, NVMF_DIM_ENTFMT_EXTENDED, NVMF_DIM_ETYPE_DDC, DIM_EKTYPE_TRADDR, DDCNQN);
	e = add_port(&d, true, &PORT1);
	put_le32(d.b + e + E_TEL, 1032 + 12);
	put_le16(d.b + e + E_NUMEXAT, 1);
	put_le16(d.b + e + E_EXAT, NVMF_EXATTYPE_SYMNAME);
	put_le16(d.b + e + E_EXAT + 2, 8);
	memcpy(d.b + e + E_EXAT + 4, "array-01", 8);
	d.len += 12;
	add_port(&d, true, &PORT2);
	finish(&d);
	ck_assert_uint_eq(parse(&d, NVMF_DIM_TAS_REGISTER, &req, &off), 0);
	ck_port(&req.entries[0], &PORT1, NULL);
	ck_port(&req.entries[1], &PORT2, NULL);
	ck_assert_str_eq(req.entries[0].host.symname, ""); /* a label of a subsystem entry */
	dim_request_free(&req);
}
END_TEST

START_TEST(ddc_port_address_is_kept_in_canonical_form)
{
	static const struct port_spec p = {NVME_NQN_NVME, NVMF_ADDR_FAMILY_IP6, 0,	0, 7, 0,
					   SUBNQN1,	  "2001:DB8:0::10",	"04420"};
	struct dim_buf d;
	struct dim_request req;
	uint32_t off;

	hdr(&d, 1, NVMF_DIM_ENTFMT_BASIC, NVMF_DIM_ETYPE_DDC, DIM_EKTYPE_TRADDR, DDCNQN);
	add_port(&d, false, &p);
	finish(&d);
	ck_assert_uint_eq(parse(&d, NVMF_DIM_TAS_REGISTER, &req, &off), 0);
	ck_assert_str_eq(req.entries[0].rec.port.traddr, "2001:db8::10");
	ck_assert_str_eq(req.entries[0].rec.port.trsvcid, "4420");
	dim_request_free(&req);
}
END_TEST

START_TEST(ddc_registers_a_referral)
{
	static const struct port_spec ref = {
		NVME_NQN_DISC,	       NVMF_ADDR_FAMILY_IP4, 0,	    0, 3, 0,
		NVME_DISC_SUBSYS_NAME, "198.51.100.4",	     "8009"};
	struct dim_buf d;
	struct dim_request req;
	uint32_t off;

	hdr(&d, 1, NVMF_DIM_ENTFMT_BASIC, NVMF_DIM_ETYPE_DDC, DIM_EKTYPE_TRADDR, DDCNQN);
	add_port(&d, false, &ref);
	finish(&d);
	ck_assert_uint_eq(parse(&d, NVMF_DIM_TAS_REGISTER, &req, &off), 0);
	ck_assert_uint_eq(req.nument, 1);
	ck_port(&req.entries[0], &ref, NULL);
	dim_request_free(&req);
}
END_TEST

START_TEST(deregister_parses_like_register)
{
	struct dim_buf d;
	struct dim_request req;
	uint32_t off;

	host_register(&d, NULL); /* libnvme sends the same data for TAS 1 */
	ck_assert_uint_eq(parse(&d, NVMF_DIM_TAS_DEREGISTER, &req, &off), 0);
	ck_assert_uint_eq(req.tas, NVMF_DIM_TAS_DEREGISTER);
	ck_assert(req.entries[0].traddr_from_peer);
	dim_request_free(&req);

	ddc_register(&d, false, DIM_EKTYPE_PORTID);
	ck_assert_uint_eq(parse(&d, NVMF_DIM_TAS_DEREGISTER, &req, &off), 0);
	ck_assert_uint_eq(req.tas, NVMF_DIM_TAS_DEREGISTER);
	ck_assert_uint_eq(req.nument, 2);
	ck_port(&req.entries[1], &PORT2, NULL);
	dim_request_free(&req);
}
END_TEST

START_TEST(update_selects_with_entry_0_and_replaces_with_entry_1)
{
	struct port_spec moved = PORT1;
	struct dim_buf d;
	struct dim_request req;
	uint32_t off;

	moved.traddr = "192.0.2.11";
	moved.asqsz = 64;
	hdr(&d, 2, NVMF_DIM_ENTFMT_BASIC, NVMF_DIM_ETYPE_DDC, DIM_EKTYPE_PORTID, DDCNQN);
	add_port(&d, false, &PORT1);
	add_port(&d, false, &moved);
	finish(&d);
	ck_assert_uint_eq(parse(&d, NVMF_DIM_TAS_UPDATE, &req, &off), 0);
	ck_assert_uint_eq(req.tas, NVMF_DIM_TAS_UPDATE);
	ck_assert_uint_eq(req.nument, 2);
	ck_port(&req.entries[0], &PORT1, NULL);
	ck_port(&req.entries[1], &moved, NULL);
	dim_request_free(&req);
}
END_TEST

START_TEST(host_update_names_both_addresses)
{
	struct dim_buf d;
	struct dim_request req;
	uint32_t off;

	hdr(&d, 2, NVMF_DIM_ENTFMT_EXTENDED, NVMF_DIM_ETYPE_HOST, DIM_EKTYPE_TRADDR, HOSTNQN);
	add_host(&d, NVMF_ADDR_FAMILY_IP4, HOSTNQN, "192.0.2.50", NULL);
	add_host(&d, NVMF_ADDR_FAMILY_IP4, HOSTNQN, "192.0.2.51", "web-01");
	finish(&d);
	ck_assert_uint_eq(parse(&d, NVMF_DIM_TAS_UPDATE, &req, &off), 0);
	ck_assert_str_eq(req.entries[0].host.traddr, "192.0.2.50");
	ck_assert_str_eq(req.entries[1].host.traddr, "192.0.2.51");
	ck_assert_str_eq(req.entries[1].host.symname, "web-01");
	ck_assert(!req.entries[0].traddr_from_peer && !req.entries[1].traddr_from_peer);
	dim_request_free(&req);
}
END_TEST

START_TEST(reserved_cdw10_bits_above_tas_are_ignored)
{
	struct dim_buf d;
	struct dim_request req;
	uint32_t off;

	host_register(&d, NULL);
	ck_assert_uint_eq(parse(&d, 0xfffffff0 | NVMF_DIM_TAS_REGISTER, &req, &off), 0);
	ck_assert_uint_eq(req.tas, NVMF_DIM_TAS_REGISTER);
	dim_request_free(&req);
}
END_TEST

/* ---- header rejections ---- */

START_TEST(reserved_tas_is_invalid_field)
{
	struct dim_buf d;

	host_register(&d, NULL);
	for (uint32_t tas = 3; tas <= 0xf; tas++)
		ck_refused(&d, tas, ST_INVALID_FIELD, 0);
}
END_TEST

START_TEST(data_shorter_than_the_header_is_invalid_field)
{
	struct dim_buf d;

	host_register(&d, NULL);
	d.len = 1023;
	put_le32(d.b + O_TDL, 1023);
	ck_refused(&d, 0, ST_INVALID_FIELD, O_TDL);
	d.len = 0;
	ck_refused(&d, 0, ST_INVALID_FIELD, O_TDL);
}
END_TEST

START_TEST(tdl_other_than_the_data_length_is_invalid_field)
{
	struct dim_buf d;

	host_register(&d, NULL);
	put_le32(d.b + O_TDL, LIBNVME_TDL + 4);
	ck_refused(&d, 0, ST_INVALID_FIELD, O_TDL);
	put_le32(d.b + O_TDL, LIBNVME_TDL - 4);
	ck_refused(&d, 0, ST_INVALID_FIELD, O_TDL);
}
END_TEST

START_TEST(no_entries_is_invalid_field)
{
	struct dim_buf d;

	host_register(&d, NULL);
	put_le64(d.b + O_NUMENT, 0);
	for (uint32_t tas = 0; tas < 3; tas++)
		ck_refused(&d, tas, ST_INVALID_FIELD, O_NUMENT);
}
END_TEST

START_TEST(update_with_other_than_two_entries_is_invalid_field)
{
	struct dim_buf d;

	host_register(&d, NULL);
	ck_refused(&d, NVMF_DIM_TAS_UPDATE, ST_INVALID_FIELD, O_NUMENT);
	ddc_register(&d, false, DIM_EKTYPE_PORTID);
	put_le64(d.b + O_NUMENT, 3);
	ck_refused(&d, NVMF_DIM_TAS_UPDATE, ST_INVALID_FIELD, O_NUMENT);
}
END_TEST

/* Three well-formed entries, so that only the UPDATE rule (exactly two) can refuse them:
 * the same data registers. */
START_TEST(update_with_three_valid_entries_is_invalid_field)
{
	static const struct port_spec port3 = {NVME_NQN_NVME, NVMF_ADDR_FAMILY_IP4, 0,	   0, 3, 32,
					       SUBNQN1,	      "192.0.2.30",	    "4420"};
	struct dim_buf d;
	struct dim_request req;
	uint32_t off;

	for (int ext = 0; ext < 2; ext++) {
		hdr(&d, 3, ext ? NVMF_DIM_ENTFMT_EXTENDED : NVMF_DIM_ENTFMT_BASIC,
		    NVMF_DIM_ETYPE_DDC, DIM_EKTYPE_PORTID, DDCNQN);
		add_port(&d, ext, &PORT1);
		add_port(&d, ext, &PORT2);
		add_port(&d, ext, &port3);
		finish(&d);
		ck_assert_uint_eq(parse(&d, NVMF_DIM_TAS_REGISTER, &req, &off), 0);
		ck_assert_uint_eq(req.nument, 3);
		dim_request_free(&req);
		ck_assert_uint_eq(parse(&d, NVMF_DIM_TAS_DEREGISTER, &req, &off), 0);
		dim_request_free(&req);
		ck_refused(&d, NVMF_DIM_TAS_UPDATE, ST_INVALID_FIELD, O_NUMENT);
	}
	/* Three host entries likewise. */
	hdr(&d, 3, NVMF_DIM_ENTFMT_EXTENDED, NVMF_DIM_ETYPE_HOST, DIM_EKTYPE_TRADDR, HOSTNQN);
	add_host(&d, NVMF_ADDR_FAMILY_IP4, HOSTNQN, "192.0.2.50", NULL);
	add_host(&d, NVMF_ADDR_FAMILY_IP4, HOSTNQN, "192.0.2.51", NULL);
	add_host(&d, NVMF_ADDR_FAMILY_IP4, HOSTNQN, "192.0.2.52", NULL);
	finish(&d);
	ck_assert_uint_eq(parse(&d, NVMF_DIM_TAS_REGISTER, &req, &off), 0);
	dim_request_free(&req);
	ck_refused(&d, NVMF_DIM_TAS_UPDATE, ST_INVALID_FIELD, O_NUMENT);
}
END_TEST

START_TEST(more_entries_than_max_is_insufficient_resources_without_dnr)
{
	struct dim_buf d;
	struct dim_request req;
	uint32_t off;

	ddc_register(&d, false, DIM_EKTYPE_PORTID);
	ck_assert_uint_eq(dim_parse(0, d.b, d.len, 1, &req, &off), ST_NO_RESOURCES);
	ck_assert_uint_eq(off, O_NUMENT);
	ck_assert(!(ST_NO_RESOURCES & NVME_SC_DNR));
	ck_assert_ptr_null(req.entries);
	ck_assert_uint_eq(dim_parse(0, d.b, d.len, 0, &req, &off), ST_NO_RESOURCES);
	ck_assert_uint_eq(dim_parse(0, d.b, d.len, 2, &req, &off), 0);
	dim_request_free(&req);

	/* A huge NUMENT never reaches the allocator. */
	put_le64(d.b + O_NUMENT, UINT64_MAX);
	ck_refused(&d, 0, ST_NO_RESOURCES, O_NUMENT);
}
END_TEST

START_TEST(more_entries_than_the_data_holds_is_invalid_field)
{
	struct dim_buf d;

	ddc_register(&d, false, DIM_EKTYPE_PORTID);
	put_le64(d.b + O_NUMENT, 3);
	ck_refused(&d, 0, ST_INVALID_FIELD, O_NUMENT);
	ddc_register(&d, true, DIM_EKTYPE_PORTID);
	put_le64(d.b + O_NUMENT, 3);
	ck_refused(&d, 0, ST_INVALID_FIELD, O_NUMENT);
}
END_TEST

START_TEST(reserved_entfmt_is_invalid_field)
{
	static const uint16_t bad[] = {0, 3, 0x102, 0xffff};
	struct dim_buf d;

	host_register(&d, NULL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put_le16(d.b + O_ENTFMT, bad[i]);
		ck_refused(&d, 0, ST_INVALID_FIELD, O_ENTFMT);
	}
}
END_TEST

START_TEST(reserved_etype_is_invalid_field)
{
	static const uint16_t bad[] = {0, 4, 0x101, 0xffff};
	struct dim_buf d;

	host_register(&d, NULL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put_le16(d.b + O_ETYPE, bad[i]);
		ck_refused(&d, 0, ST_INVALID_FIELD, O_ETYPE);
	}
}
END_TEST

START_TEST(portlcl_of_a_host_or_cdc_is_invalid_field)
{
	struct dim_buf d;

	host_register(&d, NULL);
	d.b[O_PORTLCL] = 1;
	ck_refused(&d, 0, ST_INVALID_FIELD, O_PORTLCL);
	put_le16(d.b + O_ETYPE, NVMF_DIM_ETYPE_CDC);
	ck_refused(&d, 0, ST_INVALID_FIELD, O_PORTLCL);
}
END_TEST

START_TEST(reserved_ektype_is_invalid_field)
{
	static const uint16_t bad[] = {0, 0x1f, 0x7f, 0x5e, 0x15f};
	struct dim_buf d;

	ddc_register(&d, false, DIM_EKTYPE_PORTID);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put_le16(d.b + O_EKTYPE, bad[i]);
		ck_refused(&d, 0, ST_INVALID_FIELD, O_EKTYPE);
	}
}
END_TEST

START_TEST(host_entries_keyed_by_portid_is_invalid_field)
{
	struct dim_buf d;

	host_register(&d, NULL);
	put_le16(d.b + O_EKTYPE, DIM_EKTYPE_PORTID);
	ck_refused(&d, 0, ST_INVALID_FIELD, O_EKTYPE);
}
END_TEST

START_TEST(eid_without_nul_is_invalid_field)
{
	struct dim_buf d;

	host_register(&d, NULL);
	memset(d.b + O_EID, 'a', 256);
	ck_refused(&d, 0, ST_INVALID_FIELD, O_EID);
}
END_TEST

START_TEST(eid_that_is_not_an_nqn_is_invalid_field)
{
	static const char *const bad[] = {"", "host1", "nqn.2014-13.org.example:x", HOSTNQN " ",
					  "nqn.2014-08.org.nvmexpress:uuid:nope"};
	struct dim_buf d;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		host_register(&d, NULL);
		memset(d.b + O_EID, 0, 256);
		put_str(d.b + O_EID, bad[i]);
		ck_refused(&d, 0, ST_INVALID_FIELD, O_EID);
	}
	host_register(&d, NULL);
	memset(d.b + O_EID, 0, 256);
	memcpy(d.b + O_EID, "nqn.2024-01.com.example:", 24);
	memset(d.b + O_EID + 24, 'x', 230); /* NUL-terminated but longer than 223 */
	ck_refused(&d, 0, ST_INVALID_FIELD, O_EID);
}
END_TEST

START_TEST(host_in_basic_entries_is_invalid_discovery_information)
{
	struct dim_buf d;

	hdr(&d, 1, NVMF_DIM_ENTFMT_BASIC, NVMF_DIM_ETYPE_HOST, DIM_EKTYPE_TRADDR, HOSTNQN);
	add_host(&d, NVMF_ADDR_FAMILY_IP4, HOSTNQN, "192.0.2.50", NULL);
	d.len = 2048;
	finish(&d);
	ck_refused(&d, 0, ST_INVALID_INFO, O_ENTFMT);
	put_le16(d.b + O_ETYPE, NVMF_DIM_ETYPE_CDC);
	ck_refused(&d, 0, ST_INVALID_INFO, O_ENTFMT);
}
END_TEST

/* ---- entry structure ---- */

START_TEST(tel_not_a_multiple_of_4_is_invalid_field)
{
	struct dim_buf d;

	host_register(&d, NULL);
	put_le32(d.b + O_DIE + E_TEL, HOST_TEL - 2);
	ck_refused(&d, 0, ST_INVALID_FIELD, O_DIE + E_TEL);
}
END_TEST

START_TEST(tel_below_the_entry_size_is_invalid_field)
{
	struct dim_buf d;

	host_register(&d, NULL);
	put_le32(d.b + O_DIE + E_TEL, 1028);
	ck_refused(&d, 0, ST_INVALID_FIELD, O_DIE + E_TEL);
	put_le32(d.b + O_DIE + E_TEL, 0);
	ck_refused(&d, 0, ST_INVALID_FIELD, O_DIE + E_TEL);
}
END_TEST

START_TEST(tel_beyond_the_data_is_invalid_field)
{
	struct dim_buf d;
	uint32_t second;

	host_register(&d, NULL);
	put_le32(d.b + O_DIE + E_TEL, HOST_TEL + 4);
	ck_refused(&d, 0, ST_INVALID_FIELD, O_DIE + E_TEL);
	put_le32(d.b + O_DIE + E_TEL, 0xfffffffc);
	ck_refused(&d, 0, ST_INVALID_FIELD, O_DIE + E_TEL);

	/* The first entry's TEL eats into the second: the second no longer fits. */
	ddc_register(&d, true, DIM_EKTYPE_TRADDR);
	second = O_DIE + 1032;
	put_le32(d.b + O_DIE + E_TEL, 1032 + 8);
	ck_refused(&d, 0, ST_INVALID_FIELD, second + 8 + E_TEL);
}
END_TEST

START_TEST(numexat_beyond_tel_is_invalid_field)
{
	struct dim_buf d;

	host_register(&d, NULL);
	put_le16(d.b + O_DIE + E_NUMEXAT, 2);
	ck_refused(&d, 0, ST_INVALID_FIELD, O_DIE + E_NUMEXAT);
	put_le16(d.b + O_DIE + E_NUMEXAT, 0xffff);
	ck_refused(&d, 0, ST_INVALID_FIELD, O_DIE + E_NUMEXAT);
}
END_TEST

START_TEST(exatlen_zero_or_not_a_multiple_of_4_is_invalid_field)
{
	static const uint16_t bad[] = {0, 1, 2, 3, 15, 17, 18};
	struct dim_buf d;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		host_register(&d, NULL);
		put_le16(d.b + O_DIE + E_EXAT + 2, bad[i]);
		ck_refused(&d, 0, ST_INVALID_FIELD, O_DIE + E_EXAT + 2);
	}
	/* The same for an attribute of a subsystem entry. */
	hdr(&d, 1, NVMF_DIM_ENTFMT_EXTENDED, NVMF_DIM_ETYPE_DDC, DIM_EKTYPE_TRADDR, DDCNQN);
	add_port(&d, true, &PORT1);
	put_le32(d.b + O_DIE + E_TEL, 1032 + 8);
	put_le16(d.b + O_DIE + E_NUMEXAT, 1);
	put_le16(d.b + O_DIE + E_EXAT, 0x42);
	put_le16(d.b + O_DIE + E_EXAT + 2, 3);
	d.len += 8;
	finish(&d);
	ck_refused(&d, 0, ST_INVALID_FIELD, O_DIE + E_EXAT + 2);
}
END_TEST

START_TEST(exatlen_beyond_tel_is_invalid_field)
{
	struct dim_buf d;

	host_register(&d, "web-01");
	put_le16(d.b + O_DIE + E_EXAT + 22, 12);
	ck_refused(&d, 0, ST_INVALID_FIELD, O_DIE + E_EXAT + 22);
	put_le16(d.b + O_DIE + E_EXAT + 22, 0xfffc);
	ck_refused(&d, 0, ST_INVALID_FIELD, O_DIE + E_EXAT + 22);
}
END_TEST

START_TEST(bytes_after_the_last_entry_are_invalid_field)
{
	struct dim_buf d;

	host_register(&d, NULL);
	d.len += 4;
	finish(&d);
	ck_refused(&d, 0, ST_INVALID_FIELD, LIBNVME_TDL);

	ddc_register(&d, false, DIM_EKTYPE_PORTID);
	put_le64(d.b + O_NUMENT, 1);
	ck_refused(&d, 0, ST_INVALID_FIELD, O_DIE + 1024);
}
END_TEST

/* ---- host entries ---- */

START_TEST(host_without_host_identifier_is_invalid_discovery_information)
{
	struct dim_buf d;

	host_register(&d, NULL); /* NUMEXAT 0, the attribute left as slack */
	put_le16(d.b + O_DIE + E_NUMEXAT, 0);
	ck_refused(&d, 0, ST_INVALID_INFO, O_DIE + E_NUMEXAT);

	host_register(&d, "web-01"); /* only the symbolic name */
	put_le16(d.b + O_DIE + E_EXAT, NVMF_EXATTYPE_SYMNAME);
	ck_refused(&d, 0, ST_INVALID_INFO, O_DIE + E_NUMEXAT);

	hdr(&d, 1, NVMF_DIM_ENTFMT_EXTENDED, NVMF_DIM_ETYPE_HOST, DIM_EKTYPE_TRADDR, HOSTNQN);
	add_host(&d, NVMF_ADDR_FAMILY_IP4, HOSTNQN, "", NULL); /* a host ID of 20 bytes */
	put_le16(d.b + O_DIE + E_EXAT + 2, 20);
	put_le32(d.b + O_DIE + E_TEL, HOST_TEL + 4);
	d.len += 4;
	finish(&d);
	ck_refused(&d, 0, ST_INVALID_INFO, O_DIE + E_NUMEXAT);
}
END_TEST

START_TEST(host_nqn_other_than_the_eid_is_invalid_discovery_information)
{
	struct dim_buf d;

	hdr(&d, 1, NVMF_DIM_ENTFMT_EXTENDED, NVMF_DIM_ETYPE_HOST, DIM_EKTYPE_TRADDR, HOSTNQN);
	add_host(&d, NVMF_ADDR_FAMILY_IP4, HOST2NQN, "", NULL);
	finish(&d);
	ck_refused(&d, 0, ST_INVALID_INFO, O_DIE + E_NQN);

	host_register(&d, NULL);
	memset(d.b + O_DIE + E_NQN, 0, 256);
	put_str(d.b + O_DIE + E_NQN, "not an nqn");
	ck_refused(&d, 0, ST_INVALID_INFO, O_DIE + E_NQN);
}
END_TEST

START_TEST(host_empty_traddr_in_several_entries_is_invalid_field)
{
	struct dim_buf d;

	hdr(&d, 2, NVMF_DIM_ENTFMT_EXTENDED, NVMF_DIM_ETYPE_HOST, DIM_EKTYPE_TRADDR, HOSTNQN);
	add_host(&d, NVMF_ADDR_FAMILY_IP4, HOSTNQN, "", NULL);
	add_host(&d, NVMF_ADDR_FAMILY_IP4, HOSTNQN, "192.0.2.51", NULL);
	finish(&d);
	ck_refused(&d, NVMF_DIM_TAS_REGISTER, ST_INVALID_FIELD, O_DIE + E_TRADDR);
	ck_refused(&d, NVMF_DIM_TAS_UPDATE, ST_INVALID_FIELD, O_DIE + E_TRADDR);
}
END_TEST

START_TEST(host_traddr_that_is_not_an_address_of_adrfam_is_invalid_field)
{
	static const struct {
		uint8_t adrfam;
		const char *traddr;
	} bad[] = {
		{NVMF_ADDR_FAMILY_IP4, "host.example.com"}, {NVMF_ADDR_FAMILY_IP4, "2001:db8::1"},
		{NVMF_ADDR_FAMILY_IP6, "192.0.2.1"},	    {NVMF_ADDR_FAMILY_IP6, "[2001:db8::1]"},
		{NVMF_ADDR_FAMILY_IP4, "192.0.2.1:4420"},   {NVMF_ADDR_FAMILY_IP4, " 192.0.2.1"},
		{NVMF_ADDR_FAMILY_IP6, "fe80::1%eth0"},
	};
	struct dim_buf d;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		hdr(&d, 1, NVMF_DIM_ENTFMT_EXTENDED, NVMF_DIM_ETYPE_HOST, DIM_EKTYPE_TRADDR,
		    HOSTNQN);
		add_host(&d, bad[i].adrfam, HOSTNQN, bad[i].traddr, NULL);
		finish(&d);
		ck_refused(&d, 0, ST_INVALID_FIELD, O_DIE + E_TRADDR);
	}
}
END_TEST

START_TEST(host_wildcard_traddr_is_invalid_discovery_information)
{
	struct dim_buf d;

	hdr(&d, 1, NVMF_DIM_ENTFMT_EXTENDED, NVMF_DIM_ETYPE_HOST, DIM_EKTYPE_TRADDR, HOSTNQN);
	add_host(&d, NVMF_ADDR_FAMILY_IP6, HOSTNQN, "::", NULL);
	finish(&d);
	ck_refused(&d, 0, ST_INVALID_INFO, O_DIE + E_TRADDR);
}
END_TEST

START_TEST(host_trsvcid_that_is_not_a_port_is_invalid_field)
{
	struct dim_buf d;

	host_register(&d, NULL);
	put_str(d.b + O_DIE + E_TRSVCID, "http");
	ck_refused(&d, 0, ST_INVALID_FIELD, O_DIE + E_TRSVCID);
}
END_TEST

START_TEST(host_over_other_transports_or_families_is_invalid_discovery_information)
{
	static const uint8_t trtypes[] = {0, NVMF_TRTYPE_RDMA, NVMF_TRTYPE_FC, NVMF_TRTYPE_LOOP};
	static const uint8_t adrfams[] = {0, NVMF_ADDR_FAMILY_IB, NVMF_ADDR_FAMILY_FC,
					  NVMF_ADDR_FAMILY_LOOP};
	struct dim_buf d;

	for (size_t i = 0; i < sizeof(trtypes); i++) {
		host_register(&d, NULL);
		d.b[O_DIE + E_TRTYPE] = trtypes[i];
		ck_refused(&d, 0, ST_INVALID_INFO, O_DIE + E_TRTYPE);
	}
	for (size_t i = 0; i < sizeof(adrfams); i++) {
		host_register(&d, NULL);
		d.b[O_DIE + E_ADRFAM] = adrfams[i];
		ck_refused(&d, 0, ST_INVALID_INFO, O_DIE + E_ADRFAM);
	}
}
END_TEST

/* ---- subsystem entries ---- */

START_TEST(subsystem_subtype_other_than_nvm_or_referral_is_invalid_discovery_information)
{
	static const uint8_t bad[] = {0, NVME_NQN_CURR, 4, 0xff};
	struct dim_buf d;

	for (size_t i = 0; i < sizeof(bad); i++) {
		ddc_register(&d, false, DIM_EKTYPE_PORTID);
		d.b[O_DIE + 1024 + E_SUBTYPE] = bad[i];
		ck_refused(&d, 0, ST_INVALID_INFO, O_DIE + 1024 + E_SUBTYPE);
	}
}
END_TEST

START_TEST(subsystem_nqn_that_is_not_an_nqn_is_invalid_field)
{
	struct dim_buf d;

	ddc_register(&d, true, DIM_EKTYPE_TRADDR);
	memset(d.b + O_DIE + E_NQN, 0, 256);
	put_str(d.b + O_DIE + E_NQN, "subsys1");
	ck_refused(&d, 0, ST_INVALID_FIELD, O_DIE + E_NQN);
	memset(d.b + O_DIE + E_NQN, 0, 256);
	ck_refused(&d, 0, ST_INVALID_FIELD, O_DIE + E_NQN);
}
END_TEST

START_TEST(subsystem_over_other_transports_or_families_is_invalid_discovery_information)
{
	struct dim_buf d;

	ddc_register(&d, false, DIM_EKTYPE_PORTID);
	d.b[O_DIE + E_TRTYPE] = NVMF_TRTYPE_RDMA;
	ck_refused(&d, 0, ST_INVALID_INFO, O_DIE + E_TRTYPE);
	ddc_register(&d, false, DIM_EKTYPE_PORTID);
	d.b[O_DIE + E_ADRFAM] = NVMF_ADDR_FAMILY_FC;
	ck_refused(&d, 0, ST_INVALID_INFO, O_DIE + E_ADRFAM);
}
END_TEST

START_TEST(subsystem_wildcard_traddr_is_invalid_discovery_information)
{
	struct port_spec p4 = PORT1, p6 = PORT2;
	struct dim_buf d;

	p4.traddr = "0.0.0.0";
	p6.traddr = "::";
	hdr(&d, 2, NVMF_DIM_ENTFMT_BASIC, NVMF_DIM_ETYPE_DDC, DIM_EKTYPE_PORTID, DDCNQN);
	add_port(&d, false, &PORT1);
	add_port(&d, false, &p6);
	finish(&d);
	ck_refused(&d, 0, ST_INVALID_INFO, O_DIE + 1024 + E_TRADDR);
	hdr(&d, 1, NVMF_DIM_ENTFMT_BASIC, NVMF_DIM_ETYPE_DDC, DIM_EKTYPE_PORTID, DDCNQN);
	add_port(&d, false, &p4);
	finish(&d);
	ck_refused(&d, 0, ST_INVALID_INFO, O_DIE + E_TRADDR);
}
END_TEST

START_TEST(subsystem_traddr_empty_or_not_an_address_is_invalid_field)
{
	static const char *const bad[] = {"", "array1.example.com", "2001:db8::10", "192.0.2.256",
					  "192.0.2.010"};
	struct port_spec p = PORT1;
	struct dim_buf d;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		p.traddr = bad[i];
		hdr(&d, 1, NVMF_DIM_ENTFMT_EXTENDED, NVMF_DIM_ETYPE_DDC, DIM_EKTYPE_TRADDR, DDCNQN);
		add_port(&d, true, &p);
		finish(&d);
		ck_refused(&d, 0, ST_INVALID_FIELD, O_DIE + E_TRADDR);
	}
}
END_TEST

START_TEST(subsystem_trsvcid_that_is_not_a_port_is_invalid_field)
{
	static const char *const bad[] = {"",	   "0",	    "65536", "44a0",   "-1",
					  "+4420", " 4420", "4420 ", "100000", "nvme"};
	struct port_spec p = PORT1;
	struct dim_buf d;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		p.trsvcid = bad[i];
		hdr(&d, 1, NVMF_DIM_ENTFMT_BASIC, NVMF_DIM_ETYPE_DDC, DIM_EKTYPE_PORTID, DDCNQN);
		add_port(&d, false, &p);
		finish(&d);
		ck_refused(&d, 0, ST_INVALID_FIELD, O_DIE + E_TRSVCID);
	}
	p.trsvcid = "65535";
	hdr(&d, 1, NVMF_DIM_ENTFMT_BASIC, NVMF_DIM_ETYPE_DDC, DIM_EKTYPE_PORTID, DDCNQN);
	add_port(&d, false, &p);
	finish(&d);
	struct dim_request req;
	uint32_t off;
	ck_assert_uint_eq(parse(&d, 0, &req, &off), 0);
	ck_assert_str_eq(req.entries[0].rec.port.trsvcid, "65535");
	dim_request_free(&req);
}
END_TEST

START_TEST(fields_without_nul_in_their_whole_width_are_invalid_field)
{
	static const struct {
		uint32_t off, width;
	} fields[] = {{E_NQN, 256}, {E_TRADDR, 256}, {E_TRSVCID, 32}};
	struct dim_buf d;

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		ddc_register(&d, false, DIM_EKTYPE_PORTID);
		memset(d.b + O_DIE + 1024 + fields[i].off, '1', fields[i].width);
		ck_refused(&d, 0, ST_INVALID_FIELD, O_DIE + 1024 + fields[i].off);

		host_register(&d, NULL);
		memset(d.b + O_DIE + fields[i].off, '1', fields[i].width);
		ck_refused(&d, 0, ST_INVALID_FIELD, O_DIE + fields[i].off);
	}
}
END_TEST

START_TEST(subsystem_nqn_longer_than_223_bytes_is_invalid_field)
{
	struct dim_buf d;

	ddc_register(&d, false, DIM_EKTYPE_PORTID);
	memset(d.b + O_DIE + E_NQN, 'x', 255); /* NUL-terminated, but no NQN is this long */
	memcpy(d.b + O_DIE + E_NQN, "nqn.2024-01.com.example:", 24);
	ck_refused(&d, 0, ST_INVALID_FIELD, O_DIE + E_NQN);
}
END_TEST

START_TEST(data_after_the_nul_of_a_field_is_ignored)
{
	struct dim_buf d;
	struct dim_request req;
	uint32_t off;

	ddc_register(&d, false, DIM_EKTYPE_PORTID);
	memset(d.b + O_DIE + E_NQN + strlen(SUBNQN1) + 1, 'z', 20);
	memset(d.b + O_DIE + E_TRADDR + strlen(PORT1.traddr) + 1, 'z', 20);
	memset(d.b + O_DIE + E_TRSVCID + strlen(PORT1.trsvcid) + 1, 'z', 5);
	ck_assert_uint_eq(parse(&d, 0, &req, &off), 0);
	ck_port(&req.entries[0], &PORT1, NULL);
	dim_request_free(&req);
}
END_TEST

/* ---- entry keys ---- */

static struct log_rec rec_of(const struct port_spec *ps)
{
	struct log_rec r = {.subtype = ps->subtype, .asqsz = ps->asqsz};

	snprintf(r.owner, sizeof(r.owner), "%s", DDCNQN);
	snprintf(r.subnqn, sizeof(r.subnqn), "%s", ps->nqn);
	r.port.trtype = NVMF_TRTYPE_TCP;
	r.port.adrfam = ps->adrfam;
	r.port.treq = ps->treq;
	r.port.sectype = ps->sectype;
	r.port.portid = ps->portid;
	snprintf(r.port.traddr, sizeof(r.port.traddr), "%s", ps->traddr);
	snprintf(r.port.trsvcid, sizeof(r.port.trsvcid), "%s", ps->trsvcid);
	return r;
}

START_TEST(traddr_key_ignores_portid_but_not_the_address)
{
	struct log_rec a = rec_of(&PORT1), b = a;

	ck_assert(dim_rec_key_match(DIM_EKTYPE_TRADDR, &a, &b));
	b.port.portid = 99; /* not in the key */
	b.port.treq = 0;
	b.asqsz = 1;
	b.subtype = NVME_NQN_DISC;
	snprintf(b.owner, sizeof(b.owner), "%s", HOSTNQN);
	ck_assert(dim_rec_key_match(DIM_EKTYPE_TRADDR, &a, &b));
	snprintf(b.port.traddr, sizeof(b.port.traddr), "192.0.2.11");
	ck_assert(!dim_rec_key_match(DIM_EKTYPE_TRADDR, &a, &b));
}
END_TEST

START_TEST(portid_key_ignores_the_address_but_not_portid)
{
	struct log_rec a = rec_of(&PORT1), b = a;

	ck_assert(dim_rec_key_match(DIM_EKTYPE_PORTID, &a, &b));
	snprintf(b.port.traddr, sizeof(b.port.traddr), "192.0.2.11");
	ck_assert(dim_rec_key_match(DIM_EKTYPE_PORTID, &a, &b));
	b.port.portid = 99;
	ck_assert(!dim_rec_key_match(DIM_EKTYPE_PORTID, &a, &b));
}
END_TEST

START_TEST(both_keys_compare_nqn_tsas_trsvcid_adrfam_and_trtype)
{
	static const uint16_t ektypes[] = {DIM_EKTYPE_TRADDR, DIM_EKTYPE_PORTID};
	const struct log_rec a = rec_of(&PORT1);
	struct log_rec b;

	for (size_t i = 0; i < 2; i++) {
		b = a;
		snprintf(b.subnqn, sizeof(b.subnqn), "%s", SUBNQN2);
		ck_assert(!dim_rec_key_match(ektypes[i], &a, &b));
		b = a;
		b.port.sectype = 0;
		ck_assert(!dim_rec_key_match(ektypes[i], &a, &b));
		b = a;
		snprintf(b.port.trsvcid, sizeof(b.port.trsvcid), "4421");
		ck_assert(!dim_rec_key_match(ektypes[i], &a, &b));
		b = a;
		b.port.adrfam = NVMF_ADDR_FAMILY_IP6;
		ck_assert(!dim_rec_key_match(ektypes[i], &a, &b));
		b = a;
		b.port.trtype = NVMF_TRTYPE_RDMA;
		ck_assert(!dim_rec_key_match(ektypes[i], &a, &b));
	}
	b = a;
	ck_assert(!dim_rec_key_match(0x1f, &a, &b));
}
END_TEST

START_TEST(parsed_entries_match_their_own_key)
{
	struct dim_buf d;
	struct dim_request req, again;
	uint32_t off;

	ddc_register(&d, false, DIM_EKTYPE_PORTID);
	ck_assert_uint_eq(parse(&d, 0, &req, &off), 0);
	ck_assert_uint_eq(parse(&d, 1, &again, &off), 0);
	ck_assert(dim_rec_key_match(req.ektype, &req.entries[0].rec, &again.entries[0].rec));
	ck_assert(!dim_rec_key_match(req.ektype, &req.entries[0].rec, &again.entries[1].rec));
	dim_request_free(&req);
	dim_request_free(&again);
}
END_TEST

START_TEST(host_key_is_nqn_tsas_trsvcid_adrfam_trtype_and_traddr)
{
	struct host_rec a = {.trtype = NVMF_TRTYPE_TCP, .adrfam = NVMF_ADDR_FAMILY_IP4};
	struct host_rec b;

	snprintf(a.hostnqn, sizeof(a.hostnqn), "%s", HOSTNQN);
	snprintf(a.traddr, sizeof(a.traddr), "192.0.2.50");
	b = a;
	memset(b.hostid, 0xaa, sizeof(b.hostid)); /* not in the key */
	snprintf(b.symname, sizeof(b.symname), "web-01");
	b.source = 3;
	ck_assert(dim_host_key_match(&a, &b));
	b = a;
	snprintf(b.hostnqn, sizeof(b.hostnqn), "%s", HOST2NQN);
	ck_assert(!dim_host_key_match(&a, &b));
	b = a;
	b.sectype = NVMF_TCP_SECTYPE_TLS13;
	ck_assert(!dim_host_key_match(&a, &b));
	b = a;
	snprintf(b.trsvcid, sizeof(b.trsvcid), "4420");
	ck_assert(!dim_host_key_match(&a, &b));
	b = a;
	b.adrfam = NVMF_ADDR_FAMILY_IP6;
	ck_assert(!dim_host_key_match(&a, &b));
	b = a;
	b.trtype = NVMF_TRTYPE_RDMA;
	ck_assert(!dim_host_key_match(&a, &b));
	b = a;
	snprintf(b.traddr, sizeof(b.traddr), "192.0.2.51");
	ck_assert(!dim_host_key_match(&a, &b));
}
END_TEST

/* ---- robustness ---- */

/* Sets every byte of d in turn to 0x00 and to 0xff: each result parses or is refused with one
 * of the three statuses, and a parsed request has sane entries. Returns the number refused. */
static unsigned int flip_every_byte(struct dim_buf *d, uint32_t cdw10)
{
	static const uint8_t values[] = {0x00, 0xff};
	unsigned int refused = 0;

	for (uint32_t i = 0; i < d->len; i++) {
		uint8_t saved = d->b[i];

		for (size_t v = 0; v < sizeof(values); v++) {
			struct dim_request req;
			uint32_t off;
			uint16_t st;

			d->b[i] = values[v];
			st = dim_parse(cdw10, d->b, d->len, 64, &req, &off);
			if (st) {
				ck_assert_msg(st == ST_INVALID_FIELD || st == ST_INVALID_INFO ||
						      st == ST_NO_RESOURCES,
					      "byte %u = 0x%02x: status 0x%x", i, values[v], st);
				ck_assert_msg(off < d->len + 1032, "byte %u: offset %u", i, off);
				ck_assert_ptr_null(req.entries);
				refused++;
				continue;
			}
			ck_assert_uint_ge(req.nument, 1);
			ck_assert_ptr_nonnull(req.entries);
			for (size_t e = 0; e < req.nument; e++) {
				const struct dim_entry *de = &req.entries[e];

				ck_assert(de->is_host == (req.etype != NVMF_DIM_ETYPE_DDC));
				if (de->is_host)
					ck_assert_str_eq(de->host.hostnqn, req.entity.nqn);
				else
					ck_assert(nqn_is_valid(de->rec.subnqn));
			}
			ck_assert(nqn_is_valid(req.entity.nqn));
			dim_request_free(&req);
		}
		d->b[i] = saved;
	}
	return refused;
}

START_TEST(no_single_byte_change_crashes_or_answers_another_status)
{
	struct dim_buf d;

	host_register(&d, "web-01");
	ck_assert_uint_gt(flip_every_byte(&d, NVMF_DIM_TAS_REGISTER), 0);
	ddc_register(&d, true, DIM_EKTYPE_TRADDR);
	ck_assert_uint_gt(flip_every_byte(&d, NVMF_DIM_TAS_DEREGISTER), 0);
	ddc_register(&d, false, DIM_EKTYPE_PORTID);
	ck_assert_uint_gt(flip_every_byte(&d, NVMF_DIM_TAS_UPDATE), 0);
}
END_TEST

START_TEST(encoded_ddc_ports_parse_back_to_the_same_records)
{
	static uint8_t buf[1024 + 2 * 1024];
	struct entity e = {.nqn = "nqn.2014-08.org.example:ddc", .ename = "ddc", .ever = "1.0"};
	struct log_rec recs[2] = {
		{.subtype = NVME_NQN_NVME,
		 .asqsz = 32,
		 .subnqn = "nqn.2014-08.org.example:s1",
		 .port = {.trtype = NVMF_TRTYPE_TCP,
			  .adrfam = NVMF_ADDR_FAMILY_IP4,
			  .portid = 3,
			  .traddr = "192.0.2.7",
			  .trsvcid = "4420"}},
		{.subtype = NVME_NQN_DISC,
		 .subnqn = "nqn.2014-08.org.nvmexpress.discovery",
		 .port = {.trtype = NVMF_TRTYPE_TCP,
			  .adrfam = NVMF_ADDR_FAMILY_IP6,
			  .traddr = "2001:db8::9",
			  .trsvcid = "8009"}},
	};
	struct dim_request req;
	uint32_t off = 0;

	ck_assert_uint_eq(dim_encode_ddc(buf, sizeof(buf) - 1, DIM_EKTYPE_TRADDR, &e, recs, 2), 0);
	size_t tdl = dim_encode_ddc(buf, sizeof(buf), DIM_EKTYPE_TRADDR, &e, recs, 2);
	ck_assert_uint_eq(tdl, sizeof(buf));
	ck_assert_uint_eq(dim_parse(NVMF_DIM_TAS_REGISTER, buf, (uint32_t)tdl, 8, &req, &off), 0);
	ck_assert_str_eq(req.entity.nqn, e.nqn);
	ck_assert_str_eq(req.entity.ename, "ddc");
	ck_assert_uint_eq(req.nument, 2);
	for (size_t i = 0; i < 2; i++) {
		const struct log_rec *r = &req.entries[i].rec;
		ck_assert(!req.entries[i].is_host);
		ck_assert_uint_eq(r->subtype, recs[i].subtype);
		ck_assert_str_eq(r->subnqn, recs[i].subnqn);
		ck_assert_str_eq(r->port.traddr, recs[i].port.traddr);
		ck_assert_str_eq(r->port.trsvcid, recs[i].port.trsvcid);
		ck_assert_uint_eq(r->port.portid, recs[i].port.portid);
		ck_assert_uint_eq(r->port.adrfam, recs[i].port.adrfam);
	}
	ck_assert_uint_eq(req.entries[0].rec.asqsz, 32);
	dim_request_free(&req);
}
END_TEST

/* ---- the DDC side: dim_encode_ddc() against the layout of protocol.md 7.1 and 6.3 ---- */

static void fill_text(char *dst, size_t n, char c)
{
	memset(dst, c, n);
	dst[n] = '\0';
}

START_TEST(ddc_encoding_matches_the_layout_byte_by_byte)
{
	struct entity e = {0};
	struct log_rec recs[2];
	static uint8_t got[1024 + 2 * 1024 + 64], want[1024 + 2 * 1024];
	char err[128];

	/* The longest fields there are: a 223-character EID, a 255-character ENAME and a
	 * 64-character EVER, which fills its field without a NUL. */
	strcpy(e.nqn, "nqn.2014-08.org.example:");
	memset(e.nqn + strlen(e.nqn), 'd', CDC_NQN_MAX - strlen(e.nqn));
	e.nqn[CDC_NQN_MAX] = '\0';
	fill_text(e.ename, ENTITY_NAME_MAX, 'n');
	fill_text(e.ever, ENTITY_VERSION_MAX, 'v');
	memset(recs, 0, sizeof(recs));
	recs[0].subtype = NVME_NQN_NVME;
	recs[0].asqsz = 64;
	snprintf(recs[0].subnqn, sizeof(recs[0].subnqn), "%s", SUBNQN1);
	ck_assert_int_eq(addr_parse_port("trtype=tcp;adrfam=ipv4;traddr=192.0.2.10;trsvcid=4420;"
					   "portid=513",
					   "4420", &recs[0].port, err, sizeof(err)),
			 0);
	recs[0].port.treq = 0x01;	 /* secure channel required */
	recs[0].port.sectype = 2;	 /* TLS 1.3 */
	recs[1].subtype = NVME_NQN_DISC; /* a referral, default ASQSZ */
	snprintf(recs[1].subnqn, sizeof(recs[1].subnqn), "%s", NVME_DISC_SUBSYS_NAME);
	ck_assert_int_eq(
		addr_parse_port("trtype=tcp;adrfam=ipv6;traddr=2001:db8::50;trsvcid=8009;"
				  "portid=2",
				  "8009", &recs[1].port, err, sizeof(err)),
		0);

	/* The expected bytes, written field by field from the tables, not from the code. */
	memset(want, 0, sizeof(want));
	want[0] = 0x00; /* TDL = 3072, le32 */
	want[1] = 0x0c;
	want[8] = 2;				     /* NUMENT, le64 */
	want[16] = 1;				     /* ENTFMT basic */
	want[18] = 2;				     /* ETYPE DDC */
	want[20] = 0;				     /* PORTLCL */
	want[22] = 0x3f;			     /* EKTYPE: PortID-based */
	memcpy(want + 24, e.nqn, CDC_NQN_MAX);	     /* EID, 256 bytes */
	memset(want + 280, 'n', ENTITY_NAME_MAX);    /* ENAME, 256 bytes */
	memset(want + 536, 'v', ENTITY_VERSION_MAX); /* EVER, 64 bytes */
	uint8_t *d = want + 1024;		     /* DIE 0: a log entry */
	d[0] = 3;				     /* TRTYPE tcp */
	d[1] = 1;				     /* ADRFAM ipv4 */
	d[2] = 2;				     /* SUBTYPE NVM subsystem */
	d[3] = 0x01;				     /* TREQ */
	d[4] = 0x01, d[5] = 0x02;		     /* PORTID 513 */
	d[6] = 0xff, d[7] = 0xff;		     /* CNTLID: dynamic */
	d[8] = 64;				     /* ASQSZ */
	memcpy(d + 32, "4420", 4);		     /* TRSVCID */
	memcpy(d + 256, SUBNQN1, strlen(SUBNQN1));   /* SUBNQN */
	memcpy(d + 512, "192.0.2.10", 10);	     /* TRADDR */
	d[768] = 2;				     /* TSAS.SECTYPE */
	d = want + 2048;			     /* DIE 1 */
	d[0] = 3, d[1] = 2, d[2] = 1, d[3] = 0;
	d[4] = 2;
	d[6] = 0xff, d[7] = 0xff;
	d[8] = 128; /* ASQSZ: the CDC's default */
	memcpy(d + 32, "8009", 4);
	memcpy(d + 256, NVME_DISC_SUBSYS_NAME, strlen(NVME_DISC_SUBSYS_NAME));
	memcpy(d + 512, "2001:db8::50", 12);

	memset(got, 0xee, sizeof(got));
	ck_assert_uint_eq(dim_encode_ddc(got, sizeof(got), DIM_EKTYPE_PORTID, &e, recs, 2),
			  sizeof(want));
	for (size_t i = 0; i < sizeof(want); i++)
		ck_assert_msg(got[i] == want[i], "byte %zu: 0x%02x, want 0x%02x", i, got[i],
			      want[i]);
	ck_assert_uint_eq(got[sizeof(want)], 0xee); /* nothing written past TDL */

	/* EKTYPE is what the caller asked for; a buffer too small gets nothing. */
	ck_assert_uint_eq(dim_encode_ddc(got, sizeof(got), DIM_EKTYPE_TRADDR, &e, recs, 1), 2048);
	ck_assert_uint_eq(get_le16(got + 22), 0x5f);
	ck_assert_uint_eq(get_le32(got), 2048);
	ck_assert_uint_eq(get_le64(got + 8), 1);
	ck_assert_uint_eq(dim_encode_ddc(got, 2047, DIM_EKTYPE_TRADDR, &e, recs, 1), 0);
}
END_TEST

static Suite *dim_suite(void)
{
	Suite *s = suite_create("dim");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc,
		       statuses_are_invalid_field_invalid_information_and_insufficient_resources);
	tcase_add_test(tc, libnvme_host_register_parses_into_entity_and_host_record);
	tcase_add_test(tc, host_symbolic_name_loses_the_spaces_libnvme_pads_it_with);
	tcase_add_test(tc, host_symbolic_name_filling_its_attribute_needs_no_terminator);
	tcase_add_test(tc, host_utf8_admin_label_padded_with_nuls_is_the_symbolic_name);
	tcase_add_test(tc, unknown_extended_attributes_are_skipped);
	tcase_add_test(tc, tel_may_leave_room_after_the_attributes);
	tcase_add_test(tc, entity_name_and_version_lose_trailing_spaces);
	tcase_add_test(tc, entity_name_and_version_without_nul_are_cut_to_fit);
	tcase_add_test(tc, host_with_an_address_keeps_it_in_canonical_form);
	tcase_add_test(tc, ddc_registers_two_ports_with_basic_entries);
	tcase_add_test(tc, ddc_registers_two_ports_with_extended_entries);
	tcase_add_test(tc, ddc_extended_entry_may_carry_attributes);
	tcase_add_test(tc, ddc_port_address_is_kept_in_canonical_form);
	tcase_add_test(tc, ddc_registers_a_referral);
	tcase_add_test(tc, deregister_parses_like_register);
	tcase_add_test(tc, update_selects_with_entry_0_and_replaces_with_entry_1);
	tcase_add_test(tc, host_update_names_both_addresses);
	tcase_add_test(tc, reserved_cdw10_bits_above_tas_are_ignored);
	suite_add_tcase(s, tc);

	tc = tcase_create("header");
	tcase_add_test(tc, reserved_tas_is_invalid_field);
	tcase_add_test(tc, data_shorter_than_the_header_is_invalid_field);
	tcase_add_test(tc, tdl_other_than_the_data_length_is_invalid_field);
	tcase_add_test(tc, no_entries_is_invalid_field);
	tcase_add_test(tc, update_with_other_than_two_entries_is_invalid_field);
	tcase_add_test(tc, update_with_three_valid_entries_is_invalid_field);
	tcase_add_test(tc, more_entries_than_max_is_insufficient_resources_without_dnr);
	tcase_add_test(tc, more_entries_than_the_data_holds_is_invalid_field);
	tcase_add_test(tc, reserved_entfmt_is_invalid_field);
	tcase_add_test(tc, reserved_etype_is_invalid_field);
	tcase_add_test(tc, portlcl_of_a_host_or_cdc_is_invalid_field);
	tcase_add_test(tc, reserved_ektype_is_invalid_field);
	tcase_add_test(tc, host_entries_keyed_by_portid_is_invalid_field);
	tcase_add_test(tc, eid_without_nul_is_invalid_field);
	tcase_add_test(tc, eid_that_is_not_an_nqn_is_invalid_field);
	tcase_add_test(tc, host_in_basic_entries_is_invalid_discovery_information);
	suite_add_tcase(s, tc);

	tc = tcase_create("structure");
	tcase_add_test(tc, tel_not_a_multiple_of_4_is_invalid_field);
	tcase_add_test(tc, tel_below_the_entry_size_is_invalid_field);
	tcase_add_test(tc, tel_beyond_the_data_is_invalid_field);
	tcase_add_test(tc, numexat_beyond_tel_is_invalid_field);
	tcase_add_test(tc, exatlen_zero_or_not_a_multiple_of_4_is_invalid_field);
	tcase_add_test(tc, exatlen_beyond_tel_is_invalid_field);
	tcase_add_test(tc, bytes_after_the_last_entry_are_invalid_field);
	tcase_add_test(tc, fields_without_nul_in_their_whole_width_are_invalid_field);
	tcase_add_test(tc, data_after_the_nul_of_a_field_is_ignored);
	suite_add_tcase(s, tc);

	tc = tcase_create("host");
	tcase_add_test(tc, host_without_host_identifier_is_invalid_discovery_information);
	tcase_add_test(tc, host_nqn_other_than_the_eid_is_invalid_discovery_information);
	tcase_add_test(tc, host_empty_traddr_in_several_entries_is_invalid_field);
	tcase_add_test(tc, host_traddr_that_is_not_an_address_of_adrfam_is_invalid_field);
	tcase_add_test(tc, host_wildcard_traddr_is_invalid_discovery_information);
	tcase_add_test(tc, host_trsvcid_that_is_not_a_port_is_invalid_field);
	tcase_add_test(tc, host_over_other_transports_or_families_is_invalid_discovery_information);
	suite_add_tcase(s, tc);

	tc = tcase_create("subsystem");
	tcase_add_test(
		tc, subsystem_subtype_other_than_nvm_or_referral_is_invalid_discovery_information);
	tcase_add_test(tc, subsystem_nqn_that_is_not_an_nqn_is_invalid_field);
	tcase_add_test(tc, subsystem_nqn_longer_than_223_bytes_is_invalid_field);
	tcase_add_test(
		tc, subsystem_over_other_transports_or_families_is_invalid_discovery_information);
	tcase_add_test(tc, subsystem_wildcard_traddr_is_invalid_discovery_information);
	tcase_add_test(tc, subsystem_traddr_empty_or_not_an_address_is_invalid_field);
	tcase_add_test(tc, subsystem_trsvcid_that_is_not_a_port_is_invalid_field);
	suite_add_tcase(s, tc);

	tc = tcase_create("keys");
	tcase_add_test(tc, traddr_key_ignores_portid_but_not_the_address);
	tcase_add_test(tc, portid_key_ignores_the_address_but_not_portid);
	tcase_add_test(tc, both_keys_compare_nqn_tsas_trsvcid_adrfam_and_trtype);
	tcase_add_test(tc, parsed_entries_match_their_own_key);
	tcase_add_test(tc, host_key_is_nqn_tsas_trsvcid_adrfam_trtype_and_traddr);
	suite_add_tcase(s, tc);

	tc = tcase_create("robustness");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, no_single_byte_change_crashes_or_answers_another_status);
	tcase_add_test(tc, encoded_ddc_ports_parse_back_to_the_same_records);
	tcase_add_test(tc, ddc_encoding_matches_the_layout_byte_by_byte);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(dim_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
