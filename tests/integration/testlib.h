/* testlib.h - the integration tests' harness: cdcd on a free loopback port with a temporary
 * state directory, the event loop run until something happened, synchronous wrappers around
 * the userspace host, DIM data built as libnvme builds it, and raw sockets. */
#ifndef CDC_TESTLIB_H
#define CDC_TESTLIB_H

#include <event2/event.h>
#include <netinet/in.h>
#include <nvme/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "nvmf_host.h"
#include "nvmf_tcp.h"

#define HOSTNQN "nqn.2014-08.org.nvmexpress:uuid:11111111-2222-4333-8444-555555555555"
#define CDC_NQN "nqn.2014-08.org.example:cdc:test"
#define SUB1	"nqn.2014-08.org.example:storage1"
#define SUB2	"nqn.2014-08.org.example:storage2"

/* One daemon per test (the tests run in forked children, so this is per test). */
struct testenv {
	char dir[64];
	char conf[128];
	char log[128];
	pid_t pid;
	uint16_t port;
	struct event_base *base;
	const char *global_extra; /* more [global] lines for write_config() */
	/* Run in the child just before cdcd is executed, stderr already the log: to set up
	 * the environment systemd would give it. */
	void (*before_exec)(void);
};
extern struct testenv t;

struct result {
	bool done;
	int err;
	struct nvme_cqe cqe;
	uint8_t data[8192];
	uint32_t len;
};

struct log_result {
	bool done;
	int err;
	uint16_t status;
	uint8_t *log;
	size_t len;
};

uint16_t free_port(void);
void write_config(const char *extra);
int log_count(const char *needle);
bool log_contains(const char *needle);
void start_daemon(void);
void spawn_daemon(void);
bool halt_daemon(int sig);
void stop_daemon(void);
void reload_with(const char *extra);

bool run_until(bool *done, int ms);
void result_cb(struct nvmf_host *h, int err, const struct nvme_cqe *cqe, const uint8_t *data,
	       uint32_t len, void *arg);
struct sockaddr_in addr4(void);
struct nvmf_host *host_connect_opts(struct nvmf_host_opts opts, struct result *r);
struct nvmf_host *host_connect(uint32_t kato_ms);
/* Connected and enabled as hostnqn, or the test fails. */
struct nvmf_host *connect_as(const char *hostnqn, uint32_t kato);
struct log_result read_disc_log(struct nvmf_host *h);
const struct nvmf_disc_log_entry *entry(const struct log_result *r, size_t i);
bool host_closed(struct nvmf_host *h, int ms);
void aer_submit(struct nvmf_host *h, struct result *aer);

/* DIM data as libnvme builds it for a host register: the header and one extended entry
 * with a Host Identifier; an empty traddr asks the CDC to use the connection's address. */
size_t dim_build_host(uint8_t *buf, size_t size, const char *hostnqn, const uint8_t *hostid,
		      const char *traddr);
/* DIM data of a DDC: nports basic entries (EKTYPE 0x3F) of subnqn, at 203.0.113.<first+i>
 * port 4420, portid first + i. */
size_t dim_build_ddc(uint8_t *buf, size_t size, const char *eid, const char *subnqn, int nports,
		     int first);
/* Send a DIM (opcode 0x21, TAS in CDW10) and wait for its completion. */
struct result dim_send(struct nvmf_host *h, uint8_t tas, const uint8_t *data, size_t len);

/* One HTTP request to the control API; returns the status code, resp holds the body. */
#define API_BODY_MAX (128 * 1024)
int api_call(const char *method, const char *path, const char *body, char *resp, size_t size);

int raw_connect(void);
int read_termreq(int fd);
/* The same, also returning the TermReq's FEI (the offset of the offending field). */
int read_termreq_fei(int fd, uint32_t *fei);

/* A host on a raw socket, for PDUs a well-behaved host never sends: every PDU is built
 * here, so a test can spoil one digest or one header field. */
struct raw_host {
	int fd;
	bool hdgst, ddgst;
};
/* Connect and exchange ICReq/ICResp with the given digests. */
struct raw_host raw_host_open(bool hdgst, bool ddgst);
/* A CapsuleCmd; data goes in the capsule. bad_ddgst sends a wrong data digest. */
void raw_send_cmd(const struct raw_host *rh, const struct nvme_sqe *sqe, const uint8_t *data,
		  uint32_t len, bool bad_ddgst);
/* A write command whose data is to come by R2T/H2CData (transport SGL of len bytes). */
void raw_send_write_cmd(const struct raw_host *rh, uint8_t opcode, uint16_t cid, uint32_t cdw10,
			uint32_t len);
/* One H2CData PDU. */
void raw_send_h2c_data(const struct raw_host *rh, uint16_t cccid, uint16_t ttag, uint32_t datao,
		       const uint8_t *data, uint32_t len, bool last, bool bad_ddgst);
/* Reads one whole PDU into buf (header digest included); returns its type, or -1 on EOF or
 * after the socket's 5 s timeout. */
int raw_read_pdu(const struct raw_host *rh, uint8_t *buf, size_t size);
/* Reads the next PDU, which must be a CapsuleResp for cid; returns its CQE. */
struct nvme_cqe raw_read_rsp(const struct raw_host *rh, uint16_t cid);
/* Fabrics Connect to the well-known discovery NQN as hostnqn (in-capsule data). */
struct nvme_cqe raw_fabrics_connect(const struct raw_host *rh, uint16_t cid, const char *hostnqn,
				    bool bad_ddgst);
/* Property Set CC.EN = 1: after it the controller takes admin commands. */
struct nvme_cqe raw_enable(const struct raw_host *rh, uint16_t cid);

#endif
