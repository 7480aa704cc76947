/* test_disc_log.c - unit tests for nvmf/disc_log.c and cdc/fabric.c: the bytes of one log entry,
 * the SUBTYPE 3 self entries per listener, reads of the discovery log at every offset against a
 * reference built by hand, the Supported Log Pages page, and when applying a configuration
 * moves GENCTR. */

#include <arpa/inet.h>
#include <check.h>
#include <endian.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <nvme/types.h>

#include "config.h"
#include "disc_log.h"
#include "fabric.h"
#include "nvmf_tcp.h"

#define CDC_NQN	 "nqn.2024-01.com.example:cdc:unit"
#define SUBSYS1	 "nqn.2024-01.com.example:subsys1"
#define SUBSYS2	 "nqn.2024-01.com.example:subsys2"
#define MAX_SELF 8

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
static void assert_nul_padded(const char *field, size_t size, const char *want)
{
	size_t n = strlen(want);

	ck_assert_mem_eq(field, want, n);
	ck_assert_msg(all_zero(field + n, size - n), "'%s' is not NUL padded", want);
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

static const struct sockaddr *sa_of(const struct cdc_listen *l)
{
	return (const struct sockaddr *)&l->ss;
}

START_TEST(entry_fill_sets_every_field_and_zeroes_the_rest)
{
	struct cdc_port port = port_of(
		"trtype=tcp;traddr=192.0.2.10;trsvcid=4420;portid=7;treq=required;sectype=tls13");
	struct nvmf_disc_log_entry e;

	ck_assert_uint_eq(sizeof(e), DISC_LOG_ENTRY_LEN);
	memset(&e, 0xaa, sizeof(e));
	disc_entry_fill(&e, NVME_NQN_NVME, &port, SUBSYS1, NVMF_DISC_EFLAGS_NCC);

	ck_assert_uint_eq(e.trtype, NVMF_TRTYPE_TCP);
	ck_assert_uint_eq(e.adrfam, NVMF_ADDR_FAMILY_IP4);
	ck_assert_uint_eq(e.subtype, NVME_NQN_NVME);
	ck_assert_uint_eq(e.treq, NVMF_TREQ_REQUIRED);
	ck_assert_uint_eq(le16toh(e.portid), 7);
	ck_assert_uint_eq(le16toh(e.cntlid), 0xffff); /* dynamic controller model */
	ck_assert_uint_eq(le16toh(e.asqsz), DISC_ADMIN_SQ_SIZE);
	ck_assert_uint_ge(le16toh(e.asqsz), 32);
	ck_assert_uint_eq(le16toh(e.eflags), NVMF_DISC_EFLAGS_NCC);
	assert_nul_padded(e.trsvcid, sizeof(e.trsvcid), "4420");
	assert_nul_padded(e.subnqn, sizeof(e.subnqn), SUBSYS1);
	assert_nul_padded(e.traddr, sizeof(e.traddr), "192.0.2.10");
	ck_assert_uint_eq(e.tsas.tcp.sectype, NVMF_TCP_SECTYPE_TLS13);
	ck_assert(all_zero(e.tsas.common + 1, sizeof(e.tsas.common) - 1));
	ck_assert(all_zero(e.rsvd12, sizeof(e.rsvd12)));
	ck_assert(all_zero(e.rsvd64, sizeof(e.rsvd64)));

	/* Wire offsets, independent of the struct: protocol.md 6.3. */
	const uint8_t *b = (const uint8_t *)&e;
	ck_assert_uint_eq(b[0], 3);
	ck_assert_uint_eq(b[2], 2);
	ck_assert_uint_eq(get_le16(b + 4), 7);
	ck_assert_uint_eq(get_le16(b + 6), 0xffff);
	ck_assert_uint_eq(get_le16(b + 10), NVMF_DISC_EFLAGS_NCC);
	ck_assert_str_eq((const char *)b + 32, "4420");
	ck_assert_str_eq((const char *)b + 256, SUBSYS1);
	ck_assert_str_eq((const char *)b + 512, "192.0.2.10");
	ck_assert_uint_eq(b[768], 2);
}
END_TEST

START_TEST(entry_fill_of_an_ipv6_port_without_security)
{
	struct cdc_port port = port_of("traddr=2001:db8::10;trsvcid=4421;portid=2");
	struct nvmf_disc_log_entry e;

	memset(&e, 0x55, sizeof(e));
	disc_entry_fill(&e, NVME_NQN_DISC, &port, NVME_DISC_SUBSYS_NAME, 0);
	ck_assert_uint_eq(e.adrfam, NVMF_ADDR_FAMILY_IP6);
	ck_assert_uint_eq(e.subtype, NVME_NQN_DISC);
	ck_assert_uint_eq(e.treq, 0);
	ck_assert_uint_eq(le16toh(e.eflags), 0);
	assert_nul_padded(e.traddr, sizeof(e.traddr), "2001:db8::10");
	assert_nul_padded(e.trsvcid, sizeof(e.trsvcid), "4421");
	assert_nul_padded(e.subnqn, sizeof(e.subnqn), NVME_DISC_SUBSYS_NAME);
	ck_assert(all_zero(&e.tsas, sizeof(e.tsas)));
}
END_TEST

static void assert_self_entry(const struct nvmf_disc_log_entry *e, uint8_t adrfam,
			      const char *traddr, const char *trsvcid)
{
	ck_assert_uint_eq(e->trtype, NVMF_TRTYPE_TCP);
	ck_assert_uint_eq(e->subtype, NVME_NQN_CURR);
	ck_assert_uint_eq(e->adrfam, adrfam);
	ck_assert_uint_eq(le16toh(e->eflags), NVMF_DISC_EFLAGS_EPCSD | NVMF_DISC_EFLAGS_DUPRETINFO);
	ck_assert_uint_eq(le16toh(e->cntlid), 0xffff);
	assert_nul_padded(e->traddr, sizeof(e->traddr), traddr);
	assert_nul_padded(e->trsvcid, sizeof(e->trsvcid), trsvcid);
	assert_nul_padded(e->subnqn, sizeof(e->subnqn), CDC_NQN);
}

START_TEST(self_entries_are_one_subtype_3_per_listener)
{
	struct cdc_listen listen[] = {listen_of("127.0.0.1:8009"), listen_of("[2001:db8::1]:8010"),
				      listen_of("192.0.2.7:4430")};
	struct cdc_listen local = listen_of("127.0.0.1:8009");
	struct nvmf_disc_log_entry out[MAX_SELF];

	ck_assert_uint_eq(disc_log_self_entries(listen, 3, sa_of(&local), CDC_NQN, out, 8), 3);
	assert_self_entry(&out[0], NVMF_ADDR_FAMILY_IP4, "127.0.0.1", "8009");
	assert_self_entry(&out[1], NVMF_ADDR_FAMILY_IP6, "2001:db8::1", "8010");
	assert_self_entry(&out[2], NVMF_ADDR_FAMILY_IP4, "192.0.2.7", "4430");
	/* Each listener is its own port. */
	ck_assert_uint_ne(out[0].portid, out[1].portid);
	ck_assert_uint_ne(out[1].portid, out[2].portid);
}
END_TEST

START_TEST(wildcard_listener_is_reported_with_the_local_address)
{
	struct cdc_listen listen[] = {listen_of("0.0.0.0:8009"), listen_of("0.0.0.0:8010")};
	struct cdc_listen local = listen_of("192.0.2.1:8009");
	struct nvmf_disc_log_entry out[MAX_SELF];

	ck_assert_uint_eq(disc_log_self_entries(listen, 2, sa_of(&local), CDC_NQN, out, 8), 2);
	/* The address the host reached us on, with each listener's own port. */
	assert_self_entry(&out[0], NVMF_ADDR_FAMILY_IP4, "192.0.2.1", "8009");
	assert_self_entry(&out[1], NVMF_ADDR_FAMILY_IP4, "192.0.2.1", "8010");

	struct cdc_listen any6 = listen_of("[::]:8009");
	struct cdc_listen local6 = listen_of("[2001:db8::5]:8009");
	ck_assert_uint_eq(disc_log_self_entries(&any6, 1, sa_of(&local6), CDC_NQN, out, 8), 1);
	assert_self_entry(&out[0], NVMF_ADDR_FAMILY_IP6, "2001:db8::5", "8009");
}
END_TEST

START_TEST(wildcard_listener_of_the_other_family_is_left_out)
{
	struct cdc_listen listen[] = {listen_of("0.0.0.0:8009"), listen_of("[::]:8009")};
	struct cdc_listen local4 = listen_of("192.0.2.1:8009");
	struct cdc_listen local6 = listen_of("[2001:db8::5]:8009");
	struct nvmf_disc_log_entry out[MAX_SELF];

	ck_assert_uint_eq(disc_log_self_entries(listen, 2, sa_of(&local4), CDC_NQN, out, 8), 1);
	assert_self_entry(&out[0], NVMF_ADDR_FAMILY_IP4, "192.0.2.1", "8009");
	ck_assert_uint_eq(disc_log_self_entries(listen, 2, sa_of(&local6), CDC_NQN, out, 8), 1);
	assert_self_entry(&out[0], NVMF_ADDR_FAMILY_IP6, "2001:db8::5", "8009");
	/* Never a wildcard address: without a local address there is nothing to report. */
	ck_assert_uint_eq(disc_log_self_entries(listen, 2, NULL, CDC_NQN, out, 8), 0);
}
END_TEST

START_TEST(ipv4_mapped_local_address_is_reported_as_ipv4)
{
	struct cdc_listen any6 = listen_of("[::]:8009");
	struct cdc_listen mapped = listen_of("[::ffff:192.0.2.33]:8009");
	struct nvmf_disc_log_entry out[MAX_SELF];

	ck_assert_uint_eq(disc_log_self_entries(&any6, 1, sa_of(&mapped), CDC_NQN, out, 8), 1);
	assert_self_entry(&out[0], NVMF_ADDR_FAMILY_IP4, "192.0.2.33", "8009");
}
END_TEST

START_TEST(self_entries_stop_at_max)
{
	struct cdc_listen listen[] = {listen_of("127.0.0.1:8009"), listen_of("127.0.0.2:8009"),
				      listen_of("127.0.0.3:8009")};
	struct nvmf_disc_log_entry out[3];

	memset(out, 0x77, sizeof(out));
	ck_assert_uint_eq(disc_log_self_entries(listen, 3, NULL, CDC_NQN, out, 2), 2);
	assert_self_entry(&out[1], NVMF_ADDR_FAMILY_IP4, "127.0.0.2", "8009");
	ck_assert_uint_eq(out[2].trtype, 0x77); /* untouched */
}
END_TEST

/* A view of nself + nbody entries whose bytes all differ with their position, and the same
 * log concatenated by hand: header | self | body | zeros for reads past the end. */
struct ref_log {
	struct nvmf_disc_log_entry self[2];
	struct nvmf_disc_log_entry body[3];
	struct disc_log_view v;
	uint8_t *bytes;
	size_t size;  /* of the log */
	size_t alloc; /* of bytes: the log plus room for the longest read past it */
};

static void ref_log_init(struct ref_log *r, size_t nself, size_t nbody)
{
	uint8_t *p;

	memset(r, 0, sizeof(*r));
	p = (uint8_t *)r->self;
	for (size_t i = 0; i < sizeof(r->self); i++)
		p[i] = (uint8_t)(i * 7 + i / 251 + 1);
	p = (uint8_t *)r->body;
	for (size_t i = 0; i < sizeof(r->body); i++)
		p[i] = (uint8_t)(i * 13 + i / 241 + 2);
	r->v = (struct disc_log_view){.genctr = 0x0102030405060708ull,
				      .self = nself ? r->self : NULL,
				      .nself = nself,
				      .body = nbody ? r->body : NULL,
				      .nbody = nbody};
	r->size = DISC_LOG_HDR_LEN + (nself + nbody) * DISC_LOG_ENTRY_LEN;
	r->alloc = r->size + 8192;
	r->bytes = calloc(1, r->alloc);
	ck_assert_ptr_nonnull(r->bytes);
	put_le64(r->bytes, r->v.genctr);
	put_le64(r->bytes + 8, nself + nbody);
	put_le16(r->bytes + 16, 0); /* RECFMT */
	memcpy(r->bytes + DISC_LOG_HDR_LEN, r->self, nself * DISC_LOG_ENTRY_LEN);
	memcpy(r->bytes + DISC_LOG_HDR_LEN + nself * DISC_LOG_ENTRY_LEN, r->body,
	       nbody * DISC_LOG_ENTRY_LEN);
}

static void ref_log_free(struct ref_log *r)
{
	free(r->bytes);
}

static void check_reads_everywhere(size_t nself, size_t nbody)
{
	static const size_t lens[] = {4, 20, 1024, 4096, 5000};
	struct ref_log r;
	uint8_t *dst = malloc(8192);

	ck_assert_ptr_nonnull(dst);
	ref_log_init(&r, nself, nbody);
	ck_assert_uint_eq(disc_log_size(&r.v), r.size);
	for (size_t off = 0; off <= r.size; off += 4) {
		for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
			memset(dst, 0xee, 8192);
			ck_assert_int_eq(disc_log_read(&r.v, off, dst, lens[i]), 0);
			ck_assert_msg(!memcmp(dst, r.bytes + off, lens[i]),
				      "log (%zu self, %zu body) differs at offset %zu, length %zu",
				      nself, nbody, off, lens[i]);
			ck_assert_msg(dst[lens[i]] == 0xee, "read of %zu bytes wrote more",
				      lens[i]);
		}
	}
	ref_log_free(&r);
	free(dst);
}

START_TEST(read_at_every_offset_matches_the_concatenated_log)
{
	check_reads_everywhere(2, 3);
}
END_TEST

START_TEST(read_matches_with_only_self_only_body_or_no_entries)
{
	check_reads_everywhere(2, 0);
	check_reads_everywhere(0, 3);
	check_reads_everywhere(0, 0);
	check_reads_everywhere(1, 1);
}
END_TEST

START_TEST(read_past_the_end_is_zero_filled)
{
	struct ref_log r;
	uint8_t dst[5000];

	ref_log_init(&r, 2, 3);
	memset(dst, 0xee, sizeof(dst));
	ck_assert_int_eq(disc_log_read(&r.v, r.size - 1024, dst, sizeof(dst)), 0);
	ck_assert_mem_eq(dst, &r.body[2], 1024);
	ck_assert(all_zero(dst + 1024, sizeof(dst) - 1024));
	ref_log_free(&r);
}
END_TEST

START_TEST(read_at_the_end_is_all_zeros_beyond_it_einval)
{
	struct ref_log r;
	uint8_t dst[4096];

	ref_log_init(&r, 2, 3);
	memset(dst, 0xee, sizeof(dst));
	ck_assert_int_eq(disc_log_read(&r.v, r.size, dst, sizeof(dst)), 0);
	ck_assert(all_zero(dst, sizeof(dst)));
	ck_assert_int_eq(disc_log_read(&r.v, r.size + 4, dst, sizeof(dst)), -EINVAL);
	ck_assert_int_eq(disc_log_read(&r.v, r.size + 1, dst, 4), -EINVAL);
	ck_assert_int_eq(disc_log_read(&r.v, UINT64_MAX - 3, dst, 4), -EINVAL);
	ref_log_free(&r);
}
END_TEST

START_TEST(header_has_genctr_numrec_and_recfmt_0)
{
	struct ref_log r;
	uint8_t hdr[DISC_LOG_HDR_LEN];
	const struct nvmf_discovery_log *h = (const void *)hdr;

	ref_log_init(&r, 2, 3);
	memset(hdr, 0xee, sizeof(hdr));
	ck_assert_int_eq(disc_log_read(&r.v, 0, hdr, sizeof(hdr)), 0);
	ck_assert_uint_eq(le64toh(h->genctr), 0x0102030405060708ull);
	ck_assert_uint_eq(le64toh(h->numrec), 5);
	ck_assert_uint_eq(le16toh(h->recfmt), 0);
	ck_assert_uint_eq(get_le64(hdr), 0x0102030405060708ull);
	ck_assert_uint_eq(get_le64(hdr + 8), 5);
	ck_assert(all_zero(hdr + 16, sizeof(hdr) - 16));
	ref_log_free(&r);
}
END_TEST

START_TEST(supported_log_pages_lists_00h_01h_70h_and_71h_only)
{
	uint8_t page[DISC_SUPPORTED_LOGS_LEN];

	memset(page, 0xee, sizeof(page));
	disc_log_supported(page);
	for (unsigned int lid = 0; lid < 256; lid++) {
		uint32_t want = lid == 0x00 || lid == 0x01 || lid == 0x70 || lid == 0x71 ? 1 : 0;
		ck_assert_msg(get_le32(page + 4 * lid) == want, "LID %02xh entry is %#x, not %#x",
			      lid, get_le32(page + 4 * lid), want);
	}
}
END_TEST

/* ---- fabric_apply_config ---- */

static void add_subsys(struct cdc_config *cfg, const char *nqn, const char *const *ports,
		       size_t nports)
{
	struct cdc_subsys *s;

	cfg->subsys = realloc(cfg->subsys, (cfg->nsubsys + 1) * sizeof(*cfg->subsys));
	ck_assert_ptr_nonnull(cfg->subsys);
	s = &cfg->subsys[cfg->nsubsys++];
	memset(s, 0, sizeof(*s));
	snprintf(s->nqn, sizeof(s->nqn), "%s", nqn);
	s->ports = calloc(nports, sizeof(*s->ports));
	ck_assert_ptr_nonnull(s->ports);
	for (size_t i = 0; i < nports; i++)
		s->ports[i] = port_of(ports[i]);
	s->nports = nports;
}

static void add_port(struct cdc_config *cfg, size_t subsys, const char *text)
{
	struct cdc_subsys *s = &cfg->subsys[subsys];

	s->ports = realloc(s->ports, (s->nports + 1) * sizeof(*s->ports));
	ck_assert_ptr_nonnull(s->ports);
	s->ports[s->nports++] = port_of(text);
}

static void add_referral(struct cdc_config *cfg, const char *nqn, const char *text)
{
	struct cdc_referral *r;
	char err[256];

	cfg->referrals = realloc(cfg->referrals, (cfg->nreferrals + 1) * sizeof(*cfg->referrals));
	ck_assert_ptr_nonnull(cfg->referrals);
	r = &cfg->referrals[cfg->nreferrals++];
	memset(r, 0, sizeof(*r));
	ck_assert_int_eq(addr_parse_port(text, "8009", &r->port, err, sizeof(err)), 0);
	snprintf(r->nqn, sizeof(r->nqn), "%s", nqn);
}

/* Listeners 127.0.0.1:8009; subsys1 with two ports, subsys2 with one; one referral. */
static void sample_config(struct cdc_config *cfg)
{
	static const char *const ports1[] = {"traddr=192.0.2.10;trsvcid=4420;portid=1",
					     "traddr=192.0.2.11;trsvcid=4420;portid=2"};
	static const char *const ports2[] = {"traddr=2001:db8::20;trsvcid=4420;portid=3"};

	config_defaults(cfg);
	cfg->listen[0] = listen_of("127.0.0.1:8009");
	cfg->nlisten = 1;
	add_subsys(cfg, SUBSYS1, ports1, 2);
	add_subsys(cfg, SUBSYS2, ports2, 1);
	add_referral(cfg, "nqn.2024-01.com.example:cdc:other", "traddr=192.0.2.99;trsvcid=8009");
}

START_TEST(first_apply_bumps_genctr_and_returns_1)
{
	struct cdc_config cfg;
	struct fabric f;

	fabric_init(&f);
	ck_assert_uint_eq(f.genctr, 0);
	sample_config(&cfg);
	ck_assert_int_eq(fabric_apply_config(&f, &cfg), 1);
	ck_assert_uint_eq(f.genctr, 1);
	ck_assert_uint_eq(f.nentries, 4);
	fabric_free(&f);
	config_free(&cfg);
}
END_TEST

START_TEST(entries_are_subsystem_ports_then_referrals)
{
	struct cdc_config cfg;
	struct fabric f;

	fabric_init(&f);
	sample_config(&cfg);
	ck_assert_int_eq(fabric_apply_config(&f, &cfg), 1);
	ck_assert_uint_eq(f.nentries, 4);

	ck_assert_uint_eq((*fabric_entry(&f, 0)).subtype, NVME_NQN_NVME);
	assert_nul_padded((*fabric_entry(&f, 0)).subnqn, 256, SUBSYS1);
	assert_nul_padded((*fabric_entry(&f, 0)).traddr, 256, "192.0.2.10");
	ck_assert_uint_eq(le16toh((*fabric_entry(&f, 0)).portid), 1);
	ck_assert_uint_eq((*fabric_entry(&f, 1)).subtype, NVME_NQN_NVME);
	assert_nul_padded((*fabric_entry(&f, 1)).traddr, 256, "192.0.2.11");
	ck_assert_uint_eq((*fabric_entry(&f, 2)).subtype, NVME_NQN_NVME);
	assert_nul_padded((*fabric_entry(&f, 2)).subnqn, 256, SUBSYS2);
	ck_assert_uint_eq((*fabric_entry(&f, 2)).adrfam, NVMF_ADDR_FAMILY_IP6);
	ck_assert_uint_eq((*fabric_entry(&f, 3)).subtype, NVME_NQN_DISC);
	assert_nul_padded((*fabric_entry(&f, 3)).subnqn, 256, "nqn.2024-01.com.example:cdc:other");
	assert_nul_padded((*fabric_entry(&f, 3)).trsvcid, 32, "8009");
	/* Subsystem entries never claim duplicate information. */
	for (size_t i = 0; i < 3; i++)
		ck_assert_uint_eq(
			le16toh((*fabric_entry(&f, i)).eflags) & NVMF_DISC_EFLAGS_DUPRETINFO, 0);
	fabric_free(&f);
	config_free(&cfg);
}
END_TEST

START_TEST(applying_the_same_config_returns_0_and_keeps_genctr)
{
	struct cdc_config cfg, again;
	struct fabric f;

	fabric_init(&f);
	sample_config(&cfg);
	ck_assert_int_eq(fabric_apply_config(&f, &cfg), 1);
	ck_assert_int_eq(fabric_apply_config(&f, &cfg), 0);
	ck_assert_uint_eq(f.genctr, 1);
	/* An equal configuration parsed afresh (a reload of an unchanged file). */
	sample_config(&again);
	ck_assert_int_eq(fabric_apply_config(&f, &again), 0);
	ck_assert_uint_eq(f.genctr, 1);
	ck_assert_uint_eq(f.nentries, 4);
	fabric_free(&f);
	config_free(&cfg);
	config_free(&again);
}
END_TEST

START_TEST(adding_a_port_or_referral_returns_1_and_bumps)
{
	struct cdc_config cfg;
	struct fabric f;

	fabric_init(&f);
	sample_config(&cfg);
	ck_assert_int_eq(fabric_apply_config(&f, &cfg), 1);

	add_port(&cfg, 0, "traddr=192.0.2.12;trsvcid=4420;portid=4");
	ck_assert_int_eq(fabric_apply_config(&f, &cfg), 1);
	ck_assert_uint_eq(f.genctr, 2);
	ck_assert_uint_eq(f.nentries, 5);
	assert_nul_padded((*fabric_entry(&f, 2)).traddr, 256, "192.0.2.12");
	ck_assert_uint_eq((*fabric_entry(&f, 4)).subtype, NVME_NQN_DISC);

	add_referral(&cfg, NVME_DISC_SUBSYS_NAME, "traddr=192.0.2.98");
	ck_assert_int_eq(fabric_apply_config(&f, &cfg), 1);
	ck_assert_uint_eq(f.genctr, 3);
	ck_assert_uint_eq(f.nentries, 6);
	ck_assert_uint_eq((*fabric_entry(&f, 5)).subtype, NVME_NQN_DISC);
	assert_nul_padded((*fabric_entry(&f, 5)).traddr, 256, "192.0.2.98");
	fabric_free(&f);
	config_free(&cfg);
}
END_TEST

START_TEST(changing_a_port_field_returns_1_and_bumps)
{
	struct cdc_config cfg;
	struct fabric f;

	fabric_init(&f);
	sample_config(&cfg);
	ck_assert_int_eq(fabric_apply_config(&f, &cfg), 1);
	cfg.subsys[1].ports[0].treq = NVMF_TREQ_REQUIRED;
	ck_assert_int_eq(fabric_apply_config(&f, &cfg), 1);
	ck_assert_uint_eq(f.genctr, 2);
	ck_assert_uint_eq((*fabric_entry(&f, 2)).treq, NVMF_TREQ_REQUIRED);
	fabric_free(&f);
	config_free(&cfg);
}
END_TEST

START_TEST(changing_listeners_returns_1_and_bumps)
{
	struct cdc_config cfg;
	struct fabric f;

	fabric_init(&f);
	sample_config(&cfg);
	ck_assert_int_eq(fabric_apply_config(&f, &cfg), 1);
	/* The self entries every host reads change with the listeners. */
	cfg.listen[1] = listen_of("[::1]:8009");
	cfg.nlisten = 2;
	ck_assert_int_eq(fabric_apply_config(&f, &cfg), 1);
	ck_assert_uint_eq(f.genctr, 2);
	ck_assert_uint_eq(f.nentries, 4);
	cfg.listen[1] = listen_of("[::1]:8010");
	ck_assert_int_eq(fabric_apply_config(&f, &cfg), 1);
	ck_assert_uint_eq(f.genctr, 3);
	ck_assert_int_eq(fabric_apply_config(&f, &cfg), 0);
	ck_assert_uint_eq(f.genctr, 3);
	fabric_free(&f);
	config_free(&cfg);
}
END_TEST

START_TEST(removing_everything_returns_1_and_leaves_no_entries)
{
	struct cdc_config cfg;
	struct fabric f;

	fabric_init(&f);
	sample_config(&cfg);
	ck_assert_int_eq(fabric_apply_config(&f, &cfg), 1);
	config_free(&cfg);
	ck_assert_int_eq(fabric_apply_config(&f, &cfg), 1);
	ck_assert_uint_eq(f.genctr, 2);
	ck_assert_uint_eq(f.nentries, 0);
	ck_assert_int_eq(fabric_apply_config(&f, &cfg), 0);
	fabric_free(&f);
	ck_assert_ptr_null(fabric_entry(&f, 0));
	ck_assert_uint_eq(f.nentries, 0);
}
END_TEST

START_TEST(fabric_entries_read_through_a_view_follow_the_self_entries)
{
	struct cdc_config cfg;
	struct fabric f;
	struct nvmf_disc_log_entry self[MAX_SELF];
	struct cdc_listen local = listen_of("127.0.0.1:8009");
	uint8_t buf[DISC_LOG_ENTRY_LEN];

	fabric_init(&f);
	sample_config(&cfg);
	ck_assert_int_eq(fabric_apply_config(&f, &cfg), 1);
	struct disc_log_view v = {/* the configuration's entries: one page, contiguous */
				  .genctr = f.genctr,
				  .self = self,
				  .body = fabric_entry(&f, 0),
				  .nbody = f.nentries};
	v.nself = disc_log_self_entries(cfg.listen, cfg.nlisten, sa_of(&local), CDC_NQN, self,
					MAX_SELF);
	ck_assert_uint_eq(v.nself, 1);
	ck_assert_uint_eq(disc_log_size(&v), 1024 + 5 * 1024);
	ck_assert_int_eq(disc_log_read(&v, 1024, buf, sizeof(buf)), 0);
	ck_assert_uint_eq(buf[2], NVME_NQN_CURR);
	ck_assert_int_eq(disc_log_read(&v, 2048, buf, sizeof(buf)), 0);
	ck_assert_mem_eq(buf, fabric_entry(&f, 0), sizeof(buf));
	ck_assert_int_eq(disc_log_read(&v, 5 * 1024, buf, sizeof(buf)), 0);
	ck_assert_uint_eq(buf[2], NVME_NQN_DISC);
	fabric_free(&f);
	config_free(&cfg);
}
END_TEST

static Suite *disc_log_suite(void)
{
	Suite *s = suite_create("disc_log");
	TCase *tc = tcase_create("entries");

	tcase_add_test(tc, entry_fill_sets_every_field_and_zeroes_the_rest);
	tcase_add_test(tc, entry_fill_of_an_ipv6_port_without_security);
	tcase_add_test(tc, self_entries_are_one_subtype_3_per_listener);
	tcase_add_test(tc, wildcard_listener_is_reported_with_the_local_address);
	tcase_add_test(tc, wildcard_listener_of_the_other_family_is_left_out);
	tcase_add_test(tc, ipv4_mapped_local_address_is_reported_as_ipv4);
	tcase_add_test(tc, self_entries_stop_at_max);
	suite_add_tcase(s, tc);

	tc = tcase_create("read");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, read_at_every_offset_matches_the_concatenated_log);
	tcase_add_test(tc, read_matches_with_only_self_only_body_or_no_entries);
	tcase_add_test(tc, read_past_the_end_is_zero_filled);
	tcase_add_test(tc, read_at_the_end_is_all_zeros_beyond_it_einval);
	tcase_add_test(tc, header_has_genctr_numrec_and_recfmt_0);
	tcase_add_test(tc, supported_log_pages_lists_00h_01h_70h_and_71h_only);
	suite_add_tcase(s, tc);

	tc = tcase_create("fabric");
	tcase_add_test(tc, first_apply_bumps_genctr_and_returns_1);
	tcase_add_test(tc, entries_are_subsystem_ports_then_referrals);
	tcase_add_test(tc, applying_the_same_config_returns_0_and_keeps_genctr);
	tcase_add_test(tc, adding_a_port_or_referral_returns_1_and_bumps);
	tcase_add_test(tc, changing_a_port_field_returns_1_and_bumps);
	tcase_add_test(tc, changing_listeners_returns_1_and_bumps);
	tcase_add_test(tc, removing_everything_returns_1_and_leaves_no_entries);
	tcase_add_test(tc, fabric_entries_read_through_a_view_follow_the_self_entries);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(disc_log_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
