/* auth_msg.h - the NVMe in-band authentication messages carried by Authentication Send and
 * Receive (protocol.md 9.2-9.6): AUTH_Negotiate, DH-HMAC-CHAP_Challenge, _Reply, _Success1,
 * _Success2, AUTH_Failure1/2. Pure: bytes in, a decoded message or a reason out. */
#ifndef AUTH_AUTH_MSG_H
#define AUTH_AUTH_MSG_H

#include <stddef.h>
#include <stdint.h>

/* AUTH_TYPE and AUTH_ID, combined as type << 8 | id. */
enum auth_msg_kind {
	AUTH_NEGOTIATE = 0x0000,
	AUTH_FAILURE2 = 0x00f0,
	AUTH_FAILURE1 = 0x00f1,
	AUTH_CHALLENGE = 0x0101,
	AUTH_REPLY = 0x0102,
	AUTH_SUCCESS1 = 0x0103,
	AUTH_SUCCESS2 = 0x0104,
};

/* AUTH_Failure reason code explanations (RCODEEX; RCODE is always 01h). */
enum auth_failure_reason {
	AUTH_FAIL_FAILED = 0x01,
	AUTH_FAIL_PROTOCOL_UNUSABLE = 0x02,
	AUTH_FAIL_SCC_MISMATCH = 0x03,
	AUTH_FAIL_HASH_UNUSABLE = 0x04,
	AUTH_FAIL_DHGROUP_UNUSABLE = 0x05,
	AUTH_FAIL_INCORRECT_PAYLOAD = 0x06,
	AUTH_FAIL_INCORRECT_PROTOCOL_MSG = 0x07,
};

#define AUTH_SECP	      0xe9
#define AUTH_SPSP	      0x01
#define AUTH_DHCHAP_AUTHID    0x01 /* the DH-HMAC-CHAP protocol descriptor */
#define AUTH_LIST_MAX	      30   /* HALEN, DHLEN */
#define AUTH_NEGOTIATE_LEN(n) (8u + 64u * (n))
#define AUTH_FAILURE_LEN      8u

/* A decoded message. Pointers are into the buffer that was decoded. */
struct auth_msg {
	enum auth_msg_kind kind;
	uint16_t t_id;
	union {
		struct {
			uint8_t sc_c;
			uint8_t halen, dhlen; /* of the DH-HMAC-CHAP descriptor */
			uint8_t hash_ids[AUTH_LIST_MAX];
			uint8_t dh_ids[AUTH_LIST_MAX];
		} negotiate;
		struct {
			uint8_t hl, hash_id, dhgid;
			uint16_t dhvlen;
			uint32_t seqnum;
			const uint8_t *c, *dhv;
		} challenge;
		struct {
			uint8_t hl, cvalid;
			uint16_t dhvlen;
			uint32_t seqnum;
			const uint8_t *rval, *cval, *dhv;
		} reply;
		struct {
			uint8_t hl, rvalid;
			const uint8_t *rval;
		} success1;
		struct {
			uint8_t rcode, rcodeex;
		} failure;
	};
};

/* Decodes one message. 0; -EPROTO if it is not a message this protocol knows (the answer is
 * "incorrect protocol message"); -EBADMSG if it is malformed or shorter than its lengths
 * say (the answer is "incorrect payload", or "protocol not usable" for a Negotiate without
 * a DH-HMAC-CHAP descriptor: *reason says which). */
int auth_msg_decode(const uint8_t *buf, size_t len, struct auth_msg *out, uint8_t *reason);

/* Encoders: each returns the message length, and writes it only if size allows. */
size_t auth_negotiate_encode(uint8_t *buf, size_t size, uint16_t t_id, uint8_t sc_c,
			     const uint8_t *hash_ids, size_t nhash, const uint8_t *dh_ids,
			     size_t ndh);
size_t auth_challenge_encode(uint8_t *buf, size_t size, uint16_t t_id, uint8_t hash_id, size_t hl,
			     uint8_t dhgid, uint32_t seqnum, const uint8_t *c, const uint8_t *dhv,
			     size_t dhvlen);
size_t auth_reply_encode(uint8_t *buf, size_t size, uint16_t t_id, size_t hl, const uint8_t *rval,
			 const uint8_t *cval, uint32_t seqnum, const uint8_t *dhv, size_t dhvlen);
/* rval NULL: RVALID 0 (HL is still the hash length: Linux checks it). */
size_t auth_success1_encode(uint8_t *buf, size_t size, uint16_t t_id, size_t hl,
			    const uint8_t *rval);
size_t auth_success2_encode(uint8_t *buf, size_t size, uint16_t t_id);
/* kind AUTH_FAILURE1 or AUTH_FAILURE2. */
size_t auth_failure_encode(uint8_t *buf, size_t size, enum auth_msg_kind kind, uint16_t t_id,
			   uint8_t reason);

#endif
