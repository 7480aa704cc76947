/* config.c - read cdcd.conf (INI in the nvme-stas style) into struct cdc_config and write it back.
 * Parsing works on a buffer so the daemon, the unit tests and the fuzz target share one path; a
 * load either succeeds completely or leaves the caller's configuration as it was. */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nvme/types.h>

#include "config.h"
#include "config_keys.h"

/* Long enough for state-dir (PATH_MAX) plus the key; anything longer is not a config line. */
#define LINE_MAX_LEN 8192
/* A file this large is a mistake (wrong path, /dev/zero), not a configuration. */
#define FILE_MAX_LEN (64u << 20)
/* Bad values are quoted in messages; keep a runaway value from hiding the rest. */
#define QUOTE_MAX 96

#define DEFAULT_PORT_SVC     "4420"
#define DEFAULT_REFERRAL_SVC "8009"

enum section { SEC_NONE, SEC_GLOBAL, SEC_SUBSYS, SEC_REFERRAL, SEC_MDNS, SEC_DDC };

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

static const struct {
	const char *name;
	uint8_t treq;
} treqs[] = {
	{"not-specified", NVMF_TREQ_NOT_SPECIFIED},
	{"required", NVMF_TREQ_REQUIRED},
	{"not-required", NVMF_TREQ_NOT_REQUIRED},
};

static const struct {
	const char *name;
	uint8_t sectype;
} sectypes[] = {
	{"none", NVMF_TCP_SECTYPE_NONE},
	{"tls13", NVMF_TCP_SECTYPE_TLS13},
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static void set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int parse_error(struct parser *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int parse_error(struct parser *p, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	set_err(p->err, p->errlen, "%s:%u: %s", p->name, p->lineno, msg);
	return -EINVAL;
}

static int out_of_memory(struct parser *p)
{
	set_err(p->err, p->errlen, "%s:%u: out of memory", p->name, p->lineno);
	return -ENOMEM;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Works on ranges, not strings: port-string tokens are never NUL-terminated in place. */
static void trim_range(const char **s, const char **e)
{
	while (*s < *e && is_space(**s))
		(*s)++;
	while (*e > *s && is_space((*e)[-1]))
		(*e)--;
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

int config_parse_uint(const char *s, size_t len, unsigned long min, unsigned long max,
		      unsigned long *out)
{
	unsigned long v = 0;
	size_t i;

	if (!len)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		if (!is_digit(s[i]))
			return -EINVAL;
		v = v * 10 + (unsigned long)(s[i] - '0');
		if (v > max)
			return -ERANGE;
	}
	if (v < min)
		return -ERANGE;
	*out = v;
	return 0;
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

static bool is_uuid(const char *s)
{
	size_t i;

	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (!is_hex(s[i])) {
			return false;
		}
	}
	return s[36] == '\0';
}

bool config_control_socket_valid(const char *path)
{
	return !*path || (path[0] == '/' && strlen(path) < CDC_CONTROL_SOCKET_MAX);
}

bool nqn_is_valid(const char *nqn)
{
	static const char uuid_prefix[] = "nqn.2014-08.org.nvmexpress:uuid:";
	const char *p;
	size_t len, i, dlen;
	unsigned int month;

	if (!nqn)
		return false;
	len = strnlen(nqn, CDC_NQN_MAX + 1);
	if (!len || len > CDC_NQN_MAX)
		return false;
	for (i = 0; i < len; i++)
		if ((unsigned char)nqn[i] <= ' ' || (unsigned char)nqn[i] >= 0x7f)
			return false;
	if (!strcmp(nqn, NVME_DISC_SUBSYS_NAME))
		return true;
	/* The UUID prefix is reserved for UUID NQNs: anything else after it is not a name. */
	if (!strncmp(nqn, uuid_prefix, sizeof(uuid_prefix) - 1))
		return is_uuid(nqn + sizeof(uuid_prefix) - 1);

	/* "nqn.yyyy-mm.reverse.domain[:anything]" */
	if (strncmp(nqn, "nqn.", 4))
		return false;
	p = nqn + 4;
	for (i = 0; i < 4; i++)
		if (!is_digit(p[i]))
			return false;
	if (p[4] != '-' || !is_digit(p[5]) || !is_digit(p[6]) || p[7] != '.')
		return false;
	month = (unsigned int)(p[5] - '0') * 10 + (unsigned int)(p[6] - '0');
	if (month < 1 || month > 12)
		return false;
	p += 8;
	for (dlen = 0; p[dlen] && p[dlen] != ':'; dlen++) {
		char c = p[dlen];

		if (!is_digit(c) && !(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') &&
		    c != '.' && c != '-')
			return false;
	}
	return dlen > 0;
}

int config_parse_listen(const char *text, struct cdc_listen *out)
{
	char host[INET6_ADDRSTRLEN];
	char canon[INET6_ADDRSTRLEN];
	struct cdc_listen l;
	const char *port;
	unsigned long portnum;
	size_t hlen;

	if (!text)
		return -EINVAL;
	memset(&l, 0, sizeof(l));

	if (text[0] == '[') {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&l.ss;
		const char *rbracket = strchr(text, ']');

		if (!rbracket || rbracket[1] != ':')
			return -EINVAL;
		hlen = (size_t)(rbracket - text - 1);
		if (!hlen || hlen >= sizeof(host))
			return -EINVAL;
		memcpy(host, text + 1, hlen);
		host[hlen] = '\0';
		if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
			return -EINVAL;
		sin6->sin6_family = AF_INET6;
		l.sslen = sizeof(*sin6);
		port = rbracket + 2;
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)&l.ss;
		const char *colon = strrchr(text, ':');

		if (!colon)
			return -EINVAL;
		hlen = (size_t)(colon - text);
		if (!hlen || hlen >= sizeof(host))
			return -EINVAL;
		memcpy(host, text, hlen);
		host[hlen] = '\0';
		/* A bare IPv6 address fails here: its colons make the port ambiguous. */
		if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
			return -EINVAL;
		sin->sin_family = AF_INET;
		l.sslen = sizeof(*sin);
		port = colon + 1;
	}

	if (config_parse_uint(port, strlen(port), 1, 65535, &portnum))
		return -EINVAL;

	if (l.ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&l.ss;

		sin6->sin6_port = htons((uint16_t)portnum);
		inet_ntop(AF_INET6, &sin6->sin6_addr, canon, sizeof(canon));
		snprintf(l.text, sizeof(l.text), "[%s]:%lu", canon, portnum);
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)&l.ss;

		sin->sin_port = htons((uint16_t)portnum);
		inet_ntop(AF_INET, &sin->sin_addr, canon, sizeof(canon));
		snprintf(l.text, sizeof(l.text), "%s:%lu", canon, portnum);
	}
	*out = l;
	return 0;
}

enum port_key {
	PK_TRTYPE,
	PK_ADRFAM,
	PK_TRADDR,
	PK_TRSVCID,
	PK_PORTID,
	PK_TREQ,
	PK_SECTYPE,
	PK_NQN, /* referral entries only */
	PK_COUNT,
};

static const char *const port_keys[PK_COUNT] = {
	[PK_TRTYPE] = "trtype",	  [PK_ADRFAM] = "adrfam", [PK_TRADDR] = "traddr",
	[PK_TRSVCID] = "trsvcid", [PK_PORTID] = "portid", [PK_TREQ] = "treq",
	[PK_SECTYPE] = "sectype", [PK_NQN] = "nqn",
};

/* The value of one port key, already checked for key-independent limits. */
static int port_value(struct cdc_port *port, enum port_key key, const char *val, char *traddr,
		      char *trsvcid, char *nqn, char *err, size_t errlen)
{
	unsigned long v;
	size_t i;

	switch (key) {
	case PK_TRTYPE:
		if (strcasecmp(val, "tcp")) {
			set_err(err, errlen, "trtype '%s' is not supported (only tcp)", val);
			return -EINVAL;
		}
		port->trtype = NVMF_TRTYPE_TCP;
		return 0;
	case PK_ADRFAM:
		if (!strcasecmp(val, "ipv4")) {
			port->adrfam = NVMF_ADDR_FAMILY_IP4;
		} else if (!strcasecmp(val, "ipv6")) {
			port->adrfam = NVMF_ADDR_FAMILY_IP6;
		} else {
			set_err(err, errlen, "adrfam '%s' is not ipv4 or ipv6", val);
			return -EINVAL;
		}
		return 0;
	case PK_TRADDR:
		/* Checked once adrfam is known, which may come later in the string. */
		strcpy(traddr, val);
		return 0;
	case PK_TRSVCID:
		if (config_parse_uint(val, strlen(val), 1, 65535, &v)) {
			set_err(err, errlen, "trsvcid '%s' is not a port number (1..65535)", val);
			return -EINVAL;
		}
		snprintf(trsvcid, CDC_TRSVCID_MAX + 1, "%lu", v);
		return 0;
	case PK_PORTID:
		if (config_parse_uint(val, strlen(val), 0, 65535, &v)) {
			set_err(err, errlen, "portid '%s' is not a number in 0..65535", val);
			return -EINVAL;
		}
		port->portid = (uint16_t)v;
		return 0;
	case PK_TREQ:
		for (i = 0; i < ARRAY_SIZE(treqs); i++) {
			if (!strcasecmp(val, treqs[i].name)) {
				port->treq = treqs[i].treq;
				return 0;
			}
		}
		set_err(err, errlen, "treq '%s' is not not-specified, required or not-required",
			val);
		return -EINVAL;
	case PK_SECTYPE:
		for (i = 0; i < ARRAY_SIZE(sectypes); i++) {
			if (!strcasecmp(val, sectypes[i].name)) {
				port->sectype = sectypes[i].sectype;
				return 0;
			}
		}
		set_err(err, errlen, "sectype '%s' is not none or tls13", val);
		return -EINVAL;
	case PK_NQN:
		if (!nqn_is_valid(val)) {
			set_err(err, errlen, "nqn '%s' is not a valid NQN", val);
			return -EINVAL;
		}
		strcpy(nqn, val);
		return 0;
	case PK_COUNT:
		break;
	}
	return -EINVAL;
}

/* Resolves traddr against adrfam and stores it in inet_ntop's form, so that two spellings of
 * one address are one port and hosts see the form they would print themselves. */
static int port_address(struct cdc_port *port, const char *traddr, char *err, size_t errlen)
{
	static const uint8_t zero[sizeof(struct in6_addr)];
	uint8_t addr[sizeof(struct in6_addr)];
	uint8_t adrfam;
	int af;

	if (!traddr[0]) {
		set_err(err, errlen, "traddr is missing");
		return -EINVAL;
	}
	if (inet_pton(AF_INET, traddr, addr) == 1) {
		af = AF_INET;
		adrfam = NVMF_ADDR_FAMILY_IP4;
	} else if (inet_pton(AF_INET6, traddr, addr) == 1) {
		af = AF_INET6;
		adrfam = NVMF_ADDR_FAMILY_IP6;
	} else {
		set_err(err, errlen, "traddr '%s' is not a numeric IPv4 or IPv6 address%s", traddr,
			traddr[0] == '[' ? " (write it without brackets)" : "");
		return -EINVAL;
	}
	if (port->adrfam && port->adrfam != adrfam) {
		set_err(err, errlen, "traddr '%s' is not an %s address", traddr,
			port->adrfam == NVMF_ADDR_FAMILY_IP4 ? "IPv4" : "IPv6");
		return -EINVAL;
	}
	if (!memcmp(addr, zero, af == AF_INET ? 4 : sizeof(zero))) {
		set_err(err, errlen,
			"traddr '%s' is a wildcard address; hosts cannot connect to it", traddr);
		return -EINVAL;
	}
	port->adrfam = adrfam;
	inet_ntop(af, addr, port->traddr, sizeof(port->traddr));
	return 0;
}

/* Parses a port string; nqn is non-NULL for referral entries, which accept "nqn=". */
static int parse_port(const char *text, const char *default_svc, struct cdc_port *out,
		      bool *portid_set, char *nqn, char *err, size_t errlen)
{
	char traddr[CDC_TRADDR_MAX + 1] = "";
	char trsvcid[CDC_TRSVCID_MAX + 1] = "";
	char refnqn[CDC_NQN_MAX + 1] = NVME_DISC_SUBSYS_NAME;
	char val[CDC_TRADDR_MAX + 1];
	struct cdc_port port;
	unsigned int seen = 0;
	const char *s = text;
	int ret;

	memset(&port, 0, sizeof(port));
	port.trtype = NVMF_TRTYPE_TCP;

	while (s && *s) {
		const char *tok = s, *semi = strchr(s, ';');
		const char *tend = semi ? semi : s + strlen(s);
		const char *eq, *k, *ke, *v, *ve;
		unsigned int key;

		s = semi ? semi + 1 : tend;
		trim_range(&tok, &tend);
		if (tok == tend)
			continue;
		eq = memchr(tok, '=', (size_t)(tend - tok));
		if (!eq) {
			set_err(err, errlen, "'%.*s' is not key=value", (int)(tend - tok), tok);
			return -EINVAL;
		}
		k = tok;
		ke = eq;
		v = eq + 1;
		ve = tend;
		trim_range(&k, &ke);
		trim_range(&v, &ve);
		for (key = 0; key < PK_COUNT; key++)
			if ((size_t)(ke - k) == strlen(port_keys[key]) &&
			    !strncasecmp(k, port_keys[key], (size_t)(ke - k)))
				break;
		if (key == PK_COUNT || (key == PK_NQN && !nqn)) {
			set_err(err, errlen, "unknown key '%.*s'", (int)(ke - k), k);
			return -EINVAL;
		}
		if (seen & (1u << key)) {
			set_err(err, errlen, "key '%s' given twice", port_keys[key]);
			return -EINVAL;
		}
		seen |= 1u << key;
		if (v == ve) {
			set_err(err, errlen, "key '%s' has no value", port_keys[key]);
			return -EINVAL;
		}
		if ((size_t)(ve - v) >= sizeof(val)) {
			set_err(err, errlen, "value of '%s' is too long", port_keys[key]);
			return -EINVAL;
		}
		memcpy(val, v, (size_t)(ve - v));
		val[ve - v] = '\0';
		ret = port_value(&port, key, val, traddr, trsvcid, refnqn, err, errlen);
		if (ret)
			return ret;
	}

	ret = port_address(&port, traddr, err, errlen);
	if (ret)
		return ret;
	if (!trsvcid[0]) {
		const char *svc = default_svc ? default_svc : DEFAULT_PORT_SVC;

		ret = port_value(&port, PK_TRSVCID, svc, traddr, trsvcid, refnqn, err, errlen);
		if (ret)
			return ret;
	}
	strcpy(port.trsvcid, trsvcid);

	*out = port;
	if (portid_set)
		*portid_set = seen & (1u << PK_PORTID);
	if (nqn)
		strcpy(nqn, refnqn);
	return 0;
}

int config_parse_port(const char *text, const char *default_svc, struct cdc_port *out, char *err,
		      size_t errlen)
{
	return parse_port(text, default_svc, out, NULL, NULL, err, errlen);
}

/* Makes room for one more element; returns the (possibly moved) array or NULL. */
static void *grow(void *arr, size_t *cap, size_t n, size_t size)
{
	size_t ncap;
	void *na;

	if (n < *cap)
		return arr;
	ncap = *cap ? *cap * 2 : 4;
	if (ncap > SIZE_MAX / size)
		return NULL;
	na = realloc(arr, ncap * size);
	if (!na)
		return NULL;
	*cap = ncap;
	return na;
}

static bool same_address(const struct cdc_port *a, const struct cdc_port *b)
{
	return !strcmp(a->traddr, b->traddr) && !strcmp(a->trsvcid, b->trsvcid);
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
	return 0;
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
	if (parse_port(val, DEFAULT_PORT_SVC, &port, &portid_set, NULL, msg, sizeof(msg)))
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
	ports = grow(s->ports, &p->port_cap, s->nports, sizeof(*ports));
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
	if (parse_port(val, DEFAULT_REFERRAL_SVC, &ref.port, NULL, ref.nqn, msg, sizeof(msg)))
		return parse_error(p, "entry: %s", msg);
	for (i = 0; i < *n; i++)
		if (same_address(&(*list)[i].port, &ref.port))
			return parse_error(p, "duplicate %s traddr=%s;trsvcid=%s", section,
					   ref.port.traddr, ref.port.trsvcid);
	refs = grow(*list, cap, *n, sizeof(*refs));
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
	subsys = grow(cfg->subsys, &p->subsys_cap, cfg->nsubsys, sizeof(*subsys));
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
		set_err(err, errlen, "%s: out of memory", p.name);
		return -ENOMEM;
	}
	ret = config_copy(tmp, cfg);
	if (ret) {
		set_err(err, errlen, "%s: out of memory", p.name);
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

	/* Success: hand the new arrays over and free the old ones. */
	config_free(cfg);
	*cfg = *tmp;
	tmp->subsys = NULL;
	tmp->nsubsys = 0;
	tmp->referrals = NULL;
	tmp->nreferrals = 0;
	tmp->ddcs = NULL;
	tmp->nddcs = 0;
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
		set_err(err, errlen, "%s: %s", path, strerror(-ret));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = -EINVAL;
		set_err(err, errlen, "%s: is %s, not a regular file: not read", path,
			file_kind(st.st_mode));
		goto fail;
	}
	*out = fdopen(fd, "r");
	if (!*out) {
		ret = -errno;
		set_err(err, errlen, "%s: %s", path, strerror(-ret));
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
				set_err(err, errlen, "%s: larger than %u bytes", path,
					FILE_MAX_LEN);
				goto out;
			}
			cap = cap ? cap * 2 : 4096;
			nbuf = realloc(buf, cap);
			if (!nbuf) {
				ret = -ENOMEM;
				set_err(err, errlen, "%s: out of memory", path);
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
		set_err(err, errlen, "%s: %s", path, strerror(-ret));
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
	size_t i;

	fprintf(out, "trtype=tcp;adrfam=%s;traddr=%s;trsvcid=%s;portid=%u",
		port->adrfam == NVMF_ADDR_FAMILY_IP6 ? "ipv6" : "ipv4", port->traddr, port->trsvcid,
		port->portid);
	for (i = 0; i < ARRAY_SIZE(treqs); i++)
		if (port->treq && port->treq == treqs[i].treq)
			fprintf(out, ";treq=%s", treqs[i].name);
	for (i = 0; i < ARRAY_SIZE(sectypes); i++)
		if (port->sectype && port->sectype == sectypes[i].sectype)
			fprintf(out, ";sectype=%s", sectypes[i].name);
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
	cfg->subsys = NULL;
	cfg->nsubsys = 0;
	cfg->referrals = NULL;
	cfg->nreferrals = 0;
	cfg->ddcs = NULL;
	cfg->nddcs = 0;
}
