/* disc_json.h - discovery log entries and fabric records as JSON, in nvme-cli's words
 * (nvme discover -o json), for the control API and the tests that compare with it. Pure. */
#ifndef CDC_DISC_JSON_H
#define CDC_DISC_JSON_H

#include <json-c/json.h>
#include <nvme/types.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

/* SUBTYPE in nvme-cli's words; TRTYPE, ADRFAM, TREQ and SECTYPE are addr_*_str(). */
const char *disc_subtype_str(uint8_t subtype);
/* "none", or the flags joined with ", " as nvme-cli prints them. */
const char *disc_eflags_str(uint16_t eflags, char *buf, size_t size);

/* One 70h entry as nvme-cli's JSON record. */
struct json_object *disc_entry_json(const struct nvmf_disc_log_entry *e);
/* A whole 70h log (header and entries, len bytes) as {"genctr", "records"}. */
struct json_object *disc_log_json(const uint8_t *log, size_t len);
/* A port as the control API shows it. */
struct json_object *disc_port_json(const struct cdc_port *p);

#endif
