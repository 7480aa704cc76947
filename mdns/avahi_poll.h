/* avahi_poll.h - an AvahiPoll on a libevent base, so avahi-client runs on the daemon's own
 * loop: watches and timeouts become libevent events, with no thread and no polling. Debian
 * ships no avahi-libevent, hence this adapter. */
#ifndef CDC_AVAHI_POLL_H
#define CDC_AVAHI_POLL_H

#include <avahi-common/watch.h>
#include <event2/event.h>
#include <stddef.h>

struct mdns_poll;

/* 0, or -ENOMEM. The base must outlive the adapter. */
int mdns_poll_new(struct event_base *base, struct mdns_poll **out);

/* What avahi_client_new() takes; valid as long as the adapter. */
const AvahiPoll *mdns_poll_get(const struct mdns_poll *mp);

/* Watches and timeouts still allocated: avahi frees its own, so 0 once its client is gone. */
size_t mdns_poll_pending(const struct mdns_poll *mp);

/* Every watch and timeout must have been freed (avahi_client_free() does). NULL is a no-op. */
void mdns_poll_free(struct mdns_poll *mp);

#endif
