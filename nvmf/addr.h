/* addr.h - the fabric's vocabulary: NQNs, transport addresses (struct cdc_port) and listen
 * addresses, and the words TRTYPE, ADRFAM, TREQ and SECTYPE go by. Pure: the configuration,
 * the control API, cdcctl and DIM check and canonicalise with this one module. */
#ifndef CDC_ADDR_H
#define CDC_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define CDC_NQN_MAX	223 /* without the NUL; the wire field is 256 bytes */
#define CDC_TRADDR_MAX	255
#define CDC_TRSVCID_MAX 31

/* TLS on a listener: none, both plain and TLS on the port (told apart by the first byte), or
 * TLS only (its self entries say TREQ required, SECTYPE TLS 1.3). */
enum cdc_listen_tls { CDC_LISTEN_PLAIN, CDC_LISTEN_TLS_ALLOWED, CDC_LISTEN_TLS_REQUIRED };

/* One address the daemon listens on, from "listen = 0.0.0.0:8009" or "[::1]:8009" (the
 * configuration adds ";tls=allowed" or ";tls=required"). */
struct cdc_listen {
	struct sockaddr_storage ss;
	socklen_t sslen;
	uint8_t tls;   /* enum cdc_listen_tls */
	char text[64]; /* as written canonically: "127.0.0.1:8009", "[::1]:8009;tls=required" */
};

/* A transport address as it appears in a discovery log entry. Parsed from
 * "trtype=tcp;adrfam=ipv4;traddr=192.0.2.10;trsvcid=4420;portid=1[;treq=...][;sectype=...]". */
struct cdc_port {
	uint8_t trtype;	 /* NVMF_TRTYPE_*; only tcp is accepted today */
	uint8_t adrfam;	 /* NVMF_ADDR_FAMILY_IP4 / _IP6 */
	uint8_t treq;	 /* NVMF_TREQ_* secure channel bits 1:0 (+ bit 2 sqflow) */
	uint8_t sectype; /* TSAS.SECTYPE: NVMF_TCP_SECTYPE_* */
	uint16_t portid;
	char traddr[CDC_TRADDR_MAX + 1];
	char trsvcid[CDC_TRSVCID_MAX + 1];
};

/* Basic NQN syntax (NVMe Base 4.5): "nqn.yyyy-mm.reverse.domain:..." or the UUID form,
 * at most 223 bytes, printable. */
bool nqn_is_valid(const char *nqn);

/* Strict decimal in min..max: digits only, so "+1", " 1" and "0x10" are refused rather
 * than guessed at. -EINVAL or -ERANGE. */
int addr_parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out);

/* Splits "ADDR:PORT" or "[ADDR]:PORT" into ADDR, without the brackets, in host (size bytes)
 * and *port, which points into text. Nothing is checked beyond the shape (ADDR may be
 * empty: a Kickstart record's empty TRADDR means the requester's address). -EINVAL. */
int addr_split_hostport(const char *text, char *host, size_t size, const char **port);

/* Parse one listen address ("127.0.0.1:8009", "[::1]:8009", "0.0.0.0:8009"). -EINVAL. */
int addr_parse_listen(const char *text, struct cdc_listen *out);

/* Parse a port string (see struct cdc_port). Missing trsvcid defaults to default_svc (NULL:
 * 4420); missing adrfam is derived from traddr; missing portid is 0. TREQ takes both the
 * file's words ("not-required") and nvme-cli's ("not required"). -EINVAL with err set. */
int addr_parse_port(const char *text, const char *default_svc, struct cdc_port *out, char *err,
		    size_t errlen);

/* addr_parse_port() for a configuration entry: *portid_set (if non-NULL) tells whether the
 * string numbered the port, and a non-NULL nqn (CDC_NQN_MAX + 1 bytes) accepts "nqn=" as a
 * referral entry does, defaulting to the well-known discovery NQN. */
int addr_parse_entry(const char *text, const char *default_svc, struct cdc_port *out,
		     bool *portid_set, char *nqn, char *err, size_t errlen);

/* A fixed-size text field as the wire carries it (NUL or space padded): up to its first NUL,
 * without trailing spaces, into dst (size bytes with the NUL). false: it did not fit, and dst
 * holds what did. */
bool wire_text_get(char *dst, size_t size, const void *src, size_t width);

/* Checks a numeric TRADDR and rewrites it in inet_ntop's form, so that two spellings of one
 * address are one port. *adrfam 0 is set from the address. -EINVAL: not a numeric IPv4 or
 * IPv6 address; -EAFNOSUPPORT: one of the other family than *adrfam; -EADDRNOTAVAIL: the
 * wildcard address, which no host can connect to. */
int addr_traddr_canon(uint8_t *adrfam, char *traddr, size_t size);

/* A TRSVCID that is a decimal TCP port 1..65535, rewritten without leading zeros. -EINVAL. */
int addr_trsvcid_canon(const char *text, char *out, size_t size);

/* TREQ from either spelling ("not-specified", "not specified", "required", ...). -EINVAL. */
int addr_parse_treq(const char *text, uint8_t *treq);

/* Write port in the port-string syntax cdcd.conf reads (without "nqn="). Returns what
 * snprintf returns. */
int addr_format_port(const struct cdc_port *port, char *buf, size_t size);

/* The words nvme-cli prints for these fields ("tcp", "ipv4", "not required", "tls13");
 * "unrecognized" for values it has no word for. TREQ looks at its secure channel bits. */
const char *addr_trtype_str(uint8_t trtype);
const char *addr_adrfam_str(uint8_t adrfam);
const char *addr_treq_str(uint8_t treq);
const char *addr_sectype_str(uint8_t sectype);

#endif
