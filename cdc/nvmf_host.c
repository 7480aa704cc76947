/* nvmf_host.c - the userspace NVMe/TCP host. It checks the controller the way the Linux
 * host does (ICResp fields, C2HData offsets, R2T ranges) so that the tests built on it fail
 * where the kernel would. The codec is cdc/nvmf_tcp; no copy of it lives here. */
#include "nvmf_host.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <nvme/types.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth_msg.h"
#include "dhchap_host.h"
#include "pdu_stream.h"

#define HOST_MAX_C2H	 (64u << 20)
#define DISC_HDR_READ	 20   /* libnvme DISCOVERY_HEADER_LEN */
#define DISC_CHUNK	 4096 /* libnvme reads entries in pages */
#define DISC_MAX_RETRIES 10   /* libnvme MAX_DISC_RETRIES */

enum host_state { H_IDLE, H_TCP, H_ICREQ, H_CONNECTING, H_READY, H_DEAD };

struct host_cmd {
	bool busy;
	nvmf_host_cmd_cb cb;
	void *arg;
	uint8_t *rbuf;
	uint32_t rlen, received;
	uint8_t *wbuf; /* data waiting for an R2T */
	uint32_t wlen;
};

struct nvmf_host {
	struct event_base *base;
	struct nvmf_host_opts opts;
	struct sockaddr_storage source;
	char hostnqn[NVME_NQN_LENGTH], subnqn[NVME_NQN_LENGTH];
	uint8_t hostid[16];
	struct bufferevent *bev;
	struct event *ka_timer;
	struct event *deadline; /* opts.timeout_ms: the connect sequence, unanswered Keep Alives */
	unsigned int ka_outstanding;
	enum host_state state;
	struct nvmf_tcp_limits lim;
	uint32_t maxh2cdata;
	uint16_t cntlid;
	struct host_cmd cmds[NVMF_HOST_MAX_CMDS];
	nvmf_host_cmd_cb connect_cb;
	void *connect_arg;
	struct nvme_cqe connect_cqe;
	void (*close_cb)(struct nvmf_host *h, int err, void *arg);
	void *close_arg;
	struct dhchap_secret key, ctrl_key; /* len 0: none */
	struct dhchap_host *auth;	    /* while authenticating */
};

struct nvmf_host *nvmf_host_new(struct event_base *base, const struct nvmf_host_opts *opts)
{
	struct nvmf_host *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->base = base;
	h->opts = *opts;
	snprintf(h->hostnqn, sizeof(h->hostnqn), "%s", opts->hostnqn ? opts->hostnqn : "");
	snprintf(h->subnqn, sizeof(h->subnqn), "%s",
		 opts->subnqn ? opts->subnqn : NVME_DISC_SUBSYS_NAME);
	if (opts->hostid)
		memcpy(h->hostid, opts->hostid, sizeof(h->hostid));
	h->opts.hostnqn = h->hostnqn;
	h->opts.subnqn = h->subnqn;
	if (opts->source) {
		memcpy(&h->source, opts->source,
		       opts->source->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
							   : sizeof(struct sockaddr_in));
		h->opts.source = (struct sockaddr *)&h->source;
	}
	h->lim = (struct nvmf_tcp_limits){.max_c2hdata = HOST_MAX_C2H};
	if ((opts->dhchap_secret && dhchap_secret_parse(opts->dhchap_secret, &h->key)) ||
	    (opts->dhchap_ctrl_secret &&
	     dhchap_secret_parse(opts->dhchap_ctrl_secret, &h->ctrl_key))) {
		nvmf_host_free(h);
		return NULL;
	}
	h->opts.dhchap_secret = h->opts.dhchap_ctrl_secret = NULL; /* the caller's strings */
	return h;
}

static void cmd_release(struct host_cmd *c)
{
	free(c->rbuf);
	free(c->wbuf);
	memset(c, 0, sizeof(*c));
}

/* Every outstanding command fails with err; the connection is gone. */
static void host_fail(struct nvmf_host *h, int err)
{
	enum host_state was = h->state;

	if (was == H_DEAD)
		return;
	h->state = H_DEAD;
	if (h->ka_timer)
		evtimer_del(h->ka_timer);
	if (h->deadline)
		evtimer_del(h->deadline);
	if (h->bev)
		bufferevent_disable(h->bev, EV_READ | EV_WRITE);
	for (int i = 0; i < NVMF_HOST_MAX_CMDS; i++) {
		struct host_cmd c = h->cmds[i];
		if (!c.busy)
			continue;
		memset(&h->cmds[i], 0, sizeof(h->cmds[i]));
		if (c.cb)
			c.cb(h, err, NULL, NULL, 0, c.arg);
		free(c.rbuf);
		free(c.wbuf);
	}
	if (was < H_READY && h->connect_cb) {
		nvmf_host_cmd_cb cb = h->connect_cb;
		h->connect_cb = NULL;
		cb(h, err, NULL, NULL, 0, h->connect_arg);
	} else if (was == H_READY && h->close_cb) {
		h->close_cb(h, err, h->close_arg);
	}
}

void nvmf_host_free(struct nvmf_host *h)
{
	if (!h)
		return;
	h->close_cb = NULL;
	h->connect_cb = NULL;
	for (int i = 0; i < NVMF_HOST_MAX_CMDS; i++) {
		h->cmds[i].cb = NULL;
		cmd_release(&h->cmds[i]);
	}
	if (h->ka_timer)
		event_free(h->ka_timer);
	if (h->deadline)
		event_free(h->deadline);
	if (h->bev)
		bufferevent_free(h->bev);
	dhchap_host_free(h->auth);
	OPENSSL_cleanse(&h->key, sizeof(h->key));
	OPENSSL_cleanse(&h->ctrl_key, sizeof(h->ctrl_key));
	free(h);
}

void nvmf_host_on_close(struct nvmf_host *h, void (*cb)(struct nvmf_host *, int, void *), void *arg)
{
	h->close_cb = cb;
	h->close_arg = arg;
}

uint16_t nvmf_host_cntlid(const struct nvmf_host *h)
{
	return h->cntlid;
}

bool nvmf_host_ready(const struct nvmf_host *h)
{
	return h->state == H_READY;
}

int nvmf_host_send_raw(struct nvmf_host *h, const void *buf, size_t len)
{
	return h->bev ? bufferevent_write(h->bev, buf, len) : -ENOTCONN;
}

/* ---- sending ---- */

static void send_h2c_data(struct nvmf_host *h, uint16_t cid, uint16_t ttag, const uint8_t *data,
			  uint32_t off, uint32_t len)
{
	uint8_t hdr[NVME_TCP_DATA_HLEN + NVME_TCP_DIGEST_LEN];

	for (uint32_t done = 0; done < len;) {
		uint32_t n = len - done < h->maxh2cdata ? len - done : h->maxh2cdata;
		uint8_t flags = done + n == len ? NVME_TCP_F_DATA_LAST : 0;
		size_t hl =
			nvme_tcp_data_hdr_encode(NVME_TCP_H2C_DATA, flags, cid, ttag, off + done, n,
						 h->lim.hdgst, h->lim.ddgst, hdr);
		bufferevent_write(h->bev, hdr, hl);
		bufferevent_write(h->bev, data + off + done, n);
		if (h->lim.ddgst) {
			uint8_t dg[4];
			put_le32(dg, nvme_tcp_digest(data + off + done, n));
			bufferevent_write(h->bev, dg, 4);
		}
		done += n;
	}
}

static int cmd_slot(struct nvmf_host *h)
{
	/* Tag 31 is left to the AER as in Linux; any free slot serves. */
	for (int i = 0; i < NVMF_HOST_MAX_CMDS; i++)
		if (!h->cmds[i].busy)
			return i;
	return -EBUSY;
}

static int submit(struct nvmf_host *h, const struct nvme_sqe *in, const void *wdata, uint32_t wlen,
		  uint32_t rlen, nvmf_host_cmd_cb cb, void *arg)
{
	if (h->state == H_DEAD || !h->bev)
		return -ENOTCONN;
	int slot = cmd_slot(h);
	if (slot < 0)
		return slot;

	struct host_cmd *c = &h->cmds[slot];
	struct nvme_sqe sqe = *in;
	bool incapsule = wlen && wlen <= NVMF_HOST_ICD;

	c->busy = true;
	c->cb = cb;
	c->arg = arg;
	if (rlen) {
		c->rbuf = calloc(1, rlen);
		if (!c->rbuf) {
			cmd_release(c);
			return -ENOMEM;
		}
		c->rlen = rlen;
	}
	if (wlen && !incapsule) {
		c->wbuf = malloc(wlen);
		if (!c->wbuf) {
			cmd_release(c);
			return -ENOMEM;
		}
		memcpy(c->wbuf, wdata, wlen);
		c->wlen = wlen;
	}
	sqe.cid = (uint16_t)slot;
	sqe.flags = 0x40; /* SGL, as every NVMe over Fabrics host sends */
	sqe.sgl_addr = 0;
	sqe.sgl_len = wlen ? wlen : rlen;
	sqe.sgl_id = incapsule ? NVME_SGL_INCAPSULE : NVME_SGL_TRANSPORT;

	size_t max = NVME_TCP_CMD_HLEN + 8 + (incapsule ? wlen : 0);
	uint8_t *pdu = malloc(max);
	if (!pdu) {
		cmd_release(c);
		return -ENOMEM;
	}
	size_t n = nvme_tcp_cmd_encode(&sqe, incapsule ? wdata : NULL, incapsule ? wlen : 0,
				       h->lim.hdgst, h->lim.ddgst, pdu);
	bufferevent_write(h->bev, pdu, n);
	free(pdu);
	return slot;
}

int nvmf_host_submit(struct nvmf_host *h, const struct nvme_sqe *sqe, const void *wdata,
		     uint32_t wlen, uint32_t rlen, nvmf_host_cmd_cb cb, void *arg)
{
	int r = submit(h, sqe, wdata, wlen, rlen, cb, arg);
	return r < 0 ? r : 0;
}

static struct nvme_sqe sqe_admin(uint8_t opcode)
{
	struct nvme_sqe s = {.opcode = opcode};
	return s;
}

int nvmf_host_identify(struct nvmf_host *h, nvmf_host_cmd_cb cb, void *arg)
{
	struct nvme_sqe s = sqe_admin(nvme_admin_identify);

	s.cdw[10] = NVME_IDENTIFY_CNS_CTRL;
	return nvmf_host_submit(h, &s, NULL, 0, sizeof(struct nvme_id_ctrl), cb, arg);
}

int nvmf_host_get_log(struct nvmf_host *h, uint8_t lid, uint8_t lsp, bool rae, uint64_t off,
		      uint32_t len, nvmf_host_cmd_cb cb, void *arg)
{
	struct nvme_sqe s = sqe_admin(nvme_admin_get_log_page);
	uint32_t numd = len / 4 - 1;

	if (len < 4 || len % 4)
		return -EINVAL;
	s.cdw[10] = lid | (uint32_t)(lsp & 0x7f) << 8 | (rae ? 1u << 15 : 0) | numd << 16;
	s.cdw[11] = numd >> 16;
	s.cdw[12] = (uint32_t)off;
	s.cdw[13] = (uint32_t)(off >> 32);
	return nvmf_host_submit(h, &s, NULL, 0, len, cb, arg);
}

int nvmf_host_set_features(struct nvmf_host *h, uint8_t fid, uint32_t cdw11, nvmf_host_cmd_cb cb,
			   void *arg)
{
	struct nvme_sqe s = sqe_admin(nvme_admin_set_features);

	s.cdw[10] = fid;
	s.cdw[11] = cdw11;
	return nvmf_host_submit(h, &s, NULL, 0, 0, cb, arg);
}

int nvmf_host_aer(struct nvmf_host *h, nvmf_host_cmd_cb cb, void *arg)
{
	struct nvme_sqe s = sqe_admin(nvme_admin_async_event);
	return nvmf_host_submit(h, &s, NULL, 0, 0, cb, arg);
}

int nvmf_host_keep_alive(struct nvmf_host *h, nvmf_host_cmd_cb cb, void *arg)
{
	struct nvme_sqe s = sqe_admin(nvme_admin_keep_alive);
	return nvmf_host_submit(h, &s, NULL, 0, 0, cb, arg);
}

static struct nvme_sqe sqe_fabrics(uint8_t fctype)
{
	struct nvme_sqe s = {.opcode = nvme_admin_fabrics, .fctype = fctype};
	s.cdw[1] = fctype;
	return s;
}

int nvmf_host_prop_get(struct nvmf_host *h, uint32_t ofst, bool eight, nvmf_host_cmd_cb cb,
		       void *arg)
{
	struct nvme_sqe s = sqe_fabrics(nvme_fabrics_type_property_get);

	s.cdw[10] = eight ? 1 : 0;
	s.cdw[11] = ofst;
	return nvmf_host_submit(h, &s, NULL, 0, 0, cb, arg);
}

int nvmf_host_prop_set(struct nvmf_host *h, uint32_t ofst, uint32_t value, nvmf_host_cmd_cb cb,
		       void *arg)
{
	struct nvme_sqe s = sqe_fabrics(nvme_fabrics_type_property_set);

	s.cdw[11] = ofst;
	s.cdw[12] = value;
	return nvmf_host_submit(h, &s, NULL, 0, 0, cb, arg);
}

/* ---- the connect sequence (protocol.md 4.2, steps 1-7) ---- */

static void connect_step(struct nvmf_host *h, int err, const struct nvme_cqe *cqe,
			 const uint8_t *data, uint32_t len, void *arg);

enum { STEP_CONNECT, STEP_CAP, STEP_CC, STEP_EN, STEP_CSTS };

static void connect_done(struct nvmf_host *h, int err, const struct nvme_cqe *cqe)
{
	nvmf_host_cmd_cb cb = h->connect_cb;

	h->connect_cb = NULL;
	if (h->deadline)
		evtimer_del(h->deadline);
	if (!err && !cqe->status)
		h->state = H_READY;
	if (cb)
		cb(h, err, cqe, NULL, 0, h->connect_arg);
}

static void deadline_arm(struct nvmf_host *h)
{
	struct timeval tv = {h->opts.timeout_ms / 1000, (h->opts.timeout_ms % 1000) * 1000};

	if (h->deadline && !evtimer_pending(h->deadline, NULL))
		evtimer_add(h->deadline, &tv);
}

static void deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	host_fail(arg, -ETIMEDOUT);
}

static void ka_done(struct nvmf_host *h, int err, const struct nvme_cqe *cqe, const uint8_t *data,
		    uint32_t len, void *arg)
{
	(void)err;
	(void)cqe;
	(void)data;
	(void)len;
	(void)arg;
	if (h->ka_outstanding && !--h->ka_outstanding && h->deadline)
		evtimer_del(h->deadline);
}

static void ka_cb(evutil_socket_t fd, short what, void *arg)
{
	struct nvmf_host *h = arg;
	struct timeval tv = {h->opts.kato_ms / 2000, (h->opts.kato_ms / 2 % 1000) * 1000};

	(void)fd;
	(void)what;
	if (h->state != H_READY)
		return;
	if (nvmf_host_keep_alive(h, ka_done, NULL) == 0) {
		h->ka_outstanding++;
		deadline_arm(h);
	}
	evtimer_add(h->ka_timer, &tv);
}

static int step_next(struct nvmf_host *h, int step)
{
	void *next = (void *)(intptr_t)(step + 1);

	switch (step) {
	case STEP_CONNECT:
		return nvmf_host_prop_get(h, NVME_REG_CAP, true, connect_step, next);
	case STEP_CAP:
		return nvmf_host_prop_set(h, NVME_REG_CC, 0x00460000, connect_step, next);
	case STEP_CC:
		return nvmf_host_prop_set(h, NVME_REG_CC, 0x00460001, connect_step, next);
	case STEP_EN:
		return nvmf_host_prop_get(h, NVME_REG_CSTS, false, connect_step, next);
	}
	return -EINVAL;
}

/* ---- DH-HMAC-CHAP after the Connect, when the controller asks for it (protocol.md 9.1) ---- */

#define CONNECT_AUTHREQ_ATR (1u << 17)
#define AUTH_MSG_MAX	    (16 + 2 * DHCHAP_MAX_HL + DHCHAP_MAX_DHVLEN)

enum {
	AUTH_NEGOTIATE_SENT,
	AUTH_CHALLENGE_READ,
	AUTH_REPLY_SENT,
	AUTH_SUCCESS1_READ,
	AUTH_SUCCESS2_SENT
};

static void auth_step(struct nvmf_host *h, int err, const struct nvme_cqe *cqe, const uint8_t *data,
		      uint32_t len, void *arg);

static struct nvme_sqe sqe_auth(uint8_t fctype, uint32_t len)
{
	struct nvme_sqe s = sqe_fabrics(fctype);

	s.cdw[10] = 0xe9u << 24 | 1u << 16 | 1u << 8; /* SECP E9h, SPSP1 1, SPSP0 1 */
	s.cdw[11] = len;
	return s;
}

static int auth_send(struct nvmf_host *h, const uint8_t *msg, size_t len, int next)
{
	struct nvme_sqe s = sqe_auth(nvme_fabrics_type_auth_send, (uint32_t)len);

	return nvmf_host_submit(h, &s, msg, (uint32_t)len, 0, auth_step, (void *)(intptr_t)next);
}

static int auth_recv(struct nvmf_host *h, int next)
{
	struct nvme_sqe s = sqe_auth(nvme_fabrics_type_auth_receive, 4096);

	return nvmf_host_submit(h, &s, NULL, 0, 4096, auth_step, (void *)(intptr_t)next);
}

/* The transaction is over: on with the connect sequence, or its failure. */
static void auth_end(struct nvmf_host *h, int err)
{
	dhchap_host_free(h->auth);
	h->auth = NULL;
	if (!err)
		err = step_next(h, STEP_CONNECT);
	if (err < 0)
		connect_done(h, err, NULL);
}

static void auth_begin(struct nvmf_host *h)
{
	uint8_t msg[AUTH_NEGOTIATE_LEN(1)];

	if (!h->key.len) {
		connect_done(h, -ENOKEY, NULL);
		return;
	}
	h->auth = dhchap_host_new(&h->key, h->ctrl_key.len ? &h->ctrl_key : NULL, h->hostnqn,
				  h->subnqn);
	if (!h->auth) {
		connect_done(h, -ENOMEM, NULL);
		return;
	}
	int r = auth_send(h, msg, dhchap_host_negotiate(h->auth, 1, msg, sizeof(msg)),
			  AUTH_NEGOTIATE_SENT);
	if (r < 0)
		auth_end(h, r);
}

static void auth_step(struct nvmf_host *h, int err, const struct nvme_cqe *cqe, const uint8_t *data,
		      uint32_t len, void *arg)
{
	uint8_t msg[AUTH_MSG_MAX], reason = 0;
	int n, r = 0;

	if (err || cqe->status) {
		auth_end(h, err ? err : -EIO);
		return;
	}
	switch ((int)(intptr_t)arg) {
	case AUTH_NEGOTIATE_SENT:
		r = auth_recv(h, AUTH_CHALLENGE_READ);
		break;
	case AUTH_CHALLENGE_READ:
		n = dhchap_host_reply(h->auth, data, len, msg, sizeof(msg), &reason);
		r = n < 0 ? n : auth_send(h, msg, (size_t)n, AUTH_REPLY_SENT);
		break;
	case AUTH_REPLY_SENT:
		r = auth_recv(h, AUTH_SUCCESS1_READ);
		break;
	case AUTH_SUCCESS1_READ:
		n = dhchap_host_success(h->auth, data, len, msg, sizeof(msg), &reason);
		if (n == 0) {
			auth_end(h, 0);
			return;
		}
		r = n < 0 ? n : auth_send(h, msg, (size_t)n, AUTH_SUCCESS2_SENT);
		break;
	case AUTH_SUCCESS2_SENT:
		auth_end(h, dhchap_host_failed(h->auth));
		return;
	}
	if (r < 0)
		auth_end(h, r);
}

static void connect_step(struct nvmf_host *h, int err, const struct nvme_cqe *cqe,
			 const uint8_t *data, uint32_t len, void *arg)
{
	int step = (int)(intptr_t)arg;

	(void)data;
	(void)len;
	if (err || cqe->status) {
		connect_done(h, err, cqe);
		return;
	}
	if (step == STEP_CONNECT) {
		h->connect_cqe = *cqe;
		h->cntlid = (uint16_t)cqe->dw0;
		if ((cqe->dw0 & CONNECT_AUTHREQ_ATR) && !h->opts.dhchap_by_caller) {
			auth_begin(h);
			return;
		}
	}
	if (step == STEP_CSTS) {
		if (!(cqe->dw0 & 1)) {
			connect_done(h, -EIO, NULL);
			return;
		}
		if (h->opts.kato_ms && !h->opts.no_keep_alive) {
			h->ka_timer = evtimer_new(h->base, ka_cb, h);
			h->state = H_READY;
			ka_cb(-1, 0, h);
		}
		connect_done(h, 0, &h->connect_cqe);
		return;
	}
	int r = step_next(h, step);
	if (r < 0)
		connect_done(h, r, NULL);
}

static void send_connect(struct nvmf_host *h)
{
	struct nvme_sqe s = sqe_fabrics(nvme_fabrics_type_connect);
	struct nvmf_connect_data d;

	memset(&d, 0, sizeof(d));
	memcpy(d.hostid, h->hostid, sizeof(d.hostid));
	d.cntlid = 0xffff;
	snprintf(d.subsysnqn, sizeof(d.subsysnqn), "%s", h->subnqn);
	snprintf(d.hostnqn, sizeof(d.hostnqn), "%s", h->hostnqn);
	s.cdw[11] = (h->opts.sqsize ? h->opts.sqsize : 31) | (uint32_t)h->opts.cattr << 16;
	s.cdw[12] = h->opts.kato_ms;
	h->state = H_CONNECTING;
	if (submit(h, &s, &d, sizeof(d), 0, connect_step, (void *)(intptr_t)STEP_CONNECT) < 0)
		host_fail(h, -ENOMEM);
}

/* ---- receiving ---- */

static int handle_icresp(struct nvmf_host *h, const struct nvmf_tcp_pdu *pdu)
{
	struct nvme_tcp_ic ic;

	nvme_tcp_ic_decode(pdu->hdr, &ic);
	/* The checks of the Linux host (nvme_tcp_init_connection). */
	uint8_t want = (h->opts.hdgst ? 1 : 0) | (h->opts.ddgst ? 2 : 0);
	if (ic.pfv != 0 || ic.pda != 0 || ic.dgst != want || ic.maxr2t_or_maxh2cdata < 4096 ||
	    ic.maxr2t_or_maxh2cdata % 4)
		return -EPROTO;
	h->maxh2cdata = ic.maxr2t_or_maxh2cdata;
	h->lim.hdgst = h->opts.hdgst;
	h->lim.ddgst = h->opts.ddgst;
	send_connect(h);
	return 0;
}

static struct host_cmd *cmd_of(struct nvmf_host *h, uint16_t cid)
{
	if (cid >= NVMF_HOST_MAX_CMDS || !h->cmds[cid].busy)
		return NULL;
	return &h->cmds[cid];
}

/* The slot is free again before the callback runs, which may submit the next command. */
static void cmd_complete(struct nvmf_host *h, struct host_cmd *c, const struct nvme_cqe *cqe)
{
	struct host_cmd done = *c;

	memset(c, 0, sizeof(*c));
	if (done.cb)
		done.cb(h, 0, cqe, done.rbuf, done.received, done.arg);
	free(done.rbuf);
	free(done.wbuf);
}

static void handle_rsp(struct nvmf_host *h, const struct nvmf_tcp_pdu *pdu)
{
	struct nvme_cqe cqe;

	nvme_cqe_decode(pdu->hdr + NVME_TCP_CH_LEN, &cqe);
	struct host_cmd *c = cmd_of(h, cqe.cid);
	if (!c)
		return; /* a completion for nothing: Linux ignores it with a warning */
	cmd_complete(h, c, &cqe);
}

static int handle_c2h_data(struct nvmf_host *h, const struct nvmf_tcp_pdu *pdu)
{
	struct nvme_tcp_data_hdr d;

	nvme_tcp_data_hdr_decode(pdu->hdr, &d);
	struct host_cmd *c = cmd_of(h, d.cccid);
	/* "unexpected data offset" and buffer overrun are fatal for the Linux host too. */
	if (!c || d.datao != c->received || d.datal != pdu->data_len ||
	    d.datal > c->rlen - c->received || !pdu->ddgst_ok)
		return -EPROTO;
	if ((pdu->flags & NVME_TCP_F_DATA_SUCCESS) && !(pdu->flags & NVME_TCP_F_DATA_LAST))
		return -EPROTO;
	memcpy(c->rbuf + c->received, pdu->data, d.datal);
	c->received += d.datal;
	if (pdu->flags & NVME_TCP_F_DATA_SUCCESS) {
		/* SUCCESS: the command completed with status 0 and no CapsuleResp follows
		 * (protocol.md 1.6); SPDK's target completes reads this way by default. */
		struct nvme_cqe cqe = {.cid = d.cccid};
		cmd_complete(h, c, &cqe);
	}
	return 0;
}

static int handle_r2t(struct nvmf_host *h, const struct nvmf_tcp_pdu *pdu)
{
	struct nvme_tcp_data_hdr d;

	nvme_tcp_data_hdr_decode(pdu->hdr, &d);
	struct host_cmd *c = cmd_of(h, d.cccid);
	if (!c || !c->wbuf || d.datal == 0 || d.datao > c->wlen || d.datal > c->wlen - d.datao)
		return -EPROTO;
	send_h2c_data(h, d.cccid, d.ttag, c->wbuf, d.datao, d.datal);
	return 0;
}

static int handle_pdu(struct nvmf_host *h, const struct nvmf_tcp_pdu *pdu)
{
	if (h->state == H_ICREQ)
		return pdu->type == NVME_TCP_ICRESP ? handle_icresp(h, pdu) : -EPROTO;
	switch (pdu->type) {
	case NVME_TCP_C2H_DATA:
		return handle_c2h_data(h, pdu);
	case NVME_TCP_R2T:
		return handle_r2t(h, pdu);
	case NVME_TCP_RSP:
		handle_rsp(h, pdu);
		return 0;
	case NVME_TCP_C2H_TERM:
		return -ECONNABORTED;
	}
	return -EPROTO;
}

static void read_cb(struct bufferevent *bev, void *arg)
{
	struct nvmf_host *h = arg;
	struct evbuffer *in = bufferevent_get_input(bev);

	while (h->state != H_DEAD) {
		struct nvmf_tcp_pdu pdu;
		const uint8_t *bad;
		size_t badlen;
		uint16_t fes;
		uint32_t fei;
		int r = pdu_stream_next(in, &h->lim, &pdu, &fes, &fei, &bad, &badlen);

		if (r == 0)
			return;
		if (r > 0)
			r = handle_pdu(h, &pdu);
		if (h->state == H_DEAD)
			return;
		if (r < 0) {
			host_fail(h, r);
			return;
		}
		evbuffer_drain(in, pdu.plen);
	}
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct nvmf_host *h = arg;

	(void)bev;
	if (what & BEV_EVENT_CONNECTED) {
		uint8_t ic[NVME_TCP_IC_LEN];
		struct nvme_tcp_ic req = {.dgst = (h->opts.hdgst ? 1 : 0) |
						  (h->opts.ddgst ? 2 : 0)};
		int one = 1;

		setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		nvme_tcp_ic_encode(NVME_TCP_ICREQ, &req, ic);
		h->state = H_ICREQ;
		bufferevent_write(bev, ic, sizeof(ic));
		return;
	}
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		host_fail(h, what & BEV_EVENT_EOF ? -ECONNRESET : -EIO);
}

int nvmf_host_connect(struct nvmf_host *h, const struct sockaddr *sa, socklen_t salen,
		      nvmf_host_cmd_cb cb, void *arg)
{
	if (h->bev)
		return -EISCONN;
	int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (h->opts.source &&
	    bind(fd, h->opts.source,
		 h->source.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
						 : sizeof(struct sockaddr_in)) < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	h->bev = bufferevent_socket_new(h->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!h->bev) {
		close(fd);
		return -ENOMEM;
	}
	if (h->opts.timeout_ms && !(h->deadline = evtimer_new(h->base, deadline_cb, h))) {
		bufferevent_free(h->bev);
		h->bev = NULL;
		return -ENOMEM;
	}
	h->connect_cb = cb;
	h->connect_arg = arg;
	h->state = H_TCP;
	deadline_arm(h);
	bufferevent_setcb(h->bev, read_cb, NULL, event_cb, h);
	bufferevent_enable(h->bev, EV_READ | EV_WRITE);
	if (bufferevent_socket_connect(h->bev, sa, (int)salen) < 0) {
		h->connect_cb = NULL;
		h->state = H_DEAD;
		return -ECONNREFUSED;
	}
	return 0;
}

/* ---- the discovery log, as libnvme reads it ---- */

struct disc_read {
	nvmf_host_log_cb cb;
	void *arg;
	uint8_t lsp;
	uint64_t genctr, numrec;
	uint8_t *log;
	size_t len, off;
	int tries;
};

static void disc_read_finish(struct nvmf_host *h, struct disc_read *r, int err, uint16_t status)
{
	r->cb(h, err, status, err || status ? NULL : r->log, err || status ? 0 : r->len, r->arg);
	free(r->log);
	free(r);
}

static void disc_header_cb(struct nvmf_host *h, int err, const struct nvme_cqe *cqe,
			   const uint8_t *data, uint32_t len, void *arg);

static int disc_read_header(struct nvmf_host *h, struct disc_read *r, bool rae)
{
	return nvmf_host_get_log(h, NVME_LOG_LID_DISCOVER, r->lsp, rae, 0, DISC_HDR_READ,
				 disc_header_cb, r);
}

static void disc_chunk_cb(struct nvmf_host *h, int err, const struct nvme_cqe *cqe,
			  const uint8_t *data, uint32_t len, void *arg);

/* The next entries chunk, or the closing header once all entries are in. */
static int disc_read_next(struct nvmf_host *h, struct disc_read *r)
{
	if (r->off >= r->len)
		return disc_read_header(h, r, false);
	size_t n = r->len - r->off < DISC_CHUNK ? r->len - r->off : DISC_CHUNK;
	return nvmf_host_get_log(h, NVME_LOG_LID_DISCOVER, r->lsp, true, r->off, (uint32_t)n,
				 disc_chunk_cb, r);
}

static void disc_chunk_cb(struct nvmf_host *h, int err, const struct nvme_cqe *cqe,
			  const uint8_t *data, uint32_t len, void *arg)
{
	struct disc_read *r = arg;

	if (err || cqe->status) {
		disc_read_finish(h, r, err, err ? 0 : cqe->status);
		return;
	}
	if (len > r->len - r->off)
		len = (uint32_t)(r->len - r->off);
	memcpy(r->log + r->off, data, len);
	r->off += len;
	int e = disc_read_next(h, r);
	if (e < 0)
		disc_read_finish(h, r, e, 0);
}

static void disc_header_cb(struct nvmf_host *h, int err, const struct nvme_cqe *cqe,
			   const uint8_t *data, uint32_t len, void *arg)
{
	struct disc_read *r = arg;

	if (err || cqe->status || len < DISC_HDR_READ) {
		disc_read_finish(h, r, err ? err : (cqe->status ? 0 : -EPROTO),
				 err ? 0 : cqe->status);
		return;
	}
	uint64_t genctr = get_le64(data), numrec = get_le64(data + 8);

	if (r->log && genctr == r->genctr) {
		/* Second header: the log is consistent unless NUMREC moved without GENCTR. */
		if (numrec != r->numrec) {
			disc_read_finish(h, r, -EBADSLT, 0);
			return;
		}
		memcpy(r->log, data, DISC_HDR_READ);
		disc_read_finish(h, r, 0, 0);
		return;
	}
	if (++r->tries > DISC_MAX_RETRIES) {
		disc_read_finish(h, r, -EAGAIN, 0);
		return;
	}
	free(r->log);
	r->log = NULL;
	if (numrec > 1u << 20) {
		disc_read_finish(h, r, -E2BIG, 0);
		return;
	}
	r->genctr = genctr;
	r->numrec = numrec;
	r->len = 1024 + numrec * 1024;
	r->off = 1024;
	r->log = calloc(1, r->len);
	if (!r->log) {
		disc_read_finish(h, r, -ENOMEM, 0);
		return;
	}
	int e = disc_read_next(h, r);
	if (e < 0)
		disc_read_finish(h, r, e, 0);
}

int nvmf_host_disc_log(struct nvmf_host *h, nvmf_host_log_cb cb, void *arg)
{
	return nvmf_host_disc_log_lsp(h, 0, cb, arg);
}

int nvmf_host_disc_log_lsp(struct nvmf_host *h, uint8_t lsp, nvmf_host_log_cb cb, void *arg)
{
	struct disc_read *r = calloc(1, sizeof(*r));

	if (!r)
		return -ENOMEM;
	r->cb = cb;
	r->arg = arg;
	r->lsp = lsp;
	int e = disc_read_header(h, r, true);
	if (e < 0)
		free(r);
	return e;
}
