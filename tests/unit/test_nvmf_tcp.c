/* test_nvmf_tcp.c - unit tests for nvmf/nvmf_tcp.c: the CRC32C digest, the exact bytes of the PDUs
 * the controller sends (protocol.md Appendix A), encode/decode round trips, and every verdict of
 * nvmf_tcp_pdu_check and nvmf_tcp_pdu_parse with the TermReq FES/FEI a peer would get. */

#include <check.h>
#include <errno.h>
#include <nvme/types.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ddc_request.h"
#include "kickstart.h"
#include "nvmf_tcp.h"

/* Common header field offsets, as reported in FEI. */
enum { FEI_TYPE = 0, FEI_FLAGS = 1, FEI_HLEN = 2, FEI_PDO = 3, FEI_PLEN = 4 };

/* What cdcd's admin queue accepts (queue.c): in-capsule data up to 8192 bytes. */
static struct nvmf_tcp_limits ctrl_limits(bool hdgst, bool ddgst)
{
	return (struct nvmf_tcp_limits){
		.hdgst = hdgst,
		.ddgst = ddgst,
		.controller = true,
		.max_icd = 8192,
		.max_h2cdata = 0x20000,
	};
}

static struct nvmf_tcp_limits host_limits(bool hdgst, bool ddgst)
{
	return (struct nvmf_tcp_limits){
		.hdgst = hdgst,
		.ddgst = ddgst,
		.controller = false,
		.max_c2hdata = 0x100000,
	};
}

static void ch_put(uint8_t *p, uint8_t type, uint8_t flags, uint8_t hlen, uint8_t pdo,
		   uint32_t plen)
{
	p[0] = type;
	p[1] = flags;
	p[2] = hlen;
	p[3] = pdo;
	put_le32(p + 4, plen);
}

/* A Connect command as the Linux host sends it: 1024 bytes of in-capsule data. */
static struct nvme_sqe connect_sqe(void)
{
	struct nvme_sqe sqe = {
		.opcode = 0x7f,
		.flags = 0x40,
		.cid = 3,
		.fctype = 0x01,
		.sgl_addr = 0,
		.sgl_len = 1024,
		.sgl_id = NVME_SGL_INCAPSULE,
	};

	sqe.cdw[10] = 0;	  /* RECFMT 0, QID 0 */
	sqe.cdw[11] = 31;	  /* SQSIZE */
	sqe.cdw[12] = 120000;	  /* KATO */
	sqe.cdw[15] = 0xdeadbeef; /* reserved, but carried */
	return sqe;
}

static void pattern_fill(uint8_t *p, size_t len, unsigned int seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 31 + seed);
}

/* Expects nvmf_tcp_pdu_check to refuse buf with the given FES and FEI. */
static void assert_rejected(const uint8_t *buf, size_t len, const struct nvmf_tcp_limits *lim,
			    uint16_t want_fes, uint32_t want_fei)
{
	uint16_t fes = 0xffff;
	uint32_t fei = 0xffffffff;

	ck_assert_int_eq(nvmf_tcp_pdu_check(buf, len, lim, &fes, &fei), -EPROTO);
	ck_assert_uint_eq(fes, want_fes);
	ck_assert_uint_eq(fei, want_fei);
}

START_TEST(crc32c_of_123456789_is_the_castagnoli_check_value)
{
	ck_assert_uint_eq(nvme_tcp_digest("123456789", 9), 0xe3069283u);
	/* crc32c() is the raw register: the digest is its complement from ~0. */
	ck_assert_uint_eq(~crc32c(~0u, "123456789", 9), 0xe3069283u);
	ck_assert_uint_eq(nvme_tcp_digest("", 0), 0);
	/* protocol.md 1.8: the common header of a CapsuleResp alone. */
	static const uint8_t ch[8] = {0x05, 0x00, 0x18, 0x00, 0x18, 0x00, 0x00, 0x00};
	ck_assert_uint_eq(nvme_tcp_digest(ch, sizeof(ch)), 0x5b23b73au);
}
END_TEST

START_TEST(crc32c_can_be_computed_in_pieces)
{
	uint8_t buf[300];

	pattern_fill(buf, sizeof(buf), 7);
	uint32_t whole = crc32c(~0u, buf, sizeof(buf));
	uint32_t part = crc32c(crc32c(~0u, buf, 100), buf + 100, 200);
	ck_assert_uint_eq(whole, part);
}
END_TEST

START_TEST(icresp_encodes_to_the_appendix_a_bytes)
{
	static const uint8_t want[16] = {0x01, 0x00, 0x80, 0x00, 0x80, 0x00, 0x00, 0x00,
					 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00};
	struct nvme_tcp_ic ic = {.pfv = 0, .pda = 0, .dgst = 0, .maxr2t_or_maxh2cdata = 0x20000};
	uint8_t out[NVME_TCP_IC_LEN];

	memset(out, 0xaa, sizeof(out));
	nvme_tcp_ic_encode(NVME_TCP_ICRESP, &ic, out);
	ck_assert_mem_eq(out, want, sizeof(want));
	for (size_t i = sizeof(want); i < sizeof(out); i++)
		ck_assert_msg(out[i] == 0, "ICResp byte %zu is %#x, not reserved zero", i, out[i]);
}
END_TEST

START_TEST(icreq_and_icresp_round_trip)
{
	struct nvme_tcp_ic req = {.pfv = 0, .pda = 3, .dgst = 3, .maxr2t_or_maxh2cdata = 7};
	struct nvme_tcp_ic back;
	uint8_t buf[NVME_TCP_IC_LEN];
	struct nvmf_tcp_limits lim = ctrl_limits(false, false);
	struct nvmf_tcp_limits hlim = host_limits(true, true);
	uint16_t fes;
	uint32_t fei;

	nvme_tcp_ic_encode(NVME_TCP_ICREQ, &req, buf);
	ck_assert_int_eq(nvmf_tcp_pdu_check(buf, sizeof(buf), &lim, &fes, &fei), 128);
	memset(&back, 0xff, sizeof(back));
	nvme_tcp_ic_decode(buf, &back);
	ck_assert_uint_eq(back.pfv, 0);
	ck_assert_uint_eq(back.pda, 3);
	ck_assert_uint_eq(back.dgst, 3);
	ck_assert_uint_eq(back.maxr2t_or_maxh2cdata, 7);

	struct nvme_tcp_ic rsp = {.pfv = 0, .pda = 0, .dgst = 1, .maxr2t_or_maxh2cdata = 0x400000};
	nvme_tcp_ic_encode(NVME_TCP_ICRESP, &rsp, buf);
	/* ICResp never carries digests, even when they were negotiated. */
	ck_assert_int_eq(nvmf_tcp_pdu_check(buf, sizeof(buf), &hlim, &fes, &fei), 128);
	nvme_tcp_ic_decode(buf, &back);
	ck_assert_uint_eq(back.dgst, 1);
	ck_assert_uint_eq(back.maxr2t_or_maxh2cdata, 0x400000);
}
END_TEST

START_TEST(connect_success_response_matches_appendix_a)
{
	static const uint8_t want[24] = {0x05, 0x00, 0x18, 0x00, 0x18, 0x00, 0x00, 0x00,
					 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
					 0x01, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00};
	struct nvme_cqe cqe = {.dw0 = 5, .sqhd = 1, .cid = 3};
	uint8_t out[NVME_TCP_RSP_HLEN + NVME_TCP_DIGEST_LEN];

	ck_assert_uint_eq(nvme_tcp_rsp_encode(&cqe, false, out), 24);
	ck_assert_mem_eq(out, want, sizeof(want));
}
END_TEST

START_TEST(connect_invalid_subnqn_response_matches_appendix_a)
{
	static const uint8_t want[24] = {0x05, 0x00, 0x18, 0x00, 0x18, 0x00, 0x00, 0x00,
					 0x00, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
					 0x01, 0x00, 0x00, 0x00, 0x03, 0x00, 0x04, 0x83};
	/* Connect Invalid Parameters (SCT 1, SC 82h) with DNR, in libnvme form. */
	struct nvme_cqe cqe = {.dw0 = 256 | 1u << 16, .sqhd = 1, .cid = 3, .status = 0x4182};
	uint8_t out[NVME_TCP_RSP_HLEN];

	ck_assert_uint_eq(nvme_tcp_rsp_encode(&cqe, false, out), 24);
	ck_assert_mem_eq(out, want, sizeof(want));
}
END_TEST

START_TEST(property_get_cap_response_matches_appendix_a)
{
	static const uint8_t want[24] = {0x05, 0x00, 0x18, 0x00, 0x18, 0x00, 0x00, 0x00,
					 0x1f, 0x00, 0x01, 0x0f, 0x20, 0x00, 0x00, 0x00,
					 0x02, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00};
	uint64_t cap = 0x200f01001full;
	struct nvme_cqe cqe = {
		.dw0 = (uint32_t)cap, .dw1 = (uint32_t)(cap >> 32), .sqhd = 2, .cid = 4};
	uint8_t out[NVME_TCP_RSP_HLEN];

	nvme_tcp_rsp_encode(&cqe, false, out);
	ck_assert_mem_eq(out, want, sizeof(want));
}
END_TEST

START_TEST(aen_completion_matches_appendix_a)
{
	static const uint8_t want[24] = {0x05, 0x00, 0x18, 0x00, 0x18, 0x00, 0x00, 0x00,
					 0x02, 0xf0, 0x70, 0x00, 0x00, 0x00, 0x00, 0x00,
					 0x07, 0x00, 0x00, 0x00, 0x1f, 0x00, 0x00, 0x00};
	struct nvme_cqe cqe = {.dw0 = 0x0070f002, .sqhd = 7, .cid = 31};
	uint8_t out[NVME_TCP_RSP_HLEN];

	ck_assert_uint_eq(nvme_tcp_rsp_encode(&cqe, false, out), 24);
	ck_assert_mem_eq(out, want, sizeof(want));
}
END_TEST

START_TEST(capsule_response_with_header_digest_carries_hdgstf_and_crc)
{
	struct nvme_cqe cqe = {.dw0 = 5, .sqhd = 1, .cid = 3};
	struct nvmf_tcp_limits hlim = host_limits(true, false);
	struct nvmf_tcp_pdu pdu;
	uint8_t out[NVME_TCP_RSP_HLEN + NVME_TCP_DIGEST_LEN];
	uint16_t fes;
	uint32_t fei;

	ck_assert_uint_eq(nvme_tcp_rsp_encode(&cqe, true, out), 28);
	ck_assert_uint_eq(out[1], NVME_TCP_F_HDGST);
	ck_assert_uint_eq(out[2], 24);
	ck_assert_uint_eq(out[3], 0);
	ck_assert_uint_eq(get_le32(out + 4), 28);
	ck_assert_uint_eq(get_le32(out + 24), nvme_tcp_digest(out, 24));
	ck_assert_int_eq(nvmf_tcp_pdu_parse(out, sizeof(out), &hlim, &pdu, &fes, &fei), 0);
	ck_assert_ptr_null(pdu.data);
}
END_TEST

START_TEST(cqe_status_goes_on_the_wire_shifted_left_with_phase_zero)
{
	struct nvme_cqe cqe = {.dw0 = 0x11223344,
			       .dw1 = 0x55667788,
			       .sqhd = 0x99aa,
			       .sqid = 0,
			       .cid = 0xbbcc,
			       .status = 0x4002};
	struct nvme_cqe back;
	uint8_t wire[NVME_CQE_LEN];

	nvme_cqe_encode(&cqe, wire);
	/* Invalid Field with DNR is 0x8004 on the wire. */
	ck_assert_uint_eq(get_le16(wire + 14), 0x8004);
	nvme_cqe_decode(wire, &back);
	ck_assert_uint_eq(back.dw0, cqe.dw0);
	ck_assert_uint_eq(back.dw1, cqe.dw1);
	ck_assert_uint_eq(back.sqhd, cqe.sqhd);
	ck_assert_uint_eq(back.sqid, cqe.sqid);
	ck_assert_uint_eq(back.cid, cqe.cid);
	ck_assert_uint_eq(back.status, cqe.status);

	/* A set phase bit is not part of the status. */
	put_le16(wire + 14, 0x0001);
	nvme_cqe_decode(wire, &back);
	ck_assert_uint_eq(back.status, 0);
}
END_TEST

START_TEST(c2hdata_header_for_identify_matches_appendix_a)
{
	static const uint8_t want[24] = {0x07, 0x04, 0x18, 0x18, 0x18, 0x10, 0x00, 0x00,
					 0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
					 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
	uint8_t out[NVME_TCP_DATA_HLEN + NVME_TCP_DIGEST_LEN];
	struct nvme_tcp_data_hdr d;

	memset(out, 0xaa, sizeof(out));
	ck_assert_uint_eq(nvme_tcp_data_hdr_encode(NVME_TCP_C2H_DATA, NVME_TCP_F_DATA_LAST, 9, 0, 0,
						   4096, false, false, out),
			  24);
	ck_assert_mem_eq(out, want, sizeof(want));
	nvme_tcp_data_hdr_decode(out, &d);
	ck_assert_uint_eq(d.cccid, 9);
	ck_assert_uint_eq(d.datao, 0);
	ck_assert_uint_eq(d.datal, 4096);
}
END_TEST

START_TEST(c2hdata_with_digests_accounts_for_them_in_pdo_and_plen)
{
	uint8_t pdu[NVME_TCP_DATA_HLEN + 4 + 512 + 4];
	struct nvmf_tcp_limits hlim = host_limits(true, true);
	struct nvmf_tcp_pdu p;
	uint16_t fes;
	uint32_t fei;

	size_t n = nvme_tcp_data_hdr_encode(NVME_TCP_C2H_DATA, NVME_TCP_F_DATA_LAST, 9, 0, 1024,
					    512, true, true, pdu);
	ck_assert_uint_eq(n, 28);
	ck_assert_uint_eq(pdu[1], NVME_TCP_F_DATA_LAST | NVME_TCP_F_HDGST | NVME_TCP_F_DDGST);
	ck_assert_uint_eq(pdu[3], 28);
	ck_assert_uint_eq(get_le32(pdu + 4), sizeof(pdu));
	pattern_fill(pdu + 28, 512, 1);
	put_le32(pdu + 28 + 512, nvme_tcp_digest(pdu + 28, 512));

	ck_assert_int_eq(nvmf_tcp_pdu_parse(pdu, sizeof(pdu), &hlim, &p, &fes, &fei), 0);
	ck_assert_ptr_eq(p.data, pdu + 28);
	ck_assert_uint_eq(p.data_len, 512);
	ck_assert(p.ddgst_ok);
}
END_TEST

START_TEST(r2t_encodes_its_fields_and_passes_the_host_check)
{
	uint8_t out[NVME_TCP_DATA_HLEN + NVME_TCP_DIGEST_LEN];
	struct nvmf_tcp_limits hlim = host_limits(false, false);
	struct nvme_tcp_data_hdr d;
	uint16_t fes;
	uint32_t fei;

	ck_assert_uint_eq(nvme_tcp_r2t_encode(0x1234, 7, 0, 2076, false, out), 24);
	ck_assert_uint_eq(out[0], NVME_TCP_R2T);
	ck_assert_uint_eq(out[3], 0);
	ck_assert_uint_eq(get_le32(out + 4), 24);
	nvme_tcp_data_hdr_decode(out, &d);
	ck_assert_uint_eq(d.cccid, 0x1234);
	ck_assert_uint_eq(d.ttag, 7);
	ck_assert_uint_eq(d.datao, 0);
	ck_assert_uint_eq(d.datal, 2076);
	ck_assert_int_eq(nvmf_tcp_pdu_check(out, 24, &hlim, &fes, &fei), 24);
}
END_TEST

/* Encodes a command, then receives it as the controller would. */
static void check_cmd_round_trip(bool hdgst, bool ddgst, uint32_t data_len)
{
	struct nvme_sqe sqe = connect_sqe(), back;
	struct nvmf_tcp_limits lim = ctrl_limits(hdgst, ddgst);
	struct nvmf_tcp_pdu pdu;
	uint8_t data[1024];
	uint8_t out[NVME_TCP_CMD_HLEN + 4 + sizeof(data) + 4];
	uint16_t fes;
	uint32_t fei;

	sqe.sgl_len = data_len;
	pattern_fill(data, sizeof(data), 5);
	size_t n = nvme_tcp_cmd_encode(&sqe, data, data_len, hdgst, ddgst, out);
	size_t want = 72 + (hdgst ? 4 : 0) + data_len + (ddgst && data_len ? 4 : 0);

	ck_assert_uint_eq(n, want);
	ck_assert_uint_eq(out[0], NVME_TCP_CMD);
	ck_assert_uint_eq(out[2], 72);
	ck_assert_uint_eq(out[3], data_len ? 72 + (hdgst ? 4 : 0) : 0);
	ck_assert_uint_eq(get_le32(out + 4), want);
	ck_assert_uint_eq(out[1] & NVME_TCP_F_HDGST, hdgst ? NVME_TCP_F_HDGST : 0);
	/* A data digest only goes with data. */
	ck_assert_uint_eq(out[1] & NVME_TCP_F_DDGST, ddgst && data_len ? NVME_TCP_F_DDGST : 0);

	ck_assert_int_eq(nvmf_tcp_pdu_check(out, n, &lim, &fes, &fei), (ssize_t)n);
	ck_assert_int_eq(nvmf_tcp_pdu_parse(out, n, &lim, &pdu, &fes, &fei), 0);
	ck_assert_uint_eq(pdu.type, NVME_TCP_CMD);
	ck_assert_uint_eq(pdu.plen, n);
	ck_assert_ptr_eq(pdu.hdr, out);
	ck_assert(pdu.ddgst_ok);
	if (data_len) {
		ck_assert_uint_eq(pdu.data_len, data_len);
		ck_assert_mem_eq(pdu.data, data, data_len);
	} else {
		ck_assert_ptr_null(pdu.data);
		ck_assert_uint_eq(pdu.data_len, 0);
	}

	nvme_sqe_decode(pdu.hdr + NVME_TCP_CH_LEN, &back);
	ck_assert_uint_eq(back.opcode, 0x7f);
	ck_assert_uint_eq(back.flags, 0x40);
	ck_assert_uint_eq(back.cid, 3);
	ck_assert_uint_eq(back.fctype, 0x01);
	ck_assert_uint_eq(back.sgl_addr, 0);
	ck_assert_uint_eq(back.sgl_len, data_len);
	ck_assert_uint_eq(back.sgl_id, NVME_SGL_INCAPSULE);
	for (int i = 10; i < 16; i++)
		ck_assert_uint_eq(back.cdw[i], sqe.cdw[i]);
}

START_TEST(command_round_trips_with_and_without_digests_and_data)
{
	check_cmd_round_trip(false, false, 1024);
	check_cmd_round_trip(true, false, 1024);
	check_cmd_round_trip(false, true, 1024);
	check_cmd_round_trip(true, true, 1024);
	check_cmd_round_trip(false, false, 0);
	check_cmd_round_trip(true, true, 0);
	check_cmd_round_trip(true, true, 4);
}
END_TEST

START_TEST(sqe_decode_then_encode_gives_back_the_same_bytes)
{
	uint8_t sqe64[NVME_SQE_LEN], again[NVME_SQE_LEN];
	struct nvme_sqe sqe;

	/* An admin command: Get Log Page 70h, header read, nsid 0xffffffff. */
	pattern_fill(sqe64, sizeof(sqe64), 3);
	sqe64[0] = 0x02;
	sqe64[1] = 0x40;
	sqe64[36] = sqe64[37] = sqe64[38] = 0; /* reserved bytes of the SGL descriptor */
	nvme_sqe_decode(sqe64, &sqe);
	ck_assert_uint_eq(sqe.opcode, 0x02);
	ck_assert_uint_eq(sqe.cid, get_le16(sqe64 + 2));
	ck_assert_uint_eq(sqe.nsid, get_le32(sqe64 + 4));
	ck_assert_uint_eq(sqe.sgl_addr, get_le64(sqe64 + 24));
	ck_assert_uint_eq(sqe.sgl_len, get_le32(sqe64 + 32));
	ck_assert_uint_eq(sqe.sgl_id, sqe64[39]);
	ck_assert_uint_eq(sqe.cdw[10], get_le32(sqe64 + 40));
	ck_assert_uint_eq(sqe.cdw[15], get_le32(sqe64 + 60));
	nvme_sqe_encode(&sqe, again);
	ck_assert_mem_eq(again, sqe64, sizeof(sqe64));

	/* A fabrics command: byte 4 is FCTYPE. */
	sqe64[0] = 0x7f;
	sqe64[4] = 0x04;
	nvme_sqe_decode(sqe64, &sqe);
	ck_assert_uint_eq(sqe.fctype, 0x04);
	nvme_sqe_encode(&sqe, again);
	ck_assert_mem_eq(again, sqe64, sizeof(sqe64));
}
END_TEST

START_TEST(pdu_check_needs_every_byte_before_it_accepts)
{
	struct nvme_sqe sqe = connect_sqe();
	struct nvmf_tcp_limits lim = ctrl_limits(true, true);
	uint8_t data[1024];
	uint8_t buf[NVME_TCP_CMD_HLEN + 4 + sizeof(data) + 4 + 16];
	uint16_t fes;
	uint32_t fei;

	pattern_fill(data, sizeof(data), 9);
	size_t n = nvme_tcp_cmd_encode(&sqe, data, sizeof(data), true, true, buf);
	memset(buf + n, 0x55, sizeof(buf) - n); /* the start of the next PDU */

	for (size_t len = 0; len < n; len++)
		ck_assert_msg(nvmf_tcp_pdu_check(buf, len, &lim, &fes, &fei) == 0,
			      "a %zu-byte prefix of a %zu-byte PDU was not 'need more'", len, n);
	ck_assert_int_eq(nvmf_tcp_pdu_check(buf, n, &lim, &fes, &fei), (ssize_t)n);
	/* Bytes of the next PDU do not change the length of this one. */
	ck_assert_int_eq(nvmf_tcp_pdu_check(buf, sizeof(buf), &lim, &fes, &fei), (ssize_t)n);

	struct nvme_tcp_ic ic = {0};
	nvme_tcp_ic_encode(NVME_TCP_ICREQ, &ic, buf);
	for (size_t len = 0; len < NVME_TCP_IC_LEN; len++)
		ck_assert_int_eq(nvmf_tcp_pdu_check(buf, len, &lim, &fes, &fei), 0);
	ck_assert_int_eq(nvmf_tcp_pdu_check(buf, NVME_TCP_IC_LEN, &lim, &fes, &fei), 128);
}
END_TEST

START_TEST(pdu_parse_of_a_partial_pdu_is_eagain)
{
	struct nvme_sqe sqe = connect_sqe();
	struct nvmf_tcp_limits lim = ctrl_limits(false, false);
	struct nvmf_tcp_pdu pdu;
	uint8_t data[1024] = {0};
	uint8_t buf[NVME_TCP_CMD_HLEN + sizeof(data)];
	uint16_t fes;
	uint32_t fei;

	size_t n = nvme_tcp_cmd_encode(&sqe, data, sizeof(data), false, false, buf);
	ck_assert_int_eq(nvmf_tcp_pdu_parse(buf, n - 1, &lim, &pdu, &fes, &fei), -EAGAIN);
	ck_assert_int_eq(nvmf_tcp_pdu_parse(buf, 3, &lim, &pdu, &fes, &fei), -EAGAIN);
}
END_TEST

START_TEST(unknown_pdu_type_is_fes1_fei0)
{
	struct nvmf_tcp_limits lim = ctrl_limits(false, false);
	struct nvmf_tcp_limits hlim = host_limits(false, false);
	uint8_t buf[NVME_TCP_CMD_HLEN];
	static const uint8_t unknown[] = {0x08, 0x0a, 0x0b, 0x10, 0x7f, 0xff};

	memset(buf, 0, sizeof(buf));
	for (size_t i = 0; i < sizeof(unknown); i++) {
		ch_put(buf, unknown[i], 0, 24, 0, 24);
		assert_rejected(buf, sizeof(buf), &lim, NVME_TCP_FES_INVALID_PDU_HDR, FEI_TYPE);
		assert_rejected(buf, sizeof(buf), &hlim, NVME_TCP_FES_INVALID_PDU_HDR, FEI_TYPE);
	}
}
END_TEST

START_TEST(pdus_only_a_host_receives_are_refused_by_the_controller)
{
	struct nvmf_tcp_limits lim = ctrl_limits(false, false);
	struct nvmf_tcp_limits hlim = host_limits(false, false);
	uint8_t buf[NVME_TCP_IC_LEN];
	static const uint8_t c2h[] = {NVME_TCP_ICRESP, NVME_TCP_C2H_TERM, NVME_TCP_RSP,
				      NVME_TCP_C2H_DATA, NVME_TCP_R2T};
	static const uint8_t h2c[] = {NVME_TCP_ICREQ, NVME_TCP_H2C_TERM, NVME_TCP_CMD,
				      NVME_TCP_H2C_DATA};

	memset(buf, 0, sizeof(buf));
	for (size_t i = 0; i < sizeof(c2h); i++) {
		ch_put(buf, c2h[i], 0, c2h[i] == NVME_TCP_ICRESP ? 128 : 24, 0,
		       c2h[i] == NVME_TCP_ICRESP ? 128 : 24);
		assert_rejected(buf, sizeof(buf), &lim, NVME_TCP_FES_INVALID_PDU_HDR, FEI_TYPE);
	}
	/* And the other way round on the host side. */
	for (size_t i = 0; i < sizeof(h2c); i++) {
		uint8_t hlen = h2c[i] == NVME_TCP_ICREQ ? 128 : h2c[i] == NVME_TCP_CMD ? 72 : 24;
		ch_put(buf, h2c[i], 0, hlen, 0, hlen);
		assert_rejected(buf, sizeof(buf), &hlim, NVME_TCP_FES_INVALID_PDU_HDR, FEI_TYPE);
	}
}
END_TEST

START_TEST(wrong_hlen_is_fei2)
{
	struct nvmf_tcp_limits lim = ctrl_limits(false, false);
	uint8_t buf[NVME_TCP_IC_LEN];

	memset(buf, 0, sizeof(buf));
	ch_put(buf, NVME_TCP_ICREQ, 0, 127, 0, 128);
	assert_rejected(buf, sizeof(buf), &lim, NVME_TCP_FES_INVALID_PDU_HDR, FEI_HLEN);
	ch_put(buf, NVME_TCP_CMD, 0, 24, 0, 24);
	assert_rejected(buf, sizeof(buf), &lim, NVME_TCP_FES_INVALID_PDU_HDR, FEI_HLEN);
	ch_put(buf, NVME_TCP_CMD, 0, 76, 0, 76);
	assert_rejected(buf, sizeof(buf), &lim, NVME_TCP_FES_INVALID_PDU_HDR, FEI_HLEN);
	ch_put(buf, NVME_TCP_H2C_DATA, 0, 72, 0, 72);
	assert_rejected(buf, sizeof(buf), &lim, NVME_TCP_FES_INVALID_PDU_HDR, FEI_HLEN);
	ch_put(buf, NVME_TCP_H2C_TERM, 0, 8, 0, 24);
	assert_rejected(buf, sizeof(buf), &lim, NVME_TCP_FES_INVALID_PDU_HDR, FEI_HLEN);
}
END_TEST

START_TEST(icreq_plen_other_than_128_is_fei4)
{
	struct nvmf_tcp_limits lim = ctrl_limits(false, false);
	uint8_t buf[256];

	memset(buf, 0, sizeof(buf));
	ch_put(buf, NVME_TCP_ICREQ, 0, 128, 0, 132);
	assert_rejected(buf, sizeof(buf), &lim, NVME_TCP_FES_INVALID_PDU_HDR, FEI_PLEN);
	ch_put(buf, NVME_TCP_ICREQ, 0, 128, 0, 127);
	assert_rejected(buf, sizeof(buf), &lim, NVME_TCP_FES_INVALID_PDU_HDR, FEI_PLEN);
	/* Judged from the common header alone, before the rest has arrived. */
	ch_put(buf, NVME_TCP_ICREQ, 0, 128, 0, 0xffffffff);
	assert_rejected(buf, NVME_TCP_CH_LEN, &lim, NVME_TCP_FES_INVALID_PDU_HDR, FEI_PLEN);
}
END_TEST

START_TEST(icreq_with_pdo_is_fei3)
{
	struct nvmf_tcp_limits lim = ctrl_limits(false, false);
	uint8_t buf[NVME_TCP_IC_LEN];

	memset(buf, 0, sizeof(buf));
	ch_put(buf, NVME_TCP_ICREQ, 0, 128, 128, 128);
	assert_rejected(buf, sizeof(buf), &lim, NVME_TCP_FES_INVALID_PDU_HDR, FEI_PDO);
}
END_TEST

START_TEST(header_digest_flag_must_match_the_negotiation_fei1)
{
	struct nvmf_tcp_limits off = ctrl_limits(false, false);
	struct nvmf_tcp_limits on = ctrl_limits(true, false);
	struct nvme_sqe sqe = connect_sqe();
	uint8_t buf[NVME_TCP_CMD_HLEN + 4];

	sqe.sgl_len = 0;
	/* HDGSTF set and 4 more bytes, but digests were not negotiated. */
	nvme_tcp_cmd_encode(&sqe, NULL, 0, true, false, buf);
	assert_rejected(buf, sizeof(buf), &off, NVME_TCP_FES_INVALID_PDU_HDR, FEI_FLAGS);
	/* Negotiated, but this PDU comes without one. */
	nvme_tcp_cmd_encode(&sqe, NULL, 0, false, false, buf);
	assert_rejected(buf, NVME_TCP_CMD_HLEN, &on, NVME_TCP_FES_INVALID_PDU_HDR, FEI_FLAGS);
}
END_TEST

START_TEST(data_digest_flag_must_match_the_negotiation_fei1)
{
	struct nvmf_tcp_limits off = ctrl_limits(false, false);
	struct nvmf_tcp_limits on = ctrl_limits(false, true);
	struct nvme_sqe sqe = connect_sqe();
	uint8_t data[64] = {0};
	uint8_t buf[NVME_TCP_CMD_HLEN + sizeof(data) + 4];

	sqe.sgl_len = sizeof(data);
	nvme_tcp_cmd_encode(&sqe, data, sizeof(data), false, true, buf);
	assert_rejected(buf, sizeof(buf), &off, NVME_TCP_FES_INVALID_PDU_HDR, FEI_FLAGS);
	nvme_tcp_cmd_encode(&sqe, data, sizeof(data), false, false, buf);
	assert_rejected(buf, sizeof(buf), &on, NVME_TCP_FES_INVALID_PDU_HDR, FEI_FLAGS);

	/* DDGSTF on a PDU without data. */
	ch_put(buf, NVME_TCP_CMD, NVME_TCP_F_DDGST, 72, 0, 72);
	assert_rejected(buf, sizeof(buf), &on, NVME_TCP_FES_INVALID_PDU_HDR, FEI_FLAGS);
}
END_TEST

START_TEST(plen_other_than_the_header_for_a_pdu_without_data_is_fei4)
{
	struct nvmf_tcp_limits lim = ctrl_limits(false, false);
	struct nvmf_tcp_limits hd = ctrl_limits(true, false);
	uint8_t buf[NVME_TCP_CMD_HLEN + 8];

	memset(buf, 0, sizeof(buf));
	ch_put(buf, NVME_TCP_CMD, 0, 72, 0, 76);
	assert_rejected(buf, sizeof(buf), &lim, NVME_TCP_FES_INVALID_PDU_HDR, FEI_PLEN);
	ch_put(buf, NVME_TCP_CMD, 0, 72, 0, 71);
	assert_rejected(buf, sizeof(buf), &lim, NVME_TCP_FES_INVALID_PDU_HDR, FEI_PLEN);
	/* With a header digest the header is 76 bytes, not 72. */
	ch_put(buf, NVME_TCP_CMD, NVME_TCP_F_HDGST, 72, 0, 72);
	assert_rejected(buf, sizeof(buf), &hd, NVME_TCP_FES_INVALID_PDU_HDR, FEI_PLEN);
	ch_put(buf, NVME_TCP_H2C_DATA, 0, 24, 0, 28);
	assert_rejected(buf, sizeof(buf), &lim, NVME_TCP_FES_INVALID_PDU_HDR, FEI_PLEN);
}
END_TEST

START_TEST(pdo_inside_the_header_is_fei3)
{
	struct nvmf_tcp_limits lim = ctrl_limits(false, false);
	struct nvmf_tcp_limits hd = ctrl_limits(true, false);
	uint8_t buf[256];

	memset(buf, 0, sizeof(buf));
	ch_put(buf, NVME_TCP_CMD, 0, 72, 68, 200);
	assert_rejected(buf, sizeof(buf), &lim, NVME_TCP_FES_INVALID_PDU_HDR, FEI_PDO);
	/* The header digest belongs to the header too. */
	ch_put(buf, NVME_TCP_CMD, NVME_TCP_F_HDGST, 72, 72, 200);
	assert_rejected(buf, sizeof(buf), &hd, NVME_TCP_FES_INVALID_PDU_HDR, FEI_PDO);
	ch_put(buf, NVME_TCP_H2C_DATA, 0, 24, 8, 200);
	assert_rejected(buf, sizeof(buf), &lim, NVME_TCP_FES_INVALID_PDU_HDR, FEI_PDO);
}
END_TEST

START_TEST(pdo_not_a_multiple_of_4_is_fei3)
{
	struct nvmf_tcp_limits lim = ctrl_limits(false, false);
	uint8_t buf[256];

	memset(buf, 0, sizeof(buf));
	ch_put(buf, NVME_TCP_CMD, 0, 72, 74, 200);
	assert_rejected(buf, sizeof(buf), &lim, NVME_TCP_FES_INVALID_PDU_HDR, FEI_PDO);
	ch_put(buf, NVME_TCP_H2C_DATA, 0, 24, 25, 200);
	assert_rejected(buf, sizeof(buf), &lim, NVME_TCP_FES_INVALID_PDU_HDR, FEI_PDO);
}
END_TEST

START_TEST(data_on_a_pdu_type_without_data_is_fei3)
{
	struct nvmf_tcp_limits hlim = host_limits(false, false);
	uint8_t buf[256];

	memset(buf, 0, sizeof(buf));
	ch_put(buf, NVME_TCP_RSP, 0, 24, 24, 64);
	assert_rejected(buf, sizeof(buf), &hlim, NVME_TCP_FES_INVALID_PDU_HDR, FEI_PDO);
	ch_put(buf, NVME_TCP_R2T, 0, 24, 24, 64);
	assert_rejected(buf, sizeof(buf), &hlim, NVME_TCP_FES_INVALID_PDU_HDR, FEI_PDO);
}
END_TEST

START_TEST(empty_data_after_a_pdo_is_fei4)
{
	struct nvmf_tcp_limits lim = ctrl_limits(false, true);
	uint8_t buf[256];

	memset(buf, 0, sizeof(buf));
	ch_put(buf, NVME_TCP_CMD, NVME_TCP_F_DDGST, 72, 72, 76);
	assert_rejected(buf, sizeof(buf), &lim, NVME_TCP_FES_INVALID_PDU_HDR, FEI_PLEN);
	ch_put(buf, NVME_TCP_CMD, NVME_TCP_F_DDGST, 72, 72, 40);
	assert_rejected(buf, sizeof(buf), &lim, NVME_TCP_FES_INVALID_PDU_HDR, FEI_PLEN);
}
END_TEST

START_TEST(in_capsule_data_over_max_icd_is_fes5)
{
	struct nvmf_tcp_limits lim = ctrl_limits(false, false);
	struct nvmf_tcp_limits dd = ctrl_limits(true, true);
	uint16_t fes;
	uint32_t fei;
	uint8_t buf[NVME_TCP_CMD_HLEN + 4];

	memset(buf, 0, sizeof(buf));
	ch_put(buf, NVME_TCP_CMD, 0, 72, 72, 72 + 8192);
	ck_assert_int_eq(nvmf_tcp_pdu_check(buf, sizeof(buf), &lim, &fes, &fei), 0);
	ch_put(buf, NVME_TCP_CMD, 0, 72, 72, 72 + 8193);
	assert_rejected(buf, sizeof(buf), &lim, NVME_TCP_FES_DATA_LIMIT_EXCEEDED, FEI_PLEN);
	/* Digests do not count as data. */
	ch_put(buf, NVME_TCP_CMD, NVME_TCP_F_HDGST | NVME_TCP_F_DDGST, 72, 76, 76 + 8192 + 4);
	ck_assert_int_eq(nvmf_tcp_pdu_check(buf, sizeof(buf), &dd, &fes, &fei), 0);
	ch_put(buf, NVME_TCP_CMD, NVME_TCP_F_HDGST | NVME_TCP_F_DDGST, 72, 76, 76 + 8193 + 4);
	assert_rejected(buf, sizeof(buf), &dd, NVME_TCP_FES_DATA_LIMIT_EXCEEDED, FEI_PLEN);
	/* And an H2CData PDU is held to max_h2cdata. */
	ch_put(buf, NVME_TCP_H2C_DATA, 0, 24, 24, 24 + 0x20001);
	assert_rejected(buf, sizeof(buf), &lim, NVME_TCP_FES_DATA_LIMIT_EXCEEDED, FEI_PLEN);
	ch_put(buf, NVME_TCP_CMD, 0, 72, 72, 0xffffffff);
	assert_rejected(buf, sizeof(buf), &lim, NVME_TCP_FES_DATA_LIMIT_EXCEEDED, FEI_PLEN);
}
END_TEST

START_TEST(termreq_plen_outside_24_to_152_is_fei4)
{
	struct nvmf_tcp_limits lim = ctrl_limits(false, false);
	uint8_t buf[160];
	uint16_t fes;
	uint32_t fei;

	memset(buf, 0, sizeof(buf));
	ch_put(buf, NVME_TCP_H2C_TERM, 0, 24, 0, 23);
	assert_rejected(buf, sizeof(buf), &lim, NVME_TCP_FES_INVALID_PDU_HDR, FEI_PLEN);
	ch_put(buf, NVME_TCP_H2C_TERM, 0, 24, 0, 153);
	assert_rejected(buf, sizeof(buf), &lim, NVME_TCP_FES_INVALID_PDU_HDR, FEI_PLEN);
	ch_put(buf, NVME_TCP_H2C_TERM, 0, 24, 0, 24);
	ck_assert_int_eq(nvmf_tcp_pdu_check(buf, sizeof(buf), &lim, &fes, &fei), 24);
	ch_put(buf, NVME_TCP_H2C_TERM, 0, 24, 0, 152);
	ck_assert_int_eq(nvmf_tcp_pdu_check(buf, sizeof(buf), &lim, &fes, &fei), 152);
	ck_assert_int_eq(nvmf_tcp_pdu_check(buf, 151, &lim, &fes, &fei), 0);
}
END_TEST

START_TEST(bad_header_digest_is_eproto_fes3)
{
	struct nvmf_tcp_limits lim = ctrl_limits(true, false);
	struct nvme_sqe sqe = connect_sqe();
	struct nvmf_tcp_pdu pdu;
	uint8_t buf[NVME_TCP_CMD_HLEN + 4];
	uint16_t fes = 0;
	uint32_t fei = 0xffffffff;

	sqe.sgl_len = 0;
	nvme_tcp_cmd_encode(&sqe, NULL, 0, true, false, buf);
	ck_assert_int_eq(nvmf_tcp_pdu_parse(buf, sizeof(buf), &lim, &pdu, &fes, &fei), 0);
	buf[72] ^= 0x01; /* the digest itself */
	ck_assert_int_eq(nvmf_tcp_pdu_parse(buf, sizeof(buf), &lim, &pdu, &fes, &fei), -EPROTO);
	ck_assert_uint_eq(fes, NVME_TCP_FES_HDR_DIGEST_ERR);
	buf[72] ^= 0x01;
	buf[40] ^= 0x80; /* a byte the digest covers */
	fes = 0;
	ck_assert_int_eq(nvmf_tcp_pdu_parse(buf, sizeof(buf), &lim, &pdu, &fes, &fei), -EPROTO);
	ck_assert_uint_eq(fes, NVME_TCP_FES_HDR_DIGEST_ERR);
}
END_TEST

START_TEST(bad_data_digest_fails_the_command_not_the_connection)
{
	struct nvmf_tcp_limits lim = ctrl_limits(true, true);
	struct nvme_sqe sqe = connect_sqe();
	struct nvmf_tcp_pdu pdu;
	uint8_t data[1024];
	uint8_t buf[NVME_TCP_CMD_HLEN + 4 + sizeof(data) + 4];
	uint16_t fes;
	uint32_t fei;

	pattern_fill(data, sizeof(data), 11);
	size_t n = nvme_tcp_cmd_encode(&sqe, data, sizeof(data), true, true, buf);
	ck_assert_uint_eq(n, sizeof(buf));
	buf[76 + 500] ^= 0x10; /* corrupt the data, keep the digest */
	ck_assert_int_eq(nvmf_tcp_pdu_parse(buf, n, &lim, &pdu, &fes, &fei), 0);
	ck_assert(!pdu.ddgst_ok);
	ck_assert_ptr_eq(pdu.data, buf + 76);
	ck_assert_uint_eq(pdu.data_len, sizeof(data));

	buf[76 + 500] ^= 0x10;
	buf[n - 1] ^= 0xff; /* now the digest */
	ck_assert_int_eq(nvmf_tcp_pdu_parse(buf, n, &lim, &pdu, &fes, &fei), 0);
	ck_assert(!pdu.ddgst_ok);
}
END_TEST

START_TEST(good_digests_are_accepted)
{
	struct nvmf_tcp_limits lim = ctrl_limits(true, true);
	struct nvme_sqe sqe = connect_sqe();
	struct nvmf_tcp_pdu pdu;
	uint8_t data[1024];
	uint8_t buf[NVME_TCP_CMD_HLEN + 4 + sizeof(data) + 4];
	uint16_t fes;
	uint32_t fei;

	pattern_fill(data, sizeof(data), 13);
	size_t n = nvme_tcp_cmd_encode(&sqe, data, sizeof(data), true, true, buf);
	ck_assert_uint_eq(get_le32(buf + 72), nvme_tcp_digest(buf, 72));
	ck_assert_uint_eq(get_le32(buf + n - 4), nvme_tcp_digest(data, sizeof(data)));
	ck_assert_int_eq(nvmf_tcp_pdu_parse(buf, n, &lim, &pdu, &fes, &fei), 0);
	ck_assert(pdu.ddgst_ok);
	ck_assert_uint_eq(pdu.flags, NVME_TCP_F_HDGST | NVME_TCP_F_DDGST);
	ck_assert_uint_eq(pdu.hlen, 72);
	ck_assert_uint_eq(pdu.pdo, 76);
	ck_assert_uint_eq(pdu.data_len, 1024);
}
END_TEST

/* ICReq has no header digest whatever its FLAGS say (a kickstart ICReq sets flags), so the
 * parser must not look for one after the 128 bytes. The buffer holds 4 more bytes that
 * are not part of the PDU: a parser reading them judges bytes of the next PDU. */
START_TEST(icreq_with_flags_is_parsed_within_its_128_bytes)
{
	struct nvmf_tcp_limits lim = ctrl_limits(false, false);
	struct nvme_tcp_ic ic = {0};
	struct nvmf_tcp_pdu pdu;
	uint8_t buf[NVME_TCP_IC_LEN + 4];
	uint16_t fes = 0;
	uint32_t fei = 0;

	memset(buf, 0, sizeof(buf));
	nvme_tcp_ic_encode(NVME_TCP_ICREQ, &ic, buf);
	buf[1] = NVME_TCP_F_HDGST | NVME_TCP_F_DDGST;
	ck_assert_int_eq(nvmf_tcp_pdu_check(buf, NVME_TCP_IC_LEN, &lim, &fes, &fei), 128);
	ck_assert_int_eq(nvmf_tcp_pdu_parse(buf, NVME_TCP_IC_LEN, &lim, &pdu, &fes, &fei), 0);
	ck_assert_uint_eq(pdu.plen, 128);
	ck_assert_ptr_null(pdu.data);
}
END_TEST

/* A TermReq's PDO and digest flags are not validated (it has no data), so the parser must
 * not use them: a 32-byte H2CTermReq with PDO 252 and DDGSTF must not make it compute a data
 * pointer and length outside the PDU, or read a digest there. */
START_TEST(termreq_pdo_and_flags_never_point_parse_outside_the_pdu)
{
	struct nvmf_tcp_limits lim = ctrl_limits(true, true);
	struct nvmf_tcp_pdu pdu;
	uint8_t *buf = calloc(1, 32);
	uint16_t fes = 0;
	uint32_t fei = 0;

	ck_assert_ptr_nonnull(buf);
	ch_put(buf, NVME_TCP_H2C_TERM, NVME_TCP_F_DDGST, 24, 252, 32);
	int r = nvmf_tcp_pdu_parse(buf, 32, &lim, &pdu, &fes, &fei);
	if (r == 0) {
		ck_assert_uint_eq(pdu.plen, 32);
		if (pdu.data) {
			ck_assert(pdu.data >= buf + 24);
			ck_assert(pdu.data_len <= 32);
			ck_assert(pdu.data + pdu.data_len <= buf + 32);
		}
	} else {
		ck_assert_int_eq(r, -EPROTO);
		ck_assert_uint_eq(fes, NVME_TCP_FES_INVALID_PDU_HDR);
	}
	free(buf);
}
END_TEST

START_TEST(termreq_puts_fes_at_8_and_fei_unaligned_at_10)
{
	uint8_t bad[NVME_TCP_CMD_HLEN];
	uint8_t out[NVME_TCP_TERM_HLEN + NVME_TCP_TERM_MAX_COPY];
	struct nvmf_tcp_limits hlim = host_limits(false, false);
	uint16_t fes;
	uint32_t fei;

	pattern_fill(bad, sizeof(bad), 17);
	memset(out, 0xaa, sizeof(out));
	size_t n = nvme_tcp_term_encode(NVME_TCP_C2H_TERM, NVME_TCP_FES_INVALID_PDU_HDR, 0x04030201,
					bad, sizeof(bad), out);
	ck_assert_uint_eq(n, 24 + sizeof(bad));
	ck_assert_uint_eq(out[0], NVME_TCP_C2H_TERM);
	ck_assert_uint_eq(out[1], 0);
	ck_assert_uint_eq(out[2], 24);
	ck_assert_uint_eq(out[3], 0);
	ck_assert_uint_eq(get_le32(out + 4), 24 + sizeof(bad));
	ck_assert_uint_eq(out[8], 0x01);
	ck_assert_uint_eq(out[9], 0x00);
	ck_assert_uint_eq(out[10], 0x01);
	ck_assert_uint_eq(out[11], 0x02);
	ck_assert_uint_eq(out[12], 0x03);
	ck_assert_uint_eq(out[13], 0x04);
	for (int i = 14; i < 24; i++)
		ck_assert_msg(out[i] == 0, "TermReq reserved byte %d is %#x", i, out[i]);
	ck_assert_mem_eq(out + 24, bad, sizeof(bad));
	ck_assert_int_eq(nvmf_tcp_pdu_check(out, n, &hlim, &fes, &fei), (ssize_t)n);
}
END_TEST

START_TEST(termreq_copies_at_most_128_header_bytes)
{
	uint8_t bad[200];
	uint8_t out[NVME_TCP_TERM_HLEN + NVME_TCP_TERM_MAX_COPY + 16];
	struct nvmf_tcp_limits lim = ctrl_limits(false, false);
	uint16_t fes;
	uint32_t fei;

	pattern_fill(bad, sizeof(bad), 19);
	memset(out, 0xaa, sizeof(out));
	size_t n = nvme_tcp_term_encode(NVME_TCP_H2C_TERM, NVME_TCP_FES_HDR_DIGEST_ERR, 0, bad,
					sizeof(bad), out);
	ck_assert_uint_eq(n, 152);
	ck_assert_uint_eq(get_le32(out + 4), 152);
	ck_assert_mem_eq(out + 24, bad, 128);
	for (size_t i = 152; i < sizeof(out); i++)
		ck_assert_msg(out[i] == 0xaa, "TermReq wrote past 152 bytes at %zu", i);
	ck_assert_int_eq(nvmf_tcp_pdu_check(out, n, &lim, &fes, &fei), 152);

	/* Without a header to copy it is the bare 24 bytes. */
	n = nvme_tcp_term_encode(NVME_TCP_H2C_TERM, NVME_TCP_FES_PDU_SEQ_ERR, 0, NULL, 0, out);
	ck_assert_uint_eq(n, 24);
	ck_assert_uint_eq(get_le32(out + 4), 24);
	ck_assert_uint_eq(get_le16(out + 8), NVME_TCP_FES_PDU_SEQ_ERR);
}
END_TEST

/* ---- Kickstart: KDReq / KDResp (protocol.md 1.11) ---- */

static struct cdc_port kport(const char *traddr, const char *trsvcid, uint8_t adrfam)
{
	struct cdc_port p = {.trtype = 3, .adrfam = adrfam};

	snprintf(p.traddr, sizeof(p.traddr), "%s", traddr);
	snprintf(p.trsvcid, sizeof(p.trsvcid), "%s", trsvcid);
	return p;
}

START_TEST(kdreq_is_accepted_only_where_kickstart_is_allowed)
{
	struct nvmf_tcp_limits lim = ctrl_limits(true, true);
	struct cdc_port p = kport("192.0.2.7", "8009", 1);
	uint8_t buf[KDREQ_MAX_LEN];
	size_t n = kdreq_encode(&p, 1, 3, buf);

	ck_assert_uint_eq(n, KDREQ_HLEN + KDREQ_RECORD_LEN);
	assert_rejected(buf, n, &lim, NVME_TCP_FES_INVALID_PDU_HDR, FEI_TYPE);
	lim.kickstart = true;
	/* No digests on it, whatever was negotiated: it is part of the connection's set-up. */
	ck_assert_int_eq(nvmf_tcp_pdu_check(buf, n, &lim, &(uint16_t){0}, &(uint32_t){0}),
			 (ssize_t)n);
	struct nvmf_tcp_limits hlim = host_limits(false, false);
	assert_rejected(buf, n, &hlim, NVME_TCP_FES_INVALID_PDU_HDR, FEI_TYPE);
}
END_TEST

START_TEST(kdreq_header_checks_hlen_pdo_and_whole_records)
{
	struct nvmf_tcp_limits lim = ctrl_limits(false, false);
	uint8_t buf[KDREQ_MAX_LEN + KDREQ_RECORD_LEN] = {0};

	lim.kickstart = true;
	ch_put(buf, NVME_TCP_KDREQ, 0, 24, 12, 12);
	assert_rejected(buf, sizeof(buf), &lim, NVME_TCP_FES_INVALID_PDU_HDR, FEI_HLEN);
	ch_put(buf, NVME_TCP_KDREQ, 0, 12, 16, 12);
	assert_rejected(buf, sizeof(buf), &lim, NVME_TCP_FES_INVALID_PDU_HDR, FEI_PDO);
	ch_put(buf, NVME_TCP_KDREQ, 0, 12, 12, 12 + KDREQ_RECORD_LEN - 1);
	assert_rejected(buf, sizeof(buf), &lim, NVME_TCP_FES_INVALID_PDU_HDR, FEI_PLEN);
	ch_put(buf, NVME_TCP_KDREQ, 0, 12, 12, KDREQ_MAX_LEN + KDREQ_RECORD_LEN);
	assert_rejected(buf, sizeof(buf), &lim, NVME_TCP_FES_INVALID_PDU_HDR, FEI_PLEN);
	ch_put(buf, NVME_TCP_KDREQ, 0, 12, 0, 12); /* no records, PDO 0: accepted */
	ck_assert_int_eq(nvmf_tcp_pdu_check(buf, 12, &lim, &(uint16_t){0}, &(uint32_t){0}), 12);
}
END_TEST

START_TEST(kdreq_records_decode_to_canonical_ports)
{
	struct cdc_port in[4] = {kport("192.0.2.7", "08009", 1), kport("2001:db8:0::1", "4420", 2),
				 kport("", "", 0), kport("192.0.2.8", "", 1)};
	struct kdreq req;
	uint8_t buf[KDREQ_MAX_LEN];
	size_t n = kdreq_encode(in, 4, 12, buf);

	ck_assert_int_eq(kdreq_decode(buf, n, "198.51.100.9", &req), 0);
	ck_assert_uint_eq(req.numdie, 12);
	ck_assert_uint_eq(req.nrec, 4);
	ck_assert_uint_eq(req.skipped, 0);
	ck_assert_str_eq(req.rec[0].port.trsvcid, "8009");
	ck_assert_str_eq(req.rec[1].port.traddr, "2001:db8::1");
	ck_assert_uint_eq(req.rec[1].port.adrfam, 2);
	/* An empty TRADDR is where the request came from; an empty TRSVCID the discovery port. */
	ck_assert_str_eq(req.rec[2].port.traddr, "198.51.100.9");
	ck_assert_str_eq(req.rec[2].port.trsvcid, "8009");
	ck_assert_uint_eq(req.rec[2].port.adrfam, 1);
	ck_assert_str_eq(req.rec[3].port.trsvcid, "8009");
}
END_TEST

START_TEST(kdreq_records_that_cannot_be_used_are_skipped)
{
	struct cdc_port in[5] = {kport("storage.example", "8009", 1), kport("192.0.2.7", "x", 1),
				 kport("2001:db8::1", "8009", 1), kport("0.0.0.0", "8009", 1),
				 kport("192.0.2.9", "8009", 1)};
	struct kdreq req;
	uint8_t buf[KDREQ_MAX_LEN];
	size_t n = kdreq_encode(in, 5, 1, buf);

	buf[KDREQ_HLEN + 4 * KDREQ_RECORD_LEN] = 1; /* the last one is RDMA */
	ck_assert_int_eq(kdreq_decode(buf, n, "198.51.100.9", &req), 0);
	ck_assert_uint_eq(req.nrec, 0);
	ck_assert_uint_eq(req.skipped, 5);
}
END_TEST

START_TEST(kdreq_numkr_must_match_plen)
{
	struct cdc_port in = kport("192.0.2.7", "8009", 1);
	struct kdreq req;
	uint8_t buf[KDREQ_MAX_LEN];
	size_t n = kdreq_encode(&in, 1, 1, buf);

	buf[8] = 2;
	ck_assert_int_eq(kdreq_decode(buf, n, "198.51.100.9", &req), -EPROTO);
	buf[8] = 1;
	ck_assert_int_eq(kdreq_decode(buf, n - 1, "198.51.100.9", &req), -EPROTO);
	ck_assert_uint_eq(kdreq_encode(&in, KDREQ_MAX_RECORDS + 1, 1, buf), 0);
}
END_TEST

START_TEST(kdresp_carries_status_reason_and_the_nqn_at_10)
{
	uint8_t buf[KDRESP_LEN], ksstat, failrsn;
	char nqn[CDC_NQN_MAX + 1];

	kdresp_encode(KDRESP_FAILURE, KDRESP_RSN_RESOURCES, "nqn.2014-08.org.example:cdc", buf);
	ck_assert_uint_eq(buf[0], NVME_TCP_KDRESP);
	ck_assert_uint_eq(buf[2], 10);
	ck_assert_uint_eq(get_le32(buf + 4), 274);
	ck_assert_str_eq((const char *)buf + 10, "nqn.2014-08.org.example:cdc");
	ck_assert_int_eq(kdresp_decode(buf, sizeof(buf), &ksstat, &failrsn, nqn), 0);
	ck_assert_uint_eq(ksstat, KDRESP_FAILURE);
	ck_assert_uint_eq(failrsn, KDRESP_RSN_RESOURCES);
	ck_assert_str_eq(nqn, "nqn.2014-08.org.example:cdc");
	ck_assert_int_eq(kdresp_decode(buf, sizeof(buf) - 1, &ksstat, &failrsn, nqn), -EPROTO);
}
END_TEST

/* ---- Pull Model DDC Request (log 73h) and SDLP (protocol.md 7.4, 7.6) ---- */

START_TEST(ddc_request_log_round_trips_and_every_truncation_is_refused)
{
	struct ddc_req in = {.ori = DDC_REQ_LOG, .lid = 0x71, .lsp = 1}, out;
	uint8_t buf[DDC_REQ_READ];
	size_t n = ddc_req_encode(&in, buf, sizeof(buf));

	ck_assert_uint_eq(n, 12);
	ck_assert_int_eq(ddc_req_decode(buf, n, &out), 0);
	ck_assert_uint_eq(out.ori, DDC_REQ_LOG);
	ck_assert_uint_eq(out.lid, 0x71);
	ck_assert_uint_eq(out.lsp, 1);
	ck_assert_uint_eq(out.tpdrpl, 12);
	for (size_t len = 0; len < n; len++)
		ck_assert_int_eq(ddc_req_decode(buf, len, &out), -EPROTO);
}
END_TEST

START_TEST(ddc_request_zonegroup_fields_are_bounded_strings)
{
	struct ddc_req in = {.ori = DDC_REQ_AAZ, .tid = 7}, out;
	uint8_t buf[DDC_REQ_READ];

	memset(in.zgorig, 'o', DDC_REQ_ZGORIG_MAX);
	snprintf(in.zgname, sizeof(in.zgname), "zg1");
	size_t n = ddc_req_encode(&in, buf, sizeof(buf));
	ck_assert_uint_eq(n, 8 + 258);
	memset(buf + 8 + 4 + DDC_REQ_ZGORIG_MAX, 'x', 1); /* ZGORIG without its NUL */
	ck_assert_int_eq(ddc_req_decode(buf, n, &out), 0);
	ck_assert_uint_eq(out.tid, 7);
	ck_assert_uint_eq(strlen(out.zgorig), DDC_REQ_ZGORIG_MAX);
	ck_assert_str_eq(out.zgname, "zg1");
	ck_assert_int_eq(ddc_req_decode(buf, n - 1, &out), -EPROTO);
	buf[0] = 0;
	ck_assert_int_eq(ddc_req_decode(buf, n, &out), -ENOENT);
	buf[0] = 5;
	ck_assert_int_eq(ddc_req_decode(buf, n, &out), -EPROTO);
}
END_TEST

START_TEST(sdlp_puts_tlid_tlsp_status_and_rlps_in_cdw10)
{
	struct nvme_sqe sqe;

	sdlp_sqe(&sqe, 0x71, 0x1, SDLP_VALID, 0, 2048);
	ck_assert_uint_eq(sqe.opcode, 0x39);
	ck_assert_uint_eq(sqe.cdw[10], 0x171);
	ck_assert_uint_eq(sqe.cdw[11], 512);
	sdlp_sqe(&sqe, 0x70, 0, SDLP_FAILED, nvme_status(NVME_SCT_GENERIC, 0x04, false), 0);
	ck_assert_uint_eq(sqe.cdw[10], 0x70u | 0x04u << 17 | 3u << 30);
	ck_assert_uint_eq(sqe.cdw[11], 0);
}
END_TEST

static Suite *nvmf_tcp_suite(void)
{
	Suite *s = suite_create("nvmf_tcp");
	TCase *tc = tcase_create("codec");

	tcase_add_test(tc, crc32c_of_123456789_is_the_castagnoli_check_value);
	tcase_add_test(tc, crc32c_can_be_computed_in_pieces);
	tcase_add_test(tc, icresp_encodes_to_the_appendix_a_bytes);
	tcase_add_test(tc, icreq_and_icresp_round_trip);
	tcase_add_test(tc, connect_success_response_matches_appendix_a);
	tcase_add_test(tc, connect_invalid_subnqn_response_matches_appendix_a);
	tcase_add_test(tc, property_get_cap_response_matches_appendix_a);
	tcase_add_test(tc, aen_completion_matches_appendix_a);
	tcase_add_test(tc, capsule_response_with_header_digest_carries_hdgstf_and_crc);
	tcase_add_test(tc, cqe_status_goes_on_the_wire_shifted_left_with_phase_zero);
	tcase_add_test(tc, c2hdata_header_for_identify_matches_appendix_a);
	tcase_add_test(tc, c2hdata_with_digests_accounts_for_them_in_pdo_and_plen);
	tcase_add_test(tc, r2t_encodes_its_fields_and_passes_the_host_check);
	tcase_add_test(tc, command_round_trips_with_and_without_digests_and_data);
	tcase_add_test(tc, sqe_decode_then_encode_gives_back_the_same_bytes);
	suite_add_tcase(s, tc);

	tc = tcase_create("check");
	tcase_add_test(tc, pdu_check_needs_every_byte_before_it_accepts);
	tcase_add_test(tc, pdu_parse_of_a_partial_pdu_is_eagain);
	tcase_add_test(tc, unknown_pdu_type_is_fes1_fei0);
	tcase_add_test(tc, pdus_only_a_host_receives_are_refused_by_the_controller);
	tcase_add_test(tc, wrong_hlen_is_fei2);
	tcase_add_test(tc, icreq_plen_other_than_128_is_fei4);
	tcase_add_test(tc, icreq_with_pdo_is_fei3);
	tcase_add_test(tc, header_digest_flag_must_match_the_negotiation_fei1);
	tcase_add_test(tc, data_digest_flag_must_match_the_negotiation_fei1);
	tcase_add_test(tc, plen_other_than_the_header_for_a_pdu_without_data_is_fei4);
	tcase_add_test(tc, pdo_inside_the_header_is_fei3);
	tcase_add_test(tc, pdo_not_a_multiple_of_4_is_fei3);
	tcase_add_test(tc, data_on_a_pdu_type_without_data_is_fei3);
	tcase_add_test(tc, empty_data_after_a_pdo_is_fei4);
	tcase_add_test(tc, in_capsule_data_over_max_icd_is_fes5);
	tcase_add_test(tc, termreq_plen_outside_24_to_152_is_fei4);
	suite_add_tcase(s, tc);

	tc = tcase_create("parse");
	tcase_add_test(tc, bad_header_digest_is_eproto_fes3);
	tcase_add_test(tc, bad_data_digest_fails_the_command_not_the_connection);
	tcase_add_test(tc, good_digests_are_accepted);
	tcase_add_test(tc, icreq_with_flags_is_parsed_within_its_128_bytes);
	tcase_add_test(tc, termreq_pdo_and_flags_never_point_parse_outside_the_pdu);
	suite_add_tcase(s, tc);

	tc = tcase_create("kickstart");
	tcase_add_test(tc, kdreq_is_accepted_only_where_kickstart_is_allowed);
	tcase_add_test(tc, kdreq_header_checks_hlen_pdo_and_whole_records);
	tcase_add_test(tc, kdreq_records_decode_to_canonical_ports);
	tcase_add_test(tc, kdreq_records_that_cannot_be_used_are_skipped);
	tcase_add_test(tc, kdreq_numkr_must_match_plen);
	tcase_add_test(tc, kdresp_carries_status_reason_and_the_nqn_at_10);
	suite_add_tcase(s, tc);

	tc = tcase_create("ddc_request");
	tcase_add_test(tc, ddc_request_log_round_trips_and_every_truncation_is_refused);
	tcase_add_test(tc, ddc_request_zonegroup_fields_are_bounded_strings);
	tcase_add_test(tc, sdlp_puts_tlid_tlsp_status_and_rlps_in_cdw10);
	suite_add_tcase(s, tc);

	tc = tcase_create("termreq");
	tcase_add_test(tc, termreq_puts_fes_at_8_and_fei_unaligned_at_10);
	tcase_add_test(tc, termreq_copies_at_most_128_header_bytes);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(nvmf_tcp_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
