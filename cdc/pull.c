/* pull.c - one connection per DDC on nvmf_host, and its state machine: connect (HOSTNQN =
 * this CDC, CATTR.CONNENT until the DDC refuses it, KATO), enable the discovery log change
 * AEN, keep an AER outstanding, read log 70h and hand it to reg_pull; on loss, NCC at once,
 * reconnect with backoff and jitter, withdraw after a while. DDCs are indexed by their
 * owner name, which is made of their address; one DDC may be asked for by the configuration,
 * the administrator and mDNS at once, and goes when the last of them lets it go. */
#include "pull.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <nvme/types.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ddc_request.h"
#include "disc_log.h"
#include "fabric.h"
#include "log.h"
#include "nvmf_host.h"
#include "reg_pull.h"
#include "registry.h"
#include "tree.h"
#include "view.h"

#define BACKOFF_MIN_MS	250
#define FID_ASYNC_EVENT 0x0b
#define AEN_CFG_DLPCN	(1u << 31) /* Discovery Log Page Change notices (protocol.md 7.7) */
#define SDLP_MAX	(1u << 20) /* the largest log sent to a DDC in one SDLP */

enum ddc_state { DDC_CONNECTING, DDC_UP, DDC_DOWN };

struct ddc {
	RB_ENTRY(ddc) link;
	struct pull *p;
	struct cdc_referral addr;
	char owner[CDC_NQN_MAX + 1];
	char peer[CDC_TRADDR_MAX + CDC_TRSVCID_MAX + 4];
	bool config, admin, mdns, kickstart, mark;
	unsigned int scope; /* an IPv6 link-local address's interface (mDNS) */
	bool no_connent;    /* the DDC refused a Connect with CONNENT: leave it out */
	bool no_pmddc;	    /* the DDC refused AEC bit 28 (its requests): ask for changes only */
	/* The log the DDC asked to be sent whenever it changes (SDLP's LPUR), 0 for none. */
	uint8_t lpur_lid, lpur_lsp;
	uint8_t lsp;	      /* log 70h's LSP: ALLSUBE where the DDC supports it */
	uint64_t lpur_genctr; /* the GENCTR of what was last sent */
	bool sending, resend; /* an SDLP is in flight; the log changed meanwhile */
	bool sent_log;	      /* the SDLP in flight carries the log (not a refusal) */
	LIST_ENTRY(ddc) lpur_link;
	uint64_t sdlps; /* logs sent to it since the daemon started */
	enum ddc_state state;
	struct nvmf_host *h;
	struct nvmf_host *dead; /* freed from the next timer, not inside its own callbacks */
	struct event *retry, *withdraw;
	unsigned int backoff_ms;
	bool reading, reread, withdrawn, warned;
	uint64_t pulls;
	size_t entries, skipped, skipped_logged;
};

static int ddc_cmp(const struct ddc *a, const struct ddc *b)
{
	return strcmp(a->owner, b->owner);
}

RB_HEAD(ddc_tree, ddc);
RB_GENERATE_STATIC(ddc_tree, ddc, link, ddc_cmp)

struct pull {
	struct event_base *base;
	struct registry *reg;
	char hostnqn[CDC_NQN_MAX + 1];
	struct pull_opts o;
	struct ddc_tree ddcs;
	size_t nkickstart; /* DDCs with kickstart set */
	struct fabric *fabric;
	uint64_t kickstarts, kickstarts_refused;
	LIST_HEAD(, ddc) lpur; /* DDCs with lpur_lid set: those told of every change */
	uint64_t rand;	       /* xorshift state for the jitter */
	struct ratelimit rl;
};

void pull_owner_name(const struct cdc_port *port, char *buf, size_t size)
{
	bool v6 = port->adrfam == NVMF_ADDR_FAMILY_IP6;

	/* TRADDR is a numeric address here (addr_parse_port()), far below the limit. */
	if (snprintf(buf, size, "ddc:%s%s%s:%s", v6 ? "[" : "", port->traddr, v6 ? "]" : "",
		     port->trsvcid) >= (int)size)
		buf[size - 1] = '\0';
}

static unsigned int jitter(struct pull *p, unsigned int ms)
{
	p->rand ^= p->rand << 13;
	p->rand ^= p->rand >> 7;
	p->rand ^= p->rand << 17;
	return ms / 2 + (unsigned int)(p->rand % (ms / 2 + 1));
}

static void timer_in(struct event *ev, unsigned int ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

	evtimer_add(ev, &tv);
}

/* Whether anybody still asks for it: the configuration, the administrator, mDNS or the DDC's
 * own Kickstart. */
static bool ddc_wanted(const struct ddc *d)
{
	return d->config || d->admin || d->mdns || d->kickstart;
}

static void ddc_free(struct ddc *d);

/* ---- losing and retrying ---- */

static void retry_later(struct ddc *d)
{
	struct pull *p = d->p;
	unsigned int max = p->o.reconnect_max_ms;

	d->backoff_ms = d->backoff_ms ? d->backoff_ms * 2 : BACKOFF_MIN_MS;
	if (d->backoff_ms > max)
		d->backoff_ms = max;
	timer_in(d->retry, jitter(p, d->backoff_ms));
	if (!d->withdrawn && !evtimer_pending(d->withdraw, NULL))
		timer_in(d->withdraw, p->o.withdraw_after_ms);
}

static void lpur_stop(struct ddc *d)
{
	if (d->lpur_lid)
		LIST_REMOVE(d, lpur_link);
	d->lpur_lid = 0;
	d->sending = d->resend = false;
}

/* The host's connection is over: it is freed later, outside its callbacks. */
static void host_retire(struct ddc *d)
{
	lpur_stop(d);
	if (!d->h)
		return;
	nvmf_host_free(d->dead);
	d->dead = d->h;
	d->h = NULL;
	d->reading = d->reread = false;
	d->state = DDC_DOWN;
}

static void on_close(struct nvmf_host *h, int err, void *arg)
{
	struct ddc *d = arg;

	(void)h;
	log_warn("pull: lost DDC %s (%s): %s; its entries carry NCC", d->peer, d->addr.nqn,
		 strerror(-err));
	host_retire(d);
	if (reg_pull_gone(d->p->reg, d) < 0)
		log_err("pull: %s: %s", d->peer, strerror(ENOMEM));
	retry_later(d);
}

static void withdraw_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ddc *d = arg;

	(void)fd;
	(void)what;
	if (d->state == DDC_UP)
		return;
	if (d->pulls || d->entries)
		log_warn("pull: DDC %s unreachable for %u s: withdrawing its entries", d->peer,
			 d->p->o.withdraw_after_ms / 1000);
	else
		log_info("pull: DDC %s still unreachable after %u s", d->peer,
			 d->p->o.withdraw_after_ms / 1000);
	d->withdrawn = true;
	if (reg_pull_withdraw(d->p->reg, d->owner, d->peer) < 0)
		log_err("pull: %s: %s", d->peer, strerror(ENOMEM));
	/* Kickstarted only (or left from before a restart): the DDC kickstarts again when it is
	 * back, and until then it costs nothing here. */
	if (!d->config && !d->admin && !d->mdns) {
		log_info("pull: forgetting DDC %s", d->peer);
		ddc_free(d);
	}
}

/* ---- reading ---- */

static void committed(void *arg, const char *owner, int err, size_t nrecs, size_t skipped)
{
	struct pull *p = arg;
	struct ddc key, *d;

	snprintf(key.owner, sizeof(key.owner), "%s", owner);
	d = RB_FIND(ddc_tree, &p->ddcs, &key);
	if (err) {
		log_ratelimited(&p->rl, LOG_WARNING, "pull: %s: log not applied: %s", owner,
				strerror(-err));
		return;
	}
	log_ratelimited(&p->rl, LOG_INFO, "pull: %s: %zu entries", owner, nrecs);
	if (!d)
		return;
	d->entries = nrecs;
	d->skipped = skipped;
	/* Once per change of the count, not at every pull. */
	if (skipped && skipped != d->skipped_logged)
		log_warn("pull: %s: %zu entries skipped: their subsystems are the configuration's, "
			 "the administrator's or another registrant's",
			 owner, skipped);
	d->skipped_logged = skipped;
}

static void start_read(struct ddc *d);

static void log_cb(struct nvmf_host *h, int err, uint16_t status, const uint8_t *log, size_t len,
		   void *arg)
{
	struct ddc *d = arg;

	d->reading = false;
	if (!nvmf_host_ready(h))
		return; /* the connection is gone; on_close says so */
	if (err || status) {
		log_ratelimited(&d->p->rl, LOG_WARNING,
				"pull: %s: log 70h not read: %s (status %#x)", d->peer,
				err ? strerror(-err) : "NVMe error", status);
	} else {
		d->pulls++;
		err = reg_pull_replace(d->p->reg, d->owner, d->peer, d, log, len, d->p->hostnqn,
				       committed, d->p);
		if (err)
			log_ratelimited(&d->p->rl, LOG_WARNING, "pull: %s: log refused: %s",
					d->peer, strerror(-err));
	}
	if (d->reread) {
		d->reread = false;
		start_read(d);
	}
}

/* A change that arrives during a read is read again after it. */
static void start_read(struct ddc *d)
{
	if (d->reading) {
		d->reread = true;
		return;
	}
	if (nvmf_host_disc_log_lsp(d->h, d->lsp, log_cb, d) == 0)
		d->reading = true;
}

/* ---- what a pull-model DDC asks for (log 73h, SDLP) ---- */

/* Log lid as the DDC would read it from this CDC, whole, in a new buffer: the DDC is known by
 * the NQN it was reached at and by its address, for zoning. -ENOENT for a log not sent this
 * way, -E2BIG past SDLP_MAX, -ENOMEM. */
static int log_for_ddc(struct pull *p, const struct ddc *d, uint8_t lid, uint8_t **out, size_t *len,
		       uint64_t *genctr)
{
	struct view *hostlog = NULL;
	const struct view *v;
	int err = 0;

	if (lid == DISC_LID_HOST_DISCOVERY) {
		if (fabric_hostlog_refresh(p->fabric) < 0)
			return -ENOMEM;
		v = hostlog = fabric_hostlog_view_for(p->fabric, d->addr.nqn);
	} else if (lid == NVME_LOG_LID_DISCOVER) {
		/* No self entries: the DDC reached this CDC through no listener of ours. */
		v = fabric_host_view(p->fabric, d->addr.nqn, &d->addr.port);
	} else {
		return -ENOENT;
	}
	if (!v)
		return -ENOMEM;
	*len = DISC_LOG_HDR_LEN + v->len;
	if (*len > SDLP_MAX)
		err = -E2BIG;
	else if (!(*out = malloc(*len)))
		err = -ENOMEM;
	if (err) {
		if (hostlog)
			view_unref(hostlog);
		return err;
	}
	if (lid == DISC_LID_HOST_DISCOVERY) {
		disc_hostlog_read(v->genctr, NULL, v->len, v->nentries, 0, *out, DISC_LOG_HDR_LEN);
	} else {
		struct disc_log_view h = {.genctr = v->genctr, .nbody = v->nentries};
		disc_log_read(&h, 0, *out, DISC_LOG_HDR_LEN);
	}
	view_copy(v, 0, *out + DISC_LOG_HDR_LEN, v->len);
	*genctr = v->genctr;
	if (hostlog)
		view_unref(hostlog);
	return 0;
}

static void send_log(struct ddc *d, uint8_t lid, uint8_t lsp, bool changed_only);

static void sdlp_cb(struct nvmf_host *h, int err, const struct nvme_cqe *cqe, const uint8_t *data,
		    uint32_t len, void *arg)
{
	struct ddc *d = arg;

	(void)h;
	(void)data;
	(void)len;
	if (err || d->state != DDC_UP)
		return; /* host_retire() stopped the updates */
	d->sending = false;
	if (cqe->status) {
		log_ratelimited(&d->p->rl, LOG_WARNING,
				"pull: %s: Send Discovery Log Page refused (status %#x)", d->peer,
				cqe->status);
		lpur_stop(d);
		return;
	}
	d->sdlps++;
	/* Updates of a log not sent are refusals again: LPUR holds only for a log sent. */
	if (!(cqe->dw0 & SDLP_LPUR) || !d->sent_log) {
		lpur_stop(d);
		return;
	}
	if (d->resend) {
		d->resend = false;
		send_log(d, d->lpur_lid, d->lpur_lsp, false);
	}
}

/* SDLP of log lid to the DDC: the log, or why not (RLPS); with changed_only, nothing if its
 * GENCTR is the one last sent. Until the DDC says otherwise (LPUR clear in the completion),
 * the log is sent again whenever it changes. */
static void send_log(struct ddc *d, uint8_t lid, uint8_t lsp, bool changed_only)
{
	struct nvme_sqe sqe;
	uint8_t *buf = NULL;
	size_t len = 0;
	uint64_t genctr = 0;
	int err = log_for_ddc(d->p, d, lid, &buf, &len, &genctr);

	if (err == -ENOENT || err == -E2BIG)
		sdlp_sqe(&sqe, lid, lsp, err == -ENOENT ? SDLP_UNSUPPORTED : SDLP_FAILED,
			 nvme_status(NVME_SCT_GENERIC, NVME_SC_DATA_XFER_ERROR, false), 0);
	else if (err)
		return;
	else if (changed_only && genctr == d->lpur_genctr) {
		free(buf);
		return;
	} else
		sdlp_sqe(&sqe, lid, lsp, SDLP_VALID, 0, (uint32_t)len);
	if (!d->lpur_lid)
		LIST_INSERT_HEAD(&d->p->lpur, d, lpur_link);
	d->lpur_lid = lid;
	d->lpur_lsp = lsp;
	d->lpur_genctr = genctr;
	d->sent_log = !err;
	d->sending = nvmf_host_submit(d->h, &sqe, buf, (uint32_t)len, 0, sdlp_cb, d) == 0;
	if (!d->sending)
		lpur_stop(d);
	free(buf); /* nvmf_host keeps its own copy of what waits for an R2T */
}

static void request_cb(struct nvmf_host *h, int err, const struct nvme_cqe *cqe,
		       const uint8_t *data, uint32_t len, void *arg)
{
	struct ddc *d = arg;
	struct ddc_req req;

	(void)h;
	if (err || d->state != DDC_UP)
		return;
	if (cqe->status || ddc_req_decode(data, len, &req) < 0) {
		log_ratelimited(&d->p->rl, LOG_WARNING,
				"pull: %s: Pull Model DDC Request log not read (status %#x)",
				d->peer, cqe->status);
		return;
	}
	if (req.ori == DDC_REQ_LOG) {
		log_info("pull: %s asks for log %02xh", d->peer, req.lid);
		if (!d->sending) {
			send_log(d, req.lid, req.lsp, false);
			return;
		}
		/* One SDLP at a time: the newest request goes once the one in flight is done. */
		d->lpur_lid = req.lid;
		d->lpur_lsp = req.lsp;
		d->resend = true;
	} else {
		log_ratelimited(&d->p->rl, LOG_WARNING,
				"pull: %s: ZoneGroup request %u for '%s' of %s not served: the "
				"pull model of zoning is not supported (a DDC pushes with FZL/FZS)",
				d->peer, req.ori, req.zgname, req.zgorig);
	}
}

/* Read with RAE clear, so that the DDC may raise its next request. */
static void read_request(struct ddc *d)
{
	nvmf_host_get_log(d->h, DDC_REQ_LID, 0, false, 0, DDC_REQ_READ, request_cb, d);
}

/* After every commit: the DDCs that asked for a log that may have changed get it again. */
static void observe(void *arg, int logs)
{
	struct pull *p = arg;
	struct ddc *d, *next;

	/* send_log() may take d off the list. */
	for (d = LIST_FIRST(&p->lpur); d; d = next) {
		next = LIST_NEXT(d, lpur_link);
		int log = d->lpur_lid == DISC_LID_HOST_DISCOVERY ? FABRIC_LOG71 : FABRIC_LOG70;

		if (!(logs & log))
			continue;
		if (d->sending)
			d->resend = true;
		else
			send_log(d, d->lpur_lid, d->lpur_lsp, true);
	}
}

static void aer_cb(struct nvmf_host *h, int err, const struct nvme_cqe *cqe, const uint8_t *data,
		   uint32_t len, void *arg)
{
	struct ddc *d = arg;

	(void)data;
	(void)len;
	if (err || d->state != DDC_UP)
		return;
	if (cqe->status) {
		/* AER Limit Exceeded or not supported: changes come with the next reconnect. */
		log_ratelimited(&d->p->rl, LOG_INFO, "pull: %s: AER refused (status %#x)", d->peer,
				cqe->status);
		return;
	}
	if ((cqe->dw0 & 0xffff07) == 0x70f002)
		start_read(d);
	else if ((cqe->dw0 & 0xffff07) == (DDC_REQ_AEN & 0xffff07))
		read_request(d);
	nvmf_host_aer(h, aer_cb, d);
}

/* ---- connecting ---- */

/* What the DDC supports of log 70h (log 00h): ALLSUBE asks for every NVM subsystem entry, not
 * only those this CDC's NQN may access, which the CDC then filters by its own rules. PLEO is
 * not asked for: the CDC wants every port of a subsystem (multipath), and one DDC's log is
 * replaced as a whole, so port-local logs read through several addresses would split a
 * subsystem between owners. A DDC without log 00h is read without LSP. */
static void supported_cb(struct nvmf_host *h, int err, const struct nvme_cqe *cqe,
			 const uint8_t *data, uint32_t len, void *arg)
{
	struct ddc *d = arg;

	(void)h;
	if (err || d->state != DDC_UP)
		return;
	d->lsp = 0;
	if (!cqe->status && len >= 4 * (NVME_LOG_LID_DISCOVER + 1) &&
	    get_le32(data + 4 * NVME_LOG_LID_DISCOVER) & (uint32_t)NVMF_LOG_DISC_LID_ALLSUBES << 16)
		d->lsp = NVMF_LOG_DISC_LSP_ALLSUBE;
	start_read(d);
}

/* A DDC that does not raise Pull Model DDC Requests (nvmet, or a CDC) refuses AEC bit 28:
 * the change notices alone are asked for again, and from then on. */
static void aec_cb(struct nvmf_host *h, int err, const struct nvme_cqe *cqe, const uint8_t *data,
		   uint32_t len, void *arg)
{
	struct ddc *d = arg;

	(void)data;
	(void)len;
	if (err || !cqe->status || d->no_pmddc)
		return;
	d->no_pmddc = true;
	nvmf_host_set_features(h, FID_ASYNC_EVENT, AEN_CFG_DLPCN, NULL, NULL);
}

static void connected(struct nvmf_host *h, int err, const struct nvme_cqe *cqe, const uint8_t *data,
		      uint32_t len, void *arg)
{
	struct ddc *d = arg;

	(void)data;
	(void)len;
	if (err || cqe->status) {
		if (!err && !d->no_connent) {
			d->no_connent = true; /* a target that refuses CATTR.CONNENT */
			d->backoff_ms = 0;
		}
		if (!d->warned)
			log_warn("pull: cannot connect to DDC %s (%s): %s", d->peer, d->addr.nqn,
				 err ? strerror(-err) : "Connect refused");
		d->warned = true;
		host_retire(d);
		retry_later(d);
		return;
	}
	log_info("pull: connected to DDC %s (%s)", d->peer, d->addr.nqn);
	d->state = DDC_UP;
	d->backoff_ms = 0;
	d->warned = d->withdrawn = false;
	evtimer_del(d->withdraw);
	nvmf_host_on_close(h, on_close, d);
	nvmf_host_set_features(h, FID_ASYNC_EVENT, AEN_CFG_DLPCN | (d->no_pmddc ? 0 : DDC_REQ_AEC),
			       aec_cb, d);
	nvmf_host_aer(h, aer_cb, d);
	if (nvmf_host_get_log(h, NVME_LOG_LID_SUPPORTED_LOG_PAGES, 0, true, 0,
			      DISC_SUPPORTED_LOGS_LEN, supported_cb, d) < 0)
		start_read(d);
}

static int resolve(const struct ddc *d, struct sockaddr_storage *ss, socklen_t *len)
{
	const struct cdc_port *port = &d->addr.port;
	struct addrinfo hints = {.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV,
				 .ai_socktype = SOCK_STREAM},
			*ai;

	if (getaddrinfo(port->traddr, port->trsvcid, &hints, &ai))
		return -EINVAL;
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*len = ai->ai_addrlen;
	freeaddrinfo(ai);
	if (ss->ss_family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		if (IN6_IS_ADDR_LINKLOCAL(&s6->sin6_addr))
			s6->sin6_scope_id = d->scope;
	}
	return 0;
}

static void ddc_connect(struct ddc *d)
{
	struct pull *p = d->p;
	struct nvmf_host_opts opts = {.hostnqn = p->hostnqn,
				      .subnqn = d->addr.nqn,
				      .kato_ms = p->o.kato_ms,
				      .timeout_ms = p->o.kato_ms,
				      .cattr = d->no_connent ? 0 : NVMF_HOST_CATTR_CONNENT};
	struct sockaddr_storage ss;
	socklen_t sl;

	nvmf_host_free(d->dead);
	d->dead = NULL;
	d->state = DDC_CONNECTING;
	int err = resolve(d, &ss, &sl);
	if (!err) {
		d->h = nvmf_host_new(p->base, &opts);
		err = d->h ? nvmf_host_connect(d->h, (struct sockaddr *)&ss, sl, connected, d)
			   : -ENOMEM;
	}
	if (err) {
		if (!d->warned)
			log_warn("pull: cannot connect to DDC %s: %s", d->peer, strerror(-err));
		d->warned = true;
		host_retire(d);
		retry_later(d);
	}
}

static void retry_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	ddc_connect(arg);
}

/* ---- the set of DDCs ---- */

static struct ddc *ddc_find(const struct pull *p, const struct cdc_port *port)
{
	struct ddc key;

	pull_owner_name(port, key.owner, sizeof(key.owner));
	return RB_FIND(ddc_tree, (struct ddc_tree *)&p->ddcs, &key);
}

/* Connects from the loop, so that asking never calls back, unless a connection or an attempt
 * is under way already. */
static void ddc_claim(struct ddc *d)
{
	if (!d->h && !evtimer_pending(d->retry, NULL))
		timer_in(d->retry, 0);
}

static struct ddc *ddc_new(struct pull *p, const struct cdc_referral *addr)
{
	struct ddc *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->p = p;
	d->addr = *addr;
	pull_owner_name(&addr->port, d->owner, sizeof(d->owner));
	snprintf(d->peer, sizeof(d->peer), "%s", d->owner + 4);
	d->retry = evtimer_new(p->base, retry_cb, d);
	d->withdraw = evtimer_new(p->base, withdraw_cb, d);
	if (!d->retry || !d->withdraw) {
		if (d->retry)
			event_free(d->retry);
		if (d->withdraw)
			event_free(d->withdraw);
		free(d);
		return NULL;
	}
	d->state = DDC_DOWN;
	RB_INSERT(ddc_tree, &p->ddcs, d);
	return d;
}

static void ddc_free(struct ddc *d)
{
	lpur_stop(d);
	d->p->nkickstart -= d->kickstart;
	RB_REMOVE(ddc_tree, &d->p->ddcs, d);
	nvmf_host_free(d->h);
	nvmf_host_free(d->dead);
	event_free(d->retry);
	event_free(d->withdraw);
	free(d);
}

/* Nobody asks for it any more: its entries go at once. */
static void ddc_remove(struct ddc *d)
{
	struct registry *r = d->p->reg;

	log_info("pull: DDC %s removed", d->peer);
	if (reg_pull_gone(r, d) < 0 || reg_pull_withdraw(r, d->owner, d->peer) < 0)
		log_err("pull: %s: %s", d->peer, strerror(ENOMEM));
	ddc_free(d);
}

int pull_config(struct pull *p, const struct cdc_referral *ddcs, size_t n)
{
	struct ddc *d, *next;

	RB_FOREACH(d, ddc_tree, &p->ddcs)
	d->mark = false;
	for (size_t i = 0; i < n; i++) {
		d = ddc_find(p, &ddcs[i].port);
		if (!d && !(d = ddc_new(p, &ddcs[i])))
			return -ENOMEM;
		d->config = d->mark = true;
		ddc_claim(d);
	}
	RB_FOREACH_SAFE(d, ddc_tree, &p->ddcs, next)
	{
		if (d->mark || !d->config)
			continue;
		d->config = false;
		if (!ddc_wanted(d))
			ddc_remove(d);
	}
	return 0;
}

int pull_ddc_add(struct pull *p, const struct cdc_referral *ddc)
{
	struct ddc *d = ddc_find(p, &ddc->port);

	if (d && d->admin)
		return -EEXIST;
	if (!d && !(d = ddc_new(p, ddc)))
		return -ENOMEM;
	d->admin = true;
	ddc_claim(d);
	return 0;
}

int pull_ddc_del(struct pull *p, const struct cdc_port *port)
{
	struct ddc *d = ddc_find(p, port);

	if (!d)
		return -ENOENT;
	if (!d->admin && !d->kickstart && ddc_wanted(d))
		return d->config ? -EPERM : -EBUSY;
	/* A Kickstart is the DDC's request, not a promise: the administrator may refuse it. */
	p->nkickstart -= d->kickstart;
	d->admin = d->kickstart = false;
	if (!ddc_wanted(d))
		ddc_remove(d);
	return 0;
}

int pull_ddc_announced(struct pull *p, const struct cdc_referral *ddc, int ifindex, bool up)
{
	struct ddc *d = ddc_find(p, &ddc->port);

	if (!up) {
		if (d && d->mdns) {
			d->mdns = false;
			if (!ddc_wanted(d))
				ddc_remove(d);
		}
		return 0;
	}
	if (!d && !(d = ddc_new(p, ddc)))
		return -ENOMEM;
	if (!ddc_wanted(d))
		log_info("pull: DDC %s (%s) announced with mDNS: pulling from it", d->peer,
			 d->addr.nqn);
	d->mdns = true;
	if (ifindex > 0)
		d->scope = (unsigned int)ifindex;
	ddc_claim(d);
	return 0;
}

/* A Kickstart means the DDC's log changed, or that it wants to be known: read it now. */
static void ddc_kickstarted(struct ddc *d)
{
	if (d->state == DDC_UP) {
		start_read(d);
	} else if (!d->h) {
		evtimer_del(d->retry);
		d->backoff_ms = 0;
		timer_in(d->retry, 0);
	}
}

int pull_kickstart(struct pull *p, const struct cdc_port *ports, size_t n, unsigned int numdie)
{
	size_t needed = 0;

	if (!p->o.max_kickstart || !n || numdie > p->o.max_entries) {
		p->kickstarts_refused++;
		return !p->o.max_kickstart ? -EPERM : !n ? -EINVAL : -ENOSPC;
	}
	for (size_t i = 0; i < n; i++) {
		const struct ddc *d = ddc_find(p, &ports[i]);

		needed += !d || !d->kickstart;
	}
	if (p->nkickstart + needed > p->o.max_kickstart) {
		p->kickstarts_refused++;
		return -ENOSPC;
	}
	p->kickstarts++;
	for (size_t i = 0; i < n; i++) {
		struct cdc_referral ddc = {.port = ports[i]};
		struct ddc *d = ddc_find(p, &ports[i]);

		snprintf(ddc.nqn, sizeof(ddc.nqn), "%s", NVME_DISC_SUBSYS_NAME);
		if (!d && !(d = ddc_new(p, &ddc)))
			return -ENOMEM;
		if (!d->kickstart) {
			d->kickstart = true;
			p->nkickstart++;
		}
		ddc_kickstarted(d);
	}
	return 0;
}

static const char *state_name(const struct ddc *d)
{
	if (d->state == DDC_UP)
		return "connected";
	if (!ddc_wanted(d))
		return "unlisted";
	if (d->withdrawn)
		return "withdrawn";
	return d->state == DDC_CONNECTING && !d->warned ? "connecting" : "unreachable";
}

void pull_foreach(const struct pull *p, void (*fn)(void *arg, const struct pull_ddc_info *i),
		  void *arg)
{
	struct ddc *d;

	RB_FOREACH(d, ddc_tree, (struct ddc_tree *)&p->ddcs)
	{
		struct pull_ddc_info i = {&d->addr,   d->owner,	  state_name(d), d->config,
					  d->admin,   d->mdns,	  d->kickstart,	 d->pulls,
					  d->entries, d->skipped, d->sdlps};
		fn(arg, &i);
	}
}

/* "ddc:ADDR:PORT" or "ddc:[ADDR]:PORT" back into a port; -EINVAL for any other name. */
static int owner_port(const char *owner, struct cdc_port *port)
{
	const char *svc;

	memset(port, 0, sizeof(*port));
	if (strncmp(owner, "ddc:", 4) ||
	    addr_split_hostport(owner + 4, port->traddr, sizeof(port->traddr), &svc) < 0 ||
	    addr_trsvcid_canon(svc, port->trsvcid, sizeof(port->trsvcid)) < 0)
		return -EINVAL;
	port->trtype = NVMF_TRTYPE_TCP;
	return addr_traddr_canon(&port->adrfam, port->traddr, sizeof(port->traddr));
}

int pull_adopt(struct pull *p, const struct fabric *f)
{
	size_t n = 0;

	for (const struct entity *e = fabric_entity_next(f, NULL); e;
	     e = fabric_entity_next(f, e)) {
		struct cdc_referral ddc = {0};
		struct ddc *d;

		if ((e->source != REG_PULL && e->source != REG_KICKSTART) ||
		    owner_port(e->nqn, &ddc.port) < 0 || ddc_find(p, &ddc.port))
			continue;
		snprintf(ddc.nqn, sizeof(ddc.nqn), "%s", NVME_DISC_SUBSYS_NAME);
		if (!(d = ddc_new(p, &ddc)))
			return -ENOMEM;
		timer_in(d->withdraw, p->o.withdraw_after_ms);
		n++;
	}
	if (n)
		log_info("pull: %zu DDCs pulled from before the restart are not listed any more: "
			 "their entries go in %u s unless they are asked for again",
			 n, p->o.withdraw_after_ms / 1000);
	return 0;
}

void pull_get_stats(const struct pull *p, struct pull_stats *out)
{
	struct ddc *d;

	*out = (struct pull_stats){.kickstarts = p->kickstarts,
				   .kickstarts_refused = p->kickstarts_refused};
	RB_FOREACH(d, ddc_tree, (struct ddc_tree *)&p->ddcs)
	{
		const char *s = state_name(d);

		out->connected += !strcmp(s, "connected");
		out->connecting += !strcmp(s, "connecting");
		out->unreachable += !strcmp(s, "unreachable");
		out->withdrawn += !strcmp(s, "withdrawn");
		out->unlisted += !strcmp(s, "unlisted");
		out->pulls += d->pulls;
		out->logs_sent += d->sdlps;
	}
}

void pull_set_opts(struct pull *p, const struct pull_opts *o)
{
	snprintf(p->hostnqn, sizeof(p->hostnqn), "%s", o->hostnqn);
	p->o = *o;
	p->o.hostnqn = p->hostnqn;
	if (p->o.reconnect_max_ms < BACKOFF_MIN_MS)
		p->o.reconnect_max_ms = BACKOFF_MIN_MS;
}

struct pull *pull_new(struct event_base *base, struct registry *r, struct fabric *f,
		      const struct pull_opts *o)
{
	struct pull *p = calloc(1, sizeof(*p));
	struct timespec ts;

	if (!p)
		return NULL;
	p->base = base;
	p->reg = r;
	p->fabric = f;
	RB_INIT(&p->ddcs);
	LIST_INIT(&p->lpur);
	registry_set_observer(r, observe, p);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	p->rand = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)getpid() ^ 0x9e3779b97f4a7c15ull;
	p->rl = (struct ratelimit)RATELIMIT_INIT(5, 10);
	pull_set_opts(p, o);
	return p;
}

void pull_free(struct pull *p)
{
	struct ddc *d;

	if (!p)
		return;
	while ((d = RB_MIN(ddc_tree, &p->ddcs)))
		ddc_free(d);
	free(p);
}
