/* test_systemd.c - cdcd as systemd sees it, without systemd: the sd_notify(3) messages it
 * sends to a datagram socket named by NOTIFY_SOCKET (READY=1, STATUS=, RELOADING=1 around
 * SIGHUP, WATCHDOG=1 at half of WATCHDOG_USEC, STOPPING=1), and the "<N>" priority prefix
 * its lines carry when JOURNAL_STREAM says stderr is the journal. */
#include <check.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

/* The notify socket, in the abstract namespace ("@..."): nothing to clean up. */
static char notify_name[64];
static int nfd = -1;
/* Every line received so far, and how far the test has read them. */
static char seen[256 * 1024];
static size_t seen_len, cursor;
static const char *watchdog_pid; /* NULL: this daemon's own pid */

static void notify_open(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	if (nfd >= 0)
		close(nfd); /* a test that starts its own daemon: a fresh socket, same name */
	snprintf(notify_name, sizeof(notify_name), "@cdc-test-notify-%d", (int)getpid());
	size_t len = strlen(notify_name);
	memcpy(sa.sun_path + 1, notify_name + 1, len - 1); /* sun_path[0] = 0: abstract */
	nfd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(nfd, 0);
	socklen_t salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	ck_assert_int_eq(bind(nfd, (struct sockaddr *)&sa, salen), 0);
	seen_len = cursor = 0;
}

static void systemd_env(void)
{
	char pid[32];

	snprintf(pid, sizeof(pid), "%d", (int)getpid()); /* exec keeps it */
	setenv("NOTIFY_SOCKET", notify_name, 1);
	setenv("WATCHDOG_USEC", "400000", 1);
	setenv("WATCHDOG_PID", watchdog_pid ? watchdog_pid : pid, 1);
}

static void setup(void)
{
	notify_open();
	watchdog_pid = NULL;
	t.before_exec = systemd_env;
	start_daemon();
}

/* Tests that stop the daemon themselves leave t.pid 0; stop_daemon() would call that
 * unclean. */
static void teardown(void)
{
	if (t.pid > 0) {
		stop_daemon();
	} else {
		char cmd[128];
		event_base_free(t.base);
		t.base = NULL;
		snprintf(cmd, sizeof(cmd), "rm -rf %s", t.dir);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", t.dir);
	}
	close(nfd);
	nfd = -1;
}

/* Receive one datagram within ms; false on timeout. Its lines join seen. */
static bool receive(int ms)
{
	struct pollfd p = {.fd = nfd, .events = POLLIN};

	if (poll(&p, 1, ms) <= 0)
		return false;
	ssize_t n = recv(nfd, seen + seen_len, sizeof(seen) - seen_len - 2, 0);
	ck_assert_int_gt(n, 0);
	seen_len += (size_t)n;
	seen[seen_len++] = '\n';
	seen[seen_len] = 0;
	return true;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* The next line after the cursor that starts with want (a whole line unless want ends in
 * '='), waiting up to ms for it; the cursor moves past it. Returns the line. */
static const char *expect(const char *want, int ms)
{
	static char line[512];
	long long deadline = now_ms() + ms;
	size_t wlen = strlen(want);
	bool prefix = want[wlen - 1] == '=';

	for (;;) {
		while (cursor < seen_len) {
			char *end = strchr(seen + cursor, '\n');
			size_t len = (size_t)(end - (seen + cursor));
			bool hit = !strncmp(seen + cursor, want, wlen) && (prefix || len == wlen);
			snprintf(line, sizeof(line), "%.*s", (int)len, seen + cursor);
			cursor += len + 1;
			if (hit)
				return line;
		}
		long long left = deadline - now_ms();
		ck_assert_msg(left > 0 && receive((int)left), "no %s in time; got:\n%s", want, seen);
	}
}

/* Receive whatever comes for ms. */
static void drain(int ms)
{
	long long deadline = now_ms() + ms;

	for (long long left = ms; left > 0; left = deadline - now_ms())
		receive((int)left);
}

static int count_lines(const char *want)
{
	int n = 0;

	for (const char *p = seen; (p = strstr(p, want)); p++)
		n += (p == seen || p[-1] == '\n') && p[strlen(want)] == '\n';
	return n;
}

START_TEST(notifications_follow_the_daemons_life_in_order)
{
	expect("READY=1", 2000);
	const char *status = expect("STATUS=", 100);
	ck_assert_msg(strstr(status, "connections: 0, controllers: 0, GENCTR: "), "%s", status);

	struct nvmf_host *h = host_connect(0);
	status = expect("STATUS=", 3000);
	ck_assert_msg(strstr(status, "connections: 1, controllers: 1, GENCTR: "), "%s", status);
	nvmf_host_free(h);

	kill(t.pid, SIGHUP);
	expect("RELOADING=1", 3000);
	expect("READY=1", 3000);

	int before = count_lines("WATCHDOG=1");
	drain(1500);
	/* Every 200 ms: at least 4 in 1.5 s even on a loaded machine. */
	ck_assert_int_ge(count_lines("WATCHDOG=1") - before, 4);

	kill(t.pid, SIGTERM);
	expect("STOPPING=1", 3000);
	int st = -1;
	ck_assert_int_eq(waitpid(t.pid, &st, 0), t.pid);
	t.pid = 0;
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}
END_TEST

START_TEST(status_is_sent_only_when_it_changes)
{
	expect("READY=1", 2000);
	expect("STATUS=", 100);
	drain(2500);
	/* Nothing changed since READY=1: no second STATUS= in two polls. */
	ck_assert_ptr_null(strstr(seen + cursor, "STATUS="));
}
END_TEST

START_TEST(a_watchdog_meant_for_another_process_is_not_kicked)
{
	stop_daemon();
	notify_open();
	watchdog_pid = "1"; /* sd_watchdog_enabled(3): WATCHDOG_PID must be our own pid */
	start_daemon();
	expect("READY=1", 2000);
	drain(1000);
	ck_assert_int_eq(count_lines("WATCHDOG=1"), 0);
}
END_TEST

/* ---- JOURNAL_STREAM ---- */

static char journal_stream[64];
static bool other_inode; /* JOURNAL_STREAM names another file */

/* JOURNAL_STREAM as systemd sets it, for the stderr cdcd has (the log file), or off by
 * one inode: a stream inherited from elsewhere. */
static void journal_env(void)
{
	struct stat st;

	if (fstat(STDERR_FILENO, &st) < 0)
		_exit(125);
	snprintf(journal_stream, sizeof(journal_stream), "%llu:%llu",
		 (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino + (other_inode ? 1 : 0));
	setenv("JOURNAL_STREAM", journal_stream, 1);
}

START_TEST(on_the_journal_each_line_starts_with_its_priority)
{
	other_inode = false;
	t.before_exec = journal_env;
	start_daemon();
	ck_assert(log_contains("<6>cdcd "));
	ck_assert(!log_contains("cdcd: info:"));
	stop_daemon();
}
END_TEST

START_TEST(a_journal_stream_that_is_not_stderr_changes_nothing)
{
	other_inode = true;
	t.before_exec = journal_env;
	start_daemon();
	ck_assert(log_contains("cdcd: info: cdcd "));
	ck_assert(!log_contains("<6>"));
	stop_daemon();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("systemd");
	TCase *notify = tcase_create("notify");
	TCase *journal = tcase_create("journal");

	tcase_add_checked_fixture(notify, setup, teardown);
	tcase_set_timeout(notify, 30);
	tcase_add_test(notify, notifications_follow_the_daemons_life_in_order);
	tcase_add_test(notify, status_is_sent_only_when_it_changes);
	tcase_add_test(notify, a_watchdog_meant_for_another_process_is_not_kicked);
	suite_add_tcase(s, notify);
	tcase_set_timeout(journal, 30);
	tcase_add_test(journal, on_the_journal_each_line_starts_with_its_priority);
	tcase_add_test(journal, a_journal_stream_that_is_not_stderr_changes_nothing);
	suite_add_tcase(s, journal);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
