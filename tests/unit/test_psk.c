/* test_psk.c - TLS PSK interchange parsing, identities and HKDF derivations (auth/psk.c) against
 * libnvme's own test vectors (libnvme test/psk.c): the v1 identity digest is an HMAC under the
 * retained PSK, so it pins the retained-PSK derivation in both HkdfLabel layouts. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "psk.h"

static const uint8_t key48[48] = {0x55, 0x12, 0xDB, 0xB6, 0x73, 0x7D, 0x01, 0x06, 0xF6, 0x59,
				  0x75, 0xB7, 0x73, 0xDF, 0xB0, 0x11, 0xFF, 0xC3, 0x44, 0xBC,
				  0xF4, 0x42, 0xE2, 0xDD, 0x6D, 0x8B, 0xC4, 0x87, 0x0B, 0x5D,
				  0x5B, 0x03, 0xFF, 0xC3, 0x44, 0xBC, 0xF4, 0x42, 0xE2, 0xDD,
				  0x6D, 0x8B, 0xC4, 0x87, 0x0B, 0x5D, 0x5B, 0x03};

#define KEY01 "NVMeTLSkey-1:01:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwNf9LrZ:"
#define KEY00 "NVMeTLSkey-1:00:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwNf9LrZ:"
#define KEY02                                                                                      \
	"NVMeTLSkey-1:02:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwP/"                             \
	"w0S89ELi3W2LxIcLXVsDn8kXZQ==:"
#define HOST   "nqn.psk-test-host"
#define SUBSYS "nqn.psk-test-subsys"

START_TEST(interchange_keys_parse_and_format_back)
{
	struct psk_key k;
	char text[PSK_INTERCHANGE_MAX];

	ck_assert_int_eq(psk_parse_interchange(KEY01, &k), 0);
	ck_assert_uint_eq(k.hash, PSK_HASH_SHA256);
	ck_assert_uint_eq(k.len, 32);
	ck_assert_mem_eq(k.key, key48, 32);
	ck_assert_int_eq(psk_format_interchange(&k, text, sizeof(text)), 0);
	ck_assert_str_eq(text, KEY01);

	ck_assert_int_eq(psk_parse_interchange(KEY00, &k), 0);
	ck_assert_uint_eq(k.hash, PSK_HASH_NONE);
	ck_assert_uint_eq(psk_key_cipher_hash(&k), PSK_HASH_SHA256);

	ck_assert_int_eq(psk_parse_interchange(KEY02, &k), 0);
	ck_assert_uint_eq(k.hash, PSK_HASH_SHA384);
	ck_assert_uint_eq(k.len, 48);
	ck_assert_mem_eq(k.key, key48, 48);
	ck_assert_int_eq(psk_format_interchange(&k, text, sizeof(text)), 0);
	ck_assert_str_eq(text, KEY02);
}
END_TEST

START_TEST(bad_interchange_keys_are_refused)
{
	struct psk_key k;
	char bad[] = KEY01;

	bad[20] = bad[20] == 'A' ? 'B' : 'A'; /* one key bit: the CRC catches it */
	ck_assert_int_eq(psk_parse_interchange(bad, &k), -EBADMSG);
	ck_assert_uint_eq(k.len, 0);
	/* a 48-byte key with HH 01, a wrong prefix, a missing final colon, HH 03 */
	ck_assert_int_eq(
		psk_parse_interchange("NVMeTLSkey-1:01:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvE"
				      "hwtdWwP/w0S89ELi3W2LxIcLXVsDn8kXZQ==:",
				      &k),
		-EINVAL);
	ck_assert_int_eq(
		psk_parse_interchange("NVMeTLSkey-0:01:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvE"
				      "hwtdWwNf9LrZ:",
				      &k),
		-EINVAL);
	ck_assert_int_eq(
		psk_parse_interchange("NVMeTLSkey-1:01:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvE"
				      "hwtdWwNf9LrZ",
				      &k),
		-EINVAL);
	ck_assert_int_eq(
		psk_parse_interchange("NVMeTLSkey-1:03:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvE"
				      "hwtdWwNf9LrZ:",
				      &k),
		-EINVAL);
	ck_assert_int_eq(psk_parse_interchange("", &k), -EINVAL);
}
END_TEST

/* The v1 identity libnvme generates: digest under the retained PSK of either layout. */
static void check_v1_identity(const char *key, enum psk_hkdf layout, const char *want)
{
	struct psk_key k;
	struct psk_identity id = {.version = 1};
	uint8_t retained[PSK_MAX_LEN];
	char text[PSK_IDENTITY_MAX];

	ck_assert_int_eq(psk_parse_interchange(key, &k), 0);
	ck_assert_int_eq(psk_derive_retained(&k, HOST, layout, retained), 0);
	id.hash = psk_key_cipher_hash(&k);
	strcpy(id.hostnqn, HOST);
	strcpy(id.subnqn, SUBSYS);
	ck_assert_int_eq(
		psk_digest(id.hash, retained, k.len, HOST, SUBSYS, id.digest, sizeof(id.digest)),
		0);
	ck_assert_int_eq(psk_identity_format(&id, text, sizeof(text)), (int)strlen(want));
	ck_assert_str_eq(text, want);

	struct psk_identity back;
	ck_assert_int_eq(psk_identity_parse(want, strlen(want), &back), 0);
	ck_assert_uint_eq(back.version, 1);
	ck_assert_uint_eq(back.hash, id.hash);
	ck_assert_str_eq(back.hostnqn, HOST);
	ck_assert_str_eq(back.subnqn, SUBSYS);
	ck_assert_str_eq(back.digest, id.digest);
}

START_TEST(v1_identities_match_libnvme_rfc_layout)
{
	check_v1_identity(KEY01, PSK_HKDF_RFC,
			  "NVMe1R01 " HOST " " SUBSYS
			  " iSbjiStwJ/1TrTvDlt2fjFmzvsytOJelidNnA+X5lEU=");
	check_v1_identity(KEY02, PSK_HKDF_RFC,
			  "NVMe1R02 " HOST " " SUBSYS
			  " QhW2+Rp6RzHlNtCslyRxMnwJ11tKKhz8JCAQpQ+XUD8f9td1VeH5h53yz2wKJG1a");
}
END_TEST

START_TEST(v1_identities_match_libnvme_compat_layout)
{
	check_v1_identity(KEY01, PSK_HKDF_COMPAT,
			  "NVMe1R01 " HOST " " SUBSYS
			  " 66GuqV08TsAGII39teWUfwQwizjv06Jy8jOcX3NAAzM=");
	check_v1_identity(KEY02, PSK_HKDF_COMPAT,
			  "NVMe1R02 " HOST " " SUBSYS
			  " RsKmYJ3nAn1ApjjMloJFbAkLPivONDAX/xW327YBUsn2eGShXSjCZvBaOxscLqmz");
}
END_TEST

START_TEST(v0_identities_parse_and_bad_ones_do_not)
{
	static const char v0[] = "NVMe0R01 " HOST " nqn.2014-08.org.nvmexpress.discovery";
	struct psk_identity id;
	char text[PSK_IDENTITY_MAX];

	ck_assert_int_eq(psk_identity_parse(v0, strlen(v0), &id), 0);
	ck_assert_uint_eq(id.version, 0);
	ck_assert_uint_eq(id.hash, PSK_HASH_SHA256);
	ck_assert_str_eq(id.hostnqn, HOST);
	ck_assert_str_eq(id.subnqn, "nqn.2014-08.org.nvmexpress.discovery");
	ck_assert_int_eq(psk_identity_format(&id, text, sizeof(text)), (int)strlen(v0));
	ck_assert_str_eq(text, v0);

	static const char *bad[] = {
		"NVMe0G01 " HOST " " SUBSYS, /* generated PSK: secure concatenation */
		"NVMe0R03 " HOST " " SUBSYS,
		"NVMe2R01 " HOST " " SUBSYS,
		"NVMe0R01 " HOST,
		"NVMe0R01 " HOST " " SUBSYS " ",
		"NVMe0R01 " HOST "  " SUBSYS,
		"NVMe1R01 " HOST " " SUBSYS " short",
		"NVMe1R01 " HOST " " SUBSYS " iSbjiStwJ/1TrTvDlt2fjFmzvsytOJelidNnA+X5lEU= ",
		"NVMe0R01 " HOST " " SUBSYS " extra",
		"NVMe"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(psk_identity_parse(bad[i], strlen(bad[i]), &id) == -EINVAL, "%s",
			      bad[i]);
}
END_TEST

/* The TLS PSK differs by version, hash and layout, and is the length of the key. These are
 * regression values of this implementation; the interop test (tests/interop/test-tls.sh)
 * checks the same derivation against the Linux host's libnvme and kernel. */
START_TEST(tls_psk_depends_on_identity_and_layout)
{
	struct psk_key k;
	struct psk_identity id;
	uint8_t retained[PSK_MAX_LEN], a[PSK_MAX_LEN], b[PSK_MAX_LEN], c[PSK_MAX_LEN];
	static const char v0[] = "NVMe0R01 " HOST " " SUBSYS;

	ck_assert_int_eq(psk_parse_interchange(KEY01, &k), 0);
	ck_assert_int_eq(psk_derive_retained(&k, HOST, PSK_HKDF_RFC, retained), 0);
	ck_assert_int_eq(psk_identity_parse(v0, strlen(v0), &id), 0);
	ck_assert_int_eq(psk_derive_tls(&id, retained, k.len, PSK_HKDF_RFC, a), 0);
	ck_assert_int_eq(psk_derive_tls(&id, retained, k.len, PSK_HKDF_COMPAT, b), 0);
	ck_assert_mem_ne(a, b, 32);
	id.version = 1;
	ck_assert_int_eq(
		psk_digest(id.hash, retained, k.len, HOST, SUBSYS, id.digest, sizeof(id.digest)),
		0);
	ck_assert_int_eq(psk_derive_tls(&id, retained, k.len, PSK_HKDF_RFC, c), 0);
	ck_assert_mem_ne(a, c, 32);
	/* HH 00: the configured key is the retained key */
	ck_assert_int_eq(psk_parse_interchange(KEY00, &k), 0);
	ck_assert_int_eq(psk_derive_retained(&k, HOST, PSK_HKDF_RFC, retained), 0);
	ck_assert_mem_eq(retained, key48, 32);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("psk");
	TCase *tc = tcase_create("psk");

	tcase_add_test(tc, interchange_keys_parse_and_format_back);
	tcase_add_test(tc, bad_interchange_keys_are_refused);
	tcase_add_test(tc, v1_identities_match_libnvme_rfc_layout);
	tcase_add_test(tc, v1_identities_match_libnvme_compat_layout);
	tcase_add_test(tc, v0_identities_parse_and_bad_ones_do_not);
	tcase_add_test(tc, tls_psk_depends_on_identity_and_layout);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
