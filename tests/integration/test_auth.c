/* test_auth.c - cdcd with a DH-HMAC-CHAP keys file, over loopback: the Connect's AUTHREQ,
 * Authentication Required before the host authenticated, whole transactions over the wire
 * with a host made of libauth's computations (and against the Linux host in
 * tests/interop/test-dhchap.sh), the auth-timeout, a reload that names an unsafe keys
 * file, and a host without keys that sees no change. Keys set through the control API:
 * in force at once, kept across a restart, refused for a host of the keys file (409) or
 * when malformed (400), and never in a reply, the journal or the log. */
#include <check.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth_msg.h"
#include "dhchap.h"
#include "testlib.h"

#define ATR	  (1u << 17)
#define HOST_KEY  "DHHC-1:00:ia6zGodOr4SEG0Zzaw398rpY0wqipUWj4jWjUh4HWUz6aQ2n:"
#define CTRL_KEY  "DHHC-1:01:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR:"
#define WRONG_KEY "DHHC-1:01:ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj/jBqb2:"
#define OTHER	  "nqn.2014-08.org.nvmexpress:uuid:99999999-2222-4333-8444-555555555555"

static char extra[512];

/* Writes the keys file with mode, and reloads with it and the given [global] lines. */
static void use_keys(mode_t mode, const char *more)
{
	char path[160];
	int fd;

	snprintf(path, sizeof(path), "%s/keys.conf", t.dir);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	dprintf(fd, "[host %s]\ndhchap-key = %s\ndhchap-ctrl-key = %s\n", HOSTNQN, HOST_KEY,
		CTRL_KEY);
	close(fd);
	ck_assert_int_eq(chmod(path, mode), 0);
	snprintf(extra, sizeof(extra), "dhchap-keys = %s\n%s", path, more);
	t.global_extra = extra;
	reload_with(NULL);
}

static uint16_t identify_status(const struct raw_host *rh, uint16_t cid)
{
	struct nvme_sqe s = {.opcode = nvme_admin_identify, .cid = cid};

	s.cdw[10] = NVME_IDENTIFY_CNS_CTRL;
	s.sgl_id = NVME_SGL_TRANSPORT;
	s.sgl_len = 4096;
	raw_send_cmd(rh, &s, NULL, 0, false);
	for (;;) { /* the Identify data first, when it succeeds */
		static uint8_t buf[8192];
		int type = raw_read_pdu(rh, buf, sizeof(buf));
		ck_assert_int_ge(type, 0);
		if (type != NVME_TCP_RSP)
			continue;
		struct nvme_cqe cqe;
		nvme_cqe_decode(buf + 8, &cqe);
		return cqe.status & 0x7fff;
	}
}

static struct result submit_sync(struct nvmf_host *h, struct nvme_sqe s, const void *w,
				 uint32_t wlen, uint32_t rlen)
{
	struct result r = {0};

	ck_assert_int_eq(nvmf_host_submit(h, &s, w, wlen, rlen, result_cb, &r), 0);
	ck_assert(run_until(&r.done, 5000));
	return r;
}

static struct nvme_sqe auth_sqe(uint8_t fctype, uint32_t len)
{
	struct nvme_sqe s = {.opcode = nvme_admin_fabrics, .fctype = fctype};

	s.cdw[1] = fctype;
	s.cdw[10] = (uint32_t)AUTH_SECP << 24 | AUTH_SPSP << 16 | AUTH_SPSP << 8;
	s.cdw[11] = len;
	return s;
}

static void auth_send(struct nvmf_host *h, const uint8_t *msg, size_t len)
{
	struct result r = submit_sync(h, auth_sqe(nvme_fabrics_type_auth_send, (uint32_t)len), msg,
				      (uint32_t)len, 0);

	ck_assert_int_eq(r.err, 0);
	ck_assert_uint_eq(r.cqe.status, 0);
}

/* An Authentication Receive's message, decoded; it stays in r. */
static void auth_recv(struct nvmf_host *h, struct result *r, struct auth_msg *m)
{
	uint8_t reason;

	*r = submit_sync(h, auth_sqe(nvme_fabrics_type_auth_receive, 4096), NULL, 0, 4096);
	ck_assert_int_eq(r->err, 0);
	ck_assert_uint_eq(r->cqe.status, 0);
	ck_assert_int_eq(auth_msg_decode(r->data, r->len, m, &reason), 0);
}

/* The host's side of a transaction, as Linux runs it (every hash and group offered);
 * ctrl_key: check the controller too. Returns the controller's last message. */
static enum auth_msg_kind authenticate(struct nvmf_host *h, const char *key, const char *ctrl_key)
{
	const uint8_t hashes[] = {1, 2, 3}, groups[] = {0, 1, 2, 3, 4, 5};
	uint8_t msg[2048], kh[64], kc[64], ca[64], r1[64], c2[64], z[1024], pub[1024];
	size_t khlen, kclen = 0, zlen = 0;
	struct dhchap_secret s;
	struct dhchap_dh *dh = NULL;
	struct result r;
	struct auth_msg m;

	auth_send(h, msg, auth_negotiate_encode(msg, sizeof(msg), 9, 0, hashes, 3, groups, 6));
	auth_recv(h, &r, &m);
	ck_assert_int_eq(m.kind, AUTH_CHALLENGE);
	uint8_t hash = m.challenge.hash_id;
	size_t hl = m.challenge.hl;
	ck_assert_int_eq(dhchap_secret_parse(key, &s), 0);
	ck_assert_int_eq(dhchap_transform_key(&s, HOSTNQN, kh, &khlen), 0);
	if (m.challenge.dhgid) {
		zlen = dhchap_dh_len(m.challenge.dhgid);
		ck_assert_int_eq(dhchap_dh_generate(m.challenge.dhgid, &dh), 0);
		ck_assert_int_eq(dhchap_dh_public(dh, pub, zlen), 0);
		ck_assert_int_eq(dhchap_dh_shared(dh, m.challenge.dhv, zlen, z), 0);
		dhchap_dh_free(dh);
	}
	ck_assert_int_eq(dhchap_augment(hash, z, zlen, m.challenge.c, ca), 0);
	ck_assert_int_eq(dhchap_host_response(hash, kh, khlen, ca, m.challenge.seqnum, 9, 0,
					      HOSTNQN, CDC_NQN, r1),
			 0);
	if (ctrl_key) {
		ck_assert_int_eq(dhchap_secret_parse(ctrl_key, &s), 0);
		ck_assert_int_eq(dhchap_transform_key(&s, CDC_NQN, kc, &kclen), 0);
		ck_assert_int_eq(dhchap_random(c2, hl), 0);
	}
	auth_send(h, msg,
		  auth_reply_encode(msg, sizeof(msg), 9, hl, r1, ctrl_key ? c2 : NULL,
				    ctrl_key ? 1234 : 0, pub, zlen));
	auth_recv(h, &r, &m);
	if (m.kind != AUTH_SUCCESS1 || !ctrl_key)
		return m.kind;
	uint8_t r2[64];
	ck_assert_int_eq(dhchap_augment(hash, z, zlen, c2, ca), 0);
	ck_assert_int_eq(
		dhchap_ctrl_response(hash, kc, kclen, ca, 1234, 9, 0, CDC_NQN, HOSTNQN, r2), 0);
	if (!m.success1.rvalid || memcmp(r2, m.success1.rval, hl)) {
		auth_send(
			h, msg,
			auth_failure_encode(msg, sizeof(msg), AUTH_FAILURE2, 9, AUTH_FAIL_FAILED));
		return AUTH_FAILURE2;
	}
	auth_send(h, msg, auth_success2_encode(msg, sizeof(msg), 9));
	return AUTH_SUCCESS1;
}

static struct nvmf_host *connect_unique(struct result *r)
{
	struct nvmf_host_opts opts = {
		.hostnqn = HOSTNQN, .subnqn = CDC_NQN, .dhchap_by_caller = true};

	*r = (struct result){0};
	return host_connect_opts(opts, r);
}

START_TEST(a_host_authenticates_over_the_wire_and_reads_the_log)
{
	use_keys(0600, "");
	struct result r;
	struct nvmf_host *h = connect_unique(&r);

	ck_assert_int_eq(r.err, 0);
	ck_assert_uint_eq(r.cqe.status, 0);
	ck_assert_uint_eq(r.cqe.dw0 & ATR, ATR);
	struct result id = {0};
	ck_assert_int_eq(nvmf_host_identify(h, result_cb, &id), 0);
	ck_assert(run_until(&id.done, 5000));
	ck_assert_uint_eq(id.cqe.status & 0x7fff, 0x4191);

	ck_assert_int_eq(authenticate(h, HOST_KEY, CTRL_KEY), AUTH_SUCCESS1);
	struct log_result l = read_disc_log(h);
	ck_assert_uint_eq(le64toh(((const struct nvmf_discovery_log *)l.log)->numrec), 5);
	free(l.log);
	ck_assert(log_contains("authenticated to " CDC_NQN " (bidirectional)"));
	nvmf_host_free(h);
}
END_TEST

START_TEST(a_wrong_key_gets_failure1_and_the_connection_closes)
{
	use_keys(0600, "");
	struct result r;
	struct nvmf_host *h = connect_unique(&r);

	ck_assert_uint_eq(r.cqe.dw0 & ATR, ATR);
	ck_assert_int_eq(authenticate(h, WRONG_KEY, NULL), AUTH_FAILURE1);
	ck_assert(host_closed(h, 2000));
	ck_assert(log_contains("refused: authentication failed"));
	nvmf_host_free(h);
}
END_TEST

/* nvmf_host's own DH-HMAC-CHAP (what the benchmark and pull registration use). */
static int connect_with(const char *key, const char *ctrl_key, struct nvmf_host **out)
{
	struct nvmf_host_opts opts = {.hostnqn = HOSTNQN,
				      .subnqn = CDC_NQN,
				      .dhchap_secret = key,
				      .dhchap_ctrl_secret = ctrl_key};
	struct result r = {0};

	*out = host_connect_opts(opts, &r);
	return r.err ? r.err : r.cqe.status;
}

START_TEST(nvmf_host_authenticates_and_is_refused_as_it_should)
{
	struct nvmf_host *h;

	use_keys(0600, "dhchap-hashes = sha256\ndhchap-dhgroups = ffdhe3072\n");
	ck_assert_int_eq(connect_with(HOST_KEY, CTRL_KEY, &h), 0);
	struct log_result l = read_disc_log(h);
	ck_assert_uint_eq(le64toh(((const struct nvmf_discovery_log *)l.log)->numrec), 5);
	free(l.log);
	nvmf_host_free(h);
	ck_assert_int_eq(connect_with(HOST_KEY, NULL, &h), 0);
	nvmf_host_free(h);
	ck_assert_int_eq(connect_with(WRONG_KEY, NULL, &h), -EACCES);
	nvmf_host_free(h);
	ck_assert_int_eq(connect_with(HOST_KEY, WRONG_KEY, &h), -EKEYREJECTED);
	nvmf_host_free(h);
	ck_assert_int_eq(connect_with(NULL, NULL, &h), -ENOKEY);
	nvmf_host_free(h);
	/* The host that refused the controller sent AUTH_Failure2, not Success2. */
	ck_assert_int_eq(log_count("authenticated to " CDC_NQN), 2);
	ck_assert(log_contains("the host gave up"));
}
END_TEST

START_TEST(a_host_that_must_authenticate_gets_atr_and_nothing_else)
{
	use_keys(0600, "well-known-auth = required\nauth-timeout = 1\n");
	ck_assert(log_contains("DH-HMAC-CHAP keys for 1 hosts"));
	struct raw_host rh = raw_host_open(false, false);
	struct nvme_cqe cqe = raw_fabrics_connect(&rh, 1, HOSTNQN, false);

	ck_assert_uint_eq(cqe.status, 0);
	ck_assert_uint_eq(cqe.dw0 & ATR, ATR);
	ck_assert_uint_eq(raw_enable(&rh, 2).status, 0); /* properties, as nvmet */
	ck_assert_uint_eq(identify_status(&rh, 3), 0x4191);

	/* No transaction within auth-timeout: the connection is closed. */
	uint8_t buf[256];
	ck_assert_int_eq(raw_read_pdu(&rh, buf, sizeof(buf)), -1);
	close(rh.fd);
	ck_assert(log_contains("did not authenticate in time"));
	ck_assert(!log_contains("ia6zGod"));
}
END_TEST

START_TEST(the_well_known_nqn_is_limited_and_other_hosts_unchanged)
{
	use_keys(0600, "");
	struct raw_host rh = raw_host_open(false, false);
	struct nvme_cqe cqe = raw_fabrics_connect(&rh, 1, HOSTNQN, false);

	ck_assert_uint_eq(cqe.status, 0);
	ck_assert_uint_eq(cqe.dw0 & ATR, 0);
	ck_assert_uint_eq(raw_enable(&rh, 2).status, 0);
	ck_assert_uint_eq(identify_status(&rh, 3), 0);
	close(rh.fd);
	ck_assert(log_contains("unauthenticated, limited to the self entries"));

	/* A host the keys file does not name reads the whole log. */
	struct nvmf_host *h = connect_as(OTHER, 0);
	struct log_result l = read_disc_log(h);
	ck_assert_uint_eq(l.status, 0);
	ck_assert_uint_eq(le64toh(((const struct nvmf_discovery_log *)l.log)->numrec), 5);
	free(l.log);
	nvmf_host_free(h);
}
END_TEST

START_TEST(a_keys_file_others_may_read_is_refused)
{
	use_keys(0644, "");
	ck_assert(log_contains("it must be 0600"));
	ck_assert(log_contains("keeping the running configuration"));
	ck_assert(!log_contains("DH-HMAC-CHAP keys for"));
}
END_TEST

/* ---- keys set through the control API ---- */

#define AUTH_PATH "/v1/hosts/" HOSTNQN "/auth"
#define KEY_BITS  "ia6zGodOr4SEG0Z" /* of HOST_KEY: must appear nowhere */
#define CTRL_BITS "AAECAwQFBgcICQo" /* of CTRL_KEY */

static char resp[API_BODY_MAX];

static int put_auth(const char *body)
{
	return api_call("PUT", AUTH_PATH, body, resp, sizeof(resp));
}

/* The secret leaves no trace: not in what the API answers, the journal, or the log. */
static void no_trace_of_the_keys(void)
{
	ck_assert_int_eq(api_call("GET", "/v1/changes?limit=1000", NULL, resp, sizeof(resp)), 200);
	ck_assert_ptr_null(strstr(resp, KEY_BITS));
	ck_assert_ptr_null(strstr(resp, CTRL_BITS));
	ck_assert_ptr_null(strstr(resp, "DHHC-1"));
	ck_assert(!log_contains(KEY_BITS));
	ck_assert(!log_contains(CTRL_BITS));
	ck_assert(!log_contains("DHHC-1"));
}

static void assert_private(const char *suffix)
{
	char path[256];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/state/cdcd.db%s", t.dir, suffix);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_msg((sb.st_mode & 077) == 0, "%s has mode %03o", path,
		      (unsigned int)(sb.st_mode & 0777));
}

START_TEST(stored_keys_are_in_force_at_once_and_kept_across_a_restart)
{
	struct nvmf_host *h;

	/* Without settings, the host connects as any other. */
	ck_assert_int_eq(connect_with(NULL, NULL, &h), 0);
	nvmf_host_free(h);
	ck_assert_int_eq(put_auth("{\"key\": \"" HOST_KEY "\", \"ctrl_key\": \"" CTRL_KEY "\"}"),
			 200);
	ck_assert_str_eq(resp, "{\"key\":true,\"ctrl_key\":true,\"require\":true,"
			       "\"source\":\"store\"}");
	ck_assert_int_eq(api_call("GET", "/v1/hosts/" HOSTNQN, NULL, resp, sizeof(resp)), 200);
	ck_assert_ptr_nonnull(strstr(resp, "\"auth\":{\"key\":true,\"ctrl_key\":true,"
					   "\"require\":true,\"source\":\"store\"}"));

	ck_assert_int_eq(connect_with(HOST_KEY, CTRL_KEY, &h), 0);
	nvmf_host_free(h);
	ck_assert_int_eq(connect_with(WRONG_KEY, NULL, &h), -EACCES);
	nvmf_host_free(h);
	ck_assert_int_eq(connect_with(NULL, NULL, &h), -ENOKEY);
	nvmf_host_free(h);

	/* Kept in the store, which is the daemon's alone. */
	ck_assert(halt_daemon(SIGTERM));
	spawn_daemon();
	ck_assert(log_contains("DH-HMAC-CHAP keys for 1 hosts in the store"));
	assert_private("");
	ck_assert_int_eq(connect_with(HOST_KEY, CTRL_KEY, &h), 0);
	assert_private("-wal");
	assert_private("-shm");
	nvmf_host_free(h);

	/* Optional: a host without keys is let in again; one with the key still may use it. */
	ck_assert_int_eq(put_auth("{\"require\": false}"), 200);
	ck_assert_ptr_nonnull(strstr(resp, "\"require\":false"));
	ck_assert_int_eq(connect_with(NULL, NULL, &h), 0);
	nvmf_host_free(h);
	ck_assert_int_eq(connect_with(HOST_KEY, NULL, &h), 0);
	nvmf_host_free(h);
	/* A new key keeps that choice, and the old key is no longer accepted. */
	ck_assert_int_eq(put_auth("{\"key\": \"" WRONG_KEY "\"}"), 200);
	ck_assert_str_eq(resp, "{\"key\":true,\"ctrl_key\":false,\"require\":false,"
			       "\"source\":\"store\"}");
	ck_assert_int_eq(put_auth("{\"require\": true}"), 200);
	ck_assert_int_eq(connect_with(HOST_KEY, NULL, &h), -EACCES);
	nvmf_host_free(h);

	ck_assert_int_eq(api_call("DELETE", AUTH_PATH, NULL, resp, sizeof(resp)), 204);
	ck_assert_int_eq(api_call("GET", AUTH_PATH, NULL, resp, sizeof(resp)), 404);
	ck_assert_int_eq(api_call("DELETE", AUTH_PATH, NULL, resp, sizeof(resp)), 404);
	ck_assert_int_eq(connect_with(NULL, NULL, &h), 0);
	nvmf_host_free(h);

	ck_assert_int_eq(api_call("GET", "/v1/changes?limit=1000", NULL, resp, sizeof(resp)), 200);
	ck_assert_ptr_nonnull(strstr(resp, "\"host set-key\""));
	ck_assert_ptr_nonnull(strstr(resp, "\"host require-auth\""));
	ck_assert_ptr_nonnull(strstr(resp, "\"host clear-key\""));
	ck_assert_ptr_nonnull(strstr(resp, "\"" HOSTNQN " ctrl-key=yes\""));
	ck_assert_ptr_nonnull(strstr(resp, "\"" HOSTNQN " no\""));
	no_trace_of_the_keys();
}
END_TEST

START_TEST(a_host_of_the_keys_file_is_changed_there_409)
{
	use_keys(0600, "");
	ck_assert_int_eq(put_auth("{\"key\": \"" WRONG_KEY "\"}"), 409);
	ck_assert_ptr_nonnull(strstr(resp, "defined in the keys file"));
	ck_assert_int_eq(put_auth("{\"require\": false}"), 409);
	ck_assert_int_eq(api_call("DELETE", AUTH_PATH, NULL, resp, sizeof(resp)), 409);
	ck_assert_int_eq(api_call("GET", AUTH_PATH, NULL, resp, sizeof(resp)), 200);
	ck_assert_str_eq(resp, "{\"key\":true,\"ctrl_key\":true,\"require\":true,"
			       "\"source\":\"file\"}");
	/* The file's key is the one in force. */
	struct nvmf_host *h;
	ck_assert_int_eq(connect_with(HOST_KEY, CTRL_KEY, &h), 0);
	nvmf_host_free(h);
	no_trace_of_the_keys();
}
END_TEST

START_TEST(bad_keys_get_400_that_does_not_repeat_them)
{
	/* HOST_KEY with one character changed: the CRC no longer matches. */
	ck_assert_int_eq(
		put_auth("{\"key\": "
			 "\"DHHC-1:00:ia6zGodOr4SEG0Zzaw398rpY0wqipUWj4jWjUh4HWUz6aQ2m:\"}"),
		400);
	ck_assert_str_eq(resp, "{\"error\":\"invalid key\",\"detail\":\"key is damaged (CRC "
			       "mismatch)\"}");
	ck_assert_int_eq(put_auth("{\"key\": \"" HOST_KEY "\", \"ctrl_key\": \"DHHC-1:01:"
				  "ia6zGodOr4SEG0Zz:\"}"),
			 400);
	ck_assert_str_eq(resp, "{\"error\":\"invalid key\",\"detail\":\"ctrl_key is not a "
			       "DHHC-1 secret of 32, 48 or 64 bytes\"}");
	ck_assert_int_eq(put_auth("{\"ctrl_key\": \"" CTRL_KEY "\"}"), 400);
	ck_assert_int_eq(put_auth("{\"key\": 1}"), 400);
	ck_assert_int_eq(put_auth("{\"require\": \"yes\"}"), 400);
	ck_assert_int_eq(put_auth("{}"), 400);
	ck_assert_int_eq(api_call("PUT", "/v1/hosts/not-an-nqn/auth", "{\"require\": true}", resp,
				  sizeof(resp)),
			 400);
	/* No key stored: nothing to require. */
	ck_assert_int_eq(put_auth("{\"require\": true}"), 404);
	ck_assert_int_eq(api_call("GET", AUTH_PATH, NULL, resp, sizeof(resp)), 404);
	no_trace_of_the_keys();
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("auth");
	TCase *tc = tcase_create("daemon");

	tcase_set_timeout(tc, 30);
	tcase_add_checked_fixture(tc, start_daemon, stop_daemon);
	tcase_add_test(tc, a_host_that_must_authenticate_gets_atr_and_nothing_else);
	tcase_add_test(tc, a_host_authenticates_over_the_wire_and_reads_the_log);
	tcase_add_test(tc, a_wrong_key_gets_failure1_and_the_connection_closes);
	tcase_add_test(tc, nvmf_host_authenticates_and_is_refused_as_it_should);
	tcase_add_test(tc, the_well_known_nqn_is_limited_and_other_hosts_unchanged);
	tcase_add_test(tc, a_keys_file_others_may_read_is_refused);
	tcase_add_test(tc, stored_keys_are_in_force_at_once_and_kept_across_a_restart);
	tcase_add_test(tc, a_host_of_the_keys_file_is_changed_there_409);
	tcase_add_test(tc, bad_keys_get_400_that_does_not_repeat_them);
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
