/* test_fabric.c - unit tests for cdc/fabric.c: records, hosts and entities by key, connection
 * counts and NCC, the log 70h body and the log 71h entries fabric_rebuild() builds, when GENCTR
 * and the 71h GENCTR move, log 71h as disc_hostlog_read() serves it, and the configuration's
 * share of log 70h. The 71h entries are checked against a reference built from the spec's
 * offsets (protocol.md 7.2); a randomised test replays mutations against a plain model.
 * FABRIC_SEED=N replays the randomised test with seed N. */

#include <check.h>
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nvme/types.h>

#include "config.h"
#include "disc_log.h"
#include "fabric.h"
#include "model.h"
#include "nvmf_tcp.h"

#define HOST_A	 "nqn.2014-08.org.nvmexpress:uuid:0aa0e5e4-4d0e-4b8a-8ad5-3d1f4e3c5a01"
#define HOST_B	 "nqn.2014-08.org.nvmexpress:uuid:0aa0e5e4-4d0e-4b8a-8ad5-3d1f4e3c5a02"
#define DDC_A	 "nqn.2024-01.com.example:ddc:a"
#define DDC_B	 "nqn.2024-01.com.example:ddc:b"
#define SUBSYS1	 "nqn.2024-01.com.example:subsys1"
#define SUBSYS2	 "nqn.2024-01.com.example:subsys2"
#define SUBSYS3	 "nqn.2024-01.com.example:subsys3"
#define OTHER_DC "nqn.2024-01.com.example:cdc:other"

/* Log 71h host extended entry (protocol.md 7.2) and its extended attributes (6.4). */
#define HE_TRTYPE   0
#define HE_ADRFAM   1
#define HE_EFLAGS   10
#define HE_HOSTNQN  256
#define HE_TRADDR   512
#define HE_SECTYPE  768
#define HE_TEL	    1024
#define HE_NUMEXAT  1028
#define HE_EXAT	    1032
#define EXAT_HDR    4
#define HOSTID_EXAT (EXAT_HDR + 16)

/* Log 71h header. */
#define HH_GENCTR 0
#define HH_NUMREC 8
#define HH_RECFMT 16
#define HH_HDLPF  18
#define HH_THDLPL 20

/* Log 70h's body (configured, then registered entries) as one buffer (valid until the next
 * call). */
static const uint8_t *log70_flat(const struct fabric *f)
{
	static uint8_t *flat;
	size_t len = f->nentries * DISC_LOG_ENTRY_LEN;

	free(flat);
	flat = malloc(len + 1);
	ck_assert_ptr_nonnull(flat);
	ck_assert_uint_eq(view_copy(fabric_host_view((struct fabric *)f, "", NULL), 0, flat, len),
			  len);
	return flat;
}

/* Log 71h's body as one buffer (valid until the next call). */
static const uint8_t *hostlog_flat(const struct fabric *f)
{
	static uint8_t *flat;

	free(flat);
	flat = malloc(f->hostlog_len + 1);
	ck_assert_ptr_nonnull(flat);
	ck_assert_uint_eq(view_copy(fabric_hostlog_view(f), 0, flat, f->hostlog_len),
			  f->hostlog_len);
	return flat;
}

/* The i-th record, host record or entity in order of arrival. */
static struct log_rec *rec_at(const struct fabric *f, size_t i)
{
	struct log_rec *r = fabric_rec_next(f, NULL);

	while (r && i--)
		r = fabric_rec_next(f, r);
	ck_assert_ptr_nonnull(r);
	return r;
}

static struct host_rec *host_at(const struct fabric *f, size_t i)
{
	struct host_rec *h = fabric_host_next(f, NULL);

	while (h && i--)
		h = fabric_host_next(f, h);
	ck_assert_ptr_nonnull(h);
	return h;
}

static const uint8_t hostid_a[16] = {0x0a, 0xa0, 0xe5, 0xe4, 0x4d, 0x0e, 0x4b, 0x8a,
				     0x8a, 0xd5, 0x3d, 0x1f, 0x4e, 0x3c, 0x5a, 0x01};
static const uint8_t hostid_b[16] = {0x0a, 0xa0, 0xe5, 0xe4, 0x4d, 0x0e, 0x4b, 0x8a,
				     0x8a, 0xd5, 0x3d, 0x1f, 0x4e, 0x3c, 0x5a, 0x02};

/* True if the len bytes of p are all zero. */
static bool all_zero(const void *p, size_t len)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < len; i++)
		if (b[i])
			return false;
	return true;
}

/* A fixed-size text field: the string, then NUL bytes to the end. */
static void assert_nul_padded(const void *field, size_t size, const char *want)
{
	size_t n = strlen(want);

	ck_assert_mem_eq(field, want, n);
	ck_assert_msg(all_zero((const uint8_t *)field + n, size - n), "'%s' is not NUL padded",
		      want);
}

static size_t roundup4(size_t n)
{
	return (n + 3) / 4 * 4;
}

static struct cdc_port port_of(const char *text)
{
	struct cdc_port port;
	char err[256];

	ck_assert_msg(addr_parse_port(text, "4420", &port, err, sizeof(err)) == 0, "%s: %s", text,
		      err);
	return port;
}

static struct cdc_listen listen_of(const char *text)
{
	struct cdc_listen l;

	ck_assert_msg(addr_parse_listen(text, &l) == 0, "listen %s", text);
	return l;
}

static struct log_rec rec_of(const char *owner, uint8_t subtype, const char *subnqn,
			     const char *port)
{
	struct log_rec r;

	memset(&r, 0, sizeof(r));
	snprintf(r.owner, sizeof(r.owner), "%s", owner);
	r.source = owner[0] ? REG_DIM : REG_ADMIN;
	r.subtype = subtype;
	snprintf(r.subnqn, sizeof(r.subnqn), "%s", subnqn);
	r.port = port_of(port);
	return r;
}

static struct host_rec host_of(const char *nqn, const char *traddr, const char *trsvcid,
			       const uint8_t hostid[16], const char *symname)
{
	struct host_rec h;

	memset(&h, 0, sizeof(h));
	snprintf(h.hostnqn, sizeof(h.hostnqn), "%s", nqn);
	h.source = REG_DIM;
	h.trtype = NVMF_TRTYPE_TCP;
	h.adrfam = strchr(traddr, ':') ? NVMF_ADDR_FAMILY_IP6 : NVMF_ADDR_FAMILY_IP4;
	h.sectype = NVMF_TCP_SECTYPE_NONE;
	snprintf(h.traddr, sizeof(h.traddr), "%s", traddr);
	snprintf(h.trsvcid, sizeof(h.trsvcid), "%s", trsvcid);
	memcpy(h.hostid, hostid, 16);
	snprintf(h.symname, sizeof(h.symname), "%s", symname);
	return h;
}

static struct entity entity_of(const char *nqn, uint8_t etype, const char *ename)
{
	struct entity e;

	memset(&e, 0, sizeof(e));
	snprintf(e.nqn, sizeof(e.nqn), "%s", nqn);
	e.etype = etype;
	e.source = REG_DIM;
	snprintf(e.ename, sizeof(e.ename), "%s", ename);
	snprintf(e.ever, sizeof(e.ever), "%s", "1.0");
	snprintf(e.regnqn, sizeof(e.regnqn), "%s", nqn);
	e.first_seen = 1700000000;
	e.last_seen = 1700000000;
	return e;
}

static void put_rec(struct fabric *f, const struct log_rec *r)
{
	ck_assert_int_eq(fabric_rec_put(f, r), 0);
}

static void put_host(struct fabric *f, const struct host_rec *h)
{
	ck_assert_int_eq(fabric_host_put(f, h), 0);
}

static void conn(struct fabric *f, const char *nqn, int delta)
{
	ck_assert_int_ge(fabric_conn(f, nqn, delta), 0);
}

static uint16_t eflags_of(const struct nvmf_disc_log_entry *e)
{
	return le16toh(e->eflags);
}

/* The expected log 71h entry for h, written from the spec's offsets into p (zeroed first).
 * Returns its length (TEL). */
static size_t host_entry_expect(const struct host_rec *h, bool connected, uint8_t *p, size_t max)
{
	size_t sym = strlen(h->symname);
	size_t tel = HE_EXAT + HOSTID_EXAT + (sym ? EXAT_HDR + roundup4(sym) : 0);

	ck_assert_uint_le(tel, max);
	memset(p, 0, tel);
	p[HE_TRTYPE] = h->trtype;
	p[HE_ADRFAM] = h->adrfam;
	put_le16(p + HE_EFLAGS, connected ? 0 : NVMF_DISC_EFLAGS_NCC);
	memcpy(p + HE_HOSTNQN, h->hostnqn, strlen(h->hostnqn));
	memcpy(p + HE_TRADDR, h->traddr, strlen(h->traddr));
	p[HE_SECTYPE] = h->sectype;
	put_le32(p + HE_TEL, (uint32_t)tel);
	put_le16(p + HE_NUMEXAT, sym ? 2 : 1);
	put_le16(p + HE_EXAT, NVMF_EXATTYPE_HOSTID);
	put_le16(p + HE_EXAT + 2, 16);
	memcpy(p + HE_EXAT + EXAT_HDR, h->hostid, 16);
	if (sym) {
		uint8_t *a = p + HE_EXAT + HOSTID_EXAT;

		put_le16(a, NVMF_EXATTYPE_SYMNAME);
		put_le16(a + 2, (uint16_t)roundup4(sym));
		memcpy(a + EXAT_HDR, h->symname, sym);
	}
	return tel;
}

/* The expected log 71h entries for every host of f, back to back, in a new buffer. */
static uint8_t *hostlog_expect(const struct fabric *f, size_t *len)
{
	size_t max = f->nhosts * (HE_EXAT + HOSTID_EXAT + EXAT_HDR + HOST_SYMNAME_MAX) + 1;
	uint8_t *buf = malloc(max);
	size_t off = 0;

	ck_assert_ptr_nonnull(buf);
	for (size_t i = 0; i < f->nhosts; i++)
		off += host_entry_expect(host_at(f, i),
					 fabric_connected(f, (*host_at(f, i)).hostnqn), buf + off,
					 max - off);
	*len = off;
	return buf;
}

static void assert_hostlog_as_expected(const struct fabric *f)
{
	size_t len;
	uint8_t *want = hostlog_expect(f, &len);

	ck_assert_uint_eq(f->hostlog_len, len);
	ck_assert_uint_eq(f->nhostlog, f->nhosts);
	if (len)
		ck_assert_mem_eq(hostlog_flat(f), want, len);
	free(want);
}

/* ---- records, hosts and entities by key ---- */

START_TEST(rec_put_with_the_same_key_replaces_the_record)
{
	struct fabric f;
	struct log_rec r =
		rec_of(DDC_A, NVME_NQN_NVME, SUBSYS1, "traddr=192.0.2.10;trsvcid=4420;portid=1");
	struct log_rec again = r;

	fabric_init(&f);
	put_rec(&f, &r);
	again.subtype = NVME_NQN_DISC;
	again.asqsz = 64;
	again.port.portid = 9;
	again.port.treq = NVMF_TREQ_REQUIRED;
	again.source = REG_PULL;
	put_rec(&f, &again);

	ck_assert_uint_eq(f.nrecs, 1);
	ck_assert_uint_eq(fabric_rec_count(&f, DDC_A), 1);
	struct log_rec *found = fabric_rec_find(&f, &r);
	ck_assert_ptr_nonnull(found);
	ck_assert_uint_eq(found->subtype, NVME_NQN_DISC);
	ck_assert_uint_eq(found->asqsz, 64);
	ck_assert_uint_eq(found->port.portid, 9);
	ck_assert_uint_eq(found->port.treq, NVMF_TREQ_REQUIRED);
	ck_assert_uint_eq(found->source, REG_PULL);
	fabric_free(&f);
}
END_TEST

START_TEST(rec_with_another_trsvcid_is_another_record)
{
	struct fabric f;
	struct log_rec r = rec_of(DDC_A, NVME_NQN_NVME, SUBSYS1, "traddr=192.0.2.10;trsvcid=4420");
	struct log_rec other =
		rec_of(DDC_A, NVME_NQN_NVME, SUBSYS1, "traddr=192.0.2.10;trsvcid=4421");

	fabric_init(&f);
	put_rec(&f, &r);
	put_rec(&f, &other);
	ck_assert_uint_eq(f.nrecs, 2);
	ck_assert_uint_eq(fabric_rec_count(&f, DDC_A), 2);
	ck_assert_ptr_eq(fabric_rec_find(&f, &r), rec_at(&f, 0));
	ck_assert_ptr_eq(fabric_rec_find(&f, &other), rec_at(&f, 1));
	ck_assert(!fabric_rec_key_equal(&r, &other));
	fabric_free(&f);
}
END_TEST

START_TEST(rec_for_the_same_port_under_another_owner_is_another_record)
{
	struct fabric f;
	struct log_rec a = rec_of(DDC_A, NVME_NQN_NVME, SUBSYS1, "traddr=192.0.2.10");
	struct log_rec b = rec_of(DDC_B, NVME_NQN_NVME, SUBSYS1, "traddr=192.0.2.10");
	struct log_rec admin = rec_of("", NVME_NQN_NVME, SUBSYS1, "traddr=192.0.2.10");

	fabric_init(&f);
	put_rec(&f, &a);
	put_rec(&f, &b);
	put_rec(&f, &admin);
	ck_assert_uint_eq(f.nrecs, 3);
	ck_assert_uint_eq(fabric_rec_count(&f, DDC_A), 1);
	ck_assert_uint_eq(fabric_rec_count(&f, DDC_B), 1);
	ck_assert_uint_eq(fabric_rec_count(&f, ""), 1);
	ck_assert_str_eq(fabric_rec_find(&f, &b)->owner, DDC_B);
	ck_assert_str_eq(fabric_rec_find(&f, &admin)->owner, "");
	fabric_free(&f);
}
END_TEST

START_TEST(rec_key_is_owner_subnqn_trtype_adrfam_traddr_and_trsvcid)
{
	struct log_rec base = rec_of(DDC_A, NVME_NQN_NVME, SUBSYS1, "traddr=192.0.2.10");
	struct log_rec k;

	k = base;
	k.subtype = NVME_NQN_DISC;
	k.asqsz = 32;
	k.source = REG_ADMIN;
	k.port.portid = 77;
	k.port.treq = NVMF_TREQ_REQUIRED;
	k.port.sectype = NVMF_TCP_SECTYPE_TLS13;
	ck_assert_msg(fabric_rec_key_equal(&base, &k), "non-key fields are part of the key");

	k = base;
	snprintf(k.owner, sizeof(k.owner), "%s", DDC_B);
	ck_assert(!fabric_rec_key_equal(&base, &k));
	k = base;
	snprintf(k.subnqn, sizeof(k.subnqn), "%s", SUBSYS2);
	ck_assert(!fabric_rec_key_equal(&base, &k));
	k = base;
	k.port.trtype = NVMF_TRTYPE_RDMA;
	ck_assert(!fabric_rec_key_equal(&base, &k));
	k = base;
	k.port.adrfam = NVMF_ADDR_FAMILY_IP6;
	ck_assert(!fabric_rec_key_equal(&base, &k));
	k = base;
	snprintf(k.port.traddr, sizeof(k.port.traddr), "%s", "192.0.2.11");
	ck_assert(!fabric_rec_key_equal(&base, &k));
	k = base;
	snprintf(k.port.trsvcid, sizeof(k.port.trsvcid), "%s", "4421");
	ck_assert(!fabric_rec_key_equal(&base, &k));
}
END_TEST

START_TEST(rec_count_counts_only_the_owners_records)
{
	struct fabric f;
	static const char *const addrs[] = {"traddr=192.0.2.10", "traddr=192.0.2.11",
					    "traddr=192.0.2.12"};

	fabric_init(&f);
	ck_assert_uint_eq(fabric_rec_count(&f, DDC_A), 0);
	for (size_t i = 0; i < 3; i++) {
		struct log_rec r = rec_of(DDC_A, NVME_NQN_NVME, SUBSYS1, addrs[i]);

		put_rec(&f, &r);
	}
	for (size_t i = 0; i < 2; i++) {
		struct log_rec r = rec_of(DDC_B, NVME_NQN_NVME, SUBSYS2, addrs[i]);

		put_rec(&f, &r);
	}
	ck_assert_uint_eq(fabric_rec_count(&f, DDC_A), 3);
	ck_assert_uint_eq(fabric_rec_count(&f, DDC_B), 2);
	ck_assert_uint_eq(fabric_rec_count(&f, HOST_A), 0);
	ck_assert_uint_eq(fabric_rec_count(&f, ""), 0);
	fabric_free(&f);
}
END_TEST

START_TEST(rec_del_removes_by_key_and_keeps_the_order_of_the_rest)
{
	struct fabric f;
	struct log_rec r1 = rec_of(DDC_A, NVME_NQN_NVME, SUBSYS1, "traddr=192.0.2.10");
	struct log_rec r2 = rec_of(DDC_A, NVME_NQN_NVME, SUBSYS2, "traddr=192.0.2.10");
	struct log_rec r3 = rec_of(DDC_B, NVME_NQN_NVME, SUBSYS3, "traddr=192.0.2.10");

	fabric_init(&f);
	put_rec(&f, &r1);
	put_rec(&f, &r2);
	put_rec(&f, &r3);
	struct log_rec key = r2;
	key.asqsz = 99; /* not part of the key */
	ck_assert(fabric_rec_del(&f, &key));
	ck_assert_uint_eq(f.nrecs, 2);
	ck_assert_ptr_null(fabric_rec_find(&f, &r2));
	ck_assert_str_eq((*rec_at(&f, 0)).subnqn, SUBSYS1);
	ck_assert_str_eq((*rec_at(&f, 1)).subnqn, SUBSYS3);
	ck_assert_uint_eq(fabric_rec_count(&f, DDC_A), 1);
	fabric_free(&f);
}
END_TEST

START_TEST(rec_del_of_a_missing_key_returns_false)
{
	struct fabric f;
	struct log_rec r = rec_of(DDC_A, NVME_NQN_NVME, SUBSYS1, "traddr=192.0.2.10");
	struct log_rec other_owner = rec_of(DDC_B, NVME_NQN_NVME, SUBSYS1, "traddr=192.0.2.10");

	fabric_init(&f);
	ck_assert(!fabric_rec_del(&f, &r));
	put_rec(&f, &r);
	ck_assert(!fabric_rec_del(&f, &other_owner));
	ck_assert_uint_eq(f.nrecs, 1);
	ck_assert(fabric_rec_del(&f, &r));
	ck_assert(!fabric_rec_del(&f, &r));
	ck_assert_uint_eq(f.nrecs, 0);
	fabric_free(&f);
}
END_TEST

START_TEST(host_put_with_the_same_key_replaces_the_host)
{
	struct fabric f;
	struct host_rec h = host_of(HOST_A, "192.0.2.50", "", hostid_a, "");
	struct host_rec again = h;

	fabric_init(&f);
	put_host(&f, &h);
	memcpy(again.hostid, hostid_b, 16);
	snprintf(again.symname, sizeof(again.symname), "%s", "web-01");
	again.sectype = NVMF_TCP_SECTYPE_TLS13;
	again.source = REG_IMPLICIT;
	put_host(&f, &again);
	ck_assert_uint_eq(f.nhosts, 1);
	struct host_rec *found = fabric_host_find(&f, &h);
	ck_assert_ptr_nonnull(found);
	ck_assert_mem_eq(found->hostid, hostid_b, 16);
	ck_assert_str_eq(found->symname, "web-01");
	ck_assert_uint_eq(found->sectype, NVMF_TCP_SECTYPE_TLS13);
	ck_assert_uint_eq(found->source, REG_IMPLICIT);
	fabric_free(&f);
}
END_TEST

START_TEST(host_key_is_hostnqn_trtype_adrfam_traddr_and_trsvcid)
{
	struct fabric f;
	struct host_rec base = host_of(HOST_A, "192.0.2.50", "", hostid_a, "");
	struct host_rec k[5];

	for (size_t i = 0; i < 5; i++)
		k[i] = base;
	snprintf(k[0].hostnqn, sizeof(k[0].hostnqn), "%s", HOST_B);
	k[1].trtype = NVMF_TRTYPE_RDMA;
	k[2].adrfam = NVMF_ADDR_FAMILY_IP6;
	snprintf(k[3].traddr, sizeof(k[3].traddr), "%s", "192.0.2.51");
	snprintf(k[4].trsvcid, sizeof(k[4].trsvcid), "%s", "4420");

	fabric_init(&f);
	put_host(&f, &base);
	for (size_t i = 0; i < 5; i++) {
		ck_assert_msg(!fabric_host_key_equal(&base, &k[i]), "variant %zu", i);
		ck_assert_ptr_null(fabric_host_find(&f, &k[i]));
		put_host(&f, &k[i]);
	}
	ck_assert_uint_eq(f.nhosts, 6);

	struct host_rec same = base;
	memcpy(same.hostid, hostid_b, 16);
	same.sectype = NVMF_TCP_SECTYPE_TLS13;
	snprintf(same.symname, sizeof(same.symname), "%s", "label");
	ck_assert(fabric_host_key_equal(&base, &same));
	ck_assert_ptr_eq(fabric_host_find(&f, &same), host_at(&f, 0));
	fabric_free(&f);
}
END_TEST

START_TEST(host_del_removes_by_key_and_a_missing_key_returns_false)
{
	struct fabric f;
	struct host_rec a = host_of(HOST_A, "192.0.2.50", "", hostid_a, "");
	struct host_rec a6 = host_of(HOST_A, "2001:db8::50", "", hostid_a, "");
	struct host_rec b = host_of(HOST_B, "192.0.2.60", "", hostid_b, "");

	fabric_init(&f);
	ck_assert(!fabric_host_del(&f, &a));
	put_host(&f, &a);
	put_host(&f, &a6);
	put_host(&f, &b);
	ck_assert(fabric_host_del(&f, &a));
	ck_assert(!fabric_host_del(&f, &a));
	ck_assert_uint_eq(f.nhosts, 2);
	ck_assert_ptr_null(fabric_host_find(&f, &a));
	ck_assert_str_eq((*host_at(&f, 0)).traddr, "2001:db8::50");
	ck_assert_str_eq((*host_at(&f, 1)).hostnqn, HOST_B);
	fabric_free(&f);
}
END_TEST

START_TEST(entity_put_replaces_an_entity_with_the_same_nqn)
{
	struct fabric f;
	struct entity a = entity_of(DDC_A, NVMF_DIM_ETYPE_DDC, "ddc-a");
	struct entity b = entity_of(DDC_B, NVMF_DIM_ETYPE_DDC, "ddc-b");
	struct entity a2 = entity_of(DDC_A, NVMF_DIM_ETYPE_CDC, "renamed");

	fabric_init(&f);
	ck_assert_ptr_null(fabric_entity_find(&f, DDC_A));
	ck_assert_int_eq(fabric_entity_put(&f, &a), 0);
	ck_assert_int_eq(fabric_entity_put(&f, &b), 0);
	a2.last_seen = 1800000000;
	ck_assert_int_eq(fabric_entity_put(&f, &a2), 0);
	ck_assert_uint_eq(f.nents, 2);
	struct entity *e = fabric_entity_find(&f, DDC_A);
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e->ename, "renamed");
	ck_assert_uint_eq(e->etype, NVMF_DIM_ETYPE_CDC);
	ck_assert_int_eq(e->last_seen, 1800000000);
	ck_assert_str_eq(fabric_entity_find(&f, DDC_B)->ename, "ddc-b");
	fabric_free(&f);
}
END_TEST

START_TEST(entity_del_removes_its_hosts_and_records_and_nobody_elses)
{
	struct fabric f;
	struct entity ea = entity_of(HOST_A, NVMF_DIM_ETYPE_HOST, "host-a");
	struct entity eb = entity_of(HOST_B, NVMF_DIM_ETYPE_HOST, "host-b");
	struct entity ed = entity_of(DDC_A, NVMF_DIM_ETYPE_DDC, "ddc-a");
	struct host_rec ha1 = host_of(HOST_A, "192.0.2.50", "", hostid_a, "");
	struct host_rec hb = host_of(HOST_B, "192.0.2.60", "", hostid_b, "");
	struct host_rec ha2 = host_of(HOST_A, "2001:db8::50", "", hostid_a, "a");
	struct log_rec rd = rec_of(DDC_A, NVME_NQN_NVME, SUBSYS1, "traddr=192.0.2.10");
	struct log_rec ra1 = rec_of(HOST_A, NVME_NQN_NVME, SUBSYS2, "traddr=192.0.2.10");
	struct log_rec radm = rec_of("", NVME_NQN_NVME, SUBSYS3, "traddr=192.0.2.10");
	struct log_rec ra2 = rec_of(HOST_A, NVME_NQN_NVME, SUBSYS3, "traddr=192.0.2.11");

	fabric_init(&f);
	ck_assert_int_eq(fabric_entity_put(&f, &ea), 0);
	ck_assert_int_eq(fabric_entity_put(&f, &eb), 0);
	ck_assert_int_eq(fabric_entity_put(&f, &ed), 0);
	put_host(&f, &ha1);
	put_host(&f, &hb);
	put_host(&f, &ha2);
	put_rec(&f, &rd);
	put_rec(&f, &ra1);
	put_rec(&f, &radm);
	put_rec(&f, &ra2);

	fabric_entity_del(&f, HOST_A);
	ck_assert_ptr_null(fabric_entity_find(&f, HOST_A));
	ck_assert_uint_eq(f.nents, 2);
	ck_assert_ptr_nonnull(fabric_entity_find(&f, HOST_B));
	ck_assert_ptr_nonnull(fabric_entity_find(&f, DDC_A));
	ck_assert_uint_eq(f.nhosts, 1);
	ck_assert_str_eq((*host_at(&f, 0)).hostnqn, HOST_B);
	ck_assert_uint_eq(f.nrecs, 2);
	ck_assert_uint_eq(fabric_rec_count(&f, HOST_A), 0);
	ck_assert_ptr_eq(fabric_rec_find(&f, &rd), rec_at(&f, 0));
	ck_assert_ptr_eq(fabric_rec_find(&f, &radm), rec_at(&f, 1));

	/* Unknown NQN: nothing moves. */
	fabric_entity_del(&f, "nqn.2024-01.com.example:nobody");
	ck_assert_uint_eq(f.nents, 2);
	ck_assert_uint_eq(f.nhosts, 1);
	ck_assert_uint_eq(f.nrecs, 2);
	fabric_free(&f);
}
END_TEST

START_TEST(entity_del_without_an_entity_still_removes_its_hosts_and_records)
{
	struct fabric f;
	struct host_rec h = host_of(HOST_A, "192.0.2.50", "", hostid_a, "");
	struct log_rec r = rec_of(HOST_A, NVME_NQN_NVME, SUBSYS1, "traddr=192.0.2.10");

	fabric_init(&f);
	put_host(&f, &h);
	put_rec(&f, &r);
	fabric_entity_del(&f, HOST_A);
	ck_assert_uint_eq(f.nhosts, 0);
	ck_assert_uint_eq(f.nrecs, 0);
	fabric_free(&f);
}
END_TEST

/* ---- connections ---- */

START_TEST(two_associations_stay_connected_until_both_go)
{
	struct fabric f;

	fabric_init(&f);
	ck_assert(!fabric_connected(&f, HOST_A));
	conn(&f, HOST_A, +1);
	conn(&f, HOST_A, +1);
	ck_assert(fabric_connected(&f, HOST_A));
	conn(&f, HOST_A, -1);
	ck_assert(fabric_connected(&f, HOST_A));
	conn(&f, HOST_A, -1);
	ck_assert(!fabric_connected(&f, HOST_A));
	ck_assert_uint_eq(f.nconns, 0);
	conn(&f, HOST_A, +1);
	ck_assert(fabric_connected(&f, HOST_A));
	fabric_free(&f);
}
END_TEST

START_TEST(a_negative_delta_for_an_unknown_nqn_is_harmless)
{
	struct fabric f;

	fabric_init(&f);
	conn(&f, HOST_A, -1);
	ck_assert(!fabric_connected(&f, HOST_A));
	ck_assert_uint_eq(f.nconns, 0);
	conn(&f, HOST_B, +1);
	conn(&f, HOST_A, -1);
	ck_assert(!fabric_connected(&f, HOST_A));
	ck_assert(fabric_connected(&f, HOST_B));
	ck_assert_uint_eq(f.nconns, 1);
	/* One association more gone than came: clamps at none, and the next one counts. */
	conn(&f, HOST_B, -1);
	conn(&f, HOST_B, -1);
	ck_assert(!fabric_connected(&f, HOST_B));
	conn(&f, HOST_B, +1);
	ck_assert(fabric_connected(&f, HOST_B));
	conn(&f, HOST_B, -1);
	ck_assert(!fabric_connected(&f, HOST_B));
	ck_assert_uint_eq(f.nconns, 0);
	fabric_free(&f);
}
END_TEST

START_TEST(connections_are_counted_per_nqn)
{
	struct fabric f;
	char nqn[40][64];
	unsigned int want[40] = {0};

	fabric_init(&f);
	for (size_t i = 0; i < 40; i++)
		snprintf(nqn[i], sizeof(nqn[i]), "nqn.2024-01.com.example:host:%zu", i);
	/* Enough NQNs to grow the table more than once; host i gets i % 3 associations. */
	for (size_t i = 0; i < 40; i++)
		for (size_t k = 0; k < i % 3; k++) {
			conn(&f, nqn[i], +1);
			want[i]++;
		}
	/* Drop one association of the odd-numbered hosts that have any, last first. */
	for (size_t i = 39; i < 40; i--)
		if (i % 3 && i % 2) {
			conn(&f, nqn[i], -1);
			want[i]--;
		}
	for (size_t i = 0; i < 40; i++)
		ck_assert_msg(fabric_connected(&f, nqn[i]) == (want[i] > 0), "%s has %u", nqn[i],
			      want[i]);
	fabric_free(&f);
}
END_TEST

/* ---- log 70h ---- */

/* Subsys1 with two ports, subsys2 with one, one referral; listener 127.0.0.1:8009. */
static void sample_config(struct cdc_config *cfg)
{
	char err[256];

	config_defaults(cfg);
	cfg->listen[0] = listen_of("127.0.0.1:8009");
	cfg->nlisten = 1;
	cfg->nsubsys = 2;
	cfg->subsys = calloc(2, sizeof(*cfg->subsys));
	ck_assert_ptr_nonnull(cfg->subsys);
	snprintf(cfg->subsys[0].nqn, sizeof(cfg->subsys[0].nqn), "%s", SUBSYS1);
	cfg->subsys[0].nports = 2;
	cfg->subsys[0].ports = calloc(2, sizeof(struct cdc_port));
	ck_assert_ptr_nonnull(cfg->subsys[0].ports);
	cfg->subsys[0].ports[0] = port_of("traddr=192.0.2.10;trsvcid=4420;portid=1");
	cfg->subsys[0].ports[1] = port_of("traddr=192.0.2.11;trsvcid=4420;portid=2");
	snprintf(cfg->subsys[1].nqn, sizeof(cfg->subsys[1].nqn), "%s", SUBSYS2);
	cfg->subsys[1].nports = 1;
	cfg->subsys[1].ports = calloc(1, sizeof(struct cdc_port));
	ck_assert_ptr_nonnull(cfg->subsys[1].ports);
	cfg->subsys[1].ports[0] = port_of("traddr=2001:db8::20;trsvcid=4420;portid=3");
	cfg->nreferrals = 1;
	cfg->referrals = calloc(1, sizeof(*cfg->referrals));
	ck_assert_ptr_nonnull(cfg->referrals);
	ck_assert_int_eq(addr_parse_port("traddr=192.0.2.99;portid=4", "8009",
					 &cfg->referrals[0].port, err, sizeof(err)),
			 0);
	snprintf(cfg->referrals[0].nqn, sizeof(cfg->referrals[0].nqn), "%s", OTHER_DC);
}

START_TEST(entries_are_config_records_then_registered_in_insertion_order)
{
	struct cdc_config cfg;
	struct fabric f;
	struct log_rec r1 = rec_of(DDC_B, NVME_NQN_NVME, SUBSYS3, "traddr=192.0.2.30;portid=5");
	struct log_rec r2 = rec_of(DDC_A, NVME_NQN_DISC, NVME_DISC_SUBSYS_NAME,
				   "traddr=192.0.2.40;trsvcid=8009;portid=6");
	struct log_rec r3 = rec_of("", NVME_NQN_NVME, SUBSYS1, "traddr=192.0.2.31;portid=7");

	fabric_init(&f);
	/* Registered before the configuration is applied: still after the config records. */
	put_rec(&f, &r1);
	put_rec(&f, &r2);
	sample_config(&cfg);
	ck_assert_int_eq(fabric_apply_config(&f, &cfg), FABRIC_LOG70);
	put_rec(&f, &r3);
	ck_assert_int_eq(fabric_rebuild(&f, 0), FABRIC_LOG70);
	ck_assert_uint_eq(f.nentries, 7);

	static const struct {
		uint8_t subtype;
		uint16_t portid;
		const char *subnqn, *traddr, *trsvcid;
	} want[] = {
		{NVME_NQN_NVME, 1, SUBSYS1, "192.0.2.10", "4420"},
		{NVME_NQN_NVME, 2, SUBSYS1, "192.0.2.11", "4420"},
		{NVME_NQN_NVME, 3, SUBSYS2, "2001:db8::20", "4420"},
		{NVME_NQN_DISC, 4, OTHER_DC, "192.0.2.99", "8009"},
		{NVME_NQN_NVME, 5, SUBSYS3, "192.0.2.30", "4420"},
		{NVME_NQN_DISC, 6, NVME_DISC_SUBSYS_NAME, "192.0.2.40", "8009"},
		{NVME_NQN_NVME, 7, SUBSYS1, "192.0.2.31", "4420"},
	};
	for (size_t i = 0; i < 7; i++) {
		const struct nvmf_disc_log_entry *e = fabric_entry(&f, i);

		ck_assert_msg(e->subtype == want[i].subtype, "entry %zu subtype %u", i, e->subtype);
		ck_assert_uint_eq(le16toh(e->portid), want[i].portid);
		assert_nul_padded(e->subnqn, sizeof(e->subnqn), want[i].subnqn);
		assert_nul_padded(e->traddr, sizeof(e->traddr), want[i].traddr);
		assert_nul_padded(e->trsvcid, sizeof(e->trsvcid), want[i].trsvcid);
	}

	/* Deleting a registered record keeps the order of the others. */
	ck_assert(fabric_rec_del(&f, &r1));
	ck_assert_int_eq(fabric_rebuild(&f, 0), FABRIC_LOG70);
	ck_assert_uint_eq(f.nentries, 6);
	ck_assert_uint_eq(le16toh((*fabric_entry(&f, 4)).portid), 6);
	ck_assert_uint_eq(le16toh((*fabric_entry(&f, 5)).portid), 7);
	fabric_free(&f);
	config_free(&cfg);
}
END_TEST

START_TEST(registered_entry_is_built_from_the_record)
{
	struct fabric f;
	struct log_rec r = rec_of(DDC_A, NVME_NQN_NVME, SUBSYS1,
				  "trtype=tcp;traddr=2001:db8::10;trsvcid=4421;portid=513;treq="
				  "required;sectype=tls13");
	uint8_t raw[DISC_LOG_ENTRY_LEN];

	fabric_init(&f);
	put_rec(&f, &r);
	conn(&f, DDC_A, +1);
	ck_assert_int_eq(fabric_rebuild(&f, 0), FABRIC_LOG70);
	ck_assert_uint_eq(sizeof((*fabric_entry(&f, 0))), DISC_LOG_ENTRY_LEN);
	memcpy(raw, fabric_entry(&f, 0), sizeof(raw));

	ck_assert_uint_eq(raw[0], NVMF_TRTYPE_TCP);
	ck_assert_uint_eq(raw[1], NVMF_ADDR_FAMILY_IP6);
	ck_assert_uint_eq(raw[2], NVME_NQN_NVME);
	ck_assert_uint_eq(raw[3], NVMF_TREQ_REQUIRED);
	ck_assert_uint_eq(get_le16(raw + 4), 513);
	ck_assert_uint_eq(get_le16(raw + 6), 0xffff);
	ck_assert_uint_eq(get_le16(raw + 8), DISC_ADMIN_SQ_SIZE);
	ck_assert_uint_eq(get_le16(raw + 10), 0);
	ck_assert(all_zero(raw + 12, 20));
	assert_nul_padded(raw + 32, 32, "4421");
	ck_assert(all_zero(raw + 64, 192));
	assert_nul_padded(raw + 256, 256, SUBSYS1);
	assert_nul_padded(raw + 512, 256, "2001:db8::10");
	ck_assert_uint_eq(raw[768], NVMF_TCP_SECTYPE_TLS13);
	ck_assert(all_zero(raw + 769, 255));
	fabric_free(&f);
}
END_TEST

START_TEST(asqsz_is_the_records_value_or_the_default)
{
	struct fabric f;
	struct log_rec dflt = rec_of(DDC_A, NVME_NQN_NVME, SUBSYS1, "traddr=192.0.2.10");
	struct log_rec own = rec_of(DDC_A, NVME_NQN_NVME, SUBSYS2, "traddr=192.0.2.10");

	fabric_init(&f);
	own.asqsz = 0x0120;
	put_rec(&f, &dflt);
	put_rec(&f, &own);
	ck_assert_int_eq(fabric_rebuild(&f, 0), FABRIC_LOG70);
	ck_assert_uint_eq(le16toh((*fabric_entry(&f, 0)).asqsz), DISC_ADMIN_SQ_SIZE);
	ck_assert_uint_eq(le16toh((*fabric_entry(&f, 1)).asqsz), 0x0120);
	ck_assert_uint_eq(((const uint8_t *)fabric_entry(&f, 1))[8], 0x20);
	ck_assert_uint_eq(((const uint8_t *)fabric_entry(&f, 1))[9], 0x01);

	/* Changing only ASQSZ is a change of the log. */
	own.asqsz = 32;
	put_rec(&f, &own);
	ck_assert_int_eq(fabric_rebuild(&f, 0), FABRIC_LOG70);
	ck_assert_uint_eq(f.genctr, 2);
	ck_assert_uint_eq(le16toh((*fabric_entry(&f, 1)).asqsz), 32);
	fabric_free(&f);
}
END_TEST

START_TEST(ncc_is_set_while_the_owner_has_no_association)
{
	struct fabric f;
	struct log_rec a = rec_of(DDC_A, NVME_NQN_NVME, SUBSYS1, "traddr=192.0.2.10");
	struct log_rec b = rec_of(DDC_B, NVME_NQN_NVME, SUBSYS2, "traddr=192.0.2.10");

	fabric_init(&f);
	put_rec(&f, &a);
	put_rec(&f, &b);
	ck_assert_int_eq(fabric_rebuild(&f, 0), FABRIC_LOG70);
	ck_assert_uint_eq(eflags_of(fabric_entry(&f, 0)), NVMF_DISC_EFLAGS_NCC);
	ck_assert_uint_eq(eflags_of(fabric_entry(&f, 1)), NVMF_DISC_EFLAGS_NCC);
	ck_assert_uint_eq(f.genctr, 1);

	conn(&f, DDC_A, +1);
	ck_assert_int_eq(fabric_rebuild(&f, 0), FABRIC_LOG70);
	ck_assert_uint_eq(f.genctr, 2);
	ck_assert_uint_eq(eflags_of(fabric_entry(&f, 0)), 0);
	ck_assert_uint_eq(eflags_of(fabric_entry(&f, 1)), NVMF_DISC_EFLAGS_NCC);

	/* A second association of the same owner changes nothing anyone reads. */
	conn(&f, DDC_A, +1);
	ck_assert_int_eq(fabric_rebuild(&f, 0), 0);
	ck_assert_uint_eq(f.genctr, 2);
	conn(&f, DDC_A, -1);
	ck_assert_int_eq(fabric_rebuild(&f, 0), 0);
	ck_assert_uint_eq(f.genctr, 2);

	conn(&f, DDC_A, -1);
	ck_assert_int_eq(fabric_rebuild(&f, 0), FABRIC_LOG70);
	ck_assert_uint_eq(f.genctr, 3);
	ck_assert_uint_eq(eflags_of(fabric_entry(&f, 0)), NVMF_DISC_EFLAGS_NCC);
	fabric_free(&f);
}
END_TEST

START_TEST(ncc_is_never_set_on_config_or_admin_records)
{
	struct cdc_config cfg;
	struct fabric f;
	struct log_rec admin = rec_of("", NVME_NQN_NVME, SUBSYS3, "traddr=192.0.2.30");

	fabric_init(&f);
	sample_config(&cfg);
	put_rec(&f, &admin);
	ck_assert_int_eq(fabric_apply_config(&f, &cfg), FABRIC_LOG70);
	ck_assert_uint_eq(f.nentries, 5);
	for (size_t i = 0; i < f.nentries; i++)
		ck_assert_msg(!(eflags_of(fabric_entry(&f, i)) & NVMF_DISC_EFLAGS_NCC), "entry %zu",
			      i);
	fabric_free(&f);
	config_free(&cfg);
}
END_TEST

START_TEST(rebuild_with_nothing_changed_keeps_both_counters)
{
	struct fabric f;
	struct log_rec r = rec_of(DDC_A, NVME_NQN_NVME, SUBSYS1, "traddr=192.0.2.10");
	struct host_rec h = host_of(HOST_A, "192.0.2.50", "", hostid_a, "");

	fabric_init(&f);
	/* Nothing at all: empty logs are not a change. */
	ck_assert_int_eq(fabric_rebuild(&f, 0), 0);
	ck_assert_uint_eq(f.genctr, 0);
	ck_assert_uint_eq(f.hgenctr, 0);

	put_rec(&f, &r);
	put_host(&f, &h);
	ck_assert_int_eq(fabric_rebuild(&f, 0), FABRIC_LOG70 | FABRIC_LOG71);
	ck_assert_uint_eq(f.genctr, 1);
	ck_assert_uint_eq(f.hgenctr, 1);
	ck_assert_int_eq(fabric_rebuild(&f, 0), 0);
	ck_assert_int_eq(fabric_rebuild(&f, 0), 0);
	ck_assert_uint_eq(f.genctr, 1);
	ck_assert_uint_eq(f.hgenctr, 1);

	/* Putting equal records again, and fields no log shows, is no change either. */
	r.source = REG_PULL;
	put_rec(&f, &r);
	h.source = REG_ADMIN;
	put_host(&f, &h);
	ck_assert_int_eq(fabric_rebuild(&f, 0), 0);
	ck_assert_uint_eq(f.genctr, 1);
	ck_assert_uint_eq(f.hgenctr, 1);
	fabric_free(&f);
}
END_TEST

START_TEST(entity_put_changes_no_log_and_keeps_both_counters)
{
	struct fabric f;
	struct entity e = entity_of(DDC_A, NVMF_DIM_ETYPE_DDC, "ddc-a");
	struct log_rec r = rec_of(DDC_A, NVME_NQN_NVME, SUBSYS1, "traddr=192.0.2.10");

	fabric_init(&f);
	ck_assert_int_eq(fabric_entity_put(&f, &e), 0);
	put_rec(&f, &r);
	ck_assert_int_eq(fabric_rebuild(&f, 0), FABRIC_LOG70);
	ck_assert_uint_eq(f.genctr, 1);
	snprintf(e.ename, sizeof(e.ename), "%s", "a new name");
	snprintf(e.ever, sizeof(e.ever), "%s", "2.0");
	e.last_seen += 60;
	ck_assert_int_eq(fabric_entity_put(&f, &e), 0);
	ck_assert_int_eq(fabric_rebuild(&f, 0), 0);
	ck_assert_uint_eq(f.genctr, 1);
	ck_assert_uint_eq(f.hgenctr, 0);
	fabric_free(&f);
}
END_TEST

START_TEST(a_change_bumps_genctr_past_the_floor)
{
	struct fabric f;
	struct log_rec r1 = rec_of(DDC_A, NVME_NQN_NVME, SUBSYS1, "traddr=192.0.2.10");
	struct log_rec r2 = rec_of(DDC_A, NVME_NQN_NVME, SUBSYS2, "traddr=192.0.2.10");
	struct log_rec r3 = rec_of(DDC_A, NVME_NQN_NVME, SUBSYS3, "traddr=192.0.2.10");

	fabric_init(&f);
	put_rec(&f, &r1);
	ck_assert_int_eq(fabric_rebuild(&f, 0), FABRIC_LOG70);
	f.genctr = 5;
	put_rec(&f, &r2);
	ck_assert_int_eq(fabric_rebuild(&f, 9), FABRIC_LOG70);
	ck_assert_uint_eq(f.genctr, 10);
	/* No change: the floor alone moves nothing. */
	ck_assert_int_eq(fabric_rebuild(&f, 20), 0);
	ck_assert_uint_eq(f.genctr, 10);
	/* A floor below the counter: plus one. */
	put_rec(&f, &r3);
	ck_assert_int_eq(fabric_rebuild(&f, 3), FABRIC_LOG70);
	ck_assert_uint_eq(f.genctr, 11);
	/* A floor equal to the counter: plus one. */
	ck_assert(fabric_rec_del(&f, &r3));
	ck_assert_int_eq(fabric_rebuild(&f, 11), FABRIC_LOG70);
	ck_assert_uint_eq(f.genctr, 12);
	/* The floor never moves the 71h counter. */
	ck_assert_uint_eq(f.hgenctr, 0);
	fabric_free(&f);
}
END_TEST

START_TEST(records_change_only_log_70h_and_hosts_only_log_71h)
{
	struct fabric f;
	struct log_rec r = rec_of(DDC_A, NVME_NQN_NVME, SUBSYS1, "traddr=192.0.2.10");
	struct host_rec h = host_of(HOST_A, "192.0.2.50", "", hostid_a, "");

	fabric_init(&f);
	put_rec(&f, &r);
	ck_assert_int_eq(fabric_rebuild(&f, 0), FABRIC_LOG70);
	ck_assert_uint_eq(f.genctr, 1);
	ck_assert_uint_eq(f.hgenctr, 0);
	put_host(&f, &h);
	ck_assert_int_eq(fabric_rebuild(&f, 0), FABRIC_LOG71);
	ck_assert_uint_eq(f.genctr, 1);
	ck_assert_uint_eq(f.hgenctr, 1);
	ck_assert(fabric_rec_del(&f, &r));
	ck_assert_int_eq(fabric_rebuild(&f, 0), FABRIC_LOG70);
	ck_assert_uint_eq(f.genctr, 2);
	ck_assert_uint_eq(f.hgenctr, 1);
	ck_assert_uint_eq(f.nentries, 0); /* the buffer stays for the next build */
	fabric_free(&f);
}
END_TEST

START_TEST(a_connection_flips_ncc_in_both_logs)
{
	struct fabric f;
	struct log_rec r = rec_of(HOST_A, NVME_NQN_NVME, SUBSYS1, "traddr=192.0.2.10");
	struct host_rec h = host_of(HOST_A, "192.0.2.50", "", hostid_a, "");

	fabric_init(&f);
	put_rec(&f, &r);
	put_host(&f, &h);
	ck_assert_int_eq(fabric_rebuild(&f, 0), FABRIC_LOG70 | FABRIC_LOG71);
	conn(&f, HOST_A, +1);
	ck_assert_int_eq(fabric_rebuild(&f, 0), FABRIC_LOG70 | FABRIC_LOG71);
	ck_assert_uint_eq(f.genctr, 2);
	ck_assert_uint_eq(f.hgenctr, 2);
	ck_assert_uint_eq(eflags_of(fabric_entry(&f, 0)), 0);
	ck_assert_uint_eq(get_le16(hostlog_flat(&f) + HE_EFLAGS), 0);
	conn(&f, HOST_A, -1);
	ck_assert_int_eq(fabric_rebuild(&f, 0), FABRIC_LOG70 | FABRIC_LOG71);
	ck_assert_uint_eq(f.genctr, 3);
	ck_assert_uint_eq(f.hgenctr, 3);
	ck_assert_uint_eq(eflags_of(fabric_entry(&f, 0)), NVMF_DISC_EFLAGS_NCC);
	ck_assert_uint_eq(get_le16(hostlog_flat(&f) + HE_EFLAGS), NVMF_DISC_EFLAGS_NCC);
	fabric_free(&f);
}
END_TEST

/* ---- log 71h ---- */

START_TEST(host_entry_without_symname_has_only_the_host_identifier)
{
	struct fabric f;
	struct host_rec h = host_of(HOST_A, "192.0.2.50", "", hostid_a, "");
	const uint8_t *p;

	fabric_init(&f);
	h.sectype = NVMF_TCP_SECTYPE_TLS13;
	put_host(&f, &h);
	ck_assert_int_eq(fabric_rebuild(&f, 0), FABRIC_LOG71);
	ck_assert_uint_eq(f.hostlog_len, 1052);
	ck_assert_uint_eq(f.nhostlog, 1);
	p = hostlog_flat(&f);
	ck_assert_uint_eq(p[HE_TRTYPE], NVMF_TRTYPE_TCP);
	ck_assert_uint_eq(p[HE_ADRFAM], NVMF_ADDR_FAMILY_IP4);
	ck_assert(all_zero(p + 2, 8));
	ck_assert_uint_eq(get_le16(p + HE_EFLAGS), NVMF_DISC_EFLAGS_NCC);
	ck_assert(all_zero(p + 12, 244));
	assert_nul_padded(p + HE_HOSTNQN, 256, HOST_A);
	assert_nul_padded(p + HE_TRADDR, 256, "192.0.2.50");
	ck_assert_uint_eq(p[HE_SECTYPE], NVMF_TCP_SECTYPE_TLS13);
	ck_assert(all_zero(p + HE_SECTYPE + 1, 255));
	ck_assert_uint_eq(get_le32(p + HE_TEL), 1052);
	ck_assert_uint_eq(get_le16(p + HE_NUMEXAT), 1);
	ck_assert(all_zero(p + 1030, 2));
	ck_assert_uint_eq(get_le16(p + HE_EXAT), NVMF_EXATTYPE_HOSTID);
	ck_assert_uint_eq(get_le16(p + HE_EXAT + 2), 16);
	ck_assert_mem_eq(p + HE_EXAT + 4, hostid_a, 16);
	assert_hostlog_as_expected(&f);

	conn(&f, HOST_A, +1);
	ck_assert_int_eq(fabric_rebuild(&f, 0), FABRIC_LOG71);
	ck_assert_uint_eq(get_le16(hostlog_flat(&f) + HE_EFLAGS), 0);
	assert_hostlog_as_expected(&f);
	fabric_free(&f);
}
END_TEST

START_TEST(host_entry_with_symname_pads_it_to_a_dword)
{
	static const char *const names[] = {"a", "ab", "abc", "abcd", "web-01", "web-0001"};
	struct fabric f;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct host_rec h = host_of(HOST_B, "2001:db8::60", "", hostid_b, names[i]);
		size_t sym = strlen(names[i]);
		size_t tel = HE_EXAT + 20 + 4 + roundup4(sym);
		const uint8_t *p, *a;

		fabric_init(&f);
		put_host(&f, &h);
		conn(&f, HOST_B, +1);
		ck_assert_int_eq(fabric_rebuild(&f, 0), FABRIC_LOG71);
		ck_assert_uint_eq(f.hostlog_len, tel);
		p = hostlog_flat(&f);
		ck_assert_uint_eq(p[HE_ADRFAM], NVMF_ADDR_FAMILY_IP6);
		ck_assert_uint_eq(get_le16(p + HE_EFLAGS), 0);
		assert_nul_padded(p + HE_TRADDR, 256, "2001:db8::60");
		ck_assert_msg(get_le32(p + HE_TEL) == tel, "'%s': TEL %u, want %zu", names[i],
			      get_le32(p + HE_TEL), tel);
		ck_assert_uint_eq(tel % 4, 0);
		ck_assert_uint_eq(get_le16(p + HE_NUMEXAT), 2);
		ck_assert_uint_eq(get_le16(p + HE_EXAT), NVMF_EXATTYPE_HOSTID);
		ck_assert_uint_eq(get_le16(p + HE_EXAT + 2), 16);
		ck_assert_mem_eq(p + HE_EXAT + 4, hostid_b, 16);
		a = p + HE_EXAT + 20;
		ck_assert_uint_eq(get_le16(a), NVMF_EXATTYPE_SYMNAME);
		ck_assert_uint_eq(get_le16(a + 2), roundup4(sym));
		ck_assert_mem_eq(a + 4, names[i], sym);
		ck_assert(all_zero(a + 4 + sym, roundup4(sym) - sym));
		assert_hostlog_as_expected(&f);
		fabric_free(&f);
	}
}
END_TEST

START_TEST(host_entry_with_the_longest_symname_and_traddr)
{
	struct fabric f;
	struct host_rec h = host_of(HOST_A, "192.0.2.50", "", hostid_a, "");

	memset(h.symname, 'n', HOST_SYMNAME_MAX);
	h.symname[HOST_SYMNAME_MAX] = 0;
	memset(h.traddr, '7', CDC_TRADDR_MAX);
	h.traddr[CDC_TRADDR_MAX] = 0;
	memset(h.hostnqn, 'q', CDC_NQN_MAX);
	h.hostnqn[CDC_NQN_MAX] = 0;
	fabric_init(&f);
	put_host(&f, &h);
	ck_assert_int_eq(fabric_rebuild(&f, 0), FABRIC_LOG71);
	ck_assert_uint_eq(f.hostlog_len, HE_EXAT + 20 + 4 + HOST_SYMNAME_MAX);
	ck_assert_uint_eq(get_le32(hostlog_flat(&f) + HE_TEL), HE_EXAT + 20 + 4 + HOST_SYMNAME_MAX);
	ck_assert_uint_eq(get_le16(hostlog_flat(&f) + HE_EXAT + 22), HOST_SYMNAME_MAX);
	assert_hostlog_as_expected(&f);
	fabric_free(&f);
}
END_TEST

START_TEST(host_entries_are_back_to_back_in_insertion_order)
{
	struct fabric f;
	struct host_rec h[3] = {
		host_of(HOST_A, "192.0.2.50", "", hostid_a, "web-01"),
		host_of(HOST_B, "192.0.2.60", "", hostid_b, ""),
		host_of(HOST_A, "2001:db8::50", "", hostid_a, "abcde"),
	};
	size_t off = 0;

	fabric_init(&f);
	for (size_t i = 0; i < 3; i++)
		put_host(&f, &h[i]);
	conn(&f, HOST_B, +1);
	ck_assert_int_eq(fabric_rebuild(&f, 0), FABRIC_LOG71);
	ck_assert_uint_eq(f.nhostlog, 3);
	ck_assert_uint_eq(f.hostlog_len, 1064 + 1052 + 1064);
	for (size_t i = 0; i < 3; i++) {
		const uint8_t *p = hostlog_flat(&f) + off;

		assert_nul_padded(p + HE_HOSTNQN, 256, h[i].hostnqn);
		assert_nul_padded(p + HE_TRADDR, 256, h[i].traddr);
		ck_assert_uint_eq(get_le16(p + HE_EFLAGS), i == 1 ? 0 : NVMF_DISC_EFLAGS_NCC);
		off += get_le32(p + HE_TEL);
	}
	ck_assert_uint_eq(off, f.hostlog_len);
	assert_hostlog_as_expected(&f);
	fabric_free(&f);
}
END_TEST

START_TEST(hgenctr_bumps_on_host_put_host_del_and_connections)
{
	struct fabric f;
	struct host_rec a = host_of(HOST_A, "192.0.2.50", "", hostid_a, "");
	struct host_rec b = host_of(HOST_B, "192.0.2.60", "", hostid_b, "");

	fabric_init(&f);
	put_host(&f, &a);
	ck_assert_int_eq(fabric_rebuild(&f, 0), FABRIC_LOG71);
	ck_assert_uint_eq(f.hgenctr, 1);
	put_host(&f, &b);
	ck_assert_int_eq(fabric_rebuild(&f, 0), FABRIC_LOG71);
	ck_assert_uint_eq(f.hgenctr, 2);
	/* Another symbolic name under the same key. */
	snprintf(b.symname, sizeof(b.symname), "%s", "db-7");
	put_host(&f, &b);
	ck_assert_int_eq(fabric_rebuild(&f, 0), FABRIC_LOG71);
	ck_assert_uint_eq(f.hgenctr, 3);
	conn(&f, HOST_A, +1);
	ck_assert_int_eq(fabric_rebuild(&f, 0), FABRIC_LOG71);
	ck_assert_uint_eq(f.hgenctr, 4);
	conn(&f, HOST_A, -1);
	ck_assert_int_eq(fabric_rebuild(&f, 0), FABRIC_LOG71);
	ck_assert_uint_eq(f.hgenctr, 5);
	/* A connection of an NQN without a host entry changes nothing in 71h. */
	conn(&f, DDC_A, +1);
	ck_assert_int_eq(fabric_rebuild(&f, 0), 0);
	ck_assert_uint_eq(f.hgenctr, 5);
	ck_assert(fabric_host_del(&f, &a));
	ck_assert_int_eq(fabric_rebuild(&f, 0), FABRIC_LOG71);
	ck_assert_uint_eq(f.hgenctr, 6);
	ck_assert(fabric_host_del(&f, &b));
	ck_assert_int_eq(fabric_rebuild(&f, 0), FABRIC_LOG71);
	ck_assert_uint_eq(f.hgenctr, 7);
	ck_assert_uint_eq(f.hostlog_len, 0);
	ck_assert_uint_eq(f.nhostlog, 0);
	ck_assert_int_eq(fabric_rebuild(&f, 0), 0);
	ck_assert_uint_eq(f.hgenctr, 7);
	ck_assert_uint_eq(f.genctr, 0);
	fabric_free(&f);
}
END_TEST

static void hostlog_header_expect(uint8_t hdr[DISC_LOG_HDR_LEN], uint64_t genctr, uint64_t nrec,
				  size_t len)
{
	memset(hdr, 0, DISC_LOG_HDR_LEN);
	put_le64(hdr + HH_GENCTR, genctr);
	put_le64(hdr + HH_NUMREC, nrec);
	put_le32(hdr + HH_THDLPL, (uint32_t)(DISC_LOG_HDR_LEN + len));
}

/* A fabric with three hosts, one of them connected, and the 71h log as bytes. */
static uint8_t *three_hosts(struct fabric *f, size_t *loglen)
{
	struct host_rec h[3] = {
		host_of(HOST_A, "192.0.2.50", "", hostid_a, "web-01"),
		host_of(HOST_B, "192.0.2.60", "", hostid_b, ""),
		host_of(HOST_A, "2001:db8::50", "", hostid_a, "a"),
	};
	uint8_t *log;

	fabric_init(f);
	for (size_t i = 0; i < 3; i++)
		put_host(f, &h[i]);
	conn(f, HOST_A, +1);
	ck_assert_int_eq(fabric_rebuild(f, 0), FABRIC_LOG71);
	f->hgenctr = 0x0102030405060708ULL;
	*loglen = DISC_LOG_HDR_LEN + f->hostlog_len;
	log = malloc(*loglen);
	ck_assert_ptr_nonnull(log);
	hostlog_header_expect(log, f->hgenctr, f->nhostlog, f->hostlog_len);
	memcpy(log + DISC_LOG_HDR_LEN, hostlog_flat(f), f->hostlog_len);
	return log;
}

START_TEST(hostlog_header_has_genctr_numrec_and_thdlpl)
{
	struct fabric f;
	size_t len;
	uint8_t *log = three_hosts(&f, &len);
	uint8_t hdr[DISC_LOG_HDR_LEN];

	ck_assert_int_eq(disc_hostlog_read(f.hgenctr, hostlog_flat(&f), f.hostlog_len, f.nhostlog,
					   0, hdr, sizeof(hdr)),
			 0);
	ck_assert_uint_eq(get_le64(hdr + HH_GENCTR), 0x0102030405060708ULL);
	ck_assert_uint_eq(get_le64(hdr + HH_NUMREC), 3);
	ck_assert_uint_eq(get_le16(hdr + HH_RECFMT), 0);
	ck_assert_uint_eq(hdr[HH_HDLPF], 0);
	ck_assert_uint_eq(get_le32(hdr + HH_THDLPL), 1024 + 1064 + 1052 + 1060);
	ck_assert(all_zero(hdr + 24, 1000));
	ck_assert_mem_eq(hdr, log, sizeof(hdr));
	free(log);
	fabric_free(&f);
}
END_TEST

START_TEST(hostlog_read_at_every_dword_offset_matches_the_concatenation)
{
	static const size_t lens[] = {4, 12, 512, 1024, 1060, 4096, 8192};
	struct fabric f;
	size_t len;
	uint8_t *log = three_hosts(&f, &len);
	uint8_t *buf = malloc(8192);

	ck_assert_ptr_nonnull(buf);
	for (size_t l = 0; l < sizeof(lens) / sizeof(lens[0]); l++)
		for (size_t off = 0; off <= len; off += 4) {
			size_t dlen = lens[l];
			size_t have = off < len ? len - off : 0;
			size_t n = have < dlen ? have : dlen;

			memset(buf, 0xa5, dlen);
			ck_assert_int_eq(disc_hostlog_read(f.hgenctr, hostlog_flat(&f),
							   f.hostlog_len, f.nhostlog, off, buf,
							   dlen),
					 0);
			if (memcmp(buf, log + off, n))
				ck_abort_msg("read of %zu at %zu differs", dlen, off);
			ck_assert_msg(all_zero(buf + n, dlen - n), "read of %zu at %zu: tail", dlen,
				      off);
		}
	free(buf);
	free(log);
	fabric_free(&f);
}
END_TEST

START_TEST(hostlog_read_beyond_the_end_is_einval)
{
	struct fabric f;
	size_t len;
	uint8_t *log = three_hosts(&f, &len);
	uint8_t buf[64];

	memset(buf, 0xa5, sizeof(buf));
	ck_assert_int_eq(disc_hostlog_read(f.hgenctr, hostlog_flat(&f), f.hostlog_len, f.nhostlog,
					   len, buf, sizeof(buf)),
			 0);
	ck_assert(all_zero(buf, sizeof(buf)));
	ck_assert_int_eq(disc_hostlog_read(f.hgenctr, hostlog_flat(&f), f.hostlog_len, f.nhostlog,
					   len + 4, buf, sizeof(buf)),
			 -EINVAL);
	ck_assert_int_eq(disc_hostlog_read(f.hgenctr, hostlog_flat(&f), f.hostlog_len, f.nhostlog,
					   UINT64_MAX - 3, buf, sizeof(buf)),
			 -EINVAL);
	free(log);
	fabric_free(&f);
}
END_TEST

START_TEST(empty_hostlog_is_a_header_only)
{
	struct fabric f;
	uint8_t buf[DISC_LOG_HDR_LEN + 16], want[DISC_LOG_HDR_LEN];

	fabric_init(&f);
	ck_assert_int_eq(fabric_rebuild(&f, 0), 0);
	ck_assert_uint_eq(f.hostlog_len, 0);
	ck_assert_int_eq(disc_hostlog_read(f.hgenctr, hostlog_flat(&f), f.hostlog_len, f.nhostlog,
					   0, buf, sizeof(buf)),
			 0);
	hostlog_header_expect(want, 0, 0, 0);
	ck_assert_mem_eq(buf, want, DISC_LOG_HDR_LEN);
	ck_assert_uint_eq(get_le32(buf + HH_THDLPL), DISC_LOG_HDR_LEN);
	ck_assert(all_zero(buf + DISC_LOG_HDR_LEN, 16));
	ck_assert_int_eq(disc_hostlog_read(f.hgenctr, hostlog_flat(&f), f.hostlog_len, f.nhostlog,
					   DISC_LOG_HDR_LEN + 4, buf, 4),
			 -EINVAL);
	fabric_free(&f);
}
END_TEST

/* ---- the configuration's share ---- */

START_TEST(apply_config_keeps_registered_records)
{
	struct cdc_config cfg, smaller;
	struct fabric f;
	struct log_rec r = rec_of(DDC_A, NVME_NQN_NVME, SUBSYS3, "traddr=192.0.2.30;portid=9");

	fabric_init(&f);
	sample_config(&cfg);
	put_rec(&f, &r);
	ck_assert_int_eq(fabric_apply_config(&f, &cfg), FABRIC_LOG70);
	ck_assert_uint_eq(f.genctr, 1);
	ck_assert_uint_eq(f.nentries, 5);

	/* The same file again: nothing moves. */
	ck_assert_int_eq(fabric_apply_config(&f, &cfg), 0);
	ck_assert_uint_eq(f.genctr, 1);

	/* One subsystem less: the registered record stays and follows the config records. */
	config_defaults(&smaller);
	smaller.listen[0] = cfg.listen[0];
	smaller.nlisten = 1;
	smaller.subsys = cfg.subsys;
	smaller.nsubsys = 1;
	ck_assert_int_eq(fabric_apply_config(&f, &smaller), FABRIC_LOG70);
	ck_assert_uint_eq(f.genctr, 2);
	ck_assert_uint_eq(f.ncfg, 2);
	ck_assert_uint_eq(f.nrecs, 1);
	ck_assert_uint_eq(f.nentries, 3);
	ck_assert_uint_eq(le16toh((*fabric_entry(&f, 2)).portid), 9);
	assert_nul_padded((*fabric_entry(&f, 2)).subnqn, 256, SUBSYS3);
	ck_assert_uint_eq(eflags_of(fabric_entry(&f, 2)), NVMF_DISC_EFLAGS_NCC);

	/* No configuration records at all. */
	smaller.nsubsys = 0;
	ck_assert_int_eq(fabric_apply_config(&f, &smaller), FABRIC_LOG70);
	ck_assert_uint_eq(f.genctr, 3);
	ck_assert_uint_eq(f.nentries, 1);
	ck_assert_uint_eq(le16toh((*fabric_entry(&f, 0)).portid), 9);
	ck_assert_uint_eq(fabric_rec_count(&f, DDC_A), 1);
	fabric_free(&f);
	config_free(&cfg);
}
END_TEST

START_TEST(apply_config_returns_log70_when_a_port_field_changes)
{
	struct cdc_config cfg;
	struct fabric f;

	fabric_init(&f);
	sample_config(&cfg);
	ck_assert_int_eq(fabric_apply_config(&f, &cfg), FABRIC_LOG70);
	cfg.referrals[0].port.portid = 40;
	ck_assert_int_eq(fabric_apply_config(&f, &cfg), FABRIC_LOG70);
	ck_assert_uint_eq(f.genctr, 2);
	ck_assert_uint_eq(le16toh((*fabric_entry(&f, 3)).portid), 40);
	ck_assert_uint_eq(f.hgenctr, 0);
	fabric_free(&f);
	config_free(&cfg);
}
END_TEST

START_TEST(apply_config_with_only_new_listeners_bumps_genctr)
{
	struct cdc_config cfg;
	struct fabric f;
	struct log_rec r = rec_of(DDC_A, NVME_NQN_NVME, SUBSYS3, "traddr=192.0.2.30");

	fabric_init(&f);
	sample_config(&cfg);
	put_rec(&f, &r);
	ck_assert_int_eq(fabric_apply_config(&f, &cfg), FABRIC_LOG70);
	ck_assert_uint_eq(f.genctr, 1);
	cfg.listen[1] = listen_of("[::1]:8009");
	cfg.nlisten = 2;
	ck_assert_int_eq(fabric_apply_config(&f, &cfg), FABRIC_LOG70);
	ck_assert_uint_eq(f.genctr, 2);
	ck_assert_uint_eq(f.nentries, 5);
	ck_assert_int_eq(fabric_apply_config(&f, &cfg), 0);
	ck_assert_uint_eq(f.genctr, 2);
	/* Another port on the same address. */
	cfg.listen[1] = listen_of("[::1]:8010");
	ck_assert_int_eq(fabric_apply_config(&f, &cfg), FABRIC_LOG70);
	ck_assert_uint_eq(f.genctr, 3);
	/* Back to one listener. */
	cfg.nlisten = 1;
	ck_assert_int_eq(fabric_apply_config(&f, &cfg), FABRIC_LOG70);
	ck_assert_uint_eq(f.genctr, 4);
	/* A listener change together with a body change bumps once. */
	cfg.listen[1] = listen_of("[::1]:8009");
	cfg.nlisten = 2;
	cfg.subsys[0].ports[0].portid = 11;
	ck_assert_int_eq(fabric_apply_config(&f, &cfg), FABRIC_LOG70);
	ck_assert_uint_eq(f.genctr, 5);
	ck_assert_uint_eq(f.nrecs, 1);
	fabric_free(&f);
	config_free(&cfg);
}
END_TEST

START_TEST(apply_config_leaves_log_71h_alone)
{
	struct cdc_config cfg;
	struct fabric f;
	struct host_rec h = host_of(HOST_A, "192.0.2.50", "", hostid_a, "");

	fabric_init(&f);
	put_host(&f, &h);
	sample_config(&cfg);
	ck_assert_int_eq(fabric_apply_config(&f, &cfg), FABRIC_LOG70 | FABRIC_LOG71);
	ck_assert_uint_eq(f.hgenctr, 1);
	cfg.nlisten = 2;
	cfg.listen[1] = listen_of("[::1]:8009");
	ck_assert_int_eq(fabric_apply_config(&f, &cfg), FABRIC_LOG70);
	ck_assert_uint_eq(f.hgenctr, 1);
	ck_assert_uint_eq(f.nhosts, 1);
	fabric_free(&f);
	config_free(&cfg);
}
END_TEST

/* ---- randomised: mutations against a plain model ---- */

#define RND_OWNERS  4
#define RND_HOSTS   4
#define RND_STEPS   20000
#define RND_MAXRECS 96
#define RND_MAXHOST 48

static const char *const rnd_owner[RND_OWNERS] = {"", DDC_A, DDC_B, HOST_A};
static const char *const rnd_host[RND_HOSTS] = {HOST_A, HOST_B, DDC_A, DDC_B};
static const char *const rnd_subnqn[] = {SUBSYS1, SUBSYS2};
static const char *const rnd_traddr[] = {"192.0.2.10", "192.0.2.11", "2001:db8::10"};
static const char *const rnd_trsvcid[] = {"4420", "4421"};
static const char *const rnd_symname[] = {"", "x", "web-01", "abcd"};

struct model {
	struct log_rec recs[RND_MAXRECS];
	size_t nrecs;
	struct host_rec hosts[RND_MAXHOST];
	size_t nhosts;
	unsigned int conns[RND_HOSTS]; /* by rnd_host index; DDC_A.. share rnd_owner's NQNs */
};

static uint64_t rnd_state;

static uint32_t rnd(uint32_t n)
{
	/* xorshift64*: the same sequence for a seed on every platform. */
	rnd_state ^= rnd_state >> 12;
	rnd_state ^= rnd_state << 25;
	rnd_state ^= rnd_state >> 27;
	return (uint32_t)((rnd_state * 0x2545f4914f6cdd1dULL) >> 32) % n;
}

#define PICK(a) (a)[rnd(sizeof(a) / sizeof((a)[0]))]

static bool model_connected(const struct model *m, const char *nqn)
{
	for (size_t i = 0; i < RND_HOSTS; i++)
		if (!strcmp(rnd_host[i], nqn))
			return m->conns[i] > 0;
	return false;
}

static struct log_rec rnd_rec(void)
{
	struct log_rec r;

	memset(&r, 0, sizeof(r));
	snprintf(r.owner, sizeof(r.owner), "%s", rnd_owner[rnd(RND_OWNERS)]);
	r.source = (uint8_t)(1 + rnd(5));
	r.subtype = rnd(2) ? NVME_NQN_NVME : NVME_NQN_DISC;
	r.asqsz = (uint16_t)(rnd(3) * 32);
	snprintf(r.subnqn, sizeof(r.subnqn), "%s", PICK(rnd_subnqn));
	r.port.trtype = NVMF_TRTYPE_TCP;
	snprintf(r.port.traddr, sizeof(r.port.traddr), "%s", PICK(rnd_traddr));
	r.port.adrfam = strchr(r.port.traddr, ':') ? NVMF_ADDR_FAMILY_IP6 : NVMF_ADDR_FAMILY_IP4;
	snprintf(r.port.trsvcid, sizeof(r.port.trsvcid), "%s", PICK(rnd_trsvcid));
	r.port.portid = (uint16_t)rnd(3);
	r.port.treq = (uint8_t)rnd(3);
	return r;
}

static struct host_rec rnd_hostrec(void)
{
	const char *traddr = PICK(rnd_traddr);
	struct host_rec h = host_of(rnd_host[rnd(RND_HOSTS)], traddr, PICK(rnd_trsvcid),
				    rnd(2) ? hostid_a : hostid_b, PICK(rnd_symname));

	h.source = (uint8_t)(1 + rnd(5));
	h.sectype = rnd(2) ? NVMF_TCP_SECTYPE_NONE : NVMF_TCP_SECTYPE_TLS13;
	return h;
}

/* The keys of model.h, written out again so the model does not share fabric.c's. */
static bool model_rec_key(const struct log_rec *a, const struct log_rec *b)
{
	return !strcmp(a->owner, b->owner) && !strcmp(a->subnqn, b->subnqn) &&
	       a->port.trtype == b->port.trtype && a->port.adrfam == b->port.adrfam &&
	       !strcmp(a->port.traddr, b->port.traddr) && !strcmp(a->port.trsvcid, b->port.trsvcid);
}

static bool model_host_key(const struct host_rec *a, const struct host_rec *b)
{
	return !strcmp(a->hostnqn, b->hostnqn) && a->trtype == b->trtype &&
	       a->adrfam == b->adrfam && !strcmp(a->traddr, b->traddr) &&
	       !strcmp(a->trsvcid, b->trsvcid);
}

static void model_rec_put(struct model *m, const struct log_rec *r)
{
	for (size_t i = 0; i < m->nrecs; i++)
		if (model_rec_key(&m->recs[i], r)) {
			m->recs[i] = *r;
			return;
		}
	ck_assert_uint_lt(m->nrecs, RND_MAXRECS);
	m->recs[m->nrecs++] = *r;
}

static bool model_rec_del(struct model *m, const struct log_rec *r)
{
	for (size_t i = 0; i < m->nrecs; i++)
		if (model_rec_key(&m->recs[i], r)) {
			memmove(&m->recs[i], &m->recs[i + 1],
				(m->nrecs - i - 1) * sizeof(m->recs[0]));
			m->nrecs--;
			return true;
		}
	return false;
}

static void model_host_put(struct model *m, const struct host_rec *h)
{
	for (size_t i = 0; i < m->nhosts; i++)
		if (model_host_key(&m->hosts[i], h)) {
			m->hosts[i] = *h;
			return;
		}
	ck_assert_uint_lt(m->nhosts, RND_MAXHOST);
	m->hosts[m->nhosts++] = *h;
}

static bool model_host_del(struct model *m, const struct host_rec *h)
{
	for (size_t i = 0; i < m->nhosts; i++)
		if (model_host_key(&m->hosts[i], h)) {
			memmove(&m->hosts[i], &m->hosts[i + 1],
				(m->nhosts - i - 1) * sizeof(m->hosts[0]));
			m->nhosts--;
			return true;
		}
	return false;
}

static void model_entity_del(struct model *m, const char *nqn)
{
	size_t k = 0;

	for (size_t i = 0; i < m->nrecs; i++)
		if (strcmp(m->recs[i].owner, nqn))
			m->recs[k++] = m->recs[i];
	m->nrecs = k;
	k = 0;
	for (size_t i = 0; i < m->nhosts; i++)
		if (strcmp(m->hosts[i].hostnqn, nqn))
			m->hosts[k++] = m->hosts[i];
	m->nhosts = k;
}

static size_t model_rec_count(const struct model *m, const char *owner)
{
	size_t n = 0;

	for (size_t i = 0; i < m->nrecs; i++)
		n += !strcmp(m->recs[i].owner, owner);
	return n;
}

/* The 70h body the model says, in a new buffer. */
static struct nvmf_disc_log_entry *model_log70(const struct model *m, size_t *n)
{
	struct nvmf_disc_log_entry *e = calloc(m->nrecs + 1, sizeof(*e));

	ck_assert_ptr_nonnull(e);
	for (size_t i = 0; i < m->nrecs; i++) {
		const struct log_rec *r = &m->recs[i];
		uint16_t ncc =
			r->owner[0] && !model_connected(m, r->owner) ? NVMF_DISC_EFLAGS_NCC : 0;

		disc_entry_fill(&e[i], r->subtype, &r->port, r->subnqn, ncc);
		if (r->asqsz)
			e[i].asqsz = htole16(r->asqsz);
	}
	*n = m->nrecs;
	return e;
}

static uint8_t *model_log71(const struct model *m, size_t *len)
{
	size_t max = (m->nhosts + 1) * (HE_EXAT + HOSTID_EXAT + EXAT_HDR + HOST_SYMNAME_MAX);
	uint8_t *buf = malloc(max);
	size_t off = 0;

	ck_assert_ptr_nonnull(buf);
	for (size_t i = 0; i < m->nhosts; i++)
		off += host_entry_expect(&m->hosts[i], model_connected(m, m->hosts[i].hostnqn),
					 buf + off, max - off);
	*len = off;
	return buf;
}

START_TEST(random_mutations_match_a_plain_model)
{
	struct fabric f;
	struct model *m = calloc(1, sizeof(*m));
	const char *env = getenv("FABRIC_SEED");
	uint64_t seed = env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL);
	struct nvmf_disc_log_entry *prev70 = NULL;
	uint8_t *prev71 = NULL;
	size_t nprev70 = 0, nprev71 = 0;

	ck_assert_ptr_nonnull(m);
	fprintf(stderr, "random_mutations_match_a_plain_model: FABRIC_SEED=%" PRIu64 "\n", seed);
	rnd_state = seed * 2 + 1;
	fabric_init(&f);
	for (unsigned int step = 0; step < RND_STEPS; step++) {
		uint32_t op = rnd(100);

		if (op < 35) {
			struct log_rec r = rnd_rec();

			if (m->nrecs < RND_MAXRECS || fabric_rec_find(&f, &r)) {
				model_rec_put(m, &r);
				ck_assert_int_eq(fabric_rec_put(&f, &r), 0);
			}
		} else if (op < 55) {
			struct log_rec r = rnd_rec();

			ck_assert_msg(fabric_rec_del(&f, &r) == model_rec_del(m, &r),
				      "seed %" PRIu64 " step %u: rec del", seed, step);
		} else if (op < 68) {
			struct host_rec h = rnd_hostrec();

			if (m->nhosts < RND_MAXHOST || fabric_host_find(&f, &h)) {
				model_host_put(m, &h);
				ck_assert_int_eq(fabric_host_put(&f, &h), 0);
			}
		} else if (op < 78) {
			struct host_rec h = rnd_hostrec();

			ck_assert_msg(fabric_host_del(&f, &h) == model_host_del(m, &h),
				      "seed %" PRIu64 " step %u: host del", seed, step);
		} else if (op < 97) {
			uint32_t i = rnd(RND_HOSTS);
			int delta = rnd(2) ? +1 : -1;

			/* 1 exactly when the NQN's connected state flips. */
			int flips = delta > 0 ? m->conns[i] == 0 : m->conns[i] == 1;
			ck_assert_int_eq(fabric_conn(&f, rnd_host[i], delta), flips);
			if (delta > 0)
				m->conns[i]++;
			else if (m->conns[i])
				m->conns[i]--;
		} else {
			const char *nqn = rnd_owner[1 + rnd(RND_OWNERS - 1)];

			fabric_entity_del(&f, nqn);
			model_entity_del(m, nqn);
		}

		if (rnd(4))
			continue; /* several mutations, one rebuild */
		uint64_t g = f.genctr, hg = f.hgenctr, floor = rnd(8) ? 0 : g + rnd(5);
		int changed = fabric_rebuild(&f, floor);
		size_t n70, n71;
		struct nvmf_disc_log_entry *want70 = model_log70(m, &n70);
		uint8_t *want71 = model_log71(m, &n71);
		bool diff70 = n70 != nprev70 || (n70 && memcmp(want70, prev70, n70 * 1024));
		bool diff71 = n71 != nprev71 || (n71 && memcmp(want71, prev71, n71));

		ck_assert_msg(changed >= 0, "seed %" PRIu64 " step %u", seed, step);
		ck_assert_msg(
			f.nentries == n70 && (!n70 || !memcmp(log70_flat(&f), want70, n70 * 1024)),
			"seed %" PRIu64 " step %u: log 70h differs from the model", seed, step);
		ck_assert_msg(f.hostlog_len == n71 && f.nhostlog == m->nhosts &&
				      (!n71 || !memcmp(hostlog_flat(&f), want71, n71)),
			      "seed %" PRIu64 " step %u: log 71h differs from the model", seed,
			      step);
		ck_assert_msg(!!(changed & FABRIC_LOG70) == diff70 &&
				      !!(changed & FABRIC_LOG71) == diff71,
			      "seed %" PRIu64 " step %u: returned %d, 70h %s, 71h %s", seed, step,
			      changed, diff70 ? "changed" : "same", diff71 ? "changed" : "same");
		ck_assert_msg(f.genctr == (diff70 ? (g > floor ? g : floor) + 1 : g),
			      "seed %" PRIu64 " step %u: genctr %" PRIu64, seed, step, f.genctr);
		ck_assert_msg(f.hgenctr == hg + diff71, "seed %" PRIu64 " step %u: hgenctr", seed,
			      step);
		free(prev70);
		free(prev71);
		prev70 = want70;
		nprev70 = n70;
		prev71 = want71;
		nprev71 = n71;
	}
	for (size_t i = 0; i < RND_OWNERS; i++)
		ck_assert_uint_eq(fabric_rec_count(&f, rnd_owner[i]),
				  model_rec_count(m, rnd_owner[i]));
	free(prev70);
	free(prev71);
	free(m);
	fabric_free(&f);
}
/* The implicit hosts with no association, oldest first: what max-implicit-hosts forgets
 * first and what expiry sweeps, kept as hosts connect, leave, are seen and are deleted. */
static void put_implicit(struct fabric *f, const char *nqn, int64_t seen)
{
	struct entity e = entity_of(nqn, NVMF_DIM_ETYPE_HOST, "");

	e.source = REG_IMPLICIT;
	e.last_seen = seen;
	ck_assert_int_eq(fabric_entity_put(f, &e), 0);
}

static const char *idle_order(const struct fabric *f, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	for (const struct entity *e = fabric_idle_implicit_next(f, NULL); e;
	     e = fabric_idle_implicit_next(f, e))
		n += (size_t)snprintf(buf + n, size - n, "%s%s", n ? " " : "", e->nqn + 4);
	return buf;
}

START_TEST(idle_implicit_hosts_are_indexed_oldest_first)
{
	struct fabric f;
	char buf[256];

	fabric_init(&f);
	put_implicit(&f, "nqn.h3", 300);
	put_implicit(&f, "nqn.h1", 100);
	put_implicit(&f, "nqn.h2", 200);
	struct entity dim = entity_of("nqn.h0", NVMF_DIM_ETYPE_HOST, "");
	ck_assert_int_eq(fabric_entity_put(&f, &dim), 0); /* registered: never forgotten */
	ck_assert_str_eq(idle_order(&f, buf, sizeof(buf)), "h1 h2 h3");
	conn(&f, "nqn.h1", 1);
	ck_assert_str_eq(idle_order(&f, buf, sizeof(buf)), "h2 h3");
	put_implicit(&f, "nqn.h2", 400); /* seen again: moves to the end */
	ck_assert_str_eq(idle_order(&f, buf, sizeof(buf)), "h3 h2");
	conn(&f, "nqn.h1", 1);
	conn(&f, "nqn.h1", -1);
	ck_assert_str_eq(idle_order(&f, buf, sizeof(buf)), "h3 h2"); /* one association left */
	conn(&f, "nqn.h1", -1);
	ck_assert_str_eq(idle_order(&f, buf, sizeof(buf)), "h1 h3 h2");
	fabric_entity_del(&f, "nqn.h3");
	ck_assert_str_eq(idle_order(&f, buf, sizeof(buf)), "h1 h2");
	fabric_free(&f);
}
END_TEST

END_TEST

/* ---- zoning ---- */

#define HOST_C "nqn.2014-08.org.nvmexpress:uuid:0aa0e5e4-4d0e-4b8a-8ad5-3d1f4e3c5a03"

/* Turns zoning on with one active zone: hosts A and B with SUBSYS1. */
static void zone_a_b_with_subsys1(struct fabric *f)
{
	struct zone_member m[3] = {{.type = ZMTYPE_NQN, .role = ZONE_ROLE_HOST},
				   {.type = ZMTYPE_NQN, .role = ZONE_ROLE_HOST},
				   {.type = ZMTYPE_NQN, .role = ZONE_ROLE_SUBSYSTEM}};
	struct zone zone = {.name = "z1", .nmembers = 3, .members = m};
	struct zoning_change chg;
	struct zoning z;

	strcpy(m[0].nqn, HOST_A);
	strcpy(m[1].nqn, HOST_B);
	strcpy(m[2].nqn, SUBSYS1);
	zoning_init(&z, ZONE_POLICY_DENY);
	ck_assert_int_eq(zoning_group_create(&z, NULL, DDC_A, "g1", NULL), 0);
	ck_assert_int_eq(zoning_group_set(&z, NULL, DDC_A, "g1", &zone, 1), 0);
	ck_assert_int_eq(zoning_activate(&z, NULL, DDC_A, "g1", &chg), 0);
	fabric_zoning_swap(f, &z);
	zoning_free(&z);
	fabric_zoning_set(f, true, ZONE_POLICY_DENY);
}

static size_t subtype_count(const struct view *v, uint8_t subtype)
{
	size_t n = 0;

	for (size_t i = 0; i < v->nentries; i++)
		n += view_entry(v, i)->subtype == subtype;
	return n;
}

/* Views cost memory per distinct visibility: 1,000 hosts in 10 zones make 10 views, and
 * hosts in no zone one more, however many of them read. */
START_TEST(zoned_views_grow_with_visibilities_not_with_hosts)
{
	enum { ZONES = 10, HOSTS = 1000, PER_ZONE = HOSTS / ZONES };
	struct zone zones[ZONES];
	struct zone_member *m = calloc(HOSTS + ZONES, sizeof(*m));
	struct zoning_change chg;
	struct zoning z;
	struct fabric f;
	char nqn[CDC_NQN_MAX + 1], port[64];

	ck_assert_ptr_nonnull(m);
	fabric_init(&f);
	for (size_t i = 0; i < ZONES; i++) {
		struct zone_member *zm = &m[i * (PER_ZONE + 1)];

		snprintf(zones[i].name, sizeof(zones[i].name), "z%zu", i);
		zones[i].members = zm;
		zones[i].nmembers = PER_ZONE + 1;
		zm[0] = (struct zone_member){.type = ZMTYPE_NQN, .role = ZONE_ROLE_SUBSYSTEM};
		snprintf(zm[0].nqn, sizeof(zm[0].nqn), "nqn.2014-08.org.example:sub%zu", i);
		snprintf(port, sizeof(port), "traddr=192.0.2.%zu", i + 1);
		struct log_rec r = rec_of("", NVME_NQN_NVME, zm[0].nqn, port);
		put_rec(&f, &r);
		for (size_t h = 1; h <= PER_ZONE; h++) {
			zm[h] = (struct zone_member){.type = ZMTYPE_NQN, .role = ZONE_ROLE_HOST};
			snprintf(zm[h].nqn, sizeof(zm[h].nqn), "nqn.2014-08.org.example:h%zu",
				 i * PER_ZONE + h - 1);
		}
	}
	zoning_init(&z, ZONE_POLICY_DENY);
	ck_assert_int_eq(zoning_group_create(&z, NULL, DDC_A, "g1", NULL), 0);
	ck_assert_int_eq(zoning_group_set(&z, NULL, DDC_A, "g1", zones, ZONES), 0);
	ck_assert_int_eq(zoning_activate(&z, NULL, DDC_A, "g1", &chg), 0);
	fabric_zoning_swap(&f, &z);
	zoning_free(&z);
	fabric_zoning_set(&f, true, ZONE_POLICY_DENY);
	ck_assert_int_ge(fabric_rebuild(&f, 0), 0);

	for (size_t h = 0; h < HOSTS; h++) {
		snprintf(nqn, sizeof(nqn), "nqn.2014-08.org.example:h%zu", h);
		const struct view *v = fabric_host_view(&f, nqn, NULL);
		ck_assert_ptr_nonnull(v);
		ck_assert_uint_eq(subtype_count(v, NVME_NQN_NVME), 1);
		ck_assert_str_eq(view_entry(v, 0)->subnqn, zones[h / PER_ZONE].members[0].nqn);
	}
	ck_assert_uint_eq(fabric_zone_nviews(&f), ZONES);
	for (size_t h = 0; h < 100; h++) {
		snprintf(nqn, sizeof(nqn), "nqn.2014-08.org.example:unzoned%zu", h);
		ck_assert_uint_eq(subtype_count(fabric_host_view(&f, nqn, NULL), NVME_NQN_NVME), 0);
	}
	ck_assert_uint_eq(fabric_zone_nviews(&f), ZONES + 1);
	fabric_free(&f);
	free(m);
}
END_TEST

START_TEST(zoned_views_are_shared_by_hosts_of_equal_visibility)
{
	struct fabric f;

	fabric_init(&f);
	struct log_rec r1 = rec_of("", NVME_NQN_NVME, SUBSYS1, "traddr=192.0.2.1");
	struct log_rec r2 = rec_of("", NVME_NQN_NVME, SUBSYS1, "traddr=192.0.2.2");
	struct log_rec r3 = rec_of("", NVME_NQN_NVME, SUBSYS2, "traddr=192.0.2.3");
	struct log_rec ref = rec_of("", NVME_NQN_DISC, OTHER_DC, "traddr=192.0.2.9;trsvcid=8009");
	put_rec(&f, &r1);
	put_rec(&f, &r3);
	put_rec(&f, &ref);
	zone_a_b_with_subsys1(&f);
	ck_assert_int_ge(fabric_rebuild(&f, 0), 0);

	const struct view *a = fabric_host_view(&f, HOST_A, NULL);
	const struct view *b = fabric_host_view(&f, HOST_B, NULL);
	const struct view *c = fabric_host_view(&f, HOST_C, NULL);
	ck_assert_ptr_eq(a, b); /* one view for one visibility */
	ck_assert_ptr_ne(a, c);
	ck_assert_uint_eq(subtype_count(a, NVME_NQN_NVME), 1);
	ck_assert_str_eq(view_entry(a, 0)->subnqn, SUBSYS1);
	ck_assert_uint_eq(subtype_count(a, NVME_NQN_DISC), 1); /* referrals stay */
	ck_assert_uint_eq(subtype_count(c, NVME_NQN_NVME), 0); /* deny: C is in no zone */
	ck_assert_uint_eq(subtype_count(c, NVME_NQN_DISC), 1);
	struct view *held = view_ref((struct view *)a);
	uint64_t genctr = a->genctr;

	/* A port of SUBSYS2 moves the log, but not what A sees: same view, same GENCTR. */
	struct log_rec r4 = rec_of("", NVME_NQN_NVME, SUBSYS2, "traddr=192.0.2.4");
	put_rec(&f, &r4);
	ck_assert_int_ge(fabric_rebuild(&f, 0), 0);
	ck_assert_uint_gt(f.genctr, genctr);
	ck_assert_ptr_eq(fabric_host_view(&f, HOST_A, NULL), held);
	ck_assert_uint_eq(fabric_host_view(&f, HOST_A, NULL)->genctr, genctr);

	/* A second port of SUBSYS1: both paths, at the new GENCTR. */
	put_rec(&f, &r2);
	ck_assert_int_ge(fabric_rebuild(&f, 0), 0);
	a = fabric_host_view(&f, HOST_A, NULL);
	ck_assert_ptr_ne(a, held);
	ck_assert_uint_eq(subtype_count(a, NVME_NQN_NVME), 2);
	ck_assert_uint_eq(a->genctr, f.genctr);
	ck_assert_ptr_eq(fabric_host_view(&f, HOST_B, NULL), a);
	view_unref(held);

	/* A zoning change that leaves A's entries alone still moves its GENCTR: a host moved
	 * to another visibility never sees GENCTR go back. */
	struct zoning same;
	ck_assert_int_eq(zoning_clone(&same, &f.zoning), 0);
	fabric_zoning_swap(&f, &same);
	zoning_free(&same);
	ck_assert_int_ge(fabric_rebuild(&f, 0), 0);
	ck_assert_uint_eq(fabric_host_view(&f, HOST_A, NULL)->genctr, f.genctr);
	ck_assert_uint_eq(subtype_count(fabric_host_view(&f, HOST_A, NULL), NVME_NQN_NVME), 2);

	/* Under allow, C (in no zone) sees the ports in no zone: SUBSYS2's. */
	fabric_zoning_set(&f, true, ZONE_POLICY_ALLOW);
	ck_assert_int_ge(fabric_rebuild(&f, 0), 0);
	c = fabric_host_view(&f, HOST_C, NULL);
	ck_assert_uint_eq(subtype_count(c, NVME_NQN_NVME), 2);
	ck_assert_str_eq(view_entry(c, 0)->subnqn, SUBSYS2);
	ck_assert_uint_eq(subtype_count(fabric_host_view(&f, HOST_A, NULL), NVME_NQN_NVME), 2);

	/* Zoning off: everyone sees the whole log. */
	fabric_zoning_set(&f, false, ZONE_POLICY_ALLOW);
	ck_assert_int_ge(fabric_rebuild(&f, 0), 0);
	ck_assert_ptr_eq(fabric_host_view(&f, HOST_C, NULL), f.view70);
	fabric_free(&f);
}
END_TEST

static Suite *fabric_suite(void)
{
	Suite *s = suite_create("fabric");
	TCase *tc = tcase_create("records");

	tcase_add_test(tc, rec_put_with_the_same_key_replaces_the_record);
	tcase_add_test(tc, rec_with_another_trsvcid_is_another_record);
	tcase_add_test(tc, rec_for_the_same_port_under_another_owner_is_another_record);
	tcase_add_test(tc, rec_key_is_owner_subnqn_trtype_adrfam_traddr_and_trsvcid);
	tcase_add_test(tc, rec_count_counts_only_the_owners_records);
	tcase_add_test(tc, rec_del_removes_by_key_and_keeps_the_order_of_the_rest);
	tcase_add_test(tc, rec_del_of_a_missing_key_returns_false);
	tcase_add_test(tc, host_put_with_the_same_key_replaces_the_host);
	tcase_add_test(tc, host_key_is_hostnqn_trtype_adrfam_traddr_and_trsvcid);
	tcase_add_test(tc, host_del_removes_by_key_and_a_missing_key_returns_false);
	tcase_add_test(tc, entity_put_replaces_an_entity_with_the_same_nqn);
	tcase_add_test(tc, entity_del_removes_its_hosts_and_records_and_nobody_elses);
	tcase_add_test(tc, entity_del_without_an_entity_still_removes_its_hosts_and_records);
	suite_add_tcase(s, tc);

	tc = tcase_create("connections");
	tcase_add_test(tc, two_associations_stay_connected_until_both_go);
	tcase_add_test(tc, a_negative_delta_for_an_unknown_nqn_is_harmless);
	tcase_add_test(tc, connections_are_counted_per_nqn);
	tcase_add_test(tc, idle_implicit_hosts_are_indexed_oldest_first);
	suite_add_tcase(s, tc);

	tc = tcase_create("log70");
	tcase_add_test(tc, entries_are_config_records_then_registered_in_insertion_order);
	tcase_add_test(tc, registered_entry_is_built_from_the_record);
	tcase_add_test(tc, asqsz_is_the_records_value_or_the_default);
	tcase_add_test(tc, ncc_is_set_while_the_owner_has_no_association);
	tcase_add_test(tc, ncc_is_never_set_on_config_or_admin_records);
	tcase_add_test(tc, rebuild_with_nothing_changed_keeps_both_counters);
	tcase_add_test(tc, entity_put_changes_no_log_and_keeps_both_counters);
	tcase_add_test(tc, a_change_bumps_genctr_past_the_floor);
	tcase_add_test(tc, records_change_only_log_70h_and_hosts_only_log_71h);
	tcase_add_test(tc, a_connection_flips_ncc_in_both_logs);
	suite_add_tcase(s, tc);

	tc = tcase_create("log71");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, host_entry_without_symname_has_only_the_host_identifier);
	tcase_add_test(tc, host_entry_with_symname_pads_it_to_a_dword);
	tcase_add_test(tc, host_entry_with_the_longest_symname_and_traddr);
	tcase_add_test(tc, host_entries_are_back_to_back_in_insertion_order);
	tcase_add_test(tc, hgenctr_bumps_on_host_put_host_del_and_connections);
	tcase_add_test(tc, hostlog_header_has_genctr_numrec_and_thdlpl);
	tcase_add_test(tc, hostlog_read_at_every_dword_offset_matches_the_concatenation);
	tcase_add_test(tc, hostlog_read_beyond_the_end_is_einval);
	tcase_add_test(tc, empty_hostlog_is_a_header_only);
	suite_add_tcase(s, tc);

	tc = tcase_create("config");
	tcase_add_test(tc, apply_config_keeps_registered_records);
	tcase_add_test(tc, apply_config_returns_log70_when_a_port_field_changes);
	tcase_add_test(tc, apply_config_with_only_new_listeners_bumps_genctr);
	tcase_add_test(tc, apply_config_leaves_log_71h_alone);
	suite_add_tcase(s, tc);

	tc = tcase_create("random");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, random_mutations_match_a_plain_model);
	tcase_add_test(tc, zoned_views_are_shared_by_hosts_of_equal_visibility);
	tcase_add_test(tc, zoned_views_grow_with_visibilities_not_with_hosts);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(fabric_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
