/* test_registry.c - the registry against a store in a temporary directory, driven through
 * real discovery controllers (Connect, DIM, AER as the queue hands them over), the
 * administrator's requests, configuration reloads and disconnections, in random order.
 * After every step: every controller's view of logs 70h and 71h equals a brute-force
 * rebuild of the same model, the store holds exactly the model, and the persistent
 * controllers that heard an AEN of a log are exactly those whose view of it changed.
 * REGISTRY_SEED replays a run. Then each source's translation, one behaviour at a time. */
#include <arpa/inet.h>
#include <check.h>
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "dim.h"
#include "disc_ctrl.h"
#include "fabric.h"
#include "host_auth.h"
#include "log.h"
#include "notify.h"
#include "reg_auth.h"
#include "reg_health.h"
#include "registry.h"
#include "store.h"

#define CDC_NQN "nqn.2024-01.com.example:cdc:registry-test"
#define NCTL	6 /* controllers: the even ones DDCs, the odd ones hosts */
#define STEPS	300
#define KATO	30000

struct ctl {
	struct disc_ctrl *c;
	char nqn[CDC_NQN_MAX + 1];
	unsigned int armed;  /* AERs outstanding */
	bool hostlog_events; /* asked for log 71h's events too */
	unsigned int aens;   /* log 70h AENs heard in the current step */
	unsigned int aens71; /* log 71h AENs heard in the current step */
	bool done;	     /* the last DIM completed */
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
	bool zoning;	    /* the zoned variant: zoning on, zoning changes among the steps */
	bool random_policy; /* each reload picks allow or deny (else deny) */
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
	if (cqe->dw0 == DISC_AEN_LOG_CHANGE || cqe->dw0 == DISC_AEN_HOSTLOG_CHANGE) {
		CHECK(c->armed, "an AEN without an AER");
		c->armed--;
		if (cqe->dw0 == DISC_AEN_LOG_CHANGE)
			c->aens++;
		else
			c->aens71++;
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
	c->armed++;
}

static void read_log(struct ctl *c, uint8_t lid)
{
	struct disc_cmd cmd = {.sqe.opcode = nvme_admin_get_log_page, .sqe.sgl_len = 4096};

	cmd.sqe.cdw[10] = lid | (4096 / 4 - 1) << 16; /* RAE 0: re-arms */
	CHECK(exec(c, &cmd) == DISC_DONE && !cmd.cqe.status, "log %02xh read failed", lid);
}

/* Log 71h's events as well as 70h's (Asynchronous Event Configuration bits 31 and 30). */
static void hostlog_events(struct ctl *c)
{
	struct disc_cmd cmd = {.sqe.opcode = nvme_admin_set_features};

	cmd.sqe.cdw[10] = NVME_FEAT_FID_ASYNC_EVENT;
	cmd.sqe.cdw[11] = 1u << 31 | 1u << 30;
	CHECK(exec(c, &cmd) == DISC_DONE && !cmd.cqe.status, "Set Features AEC failed");
	c->hostlog_events = true;
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
	c->hostlog_events = false;
	if (rnd(2))
		hostlog_events(c);
	aer(c);
	aer(c); /* both logs may change in one step */
}

static void ctl_disconnect(int i)
{
	disc_ctrl_free(h.ctl[i].c);
	h.ctl[i].c = NULL;
	h.ctl[i].armed = 0;
}

/* Controller i sends a DIM of entity eid (a DDC) with n records; returns its status. */
static uint16_t dim_send(int i, const char *eid, uint32_t tas, const struct log_rec *recs, size_t n)
{
	struct ctl *c = &h.ctl[i];
	struct entity e = {.etype = NVMF_DIM_ETYPE_DDC};
	static uint8_t buf[8192];

	snprintf(e.nqn, sizeof(e.nqn), "%s", eid);
	size_t len = dim_encode_ddc(buf, sizeof(buf), DIM_EKTYPE_TRADDR, &e, recs, n);
	ck_assert_uint_gt(len, 0);
	struct disc_cmd cmd = {.sqe.opcode = nvme_admin_discovery_info_mgmt,
			       .sqe.sgl_id = NVME_SGL_INCAPSULE,
			       .sqe.sgl_len = (uint32_t)len,
			       .data = buf,
			       .data_len = (uint32_t)len};
	cmd.sqe.cdw[10] = tas;
	c->done = false;
	CHECK(exec(c, &cmd) == DISC_HELD, "DIM not held (status 0x%x)", cmd.cqe.status);
	settle();
	CHECK(c->done, "DIM did not complete");
	return c->status;
}

static struct log_rec port_rec(const char *subnqn, unsigned int host, unsigned int portid)
{
	struct log_rec r = {.subtype = NVME_NQN_NVME};

	snprintf(r.subnqn, sizeof(r.subnqn), "%s", subnqn);
	r.port = (struct cdc_port){.trtype = NVMF_TRTYPE_TCP,
				   .adrfam = NVMF_ADDR_FAMILY_IP4,
				   .portid = (uint16_t)portid};
	snprintf(r.port.traddr, sizeof(r.port.traddr), "198.51.100.%u", host);
	snprintf(r.port.trsvcid, sizeof(r.port.trsvcid), "4420");
	return r;
}

/* A DDC's DIM: one to three ports of its own subsystems, or a referral. */
static void ddc_dim(int i)
{
	struct ctl *c = &h.ctl[i];
	struct log_rec recs[3] = {0};
	size_t n = 1 + rnd(3);
	char subnqn[CDC_NQN_MAX + 1];

	for (size_t k = 0; k < n; k++) {
		unsigned int portid = 1 + rnd(4);
		bool referral = !rnd(5);
		snprintf(subnqn, sizeof(subnqn), "%s:sub%u", c->nqn, rnd(2));
		recs[k] = port_rec(referral ? NVME_DISC_SUBSYS_NAME : subnqn, rnd(8) + 1, portid);
		recs[k].subtype = referral ? NVME_NQN_DISC : NVME_NQN_NVME;
		recs[k].port.trsvcid[3] += (char)rnd(2); /* 4420 or 4421 */
	}
	uint32_t tas = rnd(3) ? NVMF_DIM_TAS_REGISTER : NVMF_DIM_TAS_DEREGISTER;
	uint16_t st = dim_send(i, c->nqn, tas, recs, n);
	CHECK(st == 0, "DIM refused with 0x%x", st);
}

static void admin_cb(void *arg, int err)
{
	(void)arg;
	(void)err; /* -EEXIST, -ENOENT: random requests need not make sense */
	h.admin_done++;
}

static void admin_submit(void)
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
	ck_assert_int_eq(registry_admin(h.r, &a, admin_cb, NULL), 0);
}

static void admin(void)
{
	int before = h.admin_done;

	admin_submit();
	settle();
	CHECK(h.admin_done == before + 1, "admin request did not complete");
}

/* Changes from several sources in one loop turn: one batch, one commit. */
static void batch(int i)
{
	int before = h.admin_done;

	admin_submit();
	if (h.ctl[i].c && i % 2 == 0)
		ddc_dim(i); /* runs the loop */
	else if (h.ctl[i].c)
		ctl_disconnect(i);
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
	bool allow = h.random_policy && rnd(2);
	size_t off = (size_t)snprintf(text, sizeof(text), "[global]\n%s",
				      !h.zoning ? ""
				      : allow	? "zoning = yes\nzoning-policy = allow\n"
						: "zoning = yes\nzoning-policy = deny\n");
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

/* ---- zoning changes ---- */

static void zoning_cb(void *arg, int err)
{
	(void)arg;
	(void)err; /* -EEXIST, -ENOENT, -EBUSY: random requests need not make sense */
	h.admin_done++;
}

/* A member that may match: a controller's host NQN or address, a DDC's, the configuration's
 * or the administrator's subsystem, a subsystem port's address, or the alias. */
static struct zone_member random_member(bool in_alias)
{
	struct zone_member m = {.type = ZMTYPE_NQN, .role = ZONE_ROLE_SUBSYSTEM};
	uint32_t a;

	switch (rnd(in_alias ? 6 : 7)) {
	case 0:
	case 1:
		m.role = ZONE_ROLE_HOST;
		snprintf(m.nqn, sizeof(m.nqn), "%s", h.ctl[rnd(NCTL)].nqn);
		break;
	case 2:
		m = (struct zone_member){.type = ZMTYPE_IP,
					 .role = ZONE_ROLE_HOST,
					 .adrfam = NVMF_ADDR_FAMILY_IP4,
					 .ipproto = ZONE_IPPROTO_TCP};
		a = htonl(0x7f000002u + rnd(NCTL));
		memcpy(m.traddr, &a, 4);
		break;
	case 3:
		snprintf(m.nqn, sizeof(m.nqn), "%s:sub%u", h.ctl[2 * rnd(NCTL / 2)].nqn, rnd(2));
		break;
	case 4:
		snprintf(m.nqn, sizeof(m.nqn), "nqn.2024-01.com.example:%s%u",
			 rnd(2) ? "conf" : "admin", rnd(2));
		break;
	case 5:
		m = (struct zone_member){.type = ZMTYPE_IP_PORT,
					 .role = ZONE_ROLE_SUBSYSTEM,
					 .adrfam = NVMF_ADDR_FAMILY_IP4,
					 .ipproto = ZONE_IPPROTO_TCP,
					 .trsvcid = 4420};
		a = htonl(0xc6336400u + 1 + rnd(8)); /* 198.51.100.1-8, the DDCs' ports */
		memcpy(m.traddr, &a, 4);
		break;
	case 6:
		m.type = ZMTYPE_ALIAS;
		snprintf(m.nqn, sizeof(m.nqn), "a0");
		break;
	}
	return m;
}

static void zoning_submit(void)
{
	struct zoning_req z = {0};

	snprintf(z.orig, sizeof(z.orig), "%s", CDC_NQN);
	snprintf(z.group, sizeof(z.group), "g%u", rnd(2));
	snprintf(z.zone, sizeof(z.zone), "z%u", rnd(2));
	switch (rnd(11)) {
	case 0:
		z.op = ZONING_GROUP_CREATE;
		break;
	case 1:
		z.op = ZONING_ZONE_CREATE;
		break;
	case 2:
	case 3:
		z.op = ZONING_MEMBER_ADD;
		z.member = random_member(false);
		break;
	case 4:
		z.op = ZONING_MEMBER_DEL;
		z.member = random_member(false);
		break;
	case 5:
	case 6:
		z.op = ZONING_ACTIVATE;
		break;
	case 7:
		z.op = ZONING_DEACTIVATE;
		break;
	case 8:
		z.op = rnd(2) ? ZONING_ZONE_DEL : ZONING_GROUP_DEL;
		break;
	case 9:
		z.op = ZONING_ALIAS_CREATE;
		snprintf(z.alias, sizeof(z.alias), "a0");
		break;
	case 10:
		z.op = rnd(4) ? ZONING_MEMBER_ADD : ZONING_MEMBER_DEL;
		snprintf(z.alias, sizeof(z.alias), "a0");
		z.member = random_member(true);
		break;
	}
	ck_assert_int_eq(registry_zoning(h.r, &z, zoning_cb, NULL), 0);
}

static void zoning_change(void)
{
	int before = h.admin_done;

	zoning_submit();
	settle();
	CHECK(h.admin_done == before + 1, "zoning request did not complete");
}

/* ---- the checks ---- */

static uint8_t *view_bytes(const struct view *v, size_t *len)
{
	*len = v->len;
	uint8_t *out = malloc(*len + 1);
	CHECK(view_copy(v, 0, out, *len) == *len, "a view is short");
	return out;
}

/* Controller i's address, as its connection has it. */
static struct cdc_port ctl_addr(int i)
{
	struct cdc_port p = {.trtype = NVMF_TRTYPE_TCP, .adrfam = NVMF_ADDR_FAMILY_IP4};

	snprintf(p.traddr, sizeof(p.traddr), "127.0.0.%d", 2 + i);
	return p;
}

/* What controller i's host is served of log 70h. */
static uint8_t *log70_bytes(struct fabric *f, int i, size_t *len)
{
	struct cdc_port addr = ctl_addr(i);
	const struct view *v = fabric_host_view(f, h.ctl[i].nqn, &addr);

	CHECK(v, "no view of log 70h");
	if (!f->zoning_on) {
		CHECK(v->genctr == f->genctr, "the view is at %" PRIu64 ", the log at %" PRIu64,
		      v->genctr, f->genctr);
		CHECK(v->len == f->nentries * DISC_LOG_ENTRY_LEN,
		      "log 70h's view has %" PRIu64 " bytes", v->len);
	}
	CHECK(v->genctr <= f->genctr, "a view ahead of GENCTR");
	return view_bytes(v, len);
}

/* What controller i reads of log 71h. */
static uint8_t *log71_bytes(struct fabric *f, int i, size_t *len)
{
	ck_assert_int_eq(fabric_hostlog_refresh(f), 0);
	CHECK(fabric_hostlog_view(f)->len == f->hostlog_len, "log 71h's view is short");
	struct view *v = fabric_hostlog_view_for(f, h.ctl[i].nqn);
	CHECK(v, "no view of log 71h");
	uint8_t *out = view_bytes(v, len);
	view_unref(v);
	return out;
}

/* A field of an entry as a string (entries are NUL padded). */
static void field(char *dst, size_t size, const char *src, size_t len)
{
	size_t n = strnlen(src, len < size - 1 ? len : size - 1);

	memcpy(dst, src, n);
	dst[n] = 0;
}

/* The oracle of a zoned log 70h: the whole log (built afresh) with the subsystem entries
 * zoning_allows() refuses controller i's host left out. */
static uint8_t *log70_zoned(struct fabric *g, int i, size_t *len)
{
	struct cdc_port addr = ctl_addr(i);
	struct zone_host zh;
	size_t all;
	uint8_t *whole = view_bytes(g->view70, &all), *out = malloc(all + 1);

	ck_assert_int_eq(zone_endpoint_set(&zh.ep, h.ctl[i].nqn, &addr, true), 0);
	struct zone_view hv;
	ck_assert_int_eq(zoning_host_view(&g->zoning, &zh, &hv), 0);
	bool unzoned_may_see = g->zoning.policy == ZONE_POLICY_ALLOW && hv.n == 1 &&
			       hv.zones[0] == ZONE_ID_DEFAULT;
	zone_view_free(&hv);
	*len = 0;
	for (size_t off = 0; off < all; off += DISC_LOG_ENTRY_LEN) {
		const struct nvmf_disc_log_entry *e = (const void *)(whole + off);
		struct cdc_port port = {
			.trtype = e->trtype, .adrfam = e->adrfam, .portid = le16toh(e->portid)};
		char subnqn[CDC_NQN_MAX + 1];
		struct zone_port p;
		field(port.traddr, sizeof(port.traddr), e->traddr, sizeof(e->traddr));
		field(port.trsvcid, sizeof(port.trsvcid), e->trsvcid, sizeof(e->trsvcid));
		field(subnqn, sizeof(subnqn), e->subnqn, sizeof(e->subnqn));
		/* A port zoning cannot name is in no zone. */
		bool named = e->subtype == NVME_NQN_NVME &&
			     zone_endpoint_set(&p.ep, subnqn, &port, false) == 0;
		if (e->subtype == NVME_NQN_NVME &&
		    !(named ? zoning_allows(&g->zoning, &zh, &p) : unzoned_may_see))
			continue;
		memcpy(out + *len, e, DISC_LOG_ENTRY_LEN);
		*len += DISC_LOG_ENTRY_LEN;
	}
	free(whole);
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
	struct zoning z;
	ck_assert_int_eq(zoning_clone(&z, &h.f.zoning), 0);
	fabric_zoning_swap(&g, &z);
	zoning_free(&z);
	ck_assert_int_ge(fabric_rebuild(&g, 0), 0);

	for (int i = 0; i < NCTL; i++) {
		const char *nqn = h.ctl[i].nqn;
		uint8_t *x70 = log70_bytes(&h.f, i, &a70);
		uint8_t *y70 = g.zoning_on ? log70_zoned(&g, i, &b70) : log70_bytes(&g, i, &b70);
		CHECK(a70 == b70 && !memcmp(x70, y70, a70), "%s's log 70h differs from a rebuild",
		      nqn);
		free(x70);
		free(y70);
		uint8_t *x71 = log71_bytes(&h.f, i, &a71), *y71 = log71_bytes(&g, i, &b71);
		CHECK(a71 == b71 && !memcmp(x71, y71, a71), "%s's log 71h differs from a rebuild",
		      nqn);
		free(x71);
		free(y71);
	}
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

/* What each controller's host was served before a step. */
struct served {
	bool live;
	uint64_t genctr; /* of the log 70h view served */
	uint8_t *log70, *log71;
	size_t len70, len71;
};

static void served_get(struct served *v)
{
	for (int i = 0; i < NCTL; i++) {
		v[i].live = h.ctl[i].c != NULL;
		struct cdc_port addr = ctl_addr(i);
		v[i].genctr = fabric_host_view(&h.f, h.ctl[i].nqn, &addr)->genctr;
		v[i].log70 = log70_bytes(&h.f, i, &v[i].len70);
		v[i].log71 = log71_bytes(&h.f, i, &v[i].len71);
	}
}

static bool differs(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	return alen != blen || memcmp(a, b, alen);
}

/* Every controller live through the step heard an AEN of a log exactly when its view of
 * that log changed (log 71h: if it asked for those events); the ones that heard read the
 * log (RAE 0) and arm again. */
static void assert_aens(struct served *before)
{
	struct served after[NCTL];

	served_get(after);
	for (int i = 0; i < NCTL; i++) {
		struct ctl *c = &h.ctl[i];
		bool ch70 =
			differs(before[i].log70, before[i].len70, after[i].log70, after[i].len70);
		bool ch71 =
			differs(before[i].log71, before[i].len71, after[i].log71, after[i].len71);
		if (before[i].live && c->c) {
			CHECK(after[i].genctr >= before[i].genctr,
			      "controller %d: GENCTR went back from %" PRIu64 " to %" PRIu64, i,
			      before[i].genctr, after[i].genctr);
			CHECK(c->aens == ch70,
			      "controller %d heard %u AENs of log 70h, its view %s", i, c->aens,
			      ch70 ? "changed" : "did not change");
			CHECK(c->aens71 == (ch71 && c->hostlog_events),
			      "controller %d heard %u AENs of log 71h, which %s", i, c->aens71,
			      ch71 ? "changed" : "did not change");
		}
		/* A controller that connected in this step may have heard of it too. */
		if (c->c && c->aens)
			read_log(c, NVME_LOG_LID_DISCOVER);
		if (c->c && c->aens71)
			read_log(c, DISC_LID_HOST_DISCOVERY);
		while (c->c && c->armed < 2)
			aer(c);
		c->aens = c->aens71 = 0;
		free(before[i].log70);
		free(before[i].log71);
		free(after[i].log70);
		free(after[i].log71);
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
	struct registry_limits lim = {256, 100000, 100000, 0, 0};
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

/* The steps, at random: connections, DIMs, the administrator, reloads, batches, and in
 * the zoned variant zoning changes too. After each one the logs, the store and the AENs are
 * checked against a rebuild. */
static void random_steps(void)
{
	fprintf(stderr, "registry property test%s: REGISTRY_SEED=%" PRIu64 " replays it\n",
		h.zoning ? " (zoned)" : "", h.seed);
	for (h.step = 0; h.step < STEPS; h.step++) {
		struct served before[NCTL];
		int i = (int)rnd(NCTL);

		served_get(before);
		switch (rnd(h.zoning ? 12 : 9)) {
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
		case 8:
			batch(i);
			break;
		default:
			zoning_change();
			break;
		}
		settle();
		assert_logs_match_a_rebuild();
		assert_store_matches();
		assert_aens(before);
	}
}

START_TEST(random_changes_keep_logs_store_and_aens_exact)
{
	random_steps();
}
END_TEST

/* With zoning on, each controller is served its zoned log (checked against zoning_allows()
 * over a rebuilt log), and hears an AEN exactly when that log changed. */
START_TEST(random_zoned_changes_keep_logs_store_and_aens_exact)
{
	h.zoning = h.random_policy = true;
	reload();
	random_steps();
}
END_TEST

/* ---- each source's translation, and notify, one behaviour at a time ---- */

static int journal_last(void *arg, const struct journal_entry *j)
{
	*(struct journal_entry *)arg = *j;
	return 0;
}

/* The newest line of the change journal. */
static struct journal_entry journal_newest(void)
{
	struct journal_entry j = {0};

	ck_assert_int_ge(store_journal_read(h.st, 0, 100000, journal_last, &j), 0);
	return j;
}

#define SC_INVALID_DISC_INFO                                                                       \
	nvme_status(NVME_SCT_CMD_SPECIFIC, NVME_SC_INVALID_DISCOVERY_INFO, true)

/* ddc0 and controller other connected; ddc0 registered one port of subnqn. */
static void ddc0_registered(int other, const char *subnqn)
{
	struct log_rec rec = port_rec(subnqn, 1, 1);

	ctl_connect(0);
	ctl_connect(other);
	ck_assert_uint_eq(dim_send(0, h.ctl[0].nqn, NVMF_DIM_TAS_REGISTER, &rec, 1), 0);
}

START_TEST(dim_of_an_entity_another_host_registered_is_refused_and_journaled)
{
	struct log_rec rec = port_rec("nqn.2024-01.com.example:ddc0:sub0", 1, 1);

	ddc0_registered(2, rec.subnqn);
	uint64_t genctr = h.f.genctr;
	rec.port.traddr[strlen(rec.port.traddr) - 1] = '2';
	ck_assert_uint_eq(dim_send(2, h.ctl[0].nqn, NVMF_DIM_TAS_REGISTER, &rec, 1),
			  SC_INVALID_DISC_INFO);
	ck_assert_uint_eq(h.f.genctr, genctr);
	ck_assert_uint_eq(h.f.nrecs, 1);
	struct journal_entry j = journal_newest();
	ck_assert_str_eq(j.action, "register refused");
	ck_assert_str_eq(j.actor, h.ctl[2].nqn);
	ck_assert_ptr_nonnull(strstr(j.detail, "belongs to another host"));
}
END_TEST

START_TEST(dim_of_a_subsystem_another_ddc_registered_is_refused)
{
	struct log_rec rec = port_rec("nqn.2024-01.com.example:shared", 1, 1);

	ddc0_registered(2, rec.subnqn);
	ck_assert_uint_eq(dim_send(2, h.ctl[2].nqn, NVMF_DIM_TAS_REGISTER, &rec, 1),
			  SC_INVALID_DISC_INFO);
	ck_assert_ptr_nonnull(strstr(journal_newest().detail, "belongs to another registrant"));
	/* The configuration's subsystems are nobody's to register either. */
	rec = port_rec("nqn.2024-01.com.example:conf0", 1, 1);
	ck_assert_uint_eq(dim_send(2, h.ctl[2].nqn, NVMF_DIM_TAS_REGISTER, &rec, 1),
			  SC_INVALID_DISC_INFO);
}
END_TEST

START_TEST(dim_beyond_the_entity_limit_is_insufficient_resources)
{
	struct registry_limits lim = {2, 100000, 100000, 0, 0};
	struct log_rec recs[3];

	for (unsigned int k = 0; k < 3; k++)
		recs[k] = port_rec("nqn.2024-01.com.example:ddc0:sub0", k + 1, 1);
	registry_set_limits(h.r, &lim);
	ctl_connect(0);
	ck_assert_uint_eq(dim_send(0, h.ctl[0].nqn, NVMF_DIM_TAS_REGISTER, recs, 3),
			  nvme_status(NVME_SCT_CMD_SPECIFIC, NVME_SC_INSUFFICIENT_DISC_RES, false));
	ck_assert_uint_eq(h.f.nrecs, 0);
	/* Registering again what is there does not count. */
	ck_assert_uint_eq(dim_send(0, h.ctl[0].nqn, NVMF_DIM_TAS_REGISTER, recs, 2), 0);
	ck_assert_uint_eq(dim_send(0, h.ctl[0].nqn, NVMF_DIM_TAS_REGISTER, recs, 2), 0);
	ck_assert_uint_eq(h.f.nrecs, 2);
}
END_TEST

static int admin_err;

static void admin_err_cb(void *arg, int err)
{
	(void)arg;
	admin_err = err;
}

static int admin_do(enum admin_op op, const char *nqn, const char *port)
{
	struct admin_req a = {.op = op};
	char err[128];

	snprintf(a.nqn, sizeof(a.nqn), "%s", nqn);
	if (port)
		ck_assert_int_eq(addr_parse_port(port, "4420", &a.port, err, sizeof(err)), 0);
	admin_err = 1;
	ck_assert_int_eq(registry_admin(h.r, &a, admin_err_cb, NULL), 0);
	settle();
	ck_assert_int_ne(admin_err, 1);
	return admin_err;
}

START_TEST(admin_verdicts_come_from_the_model)
{
	const char *sub = "nqn.2024-01.com.example:admin0", *conf = "nqn.2024-01.com.example:conf0";

	ck_assert_int_eq(admin_do(ADMIN_PORT_ADD, sub, "traddr=192.0.2.1"), -ENOENT);
	ck_assert_int_eq(admin_do(ADMIN_SUBSYS_ADD, sub, NULL), 0);
	ck_assert_int_eq(admin_do(ADMIN_SUBSYS_ADD, sub, NULL), -EEXIST);
	ck_assert_int_eq(admin_do(ADMIN_SUBSYS_ADD, conf, NULL), -EEXIST);
	uint64_t genctr = h.f.genctr;
	ck_assert_int_eq(admin_do(ADMIN_PORT_ADD, sub, "traddr=192.0.2.1"), 0);
	ck_assert_uint_eq(h.f.genctr, genctr + 1);
	ck_assert_str_eq(journal_newest().action, "port add");
	ck_assert_int_eq(admin_do(ADMIN_PORT_DEL, conf, "traddr=192.0.2.10"), -EPERM);
	ck_assert_int_eq(admin_do(ADMIN_SUBSYS_DEL, conf, NULL), -EPERM);
	ck_assert_int_eq(admin_do(ADMIN_HOST_DEL, "nqn.2024-01.com.example:nobody", NULL), -ENOENT);
	ck_assert_int_eq(admin_do(ADMIN_SUBSYS_DEL, sub, NULL), 0);
	ck_assert_int_eq(admin_do(ADMIN_SUBSYS_DEL, sub, NULL), -ENOENT);
	ck_assert_uint_eq(h.f.nrecs, 0);
}
END_TEST

/* A port the administrator added to a DDC's subsystem would make the DDC's next DIM (sent
 * again on every reconnect) a registration of someone else's subsystem. */
START_TEST(admin_adds_no_port_to_a_ddc_subsystem_so_its_dim_still_succeeds)
{
	const char *sub = "nqn.2024-01.com.example:ddc0:sub0";
	struct log_rec rec = port_rec(sub, 1, 1);

	ddc0_registered(1, sub);
	ck_assert_int_eq(admin_do(ADMIN_PORT_ADD, sub, "traddr=192.0.2.99"), -EBUSY);
	ck_assert_uint_eq(dim_send(0, h.ctl[0].nqn, NVMF_DIM_TAS_REGISTER, &rec, 1), 0);
	ck_assert_int_eq(admin_do(ADMIN_PORT_DEL, sub, "traddr=198.51.100.1"),
			 0); /* removal: yes */
	ck_assert_uint_eq(h.f.nrecs, 0);
}
END_TEST

START_TEST(reload_of_the_same_file_tells_nobody)
{
	ctl_connect(1);
	uint64_t genctr = h.f.genctr;
	registry_config_changed(h.r, &h.cfg);
	settle();
	ck_assert_uint_eq(h.f.genctr, genctr);
	ck_assert_uint_eq(h.ctl[1].aens, 0);
	config_set(2);
	registry_config_changed(h.r, &h.cfg);
	settle();
	ck_assert_uint_eq(h.f.genctr, genctr + 1);
	ck_assert_uint_eq(h.ctl[1].aens, 1);
	ck_assert_uint_eq(h.f.ncfg, 4);
}
END_TEST

START_TEST(a_ddc_that_disconnects_changes_every_view)
{
	ddc0_registered(1, "nqn.2024-01.com.example:ddc0:sub0");
	read_log(&h.ctl[1], NVME_LOG_LID_DISCOVER);
	while (h.ctl[1].armed < 2)
		aer(&h.ctl[1]);
	h.ctl[1].aens = 0;
	uint64_t genctr = h.f.genctr;
	ctl_disconnect(0);
	settle();
	ck_assert_uint_eq(h.f.genctr, genctr + 1); /* its entry now says NCC */
	ck_assert_uint_eq(h.ctl[1].aens, 1);
	const struct nvmf_disc_log_entry *e = fabric_entry(&h.f, h.f.nentries - 1);
	ck_assert_uint_eq(le16toh(e->eflags) & NVMF_DISC_EFLAGS_NCC, NVMF_DISC_EFLAGS_NCC);
}
END_TEST

static int health_err;

static void health_cb(void *arg, const struct cdc_port *addr, bool down, int err)
{
	(void)arg;
	(void)addr;
	(void)down;
	health_err = err;
}

static void mark(const struct cdc_port *port, bool down)
{
	health_err = 1;
	ck_assert_int_eq(
		reg_health_mark(h.r, port, down, down ? "path down" : "path up", health_cb, NULL),
		0);
	settle();
	ck_assert_int_eq(health_err, 0);
}

/* Host 1 has read the log and holds AERs again. */
static void host1_rearmed(void)
{
	read_log(&h.ctl[1], NVME_LOG_LID_DISCOVER);
	while (h.ctl[1].armed < 2)
		aer(&h.ctl[1]);
	h.ctl[1].aens = 0;
}

START_TEST(a_path_marked_down_is_withheld_and_told_but_its_record_stays_stored)
{
	struct log_rec rec = port_rec("nqn.2024-01.com.example:ddc0:sub0", 1, 1);

	ddc0_registered(1, rec.subnqn);
	host1_rearmed();
	size_t n = h.f.nentries, nrecs = h.f.nrecs;
	uint64_t genctr = h.f.genctr;
	mark(&rec.port, true);
	ck_assert_uint_eq(h.f.genctr, genctr + 1);
	ck_assert_uint_eq(h.f.nentries, n - 1);
	ck_assert_uint_eq(h.f.nrecs, nrecs);
	ck_assert_uint_eq(h.ctl[1].aens, 1);
	ck_assert_str_eq(journal_newest().action, "path down");
	assert_store_matches(); /* the record still stored, the new GENCTR persisted */

	host1_rearmed();
	mark(&rec.port, true); /* again: nothing changes, nobody is told */
	ck_assert_uint_eq(h.f.genctr, genctr + 1);
	ck_assert_uint_eq(h.ctl[1].aens, 0);
	mark(&rec.port, false);
	ck_assert_uint_eq(h.f.genctr, genctr + 2);
	ck_assert_uint_eq(h.f.nentries, n);
	ck_assert_uint_eq(h.ctl[1].aens, 1);
}
END_TEST

/* notify alone, on controllers the registry also knows: a second index of its own. */
START_TEST(notify_tells_only_the_hosts_named)
{
	struct notify *n = notify_new();
	const char *hosts[] = {h.ctl[1].nqn};

	ck_assert_ptr_nonnull(n);
	ctl_connect(1);
	ctl_connect(3);
	ck_assert_int_eq(notify_ctrl_add(n, h.ctl[1].c), 0);
	ck_assert_int_eq(notify_ctrl_add(n, h.ctl[3].c), 0);
	struct change_set cs = {.logs = FABRIC_LOG70, .hosts = hosts, .nhosts = 1};
	ck_assert_uint_eq(notify_send(n, &cs), 1);
	ck_assert_uint_eq(h.ctl[1].aens, 1);
	ck_assert_uint_eq(h.ctl[3].aens, 0);
	cs = (struct change_set){.logs = 0, .all = true};
	ck_assert_uint_eq(notify_send(n, &cs), 0);
	notify_free(n);
}
END_TEST

START_TEST(notify_sends_log71_events_only_where_asked_and_forgets_the_gone)
{
	struct notify *n = notify_new();
	struct change_set cs = {.logs = FABRIC_LOG71, .all = true};

	ck_assert_ptr_nonnull(n);
	ctl_connect(1);
	ctl_connect(3);
	if (!h.ctl[1].hostlog_events)
		hostlog_events(&h.ctl[1]);
	ck_assert_int_eq(notify_ctrl_add(n, h.ctl[1].c), 0);
	ck_assert_int_eq(notify_ctrl_add(n, h.ctl[3].c), 0);
	ck_assert_int_eq(notify_ctrl_add(n, h.ctl[3].c), 0); /* once is enough */
	ck_assert(notify_hostlog_wanted(n));
	ck_assert_uint_eq(notify_send(n, &cs), 1 + (h.ctl[3].hostlog_events ? 1 : 0));
	ck_assert_uint_eq(h.ctl[1].aens71, 1);
	ck_assert_uint_eq(h.ctl[3].aens71, h.ctl[3].hostlog_events);
	if (!h.ctl[3].hostlog_events) {
		/* Enabled after the association went live: Set Features tells notify. */
		hostlog_events(&h.ctl[3]);
		notify_ctrl_events(n, h.ctl[3].c);
		read_log(&h.ctl[1], DISC_LID_HOST_DISCOVERY);
		ck_assert_uint_eq(notify_send(n, &cs), 2);
		ck_assert_uint_eq(h.ctl[3].aens71, 1);
	}
	notify_ctrl_del(n, h.ctl[3].c);
	cs.logs = FABRIC_LOG70;
	ck_assert_uint_eq(notify_send(n, &cs), 1);
	ck_assert_uint_eq(h.ctl[3].aens, 0);
	notify_free(n);
}
END_TEST

static int zoning_err;

static void zoning_err_cb(void *arg, int err)
{
	(void)arg;
	zoning_err = err;
	h.admin_done++;
}

static int zoning_do(enum zoning_op op, const char *zone, const struct zone_member *m)
{
	struct zoning_req z = {.op = op};
	int before = h.admin_done;

	snprintf(z.orig, sizeof(z.orig), "%s", CDC_NQN);
	snprintf(z.group, sizeof(z.group), "g0");
	if (zone)
		snprintf(z.zone, sizeof(z.zone), "%s", zone);
	if (m)
		z.member = *m;
	ck_assert_int_eq(registry_zoning(h.r, &z, zoning_err_cb, NULL), 0);
	settle();
	ck_assert_int_eq(h.admin_done, before + 1);
	return zoning_err;
}

static void raw_sql(const char *sql)
{
	char path[128];
	sqlite3 *db;

	snprintf(path, sizeof(path), "%s/cdcd.db", h.dir);
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

/* A zoning change the store refuses is undone whole: the databases, what hosts are served,
 * and nobody hears of it. */
START_TEST(a_zoning_change_the_store_refuses_changes_nothing)
{
	struct zone_member host = {.type = ZMTYPE_NQN, .role = ZONE_ROLE_HOST};
	struct zone_member sub = {.type = ZMTYPE_NQN, .role = ZONE_ROLE_SUBSYSTEM};
	size_t len_before, len_after;

	h.zoning = true;
	config_set(1); /* conf0, two ports */
	registry_config_changed(h.r, &h.cfg);
	settle();
	snprintf(host.nqn, sizeof(host.nqn), "%s", h.ctl[1].nqn);
	snprintf(sub.nqn, sizeof(sub.nqn), "nqn.2024-01.com.example:conf0");
	ck_assert_int_eq(zoning_do(ZONING_GROUP_CREATE, NULL, NULL), 0);
	ck_assert_int_eq(zoning_do(ZONING_ZONE_CREATE, "z0", NULL), 0);
	ck_assert_int_eq(zoning_do(ZONING_MEMBER_ADD, "z0", &host), 0);
	ck_assert_int_eq(zoning_do(ZONING_MEMBER_ADD, "z0", &sub), 0);
	ck_assert_int_eq(zoning_do(ZONING_ACTIVATE, NULL, NULL), 0);
	ctl_connect(1);
	read_log(&h.ctl[1], NVME_LOG_LID_DISCOVER);
	uint8_t *before = log70_bytes(&h.f, 1, &len_before);
	ck_assert_uint_eq(len_before, 2 * DISC_LOG_ENTRY_LEN); /* conf0's two ports */

	raw_sql("CREATE TRIGGER refuse BEFORE INSERT ON zone_group"
		" BEGIN SELECT RAISE(ABORT, 'refused'); END;");
	ck_assert_int_ne(zoning_do(ZONING_DEACTIVATE, NULL, NULL), 0);
	ck_assert_ptr_nonnull(zoning_active_find(&h.f.zoning, CDC_NQN, "g0"));
	uint8_t *after = log70_bytes(&h.f, 1, &len_after);
	ck_assert(len_after == len_before && !memcmp(before, after, len_before));
	ck_assert_uint_eq(h.ctl[1].aens, 0);
	free(after);

	raw_sql("DROP TRIGGER refuse;");
	ck_assert_int_eq(zoning_do(ZONING_DEACTIVATE, NULL, NULL), 0);
	ck_assert_ptr_null(zoning_active_find(&h.f.zoning, CDC_NQN, "g0"));
	after = log70_bytes(&h.f, 1, &len_after);
	ck_assert_uint_eq(len_after, 0);
	ck_assert_uint_eq(h.ctl[1].aens, 1);
	free(before);
	free(after);
}
END_TEST

/* ---- hosts' DH-HMAC-CHAP keys set through the control API ---- */

#define AUTH_HOST "nqn.2024-01.com.example:keyed"
#define AUTH_KEY1 "DHHC-1:00:ia6zGodOr4SEG0Zzaw398rpY0wqipUWj4jWjUh4HWUz6aQ2n:"
#define AUTH_KEY2 "DHHC-1:01:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR:"

static int auth_errs[4], auth_n;

static void auth_cb(void *arg, int err)
{
	(void)arg;
	ck_assert_int_lt(auth_n, 4);
	auth_errs[auth_n++] = err;
}

/* require: -1 leaves it as it is. */
static void auth_submit(enum host_auth_op op, const char *key, int require)
{
	struct host_auth_req q = {.op = op, .require_set = require >= 0, .require = require > 0};
	const char *which;

	snprintf(q.h.nqn, sizeof(q.h.nqn), "%s", AUTH_HOST);
	if (key)
		ck_assert_int_eq(host_auth_parse(&q.h, AUTH_HOST, key, NULL, false, &which), 0);
	ck_assert_int_eq(registry_host_auth(h.r, &h.svc, &q, auth_cb, NULL), 0);
}

/* The entry in memory and the one the store gives at the next start are both key, with
 * require; or both absent (key NULL). */
static void auth_check(const char *key, bool require)
{
	struct host_auth_db *stored = host_auth_db_new();
	struct auth_host want;
	const char *which;

	ck_assert_int_eq(host_auth_db_load(stored, h.st), 0);
	const struct host_auth_db *dbs[] = {h.svc.auth_db, stored};
	for (int i = 0; i < 2; i++) {
		const struct auth_host *e = host_auth_db_find(dbs[i], AUTH_HOST);
		if (!key) {
			ck_assert_ptr_null(e);
			continue;
		}
		ck_assert_int_eq(host_auth_parse(&want, AUTH_HOST, key, NULL, require, &which), 0);
		ck_assert_ptr_nonnull(e);
		ck_assert_uint_eq(e->key.len, want.key.len);
		ck_assert_mem_eq(e->key.key, want.key.key, want.key.len);
		ck_assert(e->require == require);
	}
	host_auth_db_free(stored);
}

START_TEST(host_key_changes_of_one_batch_end_as_one_after_another)
{
	h.svc.auth_db = host_auth_db_new();
	auth_n = 0;
	auth_submit(HOST_AUTH_SET, AUTH_KEY1, -1);
	settle();
	ck_assert_int_eq(auth_n, 1);
	ck_assert_int_eq(auth_errs[0], 0);
	auth_check(AUTH_KEY1, true); /* a new host must authenticate */

	/* In one loop turn: new keys (require as it is), then require no. */
	auth_n = 0;
	auth_submit(HOST_AUTH_SET, AUTH_KEY2, -1);
	auth_submit(HOST_AUTH_REQUIRE, NULL, 0);
	settle();
	ck_assert_int_eq(auth_n, 2);
	ck_assert_int_eq(auth_errs[0], 0);
	ck_assert_int_eq(auth_errs[1], 0);
	auth_check(AUTH_KEY2, false);

	/* Cleared, then required, in one turn: the second finds nothing. */
	auth_n = 0;
	auth_submit(HOST_AUTH_CLEAR, NULL, -1);
	auth_submit(HOST_AUTH_REQUIRE, NULL, 1);
	settle();
	ck_assert_int_eq(auth_errs[0], 0);
	ck_assert_int_eq(auth_errs[1], -ENOENT);
	auth_check(NULL, false);

	/* Set, then required, in one turn: the second finds the first. */
	auth_n = 0;
	auth_submit(HOST_AUTH_SET, AUTH_KEY1, 0);
	auth_submit(HOST_AUTH_REQUIRE, NULL, 1);
	settle();
	ck_assert_int_eq(auth_errs[0], 0);
	ck_assert_int_eq(auth_errs[1], 0);
	auth_check(AUTH_KEY1, true);

	/* A batch the store refuses changes nothing in force. */
	raw_sql("CREATE TRIGGER refuse_auth BEFORE UPDATE ON host_auth"
		" BEGIN SELECT RAISE(ABORT, 'refused'); END;");
	auth_n = 0;
	auth_submit(HOST_AUTH_SET, AUTH_KEY2, 0);
	settle();
	ck_assert_int_ne(auth_errs[0], 0);
	auth_check(AUTH_KEY1, true);
	host_auth_db_free(h.svc.auth_db);
	h.svc.auth_db = NULL;
}
END_TEST

START_TEST(a_host_of_the_keys_file_is_not_changed_through_the_registry)
{
	static const char file[] = "[host " AUTH_HOST "]\ndhchap-key = " AUTH_KEY1 "\n";
	struct auth_keys keys;
	char err[128];

	ck_assert_int_eq(auth_keys_parse(&keys, "keys", file, strlen(file), err, sizeof(err)), 0);
	h.svc.auth_keys = &keys;
	h.svc.auth_db = host_auth_db_new();
	auth_n = 0;
	auth_submit(HOST_AUTH_SET, AUTH_KEY2, -1);
	auth_submit(HOST_AUTH_CLEAR, NULL, -1);
	settle();
	ck_assert_int_eq(auth_errs[0], -EPERM);
	ck_assert_int_eq(auth_errs[1], -EPERM);
	auth_check(NULL, false);
	h.svc.auth_keys = NULL;
	auth_keys_free(&keys);
	host_auth_db_free(h.svc.auth_db);
	h.svc.auth_db = NULL;
}
END_TEST

int main(void)
{
	Suite *s = suite_create("registry");
	TCase *tc = tcase_create("property");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, random_changes_keep_logs_store_and_aens_exact);
	tcase_add_test(tc, random_zoned_changes_keep_logs_store_and_aens_exact);
	suite_add_tcase(s, tc);
	tc = tcase_create("sources");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, dim_of_an_entity_another_host_registered_is_refused_and_journaled);
	tcase_add_test(tc, dim_of_a_subsystem_another_ddc_registered_is_refused);
	tcase_add_test(tc, dim_beyond_the_entity_limit_is_insufficient_resources);
	tcase_add_test(tc, admin_verdicts_come_from_the_model);
	tcase_add_test(tc, admin_adds_no_port_to_a_ddc_subsystem_so_its_dim_still_succeeds);
	tcase_add_test(tc, reload_of_the_same_file_tells_nobody);
	tcase_add_test(tc, a_ddc_that_disconnects_changes_every_view);
	tcase_add_test(tc, a_path_marked_down_is_withheld_and_told_but_its_record_stays_stored);
	tcase_add_test(tc, a_zoning_change_the_store_refuses_changes_nothing);
	tcase_add_test(tc, host_key_changes_of_one_batch_end_as_one_after_another);
	tcase_add_test(tc, a_host_of_the_keys_file_is_not_changed_through_the_registry);
	suite_add_tcase(s, tc);
	tc = tcase_create("notify");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, notify_tells_only_the_hosts_named);
	tcase_add_test(tc, notify_sends_log71_events_only_where_asked_and_forgets_the_gone);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
