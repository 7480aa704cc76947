/* fuzz_psk.c - libFuzzer target for what a peer or a key file hands the PSK code: a PSK identity
 * (from the ClientHello, before any key is proven) and an interchange key string. A parsed
 * identity must format back to the very bytes it came from; a parsed key must format back to
 * the string, and a refused one must leave nothing of the key behind. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "psk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct psk_identity id;
	struct psk_key k;
	char text[PSK_IDENTITY_MAX], key[PSK_INTERCHANGE_MAX];

	if (psk_identity_parse((const char *)data, size, &id) == 0) {
		int n = psk_identity_format(&id, text, sizeof(text));
		if (n < 0 || (size_t)n != size || memcmp(text, data, size))
			abort();
	}
	if (size < PSK_INTERCHANGE_MAX) {
		char in[PSK_INTERCHANGE_MAX];
		memcpy(in, data, size);
		in[size] = '\0';
		int r = psk_parse_interchange(in, &k);
		if (r == 0) {
			if (psk_format_interchange(&k, key, sizeof(key)) < 0)
				abort();
			/* base64 has one spelling per byte string but for the padding bits:
			 * the decoded key must at least encode to a key that parses the same */
			struct psk_key back;
			if (psk_parse_interchange(key, &back) || back.len != k.len ||
			    back.hash != k.hash || memcmp(back.key, k.key, k.len))
				abort();
		} else {
			static const struct psk_key zero;
			if (memcmp(&k, &zero, sizeof(k)))
				abort();
		}
	}
	return 0;
}
