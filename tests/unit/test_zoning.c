/* test_zoning.c - fabric zoning: member matching, aliases, generations, keys, ownership,
 * activation, policy, and a property test of zoning_allows(), zoning_host_view() and
 * zoning_port_view() against a brute-force oracle over random fabrics (ZONING_SEED=n replays
 * one run). */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <nvme/types.h>

#include "nvmf_tcp.h"
#include "zoning.h"
#include "zoning_wire.h"

#define CDC  "nqn.2014-08.org.example:cdc"
#define DDC1 "nqn.2014-08.org.example:ddc1"
#define DDC2 "nqn.2014-08.org.example:ddc2"
#define H1   "nqn.2014-08.org.example:host1"
#define H2   "nqn.2014-08.org.example:host2"
#define S1   "nqn.2014-08.org.example:subsys1"
#define S2   "nqn.2014-08.org.example:subsys2"

static struct zone_member member(uint8_t type, uint8_t role, const char *nqn, const char *addr,
				 uint8_t ipproto, uint16_t svc, uint16_t portid)
{
	struct zone_member m = {
		.type = type, .role = role, .ipproto = ipproto, .trsvcid = svc, .portid = portid};

	if (nqn)
		strcpy(m.nqn, nqn);
	if (addr) {
		m.adrfam = strchr(addr, ':') ? NVMF_ADDR_FAMILY_IP6 : NVMF_ADDR_FAMILY_IP4;
		ck_assert_int_eq(inet_pton(strchr(addr, ':') ? AF_INET6 : AF_INET, addr, m.traddr),
				 1);
	}
	return m;
}

static struct zone_port port(const char *nqn, uint8_t trtype, const char *addr, const char *svc,
			     uint16_t portid)
{
	struct cdc_port cp = {.trtype = trtype, .portid = portid};
	struct zone_port p;

	cp.adrfam = strchr(addr, ':') ? NVMF_ADDR_FAMILY_IP6 : NVMF_ADDR_FAMILY_IP4;
	strcpy(cp.traddr, addr);
	strcpy(cp.trsvcid, svc);
	ck_assert_int_eq(zone_endpoint_set(&p.ep, nqn, &cp, false), 0);
	return p;
}

static struct zone_host host(const char *nqn, const char *addr)
{
	struct cdc_port cp = {.trtype = NVMF_TRTYPE_TCP};
	struct zone_host h;

	if (addr) {
		cp.adrfam = strchr(addr, ':') ? NVMF_ADDR_FAMILY_IP6 : NVMF_ADDR_FAMILY_IP4;
		strcpy(cp.traddr, addr);
	}
	ck_assert_int_eq(zone_endpoint_set(&h.ep, nqn, addr ? &cp : NULL, true), 0);
	return h;
}

/* A member of each type that matches port S1 tcp 192.0.2.1:4420 portid 7, and each element
 * changed in turn: only the elements the type names may stop the match. */
START_TEST(every_member_type_matches_exactly_the_elements_it_names)
{
	static const uint8_t types[] = {1, 2, 3, 4, 5, 6, 0x11, 0x12};
	struct zone_port p = port(S1, NVMF_TRTYPE_TCP, "192.0.2.1", "4420", 7);

	for (size_t t = 0; t < sizeof(types); t++) {
		struct zone_member m = member(types[t], ZONE_ROLE_SUBSYSTEM, S1, "192.0.2.1",
					      ZONE_IPPROTO_TCP, 4420, 7);
		unsigned els = zone_member_elements(types[t]);
		struct zone_port q;

		ck_assert_int_eq(zone_member_check(&m, false), 0);
		ck_assert(zone_member_matches(&m, &p.ep));
		q = port(S2, NVMF_TRTYPE_TCP, "192.0.2.1", "4420", 7);
		ck_assert(zone_member_matches(&m, &q.ep) == !(els & ZE_NQN));
		q = port(S1, NVMF_TRTYPE_TCP, "192.0.2.2", "4420", 7);
		ck_assert(zone_member_matches(&m, &q.ep) == !(els & ZE_TRADDR));
		q = port(S1, NVMF_TRTYPE_TCP, "::ffff:192.0.2.1", "4420", 7);
		ck_assert(zone_member_matches(&m, &q.ep) == !(els & (ZE_ADRFAM | ZE_TRADDR)));
		q = port(S1, NVMF_TRTYPE_RDMA, "192.0.2.1", "4420", 7);
		ck_assert(zone_member_matches(&m, &q.ep) == !(els & ZE_IPPROTO));
		q = port(S1, NVMF_TRTYPE_TCP, "192.0.2.1", "4421", 7);
		ck_assert(zone_member_matches(&m, &q.ep) == !(els & ZE_TRSVCID));
		q = port(S1, NVMF_TRTYPE_TCP, "192.0.2.1", "4420", 8);
		ck_assert(zone_member_matches(&m, &q.ep) == !(els & ZE_PORTID));
	}
}
END_TEST

START_TEST(member_elements_follow_the_spec_table)
{
	const unsigned ip = ZE_ADRFAM | ZE_TRADDR | ZE_IPPROTO;

	ck_assert_uint_eq(zone_member_elements(1), ZE_NQN);
	ck_assert_uint_eq(zone_member_elements(2), ZE_NQN | ip);
	ck_assert_uint_eq(zone_member_elements(3), ZE_NQN | ip | ZE_TRSVCID);
	ck_assert_uint_eq(zone_member_elements(4), ZE_NQN | ip | ZE_TRSVCID | ZE_PORTID);
	ck_assert_uint_eq(zone_member_elements(5), ZE_NQN | ZE_PORTID);
	ck_assert_uint_eq(zone_member_elements(6), ZE_NQN | ZE_IPPROTO | ZE_PORTID | ZE_ADRFAM);
	ck_assert_uint_eq(zone_member_elements(0x11), ip);
	ck_assert_uint_eq(zone_member_elements(0x12), ip | ZE_TRSVCID);
	ck_assert_uint_eq(zone_member_elements(0xEF), 0);
	ck_assert_uint_eq(zone_member_elements(0xF0), 0);
}
END_TEST

START_TEST(malformed_members_are_refused)
{
	struct zone_member m = member(1, ZONE_ROLE_HOST, H1, NULL, 0, 0, 0);

	ck_assert_int_eq(zone_member_check(&m, false), 0);
	m.role = 3;
	ck_assert_int_eq(zone_member_check(&m, false), -EINVAL);
	m = member(2, ZONE_ROLE_HOST, H1, "192.0.2.1", 7, 0, 0); /* IPPROTO 7 */
	ck_assert_int_eq(zone_member_check(&m, false), -EINVAL);
	m = member(0x11, ZONE_ROLE_HOST, NULL, "192.0.2.1", 6, 0, 0);
	m.adrfam = 3;
	ck_assert_int_eq(zone_member_check(&m, false), -EINVAL);
	m = member(1, ZONE_ROLE_HOST, "not an nqn", NULL, 0, 0, 0);
	ck_assert_int_eq(zone_member_check(&m, false), -EINVAL);
	m = member(0xF0, ZONE_ROLE_HOST, H1, NULL, 0, 0, 0);
	ck_assert_int_eq(zone_member_check(&m, false), -EINVAL);
	m = member(ZMTYPE_ALIAS, 0, "a", NULL, 0, 0, 0);
	ck_assert_int_eq(zone_member_check(&m, false), 0);
	ck_assert_int_eq(zone_member_check(&m, true), -EINVAL); /* no alias in an alias */
}
END_TEST

START_TEST(a_host_has_no_port_id_so_port_id_members_never_match_it)
{
	struct zone_host h = host(H1, "192.0.2.9");
	struct zone_member m5 = member(5, ZONE_ROLE_HOST, H1, NULL, 0, 0, 0);
	struct zone_member m3 = member(3, ZONE_ROLE_HOST, H1, "192.0.2.9", 6, 0, 0);
	struct zone_member m2 = member(2, ZONE_ROLE_HOST, H1, "192.0.2.9", 6, 0, 0);
	struct zone_host bare = host(H1, NULL);

	ck_assert(!zone_member_matches(&m5, &h.ep));
	ck_assert(!zone_member_matches(&m3, &h.ep)); /* no TRSVCID registered either */
	ck_assert(zone_member_matches(&m2, &h.ep));
	ck_assert(!zone_member_matches(&m2, &bare.ep));
}
END_TEST

static void one_zone(struct zoning *z, const char *orig, const char *gname,
		     const struct zone_member *ms, size_t n)
{
	struct zone zn = {.name = "z", .nmembers = n, .members = (struct zone_member *)ms};

	ck_assert_int_eq(zoning_group_set(z, NULL, orig, gname, &zn, 1), 0);
}

static void activate(struct zoning *z, const char *orig, const char *gname)
{
	struct zoning_change chg;

	ck_assert_int_eq(zoning_activate(z, NULL, orig, gname, &chg), 0);
	zoning_change_release(&chg);
}

START_TEST(an_alias_used_in_two_zones_grants_in_both_and_its_deletion_waits_for_activation)
{
	struct zone_member al[] = {member(1, ZONE_ROLE_HOST, H1, NULL, 0, 0, 0),
				   member(1, ZONE_ROLE_HOST, H2, NULL, 0, 0, 0)};
	struct zone_member z1[] = {member(ZMTYPE_ALIAS, 0, "hosts", NULL, 0, 0, 0),
				   member(1, ZONE_ROLE_SUBSYSTEM, S1, NULL, 0, 0, 0)};
	struct zone_member z2[] = {member(1, ZONE_ROLE_SUBSYSTEM, S2, NULL, 0, 0, 0),
				   member(ZMTYPE_ALIAS, 0, "hosts", NULL, 0, 0, 0)};
	struct zone zones[] = {{.name = "a", .nmembers = 2, .members = z1},
			       {.name = "b", .nmembers = 2, .members = z2}};
	struct zone_port p1 = port(S1, NVMF_TRTYPE_TCP, "192.0.2.1", "4420", 1);
	struct zone_port p2 = port(S2, NVMF_TRTYPE_TCP, "192.0.2.2", "4420", 1);
	struct zone_host h1 = host(H1, NULL), h2 = host(H2, NULL);
	struct zoning_change chg;
	struct zoning z;

	zoning_init(&z, ZONE_POLICY_DENY);
	ck_assert_int_eq(zoning_alias_set(&z, "hosts", al, 2), 0);
	ck_assert_int_eq(zoning_group_create(&z, NULL, CDC, "g", NULL), 0);
	ck_assert_int_eq(zoning_group_set(&z, NULL, CDC, "g", zones, 2), 0);
	activate(&z, CDC, "g");
	ck_assert(zoning_allows(&z, &h1, &p1) && zoning_allows(&z, &h1, &p2));
	ck_assert(zoning_allows(&z, &h2, &p1) && zoning_allows(&z, &h2, &p2));
	ck_assert_uint_eq(zoning_active_find(&z, CDC, "g")->zones[0].nmembers, 3);

	/* Deleted: what is active stays, activating again fails and changes nothing. */
	ck_assert_int_eq(zoning_alias_delete(&z, "hosts"), 0);
	ck_assert_int_eq(zoning_alias_delete(&z, "hosts"), -ENOENT);
	ck_assert(zoning_allows(&z, &h2, &p2));
	ck_assert_int_eq(zoning_activate(&z, NULL, CDC, "g", &chg), -ENOENT);
	ck_assert(zoning_allows(&z, &h2, &p2));

	/* Redefined with H1 only: takes effect at the next activation. */
	ck_assert_int_eq(zoning_alias_set(&z, "hosts", al, 1), 0);
	ck_assert(zoning_allows(&z, &h2, &p2));
	activate(&z, CDC, "g");
	ck_assert(zoning_allows(&z, &h1, &p2) && !zoning_allows(&z, &h2, &p2));
	zoning_free(&z);
}
END_TEST

/* The bytes of an IPv4 ZMTRADDR past the fourth mean nothing, even if a peer fills them. */
START_TEST(ipv4_address_members_ignore_the_unused_bytes)
{
	struct zone_member ms[] = {member(0x11, ZONE_ROLE_HOST, NULL, "192.0.2.9", 6, 0, 0),
				   member(0x11, ZONE_ROLE_SUBSYSTEM, NULL, "192.0.2.1", 6, 0, 0)};
	struct zone_port p = port(S1, NVMF_TRTYPE_TCP, "192.0.2.1", "4420", 1);
	struct zone_host h = host(H1, "192.0.2.9");
	struct zoning z;

	memset(ms[0].traddr + 4, 0xAA, 12);
	memset(ms[1].traddr + 4, 0x55, 12);
	zoning_init(&z, ZONE_POLICY_DENY);
	ck_assert_int_eq(zoning_group_create(&z, NULL, CDC, "g", NULL), 0);
	one_zone(&z, CDC, "g", ms, 2);
	activate(&z, CDC, "g");
	ck_assert(zoning_allows(&z, &h, &p));
	zoning_free(&z);
}
END_TEST

START_TEST(generation_rolls_over_to_one_never_zero)
{
	struct zoning z;
	struct zone_group *g;

	ck_assert_uint_eq(zoning_gen_next(0xFFFFFFFEu), 0xFFFFFFFFu);
	ck_assert_uint_eq(zoning_gen_next(0xFFFFFFFFu), 1);
	zoning_init(&z, ZONE_POLICY_DENY);
	ck_assert_int_eq(zoning_group_create(&z, NULL, CDC, "g", NULL), 0);
	g = zoning_group_find(&z, CDC, "g");
	ck_assert_uint_eq(g->gen, 1);
	ck_assert_int_eq(zoning_group_set(&z, NULL, CDC, "g", NULL, 0), 0);
	ck_assert_uint_eq(g->gen, 2);
	g->gen = UINT32_MAX;
	ck_assert_int_eq(zoning_group_set(&z, NULL, CDC, "g", NULL, 0), 0);
	ck_assert_uint_eq(g->gen, 1);
	zoning_free(&z);
}
END_TEST

START_TEST(a_key_is_never_handed_out_twice_even_after_delete)
{
	struct zoning z;
	uint32_t k1, k2, k3;

	zoning_init(&z, ZONE_POLICY_DENY);
	ck_assert_int_eq(zoning_group_create(&z, NULL, CDC, "g", &k1), 0);
	ck_assert_int_eq(zoning_group_create(&z, NULL, CDC, "g", NULL), -EEXIST);
	ck_assert_int_eq(zoning_group_create(&z, NULL, DDC1, "g", &k2), 0); /* other originator */
	ck_assert_int_eq(zoning_group_delete(&z, NULL, CDC, "g"), 0);
	ck_assert_int_eq(zoning_group_create(&z, NULL, CDC, "g", &k3), 0);
	ck_assert(k1 != 0 && k1 != k2 && k3 != k1 && k3 != k2);
	z.next_key = UINT32_MAX + 1ull;
	ck_assert_int_eq(zoning_group_create(&z, NULL, CDC, "h", NULL), -ENOSPC);
	zoning_free(&z);
}
END_TEST

START_TEST(only_the_originator_or_the_admin_changes_a_group)
{
	struct zone_member ms[] = {member(1, ZONE_ROLE_HOST, H1, NULL, 0, 0, 0)};
	struct zone zn = {.name = "z", .nmembers = 1, .members = ms};
	struct zoning_change chg;
	struct zoning z;

	zoning_init(&z, ZONE_POLICY_DENY);
	ck_assert_int_eq(zoning_check_owner(DDC1, DDC1), 0);
	ck_assert_int_eq(zoning_check_owner(DDC1, NULL), 0);
	ck_assert_int_eq(zoning_check_owner(DDC1, DDC2), -EPERM);
	ck_assert_int_eq(zoning_group_create(&z, DDC2, DDC1, "g", NULL), -EPERM);
	ck_assert_int_eq(zoning_group_create(&z, DDC1, DDC1, "g", NULL), 0);
	ck_assert_int_eq(zoning_group_set(&z, DDC2, DDC1, "g", &zn, 1), -EPERM);
	ck_assert_int_eq(zoning_activate(&z, DDC2, DDC1, "g", &chg), -EPERM);
	ck_assert_int_eq(zoning_group_set(&z, DDC1, DDC1, "g", &zn, 1), 0);
	ck_assert_int_eq(zoning_activate(&z, DDC1, DDC1, "g", &chg), 0);
	zoning_change_release(&chg);
	ck_assert_int_eq(zoning_deactivate(&z, DDC2, DDC1, "g", &chg), -EPERM);
	ck_assert_int_eq(zoning_group_delete(&z, DDC1, DDC1, "g"), -EBUSY);
	ck_assert_int_eq(zoning_deactivate(&z, NULL, DDC1, "g", &chg), 0);
	zoning_change_release(&chg);
	ck_assert_int_eq(zoning_group_delete(&z, DDC2, DDC1, "g"), -EPERM);
	ck_assert_int_eq(zoning_group_delete(&z, DDC1, DDC1, "g"), 0);
	zoning_free(&z);
}
END_TEST

START_TEST(activation_is_whole_and_reports_before_and_after)
{
	struct zone_member ms[] = {member(1, ZONE_ROLE_HOST, H1, NULL, 0, 0, 0),
				   member(1, ZONE_ROLE_SUBSYSTEM, S1, NULL, 0, 0, 0)};
	struct zone_member bad[] = {member(1, ZONE_ROLE_HOST, H2, NULL, 0, 0, 0),
				    member(ZMTYPE_ALIAS, 0, "missing", NULL, 0, 0, 0),
				    member(1, ZONE_ROLE_SUBSYSTEM, S1, NULL, 0, 0, 0)};
	struct zone_port p = port(S1, NVMF_TRTYPE_TCP, "192.0.2.1", "4420", 1);
	struct zone_host h1 = host(H1, NULL), h2 = host(H2, NULL);
	struct zoning_change chg;
	struct zoning z;

	zoning_init(&z, ZONE_POLICY_DENY);
	ck_assert_int_eq(zoning_activate(&z, NULL, CDC, "g", &chg), -ENOENT);
	ck_assert_int_eq(zoning_group_create(&z, NULL, CDC, "g", NULL), 0);
	one_zone(&z, CDC, "g", ms, 2);
	ck_assert(!zoning_allows(&z, &h1, &p)); /* configured is not enforced */
	ck_assert_int_eq(zoning_activate(&z, NULL, CDC, "g", &chg), 0);
	ck_assert_ptr_null(chg.before);
	ck_assert_ptr_nonnull(chg.after);
	ck_assert_uint_eq(chg.after->gen, 2);
	zoning_change_release(&chg);
	ck_assert(zoning_allows(&z, &h1, &p));

	/* A failing activation leaves the active copy as it was. */
	one_zone(&z, CDC, "g", bad, 3);
	ck_assert_int_eq(zoning_activate(&z, NULL, CDC, "g", &chg), -ENOENT);
	ck_assert(zoning_allows(&z, &h1, &p) && !zoning_allows(&z, &h2, &p));
	ck_assert_uint_eq(zoning_active_find(&z, CDC, "g")->gen, 2);

	/* Replacing: before is the old copy, after the new. */
	one_zone(&z, CDC, "g", bad, 1);
	ck_assert_int_eq(zoning_activate(&z, NULL, CDC, "g", &chg), 0);
	ck_assert_uint_eq(chg.before->gen, 2);
	ck_assert_uint_eq(chg.after->gen, 4);
	ck_assert_str_eq(chg.before->zones[0].members[0].nqn, H1);
	zoning_change_release(&chg);
	ck_assert(!zoning_allows(&z, &h1, &p));

	ck_assert_int_eq(zoning_deactivate(&z, NULL, CDC, "g", &chg), 0);
	ck_assert_ptr_nonnull(chg.before);
	ck_assert_ptr_null(chg.after);
	zoning_change_release(&chg);
	ck_assert_int_eq(zoning_deactivate(&z, NULL, CDC, "g", &chg), 0);
	ck_assert(!chg.before && !chg.after);
	ck_assert_ptr_null(zoning_active_find(&z, CDC, "g"));
	zoning_free(&z);
}
END_TEST

START_TEST(host_with_host_and_subsystem_with_subsystem_grant_nothing)
{
	struct zone_member ms[] = {member(1, ZONE_ROLE_HOST, H1, NULL, 0, 0, 0),
				   member(1, ZONE_ROLE_HOST, S1, NULL, 0, 0, 0),
				   member(1, ZONE_ROLE_SUBSYSTEM, H2, NULL, 0, 0, 0),
				   member(1, ZONE_ROLE_SUBSYSTEM, S2, NULL, 0, 0, 0)};
	struct zone_port p1 = port(S1, NVMF_TRTYPE_TCP, "192.0.2.1", "4420", 1);
	struct zone_port p2 = port(S2, NVMF_TRTYPE_TCP, "192.0.2.1", "4420", 1);
	struct zone_host h1 = host(H1, NULL), h2 = host(H2, NULL);
	struct zoning z;

	zoning_init(&z, ZONE_POLICY_ALLOW);
	ck_assert_int_eq(zoning_group_create(&z, NULL, CDC, "g", NULL), 0);
	one_zone(&z, CDC, "g", ms, 4);
	activate(&z, CDC, "g");
	ck_assert(zoning_allows(&z, &h1, &p2));
	ck_assert(!zoning_allows(&z, &h1, &p1)); /* S1 is a host member only */
	ck_assert(!zoning_allows(&z, &h2, &p2)); /* H2 is a subsystem member only... */
	ck_assert(zoning_allows(&z, &h2, &p1));	 /* ...so both are in no zone: allowed */
	zoning_free(&z);
}
END_TEST

START_TEST(policy_decides_for_entities_in_no_active_zone)
{
	struct zone_member ms[] = {
		member(1, ZONE_ROLE_HOST, H1, NULL, 0, 0, 0),
		member(0x12, ZONE_ROLE_SUBSYSTEM, NULL, "192.0.2.1", 6, 4420, 0)};
	struct zone_port zoned = port(S1, NVMF_TRTYPE_TCP, "192.0.2.1", "4420", 1);
	struct zone_port other = port(S1, NVMF_TRTYPE_TCP, "192.0.2.1", "4421", 2);
	struct zone_host h1 = host(H1, NULL), h2 = host(H2, "192.0.2.5");
	struct zone_view v1, v2, v3;
	struct zoning z;

	for (int pol = ZONE_POLICY_DENY; pol <= ZONE_POLICY_ALLOW; pol++) {
		bool allow = pol == ZONE_POLICY_ALLOW;

		zoning_init(&z, pol);
		ck_assert(zoning_allows(&z, &h1, &zoned) == allow); /* nothing active */
		ck_assert_int_eq(zoning_group_create(&z, NULL, CDC, "g", NULL), 0);
		one_zone(&z, CDC, "g", ms, 2);
		activate(&z, CDC, "g");
		ck_assert(zoning_allows(&z, &h1, &zoned));
		ck_assert(!zoning_allows(&z, &h1, &other)); /* a zoned host sees its zones only */
		ck_assert(!zoning_allows(&z, &h2, &zoned)); /* a zoned port is seen by its zones */
		ck_assert(zoning_allows(&z, &h2, &other) == allow);

		ck_assert_int_eq(zoning_host_view(&z, &h1, &v1), 0);
		ck_assert_int_eq(zoning_host_view(&z, &h2, &v2), 0);
		ck_assert_uint_eq(v1.n, 1);
		ck_assert_uint_eq(v2.n, allow ? 1 : 0);
		if (allow)
			ck_assert(v2.zones[0] == ZONE_ID_DEFAULT);
		ck_assert(!zone_view_equal(&v1, &v2));
		ck_assert_int_eq(zoning_host_view(&z, &h1, &v3), 0);
		ck_assert(zone_view_equal(&v1, &v3));
		zone_view_free(&v1);
		zone_view_free(&v2);
		zone_view_free(&v3);
		zoning_free(&z);
	}
}
END_TEST

/* ---- The property test. The oracle keeps its own copy of the fabric, in text, and decides by
 * looping over every active zone and member with the spec's table spelled out per type. ---- */

static const char *const nqn_pool[] = {
	"nqn.2014-08.org.example:host1",   "nqn.2014-08.org.example:host2",
	"nqn.2014-08.org.example:host3",   "nqn.2014-08.org.example:host4",
	"nqn.2014-08.org.example:subsys1", "nqn.2014-08.org.example:subsys2",
	"nqn.2014-08.org.example:subsys3",
};
static const char *const addr_pool[] = {"192.0.2.1", "192.0.2.2", "198.51.100.7", "2001:db8::1",
					"2001:db8::2"};
static const char *const alias_pool[] = {"red", "green", "blue"};
#define NPOOL(a) (sizeof(a) / sizeof((a)[0]))

struct rng {
	uint64_t s;
};

static uint64_t rnd(struct rng *r)
{
	r->s ^= r->s << 13;
	r->s ^= r->s >> 7;
	r->s ^= r->s << 17;
	return r->s;
}

static unsigned rn(struct rng *r, unsigned n)
{
	return (unsigned)(rnd(r) % n);
}

struct o_member {
	uint8_t type, role, ipproto;
	int nqn, addr, alias; /* pool indexes */
	uint16_t svc, portid;
};

/* An endpoint as the oracle sees it: -1 for what it does not have. */
struct o_end {
	int nqn, addr, svc, portid;
	uint8_t ipproto; /* 0: none */
};

#define MAXM 6
#define MAXZ 4
#define MAXG 3
struct o_zone {
	int n;
	struct o_member m[MAXM * 3]; /* room for resolved aliases */
};
struct o_group {
	int nz;
	struct o_zone z[MAXZ];
};
struct o_alias {
	bool defined;
	int n;
	struct o_member m[3];
};

struct oracle {
	enum zone_policy policy;
	struct o_group config[MAXG], active[MAXG];
	bool is_active[MAXG];
	struct o_alias alias[NPOOL(alias_pool)];
};

static int fam(int addr)
{
	return strchr(addr_pool[addr], ':') ? 2 : 1;
}

static bool o_match(const struct o_member *m, const struct o_end *e)
{
	bool nqn = m->nqn == e->nqn;
	bool ip = e->addr >= 0 && m->addr == e->addr; /* same text, so same family */
	bool proto = e->ipproto && m->ipproto == e->ipproto;
	bool svc = e->svc >= 0 && m->svc == e->svc;
	bool pid = e->portid >= 0 && m->portid == e->portid;
	bool af = e->addr >= 0 && fam(m->addr) == fam(e->addr);

	switch (m->type) {
	case 1:
		return nqn;
	case 2:
		return nqn && ip && proto;
	case 3:
		return nqn && ip && proto && svc;
	case 4:
		return nqn && ip && proto && svc && pid;
	case 5:
		return nqn && pid;
	case 6:
		return nqn && proto && pid && af;
	case 0x11:
		return ip && proto;
	case 0x12:
		return ip && proto && svc;
	}
	ck_abort_msg("oracle: type %u", m->type);
	return false;
}

static bool o_zone_has(const struct o_zone *zn, uint8_t role, const struct o_end *e)
{
	for (int i = 0; i < zn->n; i++)
		if (zn->m[i].role == role && o_match(&zn->m[i], e))
			return true;
	return false;
}

static bool o_zoned(const struct oracle *o, uint8_t role, const struct o_end *e)
{
	for (int g = 0; g < MAXG; g++)
		for (int k = 0; o->is_active[g] && k < o->active[g].nz; k++)
			if (o_zone_has(&o->active[g].z[k], role, e))
				return true;
	return false;
}

static bool o_allows(const struct oracle *o, const struct o_end *h, const struct o_end *p)
{
	for (int g = 0; g < MAXG; g++)
		for (int k = 0; o->is_active[g] && k < o->active[g].nz; k++)
			if (o_zone_has(&o->active[g].z[k], ZONE_ROLE_HOST, h) &&
			    o_zone_has(&o->active[g].z[k], ZONE_ROLE_SUBSYSTEM, p))
				return true;
	return o->policy == ZONE_POLICY_ALLOW && !o_zoned(o, ZONE_ROLE_HOST, h) &&
	       !o_zoned(o, ZONE_ROLE_SUBSYSTEM, p);
}

/* Resolve aliases into dst: false if one is missing. */
static bool o_resolve(const struct oracle *o, const struct o_group *src, struct o_group *dst)
{
	dst->nz = src->nz;
	for (int k = 0; k < src->nz; k++) {
		dst->z[k].n = 0;
		for (int i = 0; i < src->z[k].n; i++) {
			const struct o_member *m = &src->z[k].m[i];

			if (m->type != ZMTYPE_ALIAS) {
				dst->z[k].m[dst->z[k].n++] = *m;
				continue;
			}
			if (!o->alias[m->alias].defined)
				return false;
			for (int j = 0; j < o->alias[m->alias].n; j++)
				dst->z[k].m[dst->z[k].n++] = o->alias[m->alias].m[j];
		}
	}
	return true;
}

static struct o_member rnd_member(struct rng *r, bool alias_ok)
{
	static const uint8_t types[] = {1, 2, 3, 4, 5, 6, 0x11, 0x12};
	struct o_member m = {
		.type = types[rn(r, sizeof(types))],
		.role = rn(r, 2) ? ZONE_ROLE_HOST : ZONE_ROLE_SUBSYSTEM,
		.ipproto = rn(r, 4) ? ZONE_IPPROTO_TCP : ZONE_IPPROTO_UDP,
		.nqn = (int)rn(r, NPOOL(nqn_pool)),
		.addr = (int)rn(r, NPOOL(addr_pool)),
		.alias = (int)rn(r, NPOOL(alias_pool)),
		.svc = (uint16_t)(4420 + rn(r, 2)),
		.portid = (uint16_t)(1 + rn(r, 3)),
	};

	if (alias_ok && rn(r, 8) == 0)
		m.type = ZMTYPE_ALIAS;
	return m;
}

/* The same member as zoning takes it: every field filled, used or not. */
static struct zone_member to_member(const struct o_member *m)
{
	if (m->type == ZMTYPE_ALIAS)
		return member(ZMTYPE_ALIAS, 0, alias_pool[m->alias], NULL, 0, 0, 0);
	return member(m->type, m->role, nqn_pool[m->nqn], addr_pool[m->addr], m->ipproto, m->svc,
		      m->portid);
}

static const char *group_name(int g)
{
	static const char *const names[MAXG] = {"g0", "g1", "g2"};

	return names[g];
}

static void set_group(struct zoning *z, struct oracle *o, struct rng *r, int g)
{
	struct zone zones[MAXZ];
	struct zone_member ms[MAXZ][MAXM];
	struct o_group *og = &o->config[g];

	og->nz = (int)rn(r, MAXZ + 1);
	for (int k = 0; k < og->nz; k++) {
		og->z[k].n = (int)rn(r, MAXM + 1);
		snprintf(zones[k].name, sizeof(zones[k].name), "zone%d", k);
		zones[k].nmembers = (size_t)og->z[k].n;
		zones[k].members = ms[k];
		for (int i = 0; i < og->z[k].n; i++) {
			og->z[k].m[i] = rnd_member(r, true);
			ms[k][i] = to_member(&og->z[k].m[i]);
		}
	}
	ck_assert_int_eq(zoning_group_set(z, NULL, CDC, group_name(g), zones, (size_t)og->nz), 0);
}

static void set_alias(struct zoning *z, struct oracle *o, struct rng *r, int a)
{
	struct zone_member ms[3];
	struct o_alias *oa = &o->alias[a];

	oa->defined = true;
	oa->n = (int)rn(r, 4);
	for (int i = 0; i < oa->n; i++) {
		oa->m[i] = rnd_member(r, false);
		ms[i] = to_member(&oa->m[i]);
	}
	ck_assert_int_eq(zoning_alias_set(z, alias_pool[a], ms, (size_t)oa->n), 0);
}

/* One random change to the fabric's zoning, applied to both. */
static void step(struct zoning *z, struct oracle *o, struct rng *r, uint64_t seed)
{
	int g = (int)rn(r, MAXG), a = (int)rn(r, NPOOL(alias_pool));
	struct zoning_change chg;
	struct o_group resolved;
	int ret;

	switch (rn(r, 5)) {
	case 0:
	case 1:
		ret = zoning_activate(z, NULL, CDC, group_name(g), &chg);
		if (o_resolve(o, &o->config[g], &resolved)) {
			ck_assert_msg(ret == 0, "seed %" PRIu64 ": activate %d", seed, ret);
			o->active[g] = resolved;
			o->is_active[g] = true;
			zoning_change_release(&chg);
		} else {
			ck_assert_msg(ret == -ENOENT, "seed %" PRIu64 ": activate %d", seed, ret);
		}
		break;
	case 2:
		ck_assert_int_eq(zoning_deactivate(z, NULL, CDC, group_name(g), &chg), 0);
		zoning_change_release(&chg);
		o->is_active[g] = false;
		break;
	case 3:
		set_group(z, o, r, g);
		break;
	case 4:
		if (rn(r, 3) == 0) {
			ck_assert_int_eq(zoning_alias_delete(z, alias_pool[a]),
					 o->alias[a].defined ? 0 : -ENOENT);
			o->alias[a].defined = false;
		} else {
			set_alias(z, o, r, a);
		}
		break;
	}
}

#define NHOST 10
#define NPORT 12

struct fabric {
	struct zone_host h[NHOST];
	struct zone_port p[NPORT];
	struct o_end oh[NHOST], op[NPORT];
};

static uint8_t trtype_of(struct rng *r, uint8_t *ipproto)
{
	bool tcp = rn(r, 4) != 0;

	*ipproto = tcp ? ZONE_IPPROTO_TCP : ZONE_IPPROTO_UDP;
	return tcp ? NVMF_TRTYPE_TCP : NVMF_TRTYPE_RDMA;
}

static void endpoint(struct rng *r, bool is_host, struct zone_endpoint *e, struct o_end *oe)
{
	struct cdc_port cp = {0};
	bool addressed = !is_host || rn(r, 5) != 0;

	/* Hosts mostly from the host NQNs, ports from the subsystem ones, but not always. */
	oe->nqn = (int)(rn(r, 4) ? (is_host ? rn(r, 4) : 4 + rn(r, 3)) : rn(r, NPOOL(nqn_pool)));
	oe->addr = -1;
	oe->svc = -1;
	oe->portid = -1;
	oe->ipproto = 0;
	if (addressed) {
		cp.trtype = trtype_of(r, &oe->ipproto);
		oe->addr = (int)rn(r, NPOOL(addr_pool));
		cp.adrfam = (uint8_t)fam(oe->addr);
		strcpy(cp.traddr, addr_pool[oe->addr]);
		if (!is_host || rn(r, 2)) {
			oe->svc = 4420 + (int)rn(r, 2);
			snprintf(cp.trsvcid, sizeof(cp.trsvcid), "%d", oe->svc);
		}
		if (!is_host) {
			oe->portid = 1 + (int)rn(r, 3);
			cp.portid = (uint16_t)oe->portid;
		}
	}
	ck_assert_int_eq(zone_endpoint_set(e, nqn_pool[oe->nqn], addressed ? &cp : NULL, is_host),
			 0);
}

struct counts {
	unsigned long checks, allowed, shared_views, equal_sets_apart;
};

/* Compare every (host, port) decision, and the views against the visible sets. */
static void compare(const struct zoning *z, const struct oracle *o, const struct fabric *f,
		    uint64_t seed, struct counts *c)
{
	struct zone_view v[NHOST], hv, pv;
	uint32_t seen[NHOST] = {0};

	for (int i = 0; i < NHOST; i++) {
		for (int j = 0; j < NPORT; j++) {
			bool want = o_allows(o, &f->oh[i], &f->op[j]);
			bool got = zoning_allows(z, &f->h[i], &f->p[j]);

			ck_assert_msg(got == want,
				      "seed %" PRIu64 ": host %d (%s) port %d (%s): %d, oracle %d",
				      seed, i, f->h[i].ep.nqn, j, f->p[j].ep.nqn, got, want);
			ck_assert_int_eq(zoning_port_view(z, &f->p[j], &pv), 0);
			ck_assert_int_eq(zoning_host_view(z, &f->h[i], &hv), 0);
			ck_assert_msg(zone_views_meet(&hv, &pv) == want,
				      "seed %" PRIu64 ": host %d port %d: the views meet %d, "
				      "oracle %d",
				      seed, i, j, !want, want);
			zone_view_free(&pv);
			zone_view_free(&hv);
			seen[i] |= (uint32_t)want << j;
			c->checks++;
			c->allowed += want;
		}
		ck_assert_int_eq(zoning_host_view(z, &f->h[i], &v[i]), 0);
	}
	for (int i = 0; i < NHOST; i++)
		for (int k = i + 1; k < NHOST; k++) {
			if (zone_view_equal(&v[i], &v[k])) {
				ck_assert_msg(seen[i] == seen[k],
					      "seed %" PRIu64 ": hosts %d and %d share a view but "
					      "see different ports",
					      seed, i, k);
				c->shared_views++;
			} else if (seen[i] == seen[k]) {
				c->equal_sets_apart++;
			}
		}
	for (int i = 0; i < NHOST; i++)
		zone_view_free(&v[i]);
}

static uint64_t test_seed(void)
{
	const char *s = getenv("ZONING_SEED");

	if (s && *s)
		return strtoull(s, NULL, 0);
	return (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
}

START_TEST(zoning_agrees_with_a_brute_force_oracle_on_random_fabrics)
{
	uint64_t seed = test_seed();
	struct rng r = {.s = seed ? seed : 1};
	struct counts c = {0};

	fprintf(stderr, "test_zoning: ZONING_SEED=%" PRIu64 "\n", seed);
	while (c.checks < 120000) {
		struct oracle o = {.policy = rn(&r, 2) ? ZONE_POLICY_ALLOW : ZONE_POLICY_DENY};
		struct fabric f;
		struct zoning z;

		zoning_init(&z, o.policy);
		for (int i = 0; i < NHOST; i++)
			endpoint(&r, true, &f.h[i].ep, &f.oh[i]);
		for (int j = 0; j < NPORT; j++)
			endpoint(&r, false, &f.p[j].ep, &f.op[j]);
		for (int a = 0; a < (int)NPOOL(alias_pool); a++)
			if (rn(&r, 3))
				set_alias(&z, &o, &r, a);
		for (int g = 0; g < MAXG; g++) {
			ck_assert_int_eq(zoning_group_create(&z, NULL, CDC, group_name(g), NULL),
					 0);
			set_group(&z, &o, &r, g);
		}
		for (int s = 0; s < 6; s++) {
			step(&z, &o, &r, seed);
			compare(&z, &o, &f, seed, &c);
		}
		zoning_free(&z);
	}
	fprintf(stderr,
		"test_zoning: %lu checks (%lu allowed), %lu host pairs sharing a view, %lu with "
		"equal sets in different views\n",
		c.checks, c.allowed, c.shared_views, c.equal_sets_apart);
	/* The random fabrics must exercise both answers, not only deny. */
	ck_assert_uint_gt(c.allowed, c.checks / 20);
	ck_assert_uint_lt(c.allowed, c.checks - c.checks / 20);
}
END_TEST

/* ---- the ZoneGroup on the wire (FZR, FZS) ---- */

/* A group with a member of every type and an alias, in two zones. */
static struct zone_group wire_group(struct zone *zs, struct zone_member *m)
{
	static const uint8_t types[] = {1, 2, 3, 4, 5, 6, 0x11, 0x12};
	struct zone_group g = {.nzones = 2, .zones = zs};

	strcpy(g.orig, DDC1);
	strcpy(g.name, "g1");
	for (size_t t = 0; t < sizeof(types); t++)
		m[t] = member(types[t], t % 2 ? ZONE_ROLE_HOST : ZONE_ROLE_SUBSYSTEM,
			      t % 3 ? S1 : H1, t % 2 ? "2001:db8::7" : "192.0.2.1",
			      ZONE_IPPROTO_TCP, (uint16_t)(4420 + t), (uint16_t)(7 + t));
	for (size_t t = 0; t < sizeof(types); t++) {
		struct zone_member c = m[t];
		unsigned els = zone_member_elements(c.type);
		/* Only what the type names travels. */
		m[t] = (struct zone_member){.type = c.type, .role = c.role};
		if (els & ZE_NQN)
			strcpy(m[t].nqn, c.nqn);
		if (els & ZE_ADRFAM)
			m[t].adrfam = c.adrfam;
		if (els & ZE_TRADDR)
			memcpy(m[t].traddr, c.traddr, 16);
		if (els & ZE_IPPROTO)
			m[t].ipproto = c.ipproto;
		if (els & ZE_TRSVCID)
			m[t].trsvcid = c.trsvcid;
		if (els & ZE_PORTID)
			m[t].portid = c.portid;
	}
	m[8] = (struct zone_member){.type = ZMTYPE_ALIAS};
	strcpy(m[8].nqn, "storage");
	zs[0] = (struct zone){.name = "z1", .nmembers = 5, .members = m};
	zs[1] = (struct zone){.name = "z2", .nmembers = 4, .members = m + 5};
	return g;
}

START_TEST(a_zone_group_round_trips_through_the_wire_form)
{
	struct zone zs[2];
	struct zone_member m[9];
	struct zone_group g = wire_group(zs, m), back;
	size_t len = zw_group_len(&g);
	uint8_t *buf = malloc(len), *again = malloc(len);
	uint32_t bad;

	ck_assert_uint_eq(len, 256 + 2 * 128 + 9 * 256);
	zw_group_encode(&g, buf);
	ck_assert_int_eq(zw_group_decode(buf, len, &back, &bad), 0);
	ck_assert_str_eq(back.orig, DDC1);
	ck_assert_str_eq(back.name, "g1");
	ck_assert_uint_eq(back.nzones, 2);
	ck_assert_str_eq(back.zones[1].name, "z2");
	for (size_t z = 0; z < 2; z++)
		for (size_t i = 0; i < zs[z].nmembers; i++)
			ck_assert_mem_eq(&back.zones[z].members[i], &zs[z].members[i],
					 sizeof(struct zone_member));
	zw_group_encode(&back, again);
	ck_assert_mem_eq(buf, again, len);
	zw_group_release(&back);
	free(buf);
	free(again);
}
END_TEST

/* The member TLV's offsets, as protocol.md 7.5 pins them. */
START_TEST(member_fields_sit_where_the_spec_says)
{
	struct zone_member m4 = member(ZMTYPE_NQN_IP_PORT_PORTID, ZONE_ROLE_SUBSYSTEM, S1,
				       "192.0.2.1", ZONE_IPPROTO_TCP, 4420, 7);
	struct zone_member m5 = member(ZMTYPE_NQN_PORTID, ZONE_ROLE_SUBSYSTEM, S1, NULL, 0, 0, 9);
	struct zone z = {.name = "z", .nmembers = 2, .members = (struct zone_member[]){m4, m5}};
	struct zone_group g = {.name = "g", .nzones = 1, .zones = &z};
	uint8_t buf[256 + 128 + 2 * 256];

	strcpy(g.orig, DDC1);
	ck_assert_uint_eq(zw_group_len(&g), sizeof(buf));
	zw_group_encode(&g, buf);
	ck_assert_str_eq((const char *)buf, DDC1);
	ck_assert_str_eq((const char *)buf + 224, "g");
	ck_assert_uint_eq(get_le16(buf + 254), 1);
	ck_assert_str_eq((const char *)buf + 256, "z");
	ck_assert_uint_eq(get_le16(buf + 256 + 124), 2);
	const uint8_t *p = buf + 256 + 128;
	ck_assert_uint_eq(p[0], 4);
	ck_assert_uint_eq(get_le16(p + 1), 0x100);
	ck_assert_uint_eq(p[3], ZONE_ROLE_SUBSYSTEM);
	ck_assert_uint_eq(p[4], NVMF_ADDR_FAMILY_IP4);
	ck_assert_uint_eq(p[5], ZONE_IPPROTO_TCP);
	ck_assert_uint_eq(get_le16(p + 6), 4420);
	ck_assert_mem_eq(p + 8, "\xc0\x00\x02\x01", 4);
	ck_assert_uint_eq(get_le16(p + 24), 7);
	ck_assert_str_eq((const char *)p + 32, S1);
	p += 256;
	ck_assert_uint_eq(p[0], 5);
	ck_assert_uint_eq(get_le16(p + 4), 9); /* type 5: ZMPORTID at bytes 5:4 */
}
END_TEST

START_TEST(malformed_wire_groups_are_refused_at_the_byte_at_fault)
{
	struct zone zs[2];
	struct zone_member m[9];
	struct zone_group g = wire_group(zs, m), back;
	size_t len = zw_group_len(&g);
	uint8_t *buf = malloc(len + 8), *w = malloc(len + 8);
	uint32_t bad;

	zw_group_encode(&g, buf);
	const size_t m0 = 256 + 128; /* the first member */
	struct {
		size_t at, len;
		uint8_t val;
		uint32_t bad;
	} cases[] = {
		{0, len - 1, 0, 0},		/* truncated: the last member does not fit */
		{254, len, 0xff, 254},		/* NUMZ beyond the data */
		{m0 + 1, len, 0x80, m0 + 1},	/* ZMLEN not 100h */
		{m0, len, 0x7e, m0},		/* an unknown member type */
		{m0 + 3, len, 3, m0 + 3},	/* an unknown role */
		{m0 + 32, len, ' ', m0 + 32},	/* an NQN that is not one */
		{224, len, 0, 224},		/* no group name */
		{0, len + 4, 0, (uint32_t)len}, /* trailing bytes */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memcpy(w, buf, len);
		memset(w + len, 0, 8);
		if (cases[i].at || cases[i].val)
			w[cases[i].at] = cases[i].val;
		ck_assert_msg(zw_group_decode(w, cases[i].len, &back, &bad) == -EINVAL,
			      "case %zu decoded", i);
		if (i > 0) /* a short group fails wherever the data ran out */
			ck_assert_msg(bad == cases[i].bad, "case %zu: bad %u, wanted %u", i, bad,
				      cases[i].bad);
	}
	free(buf);
	free(w);
}
END_TEST

/* A zone property (Fabric Enforced Zone) is skipped by its ZPLEN. */
START_TEST(zone_properties_are_skipped)
{
	struct zone_member m = member(ZMTYPE_NQN, ZONE_ROLE_HOST, H1, NULL, 0, 0, 0);
	struct zone z = {.name = "z", .nmembers = 1, .members = &m};
	struct zone_group g = {.name = "g", .nzones = 1, .zones = &z}, back;
	uint8_t buf[256 + 128 + 256 + 4];
	uint32_t bad;

	strcpy(g.orig, DDC1);
	zw_group_encode(&g, buf);
	put_le16(buf + 256 + 126, 1); /* NUMZP */
	buf[256 + 128 + 256] = 1;     /* ZPTYPE: Fabric Enforced Zone */
	put_le16(buf + 256 + 128 + 256 + 1, 4);
	buf[256 + 128 + 256 + 3] = 1;
	ck_assert_int_eq(zw_group_decode(buf, sizeof(buf), &back, &bad), 0);
	ck_assert_uint_eq(back.zones[0].nmembers, 1);
	ck_assert_str_eq(back.zones[0].members[0].nqn, H1);
	zw_group_release(&back);
}
END_TEST

START_TEST(a_lookup_round_trips_and_needs_an_nqn_and_a_name)
{
	struct zw_lookup l = {.otyp = ZW_OTYP_AAZ_LOOKUP}, back;
	uint8_t buf[ZW_LOOKUP_LEN];
	uint32_t bad;

	strcpy(l.orig, DDC1);
	strcpy(l.name, "123456789012345678901234567890"); /* 30 bytes: the whole field */
	zw_lookup_build(&l, buf);
	ck_assert_int_eq(zw_lookup_parse(buf, sizeof(buf), &back, &bad), 0);
	ck_assert_uint_eq(back.otyp, ZW_OTYP_AAZ_LOOKUP);
	ck_assert_str_eq(back.orig, DDC1);
	ck_assert_str_eq(back.name, l.name);
	ck_assert_int_eq(zw_lookup_parse(buf, sizeof(buf) - 1, &back, &bad), -EINVAL);
	buf[4] = 'x';
	ck_assert_int_eq(zw_lookup_parse(buf, sizeof(buf), &back, &bad), -EINVAL);
	ck_assert_uint_eq(bad, 4);
	zw_lookup_build(&l, buf);
	memset(buf + 228, 0, 30);
	ck_assert_int_eq(zw_lookup_parse(buf, sizeof(buf), &back, &bad), -EINVAL);
	ck_assert_uint_eq(bad, 228);
}
END_TEST

static Suite *zoning_suite(void)
{
	Suite *s = suite_create("zoning");
	TCase *tc = tcase_create("model");
	TCase *prop = tcase_create("oracle");

	tcase_add_test(tc, every_member_type_matches_exactly_the_elements_it_names);
	tcase_add_test(tc, member_elements_follow_the_spec_table);
	tcase_add_test(tc, malformed_members_are_refused);
	tcase_add_test(tc, a_host_has_no_port_id_so_port_id_members_never_match_it);
	tcase_add_test(
		tc,
		an_alias_used_in_two_zones_grants_in_both_and_its_deletion_waits_for_activation);
	tcase_add_test(tc, ipv4_address_members_ignore_the_unused_bytes);
	tcase_add_test(tc, generation_rolls_over_to_one_never_zero);
	tcase_add_test(tc, a_key_is_never_handed_out_twice_even_after_delete);
	tcase_add_test(tc, only_the_originator_or_the_admin_changes_a_group);
	tcase_add_test(tc, activation_is_whole_and_reports_before_and_after);
	tcase_add_test(tc, host_with_host_and_subsystem_with_subsystem_grant_nothing);
	tcase_add_test(tc, policy_decides_for_entities_in_no_active_zone);
	tcase_add_test(tc, a_zone_group_round_trips_through_the_wire_form);
	tcase_add_test(tc, member_fields_sit_where_the_spec_says);
	tcase_add_test(tc, malformed_wire_groups_are_refused_at_the_byte_at_fault);
	tcase_add_test(tc, zone_properties_are_skipped);
	tcase_add_test(tc, a_lookup_round_trips_and_needs_an_nqn_and_a_name);
	suite_add_tcase(s, tc);
	/* Valgrind runs it too: give it room. */
	tcase_set_timeout(prop, 300);
	tcase_add_test(prop, zoning_agrees_with_a_brute_force_oracle_on_random_fabrics);
	suite_add_tcase(s, prop);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(zoning_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
