/* test_registry.c - the registry against a store in a temporary directory, driven through
 * real discovery controllers (Connect, DIM, AER as the queue hands them over), the
 * administrator's requests and configuration reloads, in random order. After every step:
 * the logs the fabric maintains page by page equal a brute-force rebuild of the same model,
 * the store holds exactly the model, and the persistent controllers that heard an AEN are
 * exactly those whose log changed. REGISTRY_SEED replays a run. */
#include <arpa/inet.h>
#include <check.h>
#include <endian.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "dim.h"
#include "disc_ctrl.h"
#include "fabric.h"
#include "log.h"
#include "registry.h"
#include "store.h"

#define CDC_NQN "nqn.2024-01.com.example:cdc:registry-test"
#define NCTL	6 /* controllers: the even ones DDCs, the odd ones hosts */
#define STEPS	300
#define KATO	30000

struct ctl {
	struct disc_ctrl *c;
	char nqn[CDC_NQN_MAX + 1];
	bool armed;	   /* an AER is outstanding */
	unsigned int aens; /* log 70h AENs heard in the current step */
	bool done;	   /* the last DIM completed */
	uint16_t status;
	struct sockaddr_in peer;
};

static struct {
	char dir[64];
	struct event_base *base;
	struct store *st;
	struct fabric f;
	struct disc_svc svc;
	struct registry *r;
	struct cdc_config cfg;
	struct cdc_listen listen;
	struct ctl ctl[NCTL];
	uint16_t cid;
	uint64_t seed;
	unsigned int step;
	int admin_done;
} h;

static uint64_t rnd_state;

static unsigned int rnd(unsigned int n)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return (unsigned int)(rnd_state % n);
}

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			char why_[512];                                                            \
			snprintf(why_, sizeof(why_), __VA_ARGS__);                                 \
			ck_abort_msg("seed %" PRIu64 " step %u: %s", h.seed, h.step, why_);        \
		}                                                                                  \
	} while (0)

static void complete_cb(void *arg, uint16_t cid, const struct nvme_cqe *cqe)
{
	struct ctl *c = arg;

	(void)cid;
	if (cqe->dw0 == DISC_AEN_LOG_CHANGE) {
		CHECK(c->armed, "an AEN without an AER");
		c->armed = false;
		c->aens++;
		return;
	}
	CHECK(cqe->dw0 == 0, "an unexpected AEN 0x%x", cqe->dw0);
	c->done = true;
	c->status = cqe->status;
}

static const struct disc_ctrl_ops ops = {.complete = complete_cb};

/* Runs the loop until the registry has nothing pending. */
static void settle(void)
{
	for (int i = 0; i < 8; i++)
		event_base_loop(h.base, EVLOOP_NONBLOCK);
}

static int exec(struct ctl *c, struct disc_cmd *cmd)
{
	cmd->sqe.flags = 0x40;
	cmd->sqe.cid = h.cid++;
	int r = disc_ctrl_exec(c->c, cmd);
	disc_cmd_release(cmd);
	return r;
}

static void aer(struct ctl *c)
{
	struct disc_cmd cmd = {.sqe.opcode = nvme_admin_async_event};

	CHECK(exec(c, &cmd) == DISC_HELD, "AER not held");
	c->armed = true;
}

static void read_log70(struct ctl *c)
{
	struct disc_cmd cmd = {.sqe.opcode = nvme_admin_get_log_page, .sqe.sgl_len = 4096};

	cmd.sqe.cdw[10] = NVME_LOG_LID_DISCOVER | (4096 / 4 - 1) << 16; /* RAE 0: re-arms */
	CHECK(exec(c, &cmd) == DISC_DONE && !cmd.cqe.status, "log read failed");
}

static void ctl_connect(int i)
{
	struct ctl *c = &h.ctl[i];
	uint8_t data[1024] = {0};
	struct nvmf_connect_data *d = (void *)data;
	struct disc_cmd cmd = {.sqe.opcode = nvme_admin_fabrics,
			       .sqe.fctype = nvme_fabrics_type_connect,
			       .sqe.sgl_id = NVME_SGL_INCAPSULE,
			       .sqe.sgl_len = sizeof(data),
			       .data = data,
			       .data_len = sizeof(data)};

	c->peer.sin_family = AF_INET;
	c->peer.sin_addr.s_addr = htonl(0x7f000002u + (uint32_t)i);
	c->c = disc_ctrl_new(&h.svc, NULL, (struct sockaddr *)&c->peer, &ops, c);
	ck_assert_ptr_nonnull(c->c);
	d->cntlid = htole16(0xffff);
	d->hostid[0] = (uint8_t)i;
	snprintf(d->subsysnqn, sizeof(d->subsysnqn), "%s", NVME_DISC_SUBSYS_NAME);
	snprintf(d->hostnqn, sizeof(d->hostnqn), "%s", c->nqn);
	cmd.sqe.cdw[11] = 31;
	cmd.sqe.cdw[12] = KATO; /* persistent: log change notices without asking */
	CHECK(exec(c, &cmd) == DISC_DONE && !cmd.cqe.status, "Connect failed");
	struct disc_cmd set = {.sqe.opcode = nvme_admin_fabrics,
			       .sqe.fctype = nvme_fabrics_type_property_set};
	set.sqe.cdw[11] = NVME_REG_CC;
	set.sqe.cdw[12] = 1;
	CHECK(exec(c, &set) == DISC_DONE && !set.cqe.status, "CC.EN failed");
	aer(c);
}

static void ctl_disconnect(int i)
{
	disc_ctrl_free(h.ctl[i].c);
	h.ctl[i].c = NULL;
	h.ctl[i].armed = false;
}

/* A DDC's DIM: one to three ports of its own subsystems, or a referral. */
static void ddc_dim(int i)
{
	struct ctl *c = &h.ctl[i];
	struct entity e = {.etype = NVMF_DIM_ETYPE_DDC};
	struct log_rec recs[3] = {0};
	size_t n = 1 + rnd(3);
	static uint8_t buf[8192];

	snprintf(e.nqn, sizeof(e.nqn), "%s", c->nqn);
	for (size_t k = 0; k < n; k++) {
		struct log_rec *r = &recs[k];
		unsigned int portid = 1 + rnd(4);
		r->subtype = rnd(5) ? NVME_NQN_NVME : NVME_NQN_DISC;
		snprintf(r->subnqn, sizeof(r->subnqn), "%s:sub%u", c->nqn, rnd(2));
		if (r->subtype == NVME_NQN_DISC)
			snprintf(r->subnqn, sizeof(r->subnqn), "%s", NVME_DISC_SUBSYS_NAME);
		r->port = (struct cdc_port){.trtype = NVMF_TRTYPE_TCP,
					    .adrfam = NVMF_ADDR_FAMILY_IP4,
					    .portid = (uint16_t)portid};
		snprintf(r->port.traddr, sizeof(r->port.traddr), "198.51.100.%u", rnd(8) + 1);
		snprintf(r->port.trsvcid, sizeof(r->port.trsvcid), "%u", 4420 + rnd(2));
	}
	size_t len = dim_encode_ddc(buf, sizeof(buf), DIM_EKTYPE_TRADDR, &e, recs, n);
	ck_assert_uint_gt(len, 0);
	struct disc_cmd cmd = {.sqe.opcode = nvme_admin_discovery_info_mgmt,
			       .sqe.sgl_id = NVME_SGL_INCAPSULE,
			       .sqe.sgl_len = (uint32_t)len,
			       .data = buf,
			       .data_len = (uint32_t)len};
	cmd.sqe.cdw[10] = rnd(3) ? NVMF_DIM_TAS_REGISTER : NVMF_DIM_TAS_DEREGISTER;
	c->done = false;
	CHECK(exec(c, &cmd) == DISC_HELD, "DIM not held (status 0x%x)", cmd.cqe.status);
	settle();
	CHECK(c->done, "DIM did not complete");
	CHECK(c->status == 0, "DIM refused with 0x%x", c->status);
}

static void admin_cb(void *arg, int err)
{
	(void)arg;
	(void)err; /* -EEXIST, -ENOENT: random requests need not make sense */
	h.admin_done++;
}

static void admin(void)
{
	static const enum admin_op ops_[] = {
		ADMIN_SUBSYS_ADD,   ADMIN_SUBSYS_DEL,	ADMIN_PORT_ADD, ADMIN_PORT_DEL,
		ADMIN_REFERRAL_ADD, ADMIN_REFERRAL_DEL, ADMIN_HOST_DEL};
	struct admin_req a = {.op = ops_[rnd(7)]};
	char err[128];

	if (a.op == ADMIN_HOST_DEL)
		snprintf(a.nqn, sizeof(a.nqn), "%s", h.ctl[1 + 2 * rnd(NCTL / 2)].nqn);
	else
		snprintf(a.nqn, sizeof(a.nqn), "nqn.2024-01.com.example:admin%u", rnd(2));
	char text[128];
	snprintf(text, sizeof(text), "traddr=192.0.2.%u;trsvcid=4420;portid=%u", rnd(4) + 1,
		 rnd(3));
	ck_assert_int_eq(addr_parse_port(text, "4420", &a.port, err, sizeof(err)), 0);
	int before = h.admin_done;
	ck_assert_int_eq(registry_admin(h.r, &a, admin_cb, NULL), 0);
	settle();
	CHECK(h.admin_done == before + 1, "admin request did not complete");
}

/* The configuration: zero, one or two subsystems of two ports. */
static void config_set(unsigned int nsub)
{
	char text[512], err[256];

	config_free(&h.cfg);
	config_defaults(&h.cfg);
	h.cfg.listen[0] = h.listen;
	h.cfg.nlisten = 1;
	size_t off = (size_t)snprintf(text, sizeof(text), "[global]\n");
	for (unsigned int s = 0; s < nsub; s++)
		off += (size_t)snprintf(text + off, sizeof(text) - off,
					"[subsystem nqn.2024-01.com.example:conf%u]\n"
					"port = traddr=192.0.2.1%u;portid=1\n"
					"port = traddr=192.0.2.2%u;portid=2\n",
					s, s, s);
	ck_assert_int_eq(config_load_buffer(&h.cfg, "test", text, off, err, sizeof(err)), 0);
}

static void reload(void)
{
	config_set(rnd(3));
	registry_config_changed(h.r, &h.cfg);
	settle();
}

/* ---- the checks ---- */

static uint8_t *log70_bytes(const struct fabric *f, size_t *len)
{
	const struct view *v = fabric_host_view(f, "");

	*len = f->nentries * DISC_LOG_ENTRY_LEN;
	uint8_t *out = malloc(*len + 1);
	CHECK(v->genctr == f->genctr, "the view is at %" PRIu64 ", the log at %" PRIu64,
	      v->genctr, f->genctr);
	CHECK(view_copy(v, 0, out, *len) == *len, "log 70h's view short");
	return out;
}

static uint8_t *log71_bytes(struct fabric *f, size_t *len)
{
	ck_assert_int_eq(fabric_hostlog_refresh(f), 0);
	*len = f->hostlog_len;
	uint8_t *out = malloc(*len + 1);
	CHECK(view_copy(fabric_hostlog_view(f), 0, out, *len) == *len, "log 71h short");
	return out;
}

/* The same model, every record added afresh and built whole. */
static void assert_logs_match_a_rebuild(void)
{
	struct fabric g;
	size_t a70, b70, a71, b71;

	fabric_init(&g);
	ck_assert_int_ge(fabric_apply_config(&g, &h.cfg), 0);
	for (const struct entity *e = fabric_entity_next(&h.f, NULL); e;
	     e = fabric_entity_next(&h.f, e)) {
		ck_assert_int_eq(fabric_entity_append(&g, e), 0);
		if (fabric_connected(&h.f, e->nqn))
			ck_assert_int_eq(fabric_conn(&g, e->nqn, +1), 1);
	}
	for (const struct host_rec *x = fabric_host_next(&h.f, NULL); x;
	     x = fabric_host_next(&h.f, x))
		ck_assert_int_eq(fabric_host_append(&g, x), 0);
	for (const struct log_rec *r = fabric_rec_next(&h.f, NULL); r; r = fabric_rec_next(&h.f, r))
		ck_assert_int_eq(fabric_rec_append(&g, r), 0);
	ck_assert_int_ge(fabric_rebuild(&g, 0), 0);

	uint8_t *x70 = log70_bytes(&h.f, &a70), *y70 = log70_bytes(&g, &b70);
	CHECK(a70 == b70 && !memcmp(x70, y70, a70), "log 70h differs from a rebuild");
	uint8_t *x71 = log71_bytes(&h.f, &a71), *y71 = log71_bytes(&g, &b71);
	CHECK(a71 == b71 && !memcmp(x71, y71, a71), "log 71h differs from a rebuild");
	free(x70);
	free(y70);
	free(x71);
	free(y71);
	fabric_free(&g);
}

static int load_entity(void *arg, const struct entity *e)
{
	const struct entity *m = fabric_entity_find(&h.f, e->nqn);

	CHECK(m && m->etype == e->etype && m->source == e->source, "stored entity %s", e->nqn);
	(*(size_t *)arg)++;
	return 0;
}

static int load_host(void *arg, const struct host_rec *x)
{
	CHECK(fabric_host_find(&h.f, x) != NULL, "stored host %s", x->hostnqn);
	((size_t *)arg)[1]++;
	return 0;
}

static int load_rec(void *arg, const struct log_rec *r)
{
	const struct log_rec *m = fabric_rec_find(&h.f, r);

	CHECK(m && m->subtype == r->subtype && m->port.portid == r->port.portid,
	      "stored record %s %s", r->subnqn, r->port.traddr);
	((size_t *)arg)[2]++;
	return 0;
}

/* What a restart would load is the model. */
static void assert_store_matches(void)
{
	size_t n[3] = {0};
	struct store_loader ld = {load_entity, load_host, load_rec, n};
	uint64_t genctr;

	ck_assert_int_eq(store_load(h.st, &ld, &genctr), 0);
	CHECK(n[0] == h.f.nents && n[1] == h.f.nhosts && n[2] == h.f.nrecs,
	      "store %zu/%zu/%zu, model %zu/%zu/%zu", n[0], n[1], n[2], h.f.nents, h.f.nhosts,
	      h.f.nrecs);
	/* Persisted before anyone could see it: never below what hosts are served. */
	CHECK(genctr >= h.f.genctr, "stored GENCTR %" PRIu64 " below %" PRIu64, genctr, h.f.genctr);
}

/* Every controller armed before the step heard exactly one AEN if log 70h changed, none if
 * not; the ones that heard read the log (RAE 0) and arm again. */
static void assert_aens(const bool *armed_before, uint64_t genctr_before)
{
	bool changed = h.f.genctr != genctr_before;

	for (int i = 0; i < NCTL; i++) {
		struct ctl *c = &h.ctl[i];
		if (armed_before[i] && c->c)
			CHECK(c->aens == (changed ? 1u : 0u), "controller %d heard %u AENs, log %s",
			      i, c->aens, changed ? "changed" : "unchanged");
		/* A controller that connected in this step may have heard of it too. */
		if (c->c && c->aens) {
			read_log70(c);
			aer(c);
		}
		c->aens = 0;
	}
}

static void setup(void)
{
	char db[128];

	log_open(true, CDC_LOG_ERR);
	memset(&h, 0, sizeof(h));
	const char *env = getenv("REGISTRY_SEED");
	h.seed = env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL) ^ (uint64_t)getpid();
	rnd_state = h.seed | 1;
	snprintf(h.dir, sizeof(h.dir), "/tmp/cdc-registry.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(h.dir));
	snprintf(db, sizeof(db), "%s/cdcd.db", h.dir);
	ck_assert_int_eq(store_open(db, &h.st), 0);
	ck_assert_int_eq(addr_parse_listen("127.0.0.1:8009", &h.listen), 0);
	config_defaults(&h.cfg);
	config_set(1);
	h.base = event_base_new();
	fabric_init(&h.f);
	disc_svc_init(&h.svc, CDC_NQN, &h.f, h.cfg.listen, h.cfg.nlisten);
	struct registry_limits lim = {256, 100000, 100000, 0};
	h.r = registry_new(h.base, h.st, &h.f, &h.svc, &lim);
	ck_assert_ptr_nonnull(h.r);
	h.svc.reg_ops = &registry_ctrl_ops;
	h.svc.reg = h.r;
	h.svc.dim_max_entries = 256;
	ck_assert_int_eq(registry_load(h.r), 0);
	registry_config_changed(h.r, &h.cfg);
	for (int i = 0; i < NCTL; i++)
		snprintf(h.ctl[i].nqn, sizeof(h.ctl[i].nqn), "nqn.2024-01.com.example:%s%d",
			 i % 2 ? "host" : "ddc", i);
}

static void teardown(void)
{
	char cmd[128];

	for (int i = 0; i < NCTL; i++)
		if (h.ctl[i].c)
			disc_ctrl_free(h.ctl[i].c);
	registry_free(h.r);
	fabric_free(&h.f);
	store_close(h.st);
	event_base_free(h.base);
	config_free(&h.cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", h.dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", h.dir);
}

START_TEST(random_changes_keep_logs_store_and_aens_exact)
{
	fprintf(stderr, "registry property test: REGISTRY_SEED=%" PRIu64 " replays it\n", h.seed);
	for (h.step = 0; h.step < STEPS; h.step++) {
		bool armed[NCTL];
		uint64_t genctr = h.f.genctr;
		int i = (int)rnd(NCTL);

		for (int k = 0; k < NCTL; k++)
			armed[k] = h.ctl[k].c && h.ctl[k].armed;
		switch (rnd(8)) {
		case 0:
		case 1:
		case 2:
			if (!h.ctl[i].c)
				ctl_connect(i);
			else if (i % 2 == 0)
				ddc_dim(i);
			break;
		case 3:
			if (h.ctl[i].c)
				ctl_disconnect(i);
			else
				ctl_connect(i);
			break;
		case 4:
		case 5:
			admin();
			break;
		case 6:
			reload();
			break;
		case 7:
			break; /* nothing: no AEN either */
		}
		settle();
		assert_logs_match_a_rebuild();
		assert_store_matches();
		assert_aens(armed, genctr);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("registry");
	TCase *tc = tcase_create("property");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, random_changes_keep_logs_store_and_aens_exact);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
