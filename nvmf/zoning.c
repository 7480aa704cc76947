/* zoning.c - zone groups, zones, members and aliases, and the access decision (see zoning.h).
 * Every change is built aside and committed only once nothing can fail any more, so an error
 * leaves the databases as they were. */
#include "zoning.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <nvme/types.h>

/* One member of an active zone in the index, keyed by role, then NQN or (for the types that
 * name no NQN) address, then zone id and position: equal members stay distinct entries. */
struct zone_idx {
	RB_ENTRY(zone_idx) rb;
	uint8_t role;
	bool by_addr;
	uint8_t adrfam;
	const uint8_t *traddr;
	const char *nqn;
	uint64_t zone_id;
	uint32_t seq;
	const struct zone_member *m; /* NULL in a lookup probe */
};

/* An active group: the resolved copy and its index entries. group comes first, so the
 * struct zone_group a change hands out is the start of this allocation. */
struct zone_active {
	struct zone_group group;
	uint64_t first_id; /* zone i's id is first_id + i */
	size_t nidx;
	struct zone_idx *idx;
};

static int idx_cmp(const struct zone_idx *a, const struct zone_idx *b)
{
	int c;

	if (a->role != b->role)
		return a->role < b->role ? -1 : 1;
	if (a->by_addr != b->by_addr)
		return a->by_addr ? 1 : -1;
	if (a->by_addr) {
		if (a->adrfam != b->adrfam)
			return a->adrfam < b->adrfam ? -1 : 1;
		c = memcmp(a->traddr, b->traddr, 16);
	} else {
		c = strcmp(a->nqn, b->nqn);
	}
	if (c)
		return c;
	if (a->zone_id != b->zone_id)
		return a->zone_id < b->zone_id ? -1 : 1;
	if (a->seq != b->seq)
		return a->seq < b->seq ? -1 : 1;
	return 0;
}

RB_GENERATE_STATIC(zone_index, zone_idx, rb, idx_cmp)

uint32_t zoning_gen_next(uint32_t gen)
{
	return gen == UINT32_MAX ? 1 : gen + 1;
}

unsigned zone_member_elements(uint8_t type)
{
	const unsigned ip = ZE_ADRFAM | ZE_TRADDR | ZE_IPPROTO;

	switch (type) {
	case ZMTYPE_NQN:
		return ZE_NQN;
	case ZMTYPE_NQN_IP:
		return ZE_NQN | ip;
	case ZMTYPE_NQN_IP_PORT:
		return ZE_NQN | ip | ZE_TRSVCID;
	case ZMTYPE_NQN_IP_PORT_PORTID:
		return ZE_NQN | ip | ZE_TRSVCID | ZE_PORTID;
	case ZMTYPE_NQN_PORTID:
		return ZE_NQN | ZE_PORTID;
	case ZMTYPE_NQN_PROTO_PORTID:
		return ZE_NQN | ZE_IPPROTO | ZE_PORTID | ZE_ADRFAM;
	case ZMTYPE_IP:
		return ip;
	case ZMTYPE_IP_PORT:
		return ip | ZE_TRSVCID;
	default:
		return 0;
	}
}

static size_t traddr_len(uint8_t adrfam)
{
	return adrfam == NVMF_ADDR_FAMILY_IP4 ? 4 : 16;
}

static bool name_ok(const char *name, size_t max)
{
	size_t len = strnlen(name, max + 1);

	return len > 0 && len <= max;
}

int zone_member_check(const struct zone_member *m, bool in_alias)
{
	unsigned els = zone_member_elements(m->type);

	if (m->type == ZMTYPE_ALIAS)
		return !in_alias && name_ok(m->nqn, ZONE_ALIAS_NAME_MAX) ? 0 : -EINVAL;
	if (!els || (m->role != ZONE_ROLE_HOST && m->role != ZONE_ROLE_SUBSYSTEM))
		return -EINVAL;
	if ((els & ZE_NQN) &&
	    (strnlen(m->nqn, sizeof(m->nqn)) == sizeof(m->nqn) || !nqn_is_valid(m->nqn)))
		return -EINVAL;
	if ((els & ZE_ADRFAM) && m->adrfam != NVMF_ADDR_FAMILY_IP4 &&
	    m->adrfam != NVMF_ADDR_FAMILY_IP6)
		return -EINVAL;
	if ((els & ZE_IPPROTO) && m->ipproto != ZONE_IPPROTO_TCP && m->ipproto != ZONE_IPPROTO_UDP)
		return -EINVAL;
	return 0;
}

bool zone_member_matches(const struct zone_member *m, const struct zone_endpoint *e)
{
	unsigned els = zone_member_elements(m->type);

	/* An element the endpoint does not have cannot equal the member's. */
	if (!els || (els & ~e->has))
		return false;
	if ((els & ZE_NQN) && strcmp(m->nqn, e->nqn) != 0)
		return false;
	if ((els & ZE_ADRFAM) && m->adrfam != e->adrfam)
		return false;
	if ((els & ZE_TRADDR) && memcmp(m->traddr, e->traddr, traddr_len(m->adrfam)) != 0)
		return false;
	if ((els & ZE_IPPROTO) && m->ipproto != e->ipproto)
		return false;
	if ((els & ZE_TRSVCID) && m->trsvcid != e->trsvcid)
		return false;
	if ((els & ZE_PORTID) && m->portid != e->portid)
		return false;
	return true;
}

/* The IP protocol a transport runs over: RDMA is taken to be RoCEv2 (UDP). */
static uint8_t trtype_ipproto(uint8_t trtype)
{
	switch (trtype) {
	case NVMF_TRTYPE_TCP:
		return ZONE_IPPROTO_TCP;
	case NVMF_TRTYPE_RDMA:
		return ZONE_IPPROTO_UDP;
	default:
		return 0;
	}
}

static int endpoint_set_addr(struct zone_endpoint *e, const struct cdc_port *port, bool is_host)
{
	unsigned long svc;

	e->ipproto = trtype_ipproto(port->trtype);
	if (e->ipproto)
		e->has |= ZE_IPPROTO;
	if (port->adrfam == NVMF_ADDR_FAMILY_IP4 || port->adrfam == NVMF_ADDR_FAMILY_IP6) {
		int af = port->adrfam == NVMF_ADDR_FAMILY_IP4 ? AF_INET : AF_INET6;

		if (inet_pton(af, port->traddr, e->traddr) != 1)
			return -EINVAL;
		e->adrfam = port->adrfam;
		e->has |= ZE_ADRFAM | ZE_TRADDR;
	}
	if (port->trsvcid[0]) {
		if (addr_parse_uint(port->trsvcid, 0, UINT16_MAX, &svc) < 0)
			return -EINVAL;
		e->trsvcid = (uint16_t)svc;
		e->has |= ZE_TRSVCID;
	}
	if (!is_host) {
		e->portid = port->portid;
		e->has |= ZE_PORTID;
	}
	return 0;
}

int zone_endpoint_set(struct zone_endpoint *e, const char *nqn, const struct cdc_port *port,
		      bool is_host)
{
	struct zone_endpoint tmp = {.has = ZE_NQN};
	int ret;

	if (strlen(nqn) > CDC_NQN_MAX)
		return -EINVAL;
	strcpy(tmp.nqn, nqn);
	if (port) {
		ret = endpoint_set_addr(&tmp, port, is_host);
		if (ret < 0)
			return ret;
	}
	*e = tmp;
	return 0;
}

int zoning_check_owner(const char *orig, const char *requester)
{
	return !requester || strcmp(orig, requester) == 0 ? 0 : -EPERM;
}

void zoning_init(struct zoning *z, enum zone_policy policy)
{
	memset(z, 0, sizeof(*z));
	z->policy = policy;
	z->next_key = 1; /* 0 is no key */
	z->next_serial = 1;
	RB_INIT(&z->index);
}

static void zones_free(struct zone *zones, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(zones[i].members);
	free(zones);
}

static void group_free(struct zone_group *g)
{
	if (g)
		zones_free(g->zones, g->nzones);
	free(g);
}

static void active_free(struct zone_active *a)
{
	if (!a)
		return;
	zones_free(a->group.zones, a->group.nzones);
	free(a->idx);
	free(a);
}

static void alias_free(struct zone_alias *al)
{
	if (al)
		free(al->members);
	free(al);
}

void zoning_free(struct zoning *z)
{
	for (size_t i = 0; i < z->ngroups; i++)
		group_free(z->groups[i]);
	for (size_t i = 0; i < z->naliases; i++)
		alias_free(z->aliases[i]);
	for (size_t i = 0; i < z->nactive; i++)
		active_free(z->active[i]);
	free(z->groups);
	free(z->aliases);
	free(z->active);
	memset(z, 0, sizeof(*z));
}

/* Grow the array of pointers arr of n so that one more fits: done before a commit, so that
 * the commit cannot fail. Evaluates to 0 or -ENOMEM. */
#define PTRS_RESERVE(arr, n) ptrs_grown(&(arr), realloc((arr), ((n) + 1) * sizeof(*(arr))))
/* Remove element i (order does not matter). */
#define PTRS_REMOVE(arr, n, i) ((arr)[i] = (arr)[--(n)])

/* slot is the array's pointer variable, of whatever pointer type: memcpy stores into it. */
static int ptrs_grown(void *slot, void *grown)
{
	if (!grown)
		return -ENOMEM;
	memcpy(slot, &grown, sizeof(grown));
	return 0;
}

static bool group_is(const struct zone_group *g, const char *orig, const char *name)
{
	return strcmp(g->orig, orig) == 0 && strcmp(g->name, name) == 0;
}

static ssize_t group_index(const struct zoning *z, const char *orig, const char *name)
{
	for (size_t i = 0; i < z->ngroups; i++)
		if (group_is(z->groups[i], orig, name))
			return (ssize_t)i;
	return -1;
}

static ssize_t active_index(const struct zoning *z, const char *orig, const char *name)
{
	for (size_t i = 0; i < z->nactive; i++)
		if (group_is(&z->active[i]->group, orig, name))
			return (ssize_t)i;
	return -1;
}

struct zone_group *zoning_group_find(const struct zoning *z, const char *orig, const char *name)
{
	ssize_t i = group_index(z, orig, name);

	return i < 0 ? NULL : z->groups[i];
}

/* The configured group requester may change: -ENOENT if there is none, -EPERM if another
 * originator owns it. */
static int group_owned(const struct zoning *z, const char *orig, const char *name,
		       const char *requester, struct zone_group **out)
{
	*out = zoning_group_find(z, orig, name);
	return *out ? zoning_check_owner((*out)->orig, requester) : -ENOENT;
}

const struct zone_group *zoning_active_by_key(const struct zoning *z, uint32_t key)
{
	for (size_t i = 0; i < z->nactive; i++)
		if (z->active[i]->group.key == key)
			return &z->active[i]->group;
	return NULL;
}

const struct zone_group *zoning_active_find(const struct zoning *z, const char *orig,
					    const char *name)
{
	ssize_t i = active_index(z, orig, name);

	return i < 0 ? NULL : &z->active[i]->group;
}

int zoning_group_create(struct zoning *z, const char *requester, const char *orig, const char *name,
			uint32_t *key)
{
	struct zone_group *g;
	int ret;

	if (!name_ok(name, ZONE_GROUP_NAME_MAX) || strlen(orig) > CDC_NQN_MAX ||
	    !nqn_is_valid(orig))
		return -EINVAL;
	ret = zoning_check_owner(orig, requester);
	if (ret < 0)
		return ret;
	if (group_index(z, orig, name) >= 0)
		return -EEXIST;
	if (z->next_key > UINT32_MAX)
		return -ENOSPC;
	if (PTRS_RESERVE(z->groups, z->ngroups) < 0)
		return -ENOMEM;
	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	strcpy(g->name, name);
	strcpy(g->orig, orig);
	g->key = (uint32_t)z->next_key++;
	g->gen = 1;
	z->groups[z->ngroups++] = g;
	if (key)
		*key = g->key;
	return 0;
}

static int members_copy(struct zone_member **dst, const struct zone_member *src, size_t n)
{
	*dst = NULL;
	if (!n)
		return 0;
	*dst = malloc(n * sizeof(**dst));
	if (!*dst)
		return -ENOMEM;
	memcpy(*dst, src, n * sizeof(**dst));
	return 0;
}

static int zones_check(const struct zone *zones, size_t nzones)
{
	for (size_t i = 0; i < nzones; i++) {
		if (!name_ok(zones[i].name, ZONE_NAME_MAX))
			return -EINVAL;
		for (size_t j = 0; j < zones[i].nmembers; j++)
			if (zone_member_check(&zones[i].members[j], false) < 0)
				return -EINVAL;
	}
	return 0;
}

static int zones_copy(struct zone **dst, const struct zone *src, size_t n)
{
	struct zone *zs = n ? calloc(n, sizeof(*zs)) : NULL;

	if (n && !zs)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		zs[i] = src[i];
		if (members_copy(&zs[i].members, src[i].members, src[i].nmembers) < 0) {
			zones_free(zs, i);
			return -ENOMEM;
		}
	}
	*dst = zs;
	return 0;
}

int zoning_group_set(struct zoning *z, const char *requester, const char *orig, const char *name,
		     const struct zone *zones, size_t nzones)
{
	struct zone_group *g;
	struct zone *copy;
	int ret = group_owned(z, orig, name, requester, &g);

	if (ret < 0)
		return ret;
	ret = zones_check(zones, nzones);
	if (ret < 0)
		return ret;
	ret = zones_copy(&copy, zones, nzones);
	if (ret < 0)
		return ret;
	zones_free(g->zones, g->nzones);
	g->zones = copy;
	g->nzones = nzones;
	g->gen = zoning_gen_next(g->gen);
	return 0;
}

int zoning_group_delete(struct zoning *z, const char *requester, const char *orig, const char *name)
{
	ssize_t i = group_index(z, orig, name);
	int ret;

	if (i < 0)
		return -ENOENT;
	ret = zoning_check_owner(orig, requester);
	if (ret < 0)
		return ret;
	if (active_index(z, orig, name) >= 0)
		return -EBUSY;
	group_free(z->groups[i]);
	PTRS_REMOVE(z->groups, z->ngroups, i);
	return 0;
}

static ssize_t alias_index(const struct zoning *z, const char *name)
{
	for (size_t i = 0; i < z->naliases; i++)
		if (strcmp(z->aliases[i]->name, name) == 0)
			return (ssize_t)i;
	return -1;
}

const struct zone_alias *zoning_alias_find(const struct zoning *z, const char *name)
{
	ssize_t i = alias_index(z, name);

	return i < 0 ? NULL : z->aliases[i];
}

int zoning_alias_set(struct zoning *z, const char *name, const struct zone_member *members,
		     size_t nmembers)
{
	ssize_t i = alias_index(z, name);
	struct zone_alias *al;

	if (!name_ok(name, ZONE_ALIAS_NAME_MAX))
		return -EINVAL;
	for (size_t j = 0; j < nmembers; j++)
		if (zone_member_check(&members[j], true) < 0)
			return -EINVAL;
	if (i < 0 && PTRS_RESERVE(z->aliases, z->naliases) < 0)
		return -ENOMEM;
	al = calloc(1, sizeof(*al));
	if (!al || members_copy(&al->members, members, nmembers) < 0) {
		free(al);
		return -ENOMEM;
	}
	strcpy(al->name, name);
	al->nmembers = nmembers;
	if (i < 0) {
		z->aliases[z->naliases++] = al;
	} else {
		alias_free(z->aliases[i]);
		z->aliases[i] = al;
	}
	return 0;
}

int zoning_alias_delete(struct zoning *z, const char *name)
{
	ssize_t i = alias_index(z, name);

	if (i < 0)
		return -ENOENT;
	alias_free(z->aliases[i]);
	PTRS_REMOVE(z->aliases, z->naliases, i);
	return 0;
}

/* A member as the active database keeps it: the elements its type does not name zeroed, and
 * the bytes of an IPv4 address past the fourth, so that equal members have equal index keys. */
static void member_canon(struct zone_member *m)
{
	unsigned els = zone_member_elements(m->type);

	if (!(els & ZE_NQN))
		m->nqn[0] = 0;
	if (!(els & ZE_ADRFAM))
		m->adrfam = 0;
	if (!(els & ZE_TRADDR))
		memset(m->traddr, 0, sizeof(m->traddr));
	else
		memset(m->traddr + traddr_len(m->adrfam), 0,
		       sizeof(m->traddr) - traddr_len(m->adrfam));
	if (!(els & ZE_IPPROTO))
		m->ipproto = 0;
	if (!(els & ZE_TRSVCID))
		m->trsvcid = 0;
	if (!(els & ZE_PORTID))
		m->portid = 0;
}

/* Zone src with every alias member replaced by the alias's members. -ENOENT, -ENOMEM. */
static int zone_resolve(const struct zoning *z, const struct zone *src, struct zone *dst)
{
	size_t n = 0, k = 0;

	for (size_t i = 0; i < src->nmembers; i++) {
		const struct zone_member *m = &src->members[i];
		const struct zone_alias *al =
			m->type == ZMTYPE_ALIAS ? zoning_alias_find(z, m->nqn) : NULL;

		if (m->type == ZMTYPE_ALIAS && !al)
			return -ENOENT;
		n += al ? al->nmembers : 1;
	}
	memcpy(dst->name, src->name, sizeof(dst->name));
	dst->nmembers = n;
	dst->members = n ? calloc(n, sizeof(*dst->members)) : NULL;
	if (n && !dst->members)
		return -ENOMEM;
	for (size_t i = 0; i < src->nmembers; i++) {
		const struct zone_member *m = &src->members[i];
		const struct zone_alias *al =
			m->type == ZMTYPE_ALIAS ? zoning_alias_find(z, m->nqn) : NULL;
		size_t cnt = al ? al->nmembers : 1;

		if (cnt) /* an alias may have no members: then there is nothing to copy from */
			memcpy(&dst->members[k], al ? al->members : m, cnt * sizeof(*m));
		k += cnt;
	}
	for (size_t i = 0; i < n; i++)
		member_canon(&dst->members[i]);
	return 0;
}

static void idx_fill(struct zone_idx *x, const struct zone_member *m, uint64_t zone_id,
		     uint32_t seq)
{
	memset(x, 0, sizeof(*x));
	x->role = m->role;
	x->by_addr = !(zone_member_elements(m->type) & ZE_NQN);
	x->adrfam = m->adrfam;
	x->traddr = m->traddr;
	x->nqn = m->nqn;
	x->zone_id = zone_id;
	x->seq = seq;
	x->m = m;
}

/* The active copy of g, with its index entries filled but not yet inserted. */
static int active_build(const struct zoning *z, const struct zone_group *g,
			struct zone_active **out)
{
	struct zone_active *a = calloc(1, sizeof(*a));
	size_t n = 0;
	int ret = -ENOMEM;

	if (!a)
		return -ENOMEM;
	memcpy(a->group.name, g->name, sizeof(g->name));
	memcpy(a->group.orig, g->orig, sizeof(g->orig));
	a->group.key = g->key;
	a->group.gen = g->gen;
	a->first_id = z->next_serial;
	a->group.zones = g->nzones ? calloc(g->nzones, sizeof(*a->group.zones)) : NULL;
	if (g->nzones && !a->group.zones)
		goto fail;
	for (; a->group.nzones < g->nzones; a->group.nzones++) {
		ret = zone_resolve(z, &g->zones[a->group.nzones], &a->group.zones[a->group.nzones]);
		if (ret < 0)
			goto fail_zone;
		n += a->group.zones[a->group.nzones].nmembers;
	}
	ret = -ENOMEM;
	a->idx = n ? calloc(n, sizeof(*a->idx)) : NULL;
	if (n && !a->idx)
		goto fail;
	for (size_t i = 0; i < a->group.nzones; i++)
		for (size_t j = 0; j < a->group.zones[i].nmembers; j++)
			idx_fill(&a->idx[a->nidx++], &a->group.zones[i].members[j], a->first_id + i,
				 (uint32_t)j);
	*out = a;
	return 0;
fail_zone:
	/* the zone being resolved may hold its members array */
	free(a->group.zones[a->group.nzones].members);
fail:
	active_free(a);
	return ret;
}

static void active_unindex(struct zoning *z, struct zone_active *a)
{
	for (size_t i = 0; i < a->nidx; i++)
		RB_REMOVE(zone_index, &z->index, &a->idx[i]);
}

static void active_index_all(struct zoning *z, struct zone_active *a)
{
	for (size_t i = 0; i < a->nidx; i++)
		RB_INSERT(zone_index, &z->index, &a->idx[i]);
}

int zoning_activate(struct zoning *z, const char *requester, const char *orig, const char *name,
		    struct zoning_change *chg)
{
	ssize_t i = active_index(z, orig, name);
	struct zone_active *a, *old = NULL;
	struct zone_group *g;
	int ret = group_owned(z, orig, name, requester, &g);

	if (ret < 0)
		return ret;
	if (i < 0 && PTRS_RESERVE(z->active, z->nactive) < 0)
		return -ENOMEM;
	ret = active_build(z, g, &a);
	if (ret < 0)
		return ret;
	/* Nothing below can fail. */
	if (i >= 0) {
		old = z->active[i];
		active_unindex(z, old);
		z->active[i] = a;
	} else {
		z->active[z->nactive++] = a;
	}
	active_index_all(z, a);
	z->next_serial += g->nzones;
	chg->before = old ? &old->group : NULL;
	chg->after = &a->group;
	return 0;
}

int zoning_deactivate(struct zoning *z, const char *requester, const char *orig, const char *name,
		      struct zoning_change *chg)
{
	ssize_t i = active_index(z, orig, name);
	struct zone_active *old;
	int ret;

	chg->before = NULL;
	chg->after = NULL;
	if (i < 0)
		return zoning_group_find(z, orig, name) ? 0 : -ENOENT;
	old = z->active[i];
	ret = zoning_check_owner(old->group.orig, requester);
	if (ret < 0)
		return ret;
	active_unindex(z, old);
	PTRS_REMOVE(z->active, z->nactive, i);
	chg->before = &old->group;
	return 0;
}

void zoning_change_release(struct zoning_change *chg)
{
	active_free((struct zone_active *)chg->before);
	chg->before = NULL;
	chg->after = NULL;
}

/* The first index entry at or after {role, e's key, zone_id}. */
static struct zone_idx *idx_first(const struct zoning *z, uint8_t role, bool by_addr,
				  const struct zone_endpoint *e, uint64_t zone_id,
				  struct zone_idx *probe)
{
	memset(probe, 0, sizeof(*probe));
	probe->role = role;
	probe->by_addr = by_addr;
	probe->adrfam = e->adrfam;
	probe->traddr = e->traddr;
	probe->nqn = e->nqn;
	probe->zone_id = zone_id;
	return RB_NFIND(zone_index, (struct zone_index *)&z->index, probe);
}

static bool idx_same_key(const struct zone_idx *x, const struct zone_idx *probe)
{
	if (x->role != probe->role || x->by_addr != probe->by_addr)
		return false;
	if (x->by_addr)
		return x->adrfam == probe->adrfam && memcmp(x->traddr, probe->traddr, 16) == 0;
	return strcmp(x->nqn, probe->nqn) == 0;
}

/* Can e be found under this kind of key at all? */
static bool has_key(const struct zone_endpoint *e, bool by_addr)
{
	return by_addr ? (e->has & (ZE_ADRFAM | ZE_TRADDR)) == (ZE_ADRFAM | ZE_TRADDR)
		       : (e->has & ZE_NQN);
}

/* Does a member of this role in zone zone_id (any zone: ZONE_ID_DEFAULT) match e? */
static bool endpoint_in(const struct zoning *z, uint8_t role, const struct zone_endpoint *e,
			uint64_t zone_id)
{
	bool any = zone_id == ZONE_ID_DEFAULT;
	struct zone_idx probe, *x;

	for (int by_addr = 0; by_addr < 2; by_addr++) {
		if (!has_key(e, by_addr))
			continue;
		for (x = idx_first(z, role, by_addr, e, any ? 0 : zone_id, &probe);
		     x && idx_same_key(x, &probe) && (any || x->zone_id == zone_id);
		     x = RB_NEXT(zone_index, NULL, x))
			if (zone_member_matches(x->m, e))
				return true;
	}
	return false;
}

bool zoning_allows(const struct zoning *z, const struct zone_host *h, const struct zone_port *p)
{
	const struct zone_endpoint *e = &h->ep;
	struct zone_idx probe, *x;
	bool zoned = false;

	/* Each zone the host is in: does it hold the port as a subsystem? */
	for (int by_addr = 0; by_addr < 2; by_addr++) {
		if (!has_key(e, by_addr))
			continue;
		for (x = idx_first(z, ZONE_ROLE_HOST, by_addr, e, 0, &probe);
		     x && idx_same_key(x, &probe); x = RB_NEXT(zone_index, NULL, x)) {
			if (!zone_member_matches(x->m, e))
				continue;
			zoned = true;
			if (endpoint_in(z, ZONE_ROLE_SUBSYSTEM, &p->ep, x->zone_id))
				return true;
		}
	}
	if (zoned || z->policy != ZONE_POLICY_ALLOW)
		return false;
	return !endpoint_in(z, ZONE_ROLE_SUBSYSTEM, &p->ep, ZONE_ID_DEFAULT);
}

static int id_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int view_add(struct zone_view *v, size_t *cap, uint64_t id)
{
	if (v->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 8;
		uint64_t *grown = realloc(v->zones, ncap * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		v->zones = grown;
		*cap = ncap;
	}
	v->zones[v->n++] = id;
	return 0;
}

/* Sort, drop duplicates, hash (FNV-1a over the ids). */
static void view_finish(struct zone_view *v)
{
	size_t k = 0;

	if (v->n)
		qsort(v->zones, v->n, sizeof(*v->zones), id_cmp);
	for (size_t i = 0; i < v->n; i++)
		if (!k || v->zones[k - 1] != v->zones[i])
			v->zones[k++] = v->zones[i];
	v->n = k;
	v->hash = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < v->n; i++)
		for (int b = 0; b < 8; b++) {
			v->hash ^= (v->zones[i] >> (8 * b)) & 0xff;
			v->hash *= 0x100000001b3ull;
		}
}

/* The active zones holding a member of this role that matches e; under ALLOW, an endpoint
 * in none is in the default zone. */
static int endpoint_view(const struct zoning *z, uint8_t role, const struct zone_endpoint *e,
			 struct zone_view *v)
{
	struct zone_idx probe, *x;
	size_t cap = 0;

	memset(v, 0, sizeof(*v));
	for (int by_addr = 0; by_addr < 2; by_addr++) {
		if (!has_key(e, by_addr))
			continue;
		for (x = idx_first(z, role, by_addr, e, 0, &probe); x && idx_same_key(x, &probe);
		     x = RB_NEXT(zone_index, NULL, x))
			if (zone_member_matches(x->m, e) && view_add(v, &cap, x->zone_id) < 0)
				goto nomem;
	}
	if (!v->n && z->policy == ZONE_POLICY_ALLOW && view_add(v, &cap, ZONE_ID_DEFAULT) < 0)
		goto nomem;
	view_finish(v);
	return 0;
nomem:
	zone_view_free(v);
	return -ENOMEM;
}

int zoning_host_view(const struct zoning *z, const struct zone_host *h, struct zone_view *v)
{
	return endpoint_view(z, ZONE_ROLE_HOST, &h->ep, v);
}

int zoning_port_view(const struct zoning *z, const struct zone_port *p, struct zone_view *v)
{
	return endpoint_view(z, ZONE_ROLE_SUBSYSTEM, &p->ep, v);
}

bool zone_views_meet(const struct zone_view *a, const struct zone_view *b)
{
	size_t i = 0, k = 0;

	while (i < a->n && k < b->n) {
		if (a->zones[i] == b->zones[k])
			return true;
		if (a->zones[i] < b->zones[k])
			i++;
		else
			k++;
	}
	return false;
}

bool zone_view_equal(const struct zone_view *a, const struct zone_view *b)
{
	return a->n == b->n && a->hash == b->hash &&
	       (!a->n || memcmp(a->zones, b->zones, a->n * sizeof(*a->zones)) == 0);
}

void zone_view_free(struct zone_view *v)
{
	free(v->zones);
	memset(v, 0, sizeof(*v));
}

/* ---- restoring and copying whole databases ---- */

int zoning_group_restore(struct zoning *z, const struct zone_group *src)
{
	ssize_t i = group_index(z, src->orig, src->name);
	struct zone_group *g;
	int ret;

	if (!name_ok(src->name, ZONE_GROUP_NAME_MAX) || !src->key || !src->gen)
		return -EINVAL;
	ret = zones_check(src->zones, src->nzones);
	if (ret < 0)
		return ret;
	if (i < 0 && PTRS_RESERVE(z->groups, z->ngroups) < 0)
		return -ENOMEM;
	g = calloc(1, sizeof(*g));
	if (!g || zones_copy(&g->zones, src->zones, src->nzones) < 0) {
		free(g);
		return -ENOMEM;
	}
	memcpy(g->name, src->name, sizeof(g->name));
	memcpy(g->orig, src->orig, sizeof(g->orig));
	g->key = src->key;
	g->gen = src->gen;
	g->nzones = src->nzones;
	if (i < 0) {
		z->groups[z->ngroups++] = g;
	} else {
		group_free(z->groups[i]);
		z->groups[i] = g;
	}
	/* A key seen is a key handed out: never again. */
	if (z->next_key <= src->key)
		z->next_key = (uint64_t)src->key + 1;
	return 0;
}

int zoning_active_restore(struct zoning *z, const struct zone_group *resolved)
{
	ssize_t i = active_index(z, resolved->orig, resolved->name);
	struct zone_active *a;
	int ret;

	for (size_t k = 0; k < resolved->nzones; k++)
		for (size_t j = 0; j < resolved->zones[k].nmembers; j++)
			if (zone_member_check(&resolved->zones[k].members[j], true) < 0)
				return -EINVAL; /* aliases are resolved in an active copy */
	if (i < 0 && PTRS_RESERVE(z->active, z->nactive) < 0)
		return -ENOMEM;
	ret = active_build(z, resolved, &a);
	if (ret < 0)
		return ret;
	if (i >= 0) {
		active_unindex(z, z->active[i]);
		active_free(z->active[i]);
		z->active[i] = a;
	} else {
		z->active[z->nactive++] = a;
	}
	active_index_all(z, a);
	z->next_serial += resolved->nzones;
	return 0;
}

int zoning_clone(struct zoning *dst, const struct zoning *src)
{
	int ret = 0;

	zoning_init(dst, src->policy);
	/* Fresh zone ids: a view keyed by the source's ids never matches the copy's. */
	dst->next_serial = src->next_serial;
	for (size_t i = 0; !ret && i < src->ngroups; i++)
		ret = zoning_group_restore(dst, src->groups[i]);
	for (size_t i = 0; !ret && i < src->naliases; i++)
		ret = zoning_alias_set(dst, src->aliases[i]->name, src->aliases[i]->members,
				       src->aliases[i]->nmembers);
	for (size_t i = 0; !ret && i < src->nactive; i++)
		ret = zoning_active_restore(dst, &src->active[i]->group);
	if (ret < 0) {
		zoning_free(dst);
		return ret;
	}
	dst->next_key = src->next_key;
	return 0;
}
