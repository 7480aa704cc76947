/* test_disc_json.c - log entries decoded in nvme-cli's words: the control API's answers and
 * the tests' decoding of what hosts read both rest on these strings. */
#include <check.h>
#include <endian.h>
#include <stdlib.h>
#include <string.h>

#include "disc_json.h"
#include "disc_log.h"
#include "nvmf_tcp.h"

static const char *field(struct json_object *o, const char *key)
{
	struct json_object *v;

	ck_assert_msg(json_object_object_get_ex(o, key, &v), "no %s", key);
	return json_object_get_string(v);
}

START_TEST(eflags_read_as_nvme_cli_prints_them)
{
	char buf[128];

	ck_assert_str_eq(disc_eflags_str(0, buf, sizeof(buf)), "none");
	ck_assert_str_eq(disc_eflags_str(NVMF_DISC_EFLAGS_EPCSD | NVMF_DISC_EFLAGS_DUPRETINFO, buf,
					 sizeof(buf)),
			 "explicit discovery connections, duplicate discovery information");
	ck_assert_str_eq(disc_eflags_str(NVMF_DISC_EFLAGS_NCC, buf, sizeof(buf)),
			 "no cdc connectivity");
}
END_TEST

START_TEST(codes_have_nvme_cli_names)
{
	ck_assert_str_eq(addr_trtype_str(NVMF_TRTYPE_TCP), "tcp");
	ck_assert_str_eq(addr_adrfam_str(NVMF_ADDR_FAMILY_IP6), "ipv6");
	ck_assert_str_eq(disc_subtype_str(NVME_NQN_CURR), "current discovery subsystem");
	ck_assert_str_eq(disc_subtype_str(NVME_NQN_DISC), "discovery subsystem referral");
	ck_assert_str_eq(disc_subtype_str(NVME_NQN_NVME), "nvme subsystem");
	ck_assert_str_eq(addr_treq_str(NVMF_TREQ_REQUIRED), "required");
	ck_assert_str_eq(addr_treq_str(NVMF_TREQ_NOT_REQUIRED | NVMF_TREQ_DISABLE_SQFLOW),
			 "not required");
	ck_assert_str_eq(addr_treq_str(0), "not specified");
	ck_assert_str_eq(addr_sectype_str(NVMF_TCP_SECTYPE_TLS13), "tls13");
	ck_assert_str_eq(disc_subtype_str(9), "unrecognized");
}
END_TEST

START_TEST(an_entry_decodes_to_every_field)
{
	struct nvmf_disc_log_entry e;
	struct cdc_port p = {.trtype = NVMF_TRTYPE_TCP,
			     .adrfam = NVMF_ADDR_FAMILY_IP4,
			     .portid = 7,
			     .sectype = NVMF_TCP_SECTYPE_NONE};

	strcpy(p.traddr, "192.0.2.1");
	strcpy(p.trsvcid, "4420");
	disc_entry_fill(&e, NVME_NQN_NVME, &p, "nqn.2014-08.org.example:s", NVMF_DISC_EFLAGS_NCC);
	struct json_object *o = disc_entry_json(&e), *v;
	ck_assert_str_eq(field(o, "trtype"), "tcp");
	ck_assert_str_eq(field(o, "adrfam"), "ipv4");
	ck_assert_str_eq(field(o, "subtype"), "nvme subsystem");
	ck_assert_str_eq(field(o, "traddr"), "192.0.2.1");
	ck_assert_str_eq(field(o, "trsvcid"), "4420");
	ck_assert_str_eq(field(o, "subnqn"), "nqn.2014-08.org.example:s");
	ck_assert_str_eq(field(o, "eflags"), "no cdc connectivity");
	ck_assert(json_object_object_get_ex(o, "portid", &v));
	ck_assert_int_eq(json_object_get_int(v), 7);
	json_object_put(o);
}
END_TEST

START_TEST(a_field_without_its_nul_stops_at_the_field)
{
	struct nvmf_disc_log_entry e;

	memset(&e, 'a', sizeof(e));
	struct json_object *o = disc_entry_json(&e);
	ck_assert_uint_eq(strlen(field(o, "trsvcid")), sizeof(e.trsvcid));
	ck_assert_uint_eq(strlen(field(o, "traddr")), sizeof(e.traddr));
	json_object_put(o);
}
END_TEST

START_TEST(a_log_decodes_only_the_records_it_holds)
{
	uint8_t log[1024 + 2 * 1024] = {0};

	put_le64(log, 42);
	put_le64(log + 8, 3); /* claims three, carries two */
	struct json_object *o = disc_log_json(log, sizeof(log)), *recs, *g;
	ck_assert(json_object_object_get_ex(o, "records", &recs));
	ck_assert_uint_eq(json_object_array_length(recs), 2);
	ck_assert(json_object_object_get_ex(o, "genctr", &g));
	ck_assert_int_eq(json_object_get_int64(g), 42);
	json_object_put(o);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("disc_json");
	TCase *tc = tcase_create("decode");

	tcase_add_test(tc, eflags_read_as_nvme_cli_prints_them);
	tcase_add_test(tc, codes_have_nvme_cli_names);
	tcase_add_test(tc, an_entry_decodes_to_every_field);
	tcase_add_test(tc, a_field_without_its_nul_stops_at_the_field);
	tcase_add_test(tc, a_log_decodes_only_the_records_it_holds);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
