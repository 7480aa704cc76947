/* zone_json.c - zoning's JSON form (see zone_json.h). Member types and roles go by name,
 * addresses as text: the form is for people first, and the store keeps the same bytes. */
#include "zone_json.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <nvme/types.h>

static const struct {
	uint8_t type;
	const char *name;
} member_types[] = {
	{ZMTYPE_NQN, "nqn"},
	{ZMTYPE_NQN_IP, "nqn-ip"},
	{ZMTYPE_NQN_IP_PORT, "nqn-ip-port"},
	{ZMTYPE_NQN_IP_PORT_PORTID, "nqn-ip-port-portid"},
	{ZMTYPE_NQN_PORTID, "nqn-portid"},
	{ZMTYPE_NQN_PROTO_PORTID, "nqn-proto-portid"},
	{ZMTYPE_IP, "ip"},
	{ZMTYPE_IP_PORT, "ip-port"},
	{ZMTYPE_ALIAS, "alias"},
};

#define NTYPES (sizeof(member_types) / sizeof(member_types[0]))

static const char *type_name(uint8_t type)
{
	for (size_t i = 0; i < NTYPES; i++)
		if (member_types[i].type == type)
			return member_types[i].name;
	return "unknown";
}

static void add_str(struct json_object *o, const char *key, const char *v)
{
	json_object_object_add(o, key, json_object_new_string(v));
}

static void add_int(struct json_object *o, const char *key, int64_t v)
{
	json_object_object_add(o, key, json_object_new_int64(v));
}

struct json_object *zone_member_json(const struct zone_member *m)
{
	struct json_object *o = json_object_new_object();
	unsigned els = zone_member_elements(m->type);

	add_str(o, "type", type_name(m->type));
	if (m->type == ZMTYPE_ALIAS) {
		add_str(o, "alias", m->nqn);
		return o;
	}
	add_str(o, "role", m->role == ZONE_ROLE_HOST ? "host" : "subsystem");
	if (els & ZE_NQN)
		add_str(o, "nqn", m->nqn);
	if (els & ZE_TRADDR) {
		char text[INET6_ADDRSTRLEN];
		int af = m->adrfam == NVMF_ADDR_FAMILY_IP6 ? AF_INET6 : AF_INET;
		add_str(o, "traddr", inet_ntop(af, m->traddr, text, sizeof(text)) ? text : "");
	} else if (els & ZE_ADRFAM) {
		add_str(o, "adrfam", m->adrfam == NVMF_ADDR_FAMILY_IP6 ? "ipv6" : "ipv4");
	}
	if (els & ZE_IPPROTO)
		add_str(o, "ipproto", m->ipproto == ZONE_IPPROTO_UDP ? "udp" : "tcp");
	if (els & ZE_TRSVCID)
		add_int(o, "trsvcid", m->trsvcid);
	if (els & ZE_PORTID)
		add_int(o, "portid", m->portid);
	return o;
}

static const char *get_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v)
		       : NULL;
}

/* A number in [0, max], or -1 when absent or out of range. */
static long get_num(struct json_object *o, const char *key, long max)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return -1;
	int64_t n = json_object_get_int64(v);
	return n < 0 || n > max ? -1 : (long)n;
}

static int fail(const char **why, const char *what)
{
	*why = what;
	return -EINVAL;
}

int zone_member_parse(struct json_object *o, bool in_alias, struct zone_member *m, const char **why)
{
	const char *type = get_str(o, "type"), *s;
	unsigned els;

	memset(m, 0, sizeof(*m));
	if (!json_object_is_type(o, json_type_object))
		return fail(why, "a member is not an object");
	for (size_t i = 0; type && i < NTYPES; i++)
		if (!strcasecmp(type, member_types[i].name))
			m->type = member_types[i].type;
	if (!m->type)
		return fail(why, "bad member type");
	if (m->type == ZMTYPE_ALIAS) {
		s = get_str(o, "alias");
		if (!s || strlen(s) >= sizeof(m->nqn))
			return fail(why, "bad alias name");
		strcpy(m->nqn, s);
		return zone_member_check(m, in_alias) ? fail(why, "an alias in an alias") : 0;
	}
	els = zone_member_elements(m->type);
	s = get_str(o, "role");
	m->role = !s				? 0
		  : !strcasecmp(s, "host")	? ZONE_ROLE_HOST
		  : !strcasecmp(s, "subsystem") ? ZONE_ROLE_SUBSYSTEM
						: 0;
	if (!m->role)
		return fail(why, "bad member role (host or subsystem)");
	if (els & ZE_NQN) {
		s = get_str(o, "nqn");
		if (!s || strlen(s) >= sizeof(m->nqn))
			return fail(why, "bad member nqn");
		strcpy(m->nqn, s);
	}
	if (els & ZE_TRADDR) {
		s = get_str(o, "traddr");
		if (s && inet_pton(AF_INET, s, m->traddr) == 1)
			m->adrfam = NVMF_ADDR_FAMILY_IP4;
		else if (s && inet_pton(AF_INET6, s, m->traddr) == 1)
			m->adrfam = NVMF_ADDR_FAMILY_IP6;
		else
			return fail(why, "bad member traddr (a numeric IPv4 or IPv6 address)");
	} else if (els & ZE_ADRFAM) {
		s = get_str(o, "adrfam");
		m->adrfam =
			s && !strcasecmp(s, "ipv6") ? NVMF_ADDR_FAMILY_IP6 : NVMF_ADDR_FAMILY_IP4;
	}
	if (els & ZE_IPPROTO) {
		s = get_str(o, "ipproto");
		m->ipproto = s && !strcasecmp(s, "udp") ? ZONE_IPPROTO_UDP : ZONE_IPPROTO_TCP;
	}
	if (els & ZE_TRSVCID) {
		long v = get_num(o, "trsvcid", 65535);
		if (v < 1)
			return fail(why, "bad member trsvcid");
		m->trsvcid = (uint16_t)v;
	}
	if (els & ZE_PORTID) {
		long v = get_num(o, "portid", 65535);
		if (v < 0)
			return fail(why, "bad member portid");
		m->portid = (uint16_t)v;
	}
	return zone_member_check(m, in_alias) ? fail(why, "bad member") : 0;
}

struct json_object *zone_members_json(const struct zone_member *m, size_t n)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, zone_member_json(&m[i]));
	return a;
}

int zone_members_parse(struct json_object *a, bool in_alias, struct zone_member **out, size_t *n,
		       const char **why)
{
	*out = NULL;
	*n = 0;
	if (!json_object_is_type(a, json_type_array))
		return fail(why, "members is not an array");
	size_t len = json_object_array_length(a);
	struct zone_member *m = len ? calloc(len, sizeof(*m)) : NULL;
	if (len && !m)
		return -ENOMEM;
	for (size_t i = 0; i < len; i++) {
		int err = zone_member_parse(json_object_array_get_idx(a, i), in_alias, &m[i], why);
		if (err) {
			free(m);
			return err;
		}
	}
	*out = m;
	*n = len;
	return 0;
}

struct json_object *zone_list_json(const struct zone *zones, size_t n)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; i < n; i++) {
		struct json_object *z = json_object_new_object();
		add_str(z, "name", zones[i].name);
		json_object_object_add(z, "members",
				       zone_members_json(zones[i].members, zones[i].nmembers));
		json_object_array_add(a, z);
	}
	return a;
}

void zone_list_free(struct zone *zones, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(zones[i].members);
	free(zones);
}

int zone_list_parse(struct json_object *a, struct zone **out, size_t *n, const char **why)
{
	*out = NULL;
	*n = 0;
	if (!json_object_is_type(a, json_type_array))
		return fail(why, "zones is not an array");
	size_t len = json_object_array_length(a);
	struct zone *zs = len ? calloc(len, sizeof(*zs)) : NULL;
	if (len && !zs)
		return -ENOMEM;
	for (size_t i = 0; i < len; i++) {
		struct json_object *z = json_object_array_get_idx(a, i), *members;
		const char *name = get_str(z, "name");
		int err = 0;
		if (!name || !*name || strlen(name) >= sizeof(zs[i].name))
			err = fail(why, "bad zone name");
		else if (!json_object_object_get_ex(z, "members", &members))
			members = NULL;
		if (!err && members)
			err = zone_members_parse(members, false, &zs[i].members, &zs[i].nmembers,
						 why);
		if (err) {
			zone_list_free(zs, i + 1);
			return err;
		}
		strcpy(zs[i].name, name);
	}
	*out = zs;
	*n = len;
	return 0;
}

static char *text_of(struct json_object *o)
{
	const char *s = o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN) : NULL;
	char *copy = s ? strdup(s) : NULL;

	json_object_put(o);
	return copy;
}

char *zone_list_text(const struct zone *zones, size_t n)
{
	return text_of(zone_list_json(zones, n));
}

char *zone_members_text(const struct zone_member *m, size_t n)
{
	return text_of(zone_members_json(m, n));
}

int zone_list_from_text(const char *text, struct zone **out, size_t *n)
{
	struct json_object *a = json_tokener_parse(text);
	const char *why;
	int err = a ? zone_list_parse(a, out, n, &why) : -EINVAL;

	json_object_put(a);
	return err;
}

int zone_members_from_text(const char *text, struct zone_member **out, size_t *n)
{
	struct json_object *a = json_tokener_parse(text);
	const char *why;
	int err = a ? zone_members_parse(a, true, out, n, &why) : -EINVAL;

	json_object_put(a);
	return err;
}

struct json_object *zone_group_json(const struct zone_group *g, const struct zone_group *active)
{
	struct json_object *o = json_object_new_object();

	add_str(o, "name", g->name);
	add_str(o, "originator", g->orig);
	add_int(o, "key", g->key);
	add_int(o, "generation", g->gen);
	json_object_object_add(o, "active", json_object_new_boolean(active != NULL));
	if (active)
		add_int(o, "active_generation", active->gen);
	json_object_object_add(o, "zones", zone_list_json(g->zones, g->nzones));
	return o;
}
