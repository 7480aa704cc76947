/* zoning.h - fabric zoning (NVMe Base 2.1 §8.3.2.3, TP8010): zone groups, zones, members and
 * aliases in a configured and an active database, and the access decision every log page is
 * filtered by. Pure: no I/O, no logging; functions return 0 or a negative errno.
 *
 * The model. A zone group is identified by {name, originator NQN} and carries a key (ZDK) the
 * CDC never hands out twice and a generation bumped on every update (FFFFFFFFh rolls over to 1,
 * so 0 never names a generation). A zone is a list of members; a member names some elements of
 * an endpoint (its type says which, enum zone_member_type) and a role, host or subsystem, or
 * names an alias: a list of members shared by several zones. The configured database is what
 * is edited; the active one is what is enforced. Activating a group copies it from the
 * configured database into the active one with its aliases resolved, in one step that either
 * happens whole or not at all; deactivating removes it. A group is changed only by its
 * originator (or the CDC's administrator).
 *
 * The decision. Host H sees subsystem port P iff some active zone holds a host member matching
 * H and a subsystem member matching P: every element the member's type names must equal the
 * endpoint's, and an element the endpoint does not have (a host has no port ID) matches nothing.
 * Host with host and subsystem with subsystem grant nothing. Entities in no active zone: a host
 * is in no zone when no host member of an active zone matches it; a port is in no zone when no
 * subsystem member of an active zone matches it (one subsystem may have zoned and unzoned ports:
 * each port is one log entry, and so the unit of the decision). With ZONE_POLICY_DENY (the
 * default) they see and are seen by nobody; with ZONE_POLICY_ALLOW the hosts in no zone see the
 * ports in no zone, as if all of them formed one more zone (Fibre Channel's "default zone").
 * Being in a zone is what counts, not what it grants: a host in a zone without subsystems sees
 * nothing, whatever the policy.
 *
 * Costs. Active members are indexed by role and NQN (or address, for the types without an NQN),
 * so zoning_allows() costs O(log members × zones the host is in) and never walks all zones.
 * A host's visibility is the set of active zones it is in (zoning_host_view()): hosts with equal
 * sets see the same ports, so they can share one view. */
#ifndef NVMF_ZONING_H
#define NVMF_ZONING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "tree.h"

#define ZONE_GROUP_NAME_MAX 30	/* ZGNAME, char[30] */
#define ZONE_NAME_MAX	    124 /* ZNAME, char[124] */
#define ZONE_ALIAS_NAME_MAX 124 /* ZMZANAME / ZANAME, char[124] */

/* ZMTYPE: which elements of an endpoint a member names (protocol.md §7.5). */
enum zone_member_type {
	ZMTYPE_NQN = 0x01,		  /* {NQN} */
	ZMTYPE_NQN_IP = 0x02,		  /* {NQN, ADRFAM, TRADDR, IPPROTO} */
	ZMTYPE_NQN_IP_PORT = 0x03,	  /* {NQN, ADRFAM, TRADDR, IPPROTO, TRSVCID} */
	ZMTYPE_NQN_IP_PORT_PORTID = 0x04, /* {NQN, ADRFAM, TRADDR, IPPROTO, TRSVCID, PORTID} */
	ZMTYPE_NQN_PORTID = 0x05,	  /* {NQN, PORTID} */
	ZMTYPE_NQN_PROTO_PORTID = 0x06,	  /* {NQN, IPPROTO, PORTID, ADRFAM} */
	ZMTYPE_IP = 0x11,		  /* {ADRFAM, TRADDR, IPPROTO} */
	ZMTYPE_IP_PORT = 0x12,		  /* {ADRFAM, TRADDR, IPPROTO, TRSVCID} */
	ZMTYPE_ALIAS = 0xEF,		  /* the members of the ZoneAlias ZMZANAME */
};

/* ZMROLE */
enum zone_role {
	ZONE_ROLE_HOST = 1,
	ZONE_ROLE_SUBSYSTEM = 2,
};

/* ZMIPPROTO */
#define ZONE_IPPROTO_TCP 6
#define ZONE_IPPROTO_UDP 0x11

/* The elements of an endpoint a member type may name, as bits. */
enum zone_element {
	ZE_NQN = 1 << 0,
	ZE_ADRFAM = 1 << 1,
	ZE_TRADDR = 1 << 2,
	ZE_IPPROTO = 1 << 3,
	ZE_TRSVCID = 1 << 4,
	ZE_PORTID = 1 << 5,
};

/* What entities in no active zone may do (cdcd.conf). */
enum zone_policy {
	ZONE_POLICY_DENY = 0,
	ZONE_POLICY_ALLOW = 1,
};

/* One member: the elements its type names are meaningful, the others are ignored (and zero). */
struct zone_member {
	uint8_t type;		   /* enum zone_member_type */
	uint8_t role;		   /* enum zone_role; unused for ZMTYPE_ALIAS */
	uint8_t adrfam;		   /* ZMADRFAM: NVMF_ADDR_FAMILY_IP4 (1) or _IP6 (2) */
	uint8_t ipproto;	   /* ZMIPPROTO: ZONE_IPPROTO_TCP or _UDP */
	uint16_t trsvcid;	   /* ZMTRSVCID: TCP/UDP port */
	uint16_t portid;	   /* ZMPORTID */
	uint8_t traddr[16];	   /* ZMTRADDR: binary address; IPv4 in bytes 0-3, the rest zero */
	char nqn[CDC_NQN_MAX + 1]; /* ZMNQN, or ZMZANAME (the alias name) for ZMTYPE_ALIAS */
};

/* An endpoint as zoning sees it: the elements it has (enum zone_element bits) and their values.
 * A port has all of them; a host has no PORTID, and a TRSVCID only if it registered one. */
struct zone_endpoint {
	unsigned has; /* enum zone_element bits */
	uint8_t adrfam, ipproto;
	uint16_t trsvcid, portid;
	uint8_t traddr[16];
	char nqn[CDC_NQN_MAX + 1];
};

/* H: the host NQN and the host's transport address. P: a subsystem port (SUBNQN and the
 * entry's TRTYPE, ADRFAM, TRADDR, TRSVCID, PORTID). */
struct zone_host {
	struct zone_endpoint ep;
};
struct zone_port {
	struct zone_endpoint ep;
};

struct zone {
	char name[ZONE_NAME_MAX + 1];
	size_t nmembers;
	struct zone_member *members;
};

struct zone_group {
	char name[ZONE_GROUP_NAME_MAX + 1]; /* ZGNAME */
	char orig[CDC_NQN_MAX + 1];	    /* ZGORIG */
	uint32_t key;			    /* ZDK: unique, never reused */
	uint32_t gen;			    /* ZGGN: 1.. , bumped on every update */
	size_t nzones;
	struct zone *zones;
};

struct zone_alias {
	char name[ZONE_ALIAS_NAME_MAX + 1];
	size_t nmembers;
	struct zone_member *members; /* any type but ZMTYPE_ALIAS */
};

struct zone_active; /* an active group with its index entries (zoning.c) */
RB_HEAD(zone_index, zone_idx);

struct zoning {
	enum zone_policy policy;
	uint64_t next_key;    /* the next ZDK to hand out; the caller persists it */
	uint64_t next_serial; /* the next active zone's id (see zone_view) */
	/* The configured database. */
	struct zone_group **groups;
	size_t ngroups;
	struct zone_alias **aliases;
	size_t naliases;
	/* The active database and its index of members. */
	struct zone_active **active;
	size_t nactive;
	struct zone_index index;
};

/* What an activation or deactivation changed: the group as it was enforced before (NULL if it
 * was not active; the caller owns it until zoning_change_release()) and as it is now (NULL if
 * no longer active; owned by the zoning). Alias members are resolved in both. */
struct zoning_change {
	struct zone_group *before;
	const struct zone_group *after;
};

/* The set of active zones a host is in, sorted; ZONE_ID_DEFAULT alone for a host in no zone
 * under ZONE_POLICY_ALLOW, empty under DENY. Zone ids are never reused within one struct
 * zoning, so equal views mean equal visibility. hash is for bucketing; compare with
 * zone_view_equal(). */
#define ZONE_ID_DEFAULT UINT64_MAX
struct zone_view {
	size_t n;
	uint64_t *zones;
	uint64_t hash;
};

void zoning_init(struct zoning *z, enum zone_policy policy);
void zoning_free(struct zoning *z);

/* The next generation after gen: FFFFFFFFh rolls over to 1. */
uint32_t zoning_gen_next(uint32_t gen);

/* Elements member type names (enum zone_element bits); 0 for an unknown type or the alias. */
unsigned zone_member_elements(uint8_t type);

/* -EINVAL unless m is a well-formed member (known type, role, ADRFAM, IPPROTO, NQN). */
int zone_member_check(const struct zone_member *m, bool in_alias);

/* Does member m (not an alias) match endpoint e? Roles are not looked at. */
bool zone_member_matches(const struct zone_member *m, const struct zone_endpoint *e);

/* Fill e from an NQN and a log entry's port (TRADDR must be numeric: -EINVAL). A host passes
 * is_host, which leaves out PORTID, and TRSVCID when port->trsvcid is empty. The IP protocol
 * follows TRTYPE: TCP for tcp, UDP for rdma (RoCEv2); other transports have none. */
int zone_endpoint_set(struct zone_endpoint *e, const char *nqn, const struct cdc_port *port,
		      bool is_host);

/* -EPERM unless requester may change a group of originator orig: requester NULL is the CDC's
 * administrator, who may change any group. */
int zoning_check_owner(const char *orig, const char *requester);

/* The configured database. Lookups are by {name, orig}. */
struct zone_group *zoning_group_find(const struct zoning *z, const char *orig, const char *name);
/* Create an empty group of generation 1 with a new key: -EEXIST, -EPERM, -EINVAL, -ENOSPC
 * (keys exhausted), -ENOMEM. */
int zoning_group_create(struct zoning *z, const char *requester, const char *orig, const char *name,
			uint32_t *key);
/* Replace the group's zones with a copy of zones[0..nzones) and bump its generation. The active
 * copy is not touched until the group is activated again. -ENOENT, -EPERM, -EINVAL, -ENOMEM. */
int zoning_group_set(struct zoning *z, const char *requester, const char *orig, const char *name,
		     const struct zone *zones, size_t nzones);
/* Delete a configured group; its key is not handed out again. -EBUSY while it is active. */
int zoning_group_delete(struct zoning *z, const char *requester, const char *orig,
			const char *name);

/* Create or replace an alias (aliases belong to the CDC's administrator). -EINVAL, -ENOMEM. */
int zoning_alias_set(struct zoning *z, const char *name, const struct zone_member *members,
		     size_t nmembers);
/* Delete an alias. Active groups keep what it resolved to; activating a group that still names
 * it fails with -ENOENT. */
int zoning_alias_delete(struct zoning *z, const char *name);
const struct zone_alias *zoning_alias_find(const struct zoning *z, const char *name);

/* Copy the configured group into the active database with its aliases resolved, replacing the
 * active copy if there is one, or remove the active copy. Either all of it happens or, on
 * error, nothing: -ENOENT (no such group, or an alias it names), -EPERM, -ENOMEM. chg says
 * what changed (both NULL when deactivating a group that was not active). */
int zoning_activate(struct zoning *z, const char *requester, const char *orig, const char *name,
		    struct zoning_change *chg);
int zoning_deactivate(struct zoning *z, const char *requester, const char *orig, const char *name,
		      struct zoning_change *chg);
/* Free what chg->before holds. */
void zoning_change_release(struct zoning_change *chg);
const struct zone_group *zoning_active_find(const struct zoning *z, const char *orig,
					    const char *name);
/* The active group of key ZDK (what FZR names a group by), or NULL. */
const struct zone_group *zoning_active_by_key(const struct zoning *z, uint32_t key);

/* Restoring what was stored, and undoing: put a configured group back as it was (its key
 * and generation included; one of the same {orig, name} is replaced), or an active copy
 * (aliases already resolved: -EINVAL if it names one). next_key moves past every key
 * restored. -EINVAL, -ENOMEM; on error nothing changed. */
int zoning_group_restore(struct zoning *z, const struct zone_group *g);
int zoning_active_restore(struct zoning *z, const struct zone_group *resolved);
/* dst becomes a copy of src (dst need not be initialised): both databases, the key counter
 * and the policy. Zone ids in dst are new. -ENOMEM leaves dst empty and freed. */
int zoning_clone(struct zoning *dst, const struct zoning *src);

/* The decision (see the top of this file). */
bool zoning_allows(const struct zoning *z, const struct zone_host *h, const struct zone_port *p);

/* Host h's visibility: -ENOMEM. Free with zone_view_free(). */
int zoning_host_view(const struct zoning *z, const struct zone_host *h, struct zone_view *v);
/* The same for port p: the active zones holding a subsystem member that matches it, or
 * ZONE_ID_DEFAULT alone under ALLOW when there are none. zoning_allows(h, p) is exactly
 * zone_views_meet(host view, port view): a log is filtered for a whole visibility with one
 * port view per entry, computed once per change, instead of one decision per host. */
int zoning_port_view(const struct zoning *z, const struct zone_port *p, struct zone_view *v);
bool zone_views_meet(const struct zone_view *a, const struct zone_view *b);
bool zone_view_equal(const struct zone_view *a, const struct zone_view *b);
void zone_view_free(struct zone_view *v);

#endif
