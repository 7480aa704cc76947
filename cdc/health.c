/* health.c - probing the registered paths on the loop: a timing wheel of due ports, probes
 * (a non-blocking connect, optionally ICReq/ICResp) under a concurrency limit, and the
 * verdicts handed to the registry as changes. */
#include "health.h"

#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fabric.h"
#include "log.h"
#include "nvmf_tcp.h"
#include "reg_health.h"
#include "registry.h"
#include "tree.h"

/* The down mark is runtime state and is not stored: it says what a probe saw a moment ago,
 * not what anyone registered. After a restart every path is served again until it fails
 * the threshold anew (a few intervals), which errs towards showing a path rather than
 * hiding a live one on the word of an old measurement; and a flapping target costs no
 * store write beyond its journal line. */

/* ---- the pure part ---- */

bool health_observe(struct health_track *t, bool ok, unsigned int threshold)
{
	enum health_state before = t->state;

	if (ok) {
		t->fails = 0;
		t->state = HEALTH_UP;
	} else {
		if (t->fails < UINT_MAX)
			t->fails++;
		if (t->fails >= (threshold ? threshold : 1))
			t->state = HEALTH_DOWN;
	}
	return t->state != before;
}

static uint64_t jitter(uint64_t ms, uint32_t rnd)
{
	uint64_t span = ms * HEALTH_JITTER_PCT / 100;

	return ms - span + rnd % (2 * span + 1);
}

uint64_t health_delay_ms(const struct health_opts *o, const struct health_track *t, uint32_t rnd)
{
	uint64_t ms = o->interval_ms;
	unsigned int past =
		t->state == HEALTH_DOWN && t->fails > o->failures ? t->fails - o->failures : 0;

	for (unsigned int m = 1; past-- && m < HEALTH_BACKOFF_MAX; m *= 2)
		ms *= 2;
	return jitter(ms, rnd);
}

uint64_t health_first_delay_ms(const struct health_opts *o, uint32_t rnd)
{
	return o->interval_ms ? rnd % o->interval_ms : 0;
}

const char *health_state_name(enum health_state s)
{
	return s == HEALTH_UP ? "up" : s == HEALTH_DOWN ? "down" : "unknown";
}

/* ---- ports ---- */

/* The schedule is a timer queue: a hashed timing wheel of HEALTH_WHEEL_SLOTS slots of
 * HEALTH_TICK_MS (one revolution ~100 s; a port due later waits whole revolutions, rounds,
 * in its slot), whose tick takes only its slot's ports: nothing walks every port. Ports due
 * in one tick are probed together, so the loop wakes once per batch rather than once per
 * port: on loopback the wake-up cost more than the probe (docs/performance.md). Due ports
 * over the concurrency limit wait in a FIFO. */
#define HEALTH_TICK_MS	   100
#define HEALTH_WHEEL_SLOTS 1024

enum hport_where { ON_NOTHING, ON_WHEEL, ON_WAITING };

struct hport {
	RB_ENTRY(hport) link;
	TAILQ_ENTRY(hport) q; /* in a slot of the wheel, or in h->waiting (where says) */
	enum hport_where where;
	unsigned int slot, rounds;
	struct health *h;
	struct cdc_port addr; /* the key: trtype, adrfam, traddr, trsvcid */
	struct sockaddr_storage sa;
	socklen_t salen;    /* 0: not a numeric address, never probed */
	struct event *ev;   /* the connect's write event, then the ICResp's read event */
	evutil_socket_t fd; /* -1 unless a probe is in flight */
	bool plain;	    /* no TLS asked for: an ICReq may be sent in the clear */
	uint8_t *icresp;    /* what arrived of the ICResp, while waiting for it */
	size_t icresp_len;
	struct timespec started;
	bool marking; /* a change to mark it is with the registry */
	struct health_track t;
	int64_t last_probe;
};

/* An address whose path appeared or went while the registry staged. */
struct touched {
	RB_ENTRY(touched) link;
	struct cdc_port addr;
};

static int hport_cmp(const struct hport *a, const struct hport *b)
{
	return fabric_path_cmp(&a->addr, &b->addr);
}

static int touched_cmp(const struct touched *a, const struct touched *b)
{
	return fabric_path_cmp(&a->addr, &b->addr);
}

RB_HEAD(hport_tree, hport);
RB_GENERATE_STATIC(hport_tree, hport, link, hport_cmp)
RB_HEAD(touched_tree, touched);
RB_GENERATE_STATIC(touched_tree, touched, link, touched_cmp)

struct health {
	struct event_base *base;
	struct registry *reg;
	struct fabric *f;
	struct health_opts o;
	struct hport_tree ports;
	size_t nports;
	TAILQ_HEAD(hport_list, hport) waiting;
	struct hport_list wheel[HEALTH_WHEEL_SLOTS];
	uint64_t tick;
	struct event *tick_ev;
	unsigned int inflight;
	struct touched_tree touched;
	struct event *sync_ev; /* looks at the touched addresses after the batch */
	uint64_t rng;
	uint64_t probes, failures;
	struct ratelimit rl, flips_rl;
};

/* xorshift64*: jitter needs spread, not secrecy. */
static uint32_t rnd(struct health *h)
{
	h->rng ^= h->rng >> 12;
	h->rng ^= h->rng << 25;
	h->rng ^= h->rng >> 27;
	return (uint32_t)((h->rng * 2685821657736338717ull) >> 32);
}

static struct hport *port_find(const struct health *h, const struct cdc_port *addr)
{
	struct hport key = {.addr = fabric_path_key(addr)};

	return RB_FIND(hport_tree, (struct hport_tree *)&h->ports, &key);
}

/* Due after ms, rounded up to whole ticks (at least one). */
static void schedule(struct hport *p, uint64_t ms)
{
	struct health *h = p->h;
	uint64_t ticks = (ms + HEALTH_TICK_MS - 1) / HEALTH_TICK_MS;

	if (!ticks)
		ticks = 1;
	p->slot = (unsigned int)((h->tick + ticks) % HEALTH_WHEEL_SLOTS);
	p->rounds = (unsigned int)((ticks - 1) / HEALTH_WHEEL_SLOTS);
	TAILQ_INSERT_TAIL(&h->wheel[p->slot], p, q);
	p->where = ON_WHEEL;
}

static void unqueue(struct health *h, struct hport *p)
{
	if (p->where == ON_WHEEL)
		TAILQ_REMOVE(&h->wheel[p->slot], p, q);
	else if (p->where == ON_WAITING)
		TAILQ_REMOVE(&h->waiting, p, q);
	p->where = ON_NOTHING;
}

/* The registry took the mark: if the verdict moved on meanwhile, the next mark follows. */
static void sync_mark(struct hport *p);

static void mark_done(void *arg, const struct cdc_port *addr, bool down, int err)
{
	struct health *h = arg;
	struct hport *p = port_find(h, addr);

	/* -ECANCELED: the daemon stops, and the mark with it. */
	if (err && err != -ECANCELED)
		log_ratelimited(&h->rl, LOG_ERR, "health: cannot mark %s:%s %s: %s", addr->traddr,
				addr->trsvcid, down ? "down" : "up", strerror(-err));
	if (!p)
		return;
	/* Targets decide how often they flap: the log does not follow all of it. */
	if (!err)
		log_ratelimited(&h->flips_rl, LOG_INFO, "health: path %s:%s %s", addr->traddr,
				addr->trsvcid,
				down ? "down: its entries are withheld"
				     : "up: its entries are served");
	p->marking = false;
	if (!err)
		sync_mark(p);
}

static void sync_mark(struct hport *p)
{
	struct health *h = p->h;
	bool down = p->t.state == HEALTH_DOWN;

	if (p->marking || down == fabric_path_down(h->f, &p->addr))
		return;
	if (reg_health_mark(h->reg, &p->addr, down, down ? "path down" : "path up", mark_done, h))
		log_ratelimited(&h->rl, LOG_ERR, "health: %s:%s: %s", p->addr.traddr,
				p->addr.trsvcid, strerror(ENOMEM));
	else
		p->marking = true;
}

static void probe_done(struct hport *p, bool ok)
{
	struct health *h = p->h;

	h->probes++;
	h->failures += !ok;
	p->last_probe = time(NULL);
	if (health_observe(&p->t, ok, h->o.failures))
		log_debug("health: %s:%s is %s", p->addr.traddr, p->addr.trsvcid,
			  health_state_name(p->t.state));
	sync_mark(p);
	schedule(p, health_delay_ms(&h->o, &p->t, rnd(h)));
}

static void probe_start(struct hport *p);

/* Probes that waited for a free place take the ones that became free. */
static void start_waiting(struct health *h)
{
	struct hport *p;

	while (h->inflight < h->o.concurrency && (p = TAILQ_FIRST(&h->waiting))) {
		unqueue(h, p);
		probe_start(p);
	}
}

static void probe_finish(struct hport *p, bool ok)
{
	struct health *h = p->h;

	close(p->fd);
	p->fd = -1;
	free(p->icresp);
	p->icresp = NULL;
	h->inflight--;
	probe_done(p, ok);
	start_waiting(h);
}

/* What is left of the probe's timeout, or false when nothing is. */
static bool time_left(const struct hport *p, struct timeval *tv)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	int64_t ms = (int64_t)p->h->o.timeout_ms - (now.tv_sec - p->started.tv_sec) * 1000 -
		     (now.tv_nsec - p->started.tv_nsec) / 1000000;
	if (ms <= 0)
		return false;
	*tv = (struct timeval){(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};
	return true;
}

/* An ICResp is a 128-byte PDU of type 01h (protocol.md 1): a listener that is not an
 * NVMe/TCP target, or a target that hangs, does not send it. */
static void icresp_cb(evutil_socket_t fd, short what, void *arg)
{
	struct hport *p = arg;
	struct timeval tv;

	if (!(what & EV_READ)) {
		probe_finish(p, false);
		return;
	}
	ssize_t n = recv(fd, p->icresp + p->icresp_len, NVME_TCP_IC_LEN - p->icresp_len, 0);
	if (n > 0)
		p->icresp_len += (size_t)n;
	if (p->icresp_len == NVME_TCP_IC_LEN) {
		probe_finish(p, p->icresp[0] == NVME_TCP_ICRESP &&
					p->icresp[2] == NVME_TCP_IC_LEN &&
					get_le32(p->icresp + 4) == NVME_TCP_IC_LEN);
		return;
	}
	bool more = n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR));
	if (more && time_left(p, &tv))
		event_add(p->ev, &tv);
	else
		probe_finish(p, false);
}

static void icreq_send(struct hport *p)
{
	uint8_t ic[NVME_TCP_IC_LEN];
	struct nvme_tcp_ic req = {0};
	struct timeval tv;

	nvme_tcp_ic_encode(NVME_TCP_ICREQ, &req, ic);
	/* 128 bytes into a fresh socket's empty send buffer: all or an error. */
	if (send(p->fd, ic, sizeof(ic), MSG_NOSIGNAL) != (ssize_t)sizeof(ic) ||
	    !(p->icresp = malloc(NVME_TCP_IC_LEN)) || !time_left(p, &tv)) {
		probe_finish(p, false);
		return;
	}
	p->icresp_len = 0;
	event_assign(p->ev, p->h->base, p->fd, EV_READ, icresp_cb, p);
	event_add(p->ev, &tv);
}

static void connect_cb(evutil_socket_t fd, short what, void *arg)
{
	struct hport *p = arg;
	int soerr = ETIMEDOUT;
	socklen_t len = sizeof(soerr);

	if ((what & EV_WRITE) && getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len))
		soerr = errno;
	if (!soerr && p->h->o.icreq && p->plain)
		icreq_send(p);
	else
		probe_finish(p, !soerr);
}

/* A probe is a connect, and with health-icreq an ICReq answered by an ICResp (a port
 * that asks for TLS gets the connect only). Closed with a reset (SO_LINGER 0), so
 * thousands of probes leave no TIME_WAIT behind to use up this host's ephemeral ports. */
static void probe_start(struct hport *p)
{
	struct health *h = p->h;
	struct linger lg = {1, 0};
	int fd = socket(p->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);

	if (fd < 0) {
		/* Our shortage (descriptors), not the port's failure: try again later. */
		log_ratelimited(&h->rl, LOG_WARNING, "health: no socket to probe %s:%s: %s",
				p->addr.traddr, p->addr.trsvcid, strerror(errno));
		schedule(p, health_delay_ms(&h->o, &p->t, rnd(h)));
		return;
	}
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	int rc = connect(fd, (struct sockaddr *)&p->sa, p->salen);
	if (rc && errno != EINPROGRESS) {
		close(fd);
		probe_done(p, false);
		return;
	}
	struct timeval tv = {(time_t)(h->o.timeout_ms / 1000),
			     (suseconds_t)(h->o.timeout_ms % 1000) * 1000};
	p->fd = fd;
	h->inflight++;
	clock_gettime(CLOCK_MONOTONIC, &p->started);
	if (!rc) {
		connect_cb(fd, EV_WRITE, p); /* connected at once: the same as told so */
		return;
	}
	event_assign(p->ev, h->base, fd, EV_WRITE, connect_cb, p);
	event_add(p->ev, &tv);
}

static void due(struct health *h, struct hport *p)
{
	if (h->inflight >= h->o.concurrency) {
		TAILQ_INSERT_TAIL(&h->waiting, p, q);
		p->where = ON_WAITING;
		return;
	}
	probe_start(p);
}

/* The slot is taken off the wheel first: a port rescheduled while it is worked on (a
 * probe that failed at once) may land in this very slot, for a later revolution. */
static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct health *h = arg;
	struct hport_list now = TAILQ_HEAD_INITIALIZER(now);
	struct hport *p;

	(void)fd;
	(void)what;
	h->tick++;
	TAILQ_CONCAT(&now, &h->wheel[h->tick % HEALTH_WHEEL_SLOTS], q);
	while ((p = TAILQ_FIRST(&now))) {
		TAILQ_REMOVE(&now, p, q);
		if (p->rounds) {
			p->rounds--;
			TAILQ_INSERT_TAIL(&h->wheel[p->slot], p, q);
			continue;
		}
		p->where = ON_NOTHING;
		due(h, p);
	}
}

/* TRADDR is numeric (addr.c canonicalises it), so this never asks a resolver. */
static void port_resolve(struct hport *p)
{
	struct addrinfo hints = {.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV,
				 .ai_family = p->addr.adrfam == NVMF_ADDR_FAMILY_IP6 ? AF_INET6
										     : AF_INET,
				 .ai_socktype = SOCK_STREAM};
	struct addrinfo *ai = NULL;

	if (getaddrinfo(p->addr.traddr, p->addr.trsvcid, &hints, &ai) || !ai ||
	    ai->ai_addrlen > sizeof(p->sa)) {
		log_ratelimited(&p->h->rl, LOG_WARNING,
				"health: %s:%s is not a numeric address and port; not probed",
				p->addr.traddr, p->addr.trsvcid);
	} else {
		memcpy(&p->sa, ai->ai_addr, ai->ai_addrlen);
		p->salen = ai->ai_addrlen;
	}
	if (ai)
		freeaddrinfo(ai);
}

/* r: a record of the path, whose security settings say whether an ICReq may go in the
 * clear (one address is one port: its records agree on them). */
static int port_add(struct health *h, const struct log_rec *r)
{
	const struct cdc_port *addr = &r->port;
	struct hport *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->h = h;
	p->addr = fabric_path_key(addr);
	p->plain = addr->sectype == NVMF_TCP_SECTYPE_NONE && (addr->treq & 3) != NVMF_TREQ_REQUIRED;
	p->fd = -1;
	p->ev = event_new(h->base, -1, 0, connect_cb, p);
	if (!p->ev) {
		free(p);
		return -ENOMEM;
	}
	/* Marked down before (health switched off and on, or re-registered): it stays down
	 * until it answers, its backoff going on from the threshold. */
	if (fabric_path_down(h->f, addr))
		p->t = (struct health_track){HEALTH_DOWN, h->o.failures};
	RB_INSERT(hport_tree, &h->ports, p);
	h->nports++;
	port_resolve(p);
	if (p->salen)
		schedule(p, health_first_delay_ms(&h->o, rnd(h)));
	return 0;
}

static void port_del(struct health *h, struct hport *p)
{
	if (p->fd >= 0) {
		close(p->fd);
		h->inflight--;
	}
	free(p->icresp);
	unqueue(h, p);
	event_free(p->ev);
	RB_REMOVE(hport_tree, &h->ports, p);
	h->nports--;
	free(p);
}

/* ---- following the fabric's paths ---- */

static void path_cb(void *arg, const struct cdc_port *addr)
{
	struct health *h = arg;
	struct touched key = {.addr = fabric_path_key(addr)}, *t;

	if (RB_FIND(touched_tree, &h->touched, &key))
		return;
	if (!(t = malloc(sizeof(*t)))) {
		log_ratelimited(&h->rl, LOG_ERR, "health: %s:%s not followed: %s", addr->traddr,
				addr->trsvcid, strerror(ENOMEM));
		return;
	}
	*t = key;
	RB_INSERT(touched_tree, &h->touched, t);
	event_active(h->sync_ev, EV_TIMEOUT, 0);
}

/* what: the journal's word for it. */
static void unmark(struct health *h, const struct cdc_port *addr, const char *what)
{
	if (reg_health_mark(h->reg, addr, false, what, mark_done, h))
		log_ratelimited(&h->rl, LOG_ERR, "health: cannot serve %s:%s again: %s",
				addr->traddr, addr->trsvcid, strerror(ENOMEM));
}

/* A path that appeared and went in one batch (a DDC's log replaced) is no change at all:
 * what counts is whether it is there once the batch is done. A path gone while marked down
 * leaves no mark behind. */
static void sync_cb(evutil_socket_t fd, short what, void *arg)
{
	struct health *h = arg;
	struct touched *t;

	(void)fd;
	(void)what;
	while ((t = RB_MIN(touched_tree, &h->touched))) {
		RB_REMOVE(touched_tree, &h->touched, t);
		struct hport *p = port_find(h, &t->addr);
		const struct log_rec *r = fabric_path_find(h->f, &t->addr);
		bool present = r != NULL;
		if (present && !p && port_add(h, r))
			log_ratelimited(&h->rl, LOG_ERR, "health: %s:%s not probed: %s",
					t->addr.traddr, t->addr.trsvcid, strerror(ENOMEM));
		bool marking = p && p->marking;
		if (!present && p)
			port_del(h, p);
		if (!present && (marking || fabric_path_down(h->f, &t->addr)))
			unmark(h, &t->addr, "path forgotten");
		free(t);
	}
	start_waiting(h);
}

static void touched_clear(struct health *h)
{
	struct touched *t;

	while ((t = RB_MIN(touched_tree, &h->touched))) {
		RB_REMOVE(touched_tree, &h->touched, t);
		free(t);
	}
}

static void ports_clear(struct health *h)
{
	struct hport *p;

	while ((p = RB_MIN(hport_tree, &h->ports)))
		port_del(h, p);
	touched_clear(h);
}

static void enable(struct health *h)
{
	struct timeval tick = {0, HEALTH_TICK_MS * 1000};

	event_add(h->tick_ev, &tick);
	fabric_path_watch(h->f, path_cb, h);
	for (const struct log_rec *r = fabric_path_next(h->f, NULL); r;
	     r = fabric_path_next(h->f, r))
		if (port_add(h, r)) {
			log_err("health: %s", strerror(ENOMEM));
			break;
		}
	log_info("health: probing %zu paths every %u s", h->nports, h->o.interval_ms / 1000);
}

/* Switched off: every path is served again, marks in flight included. */
static void disable(struct health *h)
{
	struct hport *p;
	const struct cdc_port *d;

	fabric_path_watch(h->f, NULL, NULL);
	RB_FOREACH(p, hport_tree, &h->ports)
	{
		if (p->marking && !fabric_path_down(h->f, &p->addr))
			unmark(h, &p->addr, "path unprobed");
	}
	for (d = fabric_down_next(h->f, NULL); d; d = fabric_down_next(h->f, d))
		unmark(h, d, "path unprobed");
	ports_clear(h);
	event_del(h->tick_ev);
	log_info("health: probing off");
}

/* ---- life cycle ---- */

struct health *health_new(struct event_base *base, struct registry *r, struct fabric *f,
			  const struct health_opts *o)
{
	struct health *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->base = base;
	h->reg = r;
	h->f = f;
	RB_INIT(&h->ports);
	RB_INIT(&h->touched);
	TAILQ_INIT(&h->waiting);
	for (size_t i = 0; i < HEALTH_WHEEL_SLOTS; i++)
		TAILQ_INIT(&h->wheel[i]);
	h->rl = (struct ratelimit)RATELIMIT_INIT(5, 10);
	h->flips_rl = (struct ratelimit)RATELIMIT_INIT(10, 50);
	h->rng = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^ (uintptr_t)h;
	if (!h->rng)
		h->rng = 1;
	h->sync_ev = event_new(base, -1, 0, sync_cb, h);
	h->tick_ev = event_new(base, -1, EV_PERSIST, tick_cb, h);
	if (!h->sync_ev || !h->tick_ev) {
		if (h->sync_ev)
			event_free(h->sync_ev);
		if (h->tick_ev)
			event_free(h->tick_ev);
		free(h);
		return NULL;
	}
	health_set_opts(h, o);
	return h;
}

void health_set_opts(struct health *h, const struct health_opts *o)
{
	bool was = h->o.enable;

	h->o = *o;
	if (!h->o.concurrency)
		h->o.concurrency = 1;
	if (o->enable && !was)
		enable(h);
	else if (!o->enable && was)
		disable(h);
	else
		start_waiting(h);
}

/* After the registry: nothing is submitted any more, the marks die with the daemon. */
void health_free(struct health *h)
{
	if (!h)
		return;
	fabric_path_watch(h->f, NULL, NULL);
	ports_clear(h);
	event_free(h->sync_ev);
	event_free(h->tick_ev);
	free(h);
}

bool health_port_info(const struct health *h, const struct cdc_port *addr, struct health_info *out)
{
	const struct hport *p = h ? port_find(h, addr) : NULL;

	if (!p)
		return false;
	*out = (struct health_info){p->t.state, p->last_probe, p->t.fails};
	return true;
}

void health_get_stats(const struct health *h, struct health_stats *out)
{
	*out = (struct health_stats){h->probes, h->failures, h->nports, h->f->ndown};
}
