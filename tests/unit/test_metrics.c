/* test_metrics.c - the Prometheus text cdcd serves at /metrics: every family announced with
 * HELP and TYPE before its samples, counters named _total, histograms cumulative with +Inf
 * equal to _count, errors only for the statuses that occurred and named from libnvme. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

static struct server_counters sc;
static struct disc_counters dc;
static struct registry_stats rs;
static char *text;

static struct metrics_snapshot snapshot(void)
{
	return (struct metrics_snapshot){
		.version = "9.9.9",
		.start_time = 1700000000.5,
		.genctr = 42,
		.hgenctr = 7,
		.server = {.counters = &sc, .conns = {1, 2, 3, 0}},
		.disc = {.counters = &dc, .controllers = 3, .persistent = 2, .aen_armed = 1},
		.registry = &rs,
	};
}

static const char *render(void)
{
	struct metrics_snapshot m = snapshot();
	size_t len = 0;

	free(text);
	text = NULL;
	FILE *out = open_memstream(&text, &len);
	ck_assert_ptr_nonnull(out);
	ck_assert_int_eq(metrics_render(&m, out), 0);
	ck_assert_int_eq(fclose(out), 0);
	return text;
}

/* The sample line that starts with "name{labels} " (or "name "), as its value. */
static double sample(const char *series)
{
	char want[256];
	snprintf(want, sizeof(want), "\n%s ", series);
	const char *p = strstr(text, want);
	ck_assert_msg(p, "no sample %s in:\n%s", series, text);
	return strtod(p + strlen(want), NULL);
}

static bool has_sample(const char *series)
{
	char want[256];
	snprintf(want, sizeof(want), "\n%s ", series);
	return strstr(text, want) != NULL;
}

static void setup(void)
{
	memset(&sc, 0, sizeof(sc));
	memset(&dc, 0, sizeof(dc));
	memset(&rs, 0, sizeof(rs));
}

static void teardown(void)
{
	free(text);
	text = NULL;
}

START_TEST(gauges_and_counters_carry_the_values_of_the_getters)
{
	sc.accepted = 11;
	sc.refused = 2;
	dc.aens[DISC_STAT_AEN_LOG70] = 5;
	dc.aens[DISC_STAT_AEN_LOG71] = 6;
	dc.log_reads[DISC_STAT_LOG70] = 8;
	dc.auth[DISC_STAT_AUTH_SUCCESS] = 9;
	dc.auth[DISC_STAT_AUTH_FAILURE] = 1;
	dc.log_bytes[DISC_STAT_LOG70] = 8 * 4096;
	rs.registrations[REG_DIM] = 4;
	rs.registrations[REG_ADMIN] = 3;
	rs.registrations[REG_CONFIG] = 1;
	render();
	ck_assert_double_eq(sample("cdcd_start_time_seconds"), 1700000000.5);
	ck_assert_double_eq(sample("cdcd_genctr{log=\"discovery\"}"), 42);
	ck_assert_double_eq(sample("cdcd_genctr{log=\"host_discovery\"}"), 7);
	ck_assert_double_eq(sample("cdcd_connections{state=\"icreq\"}"), 1);
	ck_assert_double_eq(sample("cdcd_connections{state=\"connecting\"}"), 2);
	ck_assert_double_eq(sample("cdcd_connections{state=\"live\"}"), 3);
	ck_assert_double_eq(sample("cdcd_connections_accepted_total"), 11);
	ck_assert_double_eq(sample("cdcd_connections_refused_total"), 2);
	ck_assert_double_eq(sample("cdcd_controllers"), 3);
	ck_assert_double_eq(sample("cdcd_controllers_persistent"), 2);
	ck_assert_double_eq(sample("cdcd_controllers_aen_armed"), 1);
	ck_assert_double_eq(sample("cdcd_aens_sent_total{type=\"discovery_log_change\"}"), 5);
	ck_assert_double_eq(sample("cdcd_aens_sent_total{type=\"host_discovery_log_change\"}"), 6);
	ck_assert_double_eq(sample("cdcd_log_reads_total{log=\"discovery\"}"), 8);
	ck_assert_double_eq(sample("cdcd_authentications_total{result=\"success\"}"), 9);
	ck_assert_double_eq(sample("cdcd_authentications_total{result=\"failure\"}"), 1);
	ck_assert_double_eq(sample("cdcd_log_read_bytes_total{log=\"discovery\"}"), 8 * 4096);
	ck_assert_double_eq(sample("cdcd_log_reads_total{log=\"host_discovery\"}"), 0);
	ck_assert_double_eq(sample("cdcd_registrations_total{source=\"dim\"}"), 4);
	ck_assert_double_eq(sample("cdcd_registrations_total{source=\"admin\"}"), 3);
	ck_assert_double_eq(sample("cdcd_registrations_total{source=\"config\"}"), 1);
	ck_assert_double_eq(sample("cdcd_registrations_total{source=\"pull\"}"), 0);
	ck_assert(strstr(text, "cdcd_build_info{version=\"9.9.9\"} 1\n"));
}
END_TEST

START_TEST(every_family_is_announced_once_before_its_samples)
{
	render();
	for (const char *line = text; *line; line = strchr(line, '\n') + 1) {
		char name[128];
		if (!strncmp(line, "# TYPE ", 7)) {
			ck_assert_int_eq(sscanf(line + 7, "%127s", name), 1);
			/* Counters end in _total, the rest do not pretend to. */
			bool total = strlen(name) > 6 && !strcmp(name + strlen(name) - 6, "_total");
			ck_assert_msg(total == !strncmp(strchr(line + 7, ' '), " counter", 8), "%s",
				      name);
			char help[160];
			snprintf(help, sizeof(help), "# HELP %s ", name);
			const char *h = strstr(text, help);
			ck_assert_msg(h && h < line, "no HELP before TYPE of %s", name);
			snprintf(help, sizeof(help), "# TYPE %s ", name);
			ck_assert_ptr_eq(strstr(line + 1, help), NULL); /* once */
		} else if (line[0] != '#') {
			ck_assert_int_eq(sscanf(line, "%127[a-z_]", name), 1);
			ck_assert_msg(!strncmp(name, "cdcd_", 5), "%s", line);
		}
	}
	ck_assert(text[strlen(text) - 1] == '\n');
}
END_TEST

START_TEST(histogram_buckets_are_cumulative_and_inf_equals_count)
{
	/* le is "less than or equal": a value on a bound is in that bound's bucket. */
	histogram_observe(&rs.dim_latency, 0.001);
	histogram_observe(&rs.dim_latency, 0.0011);
	histogram_observe(&rs.dim_latency, 0.00001);
	histogram_observe(&rs.dim_latency, 60);
	render();
	ck_assert_double_eq(sample("cdcd_dim_latency_seconds_bucket{le=\"5e-05\"}"), 1);
	ck_assert_double_eq(sample("cdcd_dim_latency_seconds_bucket{le=\"0.0005\"}"), 1);
	ck_assert_double_eq(sample("cdcd_dim_latency_seconds_bucket{le=\"0.001\"}"), 2);
	ck_assert_double_eq(sample("cdcd_dim_latency_seconds_bucket{le=\"0.0025\"}"), 3);
	ck_assert_double_eq(sample("cdcd_dim_latency_seconds_bucket{le=\"5\"}"), 3);
	ck_assert_double_eq(sample("cdcd_dim_latency_seconds_bucket{le=\"+Inf\"}"), 4);
	ck_assert_double_eq(sample("cdcd_dim_latency_seconds_count"), 4);
	ck_assert_double_eq_tol(sample("cdcd_dim_latency_seconds_sum"), 60.00211, 1e-9);
	ck_assert_double_eq(sample("cdcd_store_commit_duration_seconds_count"), 0);
	ck_assert_double_eq(sample("cdcd_store_commit_duration_seconds_bucket{le=\"+Inf\"}"), 0);
}
END_TEST

START_TEST(errors_are_listed_by_the_status_that_occurred)
{
	uint16_t invalid_field = nvme_status(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD, true);
	uint16_t bad_dim = nvme_status(NVME_SCT_CMD_SPECIFIC, NVME_SC_INVALID_DISCOVERY_INFO, true);

	sc.status[0] = 100;
	sc.status[invalid_field & (QUEUE_NSTATUS - 1)] = 3;
	sc.status[bad_dim & (QUEUE_NSTATUS - 1)] = 2;
	sc.status[0x1ff] = 1; /* nothing cdcd sends */
	render();
	ck_assert_double_eq(
		sample("cdcd_command_errors_total{status=\"invalid_field\",code=\"0x002\"}"), 3);
	ck_assert_double_eq(sample("cdcd_command_errors_total{status=\"invalid_discovery_info\","
				   "code=\"0x12f\"}"),
			    2);
	ck_assert_double_eq(sample("cdcd_command_errors_total{status=\"other\",code=\"0x1ff\"}"),
			    1);
	ck_assert(!has_sample("cdcd_command_errors_total{status=\"internal\",code=\"0x006\"}"));
	ck_assert_double_eq(sample("cdcd_command_successes_total"), 100);
	ck_assert_str_eq(nvme_status_name(invalid_field), "invalid_field");
	ck_assert_ptr_eq(nvme_status_name(0x1ff), NULL);
}
END_TEST

START_TEST(a_failing_stream_is_reported)
{
	struct metrics_snapshot m = snapshot();
	FILE *out = fopen("/dev/full", "w");

	ck_assert_ptr_nonnull(out);
	setvbuf(out, NULL, _IONBF, 0);
	ck_assert_int_eq(metrics_render(&m, out), -EIO);
	fclose(out);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("metrics");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, gauges_and_counters_carry_the_values_of_the_getters);
	tcase_add_test(tc, every_family_is_announced_once_before_its_samples);
	tcase_add_test(tc, histogram_buckets_are_cumulative_and_inf_equals_count);
	tcase_add_test(tc, errors_are_listed_by_the_status_that_occurred);
	tcase_add_test(tc, a_failing_stream_is_reported);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
