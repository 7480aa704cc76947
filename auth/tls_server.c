/* tls_server.c - TLS 1.3 with external PSKs for NVMe/TCP (see tls_server.h). OpenSSL does the
 * record layer straight on the non-blocking socket; the PSK is looked up per handshake from the
 * identity the host presents, derived as the host's libnvme derived it. */
#include "tls_server.h"

#include <errno.h>
#include <fcntl.h>
#include <nvme/types.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addr.h"
#include "psk.h"

#define KEYFILE_MAX (1u << 20) /* a million bytes is thousands of hosts */

struct tls_host {
	char hostnqn[CDC_NQN_MAX + 1];
	struct psk_key key;
	enum psk_hkdf layout;
};

struct tls_server {
	SSL_CTX *ctx;
	char nqn[CDC_NQN_MAX + 1];
	struct tls_host *hosts;
	size_t nhosts;
};

struct tls_conn {
	struct tls_server *ts;
	SSL *ssl;
	char hostnqn[CDC_NQN_MAX + 1];
	char identity_kind[9]; /* "NVMe0R01" */
	uint8_t suite_hash;    /* PSK_HASH_*: of the suite client_hello_cb allowed */
	char hello[96];	       /* TLS 1.3 suites offered and binder length, for a failure */
	char error[600];       /* room for two NQNs */
};

static void hosts_wipe(struct tls_host *h, size_t n)
{
	if (h)
		OPENSSL_cleanse(h, n * sizeof(*h));
	free(h);
}

static const struct tls_host *host_find(const struct tls_server *ts, const char *hostnqn)
{
	for (size_t i = 0; i < ts->nhosts; i++)
		if (!strcmp(ts->hosts[i].hostnqn, hostnqn))
			return &ts->hosts[i];
	return NULL;
}

/* The TLS PSK for a presented identity, or why there is none (in c->error). */
static int psk_for_identity(struct tls_conn *c, const unsigned char *identity, size_t len,
			    uint8_t *psk, size_t *psklen, uint8_t *hash)
{
	struct psk_identity id;
	uint8_t retained[PSK_MAX_LEN];
	char digest[PSK_DIGEST_MAX + 1];
	int ret = -EACCES;

	/* The NQNs go into log lines: only printable, well-formed ones get that far. */
	if (psk_identity_parse((const char *)identity, len, &id) < 0 || !nqn_is_valid(id.hostnqn) ||
	    !nqn_is_valid(id.subnqn)) {
		snprintf(c->error, sizeof(c->error),
			 "PSK identity is not an NVMe retained-PSK one");
		return -EINVAL;
	}
	snprintf(c->identity_kind, sizeof(c->identity_kind), "%.8s", (const char *)identity);
	if (strcmp(id.subnqn, NVME_DISC_SUBSYS_NAME) && strcmp(id.subnqn, c->ts->nqn)) {
		snprintf(c->error, sizeof(c->error), "PSK identity of host %s names subsystem %s",
			 id.hostnqn, id.subnqn);
		return -EACCES;
	}
	const struct tls_host *h = host_find(c->ts, id.hostnqn);
	if (!h) {
		snprintf(c->error, sizeof(c->error), "no PSK for host %s", id.hostnqn);
		return -ENOKEY;
	}
	if (id.hash != psk_key_cipher_hash(&h->key)) {
		snprintf(c->error, sizeof(c->error), "host %s presents a %s identity for a %s key",
			 id.hostnqn, id.hash == PSK_HASH_SHA384 ? "SHA-384" : "SHA-256",
			 psk_key_cipher_hash(&h->key) == PSK_HASH_SHA384 ? "SHA-384" : "SHA-256");
		return -EACCES;
	}
	enum psk_hkdf layout = h->layout;
	if (psk_derive_retained(&h->key, id.hostnqn, layout, retained) < 0)
		goto out;
	if (id.version == 1) {
		/* The digest proves the host holds the same key before any TLS PSK is used, and
		 * it is made with the retained PSK: it also tells which layout the host's libnvme
		 * derived with, so a v1 host works whatever its key line says. */
		bool match = false;
		for (int tries = 0; tries < 2 && !match; tries++) {
			if (tries) {
				layout = layout == PSK_HKDF_RFC ? PSK_HKDF_COMPAT : PSK_HKDF_RFC;
				if (psk_derive_retained(&h->key, id.hostnqn, layout, retained) < 0)
					goto out;
			}
			if (psk_digest(id.hash, retained, h->key.len, id.hostnqn, id.subnqn, digest,
				       sizeof(digest)) < 0)
				goto out;
			match = strlen(digest) == strlen(id.digest) &&
				!CRYPTO_memcmp(digest, id.digest, strlen(digest));
		}
		if (!match) {
			snprintf(c->error, sizeof(c->error),
				 "PSK identity digest of host %s does not match its key",
				 id.hostnqn);
			goto out;
		}
	}
	if (psk_derive_tls(&id, retained, h->key.len, layout, psk) < 0)
		goto out;
	*psklen = h->key.len;
	*hash = id.hash;
	snprintf(c->hostnqn, sizeof(c->hostnqn), "%s", id.hostnqn);
	ret = 0;
out:
	if (ret && !c->error[0])
		snprintf(c->error, sizeof(c->error), "cannot derive the PSK of host %s",
			 id.hostnqn);
	OPENSSL_cleanse(retained, sizeof(retained));
	OPENSSL_cleanse(&id, sizeof(id));
	return ret;
}

/* OpenSSL's server PSK lookup: a session whose master key is the TLS PSK (derived with the
 * identity's hash), with the suite client_hello_cb allowed. */
static int find_session_cb(SSL *ssl, const unsigned char *identity, size_t len, SSL_SESSION **sess)
{
	struct tls_conn *c = SSL_get_app_data(ssl);
	uint8_t psk[PSK_MAX_LEN];
	size_t psklen = 0;
	uint8_t hash = 0;
	int ok = 0;

	*sess = NULL;
	if (psk_for_identity(c, identity, len, psk, &psklen, &hash) < 0)
		return 0; /* abort the handshake: the host has no business here */
	(void)hash;	  /* the suite follows the binder (client_hello_cb), the PSK the identity */
	/* A suite of the binder's hash: OpenSSL checks only the hash, and runs the suite it chose.
	 */
	const unsigned char suite[2] = {0x13, c->suite_hash == PSK_HASH_SHA384 ? 0x02 : 0x01};
	const SSL_CIPHER *cipher = SSL_CIPHER_find(ssl, suite);
	SSL_SESSION *s = SSL_SESSION_new();
	if (cipher && s && SSL_SESSION_set1_master_key(s, psk, psklen) &&
	    SSL_SESSION_set_cipher(s, cipher) &&
	    SSL_SESSION_set_protocol_version(s, TLS1_3_VERSION)) {
		*sess = s;
		ok = 1;
	} else {
		SSL_SESSION_free(s);
		snprintf(c->error, sizeof(c->error), "cannot make a TLS session for the PSK");
	}
	OPENSSL_cleanse(psk, sizeof(psk));
	return ok;
}

/* OpenSSL picks the cipher suite before it looks at the PSK, and drops a PSK whose hash is not
 * the suite's: so the suite is chosen here, from the hash the host computed its PSK binder with
 * (the binder's length: 32 or 48 bytes). That is the identity's hash for a host that follows the
 * NVMe/TCP specification, but tlshd (ktls-utils 1.0.0, GnuTLS) binds every PSK with SHA-256:
 * with a "NVMe0R02" identity it offers TLS_AES_256_GCM_SHA384 and TLS_CHACHA20_POLY1305_SHA256,
 * so only the latter can work. Hence a SHA-256 binder allows AES-128-GCM first and ChaCha20 after
 * it. Without a usable binder the identity's hash decides. c->suite_hash tells find_session_cb. */
/* "suites 1301 1303, binder 32": what the host offered, for the log line of a failure. */
static void hello_describe(SSL *ssl, struct tls_conn *c, size_t binder)
{
	const unsigned char *suites;
	size_t n = SSL_client_hello_get0_ciphers(ssl, &suites), at;

	at = (size_t)snprintf(c->hello, sizeof(c->hello), "suites");
	for (size_t i = 0; i + 1 < n && at + 6 < sizeof(c->hello); i += 2)
		if (suites[i] == 0x13) /* the TLS 1.3 ones */
			at += (size_t)snprintf(c->hello + at, sizeof(c->hello) - at, " %02x%02x",
					       suites[i], suites[i + 1]);
	snprintf(c->hello + at, sizeof(c->hello) - at, ", binder %zu", binder);
}

static int client_hello_cb(SSL *ssl, int *alert, void *arg)
{
	struct tls_conn *c = SSL_get_app_data(ssl);
	const unsigned char *p;
	size_t len;

	(void)alert;
	(void)arg;
	c->suite_hash = PSK_HASH_SHA256;
	/* pre_shared_key (41): identities<u16> of identity<u16> + u32 age, then binders<u16> of
	 * binder<u8> */
	if (SSL_client_hello_get0_ext(ssl, 41, &p, &len) != 1 || len < 4)
		return SSL_CLIENT_HELLO_SUCCESS; /* no PSK: the handshake fails on its own */
	size_t ids = (size_t)p[0] << 8 | p[1];
	size_t idlen = (size_t)p[2] << 8 | p[3];
	if (idlen >= 8 && idlen <= len - 4 && !memcmp(p + 4, "NVMe", 4) && p[4 + 7] == '2')
		c->suite_hash = PSK_HASH_SHA384;
	size_t binder = ids + 5 <= len - 2 ? p[2 + ids + 2] : 0;
	hello_describe(ssl, c, binder);
	if (binder) {
		if (binder == 32)
			c->suite_hash = PSK_HASH_SHA256;
		else if (binder == 48)
			c->suite_hash = PSK_HASH_SHA384;
	}
	SSL_set_ciphersuites(ssl, c->suite_hash == PSK_HASH_SHA384
					  ? "TLS_AES_256_GCM_SHA384"
					  : "TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256");
	SSL_set_options(ssl, SSL_OP_CIPHER_SERVER_PREFERENCE);
	return SSL_CLIENT_HELLO_SUCCESS;
}

int tls_server_new(const char *nqn, struct tls_server **out)
{
	struct tls_server *ts = calloc(1, sizeof(*ts));

	*out = NULL;
	if (!ts)
		return -ENOMEM;
	snprintf(ts->nqn, sizeof(ts->nqn), "%s", nqn);
	ts->ctx = SSL_CTX_new(TLS_server_method());
	if (!ts->ctx) {
		free(ts);
		return -ENOMEM;
	}
	SSL_CTX *ctx = ts->ctx;
	SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
	SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
	SSL_CTX_set_ciphersuites(ctx, "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384");
	/* Linux hosts hand the session to kernel TLS, which takes any record but application data
	 * after the handshake as an error: no tickets (nor a cache they would feed). psk_ke is
	 * allowed beside psk_dhe_ke, as in the NVMe/TCP specification. */
	SSL_CTX_set_num_tickets(ctx, 0);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_ALLOW_NO_DHE_KEX);
	/* A host that closes without close_notify has ended the stream, not broken it. */
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	/* The queue writes from an evbuffer whose first chunk moves and grows between retries;
	 * idle connections keep no record buffers. */
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
				      SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_psk_find_session_callback(ctx, find_session_cb);
	SSL_CTX_set_client_hello_cb(ctx, client_hello_cb, NULL);
	*out = ts;
	return 0;
}

size_t tls_server_nkeys(const struct tls_server *ts)
{
	return ts ? ts->nhosts : 0;
}

void tls_server_free(struct tls_server *ts)
{
	if (!ts)
		return;
	hosts_wipe(ts->hosts, ts->nhosts);
	SSL_CTX_free(ts->ctx);
	free(ts);
}

/* One line of the key file into h; err (prefixed by the caller) on failure. */
static int parse_key_line(char *line, struct tls_host *h, char *err, size_t errlen)
{
	char *save = NULL;
	char *nqn = strtok_r(line, " \t", &save);
	char *key = strtok_r(NULL, " \t", &save);
	char *opt = strtok_r(NULL, " \t", &save);
	int r;

	if (!nqn || !key || strtok_r(NULL, " \t", &save)) {
		snprintf(err, errlen, "expected HOSTNQN KEY [compat|rfc]");
		return -EINVAL;
	}
	if (!nqn_is_valid(nqn)) {
		snprintf(err, errlen, "bad host NQN");
		return -EINVAL;
	}
	snprintf(h->hostnqn, sizeof(h->hostnqn), "%s", nqn);
	/* nvme-cli 2.13 with libnvme 1.13 (Debian 13) derives with the older layout. */
	h->layout = PSK_HKDF_COMPAT;
	if (opt && !strcmp(opt, "rfc"))
		h->layout = PSK_HKDF_RFC;
	else if (opt && strcmp(opt, "compat")) {
		snprintf(err, errlen, "unknown option '%.32s' (expected compat or rfc)", opt);
		return -EINVAL;
	}
	r = psk_parse_interchange(key, &h->key);
	if (r == -EBADMSG)
		snprintf(err, errlen, "key of %s fails its CRC-32", nqn);
	else if (r)
		snprintf(err, errlen, "key of %s is not an NVMeTLSkey-1:01: or :02: key", nqn);
	return r;
}

static int read_key_file(const char *path, char **out, size_t *len, char *err, size_t errlen)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int ret = 0;

	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		return ret;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		close(fd);
		return -EINVAL;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		snprintf(err, errlen, "%s: mode %03o; a key file must be 0600", path,
			 (unsigned int)(st.st_mode & 0777));
		close(fd);
		return -EPERM;
	}
	if (st.st_size > KEYFILE_MAX) {
		snprintf(err, errlen, "%s: larger than %u bytes", path, KEYFILE_MAX);
		close(fd);
		return -EFBIG;
	}
	char *buf = malloc((size_t)st.st_size + 1);
	size_t n = 0;
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while (n < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + n, (size_t)st.st_size - n);
		if (r <= 0) {
			ret = r < 0 ? -errno : -EIO;
			snprintf(err, errlen, "%s: %s", path, strerror(-ret));
			break;
		}
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	if (ret) {
		OPENSSL_cleanse(buf, n);
		free(buf);
		return ret;
	}
	*out = buf;
	*len = n;
	return 0;
}

int tls_server_load_keys(struct tls_server *ts, const char *path, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0, lineno = 0, n = 0, cap = 0;
	struct tls_host *hosts = NULL;
	int ret = read_key_file(path, &buf, &len, err, errlen);

	if (ret)
		return ret;
	for (char *p = buf, *line; (line = strsep(&p, "\n"));) {
		char what[320];
		lineno++;
		line[strcspn(line, "#\r")] = '\0';
		if (!line[strspn(line, " \t")])
			continue;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			struct tls_host *nh = calloc(ncap, sizeof(*nh));
			if (!nh) {
				ret = -ENOMEM;
				snprintf(err, errlen, "%s: out of memory", path);
				break;
			}
			if (n)
				memcpy(nh, hosts, n * sizeof(*nh));
			hosts_wipe(hosts, cap);
			hosts = nh;
			cap = ncap;
		}
		ret = parse_key_line(line, &hosts[n], what, sizeof(what));
		for (size_t i = 0; !ret && i < n; i++)
			if (!strcmp(hosts[i].hostnqn, hosts[n].hostnqn)) {
				snprintf(what, sizeof(what), "second key for %s", hosts[n].hostnqn);
				ret = -EINVAL;
			}
		if (ret) {
			snprintf(err, errlen, "%s:%zu: %s", path, lineno, what);
			break;
		}
		n++;
	}
	OPENSSL_cleanse(buf, len);
	free(buf);
	if (ret) {
		hosts_wipe(hosts, cap);
		return ret;
	}
	hosts_wipe(ts->hosts, ts->nhosts);
	ts->hosts = hosts;
	ts->nhosts = n;
	return 0;
}

struct tls_conn *tls_conn_new(struct tls_server *ts, int fd)
{
	struct tls_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->ts = ts;
	c->ssl = SSL_new(ts->ctx);
	if (!c->ssl || !SSL_set_fd(c->ssl, fd)) {
		SSL_free(c->ssl);
		free(c);
		return NULL;
	}
	SSL_set_app_data(c->ssl, c);
	SSL_set_accept_state(c->ssl);
	return c;
}

void tls_conn_free(struct tls_conn *c)
{
	if (!c)
		return;
	SSL_free(c->ssl);
	free(c);
}

/* Turns an OpenSSL result into -EAGAIN, TLS_WANT_WRITE, 0 (clean end) or -EPROTO with the
 * reason in c->error. OpenSSL's error queue is per thread: empty it so the next connection does
 * not see this one's errors. */
static int ssl_result(struct tls_conn *c, int r)
{
	int e = SSL_get_error(c->ssl, r);
	unsigned long code;

	switch (e) {
	case SSL_ERROR_WANT_READ:
		return -EAGAIN;
	case SSL_ERROR_WANT_WRITE:
		return TLS_WANT_WRITE;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_SYSCALL:
		if (!c->error[0])
			snprintf(c->error, sizeof(c->error), "%s",
				 errno ? strerror(errno) : "connection closed by the peer");
		break;
	default:
		code = ERR_peek_last_error();
		if (!c->error[0])
			snprintf(c->error, sizeof(c->error), "%s%s%s%s",
				 code ? ERR_reason_error_string(code) : "TLS error",
				 c->hello[0] ? " (" : "", c->hello, c->hello[0] ? ")" : "");
		break;
	}
	ERR_clear_error();
	return -EPROTO;
}

int tls_conn_handshake(struct tls_conn *c)
{
	int r = SSL_do_handshake(c->ssl);

	if (r == 1)
		return 0;
	r = ssl_result(c, r);
	return r == 0 ? -EPROTO : r;
}

ssize_t tls_conn_read(struct tls_conn *c, void *buf, size_t len)
{
	size_t got = 0;
	int r = SSL_read_ex(c->ssl, buf, len, &got);

	if (r == 1)
		return (ssize_t)got;
	r = ssl_result(c, r);
	return r == TLS_WANT_WRITE ? -ENOBUFS : r;
}

ssize_t tls_conn_write(struct tls_conn *c, const void *buf, size_t len)
{
	size_t done = 0;
	int r = SSL_write_ex(c->ssl, buf, len, &done);

	if (r == 1)
		return (ssize_t)done;
	r = ssl_result(c, r);
	return r == TLS_WANT_WRITE || r == -EAGAIN ? -EAGAIN : -EPROTO;
}

bool tls_conn_pending(const struct tls_conn *c)
{
	return SSL_pending(c->ssl) > 0;
}

const char *tls_conn_hostnqn(const struct tls_conn *c)
{
	return c->hostnqn;
}

const char *tls_conn_error(const struct tls_conn *c)
{
	return c->error[0] ? c->error : "TLS error";
}

void tls_conn_describe(const struct tls_conn *c, char *buf, size_t size)
{
	const SSL_CIPHER *cipher = SSL_get_current_cipher(c->ssl);

	snprintf(buf, size, "%s %s %s", SSL_get_version(c->ssl),
		 cipher ? SSL_CIPHER_get_name(cipher) : "-", c->identity_kind);
}
