/* test_startup.c - what cdcd does with a configuration or a state directory that is not what
 * it should be: it says so and does not start (or, on SIGHUP, keeps what runs), instead of
 * hanging on a FIFO, truncating a name, starting an empty store or running without its API. */
#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

#define NO_GROUP "cdc-test-no-such-group"

static char state[160], sock[160];
static char resp[API_BODY_MAX];

static void dir_create(void)
{
	snprintf(t.dir, sizeof(t.dir), "/tmp/cdc-test.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(t.dir));
	snprintf(t.conf, sizeof(t.conf), "%s/cdcd.conf", t.dir);
	snprintf(t.log, sizeof(t.log), "%s/cdcd.log", t.dir);
	snprintf(state, sizeof(state), "%s/state", t.dir);
	snprintf(sock, sizeof(sock), "%s/cdcd.sock", t.dir);
	ck_assert_int_eq(mkdir(state, 0750), 0);
	t.port = free_port();
}

static void dir_remove(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", t.dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", t.dir);
}

/* A configuration without "nqn =", so that the one in the state directory is used. */
static void write_conf(const char *extra)
{
	FILE *f = fopen(t.conf, "w");

	ck_assert_ptr_nonnull(f);
	fprintf(f, "[global]\nlisten = 127.0.0.1:%u\ncontrol-socket = %s\n%s", t.port, sock,
		extra ? extra : "");
	fclose(f);
}

/* Runs cdcd; returns its exit status, or -1 if it started serving or was still running after
 * 5 s (then it is stopped). The log is in t.log. */
static int run_cdcd(void)
{
	const char *cdcd = getenv("CDCD");
	int status = 0;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (!freopen(t.log, "a", stderr))
			_exit(126);
		execl(cdcd ? cdcd : "./cdcd", "cdcd", "--foreground", "--config", t.conf,
		      "--state-dir", state, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 250; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		if (log_contains("serving"))
			break;
		usleep(20000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

static void assert_refused(int want_status, const char *message)
{
	int rc = run_cdcd();

	ck_assert_msg(rc == want_status, "exit %d, not %d", rc, want_status);
	ck_assert_msg(log_contains(message), "no '%s' in the log", message);
}

/* Before: open() waited for a writer, so cdcd never started nor said why. */
START_TEST(a_fifo_as_configuration_is_refused_at_start)
{
	ck_assert_int_eq(mkfifo(t.conf, 0600), 0);
	assert_refused(1, "a FIFO, not a regular file");
}
END_TEST

/* Before: the first 223 bytes, a valid NQN of another name, were used. */
START_TEST(an_overlong_nqn_in_the_state_directory_is_refused)
{
	char path[200], text[301];

	memset(text, 'a', 300);
	memcpy(text, "nqn.2014-08.org.example:", 24);
	text[300] = '\n';
	snprintf(path, sizeof(path), "%s/nqn", state);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fwrite(text, 1, sizeof(text), f);
	fclose(f);
	write_conf(NULL);
	assert_refused(1, "longer than an NQN");
}
END_TEST

/* Before: SQLite took the empty file for a new database; every registration was gone. */
START_TEST(an_empty_store_is_refused)
{
	char path[200];

	snprintf(path, sizeof(path), "%s/cdcd.db", state);
	int fd = open(path, O_CREAT | O_WRONLY, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	write_conf("nqn = " CDC_NQN "\n");
	assert_refused(1, "is empty (0 bytes)");

	/* A store that does not exist yet is a new one. */
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(run_cdcd(), -1);
	ck_assert(log_contains("serving"));
}
END_TEST

/* Before: the socket file was left behind with nobody listening, and cdcd ran without its
 * control API. */
START_TEST(an_unknown_control_socket_group_fails_at_start)
{
	struct stat st;

	write_conf("nqn = " CDC_NQN "\ncontrol-socket-group = " NO_GROUP "\n");
	assert_refused(1, "control-socket-group '" NO_GROUP "': no such group");
	ck_assert_int_eq(stat(sock, &st), -1);
}
END_TEST

/* ---- reloads, on a running daemon ---- */

static void serves_hosts_and_the_api(void)
{
	struct nvmf_host *h = host_connect(0);
	struct log_result l = read_disc_log(h);

	ck_assert_uint_eq(get_le64(l.log + 8), 5);
	free(l.log);
	nvmf_host_free(h);
	ck_assert_int_eq(api_call("GET", "/v1/status", NULL, resp, sizeof(resp)), 200);
}

/* Before: SIGHUP made the loop wait in open() for a writer: no discovery, no API. */
START_TEST(a_fifo_on_reload_keeps_the_running_configuration)
{
	ck_assert_int_eq(unlink(t.conf), 0);
	ck_assert_int_eq(mkfifo(t.conf, 0600), 0);
	kill(t.pid, SIGHUP);
	for (int i = 0; i < 150 && !log_contains("keeping the running"); i++)
		usleep(20000);
	if (!log_contains("keeping the running")) {
		/* Let a daemon stuck in open() go, so that it can be stopped. */
		int fd = open(t.conf, O_WRONLY | O_NONBLOCK);
		if (fd >= 0)
			close(fd);
		ck_abort_msg("cdcd did not refuse the FIFO");
	}
	ck_assert(log_contains("a FIFO, not a regular file"));
	serves_hosts_and_the_api();
}
END_TEST

START_TEST(an_unknown_group_on_reload_keeps_the_socket)
{
	t.global_extra = "control-socket-group = " NO_GROUP "\n";
	reload_with(NULL);
	ck_assert(log_contains("keeping the running"));
	serves_hosts_and_the_api();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("start and reload");
	TCase *start = tcase_create("start");
	TCase *reload = tcase_create("reload");

	tcase_add_checked_fixture(start, dir_create, dir_remove);
	tcase_set_timeout(start, 30);
	tcase_add_test(start, a_fifo_as_configuration_is_refused_at_start);
	tcase_add_test(start, an_overlong_nqn_in_the_state_directory_is_refused);
	tcase_add_test(start, an_empty_store_is_refused);
	tcase_add_test(start, an_unknown_control_socket_group_fails_at_start);
	suite_add_tcase(s, start);
	tcase_add_checked_fixture(reload, start_daemon, stop_daemon);
	tcase_set_timeout(reload, 30);
	tcase_add_test(reload, a_fifo_on_reload_keeps_the_running_configuration);
	tcase_add_test(reload, an_unknown_group_on_reload_keeps_the_socket);
	suite_add_tcase(s, reload);
	SRunner *sr = srunner_create(s);
	signal(SIGPIPE, SIG_IGN);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
