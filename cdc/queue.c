/* queue.c - one NVMe/TCP admin queue: the receive state machine of protocol.md 1.10 on a
 * non-blocking socket. Transport errors end the connection with a C2HTermReq; command errors are
 * the controller's business and never close the connection. */
#include "queue.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <nvme/types.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "nvmf_tcp.h"
#include "pdu_stream.h"
#include "tls_server.h"

enum queue_state { Q_WAIT_ICREQ, Q_READY, Q_CLOSING };

/* TLS on a connection: none (the plain path, untouched), the first byte still to be seen on a
 * port that takes both, the handshake, or application data in TLS records. */
enum queue_tls { QT_NONE, QT_SNIFF, QT_HANDSHAKE, QT_UP };

#define TLS_RECORD_MAX	   16384 /* plaintext bytes of one TLS record */
#define TLS_CONTENT_HSHAKE 0x16	 /* first byte of a ClientHello's record; an ICReq starts 0x00 */

/* A write command waiting for its data through R2T/H2CData. Its buffer is allocated when
 * its R2T is sent, so a connection holds at most one, whatever the host queues. */
struct pending_write {
	TAILQ_ENTRY(pending_write) link;
	struct nvme_sqe sqe;
	uint8_t *buf;
	uint32_t received;
	bool bad_digest;
};

/* Connections per source address, for max-connections-per-source. */
struct source {
	RB_ENTRY(source) link;
	struct in6_addr addr; /* IPv4 as IPv4-mapped */
	unsigned int n;
};

struct queue {
	struct cdc_server *srv;
	TAILQ_ENTRY(queue) link;
	int fd;
	struct evbuffer *in, *out;
	struct event *rev, *wev; /* read and write readiness; wev only while output waits */
	bool reading, writing;	 /* rev, wev added */
	struct event *timer;
	enum queue_state state;
	enum queue_conn_state counted_as; /* where srv->conns counts it */
	struct nvmf_tcp_limits lim;
	struct disc_ctrl *ctrl;
	struct source *src;
	uint16_t sqhd;
	uint16_t next_ttag;
	unsigned int outstanding;	    /* commands received and not yet answered */
	bool auth_deadline;		    /* the authentication timer is armed */
	TAILQ_HEAD(, pending_write) writes; /* the first one has the R2T outstanding */
	char peer[INET6_ADDRSTRLEN + 8];
	enum queue_tls tls_state;
	bool tls_read_blocked; /* the session must write before it can read on */
	struct tls_conn *tls;
};

static int source_cmp(const struct source *a, const struct source *b)
{
	return memcmp(&a->addr, &b->addr, sizeof(a->addr));
}

RB_GENERATE_STATIC(source_tree, source, link, source_cmp)

static void source_addr(const struct sockaddr *sa, struct in6_addr *out)
{
	if (sa->sa_family == AF_INET6) {
		*out = ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
		return;
	}
	memset(out, 0, sizeof(*out));
	out->s6_addr[10] = out->s6_addr[11] = 0xff;
	memcpy(&out->s6_addr[12], &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
}

/* The source's count, created at zero. NULL on allocation failure. */
static struct source *source_get(struct cdc_server *srv, const struct sockaddr *sa)
{
	struct source key, *s;

	source_addr(sa, &key.addr);
	s = RB_FIND(source_tree, &srv->sources, &key);
	if (s)
		return s;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->addr = key.addr;
	RB_INSERT(source_tree, &srv->sources, s);
	return s;
}

static void source_put(struct cdc_server *srv, struct source *s)
{
	if (s && --s->n == 0) {
		RB_REMOVE(source_tree, &srv->sources, s);
		free(s);
	}
}

/* Frees a connection's own parts; also those of one queue_accept could not finish. */
static void queue_discard(struct queue *q)
{
	struct event *events[] = {q->timer, q->rev, q->wev};
	struct evbuffer *bufs[] = {q->in, q->out};

	if (q->ctrl)
		disc_ctrl_free(q->ctrl);
	for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++)
		if (events[i])
			event_free(events[i]);
	for (size_t i = 0; i < sizeof(bufs) / sizeof(bufs[0]); i++)
		if (bufs[i])
			evbuffer_free(bufs[i]);
	tls_conn_free(q->tls);
	close(q->fd);
	free(q);
}

static void queue_free(struct queue *q)
{
	struct pending_write *w;

	while ((w = TAILQ_FIRST(&q->writes))) {
		TAILQ_REMOVE(&q->writes, w, link);
		free(w->buf);
		free(w);
	}
	if (q->ctrl && disc_ctrl_connected(q->ctrl))
		log_info("controller %u: host %s at %s disconnected", disc_ctrl_cntlid(q->ctrl),
			 disc_ctrl_hostnqn(q->ctrl), q->peer);
	source_put(q->srv, q->src);
	q->srv->conns[q->counted_as]--;
	TAILQ_REMOVE(&q->srv->queues, q, link);
	q->srv->nqueues--;
	queue_discard(q);
}

/* Where the connection is, for the metrics: counted as it moves, so a scrape costs the
 * same with 10 connections or 100,000. */
static enum queue_conn_state conn_state(const struct queue *q)
{
	if (q->state == Q_WAIT_ICREQ)
		return QUEUE_CONN_ICREQ;
	if (q->state == Q_CLOSING)
		return QUEUE_CONN_CLOSING;
	return disc_ctrl_connected(q->ctrl) ? QUEUE_CONN_LIVE : QUEUE_CONN_CONNECTING;
}

static void conn_state_update(struct queue *q)
{
	enum queue_conn_state now = conn_state(q);

	if (now == q->counted_as)
		return;
	q->srv->conns[q->counted_as]--;
	q->srv->conns[now]++;
	q->counted_as = now;
}

static void timer_arm(struct queue *q, uint64_t ms)
{
	struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};

	evtimer_add(q->timer, &tv);
}

/* The deadline for the next sign of life. ICReq and Connect must both arrive within
 * icreq-timeout of the accept: that deadline is set once and no command moves it, or a
 * host could stay unconnected forever by sending something every few seconds. After the
 * Connect: KATO, with a grace for hosts that send Keep Alive only once per KATO; a
 * connection without KATO (one-shot discovery) is reaped when idle. */
static void timer_rearm(struct queue *q)
{
	const struct cdc_config *cfg = q->srv->cfg;

	/* Authentication has auth-timeout from its Connect, set once like the ICReq's. */
	if (q->state != Q_CLOSING && disc_ctrl_authenticating(q->ctrl) && !q->auth_deadline) {
		q->auth_deadline = true;
		timer_arm(q, (uint64_t)cfg->auth_timeout * 1000);
	}
	if (q->state == Q_CLOSING || !disc_ctrl_connected(q->ctrl))
		return;
	uint64_t kato = disc_ctrl_kato(q->ctrl);
	if (kato)
		timer_arm(q, kato + (kato / 2 > 1000 ? kato / 2 : 1000));
	else
		timer_arm(q, (uint64_t)cfg->idle_timeout * 1000);
}

/* Adds or deletes ev when the wish changes; *on remembers which it is. */
static void event_want(struct event *ev, bool *on, bool want)
{
	if (want == *on)
		return;
	*on = want;
	if (want)
		event_add(ev, NULL);
	else
		event_del(ev);
}

static void reading_set(struct queue *q, bool on)
{
	event_want(q->rev, &q->reading, on);
}

/* Sends what is queued at once, with one writev, and asks for the write event only when
 * the socket did not take it all: waiting for the event would cost two epoll_ctl per
 * command (the event base, with a changelist, lets an add and a delete in one loop turn
 * cancel out). A write error ends the connection from the timer, never under the caller. */
static void tls_flush(struct queue *q);

static void queue_flush(struct queue *q)
{
	bool waiting = false;

	if (q->tls_state) {
		tls_flush(q);
		return;
	}
	if (evbuffer_get_length(q->out)) {
		if (evbuffer_write(q->out, q->fd) < 0 && errno != EAGAIN && errno != EINTR) {
			log_debug("%s: write: %s", q->peer, strerror(errno));
			evbuffer_drain(q->out, evbuffer_get_length(q->out));
			q->state = Q_CLOSING;
			conn_state_update(q);
			reading_set(q, false);
			timer_arm(q, 0);
		}
		waiting = evbuffer_get_length(q->out) > 0;
	}
	event_want(q->wev, &q->writing, waiting);
}

/* Stop reading and close once what is queued for the host has left. Never frees q
 * synchronously: callers up the stack still hold it. */
static void queue_close(struct queue *q)
{
	q->state = Q_CLOSING;
	conn_state_update(q);
	reading_set(q, false);
	queue_flush(q);
	/* write_cb frees it once flushed; a host that does not read does not keep us */
	timer_arm(q, q->writing ? 2000 : 0);
}

static void queue_fatal(struct queue *q, uint16_t fes, uint32_t fei, const uint8_t *hdr,
			size_t hlen, const char *why)
{
	uint8_t term[NVME_TCP_TERM_HLEN + NVME_TCP_TERM_MAX_COPY];
	size_t n = nvme_tcp_term_encode(NVME_TCP_C2H_TERM, fes, fei, hdr, hlen, term);

	log_peer_ratelimited(&q->srv->rl_peers, q->peer, LOG_WARNING,
			     "%s: %s; sending C2HTermReq (FES %u)", q->peer, why, fes);
	evbuffer_add(q->out, term, n);
	queue_close(q);
}

static void send_rsp(struct queue *q, uint16_t cid, const struct nvme_cqe *res)
{
	struct nvme_cqe cqe = *res;
	uint8_t pdu[NVME_TCP_RSP_HLEN + NVME_TCP_DIGEST_LEN];

	cqe.cid = cid;
	cqe.sqid = 0;
	cqe.sqhd = q->sqhd;
	q->srv->counters.status[cqe.status & (QUEUE_NSTATUS - 1)]++;
	if (q->outstanding)
		q->outstanding--;
	evbuffer_add(q->out, pdu, nvme_tcp_rsp_encode(&cqe, q->lim.hdgst, pdu));
}

static void send_status(struct queue *q, uint16_t cid, uint16_t status)
{
	struct nvme_cqe cqe = {.status = status};

	send_rsp(q, cid, &cqe);
}

/* Zeros for reads past the end of a log: referenced, never allocated per read. */
static const uint8_t zero_page[65536];

static void unref_cb(const void *data, size_t len, void *arg)
{
	(void)data;
	(void)len;
	disc_blob_unref(arg);
}

/* Part i of a reply, in wire order: the copied bytes, the pieces of the shared body, the
 * zeros (p NULL). */
struct part {
	const uint8_t *p;
	uint32_t len;
	struct disc_blob *ref;
};

static struct part cmd_part(const struct disc_cmd *cmd, size_t i)
{
	if (i == 0)
		return (struct part){cmd->rdata, cmd->rlen, NULL};
	if (i <= cmd->npieces) {
		const struct log_piece *pc = &cmd->pieces[i - 1];
		return (struct part){pc->p, pc->len, pc->blob};
	}
	return (struct part){NULL, cmd->zero_len, NULL};
}

/* Where the walk over a reply's parts is. */
struct part_cursor {
	size_t i;     /* part */
	uint32_t off; /* bytes of it already sent */
};

/* Adds the next n bytes of the reply to out; returns their CRC32C state. */
static uint32_t add_range(struct evbuffer *out, const struct disc_cmd *cmd, struct part_cursor *cur,
			  uint32_t n, uint32_t crc, bool digest)
{
	while (n && cur->i < cmd->npieces + 2) {
		struct part pt = cmd_part(cmd, cur->i);
		uint32_t k = pt.len - cur->off < n ? pt.len - cur->off : n;
		const uint8_t *src = pt.p ? pt.p + cur->off : zero_page;
		if (!pt.p && k > sizeof(zero_page))
			k = sizeof(zero_page);
		if (k && pt.ref)
			evbuffer_add_reference(out, src, k, unref_cb, disc_blob_ref(pt.ref));
		else if (k && !pt.p)
			evbuffer_add_reference(out, src, k, NULL, NULL);
		else if (k)
			evbuffer_add(out, src, k);
		if (digest)
			crc = crc32c(crc, src, k);
		cur->off += k;
		n -= k;
		if (cur->off == pt.len) {
			cur->i++;
			cur->off = 0;
		}
	}
	return crc;
}

/* The command's data as C2HData PDUs. The shared log pages are referenced, not copied, so
 * a host that asks for a large log and stops reading costs the PDU headers, not the log. */
static void send_c2h_data(struct queue *q, uint16_t cid, const struct disc_cmd *cmd, uint32_t len)
{
	struct evbuffer *out = q->out;
	uint8_t hdr[NVME_TCP_DATA_HLEN + NVME_TCP_DIGEST_LEN];
	struct part_cursor cur = {0};

	for (uint32_t off = 0; off < len;) {
		uint32_t n = len - off < QUEUE_C2H_CHUNK ? len - off : QUEUE_C2H_CHUNK;
		uint8_t flags = off + n == len ? NVME_TCP_F_DATA_LAST : 0;
		size_t hl = nvme_tcp_data_hdr_encode(NVME_TCP_C2H_DATA, flags, cid, 0, off, n,
						     q->lim.hdgst, q->lim.ddgst, hdr);
		evbuffer_add(out, hdr, hl);
		uint32_t crc = add_range(out, cmd, &cur, n, ~0u, q->lim.ddgst);
		if (q->lim.ddgst) {
			uint8_t dg[NVME_TCP_DIGEST_LEN];
			put_le32(dg, ~crc);
			evbuffer_add(out, dg, sizeof(dg));
		}
		off += n;
	}
}

static void complete_cb(void *arg, uint16_t cid, const struct nvme_cqe *cqe)
{
	struct queue *q = arg;

	if (cqe->dw0)
		log_debug("controller %u: AEN 0x%08x to %s", disc_ctrl_cntlid(q->ctrl), cqe->dw0,
			  disc_ctrl_hostnqn(q->ctrl));
	send_rsp(q, cid, cqe);
	queue_flush(q);
}

static const struct disc_ctrl_ops queue_ctrl_ops = {.complete = complete_cb};

/* Over TLS, the host NQN of the Connect must be the one of the PSK identity: the key
 * authenticated that host, not whichever NQN the host then claims (protocol.md 10.1). */
static bool tls_connect_refused(struct queue *q, const struct nvme_sqe *sqe, const uint8_t *data,
				uint32_t data_len)
{
	char hostnqn[CDC_NQN_MAX + 1];
	const size_t at = offsetof(struct nvmf_connect_data, hostnqn);

	if (q->tls_state != QT_UP || sqe->opcode != nvme_admin_fabrics ||
	    sqe->fctype != nvme_fabrics_type_connect || !data ||
	    data_len < sizeof(struct nvmf_connect_data))
		return false;
	if (wire_text_get(hostnqn, sizeof(hostnqn), data + at,
			  sizeof(((struct nvmf_connect_data *)0)->hostnqn)) &&
	    !strcmp(hostnqn, tls_conn_hostnqn(q->tls)))
		return false;
	log_peer_ratelimited(&q->srv->rl_peers, q->peer, LOG_WARNING,
			     "%s: Connect as host %.*s over TLS with the PSK of host %s", q->peer,
			     CDC_NQN_MAX, nqn_is_valid(hostnqn) ? hostnqn : "(not a valid NQN)",
			     tls_conn_hostnqn(q->tls));
	send_status(q, sqe->cid,
		    nvme_status(NVME_SCT_CMD_SPECIFIC, NVME_SC_CONNECT_INVALID_HOST, true));
	return true;
}

static void queue_exec(struct queue *q, const struct nvme_sqe *sqe, const uint8_t *data,
		       uint32_t data_len)
{
	struct disc_cmd cmd = {.sqe = *sqe, .data = data, .data_len = data_len};

	if (q->tls_state && tls_connect_refused(q, sqe, data, data_len))
		return;

	q->sqhd = (uint16_t)((q->sqhd + 1) % (DISC_MQES + 1));
	int r = disc_ctrl_exec(q->ctrl, &cmd);
	conn_state_update(q); /* a Connect makes it live */
	timer_rearm(q);
	if (r == DISC_HELD)
		return;
	uint32_t len = disc_cmd_data_len(&cmd);
	if (len && cmd.cqe.status == 0)
		send_c2h_data(q, sqe->cid, &cmd, len < sqe->sgl_len ? len : sqe->sgl_len);
	disc_cmd_release(&cmd);
	send_rsp(q, sqe->cid, &cmd.cqe);
	if (cmd.close)
		queue_close(q);
}

/* Asks for the data of the first queued write, allocating its buffer now. */
static void r2t_send(struct queue *q)
{
	struct pending_write *w;
	uint8_t pdu[NVME_TCP_DATA_HLEN + NVME_TCP_DIGEST_LEN];

	while ((w = TAILQ_FIRST(&q->writes)) && !w->buf) {
		w->buf = malloc(w->sqe.sgl_len);
		if (w->buf)
			break;
		TAILQ_REMOVE(&q->writes, w, link);
		send_status(q, w->sqe.cid, NVME_SC_INTERNAL);
		free(w);
	}
	if (!w)
		return;
	q->next_ttag++;
	evbuffer_add(q->out, pdu,
		     nvme_tcp_r2t_encode(w->sqe.cid, q->next_ttag, 0, w->sqe.sgl_len, q->lim.hdgst,
					 pdu));
}

static void write_cmd_queue(struct queue *q, const struct nvme_sqe *sqe)
{
	struct pending_write *w = calloc(1, sizeof(*w));

	if (!w) {
		send_status(q, sqe->cid, NVME_SC_INTERNAL);
		return;
	}
	w->sqe = *sqe;
	bool idle = TAILQ_EMPTY(&q->writes);
	TAILQ_INSERT_TAIL(&q->writes, w, link);
	if (idle)
		r2t_send(q);
}

/* Where the command's data is, per its SGL (protocol.md 2.4). */
static void handle_cmd(struct queue *q, const struct nvmf_tcp_pdu *pdu)
{
	struct nvme_sqe sqe;

	nvme_sqe_decode(pdu->hdr + NVME_TCP_CH_LEN, &sqe);
	q->lim.kickstart = false; /* a host, not a DDC's Kickstart */
	/* A host may not have more commands outstanding than its queue holds (SQSIZE): past
	 * that it is not a host we can serve, whatever it wants. */
	if (++q->outstanding > disc_ctrl_queue_depth(q->ctrl)) {
		queue_fatal(q, NVME_TCP_FES_PDU_SEQ_ERR, 0, pdu->hdr, pdu->hlen,
			    "more commands outstanding than the queue holds");
		return;
	}
	if (!pdu->ddgst_ok) {
		send_status(q, sqe.cid,
			    nvme_status(NVME_SCT_GENERIC, NVME_SC_TRAN_TPORT_ERROR, false));
		return;
	}
	bool write = nvme_cmd_is_write(&sqe);

	if (sqe.sgl_id == NVME_SGL_INCAPSULE) {
		if (!write || sqe.sgl_addr > pdu->data_len ||
		    sqe.sgl_len > pdu->data_len - sqe.sgl_addr) {
			send_status(
				q, sqe.cid,
				nvme_status(NVME_SCT_GENERIC, NVME_SC_SGL_INVALID_OFFSET, true));
			return;
		}
		queue_exec(q, &sqe, pdu->data ? pdu->data + sqe.sgl_addr : NULL, sqe.sgl_len);
		return;
	}
	if (sqe.sgl_len == 0 && !pdu->data_len) {
		/* No data: hosts differ in the descriptor they send for "none". */
		queue_exec(q, &sqe, NULL, 0);
		return;
	}
	if (sqe.sgl_id != NVME_SGL_TRANSPORT || pdu->data_len) {
		send_status(q, sqe.cid,
			    nvme_status(NVME_SCT_GENERIC, NVME_SC_SGL_INVALID_TYPE, true));
		return;
	}
	if (write && sqe.sgl_len) {
		/* A buffer only for a command that will run: before the Connect nothing else
		 * may make us hold memory. */
		uint16_t st = disc_ctrl_check_data(q->ctrl, &sqe, sqe.sgl_len);
		if (!st && sqe.sgl_len > QUEUE_MAX_WRITE)
			st = nvme_status(NVME_SCT_GENERIC, NVME_SC_SGL_INVALID_DATA, true);
		if (st)
			send_status(q, sqe.cid, st);
		else
			write_cmd_queue(q, &sqe);
		return;
	}
	queue_exec(q, &sqe, NULL, 0);
}

static void handle_h2c_data(struct queue *q, const struct nvmf_tcp_pdu *pdu)
{
	struct pending_write *w = TAILQ_FIRST(&q->writes);
	struct nvme_tcp_data_hdr d;

	nvme_tcp_data_hdr_decode(pdu->hdr, &d);
	if (!w || d.cccid != w->sqe.cid || d.ttag != q->next_ttag) {
		queue_fatal(q, NVME_TCP_FES_INVALID_PDU_HDR, w && d.cccid == w->sqe.cid ? 10 : 8,
			    pdu->hdr, pdu->hlen, "H2CData for no outstanding R2T");
		return;
	}
	if (d.datao != w->received || d.datal != pdu->data_len ||
	    d.datal > w->sqe.sgl_len - w->received) {
		queue_fatal(q, NVME_TCP_FES_DATA_OUT_OF_RANGE, 0, pdu->hdr, pdu->hlen,
			    "H2CData outside the requested range");
		return;
	}
	if (d.datal)
		memcpy(w->buf + w->received, pdu->data, d.datal);
	w->received += d.datal;
	w->bad_digest |= !pdu->ddgst_ok;
	if (w->received < w->sqe.sgl_len)
		return;

	TAILQ_REMOVE(&q->writes, w, link);
	if (w->bad_digest)
		send_status(q, w->sqe.cid,
			    nvme_status(NVME_SCT_GENERIC, NVME_SC_TRAN_TPORT_ERROR, false));
	else
		queue_exec(q, &w->sqe, w->buf, w->received);
	free(w->buf);
	free(w);
	r2t_send(q);
}

static void handle_icreq(struct queue *q, const struct nvmf_tcp_pdu *pdu)
{
	struct nvme_tcp_ic req, rsp = {0};
	uint8_t out[NVME_TCP_IC_LEN];

	nvme_tcp_ic_decode(pdu->hdr, &req);
	if (req.pfv != 0) {
		queue_fatal(q, NVME_TCP_FES_UNSUPPORTED_PARAM, 8, pdu->hdr, pdu->hlen,
			    "ICReq with an unknown PDU format version");
		return;
	}
	if (req.pda != 0) {
		/* Linux hosts ask for no alignment; padding C2HData is not implemented. */
		queue_fatal(q, NVME_TCP_FES_UNSUPPORTED_PARAM, 10, pdu->hdr, pdu->hlen,
			    "ICReq asks for HPDA alignment");
		return;
	}
	rsp.dgst = req.dgst & 3; /* the host insists on exactly what it asked for */
	rsp.maxr2t_or_maxh2cdata = QUEUE_MAXH2CDATA;
	nvme_tcp_ic_encode(NVME_TCP_ICRESP, &rsp, out);
	evbuffer_add(q->out, out, sizeof(out));
	q->lim.hdgst = rsp.dgst & 1;
	q->lim.ddgst = rsp.dgst & 2;
	/* The KDCONN flag's bit is not known for sure: any ICReq may be a DDC's Kickstart. */
	q->lim.kickstart = q->srv->kickstart != NULL;
	q->state = Q_READY;
	conn_state_update(q);
}

/* The numeric address of the peer, without its port or brackets. */
static void peer_address(const struct queue *q, char *out, size_t size)
{
	const char *port;

	if (addr_split_hostport(q->peer, out, size, &port) < 0) {
		size_t n = strnlen(q->peer, size - 1);

		memcpy(out, q->peer, n);
		out[n] = '\0';
	}
}

/* A DDC asks to be pulled from (TP8010 Kickstart): answer KDResp and close, as the DDC does
 * not use this connection for anything else; the pull is the registry's to report on. */
static void handle_kdreq(struct queue *q, const struct nvmf_tcp_pdu *pdu)
{
	uint8_t out[KDRESP_LEN];
	char addr[INET6_ADDRSTRLEN];
	struct kdreq req;
	int err;

	peer_address(q, addr, sizeof(addr));
	if (kdreq_decode(pdu->hdr, pdu->plen, addr, &req) < 0) {
		queue_fatal(q, NVME_TCP_FES_INVALID_PDU_HDR, 8, pdu->hdr, pdu->hlen,
			    "KDReq: NUMKR does not match its length");
		return;
	}
	err = q->srv->kickstart(q->srv->kickstart_arg, addr, &req);
	log_peer_ratelimited(&q->srv->rl_peers, q->peer, err ? LOG_WARNING : LOG_INFO,
			     "%s: Kickstart with %zu usable of %zu addresses, %u entries: %s",
			     q->peer, req.nrec, req.nrec + req.skipped, req.numdie,
			     err ? strerror(-err) : "pulling from it");
	kdresp_encode(err ? KDRESP_FAILURE : KDRESP_SUCCESS,
		      err == -ENOSPC ? KDRESP_RSN_RESOURCES
		      : err	     ? KDRESP_RSN_NOT_ACCEPT
				     : 0,
		      q->srv->cfg->nqn, out);
	evbuffer_add(q->out, out, sizeof(out));
	queue_close(q);
}

static void handle_pdu(struct queue *q, const struct nvmf_tcp_pdu *pdu)
{
	if (q->state == Q_WAIT_ICREQ && pdu->type != NVME_TCP_ICREQ) {
		queue_fatal(q, NVME_TCP_FES_PDU_SEQ_ERR, 0, pdu->hdr, pdu->hlen,
			    "first PDU is not an ICReq");
		return;
	}
	switch (pdu->type) {
	case NVME_TCP_ICREQ:
		if (q->state != Q_WAIT_ICREQ)
			queue_fatal(q, NVME_TCP_FES_PDU_SEQ_ERR, 0, pdu->hdr, pdu->hlen,
				    "second ICReq");
		else
			handle_icreq(q, pdu);
		break;
	case NVME_TCP_CMD:
		handle_cmd(q, pdu);
		break;
	case NVME_TCP_H2C_DATA:
		handle_h2c_data(q, pdu);
		break;
	case NVME_TCP_KDREQ:
		handle_kdreq(q, pdu);
		break;
	case NVME_TCP_H2C_TERM:
		log_peer_ratelimited(&q->srv->rl_peers, q->peer, LOG_WARNING,
				     "%s: host ended the connection with H2CTermReq (FES %u)",
				     q->peer, get_le16(pdu->hdr + 8));
		queue_close(q);
		break;
	}
}

/* Handles every whole PDU that has arrived, until the host must wait for us: output piled
 * up beyond QUEUE_OUTPUT_HIGH stops reading until write_cb has sent it. */
static void handle_input(struct queue *q)
{
	while (q->state != Q_CLOSING) {
		struct nvmf_tcp_pdu pdu;
		const uint8_t *bad;
		size_t badlen;
		uint16_t fes;
		uint32_t fei;
		int r = pdu_stream_next(q->in, &q->lim, &pdu, &fes, &fei, &bad, &badlen);

		if (r == 0)
			break;
		if (r < 0) {
			queue_fatal(q, fes, fei, bad, badlen, "malformed PDU");
			return;
		}
		handle_pdu(q, &pdu);
		if (q->state == Q_CLOSING)
			return;
		evbuffer_drain(q->in, pdu.plen);
		if (evbuffer_get_length(q->out) > QUEUE_OUTPUT_HIGH)
			queue_flush(q);
		if (evbuffer_get_length(q->out) > QUEUE_OUTPUT_HIGH) {
			reading_set(q, false); /* resumed by write_cb */
			return;
		}
	}
	queue_flush(q);
}

/* One readv straight into the input buffer. evbuffer_read would first ask the socket how
 * much is waiting (an ioctl per read, a third of the system calls of a log command). Returns
 * bytes read, 0 at end of stream, or a negative errno (-EAGAIN: nothing yet). */
static ssize_t fill_input(struct queue *q)
{
	struct evbuffer_iovec v[2];
	int n = evbuffer_reserve_space(q->in, QUEUE_READ_CHUNK, v, 2);

	if (n <= 0)
		return -ENOMEM;
	struct iovec iov[2];
	for (int i = 0; i < n; i++)
		iov[i] = (struct iovec){v[i].iov_base, v[i].iov_len};
	ssize_t got = readv(q->fd, iov, n);
	if (got < 0) {
		int err = errno;
		evbuffer_commit_space(q->in, v, 0);
		return err == EINTR || err == EWOULDBLOCK ? -EAGAIN : -err;
	}
	size_t left = (size_t)got;
	for (int i = 0; i < n; i++) {
		v[i].iov_len = left < v[i].iov_len ? left : v[i].iov_len;
		left -= v[i].iov_len;
	}
	evbuffer_commit_space(q->in, v, n);
	return got;
}

/* ---- TLS: the same PDUs, through the session instead of readv/writev ---- */

/* Sends what is queued, one record's worth at a time (a record holds at most 16 KiB; the first
 * chunk is made contiguous for it). Nothing goes out before the handshake is done: a C2HTermReq
 * for a host that never finished it has no channel to go by. */
static void tls_flush(struct queue *q)
{
	bool waiting = false;

	if (q->tls_state != QT_UP) {
		evbuffer_drain(q->out, evbuffer_get_length(q->out));
		return;
	}
	while (evbuffer_get_length(q->out)) {
		size_t n = evbuffer_get_length(q->out);
		if (n > TLS_RECORD_MAX)
			n = TLS_RECORD_MAX;
		const uint8_t *p = evbuffer_pullup(q->out, (ev_ssize_t)n);
		ssize_t w = p ? tls_conn_write(q->tls, p, n) : -ENOMEM;
		if (w == -EAGAIN) {
			waiting = true;
			break;
		}
		if (w < 0) {
			log_debug("%s: TLS write: %s", q->peer,
				  w == -ENOMEM ? strerror(ENOMEM) : tls_conn_error(q->tls));
			evbuffer_drain(q->out, evbuffer_get_length(q->out));
			q->state = Q_CLOSING;
			conn_state_update(q);
			reading_set(q, false);
			timer_arm(q, 0);
			break;
		}
		evbuffer_drain(q->out, (size_t)w);
	}
	event_want(q->wev, &q->writing, waiting || q->tls_read_blocked);
}

/* Application data into the input buffer, then the PDUs. A record is read whole by the
 * session; what of it did not fit is pending there, where no readiness of the socket would
 * announce it, so the loop takes it before returning to the event loop. */
static void tls_read_data(struct queue *q)
{
	for (;;) {
		struct evbuffer_iovec v;
		if (evbuffer_reserve_space(q->in, QUEUE_READ_CHUNK, &v, 1) < 1) {
			queue_free(q);
			return;
		}
		ssize_t got = tls_conn_read(q->tls, v.iov_base, v.iov_len);
		v.iov_len = got > 0 ? (size_t)got : 0;
		evbuffer_commit_space(q->in, &v, got > 0 ? 1 : 0);
		if (got == -EAGAIN)
			break;
		if (got == -ENOBUFS) {
			q->tls_read_blocked = true; /* write_cb reads on */
			event_want(q->wev, &q->writing, true);
			break;
		}
		if (got <= 0) {
			if (got < 0)
				log_debug("%s: TLS read: %s", q->peer, tls_conn_error(q->tls));
			queue_free(q);
			return;
		}
		if (!tls_conn_pending(q->tls))
			break;
	}
	handle_input(q);
}

static void tls_handshake_step(struct queue *q)
{
	int r = tls_conn_handshake(q->tls);

	if (r == -EAGAIN || r == TLS_WANT_WRITE) {
		event_want(q->wev, &q->writing, r == TLS_WANT_WRITE);
		return;
	}
	if (r < 0) {
		/* No C2HTermReq: without a session there is no channel the host would read. */
		log_peer_ratelimited(&q->srv->rl_peers, q->peer, LOG_WARNING,
				     "%s: TLS handshake failed: %s", q->peer,
				     tls_conn_error(q->tls));
		queue_free(q);
		return;
	}
	char desc[96];
	tls_conn_describe(q->tls, desc, sizeof(desc));
	log_debug("%s: TLS up (%s) for host %s", q->peer, desc, tls_conn_hostnqn(q->tls));
	q->tls_state = QT_UP;
	event_want(q->wev, &q->writing, false);
	tls_read_data(q); /* the ICReq may have come with the handshake's last flight */
}

static int tls_start(struct queue *q)
{
	q->tls = tls_conn_new(q->srv->tls, q->fd);
	if (!q->tls)
		return -ENOMEM;
	q->tls_state = QT_HANDSHAKE;
	return 0;
}

static void read_cb(evutil_socket_t fd, short what, void *arg);

static void tls_read_cb(struct queue *q)
{
	if (q->tls_state == QT_SNIFF) {
		uint8_t first;
		ssize_t n = recv(q->fd, &first, 1, MSG_PEEK);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			queue_free(q);
			return;
		}
		if (first != TLS_CONTENT_HSHAKE) {
			q->tls_state = QT_NONE; /* a plain host on a port that takes both */
			read_cb(q->fd, EV_READ, q);
			return;
		}
		if (tls_start(q) < 0) {
			queue_free(q);
			return;
		}
	}
	if (q->tls_state == QT_HANDSHAKE)
		tls_handshake_step(q);
	else
		tls_read_data(q);
}

static void read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct queue *q = arg;

	if (q->tls_state) {
		tls_read_cb(q);
		return;
	}
	ssize_t got = fill_input(q);

	(void)fd;
	(void)what;
	if (got == -EAGAIN)
		return;
	if (got <= 0) {
		if (got < 0)
			log_debug("%s: read: %s", q->peer, strerror((int)-got));
		queue_free(q);
		return;
	}
	handle_input(q);
}

static void write_cb(evutil_socket_t fd, short what, void *arg)
{
	struct queue *q = arg;

	(void)fd;
	(void)what;
	if (q->tls_state == QT_HANDSHAKE) {
		tls_handshake_step(q);
		return;
	}
	if (q->tls_read_blocked && q->state != Q_CLOSING) {
		q->tls_read_blocked = false;
		tls_read_data(q); /* flushes, and may free q */
		return;
	}
	queue_flush(q);
	if (q->state == Q_CLOSING) {
		if (!q->writing)
			queue_free(q);
		return;
	}
	if (!q->reading && evbuffer_get_length(q->out) <= QUEUE_OUTPUT_HIGH) {
		reading_set(q, true);
		handle_input(q);
	}
}

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct queue *q = arg;

	(void)fd;
	(void)what;
	if (q->state == Q_CLOSING) {
		queue_free(q);
		return;
	}
	if (q->state == Q_WAIT_ICREQ) {
		queue_fatal(q, NVME_TCP_FES_PDU_SEQ_ERR, 0, NULL, 0, "no ICReq in time");
		return;
	}
	if (q->ctrl && disc_ctrl_authenticating(q->ctrl))
		log_info("controller %u: host %s at %s did not authenticate in time, closing",
			 disc_ctrl_cntlid(q->ctrl), disc_ctrl_hostnqn(q->ctrl), q->peer);
	else if (q->ctrl && disc_ctrl_connected(q->ctrl))
		log_info("controller %u: host %s at %s: %s, closing", disc_ctrl_cntlid(q->ctrl),
			 disc_ctrl_hostnqn(q->ctrl), q->peer,
			 disc_ctrl_kato(q->ctrl) ? "keep-alive timeout" : "idle timeout");
	else
		log_peer_ratelimited(&q->srv->rl_peers, q->peer, LOG_INFO,
				     "%s: no Connect in time, closing", q->peer);
	queue_close(q);
}

static void peer_text(const struct sockaddr *sa, char *out, size_t size)
{
	char a[INET6_ADDRSTRLEN] = "?";

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s = (const void *)sa;
		inet_ntop(AF_INET, &s->sin_addr, a, sizeof(a));
		snprintf(out, size, "%s:%u", a, ntohs(s->sin_port));
	} else {
		const struct sockaddr_in6 *s = (const void *)sa;
		inet_ntop(AF_INET6, &s->sin6_addr, a, sizeof(a));
		snprintf(out, size, "[%s]:%u", a, ntohs(s->sin6_port));
	}
}

int queue_accept(struct cdc_server *srv, int fd, const struct sockaddr *peer, int peerlen)
{
	return queue_accept_tls(srv, fd, peer, peerlen, CDC_LISTEN_PLAIN);
}

int queue_accept_tls(struct cdc_server *srv, int fd, const struct sockaddr *peer, int peerlen,
		     uint8_t tls)
{
	const struct cdc_config *cfg = srv->cfg;
	struct sockaddr_storage local;
	socklen_t locallen = sizeof(local);
	char text[INET6_ADDRSTRLEN + 8];
	int one = 1;

	(void)peerlen;
	if (tls != CDC_LISTEN_PLAIN && !srv->tls) {
		close(fd);
		return -ENOKEY;
	}
	peer_text(peer, text, sizeof(text));
	if (cfg->max_connections && srv->nqueues >= cfg->max_connections) {
		log_peer_ratelimited(&srv->rl_peers, text, LOG_WARNING,
				     "%s: refused, %zu connections open (max-connections)", text,
				     srv->nqueues);
		srv->counters.refused++;
		close(fd);
		return -EBUSY;
	}
	struct source *src = source_get(srv, peer);
	if (!src) {
		close(fd);
		return -ENOMEM;
	}
	src->n++;
	if (cfg->max_connections_per_source && src->n > cfg->max_connections_per_source) {
		log_peer_ratelimited(&srv->rl_peers, text, LOG_WARNING,
				     "%s: refused, %u connections open from that address "
				     "(max-connections-per-source)",
				     text, src->n - 1);
		srv->counters.refused++;
		source_put(srv, src);
		close(fd);
		return -EBUSY;
	}
	if (getsockname(fd, (struct sockaddr *)&local, &locallen) < 0)
		locallen = 0;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));

	struct queue *q = calloc(1, sizeof(*q));
	if (!q) {
		source_put(srv, src);
		close(fd);
		return -ENOMEM;
	}
	q->srv = srv;
	q->src = src;
	snprintf(q->peer, sizeof(q->peer), "%s", text);
	TAILQ_INIT(&q->writes);
	q->lim = (struct nvmf_tcp_limits){
		.controller = true, .max_icd = QUEUE_MAX_ICD, .max_h2cdata = QUEUE_MAXH2CDATA};
	q->fd = fd;
	evutil_make_socket_nonblocking(fd);
	q->in = evbuffer_new();
	q->out = evbuffer_new();
	q->rev = event_new(srv->base, fd, EV_READ | EV_PERSIST, read_cb, q);
	q->wev = event_new(srv->base, fd, EV_WRITE | EV_PERSIST, write_cb, q);
	q->timer = evtimer_new(srv->base, timer_cb, q);
	q->ctrl = disc_ctrl_new(srv->svc, locallen ? (struct sockaddr *)&local : NULL, peer,
				&queue_ctrl_ops, q);
	if (tls == CDC_LISTEN_TLS_ALLOWED)
		q->tls_state = QT_SNIFF;
	else if (tls == CDC_LISTEN_TLS_REQUIRED && tls_start(q) < 0)
		q->tls_state = QT_HANDSHAKE; /* tls NULL: refused below */
	if (!q->in || !q->out || !q->rev || !q->wev || !q->timer || !q->ctrl ||
	    (q->tls_state == QT_HANDSHAKE && !q->tls)) {
		queue_discard(q);
		source_put(srv, src);
		return -ENOMEM;
	}
	TAILQ_INSERT_TAIL(&srv->queues, q, link);
	srv->nqueues++;
	q->counted_as = QUEUE_CONN_ICREQ;
	srv->conns[QUEUE_CONN_ICREQ]++;
	srv->counters.accepted++;
	reading_set(q, true); /* wev only while output waits: queue_flush */
	timer_arm(q, (uint64_t)cfg->icreq_timeout * 1000);
	log_debug("%s: connection accepted", q->peer);
	return 0;
}

void server_init(struct cdc_server *srv, struct event_base *base, struct disc_svc *svc,
		 const struct cdc_config *cfg)
{
	memset(srv, 0, sizeof(*srv));
	srv->base = base;
	srv->svc = svc;
	srv->cfg = cfg;
	ratelimit_peers_init(&srv->rl_peers, 5, 20);
	srv->rl_accept = (struct ratelimit)RATELIMIT_INIT(5, 20);
	TAILQ_INIT(&srv->queues);
	RB_INIT(&srv->sources);
}

void server_get_stats(const struct cdc_server *srv, struct server_stats *out)
{
	*out = (struct server_stats){.counters = &srv->counters};
	memcpy(out->conns, srv->conns, sizeof(out->conns));
}

static void accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen,
		      void *arg)
{
	struct cdc_server *srv = arg;
	uint8_t tls = CDC_LISTEN_PLAIN;

	for (size_t i = 0; i < srv->nlisteners; i++)
		if (srv->listeners[i] == l)
			tls = srv->listener_tls[i];
	queue_accept_tls(srv, fd, sa, salen, tls);
}

static void listener_resume_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	evconnlistener_enable(arg);
}

static void accept_error_cb(struct evconnlistener *l, void *arg)
{
	struct cdc_server *srv = arg;
	int err = EVUTIL_SOCKET_ERROR();

	/* Out of descriptors: pause accepting for a moment instead of spinning. */
	log_ratelimited(&srv->rl_accept, LOG_ERR, "accept: %s", evutil_socket_error_to_string(err));
	evconnlistener_disable(l);
	struct timeval tv = {1, 0};
	event_base_once(srv->base, -1, EV_TIMEOUT, listener_resume_cb, l, &tv);
}

static int listener_open(struct cdc_server *srv, const struct cdc_listen *ln,
			 struct evconnlistener **out)
{
	int one = 1;
	int fd = socket(ln->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* [::]:8009 and 0.0.0.0:8009 are two listeners, not one dual-stack socket. */
	if (ln->ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)&ln->ss, ln->sslen) < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	*out = evconnlistener_new(srv->base, accept_cb, srv,
				  LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 1024, fd);
	if (!*out) {
		int err = errno ? -errno : -ENOMEM;
		close(fd);
		return err;
	}
	evconnlistener_set_error_cb(*out, accept_error_cb);
	return 0;
}

static bool listen_wanted(const struct cdc_config *cfg, const char *text)
{
	for (size_t i = 0; i < cfg->nlisten; i++)
		if (!strcmp(cfg->listen[i].text, text))
			return true;
	return false;
}

static bool listen_open_already(const struct cdc_server *srv, const char *text)
{
	for (size_t i = 0; i < srv->nlisteners; i++)
		if (!strcmp(srv->listener_text[i], text))
			return true;
	return false;
}

int server_listen(struct cdc_server *srv, const struct cdc_config *cfg)
{
	int first_err = 0;

	for (size_t i = 0; i < srv->nlisteners;) {
		if (listen_wanted(cfg, srv->listener_text[i])) {
			i++;
			continue;
		}
		log_info("stopped listening on %s", srv->listener_text[i]);
		evconnlistener_free(srv->listeners[i]);
		srv->nlisteners--;
		srv->listeners[i] = srv->listeners[srv->nlisteners];
		srv->listener_tls[i] = srv->listener_tls[srv->nlisteners];
		memcpy(srv->listener_text[i], srv->listener_text[srv->nlisteners],
		       sizeof(srv->listener_text[i]));
	}
	for (size_t i = 0; i < cfg->nlisten; i++) {
		const struct cdc_listen *ln = &cfg->listen[i];
		if (listen_open_already(srv, ln->text))
			continue;
		int err = listener_open(srv, ln, &srv->listeners[srv->nlisteners]);
		if (err) {
			log_err("cannot listen on %s: %s", ln->text, strerror(-err));
			if (!first_err)
				first_err = err;
			continue;
		}
		snprintf(srv->listener_text[srv->nlisteners], sizeof(srv->listener_text[0]), "%s",
			 ln->text);
		srv->listener_tls[srv->nlisteners] = ln->tls;
		srv->nlisteners++;
		log_info("listening on %s", ln->text);
	}
	return first_err;
}

void server_shutdown(struct cdc_server *srv)
{
	struct queue *q;

	for (size_t i = 0; i < srv->nlisteners; i++)
		evconnlistener_free(srv->listeners[i]);
	srv->nlisteners = 0;
	while ((q = TAILQ_FIRST(&srv->queues)))
		queue_free(q);
}
