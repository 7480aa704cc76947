/* sdnotify.c - the sd_notify(3) side of Type=notify. The watchdog is kicked from a timer on
 * the event loop itself, not from a thread, so a loop that no longer turns stops kicking
 * and systemd restarts the daemon. STATUS= is polled once a second and sent only when it
 * changed: status changes with every connection, and systemd need not hear each one. */
#include "sdnotify.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "log.h"

struct sdnotify {
	sdnotify_status_fn *status;
	void *arg;
	struct event *status_timer;
	struct event *watchdog_timer;
	char sent[256]; /* the STATUS= systemd has */
	bool warned;
};

/* One sd_notify; a failure is logged once, since it would repeat every second. */
static void send_state(struct sdnotify *n, const char *state)
{
	int r = sd_notify(0, state);

	if (r < 0 && !n->warned) {
		log_warn("sd_notify: %s; systemd does not hear from cdcd", strerror(-r));
		n->warned = true;
	}
}

/* Sends "<prefix>STATUS=..." if the status changed or a prefix must go anyway. */
static void send_status(struct sdnotify *n, const char *prefix)
{
	char now[sizeof(n->sent)], msg[sizeof(n->sent) + 64];

	n->status(n->arg, now, sizeof(now));
	if (!prefix[0] && !strcmp(now, n->sent))
		return;
	snprintf(msg, sizeof(msg), "%sSTATUS=%s", prefix, now);
	snprintf(n->sent, sizeof(n->sent), "%s", now);
	send_state(n, msg);
}

static void status_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	send_status(arg, "");
}

static void watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	send_state(arg, "WATCHDOG=1");
}

static int timer_start(struct event_base *base, event_callback_fn cb, struct sdnotify *n,
		       uint64_t usec, struct event **out)
{
	struct timeval tv = {(time_t)(usec / 1000000), (suseconds_t)(usec % 1000000)};

	*out = event_new(base, -1, EV_PERSIST, cb, n);
	if (!*out || event_add(*out, &tv) < 0)
		return -ENOMEM;
	return 0;
}

int sdnotify_open(struct event_base *base, sdnotify_status_fn *status, void *arg,
		  struct sdnotify **out)
{
	uint64_t usec = 0;

	*out = NULL;
	if (!getenv("NOTIFY_SOCKET"))
		return 0;
	struct sdnotify *n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->status = status;
	n->arg = arg;
	int err = timer_start(base, status_cb, n, 1000000, &n->status_timer);
	/* > 0 only if WATCHDOG_USEC is set and WATCHDOG_PID, if set, is this process. */
	if (!err && sd_watchdog_enabled(0, &usec) > 0 && usec) {
		log_info("systemd watchdog: every %llu ms", (unsigned long long)usec / 2000);
		err = timer_start(base, watchdog_cb, n, usec / 2, &n->watchdog_timer);
	}
	if (err) {
		sdnotify_close(n);
		return err;
	}
	*out = n;
	return 0;
}

void sdnotify_close(struct sdnotify *n)
{
	if (!n)
		return;
	if (n->watchdog_timer)
		event_free(n->watchdog_timer);
	if (n->status_timer)
		event_free(n->status_timer);
	free(n);
}

void sdnotify_ready(struct sdnotify *n)
{
	if (n)
		send_status(n, "READY=1\n");
}

void sdnotify_reloading(struct sdnotify *n)
{
	struct timespec ts;
	char msg[64];

	if (!n)
		return;
	/* systemd 253 and later match the reload to this timestamp (Type=notify-reload). */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
		 (unsigned long long)ts.tv_sec * 1000000 + (unsigned long long)ts.tv_nsec / 1000);
	send_state(n, msg);
}

void sdnotify_stopping(struct sdnotify *n)
{
	if (n)
		send_state(n, "STOPPING=1");
}
