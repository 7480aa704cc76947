/* test_auth.c - cdcd with a DH-HMAC-CHAP keys file, over loopback: the Connect's AUTHREQ,
 * Authentication Required before the host authenticated, the auth-timeout, a reload that
 * names an unsafe keys file, and a host without keys that sees no change. (The exchange
 * itself runs against the Linux host in tests/interop/test-dhchap.sh.) */
#include <check.h>
#include <endian.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testlib.h"

#define ATR	 (1u << 17)
#define HOST_KEY "DHHC-1:00:ia6zGodOr4SEG0Zzaw398rpY0wqipUWj4jWjUh4HWUz6aQ2n:"
#define OTHER	 "nqn.2014-08.org.nvmexpress:uuid:99999999-2222-4333-8444-555555555555"

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
	dprintf(fd, "[host %s]\ndhchap-key = %s\n", HOSTNQN, HOST_KEY);
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

static Suite *suite(void)
{
	Suite *s = suite_create("auth");
	TCase *tc = tcase_create("daemon");

	tcase_set_timeout(tc, 30);
	tcase_add_checked_fixture(tc, start_daemon, stop_daemon);
	tcase_add_test(tc, a_host_that_must_authenticate_gets_atr_and_nothing_else);
	tcase_add_test(tc, the_well_known_nqn_is_limited_and_other_hosts_unchanged);
	tcase_add_test(tc, a_keys_file_others_may_read_is_refused);
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
