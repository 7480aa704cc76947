/* name.h - DNS-SD instance names for the mDNS announcement: at most 63 bytes of UTF-8
 * (RFC 6763 §4.1.1), cut only between characters. Pure: no avahi, no I/O, so the
 * configuration parser shares the check. */
#ifndef CDC_MDNS_NAME_H
#define CDC_MDNS_NAME_H

#include <stdbool.h>
#include <stddef.h>

#define MDNS_NAME_MAX 63 /* bytes, without the NUL */

/* Non-empty, at most MDNS_NAME_MAX bytes, well-formed UTF-8 with no control characters. */
bool mdns_name_valid(const char *name);

/* Cut s to at most max bytes without splitting a UTF-8 sequence; returns the new length. */
size_t mdns_utf8_truncate(char *s, size_t max);

/* "nvme-cdc on HOST" for a host name, cut to MDNS_NAME_MAX bytes; out holds at least
 * MDNS_NAME_MAX + 1 bytes. An empty host name gives "nvme-cdc". */
void mdns_name_default(const char *hostname, char *out, size_t size);

#endif
