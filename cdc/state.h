/* state.h - the daemon's state directory and the identity kept in it: the unique
 * discovery NQN, generated once and stable across restarts. */
#ifndef CDC_STATE_H
#define CDC_STATE_H

#include <stddef.h>

/* Create the directory (and its parents) if missing, mode 0750. */
int state_dir_prepare(const char *dir);

/* The unique discovery NQN kept in DIR/nqn; generated as
 * nqn.2014-08.org.nvmexpress:uuid:<random uuid> and written durably the first time. */
int state_nqn_load(const char *dir, char *nqn, size_t size);

#endif
