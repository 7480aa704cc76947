/* test_registry.c - integration tests of registrations: DIM from DDCs and hosts, implicit
 * registration, NCC, log 71h, ownership, limits, and registrations that outlive the daemon.
 * The real cdcd on loopback, driven by the userspace host. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store.h"
#include "testlib.h"

#define DDC1  "nqn.2014-08.org.example:ddc1"
#define DDC2  "nqn.2014-08.org.example:ddc2"
#define SUB3  "nqn.2014-08.org.example:storage3"
#define HOST2 "nqn.2014-08.org.nvmexpress:uuid:22222222-3333-4444-8555-666666666666"

#define SC_INVALID_FIELD   (NVME_SC_DNR | NVME_SC_INVALID_FIELD)
#define SC_INVALID_DISC	   (NVME_SC_DNR | NVME_SCT_CMD_SPECIFIC << 8 | NVME_SC_INVALID_DISCOVERY_INFO)
#define SC_INSUFFICIENT	   (NVME_SCT_CMD_SPECIFIC << 8 | NVME_SC_INSUFFICIENT_DISC_RES)
#define ENTRIES_BEFORE_DIM 5 /* two self entries, two storage1 ports, one referral */

static uint8_t buf[64 * 1024];

static struct log_result read_hostlog(struct nvmf_host *h);

static uint16_t ddc_register(struct nvmf_host *h, const char *eid, int nports, int first)
{
	size_t len = dim_build_ddc(buf, sizeof(buf), eid, SUB3, nports, first);
	struct result r = dim_send(h, NVMF_DIM_TAS_REGISTER, buf, len);

	ck_assert_int_eq(r.err, 0);
	return r.cqe.status;
}

static size_t count_subnqn(const struct log_result *l, const char *nqn, uint16_t *eflags)
{
	size_t n = 0;

	for (size_t i = 0; i < get_le64(l->log + 8); i++)
		if (!strcmp(entry(l, i)->subnqn, nqn)) {
			n++;
			if (eflags)
				*eflags = le16toh(entry(l, i)->eflags);
		}
	return n;
}

START_TEST(ddc_registration_reaches_a_persistent_host_as_an_aen)
{
	struct nvmf_host *host = host_connect(5000);
	struct nvmf_host *ddc = connect_as(DDC1, 5000);
	struct log_result before = read_disc_log(host);
	struct result aer;

	aer_submit(host, &aer);
	ck_assert_uint_eq(ddc_register(ddc, DDC1, 2, 1), 0);
	ck_assert(run_until(&aer.done, 5000));
	ck_assert_uint_eq(aer.cqe.dw0, 0x0070f002);

	struct log_result after = read_disc_log(host);
	uint16_t eflags = 0xffff;
	ck_assert_uint_eq(count_subnqn(&after, SUB3, &eflags), 2);
	ck_assert_uint_eq(eflags, 0); /* the DDC is connected: no NCC */
	ck_assert_uint_gt(get_le64(after.log), get_le64(before.log));
	free(before.log);
	free(after.log);
	nvmf_host_free(ddc);
	nvmf_host_free(host);
}
END_TEST

START_TEST(subsystems_of_a_disconnected_ddc_carry_ncc)
{
	struct nvmf_host *ddc = connect_as(DDC1, 5000);
	ck_assert_uint_eq(ddc_register(ddc, DDC1, 1, 1), 0);
	struct nvmf_host *host = host_connect(5000);
	struct result aer;

	free(read_disc_log(host).log); /* RAE = 0: re-arms the event */
	aer_submit(host, &aer);
	nvmf_host_free(ddc);
	ck_assert(run_until(&aer.done, 5000)); /* NCC changed the log */
	struct log_result l = read_disc_log(host);
	uint16_t eflags = 0;
	ck_assert_uint_eq(count_subnqn(&l, SUB3, &eflags), 1);
	ck_assert_uint_eq(eflags & NVMF_DISC_EFLAGS_NCC, NVMF_DISC_EFLAGS_NCC);
	free(l.log);
	nvmf_host_free(host);
}
END_TEST

START_TEST(deregister_and_update_change_exactly_the_named_records)
{
	struct nvmf_host *ddc = connect_as(DDC1, 5000);

	ck_assert_uint_eq(ddc_register(ddc, DDC1, 3, 1), 0);
	/* Deregister the port with portid 2 (EKTYPE 0x3F keys on PORTID). */
	size_t len = dim_build_ddc(buf, sizeof(buf), DDC1, SUB3, 1, 2);
	ck_assert_uint_eq(dim_send(ddc, NVMF_DIM_TAS_DEREGISTER, buf, len).cqe.status, 0);
	struct log_result l = read_disc_log(ddc);
	ck_assert_uint_eq(count_subnqn(&l, SUB3, NULL), 2);
	free(l.log);

	/* Update: entry 0 names portid 3, entry 1 replaces it with portid 9. */
	len = dim_build_ddc(buf, sizeof(buf), DDC1, SUB3, 2, 3);
	put_le16(buf + 1024 + 1024 + 4, 9);
	memcpy(buf + 1024 + 1024 + 512, "203.0.113.99", 13);
	ck_assert_uint_eq(dim_send(ddc, NVMF_DIM_TAS_UPDATE, buf, len).cqe.status, 0);
	l = read_disc_log(ddc);
	ck_assert_uint_eq(count_subnqn(&l, SUB3, NULL), 2);
	ck_assert_str_eq(entry(&l, ENTRIES_BEFORE_DIM - 1 + 2)->traddr, "203.0.113.99");
	free(l.log);
	nvmf_host_free(ddc);
}
END_TEST

START_TEST(a_port_registered_again_under_its_portid_moves)
{
	struct nvmf_host *ddc = connect_as(DDC1, 5000);

	ck_assert_uint_eq(ddc_register(ddc, DDC1, 2, 1), 0);
	/* EKTYPE 0x3F: PORTID 2 again, at another address, replaces the old record. */
	size_t len = dim_build_ddc(buf, sizeof(buf), DDC1, SUB3, 1, 2);
	memcpy(buf + 1024 + 512, "203.0.113.200", 14);
	ck_assert_uint_eq(dim_send(ddc, NVMF_DIM_TAS_REGISTER, buf, len).cqe.status, 0);
	struct log_result l = read_disc_log(ddc);
	ck_assert_uint_eq(count_subnqn(&l, SUB3, NULL), 2);
	ck_assert_str_eq(entry(&l, ENTRIES_BEFORE_DIM + 1)->traddr, "203.0.113.200");
	free(l.log);
	nvmf_host_free(ddc);
}
END_TEST

START_TEST(another_entitys_records_cannot_be_deregistered)
{
	struct nvmf_host *ddc1 = connect_as(DDC1, 5000), *ddc2 = connect_as(DDC2, 5000);

	ck_assert_uint_eq(ddc_register(ddc1, DDC1, 2, 1), 0);
	size_t len = dim_build_ddc(buf, sizeof(buf), DDC1, SUB3, 2, 1);
	struct result r = dim_send(ddc2, NVMF_DIM_TAS_DEREGISTER, buf, len);
	ck_assert_uint_eq(r.cqe.status, SC_INVALID_DISC);
	struct log_result l = read_disc_log(ddc2);
	ck_assert_uint_eq(count_subnqn(&l, SUB3, NULL), 2);
	free(l.log);
	nvmf_host_free(ddc1);
	nvmf_host_free(ddc2);
}
END_TEST

/* Whether SUB3 has a record at traddr in l. */
static bool sub3_at(const struct log_result *l, const char *traddr)
{
	for (size_t i = 0; i < get_le64(l->log + 8); i++)
		if (!strcmp(entry(l, i)->subnqn, SUB3) && !strcmp(entry(l, i)->traddr, traddr))
			return true;
	return false;
}

/* DDC2 under its own EID names DDC1's records: they are not its records to remove. */
START_TEST(another_entitys_records_cannot_be_deregistered_under_ones_own_eid)
{
	struct nvmf_host *ddc1 = connect_as(DDC1, 5000), *ddc2 = connect_as(DDC2, 5000);

	ck_assert_uint_eq(ddc_register(ddc1, DDC1, 2, 1), 0);
	size_t len = dim_build_ddc(buf, sizeof(buf), DDC2, SUB3, 2, 1);
	uint16_t st = dim_send(ddc2, NVMF_DIM_TAS_DEREGISTER, buf, len).cqe.status;
	/* Nothing of DDC2's to remove: a no-op or a refusal, never DDC1's records. */
	ck_assert_msg(st == 0 || st == SC_INVALID_DISC, "status 0x%x", st);
	struct log_result l = read_disc_log(ddc2);
	ck_assert_uint_eq(count_subnqn(&l, SUB3, NULL), 2);
	ck_assert(sub3_at(&l, "203.0.113.2") && sub3_at(&l, "203.0.113.3"));
	free(l.log);
	nvmf_host_free(ddc1);
	nvmf_host_free(ddc2);
}
END_TEST

/* DDC2 registers DDC1's PORTID under its own EID: refused, since the subsystem is DDC1's,
 * and DDC1's port stays where it is (EKTYPE 0x3F would move a port of DDC2's own). */
START_TEST(another_entitys_port_cannot_be_moved_under_ones_own_eid)
{
	struct nvmf_host *ddc1 = connect_as(DDC1, 5000), *ddc2 = connect_as(DDC2, 5000);

	ck_assert_uint_eq(ddc_register(ddc1, DDC1, 2, 1), 0);
	size_t len = dim_build_ddc(buf, sizeof(buf), DDC2, SUB3, 1, 2);
	memcpy(buf + 1024 + 512, "203.0.113.200", 14);
	ck_assert_uint_eq(dim_send(ddc2, NVMF_DIM_TAS_REGISTER, buf, len).cqe.status,
			  SC_INVALID_DISC);
	struct log_result l = read_disc_log(ddc2);
	ck_assert_uint_eq(count_subnqn(&l, SUB3, NULL), 2);
	ck_assert(sub3_at(&l, "203.0.113.2"));
	ck_assert(sub3_at(&l, "203.0.113.3")); /* DDC1's portid 2, not moved */
	ck_assert(!sub3_at(&l, "203.0.113.200"));
	free(l.log);

	/* Update under its own EID cannot select DDC1's record either. */
	len = dim_build_ddc(buf, sizeof(buf), DDC2, SUB3, 2, 1);
	memcpy(buf + 1024 + 1024 + 512, "203.0.113.201", 14);
	ck_assert_uint_eq(dim_send(ddc2, NVMF_DIM_TAS_UPDATE, buf, len).cqe.status,
			  SC_INVALID_DISC);
	l = read_disc_log(ddc2);
	ck_assert_uint_eq(count_subnqn(&l, SUB3, NULL), 2);
	ck_assert(sub3_at(&l, "203.0.113.2"));
	ck_assert(!sub3_at(&l, "203.0.113.201"));
	free(l.log);

	/* DDC1 still owns its records: it can deregister both. */
	len = dim_build_ddc(buf, sizeof(buf), DDC1, SUB3, 2, 1);
	ck_assert_uint_eq(dim_send(ddc1, NVMF_DIM_TAS_DEREGISTER, buf, len).cqe.status, 0);
	l = read_disc_log(ddc2);
	ck_assert_uint_eq(count_subnqn(&l, SUB3, NULL), 0);
	free(l.log);
	nvmf_host_free(ddc1);
	nvmf_host_free(ddc2);
}
END_TEST

START_TEST(registrations_beyond_the_limit_get_insufficient_resources)
{
	struct nvmf_host *ddc = connect_as(DDC1, 5000);

	/* max-registrations-per-entity = 4 in this test's configuration */
	ck_assert_uint_eq(ddc_register(ddc, DDC1, 5, 1), SC_INSUFFICIENT);
	ck_assert_uint_eq(ddc_register(ddc, DDC1, 4, 1), 0);
	ck_assert_uint_eq(ddc_register(ddc, DDC1, 4, 1), 0); /* the same again replaces */
	ck_assert_uint_eq(ddc_register(ddc, DDC1, 1, 10), SC_INSUFFICIENT);
	struct log_result l = read_disc_log(ddc);
	ck_assert_uint_eq(count_subnqn(&l, SUB3, NULL), 4);
	free(l.log);
	nvmf_host_free(ddc);
}
END_TEST

START_TEST(malformed_dim_fails_the_command_not_the_connection)
{
	struct nvmf_host *ddc = connect_as(DDC1, 5000);
	size_t len = dim_build_ddc(buf, sizeof(buf), DDC1, SUB3, 1, 1);

	put_le32(buf, (uint32_t)len + 4); /* TDL disagrees with the data */
	ck_assert_uint_eq(dim_send(ddc, NVMF_DIM_TAS_REGISTER, buf, len).cqe.status,
			  SC_INVALID_FIELD);
	ck_assert_uint_eq(ddc_register(ddc, DDC1, 1, 1), 0);
	nvmf_host_free(ddc);
}
END_TEST

START_TEST(dim_larger_than_a_capsule_arrives_by_r2t)
{
	struct nvmf_host *ddc = connect_as(DDC1, 5000);

	/* 1024 + 4 x 1024 bytes fit in a capsule; ten entries (11 KiB) do not. */
	ck_assert_uint_eq(ddc_register(ddc, DDC1, 4, 1), 0);
	size_t len = dim_build_ddc(buf, sizeof(buf), DDC1, SUB3, 10, 20);
	ck_assert_uint_gt(len, 8192);
	struct result r = dim_send(ddc, NVMF_DIM_TAS_REGISTER, buf, len);
	ck_assert_uint_eq(r.cqe.status, SC_INSUFFICIENT); /* through R2T, then judged */
	nvmf_host_free(ddc);
}
END_TEST

static struct log_result read_hostlog(struct nvmf_host *h)
{
	struct result r = {0};
	struct log_result l = {0};

	ck_assert_int_eq(nvmf_host_get_log(h, 0x71, 0, false, 0, 4096, result_cb, &r), 0);
	ck_assert(run_until(&r.done, 5000));
	ck_assert_uint_eq(r.cqe.status, 0);
	l.log = malloc(r.len);
	memcpy(l.log, r.data, r.len);
	l.len = r.len;
	return l;
}

/* The 71h entry of hostnqn, or NULL. Entries are variable: walk by TEL. */
static const uint8_t *hostlog_find(const struct log_result *l, const char *hostnqn)
{
	size_t off = 1024;

	for (uint64_t i = 0; i < get_le64(l->log + 8) && off + 1032 <= l->len; i++) {
		const uint8_t *e = l->log + off;
		if (!strcmp((const char *)e + 256, hostnqn))
			return e;
		off += get_le32(e + 1024);
	}
	return NULL;
}

START_TEST(host_registration_appears_in_log_71h_with_its_address)
{
	struct nvmf_host *watcher = connect_as(HOST2, 5000);
	struct result aer;
	static const uint8_t hostid[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

	/* The watcher asks for host discovery log change notices (AEC bit 30). */
	struct result f = {0};
	ck_assert_int_eq(nvmf_host_set_features(watcher, NVME_FEAT_FID_ASYNC_EVENT,
						1u << 31 | 1u << 30, result_cb, &f),
			 0);
	ck_assert(run_until(&f.done, 5000));
	ck_assert_uint_eq(f.cqe.status, 0);
	free(read_hostlog(watcher).log);
	aer_submit(watcher, &aer);

	struct nvmf_host *h = host_connect(5000);
	size_t len = dim_build_host(buf, sizeof(buf), HOSTNQN, hostid, "");
	ck_assert_uint_eq(dim_send(h, NVMF_DIM_TAS_REGISTER, buf, len).cqe.status, 0);
	ck_assert(run_until(&aer.done, 5000));
	ck_assert_uint_eq(aer.cqe.dw0, 0x0071f102);

	struct log_result l = read_hostlog(watcher);
	const uint8_t *e = hostlog_find(&l, HOSTNQN);
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq((const char *)e + 512, "127.0.0.1"); /* empty TRADDR: the peer */
	ck_assert_uint_eq(get_le16(e + 10) & NVMF_DISC_EFLAGS_NCC, 0);
	ck_assert_uint_eq(get_le16(e + 1032), NVMF_EXATTYPE_HOSTID);
	ck_assert_mem_eq(e + 1036, hostid, 16);
	free(l.log);
	nvmf_host_free(h);
	nvmf_host_free(watcher);
}
END_TEST

START_TEST(a_host_that_only_connects_is_registered_implicitly)
{
	struct nvmf_host *h = connect_as(HOST2, 0);
	struct nvmf_host *other = host_connect(0);

	struct log_result l = read_hostlog(other);
	const uint8_t *e = hostlog_find(&l, HOST2);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(get_le16(e + 10) & NVMF_DISC_EFLAGS_NCC, 0);
	free(l.log);
	nvmf_host_free(h);
	/* Gone: still listed, now with NCC. */
	bool never = false;
	run_until(&never, 300);
	l = read_hostlog(other);
	e = hostlog_find(&l, HOST2);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(get_le16(e + 10) & NVMF_DISC_EFLAGS_NCC, NVMF_DISC_EFLAGS_NCC);
	free(l.log);
	nvmf_host_free(other);
}
END_TEST

START_TEST(registrations_and_genctr_survive_a_restart)
{
	struct nvmf_host *ddc = connect_as(DDC1, 5000);

	ck_assert_uint_eq(ddc_register(ddc, DDC1, 3, 1), 0);
	struct log_result before = read_disc_log(ddc);
	struct log_result hbefore = read_hostlog(ddc);
	nvmf_host_free(ddc);
	ck_assert(halt_daemon(SIGKILL) == false); /* killed, not stopped */
	/* Log 71h's counter is not stored at every change: a block of values above it is
	 * reserved in the store (key "hgenctr"), and a restart resumes above that. */
	char db[160];
	struct store *st;
	uint64_t reserved = 0;
	snprintf(db, sizeof(db), "%s/state/cdcd.db", t.dir);
	ck_assert_int_eq(store_open(db, &st), 0);
	ck_assert_int_eq(store_counter_get(st, "hgenctr", &reserved), 0);
	store_close(st);
	ck_assert_uint_gt(reserved, get_le64(hbefore.log));
	spawn_daemon();

	struct nvmf_host *h = host_connect(0);
	struct log_result after = read_disc_log(h);
	uint16_t eflags = 0;
	ck_assert_uint_eq(count_subnqn(&after, SUB3, &eflags), 3);
	ck_assert_uint_eq(eflags & NVMF_DISC_EFLAGS_NCC, NVMF_DISC_EFLAGS_NCC);
	ck_assert_uint_ge(get_le64(after.log), get_le64(before.log));
	/* Log 71h's counter too resumes above what a host saw. */
	struct log_result hafter = read_hostlog(h);
	ck_assert_uint_gt(get_le64(hafter.log), get_le64(hbefore.log));
	ck_assert_uint_ge(get_le64(hafter.log), reserved);
	free(before.log);
	free(after.log);
	free(hbefore.log);
	free(hafter.log);
	nvmf_host_free(h);
}
END_TEST

/* Fill the file system until it refuses; returns the filler's path. */
static void fill(const char *path)
{
	static char block[4096];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	ck_assert_int_ge(fd, 0);
	while (write(fd, block, sizeof(block)) > 0)
		;
	while (write(fd, block, 1) > 0)
		;
	close(fd);
}

START_TEST(a_full_disk_fails_registrations_not_discovery_and_recovers)
{
	char state[160], filler[200];

	/* The store on a small tmpfs of our own, in a mount namespace of our own (main() made
	 * sure there is one before running this test). */
	ck_assert_msg(unshare(CLONE_NEWNS) == 0 &&
			      mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0,
		      "no private mount namespace: %s", strerror(errno));
	ck_assert(halt_daemon(SIGTERM));
	snprintf(state, sizeof(state), "%s/state", t.dir);
	ck_assert_int_eq(mount("tmpfs", state, "tmpfs", 0, "size=1m"), 0);
	spawn_daemon();
	struct nvmf_host *ddc = connect_as(DDC1, 5000);
	ck_assert_uint_eq(ddc_register(ddc, DDC1, 1, 1), 0);

	snprintf(filler, sizeof(filler), "%s/filler", state);
	fill(filler);
	uint16_t st = 0;
	for (int i = 0; i < 20 && !st; i++) /* the WAL may still have room for a few */
		st = ddc_register(ddc, DDC1, 1, 2 + i % 2);
	ck_assert_msg(st == SC_INSUFFICIENT || st == (NVME_SCT_GENERIC << 8 | NVME_SC_INTERNAL),
		      "status 0x%x on a full disk", st);
	ck_assert(log_contains("store: "));

	/* Discovery goes on from memory, without what failed. */
	struct nvmf_host *h = host_connect(0);
	struct log_result l = read_disc_log(h);
	size_t n = count_subnqn(&l, SUB3, NULL);
	ck_assert_uint_ge(n, 1);
	free(l.log);

	/* Room again: the next registration is durable. */
	ck_assert_int_eq(unlink(filler), 0);
	ck_assert_uint_eq(ddc_register(ddc, DDC1, 2, 50), 0);
	l = read_disc_log(h);
	ck_assert_uint_eq(count_subnqn(&l, SUB3, NULL), n + 2);
	free(l.log);
	nvmf_host_free(h);
	nvmf_host_free(ddc);
	ck_assert(halt_daemon(SIGTERM));
	umount(state);
	spawn_daemon();
}
END_TEST

static void setup(void)
{
	t.global_extra = "max-registrations-per-entity = 4\n";
	start_daemon();
}

static Suite *registry_suite(void)
{
	Suite *s = suite_create("registrations");
	TCase *tc = tcase_create("dim");

	tcase_add_checked_fixture(tc, setup, stop_daemon);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, ddc_registration_reaches_a_persistent_host_as_an_aen);
	tcase_add_test(tc, subsystems_of_a_disconnected_ddc_carry_ncc);
	tcase_add_test(tc, deregister_and_update_change_exactly_the_named_records);
	tcase_add_test(tc, a_port_registered_again_under_its_portid_moves);
	tcase_add_test(tc, another_entitys_records_cannot_be_deregistered);
	tcase_add_test(tc, another_entitys_records_cannot_be_deregistered_under_ones_own_eid);
	tcase_add_test(tc, another_entitys_port_cannot_be_moved_under_ones_own_eid);
	tcase_add_test(tc, registrations_beyond_the_limit_get_insufficient_resources);
	tcase_add_test(tc, malformed_dim_fails_the_command_not_the_connection);
	tcase_add_test(tc, dim_larger_than_a_capsule_arrives_by_r2t);
	tcase_add_test(tc, host_registration_appears_in_log_71h_with_its_address);
	tcase_add_test(tc, a_host_that_only_connects_is_registered_implicitly);
	tcase_add_test(tc, registrations_and_genctr_survive_a_restart);
	suite_add_tcase(s, tc);

	/* Its own program (test_registry_full_disk), so that automake counts it as skipped
	 * where there is no private mount namespace. */
	tc = tcase_create("full-disk");
	tcase_add_checked_fixture(tc, setup, stop_daemon);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, a_full_disk_fails_registrations_not_discovery_and_recovers);
	suite_add_tcase(s, tc);
	return s;
}

/* Whether this process may have a mount namespace with a tmpfs of its own (root, or
 * CAP_SYS_ADMIN): tried in a child, which takes its namespace with it. */
static bool can_mount_a_tmpfs(void)
{
	char dir[] = "/tmp/cdc-test-probe-XXXXXX";
	int status = -1;

	if (!mkdtemp(dir))
		return false;
	pid_t pid = fork();
	if (pid == 0)
		_exit(unshare(CLONE_NEWNS) == 0 &&
				      mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0 &&
				      mount("tmpfs", dir, "tmpfs", 0, "size=1m") == 0
			      ? 0
			      : 77);
	if (pid > 0)
		waitpid(pid, &status, 0);
	rmdir(dir);
	return pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

int main(void)
{
	SRunner *sr = srunner_create(registry_suite());

	signal(SIGPIPE, SIG_IGN);
#ifdef REGISTRY_FULL_DISK_ONLY
	if (!can_mount_a_tmpfs()) {
		printf("SKIP: no mount namespace for a small tmpfs (the disk-full test needs "
		       "root)\n");
		srunner_free(sr);
		return 77;
	}
	srunner_run(sr, NULL, "full-disk", CK_NORMAL);
#else
	(void)can_mount_a_tmpfs;
	srunner_run(sr, NULL, "dim", CK_NORMAL);
#endif
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
