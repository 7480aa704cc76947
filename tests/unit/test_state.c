/* test_state.c - the state directory: the unique discovery NQN generated once, kept in
 * STATE_DIR/nqn and reused; files that are not what they should be are refused, never
 * read in part or waited on. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "state.h"

#define UUID_PREFIX "nqn.2014-08.org.nvmexpress:uuid:"

static char dir[PATH_MAX];

static void dir_create(void)
{
	snprintf(dir, sizeof(dir), "%s/cdc-state-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void dir_remove(void)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
}

static void path_of(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", dir, name);
}

static void write_file(const char *name, const char *text, size_t len)
{
	char path[PATH_MAX + 64];

	path_of(path, sizeof(path), name);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(text, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

static void read_file(const char *name, char *buf, size_t size)
{
	char path[PATH_MAX + 64];

	path_of(path, sizeof(path), name);
	FILE *f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	size_t n = fread(buf, 1, size - 1, f);
	buf[n] = 0;
	fclose(f);
}

START_TEST(nqn_is_generated_on_first_start_kept_and_reused)
{
	char nqn[CDC_NQN_MAX + 1] = "", again[CDC_NQN_MAX + 1] = "", file[512];
	char nested[PATH_MAX + 16];

	/* The state directory itself is created, parents included. */
	snprintf(nested, sizeof(nested), "%s/a/b", dir);
	ck_assert_int_eq(state_dir_prepare(nested), 0);
	ck_assert_int_eq(state_nqn_load(nested, nqn, sizeof(nqn)), 0);
	ck_assert_msg(!strncmp(nqn, UUID_PREFIX, strlen(UUID_PREFIX)), "%s", nqn);
	ck_assert(nqn_is_valid(nqn));
	ck_assert_uint_eq(strlen(nqn), strlen(UUID_PREFIX) + 36);

	read_file("a/b/nqn", file, sizeof(file));
	ck_assert_str_eq(file, strcat(strcpy(again, nqn), "\n"));

	memset(again, 0, sizeof(again));
	ck_assert_int_eq(state_nqn_load(nested, again, sizeof(again)), 0);
	ck_assert_str_eq(again, nqn);
}
END_TEST

START_TEST(two_state_directories_get_different_nqns)
{
	char a[CDC_NQN_MAX + 1], b[CDC_NQN_MAX + 1], sub[PATH_MAX + 8];

	snprintf(sub, sizeof(sub), "%s/b", dir);
	ck_assert_int_eq(state_dir_prepare(sub), 0);
	ck_assert_int_eq(state_nqn_load(dir, a, sizeof(a)), 0);
	ck_assert_int_eq(state_nqn_load(sub, b, sizeof(b)), 0);
	ck_assert_str_ne(a, b);
}
END_TEST

START_TEST(nqn_written_by_hand_is_used_as_is)
{
#define MINE "nqn.2014-08.org.example:cdc:kept"
	char nqn[CDC_NQN_MAX + 1];

	write_file("nqn", MINE "\r\n", strlen(MINE) + 2);
	ck_assert_int_eq(state_nqn_load(dir, nqn, sizeof(nqn)), 0);
	ck_assert_str_eq(nqn, MINE);
#undef MINE
}
END_TEST

/* 300 bytes that start like an NQN: the first 223 would be a valid, different NQN. */
START_TEST(overlong_nqn_file_is_refused_not_truncated)
{
	char text[301], nqn[CDC_NQN_MAX + 1] = "untouched";

	memset(text, 'a', sizeof(text) - 1);
	memcpy(text, "nqn.2014-08.org.example:", 24);
	text[300] = 0;
	write_file("nqn", text, 300);
	ck_assert_int_eq(state_nqn_load(dir, nqn, sizeof(nqn)), -ENAMETOOLONG);
	ck_assert_str_eq(nqn, "untouched");

	/* Exactly 223 bytes and a newline is an NQN. */
	text[CDC_NQN_MAX] = '\n';
	write_file("nqn", text, CDC_NQN_MAX + 1);
	ck_assert_int_eq(state_nqn_load(dir, nqn, sizeof(nqn)), 0);
	ck_assert_uint_eq(strlen(nqn), CDC_NQN_MAX);
}
END_TEST

START_TEST(nqn_file_with_junk_is_refused)
{
	static const char *const bad[] = {"", "\n", "not-an-nqn\n",
					  "nqn.2014-08.org.example:a\nnqn.2014-08.org.example:b\n"};
	char nqn[CDC_NQN_MAX + 1];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_file("nqn", bad[i], strlen(bad[i]));
		ck_assert_msg(state_nqn_load(dir, nqn, sizeof(nqn)) == -EINVAL, "'%s'", bad[i]);
	}
	write_file("nqn", "nqn.2014-08.org.example:a\0b", 27);
	ck_assert_int_eq(state_nqn_load(dir, nqn, sizeof(nqn)), -EINVAL);
}
END_TEST

/* Reading a FIFO would wait for a writer; Check's timeout fails the test if it does. */
START_TEST(nqn_fifo_is_refused_without_waiting)
{
	char path[PATH_MAX + 64], nqn[CDC_NQN_MAX + 1];

	path_of(path, sizeof(path), "nqn");
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	ck_assert_int_eq(state_nqn_load(dir, nqn, sizeof(nqn)), -EINVAL);
}
END_TEST

START_TEST(store_may_be_new_but_not_empty)
{
	char path[PATH_MAX + 64];

	path_of(path, sizeof(path), "cdcd.db");
	ck_assert_int_eq(state_store_check(path), 0); /* absent: a new store */
	write_file("cdcd.db", "", 0);
	ck_assert_int_eq(state_store_check(path), -ENODATA);
	write_file("cdcd.db", "SQLite format 3", 16);
	ck_assert_int_eq(state_store_check(path), 0);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	ck_assert_int_eq(state_store_check(path), -EINVAL);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	ck_assert_int_eq(state_store_check(path), -EINVAL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("state");
	TCase *tc = tcase_create("state");

	tcase_add_checked_fixture(tc, dir_create, dir_remove);
	tcase_add_test(tc, nqn_is_generated_on_first_start_kept_and_reused);
	tcase_add_test(tc, two_state_directories_get_different_nqns);
	tcase_add_test(tc, nqn_written_by_hand_is_used_as_is);
	tcase_add_test(tc, overlong_nqn_file_is_refused_not_truncated);
	tcase_add_test(tc, nqn_file_with_junk_is_refused);
	tcase_add_test(tc, nqn_fifo_is_refused_without_waiting);
	tcase_add_test(tc, store_may_be_new_but_not_empty);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
