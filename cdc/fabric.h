/* fabric.h - the fabric model as hosts see it: the discovery log entries of every
 * subsystem port and referral, and the generation counter. Pure: no sockets, no SQL.
 * Today the entries come from the configuration file; every change bumps GENCTR. */
#ifndef CDC_FABRIC_H
#define CDC_FABRIC_H

#include <nvme/types.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct fabric {
	uint64_t genctr;
	struct nvmf_disc_log_entry *entries; /* subsystem ports, then referrals: log order */
	size_t nentries;
	char listen_key[CDC_MAX_LISTEN * 64]; /* the listeners the self entries describe */
};

void fabric_init(struct fabric *f);

/* Replace what the configuration contributes. Returns 1 when the log hosts read changed
 * (GENCTR was bumped), 0 when it is the same, -ENOMEM. */
int fabric_apply_config(struct fabric *f, const struct cdc_config *cfg);

void fabric_free(struct fabric *f);

#endif
