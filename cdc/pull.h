/* pull.h - pull registration: the CDC connects as a host to each DDC it is told of (the
 * configuration's [ddc], the control API), keeps an AER outstanding, reads log 70h at
 * connect and at every discovery log change AEN, and hands each log to reg_pull. A DDC
 * that cannot be reached is retried with exponential backoff and jitter; its entries carry
 * NCC meanwhile and are withdrawn after a configured time, to come back when it does. */
#ifndef CDC_PULL_H
#define CDC_PULL_H

#include <event2/event.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct pull;
struct registry;
struct fabric;

struct pull_opts {
	const char *hostnqn;		/* this CDC's NQN: the HOSTNQN of its Connects */
	unsigned int kato_ms;		/* KATO of the connections to DDCs; a DDC that answers
					 * neither the connect sequence nor a Keep Alive within
					 * it is dropped as unreachable */
	unsigned int reconnect_max_ms;	/* the longest wait between reconnects */
	unsigned int withdraw_after_ms; /* unreachable this long: the DDC's entries go */
	unsigned int max_kickstart;	/* DDCs pulled from because they kickstarted; 0: none */
};

/* f: the fabric r changes, for the logs a pull-model DDC asks to be sent (Send Discovery
 * Log Page, after its AEN F3h): log 71h, or log 70h as it would read it. */
struct pull *pull_new(struct event_base *base, struct registry *r, struct fabric *f,
		      const struct pull_opts *o);
/* Closes every connection; what was pulled stays in the store for the next start. */
void pull_free(struct pull *p);
/* New timings apply from the next wait on. */
void pull_set_opts(struct pull *p, const struct pull_opts *o);

/* The configuration's DDCs are now these: new ones are connected, those no longer listed
 * are withdrawn (unless the administrator added them too). -ENOMEM. */
int pull_config(struct pull *p, const struct cdc_referral *ddcs, size_t n);
/* The administrator's: -EEXIST if the administrator already added that address. */
int pull_ddc_add(struct pull *p, const struct cdc_referral *ddc);
/* Drops the administrator's and the DDC's own (Kickstart) requests. -ENOENT if there are none
 * and nobody else asks for it, -EPERM if the configuration lists it, -EBUSY if mDNS announces
 * it. */
int pull_ddc_del(struct pull *p, const struct cdc_port *port);

/* A DDC announced with mDNS (browse = automatic) is pulled while it is announced: up = false
 * withdraws it unless the configuration or the administrator lists it too. ifindex is the
 * interface it was found on, the scope of an IPv6 link-local address. -ENOMEM. */
int pull_ddc_announced(struct pull *p, const struct cdc_referral *ddc, int ifindex, bool up);

/* A DDC's Kickstart (TP8010): pull from each port (at the well-known discovery NQN) now, even
 * if it is pulled from already. A DDC pulled from only because it kickstarted is forgotten
 * once it was unreachable long enough for its entries to be withdrawn: it kickstarts again when
 * it is back. -EPERM when max_kickstart is 0, -ENOSPC past it, -EINVAL for no port, -ENOMEM. */
int pull_kickstart(struct pull *p, const struct cdc_port *ports, size_t n);

/* At start, after pull_config(): the DDCs whose pulled entries the store still holds but that
 * nobody lists any more (the administrator's, kickstarted or announced ones, before the
 * restart) are kept unconnected; their entries are withdrawn after withdraw_after_ms unless
 * the administrator, mDNS or a Kickstart asks for them again first. -ENOMEM. */
int pull_adopt(struct pull *p, const struct fabric *f);

/* What the control API lists, one DDC at a time in address order. */
struct pull_ddc_info {
	const struct cdc_referral *ddc;
	const char *owner; /* the entity that owns its entries */
	const char *state; /* "connecting", "connected", "unreachable", "withdrawn" */
	bool config, admin, mdns, kickstart; /* who asks for it: none (pulled before a restart)
					      * or more */
	uint64_t pulls;			     /* logs read since the daemon started */
	size_t entries;			     /* entries kept from the last log */
	size_t skipped;			     /* entries of subsystems that others define */
	uint64_t sent; /* logs sent to it (Send Discovery Log Page) since the daemon started */
};
void pull_foreach(const struct pull *p, void (*fn)(void *arg, const struct pull_ddc_info *i),
		  void *arg);

/* The owner name of the DDC at port: "ddc:ADDR:PORT" ("ddc:[ADDR]:PORT" for IPv6). Not an
 * NQN, so that no DIM can claim it. */
void pull_owner_name(const struct cdc_port *port, char *buf, size_t size);

#endif
