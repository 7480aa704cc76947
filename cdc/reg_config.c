/* reg_config.c - a configuration reload as a change: the file's subsystem ports, referrals
 * and listeners replace the configuration's share of log 70h, and its zone groups and
 * aliases the configuration's share of the zoning databases. It runs in a batch of its own
 * at once, so that the daemon serves the new file from the moment it was read.
 *
 * Zoning from the file. The groups (the CDC their originator) and aliases it declares are
 * built aside when the file is read, and the plan edits a copy of the fabric's databases to
 * match them: what the previous file declared and this one does not is removed, what is new
 * or different is set, and the groups are activated or deactivated as the file says. The
 * copy replaces the databases only if it differs, so reloading the same file changes
 * nothing and notifies nobody. The file is their store: they are not written to the
 * database, and a stored group or alias of the same name that the file takes over has its
 * row deleted, so that it does not come back once the file no longer declares it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "reg_zoning.h"
#include "registry.h"
#include "zone_json.h"

struct config_change {
	struct change c;
	char orig[CDC_NQN_MAX + 1]; /* the CDC's NQN: the configured groups' originator */
	struct zoning want;	    /* the file's groups and aliases */
	bool *active;		    /* per group of the file, in its order */
	char (*names)[ZONE_GROUP_NAME_MAX + 1];
	size_t ngroups;
};

/* Whether two texts are equal; a text that could not be made (ENOMEM) equals nothing, so
 * that the worst outcome is a change that changed nothing. Frees both. */
static bool same_text(char *a, char *b)
{
	bool same = a && b && !strcmp(a, b);

	free(a);
	free(b);
	return same;
}

static bool same_zones(const struct zone_group *a, const struct zone_group *b)
{
	return same_text(zone_list_text(a->zones, a->nzones), zone_list_text(b->zones, b->nzones));
}

/* A group or alias the store has that the file now declares: its row goes. */
static int unstore(struct stager *s, struct change *c, const char *orig, const char *group,
		   const char *alias)
{
	struct change_op op = {.kind = CHG_ZONING};

	snprintf(op.u.zoning.orig, sizeof(op.u.zoning.orig), "%s", orig ? orig : "");
	snprintf(op.u.zoning.group, sizeof(op.u.zoning.group), "%s", group ? group : "");
	snprintf(op.u.zoning.alias, sizeof(op.u.zoning.alias), "%s", alias ? alias : "");
	return stager_apply(s, c, &op);
}

/* The aliases of work made the file's: *changed says whether anything moved. */
static int apply_aliases(struct config_change *q, struct stager *s, struct zoning *work,
			 bool *changed)
{
	const struct fabric_zone_names *was = &s->f->cfg_zones;
	int err = 0;

	for (size_t i = 0; !err && i < was->naliases; i++) {
		if (zoning_alias_find(&q->want, was->aliases[i]) ||
		    !zoning_alias_find(work, was->aliases[i]))
			continue;
		err = zoning_alias_delete(work, was->aliases[i]);
		*changed = true;
	}
	for (size_t i = 0; !err && i < q->want.naliases; i++) {
		const struct zone_alias *a = q->want.aliases[i];
		const struct zone_alias *cur = zoning_alias_find(work, a->name);
		if (cur && !fabric_zonealias_configured(s->f, a->name))
			err = unstore(s, &q->c, NULL, NULL, a->name);
		if (err || (cur && same_text(zone_members_text(cur->members, cur->nmembers),
					     zone_members_text(a->members, a->nmembers))))
			continue;
		err = zoning_alias_set(work, a->name, a->members, a->nmembers);
		*changed = true;
	}
	return err;
}

/* The group of work made as the file says, active or not. */
static int apply_group(struct config_change *q, struct stager *s, struct zoning *work, size_t i,
		       bool *changed)
{
	const struct zone_group *g = zoning_group_find(&q->want, q->orig, q->names[i]);
	const struct zone_group *cur = zoning_group_find(work, q->orig, q->names[i]);
	struct zoning_change chg;
	int err = 0;

	if (!g)
		return -ENOENT; /* built from the same file: cannot happen */
	if (cur && !fabric_zonegroup_configured(s->f, q->orig, g->name))
		err = unstore(s, &q->c, q->orig, g->name, NULL);
	if (!err && !cur) {
		err = zoning_group_create(work, NULL, q->orig, g->name, NULL);
		*changed = true;
	}
	cur = zoning_group_find(work, q->orig, g->name);
	if (!err && cur && !same_zones(cur, g)) {
		err = zoning_group_set(work, NULL, q->orig, g->name, g->zones, g->nzones);
		*changed = true;
	}
	const struct zone_group *a = zoning_active_find(work, q->orig, g->name);
	char *before = a ? zone_list_text(a->zones, a->nzones) : NULL;
	if (!err && q->active[i]) {
		/* Activated again even if unchanged: an alias it names may have changed. */
		err = zoning_activate(work, NULL, q->orig, g->name, &chg);
		if (!err) {
			zoning_change_release(&chg);
			a = zoning_active_find(work, q->orig, g->name);
			if (!before ||
			    !same_text(strdup(before), zone_list_text(a->zones, a->nzones)))
				*changed = true;
		}
	} else if (!err && a) {
		err = zoning_deactivate(work, NULL, q->orig, g->name, &chg);
		if (!err)
			zoning_change_release(&chg);
		*changed = true;
	}
	free(before);
	return err;
}

static int plan_config(struct change *c, struct stager *s)
{
	struct config_change *q = (struct config_change *)c;
	const struct fabric_zone_names *was = &s->f->cfg_zones;
	struct zoning_change chg;
	bool changed = false;

	if (!q->ngroups && !q->want.naliases && !was->ngroups && !was->naliases)
		return 0; /* no zoning in this file nor in the one before */
	struct zoning *work = reg_zoning_copy(s->f);
	if (!work)
		return -ENOMEM;
	int err = apply_aliases(q, s, work, &changed);
	for (size_t i = 0; !err && i < was->ngroups; i++) {
		if (!strcmp(was->orig, q->orig) &&
		    zoning_group_find(&q->want, q->orig, was->groups[i]))
			continue;
		if (!zoning_group_find(work, was->orig, was->groups[i]))
			continue;
		err = zoning_deactivate(work, NULL, was->orig, was->groups[i], &chg);
		if (!err) {
			zoning_change_release(&chg);
			err = zoning_group_delete(work, NULL, was->orig, was->groups[i]);
		}
		changed = true;
	}
	for (size_t i = 0; !err && i < q->ngroups; i++)
		err = apply_group(q, s, work, i, &changed);
	if (err || !changed) {
		reg_zoning_drop(work);
		return err;
	}
	/* No row of its own: the key counter is what is stored. */
	err = reg_zoning_stage(s, c, work, NULL, NULL, NULL);
	if (err)
		return err;
	struct change_op j = change_journal_op("config", "", "zoning", "configured zone groups");
	return stager_apply(s, c, &j);
}

static void done_config(struct change *c, int err)
{
	struct config_change *q = (struct config_change *)c;

	if (err)
		log_err("configuration not applied: %s", strerror(-err));
	change_release(c);
	zoning_free(&q->want);
	free(q->active);
	free(q->names);
	free(q);
}

/* The file's zoning as databases of their own; the parser has checked it, so a refusal
 * here is the model's and is logged with the group's name. */
static int want_build(struct config_change *q, const struct cdc_config *cfg)
{
	int err = 0;

	zoning_init(&q->want, ZONE_POLICY_DENY);
	snprintf(q->orig, sizeof(q->orig), "%s", cfg->nqn);
	if (cfg->nzonegroups) {
		q->active = calloc(cfg->nzonegroups, sizeof(*q->active));
		q->names = calloc(cfg->nzonegroups, sizeof(*q->names));
		if (!q->active || !q->names)
			return -ENOMEM;
	}
	for (size_t i = 0; !err && i < cfg->nzonealiases; i++) {
		const struct cdc_zonealias *a = &cfg->zonealiases[i];
		err = zoning_alias_set(&q->want, a->name, a->members, a->nmembers);
		if (err)
			log_err("configuration: zone alias %s: %s", a->name, strerror(-err));
	}
	for (size_t i = 0; !err && i < cfg->nzonegroups; i++) {
		const struct cdc_zonegroup *g = &cfg->zonegroups[i];
		err = zoning_group_create(&q->want, NULL, q->orig, g->name, NULL);
		if (!err)
			err = zoning_group_set(&q->want, NULL, q->orig, g->name, g->zones,
					       g->nzones);
		if (err)
			log_err("configuration: zone group %s: %s", g->name, strerror(-err));
		memcpy(q->names[i], g->name, sizeof(q->names[i]));
		q->active[i] = g->active;
		q->ngroups = i + 1;
	}
	return err;
}

void registry_config_changed(struct registry *r, const struct cdc_config *cfg)
{
	struct config_change *q = calloc(1, sizeof(*q));
	struct change_op op = {.kind = CHG_CONFIG};
	int err = -ENOMEM;

	if (q) {
		change_init(&q->c, REG_CONFIG, "config", "", plan_config, done_config);
		op.u.cfg = fabric_cfg_new(cfg);
		err = want_build(q, cfg);
	}
	if (!err && (!op.u.cfg || change_add(&q->c, &op)))
		err = -ENOMEM;
	if (err) {
		if (err == -ENOMEM)
			log_err("cannot build the discovery log: %s", strerror(ENOMEM));
		fabric_cfg_free(op.u.cfg);
		if (q) {
			zoning_free(&q->want);
			free(q->active);
			free(q->names);
		}
		free(q);
		return;
	}
	registry_submit(r, &q->c);
	registry_flush(r);
}
