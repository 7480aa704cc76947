/* fabric.h - the fabric model in memory: entities, host registrations, the records of
 * log 70h (from the configuration and from registrations), who is connected, and the
 * generation counters. Pure: no sockets, no SQL. The registry changes it, after the store. */
#ifndef CDC_FABRIC_H
#define CDC_FABRIC_H

#include <nvme/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include "config.h"
#include "disc_log.h"
#include "log_body.h"
#include "model.h"
#include "tree.h"
#include "view.h"
#include "zoning.h"

/* Which logs a change touched. */
enum fabric_changed {
	FABRIC_LOG70 = 1 << 0,
	FABRIC_LOG71 = 1 << 1,
};

/* Live associations per NQN, in an open-addressing hash table: log 71h asks for every
 * host and log 70h for every owner, so a lookup must not walk all connections. */
struct conn_count {
	char nqn[CDC_NQN_MAX + 1];
	unsigned int n; /* 0: a free slot */
};

/* A path appeared (its first record) or went (its last): addr's trtype, adrfam, traddr and
 * trsvcid name it. Called while the registry stages, so it only takes note. */
typedef void (*fabric_path_fn)(void *arg, const struct cdc_port *addr);

/* The zone groups (of originator orig, the CDC) and aliases the configuration declares, by
 * name: what the control API may not change. */
struct fabric_zone_names {
	char orig[CDC_NQN_MAX + 1];
	char (*groups)[ZONE_GROUP_NAME_MAX + 1];
	size_t ngroups;
	char (*aliases)[ZONE_ALIAS_NAME_MAX + 1];
	size_t naliases;
};

struct fabric {
	uint64_t genctr;  /* log 70h as served */
	uint64_t hgenctr; /* log 71h */

	/* Entities, host records (log 71h) and registered records (log 70h): each kept in
	 * order of arrival (the order of the logs) and indexed by its key, and records by
	 * subsystem too. Reach them through the functions below. */
	RB_HEAD(fabric_ent_tree, fabric_ent) ent_tree;
	TAILQ_HEAD(, fabric_ent) ent_list;
	size_t nents;
	size_t nimplicit; /* entities with source REG_IMPLICIT */
	/* Implicit hosts with no live association, oldest last_seen first: the next to
	 * forget, without a walk of every entity. */
	RB_HEAD(fabric_idle_tree, fabric_ent) idle_tree;
	RB_HEAD(fabric_host_tree, fabric_host) host_tree;
	TAILQ_HEAD(, fabric_host) host_list;
	size_t nhosts;
	size_t nhosts_implicit;			       /* host records with source REG_IMPLICIT */
	RB_HEAD(fabric_rec_tree, fabric_rec) rec_tree; /* by owner, subsystem, address */
	RB_HEAD(fabric_subsys_tree, fabric_rec) rec_by_subsys; /* by subtype, subsystem, ... */
	TAILQ_HEAD(, fabric_rec) rec_list;
	size_t nrecs;
	struct log_rec *cfg_recs; /* from the configuration file */
	size_t ncfg;
	struct fabric_zone_names cfg_zones; /* the zone groups and aliases it declares */
	struct conn_count *conns;	    /* NQNs with live associations: NCC is their absence */
	size_t nconns, conns_cap;	    /* used slots, slots (a power of two) */

	/* What hosts read, in pages that replies reference and changes rebuild one by one:
	 * log 70h is the configuration's entries then the registered ones, log 71h the host
	 * records. The counts are as of the last build. */
	struct log_body cfg70, log70, log71;
	struct log_slot *cfg_slots;   /* one per cfg_recs[i] */
	struct view *view70, *view71; /* the bodies and counters as served, made at each change */
	size_t nentries;
	size_t hostlog_len, nhostlog;
	bool hostlog_stale; /* log 71h changed and is built at its next read */
	bool cfg_changed;   /* the configuration's share changed since log 70h was built */

	char listen_key[CDC_MAX_LISTEN * 64]; /* the listeners the self entries describe */

	/* Paths (fabric_path_probed() records by address) and the addresses marked down,
	 * whose records log 70h withholds. Runtime state: see health.c. */
	RB_HEAD(fabric_addr_tree, fabric_rec) rec_by_addr;
	RB_HEAD(fabric_down_tree, fabric_down) down_tree;
	size_t ndown;
	fabric_path_fn path_watch; /* told when a path appears or goes; NULL: nobody */
	void *path_arg;
	/* Zoning (fabric_zone.c): the configured and active databases, whether they are
	 * enforced, and the views of log 70h per visibility, checked again when view_serial
	 * moved (with every new log 70h or zoning change). */
	struct zoning zoning;
	bool zoning_on;
	bool zoning_changed; /* what hosts may see changed since log 70h was built */
	uint64_t view_serial;
	uint64_t zoning_serial; /* view_serial of the last zoning change */
	RB_HEAD(fabric_zview_tree, zview) zviews;
	size_t nzviews; /* in zviews: one per distinct visibility, not per host */
	/* Each subsystem entry's zones (zoning_port_view()), one per entry of log 70h, as of
	 * port_views_serial: a visibility's view is then one intersection per entry. */
	struct zone_view *port_views;
	size_t nport_views;
	uint64_t port_views_serial;
};

void fabric_init(struct fabric *f);
void fabric_free(struct fabric *f);

/* Replace what the configuration contributes and rebuild. Returns the FABRIC_LOG* bits of
 * what changed (GENCTR already bumped), or -ENOMEM. */
int fabric_apply_config(struct fabric *f, const struct cdc_config *cfg);

/* The configuration's share of log 70h as a value: its records and the listeners that the
 * self entries describe. NULL on ENOMEM. */
struct fabric_cfg {
	struct log_rec *recs;
	size_t n;
	char listen_key[CDC_MAX_LISTEN * 64];
	bool zoning;
	enum zone_policy policy;
	struct fabric_zone_names zones;
};
struct fabric_cfg *fabric_cfg_new(const struct cdc_config *cfg);
void fabric_cfg_free(struct fabric_cfg *c);
/* Installs *c as the configuration's share and hands back the one it replaces in *c (so
 * that swapping again undoes it). Log 70h changes at the next rebuild if the entries or the
 * listeners differ. -ENOMEM leaves everything as it was. */
int fabric_cfg_swap(struct fabric *f, struct fabric_cfg **c);
/* Whether the configuration lists subsystem (or referral) nqn, or, with port, any entry of
 * that subtype at port's TRADDR and TRSVCID. */
bool fabric_config_has(const struct fabric *f, const char *nqn, uint8_t subtype,
		       const struct cdc_port *port);
/* Whether subsystem nqn is the configuration's or the administrator's (declared). */
bool fabric_subsys_declared(const struct fabric *f, const char *nqn);
/* Whether subsystem subnqn is someone else's than owner: declared (configuration or
 * administrator), or with ports another registrant registered (a DDC by DIM or pull). */
bool fabric_subsys_taken(const struct fabric *f, const char *subnqn, const char *owner);

/* Record operations; the caller rebuilds once after a batch. -ENOMEM on allocation. Every
 * lookup is O(log n); a put of an existing key replaces it in place. */
struct entity *fabric_entity_find(const struct fabric *f, const char *nqn);
int fabric_entity_put(struct fabric *f, const struct entity *e);
void fabric_entity_del(struct fabric *f, const char *nqn); /* with its hosts and records */
struct host_rec *fabric_host_find(const struct fabric *f, const struct host_rec *key);
int fabric_host_put(struct fabric *f, const struct host_rec *h);
bool fabric_host_del(struct fabric *f, const struct host_rec *key);
struct log_rec *fabric_rec_find(const struct fabric *f, const struct log_rec *key);
int fabric_rec_put(struct fabric *f, const struct log_rec *r);
bool fabric_rec_del(struct fabric *f, const struct log_rec *key);
/* Loading what the store keeps unique. */
int fabric_rec_append(struct fabric *f, const struct log_rec *r);
int fabric_host_append(struct fabric *f, const struct host_rec *h);
int fabric_entity_append(struct fabric *f, const struct entity *e);
bool fabric_rec_key_equal(const struct log_rec *a, const struct log_rec *b);
bool fabric_host_key_equal(const struct host_rec *a, const struct host_rec *b);

/* Iterators: NULL starts, NULL ends. The whole collections in order of arrival; an
 * element may be deleted once the next one has been fetched. */
struct entity *fabric_entity_next(const struct fabric *f, const struct entity *prev);
/* Implicit hosts without a live association, the one seen longest ago first (prev NULL:
 * the first). */
const struct entity *fabric_idle_implicit_next(const struct fabric *f, const struct entity *prev);
struct host_rec *fabric_host_next(const struct fabric *f, const struct host_rec *prev);
struct log_rec *fabric_rec_next(const struct fabric *f, const struct log_rec *prev);
/* In key order: the host records of one host NQN, the records one owner registered, the
 * registered records of subtype (NVME_NQN_NVME, NVME_NQN_DISC) and subsystem subnqn (NULL:
 * every one of that subtype). */
struct host_rec *fabric_host_next_of(const struct fabric *f, const char *hostnqn,
				     const struct host_rec *prev);
struct log_rec *fabric_rec_next_of(const struct fabric *f, const char *owner,
				   const struct log_rec *prev);
/* The records one owner registered for one subsystem (NULL: for any), in key order. */
struct log_rec *fabric_rec_next_in(const struct fabric *f, const char *owner, const char *subnqn,
				   const struct log_rec *prev);
struct log_rec *fabric_subsys_next(const struct fabric *f, uint8_t subtype, const char *subnqn,
				   const struct log_rec *prev);
size_t fabric_rec_count(const struct fabric *f, const char *owner);

/* A live association of nqn came (delta +1) or went (-1). Returns 1 when nqn became
 * connected or stopped being connected (its NCC flips), 0 when not, -ENOMEM. */
int fabric_conn(struct fabric *f, const char *nqn, int delta);
bool fabric_connected(const struct fabric *f, const char *nqn);

/* ---- paths: the registered subsystem ports health probes ---- */

/* Whether r is a path: an NVM subsystem port on TCP over IPv4 or IPv6. The configuration's
 * entries are not paths: the file is the administrator's word and is served as written. */
bool fabric_path_probed(const struct log_rec *r);
/* A path's key (trtype, adrfam, traddr, trsvcid of port; the rest zero) and its order. */
struct cdc_port fabric_path_key(const struct cdc_port *port);
int fabric_path_cmp(const struct cdc_port *a, const struct cdc_port *b);
/* A record at each path, in address order (NULL starts, NULL ends). */
const struct log_rec *fabric_path_next(const struct fabric *f, const struct log_rec *prev);
/* A record at addr (NULL: no path there). */
const struct log_rec *fabric_path_find(const struct fabric *f, const struct cdc_port *addr);
/* Marks the address down (its records are withheld from log 70h) or up. Returns 1 when
 * records at addr changed visibility (log 70h to rebuild), 0 when none did, -ENOMEM. */
int fabric_path_set_down(struct fabric *f, const struct cdc_port *addr, bool down);
bool fabric_path_down(const struct fabric *f, const struct cdc_port *addr);
/* The addresses marked down, in order (NULL starts, NULL ends). */
const struct cdc_port *fabric_down_next(const struct fabric *f, const struct cdc_port *prev);
void fabric_path_watch(struct fabric *f, fabric_path_fn fn, void *arg);

/* Rebuild what hosts read; bump the counter of every log whose bytes changed, to at least
 * floor + 1 for log 70h (the persisted GENCTR never goes backwards). Returns FABRIC_LOG*
 * bits, or -ENOMEM (then the old logs stay). */
int fabric_rebuild(struct fabric *f, uint64_t floor);
/* The same for only the logs in which (FABRIC_LOG* bits): a batch of connections that owns
 * no records cannot change log 70h. */
int fabric_rebuild_logs(struct fabric *f, uint64_t floor, int which);

/* Log 71h changes with every host that comes or goes, and is read rarely (by DDCs and
 * admins): while nobody waits for its change events, the registry leaves it stale and it
 * is built when read, its counter moving then if its bytes did. */
void fabric_hostlog_defer(struct fabric *f);
/* GENCTR to at least genctr with the same entries: another instance of a shared fabric moved
 * it. No change set: hosts read the new value at their next read. */
int fabric_genctr_raise(struct fabric *f, uint64_t genctr);
int fabric_hostlog_refresh(struct fabric *f);

/* What host hostnqn, connected from addr (NULL, or an empty TRADDR: known by its NQN only),
 * is told: log 70h's view (configured, then registered entries) at its GENCTR; with zoning,
 * only the entries its zones grant, shared by every host of the same visibility. Valid
 * until the next change. NULL before the first build, or on ENOMEM. */
const struct view *fabric_host_view(struct fabric *f, const char *hostnqn,
				    const struct cdc_port *addr);
/* Log 71h as reader (a DDC's NQN) may read it: every host without zoning, the hosts zoned
 * with reader's subsystems with it. A reference the caller drops; NULL on ENOMEM. */
struct view *fabric_hostlog_view_for(struct fabric *f, const char *reader);
/* How many zoned views are kept: one per distinct visibility that was read. */
size_t fabric_zone_nviews(const struct fabric *f);
/* Whether two views carry the same bytes. */
bool fabric_views_equal(const struct view *a, const struct view *b);

/* Zoning. fabric_zoning_set() turns it on or off with the policy for entities in no zone;
 * fabric_zoning_swap() exchanges the databases with *z (which gets the old ones, and keeps
 * the policy). Either makes the next rebuild look at every host's view again. */
void fabric_zoning_set(struct fabric *f, bool on, enum zone_policy policy);
void fabric_zoning_swap(struct fabric *f, struct zoning *z);
/* Whether the configuration declares zone group {orig, name}, or alias name. */
bool fabric_zonegroup_configured(const struct fabric *f, const char *orig, const char *name);
bool fabric_zonealias_configured(const struct fabric *f, const char *name);
/* Host hostnqn at addr as zoning sees it; -EINVAL for an invalid NQN. */
int fabric_zone_host(const char *hostnqn, const struct cdc_port *addr, struct zone_host *h);
/* For fabric.c. */
void fabric_zone_init(struct fabric *f);
void fabric_zone_free(struct fabric *f);
void fabric_zone_prune(struct fabric *f);
/* Log 71h's view as last built (fabric_hostlog_refresh() first), at its counter. */
const struct view *fabric_hostlog_view(const struct fabric *f);
/* Entry i of log 70h's view, valid until the next change. */
const struct nvmf_disc_log_entry *fabric_entry(const struct fabric *f, size_t i);

#endif
