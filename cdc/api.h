/* api.h - the control API: HTTP/1.1 and JSON on a Unix socket (evhttp on the daemon's
 * loop), versioned under /v1, with the metrics and the status page; those alone also on
 * the optional TCP listener http-listen. Reads answer from memory; changes go through the registry,
 * so they are durable before the reply and reach the hosts as AENs like any other. */
#ifndef CDC_API_H
#define CDC_API_H

#include <event2/event.h>

#include "config.h"
#include "disc_ctrl.h"
#include "fabric.h"
#include "queue.h"
#include "registry.h"

#define API_MAX_HEADERS (16 * 1024) /* request line and headers */
#define API_MAX_BODY	(64 * 1024)

struct api;

/* Whether what the control socket needs exists (its group): -EINVAL, said in the log, if
 * not. Checked with the rest of the configuration, so that a bad one is refused at start
 * and a bad reload keeps the socket as it is. */
int api_config_check(const struct cdc_config *cfg);

/* Listen on cfg->control_socket (mode 0660, group cfg->control_socket_group) if set, with
 * every route, and on cfg->http_listen (TCP) if set, with only the read-only ones: GET
 * /metrics and GET / (the status page). cfg must stay valid: its listeners are what the
 * status shows; srv and svc are where the metrics come from. A change of either address
 * takes effect at the next start. */
int api_open(struct event_base *base, const struct cdc_config *cfg, struct registry *reg,
	     struct fabric *f, struct disc_svc *svc, const struct cdc_server *srv,
	     struct api **out);
void api_close(struct api *api);

/* Show what mDNS announces in the status (NULL: nothing). */
struct mdns_pub;
struct mdns_browse;
/* What is published, and what browsing found (either may be NULL). */
void api_set_mdns(struct api *api, const struct mdns_pub *mdns, const struct mdns_browse *found);

/* Serve /v1/ddcs: the DDCs pulled from, and the administrator's additions (NULL: none). */
struct pull;
void api_set_pull(struct api *api, struct pull *pull);
/* Path health, for the subsystems' ports and the metrics. */
struct health;
void api_set_health(struct api *api, struct health *health);

#endif
