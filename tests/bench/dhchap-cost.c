/* dhchap-cost.c - what one DH-HMAC-CHAP transaction costs cdcd's event loop, per group:
 * the key pair made at AUTH_Negotiate and the shared secret derived at the Reply, each a
 * separate turn of the loop, and the HMACs of the response. Prints milliseconds per step,
 * the figures docs/performance.md gives. Usage: dhchap-cost [ROUNDS] */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "dhchap.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 20;
	uint8_t peer[DHCHAP_MAX_DHVLEN], own[DHCHAP_MAX_DHVLEN], z[DHCHAP_MAX_DHVLEN];
	uint8_t key[32] = {1}, c[64] = {2}, ca[64], r[64];

	if (rounds < 1)
		rounds = 1;
	printf("%-10s %12s %12s %12s\n", "group", "negotiate", "reply", "worst step");
	for (uint8_t g = DHCHAP_DH_NULL; g <= DHCHAP_FFDHE8192; g++) {
		size_t n = dhchap_dh_len(g);
		struct dhchap_dh *host = NULL, *ctrl;
		double neg = 0, rep = 0, worst = 0;

		if (g && (dhchap_dh_generate(g, &host) || dhchap_dh_public(host, peer, n)))
			return 1;
		for (int i = 0; i < rounds; i++) {
			double t0 = now_ms(), t1, t2;
			if (g && (dhchap_dh_generate(g, &ctrl) || dhchap_dh_public(ctrl, own, n)))
				return 1;
			t1 = now_ms();
			if ((g && dhchap_dh_shared(ctrl, peer, n, z)) ||
			    dhchap_augment(DHCHAP_SHA512, z, n, c, ca) ||
			    dhchap_host_response(DHCHAP_SHA512, key, sizeof(key), ca, 1, 1, 0,
						 "nqn.2014-08.org.nvmexpress:uuid:host",
						 "nqn.2014-08.org.nvmexpress.discovery", r))
				return 1;
			t2 = now_ms();
			if (g)
				dhchap_dh_free(ctrl);
			neg += t1 - t0;
			rep += t2 - t1;
			worst = t1 - t0 > worst ? t1 - t0 : worst;
			worst = t2 - t1 > worst ? t2 - t1 : worst;
		}
		dhchap_dh_free(host);
		printf("%-10s %9.3f ms %9.3f ms %9.3f ms\n", dhchap_dh_name(g), neg / rounds,
		       rep / rounds, worst);
	}
	return 0;
}
