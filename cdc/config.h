/* config.h - the daemon's configuration: /etc/nvme/cdcd.conf (INI) and the command line
 * merged into one struct. Parsing is pure (no sockets); errors name file and line so a
 * bad file is refused at start and a bad reload keeps the old configuration. */
#ifndef CDC_CONFIG_H
#define CDC_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include "addr.h"
#include "zoning.h"

#define CDC_DEFAULT_CONFIG	   "/etc/nvme/cdcd.conf"
#define CDC_DEFAULT_STATE_DIR	   "/var/lib/cdcd"
#define CDC_DEFAULT_CONTROL_SOCKET "/run/cdcd/cdcd.sock"
#define CDC_CONTROL_SOCKET_MAX	   108 /* sun_path, with its NUL */
#define CDC_MAX_LISTEN		   32

struct cdc_subsys {
	char nqn[CDC_NQN_MAX + 1];
	struct cdc_port *ports;
	size_t nports;
};

struct cdc_referral {
	struct cdc_port port;
	char nqn[CDC_NQN_MAX + 1]; /* the referred DC; default the well-known discovery NQN */
};

#define CDC_MDNS_NAME_MAX   63 /* an instance name, in bytes (RFC 6763 §4.1.1) */
#define CDC_MDNS_MAX_IFACES 16
#define CDC_IFNAME_MAX	    15 /* IFNAMSIZ without the NUL */

/* What to do with the direct discovery controllers mDNS browsing finds. */
enum cdc_mdns_browse {
	CDC_BROWSE_OFF,	 /* do not browse */
	CDC_BROWSE_ASK,	 /* list and log the candidates; never act on them */
	CDC_BROWSE_AUTO, /* hand each candidate to pull registration */
};

/* [mdns]: announcing this CDC with DNS-SD over mDNS (TP8009), and browsing for others. */
struct cdc_mdns_config {
	bool enable;
	char instance[CDC_MDNS_NAME_MAX + 1]; /* "": a default made of the host name */
	char interfaces[CDC_MDNS_MAX_IFACES][CDC_IFNAME_MAX + 1]; /* none: every interface */
	size_t ninterfaces;
	enum cdc_mdns_browse browse;
};

/* [zonegroup NAME]: a zone group the file declares, the CDC its originator. The API shows
 * it and refuses to change it, as it does the configured subsystems. */
struct cdc_zonegroup {
	char name[ZONE_GROUP_NAME_MAX + 1];
	bool active; /* enforced (activated) when applied; the default */
	struct zone *zones;
	size_t nzones;
};

/* [zonealias NAME]: an alias the file declares; members of any type but an alias. */
struct cdc_zonealias {
	char name[ZONE_ALIAS_NAME_MAX + 1];
	struct zone_member *members;
	size_t nmembers;
};

/* Whether entities in no active zone see each other (the values of enum zone_policy). */
enum cdc_zoning_policy { CDC_ZONING_DENY = 0, CDC_ZONING_ALLOW = 1 };

/* Where registrations are kept: this machine's SQLite file, or etcd shared by instances. */
enum cdc_store_kind { CDC_STORE_SQLITE = 0, CDC_STORE_ETCD = 1 };

enum cdc_log_level { CDC_LOG_ERR = 3, CDC_LOG_WARNING = 4, CDC_LOG_INFO = 6, CDC_LOG_DEBUG = 7 };

struct cdc_config {
	struct cdc_listen listen[CDC_MAX_LISTEN];
	size_t nlisten;
	char tls_keys[4096]; /* the hosts' TLS PSKs; "" for none */
	char state_dir[4096];
	char control_socket[CDC_CONTROL_SOCKET_MAX]; /* the control API's socket; "" turns it off */
	char control_socket_group[64]; /* group owning it (mode 0660); "" keeps root's */
	/* http-listen: the read-only HTTP listener (metrics, status page); off unless set. */
	struct cdc_listen http_listen;
	bool has_http_listen;
	char nqn[CDC_NQN_MAX + 1];    /* empty: generated once and kept in state_dir */
	unsigned int idle_timeout;    /* seconds; KATO = 0 sessions idle this long are reaped */
	unsigned int icreq_timeout;   /* seconds a new connection may take to send its ICReq */
	unsigned int max_connections; /* in total; 0 = no limit */
	unsigned int max_connections_per_source; /* from one source address; 0 = no limit */
	unsigned int max_implicit_hosts;	 /* hosts known only because they connected */
	unsigned int implicit_host_expiry; /* seconds an unseen implicit host is kept; 0 = ever */
	unsigned int api_request_timeout;  /* seconds a control API request may take to arrive */
	unsigned int max_registrations_per_entity; /* records one host or DDC may register */
	unsigned int max_registrations;		   /* records of all entities together */
	unsigned int pull_kato;			   /* seconds: KATO of the connections to DDCs */
	unsigned int pull_reconnect_max;  /* seconds: the longest wait between DDC reconnects */
	unsigned int pull_withdraw_after; /* seconds a DDC may be unreachable before its
					   * pulled entries are withdrawn */
	unsigned int max_kickstart_ddcs;  /* DDCs pulled from after a Kickstart; 0 = refused */
	enum cdc_log_level log_level;
	/* Path health (health.h): off unless asked for. */
	bool health_check;
	unsigned int health_interval;	 /* seconds between probes of a port */
	unsigned int health_timeout;	 /* seconds a probe may take */
	unsigned int health_failures;	 /* failed probes in a row that mark a port down */
	unsigned int health_concurrency; /* probes in flight at once */
	bool health_icreq;		 /* a probe sends an ICReq and wants the ICResp */
	/* Fabric zoning (protocol.md 7.5): off, every host sees every subsystem; on, a host sees
	 * the ports its active zones grant, and entities in no zone follow zoning_policy. */
	bool zoning;
	enum cdc_zoning_policy zoning_policy;
	/* DH-HMAC-CHAP (in-band authentication): the keys file ("": none), how long a host has
	 * to authenticate, whether the well-known NQN requires it too, and what is offered. */
	char dhchap_keys[4096];
	unsigned int auth_timeout;
	bool well_known_auth;
	uint8_t dhchap_hashes[3];
	size_t ndhchap_hashes;
	uint8_t dhchap_dhgroups[6];
	size_t ndhchap_dhgroups;
	unsigned int zoning_lock_timeout; /* seconds a DDC's FZL lock waits for its last FZS */
	enum cdc_store_kind store;
	char etcd_endpoints[1024]; /* URLs, comma-separated: "http://127.0.0.1:2379" */
	char etcd_prefix[128];	   /* every key under it; ends in '/' */
	char etcd_cacert[4096], etcd_cert[4096], etcd_key[4096]; /* TLS to etcd; "" for none */
	struct cdc_mdns_config mdns;
	struct cdc_subsys *subsys;
	size_t nsubsys;
	struct cdc_referral *referrals;
	size_t nreferrals;
	struct cdc_referral *ddcs; /* [ddc]: discovery controllers to pull from (the same
				    * address and NQN as a referral; trsvcid 8009 by default) */
	size_t nddcs;
	struct cdc_zonegroup *zonegroups;
	size_t nzonegroups;
	struct cdc_zonealias *zonealiases;
	size_t nzonealiases;
};

/* Fill cfg with the built-in defaults (config_keys.c): listen 0.0.0.0:8009 and [::]:8009,
 * state dir /var/lib/cdcd, idle timeout 120 s, ICReq timeout 10 s, no subsystems. */
void config_defaults(struct cdc_config *cfg);

/* Parse an INI file into cfg (which holds defaults or earlier values). The first "listen"
 * line in the file replaces the defaults, later ones add. A missing file is -ENOENT.
 * On a syntax error, an unknown section or key, or a malformed value: -EINVAL and
 * err holds "FILE:LINE: what is wrong". */
int config_load_file(struct cdc_config *cfg, const char *path, char *err, size_t errlen);

/* config_load_file() on bytes already in memory; name stands for the file in messages.
 * Shared by the file loader, the unit tests and the fuzz target. */
int config_load_buffer(struct cdc_config *cfg, const char *name, const char *buf, size_t len,
		       char *err, size_t errlen);

/* "err", "warning", "info" or "debug" (as in the file and --log-level). */
int config_parse_log_level(const char *text, enum cdc_log_level *out);
const char *config_log_level_name(enum cdc_log_level level);
/* "off", "ask" or "automatic" (as in the file). */
const char *config_mdns_browse_name(enum cdc_mdns_browse browse);

/* "deny" or "allow" (as in the file). */
const char *config_zoning_policy_name(enum cdc_zoning_policy p);

/* A control-socket value: an absolute path that fits a sockaddr_un, or "" for none. */
bool config_control_socket_valid(const char *path);

/* Write the effective configuration in the file's own syntax. */
void config_dump(const struct cdc_config *cfg, FILE *out);

/* A zone member as a [zonegroup] or [zonealias] "member =" line writes it after the zone:
 * the keys of the control API's member (type, role, nqn, traddr, adrfam, ipproto, trsvcid,
 * portid, alias) as "key=value;..."; type defaults to nqn. 0, or -EINVAL with why. */
int config_parse_member(const char *spec, bool in_alias, struct zone_member *m, char *why,
			size_t whylen);
/* The same, written (only the keys the member's type names). */
void config_format_member(const struct zone_member *m, char *buf, size_t size);

/* Free the subsystem, referral, DDC and zoning arrays; cfg stays usable with none of them. */
void config_free(struct cdc_config *cfg);

#endif
