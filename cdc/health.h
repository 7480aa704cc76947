/* health.h - path health: every registered subsystem port (a path, fabric.h) is probed on
 * the loop; one that fails a number of probes in a row is marked down through the registry
 * (withheld from log 70h, AEN) and up when it answers. Verdicts and schedule are pure. */
#ifndef CDC_HEALTH_H
#define CDC_HEALTH_H

#include <event2/event.h>
#include <stdbool.h>
#include <stdint.h>

#include "addr.h"

struct fabric;
struct registry;
struct health;

struct health_opts {
	bool enable;
	unsigned int interval_ms; /* between two probes of a port that answers */
	unsigned int timeout_ms;  /* a connect that takes longer failed */
	unsigned int failures;	  /* probes failed in a row that mark a port down */
	unsigned int concurrency; /* probes in flight at once */
	bool icreq;		  /* after the connect, an ICReq must get its ICResp */
};

enum health_state { HEALTH_UNKNOWN, HEALTH_UP, HEALTH_DOWN };

/* ---- the pure part: one port's verdict and its next probe ---- */

struct health_track {
	enum health_state state;
	unsigned int fails; /* failed in a row */
};

/* Counts one probe's outcome: a success is up at once, failures are down at the threshold
 * (before it the state stays what it was). Returns whether the state changed. */
bool health_observe(struct health_track *t, bool ok, unsigned int threshold);

/* Milliseconds until the port's next probe, rnd a uniform random number: the interval,
 * doubled for each failure past the threshold up to HEALTH_BACKOFF_MAX times (a dead port
 * costs less, a returning one is seen within that), with +-HEALTH_JITTER_PCT % of jitter
 * so that ports registered together are not probed together. */
#define HEALTH_BACKOFF_MAX 8
#define HEALTH_JITTER_PCT  20
uint64_t health_delay_ms(const struct health_opts *o, const struct health_track *t, uint32_t rnd);
/* The first probe of a new port: anywhere in one interval, spreading a whole registration
 * over it. */
uint64_t health_first_delay_ms(const struct health_opts *o, uint32_t rnd);

const char *health_state_name(enum health_state s);

/* ---- the prober ---- */

struct health_stats {
	uint64_t probes;   /* probes completed */
	uint64_t failures; /* of them, failed */
	uint64_t ports;	   /* ports known now */
	uint64_t down;	   /* ports marked down now */
};

/* What the API shows of one port. */
struct health_info {
	enum health_state state;
	int64_t last_probe; /* seconds since the epoch; 0: never probed */
	unsigned int fails;
};

/* Starts probing the paths f has (if o->enable) and follows them as they come and go.
 * NULL on ENOMEM. */
struct health *health_new(struct event_base *base, struct registry *r, struct fabric *f,
			  const struct health_opts *o);
/* New options (a reload): switching off forgets every port and serves them all again. */
void health_set_opts(struct health *h, const struct health_opts *o);
void health_free(struct health *h);

/* The port at addr (trtype, adrfam, traddr, trsvcid): false if not probed. */
bool health_port_info(const struct health *h, const struct cdc_port *addr, struct health_info *out);
void health_get_stats(const struct health *h, struct health_stats *out);

#endif
