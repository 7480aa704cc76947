/* browse.h - find the other discovery controllers on the link with DNS-SD over mDNS (TP8009,
 * protocol.md §8): a `_nvme-disc._tcp` service is a direct discovery controller (a candidate
 * for pull registration) unless it also carries the `_cdc` subtype, which makes it another CDC.
 * avahi-client on the daemon's loop; a missing or restarting avahi-daemon is waited for. */
#ifndef CDC_MDNS_BROWSE_H
#define CDC_MDNS_BROWSE_H

#include <avahi-common/address.h>
#include <avahi-common/defs.h>
#include <avahi-common/strlst.h>
#include <event2/event.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "name.h"
#include "tree.h"

/* A service instance seen on this many (interface, protocol, browser) pairs at once is
 * tracked by its first ones only: the rest neither add nor remove it. */
#define MDNS_MAX_SIGHTINGS 32
#define MDNS_TYPE_MAX	   64
/* A DDC candidate waits this long before the hook hears of it: another CDC's `_cdc` subtype
 * record may reach the subtype browser after its service record reached the other one, and
 * a CDC must never be pulled from, not even for a moment. */
#define MDNS_SETTLE_MS 2000

enum mdns_kind {
	MDNS_PENDING, /* browsed, not resolved yet */
	MDNS_DDC,     /* a candidate for pull registration */
	MDNS_CDC,     /* another centralized discovery controller */
	MDNS_OWN,     /* our own announcement */
	MDNS_NOT_TCP, /* no p=tcp in the TXT record: not for us (as nvme-stas) */
};

/* What the candidate hook and the status see of one found service. */
struct mdns_candidate {
	char name[MDNS_NAME_MAX + 1];
	enum mdns_kind kind;
	char address[AVAHI_ADDRESS_STR_MAX];
	uint16_t port;
	int ifindex;		   /* where it was resolved; a link-local address needs it */
	char nqn[CDC_NQN_MAX + 1]; /* "" when the TXT record has none */
};

/* Called with up = true MDNS_SETTLE_MS after a DDC candidate is resolved (or when browse
 * becomes automatic), and
 * with up = false when it goes (goodbye packet, avahi-daemon gone, browse no longer
 * automatic). Only with browse = automatic. */
typedef void mdns_candidate_fn(void *arg, const struct mdns_candidate *c, bool up);

struct mdns_browse;

/* own_nqn: this CDC's NQN, whose announcements are skipped. Nothing is browsed until
 * mdns_browse_configure(). 0 or -ENOMEM. */
int mdns_browse_new(struct event_base *base, const char *own_nqn, mdns_candidate_fn *candidate,
		    void *arg, struct mdns_browse **out);

/* At start and after every reload: browses while enable = yes and browse is not off, on the
 * configured interfaces only. Never fails: what goes wrong is logged and retried. */
void mdns_browse_configure(struct mdns_browse *b, const struct cdc_mdns_config *cfg);

/* [{"instance", "kind": "ddc"|"cdc", "address", "port", "nqn", "interface"}], resolved
 * services only, our own and those without p=tcp left out. */
struct json_object *mdns_browse_json(const struct mdns_browse *b);

/* NULL is a no-op. The hook is not called. */
void mdns_browse_free(struct mdns_browse *b);

/* ---- pure parts, exposed for the unit tests ---- */

/* The TXT keys that matter here. */
struct mdns_txt {
	bool tcp; /* p=tcp (case-insensitive, as nvme-stas) */
	char nqn[CDC_NQN_MAX + 1];
};
void mdns_txt_parse(AvahiStringList *txt, struct mdns_txt *out);

/* A resolved service: seen under the _cdc subtype, its TXT, avahi's lookup flags. */
enum mdns_kind mdns_classify(const struct mdns_txt *txt, bool cdc_subtype, const char *own_nqn,
			     AvahiLookupResultFlags flags);

/* One instance of the service type, however many interfaces and protocols announce it: the
 * key is (name, type, domain), so addresses seen on several interfaces are one candidate,
 * with the address of the first resolution. It goes when its last sighting goes. */
struct mdns_sighting {
	AvahiIfIndex ifindex;
	AvahiProtocol protocol;
	bool subtype; /* from the _cdc subtype browser */
};

struct mdns_found {
	RB_ENTRY(mdns_found) node;
	char name[MDNS_NAME_MAX + 1];
	char type[MDNS_TYPE_MAX];
	char domain[MDNS_TYPE_MAX];
	struct mdns_sighting seen[MDNS_MAX_SIGHTINGS];
	size_t nseen;
	struct mdns_candidate c;
	struct mdns_txt txt;
	AvahiLookupResultFlags flags;
	bool announced; /* the hook was called with up = true */
	bool settled;	/* MDNS_SETTLE_MS passed since it was resolved as a DDC */
	struct event *settle;
	bool warned;	/* "another CDC" or "no p=tcp" said */
	void *resolver; /* an AvahiServiceResolver while resolving */
	void *owner;	/* the struct mdns_browse */
};

RB_HEAD(mdns_index, mdns_found);

/* Records a sighting; *added says whether the instance is new. NULL without memory. */
struct mdns_found *mdns_index_see(struct mdns_index *idx, const char *name, const char *type,
				  const char *domain, const struct mdns_sighting *s, bool *added);

/* Forgets a sighting; returns the instance if that was its last one (the caller removes and
 * frees it with mdns_index_remove()), else NULL. */
struct mdns_found *mdns_index_lose(struct mdns_index *idx, const char *name, const char *type,
				   const char *domain, const struct mdns_sighting *s);

void mdns_index_remove(struct mdns_index *idx, struct mdns_found *f);

/* Whether any sighting is from the _cdc subtype browser. */
bool mdns_found_is_subtype(const struct mdns_found *f);

const char *mdns_kind_name(enum mdns_kind kind);

#endif
