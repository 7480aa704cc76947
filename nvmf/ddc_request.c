/* ddc_request.c - log 73h and SDLP, at the offsets protocol.md §7.4 and §7.6 give. */
#include "ddc_request.h"

#include <errno.h>
#include <string.h>

enum { RQ_ORI = 0, RQ_TPDRPL = 4, RQ_OSP = 8 };
enum { OSP_LPRLID = 0, OSP_LPRLSP = 1, OSP_LOG_LEN = 4 };
enum { OSP_TID = 0, OSP_ZGORIG = 4, OSP_ZGNAME = 228, OSP_ZG_LEN = 258 };

static void text_get(char *dst, size_t size, const uint8_t *src, size_t len)
{
	const uint8_t *nul = memchr(src, '\0', len);

	if (nul)
		len = (size_t)(nul - src);
	while (len && src[len - 1] == ' ')
		len--;
	if (len >= size)
		len = size - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

int ddc_req_decode(const uint8_t *buf, size_t len, struct ddc_req *out)
{
	const uint8_t *osp = buf + RQ_OSP;

	memset(out, 0, sizeof(*out));
	if (len < RQ_OSP)
		return -EPROTO;
	out->ori = buf[RQ_ORI];
	out->tpdrpl = get_le32(buf + RQ_TPDRPL);
	switch (out->ori) {
	case 0:
		return -ENOENT;
	case DDC_REQ_LOG:
		if (len < RQ_OSP + OSP_LOG_LEN)
			return -EPROTO;
		out->lid = osp[OSP_LPRLID];
		out->lsp = osp[OSP_LPRLSP];
		return 0;
	case DDC_REQ_GAZ:
	case DDC_REQ_AAZ:
	case DDC_REQ_RAZ:
		if (len < RQ_OSP + OSP_ZG_LEN)
			return -EPROTO;
		out->tid = get_le32(osp + OSP_TID);
		text_get(out->zgorig, sizeof(out->zgorig), osp + OSP_ZGORIG,
			 OSP_ZGNAME - OSP_ZGORIG);
		text_get(out->zgname, sizeof(out->zgname), osp + OSP_ZGNAME,
			 OSP_ZG_LEN - OSP_ZGNAME);
		return 0;
	}
	return -EPROTO;
}

size_t ddc_req_encode(const struct ddc_req *r, uint8_t *out, size_t size)
{
	size_t len = RQ_OSP + (r->ori == DDC_REQ_LOG ? OSP_LOG_LEN : OSP_ZG_LEN);
	uint8_t *osp = out + RQ_OSP;

	if (size < len)
		return 0;
	memset(out, 0, len);
	out[RQ_ORI] = r->ori;
	put_le32(out + RQ_TPDRPL, (uint32_t)len);
	if (r->ori == DDC_REQ_LOG) {
		osp[OSP_LPRLID] = r->lid;
		osp[OSP_LPRLSP] = r->lsp;
	} else {
		put_le32(osp + OSP_TID, r->tid);
		memcpy(osp + OSP_ZGORIG, r->zgorig, strnlen(r->zgorig, DDC_REQ_ZGORIG_MAX));
		memcpy(osp + OSP_ZGNAME, r->zgname, strnlen(r->zgname, DDC_REQ_ZGNAME_MAX));
	}
	return len;
}

void sdlp_sqe(struct nvme_sqe *sqe, uint8_t lid, uint8_t lsp, enum sdlp_rlps rlps, uint16_t status,
	      uint32_t len)
{
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = NVME_ADMIN_SDLP;
	/* CDW10: TLID 7:0, TLSP 14:8, SC 24:17, SCT 27:25, RLPS 31:30. */
	sqe->cdw[10] = lid | (uint32_t)(lsp & 0x7f) << 8 | (uint32_t)(status & 0xff) << 17 |
		       (uint32_t)(status >> 8 & 7) << 25 | (uint32_t)rlps << 30;
	sqe->cdw[11] = len / 4; /* NDWS; CDW12/13, the offset, stay 0: the log goes whole */
}
