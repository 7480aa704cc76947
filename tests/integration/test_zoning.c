/* test_zoning.c - integration tests of fabric zoning: cdcd with zoning on, zones made through
 * the control API, hosts reading log 70h over NVMe/TCP. Hosts in different zones read
 * different logs; a zoning change sends the AEN exactly to the persistent controllers whose
 * log changed; zoning survives a restart; the policy decides what hosts in no zone see. */
#include <check.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "disc_json.h"
#include "status.h"
#include "testlib.h"
#include "zoning_wire.h"

#define HOST_A "nqn.2014-08.org.example:host-a"
#define HOST_B "nqn.2014-08.org.example:host-b"
#define HOST_C "nqn.2014-08.org.example:host-c" /* in no zone */
#define GROUP  "/v1/zonegroups/g1"

static char resp[API_BODY_MAX];

static void api_ok(const char *method, const char *path, const char *body, int want)
{
	int code = api_call(method, path, body, resp, sizeof(resp));

	ck_assert_msg(code == want, "%s %s: %d (%s), expected %d", method, path, code, resp, want);
}

static void member_add(const char *zone, const char *role, const char *nqn)
{
	char path[256], body[512];

	snprintf(path, sizeof(path), GROUP "/zones/%s/members", zone);
	snprintf(body, sizeof(body), "{\"type\":\"nqn\",\"role\":\"%s\",\"nqn\":\"%s\"}", role,
		 nqn);
	api_ok("POST", path, body, 201);
}

/* A second subsystem (one port), and group g1 with zone za: HOST_A with SUB1, and zone zb:
 * HOST_B with SUB2 (zb only when with_b). Not active yet. */
static void make_zones(bool with_b)
{
	api_ok("POST", "/v1/subsystems", "{\"nqn\":\"" SUB2 "\"}", 201);
	api_ok("POST", "/v1/subsystems/" SUB2 "/ports",
	       "{\"traddr\":\"192.0.2.20\",\"trsvcid\":\"4420\",\"portid\":3}", 201);
	api_ok("POST", "/v1/zonegroups", "{\"name\":\"g1\"}", 201);
	api_ok("POST", GROUP "/zones", "{\"name\":\"za\"}", 201);
	member_add("za", "host", HOST_A);
	member_add("za", "subsystem", SUB1);
	if (with_b) {
		api_ok("POST", GROUP "/zones", "{\"name\":\"zb\"}", 201);
		member_add("zb", "host", HOST_B);
		member_add("zb", "subsystem", SUB2);
	}
}

/* How many subsystem entries of subnqn (all subsystems: NULL) the log holds, and whether
 * it holds the configured referral. */
static int count_subsys(const struct log_result *l, const char *subnqn)
{
	int n = 0;

	for (uint64_t i = 0; i < get_le64(l->log + 8); i++) {
		const struct nvmf_disc_log_entry *e = entry(l, i);
		n += e->subtype == NVME_NQN_NVME && (!subnqn || !strcmp(e->subnqn, subnqn));
	}
	return n;
}

static bool has_referral(const struct log_result *l)
{
	for (uint64_t i = 0; i < get_le64(l->log + 8); i++)
		if (entry(l, i)->subtype == NVME_NQN_DISC)
			return true;
	return false;
}

/* What hostnqn reads over NVMe/TCP: (SUB1 entries, SUB2 entries). */
static void read_as(const char *hostnqn, int *sub1, int *sub2)
{
	struct nvmf_host *h = connect_as(hostnqn, 0);
	struct log_result l = read_disc_log(h);

	ck_assert_int_eq(l.err, 0);
	*sub1 = count_subsys(&l, SUB1);
	*sub2 = count_subsys(&l, SUB2);
	ck_assert_int_eq(count_subsys(&l, NULL), *sub1 + *sub2);
	ck_assert(has_referral(&l)); /* referrals are never zoned away */
	free(l.log);
	nvmf_host_free(h);
}

/* A command completed after everything the daemon sent before it: an AEN that was going to
 * come for a change already acknowledged has come by then. */
static void barrier(struct nvmf_host *h)
{
	struct result r = {0};

	ck_assert_int_eq(nvmf_host_keep_alive(h, result_cb, &r), 0);
	ck_assert(run_until(&r.done, 5000));
	ck_assert_int_eq(r.cqe.status, 0);
}

/* A persistent controller of hostnqn with its log read (event armed) and an AER out. */
static struct nvmf_host *persistent(const char *hostnqn, struct result *aer)
{
	struct nvmf_host *h = connect_as(hostnqn, 5000);

	free(read_disc_log(h).log);
	memset(aer, 0, sizeof(*aer));
	aer_submit(h, aer);
	return h;
}

START_TEST(hosts_in_different_zones_read_different_logs)
{
	int a1, a2, b1, b2, c1, c2;

	make_zones(true);
	/* Configured but not active: nothing is granted, so under deny nobody sees a port. */
	read_as(HOST_A, &a1, &a2);
	ck_assert_int_eq(a1 + a2, 0);
	api_ok("POST", GROUP "/activate", NULL, 204);

	read_as(HOST_A, &a1, &a2);
	read_as(HOST_B, &b1, &b2);
	read_as(HOST_C, &c1, &c2);
	ck_assert_int_eq(a1, 2); /* both ports of SUB1: multipath */
	ck_assert_int_eq(a2, 0);
	ck_assert_int_eq(b1, 0);
	ck_assert_int_eq(b2, 1);
	ck_assert_int_eq(c1 + c2, 0);
}
END_TEST

START_TEST(host_log_shows_the_zoned_view_the_wire_serves)
{
	make_zones(true);
	api_ok("POST", GROUP "/activate", NULL, 204);
	struct nvmf_host *h = connect_as(HOST_B, 0);
	struct log_result l = read_disc_log(h);
	struct json_object *wire = disc_log_json(l.log, l.len);

	api_ok("GET", "/v1/hosts/" HOST_B "/log", NULL, 200);
	struct json_object *api = json_tokener_parse(resp);
	ck_assert_ptr_nonnull(api);
	ck_assert_str_eq(json_object_to_json_string_ext(api, JSON_C_TO_STRING_PLAIN),
			 json_object_to_json_string_ext(wire, JSON_C_TO_STRING_PLAIN));
	json_object_put(wire);
	json_object_put(api);
	free(l.log);
	nvmf_host_free(h);
}
END_TEST

START_TEST(a_zoning_change_notifies_exactly_the_hosts_whose_view_changed)
{
	struct result aa, ab, ac;

	make_zones(false);
	api_ok("POST", GROUP "/activate", NULL, 204);
	struct nvmf_host *a = persistent(HOST_A, &aa), *b = persistent(HOST_B, &ab),
			 *c = persistent(HOST_C, &ac);

	/* Editing the configured group changes what nobody sees yet. */
	api_ok("POST", GROUP "/zones", "{\"name\":\"zb\"}", 201);
	member_add("zb", "host", HOST_B);
	member_add("zb", "subsystem", SUB2);
	barrier(a);
	barrier(b);
	barrier(c);
	ck_assert(!aa.done && !ab.done && !ac.done);

	/* Activating it grants HOST_B SUB2: only HOST_B's log changed. */
	api_ok("POST", GROUP "/activate", NULL, 204);
	ck_assert(run_until(&ab.done, 5000));
	ck_assert_uint_eq(ab.cqe.dw0, 0x0070f002);
	barrier(a);
	barrier(c);
	ck_assert(!aa.done && !ac.done);

	/* Deactivating takes SUB1 from HOST_A and SUB2 from HOST_B; HOST_C saw nothing. */
	free(read_disc_log(b).log);
	aer_submit(b, &ab);
	api_ok("POST", GROUP "/deactivate", NULL, 204);
	ck_assert(run_until(&aa.done, 5000));
	ck_assert(run_until(&ab.done, 5000));
	barrier(c);
	ck_assert(!ac.done);

	/* Activating again gives both their subsystems back. */
	free(read_disc_log(a).log);
	free(read_disc_log(b).log);
	aer_submit(a, &aa);
	aer_submit(b, &ab);
	api_ok("POST", GROUP "/activate", NULL, 204);
	ck_assert(run_until(&aa.done, 5000));
	ck_assert(run_until(&ab.done, 5000));
	barrier(c);
	ck_assert(!ac.done);

	/* A change to the fabric itself reaches only the hosts zoned with it: SUB2 goes. */
	free(read_disc_log(a).log);
	free(read_disc_log(b).log);
	aer_submit(a, &aa);
	aer_submit(b, &ab);
	api_ok("DELETE", "/v1/subsystems/" SUB2, NULL, 204);
	ck_assert(run_until(&ab.done, 5000));
	barrier(a);
	barrier(c);
	ck_assert(!aa.done && !ac.done);
	nvmf_host_free(a);
	nvmf_host_free(b);
	nvmf_host_free(c);
}
END_TEST

START_TEST(zoning_survives_a_restart)
{
	int a1, a2;

	make_zones(true);
	api_ok("POST", GROUP "/activate", NULL, 204);
	api_ok("POST", "/v1/aliases", "{\"name\":\"storage\"}", 201);
	api_ok("POST", "/v1/aliases/storage/members",
	       "{\"type\":\"nqn\",\"role\":\"subsystem\",\"nqn\":\"" SUB2 "\"}", 201);
	ck_assert(halt_daemon(SIGTERM));
	spawn_daemon();

	read_as(HOST_A, &a1, &a2);
	ck_assert_int_eq(a1, 2);
	ck_assert_int_eq(a2, 0);
	api_ok("GET", GROUP, NULL, 200);
	struct json_object *g = json_tokener_parse(resp), *v;
	ck_assert(json_object_object_get_ex(g, "active", &v) && json_object_get_boolean(v));
	ck_assert(json_object_object_get_ex(g, "zones", &v));
	ck_assert_uint_eq(json_object_array_length(v), 2);
	ck_assert(json_object_object_get_ex(g, "key", &v));
	int64_t key = json_object_get_int64(v);
	json_object_put(g);
	api_ok("GET", "/v1/aliases/storage", NULL, 200);
	ck_assert_ptr_nonnull(strstr(resp, SUB2));

	/* Keys are never handed out again, not even after a restart. */
	api_ok("POST", GROUP "/deactivate", NULL, 204);
	api_ok("DELETE", GROUP, NULL, 204);
	api_ok("POST", "/v1/zonegroups", "{\"name\":\"g1\"}", 201);
	api_ok("GET", GROUP, NULL, 200);
	g = json_tokener_parse(resp);
	ck_assert(json_object_object_get_ex(g, "key", &v));
	ck_assert_int_gt(json_object_get_int64(v), key);
	json_object_put(g);
}
END_TEST

START_TEST(an_active_group_is_not_deleted)
{
	make_zones(false);
	api_ok("POST", GROUP "/activate", NULL, 204);
	api_ok("DELETE", GROUP, NULL, 409);
	api_ok("POST", "/v1/zonegroups", "{\"name\":\"g1\"}", 409);
	api_ok("POST", "/v1/zonegroups/nope/activate", NULL, 404);
	api_ok("POST", GROUP "/zones/za/members", "{\"type\":\"nqn\",\"role\":\"owner\"}", 400);
	api_ok("POST", "/v1/zonegroups", "{}", 400);
	api_ok("POST", GROUP "/zones", "{\"nome\":\"zc\"}", 400);
	api_ok("POST", "/v1/aliases", NULL, 400);
	api_ok("POST", "/v1/zonegroups", "{\"name\":\"this-name-is-longer-than-thirty-bytes\"}",
	       400);
	api_ok("GET", GROUP "?originator=not-an-nqn", NULL, 400);
	api_ok("GET", GROUP "?originator=nqn.2014-08.org.example:other", NULL, 404);
	api_ok("GET", GROUP, NULL, 200); /* the CDC's own */
}
END_TEST

/* Under allow, hosts in no zone see the ports in no zone; a host in a zone still sees only
 * its zones. Changing the policy is a reload, and tells the hosts whose log it changed. */
START_TEST(policy_allow_lets_unzoned_hosts_see_unzoned_ports)
{
	int a1, a2, c1, c2;
	struct result aa, ac;

	make_zones(false);
	api_ok("POST", GROUP "/activate", NULL, 204);
	read_as(HOST_C, &c1, &c2);
	ck_assert_int_eq(c1 + c2, 0);

	struct nvmf_host *a = persistent(HOST_A, &aa), *c = persistent(HOST_C, &ac);
	t.global_extra = "zoning = yes\nzoning-policy = allow\n";
	reload_with(NULL);
	ck_assert(run_until(&ac.done, 5000));
	barrier(a);
	ck_assert(!aa.done);

	read_as(HOST_C, &c1, &c2);
	ck_assert_int_eq(c1, 0); /* SUB1 is zoned */
	ck_assert_int_eq(c2, 1); /* SUB2 is in no zone */
	read_as(HOST_A, &a1, &a2);
	ck_assert_int_eq(a1, 2);
	ck_assert_int_eq(a2, 0);
	nvmf_host_free(a);
	nvmf_host_free(c);
}
END_TEST

/* A host member by address: the wire zones a host by the address it connects from, and the
 * API's host log by the one it is asked about. */
START_TEST(a_host_is_zoned_by_the_address_it_connects_from)
{
	int c1, c2;

	make_zones(false);
	api_ok("POST", GROUP "/zones/za/members",
	       "{\"type\":\"ip\",\"role\":\"host\",\"traddr\":\"127.0.0.1\"}", 201);
	api_ok("POST", GROUP "/activate", NULL, 204);
	read_as(HOST_C, &c1, &c2); /* over IPv4 loopback */
	ck_assert_int_eq(c1, 2);
	ck_assert_int_eq(c2, 0);

	api_ok("GET", "/v1/hosts/" HOST_C "/log", NULL, 200);
	ck_assert_ptr_null(strstr(resp, SUB1)); /* known by its NQN only: in no zone */
	api_ok("GET", "/v1/hosts/" HOST_C "/log?traddr=127.0.0.1", NULL, 200);
	ck_assert_ptr_nonnull(strstr(resp, SUB1));
	api_ok("GET", "/v1/hosts/" HOST_C "/log?traddr=not-an-address", NULL, 400);
}
END_TEST

#define DDC  "nqn.2014-08.org.example:ddc-z"
#define SUB3 "nqn.2014-08.org.example:storage3"

static uint8_t buf[16384];

static struct log_result read_hostlog(struct nvmf_host *h)
{
	struct result r = {0};
	struct log_result l = {0};

	ck_assert_int_eq(nvmf_host_get_log(h, 0x71, 0, false, 0, 8192, result_cb, &r), 0);
	ck_assert(run_until(&r.done, 5000));
	ck_assert_uint_eq(r.cqe.status, 0);
	l.log = malloc(r.len);
	memcpy(l.log, r.data, r.len);
	l.len = r.len;
	return l;
}

/* Whether log 71h lists hostnqn (entries are variable: walk by TEL). */
static bool hostlog_has(const char *hostnqn, struct nvmf_host *ddc)
{
	struct log_result l = read_hostlog(ddc);
	size_t off = 1024;
	bool found = false;

	for (uint64_t i = 0; i < get_le64(l.log + 8) && off + 1032 <= l.len; i++) {
		found |= !strcmp((const char *)l.log + off + 256, hostnqn);
		off += get_le32(l.log + off + 1024);
	}
	free(l.log);
	return found;
}

/* Log 71h read by a DDC lists the hosts zoned with the subsystems it registered, and a
 * zoning change that adds one tells the DDC (and no host). */
START_TEST(a_ddc_reads_only_the_hosts_zoned_with_its_subsystems)
{
	struct result ad, aa;

	api_ok("POST", "/v1/zonegroups", "{\"name\":\"g1\"}", 201);
	api_ok("POST", GROUP "/zones", "{\"name\":\"za\"}", 201);
	member_add("za", "host", HOST_A);
	member_add("za", "subsystem", SUB3);
	api_ok("POST", GROUP "/activate", NULL, 204);
	struct nvmf_host *ddc = connect_as(DDC, 5000);
	size_t len = dim_build_ddc(buf, sizeof(buf), DDC, SUB3, 2, 1);
	ck_assert_uint_eq(dim_send(ddc, NVMF_DIM_TAS_REGISTER, buf, len).cqe.status, 0);
	nvmf_host_free(connect_as(HOST_C, 0));
	struct nvmf_host *a = persistent(HOST_A, &aa);

	ck_assert(hostlog_has(HOST_A, ddc));
	ck_assert(!hostlog_has(HOST_C, ddc));

	struct result f = {0};
	ck_assert_int_eq(
		nvmf_host_set_features(ddc, NVME_FEAT_FID_ASYNC_EVENT, 1u << 30, result_cb, &f), 0);
	ck_assert(run_until(&f.done, 5000));
	ck_assert_uint_eq(f.cqe.status, 0);
	free(read_hostlog(ddc).log);
	aer_submit(ddc, &ad);
	member_add("za", "host", HOST_C);
	api_ok("POST", GROUP "/activate", NULL, 204);
	ck_assert(run_until(&ad.done, 5000));
	ck_assert_uint_eq(ad.cqe.dw0, 0x0071f102);
	ck_assert(hostlog_has(HOST_C, ddc));
	barrier(a);
	ck_assert(!aa.done); /* HOST_A's log 70h did not change */
	nvmf_host_free(a);
	nvmf_host_free(ddc);
}
END_TEST

/* ---- zoning pushed by a DDC: FZL, FZR, FZS ---- */

#define ST_ZONING(sc, dnr) nvme_status(NVME_SCT_CMD_SPECIFIC, (sc), (dnr))

static struct result zoning_cmd(struct nvmf_host *h, uint8_t opcode, uint32_t cdw10, uint32_t cdw11,
				uint32_t cdw12, const void *data, uint32_t wlen, uint32_t rlen)
{
	struct nvme_sqe sqe = {.opcode = opcode};
	struct result r = {0};

	sqe.cdw[10] = cdw10;
	sqe.cdw[11] = cdw11;
	sqe.cdw[12] = cdw12;
	ck_assert_int_eq(nvmf_host_submit(h, &sqe, data, wlen, rlen, result_cb, &r), 0);
	ck_assert(run_until(&r.done, 5000));
	ck_assert_int_eq(r.err, 0);
	return r;
}

static struct result fzl(struct nvmf_host *h, uint8_t otyp, const char *orig, const char *name)
{
	struct zw_lookup l = {.otyp = otyp};
	uint8_t data[260] = {0};

	snprintf(l.orig, sizeof(l.orig), "%s", orig);
	snprintf(l.name, sizeof(l.name), "%s", name);
	zw_lookup_build(&l, data);
	return zoning_cmd(h, 0x25, 0, 0, 0, data, sizeof(data), 0);
}

/* One AAZ fragment: the 4-byte header, then len bytes of the group at off. */
static uint16_t fzs(struct nvmf_host *h, uint32_t key, uint32_t off, const uint8_t *frag,
		    size_t len, bool last)
{
	uint8_t *data = calloc(1, 4 + len);

	data[0] = ZW_OTYP_AAZ_DATA;
	memcpy(data + 4, frag, len);
	uint32_t cdw12 = (last ? 1u << 31 : 0) | (uint32_t)((4 + len) / 4);
	struct result r = zoning_cmd(h, 0x29, key, off, cdw12, data, (uint32_t)(4 + len), 0);
	free(data);
	return r.cqe.status;
}

/* Zone za of a pushed group: HOST_A with SUB1. */
static uint8_t *pushed_group(const char *orig, const char *name, size_t *len)
{
	struct zone_member m[2] = {{.type = ZMTYPE_NQN, .role = ZONE_ROLE_HOST},
				   {.type = ZMTYPE_NQN, .role = ZONE_ROLE_SUBSYSTEM}};
	struct zone z = {.name = "za", .nmembers = 2, .members = m};
	struct zone_group g = {.nzones = 1, .zones = &z};

	strcpy(m[0].nqn, HOST_A);
	strcpy(m[1].nqn, SUB1);
	snprintf(g.orig, sizeof(g.orig), "%s", orig);
	snprintf(g.name, sizeof(g.name), "%s", name);
	*len = zw_group_len(&g);
	uint8_t *buf = malloc(*len);
	zw_group_encode(&g, buf);
	return buf;
}

/* A DDC: connected, and registered as one by DIM with SUB3's ports. */
static struct nvmf_host *ddc_registered(void)
{
	struct nvmf_host *ddc = connect_as(DDC, 5000);
	size_t len = dim_build_ddc(buf, sizeof(buf), DDC, SUB3, 2, 1);

	ck_assert_uint_eq(dim_send(ddc, NVMF_DIM_TAS_REGISTER, buf, len).cqe.status, 0);
	return ddc;
}

START_TEST(a_ddc_pushes_a_zone_group_in_fragments_and_reads_it_back)
{
	struct nvmf_host *ddc = ddc_registered();
	size_t len, half;
	uint8_t *group = pushed_group(DDC, "pushed", &len);
	int a1, a2;

	struct result r = fzl(ddc, ZW_OTYP_AAZ_LOOKUP, DDC, "pushed");
	ck_assert_uint_eq(r.cqe.status, 0);
	uint32_t key = r.cqe.dw0;
	ck_assert_uint_ne(key, 0);
	half = len / 2 / 4 * 4;
	ck_assert_uint_eq(fzs(ddc, key, 0, group, half, false), 0);
	read_as(HOST_A, &a1, &a2);
	ck_assert_int_eq(a1, 0); /* nothing before the last fragment */
	ck_assert_uint_eq(fzs(ddc, key, (uint32_t)half, group + half, len - half, true), 0);
	read_as(HOST_A, &a1, &a2);
	ck_assert_int_eq(a1, 2);
	api_ok("GET", "/v1/zonegroups/pushed?originator=" DDC, NULL, 200);
	ck_assert_ptr_nonnull(strstr(resp, "\"active\":true"));

	/* Read back as it is enforced, in fragments of 512 bytes. */
	r = fzl(ddc, ZW_OTYP_GAZ_LOOKUP, DDC, "pushed");
	ck_assert_uint_eq(r.cqe.status, 0);
	ck_assert_uint_eq(r.cqe.dw0, key);
	uint8_t *back = calloc(1, len);
	uint32_t off = 0;
	for (int n = 0; n < 20; n++) {
		r = zoning_cmd(ddc, 0x22, key, off, (16 + 512) / 4, NULL, 0, 16 + 512);
		ck_assert_uint_eq(r.cqe.status, 0);
		ck_assert_uint_eq(r.data[0], ZW_OTYP_GAZ_DATA);
		uint32_t frag = get_le32(r.data + 8);
		ck_assert_uint_le(off + frag, len);
		memcpy(back + off, r.data + 16, frag);
		off += frag;
		if (r.cqe.dw0 & (1u << 31))
			break;
	}
	ck_assert_uint_eq(off, len);
	ck_assert_mem_eq(back, group, len);

	/* RAZ: the group goes, and with it what HOST_A saw. */
	r = fzl(ddc, ZW_OTYP_RAZ_LOOKUP, DDC, "pushed");
	ck_assert_uint_eq(r.cqe.status, 0);
	read_as(HOST_A, &a1, &a2);
	ck_assert_int_eq(a1, 0);
	api_ok("GET", "/v1/zonegroups/pushed?originator=" DDC, NULL, 404);
	free(back);
	free(group);
	nvmf_host_free(ddc);
}
END_TEST

START_TEST(zoning_commands_are_refused_as_protocol_md_says)
{
	struct nvmf_host *ddc = ddc_registered(), *again = connect_as(DDC, 0);
	struct nvmf_host *host = connect_as(HOST_A, 0);
	size_t len;
	uint8_t *group = pushed_group(DDC, "g", &len);

	/* A host is no DDC: it zones nothing, not even under its own name. */
	ck_assert_uint_eq(fzl(host, ZW_OTYP_AAZ_LOOKUP, HOST_A, "mine").cqe.status,
			  ST_ZONING(ZW_SC_ORIG_INVALID, true));
	nvmf_host_free(host);

	/* Only the originator changes a group, and only what is there is found. */
	ck_assert_uint_eq(fzl(ddc, ZW_OTYP_AAZ_LOOKUP, HOST_A, "g").cqe.status,
			  ST_ZONING(ZW_SC_ORIG_INVALID, true));
	ck_assert_uint_eq(fzl(ddc, ZW_OTYP_GAZ_LOOKUP, DDC, "none").cqe.status,
			  ST_ZONING(ZW_SC_NOT_FOUND, true));
	ck_assert_uint_eq(fzl(ddc, ZW_OTYP_RAZ_LOOKUP, DDC, "none").cqe.status,
			  ST_ZONING(ZW_SC_NOT_FOUND, true));
	/* One sender at a time. */
	struct result r = fzl(ddc, ZW_OTYP_AAZ_LOOKUP, DDC, "g");
	ck_assert_uint_eq(r.cqe.status, 0);
	ck_assert_uint_eq(fzl(again, ZW_OTYP_AAZ_LOOKUP, DDC, "g").cqe.status,
			  ST_ZONING(ZW_SC_LOCKED, false));
	ck_assert_uint_eq(fzs(ddc, r.cqe.dw0 + 1000, 0, group, len, true),
			  ST_ZONING(ZW_SC_NOT_FOUND, true));
	/* A group that is not one is refused, and its lock let go. */
	memset(group + 224, 0, 30);
	ck_assert_uint_eq(fzs(ddc, r.cqe.dw0, 0, group, len, true),
			  nvme_status(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD, true));
	ck_assert_uint_eq(fzl(again, ZW_OTYP_AAZ_LOOKUP, DDC, "g").cqe.status, 0);
	/* Zoning off: the function is disabled. */
	t.global_extra = "zoning = no\n";
	reload_with(NULL);
	ck_assert_uint_eq(fzl(ddc, ZW_OTYP_GAZ_LOOKUP, DDC, "g").cqe.status,
			  ST_ZONING(ZW_SC_DISABLED, true));
	free(group);
	nvmf_host_free(ddc);
	nvmf_host_free(again);
}
END_TEST

/* A DDC that locks a group and goes silent holds it only zoning-lock-timeout seconds: then
 * another DDC of the same NQN locks and sends it, and the first one's late fragment is
 * refused as naming nothing (its key's lock, and what it sent, are gone). */
START_TEST(a_silent_ddc_loses_its_lock_after_the_timeout)
{
	struct nvmf_host *ddc, *again;
	size_t len;
	uint8_t *group = pushed_group(DDC, "slow", &len);
	int a1, a2;

	t.global_extra = "zoning = yes\nzoning-lock-timeout = 1\n";
	reload_with(NULL);
	ddc = ddc_registered();
	again = connect_as(DDC, 5000); /* a KATO: idle-timeout reaps KATO 0 in 2 s */
	struct result r = fzl(ddc, ZW_OTYP_AAZ_LOOKUP, DDC, "slow");
	ck_assert_uint_eq(r.cqe.status, 0);
	uint32_t key = r.cqe.dw0;
	ck_assert_uint_eq(fzs(ddc, key, 0, group, 4, false), 0);
	/* Within the timeout the lock holds... */
	ck_assert_uint_eq(fzl(again, ZW_OTYP_AAZ_LOOKUP, DDC, "slow").cqe.status,
			  ST_ZONING(ZW_SC_LOCKED, false));
	/* ...and past it, it is gone. */
	usleep(2200 * 1000); /* the 1 s timer, with room for a loaded machine */
	r = fzl(again, ZW_OTYP_AAZ_LOOKUP, DDC, "slow");
	ck_assert_uint_eq(r.cqe.status, 0);
	ck_assert_uint_eq(r.cqe.dw0, key); /* the same group: its key stays */
	ck_assert(log_contains("not sent within 1 s"));
	/* The first DDC's late fragment neither adds to the new sender's lock... */
	ck_assert_uint_eq(fzs(ddc, key, 4, group + 4, len - 4, true),
			  ST_ZONING(ZW_SC_NOT_FOUND, true));
	ck_assert_uint_eq(fzs(again, key, 0, group, len, true), 0);
	read_as(HOST_A, &a1, &a2);
	ck_assert_int_eq(a1, 2);
	/* ...nor finds one after it. */
	ck_assert_uint_eq(fzs(ddc, key, 4, group + 4, len - 4, true),
			  ST_ZONING(ZW_SC_NOT_FOUND, true));
	api_ok("GET", "/v1/zonegroups/slow?originator=" DDC, NULL, 200);
	ck_assert_ptr_nonnull(strstr(resp, "\"active\":true"));
	free(group);
	nvmf_host_free(ddc);
	nvmf_host_free(again);
}
END_TEST

/* ---- zoning declared in cdcd.conf ---- */

#define CONF_GROUP                                                                                 \
	"\n[zonegroup fromfile]\n"                                                                 \
	"zone = za\n"                                                                              \
	"member = za role=host;nqn=" HOST_A "\n"                                                   \
	"member = za type=alias;alias=arrays\n"
#define CONF_ALIAS "\n[zonealias arrays]\nmember = role=subsystem;nqn=" SUB1 "\n"

static uint64_t genctr_as(const char *hostnqn)
{
	struct nvmf_host *h = connect_as(hostnqn, 0);
	struct log_result l = read_disc_log(h);

	ck_assert_int_eq(l.err, 0);
	uint64_t g = get_le64(l.log);
	free(l.log);
	nvmf_host_free(h);
	return g;
}

START_TEST(a_configured_zone_group_is_enforced_and_follows_the_file)
{
	int a1, a2, b1, b2;

	reload_with(CONF_GROUP CONF_ALIAS);
	read_as(HOST_A, &a1, &a2);
	ck_assert_int_eq(a1, 2);
	read_as(HOST_B, &b1, &b2);
	ck_assert_int_eq(b1, 0);

	/* Shown, from the file, and not the API's to change. */
	api_ok("GET", "/v1/zonegroups/fromfile", NULL, 200);
	ck_assert_ptr_nonnull(strstr(resp, "\"source\":\"config\""));
	ck_assert_ptr_nonnull(strstr(resp, "\"active\":true"));
	api_ok("GET", "/v1/aliases/arrays", NULL, 200);
	ck_assert_ptr_nonnull(strstr(resp, "\"source\":\"config\""));
	api_ok("DELETE", "/v1/zonegroups/fromfile", NULL, 409);
	ck_assert_ptr_nonnull(strstr(resp, "configuration file"));
	api_ok("POST", "/v1/zonegroups/fromfile/deactivate", NULL, 409);
	api_ok("POST", "/v1/zonegroups/fromfile/zones", "{\"name\":\"zb\"}", 409);
	api_ok("POST", "/v1/zonegroups/fromfile/zones/za/members",
	       "{\"type\":\"nqn\",\"role\":\"host\",\"nqn\":\"" HOST_B "\"}", 409);
	api_ok("POST", "/v1/zonegroups", "{\"name\":\"fromfile\"}", 409);
	api_ok("DELETE", "/v1/aliases/arrays", NULL, 409);
	api_ok("POST", "/v1/aliases/arrays/members",
	       "{\"type\":\"nqn\",\"role\":\"subsystem\",\"nqn\":\"" SUB2 "\"}", 409);
	read_as(HOST_A, &a1, &a2);
	ck_assert_int_eq(a1, 2);

	/* The same file again changes nothing: not even the log's generation. */
	uint64_t gen = genctr_as(HOST_A);
	reload_with(CONF_GROUP CONF_ALIAS);
	ck_assert_uint_eq(genctr_as(HOST_A), gen);

	/* A changed file: HOST_B joins the zone, through the alias-resolving reload. */
	reload_with(CONF_GROUP "member = za role=host;nqn=" HOST_B "\n" CONF_ALIAS);
	read_as(HOST_B, &b1, &b2);
	ck_assert_int_eq(b1, 2);
	read_as(HOST_A, &a1, &a2);
	ck_assert_int_eq(a1, 2);

	/* Defined but not active: enforced no more. */
	reload_with(CONF_GROUP "active = no\n" CONF_ALIAS);
	read_as(HOST_A, &a1, &a2);
	ck_assert_int_eq(a1, 0);
	api_ok("GET", "/v1/zonegroups/fromfile", NULL, 200);
	ck_assert_ptr_nonnull(strstr(resp, "\"active\":false"));

	/* Gone from the file: gone, and the name is free for the administrator. */
	reload_with(NULL);
	api_ok("GET", "/v1/zonegroups/fromfile", NULL, 404);
	api_ok("GET", "/v1/aliases/arrays", NULL, 404);
	api_ok("POST", "/v1/zonegroups", "{\"name\":\"fromfile\"}", 201);
}
END_TEST

/* The file takes over a group the administrator made, and its stored copy goes with it:
 * after a restart without it in the file, it does not come back. */
START_TEST(a_configured_zone_group_takes_over_a_stored_one)
{
	int a1, a2;

	make_zones(false); /* g1: HOST_A with SUB1, stored */
	api_ok("POST", GROUP "/activate", NULL, 204);
	api_ok("GET", GROUP, NULL, 200);
	ck_assert_ptr_nonnull(strstr(resp, "\"source\":\"admin\""));
	reload_with("\n[zonegroup g1]\nzone = only\nmember = only role=host;nqn=" HOST_B "\n");
	api_ok("GET", GROUP, NULL, 200);
	ck_assert_ptr_nonnull(strstr(resp, "\"source\":\"config\""));
	read_as(HOST_A, &a1, &a2);
	ck_assert_int_eq(a1, 0);
	write_config(NULL);
	ck_assert(halt_daemon(SIGTERM));
	spawn_daemon();
	api_ok("GET", GROUP, NULL, 404);
}
END_TEST

/* Zoning off (the default): zones may be defined, and every host still sees everything. */
START_TEST(with_zoning_off_every_host_sees_everything)
{
	int c1, c2;

	t.global_extra = "zoning = no\n";
	reload_with(NULL);
	make_zones(true);
	api_ok("POST", GROUP "/activate", NULL, 204);
	read_as(HOST_C, &c1, &c2);
	ck_assert_int_eq(c1, 2);
	ck_assert_int_eq(c2, 1);
}
END_TEST

static void setup(void)
{
	t.global_extra = "zoning = yes\n";
	start_daemon();
}

int main(void)
{
	Suite *s = suite_create("zoning");
	TCase *tc = tcase_create("zoning");

	tcase_add_checked_fixture(tc, setup, stop_daemon);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, hosts_in_different_zones_read_different_logs);
	tcase_add_test(tc, host_log_shows_the_zoned_view_the_wire_serves);
	tcase_add_test(tc, a_zoning_change_notifies_exactly_the_hosts_whose_view_changed);
	tcase_add_test(tc, zoning_survives_a_restart);
	tcase_add_test(tc, an_active_group_is_not_deleted);
	tcase_add_test(tc, policy_allow_lets_unzoned_hosts_see_unzoned_ports);
	tcase_add_test(tc, with_zoning_off_every_host_sees_everything);
	tcase_add_test(tc, a_ddc_reads_only_the_hosts_zoned_with_its_subsystems);
	tcase_add_test(tc, a_host_is_zoned_by_the_address_it_connects_from);
	tcase_add_test(tc, a_ddc_pushes_a_zone_group_in_fragments_and_reads_it_back);
	tcase_add_test(tc, zoning_commands_are_refused_as_protocol_md_says);
	tcase_add_test(tc, a_silent_ddc_loses_its_lock_after_the_timeout);
	tcase_add_test(tc, a_configured_zone_group_is_enforced_and_follows_the_file);
	tcase_add_test(tc, a_configured_zone_group_takes_over_a_stored_one);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	signal(SIGPIPE, SIG_IGN);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
