/* disc_ctrl.c - the discovery controller state machine (protocol.md sections 3-7, 12).
 * Handlers return an NVMe status; one place turns it into the completion. No sockets:
 * what a handler learns about the wire comes in struct disc_cmd. */
#include "disc_ctrl.h"

#include <endian.h>
#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth_msg.h"
#include "dim.h"
#include "error_log.h"
#include "host_auth.h"
#include "log.h"
#include "zoning_wire.h"

#define NVME_VS_2_0 0x00020000u
/* Async Event Configuration bits libnvme 1.3 does not name: discovery log page change
 * notices (F0h) and host discovery log page change notices (F1h, TP8010). */
#define AEC_DLPCN  (1u << 31)
#define AEC_HDLPCN (1u << 30)

/* Where an association is: it exists once its Connect succeeded, and serves once the host
 * authenticated where it must (DISC_AUTH: only Authentication Send/Receive and properties). */
enum disc_state { DISC_NEW, DISC_AUTH, DISC_LIVE };
/* Connect response DW0 AUTHREQ bit ATR: an authentication transaction is required. */
#define CONNECT_AUTHREQ_ATR (1u << 17)

/* Connect Invalid Parameters points at the bad field: IATTR bit 0 says data vs SQE. */
#define IPO_SQE(off)  ((uint32_t)(off))
#define IPO_DATA(off) ((uint32_t)(off) | 1u << 16)
enum { SQE_RECFMT = 40, SQE_QID = 42, SQE_SQSIZE = 44, SQE_KATO = 48 };
/* SQE bytes an Invalid Field points at in the Error Information log. */
enum {
	SQE_FLAGS = 1,
	SQE_DPTR = 24,
	SQE_CDW10 = 40,
	SQE_CDW11 = 44,
	SQE_CDW12 = 48,
	SQE_CDW14 = 56
};

/* The asynchronous events a discovery controller reports (protocol.md 7.7). */
enum { EV_LOG70 = 1 << 0, EV_LOG71 = 1 << 1 };

static const struct {
	uint32_t aec_bit;
	uint32_t dw0;
} events[] = {
	[0] = {AEC_DLPCN, DISC_AEN_LOG_CHANGE},
	[1] = {AEC_HDLPCN, DISC_AEN_HOSTLOG_CHANGE},
};

struct disc_ctrl {
	struct disc_svc *svc;
	TAILQ_ENTRY(disc_ctrl) link;
	const struct disc_ctrl_ops *ops;
	void *arg;

	enum disc_state state;
	uint16_t cntlid;
	uint16_t sqsize; /* 0's based, from the Connect */
	uint32_t kato;
	uint32_t cc, csts;
	uint32_t aec;
	uint8_t events_pending; /* EV_* log changes not yet reported */
	uint8_t events_masked;	/* reported; masked until that log is read with RAE = 0 */
	uint16_t aer_cid[DISC_AERL + 1];
	unsigned int naer;
	char hostnqn[CDC_NQN_MAX + 1];
	char subnqn[CDC_NQN_MAX + 1];
	uint8_t hostid[16];
	struct cdc_port peer; /* adrfam and traddr of the host */
	int64_t since;

	struct sockaddr_storage local;
	bool have_local;
	struct error_log *errors; /* allocated at the first error that points at a field */
	struct auth_ctrl *auth;	  /* while a DH-HMAC-CHAP transaction runs */
	bool limited; /* unauthenticated on the well-known NQN: Identify and self entries only */
};

#define SC_INVALID_FIELD   nvme_status(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD, true)
#define SC_INVALID_OPCODE  nvme_status(NVME_SCT_GENERIC, NVME_SC_INVALID_OPCODE, true)
#define SC_SEQ_ERROR	   nvme_status(NVME_SCT_GENERIC, NVME_SC_CMD_SEQ_ERROR, true)
#define SC_SGL_LENGTH	   nvme_status(NVME_SCT_GENERIC, NVME_SC_SGL_INVALID_DATA, true)
#define SC_CONNECT_INVALID nvme_status(NVME_SCT_CMD_SPECIFIC, NVME_SC_CONNECT_INVALID_PARAM, true)

static uint8_t *reply_alloc(struct disc_cmd *cmd, uint32_t len);

/* A failure that points at the SQE byte it is about, as nvmet's error_loc: the host finds
 * the location in the Error Information log, announced by the status's More bit. */
static uint16_t bad_field_status(struct disc_cmd *cmd, unsigned int loc, uint16_t status)
{
	cmd->err_loc = (uint16_t)loc;
	return status;
}

static uint16_t bad_field(struct disc_cmd *cmd, unsigned int loc)
{
	return bad_field_status(cmd, loc, SC_INVALID_FIELD);
}

void disc_svc_init(struct disc_svc *svc, const char *nqn, struct fabric *fabric,
		   const struct cdc_listen *listen, size_t nlisten)
{
	memset(svc, 0, sizeof(*svc));
	snprintf(svc->nqn, sizeof(svc->nqn), "%s", nqn);
	svc->fabric = fabric;
	svc->listen = listen;
	svc->nlisten = nlisten;
	svc->next_cntlid = 1;
	TAILQ_INIT(&svc->ctrls);
}

/* Controller IDs come from 1..0xFFEF, unique among live associations. The search resumes
 * after the last one handed out, so an ID just freed is not reused at once: a host that
 * reconnects while its old association is still being torn down gets a fresh one. */
static int cntlid_alloc(struct disc_svc *svc)
{
	for (unsigned int tries = 0; tries < 0xffef; tries++) {
		uint16_t id = svc->next_cntlid;
		svc->next_cntlid = id >= 0xffef ? 1 : id + 1;
		if (!(svc->cntlid_used[id / 8] & (1u << (id % 8)))) {
			svc->cntlid_used[id / 8] |= (uint8_t)(1u << (id % 8));
			return id;
		}
	}
	return -EBUSY;
}

static void cntlid_free(struct disc_svc *svc, uint16_t id)
{
	svc->cntlid_used[id / 8] &= (uint8_t) ~(1u << (id % 8));
}

struct disc_ctrl *disc_ctrl_new(struct disc_svc *svc, const struct sockaddr *local,
				const struct sockaddr *peer, const struct disc_ctrl_ops *ops,
				void *arg)
{
	struct disc_ctrl *ctrl = calloc(1, sizeof(*ctrl));

	if (!ctrl)
		return NULL;
	if (peer)
		disc_addr_port(peer, &ctrl->peer);
	ctrl->svc = svc;
	ctrl->ops = ops;
	ctrl->arg = arg;
	if (local) {
		size_t len = local->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
							  : sizeof(struct sockaddr_in);
		memcpy(&ctrl->local, local, len);
		ctrl->have_local = true;
	}
	TAILQ_INSERT_TAIL(&svc->ctrls, ctrl, link);
	svc->nctrls++;
	return ctrl;
}

void disc_ctrl_free(struct disc_ctrl *ctrl)
{
	if (!ctrl)
		return;
	if (ctrl->state != DISC_NEW)
		cntlid_free(ctrl->svc, ctrl->cntlid);
	if (ctrl->state == DISC_LIVE) {
		if (ctrl->svc->reg_ops)
			ctrl->svc->reg_ops->disconnected(ctrl->svc->reg, ctrl);
	}
	TAILQ_REMOVE(&ctrl->svc->ctrls, ctrl, link);
	ctrl->svc->nctrls--;
	error_log_free(ctrl->errors);
	auth_ctrl_free(ctrl->auth);
	free(ctrl);
}

uint32_t disc_ctrl_kato(const struct disc_ctrl *ctrl)
{
	return ctrl->kato;
}

bool disc_ctrl_connected(const struct disc_ctrl *ctrl)
{
	return ctrl->state == DISC_LIVE;
}

bool disc_ctrl_authenticating(const struct disc_ctrl *ctrl)
{
	return ctrl->state == DISC_AUTH;
}

uint16_t disc_ctrl_cntlid(const struct disc_ctrl *ctrl)
{
	return ctrl->cntlid;
}

const char *disc_ctrl_hostnqn(const struct disc_ctrl *ctrl)
{
	return ctrl->hostnqn;
}

const uint8_t *disc_ctrl_hostid(const struct disc_ctrl *ctrl)
{
	return ctrl->hostid;
}

const struct view *disc_ctrl_view(struct disc_ctrl *ctrl)
{
	struct cdc_port addr = ctrl->peer;

	addr.trtype = NVMF_TRTYPE_TCP; /* the transport it connected over */
	return fabric_host_view(ctrl->svc->fabric, ctrl->hostnqn, &addr);
}

struct view *disc_ctrl_hostlog_view(struct disc_ctrl *ctrl)
{
	return fabric_hostlog_view_for(ctrl->svc->fabric, ctrl->hostnqn);
}

const char *disc_ctrl_peer(const struct disc_ctrl *ctrl, uint8_t *adrfam)
{
	*adrfam = ctrl->peer.adrfam;
	return ctrl->peer.traddr;
}

struct disc_ctrl *disc_svc_next(struct disc_svc *svc, struct disc_ctrl *prev)
{
	return prev ? TAILQ_NEXT(prev, link) : TAILQ_FIRST(&svc->ctrls);
}

void disc_ctrl_get_info(const struct disc_ctrl *ctrl, struct disc_ctrl_info *info)
{
	*info = (struct disc_ctrl_info){
		.cntlid = ctrl->cntlid,
		.connected = ctrl->state == DISC_LIVE,
		.kato = ctrl->kato,
		.aers = ctrl->naer,
		.since = ctrl->since,
		.hostnqn = ctrl->hostnqn,
		.subnqn = ctrl->subnqn,
		.peer = ctrl->peer.traddr,
	};
}

void disc_svc_get_stats(const struct disc_svc *svc, struct disc_stats *out)
{
	const struct disc_ctrl *c;

	*out = (struct disc_stats){.counters = &svc->counters};
	TAILQ_FOREACH (c, &svc->ctrls, link) {
		if (c->state != DISC_LIVE)
			continue;
		out->controllers++;
		out->persistent += c->kato != 0;
		out->aen_armed += c->naer != 0;
	}
}

void disc_ctrl_complete(struct disc_ctrl *ctrl, uint16_t cid, uint16_t status)
{
	disc_ctrl_complete_dw0(ctrl, cid, status, 0);
}

void disc_ctrl_complete_dw0(struct disc_ctrl *ctrl, uint16_t cid, uint16_t status, uint32_t dw0)
{
	struct nvme_cqe cqe = {.status = status, .dw0 = dw0};

	ctrl->ops->complete(ctrl->arg, cid, &cqe);
}

uint32_t disc_cmd_data_len(const struct disc_cmd *cmd)
{
	uint32_t len = cmd->rlen + cmd->zero_len;

	for (size_t i = 0; i < cmd->npieces; i++)
		len += cmd->pieces[i].len;
	return len;
}

void disc_cmd_release(struct disc_cmd *cmd)
{
	for (size_t i = 0; i < cmd->npieces; i++)
		disc_blob_unref(cmd->pieces[i].blob);
	free(cmd->pieces);
	free(cmd->rdata);
	cmd->rdata = NULL;
	cmd->pieces = NULL;
	cmd->npieces = 0;
	cmd->rlen = cmd->zero_len = 0;
}

static bool is_connect(const struct nvme_sqe *sqe)
{
	return sqe->opcode == nvme_admin_fabrics && sqe->fctype == nvme_fabrics_type_connect;
}

uint16_t disc_ctrl_check_data(const struct disc_ctrl *ctrl, const struct nvme_sqe *sqe,
			      uint32_t len)
{
	if (is_connect(sqe)) {
		if (ctrl->state != DISC_NEW)
			return SC_SEQ_ERROR;
		return len > DISC_CONNECT_DATA_MAX ? SC_SGL_LENGTH : 0;
	}
	if (sqe->opcode == nvme_admin_fabrics && sqe->fctype == nvme_fabrics_type_auth_send) {
		if (ctrl->state == DISC_NEW)
			return SC_SEQ_ERROR;
		return len > DISC_AUTH_DATA_MAX ? SC_SGL_LENGTH : 0;
	}
	if (ctrl->state != DISC_LIVE)
		return SC_SEQ_ERROR;
	if (sqe->opcode == nvme_admin_discovery_info_mgmt || sqe->opcode == DISC_OP_FZL ||
	    sqe->opcode == DISC_OP_FZS)
		return 0;
	/* Nothing else a discovery controller implements takes host data. */
	return sqe->opcode == nvme_admin_fabrics || sqe->opcode == nvme_admin_set_features
		       ? SC_SGL_LENGTH
		       : SC_INVALID_OPCODE;
}

unsigned int disc_ctrl_queue_depth(const struct disc_ctrl *ctrl)
{
	return ctrl->state != DISC_NEW ? ctrl->sqsize + 1u : DISC_MQES + 1u;
}

bool nvme_cmd_is_write(const struct nvme_sqe *sqe)
{
	if (sqe->opcode == nvme_admin_fabrics)
		return sqe->fctype & 1;
	return sqe->opcode & 1;
}

/* ---- asynchronous events ---- */

static void aen_try_deliver(struct disc_ctrl *ctrl)
{
	for (unsigned int i = 0; i < sizeof(events) / sizeof(events[0]) && ctrl->naer; i++) {
		uint8_t ev = (uint8_t)(1u << i);
		if (!(ctrl->events_pending & ev) || (ctrl->events_masked & ev))
			continue;
		uint16_t cid = ctrl->aer_cid[--ctrl->naer];
		ctrl->events_pending &= (uint8_t)~ev;
		ctrl->events_masked |= ev;
		ctrl->svc->counters.aens[i]++;
		struct nvme_cqe cqe = {.dw0 = events[i].dw0};
		ctrl->ops->complete(ctrl->arg, cid, &cqe);
	}
}

static void disc_ctrl_event(struct disc_ctrl *ctrl, unsigned int i)
{
	uint8_t ev = (uint8_t)(1u << i);

	/* Identical events coalesce, and a reported one stays masked until the host read the
	 * log: what it reads then is already the newest state. */
	if (ctrl->state != DISC_LIVE || !(ctrl->aec & events[i].aec_bit) ||
	    (ctrl->events_masked & ev))
		return;
	ctrl->events_pending |= ev;
	aen_try_deliver(ctrl);
}

static void svc_event(struct disc_svc *svc, unsigned int i)
{
	struct disc_ctrl *ctrl;

	TAILQ_FOREACH (ctrl, &svc->ctrls, link)
		disc_ctrl_event(ctrl, i);
}

void disc_svc_log_changed(struct disc_svc *svc)
{
	svc_event(svc, 0);
}

void disc_svc_hostlog_changed(struct disc_svc *svc)
{
	svc_event(svc, 1);
}

void disc_ctrl_log_changed(struct disc_ctrl *ctrl, uint8_t lid)
{
	disc_ctrl_event(ctrl, lid == DISC_LID_HOST_DISCOVERY ? 1 : 0);
}

bool disc_ctrl_wants_event(const struct disc_ctrl *ctrl, uint8_t lid)
{
	return ctrl->aec & events[lid == DISC_LID_HOST_DISCOVERY ? 1 : 0].aec_bit;
}

/* Reading a log with RAE = 0 re-arms its event. */
static void log_read_done(struct disc_ctrl *ctrl, uint8_t ev, bool rae)
{
	if (rae)
		return;
	ctrl->events_masked &= (uint8_t)~ev;
	ctrl->events_pending &= (uint8_t)~ev;
}

static void log_read_count(struct disc_ctrl *ctrl, enum disc_stat_log which, uint64_t len)
{
	ctrl->svc->counters.log_reads[which]++;
	ctrl->svc->counters.log_bytes[which] += len;
}

/* ---- fabrics commands ---- */

static bool subnqn_served(const struct disc_svc *svc, const char *nqn)
{
	return !strcmp(nqn, NVME_DISC_SUBSYS_NAME) || !strcmp(nqn, svc->nqn);
}

static uint16_t connect_fail(struct disc_cmd *cmd, uint32_t ipo)
{
	cmd->cqe.dw0 = ipo;
	return SC_CONNECT_INVALID;
}

/* Copies a NUL-terminated NQN out of a 256-byte field; false if it is not terminated. */
static bool nqn_field(const char *field, char *out)
{
	size_t len = strnlen(field, NVME_NQN_LENGTH);

	if (len > CDC_NQN_MAX)
		return false;
	memcpy(out, field, len);
	out[len] = 0;
	return true;
}

static uint16_t connect_check_sqe(const struct disc_ctrl *ctrl, struct disc_cmd *cmd)
{
	const struct nvme_sqe *s = &cmd->sqe;
	uint16_t recfmt = (uint16_t)s->cdw[10], qid = (uint16_t)(s->cdw[10] >> 16);
	uint16_t sqsize = (uint16_t)s->cdw[11];

	if (ctrl->state != DISC_NEW)
		return SC_SEQ_ERROR;
	if (recfmt != 0) {
		cmd->cqe.dw0 = IPO_SQE(SQE_RECFMT);
		return nvme_status(NVME_SCT_CMD_SPECIFIC, NVME_SC_CONNECT_FORMAT, true);
	}
	if (qid != 0) /* a discovery controller has no I/O queues */
		return connect_fail(cmd, IPO_SQE(SQE_QID));
	if (sqsize == 0 || sqsize > DISC_MQES)
		return connect_fail(cmd, IPO_SQE(SQE_SQSIZE));
	if (cmd->data_len < sizeof(struct nvmf_connect_data))
		return SC_SGL_LENGTH;
	return 0;
}

/* ---- in-band authentication (DH-HMAC-CHAP) ---- */

#define SC_AUTH_REQUIRED nvme_status(NVME_SCT_CMD_SPECIFIC, NVME_SC_AUTH_REQUIRED, true)

/* The host's settings: its section of the keys file, else those set through the API. */
static const struct auth_host *disc_auth_host(const struct disc_ctrl *ctrl)
{
	return host_auth_lookup(ctrl->svc->auth_keys, ctrl->svc->auth_db, ctrl->hostnqn, NULL);
}

static struct auth_ctrl *auth_start(struct disc_ctrl *ctrl, const struct auth_host *host)
{
	return auth_ctrl_new(host, ctrl->hostnqn, ctrl->subnqn, &ctrl->svc->auth_prefs);
}

/* Whether this Connect needs authentication (sets ctrl->auth) or is limited. A host with
 * require-auth must authenticate, except on the well-known NQN where nvme-cli 2.x and
 * stafd connect without keys (protocol.md 9.8): there it sees Identify and the self
 * entries, which send it on to the unique NQN, unless well-known-auth says required. */
static uint16_t connect_auth_policy(struct disc_ctrl *ctrl)
{
	const struct auth_host *host = disc_auth_host(ctrl);

	if (!host || !host->require)
		return 0;
	if (!strcmp(ctrl->subnqn, NVME_DISC_SUBSYS_NAME) && !ctrl->svc->auth_well_known) {
		ctrl->limited = true;
		return 0;
	}
	if (!(ctrl->auth = auth_start(ctrl, host)))
		return nvme_status(NVME_SCT_GENERIC, NVME_SC_INTERNAL, false);
	return 0;
}

/* The transaction ended one way or the other. */
static void auth_done(struct disc_ctrl *ctrl, struct disc_cmd *cmd)
{
	enum auth_ctrl_result r = auth_ctrl_result(ctrl->auth);

	if (r == AUTH_CTRL_PENDING)
		return;
	auth_ctrl_free(ctrl->auth);
	ctrl->auth = NULL;
	enum disc_stat_auth stat =
		r == AUTH_CTRL_FAILED ? DISC_STAT_AUTH_FAILURE : DISC_STAT_AUTH_SUCCESS;
	ctrl->svc->counters.auth[stat]++;
	if (r == AUTH_CTRL_FAILED) {
		cmd->close = true;
		return;
	}
	ctrl->limited = false;
	if (ctrl->state == DISC_AUTH) {
		ctrl->state = DISC_LIVE;
		if (ctrl->svc->reg_ops)
			ctrl->svc->reg_ops->connected(ctrl->svc->reg, ctrl);
	}
}

/* Authentication Send and Receive (protocol.md 3.4): the checks of the Linux target, then
 * the message to the transaction. A host may also authenticate on a live association
 * that did not require it, if it has a key here. */
static uint16_t fabrics_auth(struct disc_ctrl *ctrl, struct disc_cmd *cmd)
{
	uint32_t cdw10 = cmd->sqe.cdw[10], len = cmd->sqe.cdw[11];
	bool send = cmd->sqe.fctype == nvme_fabrics_type_auth_send;

	if (ctrl->state == DISC_NEW)
		return SC_SEQ_ERROR;
	if ((cdw10 >> 24) != AUTH_SECP || ((cdw10 >> 8) & 0xff) != AUTH_SPSP ||
	    ((cdw10 >> 16) & 0xff) != AUTH_SPSP)
		return bad_field(cmd, SQE_CDW10);
	if (len == 0)
		return bad_field(cmd, SQE_CDW11);
	if (send ? cmd->data_len < len : cmd->sqe.sgl_len < len)
		return bad_field_status(cmd, SQE_DPTR, SC_SGL_LENGTH);
	if (!ctrl->auth) {
		const struct auth_host *host = disc_auth_host(ctrl);
		if (!host || !send)
			return bad_field(cmd, SQE_CDW10);
		if (!(ctrl->auth = auth_start(ctrl, host)))
			return nvme_status(NVME_SCT_GENERIC, NVME_SC_INTERNAL, false);
	}
	if (send) {
		auth_ctrl_send(ctrl->auth, cmd->data, len);
	} else {
		uint32_t size = len < DISC_AUTH_DATA_MAX ? len : DISC_AUTH_DATA_MAX;
		if (!reply_alloc(cmd, size))
			return nvme_status(NVME_SCT_GENERIC, NVME_SC_INTERNAL, false);
		int n = auth_ctrl_receive(ctrl->auth, cmd->rdata, size);
		if (n < 0)
			return bad_field(cmd, SQE_CDW11);
		cmd->rlen = (uint32_t)n;
	}
	auth_done(ctrl, cmd);
	return 0;
}

static uint16_t fabrics_connect(struct disc_ctrl *ctrl, struct disc_cmd *cmd)
{
	uint16_t status = connect_check_sqe(ctrl, cmd);
	if (status)
		return status;

	const struct nvmf_connect_data *d = (const void *)cmd->data;
	char subnqn[CDC_NQN_MAX + 1];
	char hostnqn[CDC_NQN_MAX + 1];

	if (le16toh(d->cntlid) != 0xffff)
		return connect_fail(cmd, IPO_DATA(offsetof(struct nvmf_connect_data, cntlid)));
	if (!nqn_field(d->subsysnqn, subnqn) || !subnqn_served(ctrl->svc, subnqn)) {
		log_info("connect refused: host %.223s asked for %.223s, not served here",
			 d->hostnqn, d->subsysnqn);
		return connect_fail(cmd, IPO_DATA(offsetof(struct nvmf_connect_data, subsysnqn)));
	}
	if (!nqn_field(d->hostnqn, hostnqn) || !nqn_is_valid(hostnqn))
		return connect_fail(cmd, IPO_DATA(offsetof(struct nvmf_connect_data, hostnqn)));

	int id = cntlid_alloc(ctrl->svc);
	if (id < 0) {
		log_warn("connect refused: no controller ID left for %s", hostnqn);
		return nvme_status(NVME_SCT_CMD_SPECIFIC, NVME_SC_CONNECT_CTRL_BUSY, false);
	}
	ctrl->cntlid = (uint16_t)id;
	ctrl->sqsize = (uint16_t)cmd->sqe.cdw[11];
	ctrl->kato = cmd->sqe.cdw[12] > DISC_KATO_MAX ? DISC_KATO_MAX : cmd->sqe.cdw[12];
	/* A persistent connection (KATO != 0) gets log change notices without asking. */
	ctrl->aec = ctrl->kato ? AEC_DLPCN : 0;
	memcpy(ctrl->hostnqn, hostnqn, sizeof(hostnqn));
	memcpy(ctrl->subnqn, subnqn, sizeof(subnqn));
	ctrl->since = time(NULL);
	memcpy(ctrl->hostid, d->hostid, sizeof(ctrl->hostid));
	status = connect_auth_policy(ctrl);
	if (status) {
		cntlid_free(ctrl->svc, ctrl->cntlid);
		return status;
	}
	cmd->cqe.dw0 = ctrl->cntlid | (ctrl->auth ? CONNECT_AUTHREQ_ATR : 0);
	if (ctrl->auth) {
		ctrl->state = DISC_AUTH;
		log_info("controller %u: host %s (%s) connected to %s, kato %u ms; it must "
			 "authenticate",
			 ctrl->cntlid, hostnqn, ctrl->peer.traddr, subnqn, ctrl->kato);
		return 0;
	}
	ctrl->state = DISC_LIVE;
	log_info("controller %u: host %s (%s) connected to %s, kato %u ms%s", ctrl->cntlid, hostnqn,
		 ctrl->peer.traddr, subnqn, ctrl->kato,
		 ctrl->limited ? "; unauthenticated, limited to the self entries" : "");
	if (ctrl->svc->reg_ops)
		ctrl->svc->reg_ops->connected(ctrl->svc->reg, ctrl);
	return 0;
}

static uint64_t prop_cap(void)
{
	/* MQES, CQR, TO 7.5 s, CSS.NCSS; MPSMIN 0 (4 KiB hosts refuse anything larger). */
	return DISC_MQES | 1ull << 16 | 15ull << 24 | 1ull << 37;
}

static uint16_t prop_get(struct disc_ctrl *ctrl, struct disc_cmd *cmd)
{
	bool eight = (cmd->sqe.cdw[10] & 7) == 1;
	uint32_t ofst = cmd->sqe.cdw[11];
	uint64_t v;

	switch (ofst) {
	case NVME_REG_CAP:
		v = prop_cap();
		break;
	case NVME_REG_VS:
		v = NVME_VS_2_0;
		break;
	case NVME_REG_CC:
		v = ctrl->cc;
		break;
	case NVME_REG_CSTS:
		v = ctrl->csts;
		break;
	default:
		return bad_field(cmd, SQE_CDW11);
	}
	if (eight && ofst != NVME_REG_CAP)
		return bad_field(cmd, SQE_CDW10);
	cmd->cqe.dw0 = (uint32_t)v;
	cmd->cqe.dw1 = eight ? (uint32_t)(v >> 32) : 0;
	return 0;
}

static uint16_t prop_set(struct disc_ctrl *ctrl, struct disc_cmd *cmd)
{
	uint32_t value = cmd->sqe.cdw[12];

	if (cmd->sqe.cdw[11] != NVME_REG_CC)
		return bad_field(cmd, SQE_CDW11);
	if ((cmd->sqe.cdw[10] & 7) != 0)
		return bad_field(cmd, SQE_CDW10);
	ctrl->cc = value;
	/* Ready and shutdown take effect at once: there is nothing to spin up or flush, and
	 * a host that sees SHST pending waits its full shutdown timeout. */
	ctrl->csts = NVME_CC_EN(value) ? NVME_SET(1, CSTS_RDY) : 0;
	if (NVME_CC_SHN(value))
		ctrl->csts |= NVME_SET(NVME_CSTS_SHST_CMPLT, CSTS_SHST);
	return 0;
}

static uint16_t fabrics_cmd(struct disc_ctrl *ctrl, struct disc_cmd *cmd)
{
	switch (cmd->sqe.fctype) {
	case nvme_fabrics_type_connect:
		return fabrics_connect(ctrl, cmd);
	/* Properties before authentication, as the Linux target allows them. */
	case nvme_fabrics_type_property_get:
		return ctrl->state != DISC_NEW ? prop_get(ctrl, cmd) : SC_SEQ_ERROR;
	case nvme_fabrics_type_property_set:
		return ctrl->state != DISC_NEW ? prop_set(ctrl, cmd) : SC_SEQ_ERROR;
	case nvme_fabrics_type_auth_send:
	case nvme_fabrics_type_auth_receive:
		return fabrics_auth(ctrl, cmd);
	case nvme_fabrics_type_disconnect:
		/* A discovery controller has only the admin queue, which Disconnect may not
		 * delete. */
		return nvme_status(NVME_SCT_CMD_SPECIFIC, NVME_SC_DISCONNECT_INVALID_QTYPE, true);
	}
	return SC_INVALID_OPCODE;
}

/* ---- admin commands ---- */

static uint8_t *reply_alloc(struct disc_cmd *cmd, uint32_t len)
{
	cmd->rdata = calloc(1, len ? len : 1);
	if (cmd->rdata)
		cmd->rlen = len;
	return cmd->rdata;
}

static void ascii_field(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size);

	memset(dst, ' ', size);
	memcpy(dst, src, n);
}

static void identify_fill(const struct disc_ctrl *ctrl, struct nvme_id_ctrl *id)
{
	const struct disc_svc *svc = ctrl->svc;
	char sn[21];

	/* The serial is stable per CDC: derived from its unique NQN. */
	snprintf(sn, sizeof(sn), "%08x%08x", nvme_tcp_digest(svc->nqn, strlen(svc->nqn)),
		 (uint32_t)strlen(svc->nqn));
	ascii_field(id->sn, sizeof(id->sn), sn);
	ascii_field(id->mn, sizeof(id->mn), "nvme-cdc");
	ascii_field(id->fr, sizeof(id->fr), PACKAGE_VERSION);
	id->cntlid = htole16(ctrl->cntlid);
	id->ver = htole32(NVME_VS_2_0);
	id->oaes = htole32(NVME_CTRL_OAES_DL);
	id->cntrltype = NVME_CTRL_CNTRLTYPE_DISCOVERY;
	id->aerl = DISC_AERL;
	id->lpa = NVME_CTRL_LPA_EXTENDED;
	id->elpe = ERROR_LOG_SLOTS - 1;
	id->kas = htole16(DISC_KAS);
	id->sqes = 0x66;
	id->cqes = 0x44;
	id->maxcmd = htole16(DISC_MAXCMD);
	id->sgls = htole32(1u | NVME_CTRL_SGLS_OFFSET);
	snprintf(id->subnqn, sizeof(id->subnqn), "%s", svc->nqn);
	id->dctype = NVME_CTRL_DCTYPE_CDC;
}

static uint16_t identify(struct disc_ctrl *ctrl, struct disc_cmd *cmd)
{
	if ((cmd->sqe.cdw[10] & 0xff) != NVME_IDENTIFY_CNS_CTRL)
		return bad_field(cmd, SQE_CDW10);
	if (cmd->sqe.sgl_len < sizeof(struct nvme_id_ctrl))
		return bad_field_status(cmd, SQE_DPTR, SC_SGL_LENGTH);
	if (!reply_alloc(cmd, sizeof(struct nvme_id_ctrl)))
		return nvme_status(NVME_SCT_GENERIC, NVME_SC_INTERNAL, false);
	identify_fill(ctrl, (struct nvme_id_ctrl *)cmd->rdata);
	return 0;
}

size_t disc_svc_self_entries(const struct disc_svc *svc, const struct sockaddr *local,
			     struct nvmf_disc_log_entry *out, size_t max)
{
	size_t n = disc_log_self_entries(svc->listen, svc->nlisten, local, svc->nqn, out, max);

	for (size_t i = 0; i < svc->npeer_self && n < max; i++)
		out[n++] = svc->peer_self[i];
	return n;
}

/* The log as this host sees it: its view (body and GENCTR), and the self entries, which are
 * built for each read rather than kept: a few listeners cost less to fill than 8 KiB held
 * by every one of 100,000 persistent controllers. */
static const struct view *log_view_of(struct disc_ctrl *ctrl, struct disc_log_view *v,
				      struct nvmf_disc_log_entry self[DISC_MAX_SELF])
{
	/* A limited association sees the self entries only: they lead to the unique NQN. */
	const struct view *view = ctrl->limited ? NULL : disc_ctrl_view(ctrl);

	v->genctr = view ? view->genctr : ctrl->svc->fabric->genctr;
	v->self = self;
	v->nself = disc_svc_self_entries(
		ctrl->svc, ctrl->have_local ? (const struct sockaddr *)&ctrl->local : NULL, self,
		DISC_MAX_SELF);
	v->body = NULL; /* read through the view's pages, see reply_log() */
	v->nbody = view ? view->nentries : 0;
	return view;
}

/* A log read as the parts of disc_cmd: the header and self entries (prefix_len bytes) are
 * filled by the caller into rdata, the view's pages are referenced, the rest is zeros. */
static uint16_t reply_log(struct disc_cmd *cmd, uint64_t off, uint32_t len, uint64_t prefix_len,
			  const struct view *view)
{
	const uint16_t internal = nvme_status(NVME_SCT_GENERIC, NVME_SC_INTERNAL, false);
	struct disc_log_slice sl;

	disc_log_slice(prefix_len, view ? view->len : 0, off, len, &sl);
	if (!reply_alloc(cmd, sl.copy_len))
		return internal;
	cmd->zero_len = sl.zero_len;
	if (!sl.body_len)
		return 0;
	size_t n = view_pieces(view, sl.body_off, sl.body_len, NULL, 0);
	cmd->pieces = calloc(n, sizeof(*cmd->pieces));
	if (!cmd->pieces)
		return internal;
	cmd->npieces = view_pieces(view, sl.body_off, sl.body_len, cmd->pieces, n);
	for (size_t i = 0; i < cmd->npieces; i++)
		disc_blob_ref(cmd->pieces[i].blob);
	return 0;
}

static uint16_t get_log_page(struct disc_ctrl *ctrl, struct disc_cmd *cmd)
{
	const uint32_t *d = cmd->sqe.cdw;
	uint8_t lid = (uint8_t)d[10];
	bool rae = d[10] & (1u << 15);
	uint64_t numd = (d[10] >> 16 | (uint64_t)(d[11] & 0xffff) << 16) + 1;
	uint64_t len = numd * 4, off = d[12] | (uint64_t)d[13] << 32;

	if (off % 4)
		return bad_field(cmd, SQE_CDW12);
	if (d[14] & (1u << 23)) /* an index offset (OT) */
		return bad_field(cmd, SQE_CDW14);
	if (len > cmd->sqe.sgl_len)
		return bad_field_status(cmd, SQE_DPTR, SC_SGL_LENGTH);
	if (len > DISC_MAX_XFER)
		return bad_field(cmd, SQE_CDW10);
	if (lid == NVME_LOG_LID_ERROR) {
		if (off > ERROR_LOG_LEN)
			return bad_field(cmd, SQE_CDW12);
		if (!reply_alloc(cmd, (uint32_t)len))
			return nvme_status(NVME_SCT_GENERIC, NVME_SC_INTERNAL, false);
		error_log_read(ctrl->errors, off, cmd->rdata, len);
		return 0;
	}

	if (lid == NVME_LOG_LID_SUPPORTED_LOG_PAGES) {
		uint8_t page[DISC_SUPPORTED_LOGS_LEN];
		if (off > sizeof(page))
			return bad_field(cmd, SQE_CDW12);
		if (!reply_alloc(cmd, (uint32_t)len))
			return nvme_status(NVME_SCT_GENERIC, NVME_SC_INTERNAL, false);
		disc_log_supported(page);
		memcpy(cmd->rdata, page + off, len < sizeof(page) - off ? len : sizeof(page) - off);
		log_read_count(ctrl, DISC_STAT_LOG_SUPPORTED, len);
		return 0;
	}
	if (lid == DISC_LID_HOST_DISCOVERY) {
		struct fabric *f = ctrl->svc->fabric;
		if (ctrl->limited)
			return SC_AUTH_REQUIRED;
		if (fabric_hostlog_refresh(f) < 0)
			return nvme_status(NVME_SCT_GENERIC, NVME_SC_INTERNAL, false);
		/* With zoning a DDC reads the hosts zoned with its subsystems: its own copy. */
		struct view *view = disc_ctrl_hostlog_view(ctrl);
		if (!view)
			return nvme_status(NVME_SCT_GENERIC, NVME_SC_INTERNAL, false);
		if (off > DISC_LOG_HDR_LEN + view->len) {
			view_unref(view);
			return bad_field(cmd, SQE_CDW12);
		}
		uint16_t st = reply_log(cmd, off, (uint32_t)len, DISC_LOG_HDR_LEN, view);
		if (!st)
			disc_hostlog_read(view->genctr, NULL, view->len, view->nentries, off,
					  cmd->rdata, cmd->rlen);
		view_unref(view);
		if (!st) {
			log_read_done(ctrl, EV_LOG71, rae);
			log_read_count(ctrl, DISC_STAT_LOG71, len);
		}
		return st;
	}
	if (lid != NVME_LOG_LID_DISCOVER)
		return bad_field(cmd, SQE_CDW10);

	struct nvmf_disc_log_entry self[DISC_MAX_SELF];
	struct disc_log_view v;
	const struct view *view = log_view_of(ctrl, &v, self);
	/* A zoned view that could not be built: no log rather than a wrong (empty) one. A
	 * limited association reads the self entries alone, without a view. */
	if (!view && !ctrl->limited && ctrl->svc->fabric->view70)
		return nvme_status(NVME_SCT_GENERIC, NVME_SC_INTERNAL, false);
	if (off > disc_log_size(&v))
		return bad_field(cmd, SQE_CDW12);
	uint16_t st = reply_log(cmd, off, (uint32_t)len,
				DISC_LOG_HDR_LEN + (uint64_t)v.nself * DISC_LOG_ENTRY_LEN, view);
	if (!st)
		disc_log_read(&v, off, cmd->rdata, cmd->rlen);
	if (!st) {
		log_read_done(ctrl, EV_LOG70, rae);
		log_read_count(ctrl, DISC_STAT_LOG70, len);
	}
	return st;
}

static uint16_t set_features(struct disc_ctrl *ctrl, struct disc_cmd *cmd)
{
	uint8_t fid = (uint8_t)cmd->sqe.cdw[10];
	uint32_t value = cmd->sqe.cdw[11];

	if (cmd->sqe.cdw[10] & (1u << 31))
		return bad_field_status(
			cmd, SQE_CDW10,
			nvme_status(NVME_SCT_CMD_SPECIFIC, NVME_SC_FEATURE_NOT_SAVEABLE, true));
	switch (fid) {
	case NVME_FEAT_FID_ASYNC_EVENT:
		if (value & ~(AEC_DLPCN | AEC_HDLPCN))
			return bad_field(cmd, SQE_CDW11);
		ctrl->aec = value;
		if (ctrl->svc->reg_ops && ctrl->svc->reg_ops->events_changed)
			ctrl->svc->reg_ops->events_changed(ctrl->svc->reg, ctrl);
		return 0;
	case NVME_FEAT_FID_KATO: {
		/* Rounded up to the KAS granularity we report, in 64 bits: near UINT32_MAX the
		 * 32-bit sum would wrap to 0 and turn keep-alive off. A KATO beyond the maximum
		 * would let a host that vanished hold its association for weeks. */
		const uint64_t g = DISC_KAS * 100;
		uint64_t kato = ((uint64_t)value + g - 1) / g * g;

		ctrl->kato = kato > DISC_KATO_MAX ? DISC_KATO_MAX : (uint32_t)kato;
		cmd->cqe.dw0 = ctrl->kato;
		return 0;
	}
	}
	return bad_field(cmd, SQE_CDW10);
}

static uint16_t get_features(struct disc_ctrl *ctrl, struct disc_cmd *cmd)
{
	uint8_t fid = (uint8_t)cmd->sqe.cdw[10], sel = (cmd->sqe.cdw[10] >> 8) & 7;

	if (fid != NVME_FEAT_FID_ASYNC_EVENT && fid != NVME_FEAT_FID_KATO)
		return bad_field(cmd, SQE_CDW10);
	switch (sel) {
	case 0: /* current */
	case 2: /* saved: nothing is saveable, so it reads as current */
		cmd->cqe.dw0 = fid == NVME_FEAT_FID_KATO ? ctrl->kato : ctrl->aec;
		return 0;
	case 1: /* default */
		cmd->cqe.dw0 = 0;
		return 0;
	case 3:				/* supported capabilities */
		cmd->cqe.dw0 = 1u << 2; /* changeable, not saveable, not per namespace */
		return 0;
	}
	return bad_field(cmd, SQE_CDW10);
}

static int async_event_request(struct disc_ctrl *ctrl, struct disc_cmd *cmd)
{
	if (ctrl->naer > DISC_AERL) {
		cmd->cqe.status = nvme_status(NVME_SCT_CMD_SPECIFIC, NVME_SC_ASYNC_LIMIT, true);
		return DISC_DONE;
	}
	ctrl->aer_cid[ctrl->naer++] = cmd->sqe.cid;
	aen_try_deliver(ctrl);
	return DISC_HELD;
}

static int dim(struct disc_ctrl *ctrl, struct disc_cmd *cmd)
{
	struct disc_svc *svc = ctrl->svc;
	struct dim_request req;
	uint32_t bad = 0;

	if (!svc->reg_ops) {
		cmd->cqe.status = SC_INVALID_OPCODE;
		return DISC_DONE;
	}
	cmd->cqe.status = dim_parse(cmd->sqe.cdw[10], cmd->data, cmd->data_len,
				    svc->dim_max_entries, &req, &bad);
	if (cmd->cqe.status) {
		log_info("controller %u: DIM from %s refused with status 0x%x (data offset %u)",
			 ctrl->cntlid, ctrl->hostnqn, cmd->cqe.status, bad);
		return DISC_DONE;
	}
	if (svc->reg_ops->dim(svc->reg, ctrl, cmd->sqe.cid, &req) < 0) {
		dim_request_free(&req);
		cmd->cqe.status = nvme_status(NVME_SCT_GENERIC, NVME_SC_INTERNAL, false);
		return DISC_DONE;
	}
	return DISC_HELD;
}

/* ---- Fabric Zoning (protocol.md 7.5, push model) ---- */

/* CDW12 of FZR and FZS: LF (FZS), ZDKC (a transaction id: only ours to send), NUMD. */
#define FZ_LF	   (1u << 31)
#define FZ_ZDKC	   (1u << 28)
#define FZ_NUMD(c) ((c)&0x0fffffffu)

static int fabric_zoning_lookup(struct disc_ctrl *ctrl, struct disc_cmd *cmd)
{
	const struct disc_registry_ops *ops = ctrl->svc->reg_ops;
	struct zw_lookup l;
	uint32_t bad;

	if (!ops || !ops->fzl) {
		cmd->cqe.status = SC_INVALID_OPCODE;
		return DISC_DONE;
	}
	if (zw_lookup_parse(cmd->data, cmd->data_len, &l, &bad)) {
		cmd->cqe.status = bad_field(cmd, SQE_DPTR);
		return DISC_DONE;
	}
	if (ops->fzl(ctrl->svc->reg, ctrl, cmd->sqe.cid, &l) < 0) {
		cmd->cqe.status = nvme_status(NVME_SCT_GENERIC, NVME_SC_INTERNAL, false);
		return DISC_DONE;
	}
	return DISC_HELD;
}

/* FZR: a fragment of the group at byte ZDO, after the 16-byte GAZ header; LF in DW0 when it
 * reaches the end. */
static uint16_t fabric_zoning_receive(struct disc_ctrl *ctrl, struct disc_cmd *cmd)
{
	const struct disc_registry_ops *ops = ctrl->svc->reg_ops;
	const uint32_t *d = cmd->sqe.cdw;
	uint64_t len = (uint64_t)FZ_NUMD(d[12]) * 4, off = d[11];
	uint8_t *group = NULL;
	size_t glen;
	uint32_t gen;

	if (!ops || !ops->fzr)
		return SC_INVALID_OPCODE;
	if ((d[12] & FZ_ZDKC) || len <= ZW_FZR_HDR_LEN || len > DISC_MAX_XFER)
		return bad_field(cmd, SQE_CDW12);
	if (len > cmd->sqe.sgl_len)
		return bad_field_status(cmd, SQE_DPTR, SC_SGL_LENGTH);
	if (off % 4)
		return bad_field(cmd, SQE_CDW11);
	uint16_t st = ops->fzr(ctrl->svc->reg, ctrl, d[10], &group, &glen, &gen);
	if (st)
		return st;
	if (off > glen) {
		free(group);
		return bad_field(cmd, SQE_CDW11);
	}
	size_t frag = glen - off < len - ZW_FZR_HDR_LEN ? glen - off : len - ZW_FZR_HDR_LEN;
	if (!reply_alloc(cmd, (uint32_t)(ZW_FZR_HDR_LEN + frag))) {
		free(group);
		return nvme_status(NVME_SCT_GENERIC, NVME_SC_INTERNAL, false);
	}
	cmd->rdata[0] = ZW_OTYP_GAZ_DATA;
	put_le32(cmd->rdata + 4, gen);
	put_le32(cmd->rdata + 8, (uint32_t)frag);
	memcpy(cmd->rdata + ZW_FZR_HDR_LEN, group + off, frag);
	cmd->cqe.dw0 = off + frag == glen ? FZ_LF : 0;
	free(group);
	return 0;
}

/* FZS: an AAZ fragment at byte ZDO of the group, after the 4-byte header. */
static int fabric_zoning_send(struct disc_ctrl *ctrl, struct disc_cmd *cmd)
{
	const struct disc_registry_ops *ops = ctrl->svc->reg_ops;
	const uint32_t *d = cmd->sqe.cdw;
	uint64_t len = (uint64_t)FZ_NUMD(d[12]) * 4;

	if (!ops || !ops->fzs)
		cmd->cqe.status = SC_INVALID_OPCODE;
	else if ((d[12] & FZ_ZDKC) || len <= ZW_FZS_HDR_LEN || len > cmd->data_len)
		cmd->cqe.status = bad_field(cmd, SQE_CDW12);
	else if (d[11] % 4)
		cmd->cqe.status = bad_field(cmd, SQE_CDW11);
	else if (cmd->data[0] != ZW_OTYP_AAZ_DATA)
		cmd->cqe.status = bad_field(cmd, SQE_DPTR);
	if (cmd->cqe.status)
		return DISC_DONE;
	int r = ops->fzs(ctrl->svc->reg, ctrl, cmd->sqe.cid, d[10], d[11],
			 cmd->data + ZW_FZS_HDR_LEN, len - ZW_FZS_HDR_LEN, d[12] & FZ_LF);
	if (r < 0)
		return DISC_HELD;
	cmd->cqe.status = (uint16_t)r;
	return DISC_DONE;
}

static uint16_t admin_cmd(struct disc_ctrl *ctrl, struct disc_cmd *cmd)
{
	switch (cmd->sqe.opcode) {
	case nvme_admin_identify:
		return identify(ctrl, cmd);
	case nvme_admin_get_log_page:
		return get_log_page(ctrl, cmd);
	case nvme_admin_set_features:
		return set_features(ctrl, cmd);
	case nvme_admin_get_features:
		return get_features(ctrl, cmd);
	case nvme_admin_keep_alive:
		return 0;
	case DISC_OP_FZR:
		return fabric_zoning_receive(ctrl, cmd);
	}
	return SC_INVALID_OPCODE;
}

static int exec(struct disc_ctrl *ctrl, struct disc_cmd *cmd)
{
	if ((cmd->sqe.flags & 0xc3) != 0x40) {
		/* NVMe over Fabrics carries SGLs only and no fused commands. */
		cmd->cqe.status = bad_field(cmd, SQE_FLAGS);
		return DISC_DONE;
	}
	if (cmd->sqe.opcode == nvme_admin_fabrics) {
		cmd->cqe.status = fabrics_cmd(ctrl, cmd);
		return DISC_DONE;
	}
	if (ctrl->state == DISC_AUTH) {
		cmd->cqe.status = SC_AUTH_REQUIRED;
		return DISC_DONE;
	}
	if (ctrl->state != DISC_LIVE || !NVME_CSTS_RDY(ctrl->csts)) {
		cmd->cqe.status = SC_SEQ_ERROR;
		return DISC_DONE;
	}
	if (cmd->sqe.opcode == nvme_admin_async_event)
		return async_event_request(ctrl, cmd);
	if (cmd->sqe.opcode == nvme_admin_discovery_info_mgmt) {
		if (ctrl->limited) {
			cmd->cqe.status = SC_AUTH_REQUIRED;
			return DISC_DONE;
		}
		return dim(ctrl, cmd);
	}
	if ((cmd->sqe.opcode == DISC_OP_FZL || cmd->sqe.opcode == DISC_OP_FZS) && ctrl->limited) {
		cmd->cqe.status = SC_AUTH_REQUIRED;
		return DISC_DONE;
	}
	if (cmd->sqe.opcode == DISC_OP_FZL)
		return fabric_zoning_lookup(ctrl, cmd);
	if (cmd->sqe.opcode == DISC_OP_FZS)
		return fabric_zoning_send(ctrl, cmd);
	cmd->cqe.status = admin_cmd(ctrl, cmd);
	return DISC_DONE;
}

/* A failure that points at a field goes into the Error Information log. Before the Connect
 * there is no controller to read it from, so only live controllers keep one. */
static void error_note(struct disc_ctrl *ctrl, struct disc_cmd *cmd)
{
	if (!cmd->cqe.status || cmd->err_loc == ERROR_LOG_NO_LOC || ctrl->state != DISC_LIVE)
		return;
	if (!ctrl->errors && !(ctrl->errors = error_log_new()))
		return;
	error_log_add(ctrl->errors, cmd->sqe.cid, cmd->cqe.status, cmd->err_loc);
	cmd->cqe.status |= NVME_SC_MORE;
}

int disc_ctrl_exec(struct disc_ctrl *ctrl, struct disc_cmd *cmd)
{
	memset(&cmd->cqe, 0, sizeof(cmd->cqe));
	cmd->err_loc = ERROR_LOG_NO_LOC;
	cmd->rdata = NULL;
	cmd->pieces = NULL;
	cmd->npieces = 0;
	cmd->rlen = cmd->zero_len = 0;
	cmd->close = false;

	int r = exec(ctrl, cmd);
	if (r == DISC_DONE)
		error_note(ctrl, cmd);
	return r;
}
