/* etcd.c - registrations shared through etcd's v3 JSON gateway. A batch is one txn of puts
 * and deletes with this instance's marker key, so the watch tells its own txns from the
 * others' by that key alone; libcurl's multi interface runs on the libevent loop, and only
 * the load at start blocks. Keys: PREFIX e/NQN, h/HOSTNQN/..., r/OWNER/SUBNQN/..., w/ID, and
 * c/NQN/ID bound to the instance's lease: NQN has an association with instance ID; s/ID, also
 * bound to it: the self entries instance ID serves. */
#include "etcd.h"

#include <curl/curl.h>
#include <errno.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "log.h"
#include "tree.h"

#define ETCD_KEY_MAX	   1024
#define ETCD_TXN_TIMEOUT   5000 /* ms: past this a batch fails and can be retried */
#define ETCD_CONNECT_MS	   2000
#define ETCD_WATCH_RETRY_S 1
#define ETCD_LEASE_TTL	   10 /* s: an instance gone this long loses its connections */

/* One row of the next txn. */
struct staged {
	RB_ENTRY(staged) link;
	char *value; /* NULL: a delete */
	char key[];
};

static int staged_cmp(const struct staged *a, const struct staged *b)
{
	return strcmp(a->key, b->key);
}

RB_HEAD(staged_tree, staged);
RB_GENERATE_STATIC(staged_tree, staged, link, staged_cmp)

struct buf {
	char *p;
	size_t len, cap;
};

struct req {
	struct etcd *e;
	CURL *easy;
	struct curl_slist *hdrs;
	char *body;
	struct buf in; /* the answer, or the watch stream's unparsed tail */
	char errbuf[CURL_ERROR_SIZE];
	void (*done)(struct etcd *e, struct req *q, int err);
};

/* A txn of ours the watch has not passed yet, with its keys (sorted): an older change of
 * another instance to one of them arrives after it and must not undo it. */
struct own_txn {
	TAILQ_ENTRY(own_txn) link;
	uint64_t rev;
	size_t n;
	char **keys;
};

/* Another instance's txn that arrived while ours was in flight, to apply after it. */
struct held {
	TAILQ_ENTRY(held) link;
	uint64_t rev;
	size_t n;
	struct etcd_event ev[];
};

struct sock {
	struct event *ev;
};

/* An NQN with an association here, as its lease-bound key should be. */
struct conn {
	RB_ENTRY(conn) link;
	bool up;	   /* the key should exist */
	bool dirty;	   /* and etcd may not have it so */
	uint64_t gen;	   /* moves with each change */
	uint64_t sent_gen; /* the change the txn in flight carries; 0: none */
	char nqn[];
};

static int conn_cmp(const struct conn *a, const struct conn *b)
{
	return strcmp(a->nqn, b->nqn);
}

RB_HEAD(conn_tree, conn);
RB_GENERATE_STATIC(conn_tree, conn, link, conn_cmp)

/* Another live instance's self entries. */
struct peer {
	RB_ENTRY(peer) link;
	size_t n;
	struct nvmf_disc_log_entry ent[ETCD_MAX_SELF];
	char by[];
};

static int peer_cmp(const struct peer *a, const struct peer *b)
{
	return strcmp(a->by, b->by);
}

RB_HEAD(peer_tree, peer);
RB_GENERATE_STATIC(peer_tree, peer, link, peer_cmp)

struct etcd {
	struct event_base *base;
	CURLM *multi;
	struct event *timer, *retry;
	char **endpoints;
	size_t nendpoints, cur;
	char prefix[256];
	char *cacert, *cert, *key;
	char marker[ETCD_KEY_MAX];
	uint64_t seq;
	struct staged_tree staged;
	size_t nstaged;
	struct req *txn;
	char **txn_keys;
	size_t ntxn_keys;
	etcd_done_fn txn_done;
	void *txn_arg;
	struct req *watch;
	bool watch_live;
	etcd_remote_fn remote;
	void *remote_arg;
	uint64_t watch_rev; /* every change up to this one was seen */
	char id[CDC_NQN_MAX + 1];
	int64_t lease; /* 0: none yet, or lost */
	struct event *keepalive;
	struct req *ka;
	struct conn_tree conns;
	size_t ndirty;
	struct conn **sent; /* the conns the txn in flight writes */
	size_t nsent;
	void (*kick)(void *arg);
	void *kick_arg;
	etcd_snapshot_fn snapshot;
	struct nvmf_disc_log_entry self_ent[ETCD_MAX_SELF];
	size_t nself_ent;
	bool self_dirty, self_sent;
	struct peer_tree peers;
	bool peers_changed;
	void (*peers_cb)(void *arg);
	void *peers_arg;
	bool resync;		   /* the watch cannot resume: read everything again */
	struct snap *pending_snap; /* read while a txn of ours was in flight */
	char **snap_keys;	   /* the snapshot being applied, sorted */
	size_t nsnap_keys;
	uint64_t replay_from, replay_upto; /* own txns after a snapshot: applied again */
	TAILQ_HEAD(, own_txn) own;
	TAILQ_HEAD(, held) held;
	struct ratelimit rl;
};

/* ---- bytes ---- */

static int buf_add(struct buf *b, const void *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *np = realloc(b->p, cap);
		if (!np)
			return -ENOMEM;
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

static char *b64_enc(const char *s, size_t n)
{
	char *out = malloc(4 * ((n + 2) / 3) + 1);

	if (out)
		EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)s, (int)n);
	return out;
}

/* Decodes into out (size at least 3/4 of the text, plus one); returns the length or -1. */
static int b64_dec(const char *in, char *out, size_t size)
{
	size_t n = strlen(in);

	if (n % 4 || n / 4 * 3 + 1 > size)
		return -1;
	int len = EVP_DecodeBlock((unsigned char *)out, (const unsigned char *)in, (int)n);
	if (len < 0)
		return -1;
	len -= (n && in[n - 1] == '=') + (n > 1 && in[n - 2] == '=');
	out[len] = '\0';
	return len;
}

/* A key part with '/' and '%' escaped, so that parts never run into each other. */
static void key_part(char *out, size_t size, const char *s)
{
	size_t o = strlen(out);

	for (; *s && o + 4 < size; s++) {
		if (*s == '/' || *s == '%')
			o += (size_t)snprintf(out + o, size - o, "%%%02X", (unsigned char)*s);
		else
			out[o++] = *s;
	}
	out[o] = '\0';
}

static void key_entity(const struct etcd *e, const char *nqn, char *k, size_t size)
{
	snprintf(k, size, "%se/", e->prefix);
	key_part(k, size, nqn);
}

static void key_host(const struct etcd *e, const struct host_rec *h, char *k, size_t size)
{
	char num[16];

	snprintf(k, size, "%sh/", e->prefix);
	key_part(k, size, h->hostnqn);
	snprintf(num, sizeof(num), "/%u/%u/", h->trtype, h->adrfam);
	strncat(k, num, size - strlen(k) - 1);
	key_part(k, size, h->traddr);
	strncat(k, "/", size - strlen(k) - 1);
	key_part(k, size, h->trsvcid);
}

static void key_rec(const struct etcd *e, const struct log_rec *r, char *k, size_t size)
{
	char num[16];

	snprintf(k, size, "%sr/", e->prefix);
	key_part(k, size, r->owner);
	strncat(k, "/", size - strlen(k) - 1);
	key_part(k, size, r->subnqn);
	snprintf(num, sizeof(num), "/%u/%u/", r->port.trtype, r->port.adrfam);
	strncat(k, num, size - strlen(k) - 1);
	key_part(k, size, r->port.traddr);
	strncat(k, "/", size - strlen(k) - 1);
	key_part(k, size, r->port.trsvcid);
}

static void key_conn(const struct etcd *e, const char *nqn, const char *by, char *k, size_t size)
{
	snprintf(k, size, "%sc/", e->prefix);
	key_part(k, size, nqn);
	strncat(k, "/", size - strlen(k) - 1);
	key_part(k, size, by);
}

static void key_of(const struct etcd *e, const struct etcd_event *ev, char *k, size_t size)
{
	if (ev->kind == ETCD_CONN) {
		key_conn(e, ev->u.conn.nqn, ev->u.conn.by, k, size);
		return;
	}
	if (ev->kind == ETCD_ENTITY)
		key_entity(e, ev->u.ent.nqn, k, size);
	else if (ev->kind == ETCD_HOST)
		key_host(e, &ev->u.host, k, size);
	else
		key_rec(e, &ev->u.rec, k, size);
}

/* ---- records as JSON values ---- */

static void add_str(json_object *o, const char *name, const char *s)
{
	json_object_object_add(o, name, json_object_new_string(s));
}

static void add_int(json_object *o, const char *name, int64_t v)
{
	json_object_object_add(o, name, json_object_new_int64(v));
}

static char *value_of(json_object *o)
{
	char *s = o ? strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN)) : NULL;

	json_object_put(o);
	return s;
}

static char *entity_json(const struct entity *ent)
{
	json_object *o = json_object_new_object();

	add_str(o, "k", "e");
	add_str(o, "nqn", ent->nqn);
	add_int(o, "etype", ent->etype);
	add_int(o, "source", ent->source);
	add_str(o, "ename", ent->ename);
	add_str(o, "ever", ent->ever);
	add_str(o, "regnqn", ent->regnqn);
	add_int(o, "first_seen", ent->first_seen);
	add_int(o, "last_seen", ent->last_seen);
	return value_of(o);
}

static char *host_json(const struct host_rec *h)
{
	json_object *o = json_object_new_object();
	char hex[33];

	for (int i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", h->hostid[i]);
	add_str(o, "k", "h");
	add_str(o, "hostnqn", h->hostnqn);
	add_int(o, "source", h->source);
	add_int(o, "trtype", h->trtype);
	add_int(o, "adrfam", h->adrfam);
	add_int(o, "sectype", h->sectype);
	add_str(o, "traddr", h->traddr);
	add_str(o, "trsvcid", h->trsvcid);
	add_str(o, "hostid", hex);
	add_str(o, "symname", h->symname);
	return value_of(o);
}

static char *rec_json(const struct log_rec *r)
{
	json_object *o = json_object_new_object();

	add_str(o, "k", "r");
	add_str(o, "owner", r->owner);
	add_int(o, "source", r->source);
	add_int(o, "subtype", r->subtype);
	add_int(o, "asqsz", r->asqsz);
	add_str(o, "subnqn", r->subnqn);
	add_int(o, "trtype", r->port.trtype);
	add_int(o, "adrfam", r->port.adrfam);
	add_int(o, "treq", r->port.treq);
	add_int(o, "sectype", r->port.sectype);
	add_int(o, "portid", r->port.portid);
	add_str(o, "traddr", r->port.traddr);
	add_str(o, "trsvcid", r->port.trsvcid);
	return value_of(o);
}

static int64_t get_int(json_object *o, const char *name)
{
	json_object *v;

	return json_object_object_get_ex(o, name, &v) ? json_object_get_int64(v) : 0;
}

static int get_str(json_object *o, const char *name, char *out, size_t size)
{
	json_object *v;

	if (!json_object_object_get_ex(o, name, &v) || !json_object_is_type(v, json_type_string))
		return -EINVAL;
	const char *s = json_object_get_string(v);
	if (strlen(s) >= size)
		return -EINVAL;
	strcpy(out, s);
	return 0;
}

static int entity_parse(json_object *o, struct entity *ent)
{
	*ent = (struct entity){0};
	ent->etype = (uint8_t)get_int(o, "etype");
	ent->source = (uint8_t)get_int(o, "source");
	ent->first_seen = get_int(o, "first_seen");
	ent->last_seen = get_int(o, "last_seen");
	return get_str(o, "nqn", ent->nqn, sizeof(ent->nqn)) ||
			       get_str(o, "ename", ent->ename, sizeof(ent->ename)) ||
			       get_str(o, "ever", ent->ever, sizeof(ent->ever)) ||
			       get_str(o, "regnqn", ent->regnqn, sizeof(ent->regnqn))
		       ? -EINVAL
		       : 0;
}

static int host_parse(json_object *o, struct host_rec *h)
{
	char hex[33];

	*h = (struct host_rec){0};
	h->source = (uint8_t)get_int(o, "source");
	h->trtype = (uint8_t)get_int(o, "trtype");
	h->adrfam = (uint8_t)get_int(o, "adrfam");
	h->sectype = (uint8_t)get_int(o, "sectype");
	if (get_str(o, "hostnqn", h->hostnqn, sizeof(h->hostnqn)) ||
	    get_str(o, "traddr", h->traddr, sizeof(h->traddr)) ||
	    get_str(o, "trsvcid", h->trsvcid, sizeof(h->trsvcid)) ||
	    get_str(o, "symname", h->symname, sizeof(h->symname)) ||
	    get_str(o, "hostid", hex, sizeof(hex)) || strlen(hex) != 32)
		return -EINVAL;
	for (int i = 0; i < 16; i++) {
		unsigned int b;
		if (sscanf(hex + 2 * i, "%2x", &b) != 1)
			return -EINVAL;
		h->hostid[i] = (uint8_t)b;
	}
	return 0;
}

static int rec_parse(json_object *o, struct log_rec *r)
{
	*r = (struct log_rec){0};
	r->source = (uint8_t)get_int(o, "source");
	r->subtype = (uint8_t)get_int(o, "subtype");
	r->asqsz = (uint16_t)get_int(o, "asqsz");
	r->port.trtype = (uint8_t)get_int(o, "trtype");
	r->port.adrfam = (uint8_t)get_int(o, "adrfam");
	r->port.treq = (uint8_t)get_int(o, "treq");
	r->port.sectype = (uint8_t)get_int(o, "sectype");
	r->port.portid = (uint16_t)get_int(o, "portid");
	return get_str(o, "owner", r->owner, sizeof(r->owner)) ||
			       get_str(o, "subnqn", r->subnqn, sizeof(r->subnqn)) ||
			       get_str(o, "traddr", r->port.traddr, sizeof(r->port.traddr)) ||
			       get_str(o, "trsvcid", r->port.trsvcid, sizeof(r->port.trsvcid))
		       ? -EINVAL
		       : 0;
}

static char *conn_json(const char *nqn, const char *by)
{
	json_object *o = json_object_new_object();

	add_str(o, "k", "c");
	add_str(o, "nqn", nqn);
	add_str(o, "by", by);
	return value_of(o);
}

static int conn_parse(json_object *o, struct etcd_event *ev)
{
	return get_str(o, "nqn", ev->u.conn.nqn, sizeof(ev->u.conn.nqn)) ||
			       get_str(o, "by", ev->u.conn.by, sizeof(ev->u.conn.by))
		       ? -EINVAL
		       : 0;
}

/* A stored value (base64 JSON) into ev; -ENOENT for a key that holds no record (markers). */
static int value_parse(const char *b64, struct etcd_event *ev)
{
	char text[8192];
	char kind[2];

	if (b64_dec(b64, text, sizeof(text)) < 0)
		return -EINVAL;
	json_object *o = json_tokener_parse(text);
	int err = -EINVAL;
	if (!o || !json_object_is_type(o, json_type_object))
		err = -EINVAL;
	else if (get_str(o, "k", kind, sizeof(kind)))
		err = -ENOENT;
	else if (kind[0] == 'e')
		ev->kind = ETCD_ENTITY, err = entity_parse(o, &ev->u.ent);
	else if (kind[0] == 'h')
		ev->kind = ETCD_HOST, err = host_parse(o, &ev->u.host);
	else if (kind[0] == 'r')
		ev->kind = ETCD_REC, err = rec_parse(o, &ev->u.rec);
	else if (kind[0] == 'c')
		ev->kind = ETCD_CONN, err = conn_parse(o, ev);
	json_object_put(o);
	return err;
}

/* ---- staging ---- */

static int stage(struct etcd *e, const char *key, char *value, bool del)
{
	struct staged *s, *old;

	if (!del && !value)
		return -ENOMEM;
	s = malloc(sizeof(*s) + strlen(key) + 1);
	if (!s) {
		free(value);
		return -ENOMEM;
	}
	strcpy(s->key, key);
	s->value = value;
	old = RB_INSERT(staged_tree, &e->staged, s);
	if (old) {
		free(old->value);
		old->value = value;
		free(s);
	} else {
		e->nstaged++;
	}
	return 0;
}

int etcd_entity_put(void *arg, const struct entity *ent)
{
	struct etcd *e = arg;
	char k[ETCD_KEY_MAX];

	key_entity(e, ent->nqn, k, sizeof(k));
	return stage(e, k, entity_json(ent), false);
}

int etcd_entity_del(void *arg, const char *nqn)
{
	struct etcd *e = arg;
	char k[ETCD_KEY_MAX];

	key_entity(e, nqn, k, sizeof(k));
	return stage(e, k, NULL, true);
}

int etcd_host_put(void *arg, const struct host_rec *h)
{
	struct etcd *e = arg;
	char k[ETCD_KEY_MAX];

	key_host(e, h, k, sizeof(k));
	return stage(e, k, host_json(h), false);
}

int etcd_host_del(void *arg, const struct host_rec *h)
{
	struct etcd *e = arg;
	char k[ETCD_KEY_MAX];

	key_host(e, h, k, sizeof(k));
	return stage(e, k, NULL, true);
}

int etcd_rec_put(void *arg, const struct log_rec *r)
{
	struct etcd *e = arg;
	char k[ETCD_KEY_MAX];

	key_rec(e, r, k, sizeof(k));
	return stage(e, k, rec_json(r), false);
}

int etcd_rec_del(void *arg, const struct log_rec *r)
{
	struct etcd *e = arg;
	char k[ETCD_KEY_MAX];

	key_rec(e, r, k, sizeof(k));
	return stage(e, k, NULL, true);
}

static void conn_dirty(struct etcd *e, struct conn *c, bool dirty)
{
	if (c->dirty != dirty)
		e->ndirty += dirty ? 1 : (size_t)-1;
	c->dirty = dirty;
}

int etcd_conn_set(struct etcd *e, const char *nqn, bool up)
{
	struct conn *c = malloc(sizeof(*c) + strlen(nqn) + 1), *old;

	if (!c)
		return -ENOMEM;
	strcpy(c->nqn, nqn);
	old = RB_FIND(conn_tree, &e->conns, c);
	if (old) {
		free(c);
		c = old;
	} else if (!up) {
		free(c);
		return 0;
	} else {
		*c = (struct conn){.up = true};
		strcpy(c->nqn, nqn);
		RB_INSERT(conn_tree, &e->conns, c);
	}
	c->up = up;
	c->gen++;
	conn_dirty(e, c, true);
	return 0;
}

void etcd_set_kick(struct etcd *e, void (*fn)(void *arg), void *arg)
{
	e->kick = fn;
	e->kick_arg = arg;
}

int etcd_self_set(struct etcd *e, const struct nvmf_disc_log_entry *ent, size_t n)
{
	size_t was = e->nself_ent;

	e->nself_ent = n < ETCD_MAX_SELF ? n : ETCD_MAX_SELF;
	memcpy(e->self_ent, ent, e->nself_ent * sizeof(*ent));
	/* None now where there were some: the key is deleted. */
	e->self_dirty = e->nself_ent > 0 || was > 0;
	return 0;
}

size_t etcd_peer_entries(const struct etcd *e, struct nvmf_disc_log_entry *out, size_t max)
{
	struct peer *p;
	size_t n = 0;

	RB_FOREACH(p, peer_tree, (struct peer_tree *)&e->peers)
	for (size_t i = 0; i < p->n && n < max; i++)
		out[n++] = p->ent[i];
	return n;
}

void etcd_set_peers_cb(struct etcd *e, void (*fn)(void *arg), void *arg)
{
	e->peers_cb = fn;
	e->peers_arg = arg;
}

static void key_self(const struct etcd *e, const char *by, char *k, size_t size)
{
	snprintf(k, size, "%ss/", e->prefix);
	key_part(k, size, by);
}

static bool is_self_key(const struct etcd *e, const char *key)
{
	size_t n = strlen(e->prefix);

	return !strncmp(key, e->prefix, n) && !strncmp(key + n, "s/", 2);
}

static void peers_clear(struct etcd *e)
{
	struct peer *p;

	while ((p = RB_MIN(peer_tree, &e->peers))) {
		RB_REMOVE(peer_tree, &e->peers, p);
		free(p);
	}
}

/* A self key's value (base64 JSON) came (put) or went: the table of peers follows. */
static void peer_event(struct etcd *e, const char *b64, bool del)
{
	char text[16384], by[CDC_NQN_MAX + 1], blob[sizeof(((struct peer *)0)->ent) + 4];
	json_object *o = b64_dec(b64, text, sizeof(text)) < 0 ? NULL : json_tokener_parse(text), *v;
	struct peer *p = NULL, *old;
	int len = -1;

	if (o && !get_str(o, "by", by, sizeof(by)) && strcmp(by, e->id) &&
	    json_object_object_get_ex(o, "entries", &v))
		len = b64_dec(json_object_get_string(v), blob, sizeof(blob));
	json_object_put(o);
	if (len < 0 || len % (int)sizeof(struct nvmf_disc_log_entry))
		return;
	p = calloc(1, sizeof(*p) + strlen(by) + 1);
	if (!p)
		return;
	strcpy(p->by, by);
	old = RB_FIND(peer_tree, &e->peers, p);
	if (old) {
		RB_REMOVE(peer_tree, &e->peers, old);
		free(old);
	}
	e->peers_changed = true;
	if (del) {
		free(p);
		return;
	}
	p->n = (size_t)len / sizeof(struct nvmf_disc_log_entry);
	memcpy(p->ent, blob, (size_t)len);
	RB_INSERT(peer_tree, &e->peers, p);
}

static void peers_tell(struct etcd *e)
{
	if (e->peers_changed && e->peers_cb)
		e->peers_cb(e->peers_arg);
	e->peers_changed = false;
}

/* Without a lease, a connection's key waits for the next one. */
size_t etcd_staged(const struct etcd *e)
{
	return e->nstaged + (e->lease ? e->ndirty + e->self_dirty : 0);
}

void etcd_rollback(struct etcd *e)
{
	struct staged *s;

	while ((s = RB_MIN(staged_tree, &e->staged))) {
		RB_REMOVE(staged_tree, &e->staged, s);
		free(s->value);
		free(s);
	}
	e->nstaged = 0;
}

/* ---- libcurl on the loop ---- */

static void req_free(struct req *q)
{
	if (!q)
		return;
	curl_easy_cleanup(q->easy);
	curl_slist_free_all(q->hdrs);
	free(q->body);
	free(q->in.p);
	free(q);
}

static void reap(struct etcd *e)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(e->multi, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		struct req *q;
		long code = 0;
		CURLcode res = msg->data.result;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&q);
		curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &code);
		curl_multi_remove_handle(e->multi, msg->easy_handle);
		int err = res != CURLE_OK || code != 200 ? -EIO : 0;
		if (err) {
			char why[300];
			if (res != CURLE_OK)
				snprintf(why, sizeof(why), "%s",
					 q->errbuf[0] ? q->errbuf : curl_easy_strerror(res));
			else /* etcd's own words: {"error":"etcdserver: ...","code":N} */
				snprintf(why, sizeof(why), "HTTP %ld %.120s", code,
					 q->in.p ? q->in.p : "");
			log_ratelimited(&e->rl, LOG_WARNING, "etcd %s: %s", e->endpoints[e->cur],
					why);
			/* The next request tries the next member. */
			e->cur = (e->cur + 1) % e->nendpoints;
		}
		q->done(e, q, err);
	}
}

static void sock_cb(evutil_socket_t fd, short what, void *arg)
{
	struct etcd *e = arg;
	int running, flags = (what & EV_READ ? CURL_CSELECT_IN : 0) |
			     (what & EV_WRITE ? CURL_CSELECT_OUT : 0);

	curl_multi_socket_action(e->multi, fd, flags, &running);
	reap(e);
}

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct etcd *e = arg;
	int running;

	(void)fd;
	(void)what;
	curl_multi_socket_action(e->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	reap(e);
}

static int curl_sock_fn(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct etcd *e = userp;
	struct sock *sk = socketp;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (sk) {
			event_free(sk->ev);
			free(sk);
		}
		curl_multi_assign(e->multi, s, NULL);
		return 0;
	}
	if (!sk) {
		sk = calloc(1, sizeof(*sk));
		if (!sk)
			return -1;
		curl_multi_assign(e->multi, s, sk);
	} else {
		event_free(sk->ev);
	}
	short kind = EV_PERSIST | (what & CURL_POLL_IN ? EV_READ : 0) |
		     (what & CURL_POLL_OUT ? EV_WRITE : 0);
	sk->ev = event_new(e->base, s, kind, sock_cb, e);
	return sk->ev && !event_add(sk->ev, NULL) ? 0 : -1;
}

static int curl_timer_fn(CURLM *multi, long ms, void *userp)
{
	struct etcd *e = userp;
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

	(void)multi;
	if (ms < 0)
		return evtimer_del(e->timer);
	return evtimer_add(e->timer, &tv);
}

static size_t write_fn(char *p, size_t size, size_t n, void *arg)
{
	struct req *q = arg;

	return buf_add(&q->in, p, size * n) ? 0 : size * n;
}

/* A POST of body (taken) to path on the current member. */
static struct req *req_new(struct etcd *e, const char *path, char *body,
			   size_t (*fn)(char *, size_t, size_t, void *))
{
	struct req *q = calloc(1, sizeof(*q));
	char url[512];

	if (!q || !body || !(q->easy = curl_easy_init())) {
		free(body);
		free(q);
		return NULL;
	}
	q->e = e;
	q->body = body;
	q->hdrs = curl_slist_append(NULL, "Content-Type: application/json");
	/* No "Expect: 100-continue" round trip before a large txn's body. */
	q->hdrs = q->hdrs ? curl_slist_append(q->hdrs, "Expect:") : NULL;
	snprintf(url, sizeof(url), "%s%s", e->endpoints[e->cur], path);
	curl_easy_setopt(q->easy, CURLOPT_URL, url);
	curl_easy_setopt(q->easy, CURLOPT_POSTFIELDS, q->body);
	curl_easy_setopt(q->easy, CURLOPT_POSTFIELDSIZE, (long)strlen(q->body));
	curl_easy_setopt(q->easy, CURLOPT_HTTPHEADER, q->hdrs);
	curl_easy_setopt(q->easy, CURLOPT_WRITEFUNCTION, fn);
	curl_easy_setopt(q->easy, CURLOPT_WRITEDATA, q);
	curl_easy_setopt(q->easy, CURLOPT_PRIVATE, q);
	curl_easy_setopt(q->easy, CURLOPT_ERRORBUFFER, q->errbuf);
	curl_easy_setopt(q->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(q->easy, CURLOPT_CONNECTTIMEOUT_MS, (long)ETCD_CONNECT_MS);
	curl_easy_setopt(q->easy, CURLOPT_TCP_KEEPALIVE, 1L);
	if (e->cacert)
		curl_easy_setopt(q->easy, CURLOPT_CAINFO, e->cacert);
	if (e->cert)
		curl_easy_setopt(q->easy, CURLOPT_SSLCERT, e->cert);
	if (e->key)
		curl_easy_setopt(q->easy, CURLOPT_SSLKEY, e->key);
	return q;
}

static json_object *answer(struct req *q)
{
	json_object *o = q->in.p ? json_tokener_parse(q->in.p) : NULL;

	if (o && !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static uint64_t header_revision(json_object *o)
{
	json_object *h;

	return json_object_object_get_ex(o, "header", &h) ? (uint64_t)get_int(h, "revision") : 0;
}

/* The range's end for every key under the prefix: the prefix with its last byte plus one. */
static char *prefix_end_b64(const struct etcd *e)
{
	char end[sizeof(e->prefix)];
	size_t n = strlen(e->prefix);

	memcpy(end, e->prefix, n);
	end[n - 1]++;
	return b64_enc(end, n);
}

static char *range_body(const struct etcd *e)
{
	char *k = b64_enc(e->prefix, strlen(e->prefix)), *end = prefix_end_b64(e), *body = NULL;

	if (k && end && asprintf(&body, "{\"key\":\"%s\",\"range_end\":\"%s\"}", k, end) < 0)
		body = NULL;
	free(k);
	free(end);
	return body;
}

/* ---- the load at start ---- */

static bool is_marker(const struct etcd *e, const char *key)
{
	size_t n = strlen(e->prefix);

	return !strncmp(key, e->prefix, n) && !strncmp(key + n, "w/", 2);
}

static int load_kvs(struct etcd *e, json_object *kvs, const struct etcd_loader *el, bool entities)
{
	for (size_t i = 0; i < json_object_array_length(kvs); i++) {
		json_object *kv = json_object_array_get_idx(kvs, i), *v;
		struct etcd_event ev;
		char key[ETCD_KEY_MAX];
		if (!json_object_object_get_ex(kv, "key", &v) ||
		    b64_dec(json_object_get_string(v), key, sizeof(key)) < 0 || is_marker(e, key) ||
		    !json_object_object_get_ex(kv, "value", &v))
			continue;
		if (is_self_key(e, key)) {
			if (entities)
				peer_event(e, json_object_get_string(v), false);
			continue;
		}
		int err = value_parse(json_object_get_string(v), &ev);
		if (err == -ENOENT)
			continue;
		if (err)
			return err;
		const struct store_loader *ld = &el->rows;
		/* Our own, from before a restart: they go with the old lease. */
		if (!entities && ev.kind == ETCD_CONN && strcmp(ev.u.conn.by, e->id) && el->conn)
			err = el->conn(ld->arg, ev.u.conn.nqn, ev.u.conn.by);
		else if (entities && ev.kind == ETCD_ENTITY && ld->entity)
			err = ld->entity(ld->arg, &ev.u.ent);
		else if (!entities && ev.kind == ETCD_HOST && ld->host)
			err = ld->host(ld->arg, &ev.u.host);
		else if (!entities && ev.kind == ETCD_REC && ld->rec)
			err = ld->rec(ld->arg, &ev.u.rec);
		if (err)
			return err;
	}
	return 0;
}

static int load_from(struct etcd *e, const struct etcd_loader *ld, uint64_t *rev)
{
	struct req *q = req_new(e, "/v3/kv/range", range_body(e), write_fn);
	long code = 0;

	if (!q)
		return -ENOMEM;
	curl_easy_setopt(q->easy, CURLOPT_TIMEOUT_MS, 30000L);
	CURLcode res = curl_easy_perform(q->easy);
	curl_easy_getinfo(q->easy, CURLINFO_RESPONSE_CODE, &code);
	json_object *o = res == CURLE_OK && code == 200 ? answer(q) : NULL, *kvs;
	int err = o ? 0 : -EIO;
	if (err)
		log_warn("etcd %s: cannot read %s: %s", e->endpoints[e->cur], e->prefix,
			 res != CURLE_OK ? curl_easy_strerror(res) : "bad answer");
	if (!err) {
		*rev = header_revision(o);
		/* Entities before the hosts and records they own, as the SQLite load. */
		if (json_object_object_get_ex(o, "kvs", &kvs))
			err = load_kvs(e, kvs, ld, true);
		if (!err && json_object_object_get_ex(o, "kvs", &kvs))
			err = load_kvs(e, kvs, ld, false);
		if (err)
			log_err("etcd: a record under %s cannot be read: %s", e->prefix,
				strerror(-err));
	}
	json_object_put(o);
	req_free(q);
	return err;
}

static char *lease_body(void)
{
	char *body = NULL;

	return asprintf(&body, "{\"TTL\":%d}", ETCD_LEASE_TTL) < 0 ? NULL : body;
}

/* The lease of a grant or keepalive answer, 0 when it has none (expired, unknown). */
static int64_t lease_of(json_object *o)
{
	json_object *r;

	if (o && json_object_object_get_ex(o, "result", &r))
		o = r;
	return o && get_int(o, "TTL") > 0 ? get_int(o, "ID") : 0;
}

static int lease_grant_now(struct etcd *e)
{
	struct req *q = req_new(e, "/v3/lease/grant", lease_body(), write_fn);
	long code = 0;

	if (!q)
		return -ENOMEM;
	curl_easy_setopt(q->easy, CURLOPT_TIMEOUT_MS, (long)ETCD_TXN_TIMEOUT);
	CURLcode res = curl_easy_perform(q->easy);
	curl_easy_getinfo(q->easy, CURLINFO_RESPONSE_CODE, &code);
	json_object *o = res == CURLE_OK && code == 200 ? answer(q) : NULL;
	e->lease = lease_of(o);
	json_object_put(o);
	req_free(q);
	return e->lease ? 0 : -EIO;
}

static void keepalive_arm(struct etcd *e)
{
	struct timeval tv = {ETCD_LEASE_TTL / 3, 0};

	evtimer_add(e->keepalive, &tv);
}

int etcd_load(struct etcd *e, const struct etcd_loader *ld, uint64_t *rev)
{
	int err = -EIO;

	/* A member that does not answer is passed over; the others may. */
	for (size_t i = 0; i < e->nendpoints && err == -EIO; i++) {
		err = load_from(e, ld, rev);
		if (err == -EIO)
			e->cur = (e->cur + 1) % e->nendpoints;
	}
	e->watch_rev = *rev;
	if (!err && (err = lease_grant_now(e)))
		log_err("etcd %s: cannot take a lease", e->endpoints[e->cur]);
	if (!err)
		keepalive_arm(e);
	return err;
}

/* ---- the lease ---- */

/* A new lease carries every connection again: the old one took their keys with it. */
static void lease_granted(struct etcd *e, struct req *q, int err)
{
	json_object *o = err ? NULL : answer(q);
	struct conn *c;

	e->lease = lease_of(o);
	json_object_put(o);
	req_free(q);
	e->ka = NULL;
	if (!e->lease)
		return;
	log_info("etcd: new lease %lld; this instance's connections are written again",
		 (long long)e->lease);
	RB_FOREACH(c, conn_tree, &e->conns)
	if (c->up)
		conn_dirty(e, c, true);
	e->self_dirty = e->nself_ent > 0;
	if ((e->ndirty || e->self_dirty) && e->kick)
		e->kick(e->kick_arg);
}

static void kept_alive(struct etcd *e, struct req *q, int err)
{
	json_object *o = err ? NULL : answer(q);
	bool lost = o && !lease_of(o);

	json_object_put(o);
	req_free(q);
	e->ka = NULL;
	/* Unreachable, the lease may live on: only etcd's word that it is gone counts. */
	if (!lost)
		return;
	log_warn("etcd: lease %lld expired; taking a new one", (long long)e->lease);
	e->lease = 0;
	e->ka = req_new(e, "/v3/lease/grant", lease_body(), write_fn);
	if (e->ka && curl_multi_add_handle(e->multi, e->ka->easy) == CURLM_OK) {
		e->ka->done = lease_granted;
		return;
	}
	req_free(e->ka);
	e->ka = NULL;
}

static void keepalive_cb(evutil_socket_t fd, short what, void *arg)
{
	struct etcd *e = arg;
	char *body = NULL;

	(void)fd;
	(void)what;
	keepalive_arm(e);
	if (e->ka)
		return;
	if (!e->lease) {
		e->ka = req_new(e, "/v3/lease/grant", lease_body(), write_fn);
		if (e->ka)
			e->ka->done = lease_granted;
	} else if (asprintf(&body, "{\"ID\":\"%lld\"}", (long long)e->lease) >= 0) {
		e->ka = req_new(e, "/v3/lease/keepalive", body, write_fn);
		if (e->ka)
			e->ka->done = kept_alive;
	}
	if (e->ka) {
		curl_easy_setopt(e->ka->easy, CURLOPT_TIMEOUT_MS, (long)ETCD_TXN_TIMEOUT);
		if (curl_multi_add_handle(e->multi, e->ka->easy) != CURLM_OK) {
			req_free(e->ka);
			e->ka = NULL;
		}
	}
}

/* A full read of the prefix. */
struct snap {
	uint64_t rev;
	size_t n;
	struct etcd_event *ev;
};

static void snap_free(struct snap *s)
{
	if (s)
		free(s->ev);
	free(s);
}

static void snap_apply(struct etcd *e, struct snap *s);

/* ---- own txns and the changes of others ---- */

static bool own_wrote_after(const struct etcd *e, const char *key, uint64_t rev)
{
	const struct own_txn *o;

	TAILQ_FOREACH (o, &e->own, link) {
		if (o->rev <= rev)
			continue;
		for (size_t i = 0; i < o->n; i++)
			if (!strcmp(o->keys[i], key))
				return true;
	}
	return false;
}

static void own_release(struct etcd *e, uint64_t upto)
{
	struct own_txn *o;

	while ((o = TAILQ_FIRST(&e->own)) && o->rev <= upto) {
		TAILQ_REMOVE(&e->own, o, link);
		for (size_t i = 0; i < o->n; i++)
			free(o->keys[i]);
		free(o->keys);
		free(o);
	}
}

/* Hands another instance's txn to the registry, less what a later txn of ours replaced. */
static void deliver(struct etcd *e, struct etcd_event *ev, size_t n, uint64_t rev)
{
	size_t kept = 0;
	char k[ETCD_KEY_MAX];

	for (size_t i = 0; i < n; i++) {
		key_of(e, &ev[i], k, sizeof(k));
		if (!own_wrote_after(e, k, rev))
			ev[kept++] = ev[i];
	}
	/* Even with nothing left, the revision moves GENCTR. */
	if (e->remote)
		e->remote(e->remote_arg, ev, kept, rev);
}

static void hold_or_deliver(struct etcd *e, struct etcd_event *ev, size_t n, uint64_t rev)
{
	if (!e->txn) {
		deliver(e, ev, n, rev);
		return;
	}
	struct held *h = malloc(sizeof(*h) + n * sizeof(*ev));
	if (!h) {
		log_ratelimited(&e->rl, LOG_ERR,
				"etcd: no memory for revision %llu of another "
				"instance; restart to see it",
				(unsigned long long)rev);
		return;
	}
	h->rev = rev;
	h->n = n;
	memcpy(h->ev, ev, n * sizeof(*ev));
	TAILQ_INSERT_TAIL(&e->held, h, link);
}

static void deliver_held(struct etcd *e)
{
	struct held *h;

	while (!e->txn && (h = TAILQ_FIRST(&e->held))) {
		TAILQ_REMOVE(&e->held, h, link);
		deliver(e, h->ev, h->n, h->rev);
		free(h);
	}
}

/* ---- txns ---- */

static int conn_op(struct etcd *e, struct buf *b, const struct conn *c)
{
	char k[ETCD_KEY_MAX], *kb, *v = NULL, *vb = NULL, *op = NULL;
	int err;

	key_conn(e, c->nqn, e->id, k, sizeof(k));
	kb = b64_enc(k, strlen(k));
	if (c->up && (v = conn_json(c->nqn, e->id)))
		vb = b64_enc(v, strlen(v));
	if (!kb || (c->up && !vb))
		err = -1;
	else if (c->up)
		err = asprintf(&op,
			       ",{\"request_put\":{\"key\":\"%s\",\"value\":\"%s\","
			       "\"lease\":\"%lld\"}}",
			       kb, vb, (long long)e->lease);
	else
		err = asprintf(&op, ",{\"request_delete_range\":{\"key\":\"%s\"}}", kb);
	if (err >= 0)
		err = buf_add(b, op, strlen(op));
	free(op);
	free(kb);
	free(v);
	free(vb);
	return err < 0 ? -ENOMEM : 0;
}

/* This instance's self entries, bound to the lease. */
static int self_op(struct etcd *e, struct buf *b)
{
	char k[ETCD_KEY_MAX], *kb, *eb, *vb = NULL, *v = NULL, *op = NULL;
	json_object *o = json_object_new_object();
	int err = -1;

	key_self(e, e->id, k, sizeof(k));
	kb = b64_enc(k, strlen(k));
	eb = b64_enc((const char *)e->self_ent, e->nself_ent * sizeof(e->self_ent[0]));
	if (o && eb) {
		add_str(o, "k", "s");
		add_str(o, "by", e->id);
		add_str(o, "entries", eb);
		v = value_of(o);
		o = NULL;
	}
	json_object_put(o);
	if (v)
		vb = b64_enc(v, strlen(v));
	if (kb && !e->nself_ent)
		err = asprintf(&op, ",{\"request_delete_range\":{\"key\":\"%s\"}}", kb);
	else if (kb && vb)
		err = asprintf(&op,
			       ",{\"request_put\":{\"key\":\"%s\",\"value\":\"%s\","
			       "\"lease\":\"%lld\"}}",
			       kb, vb, (long long)e->lease);
	if (err >= 0)
		err = buf_add(b, op, strlen(op));
	if (err >= 0)
		e->self_sent = true;
	free(op);
	free(kb);
	free(eb);
	free(v);
	free(vb);
	return err < 0 ? -ENOMEM : 0;
}

/* The connections that changed since etcd last had them, after the rows (never first: the
 * marker is always there before them). */
static int conn_ops(struct etcd *e, struct buf *b)
{
	struct conn *c;
	int err = 0;

	if (e->lease && e->self_dirty && e->nstaged < ETCD_TXN_OPS && (err = self_op(e, b)))
		return err;
	if (!e->lease || !e->ndirty)
		return 0;
	e->sent = calloc(e->ndirty, sizeof(*e->sent));
	if (!e->sent)
		return -ENOMEM;
	RB_FOREACH(c, conn_tree, &e->conns)
	{
		if (!c->dirty || e->nsent == e->ndirty)
			continue;
		/* The rest go with the next txn (txn_answered). */
		if (e->nstaged + e->nsent + e->self_sent >= ETCD_TXN_OPS)
			break;
		err = conn_op(e, b, c);
		if (err)
			return err;
		c->sent_gen = c->gen;
		e->sent[e->nsent++] = c;
	}
	return 0;
}

/* After the txn: what it wrote is clean unless it changed again meanwhile; what it failed
 * to write stays dirty for the next one. */
static void conns_written(struct etcd *e, bool ok)
{
	if (e->self_sent && ok)
		e->self_dirty = false;
	e->self_sent = false;
	for (size_t i = 0; i < e->nsent; i++) {
		struct conn *c = e->sent[i];
		bool same = c->sent_gen == c->gen;
		c->sent_gen = 0;
		if (!ok || !same)
			continue;
		conn_dirty(e, c, false);
		if (!c->up) {
			RB_REMOVE(conn_tree, &e->conns, c);
			free(c);
		}
	}
	free(e->sent);
	e->sent = NULL;
	e->nsent = 0;
}

static void txn_answered(struct etcd *e, struct req *q, int err)
{
	json_object *o = err ? NULL : answer(q);
	uint64_t rev = o ? header_revision(o) : 0;
	etcd_done_fn done = e->txn_done;

	if (!err && !rev)
		err = -EIO;
	json_object_put(o);
	req_free(q);
	e->txn = NULL;
	struct own_txn *own = err ? NULL : malloc(sizeof(*own));
	if (own) {
		own->rev = rev;
		own->keys = e->txn_keys;
		own->n = e->ntxn_keys;
		TAILQ_INSERT_TAIL(&e->own, own, link);
	} else {
		for (size_t i = 0; i < e->ntxn_keys; i++)
			free(e->txn_keys[i]);
		free(e->txn_keys);
	}
	e->txn_keys = NULL;
	e->ntxn_keys = 0;
	conns_written(e, !err);
	done(e->txn_arg, err, rev);
	if (e->pending_snap) {
		struct snap *s = e->pending_snap;
		e->pending_snap = NULL;
		snap_apply(e, s);
	}
	deliver_held(e);
	own_release(e, e->watch_rev);
	/* Connections left for lack of room, or after a failure: another txn. */
	if ((e->ndirty || e->self_dirty) && e->lease && e->kick)
		e->kick(e->kick_arg);
}

static int txn_op(struct buf *b, const struct staged *s)
{
	char *k = b64_enc(s->key, strlen(s->key));
	char *v = s->value ? b64_enc(s->value, strlen(s->value)) : NULL;
	char *op = NULL;
	int err = 0;

	if (!k || (s->value && !v))
		err = -ENOMEM;
	else if (s->value)
		err = asprintf(&op, "{\"request_put\":{\"key\":\"%s\",\"value\":\"%s\"}}", k, v);
	else
		err = asprintf(&op, "{\"request_delete_range\":{\"key\":\"%s\"}}", k);
	if (err >= 0)
		err = buf_add(b, op, strlen(op));
	free(op);
	free(k);
	free(v);
	return err < 0 ? -ENOMEM : 0;
}

/* The txn's body; the staged rows become the keys the watch checks against. */
static char *txn_body(struct etcd *e)
{
	struct buf b = {0};
	struct staged *s;
	char seq[24];
	int err = buf_add(&b, "{\"success\":[", 12);

	e->txn_keys = calloc(e->nstaged + 1, sizeof(char *));
	if (!e->txn_keys)
		err = -ENOMEM;
	/* The marker makes every txn a revision of its own that the watch can recognise. */
	snprintf(seq, sizeof(seq), "%llu", (unsigned long long)++e->seq);
	if (!err)
		err = stage(e, e->marker, strdup(seq), false);
	RB_FOREACH(s, staged_tree, &e->staged)
	{
		if (!err && b.len > 12)
			err = buf_add(&b, ",", 1);
		if (!err)
			err = txn_op(&b, s);
		if (!err && strcmp(s->key, e->marker) &&
		    !(e->txn_keys[e->ntxn_keys] = strdup(s->key)))
			err = -ENOMEM;
		if (!err && strcmp(s->key, e->marker))
			e->ntxn_keys++;
	}
	if (!err)
		err = conn_ops(e, &b);
	if (!err)
		err = buf_add(&b, "]}", 2);
	etcd_rollback(e);
	if (err) {
		free(b.p);
		return NULL;
	}
	return b.p;
}

int etcd_commit(struct etcd *e, etcd_done_fn done, void *arg)
{
	if (e->txn) {
		etcd_rollback(e);
		return -EBUSY;
	}
	char *body = txn_body(e);
	struct req *q = req_new(e, "/v3/kv/txn", body, write_fn);
	if (q)
		curl_easy_setopt(q->easy, CURLOPT_TIMEOUT_MS, (long)ETCD_TXN_TIMEOUT);
	if (!q || curl_multi_add_handle(e->multi, q->easy) != CURLM_OK) {
		req_free(q);
		conns_written(e, false);
		for (size_t i = 0; i < e->ntxn_keys; i++)
			free(e->txn_keys[i]);
		free(e->txn_keys);
		e->txn_keys = NULL;
		e->ntxn_keys = 0;
		return -ENOMEM;
	}
	q->done = txn_answered;
	e->txn = q;
	e->txn_done = done;
	e->txn_arg = arg;
	return 0;
}

void etcd_cancel(struct etcd *e)
{
	if (!e->txn)
		return;
	conns_written(e, false);
	curl_multi_remove_handle(e->multi, e->txn->easy);
	req_free(e->txn);
	e->txn = NULL;
	for (size_t i = 0; i < e->ntxn_keys; i++)
		free(e->txn_keys[i]);
	free(e->txn_keys);
	e->txn_keys = NULL;
	e->ntxn_keys = 0;
}

/* ---- the watch ---- */

/* One event of a watch answer into ev; -ENOENT for one that is no record. */
static int event_parse(struct etcd *e, json_object *jev, struct etcd_event *ev, bool *mine,
		       uint64_t *rev)
{
	json_object *kv, *v, *type;
	char key[ETCD_KEY_MAX];

	if (!json_object_object_get_ex(jev, "kv", &kv) ||
	    !json_object_object_get_ex(kv, "key", &v) ||
	    b64_dec(json_object_get_string(v), key, sizeof(key)) < 0)
		return -EINVAL;
	*rev = (uint64_t)get_int(kv, "mod_revision");
	/* PUT is the enum's zero, which the gateway leaves out. */
	ev->del = json_object_object_get_ex(jev, "type", &type) &&
		  !strcmp(json_object_get_string(type), "DELETE");
	if (is_marker(e, key)) {
		*mine |= !ev->del && !strcmp(key, e->marker);
		return -ENOENT;
	}
	/* A delete names its record through the value it removed. */
	if (ev->del && !json_object_object_get_ex(jev, "prev_kv", &kv))
		return -EINVAL;
	if (!json_object_object_get_ex(kv, "value", &v))
		return -EINVAL;
	if (is_self_key(e, key)) {
		peer_event(e, json_object_get_string(v), ev->del);
		return -ENOENT;
	}
	int err = value_parse(json_object_get_string(v), ev);
	/* Ours: in a txn of ours, or an old lease's going (the key was written again). */
	return !err && ev->kind == ETCD_CONN && !strcmp(ev->u.conn.by, e->id) ? -ENOENT : err;
}

/* A txn's events share a revision: each run of one revision is one remote batch. */
static void watch_events(struct etcd *e, json_object *events)
{
	size_t n = json_object_array_length(events), i = 0;
	struct etcd_event *ev = calloc(n ? n : 1, sizeof(*ev));

	if (!ev)
		return;
	while (i < n) {
		uint64_t rev = 0, r;
		size_t got = 0;
		bool mine = false;
		for (; i < n; i++) {
			bool m = false;
			int err = event_parse(e, json_object_array_get_idx(events, i), &ev[got], &m,
					      &r);
			if (rev && r != rev)
				break;
			rev = r;
			mine |= m;
			if (!err)
				got++;
			else if (err != -ENOENT)
				log_ratelimited(&e->rl, LOG_WARNING,
						"etcd: an event of revision %llu cannot be read",
						(unsigned long long)r);
		}
		if (rev > e->watch_rev)
			e->watch_rev = rev;
		/* Ours, but committed after a snapshot that was applied without it. */
		if (mine && rev > e->replay_from && rev <= e->replay_upto)
			mine = false;
		if (!mine)
			hold_or_deliver(e, ev, got, rev);
		if (!e->txn)
			own_release(e, e->watch_rev);
	}
	free(ev);
}

static void watch_message(struct etcd *e, const char *line)
{
	json_object *o = json_tokener_parse(line), *res, *events, *v;

	if (!o || !json_object_object_get_ex(o, "result", &res)) {
		json_object_put(o);
		return;
	}
	if (json_object_object_get_ex(res, "created", &v) && json_object_get_boolean(v) &&
	    !e->watch_live) {
		e->watch_live = true;
		log_info("etcd: watching %s from revision %llu", e->prefix,
			 (unsigned long long)e->watch_rev + 1);
	}
	if (json_object_object_get_ex(res, "canceled", &v) && json_object_get_boolean(v)) {
		log_warn("etcd: revisions after %llu are compacted (at %lld); reading %s again",
			 (unsigned long long)e->watch_rev,
			 (long long)get_int(res, "compact_revision"), e->prefix);
		e->resync = true;
	}
	if (json_object_object_get_ex(res, "events", &events))
		watch_events(e, events);
	json_object_put(o);
	peers_tell(e);
}

/* The stream is one JSON answer per line. */
static size_t watch_write(char *p, size_t size, size_t n, void *arg)
{
	struct req *q = arg;
	char *nl;

	if (buf_add(&q->in, p, size * n))
		return 0;
	while (!q->e->resync && (nl = memchr(q->in.p, '\n', q->in.len))) {
		*nl = '\0';
		watch_message(q->e, q->in.p);
		size_t used = (size_t)(nl + 1 - q->in.p);
		memmove(q->in.p, nl + 1, q->in.len - used + 1);
		q->in.len -= used;
	}
	/* A cancelled watch ends here: the full read follows (watch_ended). */
	return q->e->resync ? 0 : size * n;
}

static int watch_start(struct etcd *e);
static int resync_start(struct etcd *e);

static void watch_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct etcd *e = arg;

	(void)fd;
	(void)what;
	if (e->resync)
		resync_start(e);
	else
		watch_start(e);
}

static void watch_ended(struct etcd *e, struct req *q, int err)
{
	struct timeval tv = {ETCD_WATCH_RETRY_S, 0};

	if (q->in.len && !e->resync)
		watch_message(e, q->in.p);
	req_free(q);
	e->watch = NULL;
	if (e->resync) {
		e->watch_live = false;
		resync_start(e);
		return;
	}
	if (e->watch_live)
		log_warn("etcd: the watch of %s ended (%s); resuming after revision %llu",
			 e->prefix, err ? "unreachable" : "closed",
			 (unsigned long long)e->watch_rev);
	e->watch_live = false;
	evtimer_add(e->retry, &tv);
}

static int watch_start(struct etcd *e)
{
	char *k = b64_enc(e->prefix, strlen(e->prefix)), *end = prefix_end_b64(e), *body = NULL;

	if (k && end &&
	    asprintf(&body,
		     "{\"create_request\":{\"key\":\"%s\",\"range_end\":\"%s\","
		     "\"start_revision\":\"%llu\",\"prev_kv\":true}}",
		     k, end, (unsigned long long)e->watch_rev + 1) < 0)
		body = NULL;
	free(k);
	free(end);
	struct req *q = req_new(e, "/v3/watch", body, watch_write);
	if (!q || curl_multi_add_handle(e->multi, q->easy) != CURLM_OK) {
		req_free(q);
		return -ENOMEM;
	}
	q->done = watch_ended;
	e->watch = q;
	return 0;
}

/* ---- reading everything again ---- */

static int key_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

bool etcd_has(const struct etcd *e, const struct etcd_event *ev)
{
	char k[ETCD_KEY_MAX], *kp = k;

	key_of(e, ev, k, sizeof(k));
	return e->snap_keys &&
	       bsearch(&kp, e->snap_keys, e->nsnap_keys, sizeof(char *), key_cmp) != NULL;
}

/* Hands the snapshot over; txns of ours after it are applied again from the watch, and the
 * others' txns held from before it are dropped (it holds them). */
static void snap_apply(struct etcd *e, struct snap *s)
{
	char k[ETCD_KEY_MAX];
	struct own_txn *o;
	struct held *h, *next;

	e->snap_keys = calloc(s->n ? s->n : 1, sizeof(char *));
	for (size_t i = 0; e->snap_keys && i < s->n; i++) {
		key_of(e, &s->ev[i], k, sizeof(k));
		if (!(e->snap_keys[e->nsnap_keys] = strdup(k)))
			break;
		e->nsnap_keys++;
	}
	if (!e->snap_keys || e->nsnap_keys < s->n) {
		log_err("etcd: no memory to apply a full read; reading again");
		e->resync = true;
	} else {
		qsort(e->snap_keys, e->nsnap_keys, sizeof(char *), key_cmp);
		e->replay_from = s->rev;
		TAILQ_FOREACH (o, &e->own, link)
			e->replay_upto = o->rev > e->replay_upto ? o->rev : e->replay_upto;
		if (e->snapshot)
			e->snapshot(e->remote_arg, s->ev, s->n, s->rev);
		for (h = TAILQ_FIRST(&e->held); h; h = next) {
			next = TAILQ_NEXT(h, link);
			if (h->rev <= s->rev) {
				TAILQ_REMOVE(&e->held, h, link);
				free(h);
			}
		}
	}
	for (size_t i = 0; i < e->nsnap_keys; i++)
		free(e->snap_keys[i]);
	free(e->snap_keys);
	e->snap_keys = NULL;
	e->nsnap_keys = 0;
	snap_free(s);
}

/* The records of a range answer, conns of the other instances included. */
static struct snap *snap_parse(struct etcd *e, json_object *o)
{
	struct snap *s = calloc(1, sizeof(*s));
	json_object *kvs = NULL, *v;
	size_t n;

	if (!s)
		return NULL;
	s->rev = header_revision(o);
	json_object_object_get_ex(o, "kvs", &kvs);
	n = kvs ? json_object_array_length(kvs) : 0;
	s->ev = calloc(n ? n : 1, sizeof(*s->ev));
	if (!s->ev || !s->rev) {
		snap_free(s);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		json_object *kv = json_object_array_get_idx(kvs, i);
		char key[ETCD_KEY_MAX];
		struct etcd_event *ev = &s->ev[s->n];
		if (!json_object_object_get_ex(kv, "key", &v) ||
		    b64_dec(json_object_get_string(v), key, sizeof(key)) < 0 || is_marker(e, key) ||
		    !json_object_object_get_ex(kv, "value", &v))
			continue;
		if (is_self_key(e, key)) {
			peer_event(e, json_object_get_string(v), false);
			continue;
		}
		if (value_parse(json_object_get_string(v), ev))
			continue;
		if (ev->kind == ETCD_CONN && !strcmp(ev->u.conn.by, e->id))
			continue;
		s->n++;
	}
	return s;
}

static void resync_answered(struct etcd *e, struct req *q, int err)
{
	struct timeval tv = {ETCD_WATCH_RETRY_S, 0};
	json_object *o = err ? NULL : answer(q);

	/* The snapshot's peers replace those known. */
	if (o)
		peers_clear(e);
	struct snap *s = o ? snap_parse(e, o) : NULL;

	json_object_put(o);
	req_free(q);
	e->watch = NULL;
	e->peers_changed |= s != NULL;
	peers_tell(e);
	if (!s) {
		evtimer_add(e->retry, &tv);
		return;
	}
	log_info("etcd: read %s again at revision %llu: %zu records", e->prefix,
		 (unsigned long long)s->rev, s->n);
	e->resync = false;
	e->watch_rev = s->rev;
	if (e->txn) {
		snap_free(e->pending_snap);
		e->pending_snap = s;
	} else {
		snap_apply(e, s);
	}
	if (e->resync)
		evtimer_add(e->retry, &tv);
	else
		watch_start(e);
}

static int resync_start(struct etcd *e)
{
	struct req *q = req_new(e, "/v3/kv/range", range_body(e), write_fn);

	if (q)
		curl_easy_setopt(q->easy, CURLOPT_TIMEOUT_MS, 30000L);
	if (!q || curl_multi_add_handle(e->multi, q->easy) != CURLM_OK) {
		struct timeval tv = {ETCD_WATCH_RETRY_S, 0};
		req_free(q);
		evtimer_add(e->retry, &tv);
		return -ENOMEM;
	}
	q->done = resync_answered;
	e->watch = q;
	return 0;
}

int etcd_watch(struct etcd *e, uint64_t rev, etcd_remote_fn fn, etcd_snapshot_fn snap, void *arg)
{
	e->watch_rev = rev;
	e->remote = fn;
	e->snapshot = snap;
	e->remote_arg = arg;
	return watch_start(e);
}

bool etcd_watching(const struct etcd *e)
{
	return e->watch_live;
}

/* ---- life cycle ---- */

static int endpoints_split(struct etcd *e, const char *list)
{
	char *copy = strdup(list), *save = NULL;

	if (!copy)
		return -ENOMEM;
	for (char *t = strtok_r(copy, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
		char **n = realloc(e->endpoints, (e->nendpoints + 1) * sizeof(*n));
		if (!n || !(n[e->nendpoints] = strdup(t))) {
			e->endpoints = n ? n : e->endpoints;
			free(copy);
			return -ENOMEM;
		}
		e->endpoints = n;
		size_t len = strlen(t);
		if (len && t[len - 1] == '/')
			e->endpoints[e->nendpoints][len - 1] = '\0';
		e->nendpoints++;
	}
	free(copy);
	return e->nendpoints ? 0 : -EINVAL;
}

static char *opt_dup(const char *s)
{
	return s && *s ? strdup(s) : NULL;
}

int etcd_new(struct event_base *base, const struct etcd_opts *o, struct etcd **out)
{
	struct etcd *e = calloc(1, sizeof(*e));

	if (!e)
		return -ENOMEM;
	e->base = base;
	e->rl = (struct ratelimit)RATELIMIT_INIT(5, 10);
	RB_INIT(&e->staged);
	TAILQ_INIT(&e->own);
	TAILQ_INIT(&e->held);
	snprintf(e->prefix, sizeof(e->prefix), "%s", o->prefix);
	snprintf(e->id, sizeof(e->id), "%s", o->id);
	RB_INIT(&e->conns);
	RB_INIT(&e->peers);
	snprintf(e->marker, sizeof(e->marker), "%sw/", e->prefix);
	key_part(e->marker, sizeof(e->marker), o->id);
	e->cacert = opt_dup(o->cacert);
	e->cert = opt_dup(o->cert);
	e->key = opt_dup(o->key);
	int err = endpoints_split(e, o->endpoints);
	if (!err && (!*e->prefix || curl_global_init(CURL_GLOBAL_DEFAULT)))
		err = -EINVAL;
	if (!err) {
		e->multi = curl_multi_init();
		e->timer = evtimer_new(base, timer_cb, e);
		e->retry = evtimer_new(base, watch_retry_cb, e);
		e->keepalive = evtimer_new(base, keepalive_cb, e);
		err = e->multi && e->timer && e->retry && e->keepalive ? 0 : -ENOMEM;
	}
	if (err) {
		etcd_free(e);
		return err;
	}
	curl_multi_setopt(e->multi, CURLMOPT_SOCKETFUNCTION, curl_sock_fn);
	curl_multi_setopt(e->multi, CURLMOPT_SOCKETDATA, e);
	curl_multi_setopt(e->multi, CURLMOPT_TIMERFUNCTION, curl_timer_fn);
	curl_multi_setopt(e->multi, CURLMOPT_TIMERDATA, e);
	*out = e;
	return 0;
}

static void req_drop(struct etcd *e, struct req *q)
{
	if (q) {
		curl_multi_remove_handle(e->multi, q->easy);
		req_free(q);
	}
}

/* On the way out: the other instances see this one's connections go at once, not after
 * the lease's time. Bounded, and only at exit. */
static void lease_revoke_now(struct etcd *e)
{
	char *body = NULL;

	if (!e->lease || asprintf(&body, "{\"ID\":\"%lld\"}", (long long)e->lease) < 0)
		return;
	struct req *q = req_new(e, "/v3/lease/revoke", body, write_fn);
	if (!q)
		return;
	curl_easy_setopt(q->easy, CURLOPT_TIMEOUT_MS, 1000L);
	curl_easy_perform(q->easy);
	req_free(q);
	e->lease = 0;
}

void etcd_free(struct etcd *e)
{
	struct held *h;

	if (!e)
		return;
	struct conn *c;

	etcd_cancel(e);
	req_drop(e, e->watch);
	snap_free(e->pending_snap);
	peers_clear(e);
	req_drop(e, e->ka);
	lease_revoke_now(e);
	while ((c = RB_MIN(conn_tree, &e->conns))) {
		RB_REMOVE(conn_tree, &e->conns, c);
		free(c);
	}
	own_release(e, UINT64_MAX);
	while ((h = TAILQ_FIRST(&e->held))) {
		TAILQ_REMOVE(&e->held, h, link);
		free(h);
	}
	etcd_rollback(e);
	if (e->multi)
		curl_multi_cleanup(e->multi);
	if (e->timer)
		event_free(e->timer);
	if (e->retry)
		event_free(e->retry);
	if (e->keepalive)
		event_free(e->keepalive);
	for (size_t i = 0; i < e->nendpoints; i++)
		free(e->endpoints[i]);
	free(e->endpoints);
	free(e->cacert);
	free(e->cert);
	free(e->key);
	free(e);
}
