/* histogram.h - a latency histogram with fixed bucket boundaries in seconds, as Prometheus
 * wants them: the modules that time something keep one, metrics.c renders it. Fixed bounds
 * keep an observation O(buckets) with no allocation, on the event loop. */
#ifndef CDC_HISTOGRAM_H
#define CDC_HISTOGRAM_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Upper bounds (le) in seconds; +Inf follows. From 50 us (a DIM committed in a batch on a
 * fast disk) to 5 s (an fsync on a stalled one). */
#define HISTOGRAM_BOUNDS                                                                           \
	{                                                                                          \
		0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,    \
			0.25, 0.5, 1, 2.5, 5                                                       \
	}
#define HISTOGRAM_NBOUNDS 16

struct histogram {
	uint64_t bucket[HISTOGRAM_NBOUNDS + 1]; /* per bucket, not cumulative; the last is +Inf */
	uint64_t count;
	double sum; /* seconds */
};

static inline void histogram_observe(struct histogram *h, double seconds)
{
	static const double bounds[HISTOGRAM_NBOUNDS] = HISTOGRAM_BOUNDS;
	size_t i = 0;

	while (i < HISTOGRAM_NBOUNDS && seconds > bounds[i])
		i++;
	h->bucket[i]++;
	h->count++;
	h->sum += seconds;
}

/* Seconds from start to now on the monotonic clock (what latency is measured on: the wall
 * clock may step). */
static inline double histogram_since(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

#endif
