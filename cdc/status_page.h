/* status_page.h - the read-only HTML status page (GET / on the control socket and on
 * http-listen): subsystems and their ports, hosts, referrals, recent changes, GENCTR and
 * uptime. Pure formatting of the JSON the control API already builds; self-contained
 * (no scripts, fonts or styles from elsewhere), reloads itself, fits a phone's screen. */
#ifndef CDC_STATUS_PAGE_H
#define CDC_STATUS_PAGE_H

#include <json-c/json.h>
#include <stdio.h>

#define STATUS_PAGE_REFRESH 5 /* seconds between reloads */

/* data: {"status": GET /v1/status, "subsystems": [...], "hosts": [...], "referrals": [...],
 * "connections": [...], "changes": [...] (newest last)}, each as the API returns it. Missing
 * members are shown as empty. 0, or -EIO when out failed. */
int status_page_render(struct json_object *data, FILE *out);

#endif
