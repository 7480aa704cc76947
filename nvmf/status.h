/* status.h - NVMe completion status in libnvme's form ((DNR 0x4000) | SCT << 8 | SC): how
 * it is built, how it goes on the wire, and the names the metrics give it. Pure. */
#ifndef CDC_STATUS_H
#define CDC_STATUS_H

#include <stdbool.h>
#include <stdint.h>

/* SCT and SC, bits 10:0 of a status: what identifies it, without DNR and More. */
#define NVME_STATUS_CODE_MASK 0x7ff

/* NVMe status, libnvme form (see struct nvme_cqe): DNR is bit 14, SCT bits 10:8. */
static inline uint16_t nvme_status(uint16_t sct, uint16_t sc, bool dnr)
{
	return (uint16_t)(sct << 8 | sc | (dnr ? 0x4000 : 0));
}

/* The CQE's status field: the phase tag takes bit 0. */
static inline uint16_t nvme_status_wire(uint16_t status)
{
	return (uint16_t)(status << 1);
}

/* libnvme's name of a status cdcd sends, in lower case ("invalid_field"), DNR ignored;
 * NULL for any other. */
const char *nvme_status_name(uint16_t status);

#endif
