/* test_hardening.c - what a hostile or merely broken host must not be able to do to cdcd:
 * make it hold memory before it connected, queue more commands than its queue holds, pin a
 * copy of a large log by not reading, stay unconnected forever, wrap its keep-alive timer,
 * or take every connection. Raw sockets speak the PDUs the userspace host never sends. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

#define SQE_CONNECT_DATA 1024
#define DIM_OPCODE	 0x21

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* VmRSS of the daemon in KiB. */
static long daemon_rss_kib(void)
{
	char path[64], line[256];
	long kib = -1;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)t.pid);
	FILE *f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

static void write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);
		ck_assert_msg(n > 0, "write: %s", strerror(errno));
		p += n;
		len -= (size_t)n;
	}
}

/* Reads one whole PDU into buf; returns its type, or -1 at EOF. */
static int read_pdu(int fd, uint8_t *buf, size_t size)
{
	size_t got = 0, want = 8;

	while (got < want) {
		ssize_t n = read(fd, buf + got, want - got);
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			return -1;
		ck_assert_msg(n > 0, "read: %s", strerror(errno));
		got += (size_t)n;
		if (got == 8) {
			want = get_le32(buf + 4);
			ck_assert_uint_le(want, size);
		}
	}
	return buf[0];
}

static void icreq(int fd)
{
	uint8_t ic[NVME_TCP_IC_LEN], rsp[NVME_TCP_IC_LEN];
	struct nvme_tcp_ic req = {0};

	nvme_tcp_ic_encode(NVME_TCP_ICREQ, &req, ic);
	write_all(fd, ic, sizeof(ic));
	ck_assert_int_eq(read_pdu(fd, rsp, sizeof(rsp)), NVME_TCP_ICRESP);
}

static void send_cmd(int fd, const struct nvme_sqe *in, const void *data, uint32_t len)
{
	uint8_t pdu[NVME_TCP_CMD_HLEN + 8 + 4096];
	struct nvme_sqe sqe = *in;

	ck_assert_uint_le(len, 4096);
	sqe.flags = 0x40;
	if (data) {
		sqe.sgl_id = NVME_SGL_INCAPSULE;
		sqe.sgl_len = len;
	} else if (!sqe.sgl_id) {
		sqe.sgl_id = NVME_SGL_TRANSPORT;
	}
	write_all(fd, pdu, nvme_tcp_cmd_encode(&sqe, data, data ? len : 0, false, false, pdu));
}

/* Reads PDUs until a CapsuleResp; returns its status. R2Ts met on the way are counted. */
static uint16_t read_status(int fd, int *r2ts)
{
	uint8_t buf[512];

	for (;;) {
		int type = read_pdu(fd, buf, sizeof(buf));
		ck_assert_msg(type >= 0, "connection closed before the response");
		if (type == NVME_TCP_R2T && r2ts) {
			(*r2ts)++;
			continue;
		}
		ck_assert_int_eq(type, NVME_TCP_RSP);
		struct nvme_cqe cqe;
		nvme_cqe_decode(buf + 8, &cqe);
		return cqe.status & 0x7fff;
	}
}

static struct nvme_sqe connect_sqe(uint16_t sqsize, uint32_t kato)
{
	struct nvme_sqe sqe = {.opcode = nvme_admin_fabrics, .fctype = nvme_fabrics_type_connect};

	sqe.cdw[11] = sqsize;
	sqe.cdw[12] = kato;
	return sqe;
}

/* Connect (in-capsule data) and enable the controller, as every host does. */
static void connect_ctrl(int fd, uint16_t sqsize, uint32_t kato)
{
	uint8_t data[SQE_CONNECT_DATA] = {0};
	struct nvme_sqe sqe = connect_sqe(sqsize, kato);

	put_le16(data + 16, 0xffff);
	strcpy((char *)data + 256, NVME_DISC_SUBSYS_NAME);
	strcpy((char *)data + 512, HOSTNQN);
	send_cmd(fd, &sqe, data, sizeof(data));
	ck_assert_uint_eq(read_status(fd, NULL), 0);

	struct nvme_sqe set = {.opcode = nvme_admin_fabrics,
			       .fctype = nvme_fabrics_type_property_set};
	set.cid = 1;
	set.cdw[11] = NVME_REG_CC;
	set.cdw[12] = 1;
	send_cmd(fd, &set, NULL, 0);
	ck_assert_uint_eq(read_status(fd, NULL), 0);
}

static struct nvme_sqe dim_sqe(uint16_t cid, uint32_t len)
{
	struct nvme_sqe sqe = {.opcode = DIM_OPCODE, .cid = cid, .sgl_len = len};

	sqe.sgl_id = NVME_SGL_TRANSPORT;
	return sqe;
}

/* Before the Connect, a write command gets Command Sequence Error: no R2T, no buffer. Before
 * this was checked, 20,000 such capsules made cdcd reserve 5 GB. */
START_TEST(write_before_connect_gets_sequence_error_not_r2t)
{
	int fd = raw_connect();
	int r2ts = 0;

	icreq(fd);
	for (uint16_t cid = 0; cid < 200; cid++) {
		struct nvme_sqe sqe = dim_sqe(cid, 256 << 10);
		send_cmd(fd, &sqe, NULL, 0);
		ck_assert_uint_eq(read_status(fd, &r2ts),
				  nvme_status(NVME_SCT_GENERIC, NVME_SC_CMD_SEQ_ERROR, true));
	}
	ck_assert_int_eq(r2ts, 0);
	/* A Connect whose data comes by R2T is still accepted. */
	struct nvme_sqe c = connect_sqe(31, 0);
	c.sgl_len = SQE_CONNECT_DATA;
	send_cmd(fd, &c, NULL, 0);
	uint8_t buf[512];
	ck_assert_int_eq(read_pdu(fd, buf, sizeof(buf)), NVME_TCP_R2T);
	close(fd);
}
END_TEST

/* The ICReq and Connect deadline runs from the accept: commands sent meanwhile (answered
 * with Command Sequence Error) do not extend it. icreq-timeout is 1 s in the tests. */
START_TEST(commands_do_not_extend_the_connect_deadline)
{
	int fd = raw_connect();
	int64_t start = now_ms();
	bool closed = false;

	icreq(fd);
	for (uint16_t cid = 0; !closed && now_ms() - start < 4000; cid++) {
		struct nvme_sqe get = {.opcode = nvme_admin_fabrics,
				       .fctype = nvme_fabrics_type_property_get,
				       .cid = cid};
		get.cdw[11] = NVME_REG_CAP;
		send_cmd(fd, &get, NULL, 0);
		uint8_t buf[512];
		closed = read_pdu(fd, buf, sizeof(buf)) < 0;
		usleep(200 * 1000);
	}
	ck_assert_msg(closed, "an unconnected host stayed %lld ms", (long long)(now_ms() - start));
	ck_assert_int_lt(now_ms() - start, 2500);
	close(fd);
}
END_TEST

/* A host may not have more commands outstanding than SQSIZE + 1: the one past it ends the
 * connection with a C2HTermReq instead of growing a queue without end. */
START_TEST(commands_beyond_sqsize_end_the_connection)
{
	int fd = raw_connect();
	uint8_t buf[512];
	int type, r2ts = 0;

	icreq(fd);
	connect_ctrl(fd, 7, 0); /* 8 commands */
	for (uint16_t cid = 10; cid < 20; cid++) {
		struct nvme_sqe sqe = dim_sqe(cid, 4096);
		send_cmd(fd, &sqe, NULL, 0);
	}
	while ((type = read_pdu(fd, buf, sizeof(buf))) == NVME_TCP_R2T)
		r2ts++;
	ck_assert_int_eq(r2ts, 1); /* one R2T at a time */
	ck_assert_int_eq(type, NVME_TCP_C2H_TERM);
	ck_assert_uint_eq(get_le16(buf + 8), NVME_TCP_FES_PDU_SEQ_ERR);
	close(fd);
}
END_TEST

/* An H2CData without data (PDO 0, DATAL 0) moves nothing and breaks nothing; the write
 * completes with the data that follows. */
START_TEST(empty_h2cdata_is_harmless)
{
	int fd = raw_connect();
	uint8_t buf[512], hdr[NVME_TCP_DATA_HLEN], data[64] = {0};
	struct nvme_tcp_data_hdr d;

	icreq(fd);
	connect_ctrl(fd, 31, 0);
	struct nvme_sqe sqe = dim_sqe(5, sizeof(data));
	send_cmd(fd, &sqe, NULL, 0);
	ck_assert_int_eq(read_pdu(fd, buf, sizeof(buf)), NVME_TCP_R2T);
	nvme_tcp_data_hdr_decode(buf, &d);
	size_t hl =
		nvme_tcp_data_hdr_encode(NVME_TCP_H2C_DATA, 0, 5, d.ttag, 0, 0, false, false, hdr);
	hdr[3] = 0; /* PDO 0: the PDU carries no data at all */
	write_all(fd, hdr, hl);
	write_all(fd, hdr,
		  nvme_tcp_data_hdr_encode(NVME_TCP_H2C_DATA, NVME_TCP_F_DATA_LAST, 5, d.ttag, 0,
					   sizeof(data), false, false, hdr));
	write_all(fd, data, sizeof(data));
	/* All zeros is not a valid DIM: refused by the controller, which is the point. */
	uint16_t st = read_status(fd, NULL);
	ck_assert_uint_ne(st, 0);
	ck_assert_uint_ne(st & 0xff, NVME_SC_CMD_SEQ_ERROR);
	close(fd);
	struct nvmf_host *h = host_connect(0);
	nvmf_host_free(h);
}
END_TEST

/* KATO 0xAAAAAAAB ms: KATO + KATO / 2 overflowed 32 bits and the host was dropped at once.
 * It is now cut to the documented maximum, and the host stays. */
START_TEST(huge_kato_does_not_wrap_the_timer)
{
	struct nvmf_host *h = host_connect(0xaaaaaaabu);
	bool never = false;

	run_until(&never, 1500);
	struct log_result r = read_disc_log(h);
	ck_assert_int_eq(r.err, 0);
	ck_assert_uint_eq(r.status, 0);
	free(r.log);
	nvmf_host_free(h);
}
END_TEST

static int connect_from(const char *src)
{
	struct sockaddr_in sa = addr4(), from = {.sin_family = AF_INET};
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct timeval tv = {5, 0};

	ck_assert_int_ge(fd, 0);
	inet_pton(AF_INET, src, &from.sin_addr);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&from, sizeof(from)), 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* Whether the daemon serves this connection: it answers an ICReq. */
static bool served(int fd)
{
	uint8_t ic[NVME_TCP_IC_LEN], rsp[NVME_TCP_IC_LEN];
	struct nvme_tcp_ic req = {0};

	nvme_tcp_ic_encode(NVME_TCP_ICREQ, &req, ic);
	if (write(fd, ic, sizeof(ic)) != sizeof(ic))
		return false;
	return read_pdu(fd, rsp, sizeof(rsp)) == NVME_TCP_ICRESP;
}

/* One source holding its share cannot lock out the others. */
START_TEST(one_source_cannot_take_every_connection)
{
	int fds[16], n = 0;

	t.global_extra = "max-connections = 12\nmax-connections-per-source = 4\n";
	write_config(NULL);
	ck_assert(halt_daemon(SIGTERM));
	spawn_daemon();
	for (int i = 0; i < 10; i++) {
		fds[i] = connect_from("127.0.0.1");
		n += served(fds[i]);
	}
	ck_assert_int_eq(n, 4);
	ck_assert(log_contains("max-connections-per-source"));
	/* Two other sources still get in, up to the total. */
	for (int i = 10; i < 16; i++)
		fds[i] = connect_from(i < 13 ? "127.0.0.2" : "127.0.0.3");
	n = 0;
	for (int i = 10; i < 16; i++)
		n += served(fds[i]);
	ck_assert_int_eq(n, 6);
	/* A connection that ends gives its place back. */
	close(fds[0]);
	bool back = false;
	for (int tries = 0; !back && tries < 50; tries++) { /* until the daemon saw the close */
		usleep(100 * 1000);
		int again = connect_from("127.0.0.1");
		back = served(again);
		close(again);
	}
	ck_assert(back);
	for (int i = 1; i < 16; i++)
		close(fds[i]);
}
END_TEST

/* Hosts that ask for a large log and never read it hold references to the shared body, not
 * copies of it: 16 of them asking for 4 MiB each leave the daemon's RSS nearly where it
 * was (a copy each was 64 MiB more). */
START_TEST(wedged_readers_do_not_pin_copies_of_the_log)
{
	enum { READERS = 16, PORTS = 4000 };
	size_t size = PORTS * 80 + 64;
	char *extra = malloc(size), *p = extra;
	int fds[READERS];

	p += sprintf(p, "\n[subsystem nqn.2014-08.org.example:big]\n");
	for (int i = 0; i < PORTS; i++)
		p += sprintf(p, "port = trtype=tcp;traddr=198.51.%d.%d;portid=%d\n", i / 250,
			     i % 250, i);
	write_config(extra);
	free(extra);
	ck_assert(halt_daemon(SIGTERM));
	spawn_daemon();

	uint32_t len = 4u << 20, numd = len / 4 - 1;
	for (int i = 0; i < READERS; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0), small = 4096;
		struct sockaddr_in sa = addr4();
		struct timeval tv = {5, 0};
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
		icreq(fd);
		connect_ctrl(fd, 31, 0);
		fds[i] = fd;
	}
	usleep(200 * 1000); /* the connections' registrations are committed */
	long before = daemon_rss_kib();
	for (int i = 0; i < READERS; i++) {
		struct nvme_sqe get = {.opcode = nvme_admin_get_log_page,
				       .cid = 9,
				       .nsid = 0xffffffff,
				       .sgl_len = len};
		get.cdw[10] = NVME_LOG_LID_DISCOVER | (numd & 0xffff) << 16;
		get.cdw[11] = numd >> 16;
		send_cmd(fds[i], &get, NULL, 0);
	}
	usleep(500 * 1000); /* let the daemon queue what it can */
	long after = daemon_rss_kib();
	/* A copy each would be READERS x 4 MiB. Without sanitizers the growth is about 2 MiB;
	 * under AddressSanitizer the sends themselves cost about a third of the bytes sent. */
	ck_assert_msg(after - before < READERS * (long)(len >> 10) / 2,
		      "RSS grew from %ld to %ld KiB", before, after);
	/* And a host that reads still gets the whole log. */
	struct nvmf_host *h = host_connect(0);
	struct log_result r = read_disc_log(h);
	ck_assert_uint_eq(r.status, 0);
	ck_assert_uint_eq(get_le64(r.log + 8), PORTS + 2 + 1 + 2); /* + config, referral, self */
	free(r.log);
	nvmf_host_free(h);
	for (int i = 0; i < READERS; i++)
		close(fds[i]);
}
END_TEST

/* ---- who may change what ---- */

#define HOSTA		"nqn.2014-08.org.nvmexpress:uuid:aaaaaaaa-0000-4000-8000-000000000001"
#define HOSTB		"nqn.2014-08.org.nvmexpress:uuid:bbbbbbbb-0000-4000-8000-000000000002"
#define HOSTC		"nqn.2014-08.org.nvmexpress:uuid:cccccccc-0000-4000-8000-000000000003"
#define DDC1		"nqn.2014-08.org.example:ddc1"
#define DDC2		"nqn.2014-08.org.example:ddc2"
#define SUB3		"nqn.2014-08.org.example:storage3"
#define ADMSUB		"nqn.2014-08.org.example:admin1"
#define SC_INVALID_DISC (NVME_SC_DNR | NVME_SCT_CMD_SPECIFIC << 8 | NVME_SC_INVALID_DISCOVERY_INFO)

static uint8_t dimbuf[64 * 1024];
static char resp[API_BODY_MAX];
static const uint8_t hostid[16] = {1, 2, 3, 4};

static uint16_t dim_status(struct nvmf_host *h, uint8_t tas, size_t len)
{
	struct result r = dim_send(h, tas, dimbuf, len);

	ck_assert_int_eq(r.err, 0);
	return r.cqe.status;
}

/* A host DIM for hostnqn at traddr (EID = hostnqn, as libnvme builds it). */
static uint16_t host_dim(struct nvmf_host *h, uint8_t tas, const char *hostnqn, const char *traddr)
{
	return dim_status(h, tas, dim_build_host(dimbuf, sizeof(dimbuf), hostnqn, hostid, traddr));
}

static uint16_t ddc_dim(struct nvmf_host *h, const char *eid, const char *subnqn, int nports,
			int first)
{
	size_t len = dim_build_ddc(dimbuf, sizeof(dimbuf), eid, subnqn, nports, first);

	return dim_status(h, NVMF_DIM_TAS_REGISTER, len);
}

/* What GET /v1/hosts/NQN says, as text ("" when 404). */
static const char *host_json(const char *nqn)
{
	char path[512];

	snprintf(path, sizeof(path), "/v1/hosts/%s", nqn);
	if (api_call("GET", path, NULL, resp, sizeof(resp)) != 200)
		resp[0] = 0;
	return resp;
}

START_TEST(a_host_registers_only_its_own_nqn)
{
	struct nvmf_host *b = connect_as(HOSTB, 0);

	ck_assert_uint_eq(host_dim(b, NVMF_DIM_TAS_REGISTER, HOSTA, "192.0.2.66"), SC_INVALID_DISC);
	ck_assert_ptr_null(strstr(host_json(HOSTA), "192.0.2.66"));
	ck_assert_uint_eq(host_dim(b, NVMF_DIM_TAS_REGISTER, HOSTB, "192.0.2.67"), 0);
	ck_assert_ptr_nonnull(strstr(host_json(HOSTB), "192.0.2.67"));
	/* The refusal is in the change journal, with who asked. */
	ck_assert_int_eq(api_call("GET", "/v1/changes?limit=10", NULL, resp, sizeof(resp)), 200);
	ck_assert_ptr_nonnull(strstr(resp, "register refused"));
	ck_assert_ptr_nonnull(strstr(resp, HOSTB));
	nvmf_host_free(b);
}
END_TEST

/* A host that only connected owns its implicit entity: another host can neither take it
 * over (as a DDC under that EID) nor delete its log 71h entry, and it can still register. */
START_TEST(an_implicit_host_belongs_to_itself)
{
	struct nvmf_host *c = connect_as(HOSTC, 0), *b = connect_as(HOSTB, 0);

	ck_assert_ptr_nonnull(strstr(host_json(HOSTC), "implicit"));
	ck_assert_uint_eq(ddc_dim(b, HOSTC, SUB3, 1, 1), SC_INVALID_DISC);
	ck_assert_uint_eq(host_dim(b, NVMF_DIM_TAS_DEREGISTER, HOSTC, ""), SC_INVALID_DISC);
	ck_assert_ptr_nonnull(strstr(host_json(HOSTC), "\"connected\":true"));
	ck_assert_uint_eq(host_dim(c, NVMF_DIM_TAS_REGISTER, HOSTC, ""), 0);
	nvmf_host_free(b);
	nvmf_host_free(c);
}
END_TEST

/* A DDC may not register under, or into, a subsystem the administrator declared or another
 * DDC registered. */
START_TEST(a_ddc_cannot_take_a_subsystem_someone_else_owns)
{
	struct nvmf_host *d1 = connect_as(DDC1, 0), *d2 = connect_as(DDC2, 0);

	ck_assert_int_eq(
		api_call("POST", "/v1/subsystems", "{\"nqn\":\"" ADMSUB "\"}", resp, sizeof(resp)),
		201);
	ck_assert_uint_eq(ddc_dim(d2, ADMSUB, SUB3, 1, 1), SC_INVALID_DISC);
	ck_assert_uint_eq(ddc_dim(d2, DDC2, ADMSUB, 1, 1), SC_INVALID_DISC);
	ck_assert_uint_eq(ddc_dim(d2, DDC2, SUB1, 1, 1), SC_INVALID_DISC); /* configured */
	ck_assert_uint_eq(ddc_dim(d1, DDC1, SUB3, 2, 1), 0);
	ck_assert_uint_eq(ddc_dim(d2, DDC2, SUB3, 1, 7), SC_INVALID_DISC);
	ck_assert_uint_eq(ddc_dim(d1, DDC1, SUB3, 1, 3), 0); /* its own, again */
	/* The administrator's subsystem is still the administrator's. */
	ck_assert_int_eq(api_call("POST", "/v1/subsystems/" ADMSUB "/ports",
				  "{\"traddr\":\"192.0.2.91\",\"trsvcid\":\"4420\"}", resp,
				  sizeof(resp)),
			 201);
	ck_assert_int_eq(api_call("GET", "/v1/subsystems/" ADMSUB, NULL, resp, sizeof(resp)), 200);
	ck_assert_ptr_nonnull(strstr(resp, "192.0.2.91"));
	nvmf_host_free(d1);
	nvmf_host_free(d2);
}
END_TEST

/* ---- hosts known only because they connected ---- */

static int implicit_hosts(void)
{
	int n = 0;

	ck_assert_int_eq(api_call("GET", "/v1/hosts", NULL, resp, sizeof(resp)), 200);
	for (const char *p = resp; (p = strstr(p, "\"implicit\"")); p++)
		n++;
	return n;
}

static void nqn_of(int i, char *out, size_t size)
{
	snprintf(out, size, "nqn.2014-08.org.nvmexpress:uuid:00000000-0000-4000-8000-%012d", i);
}

static void restart_with(const char *global)
{
	t.global_extra = global;
	write_config(NULL);
	ck_assert(halt_daemon(SIGTERM));
	spawn_daemon();
}

/* At max-implicit-hosts the host that left longest ago makes room; when every one is
 * connected, a new host is served but not recorded. */
START_TEST(implicit_hosts_are_bounded)
{
	char nqn[256];
	struct nvmf_host *held[3];

	restart_with("max-implicit-hosts = 3\n");
	for (int i = 0; i < 6; i++) {
		nqn_of(i, nqn, sizeof(nqn));
		nvmf_host_free(connect_as(nqn, 0));
	}
	ck_assert_int_eq(implicit_hosts(), 3);
	ck_assert_str_ne(host_json(nqn), ""); /* the newest is known */
	for (int i = 0; i < 3; i++) {
		nqn_of(10 + i, nqn, sizeof(nqn));
		held[i] = connect_as(nqn, 5000);
	}
	ck_assert_int_eq(implicit_hosts(), 3);
	nqn_of(20, nqn, sizeof(nqn));
	struct nvmf_host *extra = connect_as(nqn, 0);
	struct log_result l = read_disc_log(extra);
	ck_assert_uint_eq(l.status, 0);
	free(l.log);
	ck_assert_str_eq(host_json(nqn), "");
	ck_assert(log_contains("served but not recorded"));
	nvmf_host_free(extra);
	for (int i = 0; i < 3; i++)
		nvmf_host_free(held[i]);
}
END_TEST

/* Implicit hosts that have not been seen for implicit-host-expiry are forgotten; a
 * connected one is not, however long it has been connected. */
START_TEST(implicit_hosts_expire)
{
	restart_with("implicit-host-expiry = 2\n");
	struct nvmf_host *stays = connect_as(HOSTA, 5000);
	nvmf_host_free(connect_as(HOSTB, 0));
	ck_assert_str_ne(host_json(HOSTB), "");
	bool never = false;
	int waited = 0;
	while (host_json(HOSTB)[0] && waited < 8000) {
		run_until(&never, 250); /* keeps HOSTA's keep-alive going */
		waited += 250;
	}
	ck_assert_msg(waited >= 2000, "forgotten after %d ms", waited);
	ck_assert_str_eq(host_json(HOSTB), "");
	ck_assert_str_ne(host_json(HOSTA), "");
	ck_assert_int_eq(api_call("GET", "/v1/changes?limit=10", NULL, resp, sizeof(resp)), 200);
	ck_assert_ptr_nonnull(strstr(resp, "host forgotten"));
	nvmf_host_free(stays);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("hardening");
	TCase *tc = tcase_create("transport");

	tcase_add_checked_fixture(tc, start_daemon, stop_daemon);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, write_before_connect_gets_sequence_error_not_r2t);
	tcase_add_test(tc, commands_do_not_extend_the_connect_deadline);
	tcase_add_test(tc, commands_beyond_sqsize_end_the_connection);
	tcase_add_test(tc, empty_h2cdata_is_harmless);
	tcase_add_test(tc, huge_kato_does_not_wrap_the_timer);
	tcase_add_test(tc, one_source_cannot_take_every_connection);
	tcase_add_test(tc, wedged_readers_do_not_pin_copies_of_the_log);
	suite_add_tcase(s, tc);

	tc = tcase_create("registrations");
	tcase_add_checked_fixture(tc, start_daemon, stop_daemon);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, a_host_registers_only_its_own_nqn);
	tcase_add_test(tc, an_implicit_host_belongs_to_itself);
	tcase_add_test(tc, a_ddc_cannot_take_a_subsystem_someone_else_owns);
	tcase_add_test(tc, implicit_hosts_are_bounded);
	tcase_add_test(tc, implicit_hosts_expire);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());

	signal(SIGPIPE, SIG_IGN);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
