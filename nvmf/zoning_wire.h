/* zoning_wire.h - zone groups as the Fabric Zoning commands carry them (protocol.md 7.5):
 * the ZoneGroup data structure with its zones and 256-byte member TLVs, and the lookup and
 * fragment headers of FZL, FZR and FZS. Pure: bytes in, a verdict out. */
#ifndef NVMF_ZONING_WIRE_H
#define NVMF_ZONING_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "zoning.h"

#define ZW_GROUP_HDR_LEN 256	    /* ZGORIG[224], ZGNAME[30], NUMZ le16 */
#define ZW_ZONE_HDR_LEN	 128	    /* ZNAME[124], NUMZM le16, NUMZP le16 */
#define ZW_MEMBER_LEN	 0x100	    /* ZMLEN */
#define ZW_LOOKUP_LEN	 258	    /* FZL data: OTYP, 3 reserved, ZGORIG[224], ZGNAME[30] */
#define ZW_FZR_HDR_LEN	 16	    /* FZR (GAZ) data: OTYP, 3 reserved, ZGGN, ZGFL, 4 reserved */
#define ZW_FZS_HDR_LEN	 4	    /* FZS (AAZ) data: OTYP, 3 reserved */
#define ZW_GROUP_MAX_LEN (1u << 20) /* the largest ZoneGroup a DDC may push */

/* OTYP: the zoning operation a lookup or a fragment is for. */
enum zw_otyp {
	ZW_OTYP_GAZ_LOOKUP = 1, /* FZL: the key of an active group, to read it */
	ZW_OTYP_GAZ_DATA = 2,	/* FZR data */
	ZW_OTYP_AAZ_LOOKUP = 3, /* FZL: lock a group (created empty if absent) to send it */
	ZW_OTYP_AAZ_DATA = 4,	/* FZS data */
	ZW_OTYP_RAZ_LOOKUP = 5, /* FZL: remove a group */
};

/* Zoning status codes (command specific). */
#define ZW_SC_LOCKED	   0x30 /* Zoning Data Structure Locked */
#define ZW_SC_NOT_FOUND	   0x31 /* Zoning Data Structure Not Found */
#define ZW_SC_DISABLED	   0x33 /* Requested Function Disabled */
#define ZW_SC_ORIG_INVALID 0x34 /* ZoneGroup Originator Invalid */

struct zw_lookup {
	uint8_t otyp;
	char orig[CDC_NQN_MAX + 1];
	char name[ZONE_GROUP_NAME_MAX + 1];
};

/* FZL data: -EINVAL unless len holds a lookup with a valid NQN and name; *bad is the byte
 * offset of the field at fault. */
int zw_lookup_parse(const uint8_t *buf, size_t len, struct zw_lookup *l, uint32_t *bad);
void zw_lookup_build(const struct zw_lookup *l, uint8_t out[ZW_LOOKUP_LEN]);

/* The bytes of group g (its zones; alias members as names): zw_group_len() of them. */
size_t zw_group_len(const struct zone_group *g);
void zw_group_encode(const struct zone_group *g, uint8_t *out);
/* Parses a ZoneGroup of exactly len bytes into g (name, orig, zones; key and generation
 * zero); free g->zones with zw_group_release(). Members are checked as zone_member_check()
 * does; zone properties are skipped. -EINVAL with *bad at the byte at fault, -ENOMEM. */
int zw_group_decode(const uint8_t *buf, size_t len, struct zone_group *g, uint32_t *bad);
void zw_group_release(struct zone_group *g);

#endif
