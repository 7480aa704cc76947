/* fuzz_fabric.h - the fabric the fuzz targets serve: two subsystems (one port requiring
 * TLS, one IPv6) and a referral, as a configuration file would declare them. */
#ifndef CDC_FUZZ_FABRIC_H
#define CDC_FUZZ_FABRIC_H

#include <string.h>

#include "config.h"

static const char fuzz_fabric_conf[] =
	"[subsystem nqn.2024-01.com.example:s1]\n"
	"port = traddr=192.0.2.10;portid=1\n"
	"port = traddr=192.0.2.11;portid=2;treq=required;sectype=tls13\n"
	"[subsystem nqn.2024-01.com.example:s2]\n"
	"port = traddr=2001:db8::20;portid=3\n"
	"[referral]\n"
	"entry = traddr=192.0.2.99\n";

/* Adds them to cfg (defaults or more); 0 or the parser's error. */
static inline int fuzz_fabric(struct cdc_config *cfg)
{
	char err[256];

	return config_load_buffer(cfg, "fuzz", fuzz_fabric_conf, strlen(fuzz_fabric_conf), err,
				  sizeof(err));
}

#endif
