/* metrics.c - Prometheus text exposition of the counters the modules keep. Names follow
 * the conventions (cdcd_ prefix, _total for counters, base units: seconds and bytes);
 * every family is written even when zero, so that a rate() has a series from the start. */
#include "metrics.h"

#include <errno.h>
#include <inttypes.h>
#include <nvme/types.h>

static void family(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void counter(FILE *out, const char *name, const char *help, uint64_t v)
{
	family(out, name, "counter", help);
	fprintf(out, "%s %" PRIu64 "\n", name, v);
}

static void gauge(FILE *out, const char *name, const char *help, double v)
{
	family(out, name, "gauge", help);
	fprintf(out, "%s %.17g\n", name, v);
}

static void histogram(FILE *out, const char *name, const char *help, const struct histogram *h)
{
	static const double bounds[HISTOGRAM_NBOUNDS] = HISTOGRAM_BOUNDS;
	uint64_t cum = 0;

	family(out, name, "histogram", help);
	for (size_t i = 0; i < HISTOGRAM_NBOUNDS; i++) {
		cum += h->bucket[i];
		fprintf(out, "%s_bucket{le=\"%g\"} %" PRIu64 "\n", name, bounds[i], cum);
	}
	/* Not cum + the last bucket: count is what every bucket adds up to, by definition. */
	fprintf(out, "%s_bucket{le=\"+Inf\"} %" PRIu64 "\n", name, h->count);
	fprintf(out, "%s_sum %.17g\n%s_count %" PRIu64 "\n", name, h->sum, name, h->count);
}

static void connections(FILE *out, const struct server_stats *s)
{
	static const char *const states[QUEUE_CONN_NSTATES] = {"icreq", "connecting", "live",
							       "closing"};

	family(out, "cdcd_connections", "gauge",
	       "NVMe/TCP connections open, by state: waiting for the ICReq, for the Connect, "
	       "associated, closing.");
	for (int i = 0; i < QUEUE_CONN_NSTATES; i++)
		fprintf(out, "cdcd_connections{state=\"%s\"} %zu\n", states[i], s->conns[i]);
	counter(out, "cdcd_connections_accepted_total", "NVMe/TCP connections accepted.",
		s->counters->accepted);
	counter(out, "cdcd_connections_refused_total",
		"NVMe/TCP connections refused by max-connections or max-connections-per-source.",
		s->counters->refused);
}

static void controllers(FILE *out, const struct disc_stats *d)
{
	gauge(out, "cdcd_controllers", "Discovery controllers associated (Connect done).",
	      (double)d->controllers);
	gauge(out, "cdcd_controllers_persistent",
	      "Discovery controllers with a keep-alive timeout (persistent discovery).",
	      (double)d->persistent);
	gauge(out, "cdcd_controllers_aen_armed",
	      "Discovery controllers holding an Asynchronous Event Request.", (double)d->aen_armed);
}

static void aens_and_logs(FILE *out, const struct disc_counters *c)
{
	static const char *const aens[DISC_STAT_NAENS] = {"discovery_log_change",
							  "host_discovery_log_change"};
	static const char *const logs[DISC_STAT_NLOGS] = {"discovery", "host_discovery",
							  "supported_log_pages"};

	family(out, "cdcd_aens_sent_total", "counter",
	       "Asynchronous Event Notifications completed, by event.");
	for (int i = 0; i < DISC_STAT_NAENS; i++)
		fprintf(out, "cdcd_aens_sent_total{type=\"%s\"} %" PRIu64 "\n", aens[i],
			c->aens[i]);
	family(out, "cdcd_authentications_total", "counter",
	       "DH-HMAC-CHAP transactions completed, by result.");
	fprintf(out, "cdcd_authentications_total{result=\"success\"} %" PRIu64 "\n",
		c->auth[DISC_STAT_AUTH_SUCCESS]);
	fprintf(out, "cdcd_authentications_total{result=\"failure\"} %" PRIu64 "\n",
		c->auth[DISC_STAT_AUTH_FAILURE]);
	family(out, "cdcd_log_reads_total", "counter", "Get Log Page commands answered, by log.");
	for (int i = 0; i < DISC_STAT_NLOGS; i++)
		fprintf(out, "cdcd_log_reads_total{log=\"%s\"} %" PRIu64 "\n", logs[i],
			c->log_reads[i]);
	family(out, "cdcd_log_read_bytes_total", "counter",
	       "Bytes of log pages returned by Get Log Page, by log.");
	for (int i = 0; i < DISC_STAT_NLOGS; i++)
		fprintf(out, "cdcd_log_read_bytes_total{log=\"%s\"} %" PRIu64 "\n", logs[i],
			c->log_bytes[i]);
}

/* Only the statuses that occurred: 2047 series of zeros would drown the page. */
static void errors(FILE *out, const struct server_counters *c)
{
	family(out, "cdcd_command_errors_total", "counter",
	       "Commands completed with an error, by NVMe status (SCT and SC).");
	for (uint16_t st = 1; st < QUEUE_NSTATUS; st++) {
		const char *name = nvme_status_name(st);
		if (c->status[st])
			fprintf(out,
				"cdcd_command_errors_total{status=\"%s\",code=\"0x%03x\"} %" PRIu64
				"\n",
				name ? name : "other", st, c->status[st]);
	}
	counter(out, "cdcd_command_successes_total",
		"Commands completed successfully (AENs and DIMs included).", c->status[0]);
}

static void registrations(FILE *out, const struct registry_stats *r)
{
	static const char *const sources[REG_NSOURCES] = {
		[REG_CONFIG] = "config",       [REG_DIM] = "dim",
		[REG_IMPLICIT] = NULL,	       [REG_PULL] = "pull",
		[REG_KICKSTART] = "kickstart", [REG_ADMIN] = "admin"};

	family(out, "cdcd_registrations_total", "counter",
	       "Registrations committed, by source: DIM commands, admin API changes, "
	       "configuration (re)loads, pull registration.");
	for (int i = 0; i < REG_NSOURCES; i++)
		if (sources[i])
			fprintf(out, "cdcd_registrations_total{source=\"%s\"} %" PRIu64 "\n",
				sources[i], r->registrations[i]);
	histogram(out, "cdcd_dim_latency_seconds",
		  "From a DIM command parsed to its completion (committed, or refused).",
		  &r->dim_latency);
	histogram(out, "cdcd_store_commit_duration_seconds",
		  "One commit of the store (SQLite, WAL, synchronous).", &r->commit_latency);
}

static void pull(FILE *out, const struct pull_stats *p)
{
	const struct {
		const char *name;
		size_t n;
	} states[] = {{"connected", p->connected},
		      {"connecting", p->connecting},
		      {"unreachable", p->unreachable},
		      {"withdrawn", p->withdrawn},
		      {"unlisted", p->unlisted}};

	family(out, "cdcd_pull_ddcs", "gauge", "DDCs pulled from, by the state of the connection.");
	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++)
		fprintf(out, "cdcd_pull_ddcs{state=\"%s\"} %zu\n", states[i].name, states[i].n);
	counter(out, "cdcd_pull_logs_read_total", "Discovery logs read from DDCs.", p->pulls);
	counter(out, "cdcd_pull_logs_sent_total",
		"Logs sent to DDCs that asked for them (Send Discovery Log Page).", p->logs_sent);
	family(out, "cdcd_kickstarts_total", "counter",
	       "Kickstart requests from DDCs, by outcome.");
	fprintf(out, "cdcd_kickstarts_total{outcome=\"accepted\"} %" PRIu64 "\n", p->kickstarts);
	fprintf(out, "cdcd_kickstarts_total{outcome=\"refused\"} %" PRIu64 "\n",
		p->kickstarts_refused);
}

static void health(FILE *out, const struct health_stats *h)
{
	counter(out, "cdcd_health_probes_total", "Path health probes completed.", h->probes);
	counter(out, "cdcd_health_probe_failures_total",
		"Path health probes that failed (refused, unreachable, timed out).", h->failures);
	gauge(out, "cdcd_health_ports", "Subsystem ports probed.", (double)h->ports);
	gauge(out, "cdcd_health_ports_down",
	      "Subsystem ports marked down: withheld from the discovery log.", (double)h->down);
}

int metrics_render(const struct metrics_snapshot *m, FILE *out)
{
	family(out, "cdcd_build_info", "gauge", "The version of cdcd running; always 1.");
	fprintf(out, "cdcd_build_info{version=\"%s\"} 1\n", m->version);
	gauge(out, "cdcd_start_time_seconds", "When cdcd started, in seconds since the epoch.",
	      m->start_time);
	family(out, "cdcd_genctr", "gauge", "The generation counter of a log (GENCTR).");
	fprintf(out, "cdcd_genctr{log=\"discovery\"} %" PRIu64 "\n", m->genctr);
	fprintf(out, "cdcd_genctr{log=\"host_discovery\"} %" PRIu64 "\n", m->hgenctr);
	gauge(out, "cdcd_zoned_views",
	      "Zoned discovery log views kept: one per set of zones hosts see, shared by them.",
	      (double)m->zoned_views);
	connections(out, &m->server);
	controllers(out, &m->disc);
	aens_and_logs(out, m->disc.counters);
	errors(out, m->server.counters);
	registrations(out, m->registry);
	if (m->pull)
		pull(out, m->pull);
	health(out, &m->health);
	return ferror(out) ? -EIO : 0;
}
