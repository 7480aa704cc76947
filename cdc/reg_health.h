/* reg_health.h - path health as changes: an address marked down (its entries withheld from
 * log 70h) or up again. Nothing is stored but a journal line; the registry moves GENCTR and
 * notifies the hosts whose log changed. */
#ifndef CDC_REG_HEALTH_H
#define CDC_REG_HEALTH_H

#include <stdbool.h>

#include "addr.h"

struct registry;

/* The outcome, once committed: 0 or the store's error. */
typedef void (*reg_health_cb)(void *arg, const struct cdc_port *addr, bool down, int err);

/* Marks addr (trtype, adrfam, traddr, trsvcid) down or up, what saying why in the journal
 * ("path down", "path up", "path forgotten"); -ENOMEM. */
int reg_health_mark(struct registry *r, const struct cdc_port *addr, bool down, const char *what,
		    reg_health_cb cb, void *arg);

#endif
