/* test_api_limits.c - the control API against clients that do not play by the rules: headers
 * without end, requests trickled byte by byte, NQNs longer than an NQN, NULs and trailing
 * data in JSON, raw bytes a DDC put in its name; and host deletion. The real cdcd on
 * loopback; each test says what the daemon did before it was fixed. */
#include <check.h>
#include <errno.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "dim.h"
#include "testlib.h"

#define DDC1 "nqn.2014-08.org.example:ddc1"
#define SUB3 "nqn.2014-08.org.example:storage3"

static char resp[API_BODY_MAX];

static int api_socket(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct timeval tv = {5, 0};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	ck_assert_int_ge(fd, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/cdcd.sock", t.dir);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

static long vmrss_kib(pid_t pid)
{
	char path[64], line[256];
	long kib = -1;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
			break;
	fclose(f);
	ck_assert_int_gt(kib, 0);
	return kib;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void status_still_answers(void)
{
	ck_assert_int_eq(api_call("GET", "/v1/status", NULL, resp, sizeof(resp)), 200);
}

/* Before: evhttp kept every header line; 96 MiB of them took the daemon from 14 to 436 MiB. */
START_TEST(endless_headers_are_refused_and_memory_stays_bounded)
{
	static char chunk[64 * 1024];
	const size_t limit = 96u << 20;
	long before = vmrss_kib(t.pid);
	size_t sent = 0, line = 0;
	int fd = api_socket();

	ck_assert_int_eq(write(fd, "GET /v1/status HTTP/1.1\r\n", 25), 25);
	while (line + 1024 <= sizeof(chunk)) {
		int n = snprintf(chunk + line, 1024, "X-Pad-%06zu: ", line / 1024);
		memset(chunk + line + n, 'a', 1022 - (size_t)n);
		memcpy(chunk + line + 1022, "\r\n", 2);
		line += 1024;
	}
	while (sent < limit) {
		ssize_t n = write(fd, chunk, sizeof(chunk));
		if (n <= 0)
			break;
		sent += (size_t)n;
	}
	ck_assert_msg(sent < (16u << 20), "the daemon took %zu bytes of headers", sent);
	ssize_t got = read(fd, resp, sizeof(resp) - 1);
	if (got > 0) {
		resp[got] = 0;
		ck_assert_msg(!strncmp(resp, "HTTP/1.1 4", 10), "%s", resp);
	}
	close(fd);
	long after = vmrss_kib(t.pid);
	ck_assert_msg(after - before < 32 * 1024, "VmRSS %ld kB -> %ld kB", before, after);
	status_still_answers();
}
END_TEST

/* Before: the idle timeout restarts with every byte, so one byte every 2 s held a request
 * (and its memory) open for ever. Here api-request-timeout is 3 s. */
START_TEST(a_trickling_client_is_dropped_at_the_request_deadline)
{
	int fd = api_socket();
	double start = now(), dropped = 0;

	ck_assert_int_eq(write(fd, "GET /v1/status HTTP/1.1\r\nX-Slow: ", 33), 33);
	for (int i = 0; i < 8 && !dropped; i++) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (write(fd, "a", 1) != 1 || (poll(&p, 1, 2000) == 1 && read(fd, resp, 1) <= 0))
			dropped = now() - start;
	}
	close(fd);
	ck_assert_msg(dropped > 0, "still connected after %.1f s", now() - start);
	ck_assert_msg(dropped >= 2.5 && dropped < 6, "dropped after %.1f s", dropped);
	ck_assert(log_contains("took more than 3 s to arrive"));
	status_still_answers();
}
END_TEST

/* 223 bytes: the longest NQN. */
static void long_nqn(char *buf, size_t len, char fill)
{
	memset(buf, fill, len);
	memcpy(buf, "nqn.2014-08.org.example:", 24);
	buf[len] = 0;
}

/* Before: the path's NQN was cut to 223 bytes, so deleting a 300-byte one deleted the
 * subsystem named by its first 223. */
START_TEST(an_overlong_nqn_in_a_path_is_refused_and_its_prefix_survives)
{
	char nqn[CDC_NQN_MAX + 1], over[301], path[512], body[512];

	long_nqn(nqn, CDC_NQN_MAX, 'a');
	long_nqn(over, 300, 'a');
	snprintf(body, sizeof(body), "{\"nqn\":\"%s\"}", nqn);
	ck_assert_int_eq(api_call("POST", "/v1/subsystems", body, resp, sizeof(resp)), 201);

	static const char *const fmt[][2] = {
		{"DELETE", "/v1/subsystems/%s"},
		{"GET", "/v1/subsystems/%s"},
		{"POST", "/v1/subsystems/%s/ports"},
		{"DELETE", "/v1/subsystems/%s/ports/192.0.2.1/4420"},
		{"GET", "/v1/hosts/%s"},
		{"GET", "/v1/hosts/%s/log"},
		{"DELETE", "/v1/hosts/%s"},
	};
	for (size_t i = 0; i < sizeof(fmt) / sizeof(fmt[0]); i++) {
		snprintf(path, sizeof(path), fmt[i][1], over);
		int code =
			api_call(fmt[i][0], path, "{\"traddr\":\"192.0.2.1\"}", resp, sizeof(resp));
		ck_assert_msg(code == 400, "%s %s: %d %s", fmt[i][0], fmt[i][1], code, resp);
	}
	snprintf(body, sizeof(body), "{\"nqn\":\"%s\"}", over);
	ck_assert_int_eq(api_call("POST", "/v1/subsystems", body, resp, sizeof(resp)), 400);
	/* A NUL in the path ends the NQN just as well. */
	snprintf(path, sizeof(path), "/v1/subsystems/%s%%00tail", nqn);
	ck_assert_int_eq(api_call("DELETE", path, NULL, resp, sizeof(resp)), 400);

	snprintf(path, sizeof(path), "/v1/subsystems/%s", nqn);
	ck_assert_int_eq(api_call("GET", path, NULL, resp, sizeof(resp)), 200);
	ck_assert_int_eq(api_call("DELETE", path, NULL, resp, sizeof(resp)), 204);
}
END_TEST

/* Before: the value ended at the NUL and "nul" was created. */
START_TEST(a_nul_in_a_json_string_is_refused)
{
	static const char *const bodies[] = {
		"{\"nqn\":\"nqn.2014-08.org.example:nul\\u0000tail\"}",
		"{\"nqn\\u0000x\":\"nqn.2014-08.org.example:nul\"}",
	};

	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		int code = api_call("POST", "/v1/subsystems", bodies[i], resp, sizeof(resp));
		ck_assert_msg(code == 400, "%s: %d %s", bodies[i], code, resp);
	}
	ck_assert_int_eq(api_call("POST", "/v1/subsystems/" SUB1 "/ports",
				  "{\"traddr\":\"192.0.2.77\\u0000;portid=9\"}", resp,
				  sizeof(resp)),
			 400);
	ck_assert_int_eq(api_call("GET", "/v1/subsystems/nqn.2014-08.org.example:nul", NULL, resp,
				  sizeof(resp)),
			 404);
	/* An escaped backslash before "u0000" is no NUL. */
	ck_assert_int_eq(api_call("POST", "/v1/subsystems",
				  "{\"nqn\":\"nqn.2014-08.org.example:a\\\\u0000\"}", resp,
				  sizeof(resp)),
			 201);
}
END_TEST

/* Before: the first object was taken and the rest ignored. */
START_TEST(trailing_data_after_the_json_body_is_refused)
{
	static const char *const bodies[] = {
		"{\"nqn\":\"nqn.2014-08.org.example:trail\"} garbage",
		"{\"nqn\":\"nqn.2014-08.org.example:trail\"}{\"nqn\":\"x\"}",
		"{\"nqn\":\"nqn.2014-08.org.example:trail\"}]",
	};

	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		int code = api_call("POST", "/v1/subsystems", bodies[i], resp, sizeof(resp));
		ck_assert_msg(code == 400, "%s: %d %s", bodies[i], code, resp);
	}
	ck_assert_int_eq(api_call("GET", "/v1/subsystems/nqn.2014-08.org.example:trail", NULL, resp,
				  sizeof(resp)),
			 404);
	ck_assert_int_eq(api_call("POST", "/v1/subsystems",
				  "{\"nqn\":\"nqn.2014-08.org.example:trail\"}\r\n\t ", resp,
				  sizeof(resp)),
			 201);
}
END_TEST

/* RFC 3629, written out independently of the daemon's. */
static bool utf8_valid(const unsigned char *s, size_t len)
{
	for (size_t i = 0; i < len;) {
		unsigned c = s[i];
		size_t n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : 4;
		unsigned cp = n == 1 ? c : n == 2 ? c & 0x1f : n == 3 ? c & 0x0f : c & 0x07;
		if ((c & 0xc0) == 0x80 || c > 0xf4 || i + n > len)
			return false;
		for (size_t k = 1; k < n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		static const unsigned min[] = {0, 0, 0x80, 0x800, 0x10000};
		if (cp < min[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += n;
	}
	return true;
}

/* Before: ENAME and EVER went out byte for byte, and GET returned invalid UTF-8. */
START_TEST(raw_bytes_a_ddc_sends_come_out_as_valid_utf8)
{
	struct entity e = {.ename = "ddc\xff\xfe-\xc3\x28-\xed\xa0\x80-\xe2\x82\xac",
			   .ever = "v1\x80\xc0\xaf"};
	struct log_rec r = {.subtype = NVME_NQN_NVME, .asqsz = 32};
	struct nvmf_host_opts opts = {.hostnqn = DDC1, .kato_ms = 5000};
	struct result cr = {0};
	static uint8_t buf[8192];
	char err[128];

	snprintf(e.nqn, sizeof(e.nqn), "%s", DDC1);
	snprintf(r.subnqn, sizeof(r.subnqn), "%s", SUB3);
	ck_assert_int_eq(
		addr_parse_port("traddr=203.0.113.9;portid=1", "4420", &r.port, err, sizeof(err)),
		0);
	size_t tdl = dim_encode_ddc(buf, sizeof(buf), DIM_EKTYPE_PORTID, &e, &r, 1);
	ck_assert_uint_ne(tdl, 0);
	struct nvmf_host *ddc = host_connect_opts(opts, &cr);
	ck_assert_int_eq(cr.cqe.status, 0);
	struct result dr = dim_send(ddc, NVMF_DIM_TAS_REGISTER, buf, tdl);
	ck_assert_int_eq(dr.cqe.status, 0);

	static const char *const paths[] = {("/v1/hosts/" DDC1), "/v1/changes", "/v1/subsystems"};
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		ck_assert_int_eq(api_call("GET", paths[i], NULL, resp, sizeof(resp)), 200);
		ck_assert_msg(utf8_valid((const unsigned char *)resp, strlen(resp)), "%s: %s",
			      paths[i], resp);
	}
	ck_assert_int_eq(api_call("GET", "/v1/hosts/" DDC1, NULL, resp, sizeof(resp)), 200);
	struct json_object *o = json_tokener_parse(resp), *ent, *v;
	ck_assert_ptr_nonnull(o);
	ck_assert(json_object_object_get_ex(o, "entity", &ent));
	ck_assert(json_object_object_get_ex(ent, "ename", &v));
	/* Each bad byte is U+FFFD; what was UTF-8 (the euro sign) stays. */
	ck_assert_str_eq(json_object_get_string(v), "ddc\xef\xbf\xbd\xef\xbf\xbd-\xef\xbf\xbd(-"
						    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd-"
						    "\xe2\x82\xac");
	json_object_put(o);
	nvmf_host_free(ddc);
}
END_TEST

static bool hosts_list(const char *nqn)
{
	ck_assert_int_eq(api_call("GET", "/v1/hosts", NULL, resp, sizeof(resp)), 200);
	return strstr(resp, nqn) != NULL;
}

/* Before: DELETE /v1/hosts/... was 405, and an implicit host stayed until it expired. */
START_TEST(a_host_that_connected_is_gone_after_delete)
{
	struct nvmf_host *h = host_connect(0);

	free(read_disc_log(h).log);
	nvmf_host_free(h);
	for (int i = 0; i < 100 && !hosts_list(HOSTNQN); i++)
		usleep(20000);
	ck_assert_msg(hosts_list(HOSTNQN), "the host was not registered implicitly");

	ck_assert_int_eq(api_call("DELETE", "/v1/hosts/" HOSTNQN, NULL, resp, sizeof(resp)), 204);
	ck_assert(!hosts_list(HOSTNQN));
	ck_assert_int_eq(api_call("GET", "/v1/hosts/" HOSTNQN, NULL, resp, sizeof(resp)), 404);
	ck_assert_int_eq(api_call("DELETE", "/v1/hosts/" HOSTNQN, NULL, resp, sizeof(resp)), 404);
	struct json_object *e = json_tokener_parse(resp), *v;
	ck_assert_msg(e && json_object_object_get_ex(e, "error", &v), "%s", resp);
	json_object_put(e);
	ck_assert_int_eq(api_call("DELETE", "/v1/hosts/nqn.2014-08.org.example:nobody", NULL, resp,
				  sizeof(resp)),
			 404);

	/* Durable: still gone after a restart. */
	ck_assert(halt_daemon(SIGTERM));
	spawn_daemon();
	ck_assert(!hosts_list(HOSTNQN));
}
END_TEST

static void start_with_short_request_timeout(void)
{
	t.global_extra = "api-request-timeout = 3\n";
	start_daemon();
}

int main(void)
{
	Suite *s = suite_create("control API hardening");
	TCase *tc = tcase_create("requests");
	TCase *slow = tcase_create("deadline");

	tcase_add_checked_fixture(tc, start_daemon, stop_daemon);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, endless_headers_are_refused_and_memory_stays_bounded);
	tcase_add_test(tc, an_overlong_nqn_in_a_path_is_refused_and_its_prefix_survives);
	tcase_add_test(tc, a_nul_in_a_json_string_is_refused);
	tcase_add_test(tc, trailing_data_after_the_json_body_is_refused);
	tcase_add_test(tc, raw_bytes_a_ddc_sends_come_out_as_valid_utf8);
	tcase_add_test(tc, a_host_that_connected_is_gone_after_delete);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(slow, start_with_short_request_timeout, stop_daemon);
	tcase_set_timeout(slow, 60);
	tcase_add_test(slow, a_trickling_client_is_dropped_at_the_request_deadline);
	suite_add_tcase(s, slow);
	SRunner *sr = srunner_create(s);
	signal(SIGPIPE, SIG_IGN);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
