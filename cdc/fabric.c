/* fabric.c - the entries of the discovery log and GENCTR. Pure: no sockets, no SQL.
 * GENCTR moves only when what a host would read changes, so a reload that changes
 * nothing visible sends no AEN and a multi-command read sequence stays consistent. */
#include "fabric.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "disc_log.h"

void fabric_init(struct fabric *f)
{
	memset(f, 0, sizeof(*f));
}

static size_t config_entry_count(const struct cdc_config *cfg)
{
	size_t n = cfg->nreferrals;

	for (size_t i = 0; i < cfg->nsubsys; i++)
		n += cfg->subsys[i].nports;
	return n;
}

static void config_entries_fill(const struct cdc_config *cfg, struct nvmf_disc_log_entry *e)
{
	for (size_t i = 0; i < cfg->nsubsys; i++)
		for (size_t j = 0; j < cfg->subsys[i].nports; j++)
			disc_entry_fill(e++, NVME_NQN_NVME, &cfg->subsys[i].ports[j],
					cfg->subsys[i].nqn, 0);
	for (size_t i = 0; i < cfg->nreferrals; i++)
		disc_entry_fill(e++, NVME_NQN_DISC, &cfg->referrals[i].port, cfg->referrals[i].nqn,
				0);
}

static void listen_key_fill(const struct cdc_config *cfg, char *key, size_t size)
{
	size_t off = 0;

	key[0] = 0;
	for (size_t i = 0; i < cfg->nlisten && off < size; i++)
		off += (size_t)snprintf(key + off, size - off, "%s,", cfg->listen[i].text);
}

int fabric_apply_config(struct fabric *f, const struct cdc_config *cfg)
{
	size_t n = config_entry_count(cfg);
	struct nvmf_disc_log_entry *e = NULL;
	char key[sizeof(f->listen_key)];

	if (n) {
		e = calloc(n, sizeof(*e));
		if (!e)
			return -ENOMEM;
		config_entries_fill(cfg, e);
	}
	listen_key_fill(cfg, key, sizeof(key));

	bool same = n == f->nentries && !strcmp(key, f->listen_key) &&
		    (!n || !memcmp(e, f->entries, n * sizeof(*e)));
	if (same) {
		free(e);
		return 0;
	}
	free(f->entries);
	f->entries = e;
	f->nentries = n;
	memcpy(f->listen_key, key, sizeof(key));
	f->genctr++;
	return 1;
}

void fabric_free(struct fabric *f)
{
	free(f->entries);
	fabric_init(f);
}
