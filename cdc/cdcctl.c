/* cdcctl.c - the administrator's command line for cdcd: "cdcctl NOUN VERB [ARGS] [-o normal|json]".
 * A thin client of the control API (HTTP/1.1 + JSON over a Unix socket, spoken with libcurl): it
 * keeps no state, and every decision about the fabric is the daemon's. NQNs and addresses are
 * checked with cdcd's own config.c, so what it would refuse is a usage error before sending. */
#include <assert.h>
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0.1.0"
#endif

#define CTL_TIMEOUT_SEC 5
#define CTL_REPLY_MAX	(64u << 20) /* a reply larger than this is refused */
#define CTL_PATH_MAX	4096
#define CTL_JSON_PRETTY                                                                            \
	(JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE)
#define CTL_JSON_PLAIN (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

#if JSON_C_VERSION_NUM >= ((0 << 16) | (15 << 8))
#define tokener_parse_end(tok) json_tokener_get_parse_end(tok)
#else
#define tokener_parse_end(tok) ((size_t)(tok)->char_offset)
#endif

/* Failures are negative errnos; -EINVAL always means a usage error (exit 2). Everything else
 * means the request failed (exit 1). Each failure is reported once, where it is detected. */
#define CTL_EUSAGE EINVAL

enum ctl_format { FMT_NORMAL, FMT_JSON };

/* Command options; each command names the ones it takes. */
enum opt_id {
	O_TRADDR,
	O_TRSVCID,
	O_TRTYPE,
	O_ADRFAM,
	O_PORTID,
	O_TREQ,
	O_NQN,
	O_SINCE,
	O_LIMIT,
	O_TYPE,
	O_ROLE,
	O_IPPROTO,
	O_ALIAS,
	O_KEY,
	O_KEY_FILE,
	O_CTRL_KEY,
	O_CTRL_KEY_FILE,
	O_COUNT
};
enum { G_SOCKET = 0x200, G_VERSION, G_OPTBASE = 0x300 };

struct ctl_optdef {
	const char *name;
	int short_opt; /* 0: long only */
	const char *arg;
	const char *help;
};

static const struct ctl_optdef optdefs[O_COUNT] = {
	[O_TRADDR] = {"traddr", 'a', "ADDR", "transport address (IPv4 or IPv6)"},
	[O_TRSVCID] = {"trsvcid", 's', "SVC",
		       "transport service id, the TCP port (4420; referrals 8009)"},
	[O_TRTYPE] = {"trtype", 't', "tcp", "transport type (tcp)"},
	[O_ADRFAM] = {"adrfam", 0, "ipv4|ipv6", "address family (derived from ADDR)"},
	[O_PORTID] = {"portid", 0, "N", "NVM subsystem port id, 0-65535"},
	[O_TREQ] = {"treq", 0, "not-specified|required|not-required",
		    "secure channel requirement (not-specified)"},
	[O_NQN] = {"nqn", 'n', "NQN",
		   "NQN of the referred discovery controller, or of a zone member"},
	[O_SINCE] = {"since", 0, "N", "show changes after this id (0: from the start)"},
	[O_LIMIT] = {"limit", 0, "N", "show at most N changes"},
	[O_TYPE] = {"type", 0, "TYPE", "member type, nqn by default (cdcctl(8) lists the types)"},
	[O_ROLE] = {"role", 0, "host|subsystem", "what the member is in the zone"},
	[O_IPPROTO] = {"ipproto", 0, "tcp|udp", "member IP protocol (tcp)"},
	[O_ALIAS] = {"alias", 0, "NAME", "the member is the zone alias NAME"},
	[O_KEY] = {"key", 0, "DHHC-1:...|-",
		   "the host's DH-HMAC-CHAP secret; - reads it from standard input"},
	[O_KEY_FILE] = {"key-file", 0, "PATH", "read the host's secret from PATH"},
	[O_CTRL_KEY] = {"ctrl-key", 0, "DHHC-1:...|-",
			"cdcd's secret for this host (bidirectional); - reads standard input"},
	[O_CTRL_KEY_FILE] = {"ctrl-key-file", 0, "PATH", "read cdcd's secret from PATH"},
};

struct ctl {
	const char *socket;
	enum ctl_format format;
	bool help;
	bool version;
	unsigned int seen; /* 1 << enum opt_id for each command option given */
	const char *val[O_COUNT];
};

struct ctl_cmd {
	const char *noun;
	const char *verb; /* NULL: the noun alone is the command */
	int nargs;
	const char *args;
	unsigned int opts;     /* options it takes */
	unsigned int required; /* options it needs */
	int (*run)(struct ctl *ctl, char **args);
	const char *summary;
};

static void ctl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void ctl_err(const char *fmt, ...)
{
	va_list ap;

	fputs("cdcctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ---- HTTP/1.1 over AF_UNIX, with libcurl ----------------------------------------------------- */

struct http_reply {
	long status;
	char reason[64];
	char *body; /* NUL-terminated; NULL while empty */
	size_t body_len, cap;
	int err; /* why the body was refused: -EFBIG or -ENOMEM */
};

/* CURLOPT_WRITEFUNCTION: gathers the body, refusing more than CTL_REPLY_MAX. */
static size_t http_collect(char *data, size_t size, size_t n, void *arg)
{
	struct http_reply *r = arg;
	size_t len = size * n, cap = r->cap ? r->cap : 16384;
	char *nbody;

	if (len > CTL_REPLY_MAX - r->body_len) {
		r->err = -EFBIG;
		return 0;
	}
	while (cap < r->body_len + len + 1)
		cap *= 2;
	if (cap != r->cap) {
		nbody = realloc(r->body, cap);
		if (!nbody) {
			r->err = -ENOMEM;
			return 0;
		}
		r->body = nbody;
		r->cap = cap;
	}
	memcpy(r->body + r->body_len, data, len);
	r->body_len += len;
	r->body[r->body_len] = '\0';
	return len;
}

/* CURLOPT_HEADERFUNCTION: keeps the reason phrase of "HTTP/1.1 503 Service Unavailable", which
 * libcurl does not, for the message about an error reply that does not explain itself. */
static size_t http_status_line(char *line, size_t size, size_t n, void *arg)
{
	struct http_reply *r = arg;
	size_t len = size * n, start, end, rlen;
	const char *sp = memchr(line, ' ', len);

	if (len < 5 || strncmp(line, "HTTP/", 5) || !sp)
		return len;
	start = (size_t)(sp - line) + 5; /* past " NNN " */
	for (end = len; end > start && (line[end - 1] == '\r' || line[end - 1] == '\n'); end--)
		;
	rlen = end > start ? end - start : 0;
	if (rlen >= sizeof(r->reason))
		rlen = sizeof(r->reason) - 1;
	memcpy(r->reason, line + start, rlen);
	r->reason[rlen] = '\0';
	return len;
}

/* The request: method and path over the socket, body (may be NULL) as JSON. No proxy, whatever
 * the environment says, and the path exactly as given ("." or ".." in an address are data). */
static CURLcode http_setup(CURL *c, const char *sock, const char *method, const char *url,
			   const char *body, struct curl_slist *headers, struct http_reply *r)
{
	CURLcode rc = curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, sock);

	if (!rc)
		rc = curl_easy_setopt(c, CURLOPT_URL, url);
	if (!rc)
		rc = curl_easy_setopt(c, CURLOPT_PROXY, "");
	if (!rc)
		rc = curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
	if (!rc)
		rc = curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	if (!rc)
		rc = curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (!rc && strcmp(method, "GET"))
		rc = curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
	if (!rc)
		rc = curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	if (!rc)
		rc = curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	/* Connecting, and every wait for the daemon, ends after CTL_TIMEOUT_SEC. */
	if (!rc)
		rc = curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)CTL_TIMEOUT_SEC);
	if (!rc)
		rc = curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	if (!rc)
		rc = curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, (long)CTL_TIMEOUT_SEC);
	if (!rc)
		rc = curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, http_collect);
	if (!rc)
		rc = curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	if (!rc)
		rc = curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, http_status_line);
	if (!rc)
		rc = curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	return rc;
}

/* The headers of every request: what it carries, and that the connection ends with it (cdcd
 * closes it anyway). "Expect:" keeps libcurl from waiting for a 100 Continue cdcd never sends. */
static struct curl_slist *http_headers(bool body)
{
	static const char *const names[] = {"Connection: close", "Accept: application/json",
					    "Expect:", "Content-Type: application/json"};
	struct curl_slist *list = NULL, *n;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]) - !body; i++) {
		n = curl_slist_append(list, names[i]);
		if (!n) {
			curl_slist_free_all(list);
			return NULL;
		}
		list = n;
	}
	return list;
}

/* Reports a failed exchange: "cannot reach" when no connection was made, with the system's
 * reason where libcurl kept it; else why no valid reply came. */
static void http_failed(CURL *c, const char *sock, CURLcode rc, const struct http_reply *r,
			const char *errbuf)
{
	long oserr = 0;

	if (rc == CURLE_COULDNT_CONNECT) {
		curl_easy_getinfo(c, CURLINFO_OS_ERRNO, &oserr);
		ctl_err("cannot reach cdcd at %s: %s", sock,
			oserr	  ? strerror((int)oserr)
			: *errbuf ? errbuf
				  : curl_easy_strerror(rc));
	} else if (rc == CURLE_WRITE_ERROR && r->err) {
		ctl_err("no valid reply from cdcd at %s: %s", sock, strerror(-r->err));
	} else {
		ctl_err("no valid reply from cdcd at %s: %s", sock,
			*errbuf ? errbuf : curl_easy_strerror(rc));
	}
}

/* One exchange: 0 with r filled (any status), or -EIO once the failure is reported. */
static int http_exchange(const char *sock, const char *method, const char *path, const char *body,
			 struct http_reply *r)
{
	char url[CTL_PATH_MAX + 16], errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *headers = http_headers(body != NULL);
	CURL *c = curl_easy_init();
	CURLcode rc = CURLE_OUT_OF_MEMORY;

	if (!*sock || strlen(sock) >= CDC_CONTROL_SOCKET_MAX) {
		ctl_err("cannot reach cdcd at %s: %s", sock,
			strerror(*sock ? ENAMETOOLONG : ENOENT));
		rc = CURLE_COULDNT_CONNECT;
		goto out;
	}
	snprintf(url, sizeof(url), "http://cdcd%s", path);
	if (c && headers)
		rc = http_setup(c, sock, method, url, body, headers, r);
	if (!rc)
		rc = curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	if (!rc)
		rc = curl_easy_perform(c);
	if (!rc)
		rc = curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	if (rc)
		http_failed(c, sock, rc, r, errbuf);
out:
	curl_easy_cleanup(c);
	curl_slist_free_all(headers);
	return rc ? -EIO : 0;
}

/* ---- JSON and the API --------------------------------------------------------------------- */

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* An empty (or blank) body is *out == NULL; anything but one JSON value is -EBADMSG. */
static int json_parse_body(const char *text, size_t len, struct json_object **out)
{
	enum json_tokener_error jerr;
	struct json_tokener *tok;

	*out = NULL;
	while (len && (text[len - 1] == '\n' || text[len - 1] == '\r' || is_space(text[len - 1])))
		len--;
	if (!len)
		return 0;
	if (len > INT_MAX || memchr(text, '\0', len))
		return -EBADMSG;
	tok = json_tokener_new();
	if (!tok)
		return -ENOMEM;
	*out = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	if (jerr == json_tokener_success && tokener_parse_end(tok) < len)
		jerr = json_tokener_error_parse_unexpected; /* something after the value */
	if (jerr == json_tokener_continue) {
		*out = json_tokener_parse_ex(tok, "", 1); /* a bare number needs an end */
		jerr = json_tokener_get_error(tok);
	}
	json_tokener_free(tok);
	if (jerr != json_tokener_success) {
		json_object_put(*out);
		*out = NULL;
		return -EBADMSG;
	}
	return 0;
}

static struct json_object *jget(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	if (o && json_object_is_type(o, json_type_object))
		json_object_object_get_ex(o, key, &v);
	return v;
}

/* The value's text ("" when absent or null): strings as they are, numbers as received. */
static const char *jtext(struct json_object *v)
{
	return v && !json_object_is_type(v, json_type_null) ? json_object_get_string(v) : "";
}

static const char *jstr(struct json_object *o, const char *key)
{
	return jtext(jget(o, key));
}

static long long jint(struct json_object *o, const char *key)
{
	return (long long)json_object_get_int64(jget(o, key));
}

static const char *jyesno(struct json_object *o, const char *key)
{
	return json_object_get_boolean(jget(o, key)) ? "yes" : "no";
}

static struct json_object *jarray(struct json_object *o, const char *key)
{
	struct json_object *v = jget(o, key);

	return v && json_object_is_type(v, json_type_array) ? v : NULL;
}

static size_t jlen(struct json_object *arr)
{
	return arr ? json_object_array_length(arr) : 0;
}

static int jadd(struct json_object *o, const char *key, struct json_object *v)
{
	if (!v || json_object_object_add(o, key, v)) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

/* Writes s with control characters made spaces, so a server message stays one line. */
static void put_line(const char *s, FILE *f)
{
	for (; *s; s++)
		fputc((unsigned char)*s < ' ' || *s == 0x7f ? ' ' : *s, f);
}

static void api_error(const char *sock, const struct http_reply *r, struct json_object *reply)
{
	const char *error = jstr(reply, "error"), *detail = jstr(reply, "detail");

	if (!*error) {
		ctl_err("cdcd at %s answered %ld %s", sock, r->status, r->reason);
		return;
	}
	fputs("cdcctl: ", stderr);
	put_line(error, stderr);
	if (*detail) {
		fputs(": ", stderr);
		put_line(detail, stderr);
	}
	fputc('\n', stderr);
}

/* One request to cdcd. *reply is the parsed body (NULL if empty) for a 2xx status; anything
 * else is reported here and returned as -EIO. */
static int ctl_call(struct ctl *ctl, const char *method, const char *path, struct json_object *body,
		    struct json_object **reply)
{
	struct http_reply r = {0};
	struct json_object *json = NULL;
	const char *text = NULL;
	int ret;

	*reply = NULL;
	if (body && !(text = json_object_to_json_string_ext(body, CTL_JSON_PLAIN))) {
		ctl_err("out of memory");
		return -EIO;
	}
	ret = http_exchange(ctl->socket, method, path, text, &r);
	if (ret)
		return ret;
	ret = json_parse_body(r.body ? r.body : "", r.body_len, &json);
	if (r.status < 200 || r.status >= 300) {
		api_error(ctl->socket, &r, json);
		ret = -EIO;
	} else if (ret) {
		ctl_err("cdcd at %s sent a reply that is not JSON", ctl->socket);
	}
	free(r.body);
	if (ret) {
		json_object_put(json);
		return -EIO;
	}
	*reply = json;
	return 0;
}

/* Appends "/seg" for each segment (NULL-terminated), percent-encoded as libcurl does for URLs:
 * all but [A-Za-z0-9._~-]. */
static int api_path(char *buf, size_t size, ...)
{
	const char *seg;
	size_t len = 0;
	char *esc;
	va_list ap;
	int ret = 0;

	va_start(ap, size);
	while (!ret && (seg = va_arg(ap, const char *))) {
		esc = curl_easy_escape(NULL, seg, 0);
		if (!esc)
			ret = -ENOMEM;
		else if (len + 1 + strlen(esc) >= size)
			ret = -ENAMETOOLONG;
		else
			len += (size_t)snprintf(buf + len, size - len, "/%s", esc);
		curl_free(esc);
	}
	va_end(ap);
	buf[len < size ? len : 0] = '\0';
	if (ret)
		ctl_err(ret == -ENAMETOOLONG ? "request path too long" : "out of memory");
	return ret ? -EIO : 0;
}

static void print_json(struct json_object *o)
{
	if (o)
		printf("%s\n", json_object_to_json_string_ext(o, CTL_JSON_PRETTY));
}

/* ---- Tables for people -------------------------------------------------------------------- */

#define TABLE_COLS 12

struct table_row {
	int level; /* 0: a row under the header; 1: a detail line of the row before */
	int ncells;
	char *cell[TABLE_COLS];
};

struct table {
	const char *const *head; /* NULL: no header row */
	int nhead;
	struct table_row *rows;
	size_t nrows, cap;
	int err; /* the first allocation failure; later rows are dropped */
};

/* Hosts choose some of what is shown (symbolic names, NQNs): no control characters reach the
 * terminal. */
static void sanitize(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < ' ' || *s == 0x7f)
			*s = '?';
}

/* Adds a row of n cells (const char *); an empty or NULL cell shows as "-". */
static void table_row(struct table *t, int level, int n, ...)
{
	struct table_row *row, *nrows;
	const char *s;
	va_list ap;
	int i;

	assert(n <= TABLE_COLS && (level == 0 || level == 1));
	if (t->err)
		return;
	if (t->nrows == t->cap) {
		nrows = realloc(t->rows, (t->cap ? t->cap * 2 : 16) * sizeof(*row));
		if (!nrows) {
			t->err = -ENOMEM;
			return;
		}
		t->rows = nrows;
		t->cap = t->cap ? t->cap * 2 : 16;
	}
	row = &t->rows[t->nrows++];
	row->level = level;
	row->ncells = n;
	va_start(ap, n);
	for (i = 0; i < n; i++) {
		s = va_arg(ap, const char *);
		row->cell[i] = strdup(s && *s ? s : "-");
		if (!row->cell[i])
			t->err = -ENOMEM;
		else
			sanitize(row->cell[i]);
	}
	va_end(ap);
}

static void print_cells(char *const *cells, int n, const size_t *width, int level)
{
	int i;

	printf("%*s", level * 2, "");
	for (i = 0; i < n - 1; i++)
		printf("%-*s  ", (int)width[i], cells[i] ? cells[i] : "-");
	printf("%s\n", n ? cells[n - 1] : "");
}

static void table_free(struct table *t)
{
	size_t r;
	int i;

	for (r = 0; r < t->nrows; r++)
		for (i = 0; i < t->rows[r].ncells; i++)
			free(t->rows[r].cell[i]);
	free(t->rows);
	t->rows = NULL;
	t->nrows = t->cap = 0;
}

/* Prints the header and the rows, each level's columns as wide as their widest cell; frees t. */
static int table_print(struct table *t)
{
	size_t width[2][TABLE_COLS] = {{0}}, r;
	struct table_row *row;
	int i, ret = t->err;

	for (i = 0; i < t->nhead && t->head; i++)
		width[0][i] = strlen(t->head[i]);
	for (r = 0; r < t->nrows; r++) {
		row = &t->rows[r];
		for (i = 0; i < row->ncells; i++)
			if (row->cell[i] && strlen(row->cell[i]) > width[row->level][i])
				width[row->level][i] = strlen(row->cell[i]);
	}
	if (!ret && t->head)
		print_cells((char *const *)t->head, t->nhead, width[0], 0);
	for (r = 0; !ret && r < t->nrows; r++)
		print_cells(t->rows[r].cell, t->rows[r].ncells, width[t->rows[r].level],
			    t->rows[r].level);
	table_free(t);
	if (ret)
		ctl_err("out of memory");
	return ret;
}

/* "192.0.2.1:4420", "[fd00::1]:4420" */
static const char *fmt_addr(char *buf, size_t len, const char *traddr, const char *trsvcid)
{
	snprintf(buf, len, strchr(traddr, ':') ? "[%s]:%s" : "%s:%s", traddr, trsvcid);
	return buf;
}

static const char *fmt_time(char *buf, size_t len, long long when)
{
	time_t t = (time_t)when;
	struct tm tm;

	if (when <= 0 || !localtime_r(&t, &tm) || !strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(buf, len, "-");
	return buf;
}

static const char *fmt_duration(char *buf, size_t len, long long secs)
{
	if (secs >= 86400)
		snprintf(buf, len, "%lldd %lldh %lldm %llds", secs / 86400, secs / 3600 % 24,
			 secs / 60 % 60, secs % 60);
	else if (secs >= 3600)
		snprintf(buf, len, "%lldh %lldm %llds", secs / 3600, secs / 60 % 60, secs % 60);
	else if (secs >= 60)
		snprintf(buf, len, "%lldm %llds", secs / 60, secs % 60);
	else
		snprintf(buf, len, "%llds", secs);
	return buf;
}

static const char *fmt_kato(char *buf, size_t len, long long ms)
{
	snprintf(buf, len, ms % 1000 ? "%lldms" : "%llds", ms % 1000 ? ms : ms / 1000);
	return buf;
}

/* ---- Printers, one per resource ----------------------------------------------------------- */

/* "mdns: published 'NAME' on port 8009 (any interface)", or only the state. */
static void print_mdns(struct table *t, struct json_object *m)
{
	struct json_object *svcs = jarray(m, "services");
	char buf[512];
	size_t len, i;

	if (!m || !json_object_is_type(m, json_type_object))
		return;
	if (!jlen(svcs)) {
		table_row(t, 0, 2, "mdns:", jstr(m, "state"));
		return;
	}
	len = (size_t)snprintf(buf, sizeof(buf), "%s '%s' on", jstr(m, "state"), jstr(m, "name"));
	for (i = 0; i < jlen(svcs) && len < sizeof(buf); i++) {
		struct json_object *s = json_object_array_get_idx(svcs, i);
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s port %s (%s, %s)",
					i ? "," : "", jstr(s, "port"), jstr(s, "interface"),
					jstr(s, "protocol"));
	}
	table_row(t, 0, 2, "mdns:", buf);
}

/* "mdns found: 2 DDC candidates, 1 other CDC" when browsing. */
static void print_mdns_found(struct table *t, struct json_object *m)
{
	struct json_object *found = jarray(m, "found");
	size_t ddc = 0, cdc = 0;
	char buf[128];

	if (!found)
		return;
	for (size_t i = 0; i < jlen(found); i++) {
		const char *kind = jstr(json_object_array_get_idx(found, i), "kind");
		ddc += !strcmp(kind, "ddc");
		cdc += !strcmp(kind, "cdc");
	}
	snprintf(buf, sizeof(buf), "%zu DDC candidate%s, %zu other CDC%s", ddc, ddc == 1 ? "" : "s",
		 cdc, cdc == 1 ? "" : "s");
	table_row(t, 0, 2, "mdns found:", buf);
}

static int print_status(struct json_object *o)
{
	struct table t = {0};
	struct json_object *lis = jarray(o, "listeners"), *counts = jget(o, "counts");
	char buf[1024] = "", up[64];
	size_t i, len = 0;

	for (i = 0; i < jlen(lis) && len < sizeof(buf); i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s", i ? ", " : "",
					jtext(json_object_array_get_idx(lis, i)));
	table_row(&t, 0, 2, "version:", jstr(o, "version"));
	table_row(&t, 0, 2, "nqn:", jstr(o, "nqn"));
	table_row(&t, 0, 2, "uptime:", fmt_duration(up, sizeof(up), jint(o, "uptime")));
	table_row(&t, 0, 2, "genctr:", jstr(o, "genctr"));
	table_row(&t, 0, 2, "listeners:", buf);
	print_mdns(&t, jget(o, "mdns"));
	print_mdns_found(&t, jget(o, "mdns"));
	if (counts && json_object_is_type(counts, json_type_object)) {
		json_object_object_foreach(counts, key, val)
		{
			snprintf(buf, sizeof(buf), "%s:", key);
			table_row(&t, 0, 2, buf, jtext(val));
		}
	}
	return table_print(&t);
}

static const char *const host_head[] = {"HOSTNQN",   "TRTYPE", "TRADDR", "SOURCE",
					"CONNECTED", "HOSTID", "SYMNAME"};

static void host_rows(struct table *t, struct json_object *arr)
{
	struct json_object *h;
	size_t i;

	for (i = 0; i < jlen(arr); i++) {
		h = json_object_array_get_idx(arr, i);
		table_row(t, 0, 7, jstr(h, "hostnqn"), jstr(h, "trtype"), jstr(h, "traddr"),
			  jstr(h, "source"), jyesno(h, "connected"), jstr(h, "hostid"),
			  jstr(h, "symname"));
	}
}

static int print_hosts(struct json_object *o)
{
	struct table t = {.head = host_head, .nhead = 7};

	host_rows(&t, jarray(o, "hosts"));
	return table_print(&t);
}

/* Key-value rows first; then, after a blank line, the table if it has rows. */
static int print_kv_then(struct table *kv, struct table *t)
{
	int ret = table_print(kv);

	if (ret || !t->nrows) {
		table_free(t);
		return ret;
	}
	putchar('\n');
	return table_print(t);
}

static int print_host(struct json_object *o)
{
	struct json_object *e = jget(o, "entity");
	struct table kv = {0}, addrs = {.head = host_head, .nhead = 7};
	char first[32], last[32];

	table_row(&kv, 0, 2, "hostnqn:", jstr(o, "hostnqn"));
	table_row(&kv, 0, 2, "connected:", jyesno(o, "connected"));
	if (e && json_object_is_type(e, json_type_object)) {
		table_row(&kv, 0, 2, "etype:", jstr(e, "etype"));
		table_row(&kv, 0, 2, "source:", jstr(e, "source"));
		table_row(&kv, 0, 2, "ename:", jstr(e, "ename"));
		table_row(&kv, 0, 2, "ever:", jstr(e, "ever"));
		table_row(&kv, 0, 2,
			  "first seen:", fmt_time(first, sizeof(first), jint(e, "first_seen")));
		table_row(&kv, 0, 2,
			  "last seen:", fmt_time(last, sizeof(last), jint(e, "last_seen")));
	} else {
		table_row(&kv, 0, 2, "entity:", "none (not registered)");
	}
	struct json_object *au = jget(o, "auth");
	char auth[128] = "none";
	if (au && json_object_is_type(au, json_type_object))
		snprintf(auth, sizeof(auth), "%s%s, %s (%s)",
			 json_object_get_boolean(jget(au, "key")) ? "key" : "no key",
			 json_object_get_boolean(jget(au, "ctrl_key")) ? " and ctrl key" : "",
			 json_object_get_boolean(jget(au, "require")) ? "required" : "optional",
			 jstr(au, "source"));
	table_row(&kv, 0, 2, "dh-hmac-chap:", auth);
	host_rows(&addrs, jarray(o, "addresses"));
	return print_kv_then(&kv, &addrs);
}

/* As "nvme discover" prints a discovery log page. */
static int print_log(struct json_object *o)
{
	struct json_object *recs = jarray(o, "records"), *rec;
	char key[64];
	size_t i;

	printf("Discovery Log Number of Records %zu, Generation counter %s\n", jlen(recs),
	       *jstr(o, "genctr") ? jstr(o, "genctr") : "0");
	for (i = 0; i < jlen(recs); i++) {
		rec = json_object_array_get_idx(recs, i);
		printf("=====Discovery Log Entry %zu======\n", i);
		if (!json_object_is_type(rec, json_type_object))
			continue;
		json_object_object_foreach(rec, k, v)
		{
			snprintf(key, sizeof(key), "%s:", k);
			printf("%-8s ", key);
			put_line(jtext(v), stdout);
			putchar('\n');
		}
	}
	return 0;
}

/* The settings of a port that differ from the defaults, as one cell: "treq required ncc";
 * "down" when path health withholds it. */
static const char *port_extras(char *buf, size_t len, struct json_object *p)
{
	const char *treq = jstr(p, "treq"), *sectype = jstr(p, "sectype");
	bool t = *treq && strcmp(treq, "not specified"), s = *sectype && strcmp(sectype, "none");

	snprintf(buf, len, "%s%s%s%s%s%s", t ? " treq " : "", t ? treq : "", s ? " sectype " : "",
		 s ? sectype : "", json_object_get_boolean(jget(p, "ncc")) ? " ncc" : "",
		 strcmp(jstr(p, "health"), "down") ? "" : " down");
	return buf[0] ? buf + 1 : buf;
}

static void subsys_rows(struct table *t, struct json_object *s)
{
	struct json_object *ports = jarray(s, "ports"), *p;
	char n[24], addr[300], portid[32], buf[128];
	const char *extras;
	size_t i;

	snprintf(n, sizeof(n), "%zu", jlen(ports));
	table_row(t, 0, 4, jstr(s, "nqn"), jstr(s, "source"), n, jstr(s, "owner"));
	for (i = 0; i < jlen(ports); i++) {
		p = json_object_array_get_idx(ports, i);
		snprintf(portid, sizeof(portid), "portid %s", jstr(p, "portid"));
		extras = port_extras(buf, sizeof(buf), p);
		table_row(t, 1, *extras ? 5 : 4, jstr(p, "trtype"),
			  fmt_addr(addr, sizeof(addr), jstr(p, "traddr"), jstr(p, "trsvcid")),
			  portid, jstr(p, "source"), extras);
	}
}

static const char *const subsys_head[] = {"NQN", "SOURCE", "PORTS", "OWNER"};

static int print_subsystems(struct json_object *o)
{
	struct json_object *arr = jarray(o, "subsystems");
	struct table t = {.head = subsys_head, .nhead = 4};
	size_t i;

	for (i = 0; i < jlen(arr); i++)
		subsys_rows(&t, json_object_array_get_idx(arr, i));
	return table_print(&t);
}

static const char *const port_head[] = {"PORTID",  "TRTYPE", "ADRFAM",	  "TRADDR",
					"TRSVCID", "TREQ",   "SECTYPE",	  "NCC",
					"SOURCE",  "HEALTH", "LAST PROBE"};

static int print_subsystem(struct json_object *o)
{
	struct json_object *ports = jarray(o, "ports"), *p;
	struct table kv = {0}, t = {.head = port_head, .nhead = 11};
	char probed[32];
	size_t i;

	table_row(&kv, 0, 2, "nqn:", jstr(o, "nqn"));
	table_row(&kv, 0, 2, "source:", jstr(o, "source"));
	table_row(&kv, 0, 2, "owner:", jstr(o, "owner"));
	for (i = 0; i < jlen(ports); i++) {
		p = json_object_array_get_idx(ports, i);
		table_row(&t, 0, 11, jstr(p, "portid"), jstr(p, "trtype"), jstr(p, "adrfam"),
			  jstr(p, "traddr"), jstr(p, "trsvcid"), jstr(p, "treq"),
			  jstr(p, "sectype"), jyesno(p, "ncc"), jstr(p, "source"),
			  jstr(p, "health"),
			  fmt_time(probed, sizeof(probed), jint(p, "last_probe")));
	}
	return print_kv_then(&kv, &t);
}

static const char *const referral_head[] = {"ADDRESS", "TRTYPE", "PORTID", "SOURCE", "NQN"};

static int print_referrals(struct json_object *o)
{
	struct json_object *arr = jarray(o, "referrals"), *r;
	struct table t = {.head = referral_head, .nhead = 5};
	char addr[300];
	size_t i;

	for (i = 0; i < jlen(arr); i++) {
		r = json_object_array_get_idx(arr, i);
		table_row(&t, 0, 5,
			  fmt_addr(addr, sizeof(addr), jstr(r, "traddr"), jstr(r, "trsvcid")),
			  jstr(r, "trtype"), jstr(r, "portid"), jstr(r, "source"), jstr(r, "nqn"));
	}
	return table_print(&t);
}

static const char *const ddc_head[] = {"ADDRESS", "STATE",   "SOURCE", "PULLS",
				       "ENTRIES", "SKIPPED", "NQN"};

static int print_ddcs(struct json_object *o)
{
	struct json_object *arr = jarray(o, "ddcs"), *d;
	struct table t = {.head = ddc_head, .nhead = 7};
	char addr[300];

	for (size_t i = 0; i < jlen(arr); i++) {
		d = json_object_array_get_idx(arr, i);
		table_row(&t, 0, 7,
			  fmt_addr(addr, sizeof(addr), jstr(d, "traddr"), jstr(d, "trsvcid")),
			  jstr(d, "state"), jstr(d, "source"), jstr(d, "pulls"), jstr(d, "entries"),
			  jstr(d, "skipped"), jstr(d, "nqn"));
	}
	return table_print(&t);
}

static const char *const conn_head[] = {"CNTLID", "PEER",  "KATO",    "PERSISTENT",
					"AERS",	  "SINCE", "HOSTNQN", "SUBNQN"};

static int print_connections(struct json_object *o)
{
	struct json_object *arr = jarray(o, "connections"), *c;
	struct table t = {.head = conn_head, .nhead = 8};
	char kato[32], since[32];
	size_t i;

	for (i = 0; i < jlen(arr); i++) {
		c = json_object_array_get_idx(arr, i);
		table_row(&t, 0, 8, jstr(c, "cntlid"), jstr(c, "peer"),
			  fmt_kato(kato, sizeof(kato), jint(c, "kato")), jyesno(c, "persistent"),
			  jstr(c, "aers"), fmt_time(since, sizeof(since), jint(c, "since")),
			  jstr(c, "hostnqn"), jstr(c, "subnqn"));
	}
	return table_print(&t);
}

static const char *const change_head[] = {"ID", "WHEN", "ACTION", "PEER", "ACTOR", "DETAIL"};

static int print_changes(struct json_object *o)
{
	struct json_object *arr = jarray(o, "changes"), *c;
	struct table t = {.head = change_head, .nhead = 6};
	char when[32];
	size_t i;

	for (i = 0; i < jlen(arr); i++) {
		c = json_object_array_get_idx(arr, i);
		table_row(&t, 0, 6, jstr(c, "id"), fmt_time(when, sizeof(when), jint(c, "when")),
			  jstr(c, "action"), jstr(c, "peer"), jstr(c, "actor"), jstr(c, "detail"));
	}
	return table_print(&t);
}

/* ---- Argument checks ---------------------------------------------------------------------- */

static const char *opt_or(const struct ctl *ctl, enum opt_id id, const char *def)
{
	return ctl->val[id] ? ctl->val[id] : def;
}

/* The NQN syntax cdcd itself applies, so a name it would refuse is a usage error here. */
static int check_nqn(const char *nqn)
{
	if (!nqn_is_valid(nqn)) {
		ctl_err("'%s' is not an NQN (\"nqn.yyyy-mm.reverse.domain:name\" or a UUID NQN, at "
			"most %d printable characters)",
			nqn, CDC_NQN_MAX);
		return -CTL_EUSAGE;
	}
	return 0;
}

static int check_uint(enum opt_id id, const char *text, unsigned long long max,
		      unsigned long long *out)
{
	char *end = NULL;

	errno = 0;
	if (text[0] >= '0' && text[0] <= '9')
		*out = strtoull(text, &end, 10);
	if (!end || *end || errno || *out > max) {
		ctl_err("--%s: '%s' is not a number from 0 to %llu", optdefs[id].name, text, max);
		return -CTL_EUSAGE;
	}
	return 0;
}

/* The command line spells TREQ values with dashes, the API as the discovery log does. */
static int check_treq(const char *text, const char **api)
{
	uint8_t treq;

	if (addr_parse_treq(text, &treq) < 0) {
		ctl_err("--treq: '%s' is not one of not-specified, required, not-required", text);
		return -CTL_EUSAGE;
	}
	*api = addr_treq_str(treq);
	return 0;
}

/* --traddr (without the brackets of "[fd00::1]"), --trsvcid (or def_svc) and --adrfam, checked
 * as cdcd checks a port and put in the form it keeps, so a bad address is refused before
 * anything is sent and "port del" names a port however its address was spelt. */
static int check_target(const struct ctl *ctl, const char *def_svc, struct cdc_port *port)
{
	const char *traddr = ctl->val[O_TRADDR], *svc = opt_or(ctl, O_TRSVCID, def_svc);
	const char *adrfam = ctl->val[O_ADRFAM], *trtype = ctl->val[O_TRTYPE];
	size_t len = strlen(traddr);
	char spec[CDC_TRADDR_MAX + CDC_TRSVCID_MAX + 64], err[CDC_TRADDR_MAX + 128];
	int n;

	if (len >= 2 && traddr[0] == '[' && traddr[len - 1] == ']') {
		traddr++;
		len -= 2;
	}
	/* ';' and '=' would be read as another key of the port string. */
	if (strpbrk(traddr, ";=") || strpbrk(svc, ";=") || (adrfam && strpbrk(adrfam, ";=")) ||
	    (trtype && strpbrk(trtype, ";="))) {
		ctl_err("'%s' is not a transport address", ctl->val[O_TRADDR]);
		return -CTL_EUSAGE;
	}
	n = snprintf(spec, sizeof(spec), "traddr=%.*s;trsvcid=%s%s%s%s%s", (int)len, traddr, svc,
		     adrfam ? ";adrfam=" : "", adrfam ? adrfam : "", trtype ? ";trtype=" : "",
		     trtype ? trtype : "");
	if (n < 0 || (size_t)n >= sizeof(spec)) {
		ctl_err("'%s' is not a transport address", ctl->val[O_TRADDR]);
		return -CTL_EUSAGE;
	}
	if (addr_parse_port(spec, def_svc, port, err, sizeof(err))) {
		ctl_err("%s", err);
		return -CTL_EUSAGE;
	}
	return 0;
}

/* One zone member in words: what it names, as "cdcctl zone add-member" takes it. */
static const char *member_text(char *buf, size_t len, struct json_object *m)
{
	char addr[300];

	if (!strcmp(jstr(m, "type"), "alias")) {
		snprintf(buf, len, "alias %s", jstr(m, "alias"));
		return buf;
	}
	fmt_addr(addr, sizeof(addr), jstr(m, "traddr"), jstr(m, "trsvcid"));
	snprintf(buf, len, "%s%s%s%s%s%s%s", jstr(m, "nqn"), *jstr(m, "nqn") ? " " : "",
		 *jstr(m, "traddr") ? addr : "", *jstr(m, "traddr") ? " " : "",
		 *jstr(m, "ipproto") ? jstr(m, "ipproto") : "", jget(m, "portid") ? " portid " : "",
		 jget(m, "portid") ? jstr(m, "portid") : "");
	return buf;
}

static const char *const member_head[] = {"ZONE", "ROLE", "TYPE", "MEMBER"};

static void member_rows(struct table *t, const char *zone, struct json_object *members)
{
	char text[1024];

	for (size_t i = 0; i < jlen(members); i++) {
		struct json_object *m = json_object_array_get_idx(members, i);
		table_row(t, 0, 4, zone, jstr(m, "role"), jstr(m, "type"),
			  member_text(text, sizeof(text), m));
	}
}

static const char *const zonegroup_head[] = {"NAME",	   "ORIGINATOR", "SOURCE", "KEY",
					     "GENERATION", "ACTIVE",	 "ZONES"};

static int print_zonegroups(struct json_object *o)
{
	struct table kv = {0}, t = {.head = zonegroup_head, .nhead = 7};
	struct json_object *groups = jarray(o, "zonegroups");
	char nzones[32];

	table_row(&kv, 0, 2, "zoning enforced:", jyesno(o, "enforced"));
	table_row(&kv, 0, 2, "policy:", jstr(o, "policy"));
	for (size_t i = 0; i < jlen(groups); i++) {
		struct json_object *g = json_object_array_get_idx(groups, i);
		snprintf(nzones, sizeof(nzones), "%zu", jlen(jarray(g, "zones")));
		table_row(&t, 0, 7, jstr(g, "name"), jstr(g, "originator"), jstr(g, "source"),
			  jstr(g, "key"), jstr(g, "generation"), jyesno(g, "active"), nzones);
	}
	return print_kv_then(&kv, &t);
}

static int print_zonegroup(struct json_object *o)
{
	struct table kv = {0}, t = {.head = member_head, .nhead = 4};
	struct json_object *zones = jarray(o, "zones");

	table_row(&kv, 0, 2, "name:", jstr(o, "name"));
	table_row(&kv, 0, 2, "originator:", jstr(o, "originator"));
	table_row(&kv, 0, 2, "source:", jstr(o, "source"));
	table_row(&kv, 0, 2, "key:", jstr(o, "key"));
	table_row(&kv, 0, 2, "generation:", jstr(o, "generation"));
	table_row(&kv, 0, 2, "active:", jyesno(o, "active"));
	if (jget(o, "active_generation"))
		table_row(&kv, 0, 2, "active generation:", jstr(o, "active_generation"));
	for (size_t i = 0; i < jlen(zones); i++) {
		struct json_object *z = json_object_array_get_idx(zones, i);
		if (!jlen(jarray(z, "members")))
			table_row(&t, 0, 4, jstr(z, "name"), "", "", "(no members)");
		member_rows(&t, jstr(z, "name"), jarray(z, "members"));
	}
	return print_kv_then(&kv, &t);
}

static const char *const zone_head[] = {"ZONEGROUP", "ZONE", "ACTIVE", "MEMBERS"};

static int print_zones(struct json_object *o)
{
	struct table t = {.head = zone_head, .nhead = 4};
	struct json_object *zones = jarray(o, "zones");
	char n[32];

	for (size_t i = 0; i < jlen(zones); i++) {
		struct json_object *z = json_object_array_get_idx(zones, i);
		snprintf(n, sizeof(n), "%zu", jlen(jarray(z, "members")));
		table_row(&t, 0, 4, jstr(z, "zonegroup"), jstr(z, "name"), jyesno(z, "active"), n);
	}
	return table_print(&t);
}

static const char *const alias_head[] = {"NAME", "SOURCE", "MEMBERS"};

static int print_aliases(struct json_object *o)
{
	struct table t = {.head = alias_head, .nhead = 3};
	struct json_object *aliases = jarray(o, "aliases");
	char n[32];

	for (size_t i = 0; i < jlen(aliases); i++) {
		struct json_object *a = json_object_array_get_idx(aliases, i);
		snprintf(n, sizeof(n), "%zu", jlen(jarray(a, "members")));
		table_row(&t, 0, 3, jstr(a, "name"), jstr(a, "source"), n);
	}
	return table_print(&t);
}

static int print_alias(struct json_object *o)
{
	struct table kv = {0}, t = {.head = member_head, .nhead = 4};

	table_row(&kv, 0, 2, "name:", jstr(o, "name"));
	table_row(&kv, 0, 2, "source:", jstr(o, "source"));
	member_rows(&t, "", jarray(o, "members"));
	return print_kv_then(&kv, &t);
}

/* ---- Commands ----------------------------------------------------------------------------- */

/* GET path and print the reply, as JSON or with print(). */
static int show(struct ctl *ctl, const char *path, int (*print)(struct json_object *))
{
	struct json_object *reply;
	int ret;

	ret = ctl_call(ctl, "GET", path, NULL, &reply);
	if (ret)
		return ret;
	if (ctl->format == FMT_JSON)
		print_json(reply);
	else
		ret = print(reply);
	json_object_put(reply);
	return ret;
}

/* Sends a change (and releases body); prints the reply as JSON unless empty, or msg for people. */
static int mutate(struct ctl *ctl, const char *method, const char *path, struct json_object *body,
		  const char *msg)
{
	struct json_object *reply;
	int ret;

	ret = ctl_call(ctl, method, path, body, &reply);
	json_object_put(body);
	if (ret)
		return ret;
	if (ctl->format == FMT_NORMAL)
		printf("%s\n", msg);
	else if (reply && !(json_object_is_type(reply, json_type_object) &&
			    !json_object_object_length(reply)))
		print_json(reply);
	json_object_put(reply);
	return 0;
}

/* A request body of string members: key, value, ..., NULL. A NULL value skips its member. */
static int new_body(struct json_object **out, ...)
{
	struct json_object *o = json_object_new_object();
	const char *key, *val;
	va_list ap;
	int ret = o ? 0 : -ENOMEM;

	va_start(ap, out);
	while (!ret && (key = va_arg(ap, const char *))) {
		val = va_arg(ap, const char *);
		if (val)
			ret = jadd(o, key, json_object_new_string(val));
	}
	va_end(ap);
	if (ret) {
		json_object_put(o);
		ctl_err("out of memory");
		return ret;
	}
	*out = o;
	return 0;
}

static int cmd_status(struct ctl *ctl, char **args)
{
	(void)args;
	return show(ctl, "/v1/status", print_status);
}

static int cmd_host_list(struct ctl *ctl, char **args)
{
	(void)args;
	return show(ctl, "/v1/hosts", print_hosts);
}

static int cmd_host_show(struct ctl *ctl, char **args)
{
	char path[CTL_PATH_MAX];
	int ret = check_nqn(args[0]);

	if (!ret)
		ret = api_path(path, sizeof(path), "v1", "hosts", args[0], NULL);
	return ret ? ret : show(ctl, path, print_host);
}

static int cmd_host_log(struct ctl *ctl, char **args)
{
	char path[CTL_PATH_MAX];
	int ret = check_nqn(args[0]);

	if (!ret)
		ret = api_path(path, sizeof(path), "v1", "hosts", args[0], "log", NULL);
	return ret ? ret : show(ctl, path, print_log);
}

static int cmd_host_del(struct ctl *ctl, char **args)
{
	char path[CTL_PATH_MAX], msg[512];
	int ret = check_nqn(args[0]);

	if (!ret)
		ret = api_path(path, sizeof(path), "v1", "hosts", args[0], NULL);
	if (ret)
		return ret;
	snprintf(msg, sizeof(msg), "deleted host %s", args[0]);
	return mutate(ctl, "DELETE", path, NULL, msg);
}

/* ---- hosts' DH-HMAC-CHAP keys ---- */

#define CTL_KEY_MAX 256 /* a DHHC-1 secret is at most 103 characters */

/* The first line of f into buf, without its end of line; the rest is read and dropped so
 * that a secret never lingers in stdio's buffer. */
static int key_read(FILE *f, const char *name, char *buf, size_t size)
{
	char line[CTL_KEY_MAX + 2];
	size_t len;
	int ret = 0;

	if (!fgets(line, sizeof(line), f)) {
		ctl_err("%s: no key in it", name);
		ret = -CTL_EUSAGE;
	} else if ((len = strcspn(line, "\r\n")) >= size || (!line[len] && !feof(f))) {
		ctl_err("%s: the key is too long", name);
		ret = -CTL_EUSAGE;
	} else {
		while (len && (line[len - 1] == ' ' || line[len - 1] == '\t'))
			len--;
		memcpy(buf, line, len);
		buf[len] = '\0';
	}
	explicit_bzero(line, sizeof(line));
	return ret;
}

/* A key given as a value, as "-" (standard input), or through a file option. */
static int key_of(const char *value, const char *path, const char *what, char *buf, size_t size)
{
	FILE *f;
	int ret;

	if (value && path) {
		ctl_err("give the %s or a file with it, not both", what);
		return -CTL_EUSAGE;
	}
	if (value && strcmp(value, "-")) {
		if (strlen(value) >= size) {
			ctl_err("the %s is too long", what);
			return -CTL_EUSAGE;
		}
		memcpy(buf, value, strlen(value) + 1);
		return 0;
	}
	if (value)
		return key_read(stdin, "standard input", buf, size);
	f = fopen(path, "re");
	if (!f) {
		ctl_err("%s: %s", path, strerror(errno));
		return -EIO;
	}
	setvbuf(f, NULL, _IONBF, 0); /* no copy of the secret in a stdio buffer */
	ret = key_read(f, path, buf, size);
	fclose(f);
	return ret;
}

static int host_auth_call(struct ctl *ctl, const char *nqn, const char *method,
			  struct json_object *body, const char *msg)
{
	char path[CTL_PATH_MAX];
	int ret = api_path(path, sizeof(path), "v1", "hosts", nqn, "auth", NULL);

	if (ret) {
		json_object_put(body);
		return ret;
	}
	return mutate(ctl, method, path, body, msg);
}

static int cmd_host_set_key(struct ctl *ctl, char **args)
{
	char key[CTL_KEY_MAX], ctrl[CTL_KEY_MAX], msg[512];
	const char *ck = ctl->val[O_CTRL_KEY], *ckf = ctl->val[O_CTRL_KEY_FILE];
	struct json_object *body = NULL;
	int ret = check_nqn(args[0]);

	if (!ret && !ctl->val[O_KEY] && !ctl->val[O_KEY_FILE]) {
		ctl_err("missing --key DHHC-1:... (or --key -, or --key-file PATH)");
		ret = -CTL_EUSAGE;
	}
	if (!ret && ck && !strcmp(ck, "-") && ctl->val[O_KEY] && !strcmp(ctl->val[O_KEY], "-")) {
		ctl_err("only one key can come from standard input");
		ret = -CTL_EUSAGE;
	}
	if (!ret)
		ret = key_of(ctl->val[O_KEY], ctl->val[O_KEY_FILE], "key", key, sizeof(key));
	if (!ret && (ck || ckf))
		ret = key_of(ck, ckf, "controller key", ctrl, sizeof(ctrl));
	if (!ret)
		ret = new_body(&body, "key", key, "ctrl_key", ck || ckf ? ctrl : NULL, NULL);
	explicit_bzero(key, sizeof(key));
	explicit_bzero(ctrl, sizeof(ctrl));
	if (ret)
		return ret;
	snprintf(msg, sizeof(msg), "set the DH-HMAC-CHAP key%s of host %s", ck || ckf ? "s" : "",
		 args[0]);
	return host_auth_call(ctl, args[0], "PUT", body, msg);
}

static int cmd_host_clear_key(struct ctl *ctl, char **args)
{
	char msg[512];
	int ret = check_nqn(args[0]);

	if (ret)
		return ret;
	snprintf(msg, sizeof(msg), "cleared the DH-HMAC-CHAP keys of host %s", args[0]);
	return host_auth_call(ctl, args[0], "DELETE", NULL, msg);
}

static int cmd_host_require_auth(struct ctl *ctl, char **args)
{
	struct json_object *body;
	char msg[512];
	bool yes = !strcmp(args[1], "yes");
	int ret = check_nqn(args[0]);

	if (!ret && !yes && strcmp(args[1], "no")) {
		ctl_err("require-auth takes yes or no, not '%s'", args[1]);
		ret = -CTL_EUSAGE;
	}
	if (ret)
		return ret;
	body = json_object_new_object();
	if (!body || jadd(body, "require", json_object_new_boolean(yes))) {
		json_object_put(body);
		ctl_err("out of memory");
		return -ENOMEM;
	}
	snprintf(msg, sizeof(msg), "host %s %s authenticate", args[0], yes ? "must" : "need not");
	return host_auth_call(ctl, args[0], "PUT", body, msg);
}

static int cmd_subsys_list(struct ctl *ctl, char **args)
{
	(void)args;
	return show(ctl, "/v1/subsystems", print_subsystems);
}

static int cmd_subsys_show(struct ctl *ctl, char **args)
{
	char path[CTL_PATH_MAX];
	int ret = check_nqn(args[0]);

	if (!ret)
		ret = api_path(path, sizeof(path), "v1", "subsystems", args[0], NULL);
	return ret ? ret : show(ctl, path, print_subsystem);
}

static int cmd_subsys_add(struct ctl *ctl, char **args)
{
	struct json_object *body;
	char msg[512];
	int ret = check_nqn(args[0]);

	if (!ret)
		ret = new_body(&body, "nqn", args[0], NULL);
	if (ret)
		return ret;
	snprintf(msg, sizeof(msg), "added subsystem %s", args[0]);
	return mutate(ctl, "POST", "/v1/subsystems", body, msg);
}

static int cmd_subsys_del(struct ctl *ctl, char **args)
{
	char path[CTL_PATH_MAX], msg[512];
	int ret = check_nqn(args[0]);

	if (!ret)
		ret = api_path(path, sizeof(path), "v1", "subsystems", args[0], NULL);
	if (ret)
		return ret;
	snprintf(msg, sizeof(msg), "deleted subsystem %s", args[0]);
	return mutate(ctl, "DELETE", path, NULL, msg);
}

/* The body of "port add": traddr and trsvcid always, the rest as given. */
static int port_body(const struct ctl *ctl, const char *traddr, const char *svc,
		     struct json_object **out)
{
	const char *adrfam = ctl->val[O_ADRFAM], *treq = NULL;
	unsigned long long portid = 0;
	int ret = 0;

	if (ctl->val[O_TREQ])
		ret = check_treq(ctl->val[O_TREQ], &treq);
	if (!ret && ctl->val[O_PORTID])
		ret = check_uint(O_PORTID, ctl->val[O_PORTID], UINT16_MAX, &portid);
	if (!ret)
		ret = new_body(out, "traddr", traddr, "trsvcid", svc, "trtype", ctl->val[O_TRTYPE],
			       "adrfam", adrfam, NULL);
	if (ret)
		return ret;
	if (ctl->val[O_PORTID])
		ret = jadd(*out, "portid", json_object_new_int64((int64_t)portid));
	if (!ret && treq)
		ret = jadd(*out, "treq", json_object_new_string(treq));
	if (ret) {
		json_object_put(*out);
		ctl_err("out of memory");
	}
	return ret;
}

static int cmd_port_add(struct ctl *ctl, char **args)
{
	char path[CTL_PATH_MAX], addr[300], msg[1024];
	struct json_object *body;
	struct cdc_port port;
	int ret = check_nqn(args[0]);

	if (!ret)
		ret = check_target(ctl, "4420", &port);
	if (!ret)
		ret = api_path(path, sizeof(path), "v1", "subsystems", args[0], "ports", NULL);
	if (!ret)
		ret = port_body(ctl, port.traddr, port.trsvcid, &body);
	if (ret)
		return ret;
	snprintf(msg, sizeof(msg), "added port %s to subsystem %s",
		 fmt_addr(addr, sizeof(addr), port.traddr, port.trsvcid), args[0]);
	return mutate(ctl, "POST", path, body, msg);
}

static int cmd_port_del(struct ctl *ctl, char **args)
{
	char path[CTL_PATH_MAX], addr[300], msg[1024];
	struct cdc_port port;
	int ret = check_nqn(args[0]);

	if (!ret)
		ret = check_target(ctl, "4420", &port);
	if (!ret)
		ret = api_path(path, sizeof(path), "v1", "subsystems", args[0], "ports",
			       port.traddr, port.trsvcid, NULL);
	if (ret)
		return ret;
	snprintf(msg, sizeof(msg), "deleted port %s from subsystem %s",
		 fmt_addr(addr, sizeof(addr), port.traddr, port.trsvcid), args[0]);
	return mutate(ctl, "DELETE", path, NULL, msg);
}

/* ---- zoning ---- */

static int cmd_zonegroup_list(struct ctl *ctl, char **args)
{
	(void)args;
	return show(ctl, "/v1/zonegroups", print_zonegroups);
}

/* Zone groups and aliases are both named resources of a collection: shown, created by a
 * POST of their name to the collection, deleted by their path. */
static int show_named(struct ctl *ctl, const char *coll, const char *name,
		      int (*print)(struct json_object *))
{
	char path[CTL_PATH_MAX];
	int ret = api_path(path, sizeof(path), "v1", coll, name, NULL);

	return ret ? ret : show(ctl, path, print);
}

static int create_named(struct ctl *ctl, const char *coll, const char *name, const char *what)
{
	struct json_object *body;
	char path[CTL_PATH_MAX], msg[256];
	int ret = api_path(path, sizeof(path), "v1", coll, NULL);

	if (!ret)
		ret = new_body(&body, "name", name, NULL);
	if (ret)
		return ret;
	snprintf(msg, sizeof(msg), "created %s %s", what, name);
	return mutate(ctl, "POST", path, body, msg);
}

static int cmd_zonegroup_show(struct ctl *ctl, char **args)
{
	return show_named(ctl, "zonegroups", args[0], print_zonegroup);
}

static int cmd_zonegroup_create(struct ctl *ctl, char **args)
{
	return create_named(ctl, "zonegroups", args[0], "zone group");
}

/* DELETE or POST to a group's path (with a last segment, if any). */
static int zonegroup_call(struct ctl *ctl, const char *method, const char *group, const char *last,
			  const char *done)
{
	char path[CTL_PATH_MAX], msg[256];
	int ret = api_path(path, sizeof(path), "v1", "zonegroups", group, last, NULL);

	if (ret)
		return ret;
	snprintf(msg, sizeof(msg), "%s zone group %s", done, group);
	return mutate(ctl, method, path, NULL, msg);
}

static int cmd_zonegroup_del(struct ctl *ctl, char **args)
{
	return zonegroup_call(ctl, "DELETE", args[0], NULL, "deleted");
}

static int cmd_zonegroup_activate(struct ctl *ctl, char **args)
{
	return zonegroup_call(ctl, "POST", args[0], "activate", "activated");
}

static int cmd_zonegroup_deactivate(struct ctl *ctl, char **args)
{
	return zonegroup_call(ctl, "POST", args[0], "deactivate", "deactivated");
}

static int cmd_zone_list(struct ctl *ctl, char **args)
{
	(void)args;
	return show(ctl, "/v1/zones", print_zones);
}

/* A zone is shown as its group shows it, its members only. */
static int cmd_zone_show(struct ctl *ctl, char **args)
{
	char path[CTL_PATH_MAX];
	struct json_object *reply, *zones, *zone = NULL;
	struct table t = {.head = member_head, .nhead = 4};
	int ret = api_path(path, sizeof(path), "v1", "zonegroups", args[0], NULL);

	if (!ret)
		ret = ctl_call(ctl, "GET", path, NULL, &reply);
	if (ret)
		return ret;
	zones = jarray(reply, "zones");
	for (size_t i = 0; i < jlen(zones) && !zone; i++)
		if (!strcmp(jstr(json_object_array_get_idx(zones, i), "name"), args[1]))
			zone = json_object_array_get_idx(zones, i);
	if (!zone) {
		ctl_err("zone group %s has no zone %s", args[0], args[1]);
		ret = -EIO;
	} else if (ctl->format == FMT_JSON) {
		print_json(zone);
	} else {
		member_rows(&t, args[1], jarray(zone, "members"));
		ret = table_print(&t);
	}
	json_object_put(reply);
	return ret;
}

static int cmd_zone_create(struct ctl *ctl, char **args)
{
	char path[CTL_PATH_MAX], msg[512];
	struct json_object *body;
	int ret = api_path(path, sizeof(path), "v1", "zonegroups", args[0], "zones", NULL);

	if (!ret)
		ret = new_body(&body, "name", args[1], NULL);
	if (ret)
		return ret;
	snprintf(msg, sizeof(msg), "created zone %s in zone group %s", args[1], args[0]);
	return mutate(ctl, "POST", path, body, msg);
}

static int cmd_zone_del(struct ctl *ctl, char **args)
{
	char path[CTL_PATH_MAX], msg[512];
	int ret = api_path(path, sizeof(path), "v1", "zonegroups", args[0], "zones", args[1], NULL);

	if (ret)
		return ret;
	snprintf(msg, sizeof(msg), "deleted zone %s of zone group %s", args[1], args[0]);
	return mutate(ctl, "DELETE", path, NULL, msg);
}

/* The member the options describe; cdcd checks what the type requires. */
static int member_body(const struct ctl *ctl, bool in_alias, struct json_object **out)
{
	unsigned long long portid = 0, svc = 0;
	const char *alias = ctl->val[O_ALIAS];
	int ret = 0;

	if (alias && in_alias) {
		ctl_err("--alias: an alias has no aliases among its members");
		return -CTL_EUSAGE;
	}
	if (!alias && !ctl->val[O_ROLE]) {
		ctl_err("missing --role host|subsystem (or --alias NAME)");
		return -CTL_EUSAGE;
	}
	if (ctl->val[O_NQN])
		ret = check_nqn(ctl->val[O_NQN]);
	if (!ret && ctl->val[O_PORTID])
		ret = check_uint(O_PORTID, ctl->val[O_PORTID], UINT16_MAX, &portid);
	if (!ret && ctl->val[O_TRSVCID])
		ret = check_uint(O_TRSVCID, ctl->val[O_TRSVCID], UINT16_MAX, &svc);
	if (!ret)
		ret = new_body(out, "type", alias ? "alias" : opt_or(ctl, O_TYPE, "nqn"), "alias",
			       alias, "role", alias ? NULL : ctl->val[O_ROLE], "nqn",
			       ctl->val[O_NQN], "traddr", ctl->val[O_TRADDR], "ipproto",
			       ctl->val[O_IPPROTO], NULL);
	if (ret)
		return ret;
	if (ctl->val[O_PORTID])
		ret = jadd(*out, "portid", json_object_new_int64((int64_t)portid));
	if (!ret && ctl->val[O_TRSVCID])
		ret = jadd(*out, "trsvcid", json_object_new_int64((int64_t)svc));
	if (ret) {
		json_object_put(*out);
		ctl_err("out of memory");
	}
	return ret;
}

static int zone_member(struct ctl *ctl, char **args, const char *method, const char *done)
{
	char path[CTL_PATH_MAX], msg[512];
	struct json_object *body;
	int ret = api_path(path, sizeof(path), "v1", "zonegroups", args[0], "zones", args[1],
			   "members", NULL);

	if (!ret)
		ret = member_body(ctl, false, &body);
	if (ret)
		return ret;
	snprintf(msg, sizeof(msg), "%s zone %s of zone group %s", done, args[1], args[0]);
	return mutate(ctl, method, path, body, msg);
}

static int cmd_zone_add_member(struct ctl *ctl, char **args)
{
	return zone_member(ctl, args, "POST", "added a member to");
}

static int cmd_zone_del_member(struct ctl *ctl, char **args)
{
	return zone_member(ctl, args, "DELETE", "deleted a member from");
}

static int cmd_alias_list(struct ctl *ctl, char **args)
{
	(void)args;
	return show(ctl, "/v1/aliases", print_aliases);
}

static int cmd_alias_show(struct ctl *ctl, char **args)
{
	return show_named(ctl, "aliases", args[0], print_alias);
}

static int cmd_alias_create(struct ctl *ctl, char **args)
{
	return create_named(ctl, "aliases", args[0], "zone alias");
}

static int cmd_alias_del(struct ctl *ctl, char **args)
{
	char path[CTL_PATH_MAX], msg[256];
	int ret = api_path(path, sizeof(path), "v1", "aliases", args[0], NULL);

	if (ret)
		return ret;
	snprintf(msg, sizeof(msg), "deleted zone alias %s", args[0]);
	return mutate(ctl, "DELETE", path, NULL, msg);
}

static int alias_member(struct ctl *ctl, char **args, const char *method, const char *done)
{
	char path[CTL_PATH_MAX], msg[256];
	struct json_object *body;
	int ret = api_path(path, sizeof(path), "v1", "aliases", args[0], "members", NULL);

	if (!ret)
		ret = member_body(ctl, true, &body);
	if (ret)
		return ret;
	snprintf(msg, sizeof(msg), "%s zone alias %s", done, args[0]);
	return mutate(ctl, method, path, body, msg);
}

static int cmd_alias_add_member(struct ctl *ctl, char **args)
{
	return alias_member(ctl, args, "POST", "added a member to");
}

static int cmd_alias_del_member(struct ctl *ctl, char **args)
{
	return alias_member(ctl, args, "DELETE", "deleted a member from");
}

static int cmd_referral_list(struct ctl *ctl, char **args)
{
	(void)args;
	return show(ctl, "/v1/referrals", print_referrals);
}

/* A discovery controller to list (referral) or to pull from (DDC): its address from
 * --traddr/--trsvcid (default 8009), and --nqn. what names it in the message. */
static int dc_add(struct ctl *ctl, const char *collection, const char *what)
{
	char addr[300], msg[512], path[CTL_PATH_MAX];
	const char *nqn = ctl->val[O_NQN];
	struct json_object *body;
	struct cdc_port port;
	int ret = check_target(ctl, "8009", &port);

	if (!ret && nqn)
		ret = check_nqn(nqn);
	if (!ret)
		ret = api_path(path, sizeof(path), "v1", collection, NULL);
	if (!ret)
		ret = new_body(&body, "traddr", port.traddr, "trsvcid", port.trsvcid, "nqn", nqn,
			       NULL);
	if (ret)
		return ret;
	snprintf(msg, sizeof(msg), "added %s %s", what,
		 fmt_addr(addr, sizeof(addr), port.traddr, port.trsvcid));
	return mutate(ctl, "POST", path, body, msg);
}

static int dc_del(struct ctl *ctl, const char *collection, const char *what)
{
	char path[CTL_PATH_MAX], addr[300], msg[512];
	struct cdc_port port;
	int ret = check_target(ctl, "8009", &port);

	if (!ret)
		ret = api_path(path, sizeof(path), "v1", collection, port.traddr, port.trsvcid,
			       NULL);
	if (ret)
		return ret;
	snprintf(msg, sizeof(msg), "deleted %s %s", what,
		 fmt_addr(addr, sizeof(addr), port.traddr, port.trsvcid));
	return mutate(ctl, "DELETE", path, NULL, msg);
}

static int cmd_referral_add(struct ctl *ctl, char **args)
{
	(void)args;
	return dc_add(ctl, "referrals", "referral");
}

static int cmd_referral_del(struct ctl *ctl, char **args)
{
	(void)args;
	return dc_del(ctl, "referrals", "referral");
}

static int cmd_ddc_list(struct ctl *ctl, char **args)
{
	(void)args;
	return show(ctl, "/v1/ddcs", print_ddcs);
}

static int cmd_ddc_add(struct ctl *ctl, char **args)
{
	ctl->val[O_TRADDR] = args[0];
	return dc_add(ctl, "ddcs", "DDC");
}

static int cmd_ddc_del(struct ctl *ctl, char **args)
{
	ctl->val[O_TRADDR] = args[0];
	return dc_del(ctl, "ddcs", "DDC");
}

static int cmd_connection_list(struct ctl *ctl, char **args)
{
	(void)args;
	return show(ctl, "/v1/connections", print_connections);
}

static int cmd_changes(struct ctl *ctl, char **args)
{
	unsigned long long since = 0, limit = 0;
	char path[128];
	int ret = 0, len;

	(void)args;
	if (ctl->val[O_SINCE])
		ret = check_uint(O_SINCE, ctl->val[O_SINCE], INT64_MAX, &since);
	if (!ret && ctl->val[O_LIMIT])
		ret = check_uint(O_LIMIT, ctl->val[O_LIMIT], INT32_MAX, &limit);
	if (ret)
		return ret;
	len = snprintf(path, sizeof(path), "/v1/changes");
	if (ctl->val[O_SINCE])
		len += snprintf(path + len, sizeof(path) - (size_t)len, "?since=%llu", since);
	if (ctl->val[O_LIMIT])
		snprintf(path + len, sizeof(path) - (size_t)len, "%climit=%llu",
			 ctl->val[O_SINCE] ? '&' : '?', limit);
	return show(ctl, path, print_changes);
}

/* ---- watch: the journal, polled ------------------------------------------------------------- */

#define WATCH_PAGE	  1000 /* changes per poll: the most cdcd gives */
#define WATCH_INTERVAL_MS 500

/* Whether the journal holds a change after id since. */
static int changes_after(struct ctl *ctl, long long since, bool *more)
{
	struct json_object *reply;
	char path[64];
	int ret;

	snprintf(path, sizeof(path), "/v1/changes?since=%lld&limit=1", since);
	ret = ctl_call(ctl, "GET", path, NULL, &reply);
	if (!ret)
		*more = jlen(jarray(reply, "changes")) > 0;
	json_object_put(reply);
	return ret;
}

/* The id of the newest change, where a watch without --since starts. The journal reads only
 * forward, so the gap is doubled until nothing follows, then halved: some dozens of small
 * requests however long the journal, instead of reading all of it. */
static int newest_change(struct ctl *ctl, long long *out)
{
	long long lo = 0, hi = 1, mid;
	bool more = false;
	int ret = changes_after(ctl, 0, &more);

	*out = 0;
	if (ret || !more)
		return ret;
	/* From here on a change follows lo and, once the doubling stops, none follows hi. */
	while (!(ret = changes_after(ctl, hi, &more)) && more && hi < LLONG_MAX / 2) {
		lo = hi;
		hi *= 2;
	}
	while (!ret && hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		ret = changes_after(ctl, mid, &more);
		if (more)
			lo = mid;
		else
			hi = mid;
	}
	*out = hi;
	return ret;
}

/* One change on one line: "WHEN  ACTOR [from PEER]  ACTION  DETAIL", or its JSON object. */
static void print_change_line(const struct ctl *ctl, struct json_object *c)
{
	const char *peer = jstr(c, "peer"), *detail = jstr(c, "detail");
	char when[32];

	if (ctl->format == FMT_JSON) {
		printf("%s\n", json_object_to_json_string_ext(c, CTL_JSON_PLAIN));
		return;
	}
	printf("%s  ", fmt_time(when, sizeof(when), jint(c, "when")));
	put_line(jstr(c, "actor"), stdout);
	if (*peer) {
		fputs(" from ", stdout);
		put_line(peer, stdout);
	}
	fputs("  ", stdout);
	put_line(jstr(c, "action"), stdout);
	if (*detail) {
		fputs("  ", stdout);
		put_line(detail, stdout);
	}
	putchar('\n');
}

/* Prints the changes after *since and moves it past them; *full: the page was full, so more
 * are waiting. Output is flushed so that a pipe sees each change when it happens. */
static int watch_poll(struct ctl *ctl, long long *since, bool *full)
{
	struct json_object *reply, *arr;
	char path[80];
	size_t i, n;
	int ret;

	snprintf(path, sizeof(path), "/v1/changes?since=%lld&limit=%d", *since, WATCH_PAGE);
	ret = ctl_call(ctl, "GET", path, NULL, &reply);
	if (ret)
		return ret;
	arr = jarray(reply, "changes");
	n = jlen(arr);
	for (i = 0; i < n; i++)
		print_change_line(ctl, json_object_array_get_idx(arr, i));
	if (n)
		*since = jint(json_object_array_get_idx(arr, n - 1), "id");
	*full = n == WATCH_PAGE;
	json_object_put(reply);
	if (fflush(stdout) == EOF) {
		ctl_err("cannot write output: %s", strerror(errno));
		return -EIO;
	}
	return 0;
}

/* Polls until SIGINT or SIGTERM (exit 0) or until cdcd cannot be asked (exit 1). The two
 * signals are blocked, so one that comes during a request (bounded by its timeouts) waits for
 * sigtimedwait(), which is also the pause between polls: no handler, no flag. */
static int cmd_watch(struct ctl *ctl, char **args)
{
	static const struct timespec tick = {0, WATCH_INTERVAL_MS * 1000000L}, now = {0, 0};
	unsigned long long from = 0;
	long long since = 0;
	bool full = false;
	sigset_t stop;
	int ret = 0;

	(void)args;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &stop, NULL)) {
		ctl_err("cannot block signals: %s", strerror(errno));
		return -EIO;
	}
	if (ctl->val[O_SINCE])
		ret = check_uint(O_SINCE, ctl->val[O_SINCE], INT64_MAX, &from);
	since = (long long)from;
	if (!ret && !ctl->val[O_SINCE])
		ret = newest_change(ctl, &since);
	while (!ret && !(ret = watch_poll(ctl, &since, &full)))
		if (sigtimedwait(&stop, NULL, full ? &now : &tick) >= 0)
			break;
	return ret;
}

#define OPT(id)	   (1u << (id))
#define PORT_OPTS  (OPT(O_TRADDR) | OPT(O_TRSVCID))
#define PORT_EXTRA (OPT(O_TRTYPE) | OPT(O_ADRFAM) | OPT(O_PORTID) | OPT(O_TREQ))
#define MEMBER_OPTS                                                                                \
	(OPT(O_TYPE) | OPT(O_ROLE) | OPT(O_NQN) | OPT(O_TRADDR) | OPT(O_TRSVCID) |                 \
	 OPT(O_IPPROTO) | OPT(O_PORTID))

static const struct ctl_cmd cmds[] = {
	{"status", NULL, 0, "", 0, 0, cmd_status,
	 "Show the daemon's identity, listeners and counts."},
	{"host", "list", 0, "", 0, 0, cmd_host_list, "List the known hosts and their addresses."},
	{"host", "show", 1, "HOSTNQN", 0, 0, cmd_host_show,
	 "Show a host's registration and addresses."},
	{"host", "log", 1, "HOSTNQN", 0, 0, cmd_host_log,
	 "Show the discovery log page a host is served."},
	{"host", "del", 1, "HOSTNQN", 0, 0, cmd_host_del,
	 "Forget a host: its registration and addresses."},
	{"host", "set-key", 1, "HOSTNQN",
	 OPT(O_KEY) | OPT(O_KEY_FILE) | OPT(O_CTRL_KEY) | OPT(O_CTRL_KEY_FILE), 0, cmd_host_set_key,
	 "Set a host's DH-HMAC-CHAP key (and cdcd's, for bidirectional)."},
	{"host", "clear-key", 1, "HOSTNQN", 0, 0, cmd_host_clear_key,
	 "Forget the DH-HMAC-CHAP keys set with host set-key."},
	{"host", "require-auth", 2, "HOSTNQN yes|no", 0, 0, cmd_host_require_auth,
	 "Whether a host with a key must authenticate."},
	{"subsys", "list", 0, "", 0, 0, cmd_subsys_list, "List the subsystems and their ports."},
	{"subsys", "show", 1, "NQN", 0, 0, cmd_subsys_show, "Show a subsystem and its ports."},
	{"subsys", "add", 1, "NQN", 0, 0, cmd_subsys_add, "Add a subsystem (with no ports)."},
	{"subsys", "del", 1, "NQN", 0, 0, cmd_subsys_del, "Delete a subsystem and its ports."},
	{"port", "add", 1, "NQN", PORT_OPTS | PORT_EXTRA, OPT(O_TRADDR), cmd_port_add,
	 "Add a port through which a subsystem is reached."},
	{"port", "del", 1, "NQN", PORT_OPTS, OPT(O_TRADDR), cmd_port_del,
	 "Delete a port of a subsystem."},
	{"referral", "list", 0, "", 0, 0, cmd_referral_list,
	 "List the referrals to other discovery controllers."},
	{"referral", "add", 0, "", PORT_OPTS | OPT(O_NQN), OPT(O_TRADDR), cmd_referral_add,
	 "Refer hosts to another discovery controller."},
	{"referral", "del", 0, "", PORT_OPTS, OPT(O_TRADDR), cmd_referral_del,
	 "Delete a referral."},
	{"ddc", "list", 0, "", 0, 0, cmd_ddc_list,
	 "List the DDCs pulled from and the state of each."},
	{"ddc", "add", 1, "ADDR", OPT(O_TRSVCID) | OPT(O_NQN), 0, cmd_ddc_add,
	 "Pull from the DDC at ADDR (until cdcd stops)."},
	{"ddc", "del", 1, "ADDR", OPT(O_TRSVCID), 0, cmd_ddc_del,
	 "Stop pulling from a DDC added with ddc add."},
	{"connection", "list", 0, "", 0, 0, cmd_connection_list,
	 "List the hosts' discovery controller connections."},
	{"zonegroup", "list", 0, "", 0, 0, cmd_zonegroup_list,
	 "List the zone groups, and whether zoning is enforced."},
	{"zonegroup", "show", 1, "GROUP", 0, 0, cmd_zonegroup_show,
	 "Show a zone group's zones and their members."},
	{"zonegroup", "create", 1, "GROUP", 0, 0, cmd_zonegroup_create,
	 "Create an empty zone group (not active)."},
	{"zonegroup", "del", 1, "GROUP", 0, 0, cmd_zonegroup_del,
	 "Delete a zone group that is not active."},
	{"zonegroup", "activate", 1, "GROUP", 0, 0, cmd_zonegroup_activate,
	 "Enforce the zone group as it is configured now."},
	{"zonegroup", "deactivate", 1, "GROUP", 0, 0, cmd_zonegroup_deactivate,
	 "Stop enforcing the zone group."},
	{"zone", "list", 0, "", 0, 0, cmd_zone_list, "List the zones of every zone group."},
	{"zone", "show", 2, "GROUP ZONE", 0, 0, cmd_zone_show, "Show a zone's members."},
	{"zone", "create", 2, "GROUP ZONE", 0, 0, cmd_zone_create,
	 "Add an empty zone to a zone group."},
	{"zone", "del", 2, "GROUP ZONE", 0, 0, cmd_zone_del, "Delete a zone of a zone group."},
	{"zone", "add-member", 2, "GROUP ZONE", MEMBER_OPTS | OPT(O_ALIAS), 0, cmd_zone_add_member,
	 "Add a host or subsystem (or an alias) to a zone."},
	{"zone", "del-member", 2, "GROUP ZONE", MEMBER_OPTS | OPT(O_ALIAS), 0, cmd_zone_del_member,
	 "Delete a member of a zone."},
	{"alias", "list", 0, "", 0, 0, cmd_alias_list, "List the zone aliases."},
	{"alias", "show", 1, "ALIAS", 0, 0, cmd_alias_show, "Show a zone alias's members."},
	{"alias", "create", 1, "ALIAS", 0, 0, cmd_alias_create, "Create an empty zone alias."},
	{"alias", "del", 1, "ALIAS", 0, 0, cmd_alias_del, "Delete a zone alias."},
	{"alias", "add-member", 1, "ALIAS", MEMBER_OPTS, 0, cmd_alias_add_member,
	 "Add a host or subsystem to a zone alias."},
	{"alias", "del-member", 1, "ALIAS", MEMBER_OPTS, 0, cmd_alias_del_member,
	 "Delete a member of a zone alias."},
	{"changes", NULL, 0, "", OPT(O_SINCE) | OPT(O_LIMIT), 0, cmd_changes,
	 "Show the journal of changes to the fabric."},
	{"watch", NULL, 0, "", OPT(O_SINCE), 0, cmd_watch,
	 "Follow changes to the fabric as they happen, one line each."},
};

#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

/* ---- Help and the command line ------------------------------------------------------------ */

static int cmd_name(const struct ctl_cmd *c, char *buf, size_t len)
{
	return snprintf(buf, len, "%s%s%s%s%s", c->noun, c->verb ? " " : "", c->verb ? c->verb : "",
			*c->args ? " " : "", c->args);
}

static void print_synopsis(FILE *f, const struct ctl_cmd *c)
{
	char name[64];
	int id;

	cmd_name(c, name, sizeof(name));
	fprintf(f, "cdcctl %s", name);
	for (id = 0; id < O_COUNT; id++)
		if (c->opts & OPT(id))
			fprintf(f, c->required & OPT(id) ? " --%s %s" : " [--%s %s]",
				optdefs[id].name, optdefs[id].arg);
}

static void print_option(int shortc, const char *name, const char *arg, const char *help)
{
	char left[128];
	int n;

	n = shortc ? snprintf(left, sizeof(left), "-%c, ", shortc)
		   : snprintf(left, sizeof(left), "    ");
	snprintf(left + n, sizeof(left) - (size_t)n, "--%s%s%s", name, arg ? " " : "",
		 arg ? arg : "");
	if (strlen(left) > 26)
		printf("  %s\n  %-26s  %s\n", left, "", help);
	else
		printf("  %-26s  %s\n", left, help);
}

static void print_global_options(void)
{
	printf("Global options (before or after the command):\n");
	print_option('o', "output-format", "normal|json", "aligned tables (the default) or JSON");
	print_option(0, "socket", "PATH", "cdcd's control socket (" CDC_DEFAULT_CONTROL_SOCKET ")");
	print_option('h', "help", NULL, "show help (of the command, after one)");
	print_option(0, "version", NULL, "show the version");
}

static void cmd_help(const struct ctl_cmd *c)
{
	int id;

	printf("Usage: ");
	print_synopsis(stdout, c);
	printf(" [-o normal|json]\n\n%s\n\n", c->summary);
	if (c->opts)
		printf("Options:\n");
	for (id = 0; id < O_COUNT; id++)
		if (c->opts & OPT(id))
			print_option(optdefs[id].short_opt, optdefs[id].name, optdefs[id].arg,
				     optdefs[id].help);
	if (c->opts)
		printf("\n");
	print_global_options();
}

/* The commands of one noun (NULL: all), their synopsis and summary. */
static void list_cmds(const char *noun)
{
	char name[64];
	size_t i, len;

	for (i = 0; i < NCMDS; i++) {
		if (noun && strcmp(noun, cmds[i].noun))
			continue;
		len = (size_t)cmd_name(&cmds[i], name, sizeof(name));
		if (cmds[i].required & OPT(O_TRADDR))
			snprintf(name + len, sizeof(name) - len, " --traddr ADDR");
		printf("  %-26s  %s\n", name, cmds[i].summary);
	}
}

static void usage(const char *noun)
{
	printf("Usage: cdcctl [-o normal|json] [--socket PATH] %s VERB [ARGS] [OPTIONS]\n\n",
	       noun ? noun : "NOUN");
	if (!noun)
		printf("Administer cdcd, the NVMe-oF Centralized Discovery Controller, through "
		       "its\n"
		       "control socket ($CDCCTL_SOCKET or " CDC_DEFAULT_CONTROL_SOCKET ").\n\n");
	printf("Commands:\n");
	list_cmds(noun);
	printf("\n");
	print_global_options();
	printf("\nRun 'cdcctl NOUN VERB --help' for the options of a command.\n");
}

/* A usage error about command c, on one line with its synopsis. */
static int cmd_usage_err(const struct ctl_cmd *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int cmd_usage_err(const struct ctl_cmd *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "cdcctl: %s%s%s: ", c->noun, c->verb ? " " : "", c->verb ? c->verb : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (usage: ");
	print_synopsis(stderr, c);
	fprintf(stderr, ")\n");
	return -CTL_EUSAGE;
}

static int check_cmd_args(const struct ctl *ctl, const struct ctl_cmd *c, char **args, int n)
{
	unsigned int bad = ctl->seen & ~c->opts, missing = c->required & ~ctl->seen;
	int id;

	if (n < c->nargs)
		return cmd_usage_err(c, "missing %s", c->args);
	if (n > c->nargs)
		return cmd_usage_err(c, "unexpected argument '%s'", args[c->nargs]);
	for (id = 0; id < O_COUNT; id++) {
		if (bad & OPT(id))
			return cmd_usage_err(c, "no option --%s", optdefs[id].name);
		if (missing & OPT(id))
			return cmd_usage_err(c, "missing --%s %s", optdefs[id].name,
					     optdefs[id].arg);
	}
	return 0;
}

static void verbs_of(const char *noun, char *buf, size_t len)
{
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < NCMDS && n < len; i++)
		if (!strcmp(cmds[i].noun, noun))
			n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? ", " : "",
					      cmds[i].verb);
}

/* Finds the command the words name; *used: how many words that took. With --help and a noun
 * alone, prints the noun's commands and returns 0 with *out NULL. */
static int find_cmd(const struct ctl *ctl, char **words, int n, const struct ctl_cmd **out,
		    int *used)
{
	bool noun = false;
	char verbs[128];
	size_t i;

	*out = NULL;
	for (i = 0; i < NCMDS; i++) {
		if (strcmp(cmds[i].noun, words[0]))
			continue;
		noun = true;
		*used = cmds[i].verb ? 2 : 1;
		if (!cmds[i].verb || (n > 1 && !strcmp(cmds[i].verb, words[1]))) {
			*out = &cmds[i];
			return 0;
		}
	}
	if (!noun) {
		ctl_err("unknown command '%s'; try 'cdcctl --help'", words[0]);
		return -CTL_EUSAGE;
	}
	if (n == 1 && ctl->help) {
		usage(words[0]);
		return 0;
	}
	verbs_of(words[0], verbs, sizeof(verbs));
	if (n == 1)
		ctl_err("%s: missing verb (%s)", words[0], verbs);
	else
		ctl_err("%s: unknown verb '%s' (%s)", words[0], words[1], verbs);
	return -CTL_EUSAGE;
}

static int parse_format(struct ctl *ctl, const char *text)
{
	if (!strcmp(text, "normal")) {
		ctl->format = FMT_NORMAL;
	} else if (!strcmp(text, "json")) {
		ctl->format = FMT_JSON;
	} else {
		ctl_err("-o: '%s' is not an output format (normal, json)", text);
		return -CTL_EUSAGE;
	}
	return 0;
}

static int parse_opt(struct ctl *ctl, int c, char **argv, char **words, int *nwords)
{
	int id;

	switch (c) {
	case 1:
		words[(*nwords)++] = optarg;
		return 0;
	case 'o':
		return parse_format(ctl, optarg);
	case 'h':
		ctl->help = true;
		return 0;
	case G_SOCKET:
		ctl->socket = optarg;
		return 0;
	case G_VERSION:
		ctl->version = true;
		return 0;
	case ':':
		ctl_err("option '%s' needs a value", argv[optind - 1]);
		return -CTL_EUSAGE;
	case '?':
		if (!strncmp(argv[optind - 1], "--", 2) || !optopt)
			ctl_err("unknown option '%s'; try 'cdcctl --help'", argv[optind - 1]);
		else
			ctl_err("unknown option '-%c'; try 'cdcctl --help'", optopt);
		return -CTL_EUSAGE;
	}
	for (id = 0; id < O_COUNT; id++) {
		if (c == G_OPTBASE + id || c == optdefs[id].short_opt) {
			ctl->val[id] = optarg;
			ctl->seen |= OPT(id);
		}
	}
	return 0;
}

/* Options anywhere (in order, whatever POSIXLY_CORRECT says); the other words into words. */
static int parse_args(struct ctl *ctl, int argc, char **argv, char **words, int *nwords)
{
	static const struct option globals[] = {
		{"output-format", required_argument, NULL, 'o'},
		{"socket", required_argument, NULL, G_SOCKET},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, G_VERSION},
	};
	struct option lo[4 + O_COUNT + 1] = {{0}};
	int c, id, ret = 0;

	memcpy(lo, globals, sizeof(globals));
	for (id = 0; id < O_COUNT; id++)
		lo[4 + id] =
			(struct option){optdefs[id].name, required_argument, NULL, G_OPTBASE + id};
	opterr = 0;
	while (!ret && (c = getopt_long(argc, argv, "-:o:ha:s:t:n:", lo, NULL)) != -1)
		ret = parse_opt(ctl, c, argv, words, nwords);
	while (!ret && optind < argc)
		words[(*nwords)++] = argv[optind++];
	return ret;
}

static int dispatch(struct ctl *ctl, char **words, int n)
{
	const struct ctl_cmd *cmd;
	const char *env = getenv("CDCCTL_SOCKET");
	int used = 0, ret;

	if (ctl->version) {
		printf("cdcctl %s\n", PACKAGE_VERSION);
		return 0;
	}
	if (!n && ctl->help) {
		usage(NULL);
		return 0;
	}
	if (!n) {
		ctl_err("missing command; try 'cdcctl --help'");
		return -CTL_EUSAGE;
	}
	ret = find_cmd(ctl, words, n, &cmd, &used);
	if (ret || !cmd)
		return ret;
	if (ctl->help) {
		cmd_help(cmd);
		return 0;
	}
	ret = check_cmd_args(ctl, cmd, words + used, n - used);
	if (ret)
		return ret;
	if (!ctl->socket)
		ctl->socket = env && *env ? env : CDC_DEFAULT_CONTROL_SOCKET;
	return cmd->run(ctl, words + used);
}

int main(int argc, char **argv)
{
	struct ctl ctl = {.format = FMT_NORMAL};
	char **words = calloc((size_t)argc + 1, sizeof(*words));
	int n = 0, ret;

	/* Only plain HTTP on a Unix socket: no TLS library to set up. */
	if (!words || curl_global_init(CURL_GLOBAL_NOTHING)) {
		ctl_err("out of memory");
		free(words);
		return 1;
	}
	ret = parse_args(&ctl, argc, argv, words, &n);
	if (!ret)
		ret = dispatch(&ctl, words, n);
	curl_global_cleanup();
	free(words);
	if (fflush(stdout) == EOF && !ret) {
		ctl_err("cannot write output: %s", strerror(errno));
		ret = -EIO;
	}
	return !ret ? 0 : ret == -CTL_EUSAGE ? 2 : 1;
}
