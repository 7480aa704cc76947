/* test_host_auth.c - the stored DH-HMAC-CHAP settings in memory: keys checked as the keys
 * file checks them, entries set, replaced and forgotten by NQN, and the keys file's section
 * taking precedence over the stored one. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "host_auth.h"

#define KEY1   "DHHC-1:00:ia6zGodOr4SEG0Zzaw398rpY0wqipUWj4jWjUh4HWUz6aQ2n:"
#define KEY2   "DHHC-1:01:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR:"
#define BADCRC "DHHC-1:00:ia6zGodOr4SEG0Zzaw398rpY0wqipUWj4jWjUh4HWUz6aQ2m:"
#define H1     "nqn.2014-08.org.example:h1"
#define H2     "nqn.2014-08.org.example:h2"

START_TEST(keys_are_parsed_and_a_bad_one_is_named)
{
	struct auth_host h;
	const char *which = NULL;

	ck_assert_int_eq(host_auth_parse(&h, H1, KEY1, KEY2, true, &which), 0);
	ck_assert_str_eq(h.nqn, H1);
	ck_assert_uint_eq(h.key.len, 32);
	ck_assert(h.has_ctrl_key);
	ck_assert(h.require);
	ck_assert_int_eq(host_auth_parse(&h, H1, KEY1, NULL, false, &which), 0);
	ck_assert(!h.has_ctrl_key);
	ck_assert_int_eq(host_auth_parse(&h, H1, BADCRC, NULL, true, &which), -EBADMSG);
	ck_assert_str_eq(which, "key");
	ck_assert_uint_eq(h.key.len, 0); /* wiped */
	ck_assert_int_eq(host_auth_parse(&h, H1, KEY1, "DHHC-1:01:AAAA:", true, &which), -EINVAL);
	ck_assert_str_eq(which, "ctrl_key");
	ck_assert_int_eq(host_auth_parse(&h, "not an nqn", KEY1, NULL, true, &which), -EINVAL);
	ck_assert_str_eq(which, "hostnqn");
}
END_TEST

START_TEST(entries_are_set_replaced_and_forgotten_by_nqn)
{
	struct host_auth_db *db = host_auth_db_new();
	struct auth_host h;
	const char *which;
	char nqn[64];

	ck_assert_ptr_nonnull(db);
	for (int i = 0; i < 1000; i++) {
		snprintf(nqn, sizeof(nqn), "nqn.2014-08.org.example:host%d", i);
		ck_assert_int_eq(
			host_auth_parse(&h, nqn, i % 2 ? KEY1 : KEY2, NULL, i % 3 == 0, &which), 0);
		ck_assert_int_eq(host_auth_db_put(db, &h), 0);
	}
	ck_assert_uint_eq(host_auth_db_count(db), 1000);
	for (int i = 0; i < 1000; i++) {
		snprintf(nqn, sizeof(nqn), "nqn.2014-08.org.example:host%d", i);
		const struct auth_host *e = host_auth_db_find(db, nqn);
		ck_assert_ptr_nonnull(e);
		ck_assert_str_eq(e->nqn, nqn);
		ck_assert_uint_eq(e->key.len, 32);
		ck_assert(e->require == (i % 3 == 0));
	}
	/* Replacing keeps one entry. */
	ck_assert_int_eq(
		host_auth_parse(&h, "nqn.2014-08.org.example:host7", KEY2, KEY1, true, &which), 0);
	ck_assert_int_eq(host_auth_db_put(db, &h), 0);
	ck_assert_uint_eq(host_auth_db_count(db), 1000);
	ck_assert(host_auth_db_find(db, "nqn.2014-08.org.example:host7")->has_ctrl_key);
	ck_assert_int_eq(host_auth_db_del(db, "nqn.2014-08.org.example:host7"), 0);
	ck_assert_int_eq(host_auth_db_del(db, "nqn.2014-08.org.example:host7"), -ENOENT);
	ck_assert_ptr_null(host_auth_db_find(db, "nqn.2014-08.org.example:host7"));
	ck_assert_uint_eq(host_auth_db_count(db), 999);
	host_auth_db_free(db);
}
END_TEST

START_TEST(the_keys_file_comes_before_the_store)
{
	static const char file[] = "[host " H1 "]\ndhchap-key = " KEY1 "\nrequire-auth = no\n";
	struct auth_keys keys;
	struct host_auth_db *db = host_auth_db_new();
	struct auth_host h;
	const char *which;
	char err[256];
	bool from_file = true;

	ck_assert_int_eq(auth_keys_parse(&keys, "keys", file, strlen(file), err, sizeof(err)), 0);
	ck_assert_int_eq(host_auth_parse(&h, H1, KEY2, NULL, true, &which), 0);
	ck_assert_int_eq(host_auth_db_put(db, &h), 0);
	ck_assert_int_eq(host_auth_parse(&h, H2, KEY2, NULL, true, &which), 0);
	ck_assert_int_eq(host_auth_db_put(db, &h), 0);

	const struct auth_host *e = host_auth_lookup(&keys, db, H1, &from_file);
	ck_assert(from_file);
	ck_assert(!e->require); /* the file's section, not the stored one */
	e = host_auth_lookup(&keys, db, H2, &from_file);
	ck_assert(!from_file);
	ck_assert(e->require);
	ck_assert_ptr_null(host_auth_lookup(&keys, db, "nqn.2014-08.org.example:h3", NULL));
	ck_assert_ptr_null(host_auth_lookup(NULL, NULL, H1, NULL));
	ck_assert_ptr_nonnull(host_auth_lookup(NULL, db, H1, NULL));
	auth_keys_free(&keys);
	host_auth_db_free(db);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("host_auth");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, keys_are_parsed_and_a_bad_one_is_named);
	tcase_add_test(tc, entries_are_set_replaced_and_forgotten_by_nqn);
	tcase_add_test(tc, the_keys_file_comes_before_the_store);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
