/* test_log.c - what the log says and how: the "<N>" priority prefix when stderr is the
 * journal, whole lines, and rate limits that report what they suppressed, per peer
 * address, in a table that stays bounded. Includes log.c to drive the limits with a clock
 * of its own. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.c"

/* stderr goes to a temporary file during each test. */
static FILE *cap;
static int saved_stderr = -1;
static char out[1 << 16];

static void capture_start(void)
{
	cap = tmpfile();
	ck_assert_ptr_nonnull(cap);
	fflush(stderr);
	saved_stderr = dup(STDERR_FILENO);
	ck_assert_int_eq(dup2(fileno(cap), STDERR_FILENO), STDERR_FILENO);
	unsetenv("JOURNAL_STREAM");
	log_open(true, LOG_DEBUG);
}

static void capture_stop(void)
{
	fflush(stderr);
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	fclose(cap);
}

/* Everything logged so far. */
static const char *logged(void)
{
	fflush(stderr);
	size_t n = (size_t)pread(fileno(cap), out, sizeof(out) - 1, 0);
	out[n == (size_t)-1 ? 0 : n] = 0;
	return out;
}

static int count(const char *needle)
{
	int n = 0;

	for (const char *p = logged(); (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static void peer_at(struct ratelimit_peers *t, time_t now, const char *peer, const char *fmt,
		    ...) __attribute__((format(printf, 4, 5)));
static void peer_at(struct ratelimit_peers *t, time_t now, const char *peer, const char *fmt,
		    ...)
{
	va_list ap;

	va_start(ap, fmt);
	peer_vlog(t, now, peer, LOG_WARNING, fmt, ap);
	va_end(ap);
}

static void limited_at(struct ratelimit *rl, time_t now, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void limited_at(struct ratelimit *rl, time_t now, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ratelimit_vlog(rl, now, LOG_WARNING, fmt, ap);
	va_end(ap);
}

START_TEST(journal_stream_must_name_stderrs_device_and_inode)
{
	struct stat st = {.st_dev = 2049, .st_ino = 123456};

	ck_assert(journal_stream_is("2049:123456", &st));
	ck_assert(!journal_stream_is("2049:123457", &st));
	ck_assert(!journal_stream_is("2050:123456", &st));
	ck_assert(!journal_stream_is("2049:123456x", &st));
	ck_assert(!journal_stream_is("2049", &st));
	ck_assert(!journal_stream_is("", &st));
	ck_assert(!journal_stream_is(NULL, &st));
}
END_TEST

START_TEST(on_the_journal_each_line_starts_with_its_syslog_level)
{
	struct stat st;
	char env[64];

	ck_assert_int_eq(fstat(STDERR_FILENO, &st), 0);
	snprintf(env, sizeof(env), "%llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino);
	setenv("JOURNAL_STREAM", env, 1);
	log_open(true, LOG_DEBUG);
	log_err("disk %d", 1);
	log_warn("peer");
	log_debug("detail");
	ck_assert_str_eq(logged(), "<3>disk 1\n<4>peer\n<7>detail\n");
}
END_TEST

START_TEST(elsewhere_lines_keep_the_plain_format)
{
	setenv("JOURNAL_STREAM", "1:1", 1); /* inherited, but stderr is something else now */
	log_open(true, LOG_INFO);
	log_err("disk %d", 1);
	log_debug("not at this level");
	ck_assert_str_eq(logged(), "cdcd: error: disk 1\n");
}
END_TEST

START_TEST(an_overlong_message_is_cut_and_still_ends_its_line)
{
	static char big[3 * LOG_LINE_MAX];

	memset(big, 'x', sizeof(big) - 1);
	log_info("%s", big);
	log_info("next");
	const char *s = logged();
	const char *nl = strchr(s, '\n');
	ck_assert_ptr_nonnull(nl);
	ck_assert_int_eq(nl - s, LOG_LINE_MAX - 2);
	ck_assert_str_eq(nl + 1, "cdcd: info: next\n");
}
END_TEST

START_TEST(the_message_after_a_pause_says_how_many_were_suppressed)
{
	struct ratelimit rl = RATELIMIT_INIT(5, 2);

	for (int i = 0; i < 6; i++)
		limited_at(&rl, 100, "bad PDU %d", i);
	ck_assert_int_eq(count("bad PDU"), 2);
	limited_at(&rl, 105, "bad PDU again");
	ck_assert(strstr(logged(), "bad PDU again (4 similar messages suppressed)\n"));
	limited_at(&rl, 105, "and once more");
	ck_assert(strstr(logged(), "and once more\n"));
}
END_TEST

START_TEST(one_noisy_peer_does_not_silence_another)
{
	struct ratelimit_peers t;

	ratelimit_peers_init(&t, 5, 3);
	for (int port = 1000; port < 1010; port++) /* reconnecting: a new port each time */
		peer_at(&t, 100, "192.0.2.1:1234", "192.0.2.1:%d: bad PDU", port);
	peer_at(&t, 100, "[2001:db8::1]:4420", "quiet peer");
	ck_assert_int_eq(count("192.0.2.1:"), 3);
	ck_assert_int_eq(count("quiet peer"), 1);

	peer_at(&t, 104, "192.0.2.1:2000", "still suppressed");
	ck_assert_int_eq(count("still suppressed"), 0);
	peer_at(&t, 105, "192.0.2.1:2001", "resumed");
	ck_assert(strstr(logged(), "resumed (8 similar messages suppressed)\n"));
	ck_assert_int_eq(count("similar"), 1);
}
END_TEST

START_TEST(peer_addresses_share_a_limit_across_ports_only)
{
	struct ratelimit_peers t;

	ratelimit_peers_init(&t, 5, 1);
	peer_at(&t, 1, "[2001:db8::1]:4420", "a");
	peer_at(&t, 1, "[2001:db8::1]:4421", "b"); /* same address */
	peer_at(&t, 1, "[2001:db8::2]:4420", "c");
	peer_at(&t, 1, "2001:db8::3", "d"); /* bare, as registrations name it */
	peer_at(&t, 1, "2001:db8::4", "e");
	ck_assert_str_eq(logged(), "cdcd: warning: a\ncdcd: warning: c\ncdcd: warning: d\n"
				   "cdcd: warning: e\n");
}
END_TEST

START_TEST(the_peer_table_is_bounded_and_an_evicted_peer_reports_its_count)
{
	struct ratelimit_peers t;
	char peer[32];

	ratelimit_peers_init(&t, 5, 1);
	for (int i = 0; i < 3; i++)
		peer_at(&t, 1, "192.0.2.1:9", "noisy");
	ck_assert_int_eq(count("noisy"), 1);
	/* RATELIMIT_PEERS - 1 others fill the table; the next one evicts the oldest. */
	for (int i = 0; i < RATELIMIT_PEERS; i++) {
		snprintf(peer, sizeof(peer), "198.51.100.%d:1", i);
		peer_at(&t, 2, peer, "other");
		ck_assert_int_eq(count("192.0.2.1: 2 similar messages suppressed\n"),
				 i == RATELIMIT_PEERS - 1);
	}
	int used = 0;
	for (size_t i = 0; i < RATELIMIT_PEERS; i++)
		used += t.slot[i].addr[0] != 0;
	ck_assert_int_eq(used, RATELIMIT_PEERS);
	/* Back, it starts afresh: nothing suppressed is counted twice. */
	peer_at(&t, 3, "192.0.2.1:9", "noisy again");
	ck_assert(strstr(logged(), "noisy again\n"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("log");

	tcase_add_checked_fixture(tc, capture_start, capture_stop);
	tcase_add_test(tc, journal_stream_must_name_stderrs_device_and_inode);
	tcase_add_test(tc, on_the_journal_each_line_starts_with_its_syslog_level);
	tcase_add_test(tc, elsewhere_lines_keep_the_plain_format);
	tcase_add_test(tc, an_overlong_message_is_cut_and_still_ends_its_line);
	tcase_add_test(tc, the_message_after_a_pause_says_how_many_were_suppressed);
	tcase_add_test(tc, one_noisy_peer_does_not_silence_another);
	tcase_add_test(tc, peer_addresses_share_a_limit_across_ports_only);
	tcase_add_test(tc, the_peer_table_is_bounded_and_an_evicted_peer_reports_its_count);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
