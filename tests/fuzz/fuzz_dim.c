/* fuzz_dim.c - libFuzzer target for the DIM data parser: the first 4 bytes are CDW10, the rest
 * the command data. Any input must be refused with one of the three documented statuses or
 * parse into entries whose every field can be read; the entry keys are compared as well. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <nvme/types.h>

#include "addr.h"
#include "dim.h"
#include "nvmf_tcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reads every byte of s up to its NUL, which must come within size. */
static size_t touch_str(const char *s, size_t size)
{
	size_t n = strnlen(s, size);

	if (n == size)
		abort();
	return n;
}

static size_t touch_entry(const struct dim_request *req, const struct dim_entry *de)
{
	size_t sum = de->traddr_from_peer;

	if (de->is_host) {
		const struct host_rec *h = &de->host;

		if (strcmp(h->hostnqn, req->entity.nqn) || h->trtype != NVMF_TRTYPE_TCP)
			abort();
		if (de->traddr_from_peer != !h->traddr[0])
			abort();
		sum += touch_str(h->hostnqn, sizeof(h->hostnqn)) + h->source + h->trtype +
		       h->adrfam + h->sectype + touch_str(h->traddr, sizeof(h->traddr)) +
		       touch_str(h->trsvcid, sizeof(h->trsvcid)) +
		       touch_str(h->symname, sizeof(h->symname));
		for (size_t i = 0; i < sizeof(h->hostid); i++)
			sum += h->hostid[i];
		if (!dim_host_key_match(h, h))
			abort();
	} else {
		const struct log_rec *r = &de->rec;
		const struct cdc_port *p = &r->port;

		if (!nqn_is_valid(r->subnqn) || strcmp(r->owner, req->entity.nqn) ||
		    !p->traddr[0] || !p->trsvcid[0] || de->traddr_from_peer)
			abort();
		sum += touch_str(r->owner, sizeof(r->owner)) + r->source + r->subtype + r->asqsz +
		       touch_str(r->subnqn, sizeof(r->subnqn)) + p->trtype + p->adrfam + p->treq +
		       p->sectype + p->portid + touch_str(p->traddr, sizeof(p->traddr)) +
		       touch_str(p->trsvcid, sizeof(p->trsvcid));
		if (!dim_rec_key_match(req->ektype, r, r))
			abort();
	}
	return sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint16_t invalid_field = nvme_status(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD, true);
	const uint16_t invalid_info =
		nvme_status(NVME_SCT_CMD_SPECIFIC, NVME_SC_INVALID_DISCOVERY_INFO, true);
	const uint16_t no_resources =
		nvme_status(NVME_SCT_CMD_SPECIFIC, NVME_SC_INSUFFICIENT_DISC_RES, false);
	struct dim_request req;
	volatile size_t sink = 0;
	uint32_t cdw10, err_off;
	uint16_t st;

	if (size < 4 || size - 4 > UINT32_MAX)
		return 0;
	cdw10 = get_le32(data);
	st = dim_parse(cdw10, data + 4, (uint32_t)(size - 4), 64, &req, &err_off);
	if (st) {
		if (st != invalid_field && st != invalid_info && st != no_resources)
			abort();
		if (req.entries || req.nument)
			abort();
		return 0;
	}
	if (!req.nument || req.nument > 64 || !req.entries || req.tas > NVMF_DIM_TAS_UPDATE ||
	    !nqn_is_valid(req.entity.nqn) || req.entity.etype != req.etype)
		abort();
	sink += touch_str(req.entity.ename, sizeof(req.entity.ename)) +
		touch_str(req.entity.ever, sizeof(req.entity.ever)) + req.entfmt + req.ektype +
		req.portlcl;
	for (size_t i = 0; i < req.nument; i++)
		sink += touch_entry(&req, &req.entries[i]);
	if (req.nument > 1 && !req.entries[0].is_host)
		sink += dim_rec_key_match(req.ektype, &req.entries[0].rec, &req.entries[1].rec);
	if (req.nument > 1 && req.entries[0].is_host)
		sink += dim_host_key_match(&req.entries[0].host, &req.entries[1].host);
	dim_request_free(&req);
	(void)sink;
	return 0;
}
