/* log.h - leveled logging to stderr (foreground) or syslog (daemon), and rate limits for
 * messages a remote peer can trigger. The sink is chosen once at start, like openlog(3). */
#ifndef CDC_LOG_H
#define CDC_LOG_H

#include <stdbool.h>
#include <syslog.h>
#include <time.h>

/* On stderr, each line starts with "<N>" (its syslog level) when stderr is the journal
 * (JOURNAL_STREAM names stderr's device and inode, see sd-daemon(3)), so that journald
 * keeps the priority; anywhere else it reads "cdcd: LEVEL: message". */
void log_open(bool to_stderr, int max_level);
void log_set_level(int max_level);
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* At most burst messages per interval seconds; the next message that gets through says
 * how many were suppressed: "... (N similar messages suppressed)". Embed one per message
 * class in the owning context. */
struct ratelimit {
	time_t start;
	unsigned int interval, burst, printed, missed;
};
#define RATELIMIT_INIT(interval_s, burst_n)                                                        \
	{                                                                                          \
		0, (interval_s), (burst_n), 0, 0                                                   \
	}
void log_ratelimited(struct ratelimit *rl, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The same limit per peer address, so that one misbehaving host neither floods the log nor
 * silences what the others cause. The table is bounded: the peer heard from longest ago
 * makes room for a new one, and its suppressed count, if any, is logged as it goes. */
#define RATELIMIT_PEERS	   64
#define RATELIMIT_ADDR_MAX 48 /* "[" INET6_ADDRSTRLEN "]" */
struct ratelimit_peer {
	char addr[RATELIMIT_ADDR_MAX]; /* "" for a free slot */
	time_t last;                   /* when last heard from */
	struct ratelimit rl;
};
struct ratelimit_peers {
	unsigned int interval, burst;
	struct ratelimit_peer slot[RATELIMIT_PEERS];
};
void ratelimit_peers_init(struct ratelimit_peers *t, unsigned int interval, unsigned int burst);
/* peer is an address, "ADDR:PORT" or "[ADDR]:PORT": every port of an address shares its
 * limit, since a host that reconnects comes from a new port each time. */
void log_peer_ratelimited(struct ratelimit_peers *t, const char *peer, int level,
			  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#define log_err(...)   log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARNING, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
