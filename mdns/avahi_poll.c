/* avahi_poll.c - AvahiPoll on libevent. A watch is one persistent fd event whose flags follow
 * the events avahi asks for; a timeout is one timer. avahi gives deadlines as absolute
 * gettimeofday() times, libevent wants a delay: avahi_age() converts. */
#include "avahi_poll.h"

#include <avahi-common/timeval.h>
#include <errno.h>
#include <stdlib.h>

struct mdns_poll {
	AvahiPoll api; /* api.userdata points back here */
	struct event_base *base;
	size_t nwatches, ntimeouts;
};

struct AvahiWatch {
	struct mdns_poll *mp;
	struct event *ev;
	int fd;
	AvahiWatchEvent revents; /* what woke the callback running now */
	AvahiWatchCallback cb;
	void *userdata;
};

struct AvahiTimeout {
	struct mdns_poll *mp;
	struct event *ev;
	AvahiTimeoutCallback cb;
	void *userdata;
};

static short to_libevent(AvahiWatchEvent e)
{
	/* Errors and hang-ups wake a reader anyway: epoll reports them with any interest. */
	return (short)(((e & (AVAHI_WATCH_IN | AVAHI_WATCH_ERR | AVAHI_WATCH_HUP)) ? EV_READ : 0) |
		       ((e & AVAHI_WATCH_OUT) ? EV_WRITE : 0));
}

static void watch_fired(evutil_socket_t fd, short what, void *arg)
{
	AvahiWatch *w = arg;

	w->revents = (AvahiWatchEvent)(((what & EV_READ) ? AVAHI_WATCH_IN : 0) |
				       ((what & EV_WRITE) ? AVAHI_WATCH_OUT : 0));
	/* The callback may free w: nothing touches it afterwards. */
	w->cb(w, fd, w->revents, w->userdata);
}

static int watch_arm(AvahiWatch *w, AvahiWatchEvent events)
{
	short flags = to_libevent(events);

	if (w->ev)
		event_free(w->ev);
	w->ev = NULL;
	if (!flags)
		return 0;
	w->ev = event_new(w->mp->base, w->fd, (short)(flags | EV_PERSIST), watch_fired, w);
	if (!w->ev || event_add(w->ev, NULL) < 0)
		return -ENOMEM;
	return 0;
}

static AvahiWatch *watch_new(const AvahiPoll *api, int fd, AvahiWatchEvent events,
			     AvahiWatchCallback cb, void *userdata)
{
	AvahiWatch *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->mp = api->userdata;
	w->fd = fd;
	w->cb = cb;
	w->userdata = userdata;
	if (watch_arm(w, events) < 0) {
		if (w->ev)
			event_free(w->ev);
		free(w);
		return NULL;
	}
	w->mp->nwatches++;
	return w;
}

static void watch_update(AvahiWatch *w, AvahiWatchEvent events)
{
	/* avahi has no way to hear of a failure here; event_new() fails only without memory. */
	(void)watch_arm(w, events);
}

static AvahiWatchEvent watch_get_events(AvahiWatch *w)
{
	return w->revents;
}

static void watch_free(AvahiWatch *w)
{
	if (w->ev)
		event_free(w->ev);
	w->mp->nwatches--;
	free(w);
}

static void timeout_fired(evutil_socket_t fd, short what, void *arg)
{
	AvahiTimeout *t = arg;

	(void)fd;
	(void)what;
	t->cb(t, t->userdata);
}

/* NULL disables the timeout; a deadline already past fires on the next loop turn. */
static void timeout_arm(AvahiTimeout *t, const struct timeval *when)
{
	struct timeval delay = {0, 0};

	event_del(t->ev);
	if (!when)
		return;
	AvahiUsec left = -avahi_age(when);
	if (left > 0) {
		delay.tv_sec = (time_t)(left / 1000000);
		delay.tv_usec = (suseconds_t)(left % 1000000);
	}
	event_add(t->ev, &delay);
}

static AvahiTimeout *timeout_new(const AvahiPoll *api, const struct timeval *when,
				 AvahiTimeoutCallback cb, void *userdata)
{
	AvahiTimeout *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->mp = api->userdata;
	t->cb = cb;
	t->userdata = userdata;
	t->ev = evtimer_new(t->mp->base, timeout_fired, t);
	if (!t->ev) {
		free(t);
		return NULL;
	}
	timeout_arm(t, when);
	t->mp->ntimeouts++;
	return t;
}

static void timeout_update(AvahiTimeout *t, const struct timeval *when)
{
	timeout_arm(t, when);
}

static void timeout_free(AvahiTimeout *t)
{
	event_free(t->ev);
	t->mp->ntimeouts--;
	free(t);
}

int mdns_poll_new(struct event_base *base, struct mdns_poll **out)
{
	struct mdns_poll *mp = calloc(1, sizeof(*mp));

	if (!mp)
		return -ENOMEM;
	mp->base = base;
	mp->api.userdata = mp;
	mp->api.watch_new = watch_new;
	mp->api.watch_update = watch_update;
	mp->api.watch_get_events = watch_get_events;
	mp->api.watch_free = watch_free;
	mp->api.timeout_new = timeout_new;
	mp->api.timeout_update = timeout_update;
	mp->api.timeout_free = timeout_free;
	*out = mp;
	return 0;
}

const AvahiPoll *mdns_poll_get(const struct mdns_poll *mp)
{
	return &mp->api;
}

size_t mdns_poll_pending(const struct mdns_poll *mp)
{
	return mp->nwatches + mp->ntimeouts;
}

void mdns_poll_free(struct mdns_poll *mp)
{
	free(mp);
}
