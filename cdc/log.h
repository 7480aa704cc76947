/* log.h - leveled logging to stderr (foreground) or syslog (daemon), and a rate limit for
 * messages a remote peer can trigger. The sink is chosen once at start, like openlog(3). */
#ifndef CDC_LOG_H
#define CDC_LOG_H

#include <stdbool.h>
#include <syslog.h>
#include <time.h>

void log_open(bool to_stderr, int max_level);
void log_set_level(int max_level);
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* At most burst messages per interval seconds; the suppressed count is reported with
 * the next message that gets through. Embed one per message class in the owning context. */
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

#define log_err(...)   log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARNING, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
