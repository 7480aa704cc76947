/* testlib.c - what the integration tests share: a cdcd on a free loopback port with a
 * temporary state directory, the loop run until something happened, synchronous wrappers
 * around the userspace host, and raw sockets for what well-behaved hosts never send. */
#include "testlib.h"

#include "dim.h"

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

struct testenv t;

uint16_t free_port(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	close(fd);
	return ntohs(sa.sin_port);
}

void write_config(const char *extra)
{
	FILE *f = fopen(t.conf, "w");

	ck_assert_ptr_nonnull(f);
	fprintf(f,
		"[global]\nlisten = 127.0.0.1:%u\nlisten = [::1]:%u\nnqn = %s\n"
		"control-socket = %s/cdcd.sock\n"
		"idle-timeout = 2\nicreq-timeout = 1\n%s\n"
		"[subsystem " SUB1 "]\n"
		"port = trtype=tcp;adrfam=ipv4;traddr=192.0.2.10;trsvcid=4420;portid=1\n"
		"port = trtype=tcp;adrfam=ipv4;traddr=192.0.2.11;trsvcid=4420;portid=2\n\n"
		"[referral]\nentry = trtype=tcp;adrfam=ipv4;traddr=192.0.2.50;trsvcid=8009\n%s",
		t.port, t.port, CDC_NQN, t.dir, t.global_extra ? t.global_extra : "",
		extra ? extra : "");
	fclose(f);
}

/* Occurrences of needle in the daemon's log, line by line: the log of a long test (the
 * kill -9 rounds) outgrows any fixed buffer. */
int log_count(const char *needle)
{
	FILE *f = fopen(t.log, "r");
	char *line = NULL;
	size_t cap = 0;
	int n = 0;

	if (!f)
		return 0;
	while (getline(&line, &cap, f) > 0)
		for (const char *p = line; (p = strstr(p, needle)); p++)
			n++;
	free(line);
	fclose(f);
	return n;
}

bool log_contains(const char *needle)
{
	return log_count(needle) > 0;
}

void start_daemon(void)
{
	snprintf(t.dir, sizeof(t.dir), "/tmp/cdc-test.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(t.dir));
	snprintf(t.conf, sizeof(t.conf), "%s/cdcd.conf", t.dir);
	snprintf(t.log, sizeof(t.log), "%s/cdcd.log", t.dir);
	t.port = free_port();
	write_config(NULL);
	spawn_daemon();
	t.base = event_base_new();
}

/* (Re)start cdcd on the same port, configuration and state directory. */
void spawn_daemon(void)
{
	const char *cdcd = getenv("CDCD");
	int serving = log_count("serving");

	t.pid = fork();
	ck_assert_int_ge(t.pid, 0);
	if (t.pid == 0) {
		char state[128];
		snprintf(state, sizeof(state), "%s/state", t.dir);
		if (!freopen(t.log, "a", stderr))
			_exit(126);
		if (t.before_exec)
			t.before_exec();
		execl(cdcd ? cdcd : "./cdcd", "cdcd", "--foreground", "--config", t.conf,
		      "--state-dir", state, "--log-level", "debug", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 250 && log_count("serving") == serving; i++)
		usleep(20000);
	ck_assert_msg(log_count("serving") > serving, "cdcd did not start");
}

/* SIGTERM and wait; true if cdcd stopped cleanly (status 0, no sanitizer report). */
bool halt_daemon(int sig)
{
	int status = -1;

	if (t.pid <= 0)
		return false;
	kill(t.pid, sig);
	waitpid(t.pid, &status, 0);
	t.pid = 0;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

void stop_daemon(void)
{
	int status = 0;

	if (t.base)
		event_base_free(t.base);
	t.base = NULL;
	bool clean = halt_daemon(SIGTERM);
	/* Under the sanitizers a leak or an error also ends up here. */
	if (!clean) {
		char cmd[160];
		snprintf(cmd, sizeof(cmd), "cat %s >&2", t.log);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot show %s\n", t.log);
	}
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", t.dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", t.dir);
	ck_assert_msg(clean, "cdcd did not stop cleanly");
	(void)status;
}

/* ---- running the loop until something happened ---- */

static void flag_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	*(bool *)arg = true;
}

/* Run the loop until *done or ms elapsed; returns *done. */
bool run_until(bool *done, int ms)
{
	bool expired = false;
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	struct event *ev = evtimer_new(t.base, flag_timeout_cb, &expired);

	evtimer_add(ev, &tv);
	while (!*done && !expired)
		event_base_loop(t.base, EVLOOP_ONCE);
	event_free(ev);
	return *done;
}

void result_cb(struct nvmf_host *h, int err, const struct nvme_cqe *cqe, const uint8_t *data,
	       uint32_t len, void *arg)
{
	struct result *r = arg;

	(void)h;
	r->done = true;
	r->err = err;
	if (cqe)
		r->cqe = *cqe;
	r->len = len < sizeof(r->data) ? len : sizeof(r->data);
	if (data && r->len)
		memcpy(r->data, data, r->len);
}

struct sockaddr_in addr4(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons(t.port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	return sa;
}

struct nvmf_host *host_connect_opts(struct nvmf_host_opts opts, struct result *r)
{
	struct sockaddr_in sa = addr4();
	struct nvmf_host *h = nvmf_host_new(t.base, &opts);

	ck_assert_ptr_nonnull(h);
	ck_assert_int_eq(nvmf_host_connect(h, (struct sockaddr *)&sa, sizeof(sa), result_cb, r), 0);
	ck_assert(run_until(&r->done, 5000));
	return h;
}

struct nvmf_host *connect_as(const char *hostnqn, uint32_t kato)
{
	struct nvmf_host_opts opts = {.hostnqn = hostnqn, .kato_ms = kato};
	struct result r = {0};
	struct nvmf_host *h = host_connect_opts(opts, &r);

	ck_assert_int_eq(r.err, 0);
	ck_assert_int_eq(r.cqe.status, 0);
	return h;
}

struct nvmf_host *host_connect(uint32_t kato_ms)
{
	struct nvmf_host_opts opts = {.hostnqn = HOSTNQN, .kato_ms = kato_ms};
	struct result r = {0};
	struct nvmf_host *h = host_connect_opts(opts, &r);

	ck_assert_int_eq(r.err, 0);
	ck_assert_int_eq(r.cqe.status, 0);
	return h;
}

static void log_cb(struct nvmf_host *h, int err, uint16_t status, const uint8_t *log, size_t len,
		   void *arg)
{
	struct log_result *r = arg;

	(void)h;
	r->done = true;
	r->err = err;
	r->status = status;
	if (log) {
		r->log = malloc(len);
		memcpy(r->log, log, len);
		r->len = len;
	}
}

struct log_result read_disc_log(struct nvmf_host *h)
{
	struct log_result r = {0};

	ck_assert_int_eq(nvmf_host_disc_log(h, log_cb, &r), 0);
	ck_assert(run_until(&r.done, 5000));
	ck_assert_int_eq(r.err, 0);
	ck_assert_int_eq(r.status, 0);
	return r;
}

const struct nvmf_disc_log_entry *entry(const struct log_result *r, size_t i)
{
	return (const struct nvmf_disc_log_entry *)(r->log + 1024 + i * 1024);
}

bool host_closed(struct nvmf_host *h, int ms)
{
	struct result r = {0};

	/* A Keep Alive that never completes means the connection is gone. */
	if (nvmf_host_keep_alive(h, result_cb, &r) < 0)
		return true;
	run_until(&r.done, ms);
	return r.done && r.err != 0;
}

/* ---- tests ---- */

void aer_submit(struct nvmf_host *h, struct result *aer)
{
	memset(aer, 0, sizeof(*aer));
	ck_assert_int_eq(nvmf_host_aer(h, result_cb, aer), 0);
}

/* Rewrite the configuration, SIGHUP, and wait until the daemon has dealt with it. */
void reload_with(const char *extra)
{
	int done = log_count("configuration reloaded") + log_count("keeping the running");

	write_config(extra);
	kill(t.pid, SIGHUP);
	for (int i = 0; i < 250; i++) {
		if (log_count("configuration reloaded") + log_count("keeping the running") > done)
			return;
		usleep(20000);
	}
	ck_abort_msg("cdcd did not finish the reload");
}

int raw_connect(void)
{
	struct sockaddr_in sa = addr4();
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct timeval tv = {5, 0};

	ck_assert_int_ge(fd, 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* Reads one C2HTermReq and then EOF; returns its FES. */
int read_termreq(int fd)
{
	uint8_t buf[256];
	size_t got = 0;
	ssize_t n;

	while ((n = read(fd, buf + got, sizeof(buf) - got)) > 0)
		got += (size_t)n;
	ck_assert_int_eq(n, 0); /* the controller closed the connection */
	ck_assert_uint_ge(got, 24);
	ck_assert_uint_eq(buf[0], NVME_TCP_C2H_TERM);
	ck_assert_uint_eq(get_le32(buf + 4), got);
	return get_le16(buf + 8);
}

int read_termreq_fei(int fd, uint32_t *fei)
{
	uint8_t buf[256];
	size_t got = 0;
	ssize_t n;

	while ((n = read(fd, buf + got, sizeof(buf) - got)) > 0)
		got += (size_t)n;
	ck_assert_int_eq(n, 0);
	ck_assert_uint_ge(got, 24);
	ck_assert_uint_eq(buf[0], NVME_TCP_C2H_TERM);
	ck_assert_uint_eq(get_le32(buf + 4), got);
	*fei = get_le32(buf + 10);
	return get_le16(buf + 8);
}

struct raw_host raw_host_open(bool hdgst, bool ddgst)
{
	struct raw_host rh = {.fd = raw_connect(), .hdgst = hdgst, .ddgst = ddgst};
	struct nvme_tcp_ic req = {.dgst = (uint8_t)((hdgst ? 1 : 0) | (ddgst ? 2 : 0))}, rsp;
	uint8_t ic[NVME_TCP_IC_LEN];
	size_t got = 0;
	ssize_t n;

	nvme_tcp_ic_encode(NVME_TCP_ICREQ, &req, ic);
	ck_assert_int_eq(write(rh.fd, ic, sizeof(ic)), sizeof(ic));
	while (got < sizeof(ic) && (n = read(rh.fd, ic + got, sizeof(ic) - got)) > 0)
		got += (size_t)n;
	ck_assert_uint_eq(got, sizeof(ic));
	ck_assert_uint_eq(ic[0], NVME_TCP_ICRESP);
	nvme_tcp_ic_decode(ic, &rsp);
	ck_assert_uint_eq(rsp.dgst, req.dgst);
	return rh;
}

static void write_all(int fd, const uint8_t *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);
		ck_assert_int_gt(n, 0);
		p += n;
		len -= (size_t)n;
	}
}

void raw_send_cmd(const struct raw_host *rh, const struct nvme_sqe *sqe, const uint8_t *data,
		  uint32_t len, bool bad_ddgst)
{
	static uint8_t pdu[NVME_TCP_CMD_HLEN + 8 + 65536];
	struct nvme_sqe s = *sqe;

	ck_assert_uint_le(len, 65536);
	s.flags = 0x40;
	if (len) {
		s.sgl_addr = 0;
		s.sgl_len = len;
		s.sgl_id = NVME_SGL_INCAPSULE;
	}
	size_t n = nvme_tcp_cmd_encode(&s, data, len, rh->hdgst, rh->ddgst, pdu);
	if (bad_ddgst) {
		ck_assert(rh->ddgst && len);
		pdu[n - 1] ^= 0xff;
	}
	write_all(rh->fd, pdu, n);
}

void raw_send_write_cmd(const struct raw_host *rh, uint8_t opcode, uint16_t cid, uint32_t cdw10,
			uint32_t len)
{
	struct nvme_sqe s = {.opcode = opcode, .cid = cid, .flags = 0x40};
	uint8_t pdu[NVME_TCP_CMD_HLEN + 4];

	s.cdw[10] = cdw10;
	s.sgl_len = len;
	s.sgl_id = NVME_SGL_TRANSPORT;
	write_all(rh->fd, pdu, nvme_tcp_cmd_encode(&s, NULL, 0, rh->hdgst, false, pdu));
}

void raw_send_h2c_data(const struct raw_host *rh, uint16_t cccid, uint16_t ttag, uint32_t datao,
		       const uint8_t *data, uint32_t len, bool last, bool bad_ddgst)
{
	uint8_t hdr[NVME_TCP_DATA_HLEN + NVME_TCP_DIGEST_LEN], dg[NVME_TCP_DIGEST_LEN];

	write_all(rh->fd, hdr,
		  nvme_tcp_data_hdr_encode(NVME_TCP_H2C_DATA, last ? NVME_TCP_F_DATA_LAST : 0,
					   cccid, ttag, datao, len, rh->hdgst, rh->ddgst, hdr));
	write_all(rh->fd, data, len);
	if (rh->ddgst) {
		put_le32(dg, nvme_tcp_digest(data, len) ^ (bad_ddgst ? 0x1u : 0));
		write_all(rh->fd, dg, sizeof(dg));
	} else {
		ck_assert(!bad_ddgst);
	}
}

static bool read_full(int fd, uint8_t *p, size_t len)
{
	while (len) {
		ssize_t n = read(fd, p, len);
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

int raw_read_pdu(const struct raw_host *rh, uint8_t *buf, size_t size)
{
	if (!read_full(rh->fd, buf, NVME_TCP_CH_LEN))
		return -1;
	uint32_t plen = get_le32(buf + 4);
	ck_assert_uint_ge(plen, NVME_TCP_CH_LEN);
	ck_assert_uint_le(plen, size);
	if (!read_full(rh->fd, buf + NVME_TCP_CH_LEN, plen - NVME_TCP_CH_LEN))
		return -1;
	return buf[0];
}

struct nvme_cqe raw_read_rsp(const struct raw_host *rh, uint16_t cid)
{
	uint8_t buf[256];
	struct nvme_cqe cqe;

	ck_assert_int_eq(raw_read_pdu(rh, buf, sizeof(buf)), NVME_TCP_RSP);
	nvme_cqe_decode(buf + NVME_TCP_CH_LEN, &cqe);
	ck_assert_uint_eq(cqe.cid, cid);
	return cqe;
}

struct nvme_cqe raw_fabrics_connect(const struct raw_host *rh, uint16_t cid, const char *hostnqn,
				    bool bad_ddgst)
{
	struct nvme_sqe s = {
		.opcode = nvme_admin_fabrics, .fctype = nvme_fabrics_type_connect, .cid = cid};
	struct nvmf_connect_data d;

	memset(&d, 0, sizeof(d));
	memset(d.hostid, 0x5a, sizeof(d.hostid));
	d.cntlid = 0xffff;
	snprintf(d.subsysnqn, sizeof(d.subsysnqn), "%s", NVME_DISC_SUBSYS_NAME);
	snprintf(d.hostnqn, sizeof(d.hostnqn), "%s", hostnqn);
	s.cdw[1] = nvme_fabrics_type_connect;
	s.cdw[11] = 31;
	s.cdw[12] = 5000;
	raw_send_cmd(rh, &s, (const uint8_t *)&d, sizeof(d), bad_ddgst);
	return raw_read_rsp(rh, cid);
}

struct nvme_cqe raw_enable(const struct raw_host *rh, uint16_t cid)
{
	struct nvme_sqe s = {
		.opcode = nvme_admin_fabrics, .fctype = nvme_fabrics_type_property_set, .cid = cid};

	s.cdw[1] = nvme_fabrics_type_property_set;
	s.cdw[11] = NVME_REG_CC;
	s.cdw[12] = 1; /* CC.EN */
	raw_send_cmd(rh, &s, NULL, 0, false);
	return raw_read_rsp(rh, cid);
}

/* ---- DIM data ---- */

static void put_str(uint8_t *p, const char *s)
{
	memcpy(p, s, strlen(s));
}

static void dim_header(uint8_t *buf, uint32_t tdl, uint64_t nument, uint16_t entfmt, uint16_t etype,
		       uint16_t ektype, const char *eid)
{
	memset(buf, 0, 1024);
	put_le32(buf, tdl);
	put_le64(buf + 8, nument);
	put_le16(buf + 16, entfmt);
	put_le16(buf + 18, etype);
	put_le16(buf + 22, ektype);
	put_str(buf + 24, eid);
	put_str(buf + 280, "testhost");
	put_str(buf + 536, "Linux 6.1.0-56-amd64");
}

size_t dim_build_host(uint8_t *buf, size_t size, const char *hostnqn, const uint8_t *hostid,
		      const char *traddr)
{
	const uint32_t tel = 1032 + 20, tdl = 1024 + tel;
	uint8_t *e = buf + 1024;

	ck_assert_uint_ge(size, tdl);
	dim_header(buf, tdl, 1, NVMF_DIM_ENTFMT_EXTENDED, NVMF_DIM_ETYPE_HOST, 0x5f, hostnqn);
	memset(e, 0, tel);
	e[0] = NVMF_TRTYPE_TCP;
	e[1] = NVMF_ADDR_FAMILY_IP4;
	put_str(e + 256, hostnqn);
	put_str(e + 512, traddr);
	put_le32(e + 1024, tel);
	put_le16(e + 1028, 1);
	put_le16(e + 1032, NVMF_EXATTYPE_HOSTID);
	put_le16(e + 1034, 16);
	memcpy(e + 1036, hostid, 16);
	return tdl;
}

size_t dim_build_ddc(uint8_t *buf, size_t size, const char *eid, const char *subnqn, int nports,
		     int first)
{
	struct entity e = {.ename = "testhost", .ever = "Linux 6.1.0-56-amd64"};
	struct log_rec recs[64];

	ck_assert_int_le(nports, 64);
	snprintf(e.nqn, sizeof(e.nqn), "%s", eid);
	for (int i = 0; i < nports; i++) {
		struct log_rec *r = &recs[i];
		char spec[96];
		char err[128];

		memset(r, 0, sizeof(*r));
		r->subtype = NVME_NQN_NVME;
		r->asqsz = 32;
		snprintf(r->subnqn, sizeof(r->subnqn), "%s", subnqn);
		snprintf(spec, sizeof(spec), "traddr=203.0.113.%d;trsvcid=4420;portid=%d",
			 (first + i) % 250 + 1, first + i);
		ck_assert_int_eq(addr_parse_port(spec, "4420", &r->port, err, sizeof(err)), 0);
	}
	size_t tdl = dim_encode_ddc(buf, size, DIM_EKTYPE_PORTID, &e, recs, (size_t)nports);
	ck_assert_uint_ne(tdl, 0);
	return tdl;
}

struct result dim_send(struct nvmf_host *h, uint8_t tas, const uint8_t *data, size_t len)
{
	struct nvme_sqe sqe = {.opcode = nvme_admin_discovery_info_mgmt};
	struct result r = {0};

	sqe.cdw[10] = tas;
	ck_assert_int_eq(nvmf_host_submit(h, &sqe, data, (uint32_t)len, 0, result_cb, &r), 0);
	ck_assert(run_until(&r.done, 10000));
	return r;
}

/* ---- the control API ---- */

int api_call(const char *method, const char *path, const char *body, char *resp, size_t size)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char req[API_BODY_MAX + 512];
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct timeval tv = {5, 0};
	size_t got = 0;
	ssize_t n;

	ck_assert_int_ge(fd, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/cdcd.sock", t.dir);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	int len = snprintf(req, sizeof(req),
			   "%s %s HTTP/1.1\r\nHost: cdcd\r\nConnection: close\r\n"
			   "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
			   method, path, body ? strlen(body) : 0, body ? body : "");
	ck_assert_int_eq(write(fd, req, (size_t)len), len);
	while (got + 1 < size && (n = read(fd, resp + got, size - got - 1)) > 0)
		got += (size_t)n;
	resp[got] = 0;
	close(fd);
	int code = 0;
	ck_assert_int_eq(sscanf(resp, "HTTP/1.1 %d", &code), 1);
	char *b = strstr(resp, "\r\n\r\n");
	if (b)
		memmove(resp, b + 4, strlen(b + 4) + 1);
	return code;
}
