/* metrics.h - the daemon's counters in the Prometheus text exposition format (0.0.4), for
 * GET /metrics. Pure formatting: each module keeps its own counters and hands them out
 * through its stats getter; the caller gathers them here and this only writes text. */
#ifndef CDC_METRICS_H
#define CDC_METRICS_H

#include <stdint.h>
#include <stdio.h>

#include "disc_ctrl.h"
#include "health.h"
#include "pull.h"
#include "queue.h"
#include "registry.h"
#include "status.h"

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct metrics_snapshot {
	const char *version;
	double start_time;	  /* seconds since the epoch */
	uint64_t genctr, hgenctr; /* logs 70h and 71h */
	size_t zoned_views;	  /* one per distinct visibility (fabric_zone_nviews()) */
	struct server_stats server;
	struct disc_stats disc;
	const struct registry_stats *registry;
	const struct pull_stats *pull; /* NULL: no pull registration */
	struct health_stats health;    /* zeros while health-check is off */
};

/* Write every family to out. 0, or -EIO when out failed (a full memory stream). */
int metrics_render(const struct metrics_snapshot *m, FILE *out);

#endif
