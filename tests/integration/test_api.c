/* test_api.c - integration tests of the control API: every resource answers, admin
 * changes take the mutation path (durable, AEN to persistent hosts), the log a host would
 * be served is the one it reads over NVMe, and bad requests get a 4xx and change nothing. */
#include <check.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "disc_json.h"
#include "testlib.h"

#define ADMIN_SUB  "nqn.2014-08.org.example:admin1"
#define ADMIN_PATH "/v1/subsystems/nqn.2014-08.org.example%3Aadmin1"

static char resp[API_BODY_MAX];

static struct json_object *get_json(const char *path)
{
	ck_assert_int_eq(api_call("GET", path, NULL, resp, sizeof(resp)), 200);
	struct json_object *o = json_tokener_parse(resp);
	ck_assert_msg(o != NULL, "not JSON: %s", resp);
	return o;
}

static int64_t journal_length(void)
{
	struct json_object *o = get_json("/v1/changes?limit=1000"), *a;

	ck_assert(json_object_object_get_ex(o, "changes", &a));
	int64_t n = (int64_t)json_object_array_length(a);
	json_object_put(o);
	return n;
}

START_TEST(every_resource_answers_with_json)
{
	static const char *const paths[] = {"/v1/status",	    "/v1/hosts",
					    "/v1/subsystems",	    "/v1/referrals",
					    "/v1/connections",	    "/v1/changes",
					    "/v1/subsystems/" SUB1, "/v1/hosts/" HOSTNQN "/log"};

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		json_object_put(get_json(paths[i]));
	struct json_object *st = get_json("/v1/status"), *v;
	ck_assert(json_object_object_get_ex(st, "nqn", &v));
	ck_assert_str_eq(json_object_get_string(v), CDC_NQN);
	json_object_put(st);
}
END_TEST

START_TEST(admin_subsystem_with_two_ports_reaches_a_persistent_host)
{
	struct nvmf_host *h = host_connect(5000);
	struct result aer;

	free(read_disc_log(h).log);
	aer_submit(h, &aer);
	ck_assert_int_eq(api_call("POST", "/v1/subsystems", "{\"nqn\":\"" ADMIN_SUB "\"}", resp,
				  sizeof(resp)),
			 201);
	ck_assert_int_eq(api_call("POST", ADMIN_PATH "/ports",
				  "{\"traddr\":\"192.0.2.91\",\"trsvcid\":\"4420\",\"portid\":1}",
				  resp, sizeof(resp)),
			 201);
	ck_assert(run_until(&aer.done, 5000));
	ck_assert_uint_eq(aer.cqe.dw0, 0x0070f002);
	ck_assert_int_eq(api_call("POST", ADMIN_PATH "/ports",
				  "{\"traddr\":\"2001:db8::92\",\"portid\":2}", resp, sizeof(resp)),
			 201);
	struct log_result l = read_disc_log(h);
	int found = 0;
	for (uint64_t i = 0; i < get_le64(l.log + 8); i++)
		found += !strcmp(entry(&l, i)->subnqn, ADMIN_SUB);
	ck_assert_int_eq(found, 2);
	free(l.log);

	/* Durable: there after a restart. */
	nvmf_host_free(h);
	ck_assert(halt_daemon(SIGTERM));
	spawn_daemon();
	struct json_object *s = get_json(ADMIN_PATH), *ports;
	ck_assert(json_object_object_get_ex(s, "ports", &ports));
	ck_assert_uint_eq(json_object_array_length(ports), 2);
	json_object_put(s);

	ck_assert_int_eq(
		api_call("DELETE", ADMIN_PATH "/ports/192.0.2.91/4420", NULL, resp, sizeof(resp)),
		204);
	ck_assert_int_eq(api_call("DELETE", ADMIN_PATH, NULL, resp, sizeof(resp)), 204);
	ck_assert_int_eq(api_call("GET", ADMIN_PATH, NULL, resp, sizeof(resp)), 404);
}
END_TEST

START_TEST(host_log_is_what_the_host_reads_over_nvme)
{
	struct nvmf_host *h = host_connect(0);

	ck_assert_int_eq(api_call("POST", "/v1/referrals", "{\"traddr\":\"192.0.2.60\"}", resp,
				  sizeof(resp)),
			 201);
	struct log_result l = read_disc_log(h);
	struct json_object *wire = disc_log_json(l.log, l.len);
	struct json_object *api = get_json("/v1/hosts/" HOSTNQN "/log");
	ck_assert_str_eq(json_object_to_json_string_ext(api, JSON_C_TO_STRING_PLAIN),
			 json_object_to_json_string_ext(wire, JSON_C_TO_STRING_PLAIN));
	json_object_put(wire);
	json_object_put(api);
	free(l.log);
	nvmf_host_free(h);
}
END_TEST

/* The referral's entry (SUBTYPE 1) at traddr:8009 in l, or NULL. */
static const struct nvmf_disc_log_entry *referral_at(const struct log_result *l, const char *traddr)
{
	for (uint64_t i = 0; i < get_le64(l->log + 8); i++) {
		const struct nvmf_disc_log_entry *e = entry(l, i);
		if (e->subtype == NVME_NQN_DISC && !strcmp(e->traddr, traddr))
			return e;
	}
	return NULL;
}

START_TEST(admin_referral_reaches_a_persistent_host_as_an_aen)
{
	struct nvmf_host *h = host_connect(5000);
	struct log_result before = read_disc_log(h); /* RAE = 0: the event is armed */
	struct result aer;

	aer_submit(h, &aer);
	ck_assert_int_eq(api_call("POST", "/v1/referrals", "{\"traddr\":\"192.0.2.61\"}", resp,
				  sizeof(resp)),
			 201);
	ck_assert(run_until(&aer.done, 5000));
	ck_assert_int_eq(aer.cqe.status, 0);
	ck_assert_uint_eq(aer.cqe.dw0, 0x0070f002);
	struct log_result l = read_disc_log(h);
	ck_assert_uint_gt(get_le64(l.log), get_le64(before.log));
	ck_assert_uint_eq(get_le64(l.log + 8), get_le64(before.log + 8) + 1);
	const struct nvmf_disc_log_entry *e = referral_at(&l, "192.0.2.61");
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e->trsvcid, "8009");
	ck_assert_str_eq(e->subnqn, NVME_DISC_SUBSYS_NAME);
	free(l.log);

	/* And its removal too, once the host read the log again. */
	aer_submit(h, &aer);
	ck_assert_int_eq(
		api_call("DELETE", "/v1/referrals/192.0.2.61/8009", NULL, resp, sizeof(resp)), 204);
	ck_assert(run_until(&aer.done, 5000));
	ck_assert_uint_eq(aer.cqe.dw0, 0x0070f002);
	l = read_disc_log(h);
	ck_assert_ptr_null(referral_at(&l, "192.0.2.61"));
	ck_assert_uint_eq(get_le64(l.log + 8), get_le64(before.log + 8));
	free(l.log);
	free(before.log);
	nvmf_host_free(h);
}
END_TEST

START_TEST(connections_lists_live_associations)
{
	struct nvmf_host *h = host_connect(5000);
	struct json_object *o = get_json("/v1/connections"), *a, *c, *v;

	ck_assert(json_object_object_get_ex(o, "connections", &a));
	ck_assert_uint_eq(json_object_array_length(a), 1);
	c = json_object_array_get_idx(a, 0);
	ck_assert(json_object_object_get_ex(c, "hostnqn", &v));
	ck_assert_str_eq(json_object_get_string(v), HOSTNQN);
	ck_assert(json_object_object_get_ex(c, "cntlid", &v));
	ck_assert_int_eq(json_object_get_int(v), nvmf_host_cntlid(h));
	ck_assert(json_object_object_get_ex(c, "kato", &v));
	ck_assert_int_eq(json_object_get_int(v), 5000);
	json_object_put(o);
	nvmf_host_free(h);
}
END_TEST

static const struct {
	const char *method, *path, *body;
	int code;
} bad[] = {
	{"POST", "/v1/subsystems", "{\"nqn\":", 400},
	{"POST", "/v1/subsystems", "[1,2]", 400},
	{"POST", "/v1/subsystems", "{\"nqn\":\"not-an-nqn\"}", 400},
	{"POST", "/v1/subsystems", "{\"nqn\":\"" ADMIN_SUB "\",\"extra\":1}", 400},
	{"POST", "/v1/subsystems", "{\"nqn\":\"" SUB1 "\"}", 409},
	{"POST", "/v1/subsystems", "{\"nqn\":\"nqn.2014-08.org.nvmexpress.discovery\"}", 400},
	{"POST", "/v1/subsystems", NULL, 400},
	{"DELETE", "/v1/subsystems/" SUB1, NULL, 409},
	{"DELETE", "/v1/subsystems/nqn.2014-08.org.example:none", NULL, 404},
	{"POST", "/v1/subsystems/nqn.2014-08.org.example:none/ports", "{\"traddr\":\"192.0.2.1\"}",
	 404},
	{"POST", "/v1/subsystems/" SUB1 "/ports", "{\"traddr\":\"not-an-address\"}", 400},
	{"POST", "/v1/subsystems/" SUB1 "/ports", "{\"traddr\":\"0.0.0.0\"}", 400},
	{"POST", "/v1/subsystems/" SUB1 "/ports",
	 "{\"traddr\":\"192.0.2.1\",\"trsvcid\":\"99999\"}", 400},
	{"POST", "/v1/subsystems/" SUB1 "/ports", "{\"traddr\":\"192.0.2.1;x=1\"}", 400},
	{"POST", "/v1/subsystems/" SUB1 "/ports", "{\"traddr\":[1]}", 400},
	{"DELETE", "/v1/subsystems/" SUB1 "/ports/192.0.2.10/4420", NULL, 409},
	{"DELETE", "/v1/referrals/192.0.2.99/8009", NULL, 404},
	{"GET", "/v1/nothing", NULL, 404},
	{"GET", "/v2/status", NULL, 404},
	{"PUT", "/v1/status", "{}", 405},
	{"POST", "/v1/status", "{}", 405},
	{"DELETE", "/v1/hosts", NULL, 405},
	{"GET", "/v1/hosts/not-an-nqn/log", NULL, 400},
	{"GET", "/v1/hosts/nqn.2014-08.org.example:unknown", NULL, 404},
	{"GET", "/v1/changes?since=-1", NULL, 400},
	{"GET", "/v1/changes?limit=0", NULL, 400},
	{"GET", "/v1/changes?limit=abc", NULL, 400},
};

START_TEST(malformed_requests_get_4xx_and_change_nothing)
{
	int64_t before = journal_length();
	struct json_object *subs = get_json("/v1/subsystems");
	char *want = strdup(json_object_to_json_string(subs));

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int code = api_call(bad[i].method, bad[i].path, bad[i].body, resp, sizeof(resp));
		ck_assert_msg(code == bad[i].code, "%s %s %s: %d, not %d (%s)", bad[i].method,
			      bad[i].path, bad[i].body ? bad[i].body : "", code, bad[i].code, resp);
		{
			struct json_object *e = json_tokener_parse(resp), *v;
			ck_assert_msg(e && json_object_object_get_ex(e, "error", &v),
				      "no error object: %s", resp);
			json_object_put(e);
		}
	}
	ck_assert_int_eq(journal_length(), before);
	json_object_put(subs);
	subs = get_json("/v1/subsystems");
	ck_assert_str_eq(json_object_to_json_string(subs), want);
	json_object_put(subs);
	free(want);
}
END_TEST

START_TEST(a_stalled_api_client_does_not_stall_discovery)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	static const char partial[] =
		"POST /v1/subsystems HTTP/1.1\r\nContent-Length: 500\r\n\r\n{";

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/cdcd.sock", t.dir);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(write(fd, partial, sizeof(partial) - 1), (ssize_t)sizeof(partial) - 1);
	/* The request never completes; hosts are served all the same. */
	struct nvmf_host *h = host_connect(0);
	struct log_result l = read_disc_log(h);
	ck_assert_uint_eq(get_le64(l.log + 8), 5);
	free(l.log);
	nvmf_host_free(h);
	json_object_put(get_json("/v1/status"));
	close(fd);
}
END_TEST

START_TEST(an_oversized_body_is_refused)
{
	static char body[API_BODY_MAX];

	memset(body, ' ', sizeof(body) - 1);
	body[0] = '{';
	body[sizeof(body) - 2] = '}';
	int code = api_call("POST", "/v1/subsystems", body, resp, sizeof(resp));
	ck_assert_int_eq(code, 413);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("control API");
	TCase *tc = tcase_create("v1");

	tcase_add_checked_fixture(tc, start_daemon, stop_daemon);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, every_resource_answers_with_json);
	tcase_add_test(tc, admin_subsystem_with_two_ports_reaches_a_persistent_host);
	tcase_add_test(tc, host_log_is_what_the_host_reads_over_nvme);
	tcase_add_test(tc, admin_referral_reaches_a_persistent_host_as_an_aen);
	tcase_add_test(tc, connections_lists_live_associations);
	tcase_add_test(tc, malformed_requests_get_4xx_and_change_nothing);
	tcase_add_test(tc, an_oversized_body_is_refused);
	tcase_add_test(tc, a_stalled_api_client_does_not_stall_discovery);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	signal(SIGPIPE, SIG_IGN);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
