/* log_body.c - a log body in pages of whole entries. A page is rebuilt, into a new blob,
 * only when one of its members joined, left or was touched; replies that still hold the
 * old blob keep it. Offsets are prefix sums over the pages, so a read finds its first page
 * by binary search and costs what it reads. */
#include "log_body.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"

struct log_page {
	TAILQ_HEAD(, log_slot) members;
	size_t n;		/* members now */
	struct disc_blob *blob; /* the bytes as last built (NULL: none yet) */
	size_t len;		/* bytes in blob */
	size_t nentries;	/* entries in blob */
	uint64_t start;		/* offset of the page in the body */
	bool dirty;
};

void log_body_init(struct log_body *b)
{
	memset(b, 0, sizeof(*b));
}

void log_body_free(struct log_body *b)
{
	for (size_t i = 0; i < b->npages; i++) {
		struct log_slot *s;
		while ((s = TAILQ_FIRST(&b->pages[i]->members))) {
			TAILQ_REMOVE(&b->pages[i]->members, s, link);
			s->page = NULL;
		}
		disc_blob_unref(b->pages[i]->blob);
		free(b->pages[i]);
	}
	free(b->pages);
	log_body_init(b);
}

static void page_dirty(struct log_body *b, struct log_page *pg)
{
	if (!pg->dirty) {
		pg->dirty = true;
		b->ndirty++;
	}
}

static struct log_page *page_new(struct log_body *b)
{
	struct log_page **p = array_grow(b->pages, &b->cap, b->npages, sizeof(*p), 16);

	if (!p)
		return NULL;
	b->pages = p;
	struct log_page *pg = calloc(1, sizeof(*pg));
	if (!pg)
		return NULL;
	TAILQ_INIT(&pg->members);
	pg->start = b->len;
	b->pages[b->npages++] = pg;
	return pg;
}

int log_body_add(struct log_body *b, struct log_slot *slot)
{
	struct log_page *pg = b->npages ? b->pages[b->npages - 1] : NULL;

	if (!pg || pg->n >= LOG_PAGE_ENTRIES)
		pg = page_new(b);
	if (!pg)
		return -ENOMEM;
	TAILQ_INSERT_TAIL(&pg->members, slot, link);
	pg->n++;
	slot->page = pg;
	b->nmembers++;
	page_dirty(b, pg);
	return 0;
}

void log_body_remove(struct log_body *b, struct log_slot *slot)
{
	struct log_page *pg = slot->page;

	if (!pg)
		return;
	TAILQ_REMOVE(&pg->members, slot, link);
	pg->n--;
	slot->page = NULL;
	b->nmembers--;
	page_dirty(b, pg);
}

void log_body_touch(struct log_body *b, struct log_slot *slot)
{
	if (slot->page)
		page_dirty(b, slot->page);
}

/* Builds one page into a new blob; *changed learns whether its bytes differ. */
static int page_build(struct log_page *pg, const struct log_body_ops *ops, void *ctx, bool *changed)
{
	struct disc_blob *blob = NULL;
	struct log_slot *s;
	size_t len = 0, off = 0, nentries = 0;

	TAILQ_FOREACH (s, &pg->members, link)
		len += ops->size(ctx, s);
	if (disc_blob_reserve(&blob, len))
		return -ENOMEM;
	/* A member whose entry has no bytes is withheld (a path marked down): it keeps its
	 * place in the page, and comes back when touched again. */
	TAILQ_FOREACH (s, &pg->members, link) {
		size_t n = ops->size(ctx, s);
		if (!n)
			continue;
		ops->fill(ctx, s, blob->data + off, n);
		off += n;
		nentries++;
	}
	if (pg->blob && pg->len == len && (!len || !memcmp(pg->blob->data, blob->data, len))) {
		disc_blob_unref(blob);
	} else {
		*changed = true;
		disc_blob_unref(pg->blob);
		pg->blob = blob;
		pg->len = len;
	}
	pg->nentries = nentries;
	pg->dirty = false;
	return 0;
}

/* Drops the pages left empty and recomputes the offsets. */
static void pages_settle(struct log_body *b)
{
	size_t k = 0;

	b->len = 0;
	b->nentries = 0;
	for (size_t i = 0; i < b->npages; i++) {
		struct log_page *pg = b->pages[i];
		if (!pg->n && !pg->dirty) {
			disc_blob_unref(pg->blob);
			free(pg);
			continue;
		}
		pg->start = b->len;
		b->len += pg->len;
		b->nentries += pg->nentries;
		b->pages[k++] = pg;
	}
	b->npages = k;
}

int log_body_build(struct log_body *b, const struct log_body_ops *ops, void *ctx)
{
	bool changed = false;
	int err = 0;

	if (!b->ndirty)
		return 0;
	for (size_t i = 0; i < b->npages && !err; i++) {
		struct log_page *pg = b->pages[i];
		if (!pg->dirty)
			continue;
		if (!pg->n) {
			changed |= pg->len > 0;
			pg->len = pg->nentries = 0;
			pg->dirty = false;
		} else {
			err = page_build(pg, ops, ctx, &changed);
		}
		if (!err)
			b->ndirty--;
	}
	pages_settle(b);
	return err ? err : changed;
}

struct disc_blob *log_body_page(const struct log_body *b, size_t i, size_t *len)
{
	*len = b->pages[i]->len;
	return b->pages[i]->len ? b->pages[i]->blob : NULL;
}
