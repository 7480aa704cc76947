/* zone_json.h - zone groups, zones, members and aliases as JSON: one form for the control
 * API, cdcctl and the store's zoning rows, so what is stored is what an administrator
 * wrote and reads back. Pure: no I/O. */
#ifndef CDC_ZONE_JSON_H
#define CDC_ZONE_JSON_H

#include <json-c/json.h>
#include <stddef.h>

#include "zoning.h"

/* A member: {"type": "nqn"|"nqn-ip"|...|"alias", "role": "host"|"subsystem", "nqn",
 * "traddr", "ipproto": "tcp"|"udp", "trsvcid", "portid", "alias"}; only the elements its
 * type names are written. */
struct json_object *zone_member_json(const struct zone_member *m);
/* Parses a member; -EINVAL with why (a short phrase) for one that is not well formed.
 * in_alias: an alias member may not itself be an alias. ipproto defaults to tcp. */
int zone_member_parse(struct json_object *o, bool in_alias, struct zone_member *m,
		      const char **why);

/* Members as an array, and back (*out malloc'ed; NULL when n is 0). */
struct json_object *zone_members_json(const struct zone_member *m, size_t n);
int zone_members_parse(struct json_object *a, bool in_alias, struct zone_member **out, size_t *n,
		       const char **why);

/* Zones as [{"name", "members": [...]}], and back; free with zone_list_free(). */
struct json_object *zone_list_json(const struct zone *zones, size_t n);
int zone_list_parse(struct json_object *a, struct zone **out, size_t *n, const char **why);
void zone_list_free(struct zone *zones, size_t n);

/* Serialized forms for the store: zone_list_json() and zone_members_json() as text
 * (malloc'ed, NULL on ENOMEM), and their parsers. */
char *zone_list_text(const struct zone *zones, size_t n);
int zone_list_from_text(const char *text, struct zone **out, size_t *n);
char *zone_members_text(const struct zone_member *m, size_t n);
int zone_members_from_text(const char *text, struct zone_member **out, size_t *n);

/* A group as the API shows it: name, originator, key, generation, its configured zones,
 * and whether it is active (with the active copy's generation). */
struct json_object *zone_group_json(const struct zone_group *g, const struct zone_group *active);

#endif
