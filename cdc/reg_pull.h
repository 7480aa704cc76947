/* reg_pull.h - pull registration as changes: the discovery log read from a DDC replaces,
 * in one change, everything pulled from that DDC before; a lost DDC's entries carry NCC;
 * a DDC unreachable for too long is withdrawn with its entries. */
#ifndef CDC_REG_PULL_H
#define CDC_REG_PULL_H

#include <stddef.h>
#include <stdint.h>

struct registry;

/* The outcome of a replace, once committed or refused: err 0, -ENOSPC (over the limits) or
 * the store's error; nrecs entries kept, skipped those another source already defines. */
typedef void (*reg_pull_cb)(void *arg, const char *owner, int err, size_t nrecs, size_t skipped);

/* A whole log 70h (header and entries, as nvmf_host_disc_log() reads it) from the DDC named
 * owner (a stable name, not an NQN a DIM could claim) at peer. Only NVM subsystem entries
 * are kept: referrals and current discovery controllers (SUBTYPE 1 and 3) are not
 * re-exported, so no referral loop can form; nor anything naming self_nqn, this CDC. assoc
 * is the pull connection: the DDC counts as connected (no NCC) until reg_pull_gone().
 * -ENOMEM, or -EPROTO for a log whose NUMREC does not match its length. */
int reg_pull_replace(struct registry *r, const char *owner, const char *peer, const void *assoc,
		     const uint8_t *log, size_t len, const char *self_nqn, reg_pull_cb cb,
		     void *arg);

/* The pull connection assoc ended: the DDC's entries carry NCC from the next change on. */
int reg_pull_gone(struct registry *r, const void *assoc);

/* The DDC's entity and every entry pulled from it go; hosts that saw them get an AEN. */
int reg_pull_withdraw(struct registry *r, const char *owner, const char *peer);

#endif
