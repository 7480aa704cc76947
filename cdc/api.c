/* api.c - the control API. Requests are routed by path under /v1; reads are answered
 * from the in-memory model at once, changes are handed to the registry and answered when
 * it committed them. Errors are {"error", "detail"} with the HTTP status that fits. */
#include "api.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <grp.h>
#include <json-c/json.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "browse.h"
#include "disc_json.h"
#include "disc_log.h"
#include "health.h"
#include "host_auth.h"
#include "log.h"
#include "metrics.h"
#include "publish.h"
#include "pull.h"
#include "reg_auth.h"
#include "status_page.h"
#include "store.h"
#include "zone_json.h"

#define MAX_SEGMENTS 8

struct pending;

/* One client connection. libevent 2.1 has no hook when a request begins (evhttp_set_newreqcb
 * came in 2.2), so the deadline starts when the connection is accepted: evhttp asks us for
 * its bufferevent then. Every reply closes the connection, so that is when the one request
 * it carries begins. Our reference on the bufferevent keeps it readable should evhttp free
 * the connection without telling us: its callbacks are gone then. */
struct api_conn {
	LIST_ENTRY(api_conn) link;
	struct api *api;
	struct bufferevent *bev;
	struct event *timer;	 /* first conn_adopt(), then the request's deadline */
	bool adopted, watched;	 /* watched: evhttp calls conn_closed_cb() when it frees it */
	struct pending *pending; /* an admin change the registry has not completed yet */
};

struct api {
	struct event_base *base;
	struct evhttp *http;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	const struct cdc_config *cfg;
	struct registry *reg;
	struct fabric *f;
	struct disc_svc *svc;
	const struct cdc_server *srv;
	const struct mdns_pub *mdns;
	struct pull *pull;
	const struct health *health;
	const struct mdns_browse *found;
	time_t started;
	double started_real; /* with its fraction, for cdcd_start_time_seconds */
	struct evhttp *web;  /* http-listen: the read-only routes only; NULL when off */
	char web_addr[sizeof(((struct cdc_listen *)0)->text)];
	LIST_HEAD(, api_conn) conns;
};

struct route {
	enum evhttp_cmd_type method;
	char *seg[MAX_SEGMENTS];
	int nseg;
	struct evkeyvalq query;
	struct json_object *body;
};

/* ---- replies ---- */

/* One request per connection: the deadline of struct api_conn covers exactly one. */
static void send_reply(struct evhttp_request *req, int code, const char *reason, struct evbuffer *b)
{
	evhttp_add_header(evhttp_request_get_output_headers(req), "Connection", "close");
	evhttp_send_reply(req, code, reason, b);
}

static void reply_json(struct evhttp_request *req, int code, struct json_object *o)
{
	struct evbuffer *b = evbuffer_new();
	const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);

	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
			  "application/json");
	evbuffer_add(b, text, strlen(text));
	send_reply(req, code, NULL, b);
	evbuffer_free(b);
	json_object_put(o);
}

/* Length of the well-formed UTF-8 sequence at s (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF), or 0. Stops at the NUL, which is never a
 * continuation byte. */
static size_t utf8_seq_len(const unsigned char *s)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t n;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0; /* overlong */
	else if (c == 0xed)
		hi = 0x9f; /* surrogates */
	else if (c == 0xf0)
		lo = 0x90; /* overlong */
	else if (c == 0xf4)
		hi = 0x8f; /* above U+10FFFF */
	for (size_t i = 1; i < n; i++, lo = 0x80, hi = 0xbf)
		if (s[i] < lo || s[i] > hi)
			return 0;
	return n;
}

/* A JSON string of s. What peers send (ENAME, EVER, symbolic names) and what a path
 * carries may be any bytes, and json-c writes them as they are: each byte that does not
 * start a well-formed UTF-8 sequence becomes U+FFFD, so that a reply is always UTF-8. */
static struct json_object *json_text(const char *s)
{
	static const char replacement[] = "\xef\xbf\xbd";
	const unsigned char *p = (const unsigned char *)s;
	size_t bad = 0, len = strlen(s), n;

	for (size_t i = 0; i < len; i += n ? n : 1)
		bad += (n = utf8_seq_len(p + i)) == 0;
	if (!bad)
		return json_object_new_string(s);
	char *out = malloc(len + 2 * bad + 1), *o = out;
	if (!out)
		return json_object_new_string("");
	for (size_t i = 0; i < len; i += n ? n : 1) {
		n = utf8_seq_len(p + i);
		if (n) {
			memcpy(o, s + i, n);
			o += n;
		} else {
			memcpy(o, replacement, 3);
			o += 3;
		}
	}
	*o = 0;
	struct json_object *j = json_object_new_string(out);
	free(out);
	return j;
}

static void reply_error(struct evhttp_request *req, int code, const char *error, const char *detail)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "error", json_text(error));
	json_object_object_add(o, "detail", json_text(detail ? detail : ""));
	reply_json(req, code, o);
}

/* An NQN taken from the path: answered 400 here when it is not one, rather than cut to
 * the width of the field it is copied to (which would name another NQN). */
static bool path_nqn_ok(struct evhttp_request *req, const char *nqn)
{
	if (nqn_is_valid(nqn))
		return true;
	reply_error(req, HTTP_BADREQUEST, "invalid NQN",
		    strlen(nqn) > CDC_NQN_MAX ? "longer than 223 bytes" : nqn);
	return false;
}

static const char *source_str(uint8_t source)
{
	static const char *const names[] = {"config", "dim",	   "implicit",
					    "pull",   "kickstart", "admin"};

	return source < sizeof(names) / sizeof(names[0]) ? names[source] : "unknown";
}

static void add_str(struct json_object *o, const char *key, const char *v)
{
	json_object_object_add(o, key, json_text(v));
}

static void add_int(struct json_object *o, const char *key, int64_t v)
{
	json_object_object_add(o, key, json_object_new_int64(v));
}

/* ---- reads ---- */

static struct json_object *host_json(const struct fabric *f, const struct host_rec *h)
{
	struct json_object *o = json_object_new_object();
	char id[40];
	const uint8_t *u = h->hostid;

	snprintf(id, sizeof(id),
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1],
		 u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14],
		 u[15]);
	add_str(o, "hostnqn", h->hostnqn);
	add_str(o, "hostid", id);
	add_str(o, "trtype", addr_trtype_str(h->trtype));
	add_str(o, "adrfam", addr_adrfam_str(h->adrfam));
	add_str(o, "traddr", h->traddr);
	add_str(o, "symname", h->symname);
	add_str(o, "source", source_str(h->source));
	json_object_object_add(o, "connected",
			       json_object_new_boolean(fabric_connected(f, h->hostnqn)));
	return o;
}

static struct json_object *hosts_json(struct api *api)
{
	struct json_object *a = json_object_new_array();

	for (const struct host_rec *h = fabric_host_next(api->f, NULL); h;
	     h = fabric_host_next(api->f, h))
		json_object_array_add(a, host_json(api->f, h));
	return a;
}

static void get_hosts(struct api *api, struct evhttp_request *req)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "hosts", hosts_json(api));
	reply_json(req, HTTP_OK, o);
}

static struct json_object *entity_json(const struct entity *e)
{
	static const char *const etypes[] = {"subsystem", "host", "ddc", "cdc"};
	struct json_object *o = json_object_new_object();

	add_str(o, "etype", e->etype < 4 ? etypes[e->etype] : "unknown");
	add_str(o, "source", source_str(e->source));
	add_str(o, "ename", e->ename);
	add_str(o, "ever", e->ever);
	add_int(o, "first_seen", e->first_seen);
	add_int(o, "last_seen", e->last_seen);
	return o;
}

/* What a host authenticates with, and where that is set: whether there is a key, never the
 * key. NULL when the host has no settings. */
static struct json_object *auth_json(const struct api *api, const char *nqn)
{
	bool file;
	const struct auth_host *h =
		host_auth_lookup(api->svc->auth_keys, api->svc->auth_db, nqn, &file);

	if (!h)
		return NULL;
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "key", json_object_new_boolean(h->key.len != 0));
	json_object_object_add(o, "ctrl_key", json_object_new_boolean(h->has_ctrl_key));
	json_object_object_add(o, "require", json_object_new_boolean(h->require));
	add_str(o, "source", file ? "file" : "store");
	return o;
}

static void get_host(struct api *api, struct evhttp_request *req, const char *nqn)
{
	struct json_object *o = json_object_new_object(), *a = json_object_new_array();
	const struct entity *e = fabric_entity_find(api->f, nqn);

	if (!path_nqn_ok(req, nqn)) {
		json_object_put(o);
		json_object_put(a);
		return;
	}
	for (const struct host_rec *h = fabric_host_next_of(api->f, nqn, NULL); h;
	     h = fabric_host_next_of(api->f, nqn, h))
		json_object_array_add(a, host_json(api->f, h));
	struct json_object *auth = auth_json(api, nqn);
	if (!e && !json_object_array_length(a) && !auth) {
		json_object_put(o);
		json_object_put(a);
		reply_error(req, HTTP_NOTFOUND, "no such host", nqn);
		return;
	}
	add_str(o, "hostnqn", nqn);
	json_object_object_add(o, "connected",
			       json_object_new_boolean(fabric_connected(api->f, nqn)));
	json_object_object_add(o, "entity", e ? entity_json(e) : NULL);
	json_object_object_add(o, "addresses", a);
	json_object_object_add(o, "auth", auth);
	reply_json(req, HTTP_OK, o);
}

static void get_host_auth(struct api *api, struct evhttp_request *req, const char *nqn)
{
	struct json_object *auth;

	if (!path_nqn_ok(req, nqn))
		return;
	auth = auth_json(api, nqn);
	if (auth)
		reply_json(req, HTTP_OK, auth);
	else
		reply_error(req, HTTP_NOTFOUND, "no DH-HMAC-CHAP settings", nqn);
}

/* The log a host is served, through the view the wire serves it (with zoning, the entries
 * its zones grant; ?traddr= names the address it connects from, for address members); the
 * self entries are those of the listeners with a concrete address. */
static void get_host_log(struct api *api, struct evhttp_request *req, struct route *rt,
			 const char *nqn)
{
	const char *traddr = evhttp_find_header(&rt->query, "traddr");
	struct cdc_port addr = {.trtype = NVMF_TRTYPE_TCP};
	struct nvmf_disc_log_entry self[DISC_MAX_SELF];
	struct json_object *o = json_object_new_object(), *a = json_object_new_array();

	if (!path_nqn_ok(req, nqn)) {
		json_object_put(o);
		json_object_put(a);
		return;
	}
	/* The host's own view, the one the discovery controller serves it. */
	if (traddr) {
		snprintf(addr.traddr, sizeof(addr.traddr), "%s", traddr);
		if (strlen(traddr) > CDC_TRADDR_MAX ||
		    addr_traddr_canon(&addr.adrfam, addr.traddr, sizeof(addr.traddr)) < 0) {
			json_object_put(o);
			json_object_put(a);
			reply_error(req, HTTP_BADREQUEST, "invalid traddr", traddr);
			return;
		}
	}
	const struct view *view = fabric_host_view(api->f, nqn, traddr ? &addr : NULL);
	if (!view && api->f->view70) {
		json_object_put(o);
		json_object_put(a);
		reply_error(req, HTTP_INTERNAL, "out of memory", "the host's view");
		return;
	}
	size_t n = disc_svc_self_entries(api->svc, NULL, self, DISC_MAX_SELF);
	add_int(o, "genctr", (int64_t)(view ? view->genctr : api->f->genctr));
	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, disc_entry_json(&self[i]));
	for (size_t i = 0; view && i < view->nentries; i++)
		json_object_array_add(a, disc_entry_json(view_entry(view, i)));
	json_object_object_add(o, "records", a);
	reply_json(req, HTTP_OK, o);
}

/* The port of a record as shown under its subsystem, with what health probing says of its
 * address (the configuration's entries are not probed). */
static struct json_object *rec_port_json(const struct api *api, const struct log_rec *r)
{
	struct json_object *o = disc_port_json(&r->port);
	struct health_info hi = {HEALTH_UNKNOWN, 0, 0};

	json_object_object_add(
		o, "ncc",
		json_object_new_boolean(r->owner[0] && !fabric_connected(api->f, r->owner)));
	add_str(o, "source", source_str(r->source));
	if (r->source != REG_CONFIG)
		health_port_info(api->health, &r->port, &hi);
	add_str(o, "health", health_state_name(hi.state));
	json_object_object_add(o, "last_probe",
			       hi.last_probe ? json_object_new_int64(hi.last_probe) : NULL);
	return o;
}

static struct json_object *subsys_get(struct json_object *by, const char *nqn, uint8_t source,
				      const char *owner)
{
	struct json_object *s;

	if (json_object_object_get_ex(by, nqn, &s))
		return s;
	s = json_object_new_object();
	add_str(s, "nqn", nqn);
	add_str(s, "source", source_str(source));
	add_str(s, "owner", owner);
	json_object_object_add(s, "ports", json_object_new_array());
	json_object_object_add(by, nqn, s);
	return s;
}

static void subsys_add_rec(struct json_object *by, const struct api *api, const struct log_rec *r)
{
	struct json_object *s = subsys_get(by, r->subnqn, r->source, r->owner), *ports;

	json_object_object_get_ex(s, "ports", &ports);
	json_object_array_add(ports, rec_port_json(api, r));
}

/* Every subsystem, keyed by NQN: configured, declared by the admin, registered. */
static struct json_object *subsystems_by_nqn(const struct api *api)
{
	const struct fabric *f = api->f;
	struct json_object *by = json_object_new_object();

	for (size_t i = 0; i < f->ncfg; i++)
		if (f->cfg_recs[i].subtype == NVME_NQN_NVME)
			subsys_add_rec(by, api, &f->cfg_recs[i]);
	for (const struct entity *e = fabric_entity_next(f, NULL); e; e = fabric_entity_next(f, e))
		if (e->etype == ENTITY_SUBSYSTEM)
			subsys_get(by, e->nqn, REG_ADMIN, "");
	for (const struct log_rec *r = fabric_rec_next(f, NULL); r; r = fabric_rec_next(f, r))
		if (r->subtype == NVME_NQN_NVME)
			subsys_add_rec(by, api, r);
	return by;
}

static struct json_object *subsystems_json(struct api *api)
{
	struct json_object *by = subsystems_by_nqn(api), *a = json_object_new_array();

	json_object_object_foreach(by, key, val)
	{
		(void)key;
		json_object_array_add(a, json_object_get(val));
	}
	json_object_put(by);
	return a;
}

static void get_subsystems(struct api *api, struct evhttp_request *req)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "subsystems", subsystems_json(api));
	reply_json(req, HTTP_OK, o);
}

static void get_subsystem(struct api *api, struct evhttp_request *req, const char *nqn)
{
	struct json_object *by, *s;

	if (!path_nqn_ok(req, nqn))
		return;
	by = subsystems_by_nqn(api);
	if (!json_object_object_get_ex(by, nqn, &s)) {
		json_object_put(by);
		reply_error(req, HTTP_NOTFOUND, "no such subsystem", nqn);
		return;
	}
	json_object_get(s);
	json_object_put(by);
	reply_json(req, HTTP_OK, s);
}

static struct json_object *referral_json(const struct log_rec *r)
{
	struct json_object *o = disc_port_json(&r->port);

	add_str(o, "nqn", r->subnqn);
	add_str(o, "source", source_str(r->source));
	return o;
}

static struct json_object *referrals_json(struct api *api)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; i < api->f->ncfg; i++)
		if (api->f->cfg_recs[i].subtype == NVME_NQN_DISC)
			json_object_array_add(a, referral_json(&api->f->cfg_recs[i]));
	for (const struct log_rec *r = fabric_subsys_next(api->f, NVME_NQN_DISC, NULL, NULL); r;
	     r = fabric_subsys_next(api->f, NVME_NQN_DISC, NULL, r))
		json_object_array_add(a, referral_json(r));
	return a;
}

static void get_referrals(struct api *api, struct evhttp_request *req)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "referrals", referrals_json(api));
	reply_json(req, HTTP_OK, o);
}

static struct json_object *connections_json(struct api *api)
{
	struct json_object *a = json_object_new_array();

	for (struct disc_ctrl *c = disc_svc_next(api->svc, NULL); c;
	     c = disc_svc_next(api->svc, c)) {
		struct disc_ctrl_info in;
		disc_ctrl_get_info(c, &in);
		if (!in.connected)
			continue;
		struct json_object *j = json_object_new_object();
		add_int(j, "cntlid", in.cntlid);
		add_str(j, "hostnqn", in.hostnqn);
		add_str(j, "subnqn", in.subnqn);
		add_str(j, "peer", in.peer);
		add_int(j, "kato", in.kato);
		json_object_object_add(j, "persistent", json_object_new_boolean(in.kato != 0));
		add_int(j, "aers", in.aers);
		add_int(j, "since", in.since);
		json_object_array_add(a, j);
	}
	return a;
}

static void get_connections(struct api *api, struct evhttp_request *req)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "connections", connections_json(api));
	reply_json(req, HTTP_OK, o);
}

static struct json_object *status_json(struct api *api)
{
	struct json_object *o = json_object_new_object(), *l = json_object_new_array();
	struct json_object *c = json_object_new_object(), *by = subsystems_by_nqn(api);
	size_t ports = 0, referrals = 0, conns = 0;

	for (size_t i = 0; i < api->f->ncfg; i++) {
		ports += api->f->cfg_recs[i].subtype == NVME_NQN_NVME;
		referrals += api->f->cfg_recs[i].subtype == NVME_NQN_DISC;
	}
	for (const struct log_rec *r = fabric_rec_next(api->f, NULL); r;
	     r = fabric_rec_next(api->f, r)) {
		ports += r->subtype == NVME_NQN_NVME;
		referrals += r->subtype == NVME_NQN_DISC;
	}
	for (struct disc_ctrl *d = disc_svc_next(api->svc, NULL); d;
	     d = disc_svc_next(api->svc, d)) {
		struct disc_ctrl_info in;
		disc_ctrl_get_info(d, &in);
		conns += in.connected;
	}
	add_str(o, "version", PACKAGE_VERSION);
	add_str(o, "nqn", api->svc->nqn);
	add_int(o, "uptime", (int64_t)(time(NULL) - api->started));
	add_int(o, "genctr", (int64_t)api->f->genctr);
	for (size_t i = 0; i < api->cfg->nlisten; i++)
		json_object_array_add(l, json_text(api->cfg->listen[i].text));
	json_object_object_add(o, "listeners", l);
	add_int(c, "entities", (int64_t)api->f->nents);
	add_int(c, "hosts", (int64_t)api->f->nhosts);
	add_int(c, "subsystems", json_object_object_length(by));
	add_int(c, "ports", (int64_t)ports);
	add_int(c, "referrals", (int64_t)referrals);
	add_int(c, "connections", (int64_t)conns);
	add_int(c, "paths_down", (int64_t)api->f->ndown); /* withheld by path health */
	json_object_object_add(o, "counts", c);
	if (api->mdns) {
		struct json_object *m = mdns_pub_json(api->mdns);
		const struct cdc_mdns_config *mc = &api->cfg->mdns;
		/* "found" only while browsing: an empty list would say nobody is there. */
		json_object_object_add(m, "browse",
				       json_object_new_string(config_mdns_browse_name(
					       mc->enable ? mc->browse : CDC_BROWSE_OFF)));
		if (api->found && mc->enable && mc->browse != CDC_BROWSE_OFF)
			json_object_object_add(m, "found", mdns_browse_json(api->found));
		json_object_object_add(o, "mdns", m);
	}
	json_object_put(by);
	return o;
}

static void get_status(struct api *api, struct evhttp_request *req)
{
	reply_json(req, HTTP_OK, status_json(api));
}

static int journal_cb(void *arg, const struct journal_entry *j)
{
	struct json_object *o = json_object_new_object();

	add_int(o, "id", j->id);
	add_int(o, "when", j->when);
	add_str(o, "actor", j->actor);
	add_str(o, "peer", j->peer);
	add_str(o, "action", j->action);
	add_str(o, "detail", j->detail);
	json_object_array_add(arg, o);
	return 0;
}

static bool query_number(struct route *rt, const char *key, long min, long max, long *out)
{
	const char *v = evhttp_find_header(&rt->query, key);
	char *end;

	if (!v)
		return true;
	long n = strtol(v, &end, 10);
	if (!*v || *end || n < min || n > max)
		return false;
	*out = n;
	return true;
}

static void get_changes(struct api *api, struct evhttp_request *req, struct route *rt)
{
	long since = 0, limit = 100;

	if (!query_number(rt, "since", 0, LONG_MAX, &since) ||
	    !query_number(rt, "limit", 1, 1000, &limit)) {
		reply_error(req, HTTP_BADREQUEST, "bad query", "since >= 0, limit 1..1000");
		return;
	}
	struct json_object *o = json_object_new_object(), *a = json_object_new_array();
	int n = store_journal_read(registry_store(api->reg), since, (int)limit, journal_cb, a);
	if (n < 0) {
		json_object_put(o);
		json_object_put(a);
		reply_error(req, HTTP_SERVUNAVAIL, "store unavailable", strerror(-n));
		return;
	}
	int64_t next = since;
	if (n > 0) {
		struct json_object *last = json_object_array_get_idx(a, (size_t)n - 1), *id;
		json_object_object_get_ex(last, "id", &id);
		next = json_object_get_int64(id);
	}
	json_object_object_add(o, "changes", a);
	add_int(o, "next", next);
	reply_json(req, HTTP_OK, o);
}

/* ---- the metrics and the status page ---- */

#define PAGE_CHANGES 20 /* journal entries the status page shows */

static void reply_text(struct evhttp_request *req, const char *type, const char *text, size_t len)
{
	struct evbuffer *b = evbuffer_new();

	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", type);
	/* The page is read-only and self-contained: nothing from elsewhere may run in it. */
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Security-Policy",
			  "default-src 'none'; style-src 'unsafe-inline'");
	evhttp_add_header(evhttp_request_get_output_headers(req), "Cache-Control", "no-store");
	evbuffer_add(b, text, len);
	send_reply(req, HTTP_OK, NULL, b);
	evbuffer_free(b);
}

/* Renders into memory first: a renderer that fails halfway sends a 500, not half a page. */
static void reply_rendered(struct evhttp_request *req, const char *type,
			   int (*render)(const void *arg, FILE *out), const void *arg)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	int err = out ? render(arg, out) : -ENOMEM;

	if (out && fclose(out) && !err)
		err = -ENOMEM;
	if (err)
		reply_error(req, HTTP_INTERNAL, "cannot render", strerror(-err));
	else
		reply_text(req, type, text, len);
	free(text);
}

static int render_metrics(const void *arg, FILE *out)
{
	return metrics_render(arg, out);
}

static void get_metrics(struct api *api, struct evhttp_request *req)
{
	struct metrics_snapshot m = {.version = PACKAGE_VERSION,
				     .start_time = api->started_real,
				     .genctr = api->f->genctr,
				     .hgenctr = api->f->hgenctr,
				     .zoned_views = fabric_zone_nviews(api->f),
				     .registry = registry_get_stats(api->reg)};

	struct pull_stats pull;

	server_get_stats(api->srv, &m.server);
	disc_svc_get_stats(api->svc, &m.disc);
	if (api->pull) {
		pull_get_stats(api->pull, &pull);
		m.pull = &pull;
	}
	if (api->health)
		health_get_stats(api->health, &m.health);
	reply_rendered(req, METRICS_CONTENT_TYPE, render_metrics, &m);
}

/* The newest few entries of the journal, oldest first; none when the store cannot say. */
static struct json_object *recent_changes(struct api *api)
{
	struct json_object *a = json_object_new_array();
	int64_t last = 0;

	if (store_journal_last(registry_store(api->reg), &last) == 0)
		store_journal_read(registry_store(api->reg),
				   last > PAGE_CHANGES ? last - PAGE_CHANGES : 0, PAGE_CHANGES,
				   journal_cb, a);
	return a;
}

static int render_page(const void *arg, FILE *out)
{
	return status_page_render((struct json_object *)arg, out);
}

static void get_page(struct api *api, struct evhttp_request *req)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "status", status_json(api));
	json_object_object_add(o, "subsystems", subsystems_json(api));
	json_object_object_add(o, "hosts", hosts_json(api));
	json_object_object_add(o, "referrals", referrals_json(api));
	json_object_object_add(o, "connections", connections_json(api));
	json_object_object_add(o, "changes", recent_changes(api));
	reply_rendered(req, "text/html; charset=utf-8", render_page, o);
	json_object_put(o);
}

/* ---- changes ---- */

struct pending {
	struct evhttp_request *req; /* NULL once the client went away */
	struct api_conn *conn;
	struct admin_req a;
	struct zoning_req z; /* for a zoning change */
};

static void admin_done(void *arg, int err)
{
	struct pending *p = arg;
	struct evhttp_request *req = p->req;

	if (!req) {
		free(p);
		return;
	}
	p->conn->pending = NULL;
	bool add = p->a.op == ADMIN_SUBSYS_ADD || p->a.op == ADMIN_PORT_ADD ||
		   p->a.op == ADMIN_REFERRAL_ADD;
	if (err == 0 && add) {
		struct json_object *o = p->a.op == ADMIN_SUBSYS_ADD ? json_object_new_object()
								    : disc_port_json(&p->a.port);
		add_str(o, "nqn", p->a.nqn);
		reply_json(req, 201, o);
	} else if (err == 0) {
		send_reply(req, 204, "No Content", NULL);
	} else if (err == -EEXIST) {
		reply_error(req, 409, "already exists", p->a.nqn);
	} else if (err == -ENOENT) {
		reply_error(req, HTTP_NOTFOUND, "not found", p->a.nqn);
	} else if (err == -EPERM) {
		reply_error(req, 409, "defined in the configuration file",
			    "change it there and reload cdcd");
	} else if (err == -EBUSY) {
		reply_error(req, 409, "registered by a discovery controller",
			    "its DDC registers this subsystem's ports");
	} else {
		reply_error(req, HTTP_SERVUNAVAIL, "store unavailable", strerror(-err));
	}
	free(p);
}

static struct api_conn *conn_of(struct api *api, struct evhttp_request *req)
{
	struct bufferevent *bev =
		evhttp_connection_get_bufferevent(evhttp_request_get_connection(req));
	struct api_conn *c;

	LIST_FOREACH (c, &api->conns, link)
		if (c->bev == bev)
			return c;
	return NULL;
}

/* The pending request of req's connection, answered by a registry callback; NULL (and the
 * 500 sent) without memory. */
static struct pending *pending_new(struct api *api, struct evhttp_request *req)
{
	struct pending *p = calloc(1, sizeof(*p));
	struct api_conn *conn = conn_of(api, req);

	if (!p || !conn) {
		free(p);
		reply_error(req, HTTP_INTERNAL, "out of memory", NULL);
		return NULL;
	}
	p->req = req;
	p->conn = conn;
	conn->pending = p;
	return p;
}

/* The registry did not take p: nothing will answer it but this. */
static void pending_refused(struct pending *p)
{
	struct evhttp_request *req = p->req;

	p->conn->pending = NULL;
	free(p);
	reply_error(req, HTTP_INTERNAL, "out of memory", NULL);
}

static void admin_submit(struct api *api, struct evhttp_request *req, const struct admin_req *a)
{
	struct pending *p = pending_new(api, req);

	if (!p)
		return;
	p->a = *a;
	if (registry_admin(api->reg, a, admin_done, p) < 0)
		pending_refused(p);
}

/* Strings of a path or a body end at their first NUL in C: "admin1\0x" would name admin1.
 * Where the NUL came as \u0000, json-c keeps it in values but cuts keys short, so the body
 * text is scanned as a whole. */
static bool json_text_has_nul(const char *s, size_t len)
{
	bool in_string = false;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\0')
			return true;
		if (!in_string) {
			in_string = s[i] == '"';
		} else if (s[i] == '\\') {
			if (i + 5 < len && s[i + 1] == 'u' && !memcmp(s + i + 2, "0000", 4))
				return true;
			i++;
		} else if (s[i] == '"') {
			in_string = false;
		}
	}
	return false;
}

/* Fields a body may carry, and where they go in a port string of cdcd.conf's syntax. */
static int body_port(struct json_object *body, const char *svc, bool referral, struct admin_req *a,
		     char *err, size_t errlen)
{
	static const char *const keys[] = {"traddr", "trsvcid", "trtype", "adrfam",
					   "portid", "treq",	"nqn"};
	char spec[640];
	size_t off = 0;

	json_object_object_foreach(body, key, val)
	{
		bool known = false;
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			known |= !strcmp(key, keys[i]) && (i < 6 || referral);
		if (!known) {
			snprintf(err, errlen, "unknown field '%s'", key);
			return -EINVAL;
		}
		if (!json_object_is_type(val, json_type_string) &&
		    !json_object_is_type(val, json_type_int)) {
			snprintf(err, errlen, "field '%s' must be a string or a number", key);
			return -EINVAL;
		}
		const char *v = json_object_get_string(val);
		if (strpbrk(v, ";=")) {
			snprintf(err, errlen, "field '%s' has a bad value", key);
			return -EINVAL;
		}
		if (!strcmp(key, "nqn")) {
			if (!nqn_is_valid(v)) {
				snprintf(err, errlen, "invalid NQN '%.200s'", v);
				return -EINVAL;
			}
			snprintf(a->nqn, sizeof(a->nqn), "%s", v);
			continue;
		}
		off += (size_t)snprintf(spec + off, sizeof(spec) - off, "%s=%s;", key, v);
		if (off >= sizeof(spec))
			return -EINVAL;
	}
	return addr_parse_port(spec, svc, &a->port, err, errlen);
}

static void post_port(struct api *api, struct evhttp_request *req, struct route *rt,
		      const char *nqn, bool referral)
{
	struct admin_req a = {.op = referral ? ADMIN_REFERRAL_ADD : ADMIN_PORT_ADD};
	char err[256];

	if (!referral && !path_nqn_ok(req, nqn))
		return;
	snprintf(a.nqn, sizeof(a.nqn), "%s", referral ? NVME_DISC_SUBSYS_NAME : nqn);
	if (!rt->body ||
	    body_port(rt->body, referral ? "8009" : "4420", referral, &a, err, sizeof(err)) < 0) {
		reply_error(req, HTTP_BADREQUEST, "invalid port", rt->body ? err : "no JSON body");
		return;
	}
	admin_submit(api, req, &a);
}

static void del_port(struct api *api, struct evhttp_request *req, const char *nqn,
		     const char *traddr, const char *trsvcid, bool referral)
{
	struct admin_req a = {.op = referral ? ADMIN_REFERRAL_DEL : ADMIN_PORT_DEL};

	if (nqn && !path_nqn_ok(req, nqn))
		return;
	if (strlen(traddr) > CDC_TRADDR_MAX || strlen(trsvcid) > CDC_TRSVCID_MAX) {
		reply_error(req, HTTP_BADREQUEST, "invalid port", "traddr or trsvcid too long");
		return;
	}
	snprintf(a.nqn, sizeof(a.nqn), "%s", nqn ? nqn : NVME_DISC_SUBSYS_NAME);
	snprintf(a.port.traddr, sizeof(a.port.traddr), "%s", traddr);
	snprintf(a.port.trsvcid, sizeof(a.port.trsvcid), "%s", trsvcid);
	admin_submit(api, req, &a);
}

static void post_subsystem(struct api *api, struct evhttp_request *req, struct route *rt)
{
	struct json_object *nqn;
	struct admin_req a = {.op = ADMIN_SUBSYS_ADD};

	if (!rt->body || !json_object_object_get_ex(rt->body, "nqn", &nqn) ||
	    !json_object_is_type(nqn, json_type_string) ||
	    json_object_object_length(rt->body) != 1) {
		reply_error(req, HTTP_BADREQUEST, "invalid body", "expected {\"nqn\": \"...\"}");
		return;
	}
	const char *v = json_object_get_string(nqn);
	if (!nqn_is_valid(v) || !strcmp(v, NVME_DISC_SUBSYS_NAME)) {
		reply_error(req, HTTP_BADREQUEST, "invalid NQN", v);
		return;
	}
	snprintf(a.nqn, sizeof(a.nqn), "%s", v);
	admin_submit(api, req, &a);
}

static void del_named(struct api *api, struct evhttp_request *req, enum admin_op op,
		      const char *nqn)
{
	struct admin_req a = {.op = op};

	if (!path_nqn_ok(req, nqn))
		return;
	snprintf(a.nqn, sizeof(a.nqn), "%s", nqn);
	admin_submit(api, req, &a);
}

/* ---- hosts' DH-HMAC-CHAP settings ---- */

static void host_auth_done(void *arg, int err)
{
	struct pending *p = arg;
	struct evhttp_request *req = p->req;

	if (!req) {
		free(p);
		return;
	}
	p->conn->pending = NULL;
	struct json_object *auth = err ? NULL : auth_json(p->conn->api, p->a.nqn);
	if (err == 0 && auth)
		reply_json(req, HTTP_OK, auth);
	else if (err == 0)
		send_reply(req, 204, "No Content", NULL);
	else if (err == -EPERM)
		reply_error(req, 409, "defined in the keys file",
			    "change it in the dhchap-keys file and reload cdcd");
	else if (err == -ENOENT)
		reply_error(req, HTTP_NOTFOUND, "no stored DH-HMAC-CHAP key", p->a.nqn);
	else if (err == -EINVAL)
		reply_error(req, HTTP_BADREQUEST, "invalid key", p->a.nqn);
	else if (err == -ENOMEM)
		reply_error(req, HTTP_INTERNAL, "out of memory",
			    "stored; in force after a restart");
	else
		reply_error(req, HTTP_SERVUNAVAIL, "store unavailable", strerror(-err));
	free(p);
}

static void host_auth_submit(struct api *api, struct evhttp_request *req,
			     const struct host_auth_req *q)
{
	struct pending *p = pending_new(api, req);

	if (!p)
		return;
	snprintf(p->a.nqn, sizeof(p->a.nqn), "%s", q->h.nqn);
	if (registry_host_auth(api->reg, api->svc, q, host_auth_done, p) < 0)
		pending_refused(p);
}

/* Why a key was refused, in words that do not repeat it. */
static void bad_key(struct evhttp_request *req, const char *which, int err)
{
	char detail[128];

	snprintf(detail, sizeof(detail), "%s is %s", which,
		 err == -EBADMSG ? "damaged (CRC mismatch)"
				 : "not a DHHC-1 secret of 32, 48 or 64 bytes");
	reply_error(req, HTTP_BADREQUEST, "invalid key", detail);
}

/* The body's fields into q: "key" and "ctrl_key" (DHHC-1 text; ctrl_key null or absent:
 * none) set the keys, "require" (a boolean) alone changes only that. Returns false with
 * the 400 sent. */
static bool body_host_auth(struct evhttp_request *req, struct json_object *body,
			   struct host_auth_req *q)
{
	const char *key = NULL, *ctrl = NULL;
	bool has_ctrl = false;

	json_object_object_foreach(body, name, val)
	{
		bool text = json_object_is_type(val, json_type_string);
		if (!strcmp(name, "key") && text) {
			key = json_object_get_string(val);
		} else if (!strcmp(name, "ctrl_key") && (text || !val)) {
			ctrl = val ? json_object_get_string(val) : NULL;
			has_ctrl = true;
		} else if (!strcmp(name, "require") &&
			   json_object_is_type(val, json_type_boolean)) {
			q->require_set = true;
			q->require = json_object_get_boolean(val);
		} else {
			reply_error(req, HTTP_BADREQUEST, "invalid body",
				    "expected {\"key\": \"DHHC-1:...\", \"ctrl_key\": "
				    "\"DHHC-1:...\", \"require\": true}");
			return false;
		}
	}
	if (!key && (has_ctrl || !q->require_set)) {
		reply_error(req, HTTP_BADREQUEST, "invalid body",
			    has_ctrl ? "ctrl_key needs key" : "expected key or require");
		return false;
	}
	q->op = key ? HOST_AUTH_SET : HOST_AUTH_REQUIRE;
	if (!key)
		return true;
	const char *which;
	char nqn[sizeof(q->h.nqn)];
	memcpy(nqn, q->h.nqn, sizeof(nqn)); /* the parse starts by clearing q->h */
	int err = host_auth_parse(&q->h, nqn, key, ctrl, q->require, &which);
	if (err)
		bad_key(req, which, err);
	return !err;
}

/* The request's copies of the keys: the body as received and as json-c parsed it. */
static void wipe_request(struct evhttp_request *req, struct json_object *body)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	unsigned char *text = len ? evbuffer_pullup(in, -1) : NULL;

	if (text)
		OPENSSL_cleanse(text, len);
	json_object_object_foreach(body, name, val)
	{
		(void)name;
		if (json_object_is_type(val, json_type_string))
			OPENSSL_cleanse((char *)json_object_get_string(val),
					(size_t)json_object_get_string_len(val));
	}
}

static void put_host_auth(struct api *api, struct evhttp_request *req, struct route *rt,
			  const char *nqn)
{
	struct host_auth_req q = {0};
	bool ok = path_nqn_ok(req, nqn);

	if (ok && !rt->body) {
		reply_error(req, HTTP_BADREQUEST, "invalid body", "no JSON body");
		ok = false;
	}
	snprintf(q.h.nqn, sizeof(q.h.nqn), "%s", nqn);
	if (ok && body_host_auth(req, rt->body, &q))
		host_auth_submit(api, req, &q);
	if (rt->body)
		wipe_request(req, rt->body);
	OPENSSL_cleanse(&q, sizeof(q));
}

static void del_host_auth(struct api *api, struct evhttp_request *req, const char *nqn)
{
	struct host_auth_req q = {.op = HOST_AUTH_CLEAR};

	if (!path_nqn_ok(req, nqn))
		return;
	snprintf(q.h.nqn, sizeof(q.h.nqn), "%s", nqn);
	host_auth_submit(api, req, &q);
}

/* ---- zoning ---- */

/* The zoning request's answer: what it names, in words. */
static void zoning_done(void *arg, int err)
{
	struct pending *p = arg;
	struct evhttp_request *req = p->req;
	const struct zoning_req *z = &p->z;
	const char *what = z->alias[0] ? z->alias : z->zone[0] ? z->zone : z->group;
	bool create = z->op == ZONING_GROUP_CREATE || z->op == ZONING_ZONE_CREATE ||
		      z->op == ZONING_ALIAS_CREATE || z->op == ZONING_MEMBER_ADD;

	if (!req) {
		free(p);
		return;
	}
	p->conn->pending = NULL;
	if (err == 0 && create) {
		struct json_object *o = json_object_new_object();
		add_str(o, "name", what);
		reply_json(req, 201, o);
	} else if (err == 0) {
		send_reply(req, 204, "No Content", NULL);
	} else if (err == -EEXIST) {
		reply_error(req, 409, "already exists", what);
	} else if (err == -ENOENT) {
		reply_error(req, HTTP_NOTFOUND, "not found", what);
	} else if (err == -EROFS) {
		reply_error(req, 409, "defined in the configuration file", what);
	} else if (err == -EBUSY) {
		reply_error(req, 409, "zone group is active", "deactivate it first");
	} else if (err == -EINVAL) {
		reply_error(req, HTTP_BADREQUEST, "invalid", what);
	} else if (err == -ENOSPC) {
		reply_error(req, 409, "no zone group key left", what);
	} else {
		reply_error(req, HTTP_SERVUNAVAIL, "store unavailable", strerror(-err));
	}
	free(p);
}

static void zoning_submit(struct api *api, struct evhttp_request *req, const struct zoning_req *z)
{
	struct pending *p = pending_new(api, req);

	if (!p)
		return;
	p->z = *z;
	if (registry_zoning(api->reg, z, zoning_done, p) < 0)
		pending_refused(p);
}

/* A name from the path or a body into dst: false (and the 400 sent) when it does not fit. */
static bool name_into(struct evhttp_request *req, char *dst, size_t size, const char *name,
		      const char *what)
{
	if (!name || !*name || strlen(name) >= size) {
		reply_error(req, HTTP_BADREQUEST, "invalid name", what);
		return false;
	}
	memcpy(dst, name, strlen(name) + 1);
	return true;
}

/* Groups are named by the path, and by ?originator= when not the CDC's own. */
static bool zoning_group_of(struct api *api, struct evhttp_request *req, struct route *rt,
			    const char *group, struct zoning_req *z)
{
	const char *orig = evhttp_find_header(&rt->query, "originator");

	if (orig && (!nqn_is_valid(orig) || strlen(orig) >= sizeof(z->orig))) {
		reply_error(req, HTTP_BADREQUEST, "invalid NQN", orig);
		return false;
	}
	snprintf(z->orig, sizeof(z->orig), "%s", orig ? orig : api->svc->nqn);
	return name_into(req, z->group, sizeof(z->group), group, "zone group name");
}

static const char *body_name(struct route *rt)
{
	struct json_object *v;

	return rt->body && json_object_object_get_ex(rt->body, "name", &v) &&
			       json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v)
		       : NULL;
}

static bool body_member(struct evhttp_request *req, struct route *rt, bool in_alias,
			struct zoning_req *z)
{
	const char *why = "no JSON body";

	if (!rt->body || zone_member_parse(rt->body, in_alias, &z->member, &why)) {
		reply_error(req, HTTP_BADREQUEST, "invalid member", why);
		return false;
	}
	return true;
}

/* Who a group comes from: the file, the administrator (the CDC's own), or a DDC that
 * pushed it. */
static const char *group_source(const struct api *api, const struct zone_group *g)
{
	if (fabric_zonegroup_configured(api->f, g->orig, g->name))
		return "config";
	return strcmp(g->orig, api->svc->nqn) ? "ddc" : "admin";
}

static struct json_object *group_json(struct api *api, const struct zone_group *g)
{
	struct json_object *o =
		zone_group_json(g, zoning_active_find(&api->f->zoning, g->orig, g->name));

	add_str(o, "source", group_source(api, g));
	return o;
}

static struct json_object *groups_json(struct api *api)
{
	const struct zoning *zn = &api->f->zoning;
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; i < zn->ngroups; i++)
		json_object_array_add(a, group_json(api, zn->groups[i]));
	return a;
}

static void get_zonegroups(struct api *api, struct evhttp_request *req)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "enforced", json_object_new_boolean(api->f->zoning_on));
	add_str(o, "policy", api->f->zoning.policy == ZONE_POLICY_ALLOW ? "allow" : "deny");
	json_object_object_add(o, "zonegroups", groups_json(api));
	reply_json(req, HTTP_OK, o);
}

static void get_zonegroup(struct api *api, struct evhttp_request *req, struct route *rt,
			  const char *name)
{
	struct zoning_req z = {0};

	if (!zoning_group_of(api, req, rt, name, &z))
		return;
	const struct zone_group *g = zoning_group_find(&api->f->zoning, z.orig, z.group);
	if (!g) {
		reply_error(req, HTTP_NOTFOUND, "no such zone group", name);
		return;
	}
	reply_json(req, HTTP_OK, group_json(api, g));
}

/* Every zone of every configured group, flat. */
static void get_zones(struct api *api, struct evhttp_request *req)
{
	const struct zoning *zn = &api->f->zoning;
	struct json_object *o = json_object_new_object(), *a = json_object_new_array();

	for (size_t i = 0; i < zn->ngroups; i++) {
		const struct zone_group *g = zn->groups[i];
		bool active = zoning_active_find(zn, g->orig, g->name) != NULL;
		struct json_object *zs = zone_list_json(g->zones, g->nzones);
		for (size_t j = 0; j < g->nzones; j++) {
			struct json_object *z = json_object_get(json_object_array_get_idx(zs, j));
			add_str(z, "zonegroup", g->name);
			add_str(z, "originator", g->orig);
			add_str(z, "source", group_source(api, g));
			json_object_object_add(z, "active", json_object_new_boolean(active));
			json_object_array_add(a, z);
		}
		json_object_put(zs);
	}
	json_object_object_add(o, "zones", a);
	reply_json(req, HTTP_OK, o);
}

static void get_aliases(struct api *api, struct evhttp_request *req, const char *name)
{
	const struct zoning *zn = &api->f->zoning;
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; i < zn->naliases; i++) {
		const struct zone_alias *al = zn->aliases[i];
		if (name && strcmp(name, al->name))
			continue;
		struct json_object *o = json_object_new_object();
		add_str(o, "name", al->name);
		add_str(o, "source",
			fabric_zonealias_configured(api->f, al->name) ? "config" : "admin");
		json_object_object_add(o, "members", zone_members_json(al->members, al->nmembers));
		if (name) {
			json_object_put(a);
			reply_json(req, HTTP_OK, o);
			return;
		}
		json_object_array_add(a, o);
	}
	if (name) {
		json_object_put(a);
		reply_error(req, HTTP_NOTFOUND, "no such alias", name);
		return;
	}
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "aliases", a);
	reply_json(req, HTTP_OK, o);
}

/* Every zoning mutation: the group (or alias), the zone and the member its route names. */
static void zoning_route(struct api *api, struct evhttp_request *req, struct route *rt,
			 enum zoning_op op, const char *group, const char *zone, const char *alias)
{
	struct zoning_req z = {.op = op};
	bool member = op == ZONING_MEMBER_ADD || op == ZONING_MEMBER_DEL;
	bool on_alias = op == ZONING_ALIAS_CREATE || op == ZONING_ALIAS_DEL || (member && alias);
	bool on_zone = !on_alias && (member || op == ZONING_ZONE_CREATE || op == ZONING_ZONE_DEL);

	/* A name a create takes from the body may be missing. */
	if (on_alias ? !alias : !group || (on_zone && !zone)) {
		reply_error(req, HTTP_BADREQUEST, "invalid body", "expected {\"name\": \"...\"}");
		return;
	}
	if (group && !zoning_group_of(api, req, rt, group, &z))
		return;
	if (zone && !name_into(req, z.zone, sizeof(z.zone), zone, "zone name"))
		return;
	if (alias && !name_into(req, z.alias, sizeof(z.alias), alias, "alias name"))
		return;
	if ((op == ZONING_MEMBER_ADD || op == ZONING_MEMBER_DEL) &&
	    !body_member(req, rt, alias != NULL, &z))
		return;
	zoning_submit(api, req, &z);
}

/* ---- DDCs pulled from ---- */

static void ddc_json(void *arg, const struct pull_ddc_info *i)
{
	struct json_object *o = disc_port_json(&i->ddc->port);
	char source[40];

	/* Who asks for it, in a fixed order: "config", "admin,mdns", ...; "" for nobody. */
	const char *names[] = {i->config ? "config" : NULL, i->admin ? "admin" : NULL,
			       i->mdns ? "mdns" : NULL, i->kickstart ? "kickstart" : NULL};
	size_t len = 0;

	source[0] = '\0';
	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++)
		if (names[k])
			len += (size_t)snprintf(source + len, sizeof(source) - len, "%s%s",
						len ? "," : "", names[k]);

	add_str(o, "nqn", i->ddc->nqn);
	add_str(o, "owner", i->owner);
	add_str(o, "state", i->state);
	add_str(o, "source", source);
	add_int(o, "pulls", (int64_t)i->pulls);
	add_int(o, "entries", (int64_t)i->entries);
	add_int(o, "skipped", (int64_t)i->skipped);
	add_int(o, "logs_sent", (int64_t)i->sent);
	json_object_array_add(arg, o);
}

static void get_ddcs(struct api *api, struct evhttp_request *req)
{
	struct json_object *o = json_object_new_object(), *a = json_object_new_array();

	if (api->pull)
		pull_foreach(api->pull, ddc_json, a);
	json_object_object_add(o, "ddcs", a);
	reply_json(req, HTTP_OK, o);
}

/* The administrator's DDCs live as long as the daemon: they are not stored. */
static void post_ddc(struct api *api, struct evhttp_request *req, struct route *rt)
{
	struct admin_req a = {0};
	struct cdc_referral ddc;
	char err[256];

	snprintf(a.nqn, sizeof(a.nqn), "%s", NVME_DISC_SUBSYS_NAME);
	if (!rt->body || body_port(rt->body, "8009", true, &a, err, sizeof(err)) < 0) {
		reply_error(req, HTTP_BADREQUEST, "invalid DDC", rt->body ? err : "no JSON body");
		return;
	}
	ddc.port = a.port;
	snprintf(ddc.nqn, sizeof(ddc.nqn), "%s", a.nqn);
	int e = api->pull ? pull_ddc_add(api->pull, &ddc) : -ENOTSUP;
	if (e == -EEXIST) {
		reply_error(req, 409, "already exists", a.port.traddr);
		return;
	}
	if (e) {
		reply_error(req, HTTP_INTERNAL, "DDC not added", strerror(-e));
		return;
	}
	struct json_object *o = disc_port_json(&a.port);
	add_str(o, "nqn", a.nqn);
	reply_json(req, 201, o);
}

static void del_ddc(struct api *api, struct evhttp_request *req, const char *traddr,
		    const char *trsvcid)
{
	struct cdc_port port = {0};

	if (strlen(traddr) > CDC_TRADDR_MAX || strlen(trsvcid) > CDC_TRSVCID_MAX) {
		reply_error(req, HTTP_BADREQUEST, "invalid DDC", "traddr or trsvcid too long");
		return;
	}
	port.adrfam = strchr(traddr, ':') ? NVMF_ADDR_FAMILY_IP6 : NVMF_ADDR_FAMILY_IP4;
	snprintf(port.traddr, sizeof(port.traddr), "%s", traddr);
	snprintf(port.trsvcid, sizeof(port.trsvcid), "%s", trsvcid);
	int e = api->pull ? pull_ddc_del(api->pull, &port) : -ENOENT;
	if (e == -ENOENT)
		reply_error(req, HTTP_NOTFOUND, "not found", traddr);
	else if (e == -EPERM)
		reply_error(req, 409, "defined in the configuration file",
			    "change it there and reload cdcd");
	else if (e == -EBUSY)
		reply_error(req, 409, "announced with mDNS",
			    "it is pulled from while announced; browse = ask in [mdns] stops that");
	else
		send_reply(req, 204, "No Content", NULL);
}

/* ---- routing ---- */

static bool is(const struct route *rt, int n, enum evhttp_cmd_type m, const char *a, const char *b)
{
	return rt->nseg == n && rt->method == m && !strcmp(rt->seg[1], a) &&
	       (!b || (n > 3 && !strcmp(rt->seg[3], b)));
}

/* Returns false when no route matches the path and method. With dry, only says whether
 * one would (to tell 404 from 405). */
static bool dispatch(struct api *api, struct evhttp_request *req, struct route *rt, bool dry)
{
	char **s = rt->seg;
	enum evhttp_cmd_type GET = EVHTTP_REQ_GET, POST = EVHTTP_REQ_POST, DEL = EVHTTP_REQ_DELETE,
			     PUT = EVHTTP_REQ_PUT;

#define ROUTE(cond, call)                                                                          \
	if (cond) {                                                                                \
		if (!dry)                                                                          \
			call;                                                                      \
		return true;                                                                       \
	}
	if (rt->nseg < 2 || strcmp(s[0], "v1"))
		return false;
	ROUTE(is(rt, 2, GET, "status", NULL), get_status(api, req));
	ROUTE(is(rt, 2, GET, "hosts", NULL), get_hosts(api, req));
	ROUTE(is(rt, 3, GET, "hosts", NULL), get_host(api, req, s[2]));
	ROUTE(is(rt, 3, DEL, "hosts", NULL), del_named(api, req, ADMIN_HOST_DEL, s[2]));
	ROUTE(is(rt, 4, GET, "hosts", "log"), get_host_log(api, req, rt, s[2]));
	ROUTE(is(rt, 4, GET, "hosts", "auth"), get_host_auth(api, req, s[2]));
	ROUTE(is(rt, 4, PUT, "hosts", "auth"), put_host_auth(api, req, rt, s[2]));
	ROUTE(is(rt, 4, DEL, "hosts", "auth"), del_host_auth(api, req, s[2]));
	ROUTE(is(rt, 2, GET, "subsystems", NULL), get_subsystems(api, req));
	ROUTE(is(rt, 2, POST, "subsystems", NULL), post_subsystem(api, req, rt));
	ROUTE(is(rt, 3, GET, "subsystems", NULL), get_subsystem(api, req, s[2]));
	ROUTE(is(rt, 3, DEL, "subsystems", NULL), del_named(api, req, ADMIN_SUBSYS_DEL, s[2]));
	ROUTE(is(rt, 4, POST, "subsystems", "ports"), post_port(api, req, rt, s[2], false));
	ROUTE(is(rt, 6, DEL, "subsystems", "ports"), del_port(api, req, s[2], s[4], s[5], false));
	ROUTE(is(rt, 2, GET, "referrals", NULL), get_referrals(api, req));
	ROUTE(is(rt, 2, POST, "referrals", NULL), post_port(api, req, rt, NULL, true));
	ROUTE(is(rt, 4, DEL, "referrals", NULL), del_port(api, req, NULL, s[2], s[3], true));
	ROUTE(is(rt, 2, GET, "ddcs", NULL), get_ddcs(api, req));
	ROUTE(is(rt, 2, POST, "ddcs", NULL), post_ddc(api, req, rt));
	ROUTE(is(rt, 4, DEL, "ddcs", NULL), del_ddc(api, req, s[2], s[3]));
	ROUTE(is(rt, 2, GET, "connections", NULL), get_connections(api, req));
	ROUTE(is(rt, 2, GET, "changes", NULL), get_changes(api, req, rt));
	ROUTE(is(rt, 2, GET, "zonegroups", NULL), get_zonegroups(api, req));
	ROUTE(is(rt, 2, POST, "zonegroups", NULL),
	      zoning_route(api, req, rt, ZONING_GROUP_CREATE, body_name(rt), NULL, NULL));
	ROUTE(is(rt, 3, GET, "zonegroups", NULL), get_zonegroup(api, req, rt, s[2]));
	ROUTE(is(rt, 3, DEL, "zonegroups", NULL),
	      zoning_route(api, req, rt, ZONING_GROUP_DEL, s[2], NULL, NULL));
	ROUTE(is(rt, 4, POST, "zonegroups", "activate"),
	      zoning_route(api, req, rt, ZONING_ACTIVATE, s[2], NULL, NULL));
	ROUTE(is(rt, 4, POST, "zonegroups", "deactivate"),
	      zoning_route(api, req, rt, ZONING_DEACTIVATE, s[2], NULL, NULL));
	ROUTE(is(rt, 4, POST, "zonegroups", "zones"),
	      zoning_route(api, req, rt, ZONING_ZONE_CREATE, s[2], body_name(rt), NULL));
	ROUTE(is(rt, 5, DEL, "zonegroups", "zones"),
	      zoning_route(api, req, rt, ZONING_ZONE_DEL, s[2], s[4], NULL));
	ROUTE(is(rt, 6, POST, "zonegroups", "zones") && !strcmp(s[5], "members"),
	      zoning_route(api, req, rt, ZONING_MEMBER_ADD, s[2], s[4], NULL));
	ROUTE(is(rt, 6, DEL, "zonegroups", "zones") && !strcmp(s[5], "members"),
	      zoning_route(api, req, rt, ZONING_MEMBER_DEL, s[2], s[4], NULL));
	ROUTE(is(rt, 2, GET, "zones", NULL), get_zones(api, req));
	ROUTE(is(rt, 2, GET, "aliases", NULL), get_aliases(api, req, NULL));
	ROUTE(is(rt, 2, POST, "aliases", NULL),
	      zoning_route(api, req, rt, ZONING_ALIAS_CREATE, NULL, NULL, body_name(rt)));
	ROUTE(is(rt, 3, GET, "aliases", NULL), get_aliases(api, req, s[2]));
	ROUTE(is(rt, 3, DEL, "aliases", NULL),
	      zoning_route(api, req, rt, ZONING_ALIAS_DEL, NULL, NULL, s[2]));
	ROUTE(is(rt, 4, POST, "aliases", "members"),
	      zoning_route(api, req, rt, ZONING_MEMBER_ADD, NULL, NULL, s[2]));
	ROUTE(is(rt, 4, DEL, "aliases", "members"),
	      zoning_route(api, req, rt, ZONING_MEMBER_DEL, NULL, NULL, s[2]));
#undef ROUTE
	return false;
}

/* The read-only routes: all http-listen serves. */
static bool dispatch_web(struct api *api, struct evhttp_request *req, struct route *rt, bool dry)
{
	if (rt->method != EVHTTP_REQ_GET)
		return false;
	if (rt->nseg == 0) {
		if (!dry)
			get_page(api, req);
		return true;
	}
	if (rt->nseg == 1 && !strcmp(rt->seg[0], "metrics")) {
		if (!dry)
			get_metrics(api, req);
		return true;
	}
	return false;
}

static bool dispatch_any(struct api *api, struct evhttp_request *req, struct route *rt, bool dry)
{
	return dispatch_web(api, req, rt, dry) || dispatch(api, req, rt, dry);
}

typedef bool (*dispatch_fn)(struct api *api, struct evhttp_request *req, struct route *rt,
			    bool dry);

/* Whether the path exists with some other method. */
static bool path_known(struct api *api, struct route *rt, dispatch_fn routes)
{
	static const enum evhttp_cmd_type methods[] = {EVHTTP_REQ_GET, EVHTTP_REQ_POST,
						       EVHTTP_REQ_DELETE, EVHTTP_REQ_PUT};
	enum evhttp_cmd_type asked = rt->method;
	bool known = false;

	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]) && !known; i++) {
		rt->method = methods[i];
		known = routes(api, NULL, rt, true);
	}
	rt->method = asked;
	return known;
}

/* The path's segments, decoded; one holding a NUL (%00) is refused. */
static int route_path(const char *path, struct route *rt, const char **why)
{
	char *copy = strdup(path ? path : "/"), *save = NULL;

	if (!copy)
		return -ENOMEM;
	for (char *tok = strtok_r(copy, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		size_t len = 0;
		if (rt->nseg == MAX_SEGMENTS) {
			*why = "path too long";
			break;
		}
		char *seg = evhttp_uridecode(tok, 0, &len);
		if (!seg) {
			free(copy);
			return -ENOMEM;
		}
		rt->seg[rt->nseg++] = seg;
		if (strlen(seg) != len) {
			*why = "NUL in the path";
			break;
		}
	}
	free(copy);
	return *why ? -EINVAL : 0;
}

/* The body: one JSON object, nothing but white space after it, no NUL in any string. */
static int route_body(struct evbuffer *in, struct route *rt, const char **why)
{
	size_t len = evbuffer_get_length(in);
	const char *text = (const char *)evbuffer_pullup(in, -1);

	if (!len)
		return 0;
	if (json_text_has_nul(text, len)) {
		*why = "NUL in the body";
		return -EINVAL;
	}
	struct json_tokener *tok = json_tokener_new();
	if (!tok)
		return -ENOMEM;
	rt->body = json_tokener_parse_ex(tok, text, (int)len);
	enum json_tokener_error jerr = json_tokener_get_error(tok);
	size_t end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (jerr != json_tokener_success || !json_object_is_type(rt->body, json_type_object)) {
		*why = "the body is not a JSON object";
		return -EINVAL;
	}
	for (size_t i = end; i < len; i++) {
		if (text[i] != ' ' && text[i] != '\t' && text[i] != '\r' && text[i] != '\n') {
			*why = "trailing data after the JSON object";
			return -EINVAL;
		}
	}
	return 0;
}

static int route_parse(struct evhttp_request *req, struct route *rt, const char **why)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *query = evhttp_uri_get_query(uri);
	int err;

	rt->method = evhttp_request_get_command(req);
	TAILQ_INIT(&rt->query);
	err = route_path(evhttp_uri_get_path(uri), rt, why);
	if (err)
		return err;
	if (query && evhttp_parse_query_str(query, &rt->query) < 0) {
		*why = "malformed query";
		return -EINVAL;
	}
	return route_body(evhttp_request_get_input_buffer(req), rt, why);
}

static void route_free(struct route *rt)
{
	for (int i = 0; i < rt->nseg; i++)
		free(rt->seg[i]);
	evhttp_clear_headers(&rt->query);
	json_object_put(rt->body);
}

static void conn_free(struct api_conn *c)
{
	LIST_REMOVE(c, link);
	if (c->pending)
		c->pending->req = NULL; /* the registry completes it all the same */
	event_free(c->timer);
	bufferevent_decref(c->bev);
	free(c);
}

static void conn_closed_cb(struct evhttp_connection *evcon, void *arg)
{
	(void)evcon;
	conn_free(arg);
}

static void conn_watch(struct api_conn *c, struct evhttp_connection *evcon)
{
	evhttp_connection_set_closecb(evcon, conn_closed_cb, c);
	c->watched = true;
}

/* First loop turn after the accept, before evhttp read anything: evhttp has set up the
 * bufferevent with its connection as the callbacks' argument, so we can learn when it
 * frees the connection (and drop our reference then, which closes the socket). */
static void conn_adopt(struct api_conn *c)
{
	struct timeval tv = {(time_t)c->api->cfg->api_request_timeout, 0};
	bufferevent_data_cb readcb;
	void *arg;

	bufferevent_getcb(c->bev, &readcb, NULL, NULL, &arg);
	if (!readcb) {
		conn_free(c); /* evhttp gave up on it already */
		return;
	}
	if (arg && evhttp_connection_get_bufferevent(arg) == c->bev)
		conn_watch(c, arg);
	evtimer_add(c->timer, &tv);
}

/* The request did not arrive in time. evhttp gets the timeout its own read timeout would
 * give it (drop the connection and the request), which a client trickling bytes never lets
 * that one reach. */
static void conn_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct api_conn *c = arg;
	bufferevent_data_cb readcb;

	(void)fd;
	(void)what;
	if (!c->adopted) {
		c->adopted = true;
		conn_adopt(c);
		return;
	}
	bufferevent_getcb(c->bev, &readcb, NULL, NULL, NULL);
	if (readcb) {
		bool watched = c->watched; /* if so, c is freed by the line below */
		log_warn("control API: a request took more than %u s to arrive; dropped it",
			 c->api->cfg->api_request_timeout);
		bufferevent_trigger_event(c->bev, BEV_EVENT_READING | BEV_EVENT_TIMEOUT, 0);
		if (watched)
			return;
	}
	conn_free(c);
}

/* evhttp accepted a connection and asks for its bufferevent: the request's clock starts.
 * On failure evhttp makes its own, and the connection has only the idle timeout. */
static struct bufferevent *conn_new_cb(struct event_base *base, void *arg)
{
	struct api *api = arg;
	struct api_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->api = api;
	c->bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	c->timer = evtimer_new(base, conn_timer_cb, c);
	if (!c->bev || !c->timer) {
		if (c->bev)
			bufferevent_free(c->bev);
		if (c->timer)
			event_free(c->timer);
		free(c);
		return NULL;
	}
	bufferevent_incref(c->bev);
	LIST_INSERT_HEAD(&api->conns, c, link);
	event_active(c->timer, EV_TIMEOUT, 0); /* conn_adopt(), once evhttp is done with it */
	return c->bev;
}

static void serve(struct api *api, struct evhttp_request *req, dispatch_fn routes)
{
	struct api_conn *conn = conn_of(api, req);
	struct route rt = {0};
	const char *why = NULL;

	/* Received in time: from here the connection lives as long as evhttp keeps it (until
	 * the reply is written, or the idle timeout if the client does not read it). */
	if (conn) {
		evtimer_del(conn->timer);
		conn->adopted = true;
		if (!conn->watched)
			conn_watch(conn, evhttp_request_get_connection(req));
	}
	if (route_parse(req, &rt, &why) < 0)
		reply_error(req, HTTP_BADREQUEST, "bad request", why ? why : "out of memory");
	else if (routes(api, req, &rt, false))
		;
	else if (path_known(api, &rt, routes))
		reply_error(req, 405, "method not allowed", evhttp_request_get_uri(req));
	else
		reply_error(req, HTTP_NOTFOUND, "no such resource", evhttp_request_get_uri(req));
	route_free(&rt);
}

static void request_cb(struct evhttp_request *req, void *arg)
{
	serve(arg, req, dispatch_any);
}

/* http-listen: never the admin routes, whatever the method. */
static void web_request_cb(struct evhttp_request *req, void *arg)
{
	serve(arg, req, dispatch_web);
}

/* ---- life cycle ---- */

int api_config_check(const struct cdc_config *cfg)
{
	if (!cfg->control_socket[0] || !cfg->control_socket_group[0])
		return 0;
	if (getgrnam(cfg->control_socket_group))
		return 0;
	log_err("control-socket-group '%s': no such group", cfg->control_socket_group);
	return -EINVAL;
}

/* Mode 0660 and the configured group, before anyone can connect. */
static int socket_listen(int fd, const struct cdc_config *cfg, const char *path)
{
	struct group *g = cfg->control_socket_group[0] ? getgrnam(cfg->control_socket_group) : NULL;

	if (cfg->control_socket_group[0] && !g)
		return -EINVAL; /* removed since api_config_check() */
	if (chmod(path, 0660) < 0 || (g && chown(path, (uid_t)-1, g->gr_gid) < 0) ||
	    listen(fd, 64) < 0)
		return -errno;
	return 0;
}

static int socket_open(const struct cdc_config *cfg, int *out)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char dir[sizeof(sa.sun_path)];

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", cfg->control_socket);
	snprintf(dir, sizeof(dir), "%s", cfg->control_socket);
	char *slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = 0;
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return -errno;
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	unlink(sa.sun_path); /* a socket left by a daemon that did not stop cleanly */
	mode_t old = umask(0117);
	int err = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? -errno : 0;
	umask(old);
	if (!err) {
		err = socket_listen(fd, cfg, sa.sun_path);
		if (err)
			unlink(sa.sun_path); /* no socket file that nobody answers on */
	}
	if (err) {
		close(fd);
		return err;
	}
	*out = fd;
	return 0;
}

/* The same limits on both listeners: a slow or greedy client of http-listen can do no more
 * than one of the control socket. */
static void http_limits(struct api *api, struct evhttp *http,
			void (*cb)(struct evhttp_request *, void *))
{
	/* Bounded: evhttp keeps whatever headers and body arrive in memory until the request
	 * is complete (without a limit, 96 MiB of headers grew the daemon by 400 MiB). */
	evhttp_set_max_headers_size(http, API_MAX_HEADERS);
	evhttp_set_max_body_size(http, API_MAX_BODY);
	/* Every method reaches the callback, which answers 405 in JSON where one does not fit. */
	evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_DELETE |
						 EVHTTP_REQ_PUT | EVHTTP_REQ_PATCH |
						 EVHTTP_REQ_HEAD);
	/* A slow client cannot hold the loop: evhttp reads and writes without blocking, one
	 * that goes quiet is dropped by this idle timeout, and one that keeps sending too
	 * slowly by the deadline of conn_new_cb(). */
	evhttp_set_timeout(http, (int)api->cfg->api_request_timeout);
	evhttp_set_bevcb(http, conn_new_cb, api);
	evhttp_set_gencb(http, cb, api);
}

static int control_open(struct api *api)
{
	const struct cdc_config *cfg = api->cfg;
	int fd = -1, err;

	snprintf(api->path, sizeof(api->path), "%s", cfg->control_socket);
	err = socket_open(cfg, &fd);
	if (err) {
		api->path[0] = 0; /* not ours to unlink */
		log_err("control socket %s: %s", cfg->control_socket, strerror(-err));
		return err;
	}
	api->http = evhttp_new(api->base);
	struct evconnlistener *l =
		api->http ? evconnlistener_new(api->base, NULL, NULL, LEV_OPT_CLOSE_ON_FREE, -1, fd)
			  : NULL;
	if (!l || !evhttp_bind_listener(api->http, l)) {
		if (l)
			evconnlistener_free(l);
		else
			close(fd);
		return -ENOMEM;
	}
	http_limits(api, api->http, request_cb);
	log_info("control API on %s", api->path);
	return 0;
}

/* http-listen: TCP, IPv4 or IPv6, the read-only routes only. */
static int web_open(struct api *api)
{
	const struct cdc_listen *ln = &api->cfg->http_listen;
	struct evconnlistener *l;

	api->web = evhttp_new(api->base);
	if (!api->web)
		return -ENOMEM;
	l = evconnlistener_new_bind(api->base, NULL, NULL,
				    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC |
					    LEV_OPT_REUSEABLE,
				    64, (const struct sockaddr *)&ln->ss, (int)ln->sslen);
	if (!l) {
		int err = errno ? -errno : -ENOMEM;
		log_err("http-listen %s: %s", ln->text, strerror(-err));
		return err;
	}
	if (!evhttp_bind_listener(api->web, l)) {
		evconnlistener_free(l);
		return -ENOMEM;
	}
	http_limits(api, api->web, web_request_cb);
	snprintf(api->web_addr, sizeof(api->web_addr), "%s", ln->text);
	log_info("metrics and status page on http://%s/", ln->text);
	return 0;
}

int api_open(struct event_base *base, const struct cdc_config *cfg, struct registry *reg,
	     struct fabric *f, struct disc_svc *svc, const struct cdc_server *srv, struct api **out)
{
	struct api *api = calloc(1, sizeof(*api));
	struct timespec now;
	int err = 0;

	if (!api)
		return -ENOMEM;
	clock_gettime(CLOCK_REALTIME, &now);
	*api = (struct api){.base = base,
			    .cfg = cfg,
			    .reg = reg,
			    .f = f,
			    .svc = svc,
			    .srv = srv,
			    .started = now.tv_sec,
			    .started_real = (double)now.tv_sec + (double)now.tv_nsec / 1e9};
	LIST_INIT(&api->conns);
	if (cfg->control_socket[0])
		err = control_open(api);
	if (!err && cfg->has_http_listen)
		err = web_open(api);
	if (err) {
		api_close(api);
		return err;
	}
	*out = api;
	return 0;
}

void api_close(struct api *api)
{
	if (!api)
		return;
	if (api->http)
		evhttp_free(api->http);
	if (api->web)
		evhttp_free(api->web);
	/* Connections that never reached request_cb have no close callback. */
	while (!LIST_EMPTY(&api->conns))
		conn_free(LIST_FIRST(&api->conns));
	if (api->path[0])
		unlink(api->path);
	free(api);
}

void api_set_pull(struct api *api, struct pull *pull)
{
	api->pull = pull;
}

void api_set_health(struct api *api, struct health *health)
{
	api->health = health;
}

void api_set_mdns(struct api *api, const struct mdns_pub *mdns, const struct mdns_browse *found)
{
	api->mdns = mdns;
	api->found = found;
}
