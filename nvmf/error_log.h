/* error_log.h - a controller's Error Information log (LID 01h): the last commands that
 * failed on a field the controller can point at, newest first, as Get Log Page returns
 * them (the location is the SQE byte, as kernel nvmet's error_loc). Pure: no I/O. */
#ifndef CDC_ERROR_LOG_H
#define CDC_ERROR_LOG_H

#include <stddef.h>
#include <stdint.h>

#define ERROR_LOG_SLOTS	 16 /* Identify ELPE is this minus one */
#define ERROR_LOG_ENTRY	 64
#define ERROR_LOG_LEN	 (ERROR_LOG_SLOTS * ERROR_LOG_ENTRY)
#define ERROR_LOG_NO_LOC 0xffff /* the failure has no SQE field to point at */

struct error_log;

struct error_log *error_log_new(void);
void error_log_free(struct error_log *el);

/* Records a failed admin command: its CID, libnvme-form status and SQE byte location. */
void error_log_add(struct error_log *el, uint16_t cid, uint16_t status, uint16_t loc);

/* Copies len bytes of the page from off (a multiple of 4 within ERROR_LOG_LEN) into dst,
 * zeros past the end. el may be NULL: a controller with no errors yet. */
void error_log_read(const struct error_log *el, uint64_t off, uint8_t *dst, size_t len);

#endif
