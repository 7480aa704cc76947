/* publish.h - announce this CDC with DNS-SD over mDNS (TP8009, protocol.md §8): one
 * `_nvme-disc._tcp` service per listening port, subtype `_cdc`, TXT `p=tcp` and `nqn=`.
 * avahi-client on the daemon's loop; a missing or restarting avahi-daemon is waited for
 * and never stops discovery. */
#ifndef CDC_MDNS_PUBLISH_H
#define CDC_MDNS_PUBLISH_H

#include <avahi-common/strlst.h>
#include <event2/event.h>
#include <json-c/json.h>
#include <stdint.h>

#include "config.h"

#define MDNS_SERVICE_TYPE "_nvme-disc._tcp"
#define MDNS_CDC_SUBTYPE  "_cdc._sub._nvme-disc._tcp"
#define MDNS_MAX_SERVICES (CDC_MAX_LISTEN * CDC_MDNS_MAX_IFACES)

enum mdns_state {
	MDNS_OFF,	  /* [mdns] enable = no */
	MDNS_WAITING,	  /* no avahi-daemon (or no system bus) yet */
	MDNS_REGISTERING, /* handed to avahi, probing for the name */
	MDNS_PUBLISHED,
	MDNS_RENAMED, /* published under avahi's alternative to a name in use */
	MDNS_IDLE,    /* no listener that mDNS can announce (loopback only) */
};

/* One announcement: a port on one interface (or all) for IPv4, IPv6 or both. */
struct mdns_service {
	uint16_t port;
	int ifindex;  /* AVAHI_IF_UNSPEC (-1): every interface */
	int protocol; /* AVAHI_PROTO_INET, _INET6 or _UNSPEC (both) */
};

struct mdns_pub;

/* nqn: the unique discovery NQN, sent as TXT nqn=. Nothing is published until
 * mdns_pub_configure(). 0 or -ENOMEM. */
int mdns_pub_new(struct event_base *base, const char *nqn, struct mdns_pub **out);

/* At start and after every reload: listen holds the listeners actually open. Withdraws and
 * re-publishes when the services or the name changed; starts or stops the avahi client
 * when enable changed. Never fails: what goes wrong is logged and retried. */
void mdns_pub_configure(struct mdns_pub *pub, const struct cdc_mdns_config *cfg,
			const struct cdc_listen *listen, size_t nlisten);

enum mdns_state mdns_pub_state(const struct mdns_pub *pub);
const char *mdns_state_name(enum mdns_state state);

/* {"state", "name", "type", "subtype", "txt": [...], "services": [{"port", "interface",
 * "protocol"}]} for the control API's status. */
struct json_object *mdns_pub_json(const struct mdns_pub *pub);

/* Withdraws the services (avahi sends the goodbye packets). NULL is a no-op. */
void mdns_pub_free(struct mdns_pub *pub);

/* ---- pure parts, exposed for the unit tests ---- */

/* TXT record strings, in this order: "p=tcp", "nqn=NQN" (the latter only with an NQN).
 * NULL without memory. */
AvahiStringList *mdns_txt_new(const char *nqn);

/* Milliseconds to wait before connection attempt number attempt + 1: 1 s doubling to 30 s. */
unsigned int mdns_backoff_ms(unsigned int attempt);

/* The services for a set of listeners: a wildcard address is every interface (or each
 * of ifindex[] when given), a specific one the interface holding it, which
 * addr_ifindex(sockaddr) names (0: none, or loopback: not announced). One service per
 * (port, interface), IPv4 and IPv6 listeners merged. Returns the count. */
size_t mdns_services_plan(const struct cdc_listen *listen, size_t nlisten, const int *ifindex,
			  size_t nif, int (*addr_ifindex)(const struct sockaddr *),
			  struct mdns_service *out, size_t max);

#endif
