/* reg_zoning.h - zoning changes as the registry and the zoning sources share them: a copy
 * of the databases to edit and stage, the rows a change touched written into the open
 * transaction, and the databases read back at start. The requests are in registry.h. */
#ifndef CDC_REG_ZONING_H
#define CDC_REG_ZONING_H

#include "change.h"
#include "store.h"
#include "zoning.h"

struct fabric;
struct stager;

/* For the sources of zoning changes (reg_zoning.c, reg_fzs.c): a copy of the fabric's
 * zoning databases to edit (NULL on ENOMEM), dropped with reg_zoning_drop(), and staged as
 * the fabric's own (taken, staged or not) with the rows of group {orig, group} and of
 * alias (NULL: none) written. */
struct zoning *reg_zoning_copy(const struct fabric *f);
void reg_zoning_drop(struct zoning *z);
int reg_zoning_stage(struct stager *s, struct change *c, struct zoning *work, const char *orig,
		     const char *group, const char *alias);

/* The rows cz names, as z now has them (a row of a group or alias z no longer has is
 * deleted), and the key counter. 0 or the store's error, -ENOMEM. */
int reg_zoning_persist(struct store *st, const struct zoning *z, const struct change_zoning *cz);
/* Delete the rows cz names, whatever z holds: a group or alias the configuration took
 * over is kept in the file, not in the store. */
int reg_zoning_unstore(struct store *st, const struct change_zoning *cz);
/* Fill z (initialised, empty) from the store. A row that does not parse fails the load
 * (-EINVAL), logged once with its name. */
int reg_zoning_load(struct store *st, struct zoning *z);

#endif
