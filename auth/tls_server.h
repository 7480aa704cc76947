/* tls_server.h - the controller's side of NVMe/TCP TLS 1.3 with pre-shared keys (protocol.md
 * 10.1): the hosts' configured PSKs from a key file, one OpenSSL context, and one TLS session
 * per connection on the caller's non-blocking socket. No event loop here: the queue drives it. */
#ifndef CDC_TLS_SERVER_H
#define CDC_TLS_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct tls_server;
struct tls_conn;

/* A context for the discovery controller whose unique NQN is nqn (the well-known discovery NQN
 * is accepted too), with no keys yet. 0 or -ENOMEM. */
int tls_server_new(const char *nqn, struct tls_server **out);

/* Replace the keys with those of the key file at path: lines "HOSTNQN KEY [compat|rfc]", KEY
 * in the NVMeTLSkey-1 interchange format, then the HkdfLabel layout the host's libnvme derives
 * v0 identities' PSKs with (compat, the default, as libnvme 1.13; rfc as RFC 8446; v1 identities
 * tell it by their digest); '#' starts a comment. The file must not be readable or writable by
 * group or others. On error the old keys stay, and err says why (never quoting a key). */
int tls_server_load_keys(struct tls_server *ts, const char *path, char *err, size_t errlen);

/* Hosts with a key. */
size_t tls_server_nkeys(const struct tls_server *ts);

/* Wipes the keys. Sessions still open keep working; none may start after this. */
void tls_server_free(struct tls_server *ts);

/* A server session on fd (the caller keeps owning and closing fd). NULL on allocation failure. */
struct tls_conn *tls_conn_new(struct tls_server *ts, int fd);
void tls_conn_free(struct tls_conn *c);

/* Moves the handshake on. 0: done; -EAGAIN: wait until fd is readable; -EWOULDBLOCK is not
 * distinguished, so TLS_WANT_WRITE says when it waits for writability; -EPROTO: failed, see
 * tls_conn_error(). */
#define TLS_WANT_WRITE 1
int tls_conn_handshake(struct tls_conn *c);

/* Application data: bytes read (0 at the end of the stream), -EAGAIN (wait until fd is
 * readable), -ENOBUFS (the session must first write, e.g. a KeyUpdate reply: wait until fd is
 * writable), or -EPROTO. */
ssize_t tls_conn_read(struct tls_conn *c, void *buf, size_t len);

/* Bytes written (at most one record's worth may be taken), -EAGAIN, or -EPROTO. */
ssize_t tls_conn_write(struct tls_conn *c, const void *buf, size_t len);

/* Decrypted bytes held by the session, which no readiness of fd announces. */
bool tls_conn_pending(const struct tls_conn *c);

/* The host NQN of the PSK identity the session was established with ("" before). */
const char *tls_conn_hostnqn(const struct tls_conn *c);

/* Why the handshake or a read or write failed, for the caller's log line. */
const char *tls_conn_error(const struct tls_conn *c);

/* "TLS1.3 TLS_AES_128_GCM_SHA256 NVMe0R01" and the like, for a debug line. */
void tls_conn_describe(const struct tls_conn *c, char *buf, size_t size);

#endif
