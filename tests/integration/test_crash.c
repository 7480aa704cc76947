/* test_crash.c - registrations survive kill -9. Several DDC connections register
 * subsystems as fast as cdcd acknowledges them while a host watches GENCTR; cdcd is killed
 * at a random moment and restarted; every registration whose completion was seen must be
 * there, and GENCTR must not be lower than any a host saw. Repeated over several rounds;
 * the seed is printed and CDC_CRASH_SEED replays it. */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "testlib.h"

#define CONNS	  4
#define INFLIGHT  4 /* outstanding DIMs per connection */
#define MAX_ACKED 100000

struct dim_req {
	struct ddc *ddc;
	char subnqn[128];
	uint8_t data[2048];
};

struct ddc {
	struct nvmf_host *h;
	int next;
	int conn;
};

static struct {
	unsigned int round;
	bool killed;
	char (*acked)[128];
	size_t nacked;
	uint64_t max_genctr_seen;
	struct ddc ddcs[CONNS];
} s;

static void dim_done(struct nvmf_host *h, int err, const struct nvme_cqe *cqe, const uint8_t *data,
		     uint32_t len, void *arg);

static void dim_next(struct ddc *d)
{
	struct dim_req *q = malloc(sizeof(*q));
	char eid[96];

	ck_assert_ptr_nonnull(q);
	q->ddc = d;
	snprintf(eid, sizeof(eid), "nqn.2014-08.org.example:crash-ddc%d", d->conn);
	snprintf(q->subnqn, sizeof(q->subnqn), "nqn.2014-08.org.example:crash:%u:%d:%d", s.round,
		 d->conn, d->next++);
	size_t len = dim_build_ddc(q->data, sizeof(q->data), eid, q->subnqn, 1, 1);
	struct nvme_sqe sqe = {.opcode = nvme_admin_discovery_info_mgmt};
	sqe.cdw[10] = NVMF_DIM_TAS_REGISTER;
	if (nvmf_host_submit(d->h, &sqe, q->data, (uint32_t)len, 0, dim_done, q) < 0)
		free(q);
}

static void dim_done(struct nvmf_host *h, int err, const struct nvme_cqe *cqe, const uint8_t *data,
		     uint32_t len, void *arg)
{
	struct dim_req *q = arg;

	(void)h;
	(void)data;
	(void)len;
	/* Only a completion the host saw counts as acknowledged. */
	if (!err && cqe->status == 0 && s.nacked < MAX_ACKED)
		memcpy(s.acked[s.nacked++], q->subnqn, sizeof(q->subnqn));
	if (!err && !s.killed)
		dim_next(q->ddc);
	free(q);
}

static void genctr_cb(struct nvmf_host *h, int err, const struct nvme_cqe *cqe, const uint8_t *data,
		      uint32_t len, void *arg)
{
	(void)arg;
	if (err || cqe->status || len < 8)
		return;
	if (get_le64(data) > s.max_genctr_seen)
		s.max_genctr_seen = get_le64(data);
	if (!s.killed)
		nvmf_host_get_log(h, NVME_LOG_LID_DISCOVER, 0, true, 0, 20, genctr_cb, NULL);
}

static void kill_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	s.killed = true;
	halt_daemon(SIGKILL);
}

static void storm_and_kill(unsigned int delay_ms)
{
	struct nvmf_host *watcher = host_connect(5000);

	for (int c = 0; c < CONNS; c++) {
		char hostnqn[96];
		struct nvmf_host_opts o = {.hostnqn = hostnqn, .kato_ms = 5000};
		struct result r = {0};

		snprintf(hostnqn, sizeof(hostnqn), "nqn.2014-08.org.example:crash-ddc%d", c);
		s.ddcs[c] = (struct ddc){.conn = c};
		s.ddcs[c].h = host_connect_opts(o, &r);
		ck_assert_uint_eq(r.cqe.status, 0);
		for (int i = 0; i < INFLIGHT; i++)
			dim_next(&s.ddcs[c]);
	}
	nvmf_host_get_log(watcher, NVME_LOG_LID_DISCOVER, 0, true, 0, 20, genctr_cb, NULL);

	struct timeval tv = {delay_ms / 1000, (delay_ms % 1000) * 1000};
	struct event *ev = evtimer_new(t.base, kill_cb, NULL);
	evtimer_add(ev, &tv);
	bool never = false;
	run_until(&never, (int)delay_ms + 500); /* the kill, then the connections fail */
	event_free(ev);
	for (int c = 0; c < CONNS; c++)
		nvmf_host_free(s.ddcs[c].h);
	nvmf_host_free(watcher);
}

static void verify_after_restart(void)
{
	spawn_daemon();
	struct nvmf_host *h = host_connect(0);
	struct log_result l = read_disc_log(h);
	uint64_t numrec = get_le64(l.log + 8);
	size_t missing = 0;

	for (size_t i = 0; i < s.nacked; i++) {
		bool found = false;
		for (uint64_t k = 0; k < numrec && !found; k++)
			found = !strcmp(entry(&l, k)->subnqn, s.acked[i]);
		if (!found && missing++ < 5)
			fprintf(stderr, "acknowledged but lost: %s\n", s.acked[i]);
	}
	ck_assert_msg(missing == 0, "%zu of %zu acknowledged registrations lost", missing,
		      s.nacked);
	ck_assert_msg(get_le64(l.log) >= s.max_genctr_seen,
		      "GENCTR %llu after restart, a host saw %llu",
		      (unsigned long long)get_le64(l.log), (unsigned long long)s.max_genctr_seen);
	free(l.log);
	nvmf_host_free(h);
}

START_TEST(acknowledged_registrations_survive_kill_9)
{
	const char *env = getenv("CDC_CRASH_SEED");
	unsigned int seed = env ? (unsigned int)strtoul(env, NULL, 0) : (unsigned int)time(NULL);
	const char *rounds_env = getenv("CDC_CRASH_ROUNDS");
	unsigned int rounds = rounds_env ? (unsigned int)atoi(rounds_env) : 5;

	fprintf(stderr, "crash test seed %u (CDC_CRASH_SEED=%u replays it), %u rounds\n", seed,
		seed, rounds);
	srand(seed);
	s.acked = calloc(MAX_ACKED, sizeof(*s.acked));
	ck_assert_ptr_nonnull(s.acked);
	for (s.round = 0; s.round < rounds; s.round++) {
		s.killed = false;
		storm_and_kill(50 + (unsigned int)rand() % 350);
		verify_after_restart();
		fprintf(stderr, "round %u: %zu registrations acknowledged, GENCTR seen %llu\n",
			s.round, s.nacked, (unsigned long long)s.max_genctr_seen);
	}
	ck_assert_uint_gt(s.nacked, 0);
	free(s.acked);
}
END_TEST

static void setup(void)
{
	t.global_extra = "max-registrations-per-entity = 65536\nmax-registrations = 1000000\n";
	start_daemon();
}

int main(void)
{
	Suite *su = suite_create("crash");
	TCase *tc = tcase_create("kill -9");

	tcase_add_checked_fixture(tc, setup, stop_daemon);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, acknowledged_registrations_survive_kill_9);
	suite_add_tcase(su, tc);
	SRunner *sr = srunner_create(su);
	signal(SIGPIPE, SIG_IGN);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
