/* test_tls.c - NVMe/TCP over TLS 1.3 with PSKs against cdcd on loopback: an OpenSSL client
 * does the handshake as a Linux host would (identity, TLS PSK derived from the configured key),
 * and a relay thread lets the raw host of testlib speak plain PDUs through it. Discovery over
 * TLS, the self entry of a TLS-only port, a wrong PSK, a plain host on a TLS-only port, both on
 * one port, and a Connect as another host than the PSK's. */
#include <check.h>
#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "psk.h"
#include "testlib.h"

#define KEY01 "NVMeTLSkey-1:01:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwNf9LrZ:"
#define KEY02                                                                                      \
	"NVMeTLSkey-1:02:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwP/"                             \
	"w0S89ELi3W2LxIcLXVsDn8kXZQ==:"
/* Another valid SHA-256 key (32 bytes 0x01..0x20), which the daemon does not have. */
#define KEY_OTHER  "NVMeTLSkey-1:01:AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyAl7OaH:"
#define HOST384	   "nqn.2014-08.org.nvmexpress:uuid:38438438-0000-4000-8000-000000000384"
#define HOSTCOMPAT "nqn.2014-08.org.nvmexpress:uuid:c0c0c0c0-0000-4000-8000-00000000c0c0"

#define LOG_LEN 8192 /* header and 7 entries: 2 subsystem ports, a referral, the self entries */

static uint16_t port_tls, port_both;

/* cdcd with a TLS-only and a both-ways listener beside testlib's plain ones, and a key file. */
static void start_tls_daemon(void)
{
	static char extra[1024];
	char path[160];

	snprintf(t.dir, sizeof(t.dir), "/tmp/cdc-test.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(t.dir));
	snprintf(t.conf, sizeof(t.conf), "%s/cdcd.conf", t.dir);
	snprintf(t.log, sizeof(t.log), "%s/cdcd.log", t.dir);
	t.port = free_port();
	port_tls = free_port();
	port_both = free_port();
	snprintf(path, sizeof(path), "%s/psk", t.dir);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "# host keys\n%s %s rfc\n%s   %s  rfc # SHA-384\n%s %s\n", HOSTNQN, KEY01,
		HOST384, KEY02, HOSTCOMPAT, KEY01);
	fclose(f);
	ck_assert_int_eq(chmod(path, 0600), 0);
	snprintf(extra, sizeof(extra),
		 "listen = 127.0.0.1:%u;tls=required\nlisten = 127.0.0.1:%u;tls=allowed\n"
		 "tls-keys = %s\n",
		 port_tls, port_both, path);
	t.global_extra = extra;
	write_config(NULL);
	spawn_daemon();
	t.base = event_base_new();
}

static void stop_tls_daemon(void)
{
	stop_daemon();
	t.global_extra = NULL;
}

static int tcp_connect(uint16_t port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct timeval tv = {5, 0};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	ck_assert_int_ge(fd, 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* ---- a TLS host ---- */

struct tls_host {
	int fd;	      /* TCP to cdcd */
	int plain[2]; /* [0] the test's raw host, [1] the relay's end */
	SSL_CTX *ctx;
	SSL *ssl;
	pthread_t relay;
	bool relaying;
	char identity[PSK_IDENTITY_MAX];
	uint8_t psk[PSK_MAX_LEN];
	size_t psklen;
	uint8_t hash;
};

/* The identity and TLS PSK a Linux host derives for hostnqn from the configured key. */
static void host_psk(struct tls_host *h, const char *key, const char *hostnqn, unsigned int version,
		     enum psk_hkdf layout)
{
	struct psk_key k;
	struct psk_identity id = {.version = version};
	uint8_t retained[PSK_MAX_LEN];

	ck_assert_int_eq(psk_parse_interchange(key, &k), 0);
	id.hash = psk_key_cipher_hash(&k);
	snprintf(id.hostnqn, sizeof(id.hostnqn), "%s", hostnqn);
	snprintf(id.subnqn, sizeof(id.subnqn), "%s", NVME_DISC_SUBSYS_NAME);
	ck_assert_int_eq(psk_derive_retained(&k, hostnqn, layout, retained), 0);
	if (version == 1)
		ck_assert_int_eq(psk_digest(id.hash, retained, k.len, id.hostnqn, id.subnqn,
					    id.digest, sizeof(id.digest)),
				 0);
	ck_assert_int_gt(psk_identity_format(&id, h->identity, sizeof(h->identity)), 0);
	ck_assert_int_eq(psk_derive_tls(&id, retained, k.len, layout, h->psk), 0);
	h->psklen = k.len;
	h->hash = id.hash;
}

/* The hash of the suite (and so of the PSK binder) the client offers its PSK with; 0: the
 * identity's, as the specification says. tlshd (GnuTLS) binds every PSK with SHA-256. */
static uint8_t force_suite_hash;

static int use_session_cb(SSL *ssl, const EVP_MD *md, const unsigned char **id, size_t *idlen,
			  SSL_SESSION **sess)
{
	struct tls_host *h = SSL_get_app_data(ssl);
	uint8_t hash = force_suite_hash ? force_suite_hash : h->hash;
	const unsigned char suite[2] = {0x13, hash == PSK_HASH_SHA384 ? 0x02 : 0x01};
	const SSL_CIPHER *cipher = SSL_CIPHER_find(ssl, suite);

	(void)md;
	*sess = SSL_SESSION_new();
	ck_assert_ptr_nonnull(*sess);
	ck_assert_int_eq(SSL_SESSION_set1_master_key(*sess, h->psk, h->psklen), 1);
	ck_assert_int_eq(SSL_SESSION_set_cipher(*sess, cipher), 1);
	ck_assert_int_eq(SSL_SESSION_set_protocol_version(*sess, TLS1_3_VERSION), 1);
	*id = (const unsigned char *)h->identity;
	*idlen = strlen(h->identity);
	return 1;
}

static void write_all_fd(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

/* Plain bytes from the raw host into TLS records and back, until either side ends. */
static void *relay(void *arg)
{
	struct tls_host *h = arg;
	static __thread uint8_t buf[65536];
	struct pollfd p[2] = {{.fd = h->plain[1], .events = POLLIN},
			      {.fd = h->fd, .events = POLLIN}};

	for (;;) {
		p[0].revents = p[1].revents = 0;
		if (!SSL_pending(h->ssl) && poll(p, 2, 10000) <= 0)
			break;
		if (p[0].revents) {
			ssize_t n = read(h->plain[1], buf, sizeof(buf));
			if (n <= 0 || SSL_write(h->ssl, buf, (int)n) <= 0)
				break;
		}
		if (SSL_pending(h->ssl) || p[1].revents) {
			int n = SSL_read(h->ssl, buf, sizeof(buf));
			if (n <= 0)
				break;
			write_all_fd(h->plain[1], buf, (size_t)n);
		}
	}
	shutdown(h->plain[1], SHUT_RDWR);
	return NULL;
}

/* TLS handshake to port with key for hostnqn; true if it succeeded (then h relays). */
static bool tls_host_open(struct tls_host *h, uint16_t port, const char *key, const char *hostnqn,
			  unsigned int version, enum psk_hkdf layout)
{
	memset(h, 0, sizeof(*h));
	host_psk(h, key, hostnqn, version, layout);
	h->fd = tcp_connect(port);
	h->ctx = SSL_CTX_new(TLS_client_method());
	ck_assert_ptr_nonnull(h->ctx);
	SSL_CTX_set_min_proto_version(h->ctx, TLS1_3_VERSION);
	SSL_CTX_set_ciphersuites(h->ctx, "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384");
	h->ssl = SSL_new(h->ctx);
	SSL_set_app_data(h->ssl, h);
	SSL_set_psk_use_session_callback(h->ssl, use_session_cb);
	SSL_set_fd(h->ssl, h->fd);
	if (SSL_connect(h->ssl) != 1) {
		ERR_clear_error();
		return false;
	}
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, h->plain), 0);
	struct timeval tv = {5, 0};
	setsockopt(h->plain[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	ck_assert_int_eq(pthread_create(&h->relay, NULL, relay, h), 0);
	h->relaying = true;
	return true;
}

static void tls_host_close(struct tls_host *h)
{
	if (h->relaying) {
		shutdown(h->plain[0], SHUT_RDWR);
		pthread_join(h->relay, NULL);
		close(h->plain[0]);
		close(h->plain[1]);
	}
	SSL_free(h->ssl);
	SSL_CTX_free(h->ctx);
	close(h->fd);
	OPENSSL_cleanse(h->psk, sizeof(h->psk));
}

/* ICReq/ICResp on an established (plain or relayed) byte stream. */
static struct raw_host icreq_on(int fd)
{
	struct raw_host rh = {.fd = fd};
	struct nvme_tcp_ic req = {0};
	uint8_t ic[NVME_TCP_IC_LEN];
	size_t got = 0;
	ssize_t n;

	nvme_tcp_ic_encode(NVME_TCP_ICREQ, &req, ic);
	ck_assert_int_eq(write(fd, ic, sizeof(ic)), sizeof(ic));
	while (got < sizeof(ic) && (n = read(fd, ic + got, sizeof(ic) - got)) > 0)
		got += (size_t)n;
	ck_assert_uint_eq(got, sizeof(ic));
	ck_assert_uint_eq(ic[0], NVME_TCP_ICRESP);
	return rh;
}

/* The discovery log (its first LOG_LEN bytes) through a connected, enabled raw host. */
static uint32_t read_log(const struct raw_host *rh, uint8_t *log, uint32_t len)
{
	struct nvme_sqe get = {.opcode = nvme_admin_get_log_page,
			       .cid = 9,
			       .nsid = 0xffffffff,
			       .sgl_len = len,
			       .sgl_id = NVME_SGL_TRANSPORT};
	static uint8_t pdu[16384];
	uint32_t numd = len / 4 - 1, got = 0;
	int type;

	get.cdw[10] = NVME_LOG_LID_DISCOVER | (numd & 0xffff) << 16;
	raw_send_cmd(rh, &get, NULL, 0, false);
	while ((type = raw_read_pdu(rh, pdu, sizeof(pdu))) == NVME_TCP_C2H_DATA) {
		struct nvme_tcp_data_hdr d;
		nvme_tcp_data_hdr_decode(pdu, &d);
		ck_assert_uint_le(d.datao + d.datal, len);
		memcpy(log + d.datao, pdu + pdu[3], d.datal); /* PDO */
		got += d.datal;
	}
	ck_assert_int_eq(type, NVME_TCP_RSP);
	struct nvme_cqe cqe;
	nvme_cqe_decode(pdu + NVME_TCP_CH_LEN, &cqe);
	ck_assert_uint_eq(cqe.status, 0);
	return got;
}

static const struct nvmf_disc_log_entry *self_entry(const uint8_t *log, uint16_t port)
{
	uint64_t n = get_le64(log + 8);
	char svc[8];

	snprintf(svc, sizeof(svc), "%u", port);
	for (uint64_t i = 0; i < n && i < LOG_LEN / 1024 - 1; i++) {
		const struct nvmf_disc_log_entry *e = (const void *)(log + 1024 + i * 1024);
		if (e->subtype == NVME_NQN_CURR && !strncmp(e->trsvcid, svc, sizeof(e->trsvcid)))
			return e;
	}
	return NULL;
}

/* Discovery over TLS as hostnqn: Connect, enable, the log; returns the log. */
static void discover_over_tls(struct tls_host *h, const char *hostnqn, uint8_t *log)
{
	struct raw_host rh = icreq_on(h->plain[0]);

	ck_assert_uint_eq(raw_fabrics_connect(&rh, 1, hostnqn, false).status, 0);
	ck_assert_uint_eq(raw_enable(&rh, 2).status, 0);
	ck_assert_uint_eq(read_log(&rh, log, LOG_LEN), LOG_LEN);
	ck_assert_uint_ge(get_le64(log + 8), 3);
}

START_TEST(discovery_over_tls_with_a_v0_identity)
{
	struct tls_host h;
	static uint8_t log[LOG_LEN];

	start_tls_daemon();
	ck_assert(log_contains("TLS: PSKs of 3 hosts"));
	ck_assert(tls_host_open(&h, port_tls, KEY01, HOSTNQN, 0, PSK_HKDF_RFC));
	ck_assert_str_eq(SSL_get_cipher_name(h.ssl), "TLS_AES_128_GCM_SHA256");
	discover_over_tls(&h, HOSTNQN, log);
	/* the TLS-only port says so; the others do not */
	const struct nvmf_disc_log_entry *e = self_entry(log, port_tls);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->treq & 3, NVMF_TREQ_REQUIRED);
	ck_assert_uint_eq(e->tsas.tcp.sectype, NVMF_TCP_SECTYPE_TLS13);
	e = self_entry(log, t.port);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->tsas.tcp.sectype, NVMF_TCP_SECTYPE_NONE);
	e = self_entry(log, port_both);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->tsas.tcp.sectype, NVMF_TCP_SECTYPE_NONE);
	tls_host_close(&h);
	ck_assert(log_contains("TLS up (TLSv1.3 TLS_AES_128_GCM_SHA256 NVMe0R01)"));
	ck_assert(!log_contains("NVMeTLSkey"));
	stop_tls_daemon();
}
END_TEST

START_TEST(sha384_v1_and_compat_identities)
{
	struct tls_host h;
	static uint8_t log[LOG_LEN];

	start_tls_daemon();
	ck_assert(tls_host_open(&h, port_tls, KEY02, HOST384, 1, PSK_HKDF_RFC));
	ck_assert_str_eq(SSL_get_cipher_name(h.ssl), "TLS_AES_256_GCM_SHA384");
	discover_over_tls(&h, HOST384, log);
	tls_host_close(&h);
	ck_assert(tls_host_open(&h, port_tls, KEY01, HOSTCOMPAT, 1, PSK_HKDF_COMPAT));
	discover_over_tls(&h, HOSTCOMPAT, log);
	tls_host_close(&h);
	ck_assert(tls_host_open(&h, port_tls, KEY01, HOSTCOMPAT, 0, PSK_HKDF_COMPAT));
	tls_host_close(&h);
	/* the RFC layout for a host configured with the compat one: another PSK */
	ck_assert(!tls_host_open(&h, port_tls, KEY01, HOSTCOMPAT, 0, PSK_HKDF_RFC));
	tls_host_close(&h);
	/* unless the identity is v1, whose digest tells the layout */
	ck_assert(tls_host_open(&h, port_tls, KEY01, HOSTCOMPAT, 1, PSK_HKDF_RFC));
	discover_over_tls(&h, HOSTCOMPAT, log);
	tls_host_close(&h);
	ck_assert(tls_host_open(&h, port_tls, KEY02, HOST384, 1, PSK_HKDF_COMPAT));
	tls_host_close(&h);
	/* a SHA-384 identity bound with SHA-256, as tlshd does: a SHA-256 suite */
	force_suite_hash = PSK_HASH_SHA256;
	ck_assert(tls_host_open(&h, port_tls, KEY02, HOST384, 0, PSK_HKDF_RFC));
	ck_assert_str_eq(SSL_get_cipher_name(h.ssl), "TLS_AES_128_GCM_SHA256");
	discover_over_tls(&h, HOST384, log);
	tls_host_close(&h);
	force_suite_hash = 0;
	stop_tls_daemon();
}
END_TEST

START_TEST(a_wrong_or_unknown_psk_fails_the_handshake)
{
	struct tls_host h;

	start_tls_daemon();
	/* the right identity, another key: the PSK binder does not verify */
	ck_assert(!tls_host_open(&h, port_tls, KEY_OTHER, HOSTNQN, 0, PSK_HKDF_RFC));
	tls_host_close(&h);
	/* a v1 identity whose digest was made with another key: refused before the binder */
	ck_assert(!tls_host_open(&h, port_tls, KEY_OTHER, HOSTNQN, 1, PSK_HKDF_RFC));
	tls_host_close(&h);
	/* an identity whose host NQN would put a line of its own into the log */
	ck_assert(!tls_host_open(&h, port_tls, KEY01, "nqn.2014-08.org.example:a\nforged", 0,
				 PSK_HKDF_RFC));
	tls_host_close(&h);
	/* a host with no key */
	ck_assert(!tls_host_open(&h, port_tls, KEY01, "nqn.2014-08.org.example:nokey", 0,
				 PSK_HKDF_RFC));
	tls_host_close(&h);
	usleep(100 * 1000);
	ck_assert(log_contains("TLS handshake failed"));
	ck_assert(log_contains("does not match its key"));
	ck_assert(log_contains("no PSK for host nqn.2014-08.org.example:nokey"));
	ck_assert(log_contains("PSK identity is not an NVMe retained-PSK one"));
	ck_assert(!log_contains("forged"));
	/* and the daemon still serves TLS */
	ck_assert(tls_host_open(&h, port_tls, KEY01, HOSTNQN, 0, PSK_HKDF_RFC));
	tls_host_close(&h);
	stop_tls_daemon();
}
END_TEST

START_TEST(a_plain_host_is_refused_on_a_tls_only_port)
{
	uint8_t ic[NVME_TCP_IC_LEN], buf[256];
	struct nvme_tcp_ic req = {0};
	int fd;

	start_tls_daemon();
	fd = tcp_connect(port_tls);
	nvme_tcp_ic_encode(NVME_TCP_ICREQ, &req, ic);
	ck_assert_int_eq(write(fd, ic, sizeof(ic)), sizeof(ic));
	/* no ICResp: the connection just ends (there is no TLS session to say why in) */
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		ck_assert_uint_ne(buf[0], NVME_TCP_ICRESP);
	ck_assert_int_le(n, 0);
	close(fd);
	ck_assert(log_contains("TLS handshake failed"));
	stop_tls_daemon();
}
END_TEST

START_TEST(a_port_that_allows_tls_takes_both)
{
	struct tls_host h;
	static uint8_t log[LOG_LEN];

	start_tls_daemon();
	ck_assert(tls_host_open(&h, port_both, KEY01, HOSTNQN, 0, PSK_HKDF_RFC));
	discover_over_tls(&h, HOSTNQN, log);
	tls_host_close(&h);
	int fd = tcp_connect(port_both);
	struct raw_host rh = icreq_on(fd);
	ck_assert_uint_eq(raw_fabrics_connect(&rh, 1, HOSTNQN, false).status, 0);
	ck_assert_uint_eq(raw_enable(&rh, 2).status, 0);
	ck_assert_uint_eq(read_log(&rh, log, LOG_LEN), LOG_LEN);
	close(fd);
	stop_tls_daemon();
}
END_TEST

START_TEST(connect_as_another_host_than_the_psks_is_refused)
{
	struct tls_host h;

	start_tls_daemon();
	ck_assert(tls_host_open(&h, port_tls, KEY02, HOST384, 0, PSK_HKDF_RFC));
	struct raw_host rh = icreq_on(h.plain[0]);
	struct nvme_cqe cqe = raw_fabrics_connect(&rh, 1, HOSTNQN, false);
	ck_assert_uint_eq(cqe.status & 0x3ff,
			  (NVME_SCT_CMD_SPECIFIC << 8) | NVME_SC_CONNECT_INVALID_HOST);
	tls_host_close(&h);
	ck_assert(log_contains("over TLS with the PSK of host " HOST384));
	stop_tls_daemon();
}
END_TEST

START_TEST(a_key_file_others_can_read_is_refused)
{
	char path[160];

	start_tls_daemon();
	snprintf(path, sizeof(path), "%s/psk", t.dir);
	ck_assert_int_eq(chmod(path, 0644), 0);
	reload_with(NULL);
	ck_assert(log_contains("a key file must be 0600"));
	ck_assert(log_contains("keeping the running configuration"));
	struct tls_host h;
	ck_assert(tls_host_open(&h, port_tls, KEY01, HOSTNQN, 0, PSK_HKDF_RFC));
	tls_host_close(&h);
	stop_tls_daemon();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tls");
	TCase *tc = tcase_create("tls");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, discovery_over_tls_with_a_v0_identity);
	tcase_add_test(tc, sha384_v1_and_compat_identities);
	tcase_add_test(tc, a_wrong_or_unknown_psk_fails_the_handshake);
	tcase_add_test(tc, a_plain_host_is_refused_on_a_tls_only_port);
	tcase_add_test(tc, a_port_that_allows_tls_takes_both);
	tcase_add_test(tc, connect_as_another_host_than_the_psks_is_refused);
	tcase_add_test(tc, a_key_file_others_can_read_is_refused);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
