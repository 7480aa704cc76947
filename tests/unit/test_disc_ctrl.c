/* test_disc_ctrl.c - unit tests for cdc/disc_ctrl.c: the discovery controller driven with decoded
 * commands as the queue hands them over (Linux host flags and SGL lengths). Connect and its
 * refusals with IPO, properties, Identify, Get Log Page 70h/00h, features, AER/AEN delivery and
 * masking, Keep Alive and the commands a discovery controller refuses. The harness is one
 * disc_svc over a fabric with six entries and an completion callback that records the AENs it gets.
 */

#include <arpa/inet.h>
#include <check.h>
#include <endian.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <nvme/types.h>

#include "config.h"
#include "disc_ctrl.h"
#include "disc_log.h"
#include "error_log.h"
#include "fabric.h"
#include "log.h"
#include "nvmf_tcp.h"

#define CDC_NQN	 "nqn.2024-01.com.example:cdc:ctrl-test"
#define HOSTNQN	 "nqn.2014-08.org.nvmexpress:uuid:0c3e8a5f-4a7e-4b5d-9d1e-2f9a3c1b7e64"
#define HOSTNQN2 "nqn.2024-01.com.example:host2"
#define SUBSYS1	 "nqn.2024-01.com.example:subsys1"
#define SUBSYS2	 "nqn.2024-01.com.example:subsys2"

#define LINUX_KATO 120000 /* what a persistent Linux discovery connection asks for */
#define CC_LINUX   0x00460000u
#define CC_EN	   0x1u

/* Status values in libnvme form: DNR 0x4000 | SCT << 8 | SC. */
#define ST_INVALID_OPCODE      0x4001 /* generic 01h */
#define ST_INVALID_FIELD       0x4002 /* generic 02h */
#define MORE		       0x2000 /* more in the Error Information log */
#define ST_SEQ_ERROR	       0x400c /* generic 0Ch, Command Sequence Error */
#define ST_SGL_LENGTH	       0x400f /* generic 0Fh, Data SGL Length Invalid */
#define ST_KATO_INVALID	       0x401a /* generic 1Ah, Keep Alive Timeout Invalid */
#define ST_AER_LIMIT	       0x4105 /* SCT 1, SC 05h */
#define ST_NOT_SAVEABLE	       0x410d /* SCT 1, SC 0Dh */
#define ST_INCOMPATIBLE_FORMAT 0x4180 /* SCT 1, SC 80h */
#define ST_CONNECT_INVALID     0x4182 /* SCT 1, SC 82h */
#define ST_INVALID_QTYPE       0x4185 /* SCT 1, SC 85h */

#define AEN_LOG_CHANGE 0x0070f002u
#define AEC_DLPCN      (1u << 31)
#define IATTR_DATA     (1u << 16) /* Connect IPO points into the Connect data */

#define LOG_ENTRIES 7 /* one self entry (127.0.0.1:8009) and six fabric entries */
#define LOG_SIZE    (1024 + LOG_ENTRIES * 1024)

struct aen {
	uint16_t cid;
	uint32_t dw0;
};

/* Check fixtures take no argument: the harness of one test lives here. */
static struct {
	struct cdc_config cfg;
	struct fabric fabric;
	struct disc_svc svc;
	struct cdc_listen local, peer;
	struct aen aens[64];
	size_t naens;
	uint16_t next_cid;
	unsigned int changes;
	uint16_t last_err_loc; /* where the last command's failure pointed, or NO_LOC */
} h;

static void record_aen(void *arg, uint16_t cid, const struct nvme_cqe *cqe)
{
	ck_assert_ptr_eq(arg, &h);
	ck_assert_uint_eq(cqe->status, 0);
	ck_assert_uint_lt(h.naens, sizeof(h.aens) / sizeof(h.aens[0]));
	h.aens[h.naens++] = (struct aen){cid, cqe->dw0};
}

static const struct disc_ctrl_ops ops = {.complete = record_aen};

static struct cdc_port port_of(const char *text)
{
	struct cdc_port port;
	char err[256];

	ck_assert_msg(addr_parse_port(text, "4420", &port, err, sizeof(err)) == 0, "%s", err);
	return port;
}

static void add_subsys(const char *nqn, const char *const *ports, size_t nports)
{
	struct cdc_config *cfg = &h.cfg;
	struct cdc_subsys *s;

	cfg->subsys = realloc(cfg->subsys, (cfg->nsubsys + 1) * sizeof(*cfg->subsys));
	ck_assert_ptr_nonnull(cfg->subsys);
	s = &cfg->subsys[cfg->nsubsys++];
	memset(s, 0, sizeof(*s));
	snprintf(s->nqn, sizeof(s->nqn), "%s", nqn);
	s->ports = calloc(nports, sizeof(*s->ports));
	ck_assert_ptr_nonnull(s->ports);
	for (size_t i = 0; i < nports; i++)
		s->ports[i] = port_of(ports[i]);
	s->nports = nports;
}

static void setup(void)
{
	static const char *const ports1[] = {
		"traddr=192.0.2.10;portid=1", "traddr=192.0.2.11;portid=2",
		"traddr=192.0.2.12;portid=3", "traddr=192.0.2.13;portid=4"};
	static const char *const ports2[] = {"traddr=2001:db8::20;portid=5"};
	char err[256];

	memset(&h, 0, sizeof(h));
	h.next_cid = 1;
	config_defaults(&h.cfg);
	ck_assert_int_eq(addr_parse_listen("127.0.0.1:8009", &h.cfg.listen[0]), 0);
	ck_assert_int_eq(addr_parse_listen("[::]:8009", &h.cfg.listen[1]), 0);
	h.cfg.nlisten = 2;
	add_subsys(SUBSYS1, ports1, 4);
	add_subsys(SUBSYS2, ports2, 1);
	h.cfg.referrals = calloc(1, sizeof(*h.cfg.referrals));
	ck_assert_ptr_nonnull(h.cfg.referrals);
	ck_assert_int_eq(addr_parse_port("traddr=192.0.2.99", "8009", &h.cfg.referrals[0].port,
					   err, sizeof(err)),
			 0);
	snprintf(h.cfg.referrals[0].nqn, sizeof(h.cfg.referrals[0].nqn), "%s",
		 NVME_DISC_SUBSYS_NAME);
	h.cfg.nreferrals = 1;

	fabric_init(&h.fabric);
	ck_assert_int_eq(fabric_apply_config(&h.fabric, &h.cfg), 1);
	ck_assert_uint_eq(h.fabric.nentries, LOG_ENTRIES - 1);
	disc_svc_init(&h.svc, CDC_NQN, &h.fabric, h.cfg.listen, h.cfg.nlisten);
	ck_assert_int_eq(addr_parse_listen("127.0.0.1:8009", &h.local), 0);
	ck_assert_int_eq(addr_parse_listen("127.0.0.1:45678", &h.peer), 0);
}

static void teardown(void)
{
	/* Tests free their controllers; this only catches those of a failed test. */
	while (!TAILQ_EMPTY(&h.svc.ctrls))
		disc_ctrl_free(TAILQ_FIRST(&h.svc.ctrls));
	fabric_free(&h.fabric);
	config_free(&h.cfg);
}

/* The fabric changes: one more port for subsys2, GENCTR moves, every controller hears. */
static void log_change(void)
{
	char text[64];

	h.changes++;
	snprintf(text, sizeof(text), "traddr=198.51.100.%u;portid=%u", h.changes, 100 + h.changes);
	struct cdc_subsys *s = &h.cfg.subsys[1];
	s->ports = realloc(s->ports, (s->nports + 1) * sizeof(*s->ports));
	ck_assert_ptr_nonnull(s->ports);
	s->ports[s->nports++] = port_of(text);
	uint64_t before = h.fabric.genctr;
	ck_assert_int_eq(fabric_apply_config(&h.fabric, &h.cfg), 1);
	ck_assert_uint_eq(h.fabric.genctr, before + 1);
	disc_svc_log_changed(&h.svc);
}

static struct disc_ctrl *ctrl_new(void)
{
	struct disc_ctrl *c = disc_ctrl_new(&h.svc, (const struct sockaddr *)&h.local.ss,
					    (const struct sockaddr *)&h.peer.ss, &ops, &h);

	ck_assert_ptr_nonnull(c);
	return c;
}

/* A command as the Linux TCP host sends it: SGL data block, transport subtype, no data. */
static void cmd_init(struct disc_cmd *cmd, uint8_t opcode)
{
	memset(cmd, 0, sizeof(*cmd));
	cmd->sqe.opcode = opcode;
	cmd->sqe.flags = 0x40;
	cmd->sqe.cid = h.next_cid++;
	cmd->sqe.sgl_id = NVME_SGL_TRANSPORT;
}

/* The reply's parts (copied, referenced, zeros) as one buffer in rdata, as the host gets
 * them. */
static void flatten(struct disc_cmd *cmd)
{
	uint32_t len = disc_cmd_data_len(cmd);
	uint8_t *flat;

	if (!cmd->rdata && !cmd->npieces)
		return;
	flat = calloc(1, len ? len : 1);
	ck_assert_ptr_nonnull(flat);
	if (cmd->rlen)
		memcpy(flat, cmd->rdata, cmd->rlen);
	for (size_t i = 0, off = cmd->rlen; i < cmd->npieces; off += cmd->pieces[i++].len)
		memcpy(flat + off, cmd->pieces[i].p, cmd->pieces[i].len);
	disc_cmd_release(cmd);
	cmd->rdata = flat;
	cmd->rlen = len;
}

/* A status with the More bit is a promise: the newest Error Information log entry is this
 * command's failure. Keeps the field it points at in h.last_err_loc. */
static void check_error_entry(struct disc_ctrl *c, const struct disc_cmd *failed)
{
	struct disc_cmd cmd;
	struct nvme_error_log_page e;

	cmd_init(&cmd, nvme_admin_get_log_page);
	cmd.sqe.sgl_len = sizeof(e);
	cmd.sqe.cdw[10] = NVME_LOG_LID_ERROR | (sizeof(e) / 4 - 1) << 16;
	ck_assert_int_eq(disc_ctrl_exec(c, &cmd), DISC_DONE);
	if (cmd.cqe.status == ST_SEQ_ERROR)
		return; /* connected, not enabled yet: the log waits for CC.EN */
	ck_assert_uint_eq(cmd.cqe.status, 0);
	flatten(&cmd);
	memcpy(&e, cmd.rdata, sizeof(e));
	free(cmd.rdata);
	ck_assert_uint_ne(le64toh(e.error_count), 0);
	ck_assert_uint_eq(le16toh(e.cmdid), failed->sqe.cid);
	ck_assert_uint_eq(le16toh(e.sqid), 0);
	ck_assert_uint_eq(le16toh(e.status_field), nvme_status_wire(failed->cqe.status & ~MORE));
	h.last_err_loc = le16toh(e.parm_error_location);
}

/* Runs a command that completes at once and returns its status without the More bit, which
 * check_error_entry() has verified; rdata stays the caller's. */
static uint16_t exec_done(struct disc_ctrl *c, struct disc_cmd *cmd)
{
	ck_assert_int_eq(disc_ctrl_exec(c, cmd), DISC_DONE);
	if (cmd->cqe.status)
		ck_assert(!cmd->rdata && !cmd->npieces);
	flatten(cmd);
	h.last_err_loc = ERROR_LOG_NO_LOC;
	if (cmd->cqe.status & MORE)
		check_error_entry(c, cmd);
	return cmd->cqe.status & ~MORE;
}

/* exec_done() for commands that return no data. */
static uint16_t exec_nodata(struct disc_ctrl *c, struct disc_cmd *cmd)
{
	uint16_t status = exec_done(c, cmd);

	ck_assert_ptr_null(cmd->rdata);
	return status;
}

static void connect_data(uint8_t data[1024], const char *subnqn, const char *hostnqn)
{
	struct nvmf_connect_data *d = (struct nvmf_connect_data *)data;

	memset(data, 0, 1024);
	for (int i = 0; i < 16; i++)
		d->hostid[i] = (uint8_t)(0xa0 + i);
	d->cntlid = htole16(0xffff);
	snprintf(d->subsysnqn, sizeof(d->subsysnqn), "%s", subnqn);
	snprintf(d->hostnqn, sizeof(d->hostnqn), "%s", hostnqn);
}

/* Connect to the admin queue: RECFMT 0, QID 0, SQSIZE 31, 1024 bytes in the capsule. */
static void connect_cmd(struct disc_cmd *cmd, const uint8_t data[1024], uint32_t kato)
{
	cmd_init(cmd, nvme_admin_fabrics);
	cmd->sqe.fctype = nvme_fabrics_type_connect;
	cmd->sqe.sgl_id = NVME_SGL_INCAPSULE;
	cmd->sqe.sgl_len = 1024;
	cmd->sqe.cdw[10] = 0;
	cmd->sqe.cdw[11] = 31;
	cmd->sqe.cdw[12] = kato;
	cmd->data = data;
	cmd->data_len = 1024;
}

static uint16_t connect_to(struct disc_ctrl *c, const char *subnqn, const char *hostnqn,
			   uint32_t kato, uint32_t *dw0)
{
	uint8_t data[1024];
	struct disc_cmd cmd;

	connect_data(data, subnqn, hostnqn);
	connect_cmd(&cmd, data, kato);
	uint16_t status = exec_nodata(c, &cmd);
	if (dw0)
		*dw0 = cmd.cqe.dw0;
	return status;
}

static uint16_t prop_get(struct disc_ctrl *c, uint32_t ofst, bool eight, uint64_t *value)
{
	struct disc_cmd cmd;

	cmd_init(&cmd, nvme_admin_fabrics);
	cmd.sqe.fctype = nvme_fabrics_type_property_get;
	cmd.sqe.cdw[10] = eight ? 1 : 0;
	cmd.sqe.cdw[11] = ofst;
	uint16_t status = exec_nodata(c, &cmd);
	if (value)
		*value = cmd.cqe.dw0 | (uint64_t)cmd.cqe.dw1 << 32;
	return status;
}

static uint16_t prop_set(struct disc_ctrl *c, uint32_t ofst, uint32_t value)
{
	struct disc_cmd cmd;

	cmd_init(&cmd, nvme_admin_fabrics);
	cmd.sqe.fctype = nvme_fabrics_type_property_set;
	cmd.sqe.cdw[10] = 0;
	cmd.sqe.cdw[11] = ofst;
	cmd.sqe.cdw[12] = value;
	return exec_nodata(c, &cmd);
}

/* A command without data: Set/Get Features, Keep Alive, unknown opcodes. */
static uint16_t admin(struct disc_ctrl *c, uint8_t opcode, uint32_t cdw10, uint32_t cdw11,
		      uint32_t *dw0)
{
	struct disc_cmd cmd;

	cmd_init(&cmd, opcode);
	cmd.sqe.cdw[10] = cdw10;
	cmd.sqe.cdw[11] = cdw11;
	uint16_t status = exec_nodata(c, &cmd);
	if (dw0)
		*dw0 = cmd.cqe.dw0;
	return status;
}

/* Get Log Page of len bytes at off; the SGL carries sgl_len (the host's buffer). */
static uint16_t get_log(struct disc_ctrl *c, uint8_t lid, bool rae, uint64_t off, uint32_t len,
			uint32_t sgl_len, struct disc_cmd *cmd)
{
	uint32_t numd = len / 4 - 1;

	cmd_init(cmd, nvme_admin_get_log_page);
	cmd->sqe.nsid = 0xffffffff;
	cmd->sqe.sgl_len = sgl_len;
	cmd->sqe.cdw[10] = lid | (rae ? 1u << 15 : 0) | (numd & 0xffff) << 16;
	cmd->sqe.cdw[11] = numd >> 16;
	cmd->sqe.cdw[12] = (uint32_t)off;
	cmd->sqe.cdw[13] = (uint32_t)(off >> 32);
	uint16_t status = exec_done(c, cmd);
	if (!status)
		ck_assert_uint_eq(cmd->rlen, len);
	return status;
}

/* Status of a Get Log Page whose data is not looked at. */
static uint16_t get_log_status(struct disc_ctrl *c, uint8_t lid, bool rae, uint64_t off,
			       uint32_t len)
{
	struct disc_cmd cmd;
	uint16_t status = get_log(c, lid, rae, off, len, len, &cmd);

	free(cmd.rdata);
	return status;
}

static uint64_t log_genctr(struct disc_ctrl *c)
{
	struct disc_cmd cmd;

	ck_assert_uint_eq(get_log(c, NVME_LOG_LID_DISCOVER, true, 0, 20, 20, &cmd), 0);
	uint64_t genctr = get_le64(cmd.rdata);
	free(cmd.rdata);
	return genctr;
}

static uint16_t identify(struct disc_ctrl *c, uint8_t cns, uint32_t sgl_len, struct disc_cmd *cmd)
{
	cmd_init(cmd, nvme_admin_identify);
	cmd->sqe.sgl_len = sgl_len;
	cmd->sqe.cdw[10] = cns;
	return exec_done(c, cmd);
}

/* Submits an AER; returns what exec said (held, or done with a status). */
static int aer(struct disc_ctrl *c, uint16_t cid, struct disc_cmd *cmd)
{
	cmd_init(cmd, nvme_admin_async_event);
	cmd->sqe.cid = cid;
	int r = disc_ctrl_exec(c, cmd);
	ck_assert_ptr_null(cmd->rdata);
	return r;
}

static void aer_held(struct disc_ctrl *c, uint16_t cid)
{
	struct disc_cmd cmd;

	ck_assert_int_eq(aer(c, cid, &cmd), DISC_HELD);
}

/* Connected to the unique NQN and enabled, as the Linux host leaves it after its init. */
static struct disc_ctrl *ready_ctrl(uint32_t kato, uint16_t *cntlid)
{
	struct disc_ctrl *c = ctrl_new();
	uint32_t dw0;

	ck_assert_uint_eq(connect_to(c, CDC_NQN, HOSTNQN, kato, &dw0), 0);
	ck_assert_uint_eq(prop_set(c, NVME_REG_CC, CC_LINUX), 0);
	ck_assert_uint_eq(prop_set(c, NVME_REG_CC, CC_LINUX | CC_EN), 0);
	if (cntlid)
		*cntlid = (uint16_t)dw0;
	return c;
}

static void assert_aen(size_t i, uint16_t cid)
{
	ck_assert_uint_gt(h.naens, i);
	ck_assert_uint_eq(h.aens[i].cid, cid);
	ck_assert_uint_eq(h.aens[i].dw0, AEN_LOG_CHANGE);
}

/* An ASCII field of an Identify structure: printable, left aligned, padded with spaces. */
static void assert_space_padded(const char *field, size_t size)
{
	size_t i = 0;

	ck_assert_msg(field[0] != ' ' && field[0] != 0, "field starts with padding");
	while (i < size && field[i] != ' ') {
		ck_assert_msg(field[i] > 0x20 && field[i] < 0x7f, "byte %zu is %#x", i, field[i]);
		i++;
	}
	for (; i < size; i++)
		ck_assert_msg(field[i] == ' ', "padding byte %zu is %#x, not a space", i, field[i]);
}

/* ---- Connect ---- */

START_TEST(connect_with_the_well_known_nqn_succeeds)
{
	struct disc_ctrl *c = ctrl_new();
	uint32_t dw0 = 0;

	ck_assert(!disc_ctrl_connected(c));
	ck_assert_uint_eq(connect_to(c, NVME_DISC_SUBSYS_NAME, HOSTNQN, 0, &dw0), 0);
	ck_assert_uint_ge(dw0 & 0xffff, 1);
	ck_assert_uint_le(dw0 & 0xffff, 0xffef);
	ck_assert_uint_eq(dw0 >> 16, 0); /* no authentication required */
	ck_assert(disc_ctrl_connected(c));
	ck_assert_uint_eq(disc_ctrl_cntlid(c), dw0);
	ck_assert_str_eq(disc_ctrl_hostnqn(c), HOSTNQN);
	ck_assert_uint_eq(disc_ctrl_kato(c), 0);
	disc_ctrl_free(c);
}
END_TEST

START_TEST(connect_with_the_unique_nqn_succeeds)
{
	struct disc_ctrl *c = ctrl_new();
	uint32_t dw0 = 0;

	ck_assert_uint_eq(connect_to(c, CDC_NQN, HOSTNQN2, LINUX_KATO, &dw0), 0);
	ck_assert_uint_ge(dw0, 1);
	ck_assert_uint_le(dw0, 0xffef);
	ck_assert(disc_ctrl_connected(c));
	ck_assert_uint_eq(disc_ctrl_cntlid(c), dw0);
	ck_assert_str_eq(disc_ctrl_hostnqn(c), HOSTNQN2);
	ck_assert_uint_eq(disc_ctrl_kato(c), LINUX_KATO);
	disc_ctrl_free(c);
}
END_TEST

START_TEST(cntlids_are_unique_among_live_controllers)
{
	enum { N = 100 };
	struct disc_ctrl *c[N];
	uint16_t id[N];

	for (int i = 0; i < N; i++) {
		uint32_t dw0;
		c[i] = ctrl_new();
		ck_assert_uint_eq(
			connect_to(c[i], i % 2 ? CDC_NQN : NVME_DISC_SUBSYS_NAME, HOSTNQN, 0, &dw0),
			0);
		id[i] = (uint16_t)dw0;
		ck_assert_uint_ge(id[i], 1);
		ck_assert_uint_le(id[i], 0xffef);
		for (int j = 0; j < i; j++)
			ck_assert_msg(id[i] != id[j], "controllers %d and %d share CNTLID %u", i, j,
				      id[i]);
	}
	ck_assert_uint_eq(h.svc.nctrls, N);
	for (int i = 0; i < N; i++)
		disc_ctrl_free(c[i]);
	ck_assert_uint_eq(h.svc.nctrls, 0);
}
END_TEST

START_TEST(freed_cntlid_is_not_reused_at_once)
{
	struct disc_ctrl *a = ctrl_new(), *b;
	uint32_t first, second;

	ck_assert_uint_eq(connect_to(a, CDC_NQN, HOSTNQN, LINUX_KATO, &first), 0);
	disc_ctrl_free(a);
	/* The same host reconnects at once, as after a dropped connection. */
	b = ctrl_new();
	ck_assert_uint_eq(connect_to(b, CDC_NQN, HOSTNQN, LINUX_KATO, &second), 0);
	ck_assert_uint_ne(first, second);
	disc_ctrl_free(b);
}
END_TEST

START_TEST(cntlid_wraps_to_1_after_0xffef_and_skips_live_ones)
{
	struct disc_ctrl *a = ctrl_new(), *b = ctrl_new(), *c = ctrl_new();
	uint32_t ida, idb, idc;

	ck_assert_uint_eq(connect_to(a, CDC_NQN, HOSTNQN, 0, &ida), 0);
	ck_assert_uint_eq(ida, 1);
	/* Jump to the end of the range, as after a long uptime. */
	h.svc.next_cntlid = 0xffef;
	ck_assert_uint_eq(connect_to(b, CDC_NQN, HOSTNQN, 0, &idb), 0);
	ck_assert_uint_eq(idb, 0xffef);
	ck_assert_uint_eq(connect_to(c, CDC_NQN, HOSTNQN, 0, &idc), 0);
	ck_assert_uint_eq(idc, 2); /* 0xfff0.. are reserved and 1 is still live */
	disc_ctrl_free(a);
	disc_ctrl_free(b);
	disc_ctrl_free(c);
}
END_TEST

START_TEST(connect_recfmt_not_0_is_incompatible_format_ipo_40)
{
	struct disc_ctrl *c = ctrl_new();
	uint8_t data[1024];
	struct disc_cmd cmd;

	connect_data(data, CDC_NQN, HOSTNQN);
	connect_cmd(&cmd, data, 0);
	cmd.sqe.cdw[10] = 1; /* RECFMT */
	ck_assert_uint_eq(exec_nodata(c, &cmd), ST_INCOMPATIBLE_FORMAT);
	ck_assert_uint_eq(cmd.cqe.dw0, 40);
	ck_assert(!disc_ctrl_connected(c));
	disc_ctrl_free(c);
}
END_TEST

START_TEST(connect_qid_not_0_is_invalid_parameters_ipo_42)
{
	struct disc_ctrl *c = ctrl_new();
	uint8_t data[1024];
	struct disc_cmd cmd;

	connect_data(data, CDC_NQN, HOSTNQN);
	connect_cmd(&cmd, data, 0);
	cmd.sqe.cdw[10] = 1u << 16; /* QID 1: a discovery controller has no I/O queues */
	ck_assert_uint_eq(exec_nodata(c, &cmd), ST_CONNECT_INVALID);
	ck_assert_uint_eq(cmd.cqe.dw0, 42);
	ck_assert(!disc_ctrl_connected(c));
	disc_ctrl_free(c);
}
END_TEST

START_TEST(connect_sqsize_0_or_over_mqes_is_invalid_parameters_ipo_44)
{
	struct disc_ctrl *c = ctrl_new();
	uint8_t data[1024];
	struct disc_cmd cmd;

	connect_data(data, CDC_NQN, HOSTNQN);
	connect_cmd(&cmd, data, 0);
	cmd.sqe.cdw[11] = 0;
	ck_assert_uint_eq(exec_nodata(c, &cmd), ST_CONNECT_INVALID);
	ck_assert_uint_eq(cmd.cqe.dw0, 44);
	connect_cmd(&cmd, data, 0);
	cmd.sqe.cdw[11] = DISC_MQES + 1;
	ck_assert_uint_eq(exec_nodata(c, &cmd), ST_CONNECT_INVALID);
	ck_assert_uint_eq(cmd.cqe.dw0, 44);
	ck_assert(!disc_ctrl_connected(c));
	/* CAP.MQES itself is fine. */
	connect_cmd(&cmd, data, 0);
	cmd.sqe.cdw[11] = DISC_MQES;
	ck_assert_uint_eq(exec_nodata(c, &cmd), 0);
	disc_ctrl_free(c);
}
END_TEST

START_TEST(connect_cntlid_not_ffff_is_invalid_parameters_data_ipo_16)
{
	struct disc_ctrl *c = ctrl_new();
	uint8_t data[1024];
	struct disc_cmd cmd;

	connect_data(data, CDC_NQN, HOSTNQN);
	put_le16(data + 16, 0x0001);
	connect_cmd(&cmd, data, 0);
	ck_assert_uint_eq(exec_nodata(c, &cmd), ST_CONNECT_INVALID);
	ck_assert_uint_eq(cmd.cqe.dw0, 16 | IATTR_DATA);
	ck_assert(!disc_ctrl_connected(c));
	disc_ctrl_free(c);
}
END_TEST

START_TEST(connect_unknown_subnqn_is_invalid_parameters_data_ipo_256)
{
	struct disc_ctrl *c = ctrl_new();
	uint8_t data[1024];
	struct disc_cmd cmd;

	connect_data(data, SUBSYS1, HOSTNQN); /* an NVM subsystem, not us */
	connect_cmd(&cmd, data, 0);
	ck_assert_uint_eq(exec_nodata(c, &cmd), ST_CONNECT_INVALID);
	ck_assert_uint_eq(cmd.cqe.dw0, 256 | IATTR_DATA);

	/* A prefix of our NQN is not our NQN. */
	connect_data(data, "nqn.2024-01.com.example:cdc:ctrl", HOSTNQN);
	connect_cmd(&cmd, data, 0);
	ck_assert_uint_eq(exec_nodata(c, &cmd), ST_CONNECT_INVALID);
	ck_assert_uint_eq(cmd.cqe.dw0, 256 | IATTR_DATA);

	/* 256 bytes without a terminating NUL. */
	connect_data(data, CDC_NQN, HOSTNQN);
	memset(data + 256, 'a', 256);
	connect_cmd(&cmd, data, 0);
	ck_assert_uint_eq(exec_nodata(c, &cmd), ST_CONNECT_INVALID);
	ck_assert_uint_eq(cmd.cqe.dw0, 256 | IATTR_DATA);
	ck_assert(!disc_ctrl_connected(c));
	disc_ctrl_free(c);
}
END_TEST

START_TEST(connect_malformed_hostnqn_is_invalid_parameters_data_ipo_512)
{
	static const char *const bad[] = {"", "host1", "nqn.2024-13.com.example:h",
					  "nqn.2014-08.org.nvmexpress:uuid:not-a-uuid",
					  "nqn.2024-01.com.example:with space"};
	struct disc_ctrl *c = ctrl_new();
	uint8_t data[1024];
	struct disc_cmd cmd;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		connect_data(data, CDC_NQN, bad[i]);
		connect_cmd(&cmd, data, 0);
		ck_assert_msg(exec_nodata(c, &cmd) == ST_CONNECT_INVALID, "'%s' accepted", bad[i]);
		ck_assert_uint_eq(cmd.cqe.dw0, 512 | IATTR_DATA);
	}
	connect_data(data, CDC_NQN, HOSTNQN);
	memset(data + 512, 'n', 256); /* unterminated */
	connect_cmd(&cmd, data, 0);
	ck_assert_uint_eq(exec_nodata(c, &cmd), ST_CONNECT_INVALID);
	ck_assert_uint_eq(cmd.cqe.dw0, 512 | IATTR_DATA);
	ck_assert(!disc_ctrl_connected(c));
	disc_ctrl_free(c);
}
END_TEST

START_TEST(connect_with_less_than_1024_bytes_of_data_is_sgl_length_invalid)
{
	struct disc_ctrl *c = ctrl_new();
	uint8_t data[1024];
	struct disc_cmd cmd;

	connect_data(data, CDC_NQN, HOSTNQN);
	connect_cmd(&cmd, data, 0);
	cmd.sqe.sgl_len = cmd.data_len = 512;
	ck_assert_uint_eq(exec_nodata(c, &cmd), ST_SGL_LENGTH);
	connect_cmd(&cmd, NULL, 0);
	cmd.data_len = 0;
	ck_assert_uint_eq(exec_nodata(c, &cmd), ST_SGL_LENGTH);
	ck_assert(!disc_ctrl_connected(c));
	disc_ctrl_free(c);
}
END_TEST

START_TEST(failed_connect_leaves_the_controller_ready_for_a_good_one)
{
	struct disc_ctrl *c = ctrl_new();
	uint64_t v;

	ck_assert_uint_eq(connect_to(c, SUBSYS2, HOSTNQN, 0, NULL), ST_CONNECT_INVALID);
	ck_assert(!disc_ctrl_connected(c));
	ck_assert_uint_eq(prop_get(c, NVME_REG_CAP, true, &v), ST_SEQ_ERROR);
	ck_assert_uint_eq(connect_to(c, CDC_NQN, HOSTNQN, 0, NULL), 0);
	ck_assert(disc_ctrl_connected(c));
	disc_ctrl_free(c);
}
END_TEST

START_TEST(second_connect_is_a_command_sequence_error)
{
	struct disc_ctrl *c = ctrl_new();
	uint32_t first, dw0;

	ck_assert_uint_eq(connect_to(c, CDC_NQN, HOSTNQN, 0, &first), 0);
	ck_assert_uint_eq(connect_to(c, CDC_NQN, HOSTNQN2, LINUX_KATO, &dw0), ST_SEQ_ERROR);
	/* The association is unchanged. */
	ck_assert_uint_eq(disc_ctrl_cntlid(c), first);
	ck_assert_str_eq(disc_ctrl_hostnqn(c), HOSTNQN);
	ck_assert_uint_eq(disc_ctrl_kato(c), 0);
	disc_ctrl_free(c);
}
END_TEST

START_TEST(commands_before_connect_are_sequence_errors)
{
	struct disc_ctrl *c = ctrl_new();
	struct disc_cmd cmd;
	uint64_t v;

	ck_assert_uint_eq(prop_get(c, NVME_REG_CAP, true, &v), ST_SEQ_ERROR);
	ck_assert_uint_eq(prop_set(c, NVME_REG_CC, CC_LINUX | CC_EN), ST_SEQ_ERROR);
	ck_assert_uint_eq(identify(c, NVME_IDENTIFY_CNS_CTRL, 4096, &cmd), ST_SEQ_ERROR);
	ck_assert_uint_eq(get_log_status(c, NVME_LOG_LID_DISCOVER, false, 0, 20), ST_SEQ_ERROR);
	ck_assert_uint_eq(admin(c, nvme_admin_keep_alive, 0, 0, NULL), ST_SEQ_ERROR);
	ck_assert_int_eq(aer(c, 31, &cmd), DISC_DONE);
	ck_assert_uint_eq(cmd.cqe.status, ST_SEQ_ERROR);
	disc_ctrl_free(c);
}
END_TEST

START_TEST(admin_commands_before_cc_en_are_sequence_errors)
{
	struct disc_ctrl *c = ctrl_new();
	struct disc_cmd cmd;
	uint64_t v;

	ck_assert_uint_eq(connect_to(c, CDC_NQN, HOSTNQN, LINUX_KATO, NULL), 0);
	ck_assert_uint_eq(identify(c, NVME_IDENTIFY_CNS_CTRL, 4096, &cmd), ST_SEQ_ERROR);
	ck_assert_uint_eq(get_log_status(c, NVME_LOG_LID_DISCOVER, false, 0, 20), ST_SEQ_ERROR);
	ck_assert_int_eq(aer(c, 31, &cmd), DISC_DONE);
	ck_assert_uint_eq(cmd.cqe.status, ST_SEQ_ERROR);
	/* Properties are how the host gets there. */
	ck_assert_uint_eq(prop_get(c, NVME_REG_CAP, true, &v), 0);
	ck_assert_uint_eq(prop_set(c, NVME_REG_CC, CC_LINUX), 0);
	ck_assert_uint_eq(identify(c, NVME_IDENTIFY_CNS_CTRL, 4096, &cmd), ST_SEQ_ERROR);
	ck_assert_uint_eq(prop_set(c, NVME_REG_CC, CC_LINUX | CC_EN), 0);
	ck_assert_uint_eq(identify(c, NVME_IDENTIFY_CNS_CTRL, 4096, &cmd), 0);
	free(cmd.rdata);
	disc_ctrl_free(c);
}
END_TEST

/* ---- Properties ---- */

START_TEST(property_get_cap_has_mqes_127_cqr_and_mpsmin_0)
{
	struct disc_ctrl *c = ctrl_new();
	uint64_t cap = 0;

	ck_assert_uint_eq(connect_to(c, CDC_NQN, HOSTNQN, 0, NULL), 0);
	ck_assert_uint_eq(prop_get(c, NVME_REG_CAP, true, &cap), 0);
	ck_assert_uint_eq(cap & 0xffff, 127);	/* MQES, 0's based */
	ck_assert_uint_eq(cap >> 16 & 1, 1);	/* CQR */
	ck_assert_uint_eq(cap >> 17 & 3, 0);	/* AMS */
	ck_assert_uint_ne(cap >> 24 & 0xff, 0); /* TO */
	ck_assert_uint_eq(cap >> 32 & 0xf, 0);	/* DSTRD */
	ck_assert_uint_eq(cap >> 37 & 1, 1);	/* CSS.NCSS */
	ck_assert_uint_eq(cap >> 48 & 0xf, 0);	/* MPSMIN: 4 KiB hosts refuse more */
	ck_assert_uint_eq(cap >> 59 & 3, 0);	/* CRMS */
	ck_assert_uint_le(cap >> 48 & 0xf, cap >> 52 & 0xf);
	disc_ctrl_free(c);
}
END_TEST

START_TEST(property_get_vs_cc_and_csts)
{
	struct disc_ctrl *c = ctrl_new();
	uint64_t v;

	ck_assert_uint_eq(connect_to(c, CDC_NQN, HOSTNQN, 0, NULL), 0);
	ck_assert_uint_eq(prop_get(c, NVME_REG_VS, false, &v), 0);
	ck_assert_uint_ge(v, 0x00010300); /* 1.3 or later */
	ck_assert_uint_eq(v >> 32, 0);
	ck_assert_uint_eq(prop_get(c, NVME_REG_CC, false, &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_uint_eq(prop_get(c, NVME_REG_CSTS, false, &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_uint_eq(prop_set(c, NVME_REG_CC, CC_LINUX), 0);
	ck_assert_uint_eq(prop_get(c, NVME_REG_CC, false, &v), 0);
	ck_assert_uint_eq(v, CC_LINUX);
	ck_assert_uint_eq(prop_get(c, NVME_REG_CSTS, false, &v), 0);
	ck_assert_uint_eq(v & 1, 0);
	disc_ctrl_free(c);
}
END_TEST

START_TEST(property_set_cc_en_sets_csts_rdy_at_once)
{
	struct disc_ctrl *c = ctrl_new();
	uint64_t v;

	ck_assert_uint_eq(connect_to(c, CDC_NQN, HOSTNQN, 0, NULL), 0);
	ck_assert_uint_eq(prop_set(c, NVME_REG_CC, CC_LINUX | CC_EN), 0);
	ck_assert_uint_eq(prop_get(c, NVME_REG_CSTS, false, &v), 0);
	ck_assert_uint_eq(v & 1, 1);
	ck_assert_uint_eq(prop_get(c, NVME_REG_CC, false, &v), 0);
	ck_assert_uint_eq(v, CC_LINUX | CC_EN);
	/* And back. */
	ck_assert_uint_eq(prop_set(c, NVME_REG_CC, CC_LINUX), 0);
	ck_assert_uint_eq(prop_get(c, NVME_REG_CSTS, false, &v), 0);
	ck_assert_uint_eq(v & 1, 0);
	ck_assert_uint_eq(admin(c, nvme_admin_keep_alive, 0, 0, NULL), ST_SEQ_ERROR);
	disc_ctrl_free(c);
}
END_TEST

START_TEST(property_set_cc_shn_sets_shst_complete_at_once)
{
	struct disc_ctrl *c = ready_ctrl(0, NULL);
	uint64_t v;

	/* Normal shutdown, as nvme disconnect does. */
	ck_assert_uint_eq(prop_set(c, NVME_REG_CC, CC_LINUX | CC_EN | 1u << 14), 0);
	ck_assert_uint_eq(prop_get(c, NVME_REG_CSTS, false, &v), 0);
	ck_assert_uint_eq(v >> 2 & 3, 2); /* SHST 10b: complete */
	/* Abrupt shutdown too. */
	ck_assert_uint_eq(prop_set(c, NVME_REG_CC, CC_LINUX | 2u << 14), 0);
	ck_assert_uint_eq(prop_get(c, NVME_REG_CSTS, false, &v), 0);
	ck_assert_uint_eq(v >> 2 & 3, 2);
	disc_ctrl_free(c);
}
END_TEST

START_TEST(unknown_property_is_invalid_field)
{
	struct disc_ctrl *c = ctrl_new();
	uint64_t v;

	ck_assert_uint_eq(connect_to(c, CDC_NQN, HOSTNQN, 0, NULL), 0);
	ck_assert_uint_eq(prop_get(c, 0x0c, false, &v), ST_INVALID_FIELD); /* INTMS */
	ck_assert_uint_eq(prop_get(c, 0x20, false, &v), ST_INVALID_FIELD); /* NSSR */
	ck_assert_uint_eq(prop_get(c, 0x1000, false, &v), ST_INVALID_FIELD);
	ck_assert_uint_eq(prop_get(c, NVME_REG_VS, true, &v), ST_INVALID_FIELD); /* 4 bytes */
	/* Read-only and unknown properties cannot be set. */
	ck_assert_uint_eq(prop_set(c, NVME_REG_CAP, 0), ST_INVALID_FIELD);
	ck_assert_uint_eq(prop_set(c, NVME_REG_CSTS, 1), ST_INVALID_FIELD);
	ck_assert_uint_eq(prop_set(c, 0x20, 0x4e564d65), ST_INVALID_FIELD);
	disc_ctrl_free(c);
}
END_TEST

/* ---- Identify ---- */

START_TEST(identify_controller_describes_a_central_discovery_controller)
{
	uint16_t cntlid;
	struct disc_ctrl *c = ready_ctrl(LINUX_KATO, &cntlid);
	struct disc_cmd cmd;

	ck_assert_uint_eq(identify(c, NVME_IDENTIFY_CNS_CTRL, 4096, &cmd), 0);
	ck_assert_uint_eq(cmd.rlen, 4096);
	ck_assert_uint_eq(sizeof(struct nvme_id_ctrl), 4096);
	const struct nvme_id_ctrl *id = (const void *)cmd.rdata;
	const uint8_t *b = cmd.rdata;

	assert_space_padded(id->sn, sizeof(id->sn));
	assert_space_padded(id->mn, sizeof(id->mn));
	assert_space_padded(id->fr, sizeof(id->fr));
	ck_assert_uint_eq(b[76], 0);			 /* CMIC */
	ck_assert_uint_eq(get_le16(b + 78), cntlid);	 /* CNTLID as Connect said */
	ck_assert_uint_ge(get_le32(b + 80), 0x00010300); /* VER */
	ck_assert_uint_eq(get_le32(b + 92) >> 31, 1);	 /* OAES: log page change notices */
	ck_assert_uint_eq(b[111], 2);			 /* CNTRLTYPE: discovery */
	ck_assert_uint_eq(get_le16(b + 128), 0);	 /* CRDT1..3 */
	ck_assert_uint_eq(get_le16(b + 130), 0);
	ck_assert_uint_eq(get_le16(b + 132), 0);
	ck_assert_uint_eq(b[259], DISC_AERL);		  /* AERL */
	ck_assert_uint_eq(b[261] & 1u << 2, 1u << 2);	  /* LPA: extended data */
	ck_assert_uint_eq(b[261] & 1u << 1, 0);		  /* LPA: no effects log */
	ck_assert_uint_ge(get_le16(b + 320), 1);	  /* KAS */
	ck_assert_uint_ge(get_le16(b + 514), 32);	  /* MAXCMD */
	ck_assert_uint_eq(get_le16(b + 520), 0);	  /* ONCS */
	ck_assert_uint_eq(get_le32(b + 536), 0x00100001); /* SGLS */
	ck_assert_str_eq((const char *)b + 768, CDC_NQN); /* SUBNQN */
	ck_assert(b[768 + 255] == 0);
	ck_assert_uint_eq(get_le32(b + 1792), 0);     /* IOCCSZ */
	ck_assert_uint_eq(get_le16(b + 1800), 0);     /* ICDOFF */
	ck_assert_uint_eq(b[1802] & 1, 0);	      /* FCATT: dynamic model */
	ck_assert_uint_eq(get_le16(b + 1804) & 1, 0); /* OFCS: no Disconnect */
	ck_assert_uint_eq(b[1806], 2);		      /* DCTYPE: CDC */
	/* The same through libnvme's names. */
	ck_assert_uint_eq(le16toh(id->cntlid), cntlid);
	ck_assert_uint_eq(id->cntrltype, NVME_CTRL_CNTRLTYPE_DISCOVERY);
	ck_assert_uint_eq(id->dctype, NVME_CTRL_DCTYPE_CDC);
	ck_assert_uint_eq(le32toh(id->oaes) & (uint32_t)NVME_CTRL_OAES_DL,
			  (uint32_t)NVME_CTRL_OAES_DL);
	free(cmd.rdata);
	disc_ctrl_free(c);
}
END_TEST

START_TEST(identify_cntlid_follows_each_association)
{
	uint16_t ida, idb;
	struct disc_ctrl *a = ready_ctrl(0, &ida), *b = ready_ctrl(0, &idb);
	struct disc_cmd cmd;

	ck_assert_uint_ne(ida, idb);
	ck_assert_uint_eq(identify(b, NVME_IDENTIFY_CNS_CTRL, 4096, &cmd), 0);
	ck_assert_uint_eq(get_le16(cmd.rdata + 78), idb);
	free(cmd.rdata);
	ck_assert_uint_eq(identify(a, NVME_IDENTIFY_CNS_CTRL, 4096, &cmd), 0);
	ck_assert_uint_eq(get_le16(cmd.rdata + 78), ida);
	/* Connected through the well-known NQN, it still names itself by its own. */
	free(cmd.rdata);
	disc_ctrl_free(a);
	disc_ctrl_free(b);

	struct disc_ctrl *c = ctrl_new();
	ck_assert_uint_eq(connect_to(c, NVME_DISC_SUBSYS_NAME, HOSTNQN, 0, NULL), 0);
	ck_assert_uint_eq(prop_set(c, NVME_REG_CC, CC_LINUX | CC_EN), 0);
	ck_assert_uint_eq(identify(c, NVME_IDENTIFY_CNS_CTRL, 4096, &cmd), 0);
	ck_assert_str_eq((const char *)cmd.rdata + 768, CDC_NQN);
	free(cmd.rdata);
	disc_ctrl_free(c);
}
END_TEST

START_TEST(identify_cns_other_than_1_is_invalid_field_dnr)
{
	static const uint8_t cns[] = {0x00, 0x02, 0x03, 0x06, 0x13, 0x15, 0xff};
	struct disc_ctrl *c = ready_ctrl(0, NULL);
	struct disc_cmd cmd;

	for (size_t i = 0; i < sizeof(cns); i++)
		ck_assert_msg(identify(c, cns[i], 4096, &cmd) == ST_INVALID_FIELD,
			      "CNS %#x: status %#x", cns[i], cmd.cqe.status);
	disc_ctrl_free(c);
}
END_TEST

START_TEST(identify_into_a_short_buffer_is_sgl_length_invalid)
{
	struct disc_ctrl *c = ready_ctrl(0, NULL);
	struct disc_cmd cmd;

	ck_assert_uint_eq(identify(c, NVME_IDENTIFY_CNS_CTRL, 1024, &cmd), ST_SGL_LENGTH);
	ck_assert_uint_eq(identify(c, NVME_IDENTIFY_CNS_CTRL, 0, &cmd), ST_SGL_LENGTH);
	disc_ctrl_free(c);
}
END_TEST

/* ---- Get Log Page ---- */

START_TEST(discovery_log_header_read_of_20_bytes)
{
	struct disc_ctrl *c = ready_ctrl(0, NULL);
	struct disc_cmd cmd;

	/* What libnvme sends first: LID 70h, NUMD 4 (CDW10 0x00040070), 20 bytes. */
	ck_assert_uint_eq(get_log(c, NVME_LOG_LID_DISCOVER, false, 0, 20, 20, &cmd), 0);
	ck_assert_uint_eq(cmd.sqe.cdw[10], 0x00040070);
	ck_assert_uint_eq(cmd.rlen, 20);
	ck_assert_uint_eq(get_le64(cmd.rdata), h.fabric.genctr);
	ck_assert_uint_eq(get_le64(cmd.rdata + 8), LOG_ENTRIES);
	ck_assert_uint_eq(get_le16(cmd.rdata + 16), 0);
	free(cmd.rdata);
	disc_ctrl_free(c);
}
END_TEST

START_TEST(discovery_log_chunks_at_lpo_1024_return_the_entries)
{
	struct disc_ctrl *c = ready_ctrl(0, NULL);
	struct disc_cmd cmd;
	const struct nvmf_disc_log_entry *e;

	/* 4096-byte reads from LPO 1024, RAE set (CDW10 0x03FF8070), as libnvme does. */
	ck_assert_uint_eq(get_log(c, NVME_LOG_LID_DISCOVER, true, 1024, 4096, 4096, &cmd), 0);
	ck_assert_uint_eq(cmd.sqe.cdw[10], 0x03ff8070);
	e = (const void *)cmd.rdata;
	/* First this CDC itself, on the listener the host came in through. */
	ck_assert_uint_eq(e[0].subtype, NVME_NQN_CURR);
	ck_assert_str_eq(e[0].traddr, "127.0.0.1");
	ck_assert_str_eq(e[0].trsvcid, "8009");
	ck_assert_str_eq(e[0].subnqn, CDC_NQN);
	ck_assert_uint_eq(le16toh(e[0].eflags),
			  NVMF_DISC_EFLAGS_EPCSD | NVMF_DISC_EFLAGS_DUPRETINFO);
	/* Then the fabric, in order. */
	for (int i = 1; i < 4; i++)
		ck_assert_mem_eq(&e[i], fabric_entry(&h.fabric, i - 1), 1024);
	ck_assert_str_eq(e[1].subnqn, SUBSYS1);
	free(cmd.rdata);

	ck_assert_uint_eq(get_log(c, NVME_LOG_LID_DISCOVER, true, 5120, 4096, 4096, &cmd), 0);
	e = (const void *)cmd.rdata;
	for (int i = 0; i < 3; i++)
		ck_assert_mem_eq(&e[i], fabric_entry(&h.fabric, 3 + i), 1024);
	ck_assert_str_eq(e[1].subnqn, SUBSYS2);
	ck_assert_uint_eq(e[2].subtype, NVME_NQN_DISC);
	/* The last 1024 bytes lie past the end of the log. */
	for (int i = 3 * 1024; i < 4096; i++)
		ck_assert_msg(cmd.rdata[i] == 0, "byte %d past the end is %#x", i, cmd.rdata[i]);
	free(cmd.rdata);
	disc_ctrl_free(c);
}
END_TEST

START_TEST(get_log_page_past_end_is_zero_filled)
{
	struct disc_ctrl *c = ready_ctrl(0, NULL);
	struct disc_cmd cmd;

	ck_assert_uint_eq(get_log(c, NVME_LOG_LID_DISCOVER, false, LOG_SIZE, 4096, 4096, &cmd), 0);
	for (int i = 0; i < 4096; i++)
		ck_assert_uint_eq(cmd.rdata[i], 0);
	free(cmd.rdata);
	disc_ctrl_free(c);
}
END_TEST

START_TEST(get_log_page_offset_beyond_the_log_is_invalid_field)
{
	struct disc_ctrl *c = ready_ctrl(0, NULL);

	ck_assert_uint_eq(get_log_status(c, NVME_LOG_LID_DISCOVER, false, LOG_SIZE + 4, 4096),
			  ST_INVALID_FIELD);
	ck_assert_uint_eq(get_log_status(c, NVME_LOG_LID_DISCOVER, false, 1ull << 32, 20),
			  ST_INVALID_FIELD);
	ck_assert_uint_eq(get_log_status(c, NVME_LOG_LID_DISCOVER, false, UINT64_MAX - 3, 20),
			  ST_INVALID_FIELD);
	disc_ctrl_free(c);
}
END_TEST

START_TEST(get_log_page_unaligned_offset_is_invalid_field)
{
	struct disc_ctrl *c = ready_ctrl(0, NULL);

	ck_assert_uint_eq(get_log_status(c, NVME_LOG_LID_DISCOVER, false, 2, 20), ST_INVALID_FIELD);
	ck_assert_uint_eq(get_log_status(c, NVME_LOG_LID_DISCOVER, false, 1025, 4096),
			  ST_INVALID_FIELD);
	disc_ctrl_free(c);
}
END_TEST

START_TEST(get_log_page_index_offset_is_invalid_field)
{
	struct disc_ctrl *c = ready_ctrl(0, NULL);
	struct disc_cmd cmd;

	cmd_init(&cmd, nvme_admin_get_log_page);
	cmd.sqe.sgl_len = 1024;
	cmd.sqe.cdw[10] = NVME_LOG_LID_DISCOVER | 255u << 16;
	cmd.sqe.cdw[12] = 1;
	cmd.sqe.cdw[14] = 1u << 23; /* OT: the offset is an index; not advertised */
	ck_assert_uint_eq(exec_nodata(c, &cmd), ST_INVALID_FIELD);
	disc_ctrl_free(c);
}
END_TEST

START_TEST(get_log_page_longer_than_the_sgl_is_sgl_length_invalid)
{
	struct disc_ctrl *c = ready_ctrl(0, NULL);
	struct disc_cmd cmd;

	ck_assert_uint_eq(get_log(c, NVME_LOG_LID_DISCOVER, false, 0, 4096, 4092, &cmd),
			  ST_SGL_LENGTH);
	ck_assert_uint_eq(get_log(c, NVME_LOG_LID_DISCOVER, false, 0, 20, 0, &cmd), ST_SGL_LENGTH);
	/* NUMDU counts too: 2^16 dwords and more. */
	cmd_init(&cmd, nvme_admin_get_log_page);
	cmd.sqe.sgl_len = 4096;
	cmd.sqe.cdw[10] = NVME_LOG_LID_DISCOVER | 1023u << 16;
	cmd.sqe.cdw[11] = 1;
	ck_assert_uint_eq(exec_nodata(c, &cmd), ST_SGL_LENGTH);
	disc_ctrl_free(c);
}
END_TEST

START_TEST(unsupported_log_page_is_invalid_field_dnr)
{
	static const uint8_t lids[] = {0x02, 0x03, 0x0c, 0x80, 0xc0, 0xff};
	struct disc_ctrl *c = ready_ctrl(0, NULL);

	for (size_t i = 0; i < sizeof(lids); i++)
		ck_assert_msg(get_log_status(c, lids[i], false, 0, 512) == ST_INVALID_FIELD,
			      "LID %02xh", lids[i]);
	disc_ctrl_free(c);
}
END_TEST

/* ---- Error Information log (01h): where an invalid field is ---- */

/* The status a command got, and the SQE byte its Error Information entry points at. */
static void expect_at(uint16_t status, uint16_t want, uint16_t loc, const char *what)
{
	ck_assert_msg(status == want, "%s: status %#x, not %#x", what, status, want);
	ck_assert_msg(h.last_err_loc == loc, "%s points at byte %u, not %u", what, h.last_err_loc,
		      loc);
}

START_TEST(invalid_fields_point_at_their_sqe_byte)
{
	struct disc_ctrl *c = ready_ctrl(0, NULL);
	struct disc_cmd cmd;
	uint64_t v;

	expect_at(prop_get(c, 0x0c, false, &v), ST_INVALID_FIELD, 44, "property OFST");
	expect_at(prop_get(c, NVME_REG_VS, true, &v), ST_INVALID_FIELD, 40, "property ATTRIB");
	expect_at(prop_set(c, NVME_REG_CSTS, 0), ST_INVALID_FIELD, 44, "property set OFST");
	expect_at(identify(c, 0x00, 4096, &cmd), ST_INVALID_FIELD, 40, "identify CNS");
	expect_at(identify(c, NVME_IDENTIFY_CNS_CTRL, 1024, &cmd), ST_SGL_LENGTH, 24,
		  "identify DPTR");
	expect_at(get_log_status(c, NVME_LOG_LID_DISCOVER, false, 2, 20), ST_INVALID_FIELD, 48,
		  "log page offset");
	expect_at(get_log_status(c, 0x02, false, 0, 512), ST_INVALID_FIELD, 40, "log page LID");
	expect_at(admin(c, nvme_admin_set_features, 0x7f, 0, NULL), ST_INVALID_FIELD, 40,
		  "set features FID");
	expect_at(admin(c, nvme_admin_set_features, NVME_FEAT_FID_ASYNC_EVENT, 1u << 29, NULL),
		  ST_INVALID_FIELD, 44, "async event configuration");
	expect_at(admin(c, nvme_admin_set_features, NVME_FEAT_FID_KATO | 1u << 31, 5000, NULL),
		  ST_NOT_SAVEABLE, 40, "set features SV");
	expect_at(admin(c, nvme_admin_get_features, 0x7f, 0, NULL), ST_INVALID_FIELD, 40,
		  "get features FID");

	cmd_init(&cmd, nvme_admin_keep_alive);
	cmd.sqe.flags = 0; /* PRP */
	ck_assert_uint_eq(exec_nodata(c, &cmd), ST_INVALID_FIELD);
	ck_assert_uint_eq(h.last_err_loc, 1);

	get_log(c, NVME_LOG_LID_DISCOVER, false, 0, 1024, 1024, &cmd);
	free(cmd.rdata);
	cmd_init(&cmd, nvme_admin_get_log_page);
	cmd.sqe.sgl_len = 512;
	cmd.sqe.cdw[10] = NVME_LOG_LID_DISCOVER | 127u << 16;
	cmd.sqe.cdw[14] = 1u << 23; /* OT: an index, not a byte offset */
	ck_assert_uint_eq(exec_nodata(c, &cmd), ST_INVALID_FIELD);
	ck_assert_uint_eq(h.last_err_loc, 56);
	disc_ctrl_free(c);
}
END_TEST

START_TEST(error_log_keeps_the_newest_16_newest_first)
{
	struct disc_ctrl *c = ready_ctrl(0, NULL);
	struct disc_cmd cmd;
	uint16_t cids[20];

	ck_assert_uint_eq(identify(c, NVME_IDENTIFY_CNS_CTRL, 4096, &cmd), 0);
	ck_assert_uint_eq(((struct nvme_id_ctrl *)cmd.rdata)->elpe, ERROR_LOG_SLOTS - 1);
	free(cmd.rdata);
	for (size_t i = 0; i < 20; i++) {
		ck_assert_uint_eq(identify(c, 0x02, 4096, &cmd), ST_INVALID_FIELD);
		cids[i] = cmd.sqe.cid;
	}
	ck_assert_uint_eq(
		get_log(c, NVME_LOG_LID_ERROR, false, 0, ERROR_LOG_LEN, ERROR_LOG_LEN, &cmd), 0);
	for (size_t i = 0; i < ERROR_LOG_SLOTS; i++) {
		const struct nvme_error_log_page *e = (const void *)(cmd.rdata + i * 64);
		ck_assert_uint_eq(le64toh(e->error_count), 20 - i);
		ck_assert_uint_eq(le16toh(e->cmdid), cids[19 - i]);
		ck_assert_uint_eq(le16toh(e->parm_error_location), 40);
		ck_assert_uint_eq(e->trtype, NVMF_TRTYPE_TCP);
	}
	free(cmd.rdata);
	/* A read of the oldest entry alone, then past the page: zeros, then refused. */
	ck_assert_uint_eq(get_log(c, NVME_LOG_LID_ERROR, false, 15 * 64, 128, 128, &cmd), 0);
	ck_assert_uint_eq(get_le64(cmd.rdata), 5);
	ck_assert_uint_eq(get_le64(cmd.rdata + 64), 0);
	free(cmd.rdata);
	ck_assert_uint_eq(get_log_status(c, NVME_LOG_LID_ERROR, false, ERROR_LOG_LEN + 4, 64),
			  ST_INVALID_FIELD);
	disc_ctrl_free(c);
}
END_TEST

START_TEST(failures_before_connect_or_without_a_field_are_not_logged)
{
	struct disc_ctrl *c = ctrl_new();
	struct disc_cmd cmd;

	cmd_init(&cmd, nvme_admin_keep_alive);
	cmd.sqe.flags = 0;
	ck_assert_int_eq(disc_ctrl_exec(c, &cmd), DISC_DONE);
	ck_assert_uint_eq(cmd.cqe.status, ST_INVALID_FIELD); /* no More bit: nowhere to read it */
	disc_ctrl_free(c);

	c = ready_ctrl(0, NULL);
	cmd_init(&cmd, 0xc5); /* an opcode nobody implements: no field to point at */
	ck_assert_int_eq(disc_ctrl_exec(c, &cmd), DISC_DONE);
	ck_assert_uint_eq(cmd.cqe.status, ST_INVALID_OPCODE);
	ck_assert_uint_eq(get_log(c, NVME_LOG_LID_ERROR, false, 0, 64, 64, &cmd), 0);
	for (size_t i = 0; i < 64; i++)
		ck_assert_uint_eq(cmd.rdata[i], 0);
	free(cmd.rdata);
	disc_ctrl_free(c);
}
END_TEST

START_TEST(supported_log_pages_00h_lists_00h_and_70h)
{
	struct disc_ctrl *c = ready_ctrl(0, NULL);
	struct disc_cmd cmd;

	ck_assert_uint_eq(get_log(c, NVME_LOG_LID_SUPPORTED_LOG_PAGES, false, 0, 1024, 1024, &cmd),
			  0);
	ck_assert_uint_eq(get_le32(cmd.rdata + 4 * 0x00) & 1, 1);
	ck_assert_uint_eq(get_le32(cmd.rdata + 4 * 0x70) & 1, 1);
	ck_assert_uint_eq(get_le32(cmd.rdata + 4 * 0x02), 0);
	free(cmd.rdata);

	/* A partial read of it, at an offset. */
	ck_assert_uint_eq(get_log(c, NVME_LOG_LID_SUPPORTED_LOG_PAGES, false, 0x70 * 4, 8, 8, &cmd),
			  0);
	ck_assert_uint_eq(get_le32(cmd.rdata) & 1, 1);	   /* 70h */
	ck_assert_uint_eq(get_le32(cmd.rdata + 4) & 1, 1); /* 71h */
	free(cmd.rdata);
	ck_assert_uint_eq(get_log(c, NVME_LOG_LID_SUPPORTED_LOG_PAGES, false, 0x72 * 4, 4, 4, &cmd),
			  0);
	ck_assert_uint_eq(get_le32(cmd.rdata), 0);
	free(cmd.rdata);
	ck_assert_uint_eq(get_log_status(c, NVME_LOG_LID_SUPPORTED_LOG_PAGES, false, 1028, 4),
			  ST_INVALID_FIELD);
	disc_ctrl_free(c);
}
END_TEST

START_TEST(genctr_is_stable_while_nothing_changes)
{
	struct disc_ctrl *c = ready_ctrl(0, NULL);
	uint64_t first = log_genctr(c);

	ck_assert_uint_eq(first, h.fabric.genctr);
	ck_assert_uint_eq(admin(c, nvme_admin_keep_alive, 0, 0, NULL), 0);
	ck_assert_uint_eq(log_genctr(c), first);
	/* Applying the same configuration again changes nothing a host sees. */
	ck_assert_int_eq(fabric_apply_config(&h.fabric, &h.cfg), 0);
	ck_assert_uint_eq(log_genctr(c), first);
	log_change();
	ck_assert_uint_eq(log_genctr(c), first + 1);
	ck_assert_uint_eq(log_genctr(c), first + 1);
	disc_ctrl_free(c);
}
END_TEST

START_TEST(log_read_after_a_change_has_the_new_entry)
{
	struct disc_ctrl *c = ready_ctrl(0, NULL);
	struct disc_cmd cmd;

	log_change();
	ck_assert_uint_eq(get_log(c, NVME_LOG_LID_DISCOVER, false, 0, 20, 20, &cmd), 0);
	ck_assert_uint_eq(get_le64(cmd.rdata + 8), LOG_ENTRIES + 1);
	free(cmd.rdata);
	/* Subsystem ports come before the referral, so the new port is the second to last. */
	ck_assert_uint_eq(
		get_log(c, NVME_LOG_LID_DISCOVER, false, 1024 * LOG_ENTRIES, 1024, 1024, &cmd), 0);
	const struct nvmf_disc_log_entry *e = (const void *)cmd.rdata;
	ck_assert_str_eq(e->traddr, "198.51.100.1");
	ck_assert_str_eq(e->subnqn, SUBSYS2);
	free(cmd.rdata);
	disc_ctrl_free(c);
}
END_TEST

/* ---- Asynchronous events ---- */

START_TEST(aer_is_held_until_the_log_changes)
{
	struct disc_ctrl *c = ready_ctrl(LINUX_KATO, NULL);

	aer_held(c, 31);
	ck_assert_uint_eq(h.naens, 0);
	log_change();
	ck_assert_uint_eq(h.naens, 1);
	assert_aen(0, 31);
	disc_ctrl_free(c);
}
END_TEST

START_TEST(aen_is_masked_until_log_read_without_rae)
{
	struct disc_ctrl *c = ready_ctrl(LINUX_KATO, NULL);

	aer_held(c, 31);
	log_change();
	ck_assert_uint_eq(h.naens, 1);
	aer_held(c, 30);
	log_change();
	log_change();
	ck_assert_uint_eq(h.naens, 1); /* masked: the host has not read the log yet */

	ck_assert_uint_eq(get_log_status(c, NVME_LOG_LID_DISCOVER, false, 0, 20), 0);
	log_change();
	ck_assert_uint_eq(h.naens, 2);
	assert_aen(1, 30);
	disc_ctrl_free(c);
}
END_TEST

START_TEST(reading_with_rae_keeps_the_mask)
{
	struct disc_ctrl *c = ready_ctrl(LINUX_KATO, NULL);

	aer_held(c, 31);
	log_change();
	ck_assert_uint_eq(h.naens, 1);
	aer_held(c, 30);
	ck_assert_uint_eq(get_log_status(c, NVME_LOG_LID_DISCOVER, true, 0, 20), 0);
	ck_assert_uint_eq(get_log_status(c, NVME_LOG_LID_DISCOVER, true, 1024, 4096), 0);
	log_change();
	ck_assert_uint_eq(h.naens, 1);
	/* Supported Log Pages is not the log the event is about. */
	ck_assert_uint_eq(get_log_status(c, NVME_LOG_LID_SUPPORTED_LOG_PAGES, false, 0, 1024), 0);
	log_change();
	ck_assert_uint_eq(h.naens, 1);
	ck_assert_uint_eq(get_log_status(c, NVME_LOG_LID_DISCOVER, false, 1024, 4096), 0);
	log_change();
	ck_assert_uint_eq(h.naens, 2);
	assert_aen(1, 30);
	disc_ctrl_free(c);
}
END_TEST

START_TEST(event_without_an_aer_is_pending_and_completes_the_next_aer_at_once)
{
	struct disc_ctrl *c = ready_ctrl(LINUX_KATO, NULL);
	struct disc_cmd cmd;

	log_change();
	log_change(); /* identical events coalesce */
	ck_assert_uint_eq(h.naens, 0);
	ck_assert_int_eq(aer(c, 31, &cmd), DISC_HELD);
	ck_assert_uint_eq(h.naens, 1);
	assert_aen(0, 31);
	/* Reported: the next AER waits for a new change after a read. */
	aer_held(c, 30);
	ck_assert_uint_eq(h.naens, 1);
	disc_ctrl_free(c);
}
END_TEST

START_TEST(kato_0_controller_gets_no_aen_until_it_enables_them)
{
	struct disc_ctrl *c = ready_ctrl(0, NULL);
	uint32_t dw0 = 0xffffffff;

	ck_assert_uint_eq(admin(c, nvme_admin_get_features, NVME_FEAT_FID_ASYNC_EVENT, 0, &dw0), 0);
	ck_assert_uint_eq(dw0 & AEC_DLPCN, 0);
	aer_held(c, 31);
	log_change();
	ck_assert_uint_eq(h.naens, 0);

	ck_assert_uint_eq(
		admin(c, nvme_admin_set_features, NVME_FEAT_FID_ASYNC_EVENT, AEC_DLPCN, NULL), 0);
	ck_assert_uint_eq(admin(c, nvme_admin_get_features, NVME_FEAT_FID_ASYNC_EVENT, 0, &dw0), 0);
	ck_assert_uint_eq(dw0, AEC_DLPCN);
	log_change();
	ck_assert_uint_eq(h.naens, 1);
	assert_aen(0, 31);
	disc_ctrl_free(c);
}
END_TEST

START_TEST(persistent_connection_has_log_change_notices_enabled)
{
	struct disc_ctrl *c = ready_ctrl(LINUX_KATO, NULL);
	uint32_t dw0 = 0;

	ck_assert_uint_eq(admin(c, nvme_admin_get_features, NVME_FEAT_FID_ASYNC_EVENT, 0, &dw0), 0);
	ck_assert_uint_eq(dw0 & AEC_DLPCN, AEC_DLPCN);
	/* And a host may turn them off. */
	ck_assert_uint_eq(admin(c, nvme_admin_set_features, NVME_FEAT_FID_ASYNC_EVENT, 0, NULL), 0);
	aer_held(c, 31);
	log_change();
	ck_assert_uint_eq(h.naens, 0);
	disc_ctrl_free(c);
}
END_TEST

START_TEST(every_enabled_controller_gets_its_own_aen)
{
	struct disc_ctrl *a = ready_ctrl(LINUX_KATO, NULL);
	struct disc_ctrl *b = ready_ctrl(LINUX_KATO, NULL);
	struct disc_ctrl *quiet = ready_ctrl(0, NULL);
	struct disc_ctrl *unconnected = ctrl_new();

	aer_held(a, 31);
	aer_held(b, 29);
	aer_held(quiet, 28);
	log_change();
	ck_assert_uint_eq(h.naens, 2);
	ck_assert(h.aens[0].cid != h.aens[1].cid);
	ck_assert(h.aens[0].cid == 31 || h.aens[0].cid == 29);
	ck_assert(h.aens[1].cid == 31 || h.aens[1].cid == 29);
	ck_assert_uint_eq(h.aens[0].dw0, AEN_LOG_CHANGE);
	ck_assert_uint_eq(h.aens[1].dw0, AEN_LOG_CHANGE);
	disc_ctrl_free(a);
	disc_ctrl_free(b);
	disc_ctrl_free(quiet);
	disc_ctrl_free(unconnected);
	/* Freed controllers hear nothing more. */
	log_change();
	ck_assert_uint_eq(h.naens, 2);
}
END_TEST

START_TEST(aerl_plus_one_aers_are_held_one_more_is_limit_exceeded)
{
	struct disc_ctrl *c = ready_ctrl(LINUX_KATO, NULL);
	struct disc_cmd cmd;

	for (uint16_t i = 0; i <= DISC_AERL; i++)
		aer_held(c, 20 + i);
	ck_assert_int_eq(aer(c, 30, &cmd), DISC_DONE);
	ck_assert_uint_eq(cmd.cqe.status, ST_AER_LIMIT);
	ck_assert_uint_eq(h.naens, 0);
	/* One completes; then there is room for one more. */
	log_change();
	ck_assert_uint_eq(h.naens, 1);
	ck_assert_uint_ge(h.aens[0].cid, 20);
	ck_assert_uint_le(h.aens[0].cid, 20 + DISC_AERL);
	aer_held(c, 30);
	ck_assert_int_eq(aer(c, 31, &cmd), DISC_DONE);
	ck_assert_uint_eq(cmd.cqe.status, ST_AER_LIMIT);
	disc_ctrl_free(c);
}
END_TEST

START_TEST(set_features_aec_with_unsupported_bits_is_invalid_field)
{
	/* Supported: 31 (log 70h changes) and 30 (log 71h changes). */
	static const uint32_t bad[] = {1u << 29, 1u << 28, 1u << 8, 1u << 0, AEC_DLPCN | 1u << 9};
	struct disc_ctrl *c = ready_ctrl(LINUX_KATO, NULL);
	uint32_t dw0;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(admin(c, nvme_admin_set_features, NVME_FEAT_FID_ASYNC_EVENT, bad[i],
				    NULL) == ST_INVALID_FIELD,
			      "AEC %#x accepted", bad[i]);
	/* The setting is unchanged. */
	ck_assert_uint_eq(admin(c, nvme_admin_get_features, NVME_FEAT_FID_ASYNC_EVENT, 0, &dw0), 0);
	ck_assert_uint_eq(dw0, AEC_DLPCN);
	disc_ctrl_free(c);
}
END_TEST

/* ---- Features, Keep Alive, refusals ---- */

START_TEST(kato_set_and_get_round_trip_rounded_up_to_100ms)
{
	struct disc_ctrl *c = ready_ctrl(LINUX_KATO, NULL);
	uint32_t dw0;

	ck_assert_uint_eq(admin(c, nvme_admin_get_features, NVME_FEAT_FID_KATO, 0, &dw0), 0);
	ck_assert_uint_eq(dw0, LINUX_KATO);
	ck_assert_uint_eq(admin(c, nvme_admin_set_features, NVME_FEAT_FID_KATO, 1234, NULL), 0);
	ck_assert_uint_eq(admin(c, nvme_admin_get_features, NVME_FEAT_FID_KATO, 0, &dw0), 0);
	ck_assert_uint_eq(dw0, 1300);
	ck_assert_uint_eq(disc_ctrl_kato(c), 1300);
	ck_assert_uint_eq(admin(c, nvme_admin_set_features, NVME_FEAT_FID_KATO, 1, NULL), 0);
	ck_assert_uint_eq(disc_ctrl_kato(c), 100);
	ck_assert_uint_eq(admin(c, nvme_admin_set_features, NVME_FEAT_FID_KATO, 5000, NULL), 0);
	ck_assert_uint_eq(admin(c, nvme_admin_get_features, NVME_FEAT_FID_KATO, 0, &dw0), 0);
	ck_assert_uint_eq(dw0, 5000);
	ck_assert_uint_eq(admin(c, nvme_admin_set_features, NVME_FEAT_FID_KATO, 0, NULL), 0);
	ck_assert_uint_eq(disc_ctrl_kato(c), 0);
	disc_ctrl_free(c);
}
END_TEST

/* Rounding up must not overflow: a host asking for the longest timeout must not end up with
 * keep-alive disabled (0) or a timeout of a few milliseconds; it gets the documented
 * maximum, in Set Features and in the Connect alike. */
START_TEST(kato_near_uint32_max_is_not_wrapped_to_a_short_timeout)
{
	struct disc_ctrl *c = ready_ctrl(LINUX_KATO, NULL);
	uint32_t dw0 = 0;

	ck_assert_uint_eq(admin(c, nvme_admin_set_features, NVME_FEAT_FID_KATO, 0xfffffff0, NULL),
			  0);
	ck_assert_uint_eq(disc_ctrl_kato(c), DISC_KATO_MAX);
	ck_assert_uint_eq(admin(c, nvme_admin_get_features, NVME_FEAT_FID_KATO, 0, &dw0), 0);
	ck_assert_uint_eq(dw0, DISC_KATO_MAX);
	ck_assert_uint_eq(
		admin(c, nvme_admin_set_features, NVME_FEAT_FID_KATO, DISC_KATO_MAX, NULL), 0);
	ck_assert_uint_eq(disc_ctrl_kato(c), DISC_KATO_MAX);
	disc_ctrl_free(c);

	c = ready_ctrl(0xaaaaaaabu, NULL);
	ck_assert_uint_eq(disc_ctrl_kato(c), DISC_KATO_MAX);
	disc_ctrl_free(c);
}
END_TEST

START_TEST(get_features_sel_3_reports_changeable_not_saveable)
{
	struct disc_ctrl *c = ready_ctrl(LINUX_KATO, NULL);
	uint32_t dw0;

	ck_assert_uint_eq(
		admin(c, nvme_admin_get_features, NVME_FEAT_FID_ASYNC_EVENT | 3u << 8, 0, &dw0), 0);
	ck_assert_uint_eq(dw0 & 1, 0); /* not saveable */
	ck_assert_uint_eq(dw0 & 2, 0); /* not per namespace */
	ck_assert_uint_eq(dw0 & 4, 4); /* changeable */
	ck_assert_uint_eq(admin(c, nvme_admin_get_features, NVME_FEAT_FID_KATO | 3u << 8, 0, &dw0),
			  0);
	ck_assert_uint_eq(dw0, 4);
	disc_ctrl_free(c);
}
END_TEST

START_TEST(set_features_with_sv_is_feature_not_saveable)
{
	struct disc_ctrl *c = ready_ctrl(LINUX_KATO, NULL);

	ck_assert_uint_eq(
		admin(c, nvme_admin_set_features, NVME_FEAT_FID_KATO | 1u << 31, 5000, NULL),
		ST_NOT_SAVEABLE);
	ck_assert_uint_eq(disc_ctrl_kato(c), LINUX_KATO);
	ck_assert_uint_eq(admin(c, nvme_admin_set_features, NVME_FEAT_FID_ASYNC_EVENT | 1u << 31,
				AEC_DLPCN, NULL),
			  ST_NOT_SAVEABLE);
	disc_ctrl_free(c);
}
END_TEST

START_TEST(unsupported_feature_is_invalid_field)
{
	static const uint8_t fids[] = {0x01, 0x07, 0x0e, 0x16, 0x80};
	struct disc_ctrl *c = ready_ctrl(0, NULL);
	uint32_t dw0;

	for (size_t i = 0; i < sizeof(fids); i++) {
		ck_assert_uint_eq(admin(c, nvme_admin_set_features, fids[i], 0, NULL),
				  ST_INVALID_FIELD);
		ck_assert_uint_eq(admin(c, nvme_admin_get_features, fids[i], 0, &dw0),
				  ST_INVALID_FIELD);
	}
	disc_ctrl_free(c);
}
END_TEST

START_TEST(keep_alive_succeeds)
{
	struct disc_ctrl *c = ready_ctrl(LINUX_KATO, NULL);
	uint32_t dw0 = 0xffffffff;

	ck_assert_uint_eq(admin(c, nvme_admin_keep_alive, 0, 0, &dw0), 0);
	ck_assert_uint_eq(dw0, 0);
	ck_assert_uint_eq(admin(c, nvme_admin_keep_alive, 0, 0, NULL), 0);
	disc_ctrl_free(c);
}
END_TEST

START_TEST(unknown_admin_opcode_is_invalid_opcode_dnr_and_the_controller_stays_usable)
{
	/* I/O queue management, Namespace Management, Format NVM, vendor specific. */
	static const uint8_t opcodes[] = {0x00, 0x01, 0x04, 0x05, 0x0d, 0x80, 0xc1};
	struct disc_ctrl *c = ready_ctrl(LINUX_KATO, NULL);
	struct disc_cmd cmd;

	for (size_t i = 0; i < sizeof(opcodes); i++)
		ck_assert_msg(admin(c, opcodes[i], 0, 0, NULL) == ST_INVALID_OPCODE,
			      "opcode %#x not refused with Invalid Opcode", opcodes[i]);
	ck_assert(disc_ctrl_connected(c));
	ck_assert_uint_eq(identify(c, NVME_IDENTIFY_CNS_CTRL, 4096, &cmd), 0);
	free(cmd.rdata);
	ck_assert_uint_eq(get_log_status(c, NVME_LOG_LID_DISCOVER, false, 0, 20), 0);
	disc_ctrl_free(c);
}
END_TEST

START_TEST(disconnect_is_invalid_queue_type)
{
	struct disc_ctrl *c = ready_ctrl(LINUX_KATO, NULL);
	struct disc_cmd cmd;

	cmd_init(&cmd, nvme_admin_fabrics);
	cmd.sqe.fctype = nvme_fabrics_type_disconnect;
	ck_assert_uint_eq(exec_nodata(c, &cmd), ST_INVALID_QTYPE);
	ck_assert(disc_ctrl_connected(c));
	ck_assert_uint_eq(admin(c, nvme_admin_keep_alive, 0, 0, NULL), 0);
	disc_ctrl_free(c);
}
END_TEST

START_TEST(unknown_fabrics_command_type_is_refused)
{
	struct disc_ctrl *c = ready_ctrl(0, NULL);
	struct disc_cmd cmd;

	cmd_init(&cmd, nvme_admin_fabrics);
	cmd.sqe.fctype = 0x0a;
	uint16_t status = exec_nodata(c, &cmd);
	ck_assert(status == ST_INVALID_OPCODE || status == ST_INVALID_FIELD);
	ck_assert_uint_eq(admin(c, nvme_admin_keep_alive, 0, 0, NULL), 0);
	disc_ctrl_free(c);
}
END_TEST

START_TEST(psdt_other_than_sgl_is_invalid_field)
{
	/* PRP, SGL with a segment MPTR, reserved, and fused commands. */
	static const uint8_t flags[] = {0x00, 0x80, 0xc0, 0x41, 0x42, 0x01};
	struct disc_ctrl *c = ready_ctrl(0, NULL);
	struct disc_cmd cmd;

	for (size_t i = 0; i < sizeof(flags); i++) {
		cmd_init(&cmd, nvme_admin_keep_alive);
		cmd.sqe.flags = flags[i];
		ck_assert_msg(exec_nodata(c, &cmd) == ST_INVALID_FIELD, "flags %#x accepted",
			      flags[i]);
		cmd_init(&cmd, nvme_admin_identify);
		cmd.sqe.flags = flags[i];
		cmd.sqe.sgl_len = 4096;
		cmd.sqe.cdw[10] = NVME_IDENTIFY_CNS_CTRL;
		ck_assert_uint_eq(exec_nodata(c, &cmd), ST_INVALID_FIELD);
		cmd_init(&cmd, nvme_admin_fabrics);
		cmd.sqe.flags = flags[i];
		cmd.sqe.fctype = nvme_fabrics_type_property_get;
		cmd.sqe.cdw[11] = NVME_REG_CSTS;
		ck_assert_uint_eq(exec_nodata(c, &cmd), ST_INVALID_FIELD);
	}
	/* The metadata pointer bits (5:2) are not looked at. */
	cmd_init(&cmd, nvme_admin_keep_alive);
	ck_assert_uint_eq(exec_nodata(c, &cmd), 0);
	disc_ctrl_free(c);
}
END_TEST

START_TEST(data_direction_follows_opcode_and_fctype_bit_0)
{
	struct nvme_sqe sqe = {.opcode = nvme_admin_fabrics};

	sqe.fctype = nvme_fabrics_type_connect;
	ck_assert(nvme_cmd_is_write(&sqe));
	sqe.fctype = nvme_fabrics_type_auth_send;
	ck_assert(nvme_cmd_is_write(&sqe));
	sqe.fctype = nvme_fabrics_type_auth_receive;
	ck_assert(!nvme_cmd_is_write(&sqe));
	sqe.fctype = nvme_fabrics_type_property_get;
	ck_assert(!nvme_cmd_is_write(&sqe));
	sqe.fctype = nvme_fabrics_type_property_set;
	ck_assert(!nvme_cmd_is_write(&sqe));
	sqe.opcode = nvme_admin_get_log_page;
	ck_assert(!nvme_cmd_is_write(&sqe));
	sqe.opcode = nvme_admin_identify;
	ck_assert(!nvme_cmd_is_write(&sqe));
	sqe.opcode = 0x21; /* Discovery Information Management */
	ck_assert(nvme_cmd_is_write(&sqe));
}
END_TEST

static Suite *disc_ctrl_suite(void)
{
	Suite *s = suite_create("disc_ctrl");
	TCase *tc = tcase_create("connect");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, connect_with_the_well_known_nqn_succeeds);
	tcase_add_test(tc, connect_with_the_unique_nqn_succeeds);
	tcase_add_test(tc, cntlids_are_unique_among_live_controllers);
	tcase_add_test(tc, freed_cntlid_is_not_reused_at_once);
	tcase_add_test(tc, cntlid_wraps_to_1_after_0xffef_and_skips_live_ones);
	tcase_add_test(tc, connect_recfmt_not_0_is_incompatible_format_ipo_40);
	tcase_add_test(tc, connect_qid_not_0_is_invalid_parameters_ipo_42);
	tcase_add_test(tc, connect_sqsize_0_or_over_mqes_is_invalid_parameters_ipo_44);
	tcase_add_test(tc, connect_cntlid_not_ffff_is_invalid_parameters_data_ipo_16);
	tcase_add_test(tc, connect_unknown_subnqn_is_invalid_parameters_data_ipo_256);
	tcase_add_test(tc, connect_malformed_hostnqn_is_invalid_parameters_data_ipo_512);
	tcase_add_test(tc, connect_with_less_than_1024_bytes_of_data_is_sgl_length_invalid);
	tcase_add_test(tc, failed_connect_leaves_the_controller_ready_for_a_good_one);
	tcase_add_test(tc, second_connect_is_a_command_sequence_error);
	tcase_add_test(tc, commands_before_connect_are_sequence_errors);
	tcase_add_test(tc, admin_commands_before_cc_en_are_sequence_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("properties");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, property_get_cap_has_mqes_127_cqr_and_mpsmin_0);
	tcase_add_test(tc, property_get_vs_cc_and_csts);
	tcase_add_test(tc, property_set_cc_en_sets_csts_rdy_at_once);
	tcase_add_test(tc, property_set_cc_shn_sets_shst_complete_at_once);
	tcase_add_test(tc, unknown_property_is_invalid_field);
	suite_add_tcase(s, tc);

	tc = tcase_create("identify");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, identify_controller_describes_a_central_discovery_controller);
	tcase_add_test(tc, identify_cntlid_follows_each_association);
	tcase_add_test(tc, identify_cns_other_than_1_is_invalid_field_dnr);
	tcase_add_test(tc, identify_into_a_short_buffer_is_sgl_length_invalid);
	suite_add_tcase(s, tc);

	tc = tcase_create("get_log_page");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, discovery_log_header_read_of_20_bytes);
	tcase_add_test(tc, discovery_log_chunks_at_lpo_1024_return_the_entries);
	tcase_add_test(tc, get_log_page_past_end_is_zero_filled);
	tcase_add_test(tc, get_log_page_offset_beyond_the_log_is_invalid_field);
	tcase_add_test(tc, get_log_page_unaligned_offset_is_invalid_field);
	tcase_add_test(tc, get_log_page_index_offset_is_invalid_field);
	tcase_add_test(tc, get_log_page_longer_than_the_sgl_is_sgl_length_invalid);
	tcase_add_test(tc, unsupported_log_page_is_invalid_field_dnr);
	tcase_add_test(tc, supported_log_pages_00h_lists_00h_and_70h);
	tcase_add_test(tc, invalid_fields_point_at_their_sqe_byte);
	tcase_add_test(tc, error_log_keeps_the_newest_16_newest_first);
	tcase_add_test(tc, failures_before_connect_or_without_a_field_are_not_logged);
	tcase_add_test(tc, genctr_is_stable_while_nothing_changes);
	tcase_add_test(tc, log_read_after_a_change_has_the_new_entry);
	suite_add_tcase(s, tc);

	tc = tcase_create("aen");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, aer_is_held_until_the_log_changes);
	tcase_add_test(tc, aen_is_masked_until_log_read_without_rae);
	tcase_add_test(tc, reading_with_rae_keeps_the_mask);
	tcase_add_test(tc, event_without_an_aer_is_pending_and_completes_the_next_aer_at_once);
	tcase_add_test(tc, kato_0_controller_gets_no_aen_until_it_enables_them);
	tcase_add_test(tc, persistent_connection_has_log_change_notices_enabled);
	tcase_add_test(tc, every_enabled_controller_gets_its_own_aen);
	tcase_add_test(tc, aerl_plus_one_aers_are_held_one_more_is_limit_exceeded);
	tcase_add_test(tc, set_features_aec_with_unsupported_bits_is_invalid_field);
	suite_add_tcase(s, tc);

	tc = tcase_create("features");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, kato_set_and_get_round_trip_rounded_up_to_100ms);
	tcase_add_test(tc, kato_near_uint32_max_is_not_wrapped_to_a_short_timeout);
	tcase_add_test(tc, get_features_sel_3_reports_changeable_not_saveable);
	tcase_add_test(tc, set_features_with_sv_is_feature_not_saveable);
	tcase_add_test(tc, unsupported_feature_is_invalid_field);
	tcase_add_test(tc, keep_alive_succeeds);
	tcase_add_test(tc,
		       unknown_admin_opcode_is_invalid_opcode_dnr_and_the_controller_stays_usable);
	tcase_add_test(tc, disconnect_is_invalid_queue_type);
	tcase_add_test(tc, unknown_fabrics_command_type_is_refused);
	tcase_add_test(tc, psdt_other_than_sgl_is_invalid_field);
	tcase_add_test(tc, data_direction_follows_opcode_and_fctype_bit_0);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(disc_ctrl_suite());
	int failed;

	/* Connect refusals are logged at info level; keep the test output to the results. */
	log_open(true, LOG_ERR);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
