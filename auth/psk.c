/* psk.c - NVMe/TCP TLS PSKs (see psk.h). The byte layouts follow what Linux hosts compute
 * (libnvme's derive_retained_key, derive_psk_digest, derive_tls_key and their _compat forms),
 * since a controller must derive the very bytes the host derived or the handshake fails. */
#include "psk.h"

#include <errno.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <stdio.h>
#include <string.h>

#define INTERCHANGE_PREFIX "NVMeTLSkey-1:"
#define HKDF_INFO_MAX	   520 /* 2 + 1 + 18 + 1 + 255, with room */
#define DIGEST_SEED	   "NVMe-over-Fabrics"

size_t psk_hash_len(uint8_t hash)
{
	return hash == PSK_HASH_SHA256 ? 32 : hash == PSK_HASH_SHA384 ? 48 : 0;
}

static const char *hash_name(uint8_t hash)
{
	return hash == PSK_HASH_SHA256 ? "SHA256" : hash == PSK_HASH_SHA384 ? "SHA384" : NULL;
}

uint8_t psk_key_cipher_hash(const struct psk_key *k)
{
	if (k->hash != PSK_HASH_NONE)
		return k->hash;
	return k->len == 48 ? PSK_HASH_SHA384 : PSK_HASH_SHA256;
}

/* CRC-32 as zlib computes it (reflected, polynomial 0xEDB88320): four bytes over a key, so a
 * table is not worth its memory. */
static uint32_t crc32_zlib(const uint8_t *p, size_t n)
{
	uint32_t crc = ~0u;

	while (n--) {
		crc ^= *p++;
		for (int b = 0; b < 8; b++)
			crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1)));
	}
	return ~crc;
}

int psk_parse_interchange(const char *text, struct psk_key *out)
{
	size_t plen = strlen(INTERCHANGE_PREFIX);
	uint8_t buf[PSK_MAX_LEN + 4 + 3]; /* EVP_DecodeBlock writes whole 3-byte groups */
	int ret = -EINVAL;

	memset(out, 0, sizeof(*out));
	if (strncmp(text, INTERCHANGE_PREFIX, plen))
		return -EINVAL;
	text += plen;
	if (text[0] != '0' || (text[1] < '0' || text[1] > '2') || text[2] != ':')
		return -EINVAL;
	uint8_t hash = (uint8_t)(text[1] - '0');
	text += 3;
	const char *end = strchr(text, ':');
	if (!end || end[1] != '\0')
		return -EINVAL;
	size_t n = (size_t)(end - text);
	/* 36 bytes (32-byte key) are 48 characters, 52 bytes (48-byte key) 72 */
	if (n != 48 && n != 72)
		return -EINVAL;
	out->hash = hash;
	int got = EVP_DecodeBlock(buf, (const unsigned char *)text, (int)n);
	if (got < 0)
		goto out;
	size_t len = (size_t)got - (text[n - 1] == '=') - (text[n - 2] == '=');
	if (len != 36 && len != 52)
		goto out;
	out->len = len - 4;
	if ((out->hash == PSK_HASH_SHA256 && out->len != 32) ||
	    (out->hash == PSK_HASH_SHA384 && out->len != 48))
		goto out;
	uint32_t crc = crc32_zlib(buf, out->len);
	const uint8_t *c = buf + out->len;
	if (crc !=
	    ((uint32_t)c[0] | (uint32_t)c[1] << 8 | (uint32_t)c[2] << 16 | (uint32_t)c[3] << 24)) {
		ret = -EBADMSG;
		goto out;
	}
	memcpy(out->key, buf, out->len);
	ret = 0;
out:
	OPENSSL_cleanse(buf, sizeof(buf));
	if (ret)
		OPENSSL_cleanse(out, sizeof(*out));
	return ret;
}

int psk_format_interchange(const struct psk_key *k, char *out, size_t size)
{
	uint8_t buf[PSK_MAX_LEN + 4];
	char b64[80];

	if ((k->len != 32 && k->len != 48) || k->hash > PSK_HASH_SHA384 ||
	    size < PSK_INTERCHANGE_MAX)
		return -EINVAL;
	memcpy(buf, k->key, k->len);
	uint32_t crc = crc32_zlib(k->key, k->len);
	for (int i = 0; i < 4; i++)
		buf[k->len + (size_t)i] = (uint8_t)(crc >> (8 * i));
	EVP_EncodeBlock((unsigned char *)b64, buf, (int)k->len + 4);
	snprintf(out, size, "%s%02u:%s:", INTERCHANGE_PREFIX, k->hash, b64);
	OPENSSL_cleanse(buf, sizeof(buf));
	OPENSSL_cleanse(b64, sizeof(b64));
	return 0;
}

/* HKDF-Extract(0, key) then HKDF-Expand(info, outlen), RFC 5869. */
static int hkdf(uint8_t hash, const uint8_t *key, size_t keylen, const uint8_t *info,
		size_t infolen, uint8_t *out, size_t outlen)
{
	const char *md = hash_name(hash);
	EVP_KDF *kdf;
	EVP_KDF_CTX *ctx = NULL;
	OSSL_PARAM params[4];
	int ret = -EINVAL;

	if (!md)
		return -EINVAL;
	kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	if (kdf)
		ctx = EVP_KDF_CTX_new(kdf);
	EVP_KDF_free(kdf);
	if (!ctx)
		return -ENOMEM;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)md, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)key, keylen);
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, infolen);
	params[3] = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(ctx, out, outlen, params) == 1)
		ret = 0;
	EVP_KDF_CTX_free(ctx);
	return ret;
}

/* The info of HKDF-Expand-Label for a label without its "tls13 " prefix and a context:
 * RFC 8446 HkdfLabel, or the older libnvme layout that leaves out both length bytes and
 * writes the output length little-endian. Returns the info's length, or 0 if too long. */
static size_t hkdf_label(uint8_t *info, size_t outlen, const char *label, const char *ctx_prefix,
			 const char *context, enum psk_hkdf layout)
{
	size_t ll = strlen("tls13 ") + strlen(label);
	size_t cl = strlen(ctx_prefix) + strlen(context);
	size_t n = 0;

	if (ll > 255 || cl > 255 || 2 + 1 + ll + 1 + cl > HKDF_INFO_MAX)
		return 0;
	if (layout == PSK_HKDF_RFC) {
		info[n++] = (uint8_t)(outlen >> 8);
		info[n++] = (uint8_t)outlen;
		info[n++] = (uint8_t)ll;
	} else {
		info[n++] = (uint8_t)outlen;
		info[n++] = (uint8_t)(outlen >> 8);
	}
	memcpy(info + n, "tls13 ", 6);
	memcpy(info + n + 6, label, ll - 6);
	n += ll;
	if (layout == PSK_HKDF_RFC)
		info[n++] = (uint8_t)cl;
	memcpy(info + n, ctx_prefix, strlen(ctx_prefix));
	memcpy(info + n + strlen(ctx_prefix), context, strlen(context));
	return n + cl;
}

int psk_derive_retained(const struct psk_key *k, const char *hostnqn, enum psk_hkdf layout,
			uint8_t *out)
{
	uint8_t info[HKDF_INFO_MAX];

	if (k->hash == PSK_HASH_NONE) {
		memcpy(out, k->key, k->len);
		return 0;
	}
	size_t n = hkdf_label(info, k->len, "HostNQN", "", hostnqn, layout);
	if (!n)
		return -EINVAL;
	return hkdf(k->hash, k->key, k->len, info, n, out, k->len);
}

int psk_digest(uint8_t hash, const uint8_t *retained, size_t len, const char *hostnqn,
	       const char *subnqn, char *out, size_t size)
{
	const char *md = hash_name(hash);
	uint8_t mac[EVP_MAX_MD_SIZE];
	size_t maclen = 0;
	EVP_MAC *hmac;
	EVP_MAC_CTX *ctx = NULL;
	OSSL_PARAM params[2];
	int ret = -EINVAL;

	if (!md || size < PSK_DIGEST_MAX + 1)
		return -EINVAL;
	hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (hmac)
		ctx = EVP_MAC_CTX_new(hmac);
	EVP_MAC_free(hmac);
	if (!ctx)
		return -ENOMEM;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)md, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_init(ctx, retained, len, params) == 1 &&
	    EVP_MAC_update(ctx, (const uint8_t *)hostnqn, strlen(hostnqn)) == 1 &&
	    EVP_MAC_update(ctx, (const uint8_t *)" ", 1) == 1 &&
	    EVP_MAC_update(ctx, (const uint8_t *)subnqn, strlen(subnqn)) == 1 &&
	    EVP_MAC_update(ctx, (const uint8_t *)" " DIGEST_SEED, 1 + strlen(DIGEST_SEED)) == 1 &&
	    EVP_MAC_final(ctx, mac, &maclen, sizeof(mac)) == 1 && maclen == psk_hash_len(hash)) {
		EVP_EncodeBlock((unsigned char *)out, mac, (int)maclen);
		ret = 0;
	}
	EVP_MAC_CTX_free(ctx);
	OPENSSL_cleanse(mac, sizeof(mac));
	return ret;
}

/* Copies the next space-separated word of [*p, end) into dst; false if empty or too long. */
static bool next_word(const char **p, const char *end, char *dst, size_t size)
{
	const char *s = *p;
	const char *e = memchr(s, ' ', (size_t)(end - s));

	if (!e)
		e = end;
	if (e == s || (size_t)(e - s) >= size)
		return false;
	memcpy(dst, s, (size_t)(e - s));
	dst[e - s] = '\0';
	*p = e < end ? e + 1 : end;
	return true;
}

int psk_identity_parse(const char *id, size_t len, struct psk_identity *out)
{
	const char *end = id + len;

	memset(out, 0, sizeof(*out));
	/* "NVMe" version 'R' hh ' ': generated PSKs ('G') come with secure concatenation,
	 * which this controller does not do. */
	if (len < 9 || memcmp(id, "NVMe", 4) || (id[4] != '0' && id[4] != '1') || id[5] != 'R' ||
	    id[6] != '0' || (id[7] != '1' && id[7] != '2') || id[8] != ' ')
		return -EINVAL;
	out->version = (unsigned int)(id[4] - '0');
	out->hash = (uint8_t)(id[7] - '0');
	const char *p = id + 9;
	if (memchr(p, '\0', (size_t)(end - p)))
		return -EINVAL;
	if (!next_word(&p, end, out->hostnqn, sizeof(out->hostnqn)) ||
	    !next_word(&p, end, out->subnqn, sizeof(out->subnqn)))
		return -EINVAL;
	/* single spaces between the words, none after the last */
	if (end[-1] == ' ')
		return -EINVAL;
	if (out->version == 0)
		return p == end ? 0 : -EINVAL;
	if (!next_word(&p, end, out->digest, sizeof(out->digest)) || p != end ||
	    strlen(out->digest) != (psk_hash_len(out->hash) + 2) / 3 * 4)
		return -EINVAL;
	return 0;
}

int psk_identity_format(const struct psk_identity *id, char *out, size_t size)
{
	int n;

	if (id->version == 0)
		n = snprintf(out, size, "NVMe0R%02u %s %s", id->hash, id->hostnqn, id->subnqn);
	else if (id->version == 1)
		n = snprintf(out, size, "NVMe1R%02u %s %s %s", id->hash, id->hostnqn, id->subnqn,
			     id->digest);
	else
		return -EINVAL;
	return n < 0 || (size_t)n >= size ? -EINVAL : n;
}

int psk_derive_tls(const struct psk_identity *id, const uint8_t *retained, size_t len,
		   enum psk_hkdf layout, uint8_t *out)
{
	uint8_t info[HKDF_INFO_MAX];
	char context[PSK_IDENTITY_MAX];
	char prefix[8] = "";
	size_t n;

	if (id->version == 0) {
		if (psk_identity_format(id, context, sizeof(context)) < 0)
			return -EINVAL;
	} else {
		snprintf(prefix, sizeof(prefix), "%02u ", id->hash);
		snprintf(context, sizeof(context), "%s", id->digest);
	}
	n = hkdf_label(info, len, "nvme-tls-psk", prefix, context, layout);
	if (!n)
		return -EINVAL;
	return hkdf(id->hash, retained, len, info, n, out, len);
}
