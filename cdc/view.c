/* view.c - immutable snapshots of log bodies: a table of referenced pages with their
 * offsets, made when the log changes (its cost is the number of pages, not entries). */
#include "view.h"

#include <stdlib.h>
#include <string.h>

struct view *view_new(const struct log_body *const *bodies, size_t nbodies, uint64_t genctr)
{
	size_t npages = 0;

	for (size_t b = 0; b < nbodies; b++)
		npages += bodies[b]->npages;
	struct view *v = calloc(1, sizeof(*v) + npages * sizeof(v->pages[0]));
	if (!v)
		return NULL;
	v->refs = 1;
	v->genctr = genctr;
	for (size_t b = 0; b < nbodies; b++) {
		v->nentries += bodies[b]->nentries;
		for (size_t i = 0; i < bodies[b]->npages; i++) {
			size_t len;
			struct disc_blob *blob = log_body_page(bodies[b], i, &len);
			if (!blob)
				continue;
			v->pages[v->npages++] =
				(struct view_page){disc_blob_ref(blob), v->len, (uint32_t)len};
			v->len += len;
		}
	}
	return v;
}

struct view *view_new_blob(struct disc_blob *blob, uint64_t len, size_t nentries, uint64_t genctr)
{
	struct view *v = calloc(1, sizeof(*v) + sizeof(v->pages[0]));

	if (!v)
		return NULL;
	v->refs = 1;
	v->genctr = genctr;
	v->nentries = nentries;
	v->len = len;
	if (len) {
		v->pages[0] = (struct view_page){disc_blob_ref(blob), 0, (uint32_t)len};
		v->npages = 1;
	}
	return v;
}

struct view *view_ref(struct view *v)
{
	v->refs++;
	return v;
}

void view_unref(struct view *v)
{
	if (!v || --v->refs)
		return;
	for (size_t i = 0; i < v->npages; i++)
		disc_blob_unref(v->pages[i].blob);
	free(v);
}

/* The first page that ends after off. */
static size_t page_at(const struct view *v, uint64_t off)
{
	size_t lo = 0, hi = v->npages;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v->pages[mid].start + v->pages[mid].len <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

size_t view_pieces(const struct view *v, uint64_t off, uint64_t len, struct log_piece *out,
		   size_t max)
{
	size_t n = 0;

	for (size_t i = page_at(v, off); i < v->npages && len; i++) {
		const struct view_page *pg = &v->pages[i];
		uint64_t from = off - pg->start, take = pg->len - from < len ? pg->len - from : len;
		if (n < max)
			out[n] =
				(struct log_piece){pg->blob, pg->blob->data + from, (uint32_t)take};
		n++;
		off += take;
		len -= take;
	}
	return n;
}

size_t view_copy(const struct view *v, uint64_t off, uint8_t *dst, size_t len)
{
	size_t done = 0;

	for (size_t i = page_at(v, off); i < v->npages && done < len; i++) {
		const struct view_page *pg = &v->pages[i];
		uint64_t from = off + done - pg->start;
		size_t take = pg->len - from < len - done ? pg->len - from : len - done;
		memcpy(dst + done, pg->blob->data + from, take);
		done += take;
	}
	return done;
}

const struct nvmf_disc_log_entry *view_entry(const struct view *v, size_t i)
{
	struct log_piece p;

	if (i >= v->nentries || view_pieces(v, (uint64_t)i * sizeof(struct nvmf_disc_log_entry),
					    sizeof(struct nvmf_disc_log_entry), &p, 1) != 1)
		return NULL;
	return (const void *)p.p;
}
