/* test_auth_ctrl.c - DH-HMAC-CHAP in the discovery controller: the keys file, the Connect's
 * AUTHREQ, what is refused before authentication, and whole transactions with a host made
 * of libauth's host-side computations (right key, wrong key, bidirectional, each group),
 * and the well-known NQN policy. */
#include <check.h>
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nvme/types.h>

#include "auth_keys.h"
#include "auth_msg.h"
#include "config.h"
#include "dhchap.h"
#include "disc_ctrl.h"
#include "fabric.h"
#include "nvmf_tcp.h"

#define CDC_NQN "nqn.2024-01.com.example:cdc:auth-test"
#define HOSTNQN "nqn.2014-08.org.nvmexpress:uuid:0c3e8a5f-4a7e-4b5d-9d1e-2f9a3c1b7e64"
#define OTHER	"nqn.2024-01.com.example:host-without-key"
/* DHHC-1 secrets: the specification's example, and bytes 0..31 and 32..63 with the SHA-256
 * transformation. */
#define HOST_KEY  "DHHC-1:00:ia6zGodOr4SEG0Zzaw398rpY0wqipUWj4jWjUh4HWUz6aQ2n:"
#define CTRL_KEY  "DHHC-1:01:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR:"
#define WRONG_KEY "DHHC-1:01:ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj/jBqb2:"

#define ST_AUTH_REQUIRED 0x4191 /* SCT 1, SC 91h, DNR */
#define ST_INVALID_FIELD 0x4002
#define ATR		 (1u << 17)

static struct {
	struct cdc_config cfg;
	struct fabric fabric;
	struct disc_svc svc;
	struct auth_keys keys;
	uint16_t cid;
} h;

static void complete(void *arg, uint16_t cid, const struct nvme_cqe *cqe)
{
	(void)arg;
	(void)cid;
	(void)cqe;
}
static const struct disc_ctrl_ops ops = {.complete = complete};

static void load_keys(const char *text)
{
	char err[256];

	auth_keys_free(&h.keys);
	ck_assert_msg(auth_keys_parse(&h.keys, "keys", text, strlen(text), err, sizeof(err)) == 0,
		      "%s", err);
	h.svc.auth_keys = &h.keys;
}

static void setup(void)
{
	memset(&h, 0, sizeof(h));
	config_defaults(&h.cfg);
	fabric_init(&h.fabric);
	disc_svc_init(&h.svc, CDC_NQN, &h.fabric, h.cfg.listen, h.cfg.nlisten);
	h.svc.auth_prefs = (struct auth_prefs){h.cfg.dhchap_hashes, h.cfg.ndhchap_hashes,
					       h.cfg.dhchap_dhgroups, h.cfg.ndhchap_dhgroups};
	load_keys("[host " HOSTNQN "]\ndhchap-key = " HOST_KEY "\ndhchap-ctrl-key = " CTRL_KEY
		  "\n");
}

static void teardown(void)
{
	while (!TAILQ_EMPTY(&h.svc.ctrls))
		disc_ctrl_free(TAILQ_FIRST(&h.svc.ctrls));
	auth_keys_free(&h.keys);
	fabric_free(&h.fabric);
	config_free(&h.cfg);
}

static void cmd_init(struct disc_cmd *cmd, uint8_t opcode, uint8_t fctype)
{
	memset(cmd, 0, sizeof(*cmd));
	cmd->sqe.opcode = opcode;
	cmd->sqe.fctype = fctype;
	cmd->sqe.flags = 0x40;
	cmd->sqe.cid = ++h.cid;
	cmd->sqe.sgl_id = NVME_SGL_TRANSPORT;
}

static uint16_t exec(struct disc_ctrl *c, struct disc_cmd *cmd)
{
	ck_assert_int_eq(disc_ctrl_exec(c, cmd), DISC_DONE);
	return cmd->cqe.status & ~0x2000; /* the More bit: test_disc_ctrl checks the log */
}

static struct disc_ctrl *connect_to(const char *subnqn, const char *hostnqn, uint32_t *dw0)
{
	struct disc_ctrl *c = disc_ctrl_new(&h.svc, NULL, NULL, &ops, NULL);
	uint8_t data[1024] = {0};
	struct nvmf_connect_data *d = (struct nvmf_connect_data *)data;
	struct disc_cmd cmd;

	ck_assert_ptr_nonnull(c);
	d->cntlid = htole16(0xffff);
	strcpy(d->subsysnqn, subnqn);
	strcpy(d->hostnqn, hostnqn);
	cmd_init(&cmd, nvme_admin_fabrics, nvme_fabrics_type_connect);
	cmd.sqe.sgl_id = NVME_SGL_INCAPSULE;
	cmd.sqe.cdw[11] = 31;
	cmd.data = data;
	cmd.data_len = sizeof(data);
	ck_assert_uint_eq(exec(c, &cmd), 0);
	*dw0 = cmd.cqe.dw0;
	return c;
}

static uint16_t auth_send(struct disc_ctrl *c, const uint8_t *msg, size_t len, bool *close)
{
	struct disc_cmd cmd;

	cmd_init(&cmd, nvme_admin_fabrics, nvme_fabrics_type_auth_send);
	cmd.sqe.sgl_id = NVME_SGL_INCAPSULE;
	cmd.sqe.cdw[10] = (uint32_t)AUTH_SECP << 24 | 1u << 16 | 1u << 8;
	cmd.sqe.cdw[11] = (uint32_t)len;
	cmd.data = msg;
	cmd.data_len = (uint32_t)len;
	uint16_t st = exec(c, &cmd);
	*close = cmd.close;
	return st;
}

/* The message an Authentication Receive returns, decoded (buf keeps its bytes). */
static void auth_recv(struct disc_ctrl *c, uint8_t *buf, struct auth_msg *m, bool *close)
{
	struct disc_cmd cmd;
	uint8_t reason;

	cmd_init(&cmd, nvme_admin_fabrics, nvme_fabrics_type_auth_receive);
	cmd.sqe.cdw[10] = (uint32_t)AUTH_SECP << 24 | 1u << 16 | 1u << 8;
	cmd.sqe.cdw[11] = 4096;
	cmd.sqe.sgl_len = 4096;
	ck_assert_uint_eq(exec(c, &cmd), 0);
	ck_assert_uint_gt(cmd.rlen, 0);
	memcpy(buf, cmd.rdata, cmd.rlen);
	ck_assert_int_eq(auth_msg_decode(buf, cmd.rlen, m, &reason), 0);
	*close = cmd.close;
	disc_cmd_release(&cmd);
}

/* A host's transaction as Linux runs it (nvme_auth_negotiate and what follows). Returns
 * the last message the controller sent: Success1 or Failure1. */
static enum auth_msg_kind host_authenticates(struct disc_ctrl *c, const char *subnqn,
					     const char *host_key, const char *ctrl_key,
					     const uint8_t *dh_offer, size_t ndh, uint8_t *got_dh,
					     bool *close)
{
	const uint8_t hashes[] = {1, 2, 3};
	uint8_t buf[4096], rbuf[4096], neg[72];
	struct auth_msg m;
	struct dhchap_secret s;
	uint8_t kh[64], kc[64], ca[64], r1[64], c2[64], z[1024], pub[1024];
	size_t khlen, kclen = 0, zlen = 0;
	struct dhchap_dh *dh = NULL;

	ck_assert_uint_eq(auth_negotiate_encode(neg, sizeof(neg), 1, 0, hashes, 3, dh_offer, ndh),
			  72);
	ck_assert_uint_eq(auth_send(c, neg, sizeof(neg), close), 0);
	auth_recv(c, buf, &m, close);
	if (m.kind != AUTH_CHALLENGE)
		return m.kind;
	ck_assert_uint_eq(m.t_id, 1);
	ck_assert_uint_ne(m.challenge.seqnum, 0);
	*got_dh = m.challenge.dhgid;
	uint8_t hash = m.challenge.hash_id;
	size_t hl = m.challenge.hl;
	ck_assert_int_eq(dhchap_secret_parse(host_key, &s), 0);
	ck_assert_int_eq(dhchap_transform_key(&s, HOSTNQN, kh, &khlen), 0);
	if (m.challenge.dhgid) {
		zlen = dhchap_dh_len(m.challenge.dhgid);
		ck_assert_uint_eq(m.challenge.dhvlen, zlen);
		ck_assert_int_eq(dhchap_dh_generate(m.challenge.dhgid, &dh), 0);
		ck_assert_int_eq(dhchap_dh_public(dh, pub, zlen), 0);
		ck_assert_int_eq(dhchap_dh_shared(dh, m.challenge.dhv, zlen, z), 0);
	}
	ck_assert_int_eq(dhchap_augment(hash, z, zlen, m.challenge.c, ca), 0);
	ck_assert_int_eq(dhchap_host_response(hash, kh, khlen, ca, m.challenge.seqnum, 1, 0,
					      HOSTNQN, subnqn, r1),
			 0);
	if (ctrl_key) {
		ck_assert_int_eq(dhchap_secret_parse(ctrl_key, &s), 0);
		ck_assert_int_eq(dhchap_transform_key(&s, subnqn, kc, &kclen), 0);
		ck_assert_int_eq(dhchap_random(c2, hl), 0);
	}
	size_t n = auth_reply_encode(rbuf, sizeof(rbuf), 1, hl, r1, ctrl_key ? c2 : NULL,
				     ctrl_key ? 77 : 0, pub, zlen);
	ck_assert_uint_eq(auth_send(c, rbuf, n, close), 0);
	auth_recv(c, buf, &m, close);
	if (m.kind == AUTH_SUCCESS1 && ctrl_key) {
		uint8_t r2[64];
		ck_assert_uint_eq(m.success1.rvalid, 1);
		ck_assert_int_eq(dhchap_augment(hash, z, zlen, c2, ca), 0);
		ck_assert_int_eq(
			dhchap_ctrl_response(hash, kc, kclen, ca, 77, 1, 0, subnqn, HOSTNQN, r2),
			0);
		ck_assert_mem_eq(r2, m.success1.rval, hl);
		ck_assert(!disc_ctrl_connected(c)); /* not before Success2 */
		n = auth_success2_encode(rbuf, sizeof(rbuf), 1);
		ck_assert_uint_eq(auth_send(c, rbuf, n, close), 0);
	} else if (m.kind == AUTH_SUCCESS1) {
		ck_assert_uint_eq(m.success1.rvalid, 0);
		ck_assert_uint_eq(m.success1.hl, hl);
	}
	dhchap_dh_free(dh);
	return m.kind;
}

static const uint8_t linux_dh[] = {0, 1, 2, 3, 4, 5};

START_TEST(connect_to_unique_nqn_requires_authentication)
{
	uint32_t dw0;
	struct disc_ctrl *c = connect_to(CDC_NQN, HOSTNQN, &dw0);
	struct disc_cmd cmd;

	ck_assert_uint_eq(dw0 & ATR, ATR);
	ck_assert_uint_ne(dw0 & 0xffff, 0);
	ck_assert(disc_ctrl_authenticating(c));
	ck_assert(!disc_ctrl_connected(c));
	cmd_init(&cmd, nvme_admin_identify, 0);
	cmd.sqe.sgl_len = 4096;
	cmd.sqe.cdw[10] = 1;
	ck_assert_uint_eq(exec(c, &cmd), ST_AUTH_REQUIRED);
	cmd_init(&cmd, nvme_admin_fabrics, nvme_fabrics_type_property_get);
	cmd.sqe.cdw[11] = NVME_REG_CAP;
	cmd.sqe.cdw[10] = 1;
	ck_assert_uint_eq(exec(c, &cmd), 0); /* properties, as the Linux target */
	disc_ctrl_free(c);
}
END_TEST

START_TEST(host_with_right_key_authenticates)
{
	uint32_t dw0;
	struct disc_ctrl *c = connect_to(CDC_NQN, HOSTNQN, &dw0);
	uint8_t dh;
	bool close;

	ck_assert_int_eq(host_authenticates(c, CDC_NQN, HOST_KEY, NULL, linux_dh, 6, &dh, &close),
			 AUTH_SUCCESS1);
	ck_assert(!close);
	ck_assert_uint_eq(dh, DHCHAP_FFDHE2048); /* the default preference */
	ck_assert(disc_ctrl_connected(c));
	ck_assert_uint_eq(h.svc.counters.auth[DISC_STAT_AUTH_SUCCESS], 1);
	ck_assert(!disc_ctrl_authenticating(c));
	disc_ctrl_free(c);
}
END_TEST

START_TEST(host_with_wrong_key_gets_failure1_and_is_closed)
{
	uint32_t dw0;
	struct disc_ctrl *c = connect_to(CDC_NQN, HOSTNQN, &dw0);
	uint8_t dh;
	bool close;

	ck_assert_int_eq(host_authenticates(c, CDC_NQN, WRONG_KEY, NULL, linux_dh, 6, &dh, &close),
			 AUTH_FAILURE1);
	ck_assert(close);
	ck_assert(!disc_ctrl_connected(c));
	ck_assert_uint_eq(h.svc.counters.auth[DISC_STAT_AUTH_FAILURE], 1);
	disc_ctrl_free(c);
}
END_TEST

START_TEST(bidirectional_authentication_proves_the_controller_key)
{
	uint32_t dw0;
	struct disc_ctrl *c = connect_to(CDC_NQN, HOSTNQN, &dw0);
	uint8_t dh;
	bool close;

	ck_assert_int_eq(
		host_authenticates(c, CDC_NQN, HOST_KEY, CTRL_KEY, linux_dh, 6, &dh, &close),
		AUTH_SUCCESS1);
	ck_assert(!close);
	ck_assert(disc_ctrl_connected(c));
	disc_ctrl_free(c);
}
END_TEST

START_TEST(host_giving_up_with_failure2_is_closed)
{
	uint32_t dw0;
	struct disc_ctrl *c = connect_to(CDC_NQN, HOSTNQN, &dw0);
	uint8_t f2[8];
	bool close;

	/* What a Linux host sends when R2 does not match the controller key it holds. */
	auth_failure_encode(f2, sizeof(f2), AUTH_FAILURE2, 1, AUTH_FAIL_FAILED);
	ck_assert_uint_eq(auth_send(c, f2, sizeof(f2), &close), 0);
	ck_assert(close);
	ck_assert(!disc_ctrl_connected(c));
	disc_ctrl_free(c);
}
END_TEST

START_TEST(each_group_and_null_authenticate)
{
	uint8_t want = (uint8_t)_i, dh;
	uint32_t dw0;
	bool close;
	struct disc_ctrl *c = connect_to(CDC_NQN, HOSTNQN, &dw0);

	ck_assert_int_eq(host_authenticates(c, CDC_NQN, HOST_KEY, CTRL_KEY, &want, 1, &dh, &close),
			 AUTH_SUCCESS1);
	ck_assert_uint_eq(dh, want);
	ck_assert(disc_ctrl_connected(c));
	disc_ctrl_free(c);
}
END_TEST

START_TEST(no_common_group_fails_with_its_reason)
{
	uint32_t dw0;
	bool close;
	uint8_t dh, only_null = 0;

	h.cfg.dhchap_dhgroups[0] = DHCHAP_FFDHE3072;
	h.svc.auth_prefs.ndhgroups = 1;
	struct disc_ctrl *c = connect_to(CDC_NQN, HOSTNQN, &dw0);
	ck_assert_int_eq(host_authenticates(c, CDC_NQN, HOST_KEY, NULL, &only_null, 1, &dh, &close),
			 AUTH_FAILURE1);
	ck_assert(close);
	disc_ctrl_free(c);
}
END_TEST

START_TEST(well_known_nqn_is_limited_without_authentication)
{
	uint32_t dw0;
	struct disc_ctrl *c = connect_to(NVME_DISC_SUBSYS_NAME, HOSTNQN, &dw0);
	struct disc_cmd cmd;

	ck_assert_uint_eq(dw0 & ATR, 0);
	ck_assert(disc_ctrl_connected(c));
	cmd_init(&cmd, nvme_admin_fabrics, nvme_fabrics_type_property_set);
	cmd.sqe.cdw[11] = NVME_REG_CC;
	cmd.sqe.cdw[12] = 0x00460001;
	ck_assert_uint_eq(exec(c, &cmd), 0);
	cmd_init(&cmd, nvme_admin_discovery_info_mgmt, 0);
	ck_assert_uint_eq(exec(c, &cmd), ST_AUTH_REQUIRED);
	cmd_init(&cmd, nvme_admin_get_log_page, 0);
	cmd.sqe.sgl_len = 1024;
	cmd.sqe.cdw[10] = 0x71 | (1024 / 4 - 1) << 16;
	ck_assert_uint_eq(exec(c, &cmd), ST_AUTH_REQUIRED);
	disc_ctrl_free(c);

	h.svc.auth_well_known = true; /* well-known-auth = required */
	c = connect_to(NVME_DISC_SUBSYS_NAME, HOSTNQN, &dw0);
	ck_assert_uint_eq(dw0 & ATR, ATR);
	disc_ctrl_free(c);
}
END_TEST

START_TEST(hosts_without_keys_connect_as_before)
{
	uint32_t dw0;
	struct disc_ctrl *c = connect_to(CDC_NQN, OTHER, &dw0);
	uint8_t neg[72];
	bool close;
	const uint8_t hashes[] = {1};

	ck_assert_uint_eq(dw0 & ATR, 0);
	ck_assert(disc_ctrl_connected(c));
	auth_negotiate_encode(neg, sizeof(neg), 1, 0, hashes, 1, linux_dh, 6);
	ck_assert_uint_eq(auth_send(c, neg, sizeof(neg), &close), ST_INVALID_FIELD);
	disc_ctrl_free(c);
}
END_TEST

START_TEST(auth_commands_check_secp_and_lengths)
{
	uint32_t dw0;
	struct disc_ctrl *c = connect_to(CDC_NQN, HOSTNQN, &dw0);
	struct disc_cmd cmd;
	uint8_t data[8] = {0};

	cmd_init(&cmd, nvme_admin_fabrics, nvme_fabrics_type_auth_send);
	cmd.sqe.cdw[10] = 0xea010100; /* SECP EAh */
	cmd.sqe.cdw[11] = 8;
	cmd.data = data;
	cmd.data_len = 8;
	ck_assert_uint_eq(exec(c, &cmd), ST_INVALID_FIELD);
	cmd_init(&cmd, nvme_admin_fabrics, nvme_fabrics_type_auth_send);
	cmd.sqe.cdw[10] = 0xe9010100;
	cmd.sqe.cdw[11] = 0; /* TL 0 */
	ck_assert_uint_eq(exec(c, &cmd), ST_INVALID_FIELD);
	/* A message out of order: Failure1 at the next Receive, then the end. */
	uint8_t s2[16], buf[4096];
	struct auth_msg m;
	bool close;
	auth_success2_encode(s2, sizeof(s2), 1);
	ck_assert_uint_eq(auth_send(c, s2, sizeof(s2), &close), 0);
	ck_assert(!close);
	auth_recv(c, buf, &m, &close);
	ck_assert_int_eq(m.kind, AUTH_FAILURE1);
	ck_assert_uint_eq(m.failure.rcodeex, AUTH_FAIL_INCORRECT_PROTOCOL_MSG);
	ck_assert(close);
	disc_ctrl_free(c);
}
END_TEST

/* ---- the keys file ---- */

START_TEST(keys_file_errors_never_quote_a_key)
{
	static const char *const bad[] = {
		"dhchap-key = " HOST_KEY "\n",
		"[host " HOSTNQN "]\ndhchap-key = DHHC-1:00:ia6zGodOr4SEG0Zzaw398rpY0wqipUWj4jWjUh4"
		"HWUz6aQ2m:\n",
		"[host " HOSTNQN "]\nrequire-auth = yes\n",
		"[host " HOSTNQN "]\ndhchap-ctrl-key = " CTRL_KEY "\n",
		"[host not-an-nqn]\ndhchap-key = " HOST_KEY "\n",
		"[host " HOSTNQN "]\ndhchap-key = " HOST_KEY "\n[host " HOSTNQN "]\n",
		"[host " HOSTNQN "]\ndhchap-secret = " HOST_KEY "\n",
	};
	struct auth_keys k;
	char err[512];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		ck_assert_msg(auth_keys_parse(&k, "keys", bad[i], strlen(bad[i]), err,
					      sizeof(err)) == -EINVAL,
			      "%s", bad[i]);
		ck_assert_msg(!strstr(err, "ia6zGod") && !strstr(err, "AAECAw"), "%s", err);
		ck_assert_ptr_nonnull(strstr(err, "keys:"));
	}
}
END_TEST

START_TEST(keys_file_policy_defaults)
{
	load_keys("# hosts\n[host " HOSTNQN "]\ndhchap-key = " HOST_KEY "\n\n[host " OTHER
		  "]\ndhchap-key = " HOST_KEY "\nrequire-auth = no\n");
	ck_assert_uint_eq(h.keys.nhosts, 2);
	ck_assert(auth_keys_find(&h.keys, HOSTNQN)->require);
	ck_assert(!auth_keys_find(&h.keys, HOSTNQN)->has_ctrl_key);
	ck_assert(!auth_keys_find(&h.keys, OTHER)->require);
	ck_assert_ptr_null(auth_keys_find(&h.keys, "nqn.2024-01.com.example:nobody"));
}
END_TEST

START_TEST(keys_file_readable_by_others_is_refused)
{
	char path[] = "/tmp/test_auth_keysXXXXXX", err[512];
	int fd = mkstemp(path);
	const char *text = "[host " HOSTNQN "]\ndhchap-key = " HOST_KEY "\n";
	struct auth_keys k;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (int)strlen(text));
	close(fd);
	ck_assert_int_eq(chmod(path, 0600), 0);
	ck_assert_int_eq(auth_keys_load(&k, path, err, sizeof(err)), 0);
	ck_assert_uint_eq(k.nhosts, 1);
	auth_keys_free(&k);
	ck_assert_int_eq(chmod(path, 0640), 0);
	ck_assert_int_eq(auth_keys_load(&k, path, err, sizeof(err)), -EPERM);
	ck_assert_ptr_nonnull(strstr(err, "0600"));
	unlink(path);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("auth_ctrl");
	TCase *tc = tcase_create("controller");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, connect_to_unique_nqn_requires_authentication);
	tcase_add_test(tc, host_with_right_key_authenticates);
	tcase_add_test(tc, host_with_wrong_key_gets_failure1_and_is_closed);
	tcase_add_test(tc, bidirectional_authentication_proves_the_controller_key);
	tcase_add_test(tc, host_giving_up_with_failure2_is_closed);
	tcase_add_loop_test(tc, each_group_and_null_authenticate, 0, 6);
	tcase_add_test(tc, no_common_group_fails_with_its_reason);
	tcase_add_test(tc, well_known_nqn_is_limited_without_authentication);
	tcase_add_test(tc, hosts_without_keys_connect_as_before);
	tcase_add_test(tc, auth_commands_check_secp_and_lengths);
	tcase_add_test(tc, keys_file_errors_never_quote_a_key);
	tcase_add_test(tc, keys_file_policy_defaults);
	tcase_add_test(tc, keys_file_readable_by_others_is_refused);
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
