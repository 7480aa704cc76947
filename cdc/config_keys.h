/* config_keys.h - every key of cdcd.conf's [global] and [mdns] sections in one table: what
 * it takes, its bounds, its default and its help. The table drives the file parser, the
 * defaults, --dump-config, cdcd's command-line options and its --help. */
#ifndef CDC_CONFIG_KEYS_H
#define CDC_CONFIG_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "config.h"

enum key_section { KEY_GLOBAL, KEY_MDNS };

/* One pass of setting keys (a file, the defaults, the command line): where values go, and
 * whether a repeatable key has already replaced what came before in this pass. */
struct key_pass {
	struct cdc_config *cfg;
	bool listen_seen;
	char err[512]; /* why the last value was refused, without file or line */
};

struct config_key {
	enum key_section section;
	const char *name;
	const char *arg;  /* what the value is, for --help: SECONDS, N, PATH */
	const char *help; /* one line for --help */
	const char *def;  /* the default, as the file would say it; NULL: empty */
	int (*parse)(struct key_pass *kp, const struct config_key *k, const char *val);
	void (*dump)(const struct cdc_config *cfg, const struct config_key *k, FILE *out);
	size_t off;		/* the field in struct cdc_config */
	size_t size;		/* text fields: its size */
	unsigned long min, max; /* numbers */
	const char *hint;	/* numbers: what the range means, after it in a refusal */
	bool path;		/* on the command line, a relative path is from the working dir */
};

/* The table, in the order --dump-config writes and --help lists it. */
extern const struct config_key config_keys[];
extern const size_t config_nkeys;

/* The section's name in the file: "global", "mdns". */
const char *config_key_section(enum key_section s);

/* The key called name (any case) in section s, or NULL. */
const struct config_key *config_key_find(enum key_section s, const char *name);

/* Sets k from its text form. 0, or -EINVAL with kp->err saying why. */
int config_key_set(struct key_pass *kp, const struct config_key *k, const char *val);

/* Sets every key of cfg to its default. */
void config_keys_defaults(struct cdc_config *cfg);

/* Writes the keys of section s as the file would say them. */
void config_keys_dump(const struct cdc_config *cfg, enum key_section s, FILE *out);

/* k's command-line option without the dashes: the key's name for [global], "mdns-" and
 * the name for [mdns]. */
void config_key_option(const struct config_key *k, char *buf, size_t size);

#endif
