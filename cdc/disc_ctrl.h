/* disc_ctrl.h - the discovery controller: one per association (TCP connection).
 * Connect, properties, Identify, Get Log Page, features, AER and Keep Alive, as a state
 * machine over decoded commands. No sockets: the queue feeds it commands and sends what it
 * returns; held AERs are completed through the ops callback when the log changes. */
#ifndef CDC_DISC_CTRL_H
#define CDC_DISC_CTRL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include "auth_ctrl.h"
#include "config.h"
#include "disc_log.h"
#include "fabric.h"
#include "nvmf_tcp.h"

#define DISC_AERL     3	  /* 0's based: four AERs may be outstanding */
#define DISC_MQES     127 /* 0's based admin queue size limit */
#define DISC_MAXCMD   128
#define DISC_KAS      1		  /* keep-alive granularity, 100 ms units */
#define DISC_MAX_XFER (16u << 20) /* largest single C2H transfer we build */
#define DISC_MAX_SELF 8
/* AEN DW0: Notice, Discovery Log Page Change (F0h) or, TP8010, Host Discovery Log Page
 * Change (F1h), and the log to read. */
#define DISC_AEN(info, lid)                                                                        \
	((uint32_t)NVME_AER_NOTICE | (uint32_t)(info) << 8 | (uint32_t)(lid) << 16)
#define DISC_AEN_LOG_CHANGE	DISC_AEN(NVME_AER_NOTICE_DISC_CHANGED, NVME_LOG_LID_DISCOVER)
#define DISC_AEN_HOSTLOG_CHANGE DISC_AEN(0xf1, 0x71)
#define DISC_KATO_MAX		3600000u /* ms; larger KATOs are cut to this */
#define DISC_CONNECT_DATA_MAX	4096u	 /* Connect data is 1024 bytes; no more is fetched */
#define DISC_AUTH_DATA_MAX	8192u	 /* an AUTH_ message is at most 16 + 2 * 64 + 1024 bytes */

struct disc_ctrl;
struct dim_request;

/* How controllers reach the registry (the mutation path); NULL where there is none. */
struct zw_lookup;

/* Fabric Zoning opcodes (protocol.md 7.5); libnvme 1.3 has no names for them. */
#define DISC_OP_FZR 0x22 /* Fabric Zoning Receive */
#define DISC_OP_FZL 0x25 /* Fabric Zoning Lookup */
#define DISC_OP_FZS 0x29 /* Fabric Zoning Send */

struct disc_registry_ops {
	/* Apply a parsed DIM; takes the request's entries. The command completes later
	 * through disc_ctrl_complete(). Negative errno if it could not even be queued. */
	int (*dim)(void *reg, struct disc_ctrl *ctrl, uint16_t cid, struct dim_request *req);
	void (*connected)(void *reg, struct disc_ctrl *ctrl);
	void (*disconnected)(void *reg, struct disc_ctrl *ctrl);
	/* The host changed which asynchronous events it wants (Set Features AEC). */
	void (*events_changed)(void *reg, struct disc_ctrl *ctrl);
	/* Fabric Zoning from a DDC (reg_fzs.h). Lookup completes later through
	 * disc_ctrl_complete_dw0() (negative errno: not queued); receive answers at once with
	 * an NVMe status and the group's bytes; send answers an NVMe status, or -1 when held. */
	int (*fzl)(void *reg, struct disc_ctrl *ctrl, uint16_t cid, const struct zw_lookup *l);
	uint16_t (*fzr)(void *reg, struct disc_ctrl *ctrl, uint32_t key, uint8_t **buf, size_t *len,
			uint32_t *gen);
	int (*fzs)(void *reg, struct disc_ctrl *ctrl, uint16_t cid, uint32_t key, uint32_t off,
		   const uint8_t *frag, size_t len, bool last);
};

/* The logs a controller serves, as the metrics count their reads. */
enum disc_stat_log { DISC_STAT_LOG70, DISC_STAT_LOG71, DISC_STAT_LOG_SUPPORTED, DISC_STAT_NLOGS };
/* The events of DISC_AEN_LOG_CHANGE and DISC_AEN_HOSTLOG_CHANGE, as the metrics count them. */
enum disc_stat_aen { DISC_STAT_AEN_LOG70, DISC_STAT_AEN_LOG71, DISC_STAT_NAENS };
/* How DH-HMAC-CHAP transactions ended (a host that never finished is not one of them). */
enum disc_stat_auth { DISC_STAT_AUTH_SUCCESS, DISC_STAT_AUTH_FAILURE, DISC_STAT_NAUTH };

/* What the controllers did, for the metrics: counters that only grow. */
struct disc_counters {
	uint64_t aens[DISC_STAT_NAENS];
	uint64_t log_reads[DISC_STAT_NLOGS];
	uint64_t log_bytes[DISC_STAT_NLOGS]; /* as the commands asked for them, zeros included */
	uint64_t auth[DISC_STAT_NAUTH];
};

struct disc_stats {
	const struct disc_counters *counters;
	size_t controllers; /* associations: a Connect succeeded */
	size_t persistent;  /* of those, with a keep-alive timeout (nvme discover --persistent) */
	size_t aen_armed;   /* of those, with an AER outstanding: an AEN can reach them */
};

struct host_auth_db;

/* The discovery service: what every controller shares. Owned by the daemon. */
struct disc_svc {
	char nqn[CDC_NQN_MAX + 1]; /* the unique discovery NQN */
	const struct cdc_listen *listen;
	size_t nlisten;
	/* The listeners of the other instances sharing the fabric (store = etcd), as the self
	 * entries they serve; owned by the registry. */
	const struct nvmf_disc_log_entry *peer_self;
	size_t npeer_self;
	struct fabric *fabric;
	uint16_t next_cntlid;
	uint8_t cntlid_used[0x10000 / 8];
	TAILQ_HEAD(, disc_ctrl) ctrls;
	size_t nctrls;
	const struct disc_registry_ops *reg_ops;
	void *reg;
	size_t dim_max_entries; /* entries one DIM may carry */
	/* DH-HMAC-CHAP: the hosts' keys (NULL: none), what we offer, and whether a host that
	 * must authenticate must do so on the well-known NQN too (else it is served there
	 * unauthenticated, limited to Identify and the self entries). */
	const struct auth_keys *auth_keys;
	struct host_auth_db *auth_db; /* set through the control API; the file's come first */
	struct auth_prefs auth_prefs;
	bool auth_well_known;
	struct disc_counters counters;
};

struct disc_ctrl_ops {
	/* A held command completes: an AER with its event in DW0, a DIM with its status. */
	void (*complete)(void *arg, uint16_t cid, const struct nvme_cqe *cqe);
};

/* One command as the queue hands it over, and what the controller answers. */
struct disc_cmd {
	struct nvme_sqe sqe;
	const uint8_t *data; /* host-to-controller data, whole */
	uint32_t data_len;
	/* results */
	struct nvme_cqe cqe; /* status, dw0, dw1 (cid, sqhd, sqid are the queue's) */
	uint16_t err_loc;    /* the SQE byte a failure points at, or ERROR_LOG_NO_LOC */
	/* Controller-to-host data, in this order: rlen bytes of rdata (malloc'ed), the
	 * pieces of a shared log body (referenced, not copied), zero_len zeros.
	 * disc_cmd_release() frees and unreferences. */
	uint8_t *rdata;
	uint32_t rlen;
	struct log_piece *pieces;
	size_t npieces;
	uint32_t zero_len;
	bool close; /* end the association once the completion is sent (authentication failed) */
};

/* Bytes of controller-to-host data the command returns. */
uint32_t disc_cmd_data_len(const struct disc_cmd *cmd);
void disc_cmd_release(struct disc_cmd *cmd);

enum disc_exec_result {
	DISC_DONE = 0, /* cqe (and rdata) are ready to send */
	DISC_HELD = 1, /* completes later, through ops->complete (an AER, a DIM) */
};

/* The self entries (SUBTYPE 3) a host connected at local reads: this instance's listeners,
 * then the other instances'. At most max. */
size_t disc_svc_self_entries(const struct disc_svc *svc, const struct sockaddr *local,
			     struct nvmf_disc_log_entry *out, size_t max);

void disc_svc_init(struct disc_svc *svc, const char *nqn, struct fabric *fabric,
		   const struct cdc_listen *listen, size_t nlisten);

/* The counters, and the controllers by kind now (a walk, for a scrape). */
void disc_svc_get_stats(const struct disc_svc *svc, struct disc_stats *out);

/* Log 70h changed: raise a discovery log change event (F0h) on every controller. */
void disc_svc_log_changed(struct disc_svc *svc);
/* Log 71h changed: raise a host discovery log change event (F1h). */
void disc_svc_hostlog_changed(struct disc_svc *svc);
/* Log lid (70h or 71h) as this controller's host sees it changed: raise its event. */
void disc_ctrl_log_changed(struct disc_ctrl *ctrl, uint8_t lid);
/* Whether the host enabled the change event of log lid (70h or 71h). */
bool disc_ctrl_wants_event(const struct disc_ctrl *ctrl, uint8_t lid);

struct disc_ctrl *disc_ctrl_new(struct disc_svc *svc, const struct sockaddr *local,
				const struct sockaddr *peer, const struct disc_ctrl_ops *ops,
				void *arg);
void disc_ctrl_free(struct disc_ctrl *ctrl);

int disc_ctrl_exec(struct disc_ctrl *ctrl, struct disc_cmd *cmd);

/* Before a buffer is set aside for host data that arrives through R2T: 0 if the command
 * will run and may carry len bytes, else the status it is refused with. Only a Connect
 * before the association exists, only a DIM after it. */
uint16_t disc_ctrl_check_data(const struct disc_ctrl *ctrl, const struct nvme_sqe *sqe,
			      uint32_t len);

/* Commands the host may have outstanding: SQSIZE + 1 once connected. */
unsigned int disc_ctrl_queue_depth(const struct disc_ctrl *ctrl);

/* The registry finished a held DIM (or zoning command; DW0 carries a zoning key). */
void disc_ctrl_complete(struct disc_ctrl *ctrl, uint16_t cid, uint16_t status);
void disc_ctrl_complete_dw0(struct disc_ctrl *ctrl, uint16_t cid, uint16_t status, uint32_t dw0);

/* What the control API shows of a live association. */
struct disc_ctrl_info {
	uint16_t cntlid;
	bool connected;
	uint32_t kato;
	unsigned int aers;
	int64_t since;
	const char *hostnqn, *subnqn, *peer;
};
void disc_ctrl_get_info(const struct disc_ctrl *ctrl, struct disc_ctrl_info *info);
/* Walk the controllers: NULL starts, NULL ends. */
struct disc_ctrl *disc_svc_next(struct disc_svc *svc, struct disc_ctrl *prev);

/* For the queue's timers and logs. */
uint32_t disc_ctrl_kato(const struct disc_ctrl *ctrl);
bool disc_ctrl_connected(const struct disc_ctrl *ctrl);
/* Connected, and the host has yet to authenticate (AUTHREQ.ATR was set). */
bool disc_ctrl_authenticating(const struct disc_ctrl *ctrl);
uint16_t disc_ctrl_cntlid(const struct disc_ctrl *ctrl);
const char *disc_ctrl_hostnqn(const struct disc_ctrl *ctrl);
const uint8_t *disc_ctrl_hostid(const struct disc_ctrl *ctrl);
/* The host's address as a TRADDR (IPv4-mapped shown as IPv4), and its ADRFAM. */
const char *disc_ctrl_peer(const struct disc_ctrl *ctrl, uint8_t *adrfam);
/* The view of log 70h this controller's host is served (fabric_host_view() for its NQN
 * and address): what a read returns now, and what notify compares. */
const struct view *disc_ctrl_view(struct disc_ctrl *ctrl);
/* The log 71h this controller reads (fabric_hostlog_view_for() of its host NQN): a
 * reference the caller drops. */
struct view *disc_ctrl_hostlog_view(struct disc_ctrl *ctrl);

/* Whether data moves host-to-controller for this command (opcode or fctype bit 0). */
bool nvme_cmd_is_write(const struct nvme_sqe *sqe);

#endif
