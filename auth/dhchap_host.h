/* dhchap_host.h - the host's side of one DH-HMAC-CHAP transaction (protocol.md 9), as the
 * Linux host runs it: offer every hash and group, answer the controller's challenge, and,
 * with a controller key, check its answer to ours. Pure: messages in, messages out. Used by
 * the userspace host (cdc/nvmf_host) and the benchmark. */
#ifndef AUTH_DHCHAP_HOST_H
#define AUTH_DHCHAP_HOST_H

#include <stddef.h>
#include <stdint.h>

#include "dhchap.h"

struct dhchap_host;

/* ctrl_key NULL: the controller is not authenticated. Keys are transformed now (hostnqn,
 * subnqn: those of the Connect). NULL if out of memory or a key is unusable. */
struct dhchap_host *dhchap_host_new(const struct dhchap_secret *key,
				    const struct dhchap_secret *ctrl_key, const char *hostnqn,
				    const char *subnqn);
/* Wipes what it held. */
void dhchap_host_free(struct dhchap_host *h);

/* The AUTH_Negotiate to send; its length (buf holds at least 72 bytes). */
size_t dhchap_host_negotiate(struct dhchap_host *h, uint16_t t_id, uint8_t *buf, size_t size);

/* The controller's DH-HMAC-CHAP_Challenge in msg: the Reply to send in buf, its length. A
 * negative errno if msg is not an acceptable challenge (-EACCES for an AUTH_Failure1, then
 * *reason holds its explanation) or buf is too small. */
int dhchap_host_reply(struct dhchap_host *h, const uint8_t *msg, size_t len, uint8_t *buf,
		      size_t size, uint8_t *reason);

/* The controller's answer to the Reply: 0 when the transaction is complete, or the length of
 * the message to send in buf: Success2 (the controller proved its key; complete once it is
 * sent) or AUTH_Failure2 (it did not: -EKEYREJECTED follows from
 * dhchap_host_failed()). -EACCES for an AUTH_Failure1 (*reason), another negative errno
 * for a malformed message. */
int dhchap_host_success(struct dhchap_host *h, const uint8_t *msg, size_t len, uint8_t *buf,
			size_t size, uint8_t *reason);

/* Whether the host refused the controller (its Success1 did not prove the controller key). */
int dhchap_host_failed(const struct dhchap_host *h);

#endif
