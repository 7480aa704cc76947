/* reg_hosts.h - hosts known because they connected: a Connect registers its host
 * implicitly (within max-implicit-hosts), a disconnection ends its associations, and a
 * sweep forgets implicit hosts gone longer than implicit-host-expiry. Each is a change. */
#ifndef CDC_REG_HOSTS_H
#define CDC_REG_HOSTS_H

#include <stdbool.h>

struct disc_ctrl;
struct registry;

/* Each submits a change; -ENOMEM if it could not be made. */
int reg_hosts_connected(struct registry *r, struct disc_ctrl *ctrl);
int reg_hosts_disconnected(struct registry *r, const struct disc_ctrl *ctrl);
/* A sweep; *pending is cleared once it has run. */
int reg_hosts_expire(struct registry *r, bool *pending);

#endif
