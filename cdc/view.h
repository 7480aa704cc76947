/* view.h - what a host is told: log 70h's body as one visibility sees it, at one GENCTR.
 * A view is immutable and reference-counted: it keeps the pages of the moment it was made,
 * so a host reading it in several commands reads one log. Without zoning every host sees
 * the same view; with it, hosts of equal visibility share one (fabric_zone.c). The discovery
 * controller and the control API read a host's log only through here. Pure. */
#ifndef CDC_VIEW_H
#define CDC_VIEW_H

#include <nvme/types.h>
#include <stddef.h>
#include <stdint.h>

#include "log_body.h"

struct view_page {
	struct disc_blob *blob;
	uint64_t start;
	uint32_t len;
};

struct view {
	unsigned int refs;
	uint64_t genctr;
	size_t nentries;
	uint64_t len;
	size_t npages;
	struct view_page pages[];
};

/* A view of the bodies' pages as last built, one after the other. NULL on ENOMEM. */
struct view *view_new(const struct log_body *const *bodies, size_t nbodies, uint64_t genctr);
/* A view of one blob's first len bytes (nentries entries); takes its own reference. */
struct view *view_new_blob(struct disc_blob *blob, uint64_t len, size_t nentries, uint64_t genctr);
struct view *view_ref(struct view *v);
void view_unref(struct view *v);

/* The pieces covering [off, off + len), in order; fills at most max of them (out may be
 * NULL with max 0) and returns how many there are. A reader that keeps a piece past the
 * view's life takes a reference on its blob. */
size_t view_pieces(const struct view *v, uint64_t off, uint64_t len, struct log_piece *out,
		   size_t max);
/* Copies [off, off + len) of the view into dst; returns the bytes copied. */
size_t view_copy(const struct view *v, uint64_t off, uint8_t *dst, size_t len);
/* Entry i, or NULL past the end. */
const struct nvmf_disc_log_entry *view_entry(const struct view *v, size_t i);

#endif
