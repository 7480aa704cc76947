/* sdnotify.h - tell systemd (sd_notify(3)) when cdcd is ready, reloading or stopping, what
 * it is serving, and that its loop still turns (the watchdog). Without NOTIFY_SOCKET in the
 * environment it does nothing: every function accepts the NULL that sdnotify_open gives. */
#ifndef CDC_SDNOTIFY_H
#define CDC_SDNOTIFY_H

#include <event2/event.h>
#include <stddef.h>

struct sdnotify;

/* Writes the daemon's one-line status (no newline) into buf. */
typedef void sdnotify_status_fn(void *arg, char *buf, size_t size);

/* *out is NULL when not started by systemd (no NOTIFY_SOCKET). Otherwise a timer on base
 * sends STATUS= when status() says something new, at most once a second, and, if the
 * service has WatchdogSec= (sd_watchdog_enabled(3)), WATCHDOG=1 at half that interval.
 * Returns 0 or -ENOMEM. */
int sdnotify_open(struct event_base *base, sdnotify_status_fn *status, void *arg,
		  struct sdnotify **out);
void sdnotify_close(struct sdnotify *n);

/* READY=1 with the current STATUS=: listeners bound, store loaded, or a reload done. */
void sdnotify_ready(struct sdnotify *n);
/* RELOADING=1: a SIGHUP is being handled; sdnotify_ready() ends it. */
void sdnotify_reloading(struct sdnotify *n);
/* STOPPING=1: shutting down. */
void sdnotify_stopping(struct sdnotify *n);

#endif
