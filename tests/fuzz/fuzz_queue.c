/* fuzz_queue.c - libFuzzer target for the daemon's real receive path: the input is the byte
 * stream a host sends on one connection. It goes through a socketpair into queue_accept() on
 * a server set up as cdcd sets it up (discovery service, fabric, registry on an SQLite store
 * in a temporary directory, a configuration with subsystems and a referral), so ICReq,
 * CapsuleCmd with in-capsule data, R2T/H2CData, TermReq, the discovery controller and DIM
 * through the registry all run exactly as in the daemon. The event loop runs without
 * blocking until nothing moves; the replies are drained and checked to be well-formed PDUs.
 * Every input starts from an empty store, so a crash reproduces from its input alone. */

#include <errno.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "disc_ctrl.h"
#include "fabric.h"
#include "fuzz_fabric.h"
#include "log.h"
#include "nvmf_tcp.h"
#include "queue.h"
#include "registry.h"
#include "store.h"

#define FUZZ_NQN    "nqn.2024-01.com.example:cdc:fuzz"
#define MAX_ROUNDS  4096 /* loop iterations per input: every wait is bounded */
#define IDLE_ROUNDS 3	 /* iterations without progress that count as idle */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct cdc_config cfg;
static char dir[64], db[128];
static struct event_base *base;

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_queue: %s\n", what);
	abort();
}

static void remove_store(void)
{
	static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
	char path[160];

	for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", db, suffix[i]);
		unlink(path);
	}
}

static void cleanup_at_exit(void)
{
	remove_store();
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");

	(void)argc;
	(void)argv;
	/* FUZZ_QUEUE_DEBUG=1 shows what the daemon did with an input (to check a seed). */
	log_open(true, getenv("FUZZ_QUEUE_DEBUG") ? CDC_LOG_DEBUG : CDC_LOG_ERR);
	config_defaults(&cfg);
	snprintf(cfg.nqn, sizeof(cfg.nqn), "%s", FUZZ_NQN);
	cfg.max_registrations_per_entity = 16;
	cfg.max_registrations = 64;
	cfg.max_implicit_hosts = 16;
	if (addr_parse_listen("192.0.2.1:8009", &cfg.listen[0]))
		fail("cannot parse the listener");
	cfg.nlisten = 1;
	if (fuzz_fabric(&cfg))
		fail("cannot build the fabric");

	snprintf(dir, sizeof(dir), "%s/fuzz_queue.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		fail("cannot create the state directory");
	snprintf(db, sizeof(db), "%s/cdcd.db", dir);
	atexit(cleanup_at_exit);
	base = event_base_new();
	if (!base)
		fail("no event base");
	return 0;
}

/* The daemon around one connection, as cdcd.c's daemon_start() builds it. */
struct daemon {
	struct store *store;
	struct fabric fabric;
	struct disc_svc svc;
	struct registry *reg;
	struct cdc_server srv;
};

/* Where the daemon hands a KDReq to pull registration: every usable record must be a numeric
 * address and port; NUMDIE's parity picks the answer, so that both KDResp forms are sent. */
static int kickstart(void *arg, const char *peer, const struct kdreq *req)
{
	(void)arg;
	if (!peer[0])
		fail("a Kickstart without the requester's address");
	for (size_t i = 0; i < req->nrec; i++)
		if (!req->rec[i].port.traddr[0] || !req->rec[i].port.trsvcid[0])
			fail("a Kickstart record without address or port");
	return req->numdie % 2 ? -ENOSPC : 0;
}

static void daemon_up(struct daemon *d)
{
	struct registry_limits lim = {cfg.max_registrations_per_entity, cfg.max_registrations,
				      cfg.max_implicit_hosts, cfg.implicit_host_expiry,
				      cfg.zoning_lock_timeout};

	remove_store();
	if (store_open(db, &d->store))
		fail("cannot open the store");
	fabric_init(&d->fabric);
	disc_svc_init(&d->svc, cfg.nqn, &d->fabric, cfg.listen, cfg.nlisten);
	d->reg = registry_new(base, d->store, &d->fabric, &d->svc, &lim);
	if (!d->reg)
		fail("no registry");
	d->svc.reg_ops = &registry_ctrl_ops;
	d->svc.reg = d->reg;
	d->svc.dim_max_entries = cfg.max_registrations_per_entity;
	if (registry_load(d->reg))
		fail("cannot load the store");
	registry_config_changed(d->reg, &cfg);
	server_init(&d->srv, base, &d->svc, &cfg);
	d->srv.kickstart = kickstart;
}

static void daemon_down(struct daemon *d)
{
	server_shutdown(&d->srv);
	registry_free(d->reg);
	store_close(d->store);
	fabric_free(&d->fabric);
	/* Whatever the loop still holds (a registry flush) is done with the registry. */
	event_base_loop(base, EVLOOP_NONBLOCK);
}

/* The replies are PDUs a host can parse: a controller never sends malformed ones. */
struct replies {
	uint8_t buf[QUEUE_C2H_CHUNK + 64]; /* the largest PDU cdcd sends */
	size_t len;
	bool hdgst, ddgst, icresp_seen, closed;
};

static void check_replies(struct replies *r)
{
	for (;;) {
		if (r->len < NVME_TCP_CH_LEN)
			return;
		uint32_t plen = get_le32(r->buf + 4);
		uint8_t type = r->buf[0];
		if (plen < NVME_TCP_CH_LEN || plen > sizeof(r->buf))
			fail("reply with an impossible PLEN");
		if (r->len < plen)
			return;
		if (type == NVME_TCP_ICRESP) {
			if (r->icresp_seen || plen != NVME_TCP_IC_LEN)
				fail("a second or malformed ICResp");
			r->icresp_seen = true;
			r->hdgst = r->buf[11] & 1;
			r->ddgst = r->buf[11] & 2;
		} else if (type == NVME_TCP_KDRESP) {
			uint8_t ksstat, failrsn;
			char nqn[CDC_NQN_MAX + 1];

			if (!r->icresp_seen ||
			    kdresp_decode(r->buf, plen, &ksstat, &failrsn, nqn) < 0 ||
			    strcmp(nqn, cfg.nqn))
				fail("a KDResp out of place, malformed, or without our NQN");
		} else {
			struct nvmf_tcp_limits lim = {.hdgst = r->hdgst,
						      .ddgst = r->ddgst,
						      .max_c2hdata = QUEUE_C2H_CHUNK};
			struct nvmf_tcp_pdu pdu;
			uint16_t fes;
			uint32_t fei;
			if (type != NVME_TCP_C2H_TERM &&
			    (nvmf_tcp_pdu_check(r->buf, plen, &lim, &fes, &fei) != (ssize_t)plen ||
			     nvmf_tcp_pdu_parse(r->buf, plen, &lim, &pdu, &fes, &fei) ||
			     !pdu.ddgst_ok))
				fail("the controller sent a PDU its host refuses");
		}
		memmove(r->buf, r->buf + plen, r->len - plen);
		r->len -= plen;
	}
}

/* Reads what the controller sent; true if anything came. */
static bool drain(int fd, struct replies *r)
{
	bool any = false;

	for (;;) {
		if (r->len == sizeof(r->buf))
			fail("a reply PDU larger than any cdcd sends");
		ssize_t n = read(fd, r->buf + r->len, sizeof(r->buf) - r->len);
		if (n == 0)
			r->closed = true;
		if (n <= 0)
			return any;
		r->len += (size_t)n;
		any = true;
		check_replies(r);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct daemon d; /* the controller ID map is large */
	static struct replies r;
	struct sockaddr_in peer = {.sin_family = AF_INET, .sin_port = htons(40000)};
	int sv[2];
	size_t sent = 0;

	peer.sin_addr.s_addr = htonl(0xc00002c8); /* 192.0.2.200 */
	memset(&r, 0, sizeof(r));
	daemon_up(&d);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv))
		fail("no socketpair");
	if (queue_accept(&d.srv, sv[0], (struct sockaddr *)&peer, sizeof(peer)))
		fail("queue_accept failed");

	/* Feed the input as fast as the queue takes it; stop once nothing moves. */
	for (int round = 0, idle = 0; round < MAX_ROUNDS && idle < IDLE_ROUNDS; round++) {
		bool progress = false;
		if (sent < size && !r.closed) {
			ssize_t n = send(sv[1], data + sent, size - sent, MSG_NOSIGNAL);
			if (n > 0) {
				sent += (size_t)n;
				progress = true;
			}
		}
		event_base_loop(base, EVLOOP_NONBLOCK);
		progress |= drain(sv[1], &r);
		idle = progress ? 0 : idle + 1;
	}
	/* The host goes away: the queue sees EOF and frees itself; the rest is shut down. */
	close(sv[1]);
	for (int i = 0; i < IDLE_ROUNDS; i++)
		event_base_loop(base, EVLOOP_NONBLOCK);
	daemon_down(&d);
	return 0;
}
