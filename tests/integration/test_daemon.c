/* test_daemon.c - integration tests: the real cdcd on a free loopback port with a
 * temporary state directory, driven over NVMe/TCP by the userspace host (cdc/nvmf_host).
 * Every test starts and stops its own daemon. */
#include <check.h>
#include <endian.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "testlib.h"

#define QUEUE_MAX_ICD_TEST 8192 /* what cdcd takes in a capsule (cdc/queue.h) */

START_TEST(discovery_log_lists_self_then_ports_then_referral)
{
	struct nvmf_host *h = host_connect(0);
	struct log_result r = read_disc_log(h);

	const struct nvmf_discovery_log *hdr = (const void *)r.log;
	ck_assert_uint_eq(le64toh(hdr->numrec), 5); /* two listeners: two self entries */
	ck_assert_uint_eq(entry(&r, 0)->subtype, NVME_NQN_CURR);
	ck_assert_str_eq(entry(&r, 0)->subnqn, CDC_NQN);
	ck_assert_str_eq(entry(&r, 0)->traddr, "127.0.0.1");
	ck_assert_uint_eq(le16toh(entry(&r, 0)->eflags),
			  NVMF_DISC_EFLAGS_EPCSD | NVMF_DISC_EFLAGS_DUPRETINFO);
	ck_assert_uint_eq(entry(&r, 1)->subtype, NVME_NQN_CURR);
	ck_assert_str_eq(entry(&r, 1)->traddr, "::1");
	ck_assert_uint_eq(entry(&r, 2)->subtype, NVME_NQN_NVME);
	ck_assert_str_eq(entry(&r, 2)->traddr, "192.0.2.10");
	ck_assert_str_eq(entry(&r, 3)->traddr, "192.0.2.11");
	ck_assert_uint_eq(le16toh(entry(&r, 3)->portid), 2);
	ck_assert_str_eq(entry(&r, 3)->subnqn, SUB1);
	ck_assert_uint_eq(le16toh(entry(&r, 3)->eflags), 0);
	ck_assert_uint_eq(entry(&r, 4)->subtype, NVME_NQN_DISC);
	ck_assert_str_eq(entry(&r, 4)->trsvcid, "8009");
	free(r.log);
	nvmf_host_free(h);
}
END_TEST

START_TEST(identify_cntlid_matches_connect_and_reports_a_cdc)
{
	struct nvmf_host *h = host_connect(0);
	struct result r = {0};

	ck_assert_int_eq(nvmf_host_identify(h, result_cb, &r), 0);
	ck_assert(run_until(&r.done, 5000));
	ck_assert_int_eq(r.cqe.status, 0);
	ck_assert_uint_eq(r.len, 4096);
	const struct nvme_id_ctrl *id = (const void *)r.data;
	ck_assert_uint_eq(le16toh(id->cntlid), nvmf_host_cntlid(h));
	ck_assert_uint_eq(id->cntrltype, NVME_CTRL_CNTRLTYPE_DISCOVERY);
	ck_assert_uint_eq(id->dctype, NVME_CTRL_DCTYPE_CDC);
	ck_assert_str_eq(id->subnqn, CDC_NQN);
	nvmf_host_free(h);
}
END_TEST

START_TEST(two_associations_get_different_controller_ids)
{
	struct nvmf_host *a = host_connect(0), *b = host_connect(0);

	ck_assert_uint_ne(nvmf_host_cntlid(a), nvmf_host_cntlid(b));
	nvmf_host_free(a);
	nvmf_host_free(b);
}
END_TEST

START_TEST(unique_nqn_and_ipv6_listener_are_served)
{
	struct sockaddr_in6 sa = {.sin6_family = AF_INET6,
				  .sin6_port = htons(t.port),
				  .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	struct nvmf_host_opts opts = {.hostnqn = HOSTNQN, .subnqn = CDC_NQN};
	struct nvmf_host *h = nvmf_host_new(t.base, &opts);
	struct result r = {0};

	ck_assert_int_eq(nvmf_host_connect(h, (struct sockaddr *)&sa, sizeof(sa), result_cb, &r),
			 0);
	ck_assert(run_until(&r.done, 5000));
	ck_assert_int_eq(r.err, 0);
	ck_assert_int_eq(r.cqe.status, 0);
	struct log_result l = read_disc_log(h);
	/* Two self entries: the IPv4 listener and the IPv6 one, each with its address. */
	ck_assert_str_eq(entry(&l, 0)->traddr, "127.0.0.1");
	ck_assert_str_eq(entry(&l, 1)->traddr, "::1");
	ck_assert_uint_eq(entry(&l, 1)->adrfam, NVMF_ADDR_FAMILY_IP6);
	free(l.log);
	nvmf_host_free(h);
}
END_TEST

START_TEST(connect_to_an_unknown_nqn_points_at_subnqn)
{
	struct nvmf_host_opts opts = {.hostnqn = HOSTNQN, .subnqn = SUB1};
	struct result r = {0};
	struct nvmf_host *h = host_connect_opts(opts, &r);

	ck_assert_int_eq(r.err, 0);
	ck_assert_uint_eq(r.cqe.status,
			  NVME_SC_DNR | NVME_SCT_CMD_SPECIFIC << 8 | NVME_SC_CONNECT_INVALID_PARAM);
	ck_assert_uint_eq(r.cqe.dw0, 256 | 1u << 16);
	nvmf_host_free(h);
}
END_TEST

START_TEST(digests_both_ways_carry_the_whole_log)
{
	struct nvmf_host_opts opts = {.hostnqn = HOSTNQN, .hdgst = true, .ddgst = true};
	struct result r = {0};
	struct nvmf_host *h = host_connect_opts(opts, &r);

	ck_assert_int_eq(r.err, 0);
	struct log_result l = read_disc_log(h);
	ck_assert_uint_eq(l.len, 6 * 1024);
	free(l.log);
	nvmf_host_free(h);
}
END_TEST

START_TEST(unknown_opcode_fails_the_command_not_the_connection)
{
	struct nvmf_host *h = host_connect(0);
	struct nvme_sqe sqe = {.opcode = 0x80};
	struct result r = {0};

	ck_assert_int_eq(nvmf_host_submit(h, &sqe, NULL, 0, 0, result_cb, &r), 0);
	ck_assert(run_until(&r.done, 5000));
	ck_assert_uint_eq(r.cqe.status, NVME_SC_DNR | NVME_SC_INVALID_OPCODE);
	struct log_result l = read_disc_log(h);
	free(l.log);
	nvmf_host_free(h);
}
END_TEST

START_TEST(data_larger_than_a_capsule_arrives_by_r2t)
{
	struct nvmf_host_opts opts = {.hostnqn = HOSTNQN, .hdgst = true, .ddgst = true};
	struct result c = {0}, r = {0};
	struct nvmf_host *h = host_connect_opts(opts, &c);
	static uint8_t data[20000];
	struct nvme_sqe sqe = {.opcode = 0x21}; /* a write command (DIM) too large to inline */

	memset(data, 0xa5, sizeof(data));
	ck_assert_int_eq(nvmf_host_submit(h, &sqe, data, sizeof(data), 0, result_cb, &r), 0);
	ck_assert(run_until(&r.done, 5000));
	ck_assert_int_eq(r.err, 0);
	/* The whole transfer went through R2T/H2CData before the command was judged: the DIM
	 * rules, not the transport, refuse it (TDL 0xa5a5a5a5 is not the data length). */
	ck_assert_uint_eq(r.cqe.status, NVME_SC_DNR | NVME_SC_INVALID_FIELD);
	struct log_result l = read_disc_log(h);
	free(l.log);
	nvmf_host_free(h);
}
END_TEST

/* ---- R2T/H2CData on the wire ---- */

#define DDC1	"nqn.2014-08.org.example:ddc1"
#define SUB3	"nqn.2014-08.org.example:storage3"
#define DIM_CID 7

static uint8_t dimbuf[16 * 1024];

/* A raw host connected as DDC1 with both digests, and DIM data of ten ports (11 KiB: more
 * than a capsule carries). */
static struct raw_host ddc_raw(size_t *len)
{
	struct raw_host rh = raw_host_open(true, true);

	ck_assert_uint_eq(raw_fabrics_connect(&rh, 1, DDC1, false).status, 0);
	ck_assert_uint_eq(raw_enable(&rh, 2).status, 0);
	*len = dim_build_ddc(dimbuf, sizeof(dimbuf), DDC1, SUB3, 10, 1);
	ck_assert_uint_gt(*len, QUEUE_MAX_ICD_TEST);
	return rh;
}

/* Sends the DIM register with a transport SGL and reads the R2T; returns its TTAG. */
static uint16_t dim_until_r2t(const struct raw_host *rh, size_t len)
{
	uint8_t pdu[64];

	raw_send_write_cmd(rh, nvme_admin_discovery_info_mgmt, DIM_CID, NVMF_DIM_TAS_REGISTER,
			   (uint32_t)len);
	ck_assert_int_eq(raw_read_pdu(rh, pdu, sizeof(pdu)), NVME_TCP_R2T);
	ck_assert_uint_eq(pdu[2], NVME_TCP_DATA_HLEN);
	ck_assert_uint_eq(pdu[1] & NVME_TCP_F_HDGST, NVME_TCP_F_HDGST);
	ck_assert_uint_eq(get_le32(pdu + 4), NVME_TCP_DATA_HLEN + 4);
	ck_assert_uint_eq(get_le32(pdu + NVME_TCP_DATA_HLEN),
			  nvme_tcp_digest(pdu, NVME_TCP_DATA_HLEN));
	ck_assert_uint_eq(get_le16(pdu + 8), DIM_CID); /* CCCID */
	ck_assert_uint_eq(get_le32(pdu + 12), 0);      /* R2TO */
	ck_assert_uint_eq(get_le32(pdu + 16), len);    /* R2TL: all of it */
	return get_le16(pdu + 10);
}

static size_t sub3_ports(void)
{
	struct nvmf_host *h = host_connect(0);
	struct log_result l = read_disc_log(h);
	size_t n = 0;

	for (uint64_t i = 0; i < get_le64(l.log + 8); i++)
		n += !strcmp(entry(&l, i)->subnqn, SUB3);
	free(l.log);
	nvmf_host_free(h);
	return n;
}

START_TEST(r2t_asks_for_exactly_the_data_and_h2cdata_delivers_it)
{
	size_t len;
	struct raw_host rh = ddc_raw(&len);
	uint16_t ttag = dim_until_r2t(&rh, len);

	/* Nothing more until the data came: no completion ahead of it. */
	struct timeval tv = {0, 300000};
	uint8_t pdu[64];
	setsockopt(rh.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	ck_assert_int_eq(raw_read_pdu(&rh, pdu, sizeof(pdu)), -1);
	tv.tv_sec = 5;
	setsockopt(rh.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));

	/* In two H2CData PDUs, the second one LAST. */
	raw_send_h2c_data(&rh, DIM_CID, ttag, 0, dimbuf, 4096, false, false);
	raw_send_h2c_data(&rh, DIM_CID, ttag, 4096, dimbuf + 4096, (uint32_t)len - 4096, true,
			  false);
	ck_assert_uint_eq(raw_read_rsp(&rh, DIM_CID).status, 0);
	ck_assert_uint_eq(sub3_ports(), 10);
	close(rh.fd);
}
END_TEST

START_TEST(bad_data_digest_on_a_command_fails_it_with_transient_transport_error)
{
	struct raw_host rh = raw_host_open(false, true);

	ck_assert_uint_eq(raw_fabrics_connect(&rh, 3, HOSTNQN, true).status,
			  NVME_SC_TRAN_TPORT_ERROR); /* SCT 0, no DNR: the host may retry */
	/* The command failed, not the connection: the retry connects. */
	struct nvme_cqe cqe = raw_fabrics_connect(&rh, 4, HOSTNQN, false);
	ck_assert_uint_eq(cqe.status, 0);
	ck_assert_uint_ne(cqe.dw0 & 0xffff, 0xffff); /* a controller ID */
	close(rh.fd);
}
END_TEST

START_TEST(bad_data_digest_on_h2cdata_fails_the_command_with_transient_transport_error)
{
	size_t len;
	struct raw_host rh = ddc_raw(&len);
	uint16_t ttag = dim_until_r2t(&rh, len);

	/* protocol.md 1.8: a data digest error fails the command (Transient Transport Error);
	 * cdcd takes the rest of the data and then completes the command. */
	raw_send_h2c_data(&rh, DIM_CID, ttag, 0, dimbuf, 4096, false, true);
	raw_send_h2c_data(&rh, DIM_CID, ttag, 4096, dimbuf + 4096, (uint32_t)len - 4096, true,
			  false);
	ck_assert_uint_eq(raw_read_rsp(&rh, DIM_CID).status, NVME_SC_TRAN_TPORT_ERROR);
	ck_assert_uint_eq(sub3_ports(), 0);

	/* The connection goes on: the same DIM again, intact, registers. */
	ttag = dim_until_r2t(&rh, len);
	raw_send_h2c_data(&rh, DIM_CID, ttag, 0, dimbuf, (uint32_t)len, true, false);
	ck_assert_uint_eq(raw_read_rsp(&rh, DIM_CID).status, 0);
	ck_assert_uint_eq(sub3_ports(), 10);
	close(rh.fd);
}
END_TEST

START_TEST(h2cdata_outside_the_r2t_range_gets_out_of_range_termreq)
{
	size_t len;
	uint32_t fei;

	/* An offset other than what was received so far. */
	struct raw_host rh = ddc_raw(&len);
	uint16_t ttag = dim_until_r2t(&rh, len);
	raw_send_h2c_data(&rh, DIM_CID, ttag, 4, dimbuf, (uint32_t)len - 4, true, false);
	ck_assert_int_eq(read_termreq_fei(rh.fd, &fei), NVME_TCP_FES_DATA_OUT_OF_RANGE);
	close(rh.fd);

	/* More than the R2T asked for. */
	rh = ddc_raw(&len);
	ttag = dim_until_r2t(&rh, len);
	raw_send_h2c_data(&rh, DIM_CID, ttag, 0, dimbuf, (uint32_t)len + 1024, true, false);
	ck_assert_int_eq(read_termreq_fei(rh.fd, &fei), NVME_TCP_FES_DATA_OUT_OF_RANGE);
	close(rh.fd);

	/* The second PDU again at offset 0. */
	rh = ddc_raw(&len);
	ttag = dim_until_r2t(&rh, len);
	raw_send_h2c_data(&rh, DIM_CID, ttag, 0, dimbuf, 4096, false, false);
	raw_send_h2c_data(&rh, DIM_CID, ttag, 0, dimbuf, (uint32_t)len - 4096, true, false);
	ck_assert_int_eq(read_termreq_fei(rh.fd, &fei), NVME_TCP_FES_DATA_OUT_OF_RANGE);
	close(rh.fd);
	ck_assert_uint_eq(sub3_ports(), 0);
}
END_TEST

START_TEST(h2cdata_with_a_wrong_ttag_or_cccid_gets_invalid_header_termreq)
{
	size_t len;
	uint32_t fei;

	struct raw_host rh = ddc_raw(&len);
	uint16_t ttag = dim_until_r2t(&rh, len);
	raw_send_h2c_data(&rh, DIM_CID, (uint16_t)(ttag + 1), 0, dimbuf, (uint32_t)len, true,
			  false);
	ck_assert_int_eq(read_termreq_fei(rh.fd, &fei), NVME_TCP_FES_INVALID_PDU_HDR);
	ck_assert_uint_eq(fei, 10); /* TTAG */
	close(rh.fd);

	rh = ddc_raw(&len);
	ttag = dim_until_r2t(&rh, len);
	raw_send_h2c_data(&rh, DIM_CID + 1, ttag, 0, dimbuf, (uint32_t)len, true, false);
	ck_assert_int_eq(read_termreq_fei(rh.fd, &fei), NVME_TCP_FES_INVALID_PDU_HDR);
	ck_assert_uint_eq(fei, 8); /* CCCID */
	close(rh.fd);

	/* H2CData when no R2T is outstanding at all. */
	rh = ddc_raw(&len);
	raw_send_h2c_data(&rh, DIM_CID, 1, 0, dimbuf, 4096, true, false);
	ck_assert_int_eq(read_termreq_fei(rh.fd, &fei), NVME_TCP_FES_INVALID_PDU_HDR);
	close(rh.fd);
	ck_assert_uint_eq(sub3_ports(), 0);
}
END_TEST

START_TEST(log_larger_than_one_c2hdata_pdu_arrives_split)
{
	/* 160 ports: a 161 KiB log, more than one C2HData PDU carries. */
	static char extra[160 * 96 + 64];
	size_t off = (size_t)snprintf(extra, sizeof(extra), "\n[subsystem " SUB2 "]\n");
	for (int i = 0; i < 160; i++)
		off += (size_t)snprintf(extra + off, sizeof(extra) - off,
					"port = trtype=tcp;traddr=198.51.100.%d;trsvcid=%d\n",
					i % 250 + 1, 4420 + i);
	reload_with(extra);

	struct nvmf_host *h = host_connect(0);
	uint32_t len =
		1024 * (1 + 2 + 2 + 160 + 1); /* header, self, storage1, storage2, referral */
	struct nvme_sqe sqe = {.opcode = nvme_admin_get_log_page};
	struct result big = {0};

	sqe.cdw[10] = NVME_LOG_LID_DISCOVER | (len / 4 - 1) << 16;
	sqe.cdw[11] = (len / 4 - 1) >> 16;
	ck_assert_int_eq(nvmf_host_submit(h, &sqe, NULL, 0, len, result_cb, &big), 0);
	ck_assert(run_until(&big.done, 5000));
	ck_assert_int_eq(big.err, 0);
	ck_assert_int_eq(big.cqe.status, 0);
	ck_assert_uint_eq(get_le64(big.data + 8), 165);
	/* The chunked reader sees the same log. */
	struct log_result l = read_disc_log(h);
	ck_assert_uint_eq(l.len, 166 * 1024);
	ck_assert_str_eq(entry(&l, 164)->subnqn, "nqn.2014-08.org.nvmexpress.discovery");
	ck_assert_str_eq(entry(&l, 163)->trsvcid, "4579");
	free(l.log);
	nvmf_host_free(h);
}
END_TEST

START_TEST(reload_sends_one_aen_until_the_log_is_read)
{
	struct nvmf_host *h = host_connect(5000);
	struct log_result before = read_disc_log(h);
	struct result aer;

	aer_submit(h, &aer);
	reload_with("\n[subsystem " SUB2 "]\n"
		    "port = trtype=tcp;adrfam=ipv4;traddr=192.0.2.20;trsvcid=4420\n");
	ck_assert(run_until(&aer.done, 5000));
	ck_assert_int_eq(aer.cqe.status, 0);
	ck_assert_uint_eq(aer.cqe.dw0, 0x0070f002);

	/* Masked: another change before the host read the log sends nothing. */
	aer_submit(h, &aer);
	reload_with("\n[subsystem " SUB2 "]\n"
		    "port = trtype=tcp;adrfam=ipv4;traddr=192.0.2.21;trsvcid=4420\n");
	ck_assert(!run_until(&aer.done, 300));

	struct log_result after = read_disc_log(h);
	ck_assert_uint_gt(get_le64(after.log), get_le64(before.log));
	ck_assert_uint_eq(get_le64(after.log + 8), 6);
	ck_assert_str_eq(entry(&after, 4)->subnqn, SUB2);
	ck_assert_str_eq(entry(&after, 4)->traddr, "192.0.2.21");

	/* Read with RAE = 0: the next change is reported again. */
	reload_with(NULL);
	ck_assert(run_until(&aer.done, 5000));
	ck_assert_uint_eq(aer.cqe.dw0, 0x0070f002);
	free(before.log);
	free(after.log);
	nvmf_host_free(h);
}
END_TEST

START_TEST(reload_that_changes_nothing_sends_no_aen)
{
	struct nvmf_host *h = host_connect(5000);
	struct result aer;

	aer_submit(h, &aer);
	reload_with("\n# only a comment\n");
	ck_assert(!run_until(&aer.done, 300));
	nvmf_host_free(h);
}
END_TEST

START_TEST(invalid_reload_keeps_the_running_configuration)
{
	struct nvmf_host *h = host_connect(5000);
	struct result aer;

	aer_submit(h, &aer);
	reload_with("\n[subsystem " SUB2 "]\nport = trtype=tcp;traddr=not-an-address\n");
	ck_assert(!run_until(&aer.done, 300));
	struct log_result l = read_disc_log(h);
	ck_assert_uint_eq(get_le64(l.log + 8), 5);
	ck_assert(log_contains("keeping the running configuration"));
	free(l.log);
	nvmf_host_free(h);
}
END_TEST

START_TEST(keep_alive_keeps_a_persistent_controller)
{
	struct nvmf_host *h = host_connect(1000);
	bool never = false;

	run_until(&never, 3000); /* three KATO periods, Keep Alive every 500 ms */
	ck_assert(nvmf_host_ready(h));
	ck_assert(!host_closed(h, 1000));
	nvmf_host_free(h);
}
END_TEST

START_TEST(missing_keep_alive_ends_the_association)
{
	struct nvmf_host_opts opts = {.hostnqn = HOSTNQN, .kato_ms = 1000, .no_keep_alive = true};
	struct result r = {0};
	struct nvmf_host *h = host_connect_opts(opts, &r);
	bool never = false;

	ck_assert_int_eq(r.cqe.status, 0);
	run_until(&never, 3000);
	ck_assert(!nvmf_host_ready(h));
	ck_assert(log_contains("keep-alive timeout"));
	nvmf_host_free(h);
}
END_TEST

START_TEST(idle_one_shot_session_is_reaped_after_idle_timeout)
{
	struct nvmf_host *h = host_connect(0);
	bool never = false;

	run_until(&never, 3500); /* idle-timeout = 2 in the test configuration */
	ck_assert(!nvmf_host_ready(h));
	ck_assert(log_contains("idle timeout"));
	nvmf_host_free(h);
}
END_TEST

/* ---- raw sockets for what a well-behaved host never sends ---- */

START_TEST(pdu_before_icreq_gets_sequence_error_termreq)
{
	int fd = raw_connect();
	uint8_t pdu[72] = {NVME_TCP_CMD, 0, 72, 0, 72};

	ck_assert_int_eq(write(fd, pdu, sizeof(pdu)), sizeof(pdu));
	ck_assert_int_eq(read_termreq(fd), NVME_TCP_FES_PDU_SEQ_ERR);
	close(fd);
}
END_TEST

START_TEST(unknown_pdu_type_gets_invalid_header_termreq)
{
	int fd = raw_connect();
	uint8_t pdu[24] = {0x42, 0, 24, 0, 24};

	ck_assert_int_eq(write(fd, pdu, sizeof(pdu)), sizeof(pdu));
	ck_assert_int_eq(read_termreq(fd), NVME_TCP_FES_INVALID_PDU_HDR);
	close(fd);
}
END_TEST

START_TEST(oversized_capsule_gets_limit_termreq)
{
	int fd = raw_connect();
	uint8_t ic[NVME_TCP_IC_LEN], rsp[NVME_TCP_IC_LEN];
	struct nvme_tcp_ic req = {0};
	uint8_t hdr[8] = {NVME_TCP_CMD, 0, 72, 72};

	nvme_tcp_ic_encode(NVME_TCP_ICREQ, &req, ic);
	ck_assert_int_eq(write(fd, ic, sizeof(ic)), sizeof(ic));
	ck_assert_int_eq(read(fd, rsp, sizeof(rsp)), sizeof(rsp));
	put_le32(hdr + 4, 72 + 1024 * 1024);
	ck_assert_int_eq(write(fd, hdr, sizeof(hdr)), sizeof(hdr));
	ck_assert_int_eq(read_termreq(fd), NVME_TCP_FES_DATA_LIMIT_EXCEEDED);
	close(fd);
}
END_TEST

START_TEST(silent_connection_gets_termreq_after_icreq_timeout)
{
	int fd = raw_connect();

	ck_assert_int_eq(read_termreq(fd), NVME_TCP_FES_PDU_SEQ_ERR);
	close(fd);
}
END_TEST

START_TEST(bad_header_digest_gets_digest_termreq)
{
	int fd = raw_connect();
	uint8_t ic[NVME_TCP_IC_LEN], rsp[NVME_TCP_IC_LEN];
	struct nvme_tcp_ic req = {.dgst = 1};
	uint8_t pdu[76] = {NVME_TCP_CMD, NVME_TCP_F_HDGST, 72, 0, 76};

	nvme_tcp_ic_encode(NVME_TCP_ICREQ, &req, ic);
	ck_assert_int_eq(write(fd, ic, sizeof(ic)), sizeof(ic));
	ck_assert_int_eq(read(fd, rsp, sizeof(rsp)), sizeof(rsp));
	ck_assert_uint_eq(rsp[11], 1); /* the digest choice is echoed */
	put_le32(pdu + 72, 0xdeadbeef);
	ck_assert_int_eq(write(fd, pdu, sizeof(pdu)), sizeof(pdu));
	ck_assert_int_eq(read_termreq(fd), NVME_TCP_FES_HDR_DIGEST_ERR);
	close(fd);
}
END_TEST

START_TEST(termreq_with_a_wild_data_offset_does_not_hurt_the_daemon)
{
	int fd = raw_connect();
	/* H2CTermReq, DDGST flag, PDO far past PLEN: no digest, no data to look at. */
	uint8_t pdu[24] = {NVME_TCP_H2C_TERM, NVME_TCP_F_DDGST, 24, 0xfc, 24};
	uint8_t buf[64];

	ck_assert_int_eq(write(fd, pdu, sizeof(pdu)), sizeof(pdu));
	ck_assert_int_ge(read(fd, buf, sizeof(buf)), 0);
	close(fd);
	struct nvmf_host *h = host_connect(0);
	nvmf_host_free(h);
}
END_TEST

static Suite *daemon_suite(void)
{
	Suite *s = suite_create("cdcd");
	TCase *tc = tcase_create("discovery");

	tcase_add_checked_fixture(tc, start_daemon, stop_daemon);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, discovery_log_lists_self_then_ports_then_referral);
	tcase_add_test(tc, identify_cntlid_matches_connect_and_reports_a_cdc);
	tcase_add_test(tc, two_associations_get_different_controller_ids);
	tcase_add_test(tc, unique_nqn_and_ipv6_listener_are_served);
	tcase_add_test(tc, connect_to_an_unknown_nqn_points_at_subnqn);
	tcase_add_test(tc, digests_both_ways_carry_the_whole_log);
	tcase_add_test(tc, unknown_opcode_fails_the_command_not_the_connection);
	tcase_add_test(tc, data_larger_than_a_capsule_arrives_by_r2t);
	tcase_add_test(tc, r2t_asks_for_exactly_the_data_and_h2cdata_delivers_it);
	tcase_add_test(tc, bad_data_digest_on_a_command_fails_it_with_transient_transport_error);
	tcase_add_test(tc,
		       bad_data_digest_on_h2cdata_fails_the_command_with_transient_transport_error);
	tcase_add_test(tc, h2cdata_outside_the_r2t_range_gets_out_of_range_termreq);
	tcase_add_test(tc, h2cdata_with_a_wrong_ttag_or_cccid_gets_invalid_header_termreq);
	tcase_add_test(tc, log_larger_than_one_c2hdata_pdu_arrives_split);
	tcase_add_test(tc, reload_sends_one_aen_until_the_log_is_read);
	tcase_add_test(tc, reload_that_changes_nothing_sends_no_aen);
	tcase_add_test(tc, invalid_reload_keeps_the_running_configuration);
	tcase_add_test(tc, keep_alive_keeps_a_persistent_controller);
	tcase_add_test(tc, missing_keep_alive_ends_the_association);
	tcase_add_test(tc, idle_one_shot_session_is_reaped_after_idle_timeout);
	tcase_add_test(tc, pdu_before_icreq_gets_sequence_error_termreq);
	tcase_add_test(tc, unknown_pdu_type_gets_invalid_header_termreq);
	tcase_add_test(tc, oversized_capsule_gets_limit_termreq);
	tcase_add_test(tc, silent_connection_gets_termreq_after_icreq_timeout);
	tcase_add_test(tc, bad_header_digest_gets_digest_termreq);
	tcase_add_test(tc, termreq_with_a_wild_data_offset_does_not_hurt_the_daemon);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(daemon_suite());

	signal(SIGPIPE, SIG_IGN);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
