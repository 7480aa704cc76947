/* log_body.h - the body of a log page (70h or 71h entries) kept in pages of whole entries,
 * each page a reference-counted blob. A change rebuilds only the pages it touched, and a
 * read of any size references pages instead of copying them. Pure: no sockets, no SQL.
 * The members (records, hosts) embed a struct log_slot; the body calls back to size and
 * fill their entries. */
#ifndef CDC_LOG_BODY_H
#define CDC_LOG_BODY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include "disc_log.h"

#define LOG_PAGE_ENTRIES 64 /* entries per page: 64 KiB of log 70h */

struct log_page;

/* Where a member is in the body. Zeroed means "in no page". */
struct log_slot {
	struct log_page *page;
	TAILQ_ENTRY(log_slot) link;
};

/* How the body gets the bytes of a member's entry; a size of 0 withholds the member. */
struct log_body_ops {
	size_t (*size)(void *ctx, const struct log_slot *slot);
	void (*fill)(void *ctx, const struct log_slot *slot, uint8_t *out, size_t len);
};

struct log_body {
	struct log_page **pages;
	size_t npages, cap;
	uint64_t len;	 /* bytes, as of the last build */
	size_t nentries; /* members, as of the last build */
	size_t ndirty;	 /* pages to rebuild */
	size_t nmembers; /* members now */
};

void log_body_init(struct log_body *b);
void log_body_free(struct log_body *b);

/* A member joins at the end, leaves, or its entry may have changed. -ENOMEM on join. */
int log_body_add(struct log_body *b, struct log_slot *slot);
void log_body_remove(struct log_body *b, struct log_slot *slot);
void log_body_touch(struct log_body *b, struct log_slot *slot);

/* Rebuilds the pages that were touched. Returns 1 if the body's bytes changed, 0 if not,
 * -ENOMEM (then the old pages stay and stay marked). */
int log_body_build(struct log_body *b, const struct log_body_ops *ops, void *ctx);

/* One piece of a read: len bytes at p, inside blob (which the reader references). */
struct log_piece {
	struct disc_blob *blob;
	const uint8_t *p;
	uint32_t len;
};

/* Page i of the body as last built (its blob and length; NULL for an empty page), for
 * views that keep the pages of one moment. */
struct disc_blob *log_body_page(const struct log_body *b, size_t i, size_t *len);


#endif
