/* cdc-bench.c - benchmarks for an NVMe/TCP discovery controller: discovery log reads, whole
 * sessions, persistent controllers, AEN fan-out, DIM registrations, restart time and pull
 * registration from simulated DDCs, and the ideal responder every figure is compared with
 * (tests/bench/README.md).
 * One process, one libevent loop, many connections of the userspace host (cdc/nvmf_host). It
 * speaks only standard NVMe/TCP discovery and DIM, so it measures any discovery controller.
 *   cdc-bench WORKLOAD --target ADDR:PORT [--conns N] [--duration SECONDS] [--json] [...] */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <nvme/types.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dim.h"
#include "nvmf_host.h"
#include "nvmf_tcp.h"

#define BENCH_NQN	   "nqn.2014-08.org.example:bench-"
#define PULL_NQN	   "nqn.2014-08.org.example:pull-ddc" /* pull: DDC K's entries */
#define DISC_LOG_HDR	   1024 /* the discovery log header; entries follow, 1024 bytes each */
#define DISC_LOG_ENTRY	   1024
#define DISC_CHUNK	   4096	       /* what libnvme reads at a time (nvmf_host_disc_log) */
#define AEN_LOG70	   0x0070f002u /* Notice, Discovery Log Page Change, log 70h */
#define CC_EN_SHN	   0x00464001u /* CC as the Linux host writes it to shut down */
#define CSTS_SHST_DONE	   (2u << 2)
#define CONNECT_INFLIGHT   256 /* connections being set up at once */
#define VERIFY_INFLIGHT	   64
#define SHUTDOWN_POLLS	   100
#define PROBE_INTERVAL_MS  5
#define SAMPLES_MAX	   (1u << 24)
#define REPORT_MAX	   64
#define DIM_FAIL_KINDS	   8
#define DIM_DATA_LEN	   2048	       /* the DIM header and one basic entry */
#define IDEAL_IN_MAX	   (16 * 1024) /* a capsule with 8 KiB in-capsule data fits */
#define IDEAL_OUT_HIGH	   (4u << 20)
#define IDEAL_MAX_XFER	   (16u << 20)
#define IDEAL_GENCTR	   1
#define IDEAL_CNTLID	   1
#define IDEAL_MAXH2CDATA   0x20000
#define CHILD_STOP_TIMEOUT 30.0

/* ---- time and CPU ---- */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static double secs_since(uint64_t t0)
{
	return (double)(now_ns() - t0) / 1e9;
}

static struct timeval tv_of(double s)
{
	struct timeval tv;

	if (s < 0)
		s = 0;
	tv.tv_sec = (time_t)s;
	tv.tv_usec = (suseconds_t)((s - (double)tv.tv_sec) * 1e6);
	return tv;
}

static double cpu_self(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* CPU seconds a process has used (utime + stime from /proc/PID/stat), or -1. */
static double cpu_of(pid_t pid)
{
	char path[64], buf[1024];
	unsigned long ut, st;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	char *p = strrchr(buf, ')'); /* the command name may hold spaces */
	if (!p ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* VmRSS of a process in KiB, or -1. */
static long rss_kib(pid_t pid)
{
	char path[64], line[256];
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/* ---- latency samples (microseconds) ---- */

struct samples {
	uint32_t *v;
	size_t n, cap;
};

static void samples_add(struct samples *s, uint64_t ns)
{
	uint64_t us = ns / 1000;

	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 4096;
		uint32_t *v = cap <= SAMPLES_MAX ? realloc(s->v, cap * sizeof(*v)) : NULL;
		if (!v)
			return; /* enough samples: the first SAMPLES_MAX stand for the rest */
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* The p-th percentile (0 < p <= 100), nearest rank; sorts the samples. */
static double samples_pct(struct samples *s, double p)
{
	if (!s->n)
		return 0;
	qsort(s->v, s->n, sizeof(s->v[0]), cmp_u32);
	size_t rank = (size_t)(p / 100.0 * (double)s->n + 0.999999);
	if (rank < 1)
		rank = 1;
	return s->v[(rank > s->n ? s->n : rank) - 1];
}

static void samples_free(struct samples *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* ---- options ---- */

struct opts {
	const char *workload;
	const char *target_text, *listen_text, *cdcd;
	struct sockaddr_storage target, listen;
	socklen_t target_len, listen_len;
	unsigned int conns, sources, depth, per_eid;
	double duration;
	unsigned long count, entries, zones;
	pid_t pid;
	bool json, vs_ideal, no_header, success_flag;
	const char *dhchap_secret; /* hosts authenticate with it when the target asks */
	const char *runid;	   /* fixed NQNs, so a keys file can name the hosts */
};

/* ---- results ---- */

struct metric {
	char name[48];
	double value;
	char unit[8];
};

struct report {
	char workload[16];
	struct metric m[REPORT_MAX];
	size_t n;
	char note[1024];
};

static void report_add(struct report *r, const char *name, double value, const char *unit)
{
	if (r->n == REPORT_MAX)
		return;
	struct metric *m = &r->m[r->n++];
	snprintf(m->name, sizeof(m->name), "%s", name);
	snprintf(m->unit, sizeof(m->unit), "%s", unit);
	m->value = value;
}

static void report_note(struct report *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void report_note(struct report *r, const char *fmt, ...)
{
	size_t len = strlen(r->note);
	va_list ap;

	if (len && len + 2 < sizeof(r->note)) {
		memcpy(r->note + len, "; ", 3);
		len += 2;
	}
	va_start(ap, fmt);
	vsnprintf(r->note + len, sizeof(r->note) - len, fmt, ap);
	va_end(ap);
}

static const struct metric *report_find(const struct report *r, const char *name)
{
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->m[i].name, name))
			return &r->m[i];
	return NULL;
}

static void value_text(double v, char *buf, size_t size)
{
	if (v != v || v > 1e300 || v < -1e300)
		snprintf(buf, size, "null");
	else if (v == (double)(int64_t)v && v < 1e15 && v > -1e15)
		snprintf(buf, size, "%" PRId64, (int64_t)v);
	else
		snprintf(buf, size, "%.3f", v);
}

static void json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(out, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(out, "\\u%04x", (unsigned char)*s);
		else
			fputc(*s, out);
	}
	fputc('"', out);
}

static void report_json(const struct report *r, const struct opts *o, bool ok)
{
	char v[48];

	printf("{\"workload\":");
	json_string(stdout, r->workload);
	printf(",\"target\":");
	json_string(stdout, o->target_text ? o->target_text : o->listen_text ? o->listen_text : "");
	printf(",\"conns\":%u,\"count\":%lu,\"duration_s\":", o->conns, o->count);
	value_text(o->duration, v, sizeof(v));
	printf("%s,\"ok\":%s,\"metrics\":{", v, ok ? "true" : "false");
	for (size_t i = 0; i < r->n; i++) {
		value_text(r->m[i].value, v, sizeof(v));
		printf("%s", i ? "," : "");
		json_string(stdout, r->m[i].name);
		printf(":{\"value\":%s,\"unit\":", v);
		json_string(stdout, r->m[i].unit);
		printf("}");
	}
	printf("},\"note\":");
	json_string(stdout, r->note);
	printf("}\n");
}

static void report_table(const struct report *r, const struct opts *o)
{
	char v[48];

	if (!o->no_header)
		printf("%-11s %-32s %16s  %s\n", "workload", "metric", "value", "unit");
	for (size_t i = 0; i < r->n; i++) {
		value_text(r->m[i].value, v, sizeof(v));
		printf("%-11s %-32s %16s  %s\n", r->workload, r->m[i].name, v, r->m[i].unit);
	}
	if (r->note[0])
		printf("# %s: %s\n", r->workload, r->note);
}

/* ---- the loop ---- */

struct bench {
	struct event_base *base;
	const struct opts *o;
	struct sockaddr_storage target;
	socklen_t target_len;
	pid_t server_pid; /* whose CPU time and RSS to report; 0: unknown */
	char runid[24];	  /* makes the NQNs of this run unique on a long-running target */
};

static void expire_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	*(bool *)arg = true;
}

/* Runs the loop until done(arg) or timeout seconds passed; returns done(arg). */
static bool loop_until(struct event_base *base, bool (*done)(void *), void *arg, double timeout)
{
	bool expired = false;
	struct timeval tv = tv_of(timeout);
	struct event *ev = evtimer_new(base, expire_cb, &expired);

	if (!ev)
		return done(arg);
	evtimer_add(ev, &tv);
	while (!done(arg) && !expired)
		if (event_base_loop(base, EVLOOP_ONCE) < 0)
			break;
	event_free(ev);
	return done(arg);
}

static bool never(void *arg)
{
	(void)arg;
	return false;
}

static void loop_for(struct event_base *base, double seconds)
{
	loop_until(base, never, NULL, seconds);
}

static void free_host_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	nvmf_host_free(arg);
}

/* Frees h (and closes its connection) once its callback has returned. */
static void host_release(struct event_base *base, struct nvmf_host *h)
{
	if (h && event_base_once(base, -1, EV_TIMEOUT, free_host_cb, h, NULL) < 0)
		nvmf_host_on_close(h, NULL, NULL); /* cannot happen short of ENOMEM: leak it */
}

static uint64_t fnv1a(const void *buf, size_t len, uint64_t h)
{
	const uint8_t *p = buf;

	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

static void hostid_of(const struct bench *b, size_t idx, uint8_t id[16])
{
	uint64_t h = fnv1a(b->runid, strlen(b->runid), 0xcbf29ce484222325ull);

	put_le64(id, h);
	put_le16(id + 8, (uint16_t)(h >> 8));
	put_le32(id + 10, (uint32_t)idx);
	put_le16(id + 14, (uint16_t)((uint64_t)idx >> 32));
	id[6] = (uint8_t)((id[6] & 0x0f) | 0x40); /* a version 4 UUID, as hosts have */
	id[8] = (uint8_t)((id[8] & 0x3f) | 0x80);
}

/* A new host connecting to the target; cb reports the end of the connect sequence. With
 * --sources K, connection idx binds 127.0.0.(2 + idx % K) first. */
static struct nvmf_host *host_start(struct bench *b, const char *hostnqn, size_t idx,
				    uint32_t kato_ms, nvmf_host_cmd_cb cb, void *arg, int *err)
{
	struct sockaddr_in src = {.sin_family = AF_INET};
	uint8_t hostid[16];
	struct nvmf_host_opts ho = {.hostnqn = hostnqn,
				    .hostid = hostid,
				    .kato_ms = kato_ms,
				    .dhchap_secret = b->o->dhchap_secret};

	hostid_of(b, idx, hostid);
	if (b->o->sources && b->target.ss_family == AF_INET) {
		src.sin_addr.s_addr = htonl(0x7f000002u + (uint32_t)(idx % b->o->sources));
		ho.source = (struct sockaddr *)&src;
	}
	struct nvmf_host *h = nvmf_host_new(b->base, &ho);
	if (!h) {
		*err = -ENOMEM;
		return NULL;
	}
	*err = nvmf_host_connect(h, (struct sockaddr *)&b->target, b->target_len, cb, arg);
	if (*err < 0) {
		nvmf_host_free(h);
		return NULL;
	}
	return h;
}

/* One command waited for from the main flow. */
struct wait_res {
	bool done;
	int err;
	uint64_t t;
	struct nvme_cqe cqe;
};

static void wait_cb(struct nvmf_host *h, int err, const struct nvme_cqe *cqe, const uint8_t *data,
		    uint32_t len, void *arg)
{
	struct wait_res *w = arg;

	(void)h;
	(void)data;
	(void)len;
	w->t = now_ns();
	w->done = true;
	w->err = err;
	if (cqe)
		w->cqe = *cqe;
}

static bool wait_done(void *arg)
{
	return ((struct wait_res *)arg)->done;
}

/* 0, a negative errno, or the NVMe status of a failed command. */
static int wait_for(struct bench *b, struct wait_res *w, double timeout)
{
	if (!loop_until(b->base, wait_done, w, timeout))
		return -ETIMEDOUT;
	return w->err ? w->err : w->cqe.status;
}

/* ---- a pool of held connections ---- */

enum conn_state { CS_IDLE, CS_CONNECTING, CS_READY, CS_FAILED, CS_CLOSED };

struct pool;

struct conn {
	struct pool *pool;
	struct nvmf_host *h;
	size_t idx;
	enum conn_state state;
	uint64_t t0;
};

struct pool {
	struct bench *b;
	struct conn *c;
	size_t n, next, connecting, ready, failed, lost;
	uint32_t kato_ms;
	char nqn_prefix[128];
	void (*on_ready)(struct conn *c);
	void *wl;
	int first_err;
};

static void pool_fill(struct pool *p);

static void pool_fail(struct pool *p, int err)
{
	p->failed++;
	if (!p->first_err)
		p->first_err = err;
}

static void pool_closed_cb(struct nvmf_host *h, int err, void *arg)
{
	struct conn *c = arg;

	(void)h;
	(void)err;
	c->state = CS_CLOSED;
	c->pool->ready--;
	c->pool->lost++;
}

static void pool_connect_cb(struct nvmf_host *h, int err, const struct nvme_cqe *cqe,
			    const uint8_t *data, uint32_t len, void *arg)
{
	struct conn *c = arg;
	struct pool *p = c->pool;

	(void)data;
	(void)len;
	p->connecting--;
	if (err || cqe->status) {
		c->state = CS_FAILED;
		pool_fail(p, err ? err : cqe->status);
		host_release(p->b->base, h);
		c->h = NULL;
	} else {
		c->state = CS_READY;
		p->ready++;
		nvmf_host_on_close(h, pool_closed_cb, c);
		if (p->on_ready)
			p->on_ready(c);
	}
	pool_fill(p);
}

static void pool_fill(struct pool *p)
{
	while (p->next < p->n && p->connecting < CONNECT_INFLIGHT) {
		struct conn *c = &p->c[p->next++];
		char nqn[224];
		int err;

		snprintf(nqn, sizeof(nqn), "%s%zu", p->nqn_prefix, c->idx);
		c->h = host_start(p->b, nqn, c->idx, p->kato_ms, pool_connect_cb, c, &err);
		if (!c->h) {
			c->state = CS_FAILED;
			pool_fail(p, err);
			continue;
		}
		c->state = CS_CONNECTING;
		p->connecting++;
	}
}

static bool pool_settled(void *arg)
{
	struct pool *p = arg;

	return p->next == p->n && !p->connecting;
}

/* Host NQNs are BENCH_NQN RUNID-ROLE IDX: one host per connection. */
static int pool_init(struct pool *p, struct bench *b, size_t n, const char *role, uint32_t kato_ms,
		     void (*on_ready)(struct conn *), void *wl)
{
	memset(p, 0, sizeof(*p));
	p->c = calloc(n ? n : 1, sizeof(*p->c));
	if (!p->c)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		p->c[i].pool = p;
		p->c[i].idx = i;
	}
	p->b = b;
	p->n = n;
	p->kato_ms = kato_ms;
	p->on_ready = on_ready;
	p->wl = wl;
	snprintf(p->nqn_prefix, sizeof(p->nqn_prefix), BENCH_NQN "%s-%s", b->runid, role);
	return 0;
}

static size_t pool_open(struct pool *p, double timeout)
{
	pool_fill(p);
	loop_until(p->b->base, pool_settled, p, timeout);
	return p->ready;
}

static void flush_deferred(struct event_base *base)
{
	for (int i = 0; i < 4; i++)
		event_base_loop(base, EVLOOP_NONBLOCK);
}

static void pool_free(struct pool *p)
{
	for (size_t i = 0; i < p->n; i++)
		nvmf_host_free(p->c[i].h);
	free(p->c);
	p->c = NULL;
	flush_deferred(p->b->base);
}

static void report_pool(struct report *r, const struct pool *p)
{
	report_add(r, "conns", (double)(p->ready + p->lost), "");
	if (p->failed) {
		report_add(r, "conns_failed", (double)p->failed, "");
		report_note(r, "first connect failure: %s",
			    p->first_err < 0 ? strerror(-p->first_err) : "NVMe status");
	}
}

/* CPU used by the bench and the server over a measured interval. */
struct cpu_meter {
	uint64_t t0;
	double self0, srv0;
	pid_t pid;
};

static void cpu_start(struct cpu_meter *m, pid_t pid)
{
	m->t0 = now_ns();
	m->self0 = cpu_self();
	m->pid = pid;
	m->srv0 = pid > 0 ? cpu_of(pid) : -1;
}

static void cpu_report(const struct cpu_meter *m, struct report *r)
{
	double wall = secs_since(m->t0);

	if (wall <= 0)
		return;
	report_add(r, "bench_cpu", 100.0 * (cpu_self() - m->self0) / wall, "%");
	double srv = m->pid > 0 && m->srv0 >= 0 ? cpu_of(m->pid) : -1;
	if (srv >= 0)
		report_add(r, "server_cpu", 100.0 * (srv - m->srv0) / wall, "%");
}

/* The warm-up before measuring: connections made, first reads allocated. */
static double warmup_of(double duration)
{
	return duration / 5 < 0.5 ? duration / 5 : 0.5;
}

/* ---- reads: held connections reading the whole log in a loop ---- */

struct reads_wl {
	struct pool pool;
	bool stop, counting;
	uint64_t reads, errors, numrec;
	size_t inflight;
	int last_err;
	struct samples lat;
};

static void reads_start(struct conn *c);

static void reads_log_cb(struct nvmf_host *h, int err, uint16_t status, const uint8_t *log,
			 size_t len, void *arg)
{
	struct conn *c = arg;
	struct reads_wl *w = c->pool->wl;

	(void)h;
	w->inflight--;
	if (err || status) {
		w->errors++;
		w->last_err = err ? err : status;
		if (err)
			return; /* the connection failed; it stays out */
	} else {
		w->numrec = len >= 16 ? get_le64(log + 8) : 0;
		if (w->counting && !w->stop) {
			w->reads++;
			samples_add(&w->lat, now_ns() - c->t0);
		}
	}
	reads_start(c);
}

static void reads_start(struct conn *c)
{
	struct reads_wl *w = c->pool->wl;

	if (w->stop || c->state != CS_READY)
		return;
	c->t0 = now_ns();
	if (nvmf_host_disc_log(c->h, reads_log_cb, c) == 0)
		w->inflight++;
	else
		w->errors++;
}

static bool reads_idle(void *arg)
{
	return !((struct reads_wl *)arg)->inflight;
}

static void reads_report(struct reads_wl *w, struct report *r, double elapsed)
{
	uint64_t per_read = 2 + (w->numrec * DISC_LOG_ENTRY + DISC_CHUNK - 1) / DISC_CHUNK;

	report_add(r, "reads_per_s", (double)w->reads / elapsed, "1/s");
	report_add(r, "read_p50", samples_pct(&w->lat, 50), "us");
	report_add(r, "read_p99", samples_pct(&w->lat, 99), "us");
	report_add(r, "entries_per_log", (double)w->numrec, "");
	report_add(r, "commands_per_read", (double)(w->numrec || w->reads ? per_read : 0), "");
	report_add(r, "read_errors", (double)w->errors, "");
	if (w->errors)
		report_note(r, "last read error: %s",
			    w->last_err < 0 ? strerror(-w->last_err) : "NVMe status");
}

static int wl_reads(struct bench *b, struct report *r)
{
	const struct opts *o = b->o;
	struct reads_wl w = {0};
	struct cpu_meter cpu;

	if (pool_init(&w.pool, b, o->conns, "reader", 0, NULL, &w) < 0)
		return -1;
	if (!pool_open(&w.pool, 30 + o->conns / 100.0)) {
		report_pool(r, &w.pool);
		pool_free(&w.pool);
		return -1;
	}
	for (size_t i = 0; i < w.pool.n; i++)
		reads_start(&w.pool.c[i]);
	loop_for(b->base, warmup_of(o->duration));
	w.counting = true;
	cpu_start(&cpu, b->server_pid);
	loop_for(b->base, o->duration);
	w.stop = true;
	double elapsed = secs_since(cpu.t0);
	cpu_report(&cpu, r);
	loop_until(b->base, reads_idle, &w, 10);
	reads_report(&w, r, elapsed);
	report_pool(r, &w.pool);
	pool_free(&w.pool);
	samples_free(&w.lat);
	return w.reads ? 0 : -1;
}

/* ---- sessions: connect, Identify, whole log, shutdown, close; again ---- */

struct sessions_wl;

struct sess_client {
	struct sessions_wl *w;
	size_t idx;
	struct nvmf_host *h;
	uint64_t t0;
	unsigned int polls;
};

struct sessions_wl {
	struct bench *b;
	struct sess_client *cl;
	size_t n, active, retrying;
	bool stop, counting;
	uint64_t sessions, errors;
	int last_err;
	const char *last_step;
	struct samples lat;
};

static void sess_begin(struct sess_client *cl);

static void sess_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sess_client *cl = arg;

	(void)fd;
	(void)what;
	cl->w->retrying--;
	sess_begin(cl);
}

static void sess_end(struct sess_client *cl, bool ok)
{
	struct sessions_wl *w = cl->w;
	struct timeval tv = {0, 10000};

	host_release(w->b->base, cl->h);
	cl->h = NULL;
	w->active--;
	if (!ok) {
		w->errors++;
		/* Not at once: a refusing target would make this loop spin. */
		if (event_base_once(w->b->base, -1, EV_TIMEOUT, sess_retry_cb, cl, &tv) == 0)
			w->retrying++;
		return;
	}
	if (w->counting && !w->stop) {
		w->sessions++;
		samples_add(&w->lat, now_ns() - cl->t0);
	}
	sess_begin(cl);
}

static bool sess_check(struct sess_client *cl, int err, const struct nvme_cqe *cqe,
		       const char *step)
{
	if (!err && !cqe->status)
		return true;
	cl->w->last_err = err ? err : cqe->status;
	cl->w->last_step = step;
	sess_end(cl, false);
	return false;
}

static void sess_csts_cb(struct nvmf_host *h, int err, const struct nvme_cqe *cqe,
			 const uint8_t *data, uint32_t len, void *arg)
{
	struct sess_client *cl = arg;

	(void)data;
	(void)len;
	if (!sess_check(cl, err, cqe, "shutdown"))
		return;
	if ((cqe->dw0 & (3u << 2)) == CSTS_SHST_DONE) {
		sess_end(cl, true);
		return;
	}
	if (++cl->polls > SHUTDOWN_POLLS ||
	    nvmf_host_prop_get(h, NVME_REG_CSTS, false, sess_csts_cb, cl) < 0) {
		cl->w->last_step = "shutdown";
		cl->w->last_err = -ETIMEDOUT;
		sess_end(cl, false);
	}
}

static void sess_cc_cb(struct nvmf_host *h, int err, const struct nvme_cqe *cqe,
		       const uint8_t *data, uint32_t len, void *arg)
{
	struct sess_client *cl = arg;

	(void)data;
	(void)len;
	if (!sess_check(cl, err, cqe, "shutdown"))
		return;
	cl->polls = 0;
	if (nvmf_host_prop_get(h, NVME_REG_CSTS, false, sess_csts_cb, cl) < 0)
		sess_end(cl, false);
}

static void sess_log_cb(struct nvmf_host *h, int err, uint16_t status, const uint8_t *log,
			size_t len, void *arg)
{
	struct sess_client *cl = arg;

	(void)log;
	(void)len;
	if (err || status) {
		cl->w->last_err = err ? err : status;
		cl->w->last_step = "log";
		sess_end(cl, false);
		return;
	}
	/* The Linux host's disconnect of a discovery controller: CC.SHN, then CSTS.SHST. */
	if (nvmf_host_prop_set(h, NVME_REG_CC, CC_EN_SHN, sess_cc_cb, cl) < 0)
		sess_end(cl, false);
}

static void sess_identify_cb(struct nvmf_host *h, int err, const struct nvme_cqe *cqe,
			     const uint8_t *data, uint32_t len, void *arg)
{
	struct sess_client *cl = arg;

	(void)data;
	(void)len;
	if (!sess_check(cl, err, cqe, "identify"))
		return;
	if (nvmf_host_disc_log(h, sess_log_cb, cl) < 0)
		sess_end(cl, false);
}

static void sess_connect_cb(struct nvmf_host *h, int err, const struct nvme_cqe *cqe,
			    const uint8_t *data, uint32_t len, void *arg)
{
	struct sess_client *cl = arg;

	(void)data;
	(void)len;
	if (!sess_check(cl, err, cqe, "connect"))
		return;
	if (nvmf_host_identify(h, sess_identify_cb, cl) < 0)
		sess_end(cl, false);
}

static void sess_begin(struct sess_client *cl)
{
	struct sessions_wl *w = cl->w;
	char nqn[224];
	int err;

	if (w->stop)
		return;
	snprintf(nqn, sizeof(nqn), BENCH_NQN "%s-session%zu", w->b->runid, cl->idx);
	cl->t0 = now_ns();
	w->active++;
	cl->h = host_start(w->b, nqn, cl->idx, 0, sess_connect_cb, cl, &err);
	if (!cl->h) {
		w->last_err = err;
		w->last_step = "connect";
		sess_end(cl, false);
	}
}

static bool sessions_idle(void *arg)
{
	struct sessions_wl *w = arg;

	return !w->active && !w->retrying;
}

static int wl_sessions(struct bench *b, struct report *r)
{
	struct sessions_wl w = {.b = b, .n = b->o->conns};
	struct cpu_meter cpu;

	w.cl = calloc(w.n ? w.n : 1, sizeof(*w.cl));
	if (!w.cl)
		return -1;
	for (size_t i = 0; i < w.n; i++) {
		w.cl[i] = (struct sess_client){.w = &w, .idx = i};
		sess_begin(&w.cl[i]);
	}
	loop_for(b->base, warmup_of(b->o->duration));
	w.counting = true;
	cpu_start(&cpu, b->server_pid);
	loop_for(b->base, b->o->duration);
	w.stop = true;
	double elapsed = secs_since(cpu.t0);
	cpu_report(&cpu, r);
	loop_until(b->base, sessions_idle, &w, 10); /* pending retries see stop and return */
	report_add(r, "sessions_per_s", (double)w.sessions / elapsed, "1/s");
	report_add(r, "session_p50", samples_pct(&w.lat, 50), "us");
	report_add(r, "session_p99", samples_pct(&w.lat, 99), "us");
	report_add(r, "clients", (double)w.n, "");
	report_add(r, "session_errors", (double)w.errors, "");
	if (w.errors)
		report_note(r, "last failure at %s: %s", w.last_step,
			    w.last_err < 0 ? strerror(-w.last_err) : "NVMe status");
	flush_deferred(b->base);
	free(w.cl);
	samples_free(&w.lat);
	return w.sessions ? 0 : -1;
}

/* ---- persistent: N controllers with KATO and an AER, held ---- */

struct persist_wl {
	struct pool pool;
	uint64_t aens, aer_failed;
};

static void persist_aer_cb(struct nvmf_host *h, int err, const struct nvme_cqe *cqe,
			   const uint8_t *data, uint32_t len, void *arg)
{
	struct conn *c = arg;
	struct persist_wl *w = c->pool->wl;

	(void)data;
	(void)len;
	if (err || cqe->status)
		return;
	w->aens++;
	nvmf_host_aer(h, persist_aer_cb, c); /* as the Linux host does */
}

static void persist_ready(struct conn *c)
{
	struct persist_wl *w = c->pool->wl;

	if (nvmf_host_aer(c->h, persist_aer_cb, c) < 0)
		w->aer_failed++;
}

static void persist_rss(struct report *r, pid_t pid, long before, size_t held)
{
	long after = pid > 0 ? rss_kib(pid) : -1;

	if (before < 0 || after < 0) {
		report_note(r, "give --pid PID of the daemon to see its memory per controller");
		return;
	}
	report_add(r, "server_rss_before", (double)before, "KiB");
	report_add(r, "server_rss_after", (double)after, "KiB");
	if (held)
		report_add(r, "server_rss_per_ctrl", (double)(after - before) * 1024.0 / held, "B");
}

static int wl_persistent(struct bench *b, struct report *r)
{
	const struct opts *o = b->o;
	struct persist_wl w = {0};
	long before = b->server_pid > 0 ? rss_kib(b->server_pid) : -1;

	if (pool_init(&w.pool, b, o->count, "persistent", 30000, persist_ready, &w) < 0)
		return -1;
	uint64_t t0 = now_ns();
	pool_open(&w.pool, 60 + o->count / 100.0);
	double open_s = secs_since(t0);
	size_t opened = w.pool.ready + w.pool.lost;
	loop_for(b->base, o->duration);
	size_t held = w.pool.ready;
	report_add(r, "requested", (double)o->count, "");
	report_add(r, "opened", (double)opened, "");
	report_add(r, "held", (double)held, "");
	report_add(r, "lost_while_held", (double)w.pool.lost, "");
	report_add(r, "connect_failed", (double)w.pool.failed, "");
	report_add(r, "open_time", open_s * 1000, "ms");
	report_add(r, "connects_per_s", open_s > 0 ? (double)opened / open_s : 0, "1/s");
	report_add(r, "held_for", o->duration, "s");
	report_add(r, "aens_while_held", (double)w.aens, "");
	persist_rss(r, b->server_pid, before, held);
	if (w.pool.failed)
		report_note(r, "first connect failure: %s",
			    w.pool.first_err < 0 ? strerror(-w.pool.first_err) : "NVMe status");
	if (o->sources)
		report_note(r, "sources 127.0.0.2..127.0.0.%u", o->sources + 1);
	pool_free(&w.pool);
	return opened ? 0 : -1;
}

/* ---- DIM data ---- */

/* A DDC registers one port of subsystem subnqn, PortID-keyed (EKTYPE 3Fh). */
static size_t dim_build_port(uint8_t buf[DIM_DATA_LEN], const char *eid, const char *subnqn,
			     unsigned long k)
{
	struct entity e = {.ename = "cdc-bench", .ever = "cdc-bench " PACKAGE_VERSION};
	struct log_rec r = {.subtype = NVME_NQN_NVME,
			    .asqsz = 32,
			    .port = {.trtype = NVMF_TRTYPE_TCP,
				     .adrfam = NVMF_ADDR_FAMILY_IP4,
				     .portid = (uint16_t)(k % 65535 + 1),
				     .trsvcid = "4420"}};

	snprintf(e.nqn, sizeof(e.nqn), "%s", eid);
	snprintf(r.subnqn, sizeof(r.subnqn), "%s", subnqn);
	snprintf(r.port.traddr, sizeof(r.port.traddr), "203.0.113.%lu", k % 250 + 1);
	return dim_encode_ddc(buf, DIM_DATA_LEN, DIM_EKTYPE_PORTID, &e, &r, 1);
}

static int dim_submit(struct nvmf_host *h, uint8_t tas, const uint8_t *data, nvmf_host_cmd_cb cb,
		      void *arg)
{
	struct nvme_sqe sqe = {.opcode = nvme_admin_discovery_info_mgmt};

	sqe.cdw[10] = tas;
	return nvmf_host_submit(h, &sqe, data, DIM_DATA_LEN, 0, cb, arg);
}

/* ---- the DIM engine: DDC connections registering unique subsystems ---- */

struct dim_engine;

struct dim_slot {
	struct dim_engine *e;
	struct nvmf_host *h;
	bool up, connecting;
	unsigned int inflight;
	unsigned long on_eid; /* registrations sent under the current EID */
	char eid[224];
};

struct dim_cmd {
	struct dim_slot *s;
	struct nvmf_host *h;
	uint64_t t0;
};

struct dim_fail {
	uint16_t status;
	unsigned long n;
};

struct dim_engine {
	struct bench *b;
	struct dim_slot *s;
	size_t nslots, next_eid;
	struct nvmf_host **old; /* connections of earlier EIDs, held to the end */
	size_t nold, oldcap;
	unsigned long count, submitted, ok, failed, transport_err, connect_failed, inflight;
	unsigned int depth, per_eid;
	bool stop;
	uint64_t t_first, t_last;
	struct samples lat;
	struct dim_fail fails[DIM_FAIL_KINDS];
	size_t nfails;
	uint8_t buf[DIM_DATA_LEN];
};

static void dim_pump(struct dim_slot *s);

static void dim_fail_add(struct dim_engine *e, uint16_t status)
{
	e->failed++;
	for (size_t i = 0; i < e->nfails; i++) {
		if (e->fails[i].status == status) {
			e->fails[i].n++;
			return;
		}
	}
	if (e->nfails < DIM_FAIL_KINDS)
		e->fails[e->nfails++] = (struct dim_fail){status, 1};
}

static void dim_connect_cb(struct nvmf_host *h, int err, const struct nvme_cqe *cqe,
			   const uint8_t *data, uint32_t len, void *arg)
{
	struct dim_slot *s = arg;

	(void)data;
	(void)len;
	s->connecting = false;
	if (err || cqe->status) {
		s->e->connect_failed++;
		host_release(s->e->b->base, h);
		s->h = NULL;
		return;
	}
	s->up = true;
	dim_pump(s);
}

/* A new DDC connection whose host NQN is its EID (ownership goes by the host NQN). */
static void dim_slot_connect(struct dim_slot *s)
{
	struct dim_engine *e = s->e;
	size_t idx = e->next_eid++;
	int err;

	snprintf(s->eid, sizeof(s->eid), BENCH_NQN "%s-ddc%zu", e->b->runid, idx);
	s->up = false;
	s->on_eid = 0;
	s->inflight = 0;
	s->connecting = true;
	s->h = host_start(e->b, s->eid, idx, 0, dim_connect_cb, s, &err);
	if (!s->h) {
		s->connecting = false;
		e->connect_failed++;
	}
}

/* The EID has had its share: keep its connection (a DDC stays), go on under a new one. */
static void dim_rotate(struct dim_slot *s)
{
	struct dim_engine *e = s->e;

	if (e->nold == e->oldcap) {
		size_t cap = e->oldcap ? e->oldcap * 2 : 64;
		struct nvmf_host **o = realloc(e->old, cap * sizeof(*o));
		if (!o) {
			s->up = false;
			return;
		}
		e->old = o;
		e->oldcap = cap;
	}
	e->old[e->nold++] = s->h;
	s->h = NULL;
	dim_slot_connect(s);
}

static void dim_done_cb(struct nvmf_host *h, int err, const struct nvme_cqe *cqe,
			const uint8_t *data, uint32_t len, void *arg)
{
	struct dim_cmd *cmd = arg;
	struct dim_slot *s = cmd->s;
	struct dim_engine *e = s->e;
	bool current = h == s->h;

	(void)data;
	(void)len;
	e->t_last = now_ns();
	e->inflight--;
	if (current)
		s->inflight--;
	if (err) {
		e->transport_err++;
		if (current)
			s->up = false;
	} else if (cqe->status) {
		dim_fail_add(e, cqe->status);
	} else {
		e->ok++;
		samples_add(&e->lat, e->t_last - cmd->t0);
	}
	free(cmd);
	if (current)
		dim_pump(s);
}

static int dim_send_one(struct dim_slot *s)
{
	struct dim_engine *e = s->e;
	struct dim_cmd *cmd = malloc(sizeof(*cmd));
	char subnqn[224];

	if (!cmd)
		return -ENOMEM;
	snprintf(subnqn, sizeof(subnqn), BENCH_NQN "%s-sub%lu", e->b->runid, e->submitted);
	dim_build_port(e->buf, s->eid, subnqn, e->submitted);
	*cmd = (struct dim_cmd){.s = s, .h = s->h, .t0 = now_ns()};
	int err = dim_submit(s->h, NVMF_DIM_TAS_REGISTER, e->buf, dim_done_cb, cmd);
	if (err < 0) {
		free(cmd);
		return err;
	}
	if (!e->t_first)
		e->t_first = cmd->t0;
	e->submitted++;
	e->inflight++;
	s->inflight++;
	s->on_eid++;
	return 0;
}

static void dim_pump(struct dim_slot *s)
{
	struct dim_engine *e = s->e;

	while (s->up && s->inflight < e->depth && e->submitted < e->count && !e->stop) {
		if (e->per_eid && s->on_eid == e->per_eid) {
			dim_rotate(s);
			return;
		}
		if (dim_send_one(s) < 0) {
			e->transport_err++;
			s->up = false;
		}
	}
}

static bool dim_finished(void *arg)
{
	struct dim_engine *e = arg;
	bool busy = false;

	for (size_t i = 0; i < e->nslots; i++)
		busy |= e->s[i].up || e->s[i].connecting;
	return !e->inflight && (e->submitted >= e->count || e->stop || !busy);
}

/* Registers count ports over conns connections; bounded by timeout seconds. */
static int dim_run(struct dim_engine *e, struct bench *b, unsigned long count, size_t conns,
		   double timeout)
{
	memset(e, 0, sizeof(*e));
	e->b = b;
	e->count = count;
	e->depth = b->o->depth;
	e->per_eid = b->o->per_eid;
	e->nslots = conns ? conns : 1;
	e->s = calloc(e->nslots, sizeof(*e->s));
	if (!e->s)
		return -ENOMEM;
	for (size_t i = 0; i < e->nslots; i++) {
		e->s[i].e = e;
		dim_slot_connect(&e->s[i]);
	}
	if (!loop_until(b->base, dim_finished, e, timeout)) {
		e->stop = true;
		loop_until(b->base, dim_finished, e, 10);
	}
	return 0;
}

static void dim_free(struct dim_engine *e)
{
	for (size_t i = 0; i < e->nslots; i++)
		nvmf_host_free(e->s[i].h);
	for (size_t i = 0; i < e->nold; i++)
		nvmf_host_free(e->old[i]);
	free(e->s);
	free(e->old);
	samples_free(&e->lat);
	flush_deferred(e->b->base);
}

static void dim_report(struct dim_engine *e, struct report *r)
{
	double elapsed = e->t_last > e->t_first ? (double)(e->t_last - e->t_first) / 1e9 : 0;
	char name[48];

	report_add(r, "registrations", (double)e->ok, "");
	report_add(r, "registrations_per_s", elapsed > 0 ? (double)e->ok / elapsed : 0, "1/s");
	report_add(r, "dim_p50", samples_pct(&e->lat, 50), "us");
	report_add(r, "dim_p99", samples_pct(&e->lat, 99), "us");
	report_add(r, "dim_failed", (double)e->failed, "");
	for (size_t i = 0; i < e->nfails; i++) {
		snprintf(name, sizeof(name), "dim_failed_status_0x%04x", e->fails[i].status);
		report_add(r, name, (double)e->fails[i].n, "");
	}
	report_add(r, "dim_transport_errors", (double)e->transport_err, "");
	report_add(r, "ddc_connections", (double)e->next_eid, "");
	if (e->connect_failed)
		report_add(r, "ddc_connect_failed", (double)e->connect_failed, "");
	if (e->submitted < e->count)
		report_note(r, "stopped after %lu of %lu registrations", e->submitted, e->count);
}

static int wl_dim(struct bench *b, struct report *r)
{
	struct dim_engine e;
	struct cpu_meter cpu;

	cpu_start(&cpu, b->server_pid);
	if (dim_run(&e, b, b->o->count, b->o->conns, b->o->duration) < 0)
		return -1;
	cpu_report(&cpu, r);
	dim_report(&e, r);
	if (e.per_eid)
		report_note(r, "a new DDC connection (host NQN = EID) every %u registrations",
			    e.per_eid);
	report_note(r, "%u outstanding per connection; the registrations stay in the target",
		    e.depth);
	dim_free(&e);
	return e.ok ? 0 : -1;
}

/* ---- aen: N armed controllers, one registration, who hears of it ---- */

struct aen_conn {
	uint64_t hash; /* of the log as armed (GENCTR left out) */
	uint64_t t;
	uint32_t dw0;
	bool armed, notified;
};

struct aen_wl {
	struct pool pool;
	struct aen_conn *ac;
	size_t zones;  /* --zones: the change concerns zone 0, controllers i % zones == 0 */
	size_t expect; /* armed controllers that should hear of the change */
	size_t armed, arm_failed, got, other, early, aer_lost;
	bool triggered;
	uint64_t t_first, t_last;
	size_t vnext, vinflight, vdone, changed, unneeded, missed, verify_failed;
};

static uint64_t log_hash(const uint8_t *log, size_t len)
{
	return len > 8 ? fnv1a(log + 8, len - 8, 0xcbf29ce484222325ull) : 0;
}

static void aen_aer_cb(struct nvmf_host *h, int err, const struct nvme_cqe *cqe,
		       const uint8_t *data, uint32_t len, void *arg)
{
	struct conn *c = arg;
	struct aen_wl *w = c->pool->wl;
	struct aen_conn *a = &w->ac[c->idx];
	uint64_t t = now_ns();

	(void)h;
	(void)data;
	(void)len;
	if (err || cqe->status) {
		w->aer_lost++;
		return;
	}
	a->t = t;
	a->dw0 = cqe->dw0;
	if (!w->triggered) {
		w->early++;
		return;
	}
	if (cqe->dw0 != AEN_LOG70) {
		w->other++;
		return;
	}
	a->notified = true;
	w->got++;
	if (!w->t_first)
		w->t_first = t;
	w->t_last = t;
}

static void aen_arm_cb(struct nvmf_host *h, int err, uint16_t status, const uint8_t *log,
		       size_t len, void *arg)
{
	struct conn *c = arg;
	struct aen_wl *w = c->pool->wl;

	if (err || status || nvmf_host_aer(h, aen_aer_cb, c) < 0) {
		w->arm_failed++;
		return;
	}
	w->ac[c->idx].hash = log_hash(log, len);
	w->ac[c->idx].armed = true;
	w->armed++;
}

/* Connected: read the log (the closing header with RAE = 0 arms the event), then the AER. */
static void aen_ready(struct conn *c)
{
	struct aen_wl *w = c->pool->wl;

	if (nvmf_host_disc_log(c->h, aen_arm_cb, c) < 0)
		w->arm_failed++;
}

static bool aen_armed(void *arg)
{
	struct aen_wl *w = arg;

	return pool_settled(&w->pool) && w->armed + w->arm_failed + w->pool.failed == w->pool.n;
}

static bool aen_all_heard(void *arg)
{
	struct aen_wl *w = arg;

	return w->got + w->other + w->early + w->aer_lost >= w->expect;
}

static bool aen_in_changed_zone(const struct aen_wl *w, size_t idx)
{
	return !w->zones || idx % w->zones == 0;
}

/* Armed controllers whose view the change concerns: all of them without zoning. */
static size_t aen_expected(const struct aen_wl *w)
{
	size_t n = 0;

	for (size_t i = 0; i < w->pool.n; i++)
		n += w->ac[i].armed && aen_in_changed_zone(w, i);
	return n;
}

/* AENs that reached a controller outside the zone of the change (counted at the very end,
 * so an AEN that came late is counted too). */
static size_t aen_outside_zone(const struct aen_wl *w)
{
	size_t n = 0;

	for (size_t i = 0; i < w->pool.n; i++)
		n += w->ac[i].notified && !aen_in_changed_zone(w, i);
	return n;
}

static void aen_verify_next(struct aen_wl *w);

/* After the event: did this host's log change? Then it should have been notified. */
static void aen_verify_cb(struct nvmf_host *h, int err, uint16_t status, const uint8_t *log,
			  size_t len, void *arg)
{
	struct conn *c = arg;
	struct aen_wl *w = c->pool->wl;
	struct aen_conn *a = &w->ac[c->idx];

	(void)h;
	w->vinflight--;
	w->vdone++;
	if (err || status) {
		w->verify_failed++;
	} else if (log_hash(log, len) != a->hash) {
		w->changed++;
		w->missed += !a->notified;
	} else {
		w->unneeded += a->notified;
	}
	aen_verify_next(w);
}

static void aen_verify_next(struct aen_wl *w)
{
	while (w->vinflight < VERIFY_INFLIGHT && w->vnext < w->pool.n) {
		struct conn *c = &w->pool.c[w->vnext++];
		if (!w->ac[c->idx].armed || c->state != CS_READY) {
			w->vdone++;
			continue;
		}
		if (nvmf_host_disc_log(c->h, aen_verify_cb, c) < 0) {
			w->vdone++;
			w->verify_failed++;
			continue;
		}
		w->vinflight++;
	}
}

static bool aen_verified(void *arg)
{
	struct aen_wl *w = arg;

	return w->vdone == w->pool.n;
}

/* The trigger: one DDC connection registers one new subsystem port. */
struct aen_trigger {
	struct nvmf_host *ddc;
	char eid[224], subnqn[224];
	uint8_t data[DIM_DATA_LEN];
	uint64_t t_submit;
	struct wait_res res;
};

static int aen_trigger_fire(struct bench *b, struct aen_wl *w, struct aen_trigger *tr)
{
	struct wait_res conn = {0};
	int err;

	snprintf(tr->eid, sizeof(tr->eid), BENCH_NQN "%s-aen-ddc", b->runid);
	snprintf(tr->subnqn, sizeof(tr->subnqn), BENCH_NQN "%s-aen-sub", b->runid);
	tr->ddc = host_start(b, tr->eid, 0, 0, wait_cb, &conn, &err);
	if (!tr->ddc)
		return err;
	if ((err = wait_for(b, &conn, 10)) != 0)
		return err;
	dim_build_port(tr->data, tr->eid, tr->subnqn, 1);
	w->triggered = true;
	tr->t_submit = now_ns();
	err = dim_submit(tr->ddc, NVMF_DIM_TAS_REGISTER, tr->data, wait_cb, &tr->res);
	return err < 0 ? err : wait_for(b, &tr->res, 10);
}

/* Deregister what the trigger registered, so the target is left as it was. */
static void aen_trigger_undo(struct bench *b, struct aen_trigger *tr)
{
	struct wait_res res = {0};

	if (tr->ddc && tr->res.done && !tr->res.err && !tr->res.cqe.status &&
	    dim_submit(tr->ddc, NVMF_DIM_TAS_DEREGISTER, tr->data, wait_cb, &res) == 0)
		wait_for(b, &res, 10);
	nvmf_host_free(tr->ddc);
	tr->ddc = NULL;
}

static double ms_from(uint64_t t, uint64_t ref)
{
	return ((double)(int64_t)(t - ref)) / 1e6;
}

static void aen_report(struct aen_wl *w, const struct aen_trigger *tr, struct report *r)
{
	report_add(r, "controllers_armed", (double)w->armed, "");
	if (w->zones) {
		report_add(r, "zones", (double)w->zones, "");
		report_add(r, "controllers_in_zone", (double)w->expect, "");
		report_add(r, "aens_outside_zone", (double)aen_outside_zone(w), "");
	}
	report_add(r, "arm_failed", (double)(w->arm_failed + w->pool.failed), "");
	report_add(r, "dim_latency", ms_from(tr->res.t, tr->t_submit), "ms");
	if (w->got) {
		report_add(r, "aen_first", ms_from(w->t_first, tr->res.t), "ms");
		report_add(r, "aen_last", ms_from(w->t_last, tr->res.t), "ms");
		report_add(r, "aen_last_from_submit", ms_from(w->t_last, tr->t_submit), "ms");
	}
	report_add(r, "aens_received", (double)w->got, "");
	report_add(r, "aens_other_type", (double)w->other, "");
	report_add(r, "aens_before_trigger", (double)w->early, "");
	report_add(r, "views_changed", (double)w->changed, "");
	report_add(r, "aens_unneeded", (double)w->unneeded, "");
	report_add(r, "aens_missed", (double)w->missed, "");
	if (w->verify_failed)
		report_add(r, "verify_failed", (double)w->verify_failed, "");
	report_note(r, "times from the DIM completion (negative: before it); unneeded = notified "
		       "but the host's log read back unchanged; without zoning a new subsystem "
		       "changes every host's view, so every armed controller should hear of it");
}

static int wl_aen(struct bench *b, struct report *r)
{
	const struct opts *o = b->o;
	struct aen_wl w = {0};
	struct aen_trigger tr = {0};
	int rc = -1;

	w.ac = calloc(o->count ? o->count : 1, sizeof(*w.ac));
	if (!w.ac || pool_init(&w.pool, b, o->count, "aen", 30000, aen_ready, &w) < 0) {
		free(w.ac);
		return -1;
	}
	pool_fill(&w.pool);
	loop_until(b->base, aen_armed, &w, 60 + o->count / 100.0);
	w.zones = o->zones;
	w.expect = aen_expected(&w);
	long rss = b->server_pid > 0 ? rss_kib(b->server_pid) : -1;
	if (rss >= 0)
		report_add(r, "server_rss_armed", (double)rss, "KiB");
	int err = aen_trigger_fire(b, &w, &tr);
	if (err) {
		report_note(r, "the registration failed: %s",
			    err < 0 ? strerror(-err) : "NVMe status");
		goto out;
	}
	loop_until(b->base, aen_all_heard, &w, o->duration);
	aen_verify_next(&w);
	loop_until(b->base, aen_verified, &w, 30 + o->count / 200.0);
	aen_report(&w, &tr, r);
	rc = w.got ? 0 : -1;
	/* Under zoning the figure is only worth having when it is exact. */
	if (w.zones && (w.got < w.expect || w.missed || aen_outside_zone(&w))) {
		report_note(r,
			    "zoning: %zu of %zu controllers of the zone heard of the change, "
			    "%zu outside it, %zu missed",
			    w.got, w.expect, aen_outside_zone(&w), w.missed);
		rc = -1;
	}
out:
	aen_trigger_undo(b, &tr);
	pool_free(&w.pool);
	free(w.ac);
	return rc;
}

/* ---- probing: poll-connect until a whole discovery succeeds ---- */

struct probe {
	struct bench *b;
	struct event *timer;
	struct nvmf_host *h;
	pid_t watch; /* give up when this child exits */
	bool done, dead, busy;
	uint64_t numrec, t_done;
	unsigned long attempts;
};

static void probe_retry(struct probe *p)
{
	struct timeval tv = {0, PROBE_INTERVAL_MS * 1000};

	host_release(p->b->base, p->h);
	p->h = NULL;
	p->busy = false;
	evtimer_add(p->timer, &tv);
}

static void probe_log_cb(struct nvmf_host *h, int err, uint16_t status, const uint8_t *log,
			 size_t len, void *arg)
{
	struct probe *p = arg;

	(void)h;
	if (err || status || len < 16) {
		probe_retry(p);
		return;
	}
	p->t_done = now_ns();
	p->numrec = get_le64(log + 8);
	p->done = true;
	host_release(p->b->base, p->h);
	p->h = NULL;
}

static void probe_connect_cb(struct nvmf_host *h, int err, const struct nvme_cqe *cqe,
			     const uint8_t *data, uint32_t len, void *arg)
{
	struct probe *p = arg;

	(void)data;
	(void)len;
	if (err || cqe->status || nvmf_host_disc_log(h, probe_log_cb, p) < 0)
		probe_retry(p);
}

static void probe_try_cb(evutil_socket_t fd, short what, void *arg)
{
	struct probe *p = arg;
	char nqn[224];
	int err;

	(void)fd;
	(void)what;
	if (p->watch > 0 && waitpid(p->watch, NULL, WNOHANG) == p->watch) {
		p->dead = true;
		return;
	}
	if (p->done || p->busy)
		return;
	snprintf(nqn, sizeof(nqn), BENCH_NQN "%s-probe", p->b->runid);
	p->attempts++;
	p->busy = true;
	p->h = host_start(p->b, nqn, 0, 0, probe_connect_cb, p, &err);
	if (!p->h)
		probe_retry(p);
}

static bool probe_over(void *arg)
{
	struct probe *p = arg;

	return p->done || p->dead;
}

/* The first whole discovery of the target: 0 with p->numrec and p->t_done, or -1. */
static int probe_run(struct bench *b, struct probe *p, pid_t watch, double timeout)
{
	*p = (struct probe){.b = b, .watch = watch};
	p->timer = evtimer_new(b->base, probe_try_cb, p);
	if (!p->timer)
		return -1;
	probe_try_cb(-1, 0, p);
	loop_until(b->base, probe_over, p, timeout);
	event_free(p->timer);
	nvmf_host_free(p->h);
	p->h = NULL;
	flush_deferred(b->base);
	return p->done ? 0 : -1;
}

/* ---- a cdcd of our own (restart) ---- */

struct cdcd_run {
	char dir[64], conf[128], log[128];
	struct sockaddr_in sa;
	pid_t pid;
};

static int free_port(struct sockaddr_in *sa)
{
	socklen_t len = sizeof(*sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	*sa = (struct sockaddr_in){.sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001)};
	if (fd < 0)
		return -errno;
	int rc = 0;
	if (bind(fd, (struct sockaddr *)sa, sizeof(*sa)) < 0 ||
	    getsockname(fd, (struct sockaddr *)sa, &len) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

static int cdcd_prepare(struct cdcd_run *c)
{
	snprintf(c->dir, sizeof(c->dir), "/tmp/cdc-bench.XXXXXX");
	if (!mkdtemp(c->dir))
		return -errno;
	snprintf(c->conf, sizeof(c->conf), "%s/cdcd.conf", c->dir);
	snprintf(c->log, sizeof(c->log), "%s/cdcd.log", c->dir);
	int err = free_port(&c->sa);
	FILE *f = err ? NULL : fopen(c->conf, "we");
	if (!f)
		return err ? err : -errno;
	fprintf(f,
		"[global]\nlisten = 127.0.0.1:%u\nstate-dir = %s/state\ncontrol-socket =\n"
		"max-registrations-per-entity = 65536\nmax-registrations = 10000000\n"
		"max-connections = 0\nmax-connections-per-source = 0\nmax-implicit-hosts = "
		"10000000\n",
		ntohs(c->sa.sin_port), c->dir);
	return fclose(f) ? -errno : 0;
}

static pid_t cdcd_spawn(const char *path, const struct cdcd_run *c)
{
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	int fd = open(c->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd >= 0) {
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
	}
	execl(path, "cdcd", "--foreground", "--config", c->conf, (char *)NULL);
	_exit(127);
}

/* SIGTERM and wait (SIGKILL after CHILD_STOP_TIMEOUT); seconds it took, -1 if killed. */
static double child_stop(pid_t pid)
{
	uint64_t t0 = now_ns();
	int status;

	if (pid <= 0)
		return -1;
	kill(pid, SIGTERM);
	while (secs_since(t0) < CHILD_STOP_TIMEOUT) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid || (r < 0 && errno == ECHILD))
			return secs_since(t0);
		usleep(1000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void rm_tree(const char *dir)
{
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Start cdcd and wait for its first whole discovery; ms from the exec, or -1. */
static double cdcd_start(struct bench *b, struct cdcd_run *c, struct probe *p)
{
	uint64_t t0 = now_ns();

	c->pid = cdcd_spawn(b->o->cdcd, c);
	if (c->pid < 0)
		return -1;
	if (probe_run(b, p, c->pid, b->o->duration) < 0)
		return -1;
	return (double)(p->t_done - t0) / 1e6;
}

static void restart_fail(struct report *r, const struct cdcd_run *c, const char *what)
{
	report_note(r, "%s failed; see %s (kept)", what, c->log);
}

static int restart_measure(struct bench *b, struct cdcd_run *c, struct report *r)
{
	struct probe p;
	struct dim_engine e;
	double ms = cdcd_start(b, c, &p);

	if (ms < 0) {
		restart_fail(r, c, "the first start");
		return -1;
	}
	report_add(r, "first_start", ms, "ms");
	dim_run(&e, b, b->o->count, b->o->conns, b->o->duration);
	dim_report(&e, r);
	long rss = rss_kib(c->pid);
	dim_free(&e);
	double stop_s = child_stop(c->pid);
	c->pid = 0;
	report_add(r, "stop", stop_s * 1000, "ms");
	ms = cdcd_start(b, c, &p);
	if (ms < 0) {
		restart_fail(r, c, "the restart");
		return -1;
	}
	report_add(r, "restart_to_discovery", ms, "ms");
	report_add(r, "entries_after_restart", (double)p.numrec, "");
	report_add(r, "server_rss_registered", (double)rss, "KiB");
	report_add(r, "server_rss_restarted", (double)rss_kib(c->pid), "KiB");
	report_note(r,
		    "restart = exec of cdcd to the first whole log read (poll-connect every "
		    "%d ms)",
		    PROBE_INTERVAL_MS);
	return e.ok ? 0 : -1;
}

static int wl_restart(struct bench *b, struct report *r)
{
	struct cdcd_run c = {0};

	if (cdcd_prepare(&c) < 0) {
		report_note(r, "cannot prepare a state directory");
		return -1;
	}
	memcpy(&b->target, &c.sa, sizeof(c.sa));
	b->target_len = sizeof(c.sa);
	int rc = restart_measure(b, &c, r);
	if (c.pid > 0)
		child_stop(c.pid);
	if (rc == 0)
		rm_tree(c.dir);
	return rc;
}

/* ---- the ideal responder: precomputed answers, no logic ---- */

struct ideal {
	struct event_base *base;
	struct evconnlistener *lis;
	struct event *resume;
	uint8_t *log;
	size_t log_len, log_cap; /* log_cap: room for the entries pull changes add */
	unsigned long nentries;
	long ddc; /* pull: this DDC's number in its NQNs; -1: the ideal responder's own */
	/* pull: the last AER held, so that a change can complete it */
	struct ideal_conn *aer_conn;
	uint16_t aer_cid;
	uint64_t conns, cmds;
	uint8_t icresp[NVME_TCP_IC_LEN];
	uint8_t ident_hdr[NVME_TCP_DATA_HLEN];
	uint8_t ident[NVME_IDENTIFY_DATA_SIZE];
	uint8_t rsp_ok[NVME_TCP_RSP_HLEN], rsp_connect[NVME_TCP_RSP_HLEN];
	uint8_t rsp_cap[NVME_TCP_RSP_HLEN], rsp_vs[NVME_TCP_RSP_HLEN];
	uint8_t rsp_csts[NVME_TCP_RSP_HLEN], rsp_csts_shn[NVME_TCP_RSP_HLEN];
	uint8_t rsp_inval[NVME_TCP_RSP_HLEN];
	uint8_t zeros[4096];
	bool success; /* complete reads with C2HData SUCCESS, no CapsuleResp (SPDK's default) */
};

struct ideal_conn {
	struct ideal *id;
	evutil_socket_t fd;
	struct event *rev, *wev;
	struct evbuffer *out;
	bool shn, reading;
	size_t inlen;
	uint8_t in[IDEAL_IN_MAX];
};

static void rsp_template(uint8_t *out, uint32_t dw0, uint32_t dw1, uint16_t status)
{
	struct nvme_cqe cqe = {.dw0 = dw0, .dw1 = dw1, .status = status};

	nvme_tcp_rsp_encode(&cqe, false, out);
}

/* The subsystem NQN of entry i; a simulated DDC's are distinct across DDCs (pull). */
static void ideal_subnqn(long ddc, unsigned long i, char *buf, size_t size)
{
	if (ddc < 0)
		snprintf(buf, size, "nqn.2014-08.org.example:ideal-sub%lu", i);
	else
		snprintf(buf, size, PULL_NQN "%ld-sub%lu", ddc, i);
}

static void ideal_entry_fill(struct ideal *id, unsigned long i)
{
	struct nvmf_disc_log_entry e;

	memset(&e, 0, sizeof(e));
	e.trtype = NVMF_TRTYPE_TCP;
	e.adrfam = NVMF_ADDR_FAMILY_IP4;
	e.subtype = NVME_NQN_NVME;
	e.portid = htole16((uint16_t)(i % 65535 + 1));
	e.cntlid = htole16(0xffff);
	e.asqsz = htole16(32);
	snprintf(e.trsvcid, sizeof(e.trsvcid), "4420");
	ideal_subnqn(id->ddc, i, e.subnqn, sizeof(e.subnqn));
	snprintf(e.traddr, sizeof(e.traddr), "203.0.113.%lu", i % 250 + 1);
	memcpy(id->log + DISC_LOG_HDR + i * DISC_LOG_ENTRY, &e, sizeof(e));
}

static void ideal_log_fill(struct ideal *id, unsigned long entries)
{
	put_le64(id->log, IDEAL_GENCTR);
	put_le64(id->log + 8, entries);
	for (unsigned long i = 0; i < entries; i++)
		ideal_entry_fill(id, i);
	id->nentries = entries;
}

static uint8_t ideal_c2h_flags(const struct ideal *id)
{
	return NVME_TCP_F_DATA_LAST | (id->success ? NVME_TCP_F_DATA_SUCCESS : 0);
}

static void ideal_identify_fill(struct ideal *id)
{
	struct nvme_id_ctrl c;

	memset(&c, 0, sizeof(c));
	memset(c.sn, ' ', sizeof(c.sn));
	memset(c.mn, ' ', sizeof(c.mn));
	memset(c.fr, ' ', sizeof(c.fr));
	memcpy(c.sn, "ideal", 5);
	memcpy(c.mn, "cdc-bench ideal responder", 25);
	memcpy(c.fr, PACKAGE_VERSION, strlen(PACKAGE_VERSION));
	c.cntlid = htole16(IDEAL_CNTLID);
	c.ver = htole32(0x00010400);
	c.oaes = htole32(1u << 31);
	c.cntrltype = NVME_CTRL_CNTRLTYPE_DISCOVERY;
	c.aerl = 3;
	c.kas = htole16(1);
	c.maxcmd = htole16(128);
	c.sgls = htole32(1);
	snprintf(c.subnqn, sizeof(c.subnqn), "%s", NVME_DISC_SUBSYS_NAME);
	memcpy(id->ident, &c, sizeof(id->ident));
	nvme_tcp_data_hdr_encode(NVME_TCP_C2H_DATA, ideal_c2h_flags(id), 0, 0, 0, sizeof(id->ident),
				 false, false, id->ident_hdr);
}

/* ddc: -1 for the ideal responder, or a simulated DDC's number (pull), whose log has room
 * for spare more entries. */
static int ideal_init(struct ideal *id, struct event_base *base, unsigned long entries,
		      bool success, long ddc, unsigned long spare)
{
	struct nvme_tcp_ic ic = {.maxr2t_or_maxh2cdata = IDEAL_MAXH2CDATA};

	memset(id, 0, sizeof(*id));
	id->base = base;
	id->success = success;
	id->ddc = ddc;
	id->log_len = DISC_LOG_HDR + (size_t)entries * DISC_LOG_ENTRY;
	id->log_cap = id->log_len + (size_t)spare * DISC_LOG_ENTRY;
	id->log = calloc(1, id->log_cap);
	if (!id->log)
		return -ENOMEM;
	ideal_log_fill(id, entries);
	ideal_identify_fill(id);
	nvme_tcp_ic_encode(NVME_TCP_ICRESP, &ic, id->icresp);
	rsp_template(id->rsp_ok, 0, 0, 0);
	rsp_template(id->rsp_connect, IDEAL_CNTLID, 0, 0);
	/* CAP: MQES 127, CQR, TO 15 (7.5 s); CSS NVM command set (bit 37). */
	rsp_template(id->rsp_cap, 127 | 1u << 16 | 15u << 24, 1u << 5, 0);
	rsp_template(id->rsp_vs, 0x00010400, 0, 0);
	rsp_template(id->rsp_csts, 1, 0, 0);
	rsp_template(id->rsp_csts_shn, 1 | CSTS_SHST_DONE, 0, 0);
	rsp_template(id->rsp_inval, 0, 0, nvme_status(0, NVME_SC_INVALID_FIELD, true));
	return 0;
}

static void ideal_rsp(struct ideal_conn *c, const uint8_t *tmpl, uint16_t cid)
{
	uint8_t r[NVME_TCP_RSP_HLEN];

	memcpy(r, tmpl, sizeof(r));
	put_le16(r + NVME_TCP_CH_LEN + 12, cid);
	evbuffer_add(c->out, r, sizeof(r));
}

static void ideal_fabrics(struct ideal_conn *c, const uint8_t *sqe, uint16_t cid)
{
	struct ideal *id = c->id;
	uint32_t ofst = get_le32(sqe + 44), value = get_le32(sqe + 48);

	switch (sqe[4]) {
	case nvme_fabrics_type_connect:
		ideal_rsp(c, id->rsp_connect, cid);
		return;
	case nvme_fabrics_type_property_get:
		ideal_rsp(c,
			  ofst == NVME_REG_CAP	  ? id->rsp_cap
			  : ofst == NVME_REG_VS	  ? id->rsp_vs
			  : ofst == NVME_REG_CSTS ? (c->shn ? id->rsp_csts_shn : id->rsp_csts)
						  : id->rsp_ok,
			  cid);
		return;
	case nvme_fabrics_type_property_set:
		if (ofst == NVME_REG_CC)
			c->shn = value & (3u << 14);
		break;
	}
	ideal_rsp(c, id->rsp_ok, cid);
}

/* Get Log Page: any offset and length out of the one precomputed log, zeros past its end. */
static void ideal_log(struct ideal_conn *c, const uint8_t *sqe, uint16_t cid)
{
	struct ideal *id = c->id;
	uint32_t cdw10 = get_le32(sqe + 40), cdw11 = get_le32(sqe + 44);
	uint64_t off = get_le32(sqe + 48) | (uint64_t)get_le32(sqe + 52) << 32;
	uint64_t len = ((uint64_t)(cdw10 >> 16 | (cdw11 & 0xffff) << 16) + 1) * 4;
	uint8_t hdr[NVME_TCP_DATA_HLEN];

	if (len > IDEAL_MAX_XFER || off % 4) {
		ideal_rsp(c, id->rsp_inval, cid);
		return;
	}
	nvme_tcp_data_hdr_encode(NVME_TCP_C2H_DATA, ideal_c2h_flags(id), cid, 0, 0, (uint32_t)len,
				 false, false, hdr);
	evbuffer_add(c->out, hdr, sizeof(hdr));
	if (off < id->log_len) {
		size_t n = len < id->log_len - off ? (size_t)len : id->log_len - (size_t)off;
		evbuffer_add_reference(c->out, id->log + off, n, NULL, NULL);
		len -= n;
	}
	while (len) {
		size_t n = len < sizeof(id->zeros) ? (size_t)len : sizeof(id->zeros);
		evbuffer_add_reference(c->out, id->zeros, n, NULL, NULL);
		len -= n;
	}
	if (!id->success)
		ideal_rsp(c, id->rsp_ok, cid);
}

static void ideal_cmd(struct ideal_conn *c, const uint8_t *sqe)
{
	struct ideal *id = c->id;
	uint16_t cid = get_le16(sqe + 2);
	uint8_t hdr[NVME_TCP_DATA_HLEN];

	id->cmds++;
	switch (sqe[0]) {
	case nvme_admin_fabrics:
		ideal_fabrics(c, sqe, cid);
		return;
	case nvme_admin_identify:
		memcpy(hdr, id->ident_hdr, sizeof(hdr));
		put_le16(hdr + NVME_TCP_CH_LEN, cid);
		evbuffer_add(c->out, hdr, sizeof(hdr));
		evbuffer_add_reference(c->out, id->ident, sizeof(id->ident), NULL, NULL);
		if (!id->success)
			ideal_rsp(c, id->rsp_ok, cid);
		return;
	case nvme_admin_get_log_page:
		ideal_log(c, sqe, cid);
		return;
	case nvme_admin_async_event:
		/* Held until a pull change completes it; otherwise for ever. */
		id->aer_conn = c;
		id->aer_cid = cid;
		return;
	}
	ideal_rsp(c, id->rsp_ok, cid);
}

/* One whole PDU; false: close the connection. */
static bool ideal_pdu(struct ideal_conn *c, const uint8_t *pdu, uint32_t plen)
{
	switch (pdu[0]) {
	case NVME_TCP_ICREQ:
		evbuffer_add_reference(c->out, c->id->icresp, sizeof(c->id->icresp), NULL, NULL);
		return true;
	case NVME_TCP_CMD:
		if (plen < NVME_TCP_CMD_HLEN)
			return false;
		ideal_cmd(c, pdu + NVME_TCP_CH_LEN);
		return true;
	case NVME_TCP_H2C_TERM:
		return false;
	}
	return true; /* H2CData and the rest: nothing to say */
}

static void ideal_conn_free(struct ideal_conn *c)
{
	if (c->id->aer_conn == c)
		c->id->aer_conn = NULL;
	event_free(c->rev);
	event_free(c->wev);
	evbuffer_free(c->out);
	close(c->fd);
	free(c);
}

/* Write what is queued; false: the connection is gone. */
static bool ideal_flush(struct ideal_conn *c)
{
	if (evbuffer_get_length(c->out) && evbuffer_write(c->out, c->fd) < 0 && errno != EAGAIN &&
	    errno != EINTR)
		return false;
	size_t left = evbuffer_get_length(c->out);
	if (left)
		event_add(c->wev, NULL);
	else
		event_del(c->wev);
	if (left > IDEAL_OUT_HIGH && c->reading) {
		event_del(c->rev);
		c->reading = false;
	} else if (left <= IDEAL_OUT_HIGH && !c->reading) {
		event_add(c->rev, NULL);
		c->reading = true;
	}
	return true;
}

/* Consumes the whole PDUs at the head of the input; false: close. */
static bool ideal_parse(struct ideal_conn *c)
{
	size_t used = 0;

	while (c->inlen - used >= NVME_TCP_CH_LEN) {
		uint32_t plen = get_le32(c->in + used + 4);
		if (plen < NVME_TCP_CH_LEN || plen > sizeof(c->in))
			return false;
		if (c->inlen - used < plen)
			break;
		if (!ideal_pdu(c, c->in + used, plen))
			return false;
		used += plen;
	}
	memmove(c->in, c->in + used, c->inlen - used);
	c->inlen -= used;
	return true;
}

static void ideal_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ideal_conn *c = arg;
	ssize_t n = read(fd, c->in + c->inlen, sizeof(c->in) - c->inlen);

	(void)what;
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		ideal_conn_free(c);
		return;
	}
	c->inlen += (size_t)n;
	if (!ideal_parse(c) || !ideal_flush(c))
		ideal_conn_free(c);
}

static void ideal_write_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ideal_conn *c = arg;

	(void)fd;
	(void)what;
	if (!ideal_flush(c))
		ideal_conn_free(c);
}

static void ideal_accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
			    int salen, void *arg)
{
	struct ideal *id = arg;
	struct ideal_conn *c = malloc(sizeof(*c));
	int one = 1;

	(void)l;
	(void)sa;
	(void)salen;
	if (!c) {
		close(fd);
		return;
	}
	*c = (struct ideal_conn){.id = id, .fd = fd, .reading = true};
	c->rev = event_new(id->base, fd, EV_READ | EV_PERSIST, ideal_read_cb, c);
	c->wev = event_new(id->base, fd, EV_WRITE | EV_PERSIST, ideal_write_cb, c);
	c->out = evbuffer_new();
	if (!c->rev || !c->wev || !c->out) {
		ideal_conn_free(c);
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	event_add(c->rev, NULL);
	id->conns++;
}

static void ideal_resume_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	evconnlistener_enable(arg);
}

/* Out of descriptors: stop accepting for a moment instead of spinning. */
static void ideal_accept_error_cb(struct evconnlistener *l, void *arg)
{
	struct ideal *id = arg;
	struct timeval tv = {0, 100000};

	evconnlistener_disable(l);
	evtimer_add(id->resume, &tv);
}

static void ideal_stop_cb(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	event_base_loopexit(arg, NULL);
}

/* Serves on the listening socket fd until SIGINT/SIGTERM or duration (0: no limit). */
static int ideal_serve(struct ideal *id, struct event_base *base, int fd, unsigned long entries,
		       bool success, double duration)
{
	struct event *sigs[2] = {NULL, NULL}, *stop = NULL;
	int rc = -1;

	if (ideal_init(id, base, entries, success, -1, 0) < 0)
		return -1;
	id->lis = evconnlistener_new(base, ideal_accept_cb, id, LEV_OPT_CLOSE_ON_FREE, 0, fd);
	if (!id->lis)
		goto out;
	id->resume = evtimer_new(base, ideal_resume_cb, id->lis);
	evconnlistener_set_error_cb(id->lis, ideal_accept_error_cb);
	sigs[0] = evsignal_new(base, SIGINT, ideal_stop_cb, base);
	sigs[1] = evsignal_new(base, SIGTERM, ideal_stop_cb, base);
	for (int i = 0; i < 2; i++)
		if (sigs[i])
			evsignal_add(sigs[i], NULL);
	if (duration > 0) {
		struct timeval tv = tv_of(duration);
		stop = evtimer_new(base, ideal_stop_cb, base);
		if (stop)
			evtimer_add(stop, &tv);
	}
	rc = event_base_dispatch(base) < 0 ? -1 : 0;
out:
	for (int i = 0; i < 2; i++)
		if (sigs[i])
			event_free(sigs[i]);
	if (stop)
		event_free(stop);
	if (id->resume)
		event_free(id->resume);
	if (id->lis)
		evconnlistener_free(id->lis);
	free(id->log);
	return rc;
}

static int listen_socket(const struct sockaddr *sa, socklen_t len)
{
	int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, sa, len) < 0 || listen(fd, SOMAXCONN) < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

static int wl_ideal(struct bench *b, struct report *r)
{
	const struct opts *o = b->o;
	struct ideal id;
	int fd = listen_socket((const struct sockaddr *)&o->listen, o->listen_len);

	if (fd < 0) {
		fprintf(stderr, "cdc-bench: cannot listen on %s: %s\n", o->listen_text,
			strerror(-fd));
		return -1;
	}
	fprintf(stderr, "cdc-bench: ideal responder on %s, %lu entries\n", o->listen_text,
		o->entries);
	uint64_t t0 = now_ns();
	int rc = ideal_serve(&id, b->base, fd, o->entries, o->success_flag, o->duration);
	report_add(r, "entries", (double)o->entries, "");
	report_add(r, "connections", (double)id.conns, "");
	report_add(r, "commands", (double)id.cmds, "");
	report_add(r, "uptime", secs_since(t0), "s");
	return rc;
}

/* The ideal responder in a child process of its own, as the daemon is: it gets its own CPU
 * rather than sharing the bench's loop. Bound by time and by this process's life. */
static pid_t ideal_fork(unsigned long entries, bool success, double bound, struct sockaddr_in *sa)
{
	int fd = free_port(sa) < 0 ? -1 : listen_socket((struct sockaddr *)sa, sizeof(*sa));

	if (fd < 0)
		return -1;
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid == 0) {
		struct ideal id;
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		struct event_base *base = event_base_new();
		_exit(base && ideal_serve(&id, base, fd, entries, success, bound) == 0 ? 0 : 1);
	}
	close(fd);
	return pid;
}

/* ---- pull: a cdcd pulling from N simulated DDCs ---- */

#define PULL_CHANGES	     5 /* changes timed, each on another DDC */
#define PULL_SPARE	     8 /* entries a simulated DDC can add */
#define PULL_POLL_MS	     5
#define PULL_ARM_TIMEOUT     30.0
#define PULL_CHANGE_TIMEOUT  10.0
#define PULL_DEFAULT_ENTRIES 4
#define PULL_SUBNQN_LEN	     256 /* SUBNQN of a log entry */

/* What the DDCs' process answers to a change request: when it wrote the AEN (CLOCK_MONOTONIC,
 * which both processes share), or ok = 0 when that DDC held no AER. */
struct pull_reply {
	uint32_t ddc;
	uint32_t ok;
	uint64_t t_sent;
};

struct ddcs {
	struct ideal *id;
	unsigned long n;
	int cmd, rep;
};

/* A change on a simulated DDC: one more entry, GENCTR + 1, and the AER it holds completed with
 * the log change notice. The time just before the AEN is written, or 0 without a held AER (or
 * room). The log changes in place: a read of it in flight sees GENCTR move and starts over, as
 * with a real DDC. */
static uint64_t ideal_change(struct ideal *id)
{
	struct ideal_conn *c = id->aer_conn;
	uint8_t r[NVME_TCP_RSP_HLEN];

	if (!c || id->log_len + DISC_LOG_ENTRY > id->log_cap)
		return 0;
	ideal_entry_fill(id, id->nentries++);
	id->log_len += DISC_LOG_ENTRY;
	put_le64(id->log, get_le64(id->log) + 1);
	put_le64(id->log + 8, id->nentries);
	rsp_template(r, AEN_LOG70, 0, 0);
	put_le16(r + NVME_TCP_CH_LEN + 12, id->aer_cid);
	id->aer_conn = NULL;
	uint64_t t = now_ns();
	evbuffer_add(c->out, r, sizeof(r));
	if (!ideal_flush(c))
		ideal_conn_free(c);
	return t;
}

static void ddcs_cmd_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ddcs *d = arg;
	struct pull_reply rp = {0};
	uint32_t k;

	(void)what;
	ssize_t n = read(fd, &k, sizeof(k));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n != (ssize_t)sizeof(k)) {
		/* The bench closed its end: it is done with us. */
		event_base_loopexit(d->id[0].base, NULL);
		return;
	}
	rp.ddc = k;
	rp.t_sent = k < d->n ? ideal_change(&d->id[k]) : 0;
	rp.ok = rp.t_sent != 0;
	if (write(d->rep, &rp, sizeof(rp)) != (ssize_t)sizeof(rp))
		event_base_loopexit(d->id[0].base, NULL);
}

/* The DDCs' process: one ideal responder per listening socket, all on one loop, until the
 * bench closes the command pipe, SIGTERM or bound seconds. It exits afterwards, so what it
 * allocated is left to the exit. */
static int ddcs_serve(struct ddcs *d, const int *fds, unsigned long entries, double bound)
{
	struct event_base *base = event_base_new();
	struct timeval tv = tv_of(bound);

	d->id = calloc(d->n, sizeof(*d->id));
	if (!base || !d->id)
		return -1;
	for (unsigned long i = 0; i < d->n; i++) {
		struct ideal *id = &d->id[i];
		if (ideal_init(id, base, entries, false, (long)i, PULL_SPARE) < 0)
			return -1;
		id->lis = evconnlistener_new(base, ideal_accept_cb, id, LEV_OPT_CLOSE_ON_FREE, 0,
					     fds[i]);
		id->resume = id->lis ? evtimer_new(base, ideal_resume_cb, id->lis) : NULL;
		if (!id->resume)
			return -1;
		evconnlistener_set_error_cb(id->lis, ideal_accept_error_cb);
	}
	struct event *cmd = event_new(base, d->cmd, EV_READ | EV_PERSIST, ddcs_cmd_cb, d);
	struct event *term = evsignal_new(base, SIGTERM, ideal_stop_cb, base);
	struct event *stop = evtimer_new(base, ideal_stop_cb, base);
	if (!cmd || !term || !stop || event_add(cmd, NULL) < 0 || evsignal_add(term, NULL) < 0 ||
	    evtimer_add(stop, &tv) < 0)
		return -1;
	return event_base_dispatch(base) < 0 ? -1 : 0;
}

/* n DDCs with entries each, listening on 127.0.0.1 at ports[i], in a child process of their
 * own so that answering 1000 connections never delays the bench's timestamps. *cmd: write a
 * DDC's number to change it; *rep: its struct pull_reply. Bound by time and by our life. */
static pid_t ddcs_fork(unsigned long n, unsigned long entries, double bound, uint16_t *ports,
		       int *cmd, int *rep)
{
	int *fds = calloc(n, sizeof(*fds)), cp[2] = {-1, -1}, rp[2] = {-1, -1};
	unsigned long i = 0;
	pid_t pid = -1;

	if (!fds)
		return -1;
	for (; i < n; i++) {
		struct sockaddr_in sa = {.sin_family = AF_INET,
					 .sin_addr.s_addr = htonl(0x7f000001)};
		socklen_t len = sizeof(sa);
		/* Port 0: the kernel picks, so no two DDCs (nor another run) race for one. */
		fds[i] = listen_socket((struct sockaddr *)&sa, sizeof(sa));
		if (fds[i] >= 0 && getsockname(fds[i], (struct sockaddr *)&sa, &len) < 0) {
			close(fds[i]);
			fds[i] = -1;
		}
		if (fds[i] < 0)
			goto out;
		ports[i] = ntohs(sa.sin_port);
	}
	if (pipe2(cp, O_CLOEXEC) < 0 || pipe2(rp, O_CLOEXEC) < 0)
		goto out;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		struct ddcs d = {.n = n, .cmd = cp[0], .rep = rp[1]};
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		close(cp[1]);
		close(rp[0]);
		_exit(ddcs_serve(&d, fds, entries, bound) == 0 ? 0 : 1);
	}
	if (pid > 0) {
		*cmd = cp[1];
		*rep = rp[0];
		cp[1] = rp[0] = -1;
	}
out:
	while (i-- > 0)
		close(fds[i]);
	for (int k = 0; k < 2; k++) {
		if (cp[k] >= 0)
			close(cp[k]);
		if (rp[k] >= 0)
			close(rp[k]);
	}
	free(fds);
	return pid;
}

struct pull_wl {
	struct bench *b;
	unsigned long ddcs, per_ddc;
	size_t expected;
	pid_t cdcd;
	int cmd, rep;
	/* until every entry is there: a host polls the header, and reads all when NUMREC is */
	struct event *timer;
	struct nvmf_host *h;
	bool busy, all, dead;
	uint64_t t_all, t_first; /* t_first: the first header read, i.e. the daemon serving */
	size_t seen, first_numrec;
	unsigned long polls, full_reads, poll_conns;
	/* the persistent host */
	struct nvmf_host *ph;
	bool armed, arm_failed, lost, reading, reread;
	unsigned long aens_unexpected, aens_other, aer_failed;
	/* the change under way */
	struct event *rep_ev;
	bool in_flight, replied, refused, child_gone;
	char nqn[PULL_SUBNQN_LEN];
	uint64_t t_sent, t_aen, t_visible;
	uint64_t t_read0, t_read; /* the start of the read that showed the entry, and its end */
	unsigned long rereads;
};

/* Entries pulled from the simulated DDCs in a log; *found: whether nqn is one of them. */
static size_t pull_count(const uint8_t *log, size_t len, const char *nqn, bool *found)
{
	size_t n = 0, plen = strlen(PULL_NQN);

	for (size_t off = DISC_LOG_HDR; off + DISC_LOG_ENTRY <= len; off += DISC_LOG_ENTRY) {
		const char *sub =
			(const char *)log + off + offsetof(struct nvmf_disc_log_entry, subnqn);
		if (strncmp(sub, PULL_NQN, plen))
			continue;
		n++;
		if (nqn && !strncmp(sub, nqn, PULL_SUBNQN_LEN))
			*found = true;
	}
	return n;
}

static void pull_poll_later(struct pull_wl *w)
{
	struct timeval tv = {0, PULL_POLL_MS * 1000};

	w->busy = false;
	evtimer_add(w->timer, &tv);
}

static void pull_poll_drop(struct pull_wl *w)
{
	host_release(w->b->base, w->h);
	w->h = NULL;
	pull_poll_later(w);
}

static void pull_full_cb(struct nvmf_host *h, int err, uint16_t status, const uint8_t *log,
			 size_t len, void *arg)
{
	struct pull_wl *w = arg;

	(void)h;
	if (err || status) {
		pull_poll_drop(w);
		return;
	}
	w->full_reads++;
	w->seen = pull_count(log, len, NULL, NULL);
	if (w->seen < w->expected) {
		pull_poll_later(w);
		return;
	}
	w->t_all = now_ns();
	w->all = true;
	w->busy = false;
}

static void pull_hdr_cb(struct nvmf_host *h, int err, const struct nvme_cqe *cqe,
			const uint8_t *data, uint32_t len, void *arg)
{
	struct pull_wl *w = arg;

	if (err || cqe->status || len < 16) {
		pull_poll_drop(w);
		return;
	}
	if (!w->polls++) {
		w->t_first = now_ns();
		w->first_numrec = get_le64(data + 8);
	}
	/* The whole log only once NUMREC says it can be complete: reading megabytes every few
	 * ms would slow down the daemon being measured. */
	if (get_le64(data + 8) >= w->expected && nvmf_host_disc_log(h, pull_full_cb, w) == 0)
		return;
	pull_poll_later(w);
}

static void pull_poll_connected(struct nvmf_host *h, int err, const struct nvme_cqe *cqe,
				const uint8_t *data, uint32_t len, void *arg)
{
	struct pull_wl *w = arg;

	(void)data;
	(void)len;
	if (err || cqe->status ||
	    nvmf_host_get_log(h, NVME_LOG_LID_DISCOVER, 0, true, 0, 20, pull_hdr_cb, w) < 0)
		pull_poll_drop(w);
	else
		w->poll_conns++;
}

static void pull_poll_cb(evutil_socket_t fd, short what, void *arg)
{
	struct pull_wl *w = arg;
	char nqn[224];
	int err;

	(void)fd;
	(void)what;
	if (waitpid(w->cdcd, NULL, WNOHANG) == w->cdcd) {
		w->dead = true;
		return;
	}
	if (w->all || w->busy)
		return;
	w->busy = true;
	if (w->h) {
		if (nvmf_host_get_log(w->h, NVME_LOG_LID_DISCOVER, 0, true, 0, 20, pull_hdr_cb, w) <
		    0)
			pull_poll_drop(w);
		return;
	}
	snprintf(nqn, sizeof(nqn), BENCH_NQN "%s-probe", w->b->runid);
	w->h = host_start(w->b, nqn, 0, 0, pull_poll_connected, w, &err);
	if (!w->h)
		pull_poll_later(w);
}

static bool pull_all_over(void *arg)
{
	struct pull_wl *w = arg;

	return w->all || w->dead;
}

/* ---- the persistent host that times the changes ---- */

static void pull_read_change(struct pull_wl *w);

static void pull_change_log_cb(struct nvmf_host *h, int err, uint16_t status, const uint8_t *log,
			       size_t len, void *arg)
{
	struct pull_wl *w = arg;
	bool found = false;

	(void)h;
	w->reading = false;
	if (err || status)
		return;
	pull_count(log, len, w->nqn, &found);
	if (w->in_flight && w->t_aen && !w->t_visible) {
		if (found)
			w->t_visible = w->t_read = now_ns();
		else
			w->reread =
				true; /* notified before it can be read: a bug, but keep timing */
	}
	if (w->reread) {
		w->reread = false;
		w->rereads++;
		pull_read_change(w);
	}
}

/* The read after an AEN, which (RAE = 0) also re-arms the event on the daemon. */
static void pull_read_change(struct pull_wl *w)
{
	if (w->reading) {
		w->reread = true;
		return;
	}
	if (nvmf_host_disc_log(w->ph, pull_change_log_cb, w) == 0) {
		w->reading = true;
		w->t_read0 = now_ns();
	}
}

static void pull_aen_cb(struct nvmf_host *h, int err, const struct nvme_cqe *cqe,
			const uint8_t *data, uint32_t len, void *arg)
{
	struct pull_wl *w = arg;
	uint64_t t = now_ns();

	(void)data;
	(void)len;
	if (err)
		return;
	if (cqe->status) {
		w->aer_failed++;
		return;
	}
	nvmf_host_aer(h, pull_aen_cb, w); /* as the Linux host does */
	if (cqe->dw0 != AEN_LOG70) {
		w->aens_other++;
		return;
	}
	if (w->in_flight && !w->t_aen)
		w->t_aen = t;
	else
		w->aens_unexpected++;
	pull_read_change(w);
}

static void pull_armed_cb(struct nvmf_host *h, int err, uint16_t status, const uint8_t *log,
			  size_t len, void *arg)
{
	struct pull_wl *w = arg;

	(void)log;
	(void)len;
	if (err || status || nvmf_host_aer(h, pull_aen_cb, w) < 0)
		w->arm_failed = true;
	else
		w->armed = true;
}

static void pull_ph_closed(struct nvmf_host *h, int err, void *arg)
{
	(void)h;
	(void)err;
	((struct pull_wl *)arg)->lost = true;
}

/* Connected: the change notices enabled, the log read (RAE = 0 at its end), then the AER. */
static void pull_ph_connected(struct nvmf_host *h, int err, const struct nvme_cqe *cqe,
			      const uint8_t *data, uint32_t len, void *arg)
{
	struct pull_wl *w = arg;

	(void)data;
	(void)len;
	if (err || cqe->status) {
		w->arm_failed = true;
		return;
	}
	nvmf_host_on_close(h, pull_ph_closed, w);
	if (nvmf_host_set_features(h, 0x0b, 1u << 31, NULL, NULL) < 0 ||
	    nvmf_host_disc_log(h, pull_armed_cb, w) < 0)
		w->arm_failed = true;
}

static bool pull_arm_over(void *arg)
{
	struct pull_wl *w = arg;

	return w->armed || w->arm_failed;
}

static void pull_reply_cb(evutil_socket_t fd, short what, void *arg)
{
	struct pull_wl *w = arg;
	struct pull_reply rp;

	(void)what;
	ssize_t n = read(fd, &rp, sizeof(rp));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n != (ssize_t)sizeof(rp)) {
		w->child_gone = true;
		event_del(w->rep_ev);
		return;
	}
	w->replied = true;
	w->refused = !rp.ok;
	w->t_sent = rp.t_sent;
}

static bool pull_change_over(void *arg)
{
	struct pull_wl *w = arg;

	return w->child_gone || w->lost || w->refused || (w->replied && w->t_visible);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Median (upper of two) and worst of n values; sorts them. */
static void report_p50_max(struct report *r, const char *name, double *v, size_t n)
{
	char key[48];

	if (!n)
		return;
	qsort(v, n, sizeof(*v), cmp_double);
	snprintf(key, sizeof(key), "%s_p50", name);
	report_add(r, key, v[n / 2], "ms");
	snprintf(key, sizeof(key), "%s_max", name);
	report_add(r, key, v[n - 1], "ms");
}

/* PULL_CHANGES changes, each on another DDC spread over the range, one after the other. */
static int pull_changes(struct pull_wl *w, struct report *r)
{
	struct bench *b = w->b;
	double aen[PULL_CHANGES], vis[PULL_CHANGES], rd[PULL_CHANGES];
	size_t naen = 0, nvis = 0, refused = 0;
	unsigned long done[PULL_CHANGES];
	char nqn[224];
	int err;

	snprintf(nqn, sizeof(nqn), BENCH_NQN "%s-persistent", b->runid);
	w->ph = host_start(b, nqn, 1, 30000, pull_ph_connected, w, &err);
	if (!w->ph || !loop_until(b->base, pull_arm_over, w, PULL_ARM_TIMEOUT) || !w->armed) {
		report_note(r, "the persistent controller could not be armed");
		return -1;
	}
	w->rep_ev = event_new(b->base, w->rep, EV_READ | EV_PERSIST, pull_reply_cb, w);
	if (!w->rep_ev || event_add(w->rep_ev, NULL) < 0)
		return -1;
	for (size_t i = 0; i < PULL_CHANGES && !w->child_gone && !w->lost; i++) {
		uint32_t k = (uint32_t)((2 * i + 1) * w->ddcs / (2 * PULL_CHANGES));
		unsigned long sub = w->per_ddc;

		done[i] = k;
		for (size_t j = 0; j < i; j++)
			sub += done[j] == k; /* fewer DDCs than changes: the same one again */
		ideal_subnqn((long)k, sub, w->nqn, sizeof(w->nqn));
		w->in_flight = true;
		w->replied = w->refused = false;
		w->t_sent = w->t_aen = w->t_visible = 0;
		if (write(w->cmd, &k, sizeof(k)) != (ssize_t)sizeof(k))
			break;
		loop_until(b->base, pull_change_over, w, PULL_CHANGE_TIMEOUT);
		w->in_flight = false;
		refused += w->refused;
		if (w->replied && w->t_sent && w->t_aen)
			aen[naen++] = ms_from(w->t_aen, w->t_sent);
		if (w->replied && w->t_sent && w->t_visible) {
			rd[nvis] = ms_from(w->t_read, w->t_read0);
			vis[nvis++] = ms_from(w->t_visible, w->t_sent);
		}
	}
	report_add(r, "changes", PULL_CHANGES, "");
	report_add(r, "changes_visible", (double)nvis, "");
	report_add(r, "changes_missed", (double)(PULL_CHANGES - nvis), "");
	report_p50_max(r, "change_aen", aen, naen);
	report_p50_max(r, "change_visible", vis, nvis);
	report_p50_max(r, "change_read", rd, nvis);
	report_add(r, "aens_unexpected", (double)w->aens_unexpected, "");
	report_add(r, "aens_other_type", (double)w->aens_other, "");
	if (refused)
		report_note(r, "%zu changes found no AER held by their DDC", refused);
	if (w->lost)
		report_note(r, "the persistent controller was lost");
	return nvis == PULL_CHANGES ? 0 : -1;
}

static int pull_config_write(const struct cdcd_run *c, const uint16_t *ports, unsigned long n)
{
	FILE *f = fopen(c->conf, "ae");

	if (!f)
		return -errno;
	fprintf(f, "\n[ddc]\n");
	for (unsigned long i = 0; i < n; i++)
		fprintf(f, "entry = traddr=127.0.0.1;trsvcid=%u\n", ports[i]);
	return fclose(f) ? -errno : 0;
}

static int pull_measure(struct pull_wl *w, struct cdcd_run *c, pid_t child, struct report *r)
{
	struct bench *b = w->b;
	const struct opts *o = b->o;

	w->timer = evtimer_new(b->base, pull_poll_cb, w);
	if (!w->timer)
		return -1;
	uint64_t t0 = now_ns();
	c->pid = w->cdcd = cdcd_spawn(o->cdcd, c);
	if (c->pid < 0)
		return -1;
	pull_poll_cb(-1, 0, w);
	loop_until(b->base, pull_all_over, w, o->duration);
	double cpu = cpu_of(c->pid), ddcs_cpu = cpu_of(child);
	long rss = rss_kib(c->pid);
	evtimer_del(w->timer);
	host_release(b->base, w->h);
	w->h = NULL;
	report_add(r, "ddcs", (double)w->ddcs, "");
	report_add(r, "entries_per_ddc", (double)w->per_ddc, "");
	report_add(r, "entries_expected", (double)w->expected, "");
	report_add(r, "entries_seen", (double)w->seen, "");
	report_add(r, "header_polls", (double)w->polls, "");
	if (!w->all) {
		report_note(r, w->dead ? "cdcd exited" : "not all entries within --duration");
		return -1;
	}
	double all_ms = ms_from(w->t_all, t0);
	report_add(r, "first_answer_ms", ms_from(w->t_first, t0), "ms");
	report_add(r, "entries_at_first_answer", (double)w->first_numrec, "");
	report_add(r, "all_entries_ms", all_ms, "ms");
	if (cpu >= 0) {
		report_add(r, "server_cpu_to_all", cpu * 1000, "ms");
		report_add(r, "server_cpu", all_ms > 0 ? 100.0 * cpu * 1000 / all_ms : 0, "%");
	}
	if (ddcs_cpu >= 0)
		report_add(r, "ddcs_cpu_to_all", ddcs_cpu * 1000, "ms");
	report_add(r, "server_rss_all", (double)rss, "KiB");
	int rc = pull_changes(w, r);
	report_add(r, "server_rss_end", (double)rss_kib(c->pid), "KiB");
	return rc;
}

static int wl_pull(struct bench *b, struct report *r)
{
	const struct opts *o = b->o;
	struct pull_wl w = {.b = b,
			    .ddcs = o->count,
			    .per_ddc = o->entries,
			    .expected = o->count * o->entries,
			    .cmd = -1,
			    .rep = -1};
	struct cdcd_run c = {0};
	uint16_t *ports = calloc(o->count, sizeof(*ports));
	pid_t child = -1;
	int rc = -1;

	if (!ports)
		return -1;
	child = ddcs_fork(o->count, o->entries, o->duration + 120, ports, &w.cmd, &w.rep);
	if (child < 0) {
		report_note(r, "cannot start %lu simulated DDCs: %s (ulimit -n?)", o->count,
			    strerror(errno));
		goto out;
	}
	if (cdcd_prepare(&c) < 0 || pull_config_write(&c, ports, o->count) < 0) {
		report_note(r, "cannot prepare a state directory");
		goto out;
	}
	memcpy(&b->target, &c.sa, sizeof(c.sa));
	b->target_len = sizeof(c.sa);
	rc = pull_measure(&w, &c, child, r);
	report_note(r,
		    "all_entries = exec of cdcd to the end of the first whole log read holding "
		    "every entry (header polled every %d ms); change = the DDC writing its AEN to "
		    "the persistent host's AEN (aen) and to the end of its whole log read that "
		    "shows the new entry (visible; read: that read alone, 4 KiB per command as "
		    "libnvme reads)",
		    PULL_POLL_MS);
	if (rc)
		report_note(r, "see %s (kept)", c.log);
out:
	if (w.ph)
		nvmf_host_free(w.ph);
	if (w.h)
		nvmf_host_free(w.h);
	if (w.timer)
		event_free(w.timer);
	if (w.rep_ev)
		event_free(w.rep_ev);
	flush_deferred(b->base);
	if (c.pid > 0)
		child_stop(c.pid);
	if (w.cmd >= 0)
		close(w.cmd); /* the DDCs' process exits on this */
	if (child > 0)
		child_stop(child);
	if (w.rep >= 0)
		close(w.rep);
	if (rc == 0 && c.dir[0])
		rm_tree(c.dir);
	free(ports);
	return rc;
}

/* ---- --vs-ideal: the same workload against the ideal responder, in the same run ---- */

static void report_merge(struct report *r, const struct report *t, const struct report *i)
{
	char name[48];

	for (size_t k = 0; k < t->n; k++)
		report_add(r, t->m[k].name, t->m[k].value, t->m[k].unit);
	for (size_t k = 0; k < i->n; k++) {
		snprintf(name, sizeof(name), "ideal.%s", i->m[k].name);
		report_add(r, name, i->m[k].value, i->m[k].unit);
	}
	for (size_t k = 0; k < t->n; k++) {
		const struct metric *m = &t->m[k], *im = report_find(i, m->name);
		if (!im || im->value <= 0 || (strcmp(m->unit, "1/s") && strcmp(m->unit, "us")))
			continue;
		snprintf(name, sizeof(name), "ratio.%s", m->name);
		report_add(r, name, m->value / im->value, "x");
	}
	snprintf(r->note, sizeof(r->note), "%s", t->note);
	if (i->note[0])
		report_note(r, "ideal: %s", i->note);
	report_note(r, "ratio = target / ideal: rates want >= 0.5, latencies <= 2");
}

static int run_vs_ideal(struct bench *b, int (*run)(struct bench *, struct report *),
			struct report *r)
{
	struct report rt = {0}, ri = {0};
	struct probe p;
	struct sockaddr_in sa;

	if (probe_run(b, &p, 0, 10) < 0) {
		report_note(r, "no whole discovery from the target");
		return -1;
	}
	int rc = run(b, &rt);
	struct sockaddr_storage target = b->target;
	socklen_t target_len = b->target_len;
	pid_t server = b->server_pid;
	pid_t pid = ideal_fork(p.numrec, b->o->success_flag, 2 * b->o->duration + 120, &sa);
	if (pid < 0) {
		report_note(r, "cannot start the ideal responder");
		return -1;
	}
	memcpy(&b->target, &sa, sizeof(sa));
	b->target_len = sizeof(sa);
	b->server_pid = pid;
	int rci = run(b, &ri);
	child_stop(pid);
	b->target = target;
	b->target_len = target_len;
	b->server_pid = server;
	report_merge(r, &rt, &ri);
	return rc || rci ? -1 : 0;
}

/* ---- the command line ---- */

struct workload {
	const char *name;
	int (*run)(struct bench *b, struct report *r);
	unsigned int conns;
	double duration;
	unsigned long count;
	bool needs_target;
};

static const struct workload workloads[] = {
	{"reads", wl_reads, 16, 3, 0, true},
	{"sessions", wl_sessions, 16, 3, 0, true},
	{"persistent", wl_persistent, 0, 3, 1000, true},
	{"aen", wl_aen, 0, 5, 200, true},
	{"dim", wl_dim, 4, 60, 2000, true},
	{"restart", wl_restart, 4, 60, 2000, false},
	{"pull", wl_pull, 0, 60, 1000, false},
	{"ideal", wl_ideal, 0, 0, 0, false},
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: cdc-bench WORKLOAD --target ADDR:PORT [--conns N] [--duration SECONDS] "
		"[--json] [OPTIONS]\n"
		"Benchmarks an NVMe/TCP discovery controller (tests/bench/README.md).\n\n"
		"Workloads (quick defaults in brackets):\n"
		"  reads       held connections read the whole log in a loop [--conns 16, 3 s]\n"
		"  sessions    connect, Identify, log, shutdown, close, again [--conns 16, 3 s]\n"
		"  persistent  hold --count controllers with KATO 30 s and an AER [1000, 3 s]\n"
		"  aen         --count armed controllers, one DIM registration [200, wait 5 s]\n"
		"  dim         DDCs register --count subsystem ports [--conns 4, 2000, <= 60 s]\n"
		"  restart     --cdcd PATH: register --count ports, restart, time to discovery "
		"[2000]\n"
		"  pull        --cdcd PATH: pull from --count simulated DDCs of --entries each,\n"
		"              time to all entries and of a DDC's change [1000, 4, <= 60 s]\n"
		"  ideal       --listen ADDR:PORT --entries N: the ideal responder\n"
		"  free-port   print a free TCP port on 127.0.0.1 (for scripts)\n\n"
		"Options:\n"
		"  --target ADDR:PORT   the discovery controller (127.0.0.1:8009, [::1]:8009)\n"
		"  --conns N            concurrent connections or clients\n"
		"  --duration SECONDS   measuring time (persistent: hold; aen: wait; dim, "
		"restart: bound)\n"
		"  --count N            controllers (persistent, aen) or registrations (dim, "
		"restart)\n"
		"  --sources K          bind connections to 127.0.0.2 .. 127.0.0.(K+1)\n"
		"  --pid PID            the target's process: its CPU time and RSS are reported\n"
		"  --depth N            DIM commands outstanding per connection (4)\n"
		"  --per-eid N          registrations per DDC entity before the next (200; 0: "
		"one)\n"
		"  --cdcd PATH          the daemon to start (restart, pull)\n"
		"  --listen ADDR:PORT   where the ideal responder listens\n"
		"  --entries N          log entries of the ideal responder (8) or of each DDC\n"
		"                       (pull: 4)\n"
		"  --vs-ideal           reads, sessions: run the same against an ideal responder\n"
		"                       with as many entries and report the ratio\n"
		"  --json               one JSON object instead of the table\n"
		"  --no-header          the table without its header line\n"
		"  --success-flag       ideal: complete reads with the C2HData SUCCESS flag and\n"
		"                       no CapsuleResp, as SPDK's target does\n"
		"  --dhchap-secret KEY  hosts answer DH-HMAC-CHAP with this DHHC-1 secret\n"
		"  --runid ID           NQNs nqn.2014-08.org.example:bench-ID-... instead of a\n"
		"                       fresh ID, so a keys file can name the session hosts\n"
		"                       (bench-ID-session0 .. session(N-1))\n"
		"  --zones Z            reads, sessions, persistent, aen: start --cdcd PATH with\n"
		"                       zoning (deny) and Z zones, each with a subsystem of\n"
		"                       --entries ports and every Z-th host; aen changes zone 0\n"
		"                       only and fails unless exactly its hosts hear of it\n");
}

static int parse_addr(const char *text, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[64];
	const char *port;
	bool v6 = text[0] == '[';
	const char *end = v6 ? strchr(text, ']') : strrchr(text, ':');

	if (!end || (v6 && end[1] != ':'))
		return -EINVAL;
	size_t hl = v6 ? (size_t)(end - text - 1) : (size_t)(end - text);
	if (hl >= sizeof(host))
		return -EINVAL;
	memcpy(host, text + v6, hl);
	host[hl] = 0;
	port = v6 ? end + 2 : end + 1;
	char *e;
	unsigned long p = strtoul(port, &e, 10);
	if (!*port || *e || p == 0 || p > 65535)
		return -EINVAL;
	memset(ss, 0, sizeof(*ss));
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	if (v6 ? inet_pton(AF_INET6, host, &s6->sin6_addr) != 1
	       : inet_pton(AF_INET, host, &s4->sin_addr) != 1)
		return -EINVAL;
	ss->ss_family = v6 ? AF_INET6 : AF_INET;
	if (v6)
		s6->sin6_port = htons((uint16_t)p);
	else
		s4->sin_port = htons((uint16_t)p);
	*len = v6 ? sizeof(*s6) : sizeof(*s4);
	return 0;
}

static bool parse_ulong(const char *s, unsigned long max, unsigned long *out)
{
	char *e;
	errno = 0;
	unsigned long v = strtoul(s, &e, 10);

	if (!*s || *e || errno || v > max || *s == '-')
		return false;
	*out = v;
	return true;
}

enum {
	OPT_TARGET = 256,
	OPT_LISTEN,
	OPT_CONNS,
	OPT_DURATION,
	OPT_COUNT,
	OPT_SOURCES,
	OPT_PID,
	OPT_DEPTH,
	OPT_PER_EID,
	OPT_CDCD,
	OPT_ENTRIES,
	OPT_JSON,
	OPT_VS_IDEAL,
	OPT_NO_HEADER,
	OPT_SUCCESS_FLAG,
	OPT_SECRET,
	OPT_RUNID,
	OPT_ZONES,
};

static bool parse_number_opt(int c, const char *arg, struct opts *o)
{
	unsigned long v;
	char *e;

	if (c == OPT_DURATION) {
		o->duration = strtod(arg, &e);
		return *arg && !*e && o->duration >= 0 && o->duration <= 86400;
	}
	if (!parse_ulong(arg, 10000000, &v))
		return false;
	switch (c) {
	case OPT_CONNS:
		o->conns = (unsigned int)v;
		return v > 0;
	case OPT_COUNT:
		o->count = v;
		return true;
	case OPT_SOURCES:
		o->sources = (unsigned int)v;
		return v <= 253;
	case OPT_PID:
		o->pid = (pid_t)v;
		return v > 0;
	case OPT_DEPTH:
		o->depth = (unsigned int)v;
		return v > 0 && v < NVMF_HOST_MAX_CMDS;
	case OPT_PER_EID:
		o->per_eid = (unsigned int)v;
		return true;
	case OPT_ENTRIES:
		o->entries = v;
		return v <= 1000000;
	case OPT_ZONES:
		o->zones = v;
		return v > 0 && v <= 65536;
	}
	return false;
}

static bool parse_one(int c, const char *arg, struct opts *o)
{
	switch (c) {
	case OPT_TARGET:
		o->target_text = arg;
		return parse_addr(arg, &o->target, &o->target_len) == 0;
	case OPT_LISTEN:
		o->listen_text = arg;
		return parse_addr(arg, &o->listen, &o->listen_len) == 0;
	case OPT_CDCD:
		o->cdcd = arg;
		return true;
	case OPT_JSON:
		o->json = true;
		return true;
	case OPT_VS_IDEAL:
		o->vs_ideal = true;
		return true;
	case OPT_NO_HEADER:
		o->no_header = true;
		return true;
	case OPT_SUCCESS_FLAG:
		o->success_flag = true;
		return true;
	case OPT_SECRET:
		o->dhchap_secret = arg;
		return strncmp(arg, "DHHC-1:", 7) == 0;
	case OPT_RUNID:
		o->runid = arg;
		return *arg && strlen(arg) < 24 && !strpbrk(arg, " :");
	}
	return parse_number_opt(c, arg, o);
}

/* Fills o; unset numbers are left at ~0 for the workload's defaults. */
static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {{"target", required_argument, NULL, OPT_TARGET},
					   {"listen", required_argument, NULL, OPT_LISTEN},
					   {"conns", required_argument, NULL, OPT_CONNS},
					   {"duration", required_argument, NULL, OPT_DURATION},
					   {"count", required_argument, NULL, OPT_COUNT},
					   {"sources", required_argument, NULL, OPT_SOURCES},
					   {"pid", required_argument, NULL, OPT_PID},
					   {"depth", required_argument, NULL, OPT_DEPTH},
					   {"per-eid", required_argument, NULL, OPT_PER_EID},
					   {"cdcd", required_argument, NULL, OPT_CDCD},
					   {"entries", required_argument, NULL, OPT_ENTRIES},
					   {"json", no_argument, NULL, OPT_JSON},
					   {"vs-ideal", no_argument, NULL, OPT_VS_IDEAL},
					   {"no-header", no_argument, NULL, OPT_NO_HEADER},
					   {"success-flag", no_argument, NULL, OPT_SUCCESS_FLAG},
					   {"dhchap-secret", required_argument, NULL, OPT_SECRET},
					   {"runid", required_argument, NULL, OPT_RUNID},
					   {"zones", required_argument, NULL, OPT_ZONES},
					   {"help", no_argument, NULL, 'h'},
					   {NULL, 0, NULL, 0}};
	int c;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			exit(0);
		}
		if (c == '?' || !parse_one(c, optarg, o)) {
			if (c != '?')
				fprintf(stderr, "cdc-bench: bad value '%s' for --%s\n", optarg,
					lo[c - OPT_TARGET].name);
			return -1;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "cdc-bench: name one workload\n");
		return -1;
	}
	o->workload = argv[optind];
	return 0;
}

static const struct workload *workload_find(const char *name)
{
	for (size_t i = 0; i < sizeof(workloads) / sizeof(workloads[0]); i++)
		if (!strcmp(workloads[i].name, name))
			return &workloads[i];
	return NULL;
}

static void defaults_apply(struct opts *o, const struct workload *wl)
{
	if (o->conns == UINT32_MAX)
		o->conns = wl->conns ? wl->conns : 1;
	if (o->duration < 0)
		o->duration = wl->duration;
	if (o->count == ULONG_MAX)
		o->count = wl->count;
	if (o->entries == ULONG_MAX)
		o->entries = !strcmp(wl->name, "pull") ? PULL_DEFAULT_ENTRIES : 8;
	if (o->depth == UINT32_MAX)
		o->depth = 4;
	if (o->per_eid == UINT32_MAX)
		o->per_eid = 200;
}

static const char *opts_check(const struct opts *o, const struct workload *wl)
{
	if (o->zones && (!o->cdcd || o->target_text || !wl->needs_target || o->sources))
		return "--zones needs --cdcd PATH, and no --target or --sources: it starts a "
		       "zoned cdcd of its own for reads, sessions, persistent or aen";
	if (wl->needs_target && !o->target_text && !o->zones)
		return "--target ADDR:PORT is needed";
	if (!strcmp(wl->name, "restart") && !o->cdcd)
		return "restart needs --cdcd PATH";
	if (!strcmp(wl->name, "pull") && (!o->cdcd || !o->count || !o->entries))
		return "pull needs --cdcd PATH, --count and --entries of at least 1";
	if (!strcmp(wl->name, "ideal") && !o->listen_text)
		return "ideal needs --listen ADDR:PORT";
	if (o->vs_ideal && strcmp(wl->name, "reads") && strcmp(wl->name, "sessions"))
		return "--vs-ideal is for reads and sessions";
	if (o->sources && o->target_text && o->target.ss_family != AF_INET)
		return "--sources needs an IPv4 target";
	return NULL;
}

/* Many connections need many descriptors: take what the hard limit allows. */
static void nofile_raise(const struct opts *o)
{
	bool held = !strcmp(o->workload, "persistent") || !strcmp(o->workload, "aen");
	bool ddcs = !strcmp(o->workload, "dim") || !strcmp(o->workload, "restart");
	unsigned long need = o->conns + 64;
	struct rlimit rl;

	if (held)
		need += o->count;
	else if (!strcmp(o->workload, "pull"))
		need += 2 * o->count; /* the DDCs' process: a listener and a connection each */
	else if (ddcs && o->per_eid)
		need += o->count / o->per_eid;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur != RLIM_INFINITY && need > rl.rlim_cur)
		fprintf(stderr,
			"cdc-bench: %lu descriptors may be needed, the limit is %lu "
			"(ulimit -n)\n",
			need, (unsigned long)rl.rlim_cur);
}

static int print_free_port(void)
{
	struct sockaddr_in sa;

	if (free_port(&sa) < 0)
		return 1;
	printf("%u\n", ntohs(sa.sin_port));
	return 0;
}

/* ---- --zones: a zoned cdcd of our own ---- */

/* The prefix of the NQNs the workload's hosts connect with (pool_init(), sessions) and how
 * many there are. */
static size_t zoned_hosts(const struct bench *b, char *prefix, size_t size)
{
	const struct opts *o = b->o;
	const char *role = "reader";
	size_t n = o->conns;

	if (!strcmp(o->workload, "sessions"))
		role = "session";
	else if (!strcmp(o->workload, "aen") || !strcmp(o->workload, "persistent")) {
		role = o->workload;
		n = o->count;
	}
	snprintf(prefix, size, BENCH_NQN "%s-%s", b->runid, role);
	return n;
}

/* Zoning on, policy deny; one active zone group of --zones zones. Zone z holds subsystem
 * zsub<z> with --entries ports and the workload's hosts i with i % zones == z; zone 0 also
 * the probe host (so --vs-ideal sizes the ideal responder by what a host sees) and the
 * subsystem the aen workload registers. */
static int zoned_config_write(const struct bench *b, const struct cdcd_run *c)
{
	const struct opts *o = b->o;
	char prefix[160];
	size_t nhosts = zoned_hosts(b, prefix, sizeof(prefix));
	FILE *f = fopen(c->conf, "ae");

	if (!f)
		return -errno;
	fprintf(f, "zoning = yes\nzoning-policy = deny\n");
	for (unsigned long z = 0; z < o->zones; z++) {
		fprintf(f, "[subsystem " BENCH_NQN "%s-zsub%lu]\n", b->runid, z);
		for (unsigned long k = 0; k < o->entries; k++)
			fprintf(f, "port = traddr=10.%lu.%lu.1;trsvcid=%lu\n", z / 256, z % 256,
				4420 + k);
	}
	fprintf(f, "[zonegroup bench]\n");
	for (unsigned long z = 0; z < o->zones; z++)
		fprintf(f,
			"zone = z%lu\nmember = z%lu role=subsystem;nqn=" BENCH_NQN "%s-zsub%lu\n",
			z, z, b->runid, z);
	fprintf(f, "member = z0 role=host;nqn=" BENCH_NQN "%s-probe\n", b->runid);
	fprintf(f, "member = z0 role=subsystem;nqn=" BENCH_NQN "%s-aen-sub\n", b->runid);
	for (size_t i = 0; i < nhosts; i++)
		fprintf(f, "member = z%lu role=host;nqn=%s%zu\n", (unsigned long)(i % o->zones),
			prefix, i);
	return fclose(f) ? -errno : 0;
}

/* Starts the zoned cdcd and points the workload at it. */
static int zoned_start(struct bench *b, struct cdcd_run *c, struct report *r)
{
	struct probe p;

	if (cdcd_prepare(c) < 0 || zoned_config_write(b, c) < 0) {
		report_note(r, "cannot prepare a state directory");
		return -1;
	}
	memcpy(&b->target, &c->sa, sizeof(c->sa));
	b->target_len = sizeof(c->sa);
	c->pid = cdcd_spawn(b->o->cdcd, c);
	if (c->pid < 0 || probe_run(b, &p, c->pid, 60) < 0) {
		report_note(r, "the zoned cdcd did not serve; see %s (kept)", c->log);
		return -1;
	}
	b->server_pid = c->pid;
	return 0;
}

static void zoned_stop(struct cdcd_run *c, int rc, struct report *r)
{
	if (c->pid > 0)
		child_stop(c->pid);
	if (rc == 0 && c->dir[0])
		rm_tree(c->dir);
	else if (c->dir[0])
		report_note(r, "see %s (kept)", c->log);
}

static int run(struct opts *o, const struct workload *wl)
{
	struct bench b = {.o = o, .server_pid = o->pid};
	struct report r = {0};
	int rc;

	b.base = event_base_new();
	if (!b.base)
		return 1;
	b.target = o->target;
	b.target_len = o->target_len;
	if (o->runid)
		snprintf(b.runid, sizeof(b.runid), "%s", o->runid);
	else
		snprintf(b.runid, sizeof(b.runid), "%x%05x", (unsigned int)getpid() & 0xffff,
			 (unsigned int)time(NULL) & 0xfffff);
	snprintf(r.workload, sizeof(r.workload), "%s", wl->name);
	struct cdcd_run zoned = {0};
	rc = o->zones ? zoned_start(&b, &zoned, &r) : 0;
	if (!rc)
		rc = o->vs_ideal ? run_vs_ideal(&b, wl->run, &r) : wl->run(&b, &r);
	if (o->zones)
		zoned_stop(&zoned, rc, &r);
	if (o->json)
		report_json(&r, o, rc == 0);
	else
		report_table(&r, o);
	flush_deferred(b.base);
	event_base_free(b.base);
	if (rc)
		fprintf(stderr, "cdc-bench: %s did not complete\n", wl->name);
	return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct opts o = {.conns = UINT32_MAX,
			 .duration = -1,
			 .count = ULONG_MAX,
			 .entries = ULONG_MAX,
			 .depth = UINT32_MAX,
			 .per_eid = UINT32_MAX};

	if (parse_args(argc, argv, &o) < 0) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(o.workload, "free-port"))
		return print_free_port();
	const struct workload *wl = workload_find(o.workload);
	if (!wl) {
		fprintf(stderr, "cdc-bench: unknown workload '%s'\n", o.workload);
		return 2;
	}
	defaults_apply(&o, wl);
	const char *bad = opts_check(&o, wl);
	if (bad) {
		fprintf(stderr, "cdc-bench: %s\n", bad);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	nofile_raise(&o);
	return run(&o, wl);
}
