/* browse.c - mDNS browsing for other discovery controllers. Two service browsers, one for
 * `_nvme-disc._tcp` and one for its `_cdc` subtype, feed one index of instances; each new
 * instance is resolved once for its address, port and TXT record. The avahi client is this
 * module's own (publish.c keeps its own too): the two then come and go independently with
 * enable and browse, and the reconnect logic below mirrors publish.c's. */
#include "browse.h"

#include <avahi-client/client.h>
#include <avahi-client/lookup.h>
#include <avahi-common/error.h>
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "avahi_poll.h"
#include "log.h"
#include "publish.h"

/* Anyone on the link can announce services: bound what they cost in memory and in log. */
#define MAX_FOUND 1024

struct mdns_browse {
	struct event_base *base;
	struct mdns_poll *poll;
	AvahiClient *client;
	AvahiServiceBrowser *all, *cdc; /* _nvme-disc._tcp and its _cdc subtype */
	struct event *retry;		/* the next avahi_client_new() */
	unsigned int attempt;
	bool running; /* enable = yes and browse is not off */
	char own_nqn[CDC_NQN_MAX + 1];
	struct cdc_mdns_config cfg;
	struct mdns_index index;
	size_t nfound;
	bool full_logged; /* "too many services" said since the index was last below MAX_FOUND */
	struct ratelimit rl;
	mdns_candidate_fn *candidate;
	void *arg;
};

/* ---- pure parts ---- */

static int found_cmp(const struct mdns_found *a, const struct mdns_found *b)
{
	int r = strcmp(a->name, b->name);

	if (!r)
		r = strcasecmp(a->type, b->type);
	return r ? r : strcasecmp(a->domain, b->domain);
}

RB_GENERATE_STATIC(mdns_index, mdns_found, node, found_cmp)

/* An NQN is ASCII text (NVMe base spec 4.5); anything else is not logged nor passed on. */
static bool printable(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return false;
	return true;
}

void mdns_txt_parse(AvahiStringList *txt, struct mdns_txt *out)
{
	memset(out, 0, sizeof(*out));
	for (AvahiStringList *l = txt; l; l = avahi_string_list_get_next(l)) {
		const char *s = (const char *)avahi_string_list_get_text(l);
		size_t len = avahi_string_list_get_size(l);

		/* TXT strings are not NUL-terminated on the wire: compare with their size. */
		if (len == 5 && !strncasecmp(s, "p=tcp", 5))
			out->tcp = true;
		else if (len > 4 && len - 4 <= CDC_NQN_MAX && !strncasecmp(s, "nqn=", 4) &&
			 printable(s + 4, len - 4))
			snprintf(out->nqn, sizeof(out->nqn), "%.*s", (int)(len - 4), s + 4);
	}
}

enum mdns_kind mdns_classify(const struct mdns_txt *txt, bool cdc_subtype, const char *own_nqn,
			     AvahiLookupResultFlags flags)
{
	/* LOCAL alone is not ours: a DDC may run on this very host. */
	if ((flags & AVAHI_LOOKUP_RESULT_OUR_OWN) ||
	    (txt->nqn[0] && own_nqn && !strcmp(txt->nqn, own_nqn)))
		return MDNS_OWN;
	if (!txt->tcp)
		return MDNS_NOT_TCP;
	return cdc_subtype ? MDNS_CDC : MDNS_DDC;
}

static struct mdns_found *find(struct mdns_index *idx, const char *name, const char *type,
			       const char *domain)
{
	static const struct mdns_found zero;
	struct mdns_found key = zero;

	snprintf(key.name, sizeof(key.name), "%s", name);
	snprintf(key.type, sizeof(key.type), "%s", type);
	snprintf(key.domain, sizeof(key.domain), "%s", domain);
	return RB_FIND(mdns_index, idx, &key);
}

static bool same_sighting(const struct mdns_sighting *a, const struct mdns_sighting *b)
{
	return a->ifindex == b->ifindex && a->protocol == b->protocol && a->subtype == b->subtype;
}

struct mdns_found *mdns_index_see(struct mdns_index *idx, const char *name, const char *type,
				  const char *domain, const struct mdns_sighting *s, bool *added)
{
	struct mdns_found *f = find(idx, name, type, domain);

	*added = false;
	if (!f) {
		f = calloc(1, sizeof(*f));
		if (!f)
			return NULL;
		snprintf(f->name, sizeof(f->name), "%s", name);
		snprintf(f->type, sizeof(f->type), "%s", type);
		snprintf(f->domain, sizeof(f->domain), "%s", domain);
		snprintf(f->c.name, sizeof(f->c.name), "%s", name);
		f->c.kind = MDNS_PENDING;
		RB_INSERT(mdns_index, idx, f);
		*added = true;
	}
	for (size_t i = 0; i < f->nseen; i++)
		if (same_sighting(&f->seen[i], s))
			return f;
	if (f->nseen < MDNS_MAX_SIGHTINGS)
		f->seen[f->nseen++] = *s;
	return f;
}

struct mdns_found *mdns_index_lose(struct mdns_index *idx, const char *name, const char *type,
				   const char *domain, const struct mdns_sighting *s)
{
	struct mdns_found *f = find(idx, name, type, domain);

	if (!f)
		return NULL;
	for (size_t i = 0; i < f->nseen; i++) {
		if (!same_sighting(&f->seen[i], s))
			continue;
		f->seen[i] = f->seen[--f->nseen];
		break;
	}
	return f->nseen ? NULL : f;
}

void mdns_index_remove(struct mdns_index *idx, struct mdns_found *f)
{
	RB_REMOVE(mdns_index, idx, f);
	free(f);
}

bool mdns_found_is_subtype(const struct mdns_found *f)
{
	for (size_t i = 0; i < f->nseen; i++)
		if (f->seen[i].subtype)
			return true;
	return false;
}

const char *mdns_kind_name(enum mdns_kind kind)
{
	switch (kind) {
	case MDNS_PENDING:
		return "pending";
	case MDNS_DDC:
		return "ddc";
	case MDNS_CDC:
		return "cdc";
	case MDNS_OWN:
		return "own";
	case MDNS_NOT_TCP:
		return "not-tcp";
	}
	return "?";
}

/* ---- what a found service means ---- */

static void announce(struct mdns_browse *b, struct mdns_found *f, bool up)
{
	if (f->announced == up || b->cfg.browse != CDC_BROWSE_AUTO || (up && !f->settled))
		return;
	f->announced = up;
	b->candidate(b->arg, &f->c, up);
}

static void withdraw(struct mdns_browse *b, struct mdns_found *f)
{
	if (f->announced) {
		f->announced = false;
		b->candidate(b->arg, &f->c, false);
	}
}

static void settle_cb(evutil_socket_t fd, short what, void *arg)
{
	struct mdns_found *f = arg;

	(void)fd;
	(void)what;
	f->settled = true;
	if (f->c.kind == MDNS_DDC)
		announce(f->owner, f, true);
}

/* The hook hears of a DDC once its kind had time to settle (MDNS_SETTLE_MS). */
static void settle_later(struct mdns_browse *b, struct mdns_found *f)
{
	struct timeval tv = {MDNS_SETTLE_MS / 1000, (MDNS_SETTLE_MS % 1000) * 1000};

	if (!f->settle)
		f->settle = evtimer_new(b->base, settle_cb, f);
	if (!f->settle) {
		log_err("mdns: out of memory for the service '%s'", f->name);
		return;
	}
	if (!evtimer_pending(f->settle, NULL))
		evtimer_add(f->settle, &tv);
}

/* Logs once per instance what it is, and hands a DDC candidate to the hook. */
static void act(struct mdns_browse *b, struct mdns_found *f)
{
	const struct mdns_candidate *c = &f->c;

	switch (c->kind) {
	case MDNS_DDC:
		if (b->cfg.browse == CDC_BROWSE_ASK)
			log_info("mdns: DDC candidate '%s' at %s:%u (nqn %s); browse = ask: not "
				 "pulled",
				 c->name, c->address, c->port, c->nqn[0] ? c->nqn : "none");
		if (f->settled)
			announce(b, f, true);
		else
			settle_later(b, f);
		break;
	case MDNS_CDC:
		withdraw(b, f); /* the subtype was seen after the service itself */
		if (!f->warned)
			log_ratelimited(&b->rl, LOG_WARNING,
					"mdns: another CDC announced: '%s' at %s:%u nqn %s",
					c->name, c->address, c->port, c->nqn[0] ? c->nqn : "none");
		f->warned = true;
		break;
	case MDNS_NOT_TCP:
		if (!f->warned)
			log_ratelimited(&b->rl, LOG_INFO,
					"mdns: ignoring '%s' at %s:%u: no p=tcp in its TXT record",
					c->name, c->address, c->port);
		f->warned = true;
		break;
	case MDNS_OWN:
	case MDNS_PENDING:
		break;
	}
}

static void resolve_cb(AvahiServiceResolver *r, AvahiIfIndex iface, AvahiProtocol proto,
		       AvahiResolverEvent ev, const char *name, const char *type,
		       const char *domain, const char *host, const AvahiAddress *addr,
		       uint16_t port, AvahiStringList *txt, AvahiLookupResultFlags flags, void *arg)
{
	struct mdns_found *f = arg;
	struct mdns_browse *b = f->owner;

	(void)proto;
	(void)type;
	(void)domain;
	(void)host;
	/* One answer is enough: the instance is one candidate whichever address it gave. */
	avahi_service_resolver_free(r);
	f->resolver = NULL;
	if (ev != AVAHI_RESOLVER_FOUND) {
		log_debug("mdns: cannot resolve '%s': %s", name,
			  avahi_strerror(avahi_client_errno(b->client)));
		return;
	}
	mdns_txt_parse(txt, &f->txt);
	f->flags = flags;
	avahi_address_snprint(f->c.address, sizeof(f->c.address), addr);
	f->c.port = port;
	f->c.ifindex = iface;
	snprintf(f->c.nqn, sizeof(f->c.nqn), "%s", f->txt.nqn);
	f->c.kind = mdns_classify(&f->txt, mdns_found_is_subtype(f), b->own_nqn, flags);
	act(b, f);
}

static void resolve(struct mdns_browse *b, struct mdns_found *f, const struct mdns_sighting *s)
{
	f->owner = b;
	f->resolver = avahi_service_resolver_new(b->client, s->ifindex, s->protocol, f->name,
						 MDNS_SERVICE_TYPE, f->domain, AVAHI_PROTO_UNSPEC,
						 0, resolve_cb, f);
	if (!f->resolver)
		log_debug("mdns: cannot resolve '%s': %s", f->name,
			  avahi_strerror(avahi_client_errno(b->client)));
}

static void forget(struct mdns_browse *b, struct mdns_found *f)
{
	withdraw(b, f);
	if (f->resolver)
		avahi_service_resolver_free(f->resolver);
	if (f->settle)
		event_free(f->settle);
	if (f->c.kind == MDNS_DDC || f->c.kind == MDNS_CDC)
		log_ratelimited(&b->rl, LOG_INFO, "mdns: '%s' is gone", f->name);
	mdns_index_remove(&b->index, f);
	b->nfound--;
	if (b->nfound < MAX_FOUND)
		b->full_logged = false;
}

static bool interface_wanted(const struct mdns_browse *b, AvahiIfIndex iface)
{
	char name[IF_NAMESIZE];

	if (!b->cfg.ninterfaces)
		return true;
	if (iface < 0 || !if_indextoname((unsigned int)iface, name))
		return false;
	for (size_t i = 0; i < b->cfg.ninterfaces; i++)
		if (!strcmp(b->cfg.interfaces[i], name))
			return true;
	return false;
}

static void schedule_retry(struct mdns_browse *b);

static void seen(struct mdns_browse *b, const char *name, const char *domain,
		 const struct mdns_sighting *s)
{
	struct mdns_found *f;
	bool added;

	/* A name with control characters would reach the log as it is: not a DDC of ours. */
	if (!mdns_name_valid(name))
		return;
	if (b->nfound >= MAX_FOUND && !find(&b->index, name, MDNS_SERVICE_TYPE, domain)) {
		if (!b->full_logged)
			log_warn("mdns: more than %d services announced; ignoring the others",
				 MAX_FOUND);
		b->full_logged = true;
		return;
	}
	f = mdns_index_see(&b->index, name, MDNS_SERVICE_TYPE, domain, s, &added);
	b->nfound += added;
	if (!f) {
		log_err("mdns: out of memory for the service '%s'", name);
		return;
	}
	if (f->c.kind == MDNS_PENDING && !f->resolver)
		resolve(b, f, s);
	else if (s->subtype && f->c.kind == MDNS_DDC) {
		f->c.kind = MDNS_CDC;
		act(b, f);
	}
}

static void browsed(AvahiServiceBrowser *sb, AvahiIfIndex iface, AvahiProtocol proto,
		    AvahiBrowserEvent ev, const char *name, const char *domain, void *arg,
		    bool subtype)
{
	struct mdns_browse *b = arg;
	struct mdns_sighting s = {iface, proto, subtype};
	struct mdns_found *f;

	switch (ev) {
	case AVAHI_BROWSER_NEW:
		if (interface_wanted(b, iface))
			seen(b, name, domain, &s);
		break;
	case AVAHI_BROWSER_REMOVE: /* a goodbye packet, or its record expired */
		f = mdns_index_lose(&b->index, name, MDNS_SERVICE_TYPE, domain, &s);
		if (f)
			forget(b, f);
		break;
	case AVAHI_BROWSER_FAILURE:
		log_err("mdns: browsing failed: %s",
			avahi_strerror(avahi_client_errno(avahi_service_browser_get_client(sb))));
		schedule_retry(b);
		break;
	case AVAHI_BROWSER_CACHE_EXHAUSTED:
	case AVAHI_BROWSER_ALL_FOR_NOW:
		break;
	}
}

static void browse_all_cb(AvahiServiceBrowser *sb, AvahiIfIndex iface, AvahiProtocol proto,
			  AvahiBrowserEvent ev, const char *name, const char *type,
			  const char *domain, AvahiLookupResultFlags flags, void *arg)
{
	(void)type;
	(void)flags;
	browsed(sb, iface, proto, ev, name, domain, arg, false);
}

static void browse_cdc_cb(AvahiServiceBrowser *sb, AvahiIfIndex iface, AvahiProtocol proto,
			  AvahiBrowserEvent ev, const char *name, const char *type,
			  const char *domain, AvahiLookupResultFlags flags, void *arg)
{
	(void)type;
	(void)flags;
	browsed(sb, iface, proto, ev, name, domain, arg, true);
}

/* ---- the avahi client ---- */

/* Everything found goes with the browsers: avahi reports it again once they are back. */
static void drop_browsers(struct mdns_browse *b)
{
	struct mdns_found *f, *next;

	RB_FOREACH_SAFE(f, mdns_index, &b->index, next)
	{
		forget(b, f);
	}
	if (b->all)
		avahi_service_browser_free(b->all);
	if (b->cdc)
		avahi_service_browser_free(b->cdc);
	b->all = b->cdc = NULL;
}

static void drop_client(struct mdns_browse *b)
{
	drop_browsers(b);
	if (b->client)
		avahi_client_free(b->client);
	b->client = NULL;
}

static void start_browsers(struct mdns_browse *b, AvahiClient *c)
{
	if (b->all)
		return;
	b->all = avahi_service_browser_new(c, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC,
					   MDNS_SERVICE_TYPE, NULL, 0, browse_all_cb, b);
	if (b->all)
		b->cdc = avahi_service_browser_new(c, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC,
						   MDNS_CDC_SUBTYPE, NULL, 0, browse_cdc_cb, b);
	if (b->cdc) {
		b->attempt = 0;
		return;
	}
	log_err("mdns: cannot browse " MDNS_SERVICE_TYPE ": %s",
		avahi_strerror(avahi_client_errno(c)));
	schedule_retry(b);
}

static void client_cb(AvahiClient *c, AvahiClientState st, void *arg)
{
	struct mdns_browse *b = arg;

	switch (st) {
	case AVAHI_CLIENT_S_RUNNING:
		start_browsers(b, c);
		break;
	case AVAHI_CLIENT_CONNECTING:
		/* avahi-daemon is gone or not there yet (publish.c says so in the log). */
		drop_browsers(b);
		break;
	case AVAHI_CLIENT_FAILURE:
		drop_browsers(b);
		schedule_retry(b);
		break;
	case AVAHI_CLIENT_S_COLLISION:
	case AVAHI_CLIENT_S_REGISTERING:
		break;
	}
}

static void connect_avahi(struct mdns_browse *b)
{
	int err = 0;

	/* With NO_FAIL, avahi itself waits for a missing avahi-daemon; only a missing system
	 * bus fails here, and is retried with backoff. */
	b->client =
		avahi_client_new(mdns_poll_get(b->poll), AVAHI_CLIENT_NO_FAIL, client_cb, b, &err);
	if (!b->client)
		schedule_retry(b);
}

static void schedule_retry(struct mdns_browse *b)
{
	unsigned int ms = mdns_backoff_ms(b->attempt);
	struct timeval tv = {ms / 1000, (suseconds_t)(ms % 1000) * 1000};

	if (evtimer_pending(b->retry, NULL))
		return;
	b->attempt++;
	evtimer_add(b->retry, &tv);
}

static void retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct mdns_browse *b = arg;

	(void)fd;
	(void)what;
	/* Here, not in avahi's callback: the client is freed outside its own code. */
	drop_client(b);
	connect_avahi(b);
}

/* ---- the module's interface ---- */

int mdns_browse_new(struct event_base *base, const char *own_nqn, mdns_candidate_fn *candidate,
		    void *arg, struct mdns_browse **out)
{
	struct mdns_browse *b = calloc(1, sizeof(*b));

	if (!b)
		return -ENOMEM;
	b->base = base;
	b->candidate = candidate;
	b->arg = arg;
	b->rl = (struct ratelimit)RATELIMIT_INIT(10, 20);
	RB_INIT(&b->index);
	snprintf(b->own_nqn, sizeof(b->own_nqn), "%s", own_nqn ? own_nqn : "");
	b->retry = evtimer_new(base, retry_cb, b);
	if (!b->retry || mdns_poll_new(base, &b->poll) < 0) {
		mdns_browse_free(b);
		return -ENOMEM;
	}
	*out = b;
	return 0;
}

static bool same_interfaces(const struct cdc_mdns_config *a, const struct cdc_mdns_config *b)
{
	if (a->ninterfaces != b->ninterfaces)
		return false;
	for (size_t i = 0; i < a->ninterfaces; i++)
		if (strcmp(a->interfaces[i], b->interfaces[i]))
			return false;
	return true;
}

/* A policy change hands the candidates already found to the hook, or takes them back. */
static void set_policy(struct mdns_browse *b, enum cdc_mdns_browse policy)
{
	struct mdns_found *f;

	RB_FOREACH(f, mdns_index, &b->index)
	{
		if (policy != CDC_BROWSE_AUTO)
			withdraw(b, f);
	}
	b->cfg.browse = policy;
	RB_FOREACH(f, mdns_index, &b->index)
	{
		if (f->c.kind == MDNS_DDC)
			announce(b, f, true);
	}
}

void mdns_browse_configure(struct mdns_browse *b, const struct cdc_mdns_config *cfg)
{
	bool want = cfg->enable && cfg->browse != CDC_BROWSE_OFF;

	if (b->running && (!want || !same_interfaces(cfg, &b->cfg))) {
		/* Browsing again from scratch finds what the new interfaces hold. */
		evtimer_del(b->retry);
		drop_client(b);
		b->attempt = 0;
		b->running = false;
	}
	if (b->running)
		set_policy(b, cfg->browse);
	b->cfg = *cfg;
	if (want && !b->running) {
		b->running = true;
		connect_avahi(b);
	}
}

static struct json_object *found_json(const struct mdns_found *f)
{
	struct json_object *o = json_object_new_object();
	char ifname[IF_NAMESIZE] = "";

	if (f->c.ifindex < 0 || !if_indextoname((unsigned int)f->c.ifindex, ifname))
		snprintf(ifname, sizeof(ifname), "#%d", f->c.ifindex);
	json_object_object_add(o, "instance", json_object_new_string(f->c.name));
	json_object_object_add(o, "kind", json_object_new_string(mdns_kind_name(f->c.kind)));
	json_object_object_add(o, "address", json_object_new_string(f->c.address));
	json_object_object_add(o, "port", json_object_new_int(f->c.port));
	json_object_object_add(o, "nqn", json_object_new_string(f->c.nqn));
	json_object_object_add(o, "interface", json_object_new_string(ifname));
	return o;
}

struct json_object *mdns_browse_json(const struct mdns_browse *b)
{
	struct json_object *a = json_object_new_array();
	struct mdns_found *f;

	/* RB_FOREACH takes a non-const head; the walk does not change it. */
	RB_FOREACH(f, mdns_index, (struct mdns_index *)&b->index)
	{
		if (f->c.kind == MDNS_DDC || f->c.kind == MDNS_CDC)
			json_object_array_add(a, found_json(f));
	}
	return a;
}

void mdns_browse_free(struct mdns_browse *b)
{
	if (!b)
		return;
	struct mdns_found *f;

	/* The hook's owner is going too: forget() calls no hook on the way out. */
	RB_FOREACH(f, mdns_index, &b->index)
	{
		f->announced = false;
	}
	drop_client(b);
	if (b->retry)
		event_free(b->retry);
	mdns_poll_free(b->poll);
	free(b);
}
