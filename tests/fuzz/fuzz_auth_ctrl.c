/* fuzz_auth_ctrl.c - libFuzzer target for the controller's DH-HMAC-CHAP transaction: the
 * input is a sequence of Authentication Send and Receive commands, each a record
 * [op u8][len le16][len bytes]: op bit 0 set sends the bytes as a message, clear asks for a
 * Receive with len as its allocation length. Whatever the order, a Receive never returns
 * more than it may, and a failed transaction stays failed. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth_ctrl.h"
#include "auth_keys.h"
#include "log.h"

#define HOSTNQN "nqn.2014-08.org.nvmexpress:uuid:0c3e8a5f-4a7e-4b5d-9d1e-2f9a3c1b7e64"
#define SUBNQN	"nqn.2014-08.org.nvmexpress.discovery"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct auth_keys keys;
/* The NULL group first: most inputs then cost no exponentiation. */
static const uint8_t hashes[] = {1, 2, 3}, groups[] = {0, 1};
static const struct auth_prefs prefs = {hashes, 3, groups, 2};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char text[] =
		"[host " HOSTNQN "]\n"
		"dhchap-key = DHHC-1:00:ia6zGodOr4SEG0Zzaw398rpY0wqipUWj4jWjUh4HWUz6aQ2n:\n"
		"dhchap-ctrl-key = DHHC-1:01:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR:\n";
	char err[256];

	(void)argc;
	(void)argv;
	log_open(true, LOG_EMERG); /* refusals are the normal case here */
	if (auth_keys_parse(&keys, "fuzz", text, sizeof(text) - 1, err, sizeof(err)))
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct auth_ctrl *a =
		auth_ctrl_new(auth_keys_find(&keys, HOSTNQN), HOSTNQN, SUBNQN, &prefs);
	static uint8_t buf[65536 + 16];
	bool failed = false;

	if (!a)
		abort();
	while (size >= 3) {
		uint8_t op = data[0];
		size_t len = (size_t)data[1] | (size_t)data[2] << 8;
		data += 3;
		size -= 3;
		if (op & 1) {
			if (len > size)
				len = size;
			auth_ctrl_send(a, data, len);
			data += len;
			size -= len;
		} else {
			memset(buf + len, 0xa5, 16);
			int n = auth_ctrl_receive(a, buf, len);
			if (n > (int)len || (n < 0 && n != -ENOSPC))
				abort();
			for (int i = 0; i < 16; i++) /* nothing written past the allocation */
				if (buf[len + (size_t)i] != 0xa5)
					abort();
		}
		enum auth_ctrl_result r = auth_ctrl_result(a);
		if (failed && r != AUTH_CTRL_FAILED)
			abort();
		failed = r == AUTH_CTRL_FAILED;
	}
	auth_ctrl_free(a);
	return 0;
}
