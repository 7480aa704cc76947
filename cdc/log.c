/* log.c - stderr (plain or journal) or syslog sink with levels, and rate limiting for
 * peer-triggered messages so that a misbehaving client cannot flood the journal. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOG_LINE_MAX 2048

/* The sink is process-wide like syslog's own state: set once in main before the loop. */
static struct {
	bool to_stderr;
	bool journal; /* stderr is a journald stream: "<N>" prefixes */
	int max_level;
} sink = {true, false, LOG_INFO};

/* JOURNAL_STREAM is "DEV:INODE" of the stream systemd connected; it is inherited, so it
 * counts only while stderr is still that stream (not redirected since). */
static bool journal_stream_is(const char *env, const struct stat *st)
{
	unsigned long long dev, ino;
	int end = 0;

	if (!env || sscanf(env, "%llu:%llu%n", &dev, &ino, &end) != 2 || env[end])
		return false;
	return dev == (unsigned long long)st->st_dev && ino == (unsigned long long)st->st_ino;
}

static bool stderr_is_journal(void)
{
	struct stat st;

	return fstat(STDERR_FILENO, &st) == 0 && journal_stream_is(getenv("JOURNAL_STREAM"), &st);
}

void log_open(bool to_stderr, int max_level)
{
	sink.to_stderr = to_stderr;
	sink.journal = to_stderr && stderr_is_journal();
	sink.max_level = max_level;
	if (!to_stderr)
		openlog("cdcd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void log_set_level(int max_level)
{
	sink.max_level = max_level;
}

/* The line's start: "<N>" for the journal, which knows the program's name and shows the
 * priority; "cdcd: LEVEL: " on any other stderr; nothing for syslog, which has both. */
static void line_prefix(char *buf, size_t size, int level)
{
	static const char *const names[] = {"emerg",   "alert",	 "crit", "error",
					    "warning", "notice", "info", "debug"};

	if (!sink.to_stderr)
		buf[0] = 0;
	else if (sink.journal)
		snprintf(buf, size, "<%d>", level & 7);
	else
		snprintf(buf, size, "cdcd: %s: ", names[level & 7]);
}

/* prefix, message, suffix and a newline in line, cut to fit: one write, so that journald
 * or a shared terminal never sees half a message. */
static void format_line(char *line, size_t size, const char *prefix, const char *suffix,
			const char *fmt, va_list ap)
{
	size_t len = (size_t)snprintf(line, size - 1, "%s", prefix);
	int n = vsnprintf(line + len, size - 1 - len, fmt, ap);

	len += n < 0 ? 0 : (size_t)n;
	if (len < size - 2)
		len += (size_t)snprintf(line + len, size - 1 - len, "%s", suffix);
	if (len > size - 2)
		len = size - 2;
	line[len] = '\n';
	line[len + 1] = 0;
}

static void log_vmsg(int level, const char *suffix, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX], prefix[32];

	if (level > sink.max_level)
		return;
	line_prefix(prefix, sizeof(prefix), level);
	format_line(line, sizeof(line), prefix, suffix, fmt, ap);
	if (sink.to_stderr)
		fputs(line, stderr);
	else
		syslog(level, "%.*s", (int)strlen(line) - 1, line);
}

void log_msg(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, "", fmt, ap);
	va_end(ap);
}

/* Whether one more message may go now; the suppressed count stays until one does. */
static bool ratelimit_admit(struct ratelimit *rl, time_t now)
{
	if (now - rl->start >= (time_t)rl->interval) {
		rl->start = now;
		rl->printed = 0;
	}
	if (rl->printed >= rl->burst) {
		rl->missed++;
		return false;
	}
	rl->printed++;
	return true;
}

static void ratelimit_vlog(struct ratelimit *rl, time_t now, int level, const char *fmt,
			   va_list ap)
{
	char suffix[64] = "";

	if (!ratelimit_admit(rl, now))
		return;
	if (rl->missed)
		snprintf(suffix, sizeof(suffix), " (%u similar messages suppressed)", rl->missed);
	rl->missed = 0;
	log_vmsg(level, suffix, fmt, ap);
}

void log_ratelimited(struct ratelimit *rl, int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ratelimit_vlog(rl, time(NULL), level, fmt, ap);
	va_end(ap);
}

void ratelimit_peers_init(struct ratelimit_peers *t, unsigned int interval, unsigned int burst)
{
	memset(t, 0, sizeof(*t));
	t->interval = interval;
	t->burst = burst;
}

/* The address part of peer: "ADDR:PORT" and "[ADDR]:PORT" lose the port; a bare IPv6
 * address (more than one colon, no brackets) is all address. */
static size_t peer_addr_len(const char *peer)
{
	const char *colon = strrchr(peer, ':');

	if (!colon || (peer[0] == '[' ? colon[-1] != ']' : strchr(peer, ':') != colon))
		return strlen(peer);
	return (size_t)(colon - peer);
}

/* The slot of addr, or the free or least recently heard one, reported and reset. */
static struct ratelimit_peer *peer_slot(struct ratelimit_peers *t, const char *addr, size_t len)
{
	struct ratelimit_peer *victim = &t->slot[0];

	for (size_t i = 0; i < RATELIMIT_PEERS; i++) {
		struct ratelimit_peer *p = &t->slot[i];
		if (!strncmp(p->addr, addr, len) && !p->addr[len] && p->addr[0])
			return p;
		if (victim->addr[0] && (!p->addr[0] || p->last < victim->last))
			victim = p;
	}
	if (victim->rl.missed)
		log_msg(LOG_WARNING, "%s: %u similar messages suppressed", victim->addr,
			victim->rl.missed);
	victim->rl = (struct ratelimit)RATELIMIT_INIT(t->interval, t->burst);
	snprintf(victim->addr, sizeof(victim->addr), "%.*s", (int)len, addr);
	return victim;
}

static void peer_vlog(struct ratelimit_peers *t, time_t now, const char *peer, int level,
		      const char *fmt, va_list ap)
{
	size_t len = peer_addr_len(peer);

	if (len >= RATELIMIT_ADDR_MAX)
		len = RATELIMIT_ADDR_MAX - 1;
	struct ratelimit_peer *p = peer_slot(t, peer, len);
	p->last = now;
	ratelimit_vlog(&p->rl, now, level, fmt, ap);
}

void log_peer_ratelimited(struct ratelimit_peers *t, const char *peer, int level,
			  const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	peer_vlog(t, time(NULL), peer, level, fmt, ap);
	va_end(ap);
}
