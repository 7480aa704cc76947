/* zoning_wire.c - the ZoneGroup data structure and the Fabric Zoning headers on the wire
 * (see zoning_wire.h). Every field is read within the bytes given: a DDC's data is checked
 * before anything of it is believed. */
#include "zoning_wire.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <nvme/types.h>

#include "nvmf_tcp.h"

/* Member TLV offsets (protocol.md 7.5). */
#define ZM_TYPE	   0
#define ZM_LEN	   1
#define ZM_ROLE	   3
#define ZM_ADRFAM  4
#define ZM_IPPROTO 5
#define ZM_SVC	   6 /* TRSVCID; ZMPORTID for type 6 */
#define ZM_PORTID5 4 /* ZMPORTID of type 5 */
#define ZM_TRADDR  8
#define ZM_PORTID4 24 /* ZMPORTID of type 4 */
#define ZM_NQN	   32

#define ZG_ORIG 0
#define ZG_NAME 224
#define ZG_NUMZ 254
#define Z_NAME	0
#define Z_NUMZM 124
#define Z_NUMZP 126

/* A fixed text field into a string: at most max bytes, the rest of the field NUL. */
static int field_get(char *dst, size_t max, const uint8_t *src, size_t field)
{
	size_t n = strnlen((const char *)src, field);

	if (n > max)
		return -EINVAL;
	for (size_t i = n; i < field; i++)
		if (src[i])
			return -EINVAL;
	memcpy(dst, src, n);
	dst[n] = 0;
	return 0;
}

static void field_put(uint8_t *dst, const char *src, size_t field)
{
	size_t n = strnlen(src, field);

	memset(dst, 0, field);
	memcpy(dst, src, n);
}

int zw_lookup_parse(const uint8_t *buf, size_t len, struct zw_lookup *l, uint32_t *bad)
{
	*bad = 0;
	if (len < ZW_LOOKUP_LEN)
		return -EINVAL;
	l->otyp = buf[0];
	*bad = 4;
	if (field_get(l->orig, CDC_NQN_MAX, buf + 4, 224) || !nqn_is_valid(l->orig))
		return -EINVAL;
	*bad = 228;
	if (field_get(l->name, ZONE_GROUP_NAME_MAX, buf + 228, 30) || !l->name[0])
		return -EINVAL;
	return 0;
}

void zw_lookup_build(const struct zw_lookup *l, uint8_t out[ZW_LOOKUP_LEN])
{
	memset(out, 0, ZW_LOOKUP_LEN);
	out[0] = l->otyp;
	field_put(out + 4, l->orig, 224);
	field_put(out + 228, l->name, 30);
}

static void member_encode(const struct zone_member *m, uint8_t *p)
{
	unsigned els = zone_member_elements(m->type);

	memset(p, 0, ZW_MEMBER_LEN);
	p[ZM_TYPE] = m->type;
	put_le16(p + ZM_LEN, ZW_MEMBER_LEN);
	if (m->type == ZMTYPE_ALIAS) {
		field_put(p + ZM_NQN, m->nqn, ZONE_ALIAS_NAME_MAX);
		return;
	}
	p[ZM_ROLE] = m->role;
	if (m->type == ZMTYPE_NQN_PORTID) {
		put_le16(p + ZM_PORTID5, m->portid);
	} else {
		if (els & ZE_ADRFAM)
			p[ZM_ADRFAM] = m->adrfam;
		if (els & ZE_IPPROTO)
			p[ZM_IPPROTO] = m->ipproto;
	}
	if (els & ZE_TRSVCID)
		put_le16(p + ZM_SVC, m->trsvcid);
	if (m->type == ZMTYPE_NQN_PROTO_PORTID)
		put_le16(p + ZM_SVC, m->portid);
	if (m->type == ZMTYPE_NQN_IP_PORT_PORTID)
		put_le16(p + ZM_PORTID4, m->portid);
	if (els & ZE_TRADDR)
		memcpy(p + ZM_TRADDR, m->traddr, sizeof(m->traddr));
	if (els & ZE_NQN)
		field_put(p + ZM_NQN, m->nqn, 224);
}

/* One member TLV: -EINVAL with *bad relative to p. */
static int member_decode(const uint8_t *p, struct zone_member *m, uint32_t *bad)
{
	unsigned els;

	memset(m, 0, sizeof(*m));
	m->type = p[ZM_TYPE];
	*bad = ZM_LEN;
	if (get_le16(p + ZM_LEN) != ZW_MEMBER_LEN)
		return -EINVAL;
	*bad = ZM_TYPE;
	if (m->type == ZMTYPE_ALIAS) {
		*bad = ZM_NQN;
		if (field_get(m->nqn, ZONE_ALIAS_NAME_MAX, p + ZM_NQN, 224))
			return -EINVAL;
		return zone_member_check(m, false);
	}
	els = zone_member_elements(m->type);
	if (!els)
		return -EINVAL;
	m->role = p[ZM_ROLE];
	if (m->type == ZMTYPE_NQN_PORTID) {
		m->portid = get_le16(p + ZM_PORTID5);
	} else {
		if (els & ZE_ADRFAM)
			m->adrfam = p[ZM_ADRFAM];
		if (els & ZE_IPPROTO)
			m->ipproto = p[ZM_IPPROTO];
	}
	if (els & ZE_TRSVCID)
		m->trsvcid = get_le16(p + ZM_SVC);
	if (m->type == ZMTYPE_NQN_PROTO_PORTID)
		m->portid = get_le16(p + ZM_SVC);
	if (m->type == ZMTYPE_NQN_IP_PORT_PORTID)
		m->portid = get_le16(p + ZM_PORTID4);
	if (els & ZE_TRADDR) {
		memcpy(m->traddr, p + ZM_TRADDR, sizeof(m->traddr));
		if (m->adrfam == NVMF_ADDR_FAMILY_IP4)
			memset(m->traddr + 4, 0, sizeof(m->traddr) - 4);
	}
	*bad = ZM_NQN;
	if ((els & ZE_NQN) &&
	    (field_get(m->nqn, CDC_NQN_MAX, p + ZM_NQN, 224) || !nqn_is_valid(m->nqn)))
		return -EINVAL;
	*bad = ZM_ROLE;
	return zone_member_check(m, false);
}

size_t zw_group_len(const struct zone_group *g)
{
	size_t len = ZW_GROUP_HDR_LEN;

	for (size_t i = 0; i < g->nzones; i++)
		len += ZW_ZONE_HDR_LEN + g->zones[i].nmembers * ZW_MEMBER_LEN;
	return len;
}

void zw_group_encode(const struct zone_group *g, uint8_t *out)
{
	uint8_t *p = out + ZW_GROUP_HDR_LEN;

	memset(out, 0, ZW_GROUP_HDR_LEN);
	field_put(out + ZG_ORIG, g->orig, 224);
	field_put(out + ZG_NAME, g->name, 30);
	put_le16(out + ZG_NUMZ, (uint16_t)g->nzones);
	for (size_t i = 0; i < g->nzones; i++) {
		const struct zone *z = &g->zones[i];
		memset(p, 0, ZW_ZONE_HDR_LEN);
		field_put(p + Z_NAME, z->name, ZONE_NAME_MAX);
		put_le16(p + Z_NUMZM, (uint16_t)z->nmembers);
		p += ZW_ZONE_HDR_LEN;
		for (size_t j = 0; j < z->nmembers; j++, p += ZW_MEMBER_LEN)
			member_encode(&z->members[j], p);
	}
}

void zw_group_release(struct zone_group *g)
{
	for (size_t i = 0; g->zones && i < g->nzones; i++)
		free(g->zones[i].members);
	free(g->zones);
	g->zones = NULL;
	g->nzones = 0;
}

/* Zone i of the group at *off: its members, and its properties skipped. */
static int zone_decode(const uint8_t *buf, size_t len, size_t *off, struct zone *z, uint32_t *bad)
{
	const uint8_t *p = buf + *off;

	*bad = (uint32_t)*off;
	if (len - *off < ZW_ZONE_HDR_LEN)
		return -EINVAL;
	if (field_get(z->name, ZONE_NAME_MAX, p + Z_NAME, ZONE_NAME_MAX) || !z->name[0])
		return -EINVAL;
	size_t nm = get_le16(p + Z_NUMZM), np = get_le16(p + Z_NUMZP);
	*off += ZW_ZONE_HDR_LEN;
	*bad = (uint32_t)*off;
	if (nm > (len - *off) / ZW_MEMBER_LEN)
		return -EINVAL;
	z->members = nm ? calloc(nm, sizeof(*z->members)) : NULL;
	if (nm && !z->members)
		return -ENOMEM;
	for (; z->nmembers < nm; z->nmembers++, *off += ZW_MEMBER_LEN) {
		uint32_t at;
		if (member_decode(buf + *off, &z->members[z->nmembers], &at)) {
			*bad = (uint32_t)*off + at;
			return -EINVAL;
		}
	}
	/* Properties (Fabric Enforced Zone) ask for enforcement in the network, which is not
	 * ours to do: each is skipped by its ZPLEN, which counts its own header. */
	for (size_t k = 0; k < np; k++) {
		*bad = (uint32_t)*off;
		if (len - *off < 3 || get_le16(buf + *off + 1) < 3 ||
		    get_le16(buf + *off + 1) > len - *off)
			return -EINVAL;
		*off += get_le16(buf + *off + 1);
	}
	return 0;
}

int zw_group_decode(const uint8_t *buf, size_t len, struct zone_group *g, uint32_t *bad)
{
	size_t off = ZW_GROUP_HDR_LEN;
	int err;

	memset(g, 0, sizeof(*g));
	*bad = 0;
	if (len < ZW_GROUP_HDR_LEN)
		return -EINVAL;
	if (field_get(g->orig, CDC_NQN_MAX, buf + ZG_ORIG, 224) || !nqn_is_valid(g->orig))
		return -EINVAL;
	*bad = ZG_NAME;
	if (field_get(g->name, ZONE_GROUP_NAME_MAX, buf + ZG_NAME, 30) || !g->name[0])
		return -EINVAL;
	size_t nz = get_le16(buf + ZG_NUMZ);
	*bad = ZG_NUMZ;
	if (nz > (len - off) / ZW_ZONE_HDR_LEN)
		return -EINVAL;
	g->zones = nz ? calloc(nz, sizeof(*g->zones)) : NULL;
	if (nz && !g->zones)
		return -ENOMEM;
	for (; g->nzones < nz; g->nzones++) {
		err = zone_decode(buf, len, &off, &g->zones[g->nzones], bad);
		if (err) {
			g->nzones++; /* the zone decoded in part holds its members */
			zw_group_release(g);
			return err;
		}
	}
	*bad = (uint32_t)off;
	if (off != len) {
		zw_group_release(g);
		return -EINVAL;
	}
	return 0;
}
