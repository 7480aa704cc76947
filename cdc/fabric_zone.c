/* fabric_zone.c - zoning in the fabric model: what each host is told once zoning is on.
 * A host's log 70h is the full log's entries its active zones grant (referrals and the
 * CDC's own entries always), one view per distinct visibility (zoning_host_view()), built
 * when first read after a change and shared by every host of that visibility. A view whose
 * bytes a change of the fabric left alone is kept, counter and all. Pure: no sockets, no
 * SQL. */
#include "fabric.h"

#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* One visibility's view, and the fabric serial it was last checked at. */
struct zview {
	RB_ENTRY(zview) link;
	struct zone_view key;
	struct view *v;
	uint64_t serial;
};

static int zview_cmp(const struct zview *a, const struct zview *b)
{
	if (a->key.hash != b->key.hash)
		return a->key.hash < b->key.hash ? -1 : 1;
	if (a->key.n != b->key.n)
		return a->key.n < b->key.n ? -1 : 1;
	for (size_t i = 0; i < a->key.n; i++)
		if (a->key.zones[i] != b->key.zones[i])
			return a->key.zones[i] < b->key.zones[i] ? -1 : 1;
	return 0;
}

RB_GENERATE_STATIC(fabric_zview_tree, zview, link, zview_cmp)

static void zview_free(struct zview *z)
{
	zone_view_free(&z->key);
	view_unref(z->v);
	free(z);
}

void fabric_zone_init(struct fabric *f)
{
	zoning_init(&f->zoning, ZONE_POLICY_DENY);
	RB_INIT(&f->zviews);
}

static void port_views_free(struct fabric *f)
{
	for (size_t i = 0; i < f->nport_views; i++)
		zone_view_free(&f->port_views[i]);
	free(f->port_views);
	f->port_views = NULL;
	f->nport_views = 0;
}

void fabric_zone_free(struct fabric *f)
{
	struct zview *z;

	port_views_free(f);
	while ((z = RB_MIN(fabric_zview_tree, &f->zviews))) {
		RB_REMOVE(fabric_zview_tree, &f->zviews, z);
		f->nzviews--;
		zview_free(z);
	}
	zoning_free(&f->zoning);
}

size_t fabric_zone_nviews(const struct fabric *f)
{
	return f->nzviews;
}

/* Views only this cache holds serve nobody: a visibility that comes back is built anew. */
void fabric_zone_prune(struct fabric *f)
{
	struct zview *z, *next;

	for (z = RB_MIN(fabric_zview_tree, &f->zviews); z; z = next) {
		next = RB_NEXT(fabric_zview_tree, &f->zviews, z);
		if (!z->v || z->v->refs == 1) {
			RB_REMOVE(fabric_zview_tree, &f->zviews, z);
			f->nzviews--;
			zview_free(z);
		}
	}
}

void fabric_zoning_set(struct fabric *f, bool on, enum zone_policy policy)
{
	if (on != f->zoning_on || (on && policy != f->zoning.policy))
		f->zoning_changed = true;
	f->zoning_on = on;
	f->zoning.policy = policy;
}

void fabric_zoning_swap(struct fabric *f, struct zoning *z)
{
	struct zoning t = f->zoning;

	f->zoning = *z;
	*z = t;
	/* The policy is the configuration's, not the edit's. */
	f->zoning.policy = z->policy;
	f->zoning_changed |= f->zoning_on;
}

bool fabric_zonegroup_configured(const struct fabric *f, const char *orig, const char *name)
{
	const struct fabric_zone_names *zn = &f->cfg_zones;

	if (strcmp(orig, zn->orig))
		return false;
	for (size_t i = 0; i < zn->ngroups; i++)
		if (!strcmp(zn->groups[i], name))
			return true;
	return false;
}

bool fabric_zonealias_configured(const struct fabric *f, const char *name)
{
	const struct fabric_zone_names *zn = &f->cfg_zones;

	for (size_t i = 0; i < zn->naliases; i++)
		if (!strcmp(zn->aliases[i], name))
			return true;
	return false;
}

/* A field of an entry, NUL or space padded, as a string. */
static void field_text(char *dst, size_t size, const char *src, size_t len)
{
	size_t n = strnlen(src, len < size - 1 ? len : size - 1);

	while (n && src[n - 1] == ' ')
		n--;
	memcpy(dst, src, n);
	dst[n] = 0;
}

/* The port of a subsystem entry as zoning names it; -EINVAL for one it cannot name (an
 * address that is not numeric), which is in no zone. */
static int entry_port(const struct nvmf_disc_log_entry *e, struct zone_port *p)
{
	struct cdc_port port = {.trtype = e->trtype, .adrfam = e->adrfam};
	char subnqn[CDC_NQN_MAX + 1];

	port.portid = le16toh(e->portid);
	field_text(port.traddr, sizeof(port.traddr), e->traddr, sizeof(e->traddr));
	field_text(port.trsvcid, sizeof(port.trsvcid), e->trsvcid, sizeof(e->trsvcid));
	field_text(subnqn, sizeof(subnqn), e->subnqn, sizeof(e->subnqn));
	return zone_endpoint_set(&p->ep, subnqn, &port, false);
}

/* Every subsystem entry's zones, once per change: what each visibility's view is cut by. */
static int port_views_build(struct fabric *f)
{
	const struct view *all = f->view70;
	static const uint64_t dflt = ZONE_ID_DEFAULT;

	if (f->port_views && f->port_views_serial == f->view_serial)
		return 0;
	port_views_free(f);
	f->port_views = calloc(all->nentries ? all->nentries : 1, sizeof(*f->port_views));
	if (!f->port_views)
		return -ENOMEM;
	f->nport_views = all->nentries;
	for (size_t i = 0; i < all->nentries; i++) {
		const struct nvmf_disc_log_entry *e = view_entry(all, i);
		struct zone_view *v = &f->port_views[i];
		struct zone_port p;
		int err = 0;
		if (!e || e->subtype != NVME_NQN_NVME)
			continue;
		if (entry_port(e, &p) == 0) {
			err = zoning_port_view(&f->zoning, &p, v);
		} else if (f->zoning.policy == ZONE_POLICY_ALLOW) {
			v->zones = malloc(sizeof(dflt));
			err = v->zones ? 0 : -ENOMEM;
			if (v->zones) {
				v->zones[0] = dflt;
				v->n = 1;
			}
		}
		if (err) {
			port_views_free(f);
			return err;
		}
	}
	f->port_views_serial = f->view_serial;
	return 0;
}

static bool views_equal(const struct view *a, const struct view *b)
{
	uint8_t p[4096], q[4096];

	if (a->len != b->len || a->nentries != b->nentries)
		return false;
	for (uint64_t off = 0; off < a->len; off += sizeof(p)) {
		size_t n = view_copy(a, off, p, sizeof(p));
		if (view_copy(b, off, q, sizeof(q)) != n || memcmp(p, q, n))
			return false;
	}
	return true;
}

bool fabric_views_equal(const struct view *a, const struct view *b)
{
	return a == b || (a && b && views_equal(a, b));
}

/* The full log's entries a host of visibility key may see, in their order, as one page:
 * referrals and the CDC's own entries, and the subsystem entries whose zones meet the key.
 * The page grows as entries are granted: a host that sees little costs little. */
static struct view *zview_build(struct fabric *f, const struct zone_view *key)
{
	const struct view *all = f->view70;
	struct disc_blob *blob = NULL;
	size_t n = 0;

	if (port_views_build(f))
		return NULL;
	for (size_t i = 0; i < all->nentries; i++) {
		const struct nvmf_disc_log_entry *e = view_entry(all, i);
		/* Referrals and the CDC's own entries name discovery controllers, which zoning
		 * does not hide: a host needs them to find what it is granted. */
		if (!e || (e->subtype == NVME_NQN_NVME && !zone_views_meet(key, &f->port_views[i])))
			continue;
		if (disc_blob_reserve(&blob, (n + 1) * DISC_LOG_ENTRY_LEN)) {
			disc_blob_unref(blob);
			return NULL;
		}
		memcpy(blob->data + n++ * DISC_LOG_ENTRY_LEN, e, DISC_LOG_ENTRY_LEN);
	}
	struct view *v = view_new_blob(blob, n * DISC_LOG_ENTRY_LEN, n, f->genctr);
	disc_blob_unref(blob);
	return v;
}

int fabric_zone_host(const char *hostnqn, const struct cdc_port *addr, struct zone_host *h)
{
	/* A host known only by its NQN (the control API asks so) is matched by its NQN: the
	 * address members of its zones do not name it. */
	if (addr && addr->traddr[0] && zone_endpoint_set(&h->ep, hostnqn, addr, true) == 0)
		return 0;
	return zone_endpoint_set(&h->ep, hostnqn, NULL, true);
}

const struct view *fabric_host_view(struct fabric *f, const char *hostnqn,
				    const struct cdc_port *addr)
{
	struct zone_host h;
	struct zview key, *z;

	if (!f->zoning_on || !f->view70)
		return f->view70;
	if (fabric_zone_host(hostnqn, addr, &h) < 0 ||
	    zoning_host_view(&f->zoning, &h, &key.key) < 0)
		return NULL;
	z = RB_FIND(fabric_zview_tree, &f->zviews, &key);
	if (z)
		zone_view_free(&key.key);
	if (z && z->serial == f->view_serial)
		return z->v;
	if (!z) {
		z = calloc(1, sizeof(*z));
		if (!z) {
			zone_view_free(&key.key);
			return NULL;
		}
		z->key = key.key;
		RB_INSERT(fabric_zview_tree, &f->zviews, z);
		f->nzviews++;
	}
	struct view *v = zview_build(f, &z->key);
	if (!v) {
		if (!z->v) { /* nothing to keep serving */
			RB_REMOVE(fabric_zview_tree, &f->zviews, z);
			f->nzviews--;
			zview_free(z);
		}
		return NULL;
	}
	/* Unchanged for this visibility: the same view, at the same GENCTR. Not across a zoning
	 * change, which may move a host to another visibility: there every view takes the new
	 * GENCTR, so a host never sees it go back, nor one value with two contents. */
	if (z->v && z->serial >= f->zoning_serial && views_equal(z->v, v)) {
		view_unref(v);
	} else {
		view_unref(z->v);
		z->v = v;
	}
	z->serial = f->view_serial;
	return z->v;
}

/* Whether host record h is zoned with some subsystem port reader registered. */
static bool host_zoned_with(const struct fabric *f, const struct host_rec *h, const char *reader)
{
	struct cdc_port addr = {.trtype = h->trtype, .adrfam = h->adrfam};
	struct zone_host zh;

	snprintf(addr.traddr, sizeof(addr.traddr), "%s", h->traddr);
	snprintf(addr.trsvcid, sizeof(addr.trsvcid), "%s", h->trsvcid);
	if (fabric_zone_host(h->hostnqn, &addr, &zh) < 0)
		return false;
	for (const struct log_rec *r = fabric_rec_next_of(f, reader, NULL); r;
	     r = fabric_rec_next_of(f, reader, r)) {
		struct zone_port p;
		if (r->subtype == NVME_NQN_NVME &&
		    zone_endpoint_set(&p.ep, r->subnqn, &r->port, false) == 0 &&
		    zoning_allows(&f->zoning, &zh, &p))
			return true;
	}
	return false;
}

struct view *fabric_hostlog_view_for(struct fabric *f, const char *reader)
{
	if (!f->view71)
		return NULL;
	if (!f->zoning_on)
		return view_ref(f->view71);
	/* Built for each read, and at each change while the DDC listens (DDCs are few), from
	 * the records in log 71h's order. */
	struct disc_blob *blob = NULL;
	size_t len = 0, n = 0;
	for (const struct host_rec *h = fabric_host_next(f, NULL); h; h = fabric_host_next(f, h)) {
		if (!host_zoned_with(f, h, reader))
			continue;
		size_t l = disc_hostlog_entry_len(h);
		if (disc_blob_reserve(&blob, len + l)) {
			disc_blob_unref(blob);
			return NULL;
		}
		disc_hostlog_entry_fill(blob->data + len, l, h,
					fabric_connected(f, h->hostnqn) ? 0 : NVMF_DISC_EFLAGS_NCC);
		len += l;
		n++;
	}
	struct view *v = view_new_blob(blob, len, n, f->hgenctr);
	disc_blob_unref(blob);
	return v;
}
