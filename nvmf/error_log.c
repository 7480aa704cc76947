/* error_log.c - the Error Information log page of one controller (see error_log.h). */
#include "error_log.h"

#include <endian.h>
#include <nvme/types.h>
#include <stdlib.h>
#include <string.h>

#include "nvmf_tcp.h"

_Static_assert(sizeof(struct nvme_error_log_page) == ERROR_LOG_ENTRY, "entry size");

struct error_log {
	uint64_t count; /* errors recorded; entry N sits in slot N % ERROR_LOG_SLOTS */
	struct nvme_error_log_page slot[ERROR_LOG_SLOTS];
};

struct error_log *error_log_new(void)
{
	return calloc(1, sizeof(struct error_log));
}

void error_log_free(struct error_log *el)
{
	free(el);
}

void error_log_add(struct error_log *el, uint16_t cid, uint16_t status, uint16_t loc)
{
	struct nvme_error_log_page *e = &el->slot[++el->count % ERROR_LOG_SLOTS];

	*e = (struct nvme_error_log_page){
		.error_count = htole64(el->count),
		.sqid = 0, /* a discovery controller has the admin queue only */
		.cmdid = htole16(cid),
		.status_field = htole16(nvme_status_wire(status)),
		.parm_error_location = htole16(loc),
		.trtype = NVMF_TRTYPE_TCP,
	};
}

void error_log_read(const struct error_log *el, uint64_t off, uint8_t *dst, size_t len)
{
	uint8_t page[ERROR_LOG_LEN] = {0};
	uint64_t n = el ? el->count : 0;

	/* Newest first; slots never written stay zero (error count 0: no entry). */
	for (uint64_t i = 0; i < ERROR_LOG_SLOTS && i < n; i++)
		memcpy(page + i * ERROR_LOG_ENTRY, &el->slot[(n - i) % ERROR_LOG_SLOTS],
		       ERROR_LOG_ENTRY);
	memset(dst, 0, len);
	if (off < sizeof(page))
		memcpy(dst, page + off, len < sizeof(page) - off ? len : sizeof(page) - off);
}
