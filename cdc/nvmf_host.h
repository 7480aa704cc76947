/* nvmf_host.h - a userspace NVMe/TCP host (initiator) on the libevent loop: ICReq, Connect,
 * properties, Identify, Get Log Page with libnvme's chunking and GENCTR re-check, AER,
 * Keep Alive and any admin command. Used by the tests, the benchmark and pull registration.
 * Everything is asynchronous: each request completes through its callback. */
#ifndef CDC_NVMF_HOST_H
#define CDC_NVMF_HOST_H

#include <event2/event.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "nvmf_tcp.h"

#define NVMF_HOST_MAX_CMDS 64
#define NVMF_HOST_ICD	   8192 /* in-capsule data the Linux host puts in an admin capsule */
#define NVMF_HOST_CATTR_CONNENT                                                                    \
	(1u << 4) /* the connecting entity is a discovery controller (protocol.md 3.2) */

struct nvmf_host;

struct nvmf_host_opts {
	const char *hostnqn;
	const uint8_t *hostid; /* 16 bytes, or NULL for zeros */
	const char *subnqn;    /* NULL: the well-known discovery NQN */
	uint32_t kato_ms;      /* 0: no keep-alive; otherwise Keep Alive every kato/2 */
	bool no_keep_alive;    /* announce kato_ms but never send Keep Alive (tests) */
	/* 0: wait for ever. Otherwise the connect sequence, and every Keep Alive, must complete
	 * within this: a peer that keeps the TCP connection but stops answering is dropped
	 * (-ETIMEDOUT) rather than waited for. */
	uint32_t timeout_ms;
	bool hdgst, ddgst;
	uint16_t sqsize; /* 0's based; 0 means 31 like Linux */
	/* Connect CATTR: NVMF_HOST_CATTR_CONNENT when a CDC pulls from a DDC. */
	uint8_t cattr;
	const struct sockaddr *source; /* bind to this local address first (optional) */
	/* DH-HMAC-CHAP secrets (DHHC-1 text), used when the Connect response sets AUTHREQ.ATR;
	 * without one such a connect fails with -ENOKEY. With the controller secret the host
	 * checks the controller too (bidirectional). Copied by nvmf_host_new(). */
	const char *dhchap_secret, *dhchap_ctrl_secret;
	bool dhchap_by_caller; /* tests: connect despite ATR; the caller runs the transaction */
};

/* A command completed: err is 0 or a negative errno for a transport failure (then cqe is
 * NULL); cqe->status is the NVMe status. data/len: what the controller sent (C2H). */
typedef void (*nvmf_host_cmd_cb)(struct nvmf_host *h, int err, const struct nvme_cqe *cqe,
				 const uint8_t *data, uint32_t len, void *arg);

/* NULL if out of memory or a DH-HMAC-CHAP secret is not one. */
struct nvmf_host *nvmf_host_new(struct event_base *base, const struct nvmf_host_opts *opts);
void nvmf_host_free(struct nvmf_host *h);

/* TCP connect, ICReq/ICResp, Connect, [DH-HMAC-CHAP,] CAP, CC.EN = 1, CSTS.RDY: cb once the
 * controller is ready (cqe is the Connect completion: dw0 holds CNTLID) or on failure
 * (-EACCES: the controller refused our key, -EKEYREJECTED: we refused the controller's). */
int nvmf_host_connect(struct nvmf_host *h, const struct sockaddr *sa, socklen_t salen,
		      nvmf_host_cmd_cb cb, void *arg);

/* Called once when the connection is lost (EOF, TermReq, error) after it was up. */
void nvmf_host_on_close(struct nvmf_host *h, void (*cb)(struct nvmf_host *h, int err, void *arg),
			void *arg);

/* Any admin command. The cid and SGL are filled in here: wdata of wlen bytes goes in the
 * capsule when it fits, else via R2T/H2CData; rlen is the C2H buffer (SGL length). */
int nvmf_host_submit(struct nvmf_host *h, const struct nvme_sqe *sqe, const void *wdata,
		     uint32_t wlen, uint32_t rlen, nvmf_host_cmd_cb cb, void *arg);

int nvmf_host_identify(struct nvmf_host *h, nvmf_host_cmd_cb cb, void *arg);
int nvmf_host_get_log(struct nvmf_host *h, uint8_t lid, uint8_t lsp, bool rae, uint64_t off,
		      uint32_t len, nvmf_host_cmd_cb cb, void *arg);
int nvmf_host_set_features(struct nvmf_host *h, uint8_t fid, uint32_t cdw11, nvmf_host_cmd_cb cb,
			   void *arg);
int nvmf_host_aer(struct nvmf_host *h, nvmf_host_cmd_cb cb, void *arg);
int nvmf_host_keep_alive(struct nvmf_host *h, nvmf_host_cmd_cb cb, void *arg);
int nvmf_host_prop_get(struct nvmf_host *h, uint32_t ofst, bool eight, nvmf_host_cmd_cb cb,
		       void *arg);
int nvmf_host_prop_set(struct nvmf_host *h, uint32_t ofst, uint32_t value, nvmf_host_cmd_cb cb,
		       void *arg);

/* Read the whole discovery log as libnvme does: the 20-byte header (RAE=1), the entries in
 * 4 KiB chunks from offset 1024, the header again (RAE=0); start over, at most 10 times,
 * while GENCTR moved. cb gets the log (header + entries) or a negative errno; status is
 * the NVMe status of a failed command. */
typedef void (*nvmf_host_log_cb)(struct nvmf_host *h, int err, uint16_t status, const uint8_t *log,
				 size_t len, void *arg);
int nvmf_host_disc_log(struct nvmf_host *h, nvmf_host_log_cb cb, void *arg);
/* The same with log specific parameters (NVMF_LOG_DISC_LSP_*) in every command. */
int nvmf_host_disc_log_lsp(struct nvmf_host *h, uint8_t lsp, nvmf_host_log_cb cb, void *arg);

uint16_t nvmf_host_cntlid(const struct nvmf_host *h);
bool nvmf_host_ready(const struct nvmf_host *h);

/* Send raw bytes (tests that speak wrong protocol on purpose). */
int nvmf_host_send_raw(struct nvmf_host *h, const void *buf, size_t len);

#endif
