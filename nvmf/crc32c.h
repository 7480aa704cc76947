/* crc32c.h - CRC32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum NVMe/TCP
 * digests are made of. Pure: the queue folds it over scattered buffers, the codec over one. */
#ifndef CDC_CRC32C_H
#define CDC_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Continues crc over buf: start with ~0 and invert the result for a digest. */
uint32_t crc32c(uint32_t crc, const void *buf, size_t len);

#endif
