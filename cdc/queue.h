/* queue.h - one NVMe/TCP connection (one admin queue) on the libevent loop: reads PDUs,
 * moves in-capsule and R2T/H2CData data, hands commands to the discovery controller and
 * writes C2HData and responses. Enforces the transport limits and the keep-alive timer. */
#ifndef CDC_QUEUE_H
#define CDC_QUEUE_H

#include <event2/event.h>
#include <event2/listener.h>
#include <stddef.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include "config.h"
#include "disc_ctrl.h"
#include "kickstart.h"
#include "log.h"
#include "tree.h"

#define QUEUE_MAX_ICD	  8192	       /* in-capsule data accepted on the admin queue */
#define QUEUE_MAXH2CDATA  0x20000      /* bytes in one H2CData PDU */
#define QUEUE_MAX_WRITE	  (256u << 10) /* host-to-controller data of one command via R2T */
#define QUEUE_READ_CHUNK  16384	       /* bytes asked of one readv */
#define QUEUE_C2H_CHUNK	  0x20000      /* bytes in one C2HData PDU */
#define QUEUE_OUTPUT_HIGH (4u << 20)   /* stop reading while this much output is queued */

struct queue;
struct tls_server;

/* What the connections did, for the metrics: counters that only grow. */
#define QUEUE_NSTATUS 0x800 /* SCT and SC, bits 10:0 of a status (DNR and More left out) */
struct server_counters {
	uint64_t accepted; /* connections served */
	uint64_t refused;  /* refused by max-connections or max-connections-per-source */
	uint64_t status[QUEUE_NSTATUS]; /* completions sent, by status (status[0]: success) */
};

/* Where a connection is: waiting for its ICReq, waiting for its Connect, associated with a
 * discovery controller, or closing (flushing its last bytes). */
enum queue_conn_state {
	QUEUE_CONN_ICREQ,
	QUEUE_CONN_CONNECTING,
	QUEUE_CONN_LIVE,
	QUEUE_CONN_CLOSING,
	QUEUE_CONN_NSTATES
};

struct server_stats {
	const struct server_counters *counters;
	size_t conns[QUEUE_CONN_NSTATES]; /* open connections now, by state */
};

/* Everything the connections of one daemon share. */
struct cdc_server {
	struct event_base *base;
	struct disc_svc *svc;
	const struct cdc_config *cfg;	 /* timeouts and limits; replaced on reload */
	struct ratelimit_peers rl_peers; /* messages a remote peer can trigger */
	struct ratelimit rl_accept;
	TAILQ_HEAD(, queue) queues;
	size_t nqueues;
	RB_HEAD(source_tree, source) sources; /* connections per source address */
	struct evconnlistener *listeners[CDC_MAX_LISTEN];
	char listener_text[CDC_MAX_LISTEN][64];
	uint8_t listener_tls[CDC_MAX_LISTEN]; /* enum cdc_listen_tls */
	struct tls_server *tls;		      /* the hosts' PSKs; NULL: none configured */
	size_t nlisteners;
	struct server_counters counters;
	size_t conns[QUEUE_CONN_NSTATES]; /* open connections by state, kept as they move */
	/* A DDC's Kickstart request (its KDReq, peer its numeric address): 0 answers SUCCESS,
	 * -ENOSPC FAILURE with Insufficient Discovery Resources, another error FAILURE. NULL: a
	 * KDReq is not a PDU this server knows. */
	int (*kickstart)(void *arg, const char *peer, const struct kdreq *req);
	void *kickstart_arg;
};

void server_init(struct cdc_server *srv, struct event_base *base, struct disc_svc *svc,
		 const struct cdc_config *cfg);

/* Make the open listeners match cfg->listen: open the new ones, close the ones gone.
 * Returns 0, or the negative errno of the first address that could not be opened (the
 * others are still opened). */
int server_listen(struct cdc_server *srv, const struct cdc_config *cfg);

/* Close every listener and connection. */
void server_shutdown(struct cdc_server *srv);

/* The counters, and the connections by state now (a walk over them: for a scrape, not for
 * the data path). */
void server_get_stats(const struct cdc_server *srv, struct server_stats *out);

/* Start serving an accepted socket (the server takes the fd). */
int queue_accept(struct cdc_server *srv, int fd, const struct sockaddr *peer, int peerlen);

/* The same for a socket of a listener with TLS (enum cdc_listen_tls): TLS_REQUIRED starts with
 * the handshake, TLS_ALLOWED looks at the first byte. Needs srv->tls for either. */
int queue_accept_tls(struct cdc_server *srv, int fd, const struct sockaddr *peer, int peerlen,
		     uint8_t tls);

#endif
