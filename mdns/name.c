/* name.c - instance names: UTF-8 checks and cuts, the host-name default. */
#include "name.h"

#include <stdio.h>
#include <string.h>

/* Length of the well-formed UTF-8 sequence at s (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF), or 0 if there is none. */
static size_t utf8_seq_len(const unsigned char *s)
{
	size_t n, i;
	unsigned int cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1fu;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0fu;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07u;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3fu);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
}

bool mdns_name_valid(const char *name)
{
	const unsigned char *s = (const unsigned char *)name;
	size_t len = strlen(name), i, n;

	if (!len || len > MDNS_NAME_MAX)
		return false;
	for (i = 0; i < len; i += n) {
		if (s[i] < 0x20 || s[i] == 0x7f)
			return false;
		n = utf8_seq_len(s + i);
		if (!n)
			return false;
	}
	return true;
}

size_t mdns_utf8_truncate(char *s, size_t max)
{
	size_t len = strlen(s);

	if (len <= max)
		return len;
	/* Back up over continuation bytes to the start of the character that does not fit. */
	len = max;
	while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
		len--;
	s[len] = '\0';
	return len;
}

void mdns_name_default(const char *hostname, char *out, size_t size)
{
	char buf[2 * MDNS_NAME_MAX + 16]; /* never cut by snprintf: the cut is ours */
	size_t max = size - 1 < MDNS_NAME_MAX ? size - 1 : MDNS_NAME_MAX;

	if (hostname && *hostname)
		snprintf(buf, sizeof(buf), "nvme-cdc on %.*s", 2 * MDNS_NAME_MAX, hostname);
	else
		snprintf(buf, sizeof(buf), "nvme-cdc");
	mdns_utf8_truncate(buf, max);
	snprintf(out, size, "%s", buf);
}
