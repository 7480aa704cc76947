/* log.c - stderr or syslog sink with levels, and rate limiting for peer-triggered messages
 * so that a misbehaving client cannot flood the journal. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>

/* The sink is process-wide like syslog's own state: set once in main before the loop. */
static struct {
	bool to_stderr;
	int max_level;
} sink = {true, LOG_INFO};

void log_open(bool to_stderr, int max_level)
{
	sink.to_stderr = to_stderr;
	sink.max_level = max_level;
	if (!to_stderr)
		openlog("cdcd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void log_set_level(int max_level)
{
	sink.max_level = max_level;
}

static void log_vmsg(int level, const char *fmt, va_list ap)
{
	static const char *const names[] = {"emerg",   "alert",	 "crit", "error",
					    "warning", "notice", "info", "debug"};

	if (level > sink.max_level)
		return;
	if (!sink.to_stderr) {
		vsyslog(level, fmt, ap);
		return;
	}
	fprintf(stderr, "cdcd: %s: ", names[level & 7]);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void log_msg(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

void log_ratelimited(struct ratelimit *rl, int level, const char *fmt, ...)
{
	time_t now = time(NULL);
	va_list ap;

	if (now - rl->start >= (time_t)rl->interval) {
		if (rl->missed)
			log_msg(LOG_WARNING, "%u messages suppressed", rl->missed);
		rl->start = now;
		rl->printed = rl->missed = 0;
	}
	if (rl->printed >= rl->burst) {
		rl->missed++;
		return;
	}
	rl->printed++;
	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}
