/* status.c - the names of the NVMe statuses cdcd sends (see status.h). */
#include "status.h"

#include <nvme/types.h>
#include <stddef.h>

#define STATUS(sct, sc) ((uint16_t)((sct) << 8 | (sc)))

/* What cdcd sends (disc_ctrl, dim, registry, queue), by libnvme's names. */
static const struct {
	uint16_t status;
	const char *name;
} status_names[] = {
	{STATUS(NVME_SCT_GENERIC, NVME_SC_INVALID_OPCODE), "invalid_opcode"},
	{STATUS(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD), "invalid_field"},
	{STATUS(NVME_SCT_GENERIC, NVME_SC_INTERNAL), "internal"},
	{STATUS(NVME_SCT_GENERIC, NVME_SC_CMD_SEQ_ERROR), "cmd_seq_error"},
	{STATUS(NVME_SCT_GENERIC, NVME_SC_SGL_INVALID_DATA), "sgl_invalid_data"},
	{STATUS(NVME_SCT_GENERIC, NVME_SC_SGL_INVALID_TYPE), "sgl_invalid_type"},
	{STATUS(NVME_SCT_GENERIC, NVME_SC_SGL_INVALID_OFFSET), "sgl_invalid_offset"},
	{STATUS(NVME_SCT_GENERIC, NVME_SC_TRAN_TPORT_ERROR), "tran_tport_error"},
	{STATUS(NVME_SCT_CMD_SPECIFIC, NVME_SC_ASYNC_LIMIT), "async_limit"},
	{STATUS(NVME_SCT_CMD_SPECIFIC, NVME_SC_FEATURE_NOT_SAVEABLE), "feature_not_saveable"},
	{STATUS(NVME_SCT_CMD_SPECIFIC, NVME_SC_INVALID_DISCOVERY_INFO), "invalid_discovery_info"},
	{STATUS(NVME_SCT_CMD_SPECIFIC, NVME_SC_INSUFFICIENT_DISC_RES), "insufficient_disc_res"},
	{STATUS(NVME_SCT_CMD_SPECIFIC, NVME_SC_CONNECT_FORMAT), "connect_format"},
	{STATUS(NVME_SCT_CMD_SPECIFIC, NVME_SC_CONNECT_CTRL_BUSY), "connect_ctrl_busy"},
	{STATUS(NVME_SCT_CMD_SPECIFIC, NVME_SC_CONNECT_INVALID_PARAM), "connect_invalid_param"},
	{STATUS(NVME_SCT_CMD_SPECIFIC, NVME_SC_CONNECT_INVALID_HOST), "connect_invalid_host"},
	{STATUS(NVME_SCT_CMD_SPECIFIC, NVME_SC_DISCONNECT_INVALID_QTYPE),
	 "disconnect_invalid_qtype"},
};

const char *nvme_status_name(uint16_t status)
{
	for (size_t i = 0; i < sizeof(status_names) / sizeof(status_names[0]); i++)
		if (status_names[i].status == (status & NVME_STATUS_CODE_MASK))
			return status_names[i].name;
	return NULL;
}
