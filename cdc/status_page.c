/* status_page.c - the status page as one HTML document. Everything a remote peer chose (NQNs,
 * symbolic names, addresses, journal details) is escaped, since the page is served to a
 * browser. Tables turn into labelled blocks on a narrow screen rather than scroll sideways. */
#include "status_page.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

static const char style[] =
	"body{font:15px/1.4 system-ui,sans-serif;margin:0 auto;max-width:72rem;padding:.5rem;"
	"color:#111;background:#fff}"
	"h1{font-size:1.3rem;margin:.3rem 0}h2{font-size:1.1rem;margin:1.2rem 0 .3rem}"
	".meta{display:flex;flex-wrap:wrap;gap:.3rem 1.2rem;color:#444}"
	"table{border-collapse:collapse;width:100%}"
	"th,td{text-align:left;padding:.25rem .4rem;border-bottom:1px solid #ddd;"
	"vertical-align:top;overflow-wrap:anywhere}"
	"th{background:#f3f3f3}.yes{color:#070}.no{color:#a00}.empty{color:#666}"
	"@media (max-width:40rem){thead{display:none}tr{display:block;"
	"border-bottom:2px solid #bbb;padding:.3rem 0}td{display:block;border:0;padding:.1rem 0}"
	"td::before{content:attr(data-label) \": \";font-weight:600}}";

/* HTML text or attribute value. */
static void esc(FILE *out, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", out);
			break;
		case '<':
			fputs("&lt;", out);
			break;
		case '>':
			fputs("&gt;", out);
			break;
		case '"':
			fputs("&quot;", out);
			break;
		case '\'':
			fputs("&#39;", out);
			break;
		default:
			fputc(*s, out);
		}
	}
}

static const char *str(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && v ? json_object_get_string(v) : "";
}

static int64_t num(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : 0;
}

static bool flag(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_get_boolean(v);
}

static struct json_object *arr(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_array))
		return v;
	return NULL;
}

static size_t len(struct json_object *a)
{
	return a ? json_object_array_length(a) : 0;
}

static void cell(FILE *out, const char *label, const char *text)
{
	fprintf(out, "<td data-label=\"%s\">", label);
	esc(out, text);
	fputs("</td>", out);
}

static void cell_bool(FILE *out, const char *label, bool v)
{
	fprintf(out, "<td data-label=\"%s\" class=\"%s\">%s</td>", label, v ? "yes" : "no",
		v ? "yes" : "no");
}

static void table_head(FILE *out, const char *id, const char *title, size_t n,
		       const char *const *cols)
{
	fprintf(out, "<section id=\"%s\"><h2>%s (%zu)</h2>", id, title, n);
	if (!n) {
		fputs("<p class=\"empty\">none</p></section>\n", out);
		return;
	}
	fputs("<table><thead><tr>", out);
	for (; *cols; cols++)
		fprintf(out, "<th>%s</th>", *cols);
	fputs("</tr></thead><tbody>\n", out);
}

static void table_end(FILE *out, size_t n)
{
	if (n)
		fputs("</tbody></table></section>\n", out);
}

/* "trtype traddr:trsvcid (portid n)", and "down" while path health withholds it. */
static void port_text(FILE *out, struct json_object *p)
{
	esc(out, str(p, "trtype"));
	fputc(' ', out);
	esc(out, str(p, "traddr"));
	fputc(':', out);
	esc(out, str(p, "trsvcid"));
	fprintf(out, " (portid %" PRId64 ")", num(p, "portid"));
	if (!strcmp(str(p, "health"), "down"))
		fputs(" down", out);
}

static void subsystems(FILE *out, struct json_object *a)
{
	static const char *const cols[] = {"Subsystem NQN", "Ports", "Source", NULL};

	table_head(out, "subsystems", "Subsystems", len(a), cols);
	for (size_t i = 0; i < len(a); i++) {
		struct json_object *s = json_object_array_get_idx(a, i), *ports = arr(s, "ports");
		fputs("<tr>", out);
		cell(out, "Subsystem NQN", str(s, "nqn"));
		fputs("<td data-label=\"Ports\">", out);
		for (size_t j = 0; j < len(ports); j++) {
			fputs(j ? "<br>" : "", out);
			port_text(out, json_object_array_get_idx(ports, j));
		}
		fputs(len(ports) ? "</td>" : "none</td>", out);
		cell(out, "Source", str(s, "source"));
		fputs("</tr>\n", out);
	}
	table_end(out, len(a));
}

/* Whether some live association of hostnqn keeps a keep-alive timeout. */
static bool persistent(struct json_object *conns, const char *hostnqn)
{
	for (size_t i = 0; i < len(conns); i++) {
		struct json_object *c = json_object_array_get_idx(conns, i);
		if (flag(c, "persistent") && !strcmp(str(c, "hostnqn"), hostnqn))
			return true;
	}
	return false;
}

static void hosts(FILE *out, struct json_object *a, struct json_object *conns)
{
	static const char *const cols[] = {"Host NQN",	 "Address",    "Connected",
					   "Persistent", "Registered", NULL};

	table_head(out, "hosts", "Hosts", len(a), cols);
	for (size_t i = 0; i < len(a); i++) {
		struct json_object *h = json_object_array_get_idx(a, i);
		bool implicit = !strcmp(str(h, "source"), "implicit");
		fputs("<tr>", out);
		cell(out, "Host NQN", str(h, "hostnqn"));
		cell(out, "Address", str(h, "traddr"));
		cell_bool(out, "Connected", flag(h, "connected"));
		cell_bool(out, "Persistent", persistent(conns, str(h, "hostnqn")));
		fputs("<td data-label=\"Registered\">", out);
		fputs(implicit ? "implicit (by connecting)" : "explicit (", out);
		if (!implicit) {
			esc(out, str(h, "source"));
			fputc(')', out);
		}
		fputs("</td></tr>\n", out);
	}
	table_end(out, len(a));
}

static void referrals(FILE *out, struct json_object *a)
{
	static const char *const cols[] = {"Discovery controller", "Address", "Source", NULL};

	table_head(out, "referrals", "Referrals", len(a), cols);
	for (size_t i = 0; i < len(a); i++) {
		struct json_object *r = json_object_array_get_idx(a, i);
		fputs("<tr>", out);
		cell(out, "Discovery controller", str(r, "nqn"));
		fputs("<td data-label=\"Address\">", out);
		port_text(out, r);
		fputs("</td>", out);
		cell(out, "Source", str(r, "source"));
		fputs("</tr>\n", out);
	}
	table_end(out, len(a));
}

static void when_text(char *buf, size_t size, int64_t when)
{
	time_t t = (time_t)when;
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(buf, size, "%Y-%m-%d %H:%M:%S UTC", &tm))
		snprintf(buf, size, "%" PRId64, when);
}

/* Newest first: what changed last is what a person looks for. */
static void changes(FILE *out, struct json_object *a)
{
	static const char *const cols[] = {"When", "Who", "What", "Detail", NULL};
	char when[64];

	table_head(out, "changes", "Recent changes", len(a), cols);
	for (size_t i = len(a); i-- > 0;) {
		struct json_object *c = json_object_array_get_idx(a, i);
		when_text(when, sizeof(when), num(c, "when"));
		fputs("<tr>", out);
		cell(out, "When", when);
		cell(out, "Who", str(c, "actor"));
		cell(out, "What", str(c, "action"));
		cell(out, "Detail", str(c, "detail"));
		fputs("</tr>\n", out);
	}
	table_end(out, len(a));
}

static void header(FILE *out, struct json_object *st)
{
	int64_t up = num(st, "uptime");

	fputs("<header><h1>cdcd ", out);
	esc(out, str(st, "version"));
	fputs("</h1><div class=\"meta\"><span>NQN <b id=\"nqn\">", out);
	esc(out, str(st, "nqn"));
	fprintf(out, "</b></span><span>GENCTR <b id=\"genctr\">%" PRId64 "</b></span>",
		num(st, "genctr"));
	fprintf(out,
		"<span>uptime <b id=\"uptime\">%" PRId64 "d %02" PRId64 ":%02" PRId64 ":%02" PRId64
		"</b></span>",
		up / 86400, up / 3600 % 24, up / 60 % 60, up % 60);
	fprintf(out, "<span>connections <b>%" PRId64 "</b></span></div></header>\n",
		num(json_object_object_get(st, "counts"), "connections"));
}

int status_page_render(struct json_object *data, FILE *out)
{
	struct json_object *st = json_object_object_get(data, "status");

	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
	      out);
	fprintf(out, "<meta http-equiv=\"refresh\" content=\"%d\"><title>cdcd ",
		STATUS_PAGE_REFRESH);
	esc(out, str(st, "nqn"));
	fprintf(out, "</title><style>%s</style></head><body>\n", style);
	header(out, st);
	subsystems(out, arr(data, "subsystems"));
	hosts(out, arr(data, "hosts"), arr(data, "connections"));
	referrals(out, arr(data, "referrals"));
	changes(out, arr(data, "changes"));
	fprintf(out,
		"<footer class=\"empty\"><p>Reloads every %d s. Read-only; changes are made "
		"with cdcctl on the control socket.</p></footer></body></html>\n",
		STATUS_PAGE_REFRESH);
	return ferror(out) ? -EIO : 0;
}
