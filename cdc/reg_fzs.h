/* reg_fzs.h - zoning pushed by DDCs over NVMe (protocol.md 7.5, push model): Fabric Zoning
 * Lookup (FZL), Receive (FZR) and Send (FZS) as the registry serves them. A DDC changes only
 * the zone groups it originated (ZGORIG is the host NQN of its Connect); sending a group
 * takes its lock at the lookup, collects the fragments, and replaces and activates the group
 * in one change at the last one; a lock not finished in time (FZS_LOCK_SECONDS unless
 * fzs_set_timeout() says otherwise) is dropped with what was sent. */
#ifndef CDC_REG_FZS_H
#define CDC_REG_FZS_H

#include <event2/event.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zoning_wire.h"

#define FZS_LOCK_SECONDS 30

struct disc_ctrl;
struct fabric;
struct registry;
struct fzs;

struct fzs *fzs_new(struct event_base *base);
void fzs_free(struct fzs *z);
/* Seconds a lock lasts from its lookup, for the locks taken from now on; 0 is the default.
 * A lock already held keeps the time it was given. */
void fzs_set_timeout(struct fzs *z, unsigned int seconds);

/* FZL: completes cid later with a status and, on success, the group's key in DW0. Returns a
 * negative errno if it could not be queued. */
int reg_fzs_lookup(struct registry *r, struct fzs *z, struct disc_ctrl *ctrl, uint16_t cid,
		   const struct zw_lookup *l);
/* FZR: the active group of key as its originator reads it: 0 and *buf (malloc'ed, *len
 * bytes) with its generation, or an NVMe status. */
uint16_t reg_fzs_receive(const struct fabric *f, struct disc_ctrl *ctrl, uint32_t key,
			 uint8_t **buf, size_t *len, uint32_t *gen);
/* FZS: one fragment at off. Returns an NVMe status to complete with now, or -1 when the
 * command is held (the last fragment: it completes after the change). */
int reg_fzs_send(struct registry *r, const struct fabric *f, struct fzs *z, struct disc_ctrl *ctrl,
		 uint16_t cid, uint32_t key, uint32_t off, const uint8_t *frag, size_t len,
		 bool last);

#endif
