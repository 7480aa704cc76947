/* dhchap.h - the computations of DH-HMAC-CHAP (NVMe in-band authentication, TP8006;
 * protocol.md 9.7): DHHC-1 secrets, the key transformation, augmented challenges, the
 * responses and the FFDHE exchange. Pure: no I/O, no logging; OpenSSL does the crypto. */
#ifndef AUTH_DHCHAP_H
#define AUTH_DHCHAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Hash identifiers (HashIDList) and DH group identifiers (DHgIDList), protocol.md 9.3. */
enum dhchap_hash_id { DHCHAP_SHA256 = 0x01, DHCHAP_SHA384 = 0x02, DHCHAP_SHA512 = 0x03 };
enum dhchap_dhgroup_id {
	DHCHAP_DH_NULL = 0x00,
	DHCHAP_FFDHE2048 = 0x01,
	DHCHAP_FFDHE3072 = 0x02,
	DHCHAP_FFDHE4096 = 0x03,
	DHCHAP_FFDHE6144 = 0x04,
	DHCHAP_FFDHE8192 = 0x05,
};

#define DHCHAP_MAX_HL	   64	/* SHA-512 */
#define DHCHAP_MAX_DHVLEN  1024 /* ffdhe8192 */
#define DHCHAP_MAX_SECRET  64
#define DHCHAP_SECRET_TEXT 128 /* "DHHC-1:03:" + base64 of 68 bytes + ":" and a NUL fit */

/* The digest length of a hash identifier, 0 if unknown. */
size_t dhchap_hash_len(uint8_t hash_id);
/* "sha256", "sha384", "sha512"; NULL if unknown. */
const char *dhchap_hash_name(uint8_t hash_id);
/* Identifier by name (as above, any case); negative errno if unknown. */
int dhchap_hash_by_name(const char *name);

/* The public value length of a DH group (0 for the NULL group); -1 (as size_t) if unknown. */
size_t dhchap_dh_len(uint8_t dhgid);
/* "null", "ffdhe2048" ... "ffdhe8192"; NULL if unknown. */
const char *dhchap_dh_name(uint8_t dhgid);
int dhchap_dh_by_name(const char *name);

/* A DHHC-1 secret: the key bytes and the hash that transforms it (0: none). */
struct dhchap_secret {
	uint8_t key[DHCHAP_MAX_SECRET];
	size_t len; /* 32, 48 or 64 */
	uint8_t hmac;
};

/* Parses "DHHC-1:XX:<base64(key || le32 crc32(key))>:" (the trailing colon may be left out).
 * -EINVAL on a malformed text or key length, -EBADMSG on a CRC mismatch. out is wiped on
 * failure. */
int dhchap_secret_parse(const char *text, struct dhchap_secret *out);
/* The text form of s into buf; its length, or -ENOSPC. */
int dhchap_secret_format(const struct dhchap_secret *s, char *buf, size_t size);
/* Wipes a secret. */
void dhchap_secret_clear(struct dhchap_secret *s);

/* The transformed key: the secret itself (hmac 0) or HMAC-H(secret, nqn || "NVMe-over-Fabrics")
 * with H the secret's hash. out holds DHCHAP_MAX_SECRET bytes; *outlen its length. */
int dhchap_transform_key(const struct dhchap_secret *s, const char *nqn, uint8_t *out,
			 size_t *outlen);

/* The augmented challenge Ca: C itself without DH (zlen 0), else HMAC-H(H(Z), C).
 * c and ca are hash_len(hash_id) bytes. */
int dhchap_augment(uint8_t hash_id, const uint8_t *z, size_t zlen, const uint8_t *c, uint8_t *ca);

/* R1 = HMAC-H(Kh, Ca1 || le32 S1 || le16 T_ID || SC_C || "HostHost" || hostnqn || 0 || subnqn) */
int dhchap_host_response(uint8_t hash_id, const uint8_t *key, size_t keylen, const uint8_t *ca,
			 uint32_t seqnum, uint16_t t_id, uint8_t sc_c, const char *hostnqn,
			 const char *subnqn, uint8_t *out);
/* R2 = HMAC-H(Kc, Ca2 || le32 S2 || le16 T_ID || SC_C || "Controller" || subnqn || 0 || hostnqn) */
int dhchap_ctrl_response(uint8_t hash_id, const uint8_t *key, size_t keylen, const uint8_t *ca,
			 uint32_t seqnum, uint16_t t_id, uint8_t sc_c, const char *subnqn,
			 const char *hostnqn, uint8_t *out);

/* One side of an FFDHE exchange (RFC 7919 groups). */
struct dhchap_dh;

/* A fresh key pair in group dhgid. */
int dhchap_dh_generate(uint8_t dhgid, struct dhchap_dh **out);
/* A key pair from a given private value (big-endian), for known-answer tests. */
int dhchap_dh_from_private(uint8_t dhgid, const uint8_t *priv, size_t len, struct dhchap_dh **out);
/* The public value g^x mod p, big-endian, left-padded to dhchap_dh_len() bytes. */
int dhchap_dh_public(const struct dhchap_dh *dh, uint8_t *out, size_t len);
/* Z = peer^x mod p, padded to the group size; the peer value must be dhchap_dh_len() bytes.
 * -EBADMSG if it is not a valid public value (0, 1, p-1 or beyond p). */
int dhchap_dh_shared(const struct dhchap_dh *dh, const uint8_t *peer, size_t len, uint8_t *z);
void dhchap_dh_free(struct dhchap_dh *dh);

/* Constant-time comparison of n bytes. */
bool dhchap_equal(const uint8_t *a, const uint8_t *b, size_t n);
/* n random bytes; a non-zero 32-bit value. */
int dhchap_random(uint8_t *out, size_t n);
uint32_t dhchap_random_seqnum(void);

/* The IEEE CRC-32 of DHHC-1 and NVMeTLSkey-1 secrets (zlib's). */
uint32_t dhchap_crc32(const uint8_t *p, size_t n);

#endif
