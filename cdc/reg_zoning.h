/* reg_zoning.h - what the registry asks of the zoning change source (reg_zoning.c): to
 * write the rows a zoning change touched into the open transaction, and to read the
 * zoning databases back at start. The requests themselves are in registry.h. */
#ifndef CDC_REG_ZONING_H
#define CDC_REG_ZONING_H

#include "change.h"
#include "store.h"
#include "zoning.h"

/* The rows cz names, as z now has them (a row of a group or alias z no longer has is
 * deleted), and the key counter. 0 or the store's error, -ENOMEM. */
int reg_zoning_persist(struct store *st, const struct zoning *z, const struct change_zoning *cz);
/* Fill z (initialised, empty) from the store. A row that does not parse fails the load
 * (-EINVAL), logged once with its name. */
int reg_zoning_load(struct store *st, struct zoning *z);

#endif
