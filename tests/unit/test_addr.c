/* test_addr.c - the fabric's vocabulary on its own (nvmf/addr.c, linked from libnvmf.a only):
 * both spellings of TREQ, the verdicts of address canonicalisation that the configuration, the
 * API and DIM each turn into their own error, and a port string that reads back as written.
 * Port-string error messages are pinned by test_config. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <nvme/types.h>

#include "addr.h"

START_TEST(treq_reads_in_the_files_words_and_in_nvme_clis)
{
	uint8_t treq = 0xff;

	ck_assert_int_eq(addr_parse_treq("not-required", &treq), 0);
	ck_assert_uint_eq(treq, NVMF_TREQ_NOT_REQUIRED);
	ck_assert_int_eq(addr_parse_treq("not required", &treq), 0);
	ck_assert_uint_eq(treq, NVMF_TREQ_NOT_REQUIRED);
	ck_assert_int_eq(addr_parse_treq("Not Specified", &treq), 0);
	ck_assert_uint_eq(treq, NVMF_TREQ_NOT_SPECIFIED);
	ck_assert_int_eq(addr_parse_treq("required", &treq), 0);
	ck_assert_uint_eq(treq, NVMF_TREQ_REQUIRED);
	ck_assert_int_eq(addr_parse_treq("notrequired", &treq), -EINVAL);
	ck_assert_str_eq(addr_treq_str(NVMF_TREQ_NOT_REQUIRED), "not required");
	ck_assert_str_eq(addr_treq_str(3), "not specified");
}
END_TEST

START_TEST(traddr_is_rewritten_as_inet_ntop_writes_it)
{
	char traddr[CDC_TRADDR_MAX + 1] = "2001:DB8:0:0::0:7";
	uint8_t adrfam = 0;

	ck_assert_int_eq(addr_traddr_canon(&adrfam, traddr, sizeof(traddr)), 0);
	ck_assert_uint_eq(adrfam, NVMF_ADDR_FAMILY_IP6);
	ck_assert_str_eq(traddr, "2001:db8::7");
}
END_TEST

START_TEST(traddr_verdicts_tell_malformed_family_and_wildcard_apart)
{
	char traddr[CDC_TRADDR_MAX + 1];
	uint8_t adrfam;

	strcpy(traddr, "host.example.com");
	adrfam = 0;
	ck_assert_int_eq(addr_traddr_canon(&adrfam, traddr, sizeof(traddr)), -EINVAL);
	strcpy(traddr, "2001:db8::1");
	adrfam = NVMF_ADDR_FAMILY_IP4;
	ck_assert_int_eq(addr_traddr_canon(&adrfam, traddr, sizeof(traddr)), -EAFNOSUPPORT);
	ck_assert_uint_eq(adrfam, NVMF_ADDR_FAMILY_IP4);
	strcpy(traddr, "0.0.0.0");
	adrfam = 0;
	ck_assert_int_eq(addr_traddr_canon(&adrfam, traddr, sizeof(traddr)), -EADDRNOTAVAIL);
	strcpy(traddr, "::");
	ck_assert_int_eq(addr_traddr_canon(&adrfam, traddr, sizeof(traddr)), -EADDRNOTAVAIL);
	ck_assert_str_eq(traddr, "::");
}
END_TEST

START_TEST(trsvcid_is_a_port_number_without_leading_zeros)
{
	static const char *const bad[] = {"", "0", "65536", "44a0", "+4420", " 4420", "nvme"};
	char out[CDC_TRSVCID_MAX + 1];

	ck_assert_int_eq(addr_trsvcid_canon("04420", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "4420");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(addr_trsvcid_canon(bad[i], out, sizeof(out)) == -EINVAL, "'%s'",
			      bad[i]);
}
END_TEST

START_TEST(host_and_port_split_with_and_without_brackets)
{
	static const struct {
		const char *text, *host, *port;
	} ok[] = {
		{"127.0.0.1:8009", "127.0.0.1", "8009"},
		{"[::1]:8009", "::1", "8009"},
		{"[fe80::1%eth0]:4420", "fe80::1%eth0", "4420"},
		{":8009", "", "8009"}, /* a Kickstart record's empty TRADDR */
		{"host:", "host", ""},
	};
	static const char *const bad[] = {"127.0.0.1", "[::1]", "[::1]8009", "[::1:8009", ""};
	char host[64], tiny[4];
	const char *port;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ck_assert_int_eq(addr_split_hostport(ok[i].text, host, sizeof(host), &port), 0);
		ck_assert_str_eq(host, ok[i].host);
		ck_assert_str_eq(port, ok[i].port);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_int_eq(addr_split_hostport(bad[i], host, sizeof(host), &port), -EINVAL);
	ck_assert_int_eq(addr_split_hostport("10.0.0.1:1", tiny, sizeof(tiny), &port), -EINVAL);
	ck_assert_int_eq(addr_split_hostport(NULL, host, sizeof(host), &port), -EINVAL);
}
END_TEST

START_TEST(a_formatted_port_parses_back_to_itself)
{
	struct cdc_port p, q;
	char text[512], err[256];

	ck_assert_int_eq(addr_parse_port("traddr=2001:db8::5;trsvcid=4430;portid=7;"
					 "treq=not required;sectype=tls13",
					 NULL, &p, err, sizeof(err)),
			 0);
	addr_format_port(&p, text, sizeof(text));
	ck_assert_str_eq(text, "trtype=tcp;adrfam=ipv6;traddr=2001:db8::5;trsvcid=4430;portid=7;"
			       "treq=not-required;sectype=tls13");
	ck_assert_int_eq(addr_parse_port(text, NULL, &q, err, sizeof(err)), 0);
	ck_assert_mem_eq(&p, &q, sizeof(p));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("addr");
	TCase *tc = tcase_create("vocabulary");

	tcase_add_test(tc, treq_reads_in_the_files_words_and_in_nvme_clis);
	tcase_add_test(tc, traddr_is_rewritten_as_inet_ntop_writes_it);
	tcase_add_test(tc, traddr_verdicts_tell_malformed_family_and_wildcard_apart);
	tcase_add_test(tc, trsvcid_is_a_port_number_without_leading_zeros);
	tcase_add_test(tc, a_formatted_port_parses_back_to_itself);
	tcase_add_test(tc, host_and_port_split_with_and_without_brackets);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
