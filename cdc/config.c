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
