/* config.c - read cdcd.conf (INI in the nvme-stas style) into struct cdc_config and write it back.
 * Parsing works on a buffer so the daemon, the unit tests and the fuzz target share one path; a
 * load either succeeds completely or leaves the caller's configuration as it was. */

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nvme/types.h>

#include "array.h"
#include "config.h"
#include "config_keys.h"
#include "errbuf.h"
#include "zone_json.h"

/* Long enough for state-dir (PATH_MAX) plus the key; anything longer is not a config line. */
#define LINE_MAX_LEN 8192
/* A file this large is a mistake (wrong path, /dev/zero), not a configuration. */
#define FILE_MAX_LEN (64u << 20)
/* Bad values are quoted in messages; keep a runaway value from hiding the rest. */
#define QUOTE_MAX 96

#define DEFAULT_PORT_SVC     "4420"
#define DEFAULT_REFERRAL_SVC "8009"

enum section {
	SEC_NONE,
	SEC_GLOBAL,
	SEC_SUBSYS,
	SEC_REFERRAL,
	SEC_MDNS,
	SEC_DDC,
	SEC_ZONEGROUP,
	SEC_ZONEALIAS
};

struct parser {
	struct cdc_config *cfg; /* the private copy being built */
	const char *name;
	unsigned int lineno;
	enum section section;
	size_t cur;	      /* index of the [subsystem] being filled */
	size_t subsys_cap;    /* allocated length of cfg->subsys */
	size_t port_cap;      /* allocated length of cfg->subsys[cur].ports */
	size_t ref_cap;	      /* allocated length of cfg->referrals */
	size_t ddc_cap;	      /* allocated length of cfg->ddcs */
	struct key_pass keys; /* [global] and [mdns] keys, set through the key table */
	char *err;
	size_t errlen;
};

static const struct {
	const char *name;
	enum cdc_log_level level;
} log_levels[] = {
	{"err", CDC_LOG_ERR},
	{"warning", CDC_LOG_WARNING},
	{"info", CDC_LOG_INFO},
	{"debug", CDC_LOG_DEBUG},
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static int parse_error(struct parser *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int parse_error(struct parser *p, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	errbuf_set(p->err, p->errlen, "%s:%u: %s", p->name, p->lineno, msg);
	return -EINVAL;
}

static int out_of_memory(struct parser *p)
{
	errbuf_set(p->err, p->errlen, "%s:%u: out of memory", p->name, p->lineno);
	return -ENOMEM;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static char *trim(char *s)
{
	char *e = s + strlen(s);

	while (is_space(*s))
		s++;
	while (e > s && is_space(e[-1]))
		e--;
	*e = '\0';
	return s;
}

int config_parse_log_level(const char *text, enum cdc_log_level *out)
{
	size_t i;

	for (i = 0; text && i < ARRAY_SIZE(log_levels); i++) {
		if (!strcasecmp(text, log_levels[i].name)) {
			*out = log_levels[i].level;
			return 0;
		}
	}
	return -EINVAL;
}

const char *config_log_level_name(enum cdc_log_level level)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(log_levels); i++)
		if (log_levels[i].level == level)
			return log_levels[i].name;
	return "info";
}

bool config_control_socket_valid(const char *path)
{
	return !*path || (path[0] == '/' && strlen(path) < CDC_CONTROL_SOCKET_MAX);
}

static bool same_address(const struct cdc_port *a, const struct cdc_port *b)
{
	return !strcmp(a->traddr, b->traddr) && !strcmp(a->trsvcid, b->trsvcid);
}

/* ---- zoning sections ----
 * Their arrays grow by doubling: an array of n elements has room for cap_of(n), so that
 * neither the parser nor the copy keeps a capacity of its own for every zone's members. */

static size_t cap_of(size_t n)
{
	size_t cap = 1;

	if (!n)
		return 0;
	while (cap < n)
		cap *= 2;
	return cap;
}

/* arr (n elements) with room for one more, or NULL (arr unchanged) when out of memory. */
static void *grow(void *arr, size_t n, size_t size)
{
	size_t cap = cap_of(n);

	return array_grow(arr, &cap, n, size, 1);
}

static void *dup_array(const void *src, size_t n, size_t size)
{
	void *d = n ? malloc(cap_of(n) * size) : NULL;

	if (d)
		memcpy(d, src, n * size);
	return d;
}

static void zonegroups_free(struct cdc_zonegroup *g, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < g[i].nzones; j++)
			free(g[i].zones[j].members);
		free(g[i].zones);
	}
	free(g);
}

static void zonealiases_free(struct cdc_zonealias *a, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(a[i].members);
	free(a);
}

/* dst's zoning arrays (zeroed by the caller) become copies of src's. */
static int zoning_copy(struct cdc_config *dst, const struct cdc_config *src)
{
	if (src->nzonegroups) {
		dst->zonegroups = calloc(cap_of(src->nzonegroups), sizeof(*dst->zonegroups));
		if (!dst->zonegroups)
			return -ENOMEM;
		dst->nzonegroups = src->nzonegroups;
	}
	for (size_t i = 0; i < src->nzonegroups; i++) {
		const struct cdc_zonegroup *s = &src->zonegroups[i];
		struct cdc_zonegroup *d = &dst->zonegroups[i];

		*d = *s;
		d->zones = NULL;
		d->nzones = 0;
		if (!s->nzones)
			continue;
		d->zones = calloc(cap_of(s->nzones), sizeof(*d->zones));
		if (!d->zones)
			return -ENOMEM;
		d->nzones = s->nzones;
		for (size_t j = 0; j < s->nzones; j++) {
			d->zones[j] = s->zones[j];
			d->zones[j].members = NULL;
			if (!s->zones[j].nmembers)
				continue;
			d->zones[j].members = dup_array(s->zones[j].members, s->zones[j].nmembers,
							sizeof(struct zone_member));
			if (!d->zones[j].members) {
				d->zones[j].nmembers = 0;
				return -ENOMEM;
			}
		}
	}
	if (src->nzonealiases) {
		dst->zonealiases = calloc(cap_of(src->nzonealiases), sizeof(*dst->zonealiases));
		if (!dst->zonealiases)
			return -ENOMEM;
		dst->nzonealiases = src->nzonealiases;
	}
	for (size_t i = 0; i < src->nzonealiases; i++) {
		const struct cdc_zonealias *s = &src->zonealiases[i];
		struct cdc_zonealias *d = &dst->zonealiases[i];

		*d = *s;
		d->members = NULL;
		if (!s->nmembers)
			continue;
		d->members = dup_array(s->members, s->nmembers, sizeof(*s->members));
		if (!d->members) {
			d->nmembers = 0;
			return -ENOMEM;
		}
	}
	return 0;
}

/* The member keys, in the order they are written; the numbers are JSON numbers. */
static const char *const member_keys[] = {"type",    "role",	"nqn",	  "traddr", "adrfam",
					  "ipproto", "trsvcid", "portid", "alias"};

static int member_refused(char *why, size_t whylen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int member_refused(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Whether a member of type names key. */
static bool member_key_named(uint8_t type, const char *key)
{
	static const struct {
		const char *key;
		unsigned el;
	} els[] = {{"nqn", ZE_NQN},	    {"traddr", ZE_TRADDR},   {"adrfam", ZE_ADRFAM},
		   {"ipproto", ZE_IPPROTO}, {"trsvcid", ZE_TRSVCID}, {"portid", ZE_PORTID}};

	if (!strcmp(key, "type"))
		return true;
	if (type == ZMTYPE_ALIAS)
		return !strcmp(key, "alias");
	if (!strcmp(key, "role"))
		return true;
	for (size_t i = 0; i < ARRAY_SIZE(els); i++)
		if (!strcmp(key, els[i].key))
			return (zone_member_elements(type) & els[i].el) != 0;
	return false;
}

static bool member_key_is_number(const char *key)
{
	return !strcmp(key, "trsvcid") || !strcmp(key, "portid");
}

int config_parse_member(const char *spec, bool in_alias, struct zone_member *m, char *why,
			size_t whylen)
{
	struct json_object *o = json_object_new_object();
	char *copy = strdup(spec), *save = NULL, *tok;
	const char *what = NULL;
	int err = 0;

	if (!o || !copy) {
		json_object_put(o);
		free(copy);
		errbuf_set(why, whylen, "out of memory");
		return -ENOMEM;
	}
	for (tok = strtok_r(copy, ";", &save); tok && !err; tok = strtok_r(NULL, ";", &save)) {
		char *eq = strchr(tok, '='), *key, *val;
		const char *name = NULL;
		unsigned long n;

		key = trim(tok);
		if (!*key)
			continue; /* "a=b;" and "a=b; ;c=d" */
		if (!eq) {
			err = member_refused(why, whylen, "'%.*s' is not key=value", QUOTE_MAX,
					     key);
			break;
		}
		*eq = '\0';
		key = trim(key);
		val = trim(eq + 1);
		for (size_t i = 0; i < ARRAY_SIZE(member_keys); i++)
			if (!strcasecmp(key, member_keys[i]))
				name = member_keys[i];
		if (!name)
			err = member_refused(why, whylen, "unknown member key '%.*s'", QUOTE_MAX,
					     key);
		else if (json_object_object_get_ex(o, name, NULL))
			err = member_refused(why, whylen, "member key '%s' given twice", name);
		else if (member_key_is_number(name) && addr_parse_uint(val, 0, 65535, &n))
			err = member_refused(why, whylen,
					     "bad member %s '%.*s' (expected 0..65535)", name,
					     QUOTE_MAX, val);
		else
			json_object_object_add(o, name,
					       member_key_is_number(name)
						       ? json_object_new_int64((int64_t)n)
						       : json_object_new_string(val));
	}
	if (!err && !json_object_object_get_ex(o, "type", NULL))
		json_object_object_add(o, "type", json_object_new_string("nqn"));
	if (!err && zone_member_parse(o, in_alias, m, &what))
		err = member_refused(why, whylen, "%s", what);
	/* A key the type does not name would be ignored: say so rather than zone on less
	 * than the line seems to say. */
	json_object_object_foreach(o, key, v)
	{
		(void)v;
		if (!err && !member_key_named(m->type, key))
			err = member_refused(
				why, whylen, "member type %s has no %s",
				json_object_get_string(json_object_object_get(o, "type")), key);
	}
	json_object_put(o);
	free(copy);
	return err ? -EINVAL : 0;
}

void config_format_member(const struct zone_member *m, char *buf, size_t size)
{
	struct json_object *o = zone_member_json(m), *v;
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; o && i < ARRAY_SIZE(member_keys); i++) {
		if (!json_object_object_get_ex(o, member_keys[i], &v))
			continue;
		int n = snprintf(buf + off, size - off, "%s%s=%s", off ? ";" : "", member_keys[i],
				 json_object_get_string(v));
		if (n < 0 || (size_t)n >= size - off)
			break;
		off += (size_t)n;
	}
	json_object_put(o);
}

static int open_zonegroup(struct parser *p, const char *name)
{
	struct cdc_config *cfg = p->cfg;

	if (!*name || strlen(name) > ZONE_GROUP_NAME_MAX)
		return parse_error(p, "[zonegroup NAME] needs a name of 1 to %d bytes",
				   ZONE_GROUP_NAME_MAX);
	for (size_t i = 0; i < cfg->nzonegroups; i++)
		if (!strcmp(cfg->zonegroups[i].name, name))
			return parse_error(p, "duplicate [zonegroup %s]", name);
	struct cdc_zonegroup *groups =
		grow(cfg->zonegroups, cfg->nzonegroups, sizeof(*cfg->zonegroups));
	if (!groups)
		return out_of_memory(p);
	cfg->zonegroups = groups;
	struct cdc_zonegroup *g = &cfg->zonegroups[cfg->nzonegroups];
	memset(g, 0, sizeof(*g));
	strcpy(g->name, name);
	g->active = true;
	p->cur = cfg->nzonegroups++;
	p->section = SEC_ZONEGROUP;
	return 0;
}

static int open_zonealias(struct parser *p, const char *name)
{
	struct cdc_config *cfg = p->cfg;

	if (!*name || strlen(name) > ZONE_ALIAS_NAME_MAX)
		return parse_error(p, "[zonealias NAME] needs a name of 1 to %d bytes",
				   ZONE_ALIAS_NAME_MAX);
	for (size_t i = 0; i < cfg->nzonealiases; i++)
		if (!strcmp(cfg->zonealiases[i].name, name))
			return parse_error(p, "duplicate [zonealias %s]", name);
	struct cdc_zonealias *aliases =
		grow(cfg->zonealiases, cfg->nzonealiases, sizeof(*cfg->zonealiases));
	if (!aliases)
		return out_of_memory(p);
	cfg->zonealiases = aliases;
	struct cdc_zonealias *a = &cfg->zonealiases[cfg->nzonealiases];
	memset(a, 0, sizeof(*a));
	strcpy(a->name, name);
	p->cur = cfg->nzonealiases++;
	p->section = SEC_ZONEALIAS;
	return 0;
}

/* A member onto members[0..*n): parsed, and refused if already there. */
static int add_member(struct parser *p, const char *spec, bool in_alias,
		      struct zone_member **members, size_t *n)
{
	struct zone_member m;
	char why[256];

	if (config_parse_member(spec, in_alias, &m, why, sizeof(why)))
		return parse_error(p, "member: %s", why);
	for (size_t i = 0; i < *n; i++)
		if (!memcmp(&(*members)[i], &m, sizeof(m)))
			return parse_error(p, "duplicate member '%.*s'", QUOTE_MAX, spec);
	struct zone_member *grown = grow(*members, *n, sizeof(**members));
	if (!grown)
		return out_of_memory(p);
	*members = grown;
	(*members)[(*n)++] = m;
	return 0;
}

static int parse_zonegroup_key(struct parser *p, const char *key, const char *val)
{
	struct cdc_zonegroup *g = &p->cfg->zonegroups[p->cur];
	size_t len = strcspn(val, " \t");

	if (!strcasecmp(key, "active")) {
		if (!strcasecmp(val, "yes") || !strcasecmp(val, "true") || !strcmp(val, "1"))
			g->active = true;
		else if (!strcasecmp(val, "no") || !strcasecmp(val, "false") || !strcmp(val, "0"))
			g->active = false;
		else
			return parse_error(p, "bad active '%.*s' (expected yes or no)", QUOTE_MAX,
					   val);
		return 0;
	}
	if (strcasecmp(key, "zone") && strcasecmp(key, "member"))
		return parse_error(p, "unknown key '%.*s' in [zonegroup %s]", QUOTE_MAX, key,
				   g->name);
	/* Both start with the zone's name, which therefore has no blanks. */
	if (!len || len > ZONE_NAME_MAX)
		return parse_error(p, "%s needs a zone name of 1 to %d bytes without blanks", key,
				   ZONE_NAME_MAX);
	size_t z = 0;
	while (z < g->nzones &&
	       (strlen(g->zones[z].name) != len || memcmp(g->zones[z].name, val, len)))
		z++;
	if (!strcasecmp(key, "zone")) {
		if (val[len])
			return parse_error(p, "zone '%.*s': a zone name has no blanks", QUOTE_MAX,
					   val);
		/* "member = #z ..." would be a comment: such a zone could never have members,
		 * nor be written back. */
		if (val[0] == '#')
			return parse_error(p, "zone '%.*s': a zone name does not start with '#'",
					   QUOTE_MAX, val);
		if (z < g->nzones)
			return parse_error(p, "duplicate zone %s in [zonegroup %s]", val, g->name);
		struct zone *zones = grow(g->zones, g->nzones, sizeof(*g->zones));
		if (!zones)
			return out_of_memory(p);
		g->zones = zones;
		memset(&g->zones[g->nzones], 0, sizeof(*g->zones));
		memcpy(g->zones[g->nzones++].name, val, len);
		return 0;
	}
	if (z == g->nzones)
		return parse_error(p, "member of zone '%.*s', which no zone line above declares",
				   (int)len, val);
	return add_member(p, trim((char *)val + len), false, &g->zones[z].members,
			  &g->zones[z].nmembers);
}

static int parse_zonealias_key(struct parser *p, const char *key, const char *val)
{
	struct cdc_zonealias *a = &p->cfg->zonealiases[p->cur];

	if (strcasecmp(key, "member"))
		return parse_error(p, "unknown key '%.*s' in [zonealias %s]", QUOTE_MAX, key,
				   a->name);
	return add_member(p, val, true, &a->members, &a->nmembers);
}

/* Every alias a zone names is one the file declares: the zone groups are applied as the
 * file has them, and one that names an alias nobody declared could never be enforced. */
static int zoning_check(struct parser *p)
{
	const struct cdc_config *cfg = p->cfg;

	for (size_t i = 0; i < cfg->nzonegroups; i++) {
		const struct cdc_zonegroup *g = &cfg->zonegroups[i];
		for (size_t j = 0; j < g->nzones; j++) {
			for (size_t k = 0; k < g->zones[j].nmembers; k++) {
				const struct zone_member *m = &g->zones[j].members[k];
				size_t a = 0;
				if (m->type != ZMTYPE_ALIAS)
					continue;
				while (a < cfg->nzonealiases &&
				       strcmp(cfg->zonealiases[a].name, m->nqn))
					a++;
				if (a == cfg->nzonealiases) {
					errbuf_set(p->err, p->errlen,
						   "%s: [zonegroup %s] zone %s: alias %s is in no "
						   "[zonealias] section",
						   p->name, g->name, g->zones[j].name, m->nqn);
					return -EINVAL;
				}
			}
		}
	}
	return 0;
}

/* Deep copy, so a failed load can be thrown away without touching src. */
static int config_copy(struct cdc_config *dst, const struct cdc_config *src)
{
	size_t i;

	*dst = *src;
	dst->subsys = NULL;
	dst->nsubsys = 0;
	dst->referrals = NULL;
	dst->nreferrals = 0;
	dst->ddcs = NULL;
	dst->nddcs = 0;
	dst->zonegroups = NULL;
	dst->nzonegroups = 0;
	dst->zonealiases = NULL;
	dst->nzonealiases = 0;

	if (src->nsubsys) {
		dst->subsys = calloc(src->nsubsys, sizeof(*dst->subsys));
		if (!dst->subsys)
			return -ENOMEM;
		dst->nsubsys = src->nsubsys;
		for (i = 0; i < src->nsubsys; i++) {
			const struct cdc_subsys *s = &src->subsys[i];
			struct cdc_subsys *d = &dst->subsys[i];

			memcpy(d->nqn, s->nqn, sizeof(d->nqn));
			if (!s->nports)
				continue;
			d->ports = malloc(s->nports * sizeof(*d->ports));
			if (!d->ports)
				return -ENOMEM;
			memcpy(d->ports, s->ports, s->nports * sizeof(*d->ports));
			d->nports = s->nports;
		}
	}
	if (src->nreferrals) {
		dst->referrals = malloc(src->nreferrals * sizeof(*dst->referrals));
		if (!dst->referrals)
			return -ENOMEM;
		memcpy(dst->referrals, src->referrals, src->nreferrals * sizeof(*dst->referrals));
		dst->nreferrals = src->nreferrals;
	}
	if (src->nddcs) {
		dst->ddcs = malloc(src->nddcs * sizeof(*dst->ddcs));
		if (!dst->ddcs)
			return -ENOMEM;
		memcpy(dst->ddcs, src->ddcs, src->nddcs * sizeof(*dst->ddcs));
		dst->nddcs = src->nddcs;
	}
	return zoning_copy(dst, src);
}

static int parse_table_key(struct parser *p, enum key_section section, const char *key,
			   const char *val)
{
	const struct config_key *k = config_key_find(section, key);

	if (!k)
		return parse_error(p, "unknown key '%.*s' in [%s]", QUOTE_MAX, key,
				   config_key_section(section));
	if (config_key_set(&p->keys, k, val))
		return parse_error(p, "%s", p->keys.err);
	return 0;
}

static int parse_subsys_key(struct parser *p, const char *key, const char *val)
{
	struct cdc_subsys *s = &p->cfg->subsys[p->cur];
	struct cdc_port port, *ports;
	char msg[512];
	bool portid_set;
	size_t i;

	if (strcasecmp(key, "port"))
		return parse_error(p, "unknown key '%.*s' in [subsystem %s]", QUOTE_MAX, key,
				   s->nqn);
	if (addr_parse_entry(val, DEFAULT_PORT_SVC, &port, &portid_set, NULL, msg, sizeof(msg)))
		return parse_error(p, "port: %s", msg);
	if (!portid_set) {
		if (s->nports >= 65535)
			return parse_error(p, "too many ports to number; give each a portid");
		port.portid = (uint16_t)(s->nports + 1);
	}
	for (i = 0; i < s->nports; i++)
		if (same_address(&s->ports[i], &port))
			return parse_error(p,
					   "duplicate port traddr=%s;trsvcid=%s in [subsystem %s]",
					   port.traddr, port.trsvcid, s->nqn);
	ports = array_grow(s->ports, &p->port_cap, s->nports, sizeof(*ports), 4);
	if (!ports)
		return out_of_memory(p);
	s->ports = ports;
	s->ports[s->nports++] = port;
	return 0;
}

/* An "entry =" of [referral] or [ddc]: a discovery controller's address and NQN. */
static int parse_dc_entry(struct parser *p, const char *section, const char *key, const char *val,
			  struct cdc_referral **list, size_t *n, size_t *cap)
{
	struct cdc_referral ref, *refs;
	char msg[512];
	size_t i;

	if (strcasecmp(key, "entry"))
		return parse_error(p, "unknown key '%.*s' in [%s]", QUOTE_MAX, key, section);
	memset(&ref, 0, sizeof(ref));
	if (addr_parse_entry(val, DEFAULT_REFERRAL_SVC, &ref.port, NULL, ref.nqn, msg, sizeof(msg)))
		return parse_error(p, "entry: %s", msg);
	for (i = 0; i < *n; i++)
		if (same_address(&(*list)[i].port, &ref.port))
			return parse_error(p, "duplicate %s traddr=%s;trsvcid=%s", section,
					   ref.port.traddr, ref.port.trsvcid);
	refs = array_grow(*list, cap, *n, sizeof(*refs), 4);
	if (!refs)
		return out_of_memory(p);
	*list = refs;
	(*list)[(*n)++] = ref;
	return 0;
}

static int open_subsys(struct parser *p, const char *nqn)
{
	struct cdc_config *cfg = p->cfg;
	struct cdc_subsys *subsys;
	size_t i;

	if (!*nqn)
		return parse_error(p,
				   "[subsystem] needs an NQN: [subsystem nqn.yyyy-mm.domain:name]");
	if (!nqn_is_valid(nqn))
		return parse_error(p, "subsystem NQN '%.*s' is not a valid NQN", QUOTE_MAX, nqn);
	if (!strcmp(nqn, NVME_DISC_SUBSYS_NAME))
		return parse_error(p, "subsystem NQN must not be the discovery NQN '%s'", nqn);
	for (i = 0; i < cfg->nsubsys; i++)
		if (!strcmp(cfg->subsys[i].nqn, nqn))
			return parse_error(p, "duplicate [subsystem %s]", nqn);
	subsys = array_grow(cfg->subsys, &p->subsys_cap, cfg->nsubsys, sizeof(*subsys), 4);
	if (!subsys)
		return out_of_memory(p);
	cfg->subsys = subsys;
	memset(&subsys[cfg->nsubsys], 0, sizeof(*subsys));
	strcpy(subsys[cfg->nsubsys].nqn, nqn);
	p->cur = cfg->nsubsys++;
	p->port_cap = 0;
	p->section = SEC_SUBSYS;
	return 0;
}

static int parse_section(struct parser *p, char *line)
{
	char *rbracket = strrchr(line, ']');
	char *name, *arg;

	if (!rbracket || rbracket[1])
		return parse_error(p, "malformed section header '%.*s' (expected [name])",
				   QUOTE_MAX, line);
	*rbracket = '\0';
	name = trim(line + 1);
	for (arg = name; *arg && !is_space(*arg); arg++)
		;
	if (*arg)
		*arg++ = '\0';
	arg = trim(arg);

	if (!strcasecmp(name, "subsystem"))
		return open_subsys(p, arg);
	if (!strcasecmp(name, "zonegroup"))
		return open_zonegroup(p, arg);
	if (!strcasecmp(name, "zonealias"))
		return open_zonealias(p, arg);
	if (!strcasecmp(name, "global") || !strcasecmp(name, "referral") ||
	    !strcasecmp(name, "mdns") || !strcasecmp(name, "ddc")) {
		if (*arg)
			return parse_error(p, "[%s] takes no argument, got '%.*s'", name, QUOTE_MAX,
					   arg);
		p->section = SEC_REFERRAL;
		if (!strcasecmp(name, "global"))
			p->section = SEC_GLOBAL;
		else if (!strcasecmp(name, "mdns"))
			p->section = SEC_MDNS;
		else if (!strcasecmp(name, "ddc"))
			p->section = SEC_DDC;
		return 0;
	}
	return parse_error(p, "unknown section [%.*s%s%.*s]", QUOTE_MAX, name, *arg ? " " : "",
			   QUOTE_MAX, arg);
}

static int parse_line(struct parser *p, char *line, size_t len)
{
	char *s, *eq, *key, *val;
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		if (c == '\0')
			return parse_error(p, "NUL byte in line");
		/* A CR is tolerated only as the end of a CRLF line. */
		if ((c < ' ' && c != '\t' && !(c == '\r' && i == len - 1)) || c == 0x7f)
			return parse_error(p, "control character 0x%02x in line", c);
	}
	/* A trailing comment needs blank space before '#': NQNs and paths may contain '#'. */
	for (i = 1; i < len; i++) {
		if (line[i] == '#' && is_space(line[i - 1])) {
			line[i] = '\0';
			break;
		}
	}
	s = trim(line);
	if (!*s || *s == '#' || *s == ';')
		return 0;
	if (*s == '[')
		return parse_section(p, s);

	eq = strchr(s, '=');
	if (!eq || eq == s)
		return parse_error(p, "malformed line '%.*s' (expected [section] or key = value)",
				   QUOTE_MAX, s);
	*eq = '\0';
	key = trim(s);
	val = trim(eq + 1);

	switch (p->section) {
	case SEC_GLOBAL:
		return parse_table_key(p, KEY_GLOBAL, key, val);
	case SEC_SUBSYS:
		return parse_subsys_key(p, key, val);
	case SEC_REFERRAL:
		return parse_dc_entry(p, "referral", key, val, &p->cfg->referrals,
				      &p->cfg->nreferrals, &p->ref_cap);
	case SEC_DDC:
		return parse_dc_entry(p, "ddc", key, val, &p->cfg->ddcs, &p->cfg->nddcs,
				      &p->ddc_cap);
	case SEC_MDNS:
		return parse_table_key(p, KEY_MDNS, key, val);
	case SEC_ZONEGROUP:
		return parse_zonegroup_key(p, key, val);
	case SEC_ZONEALIAS:
		return parse_zonealias_key(p, key, val);
	case SEC_NONE:
		break;
	}
	return parse_error(p, "key '%.*s' outside a section (put [global] above it)", QUOTE_MAX,
			   key);
}

int config_load_buffer(struct cdc_config *cfg, const char *name, const char *buf, size_t len,
		       char *err, size_t errlen)
{
	struct parser p;
	struct cdc_config *tmp;
	char *line;
	size_t off = 0;
	int ret;

	memset(&p, 0, sizeof(p));
	p.name = name ? name : "(buffer)";
	p.err = err;
	p.errlen = errlen;

	tmp = malloc(sizeof(*tmp));
	line = malloc(LINE_MAX_LEN + 1);
	if (!tmp || !line) {
		free(tmp);
		free(line);
		errbuf_set(err, errlen, "%s: out of memory", p.name);
		return -ENOMEM;
	}
	ret = config_copy(tmp, cfg);
	if (ret) {
		errbuf_set(err, errlen, "%s: out of memory", p.name);
		goto out;
	}
	p.cfg = tmp;
	p.keys.cfg = tmp;
	p.subsys_cap = tmp->nsubsys;
	p.ref_cap = tmp->nreferrals;
	p.ddc_cap = tmp->nddcs;

	while (buf && off < len) {
		const char *nl = memchr(buf + off, '\n', len - off);
		size_t n = nl ? (size_t)(nl - (buf + off)) : len - off;

		p.lineno++;
		if (n > LINE_MAX_LEN) {
			ret = parse_error(&p, "line longer than %d bytes", LINE_MAX_LEN);
			goto out;
		}
		memcpy(line, buf + off, n);
		line[n] = '\0';
		ret = parse_line(&p, line, n);
		if (ret)
			goto out;
		off += n + (nl ? 1 : 0);
	}
	ret = zoning_check(&p);
	if (ret)
		goto out;

	/* Success: hand the new arrays over and free the old ones. */
	config_free(cfg);
	*cfg = *tmp;
	tmp->subsys = NULL;
	tmp->nsubsys = 0;
	tmp->referrals = NULL;
	tmp->nreferrals = 0;
	tmp->ddcs = NULL;
	tmp->nddcs = 0;
	tmp->zonegroups = NULL;
	tmp->nzonegroups = 0;
	tmp->zonealiases = NULL;
	tmp->nzonealiases = 0;
	if (err && errlen)
		err[0] = '\0';
out:
	config_free(tmp);
	free(tmp);
	free(line);
	return ret;
}

static const char *file_kind(mode_t mode)
{
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISCHR(mode) || S_ISBLK(mode))
		return "a device";
	if (S_ISSOCK(mode))
		return "a socket";
	return "a special file";
}

/* Only a regular file is read: opening a FIFO for reading would wait for a writer (at start,
 * or on SIGHUP with the loop stopped), and a device could be read forever. O_NONBLOCK makes
 * the open itself return at once whatever the path names. */
static int config_open(const char *path, FILE **out, char *err, size_t errlen)
{
	struct stat st;
	int ret, fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);

	if (fd < 0 || fstat(fd, &st) < 0) {
		ret = -errno;
		errbuf_set(err, errlen, "%s: %s", path, strerror(-ret));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = -EINVAL;
		errbuf_set(err, errlen, "%s: is %s, not a regular file: not read", path,
			   file_kind(st.st_mode));
		goto fail;
	}
	*out = fdopen(fd, "r");
	if (!*out) {
		ret = -errno;
		errbuf_set(err, errlen, "%s: %s", path, strerror(-ret));
		goto fail;
	}
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	return ret;
}

int config_load_file(struct cdc_config *cfg, const char *path, char *err, size_t errlen)
{
	char *buf = NULL, *nbuf;
	size_t len = 0, cap = 0, n;
	FILE *f;
	int ret;

	ret = config_open(path, &f, err, errlen);
	if (ret)
		return ret;
	for (;;) {
		if (len == cap) {
			if (cap >= FILE_MAX_LEN) {
				ret = -EFBIG;
				errbuf_set(err, errlen, "%s: larger than %u bytes", path,
					   FILE_MAX_LEN);
				goto out;
			}
			cap = cap ? cap * 2 : 4096;
			nbuf = realloc(buf, cap);
			if (!nbuf) {
				ret = -ENOMEM;
				errbuf_set(err, errlen, "%s: out of memory", path);
				goto out;
			}
			buf = nbuf;
		}
		errno = 0;
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		ret = errno ? -errno : -EIO;
		errbuf_set(err, errlen, "%s: %s", path, strerror(-ret));
		goto out;
	}
	ret = config_load_buffer(cfg, path, buf, len, err, errlen);
out:
	fclose(f);
	free(buf);
	return ret;
}

static void dump_port(const struct cdc_port *port, FILE *out)
{
	char buf[CDC_TRADDR_MAX + CDC_TRSVCID_MAX + 128];

	addr_format_port(port, buf, sizeof(buf));
	fputs(buf, out);
}

static void dump_dc_entries(const struct cdc_referral *list, size_t n, FILE *out)
{
	for (size_t i = 0; i < n; i++) {
		fprintf(out, "entry = ");
		dump_port(&list[i].port, out);
		if (strcmp(list[i].nqn, NVME_DISC_SUBSYS_NAME))
			fprintf(out, ";nqn=%s", list[i].nqn);
		fprintf(out, "\n");
	}
}

void config_dump(const struct cdc_config *cfg, FILE *out)
{
	size_t i, j;

	fprintf(out, "[global]\n");
	config_keys_dump(cfg, KEY_GLOBAL, out);
	fprintf(out, "\n[mdns]\n");
	config_keys_dump(cfg, KEY_MDNS, out);

	for (i = 0; i < cfg->nsubsys; i++) {
		const struct cdc_subsys *s = &cfg->subsys[i];

		fprintf(out, "\n[subsystem %s]\n", s->nqn);
		for (j = 0; j < s->nports; j++) {
			fprintf(out, "port = ");
			dump_port(&s->ports[j], out);
			fprintf(out, "\n");
		}
	}

	if (cfg->nreferrals)
		fprintf(out, "\n[referral]\n");
	dump_dc_entries(cfg->referrals, cfg->nreferrals, out);
	if (cfg->nddcs)
		fprintf(out, "\n[ddc]\n");
	dump_dc_entries(cfg->ddcs, cfg->nddcs, out);

	char member[CDC_NQN_MAX + 256];
	for (i = 0; i < cfg->nzonealiases; i++) {
		const struct cdc_zonealias *a = &cfg->zonealiases[i];

		fprintf(out, "\n[zonealias %s]\n", a->name);
		for (j = 0; j < a->nmembers; j++) {
			config_format_member(&a->members[j], member, sizeof(member));
			fprintf(out, "member = %s\n", member);
		}
	}
	for (i = 0; i < cfg->nzonegroups; i++) {
		const struct cdc_zonegroup *g = &cfg->zonegroups[i];

		fprintf(out, "\n[zonegroup %s]\nactive = %s\n", g->name, g->active ? "yes" : "no");
		for (j = 0; j < g->nzones; j++)
			fprintf(out, "zone = %s\n", g->zones[j].name);
		for (j = 0; j < g->nzones; j++) {
			for (size_t k = 0; k < g->zones[j].nmembers; k++) {
				config_format_member(&g->zones[j].members[k], member,
						     sizeof(member));
				fprintf(out, "member = %s %s\n", g->zones[j].name, member);
			}
		}
	}
}

void config_defaults(struct cdc_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	config_keys_defaults(cfg);
}

void config_free(struct cdc_config *cfg)
{
	size_t i;

	for (i = 0; i < cfg->nsubsys; i++)
		free(cfg->subsys[i].ports);
	free(cfg->subsys);
	free(cfg->referrals);
	free(cfg->ddcs);
	zonegroups_free(cfg->zonegroups, cfg->nzonegroups);
	zonealiases_free(cfg->zonealiases, cfg->nzonealiases);
	cfg->zonegroups = NULL;
	cfg->nzonegroups = 0;
	cfg->zonealiases = NULL;
	cfg->nzonealiases = 0;
	cfg->subsys = NULL;
	cfg->nsubsys = 0;
	cfg->referrals = NULL;
	cfg->nreferrals = 0;
	cfg->ddcs = NULL;
	cfg->nddcs = 0;
}
