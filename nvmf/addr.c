/* addr.c - NQNs, transport and listen addresses, and the words for their fields (see addr.h).
 * Every parser works on ranges of the caller's text and fills its output only on success, so a
 * refused value leaves the caller's record as it was. */
#include "addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <nvme/types.h>

#include "errbuf.h"

#define DEFAULT_PORT_SVC "4420"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* TREQ secure channel values: the file's word, then nvme-cli's (which the API speaks). */
static const struct {
	uint8_t treq;
	const char *name, *str;
} treqs[] = {
	{NVMF_TREQ_NOT_SPECIFIED, "not-specified", "not specified"},
	{NVMF_TREQ_REQUIRED, "required", "required"},
	{NVMF_TREQ_NOT_REQUIRED, "not-required", "not required"},
};

/* The SECTYPEs a port may be declared with. */
static const struct {
	uint8_t sectype;
	const char *name;
} sectypes[] = {
	{NVMF_TCP_SECTYPE_NONE, "none"},
	{NVMF_TCP_SECTYPE_TLS13, "tls13"},
};

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

int addr_parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (!is_digit(*s))
			return -EINVAL;
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > max)
			return -ERANGE;
	}
	if (v < min)
		return -ERANGE;
	*out = v;
	return 0;
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

int addr_split_hostport(const char *text, char *host, size_t size, const char **port)
{
	const char *end, *h = text;
	size_t n;

	if (!text)
		return -EINVAL;
	if (text[0] == '[') {
		end = strchr(text, ']');
		if (!end || end[1] != ':')
			return -EINVAL;
		h++;
	} else {
		end = strrchr(text, ':');
		if (!end)
			return -EINVAL;
	}
	n = (size_t)(end - h);
	if (n >= size)
		return -EINVAL;
	memcpy(host, h, n);
	host[n] = '\0';
	*port = strrchr(end, ':') + 1;
	return 0;
}

int addr_parse_listen(const char *text, struct cdc_listen *out)
{
	char host[INET6_ADDRSTRLEN], canon[INET6_ADDRSTRLEN];
	struct sockaddr_in6 *sin6;
	struct sockaddr_in *sin;
	struct cdc_listen l;
	const char *port;
	unsigned long portnum;

	memset(&l, 0, sizeof(l));
	sin6 = (struct sockaddr_in6 *)&l.ss;
	sin = (struct sockaddr_in *)&l.ss;
	/* A bare IPv6 address fails: its colons make the port ambiguous, so it needs brackets. */
	if (addr_split_hostport(text, host, sizeof(host), &port) ||
	    addr_parse_uint(port, 1, 65535, &portnum))
		return -EINVAL;
	if (text[0] == '[' && inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)portnum);
		l.sslen = sizeof(*sin6);
		inet_ntop(AF_INET6, &sin6->sin6_addr, canon, sizeof(canon));
		snprintf(l.text, sizeof(l.text), "[%s]:%lu", canon, portnum);
	} else if (text[0] != '[' && inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)portnum);
		l.sslen = sizeof(*sin);
		inet_ntop(AF_INET, &sin->sin_addr, canon, sizeof(canon));
		snprintf(l.text, sizeof(l.text), "%s:%lu", canon, portnum);
	} else {
		return -EINVAL;
	}
	*out = l;
	return 0;
}

int addr_traddr_canon(uint8_t *adrfam, char *traddr, size_t size)
{
	static const uint8_t zero[sizeof(struct in6_addr)];
	uint8_t addr[sizeof(struct in6_addr)];
	char text[INET6_ADDRSTRLEN];
	uint8_t fam;
	int af;

	if (inet_pton(AF_INET, traddr, addr) == 1) {
		af = AF_INET;
		fam = NVMF_ADDR_FAMILY_IP4;
	} else if (inet_pton(AF_INET6, traddr, addr) == 1) {
		af = AF_INET6;
		fam = NVMF_ADDR_FAMILY_IP6;
	} else {
		return -EINVAL;
	}
	if (*adrfam && *adrfam != fam)
		return -EAFNOSUPPORT;
	if (!memcmp(addr, zero, af == AF_INET ? sizeof(struct in_addr) : sizeof(zero)))
		return -EADDRNOTAVAIL;
	if (!inet_ntop(af, addr, text, sizeof(text)) || strlen(text) >= size)
		return -EINVAL;
	*adrfam = fam;
	strcpy(traddr, text);
	return 0;
}

int addr_trsvcid_canon(const char *text, char *out, size_t size)
{
	unsigned long v;

	if (addr_parse_uint(text, 1, 65535, &v))
		return -EINVAL;
	snprintf(out, size, "%lu", v);
	return 0;
}

int addr_parse_treq(const char *text, uint8_t *treq)
{
	for (size_t i = 0; i < ARRAY_SIZE(treqs); i++) {
		if (!strcasecmp(text, treqs[i].name) || !strcasecmp(text, treqs[i].str)) {
			*treq = treqs[i].treq;
			return 0;
		}
	}
	return -EINVAL;
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
			errbuf_set(err, errlen, "trtype '%s' is not supported (only tcp)", val);
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
			errbuf_set(err, errlen, "adrfam '%s' is not ipv4 or ipv6", val);
			return -EINVAL;
		}
		return 0;
	case PK_TRADDR:
		/* Checked once adrfam is known, which may come later in the string. */
		strcpy(traddr, val);
		return 0;
	case PK_TRSVCID:
		if (addr_trsvcid_canon(val, trsvcid, CDC_TRSVCID_MAX + 1)) {
			errbuf_set(err, errlen, "trsvcid '%s' is not a port number (1..65535)",
				   val);
			return -EINVAL;
		}
		return 0;
	case PK_PORTID:
		if (addr_parse_uint(val, 0, 65535, &v)) {
			errbuf_set(err, errlen, "portid '%s' is not a number in 0..65535", val);
			return -EINVAL;
		}
		port->portid = (uint16_t)v;
		return 0;
	case PK_TREQ:
		if (addr_parse_treq(val, &port->treq)) {
			errbuf_set(err, errlen,
				   "treq '%s' is not not-specified, required or not-required", val);
			return -EINVAL;
		}
		return 0;
	case PK_SECTYPE:
		for (i = 0; i < ARRAY_SIZE(sectypes); i++) {
			if (!strcasecmp(val, sectypes[i].name)) {
				port->sectype = sectypes[i].sectype;
				return 0;
			}
		}
		errbuf_set(err, errlen, "sectype '%s' is not none or tls13", val);
		return -EINVAL;
	case PK_NQN:
		if (!nqn_is_valid(val)) {
			errbuf_set(err, errlen, "nqn '%s' is not a valid NQN", val);
			return -EINVAL;
		}
		strcpy(nqn, val);
		return 0;
	case PK_COUNT:
		break;
	}
	return -EINVAL;
}

/* Resolves traddr against adrfam and stores it in inet_ntop's form; hosts see the form they
 * would print themselves. */
static int port_address(struct cdc_port *port, char *traddr, char *err, size_t errlen)
{
	if (!traddr[0]) {
		errbuf_set(err, errlen, "traddr is missing");
		return -EINVAL;
	}
	switch (addr_traddr_canon(&port->adrfam, traddr, CDC_TRADDR_MAX + 1)) {
	case 0:
		strcpy(port->traddr, traddr);
		return 0;
	case -EAFNOSUPPORT:
		errbuf_set(err, errlen, "traddr '%s' is not an %s address", traddr,
			   port->adrfam == NVMF_ADDR_FAMILY_IP4 ? "IPv4" : "IPv6");
		return -EINVAL;
	case -EADDRNOTAVAIL:
		errbuf_set(err, errlen,
			   "traddr '%s' is a wildcard address; hosts cannot connect to it", traddr);
		return -EINVAL;
	}
	errbuf_set(err, errlen, "traddr '%s' is not a numeric IPv4 or IPv6 address%s", traddr,
		   traddr[0] == '[' ? " (write it without brackets)" : "");
	return -EINVAL;
}

int addr_parse_entry(const char *text, const char *default_svc, struct cdc_port *out,
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
			errbuf_set(err, errlen, "'%.*s' is not key=value", (int)(tend - tok), tok);
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
			errbuf_set(err, errlen, "unknown key '%.*s'", (int)(ke - k), k);
			return -EINVAL;
		}
		if (seen & (1u << key)) {
			errbuf_set(err, errlen, "key '%s' given twice", port_keys[key]);
			return -EINVAL;
		}
		seen |= 1u << key;
		if (v == ve) {
			errbuf_set(err, errlen, "key '%s' has no value", port_keys[key]);
			return -EINVAL;
		}
		if ((size_t)(ve - v) >= sizeof(val)) {
			errbuf_set(err, errlen, "value of '%s' is too long", port_keys[key]);
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

int addr_parse_port(const char *text, const char *default_svc, struct cdc_port *out, char *err,
		    size_t errlen)
{
	return addr_parse_entry(text, default_svc, out, NULL, NULL, err, errlen);
}

int addr_format_port(const struct cdc_port *port, char *buf, size_t size)
{
	const char *treq = NULL, *sectype = NULL;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(treqs); i++)
		if (port->treq && port->treq == treqs[i].treq)
			treq = treqs[i].name;
	for (i = 0; i < ARRAY_SIZE(sectypes); i++)
		if (port->sectype && port->sectype == sectypes[i].sectype)
			sectype = sectypes[i].name;
	return snprintf(buf, size, "trtype=tcp;adrfam=%s;traddr=%s;trsvcid=%s;portid=%u%s%s%s%s",
			port->adrfam == NVMF_ADDR_FAMILY_IP6 ? "ipv6" : "ipv4", port->traddr,
			port->trsvcid, port->portid, treq ? ";treq=" : "", treq ? treq : "",
			sectype ? ";sectype=" : "", sectype ? sectype : "");
}

const char *addr_trtype_str(uint8_t trtype)
{
	switch (trtype) {
	case NVMF_TRTYPE_RDMA:
		return "rdma";
	case NVMF_TRTYPE_FC:
		return "fc";
	case NVMF_TRTYPE_TCP:
		return "tcp";
	case NVMF_TRTYPE_LOOP:
		return "loop";
	}
	return "unrecognized";
}

const char *addr_adrfam_str(uint8_t adrfam)
{
	switch (adrfam) {
	case NVMF_ADDR_FAMILY_IP4:
		return "ipv4";
	case NVMF_ADDR_FAMILY_IP6:
		return "ipv6";
	case NVMF_ADDR_FAMILY_IB:
		return "infiniband";
	case NVMF_ADDR_FAMILY_FC:
		return "fibre-channel";
	}
	return "unrecognized";
}

const char *addr_treq_str(uint8_t treq)
{
	for (size_t i = 0; i < ARRAY_SIZE(treqs); i++)
		if ((treq & 3) == treqs[i].treq)
			return treqs[i].str;
	/* 3 is reserved; nvme-cli calls it what it calls 0. */
	return treqs[0].str;
}

const char *addr_sectype_str(uint8_t sectype)
{
	switch (sectype) {
	case NVMF_TCP_SECTYPE_NONE:
		return "none";
	case NVMF_TCP_SECTYPE_TLS:
		return "tls";
	case NVMF_TCP_SECTYPE_TLS13:
		return "tls13";
	}
	return "unrecognized";
}

static size_t trim_spaces(const uint8_t *p, size_t n)
{
	while (n && p[n - 1] == ' ')
		n--;
	return n;
}

bool wire_text_get(char *dst, size_t size, const void *src, size_t width)
{
	const uint8_t *p = src, *nul = memchr(p, '\0', width);
	size_t n = trim_spaces(p, nul ? (size_t)(nul - p) : width);
	bool fits = n < size;

	if (!fits)
		n = trim_spaces(p, size - 1);
	memcpy(dst, p, n);
	dst[n] = '\0';
	return fits;
}
