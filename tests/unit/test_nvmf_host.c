/* test_nvmf_host.c - the userspace host against a scripted controller on a loopback socket:
 * the test plays the target with blocking reads and writes while the host runs on the
 * event loop, so each test decides exactly which PDUs the host receives. */
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <nvme/types.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "nvmf_host.h"
#include "nvmf_tcp.h"

struct target {
	struct event_base *base;
	struct nvmf_host *h;
	int lfd, fd;
};

struct outcome {
	bool done;
	int err;
	uint16_t status;
	uint8_t data[64];
	uint32_t len;
};

static void cmd_cb(struct nvmf_host *h, int err, const struct nvme_cqe *cqe, const uint8_t *data,
		   uint32_t len, void *arg)
{
	struct outcome *o = arg;

	(void)h;
	o->done = true;
	o->err = err;
	o->status = cqe ? cqe->status : 0;
	o->len = len < sizeof(o->data) ? len : sizeof(o->data);
	if (data)
		memcpy(o->data, data, o->len);
}

static void close_cb(struct nvmf_host *h, int err, void *arg)
{
	struct outcome *o = arg;

	(void)h;
	o->done = true;
	o->err = err;
}

/* Runs the loop until fd has bytes to read (or the host gave up); bounded. */
static bool pump_until_readable(struct target *t, int ms)
{
	struct pollfd p = {.fd = t->fd, .events = POLLIN};

	for (int i = 0; i < ms; i++) {
		event_base_loop(t->base, EVLOOP_NONBLOCK);
		if (poll(&p, 1, 1) > 0)
			return true;
	}
	return false;
}

static void pump_until(struct target *t, bool *done, int ms)
{
	for (int i = 0; i < ms && !*done; i++) {
		event_base_loop(t->base, EVLOOP_NONBLOCK);
		usleep(1000);
	}
}

static void read_full(struct target *t, uint8_t *buf, size_t len)
{
	for (size_t got = 0; got < len;) {
		ck_assert(pump_until_readable(t, 5000));
		ssize_t n = read(t->fd, buf + got, len - got);
		ck_assert_int_gt(n, 0);
		got += (size_t)n;
	}
}

/* One whole PDU from the host; returns its type. */
static int read_pdu(struct target *t, uint8_t *buf, size_t size)
{
	read_full(t, buf, NVME_TCP_CH_LEN);
	uint32_t plen = get_le32(buf + 4);
	ck_assert_uint_le(plen, size);
	read_full(t, buf + NVME_TCP_CH_LEN, plen - NVME_TCP_CH_LEN);
	return buf[0];
}

static void send_rsp(struct target *t, uint16_t cid, uint32_t dw0)
{
	struct nvme_cqe cqe = {.cid = cid, .dw0 = dw0};
	uint8_t r[NVME_TCP_RSP_HLEN];

	nvme_tcp_rsp_encode(&cqe, false, r);
	ck_assert_int_eq(write(t->fd, r, sizeof(r)), sizeof(r));
}

static void send_c2h(struct target *t, uint16_t cid, uint8_t flags, const void *data, uint32_t len)
{
	uint8_t hdr[NVME_TCP_DATA_HLEN];

	nvme_tcp_data_hdr_encode(NVME_TCP_C2H_DATA, flags, cid, 0, 0, len, false, false, hdr);
	ck_assert_int_eq(write(t->fd, hdr, sizeof(hdr)), sizeof(hdr));
	ck_assert_int_eq(write(t->fd, data, len), (ssize_t)len);
}

/* The next command's CID. */
static uint16_t read_cmd(struct target *t, uint8_t *opcode)
{
	uint8_t pdu[NVME_TCP_CMD_HLEN + 8 + NVMF_HOST_ICD];

	ck_assert_int_eq(read_pdu(t, pdu, sizeof(pdu)), NVME_TCP_CMD);
	if (opcode)
		*opcode = pdu[NVME_TCP_CH_LEN];
	return get_le16(pdu + NVME_TCP_CH_LEN + 2);
}

/* ICReq/ICResp, then Connect, CAP, CC, CC.EN and CSTS each answered with DW0 = 1 (CNTLID 1,
 * CSTS.RDY): the host is ready. */
static void target_start(struct target *t)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(sa);
	struct nvmf_host_opts opts = {.hostnqn = "nqn.2014-08.org.example:host"};
	struct outcome conn = {0};
	uint8_t ic[NVME_TCP_IC_LEN];
	struct nvme_tcp_ic resp = {.maxr2t_or_maxh2cdata = 131072};

	t->base = event_base_new();
	t->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert(t->base && t->lfd >= 0);
	ck_assert_int_eq(bind(t->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(t->lfd, 1), 0);
	ck_assert_int_eq(getsockname(t->lfd, (struct sockaddr *)&sa, &sl), 0);
	t->h = nvmf_host_new(t->base, &opts);
	ck_assert_int_eq(nvmf_host_connect(t->h, (struct sockaddr *)&sa, sl, cmd_cb, &conn), 0);
	event_base_loop(t->base, EVLOOP_NONBLOCK);
	t->fd = accept(t->lfd, NULL, NULL);
	ck_assert_int_ge(t->fd, 0);
	read_full(t, ic, sizeof(ic));
	nvme_tcp_ic_encode(NVME_TCP_ICRESP, &resp, ic);
	ck_assert_int_eq(write(t->fd, ic, sizeof(ic)), sizeof(ic));
	for (int i = 0; i < 5; i++)
		send_rsp(t, read_cmd(t, NULL), 1);
	pump_until(t, &conn.done, 5000);
	ck_assert(conn.done);
	ck_assert_int_eq(conn.err, 0);
	ck_assert(nvmf_host_ready(t->h));
}

static void target_stop(struct target *t)
{
	nvmf_host_free(t->h);
	close(t->fd);
	close(t->lfd);
	event_base_free(t->base);
}

START_TEST(read_completed_by_success_flag_has_status_0)
{
	struct target t;
	struct outcome rd = {0}, closed = {0};
	const uint8_t page[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	uint8_t op;

	target_start(&t);
	nvmf_host_on_close(t.h, close_cb, &closed);
	ck_assert_int_eq(nvmf_host_get_log(t.h, 0x70, 0, false, 0, sizeof(page), cmd_cb, &rd), 0);
	uint16_t cid = read_cmd(&t, &op);
	ck_assert_uint_eq(op, nvme_admin_get_log_page);
	send_c2h(&t, cid, NVME_TCP_F_DATA_LAST | NVME_TCP_F_DATA_SUCCESS, page, sizeof(page));
	pump_until(&t, &rd.done, 5000);
	ck_assert(rd.done);
	ck_assert_int_eq(rd.err, 0);
	ck_assert_uint_eq(rd.status, 0);
	ck_assert_uint_eq(rd.len, sizeof(page));
	ck_assert_mem_eq(rd.data, page, sizeof(page));
	/* The slot is free again and the connection up: the next command works as usual. */
	struct outcome ka = {0};
	ck_assert_int_eq(nvmf_host_keep_alive(t.h, cmd_cb, &ka), 0);
	send_rsp(&t, read_cmd(&t, NULL), 0);
	pump_until(&t, &ka.done, 5000);
	ck_assert(ka.done && !ka.err && !ka.status);
	ck_assert(!closed.done);
	target_stop(&t);
}
END_TEST

START_TEST(read_without_success_waits_for_capsule_resp)
{
	struct target t;
	struct outcome rd = {0};
	const uint8_t page[4] = {9, 9, 9, 9};

	target_start(&t);
	ck_assert_int_eq(nvmf_host_get_log(t.h, 0x70, 0, false, 0, sizeof(page), cmd_cb, &rd), 0);
	uint16_t cid = read_cmd(&t, NULL);
	send_c2h(&t, cid, NVME_TCP_F_DATA_LAST, page, sizeof(page));
	pump_until(&t, &rd.done, 100);
	ck_assert(!rd.done);
	send_rsp(&t, cid, 0);
	pump_until(&t, &rd.done, 5000);
	ck_assert(rd.done && !rd.err && !rd.status);
	ck_assert_mem_eq(rd.data, page, sizeof(page));
	target_stop(&t);
}
END_TEST

START_TEST(success_without_last_pdu_is_a_protocol_error)
{
	struct target t;
	struct outcome rd = {0}, closed = {0};
	const uint8_t page[8] = {0};

	target_start(&t);
	nvmf_host_on_close(t.h, close_cb, &closed);
	ck_assert_int_eq(nvmf_host_get_log(t.h, 0x70, 0, false, 0, 16, cmd_cb, &rd), 0);
	uint16_t cid = read_cmd(&t, NULL);
	send_c2h(&t, cid, NVME_TCP_F_DATA_SUCCESS, page, sizeof(page));
	pump_until(&t, &closed.done, 5000);
	ck_assert(rd.done);
	ck_assert_int_eq(rd.err, -EPROTO);
	ck_assert(closed.done);
	ck_assert_int_eq(closed.err, -EPROTO);
	ck_assert(!nvmf_host_ready(t.h));
	target_stop(&t);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("nvmf_host");
	TCase *tc = tcase_create("c2h");

	tcase_add_test(tc, read_completed_by_success_flag_has_status_0);
	tcase_add_test(tc, read_without_success_waits_for_capsule_resp);
	tcase_add_test(tc, success_without_last_pdu_is_a_protocol_error);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
