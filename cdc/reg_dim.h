/* reg_dim.h - DIM commands as changes: who may register what (a host only itself, a DDC
 * only subsystems nobody else defines, nobody what the administrator declared), how entries
 * are found under the request's EKTYPE, and the NVMe status the command completes with. */
#ifndef CDC_REG_DIM_H
#define CDC_REG_DIM_H

#include <stdint.h>

struct dim_request;
struct disc_ctrl;
struct registry;

/* Takes the request's entries; the command completes through disc_ctrl_complete() once the
 * change is committed or refused. -ENOMEM if it could not be queued. */
int reg_dim_submit(struct registry *r, struct disc_ctrl *ctrl, uint16_t cid,
		   struct dim_request *dim);

#endif
