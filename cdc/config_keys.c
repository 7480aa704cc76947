/* config_keys.c - the table of cdcd.conf's keys and the value types they share (see
 * config_keys.h). Adding a key is one entry here, one field in struct cdc_config and one
 * paragraph in cdcd.conf(5); a test checks the last. */
#include "config_keys.h"

#include <errno.h>
#include <nvme/types.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dhchap.h"
#include "name.h"

#define QUOTE_MAX 96 /* bytes of a refused value quoted back */

static int refuse(struct key_pass *kp, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int refuse(struct key_pass *kp, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(kp->err, sizeof(kp->err), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static void *field(const struct cdc_config *cfg, const struct config_key *k)
{
	return (char *)cfg + k->off;
}

/* ---- value types ---- */

static int parse_number(struct key_pass *kp, const struct config_key *k, const char *val)
{
	unsigned long v;

	if (addr_parse_uint(val, k->min, k->max, &v))
		return refuse(kp, "bad %s '%.*s' (expected %lu..%lu%s)", k->name, QUOTE_MAX, val,
			      k->min, k->max, k->hint ? k->hint : "");
	*(unsigned int *)field(kp->cfg, k) = (unsigned int)v;
	return 0;
}

static void dump_number(const struct cdc_config *cfg, const struct config_key *k, FILE *out)
{
	fprintf(out, "%s = %u\n", k->name, *(const unsigned int *)field(cfg, k));
}

static int parse_bool(struct key_pass *kp, const struct config_key *k, const char *val)
{
	bool *b = field(kp->cfg, k);

	if (!strcasecmp(val, "yes") || !strcasecmp(val, "true") || !strcmp(val, "1"))
		*b = true;
	else if (!strcasecmp(val, "no") || !strcasecmp(val, "false") || !strcmp(val, "0"))
		*b = false;
	else
		return refuse(kp, "bad %s '%.*s' (expected yes or no)", k->name, QUOTE_MAX, val);
	return 0;
}

static void dump_bool(const struct cdc_config *cfg, const struct config_key *k, FILE *out)
{
	fprintf(out, "%s = %s\n", k->name, *(const bool *)field(cfg, k) ? "yes" : "no");
}

/* Text keys are written out unless empty where empty is the default, so the dump reads
 * back to itself: "control-socket =" (off) is kept, "nqn =" (generate one) is not. */
static void dump_text(const struct cdc_config *cfg, const struct config_key *k, FILE *out)
{
	const char *s = field(cfg, k);

	if (*s || (k->def && *k->def))
		fprintf(out, "%s = %s\n", k->name, s);
}

static int store_text(struct key_pass *kp, const struct config_key *k, const char *val)
{
	if (strlen(val) >= k->size)
		return refuse(kp, "%s '%.*s...' is too long (at most %zu bytes)", k->name,
			      QUOTE_MAX, val, k->size - 1);
	strcpy(field(kp->cfg, k), val);
	return 0;
}

/* ---- keys with rules of their own ---- */

/* The first listen of a pass replaces what was there (the defaults, or the file's list
 * when the command line says it), later ones add. */
static int parse_listen(struct key_pass *kp, const struct config_key *k, const char *val)
{
	struct cdc_config *cfg = kp->cfg;
	struct cdc_listen l;

	(void)k;
	/* ";tls=..." after the address, in the port strings' own syntax (nvmet: addr_treq). */
	const char *opt = strchr(val, ';');
	size_t alen = opt ? (size_t)(opt - val) : strlen(val);
	char addr[sizeof(l.text)];
	uint8_t tls = CDC_LISTEN_PLAIN;
	if (opt && !strcmp(opt, ";tls=required"))
		tls = CDC_LISTEN_TLS_REQUIRED;
	else if (opt && !strcmp(opt, ";tls=allowed"))
		tls = CDC_LISTEN_TLS_ALLOWED;
	else if (opt && strcmp(opt, ";tls=no"))
		return refuse(kp,
			      "bad listen option '%.*s' (expected ;tls=no, allowed or required)",
			      QUOTE_MAX, opt);
	snprintf(addr, sizeof(addr), "%.*s", (int)(alen < sizeof(addr) ? alen : sizeof(addr) - 1),
		 val);
	if (alen >= sizeof(addr) || addr_parse_listen(addr, &l))
		return refuse(kp, "bad listen address '%.*s' (expected %s, PORT 1..65535)",
			      QUOTE_MAX, val, "A.B.C.D:PORT or [IPV6]:PORT");
	l.tls = tls;
	if (tls != CDC_LISTEN_PLAIN)
		snprintf(l.text + strlen(l.text), sizeof(l.text) - strlen(l.text), ";tls=%s",
			 tls == CDC_LISTEN_TLS_REQUIRED ? "required" : "allowed");
	if (!kp->listen_seen) {
		kp->listen_seen = true;
		cfg->nlisten = 0;
	}
	for (size_t i = 0; i < cfg->nlisten; i++)
		if (strcspn(cfg->listen[i].text, ";") == strcspn(l.text, ";") &&
		    !strncmp(cfg->listen[i].text, l.text, strcspn(l.text, ";")))
			return refuse(kp, "duplicate listen address '%s'", l.text);
	if (cfg->nlisten == CDC_MAX_LISTEN)
		return refuse(kp, "too many listen addresses (at most %d)", CDC_MAX_LISTEN);
	cfg->listen[cfg->nlisten++] = l;
	return 0;
}

static void dump_listen(const struct cdc_config *cfg, const struct config_key *k, FILE *out)
{
	for (size_t i = 0; i < cfg->nlisten; i++)
		fprintf(out, "%s = %s\n", k->name, cfg->listen[i].text);
}

/* Empty: no keys (and no TLS listener may be configured). */
static int parse_tls_keys(struct key_pass *kp, const struct config_key *k, const char *val)
{
	if (*val && *val != '/')
		return refuse(kp, "tls-keys '%.*s' is not an absolute path", QUOTE_MAX, val);
	return store_text(kp, k, val);
}

static int parse_state_dir(struct key_pass *kp, const struct config_key *k, const char *val)
{
	if (!*val)
		return refuse(kp, "state-dir has no value");
	/* The daemon's working directory is no anchor for state kept across restarts. */
	if (*val != '/')
		return refuse(kp, "state-dir '%.*s' is not an absolute path", QUOTE_MAX, val);
	return store_text(kp, k, val);
}

static int parse_nqn(struct key_pass *kp, const struct config_key *k, const char *val)
{
	/* Empty resets to "generate one", as an empty value does in nvme-fabrics.conf. */
	if (*val && !nqn_is_valid(val))
		return refuse(kp, "nqn '%.*s' is not a valid NQN", QUOTE_MAX, val);
	if (!strcmp(val, NVME_DISC_SUBSYS_NAME))
		return refuse(kp, "nqn must be unique, not the well-known '%s'", val);
	return store_text(kp, k, val);
}

static int parse_control_socket(struct key_pass *kp, const struct config_key *k, const char *val)
{
	if (!config_control_socket_valid(val))
		return refuse(kp,
			      "bad control-socket '%.*s' (expected an absolute path of at most %zu "
			      "bytes, or nothing to turn it off)",
			      QUOTE_MAX, val, k->size - 1);
	return store_text(kp, k, val);
}

static int parse_group(struct key_pass *kp, const struct config_key *k, const char *val)
{
	if (strlen(val) >= k->size || strpbrk(val, " \t:/"))
		return refuse(kp, "bad %s '%.*s'", k->name, QUOTE_MAX, val);
	return store_text(kp, k, val);
}

/* Empty turns it off again, as for control-socket. */
static int parse_http_listen(struct key_pass *kp, const struct config_key *k, const char *val)
{
	struct cdc_config *cfg = kp->cfg;

	(void)k;
	cfg->has_http_listen = *val != '\0';
	if (cfg->has_http_listen && addr_parse_listen(val, &cfg->http_listen) < 0)
		return refuse(kp,
			      "bad http-listen '%.*s' (expected ADDR:PORT, 127.0.0.1:9109 or "
			      "[::1]:9109)",
			      QUOTE_MAX, val);
	return 0;
}

static void dump_http_listen(const struct cdc_config *cfg, const struct config_key *k, FILE *out)
{
	if (cfg->has_http_listen)
		fprintf(out, "%s = %s\n", k->name, cfg->http_listen.text);
}

static int parse_log_level(struct key_pass *kp, const struct config_key *k, const char *val)
{
	(void)k;
	if (config_parse_log_level(val, &kp->cfg->log_level))
		return refuse(kp, "bad log-level '%.*s' (expected %s)", QUOTE_MAX, val,
			      "err, warning, info or debug");
	return 0;
}

static void dump_log_level(const struct cdc_config *cfg, const struct config_key *k, FILE *out)
{
	fprintf(out, "%s = %s\n", k->name, config_log_level_name(cfg->log_level));
}

static int parse_instance(struct key_pass *kp, const struct config_key *k, const char *val)
{
	if (*val && !mdns_name_valid(val))
		return refuse(kp,
			      "bad instance-name '%.*s' (expected at most %d bytes of UTF-8 text)",
			      QUOTE_MAX, val, CDC_MDNS_NAME_MAX);
	return store_text(kp, k, val);
}

/* The list replaces any earlier one; names are checked for their syntax only, since an
 * interface may appear after the daemon started. */
static int parse_interfaces(struct key_pass *kp, const struct config_key *k, const char *val)
{
	struct cdc_mdns_config *m = &kp->cfg->mdns;

	(void)k;
	m->ninterfaces = 0;
	for (const char *s = val, *e; *s; s = e) {
		s += strspn(s, " \t,");
		e = s + strcspn(s, " \t,");
		if (e == s)
			break;
		if ((size_t)(e - s) > CDC_IFNAME_MAX || memchr(s, '/', (size_t)(e - s)))
			return refuse(kp, "bad interface name '%.*s' in [mdns]", (int)(e - s), s);
		if (m->ninterfaces == CDC_MDNS_MAX_IFACES)
			return refuse(kp, "too many interfaces in [mdns] (at most %d)",
				      CDC_MDNS_MAX_IFACES);
		snprintf(m->interfaces[m->ninterfaces++], CDC_IFNAME_MAX + 1, "%.*s", (int)(e - s),
			 s);
	}
	return 0;
}

static void dump_interfaces(const struct cdc_config *cfg, const struct config_key *k, FILE *out)
{
	const struct cdc_mdns_config *m = &cfg->mdns;

	if (!m->ninterfaces)
		return;
	fprintf(out, "%s =", k->name);
	for (size_t i = 0; i < m->ninterfaces; i++)
		fprintf(out, "%s%s", i ? ", " : " ", m->interfaces[i]);
	fprintf(out, "\n");
}

static const char *const browse_names[] = {"off", "ask", "automatic"};

static int parse_browse(struct key_pass *kp, const struct config_key *k, const char *val)
{
	for (size_t i = 0; i < sizeof(browse_names) / sizeof(browse_names[0]); i++) {
		if (!strcasecmp(val, browse_names[i])) {
			kp->cfg->mdns.browse = (enum cdc_mdns_browse)i;
			return 0;
		}
	}
	return refuse(kp, "bad %s '%.*s' (expected off, ask or automatic)", k->name, QUOTE_MAX,
		      val);
}

const char *config_mdns_browse_name(enum cdc_mdns_browse browse)
{
	return (size_t)browse < sizeof(browse_names) / sizeof(browse_names[0])
		       ? browse_names[browse]
		       : "?";
}

static void dump_browse(const struct cdc_config *cfg, const struct config_key *k, FILE *out)
{
	fprintf(out, "%s = %s\n", k->name, config_mdns_browse_name(cfg->mdns.browse));
}

static int parse_policy(struct key_pass *kp, const struct config_key *k, const char *val)
{
	if (!strcasecmp(val, "deny"))
		kp->cfg->zoning_policy = CDC_ZONING_DENY;
	else if (!strcasecmp(val, "allow"))
		kp->cfg->zoning_policy = CDC_ZONING_ALLOW;
	else
		return refuse(kp, "bad %s '%.*s' (expected deny or allow)", k->name, QUOTE_MAX,
			      val);
	return 0;
}

const char *config_zoning_policy_name(enum cdc_zoning_policy p)
{
	return p == CDC_ZONING_ALLOW ? "allow" : "deny";
}

static void dump_policy(const struct cdc_config *cfg, const struct config_key *k, FILE *out)
{
	fprintf(out, "%s = %s\n", k->name, config_zoning_policy_name(cfg->zoning_policy));
}

static int parse_store(struct key_pass *kp, const struct config_key *k, const char *val)
{
	if (!strcasecmp(val, "sqlite"))
		kp->cfg->store = CDC_STORE_SQLITE;
	else if (!strcasecmp(val, "etcd"))
		kp->cfg->store = CDC_STORE_ETCD;
	else
		return refuse(kp, "bad %s '%.*s' (expected sqlite or etcd)", k->name, QUOTE_MAX,
			      val);
	return 0;
}

static void dump_store(const struct cdc_config *cfg, const struct config_key *k, FILE *out)
{
	fprintf(out, "%s = %s\n", k->name, cfg->store == CDC_STORE_ETCD ? "etcd" : "sqlite");
}

/* Each URL http:// or https://; the list is only needed with store = etcd (cdcd checks). */
static int parse_endpoints(struct key_pass *kp, const struct config_key *k, const char *val)
{
	char copy[1024], *save = NULL;

	if (strlen(val) >= sizeof(copy))
		return store_text(kp, k, val);
	strcpy(copy, val);
	for (char *t = strtok_r(copy, ", ", &save); t; t = strtok_r(NULL, ", ", &save))
		if (strncmp(t, "http://", 7) && strncmp(t, "https://", 8))
			return refuse(kp,
				      "bad %s URL '%.*s' (expected http://HOST:PORT or https://)",
				      k->name, QUOTE_MAX, t);
	return store_text(kp, k, val);
}

/* A prefix ending in '/' keeps one CDC's keys apart from a longer prefix's. */
static int parse_prefix(struct key_pass *kp, const struct config_key *k, const char *val)
{
	size_t n = strlen(val);

	if (!n || val[n - 1] != '/')
		return refuse(kp, "bad %s '%.*s' (expected a key prefix ending in '/')", k->name,
			      QUOTE_MAX, val);
	return store_text(kp, k, val);
}

/* dhchap-hashes and dhchap-dhgroups: names in the order of preference, each once. */
static int parse_id_list(struct key_pass *kp, const struct config_key *k, const char *val)
{
	bool hashes = !strcmp(k->name, "dhchap-hashes");
	uint8_t *ids = hashes ? kp->cfg->dhchap_hashes : kp->cfg->dhchap_dhgroups;
	size_t *n = hashes ? &kp->cfg->ndhchap_hashes : &kp->cfg->ndhchap_dhgroups;
	size_t max = hashes ? sizeof(kp->cfg->dhchap_hashes) : sizeof(kp->cfg->dhchap_dhgroups);

	*n = 0;
	for (const char *s = val, *e; *s; s = e) {
		char name[16];
		s += strspn(s, " \t,");
		e = s + strcspn(s, " \t,");
		if (e == s)
			break;
		snprintf(name, sizeof(name), "%.*s", (int)(e - s), s);
		int id = (size_t)(e - s) < sizeof(name)
				 ? (hashes ? dhchap_hash_by_name(name) : dhchap_dh_by_name(name))
				 : -EINVAL;
		if (id < 0)
			return refuse(kp, "bad %s '%.*s' (expected %s)", k->name, (int)(e - s), s,
				      hashes ? "sha256, sha384 or sha512"
					     : "null or ffdhe2048, 3072, 4096, 6144, 8192");
		if (memchr(ids, id, *n))
			return refuse(kp, "%s names '%s' twice", k->name, name);
		if (*n == max)
			return refuse(kp, "too many %s", k->name);
		ids[(*n)++] = (uint8_t)id;
	}
	if (!*n)
		return refuse(kp, "%s is empty", k->name);
	return 0;
}

static void dump_id_list(const struct cdc_config *cfg, const struct config_key *k, FILE *out)
{
	bool hashes = !strcmp(k->name, "dhchap-hashes");
	const uint8_t *ids = hashes ? cfg->dhchap_hashes : cfg->dhchap_dhgroups;
	size_t n = hashes ? cfg->ndhchap_hashes : cfg->ndhchap_dhgroups;

	fprintf(out, "%s =", k->name);
	for (size_t i = 0; i < n; i++)
		fprintf(out, "%s%s", i ? "," : " ",
			hashes ? dhchap_hash_name(ids[i]) : dhchap_dh_name(ids[i]));
	fprintf(out, "\n");
}

static int parse_well_known_auth(struct key_pass *kp, const struct config_key *k, const char *val)
{
	if (!strcasecmp(val, "limited"))
		kp->cfg->well_known_auth = false;
	else if (!strcasecmp(val, "required"))
		kp->cfg->well_known_auth = true;
	else
		return refuse(kp, "bad %s '%.*s' (expected limited or required)", k->name,
			      QUOTE_MAX, val);
	return 0;
}

static void dump_well_known_auth(const struct cdc_config *cfg, const struct config_key *k,
				 FILE *out)
{
	fprintf(out, "%s = %s\n", k->name, cfg->well_known_auth ? "required" : "limited");
}

static int parse_keys_path(struct key_pass *kp, const struct config_key *k, const char *val)
{
	if (*val && *val != '/')
		return refuse(kp, "%s '%.*s' is not an absolute path", k->name, QUOTE_MAX, val);
	return store_text(kp, k, val);
}

/* ---- the table ---- */

#define AT(member)   offsetof(struct cdc_config, member)
#define TEXT(member) AT(member), sizeof(((struct cdc_config *)0)->member)
#define NUMBER(section, name, member, lo, hi, hint, def, arg, help)                                \
	{                                                                                          \
		section, name, arg, help, def, parse_number, dump_number, AT(member), 0, lo, hi,   \
			hint, false                                                                \
	}

const struct config_key config_keys[] = {
	{KEY_GLOBAL, "listen", "ADDR:PORT", "listen there; repeatable", "0.0.0.0:8009 [::]:8009",
	 parse_listen, dump_listen, 0, 0, 0, 0, NULL, false},
	{KEY_GLOBAL, "tls-keys", "PATH", "hosts' TLS PSKs (mode 0600) for TLS listeners", NULL,
	 parse_tls_keys, dump_text, TEXT(tls_keys), 0, 0, NULL, false},
	{KEY_GLOBAL, "state-dir", "DIR", "persistent state", CDC_DEFAULT_STATE_DIR, parse_state_dir,
	 dump_text, TEXT(state_dir), 0, 0, NULL, true},
	{KEY_GLOBAL, "nqn", "NQN", "this CDC's unique discovery NQN [generated]", NULL, parse_nqn,
	 dump_text, TEXT(nqn), 0, 0, NULL, false},
	NUMBER(KEY_GLOBAL, "idle-timeout", idle_timeout, 1, 86400, " seconds", "120", "SECONDS",
	       "close one-shot connections idle this long"),
	NUMBER(KEY_GLOBAL, "icreq-timeout", icreq_timeout, 1, 600, " seconds", "10", "SECONDS",
	       "ICReq and Connect must arrive within this"),
	{KEY_GLOBAL, "control-socket", "PATH", "the control API's socket; empty for none",
	 CDC_DEFAULT_CONTROL_SOCKET, parse_control_socket, dump_text, TEXT(control_socket), 0, 0,
	 NULL, true},
	{KEY_GLOBAL, "control-socket-group", "GROUP", "group allowed to use the control socket",
	 NULL, parse_group, dump_text, TEXT(control_socket_group), 0, 0, NULL, false},
	{KEY_GLOBAL, "http-listen", "ADDR:PORT", "metrics and status page over HTTP (read-only)",
	 NULL, parse_http_listen, dump_http_listen, 0, 0, 0, 0, NULL, false},
	/* A daemon with no limit is one host's to exhaust; 8192 leaves room under the usual
	 * descriptor limits, and no single source may take more than 64 of them. */
	NUMBER(KEY_GLOBAL, "max-connections", max_connections, 0, 1000000, ", 0 for no limit",
	       "8192", "N", "connections in total"),
	NUMBER(KEY_GLOBAL, "max-connections-per-source", max_connections_per_source, 0, 1000000,
	       ", 0 for no limit", "64", "N", "connections from one source address"),
	NUMBER(KEY_GLOBAL, "max-implicit-hosts", max_implicit_hosts, 1, 10000000, "", "100000", "N",
	       "hosts known only from connecting"),
	NUMBER(KEY_GLOBAL, "implicit-host-expiry", implicit_host_expiry, 0, 31536000,
	       " seconds, 0 to keep them", "604800", "SECONDS",
	       "forget an implicit host unseen this long"),
	NUMBER(KEY_GLOBAL, "api-request-timeout", api_request_timeout, 1, 3600, " seconds", "10",
	       "SECONDS", "a control API request must arrive within this"),
	NUMBER(KEY_GLOBAL, "max-registrations-per-entity", max_registrations_per_entity, 1, 65536,
	       "", "256", "N", "records one host or DDC may register"),
	NUMBER(KEY_GLOBAL, "max-registrations", max_registrations, 1, 10000000, "", "100000", "N",
	       "records of all entities together"),
	/* 30 s as nvme-stas: long enough not to load a DDC, short enough that it notices a
	 * vanished CDC, and that the CDC notices a DDC that stopped answering. */
	NUMBER(KEY_GLOBAL, "pull-kato", pull_kato, 1, 3600, " seconds", "30", "SECONDS",
	       "keep-alive timeout of the connections to DDCs"),
	NUMBER(KEY_GLOBAL, "pull-reconnect-max", pull_reconnect_max, 1, 3600, " seconds", "60",
	       "SECONDS", "longest wait between reconnects to a DDC"),
	NUMBER(KEY_GLOBAL, "pull-withdraw-after", pull_withdraw_after, 1, 604800, " seconds", "300",
	       "SECONDS", "withdraw a DDC's entries after it was unreachable this long"),
	NUMBER(KEY_GLOBAL, "max-kickstart-ddcs", max_kickstart_ddcs, 0, 100000,
	       ", 0 to refuse Kickstart", "256", "N",
	       "DDCs pulled from because they sent a Kickstart request"),
	{KEY_GLOBAL, "health-check", "yes|no",
	 "probe registered subsystem ports, withhold dead ones", "no", parse_bool, dump_bool,
	 AT(health_check), 0, 0, 0, NULL, false},
	NUMBER(KEY_GLOBAL, "health-interval", health_interval, 1, 86400, " seconds", "30",
	       "SECONDS", "between two probes of a port"),
	NUMBER(KEY_GLOBAL, "health-timeout", health_timeout, 1, 600, " seconds", "3", "SECONDS",
	       "a probe must succeed within this"),
	NUMBER(KEY_GLOBAL, "health-failures", health_failures, 1, 100, "", "3", "N",
	       "failed probes in a row that mark a port down"),
	NUMBER(KEY_GLOBAL, "health-concurrency", health_concurrency, 1, 100000, "", "64", "N",
	       "probes in flight at once"),
	{KEY_GLOBAL, "health-icreq", "yes|no", "a probe also wants an ICResp to its ICReq", "no",
	 parse_bool, dump_bool, AT(health_icreq), 0, 0, 0, NULL, false},
	{KEY_GLOBAL, "dhchap-keys", "PATH", "DH-HMAC-CHAP keys and policy per host (mode 0600)",
	 NULL, parse_keys_path, dump_text, TEXT(dhchap_keys), 0, 0, NULL, true},
	NUMBER(KEY_GLOBAL, "auth-timeout", auth_timeout, 1, 600, " seconds", "10", "SECONDS",
	       "a host must authenticate within this of its Connect"),
	{KEY_GLOBAL, "well-known-auth", "limited|required",
	 "hosts that must authenticate, on the well-known NQN", "limited", parse_well_known_auth,
	 dump_well_known_auth, 0, 0, 0, 0, NULL, false},
	{KEY_GLOBAL, "dhchap-hashes", "LIST", "hashes offered, preferred first",
	 "sha512,sha384,sha256", parse_id_list, dump_id_list, 0, 0, 0, 0, NULL, false},
	{KEY_GLOBAL, "dhchap-dhgroups", "LIST", "DH groups offered, preferred first",
	 "ffdhe2048,ffdhe3072,ffdhe4096,ffdhe6144,ffdhe8192,null", parse_id_list, dump_id_list, 0,
	 0, 0, 0, NULL, false},
	{KEY_GLOBAL, "log-level", "LEVEL", "err, warning, info or debug", "info", parse_log_level,
	 dump_log_level, 0, 0, 0, 0, NULL, false},
	/* Off by default: a fabric that never defined zones keeps seeing everything. */
	{KEY_GLOBAL, "zoning", "yes|no", "enforce fabric zoning in every log and AEN", "no",
	 parse_bool, dump_bool, AT(zoning), 0, 0, 0, NULL, false},
	{KEY_GLOBAL, "zoning-policy", "deny|allow", "what entities in no active zone may see",
	 "deny", parse_policy, dump_policy, 0, 0, 0, 0, NULL, false},
	/* 30 s as the push model defines it; shorter only to make a DDC that vanished
	 * mid-send let go sooner, longer for DDCs on slow links. */
	NUMBER(KEY_GLOBAL, "zoning-lock-timeout", zoning_lock_timeout, 1, 3600, " seconds", "30",
	       "SECONDS", "a zone group a DDC locked with FZL is let go after this"),
	{KEY_GLOBAL, "store", "sqlite|etcd", "where registrations are kept", "sqlite", parse_store,
	 dump_store, 0, 0, 0, 0, NULL, false},
	{KEY_GLOBAL, "etcd-endpoints", "URLS", "etcd members, comma-separated (store = etcd)", NULL,
	 parse_endpoints, dump_text, TEXT(etcd_endpoints), 0, 0, NULL, false},
	{KEY_GLOBAL, "etcd-prefix", "PREFIX", "the keys of this fabric in etcd", "/nvme-cdc/",
	 parse_prefix, dump_text, TEXT(etcd_prefix), 0, 0, NULL, false},
	{KEY_GLOBAL, "etcd-cacert", "PATH", "CA certificates that sign etcd's", NULL,
	 parse_keys_path, dump_text, TEXT(etcd_cacert), 0, 0, NULL, true},
	{KEY_GLOBAL, "etcd-cert", "PATH", "client certificate presented to etcd", NULL,
	 parse_keys_path, dump_text, TEXT(etcd_cert), 0, 0, NULL, true},
	{KEY_GLOBAL, "etcd-key", "PATH", "the client certificate's private key", NULL,
	 parse_keys_path, dump_text, TEXT(etcd_key), 0, 0, NULL, true},
	{KEY_MDNS, "enable", "yes|no", "announce the CDC (and browse) with mDNS (DNS-SD)", "yes",
	 parse_bool, dump_bool, AT(mdns.enable), 0, 0, 0, NULL, false},
	{KEY_MDNS, "instance-name", "NAME", "the announced name [from the host name]", NULL,
	 parse_instance, dump_text, TEXT(mdns.instance), 0, 0, NULL, false},
	{KEY_MDNS, "interfaces", "LIST", "announce and browse on these interfaces only", NULL,
	 parse_interfaces, dump_interfaces, 0, 0, 0, 0, NULL, false},
	{KEY_MDNS, "browse", "off|ask|automatic", "what to do with the DDCs mDNS finds", "ask",
	 parse_browse, dump_browse, 0, 0, 0, 0, NULL, false},
};

const size_t config_nkeys = sizeof(config_keys) / sizeof(config_keys[0]);

const char *config_key_section(enum key_section s)
{
	return s == KEY_MDNS ? "mdns" : "global";
}

const struct config_key *config_key_find(enum key_section s, const char *name)
{
	for (size_t i = 0; i < config_nkeys; i++)
		if (config_keys[i].section == s && !strcasecmp(config_keys[i].name, name))
			return &config_keys[i];
	return NULL;
}

int config_key_set(struct key_pass *kp, const struct config_key *k, const char *val)
{
	kp->err[0] = '\0';
	return k->parse(kp, k, val);
}

/* A default is set as the file would set it; a repeatable key's defaults are separated by
 * spaces. The defaults in the table are valid: a failure here is a bug the tests catch. */
void config_keys_defaults(struct cdc_config *cfg)
{
	struct key_pass kp = {.cfg = cfg};

	for (size_t i = 0; i < config_nkeys; i++) {
		const char *def = config_keys[i].def ? config_keys[i].def : "";
		char one[256];

		do {
			size_t n = strcspn(def, " ");
			snprintf(one, sizeof(one), "%.*s", (int)n, def);
			config_key_set(&kp, &config_keys[i], one);
			def += n + (def[n] == ' ');
		} while (*def);
	}
}

void config_keys_dump(const struct cdc_config *cfg, enum key_section s, FILE *out)
{
	for (size_t i = 0; i < config_nkeys; i++)
		if (config_keys[i].section == s)
			config_keys[i].dump(cfg, &config_keys[i], out);
}

void config_key_option(const struct config_key *k, char *buf, size_t size)
{
	if (k->section == KEY_GLOBAL)
		snprintf(buf, size, "%s", k->name);
	else
		snprintf(buf, size, "%s-%s", config_key_section(k->section), k->name);
}
