/* state.h - the daemon's state directory and the identity kept in it: the unique
 * discovery NQN, generated once and stable across restarts. */
#ifndef CDC_STATE_H
#define CDC_STATE_H

#include <stddef.h>

/* Create the directory (and its parents) if missing, mode 0750. */
int state_dir_prepare(const char *dir);

/* The unique discovery NQN kept in DIR/nqn; generated as
 * nqn.2014-08.org.nvmexpress:uuid:<random uuid> and written durably the first time. A file
 * that is not a regular one, or holds anything but one valid NQN (one longer than 223 bytes
 * included), is refused with a message: -EINVAL or -ENAMETOOLONG. */
int state_nqn_load(const char *dir, char *nqn, size_t size);
/* The same for this instance among those sharing a fabric through etcd (dir/instance): its
 * own even where they share one NQN. */
int state_instance_load(const char *dir, char *id, size_t size);

/* Whether the store at path may be opened: absent (a new one is created) or a regular file
 * that is not empty. An empty one once held the registrations (SQLite writes its header on
 * creation), and opening it would start silently with none: -ENODATA, said in the log.
 * Anything but a regular file: -EINVAL. */
int state_store_check(const char *path);

#endif
