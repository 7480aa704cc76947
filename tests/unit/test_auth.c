/* test_auth.c - DH-HMAC-CHAP computations and messages (auth/): the DHHC-1 example of the
 * specification, known answers recomputed independently by auth_vectors.py, a whole host
 * and controller exchange over each group, and the decoders' bounds. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth_msg.h"
#include "dhchap.h"

#define HOSTNQN	  "nqn.2014-08.org.nvmexpress:uuid:12345678-1234-1234-1234-123456789abc"
#define SUBNQN	  "nqn.2014-08.org.nvmexpress.discovery"
#define SPEC_TEXT "DHHC-1:00:ia6zGodOr4SEG0Zzaw398rpY0wqipUWj4jWjUh4HWUz6aQ2n:"
#define SPEC_KEY  "89aeb31a874eaf84841b46736b0dfdf2ba58d30aa2a545a3e235a3521e07594c"

static void hex(const char *s, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(sscanf(s + 2 * i, "%2hhx", &out[i]), 1);
}

static void ck_hex(const uint8_t *got, const char *want)
{
	size_t n = strlen(want) / 2;
	uint8_t w[128];

	hex(want, w, n);
	ck_assert_mem_eq(got, w, n);
}

START_TEST(spec_secret_parses_to_its_key)
{
	struct dhchap_secret s;

	ck_assert_int_eq(dhchap_secret_parse(SPEC_TEXT, &s), 0);
	ck_assert_uint_eq(s.len, 32);
	ck_assert_uint_eq(s.hmac, 0);
	ck_hex(s.key, SPEC_KEY);
	ck_assert_uint_eq(dhchap_crc32(s.key, s.len), 0xa70d69fa);

	char text[DHCHAP_SECRET_TEXT];
	ck_assert_int_gt(dhchap_secret_format(&s, text, sizeof(text)), 0);
	ck_assert_str_eq(text, SPEC_TEXT);
}
END_TEST

START_TEST(secret_with_bad_crc_is_refused)
{
	struct dhchap_secret s;
	char text[] = SPEC_TEXT;

	text[20] = text[20] == 'A' ? 'B' : 'A';
	ck_assert_int_eq(dhchap_secret_parse(text, &s), -EBADMSG);
	ck_assert_uint_eq(s.len, 0);
}
END_TEST

START_TEST(malformed_secrets_are_refused)
{
	static const char *const bad[] = {
		"",
		"DHHC-1:",
		"DHHC-2:00:ia6zGodOr4SEG0Zzaw398rpY0wqipUWj4jWjUh4HWUz6aQ2n:",
		"DHHC-1:04:ia6zGodOr4SEG0Zzaw398rpY0wqipUWj4jWjUh4HWUz6aQ2n:",
		"DHHC-1:0:ia6zGodOr4SEG0Zzaw398rpY0wqipUWj4jWjUh4HWUz6aQ2n:",
		"DHHC-1:00:ia6zGodOr4SEG0Zzaw398rpY0wqipUWj4jWjUh4HWUz6aQ2:",
		"DHHC-1:00:ia6zGodOr4SEG0Zzaw398rpY0wqipUWj4jWjUh4HWUz6aQ2n:x",
		"DHHC-1:00:ia6z*odOr4SEG0Zzaw398rpY0wqipUWj4jWjUh4HWUz6aQ2n:",
		"DHHC-1:00:AAAA:", /* a key of 3 bytes */
	};
	struct dhchap_secret s;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(dhchap_secret_parse(bad[i], &s) == -EINVAL, "%s", bad[i]);
}
END_TEST

START_TEST(secret_without_trailing_colon_parses)
{
	struct dhchap_secret s;
	char text[] = SPEC_TEXT;

	text[strlen(text) - 1] = 0;
	ck_assert_int_eq(dhchap_secret_parse(text, &s), 0);
	ck_hex(s.key, SPEC_KEY);
}
END_TEST

START_TEST(secrets_of_48_and_64_bytes_round_trip)
{
	for (size_t len = 48; len <= 64; len += 16) {
		struct dhchap_secret s = {.len = len, .hmac = len == 48 ? 2 : 3}, t;
		char text[DHCHAP_SECRET_TEXT];
		for (size_t i = 0; i < len; i++)
			s.key[i] = (uint8_t)(i * 7 + 1);
		ck_assert_int_gt(dhchap_secret_format(&s, text, sizeof(text)), 0);
		ck_assert_int_eq(dhchap_secret_parse(text, &t), 0);
		ck_assert_uint_eq(t.len, len);
		ck_assert_uint_eq(t.hmac, s.hmac);
		ck_assert_mem_eq(t.key, s.key, len);
	}
}
END_TEST

static const char *const transformed[] = {
	[1] = "a915f8fc874ffdbf7cff7ac96aad8d8477cf055bd16bdd7b783bb1bfe960bf88",
	[2] = "1d1c5004f3cf7ce1899cd018f34b3606c7aee9d518c68a1c85ea718a19d38fd4cddb55fb257584e462"
	      "c2e46a3d90baf1",
	[3] = "514947ae4fb87a01f99ce704597a73476091d20c4d274dd5e0dff0f5c5f9db8413d2b1f681ca0e910"
	      "391d6827d25a0f512e1e68e11a51835c4e613155f2de743",
};

START_TEST(transformed_key_is_hmac_of_nqn_and_label)
{
	struct dhchap_secret s;
	uint8_t k[DHCHAP_MAX_SECRET];
	size_t klen;

	ck_assert_int_eq(dhchap_secret_parse(SPEC_TEXT, &s), 0);
	ck_assert_int_eq(dhchap_transform_key(&s, HOSTNQN, k, &klen), 0);
	ck_assert_uint_eq(klen, 32);
	ck_hex(k, SPEC_KEY); /* 00: no transformation */
	for (uint8_t h = 1; h <= 3; h++) {
		s.hmac = h;
		ck_assert_int_eq(dhchap_transform_key(&s, HOSTNQN, k, &klen), 0);
		ck_assert_uint_eq(klen, dhchap_hash_len(h));
		ck_hex(k, transformed[h]);
	}
}
END_TEST

START_TEST(responses_match_known_answers)
{
	uint8_t kh[32], c1[32], r[32];

	hex(transformed[1], kh, 32);
	for (int i = 0; i < 32; i++)
		c1[i] = (uint8_t)i;
	ck_assert_int_eq(dhchap_host_response(DHCHAP_SHA256, kh, 32, c1, 0x01020304, 0x0506, 0,
					      HOSTNQN, SUBNQN, r),
			 0);
	ck_hex(r, "1146ba3e09d11db3ba4594fe8f823f100efd75d99c5eac7b4382e2ef4a12465f");
	ck_assert_int_eq(dhchap_ctrl_response(DHCHAP_SHA256, kh, 32, c1, 0x01020304, 0x0506, 0,
					      SUBNQN, HOSTNQN, r),
			 0);
	ck_hex(r, "2af87cef5d3f147c070228039b88328e76ab9d1327292a7d44ba4ec30acba341");
}
END_TEST

START_TEST(augmented_challenge_over_ffdhe2048_matches_known_answer)
{
	uint8_t x[8], y[8], gx[256], gy[256], z1[256], z2[256], c[32], ca[32];
	struct dhchap_dh *a, *b;

	hex("1234567890abcdef", x, 8);
	hex("fedcba0987654321", y, 8);
	ck_assert_int_eq(dhchap_dh_from_private(DHCHAP_FFDHE2048, x, 8, &a), 0);
	ck_assert_int_eq(dhchap_dh_from_private(DHCHAP_FFDHE2048, y, 8, &b), 0);
	ck_assert_int_eq(dhchap_dh_public(a, gx, sizeof(gx)), 0);
	ck_assert_int_eq(dhchap_dh_public(b, gy, sizeof(gy)), 0);
	ck_assert_int_eq(dhchap_dh_shared(a, gy, sizeof(gy), z1), 0);
	ck_assert_int_eq(dhchap_dh_shared(b, gx, sizeof(gx), z2), 0);
	ck_assert_mem_eq(z1, z2, sizeof(z1));
	for (int i = 0; i < 32; i++)
		c[i] = (uint8_t)i;
	ck_assert_int_eq(dhchap_augment(DHCHAP_SHA256, z1, sizeof(z1), c, ca), 0);
	ck_hex(ca, "83488cc9b998b246bc59533c6fef1a189cc7e27ceff4d4cfb470e208320367b9");
	/* Without DH the challenge is used as it is. */
	ck_assert_int_eq(dhchap_augment(DHCHAP_SHA256, NULL, 0, c, ca), 0);
	ck_assert_mem_eq(ca, c, 32);
	dhchap_dh_free(a);
	dhchap_dh_free(b);
}
END_TEST

/* p - 1 of ffdhe2048 (RFC 7919), the one value besides 0 and 1 in a small subgroup. */
static const char ffdhe2048_p_minus_1[] =
	"ffffffffffffffffadf85458a2bb4a9aafdc5620273d3cf1d8b9c583ce2d3695a9e13641146433fb"
	"cc939dce249b3ef97d2fe363630c75d8f681b202aec4617ad3df1ed5d5fd65612433f51f5f066ed0"
	"856365553ded1af3b557135e7f57c935984f0c70e0e68b77e2a689daf3efe8721df158a136ade735"
	"30acca4f483a797abc0ab182b324fb61d108a94bb2c8e3fbb96adab760d7f4681d4f42a3de394df4"
	"ae56ede76372bb190b07a7c8ee0a6d709e02fce1cdf7e2ecc03404cd28342f619172fe9ce98583ff"
	"8e4f1232eef28183c3fe3b1b4c6fad733bb5fcbc2ec22005c58ef1837d1683b2c6f34a26c1b2effa"
	"886b423861285c97fffffffffffffffe";

START_TEST(trivial_peer_values_are_refused)
{
	struct dhchap_dh *a;
	uint8_t v[256] = {0}, z[256];

	ck_assert_int_eq(dhchap_dh_generate(DHCHAP_FFDHE2048, &a), 0);
	ck_assert_int_eq(dhchap_dh_shared(a, v, sizeof(v), z), -EBADMSG);
	v[255] = 1;
	ck_assert_int_eq(dhchap_dh_shared(a, v, sizeof(v), z), -EBADMSG);
	memset(v, 0xff, sizeof(v)); /* beyond p */
	ck_assert_int_eq(dhchap_dh_shared(a, v, sizeof(v), z), -EBADMSG);
	hex(ffdhe2048_p_minus_1, v, sizeof(v));
	ck_assert_int_eq(dhchap_dh_shared(a, v, sizeof(v), z), -EBADMSG);
	v[255]--; /* p - 2: not in a small subgroup */
	ck_assert_int_eq(dhchap_dh_shared(a, v, sizeof(v), z), 0);
	ck_assert_int_eq(dhchap_dh_shared(a, v, 128, z), -EINVAL);
	dhchap_dh_free(a);
}
END_TEST

/* Every group: both sides generate, exchange public values and agree. */
START_TEST(every_group_agrees)
{
	uint8_t g = (uint8_t)(_i + DHCHAP_FFDHE2048);
	size_t n = dhchap_dh_len(g);
	uint8_t pa[DHCHAP_MAX_DHVLEN], pb[DHCHAP_MAX_DHVLEN], za[DHCHAP_MAX_DHVLEN],
		zb[DHCHAP_MAX_DHVLEN];
	struct dhchap_dh *a, *b;

	ck_assert_int_eq(dhchap_dh_generate(g, &a), 0);
	ck_assert_int_eq(dhchap_dh_generate(g, &b), 0);
	ck_assert_int_eq(dhchap_dh_public(a, pa, n), 0);
	ck_assert_int_eq(dhchap_dh_public(b, pb, n), 0);
	ck_assert_int_eq(dhchap_dh_shared(a, pb, n, za), 0);
	ck_assert_int_eq(dhchap_dh_shared(b, pa, n, zb), 0);
	ck_assert_mem_eq(za, zb, n);
	dhchap_dh_free(a);
	dhchap_dh_free(b);
}
END_TEST

START_TEST(names_and_lengths)
{
	ck_assert_uint_eq(dhchap_hash_len(DHCHAP_SHA384), 48);
	ck_assert_uint_eq(dhchap_hash_len(0), 0);
	ck_assert_uint_eq(dhchap_hash_len(4), 0);
	ck_assert_int_eq(dhchap_hash_by_name("SHA512"), DHCHAP_SHA512);
	ck_assert_int_eq(dhchap_dh_by_name("ffdhe6144"), DHCHAP_FFDHE6144);
	ck_assert_int_eq(dhchap_dh_by_name("null"), DHCHAP_DH_NULL);
	ck_assert_int_lt(dhchap_dh_by_name("ffdhe1024"), 0);
	ck_assert_uint_eq(dhchap_dh_len(DHCHAP_FFDHE8192), 1024);
	ck_assert_uint_eq(dhchap_dh_len(DHCHAP_DH_NULL), 0);
}
END_TEST

/* ---- messages ---- */

START_TEST(negotiate_as_linux_sends_it_decodes)
{
	const uint8_t hashes[] = {1, 2, 3}, dh[] = {0, 1, 2, 3, 4, 5};
	uint8_t buf[72], reason;
	struct auth_msg m;

	ck_assert_uint_eq(auth_negotiate_encode(buf, sizeof(buf), 7, 0, hashes, 3, dh, 6), 72);
	ck_assert_int_eq(auth_msg_decode(buf, sizeof(buf), &m, &reason), 0);
	ck_assert_int_eq(m.kind, AUTH_NEGOTIATE);
	ck_assert_uint_eq(m.t_id, 7);
	ck_assert_uint_eq(m.negotiate.halen, 3);
	ck_assert_uint_eq(m.negotiate.dhlen, 6);
	ck_assert_mem_eq(m.negotiate.dh_ids, dh, 6);
	/* The descriptor at offset 8: AuthID 1, HALEN 3, DHLEN 6, the lists at 4 and 34. */
	ck_assert_uint_eq(buf[8], 1);
	ck_assert_uint_eq(buf[12], 1);
	ck_assert_uint_eq(buf[8 + 34 + 5], 5);
	ck_assert_int_eq(auth_msg_decode(buf, 71, &m, &reason), -EBADMSG);
	ck_assert_uint_eq(reason, AUTH_FAIL_INCORRECT_PAYLOAD);
	buf[8] = 2; /* no DH-HMAC-CHAP descriptor */
	ck_assert_int_eq(auth_msg_decode(buf, sizeof(buf), &m, &reason), -EBADMSG);
	ck_assert_uint_eq(reason, AUTH_FAIL_PROTOCOL_UNUSABLE);
}
END_TEST

START_TEST(reply_lengths_are_checked_against_the_buffer)
{
	uint8_t r[32] = {1}, c[32] = {2}, dhv[256] = {3}, buf[16 + 64 + 256], reason;
	struct auth_msg m;
	size_t len = auth_reply_encode(buf, sizeof(buf), 9, 32, r, c, 42, dhv, sizeof(dhv));

	ck_assert_uint_eq(len, sizeof(buf));
	ck_assert_int_eq(auth_msg_decode(buf, len, &m, &reason), 0);
	ck_assert_int_eq(m.kind, AUTH_REPLY);
	ck_assert_uint_eq(m.reply.cvalid, 1);
	ck_assert_uint_eq(m.reply.seqnum, 42);
	ck_assert_uint_eq(m.reply.dhvlen, 256);
	ck_assert_ptr_eq(m.reply.dhv, buf + 80);
	ck_assert_int_eq(auth_msg_decode(buf, len - 1, &m, &reason), -EBADMSG);
	buf[6] = 33; /* not a hash length */
	ck_assert_int_eq(auth_msg_decode(buf, len, &m, &reason), -EBADMSG);
	buf[6] = 32;
	buf[10] = 2; /* DHVLEN not a multiple of 4 */
	ck_assert_int_eq(auth_msg_decode(buf, len, &m, &reason), -EBADMSG);
}
END_TEST

START_TEST(controller_messages_have_their_layout)
{
	uint8_t c[48], buf[16 + 48 + 384] = {0}, reason;
	struct auth_msg m;

	memset(c, 0xcc, sizeof(c));
	size_t len = auth_challenge_encode(buf, sizeof(buf), 3, DHCHAP_SHA384, 48, DHCHAP_FFDHE3072,
					   0x11223344, c, buf + 64, 384);
	ck_assert_uint_eq(len, sizeof(buf));
	ck_assert_uint_eq(buf[0], 1);
	ck_assert_uint_eq(buf[1], 1);
	ck_assert_uint_eq(buf[6], 48);
	ck_assert_uint_eq(buf[8], 2);
	ck_assert_uint_eq(buf[9], 2);
	ck_assert_uint_eq(buf[10] | buf[11] << 8, 384);
	ck_assert_uint_eq(buf[12], 0x44);
	ck_assert_int_eq(auth_msg_decode(buf, len, &m, &reason), 0);
	ck_assert_uint_eq(m.challenge.seqnum, 0x11223344);

	ck_assert_uint_eq(auth_success1_encode(buf, sizeof(buf), 3, 48, NULL), 64);
	ck_assert_uint_eq(buf[1], 3);
	ck_assert_uint_eq(buf[6], 48); /* HL even without R2 */
	ck_assert_uint_eq(buf[8], 0);

	ck_assert_uint_eq(auth_failure_encode(buf, sizeof(buf), AUTH_FAILURE1, 3, AUTH_FAIL_FAILED),
			  8);
	const uint8_t f1[] = {0x00, 0xf1, 0, 0, 3, 0, 0x01, 0x01};
	ck_assert_mem_eq(buf, f1, 8);
	ck_assert_uint_eq(auth_success2_encode(buf, 8, 3), 16); /* too small: nothing written */
}
END_TEST

START_TEST(unknown_messages_are_protocol_errors)
{
	uint8_t buf[16] = {0x01, 0x09}, reason;
	struct auth_msg m;

	ck_assert_int_eq(auth_msg_decode(buf, sizeof(buf), &m, &reason), -EPROTO);
	ck_assert_int_eq(auth_msg_decode(buf, 4, &m, &reason), -EBADMSG);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("auth");
	TCase *tc = tcase_create("dhchap");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, spec_secret_parses_to_its_key);
	tcase_add_test(tc, secret_with_bad_crc_is_refused);
	tcase_add_test(tc, malformed_secrets_are_refused);
	tcase_add_test(tc, secret_without_trailing_colon_parses);
	tcase_add_test(tc, secrets_of_48_and_64_bytes_round_trip);
	tcase_add_test(tc, transformed_key_is_hmac_of_nqn_and_label);
	tcase_add_test(tc, responses_match_known_answers);
	tcase_add_test(tc, augmented_challenge_over_ffdhe2048_matches_known_answer);
	tcase_add_test(tc, trivial_peer_values_are_refused);
	tcase_add_loop_test(tc, every_group_agrees, 0, 5);
	tcase_add_test(tc, names_and_lengths);
	tcase_add_test(tc, negotiate_as_linux_sends_it_decodes);
	tcase_add_test(tc, reply_lengths_are_checked_against_the_buffer);
	tcase_add_test(tc, controller_messages_have_their_layout);
	tcase_add_test(tc, unknown_messages_are_protocol_errors);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());

	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
