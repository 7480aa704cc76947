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

#include "config.h"
#include "name.h"

/* Long enough for state-dir (PATH_MAX) plus the key; anything longer is not a config line. */
#define LINE_MAX_LEN 8192
/* A file this large is a mistake (wrong path, /dev/zero), not a configuration. */
#define FILE_MAX_LEN (64u << 20)
/* Bad values are quoted in messages; keep a runaway value from hiding the rest. */
#define QUOTE_MAX 96

#define DEFAULT_PORT_SVC     "4420"
#define DEFAULT_REFERRAL_SVC "8009"

enum section { SEC_NONE, SEC_GLOBAL, SEC_SUBSYS, SEC_REFERRAL, SEC_MDNS };

struct parser {
	struct cdc_config *cfg; /* the private copy being built */
	const char *name;
	unsigned int lineno;
	enum section section;
	size_t cur;	   /* index of the [subsystem] being filled */
	size_t subsys_cap; /* allocated length of cfg->subsys */
	size_t port_cap;   /* allocated length of cfg->subsys[cur].ports */
	size_t ref_cap;	   /* allocated length of cfg->referrals */
	bool listen_seen;  /* the first listen line replaces the defaults */
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

/* Strict decimal: digits only, so "+1", " 1" and "0x10" are refused rather than guessed at. */
static int parse_uint(const char *s, size_t len, unsigned long min, unsigned long max,
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

static const char *log_level_name(enum cdc_log_level level)
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
	return 0;
}

static int parse_number(struct parser *p, const char *key, const char *val, unsigned long min,
			unsigned long max, const char *hint, unsigned int *out)
{
	unsigned long v;

	if (parse_uint(val, strlen(val), min, max, &v))
		return parse_error(p, "bad %s '%.*s' (expected %lu..%lu%s)", key, QUOTE_MAX, val,
				   min, max, hint);
	*out = (unsigned int)v;
	return 0;
}

static int global_listen(struct parser *p, const char *val)
{
	struct cdc_config *cfg = p->cfg;
	struct cdc_listen l;
	size_t i;

	if (addr_parse_listen(val, &l))
		return parse_error(p, "bad listen address '%.*s' (expected %s, PORT 1..65535)",
				   QUOTE_MAX, val, "A.B.C.D:PORT or [IPV6]:PORT");
	if (!p->listen_seen) {
		p->listen_seen = true;
		cfg->nlisten = 0;
	}
	for (i = 0; i < cfg->nlisten; i++)
		if (!strcmp(cfg->listen[i].text, l.text))
			return parse_error(p, "duplicate listen address '%s'", l.text);
	if (cfg->nlisten == CDC_MAX_LISTEN)
		return parse_error(p, "too many listen addresses (at most %d)", CDC_MAX_LISTEN);
	cfg->listen[cfg->nlisten++] = l;
	return 0;
}

static int parse_global(struct parser *p, const char *key, const char *val)
{
	struct cdc_config *cfg = p->cfg;

	if (!strcasecmp(key, "listen"))
		return global_listen(p, val);
	if (!strcasecmp(key, "state-dir")) {
		if (!*val)
			return parse_error(p, "state-dir has no value");
		/* The daemon's working directory is no anchor for state kept across restarts. */
		if (*val != '/')
			return parse_error(p, "state-dir '%.*s' is not an absolute path", QUOTE_MAX,
					   val);
		if (strlen(val) >= sizeof(cfg->state_dir))
			return parse_error(p, "state-dir '%.*s...' is too long", QUOTE_MAX, val);
		strcpy(cfg->state_dir, val);
		return 0;
	}
	if (!strcasecmp(key, "nqn")) {
		/* Empty resets to "generate one", as an empty value does in nvme-fabrics.conf. */
		if (!*val) {
			cfg->nqn[0] = '\0';
			return 0;
		}
		if (!nqn_is_valid(val))
			return parse_error(p, "nqn '%.*s' is not a valid NQN", QUOTE_MAX, val);
		if (!strcmp(val, NVME_DISC_SUBSYS_NAME))
			return parse_error(p, "nqn must be unique, not the well-known '%s'", val);
		strcpy(cfg->nqn, val);
		return 0;
	}
	if (!strcasecmp(key, "idle-timeout"))
		return parse_number(p, "idle-timeout", val, 1, 86400, " seconds",
				    &cfg->idle_timeout);
	if (!strcasecmp(key, "icreq-timeout"))
		return parse_number(p, "icreq-timeout", val, 1, 600, " seconds",
				    &cfg->icreq_timeout);
	if (!strcasecmp(key, "max-connections"))
		return parse_number(p, "max-connections", val, 0, 1000000, ", 0 for no limit",
				    &cfg->max_connections);
	if (!strcasecmp(key, "max-connections-per-source"))
		return parse_number(p, "max-connections-per-source", val, 0, 1000000,
				    ", 0 for no limit", &cfg->max_connections_per_source);
	if (!strcasecmp(key, "max-implicit-hosts"))
		return parse_number(p, "max-implicit-hosts", val, 1, 10000000, "",
				    &cfg->max_implicit_hosts);
	if (!strcasecmp(key, "implicit-host-expiry"))
		return parse_number(p, "implicit-host-expiry", val, 0, 31536000,
				    " seconds, 0 to keep them", &cfg->implicit_host_expiry);
	if (!strcasecmp(key, "api-request-timeout"))
		return parse_number(p, "api-request-timeout", val, 1, 3600, " seconds",
				    &cfg->api_request_timeout);
	if (!strcasecmp(key, "control-socket")) {
		if (!config_control_socket_valid(val))
			return parse_error(p,
					   "bad control-socket '%.*s' (expected an absolute path "
					   "of at most %zu bytes, or nothing to turn it off)",
					   QUOTE_MAX, val, sizeof(cfg->control_socket) - 1);
		snprintf(cfg->control_socket, sizeof(cfg->control_socket), "%s", val);
		return 0;
	}
	if (!strcasecmp(key, "http-listen")) {
		/* Empty turns it off again, as for control-socket. */
		cfg->has_http_listen = *val != '\0';
		if (cfg->has_http_listen && addr_parse_listen(val, &cfg->http_listen) < 0)
			return parse_error(p,
					   "bad http-listen '%.*s' (expected ADDR:PORT, "
					   "127.0.0.1:9109 or [::1]:9109)",
					   QUOTE_MAX, val);
		return 0;
	}
	if (!strcasecmp(key, "control-socket-group")) {
		if (strlen(val) >= sizeof(cfg->control_socket_group) || strpbrk(val, " \t:/"))
			return parse_error(p, "bad control-socket-group '%.*s'", QUOTE_MAX, val);
		snprintf(cfg->control_socket_group, sizeof(cfg->control_socket_group), "%s", val);
		return 0;
	}
	if (!strcasecmp(key, "max-registrations-per-entity"))
		return parse_number(p, "max-registrations-per-entity", val, 1, 65536, "",
				    &cfg->max_registrations_per_entity);
	if (!strcasecmp(key, "max-registrations"))
		return parse_number(p, "max-registrations", val, 1, 10000000, "",
				    &cfg->max_registrations);
	if (!strcasecmp(key, "log-level")) {
		if (config_parse_log_level(val, &cfg->log_level))
			return parse_error(p, "bad log-level '%.*s' (expected %s)", QUOTE_MAX, val,
					   "err, warning, info or debug");
		return 0;
	}
	return parse_error(p, "unknown key '%.*s' in [global]", QUOTE_MAX, key);
}

/* [mdns]: the whole section is this function, so that it moves as one piece. The interface
 * list replaces any earlier one; names are checked for their syntax only, since an
 * interface may appear after the daemon started. */
static int parse_mdns_key(struct parser *p, const char *key, const char *val)
{
	struct cdc_mdns_config *m = &p->cfg->mdns;

	if (!strcasecmp(key, "enable")) {
		if (!strcasecmp(val, "yes") || !strcasecmp(val, "true") || !strcmp(val, "1"))
			m->enable = true;
		else if (!strcasecmp(val, "no") || !strcasecmp(val, "false") || !strcmp(val, "0"))
			m->enable = false;
		else
			return parse_error(p, "bad enable '%.*s' in [mdns] (expected yes or no)",
					   QUOTE_MAX, val);
		return 0;
	}
	if (!strcasecmp(key, "instance-name")) {
		if (*val && !mdns_name_valid(val))
			return parse_error(p,
					   "bad instance-name '%.*s' (expected at most %d bytes "
					   "of UTF-8 text)",
					   QUOTE_MAX, val, CDC_MDNS_NAME_MAX);
		snprintf(m->instance, sizeof(m->instance), "%s", val);
		return 0;
	}
	if (strcasecmp(key, "interfaces"))
		return parse_error(p, "unknown key '%.*s' in [mdns]", QUOTE_MAX, key);
	m->ninterfaces = 0;
	for (const char *s = val, *e; *s; s = e) {
		s += strspn(s, " \t,");
		e = s + strcspn(s, " \t,");
		if (e == s)
			break;
		if ((size_t)(e - s) > CDC_IFNAME_MAX || memchr(s, '/', (size_t)(e - s)))
			return parse_error(p, "bad interface name '%.*s' in [mdns]", (int)(e - s),
					   s);
		if (m->ninterfaces == CDC_MDNS_MAX_IFACES)
			return parse_error(p, "too many interfaces in [mdns] (at most %d)",
					   CDC_MDNS_MAX_IFACES);
		snprintf(m->interfaces[m->ninterfaces++], CDC_IFNAME_MAX + 1, "%.*s", (int)(e - s),
			 s);
	}
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
	ports = grow(s->ports, &p->port_cap, s->nports, sizeof(*ports));
	if (!ports)
		return out_of_memory(p);
	s->ports = ports;
	s->ports[s->nports++] = port;
	return 0;
}

static int parse_referral_key(struct parser *p, const char *key, const char *val)
{
	struct cdc_config *cfg = p->cfg;
	struct cdc_referral ref, *refs;
	char msg[512];
	size_t i;

	if (strcasecmp(key, "entry"))
		return parse_error(p, "unknown key '%.*s' in [referral]", QUOTE_MAX, key);
	memset(&ref, 0, sizeof(ref));
	if (addr_parse_entry(val, DEFAULT_REFERRAL_SVC, &ref.port, NULL, ref.nqn, msg, sizeof(msg)))
		return parse_error(p, "entry: %s", msg);
	for (i = 0; i < cfg->nreferrals; i++)
		if (same_address(&cfg->referrals[i].port, &ref.port))
			return parse_error(p, "duplicate referral traddr=%s;trsvcid=%s",
					   ref.port.traddr, ref.port.trsvcid);
	refs = grow(cfg->referrals, &p->ref_cap, cfg->nreferrals, sizeof(*refs));
	if (!refs)
		return out_of_memory(p);
	cfg->referrals = refs;
	cfg->referrals[cfg->nreferrals++] = ref;
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
	    !strcasecmp(name, "mdns")) {
		if (*arg)
			return parse_error(p, "[%s] takes no argument, got '%.*s'", name, QUOTE_MAX,
					   arg);
		p->section = SEC_REFERRAL;
		if (!strcasecmp(name, "global"))
			p->section = SEC_GLOBAL;
		else if (!strcasecmp(name, "mdns"))
			p->section = SEC_MDNS;
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
		return parse_global(p, key, val);
	case SEC_SUBSYS:
		return parse_subsys_key(p, key, val);
	case SEC_REFERRAL:
		return parse_referral_key(p, key, val);
	case SEC_MDNS:
		return parse_mdns_key(p, key, val);
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
	p.subsys_cap = tmp->nsubsys;
	p.ref_cap = tmp->nreferrals;

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
	char buf[CDC_TRADDR_MAX + CDC_TRSVCID_MAX + 128];

	addr_format_port(port, buf, sizeof(buf));
	fputs(buf, out);
}

static void dump_mdns(const struct cdc_mdns_config *m, FILE *out)
{
	fprintf(out, "\n[mdns]\nenable = %s\n", m->enable ? "yes" : "no");
	if (m->instance[0])
		fprintf(out, "instance-name = %s\n", m->instance);
	if (m->ninterfaces)
		fprintf(out, "interfaces =");
	for (size_t i = 0; i < m->ninterfaces; i++)
		fprintf(out, "%s%s", i ? ", " : " ", m->interfaces[i]);
	if (m->ninterfaces)
		fprintf(out, "\n");
}

void config_dump(const struct cdc_config *cfg, FILE *out)
{
	size_t i, j;

	fprintf(out, "[global]\n");
	for (i = 0; i < cfg->nlisten; i++)
		fprintf(out, "listen = %s\n", cfg->listen[i].text);
	fprintf(out, "state-dir = %s\n", cfg->state_dir);
	if (cfg->nqn[0])
		fprintf(out, "nqn = %s\n", cfg->nqn);
	fprintf(out, "idle-timeout = %u\n", cfg->idle_timeout);
	fprintf(out, "icreq-timeout = %u\n", cfg->icreq_timeout);
	fprintf(out, "control-socket = %s\n", cfg->control_socket);
	if (cfg->control_socket_group[0])
		fprintf(out, "control-socket-group = %s\n", cfg->control_socket_group);
	if (cfg->has_http_listen)
		fprintf(out, "http-listen = %s\n", cfg->http_listen.text);
	fprintf(out, "max-connections = %u\n", cfg->max_connections);
	fprintf(out, "max-connections-per-source = %u\n", cfg->max_connections_per_source);
	fprintf(out, "max-implicit-hosts = %u\n", cfg->max_implicit_hosts);
	fprintf(out, "implicit-host-expiry = %u\n", cfg->implicit_host_expiry);
	fprintf(out, "api-request-timeout = %u\n", cfg->api_request_timeout);
	fprintf(out, "max-registrations-per-entity = %u\n", cfg->max_registrations_per_entity);
	fprintf(out, "max-registrations = %u\n", cfg->max_registrations);
	fprintf(out, "log-level = %s\n", log_level_name(cfg->log_level));
	dump_mdns(&cfg->mdns, out);

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
	for (i = 0; i < cfg->nreferrals; i++) {
		const struct cdc_referral *r = &cfg->referrals[i];

		fprintf(out, "entry = ");
		dump_port(&r->port, out);
		if (strcmp(r->nqn, NVME_DISC_SUBSYS_NAME))
			fprintf(out, ";nqn=%s", r->nqn);
		fprintf(out, "\n");
	}
}

void config_defaults(struct cdc_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	addr_parse_listen("0.0.0.0:8009", &cfg->listen[0]);
	addr_parse_listen("[::]:8009", &cfg->listen[1]);
	cfg->nlisten = 2;
	snprintf(cfg->state_dir, sizeof(cfg->state_dir), "%s", CDC_DEFAULT_STATE_DIR);
	cfg->idle_timeout = 120;
	cfg->icreq_timeout = 10;
	/* A daemon with no limit is one host's to exhaust; 8192 leaves room under the usual
	 * descriptor limits, and no single source may take more than 64 of them. */
	cfg->max_connections = 8192;
	cfg->max_connections_per_source = 64;
	cfg->max_implicit_hosts = 100000;
	cfg->implicit_host_expiry = 7 * 86400;
	cfg->api_request_timeout = 10;
	snprintf(cfg->control_socket, sizeof(cfg->control_socket), "%s",
		 CDC_DEFAULT_CONTROL_SOCKET);
	cfg->max_registrations_per_entity = 256;
	cfg->max_registrations = 100000;
	cfg->log_level = CDC_LOG_INFO;
	cfg->mdns.enable = true;
}

void config_free(struct cdc_config *cfg)
{
	size_t i;

	for (i = 0; i < cfg->nsubsys; i++)
		free(cfg->subsys[i].ports);
	free(cfg->subsys);
	free(cfg->referrals);
	cfg->subsys = NULL;
	cfg->nsubsys = 0;
	cfg->referrals = NULL;
	cfg->nreferrals = 0;
}
