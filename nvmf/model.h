/* model.h - the records the fabric is made of, as the store keeps them and the fabric holds
 * them: entities that registered (hosts, DDCs, CDCs), host registrations (log 71h) and log
 * records (subsystem ports and referrals, log 70h). Plain data. */
#ifndef CDC_MODEL_H
#define CDC_MODEL_H

#include <stdint.h>

#include "addr.h"

/* Where a registration came from. Stored as this number: append only. */
enum reg_source {
	REG_CONFIG = 0,	   /* the configuration file; never stored */
	REG_DIM = 1,	   /* a DIM command from the entity itself */
	REG_IMPLICIT = 2,  /* a host that connected without registering */
	REG_PULL = 3,	   /* read from a DDC's discovery controller */
	REG_KICKSTART = 4, /* pull registration started by a DDC's kickstart */
	REG_ADMIN = 5,	   /* the control API */
	REG_HEALTH = 6,	   /* path health marks addresses down or up; registers nothing */
};

#define ENTITY_NAME_MAX	   255 /* ENAME */
#define ENTITY_VERSION_MAX 64  /* EVER */
#define HOST_SYMNAME_MAX   256 /* admin label extended attribute */

/* etype of a subsystem the administrator declared (its ports are log records). */
#define ENTITY_SUBSYSTEM 0

/* Something that registered, keyed by its NQN (the DIM EID). */
struct entity {
	char nqn[CDC_NQN_MAX + 1];
	uint8_t etype;	/* enum nvmf_dim_etype: host, DDC, CDC; or ENTITY_SUBSYSTEM */
	uint8_t source; /* enum reg_source */
	char ename[ENTITY_NAME_MAX + 1];
	char ever[ENTITY_VERSION_MAX + 1];
	char regnqn[CDC_NQN_MAX + 1];  /* host NQN of the association that registered it: the
					* only one (besides the admin) that may change it */
	int64_t first_seen, last_seen; /* seconds since the epoch */
};

/* A host as log 71h lists it. Key: hostnqn, trtype, adrfam, traddr, trsvcid. */
struct host_rec {
	char hostnqn[CDC_NQN_MAX + 1];
	uint8_t source;
	uint8_t trtype, adrfam, sectype;
	char traddr[CDC_TRADDR_MAX + 1];
	char trsvcid[CDC_TRSVCID_MAX + 1];
	uint8_t hostid[16];
	char symname[HOST_SYMNAME_MAX + 1];
};

/* One entry of log 70h that someone registered: a subsystem port (SUBTYPE 2) or a referral
 * (SUBTYPE 1). Key: owner, subnqn, port.trtype, port.adrfam, port.traddr, port.trsvcid. */
struct log_rec {
	char owner[CDC_NQN_MAX + 1]; /* EID of the registering entity; "" for config and admin */
	uint8_t source;
	uint8_t subtype;
	uint16_t asqsz; /* 0: the default */
	char subnqn[CDC_NQN_MAX + 1];
	struct cdc_port port;
};

#endif
