/* fuzz_config.c - libFuzzer target for the cdcd.conf parser: any input must be refused cleanly or
 * loaded, and a loaded configuration must dump to text that loads back equal. The same bytes are
 * also fed to the single-value parsers (listen, port, NQN). */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool ports_equal(const struct cdc_port *a, const struct cdc_port *b)
{
	return a->trtype == b->trtype && a->adrfam == b->adrfam && a->treq == b->treq &&
	       a->sectype == b->sectype && a->portid == b->portid &&
	       !strcmp(a->traddr, b->traddr) && !strcmp(a->trsvcid, b->trsvcid);
}

/* Members compare as bytes: the parser leaves what a type does not name zero. */
static bool zoning_equal(const struct cdc_config *a, const struct cdc_config *b)
{
	if (a->nzonegroups != b->nzonegroups || a->nzonealiases != b->nzonealiases)
		return false;
	for (size_t i = 0; i < a->nzonegroups; i++) {
		const struct cdc_zonegroup *x = &a->zonegroups[i], *y = &b->zonegroups[i];
		if (strcmp(x->name, y->name) || x->active != y->active || x->nzones != y->nzones)
			return false;
		for (size_t j = 0; j < x->nzones; j++)
			if (strcmp(x->zones[j].name, y->zones[j].name) ||
			    x->zones[j].nmembers != y->zones[j].nmembers ||
			    (x->zones[j].nmembers &&
			     memcmp(x->zones[j].members, y->zones[j].members,
				    x->zones[j].nmembers * sizeof(struct zone_member))))
				return false;
	}
	for (size_t i = 0; i < a->nzonealiases; i++) {
		const struct cdc_zonealias *x = &a->zonealiases[i], *y = &b->zonealiases[i];
		if (strcmp(x->name, y->name) || x->nmembers != y->nmembers ||
		    (x->nmembers &&
		     memcmp(x->members, y->members, x->nmembers * sizeof(*x->members))))
			return false;
	}
	return true;
}

static bool configs_equal(const struct cdc_config *a, const struct cdc_config *b)
{
	size_t i, j;

	if (a->nlisten != b->nlisten || strcmp(a->state_dir, b->state_dir) ||
	    strcmp(a->nqn, b->nqn) || a->idle_timeout != b->idle_timeout ||
	    a->icreq_timeout != b->icreq_timeout || a->max_connections != b->max_connections ||
	    a->log_level != b->log_level || a->nsubsys != b->nsubsys ||
	    a->nreferrals != b->nreferrals)
		return false;
	for (i = 0; i < a->nlisten; i++)
		if (strcmp(a->listen[i].text, b->listen[i].text) ||
		    a->listen[i].sslen != b->listen[i].sslen ||
		    memcmp(&a->listen[i].ss, &b->listen[i].ss, a->listen[i].sslen))
			return false;
	for (i = 0; i < a->nsubsys; i++) {
		if (strcmp(a->subsys[i].nqn, b->subsys[i].nqn) ||
		    a->subsys[i].nports != b->subsys[i].nports)
			return false;
		for (j = 0; j < a->subsys[i].nports; j++)
			if (!ports_equal(&a->subsys[i].ports[j], &b->subsys[i].ports[j]))
				return false;
	}
	for (i = 0; i < a->nreferrals; i++)
		if (strcmp(a->referrals[i].nqn, b->referrals[i].nqn) ||
		    !ports_equal(&a->referrals[i].port, &b->referrals[i].port))
			return false;
	return zoning_equal(a, b);
}

static void round_trip(const struct cdc_config *cfg)
{
	struct cdc_config back;
	char err[512], *text = NULL;
	size_t len = 0;
	FILE *f;

	f = open_memstream(&text, &len);
	if (!f)
		return;
	config_dump(cfg, f);
	if (fclose(f))
		abort();
	config_defaults(&back);
	if (config_load_buffer(&back, "dump", text, len, err, sizeof(err))) {
		fprintf(stderr, "dump does not load: %s\n%s", err, text);
		abort();
	}
	if (!configs_equal(cfg, &back)) {
		fprintf(stderr, "dump loads back different:\n%s", text);
		abort();
	}
	config_free(&back);
	free(text);
}

static void single_values(const uint8_t *data, size_t size)
{
	struct cdc_listen l;
	struct cdc_port port;
	char err[512], *s;

	s = malloc(size + 1);
	if (!s)
		return;
	memcpy(s, data, size);
	s[size] = '\0';
	addr_parse_listen(s, &l);
	addr_parse_port(s, "4420", &port, err, sizeof(err));
	nqn_is_valid(s);
	struct zone_member m;
	char text[1024];
	if (!config_parse_member(s, false, &m, err, sizeof(err))) {
		/* A member that parses is written in a form that parses back to it. */
		struct zone_member back;
		config_format_member(&m, text, sizeof(text));
		if (config_parse_member(text, false, &back, err, sizeof(err)) ||
		    memcmp(&m, &back, sizeof(m)))
			abort();
	}
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cdc_config cfg;
	char err[512];

	config_defaults(&cfg);
	if (!config_load_buffer(&cfg, "fuzz", (const char *)data, size, err, sizeof(err)))
		round_trip(&cfg);
	else if (!err[0])
		abort(); /* a refusal must say why */
	config_free(&cfg);

	single_values(data, size);
	return 0;
}
