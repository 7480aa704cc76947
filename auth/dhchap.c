/* dhchap.c - DH-HMAC-CHAP computations over OpenSSL 3 (protocol.md 9.7, which names the
 * kernel functions each step corresponds to). Everything that held a key is wiped before it
 * is freed. */
#include "dhchap.h"

#include <errno.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/dh.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
	const char *name; /* ours, as in the configuration */
	const char *md;	  /* OpenSSL's */
	size_t len;
} hashes[] = {
	[DHCHAP_SHA256] = {"sha256", "SHA256", 32},
	[DHCHAP_SHA384] = {"sha384", "SHA384", 48},
	[DHCHAP_SHA512] = {"sha512", "SHA512", 64},
};

static const struct {
	const char *name;
	size_t len;
} groups[] = {
	[DHCHAP_DH_NULL] = {"null", 0},		 [DHCHAP_FFDHE2048] = {"ffdhe2048", 256},
	[DHCHAP_FFDHE3072] = {"ffdhe3072", 384}, [DHCHAP_FFDHE4096] = {"ffdhe4096", 512},
	[DHCHAP_FFDHE6144] = {"ffdhe6144", 768}, [DHCHAP_FFDHE8192] = {"ffdhe8192", 1024},
};

static const char fabrics_label[] = "NVMe-over-Fabrics";

size_t dhchap_hash_len(uint8_t id)
{
	return id < ARRAY_SIZE(hashes) && hashes[id].name ? hashes[id].len : 0;
}

const char *dhchap_hash_name(uint8_t id)
{
	return id < ARRAY_SIZE(hashes) ? hashes[id].name : NULL;
}

int dhchap_hash_by_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(hashes); i++)
		if (hashes[i].name && !strcasecmp(name, hashes[i].name))
			return (int)i;
	return -EINVAL;
}

size_t dhchap_dh_len(uint8_t id)
{
	return id < ARRAY_SIZE(groups) ? groups[id].len : (size_t)-1;
}

const char *dhchap_dh_name(uint8_t id)
{
	return id < ARRAY_SIZE(groups) ? groups[id].name : NULL;
}

int dhchap_dh_by_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(groups); i++)
		if (!strcasecmp(name, groups[i].name))
			return (int)i;
	return -EINVAL;
}

/* ---- CRC-32 and base64 (RFC 4648, with padding) ---- */

uint32_t dhchap_crc32(const uint8_t *p, size_t n)
{
	uint32_t crc = 0xffffffffu;

	for (size_t i = 0; i < n; i++) {
		crc ^= p[i];
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1)));
	}
	return ~crc;
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64_value(char c)
{
	const char *p = c ? strchr(b64, c) : NULL;

	return p ? (int)(p - b64) : -1;
}

/* Decodes len characters (a multiple of 4, padded) into out; the byte count or -EINVAL. */
static int b64_decode(const char *in, size_t len, uint8_t *out, size_t size)
{
	size_t n = 0;

	if (len % 4)
		return -EINVAL;
	for (size_t i = 0; i < len; i += 4) {
		int v[4];
		int pad = 0;

		for (int k = 0; k < 4; k++) {
			if (in[i + k] == '=' && i + 4 == len && k >= 2) {
				pad++;
				v[k] = 0;
				continue;
			}
			if (pad || (v[k] = b64_value(in[i + k])) < 0)
				return -EINVAL;
		}
		uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 |
			     (uint32_t)v[3];
		uint8_t bytes[3] = {(uint8_t)(w >> 16), (uint8_t)(w >> 8), (uint8_t)w};
		if (n + 3 - (size_t)pad > size)
			return -EINVAL;
		memcpy(out + n, bytes, 3 - (size_t)pad);
		n += 3 - (size_t)pad;
		OPENSSL_cleanse(bytes, sizeof(bytes));
	}
	return (int)n;
}

static size_t b64_encode(const uint8_t *in, size_t len, char *out)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i += 3) {
		uint32_t w = (uint32_t)in[i] << 16;
		if (i + 1 < len)
			w |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < len)
			w |= in[i + 2];
		out[n++] = b64[w >> 18 & 63];
		out[n++] = b64[w >> 12 & 63];
		out[n++] = i + 1 < len ? b64[w >> 6 & 63] : '=';
		out[n++] = i + 2 < len ? b64[w & 63] : '=';
	}
	out[n] = 0;
	return n;
}

/* ---- secrets ---- */

void dhchap_secret_clear(struct dhchap_secret *s)
{
	OPENSSL_cleanse(s, sizeof(*s));
}

int dhchap_secret_parse(const char *text, struct dhchap_secret *out)
{
	uint8_t buf[DHCHAP_MAX_SECRET + 4 + 3];
	int r = -EINVAL;

	memset(out, 0, sizeof(*out));
	if (strncmp(text, "DHHC-1:", 7) != 0)
		return -EINVAL;
	const char *p = text + 7;
	/* Two ASCII digits, as the kernel and nvme-cli write them. */
	if (p[0] != '0' || p[1] < '0' || p[1] > '3' || p[2] != ':')
		return -EINVAL;
	out->hmac = (uint8_t)(p[1] - '0');
	p += 3;
	size_t len = strcspn(p, ":");
	if (p[len] == ':' && p[len + 1] != 0)
		return -EINVAL;
	int n = b64_decode(p, len, buf, sizeof(buf));
	if (n != 36 && n != 52 && n != 68)
		goto out;
	uint32_t crc = (uint32_t)buf[n - 4] | (uint32_t)buf[n - 3] << 8 |
		       (uint32_t)buf[n - 2] << 16 | (uint32_t)buf[n - 1] << 24;
	if (dhchap_crc32(buf, (size_t)n - 4) != crc) {
		r = -EBADMSG;
		goto out;
	}
	out->len = (size_t)n - 4;
	memcpy(out->key, buf, out->len);
	r = 0;
out:
	OPENSSL_cleanse(buf, sizeof(buf));
	if (r)
		dhchap_secret_clear(out);
	return r;
}

int dhchap_secret_format(const struct dhchap_secret *s, char *buf, size_t size)
{
	uint8_t raw[DHCHAP_MAX_SECRET + 4];
	char enc[((DHCHAP_MAX_SECRET + 4 + 2) / 3) * 4 + 1];

	if (s->len != 32 && s->len != 48 && s->len != 64)
		return -EINVAL;
	memcpy(raw, s->key, s->len);
	uint32_t crc = dhchap_crc32(s->key, s->len);
	for (int i = 0; i < 4; i++)
		raw[s->len + (size_t)i] = (uint8_t)(crc >> (8 * i));
	b64_encode(raw, s->len + 4, enc);
	int n = snprintf(buf, size, "DHHC-1:%02u:%s:", s->hmac, enc);
	OPENSSL_cleanse(raw, sizeof(raw));
	OPENSSL_cleanse(enc, sizeof(enc));
	return n < 0 || (size_t)n >= size ? -ENOSPC : n;
}

/* ---- HMAC over a list of pieces ---- */

struct piece {
	const void *p;
	size_t n;
};

static int hmac(uint8_t hash_id, const uint8_t *key, size_t keylen, const struct piece *pc,
		size_t npc, uint8_t *out)
{
	size_t hl = dhchap_hash_len(hash_id);
	EVP_MAC *mac = NULL;
	EVP_MAC_CTX *ctx = NULL;
	int r = -EIO;

	if (!hl)
		return -EINVAL;
	OSSL_PARAM params[] = {
		OSSL_PARAM_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)hashes[hash_id].md, 0),
		OSSL_PARAM_END,
	};
	mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (!mac || !(ctx = EVP_MAC_CTX_new(mac)) || !EVP_MAC_init(ctx, key, keylen, params))
		goto out;
	for (size_t i = 0; i < npc; i++)
		if (pc[i].n && !EVP_MAC_update(ctx, pc[i].p, pc[i].n))
			goto out;
	size_t outl = 0;
	if (!EVP_MAC_final(ctx, out, &outl, hl) || outl != hl)
		goto out;
	r = 0;
out:
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return r;
}

int dhchap_transform_key(const struct dhchap_secret *s, const char *nqn, uint8_t *out,
			 size_t *outlen)
{
	if (s->len != 32 && s->len != 48 && s->len != 64)
		return -EINVAL;
	if (s->hmac == 0) {
		memcpy(out, s->key, s->len);
		*outlen = s->len;
		return 0;
	}
	const struct piece pc[] = {{nqn, strlen(nqn)}, {fabrics_label, strlen(fabrics_label)}};
	int r = hmac(s->hmac, s->key, s->len, pc, ARRAY_SIZE(pc), out);
	*outlen = r ? 0 : dhchap_hash_len(s->hmac);
	return r;
}

int dhchap_augment(uint8_t hash_id, const uint8_t *z, size_t zlen, const uint8_t *c, uint8_t *ca)
{
	size_t hl = dhchap_hash_len(hash_id);
	uint8_t hz[DHCHAP_MAX_HL];
	unsigned int hzl = 0;

	if (!hl)
		return -EINVAL;
	if (!zlen) {
		memcpy(ca, c, hl);
		return 0;
	}
	if (!EVP_Digest(z, zlen, hz, &hzl, EVP_get_digestbyname(hashes[hash_id].md), NULL))
		return -EIO;
	const struct piece pc[] = {{c, hl}};
	int r = hmac(hash_id, hz, hzl, pc, 1, ca);
	OPENSSL_cleanse(hz, sizeof(hz));
	return r;
}

static int response(uint8_t hash_id, const uint8_t *key, size_t keylen, const uint8_t *ca,
		    uint32_t seqnum, uint16_t t_id, uint8_t sc_c, const char *role,
		    const char *nqn1, const char *nqn2, uint8_t *out)
{
	uint8_t seq[4] = {(uint8_t)seqnum, (uint8_t)(seqnum >> 8), (uint8_t)(seqnum >> 16),
			  (uint8_t)(seqnum >> 24)};
	uint8_t tid[2] = {(uint8_t)t_id, (uint8_t)(t_id >> 8)};
	const uint8_t zero = 0;
	const struct piece pc[] = {
		{ca, dhchap_hash_len(hash_id)},
		{seq, 4},
		{tid, 2},
		{&sc_c, 1},
		{role, strlen(role)},
		{nqn1, strlen(nqn1)},
		{&zero, 1},
		{nqn2, strlen(nqn2)},
	};

	return hmac(hash_id, key, keylen, pc, ARRAY_SIZE(pc), out);
}

int dhchap_host_response(uint8_t hash_id, const uint8_t *key, size_t keylen, const uint8_t *ca,
			 uint32_t seqnum, uint16_t t_id, uint8_t sc_c, const char *hostnqn,
			 const char *subnqn, uint8_t *out)
{
	return response(hash_id, key, keylen, ca, seqnum, t_id, sc_c, "HostHost", hostnqn, subnqn,
			out);
}

int dhchap_ctrl_response(uint8_t hash_id, const uint8_t *key, size_t keylen, const uint8_t *ca,
			 uint32_t seqnum, uint16_t t_id, uint8_t sc_c, const char *subnqn,
			 const char *hostnqn, uint8_t *out)
{
	return response(hash_id, key, keylen, ca, seqnum, t_id, sc_c, "Controller", subnqn, hostnqn,
			out);
}

/* ---- FFDHE ---- */

struct dhchap_dh {
	EVP_PKEY *pkey;
	uint8_t dhgid;
};

/* *pkey becomes the key of a new struct dhchap_dh (and *pkey NULL). 0 or -ENOMEM. */
static int dh_wrap(EVP_PKEY **pkey, uint8_t dhgid, struct dhchap_dh **out)
{
	if (!(*out = calloc(1, sizeof(**out))))
		return -ENOMEM;
	(*out)->pkey = *pkey;
	(*out)->dhgid = dhgid;
	*pkey = NULL;
	return 0;
}

static bool group_ok(uint8_t dhgid)
{
	return dhgid >= DHCHAP_FFDHE2048 && dhgid <= DHCHAP_FFDHE8192;
}

static EVP_PKEY *group_params(uint8_t dhgid)
{
	EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_from_name(NULL, "DH", NULL);
	EVP_PKEY *pkey = NULL;
	OSSL_PARAM params[] = {
		OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)groups[dhgid].name, 0),
		OSSL_PARAM_END,
	};

	if (pctx && EVP_PKEY_paramgen_init(pctx) > 0 && EVP_PKEY_CTX_set_params(pctx, params) > 0)
		EVP_PKEY_paramgen(pctx, &pkey);
	EVP_PKEY_CTX_free(pctx);
	return pkey;
}

int dhchap_dh_generate(uint8_t dhgid, struct dhchap_dh **out)
{
	EVP_PKEY_CTX *pctx = NULL;
	EVP_PKEY *pkey = NULL;
	int r = -EIO;

	if (!group_ok(dhgid))
		return -EINVAL;
	OSSL_PARAM params[] = {
		OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)groups[dhgid].name, 0),
		OSSL_PARAM_END,
	};
	pctx = EVP_PKEY_CTX_new_from_name(NULL, "DH", NULL);
	if (!pctx || EVP_PKEY_keygen_init(pctx) <= 0 ||
	    EVP_PKEY_CTX_set_params(pctx, params) <= 0 || EVP_PKEY_generate(pctx, &pkey) <= 0)
		goto out;
	r = dh_wrap(&pkey, dhgid, out);
out:
	EVP_PKEY_free(pkey);
	EVP_PKEY_CTX_free(pctx);
	return r;
}

/* A key of group dhgid from BIGNUMs (priv may be NULL: a peer's public key). */
static EVP_PKEY *key_fromdata(uint8_t dhgid, const BIGNUM *pub, const BIGNUM *priv)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;

	if (!bld ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, groups[dhgid].name,
					     0) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PUB_KEY, pub) ||
	    (priv && !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, priv)) ||
	    !(params = OSSL_PARAM_BLD_to_param(bld)))
		goto out;
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "DH", NULL);
	if (!ctx || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pkey, priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params) <=
		    0)
		pkey = NULL;
out:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	return pkey;
}

int dhchap_dh_from_private(uint8_t dhgid, const uint8_t *priv, size_t len, struct dhchap_dh **out)
{
	EVP_PKEY *params = NULL, *pkey = NULL;
	BIGNUM *p = NULL, *x = NULL, *g = NULL, *y = NULL;
	BN_CTX *bctx = NULL;
	int r = -EIO;

	if (!group_ok(dhgid))
		return -EINVAL;
	if (!(params = group_params(dhgid)) ||
	    !EVP_PKEY_get_bn_param(params, OSSL_PKEY_PARAM_FFC_P, &p) ||
	    !EVP_PKEY_get_bn_param(params, OSSL_PKEY_PARAM_FFC_G, &g) || !(x = BN_secure_new()) ||
	    !BN_bin2bn(priv, (int)len, x) || !(y = BN_new()) || !(bctx = BN_CTX_new()) ||
	    !BN_mod_exp(y, g, x, p, bctx) || !(pkey = key_fromdata(dhgid, y, x)))
		goto out;
	r = dh_wrap(&pkey, dhgid, out);
out:
	EVP_PKEY_free(pkey);
	EVP_PKEY_free(params);
	BN_free(p);
	BN_free(g);
	BN_clear_free(x);
	BN_free(y);
	BN_CTX_free(bctx);
	return r;
}

int dhchap_dh_public(const struct dhchap_dh *dh, uint8_t *out, size_t len)
{
	BIGNUM *pub = NULL;
	int r = -EIO;

	if (len != dhchap_dh_len(dh->dhgid))
		return -EINVAL;
	if (EVP_PKEY_get_bn_param(dh->pkey, OSSL_PKEY_PARAM_PUB_KEY, &pub) &&
	    BN_bn2binpad(pub, out, (int)len) == (int)len)
		r = 0;
	BN_free(pub);
	return r;
}

/* Whether 2 <= y <= p - 2. For the RFC 7919 groups (safe primes, p = 2q + 1) the only small
 * subgroups are {1} and {1, p - 1}, so this is the whole check (the host's own rule in
 * protocol.md 9.4); OpenSSL's full validation (y^q mod p) would cost a full-length exponentiation,
 * 20 times the derivation itself with ffdhe2048, on the event loop. */
static bool peer_in_range(const EVP_PKEY *own, const BIGNUM *y)
{
	BIGNUM *p = NULL, *pm1 = BN_new();
	bool ok = false;

	if (pm1 && EVP_PKEY_get_bn_param(own, OSSL_PKEY_PARAM_FFC_P, &p) && BN_copy(pm1, p) &&
	    BN_sub_word(pm1, 1))
		ok = !BN_is_zero(y) && !BN_is_one(y) && BN_cmp(y, pm1) < 0;
	BN_free(p);
	BN_free(pm1);
	return ok;
}

int dhchap_dh_shared(const struct dhchap_dh *dh, const uint8_t *peer, size_t len, uint8_t *z)
{
	BIGNUM *pub = NULL;
	EVP_PKEY *peer_key = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	size_t zlen = len;
	int r = -EBADMSG;

	if (len != dhchap_dh_len(dh->dhgid))
		return -EINVAL;
	if (!(pub = BN_bin2bn(peer, (int)len, NULL)) || !peer_in_range(dh->pkey, pub) ||
	    !(peer_key = key_fromdata(dh->dhgid, pub, NULL)))
		goto out;
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, dh->pkey, NULL);
	if (!ctx || EVP_PKEY_derive_init(ctx) <= 0 || EVP_PKEY_CTX_set_dh_pad(ctx, 1) <= 0 ||
	    EVP_PKEY_derive_set_peer_ex(ctx, peer_key, 0) <= 0)
		goto out;
	if (EVP_PKEY_derive(ctx, z, &zlen) <= 0 || zlen != len) {
		OPENSSL_cleanse(z, len);
		goto out;
	}
	r = 0;
out:
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(peer_key);
	BN_free(pub);
	return r;
}

void dhchap_dh_free(struct dhchap_dh *dh)
{
	if (!dh)
		return;
	EVP_PKEY_free(dh->pkey); /* OpenSSL clears private key material it frees */
	free(dh);
}

bool dhchap_equal(const uint8_t *a, const uint8_t *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}

int dhchap_random(uint8_t *out, size_t n)
{
	return RAND_bytes(out, (int)n) == 1 ? 0 : -EIO;
}

uint32_t dhchap_random_seqnum(void)
{
	uint32_t v = 0;

	while (!v)
		if (RAND_bytes((unsigned char *)&v, sizeof(v)) != 1)
			v = 1;
	return v;
}
