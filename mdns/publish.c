/* publish.c - the mDNS announcement. One avahi client, created with AVAHI_CLIENT_NO_FAIL so
 * that avahi itself waits (on the bus, without polling) for a daemon that is not there yet or
 * restarts; only when the system bus itself is missing or drops us do we retry, with backoff.
 * One entry group holds every service: a change (reload, name collision) resets it and adds
 * them all again. */
#include "publish.h"

#include <avahi-client/client.h>
#include <avahi-client/publish.h>
#include <avahi-common/alternative.h>
#include <avahi-common/error.h>
#include <avahi-common/malloc.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "avahi_poll.h"
#include "log.h"
#include "name.h"

#define BACKOFF_FIRST_MS 1000u
#define BACKOFF_MAX_MS	 30000u
/* A name avahi renames this often in a row is fought over by a peer: stop, say so. */
#define MAX_RENAMES 16

struct mdns_pub {
	struct event_base *base;
	struct mdns_poll *poll;
	AvahiClient *client;
	AvahiEntryGroup *group;
	struct event *retry; /* the next avahi_client_new() */
	unsigned int attempt;
	bool missing_logged; /* "not running" said since avahi was last seen */
	enum mdns_state state;
	char nqn[CDC_NQN_MAX + 1];
	struct cdc_mdns_config cfg;
	char base_name[MDNS_NAME_MAX + 1]; /* configured, or the host-name default */
	char name[MDNS_NAME_MAX + 1];	   /* in use: base_name or avahi's alternative */
	struct mdns_service svc[MDNS_MAX_SERVICES];
	size_t nsvc;
	struct mdns_service next[MDNS_MAX_SERVICES]; /* mdns_pub_configure()'s scratch */
};

static void client_cb(AvahiClient *c, AvahiClientState st, void *arg);

/* ---- pure parts ---- */

AvahiStringList *mdns_txt_new(const char *nqn)
{
	/* p= is what nvme-stas requires; nqn= lets a host that supports it connect to our
	 * unique NQN rather than the well-known one. */
	if (!nqn || !*nqn)
		return avahi_string_list_new("p=tcp", NULL);
	AvahiStringList *l = avahi_string_list_new("p=tcp", NULL);
	return l ? avahi_string_list_add_printf(l, "nqn=%s", nqn) : NULL;
}

unsigned int mdns_backoff_ms(unsigned int attempt)
{
	unsigned int ms = BACKOFF_FIRST_MS;

	while (attempt-- && ms < BACKOFF_MAX_MS)
		ms *= 2;
	return ms < BACKOFF_MAX_MS ? ms : BACKOFF_MAX_MS;
}

static void plan_add(struct mdns_service *out, size_t *n, size_t max, uint16_t port, int ifindex,
		     int protocol)
{
	for (size_t i = 0; i < *n; i++) {
		if (out[i].port != port ||
		    (out[i].ifindex != ifindex && out[i].ifindex != AVAHI_IF_UNSPEC))
			continue;
		if (out[i].protocol != protocol)
			out[i].protocol = AVAHI_PROTO_UNSPEC;
		return;
	}
	if (*n < max)
		out[(*n)++] = (struct mdns_service){port, ifindex, protocol};
}

static bool is_wildcard(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return ((const struct sockaddr_in *)sa)->sin_addr.s_addr == htonl(INADDR_ANY);
	return IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)sa)->sin6_addr);
}

static uint16_t sa_port(const struct sockaddr *sa)
{
	return ntohs(sa->sa_family == AF_INET ? ((const struct sockaddr_in *)sa)->sin_port
					      : ((const struct sockaddr_in6 *)sa)->sin6_port);
}

size_t mdns_services_plan(const struct cdc_listen *listen, size_t nlisten, const int *ifindex,
			  size_t nif, int (*addr_ifindex)(const struct sockaddr *),
			  struct mdns_service *out, size_t max)
{
	size_t n = 0;

	/* Wildcards first, so that a specific address on a port already announced
	 * everywhere merges into that service instead of colliding with it. */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < nlisten; i++) {
			const struct sockaddr *sa = (const struct sockaddr *)&listen[i].ss;
			int proto = sa->sa_family == AF_INET ? AVAHI_PROTO_INET : AVAHI_PROTO_INET6;
			uint16_t port = sa_port(sa);

			if (is_wildcard(sa) != (pass == 0))
				continue;
			if (pass == 0 && !nif)
				plan_add(out, &n, max, port, AVAHI_IF_UNSPEC, proto);
			for (size_t k = 0; pass == 0 && k < nif; k++)
				plan_add(out, &n, max, port, ifindex[k], proto);
			if (pass == 0)
				continue;
			int idx = addr_ifindex(sa);
			bool wanted = idx > 0 && !nif;
			for (size_t k = 0; idx > 0 && k < nif; k++)
				wanted |= ifindex[k] == idx;
			if (wanted)
				plan_add(out, &n, max, port, idx, proto);
		}
	}
	return n;
}

/* ---- the system: interfaces, host name ---- */

static bool same_addr(const struct sockaddr *a, const struct sockaddr *b)
{
	if (a->sa_family != b->sa_family)
		return false;
	if (a->sa_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	return !memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		       &((const struct sockaddr_in6 *)b)->sin6_addr, sizeof(struct in6_addr));
}

/* The interface holding a listener's address; 0 for none or the loopback (mDNS is not
 * sent there). */
static int system_addr_ifindex(const struct sockaddr *sa)
{
	struct ifaddrs *ifa, *i;
	int idx = 0;

	if (getifaddrs(&ifa) < 0)
		return 0;
	for (i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_addr || !same_addr(i->ifa_addr, sa))
			continue;
		if (!(i->ifa_flags & IFF_LOOPBACK))
			idx = (int)if_nametoindex(i->ifa_name);
		break;
	}
	freeifaddrs(ifa);
	return idx;
}

static size_t plan(const struct cdc_mdns_config *cfg, const struct cdc_listen *listen,
		   size_t nlisten, struct mdns_service *out)
{
	int ifindex[CDC_MDNS_MAX_IFACES];
	size_t nif = 0;

	for (size_t i = 0; i < cfg->ninterfaces; i++) {
		unsigned int idx = if_nametoindex(cfg->interfaces[i]);
		if (idx)
			ifindex[nif++] = (int)idx;
		else
			log_warn("mdns: no interface %s; not announced there", cfg->interfaces[i]);
	}
	if (cfg->ninterfaces && !nif)
		return 0;
	return mdns_services_plan(listen, nlisten, ifindex, nif, system_addr_ifindex, out,
				  MDNS_MAX_SERVICES);
}

static void base_name(const struct cdc_mdns_config *cfg, char *out, size_t size)
{
	char host[256] = "";

	if (cfg->instance[0]) {
		snprintf(out, size, "%s", cfg->instance);
		return;
	}
	if (gethostname(host, sizeof(host) - 1) < 0)
		host[0] = '\0';
	host[strcspn(host, ".")] = '\0'; /* the short name: mDNS adds ".local" */
	mdns_name_default(host, out, size);
}

/* ---- the avahi client ---- */

static void note_missing(struct mdns_pub *pub)
{
	pub->state = MDNS_WAITING;
	if (pub->missing_logged)
		return;
	log_warn("mdns: avahi-daemon not running; will retry");
	pub->missing_logged = true;
}

static void drop_client(struct mdns_pub *pub)
{
	/* Freeing the client frees its entry group, and avahi withdraws the services. */
	if (pub->client)
		avahi_client_free(pub->client);
	pub->client = NULL;
	pub->group = NULL;
}

static void schedule_retry(struct mdns_pub *pub)
{
	struct timeval tv;
	unsigned int ms = mdns_backoff_ms(pub->attempt);

	if (evtimer_pending(pub->retry, NULL))
		return;
	pub->attempt++;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	evtimer_add(pub->retry, &tv);
}

static void connect_avahi(struct mdns_pub *pub)
{
	int err = 0;

	/* With NO_FAIL, a missing avahi-daemon is a client in AVAHI_CLIENT_CONNECTING; only
	 * a missing system bus fails here. */
	pub->client = avahi_client_new(mdns_poll_get(pub->poll), AVAHI_CLIENT_NO_FAIL, client_cb,
				       pub, &err);
	if (pub->client)
		return;
	if (err == AVAHI_ERR_NO_MEMORY)
		log_err("mdns: cannot start the avahi client: %s", avahi_strerror(err));
	else
		note_missing(pub);
	schedule_retry(pub);
}

static void retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct mdns_pub *pub = arg;

	(void)fd;
	(void)what;
	/* Here, not in avahi's callback: the client is freed outside its own code. */
	drop_client(pub);
	connect_avahi(pub);
}

static void service_name(const struct mdns_pub *pub, size_t i, char *out, size_t size)
{
	char suffix[16];

	/* Services of one port share the name (they differ by interface); another port needs
	 * its own, or the two would collide in our own group. */
	if (pub->svc[i].port == pub->svc[0].port) {
		snprintf(out, size, "%s", pub->name);
		return;
	}
	snprintf(suffix, sizeof(suffix), " (%u)", pub->svc[i].port);
	snprintf(out, size, "%s", pub->name);
	mdns_utf8_truncate(out, MDNS_NAME_MAX - strlen(suffix));
	strncat(out, suffix, size - strlen(out) - 1);
}

static int add_services(struct mdns_pub *pub)
{
	AvahiStringList *txt = mdns_txt_new(pub->nqn);
	char name[MDNS_NAME_MAX + 1];
	int r = 0;

	if (!txt)
		return AVAHI_ERR_NO_MEMORY;
	for (size_t i = 0; i < pub->nsvc && r >= 0; i++) {
		const struct mdns_service *s = &pub->svc[i];

		service_name(pub, i, name, sizeof(name));
		r = avahi_entry_group_add_service_strlst(pub->group, s->ifindex, s->protocol, 0,
							 name, MDNS_SERVICE_TYPE, NULL, NULL,
							 s->port, txt);
		if (r >= 0)
			r = avahi_entry_group_add_service_subtype(
				pub->group, s->ifindex, s->protocol, 0, name, MDNS_SERVICE_TYPE,
				NULL, MDNS_CDC_SUBTYPE);
	}
	avahi_string_list_free(txt);
	return r < 0 ? r : avahi_entry_group_commit(pub->group);
}

static void rename_service(struct mdns_pub *pub)
{
	char *alt = avahi_alternative_service_name(pub->name);

	if (!alt)
		return;
	log_warn("mdns: the name '%s' is taken on the network; trying '%s'", pub->name, alt);
	snprintf(pub->name, sizeof(pub->name), "%s", alt);
	mdns_utf8_truncate(pub->name, MDNS_NAME_MAX);
	avahi_free(alt);
}

static void group_cb(AvahiEntryGroup *g, AvahiEntryGroupState st, void *arg);

/* (Re)publish every service on a running client. */
static void publish(struct mdns_pub *pub, AvahiClient *c)
{
	int r = 0;

	if (!pub->group)
		pub->group = avahi_entry_group_new(c, group_cb, pub);
	else
		avahi_entry_group_reset(pub->group);
	if (!pub->group) {
		r = avahi_client_errno(c);
		goto fail;
	}
	for (int tries = 0; tries < MAX_RENAMES; tries++) {
		r = add_services(pub);
		if (r != AVAHI_ERR_COLLISION)
			break;
		rename_service(pub);
		avahi_entry_group_reset(pub->group);
	}
	if (r < 0)
		goto fail;
	pub->state = MDNS_REGISTERING;
	return;
fail:
	log_err("mdns: cannot publish '%s': %s", pub->name, avahi_strerror(r));
	pub->state = MDNS_WAITING;
	schedule_retry(pub);
}

static void log_published(const struct mdns_pub *pub)
{
	char ports[128] = "";
	size_t len = 0, n = 0;

	for (size_t i = 0; i < pub->nsvc && len < sizeof(ports); i++) {
		size_t k;
		for (k = 0; k < i && pub->svc[k].port != pub->svc[i].port; k++)
			;
		if (k < i)
			continue;
		len += (size_t)snprintf(ports + len, sizeof(ports) - len, "%s%u", n++ ? ", " : "",
					pub->svc[i].port);
	}
	log_info("mdns: published '%s' on " MDNS_SERVICE_TYPE " port%s %s", pub->name,
		 n > 1 ? "s" : "", ports);
}

static void group_cb(AvahiEntryGroup *g, AvahiEntryGroupState st, void *arg)
{
	struct mdns_pub *pub = arg;

	switch (st) {
	case AVAHI_ENTRY_GROUP_ESTABLISHED:
		pub->state = strcmp(pub->name, pub->base_name) ? MDNS_RENAMED : MDNS_PUBLISHED;
		pub->attempt = 0;
		log_published(pub);
		break;
	case AVAHI_ENTRY_GROUP_COLLISION:
		/* Someone else on the link has the name: avahi's "NAME #2" and again. */
		rename_service(pub);
		publish(pub, avahi_entry_group_get_client(g));
		break;
	case AVAHI_ENTRY_GROUP_FAILURE:
		log_err("mdns: avahi failed to publish '%s': %s", pub->name,
			avahi_strerror(avahi_client_errno(avahi_entry_group_get_client(g))));
		pub->state = MDNS_WAITING;
		schedule_retry(pub); /* a new client, a new group */
		break;
	case AVAHI_ENTRY_GROUP_UNCOMMITED:
	case AVAHI_ENTRY_GROUP_REGISTERING:
		break;
	}
}

static void client_cb(AvahiClient *c, AvahiClientState st, void *arg)
{
	struct mdns_pub *pub = arg;

	switch (st) {
	case AVAHI_CLIENT_S_RUNNING:
		pub->missing_logged = false;
		pub->attempt = 0;
		publish(pub, c);
		break;
	case AVAHI_CLIENT_S_COLLISION:
	case AVAHI_CLIENT_S_REGISTERING:
		/* The daemon is (re)establishing its host name: our records come back with
		 * S_RUNNING. */
		if (pub->group)
			avahi_entry_group_reset(pub->group);
		pub->state = MDNS_REGISTERING;
		break;
	case AVAHI_CLIENT_CONNECTING:
		/* The daemon is gone (or not yet there); its objects went with it. */
		if (pub->group)
			avahi_entry_group_free(pub->group);
		pub->group = NULL;
		note_missing(pub);
		break;
	case AVAHI_CLIENT_FAILURE:
		if (avahi_client_errno(c) == AVAHI_ERR_DISCONNECTED)
			note_missing(pub);
		else
			log_err("mdns: avahi client failed: %s",
				avahi_strerror(avahi_client_errno(c)));
		pub->state = MDNS_WAITING;
		schedule_retry(pub);
		break;
	}
}

/* ---- the module's interface ---- */

int mdns_pub_new(struct event_base *base, const char *nqn, struct mdns_pub **out)
{
	struct mdns_pub *pub = calloc(1, sizeof(*pub));

	if (!pub)
		return -ENOMEM;
	pub->base = base;
	snprintf(pub->nqn, sizeof(pub->nqn), "%s", nqn ? nqn : "");
	pub->retry = evtimer_new(base, retry_cb, pub);
	if (!pub->retry || mdns_poll_new(base, &pub->poll) < 0) {
		mdns_pub_free(pub);
		return -ENOMEM;
	}
	pub->state = MDNS_OFF;
	*out = pub;
	return 0;
}

static void stop(struct mdns_pub *pub, enum mdns_state state)
{
	evtimer_del(pub->retry);
	drop_client(pub);
	pub->attempt = 0;
	pub->missing_logged = false;
	pub->state = state;
}

void mdns_pub_configure(struct mdns_pub *pub, const struct cdc_mdns_config *cfg,
			const struct cdc_listen *listen, size_t nlisten)
{
	struct mdns_service *svc = pub->next;
	char name[MDNS_NAME_MAX + 1];
	size_t n = 0;

	pub->cfg = *cfg;
	if (!cfg->enable) {
		stop(pub, MDNS_OFF);
		return;
	}
	n = plan(cfg, listen, nlisten, svc);
	base_name(cfg, name, sizeof(name));
	if (!n) {
		if (pub->state != MDNS_IDLE)
			log_info(
				"mdns: nothing to announce: no listener on an interface mDNS uses");
		stop(pub, MDNS_IDLE);
		return;
	}
	bool changed = n != pub->nsvc || memcmp(svc, pub->svc, n * sizeof(svc[0])) ||
		       strcmp(name, pub->base_name);
	if (changed) {
		memcpy(pub->svc, svc, n * sizeof(svc[0]));
		pub->nsvc = n;
		snprintf(pub->base_name, sizeof(pub->base_name), "%s", name);
		snprintf(pub->name, sizeof(pub->name), "%s", name);
	}
	if (!pub->client && !evtimer_pending(pub->retry, NULL)) {
		pub->state = MDNS_WAITING;
		connect_avahi(pub);
	} else if (changed && pub->client &&
		   avahi_client_get_state(pub->client) == AVAHI_CLIENT_S_RUNNING) {
		publish(pub, pub->client);
	}
}

enum mdns_state mdns_pub_state(const struct mdns_pub *pub)
{
	return pub->state;
}

const char *mdns_state_name(enum mdns_state state)
{
	switch (state) {
	case MDNS_OFF:
		return "off";
	case MDNS_WAITING:
		return "waiting for avahi";
	case MDNS_REGISTERING:
		return "registering";
	case MDNS_PUBLISHED:
		return "published";
	case MDNS_RENAMED:
		return "collision-renamed";
	case MDNS_IDLE:
		return "nothing to announce";
	}
	return "?";
}

static struct json_object *service_json(const struct mdns_service *s)
{
	struct json_object *o = json_object_new_object();
	char ifname[IF_NAMESIZE] = "";

	json_object_object_add(o, "port", json_object_new_int(s->port));
	if (s->ifindex != AVAHI_IF_UNSPEC && !if_indextoname((unsigned int)s->ifindex, ifname))
		snprintf(ifname, sizeof(ifname), "#%d", s->ifindex);
	json_object_object_add(
		o, "interface",
		json_object_new_string(s->ifindex == AVAHI_IF_UNSPEC ? "any" : ifname));
	json_object_object_add(o, "protocol",
			       json_object_new_string(s->protocol == AVAHI_PROTO_INET	 ? "ipv4"
						      : s->protocol == AVAHI_PROTO_INET6 ? "ipv6"
											 : "any"));
	return o;
}

struct json_object *mdns_pub_json(const struct mdns_pub *pub)
{
	struct json_object *o = json_object_new_object();
	bool on = pub->state != MDNS_OFF && pub->state != MDNS_IDLE;

	json_object_object_add(o, "state", json_object_new_string(mdns_state_name(pub->state)));
	if (!on)
		return o;
	struct json_object *txt = json_object_new_array(), *svcs = json_object_new_array();
	char nqn[CDC_NQN_MAX + 8];
	snprintf(nqn, sizeof(nqn), "nqn=%s", pub->nqn);
	json_object_array_add(txt, json_object_new_string("p=tcp")); /* as mdns_txt_new() */
	if (pub->nqn[0])
		json_object_array_add(txt, json_object_new_string(nqn));
	for (size_t i = 0; i < pub->nsvc; i++)
		json_object_array_add(svcs, service_json(&pub->svc[i]));
	json_object_object_add(o, "name", json_object_new_string(pub->name));
	json_object_object_add(o, "type", json_object_new_string(MDNS_SERVICE_TYPE));
	json_object_object_add(o, "subtype", json_object_new_string(MDNS_CDC_SUBTYPE));
	json_object_object_add(o, "txt", txt);
	json_object_object_add(o, "services", svcs);
	return o;
}

void mdns_pub_free(struct mdns_pub *pub)
{
	if (!pub)
		return;
	drop_client(pub);
	if (pub->retry)
		event_free(pub->retry);
	mdns_poll_free(pub->poll);
	free(pub);
}
