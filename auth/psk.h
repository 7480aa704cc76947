/* psk.h - NVMe/TCP TLS pre-shared keys (protocol.md 10.2, 10.3): the NVMeTLSkey-1 interchange
 * format, PSK identities v0/v1 and the HKDF derivations of the retained and the TLS PSK, in both
 * the RFC 8446 HkdfLabel layout and the older libnvme one. Pure: no I/O, no globals. */
#ifndef CDC_PSK_H
#define CDC_PSK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PSK_MAX_LEN	    48	/* SHA-384: the longest key and hash */
#define PSK_DIGEST_MAX	    64	/* base64 of a SHA-384 HMAC */
#define PSK_IDENTITY_MAX    600 /* "NVMe1R02 " + two NQNs + digest, with room to spare */
#define PSK_INTERCHANGE_MAX 100 /* "NVMeTLSkey-1:02:" + 72 base64 + ":" and a NUL */
#define PSK_HASH_NONE	    0	/* interchange HH 00: the configured PSK is the retained PSK */
#define PSK_HASH_SHA256	    1
#define PSK_HASH_SHA384	    2

/* A configured PSK as the interchange format carries it. */
struct psk_key {
	uint8_t hash; /* PSK_HASH_*: HH of the interchange string */
	size_t len;   /* 32 or 48 */
	uint8_t key[PSK_MAX_LEN];
};

/* Which HkdfLabel layout the host's libnvme used: RFC 8446 (the kernel, later libnvme) or the
 * older one without length prefixes and with a little-endian length (libnvme 1.13, nvme-cli
 * 2.13: what Debian 13's hosts derive configured PSKs with). */
enum psk_hkdf { PSK_HKDF_RFC, PSK_HKDF_COMPAT };

/* A PSK identity as a host presents it: "NVMe<v>R<hh> <hostnqn> <subnqn>[ <digest>]". The
 * strings point into the caller's buffer given to psk_identity_parse(). */
struct psk_identity {
	unsigned int version; /* 0 or 1 */
	uint8_t hash;	      /* PSK_HASH_SHA256 or _SHA384: also the cipher suite's hash */
	char hostnqn[224];
	char subnqn[224];
	char digest[PSK_DIGEST_MAX + 1]; /* v1 only */
};

/* Hash length of PSK_HASH_SHA256/384 (32, 48), 0 for anything else. */
size_t psk_hash_len(uint8_t hash);

/* The hash a TLS PSK of this configured key uses: HH, or for HH 00 the one its length implies. */
uint8_t psk_key_cipher_hash(const struct psk_key *k);

/* Parse "NVMeTLSkey-1:HH:<base64(PSK || CRC-32(PSK))>:". -EINVAL on syntax, length or hash,
 * -EBADMSG on a CRC mismatch. out is wiped on failure. */
int psk_parse_interchange(const char *text, struct psk_key *out);

/* The interchange string of k (for tests and tools); out holds PSK_INTERCHANGE_MAX bytes. */
int psk_format_interchange(const struct psk_key *k, char *out, size_t size);

/* Retained PSK: HKDF-Extract/Expand of the configured PSK with "tls13 HostNQN" and the host
 * NQN; for HH 00 the configured PSK itself. out holds k->len bytes. 0 or -errno. */
int psk_derive_retained(const struct psk_key *k, const char *hostnqn, enum psk_hkdf layout,
			uint8_t *out);

/* v1 identity digest: base64(HMAC-H(retained, hostnqn " " subnqn " NVMe-over-Fabrics")). */
int psk_digest(uint8_t hash, const uint8_t *retained, size_t len, const char *hostnqn,
	       const char *subnqn, char *out, size_t size);

/* Parse a presented identity (len bytes, not NUL terminated). -EINVAL if it is not one. */
int psk_identity_parse(const char *id, size_t len, struct psk_identity *out);

/* Write the identity string of id (digest used for version 1). Returns its length or -EINVAL. */
int psk_identity_format(const struct psk_identity *id, char *out, size_t size);

/* TLS PSK for identity id from the retained PSK (len bytes): HKDF with "tls13 nvme-tls-psk"
 * and the identity (v0) or "<hh> <digest>" (v1) as context. out holds len bytes. */
int psk_derive_tls(const struct psk_identity *id, const uint8_t *retained, size_t len,
		   enum psk_hkdf layout, uint8_t *out);

#endif
