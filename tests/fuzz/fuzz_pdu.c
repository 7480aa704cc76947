/* fuzz_pdu.c - libFuzzer target for the controller's receive path: the input is a byte stream
 * arriving on an admin queue (the first byte picks the negotiated digests: bit 0 header, bit 1
 * data; bit 2 lets a Kickstart KDReq through). PDUs are cut out with nvmf_tcp_pdu_check and
 * nvmf_tcp_pdu_parse as the queue does, and every CapsuleCmd is decoded and run on one discovery
 * controller over a small fabric. Each PDU is copied to a buffer of exactly its length, so a read
 * past PLEN is caught. Invariants that do not hold abort: the common header alone decides
 * acceptance, a TermReq built from a refusal is one the host accepts, data lies inside its PDU,
 * AENs carry 0x0070F002. */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "config.h"
#include "disc_ctrl.h"
#include "fabric.h"
#include "fuzz_fabric.h"
#include "kickstart.h"
#include "log.h"
#include "nvmf_tcp.h"

#define FUZZ_NQN     "nqn.2024-01.com.example:cdc:fuzz"
#define FUZZ_MAX_ICD 8192    /* QUEUE_MAX_ICD */
#define FUZZ_MAXH2C  0x20000 /* QUEUE_MAXH2CDATA */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Built once: what the fabric contributes does not depend on the input. */
static struct cdc_config cfg;
static struct cdc_listen local, peer;

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_pdu: %s\n", what);
	abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_open(true, LOG_ERR);
	config_defaults(&cfg);
	if (fuzz_fabric(&cfg))
		fail("cannot build the fabric");
	/* The host reached the wildcard listener 0.0.0.0:8009 on this address. */
	if (addr_parse_listen("192.0.2.1:8009", &local) ||
	    addr_parse_listen("192.0.2.200:40000", &peer))
		fail("cannot parse addresses");
	return 0;
}

struct session {
	struct nvmf_tcp_limits lim;
	struct fabric fabric;
	struct disc_svc svc;
	struct disc_ctrl *ctrl;
	unsigned int aens;
};

static void aen_complete(void *arg, uint16_t cid, const struct nvme_cqe *cqe)
{
	struct session *s = arg;

	(void)cid;
	if (cqe->dw0 != DISC_AEN_LOG_CHANGE)
		fail("AEN with the wrong DW0");
	s->aens++;
}

static const struct disc_ctrl_ops ops = {.complete = aen_complete};

/* What the queue puts on the wire for a finished command, encoded and checked. */
static void respond(struct session *s, const struct nvme_sqe *sqe, struct disc_cmd *cmd)
{
	uint8_t out[NVME_TCP_DATA_HLEN + 2 * NVME_TCP_DIGEST_LEN];
	struct nvme_cqe cqe = cmd->cqe, back;
	if (cmd->rdata) {
		/* Every byte the controller claims to have written must be there: the digest
		 * reads them all, so ASan sees an overrun. */
		(void)nvme_tcp_digest(cmd->rdata, cmd->rlen);
		for (size_t i = 0; i < cmd->npieces; i++)
			(void)nvme_tcp_digest(cmd->pieces[i].p, cmd->pieces[i].len);
		if (cmd->cqe.status == 0) {
			uint32_t len = disc_cmd_data_len(cmd);
			len = len < sqe->sgl_len ? len : sqe->sgl_len;
			nvme_tcp_data_hdr_encode(NVME_TCP_C2H_DATA, NVME_TCP_F_DATA_LAST, sqe->cid,
						 0, 0, len, s->lim.hdgst, s->lim.ddgst, out);
		}
	}
	disc_cmd_release(cmd);

	cqe.cid = sqe->cid;
	if (cqe.status & 0x8000)
		fail("status does not fit in 15 bits");
	size_t n = nvme_tcp_rsp_encode(&cqe, s->lim.hdgst, out);
	nvme_cqe_decode(out + NVME_TCP_CH_LEN, &back);
	if (back.status != cqe.status || back.dw0 != cqe.dw0 || back.dw1 != cqe.dw1 ||
	    back.cid != cqe.cid)
		fail("CQE does not round trip");
	struct nvmf_tcp_limits host = {.hdgst = s->lim.hdgst, .ddgst = s->lim.ddgst};
	uint16_t fes;
	uint32_t fei;
	if (nvmf_tcp_pdu_check(out, n, &host, &fes, &fei) != (ssize_t)n)
		fail("our CapsuleResp is refused by a host");
}

static void exec(struct session *s, const struct nvme_sqe *sqe, const uint8_t *data,
		 uint32_t data_len)
{
	struct disc_cmd cmd = {.sqe = *sqe, .data = data, .data_len = data_len};

	if (disc_ctrl_exec(s->ctrl, &cmd) == DISC_HELD) {
		if (cmd.rdata)
			fail("a held command returned data");
		return;
	}
	respond(s, sqe, &cmd);
	/* A Keep Alive stands in for a registration arriving between two commands. */
	if (sqe->opcode == nvme_admin_keep_alive) {
		s->fabric.genctr++;
		disc_svc_log_changed(&s->svc);
	}
}

/* Where the command's data is, per its SGL, as queue.c decides it. */
static void capsule(struct session *s, const struct nvmf_tcp_pdu *pdu)
{
	struct nvme_sqe sqe;

	nvme_sqe_decode(pdu->hdr + NVME_TCP_CH_LEN, &sqe);
	if (!pdu->ddgst_ok)
		return; /* failed with a transient transport error, never executed */
	bool write = nvme_cmd_is_write(&sqe);

	if (sqe.sgl_id == NVME_SGL_INCAPSULE) {
		if (!write || sqe.sgl_addr > pdu->data_len ||
		    sqe.sgl_len > pdu->data_len - sqe.sgl_addr)
			return;
		/* An in-capsule SGL of length 0 on a PDU without data: no pointer to offset. */
		exec(s, &sqe, pdu->data ? pdu->data + sqe.sgl_addr : NULL, sqe.sgl_len);
		return;
	}
	if (sqe.sgl_len == 0 && !pdu->data_len) {
		exec(s, &sqe, NULL, 0);
		return;
	}
	if (sqe.sgl_id != NVME_SGL_TRANSPORT || pdu->data_len)
		return;
	if (write && sqe.sgl_len)
		return; /* would wait for R2T/H2CData */
	exec(s, &sqe, NULL, 0);
}

/* A KDReq decodes to usable ports only, which encode back to the same request. */
static void kickstart(const struct nvmf_tcp_pdu *pdu)
{
	static uint8_t again[KDREQ_MAX_LEN];
	struct cdc_port ports[KDREQ_MAX_RECORDS];
	struct kdreq req, back;

	if (kdreq_decode(pdu->hdr, pdu->plen, "192.0.2.200", &req) < 0)
		return;
	if (req.nrec + req.skipped > KDREQ_MAX_RECORDS)
		fail("more KDReq records than allowed");
	for (size_t i = 0; i < req.nrec; i++) {
		ports[i] = req.rec[i].port;
		if (!ports[i].traddr[0] || !ports[i].trsvcid[0])
			fail("a KDReq record without address or port");
	}
	size_t n = kdreq_encode(ports, req.nrec, req.numdie, again);
	if (kdreq_decode(again, n, "192.0.2.200", &back) < 0 || back.nrec != req.nrec ||
	    back.skipped || memcmp(back.rec, req.rec, req.nrec * sizeof(req.rec[0])))
		fail("KDReq records do not round trip");
}

static void dispatch(struct session *s, const struct nvmf_tcp_pdu *pdu)
{
	struct nvme_tcp_data_hdr d;
	struct nvme_cqe cqe;

	if (pdu->type == NVME_TCP_KDREQ) {
		kickstart(pdu); /* its header is 12 bytes: not for the decoders below */
		return;
	}
	/* Every other accepted PDU has at least the 24-byte header these decoders read. */
	nvme_tcp_data_hdr_decode(pdu->hdr, &d);
	nvme_cqe_decode(pdu->hdr + NVME_TCP_CH_LEN, &cqe);
	switch (pdu->type) {
	case NVME_TCP_ICREQ: {
		struct nvme_tcp_ic ic;
		nvme_tcp_ic_decode(pdu->hdr, &ic);
		break;
	}
	case NVME_TCP_CMD:
		capsule(s, pdu);
		break;
	}
}

/* A refusal becomes a C2HTermReq that a host must accept as such. */
static void terminate(const uint8_t *p, size_t left, uint16_t fes, uint32_t fei)
{
	uint8_t out[NVME_TCP_TERM_HLEN + NVME_TCP_TERM_MAX_COPY];
	struct nvmf_tcp_limits host = {0};
	uint16_t f;
	uint32_t e;

	if (fes < NVME_TCP_FES_INVALID_PDU_HDR || fes > NVME_TCP_FES_UNSUPPORTED_PARAM)
		fail("refusal without a valid FES");
	if (fes == NVME_TCP_FES_INVALID_PDU_HDR && fei >= NVME_TCP_CH_LEN)
		fail("FEI outside the common header");
	size_t n = nvme_tcp_term_encode(NVME_TCP_C2H_TERM, fes, fei, p, left, out);
	if (n > sizeof(out) || nvmf_tcp_pdu_check(out, n, &host, &f, &e) != (ssize_t)n)
		fail("our TermReq is refused by a host");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct session s;

	if (!size)
		return 0;
	memset(&s, 0, sizeof(s));
	s.lim = (struct nvmf_tcp_limits){.hdgst = data[0] & 1,
					 .ddgst = data[0] & 2,
					 .kickstart = data[0] & 4,
					 .controller = true,
					 .max_icd = FUZZ_MAX_ICD,
					 .max_h2cdata = FUZZ_MAXH2C};
	fabric_init(&s.fabric);
	if (fabric_apply_config(&s.fabric, &cfg) != 1)
		fail("first apply did not change the fabric");
	disc_svc_init(&s.svc, FUZZ_NQN, &s.fabric, cfg.listen, cfg.nlisten);
	s.ctrl = disc_ctrl_new(&s.svc, (const struct sockaddr *)&local.ss,
			       (const struct sockaddr *)&peer.ss, &ops, &s);
	if (!s.ctrl)
		fail("out of memory");

	const uint8_t *p = data + 1;
	size_t left = size - 1;
	while (left) {
		uint16_t fes = 0, fes8 = 0;
		uint32_t fei = 0, fei8 = 0;
		ssize_t n = nvmf_tcp_pdu_check(p, left, &s.lim, &fes, &fei);

		/* The queue judges a PDU by its first 8 bytes before it has the rest. */
		if (left >= NVME_TCP_CH_LEN) {
			ssize_t n8 = nvmf_tcp_pdu_check(p, NVME_TCP_CH_LEN, &s.lim, &fes8, &fei8);
			if ((n8 < 0) != (n < 0) || (n8 < 0 && (fes8 != fes || fei8 != fei)))
				fail("the common header alone does not decide");
			if (n8 > 0 && n8 != n)
				fail("PDU length differs with more bytes");
		}
		if (n < 0) {
			terminate(p, left, fes, fei);
			break;
		}
		if (n == 0)
			break;
		if ((size_t)n > left || n < NVME_TCP_CH_LEN)
			fail("PDU length outside the input");

		uint8_t *buf = malloc((size_t)n);
		struct nvmf_tcp_pdu pdu;
		if (!buf)
			break;
		memcpy(buf, p, (size_t)n);
		int r = nvmf_tcp_pdu_parse(buf, (size_t)n, &s.lim, &pdu, &fes, &fei);
		if (r == 0) {
			if (pdu.plen != (uint32_t)n || pdu.hdr != buf || pdu.hlen > n)
				fail("parse disagrees with check");
			if (pdu.data && (pdu.data < buf + pdu.hlen || pdu.data_len > (size_t)n ||
					 pdu.data + pdu.data_len > buf + n))
				fail("data outside the PDU");
			dispatch(&s, &pdu);
		} else if (r != -EPROTO || fes != NVME_TCP_FES_HDR_DIGEST_ERR) {
			fail("parse refused what check accepted, not for its header digest");
		} else {
			terminate(buf, (size_t)n, fes, fei);
		}
		free(buf);
		if (r)
			break;
		p += n;
		left -= (size_t)n;
	}

	disc_ctrl_free(s.ctrl);
	fabric_free(&s.fabric);
	return 0;
}
