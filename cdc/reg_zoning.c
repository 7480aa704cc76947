/* reg_zoning.c - zoning edits as changes. The plan applies the edit to a copy of the zoning
 * databases (zoning.c decides what is allowed), and the change replaces the fabric's with the
 * copy: one swap, undone by swapping back, so activating a group is one atomic step for
 * every host. The rows it touched are written in the batch's transaction; at start the
 * databases are read back from them. */
#include "reg_zoning.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "log.h"
#include "registry.h"
#include "zone_json.h"

struct zoning_change_req {
	struct change c;
	struct zoning_req z;
	registry_zoning_cb cb;
	void *arg;
};

/* ---- edits on a copy ---- */

/* Whether a and b name the same endpoint elements with the same role. */
static bool member_equal(const struct zone_member *a, const struct zone_member *b)
{
	unsigned els = zone_member_elements(a->type);

	if (a->type != b->type)
		return false;
	if (a->type == ZMTYPE_ALIAS)
		return !strcmp(a->nqn, b->nqn);
	return a->role == b->role && (!(els & ZE_NQN) || !strcmp(a->nqn, b->nqn)) &&
	       (!(els & ZE_ADRFAM) || a->adrfam == b->adrfam) &&
	       (!(els & ZE_TRADDR) || !memcmp(a->traddr, b->traddr, sizeof(a->traddr))) &&
	       (!(els & ZE_IPPROTO) || a->ipproto == b->ipproto) &&
	       (!(els & ZE_TRSVCID) || a->trsvcid == b->trsvcid) &&
	       (!(els & ZE_PORTID) || a->portid == b->portid);
}

static ssize_t member_index(const struct zone_member *m, size_t n, const struct zone_member *x)
{
	for (size_t i = 0; i < n; i++)
		if (member_equal(&m[i], x))
			return (ssize_t)i;
	return -1;
}

/* A copy of members with x added (at the end) or removed: -EEXIST, -ENOENT, -ENOMEM. */
static int members_edit(const struct zone_member *m, size_t n, const struct zone_member *x,
			bool add, struct zone_member **out, size_t *nout)
{
	ssize_t at = member_index(m, n, x);

	if (add ? at >= 0 : at < 0)
		return add ? -EEXIST : -ENOENT;
	*nout = add ? n + 1 : n - 1;
	*out = calloc(n + 1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if ((ssize_t)i != at)
			(*out)[k++] = m[i];
	if (add)
		(*out)[k] = *x;
	return 0;
}

static ssize_t zone_index(const struct zone_group *g, const char *name)
{
	for (size_t i = 0; i < g->nzones; i++)
		if (!strcmp(g->zones[i].name, name))
			return (ssize_t)i;
	return -1;
}

/* The group's zones with zone q->zone created, deleted, or its members edited; set back
 * into the group (its generation moves). */
static int zone_edit(struct zoning *z, const struct zoning_req *q)
{
	const struct zone_group *g = zoning_group_find(z, q->orig, q->group);

	if (!g)
		return -ENOENT;
	ssize_t at = zone_index(g, q->zone);
	if (q->op == ZONING_ZONE_CREATE ? at >= 0 : at < 0)
		return q->op == ZONING_ZONE_CREATE ? -EEXIST : -ENOENT;
	struct zone *zs = calloc(g->nzones + 1, sizeof(*zs)), *edited = NULL;
	struct zone_member *members = NULL;
	size_t n = 0;
	int err = 0;
	if (!zs)
		return -ENOMEM;
	for (size_t i = 0; i < g->nzones; i++)
		if ((ssize_t)i != at || q->op != ZONING_ZONE_DEL)
			zs[n++] = g->zones[i]; /* shallow: zoning_group_set() copies */
	if (q->op == ZONING_ZONE_CREATE) {
		snprintf(zs[n].name, sizeof(zs[n].name), "%s", q->zone);
		n++;
	} else if (q->op != ZONING_ZONE_DEL) {
		edited = &zs[at];
		err = members_edit(edited->members, edited->nmembers, &q->member,
				   q->op == ZONING_MEMBER_ADD, &members, &edited->nmembers);
		edited->members = members;
	}
	if (!err)
		err = zoning_group_set(z, NULL, q->orig, q->group, zs, n);
	free(members);
	free(zs);
	return err;
}

static int alias_edit(struct zoning *z, const struct zoning_req *q)
{
	const struct zone_alias *al = zoning_alias_find(z, q->alias);
	struct zone_member *members = NULL;
	size_t n = 0;

	switch (q->op) {
	case ZONING_ALIAS_CREATE:
		return al ? -EEXIST : zoning_alias_set(z, q->alias, NULL, 0);
	case ZONING_ALIAS_DEL:
		return zoning_alias_delete(z, q->alias);
	default:
		break;
	}
	if (!al)
		return -ENOENT;
	if (zone_member_check(&q->member, true))
		return -EINVAL;
	int err = members_edit(al->members, al->nmembers, &q->member, q->op == ZONING_MEMBER_ADD,
			       &members, &n);
	if (!err)
		err = zoning_alias_set(z, q->alias, members, n);
	free(members);
	return err;
}

static int edit(struct zoning *z, const struct zoning_req *q)
{
	struct zoning_change chg;
	int err;

	switch (q->op) {
	case ZONING_GROUP_CREATE:
		return zoning_group_create(z, NULL, q->orig, q->group, NULL);
	case ZONING_GROUP_DEL:
		return zoning_group_delete(z, NULL, q->orig, q->group);
	case ZONING_ACTIVATE:
	case ZONING_DEACTIVATE:
		err = q->op == ZONING_ACTIVATE
			      ? zoning_activate(z, NULL, q->orig, q->group, &chg)
			      : zoning_deactivate(z, NULL, q->orig, q->group, &chg);
		if (!err)
			zoning_change_release(&chg);
		return err;
	case ZONING_ALIAS_CREATE:
	case ZONING_ALIAS_DEL:
		return alias_edit(z, q);
	case ZONING_MEMBER_ADD:
	case ZONING_MEMBER_DEL:
		if (q->alias[0])
			return alias_edit(z, q);
		/* fall through */
	case ZONING_ZONE_CREATE:
	case ZONING_ZONE_DEL:
		return zone_edit(z, q);
	}
	return -EINVAL;
}

static const char *op_name(enum zoning_op op)
{
	static const char *const names[] = {
		"zonegroup create",   "zonegroup del",	     "zone create",  "zone del",
		"member add",	      "member del",	     "alias create", "alias del",
		"zonegroup activate", "zonegroup deactivate"};

	return (size_t)op < sizeof(names) / sizeof(names[0]) ? names[op] : "?";
}

/* The journal's detail: the group (or alias), the zone, and the member as JSON. */
static void describe(const struct zoning_req *q, char *buf, size_t size)
{
	bool member = q->op == ZONING_MEMBER_ADD || q->op == ZONING_MEMBER_DEL;
	bool zone =
		!q->alias[0] && (member || q->op == ZONING_ZONE_CREATE || q->op == ZONING_ZONE_DEL);
	struct json_object *m = member ? zone_member_json(&q->member) : NULL;

	snprintf(buf, size, "%s%s%s%s%s", q->alias[0] ? q->alias : q->group, zone ? "/" : "",
		 zone ? q->zone : "", m ? " " : "",
		 m ? json_object_to_json_string_ext(m, JSON_C_TO_STRING_PLAIN) : "");
	json_object_put(m);
}

struct zoning *reg_zoning_copy(const struct fabric *f)
{
	struct zoning *z = malloc(sizeof(*z));

	if (z && zoning_clone(z, &f->zoning)) {
		free(z);
		return NULL;
	}
	return z;
}

void reg_zoning_drop(struct zoning *z)
{
	if (z) {
		zoning_free(z);
		free(z);
	}
}

int reg_zoning_stage(struct stager *s, struct change *c, struct zoning *work, const char *orig,
		     const char *group, const char *alias)
{
	struct change_op op = {.kind = CHG_ZONING};
	struct change_zoning *cz = &op.u.zoning;

	cz->z = work;
	snprintf(cz->orig, sizeof(cz->orig), "%s", orig ? orig : "");
	snprintf(cz->group, sizeof(cz->group), "%s", group ? group : "");
	snprintf(cz->alias, sizeof(cz->alias), "%s", alias ? alias : "");
	int err = stager_apply(s, c, &op); /* takes cz->z once it is installed */
	reg_zoning_drop(cz->z);
	return err;
}

static int plan_zoning(struct change *c, struct stager *s)
{
	const struct zoning_req *q = &((struct zoning_change_req *)c)->z;
	struct zoning *work = reg_zoning_copy(s->f);
	char detail[512];

	if (!work)
		return -ENOMEM;
	/* What the file declares is changed in the file, as the configured subsystems are. */
	bool on_alias = q->op == ZONING_ALIAS_CREATE || q->op == ZONING_ALIAS_DEL || q->alias[0];
	if (on_alias ? fabric_zonealias_configured(s->f, q->alias)
		     : fabric_zonegroup_configured(s->f, q->orig, q->group)) {
		reg_zoning_drop(work);
		c->verdict = -EROFS;
		return 0;
	}
	int err = edit(work, q);
	if (err) {
		reg_zoning_drop(work);
		if (err == -ENOMEM)
			return err;
		c->verdict = err; /* refused: nothing changes */
		return 0;
	}
	err = reg_zoning_stage(s, c, work, on_alias ? NULL : q->orig, on_alias ? NULL : q->group,
			       on_alias ? q->alias : NULL);
	if (err)
		return err;
	describe(q, detail, sizeof(detail));
	struct change_op j = change_journal_op("admin", c->peer, op_name(q->op), detail);
	return stager_apply(s, c, &j);
}

static void done_zoning(struct change *c, int err)
{
	struct zoning_change_req *q = (struct zoning_change_req *)c;

	if (q->cb)
		q->cb(q->arg, err);
	change_release(c);
	free(q);
}

int registry_zoning(struct registry *r, const struct zoning_req *z, registry_zoning_cb cb,
		    void *arg)
{
	struct zoning_change_req *q = calloc(1, sizeof(*q));

	if (!q)
		return -ENOMEM;
	change_init(&q->c, REG_ADMIN, "admin", "control socket", plan_zoning, done_zoning);
	q->z = *z;
	q->cb = cb;
	q->arg = arg;
	registry_submit(r, &q->c);
	return 0;
}

/* ---- the store ---- */

int reg_zoning_persist(struct store *st, const struct zoning *z, const struct change_zoning *cz)
{
	int err = store_counter_set(st, "zone_next_key", z->next_key);

	if (!err && cz->group[0]) {
		const struct zone_group *g = zoning_group_find(z, cz->orig, cz->group);
		const struct zone_group *a = zoning_active_find(z, cz->orig, cz->group);
		if (!g)
			return store_zone_group_del(st, cz->orig, cz->group);
		char *zones = zone_list_text(g->zones, g->nzones);
		char *active = a ? zone_list_text(a->zones, a->nzones) : NULL;
		struct store_zone_group row = {g->orig, g->name, g->key, g->gen, zones, active};
		err = !zones || (a && !active) ? -ENOMEM : store_zone_group_put(st, &row);
		free(zones);
		free(active);
	}
	if (!err && cz->alias[0]) {
		const struct zone_alias *al = zoning_alias_find(z, cz->alias);
		if (!al)
			return store_zone_alias_del(st, cz->alias);
		char *members = zone_members_text(al->members, al->nmembers);
		err = members ? store_zone_alias_put(st, al->name, members) : -ENOMEM;
		free(members);
	}
	return err;
}

int reg_zoning_unstore(struct store *st, const struct change_zoning *cz)
{
	int err = 0;

	if (cz->group[0])
		err = store_zone_group_del(st, cz->orig, cz->group);
	if (!err && cz->alias[0])
		err = store_zone_alias_del(st, cz->alias);
	return err;
}

static int load_alias(void *arg, const char *name, const char *text)
{
	struct zone_member *m;
	size_t n;
	int err = zone_members_from_text(text, &m, &n);

	if (!err)
		err = zoning_alias_set(arg, name, m, n);
	free(m);
	if (err)
		log_err("store: zone alias %s: %s", name, strerror(-err));
	return err;
}

static int load_group(void *arg, const struct store_zone_group *row)
{
	struct zone_group g = {.key = row->key, .gen = row->gen};
	int err = zone_list_from_text(row->zones, &g.zones, &g.nzones);

	snprintf(g.name, sizeof(g.name), "%s", row->name);
	snprintf(g.orig, sizeof(g.orig), "%s", row->orig);
	if (!err)
		err = zoning_group_restore(arg, &g);
	zone_list_free(g.zones, g.nzones);
	if (!err && row->active) {
		g.zones = NULL;
		g.nzones = 0;
		err = zone_list_from_text(row->active, &g.zones, &g.nzones);
		if (!err)
			err = zoning_active_restore(arg, &g);
		zone_list_free(g.zones, g.nzones);
	}
	if (err)
		log_err("store: zone group %s of %s: %s", row->name, row->orig, strerror(-err));
	return err;
}

int reg_zoning_load(struct store *st, struct zoning *z)
{
	struct store_zone_loader ld = {load_alias, load_group, z};
	uint64_t next_key = 0;
	int err = store_zone_load(st, &ld, &next_key);

	if (!err && next_key > z->next_key)
		z->next_key = next_key;
	return err;
}
