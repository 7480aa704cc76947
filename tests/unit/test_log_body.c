/* test_log_body.c - a log body in pages: what is built, what a change rebuilds (only its
 * page), reads across pages, and that a reply keeps the bytes it referenced. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "log_body.h"
#include "view.h"

/* Members whose entry is len bytes of their tag. */
struct member {
	struct log_slot slot;
	uint8_t tag;
	size_t len;
};

static size_t m_size(void *ctx, const struct log_slot *s)
{
	(void)ctx;
	return ((const struct member *)(const void *)s)->len;
}

static void m_fill(void *ctx, const struct log_slot *s, uint8_t *out, size_t len)
{
	(*(int *)ctx)++;
	memset(out, ((const struct member *)(const void *)s)->tag, len);
}

static const struct log_body_ops ops = {m_size, m_fill};

#define N (LOG_PAGE_ENTRIES * 3 + 5)
static struct member m[N];
static struct log_body b;
static int fills;

static void setup(void)
{
	log_body_init(&b);
	fills = 0;
	for (int i = 0; i < N; i++) {
		m[i] = (struct member){.tag = (uint8_t)i, .len = 16 + (size_t)(i % 3)};
		ck_assert_int_eq(log_body_add(&b, &m[i].slot), 0);
	}
	ck_assert_int_eq(log_body_build(&b, &ops, &fills), 1);
}

static void teardown(void)
{
	log_body_free(&b);
}

/* Pieces of the body as built now, through a view of it. */
static size_t pieces(uint64_t off, uint64_t len, struct log_piece *out, size_t max)
{
	const struct log_body *body = &b;
	struct view *v = view_new(&body, 1, 0);

	ck_assert_ptr_nonnull(v);
	size_t n = view_pieces(v, off, len, out, max);
	for (size_t i = 0; i < n && i < max; i++)
		disc_blob_ref(out[i].blob); /* the caller's, as a reply's */
	view_unref(v);
	return n;
}

static void pieces_unref(struct log_piece *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		disc_blob_unref(p[i].blob);
}

/* The body as one buffer, from its pieces. */
static uint8_t *flat(size_t *len)
{
	size_t n = pieces(0, b.len, NULL, 0);
	struct log_piece *p = calloc(n + 1, sizeof(*p));
	uint8_t *out = malloc(b.len + 1);

	ck_assert_uint_eq(pieces(0, b.len, p, n), n);
	*len = 0;
	for (size_t i = 0; i < n; i++) {
		memcpy(out + *len, p[i].p, p[i].len);
		*len += p[i].len;
	}
	pieces_unref(p, n);
	free(p);
	return out;
}

/* What the body must hold: every member present, in order. */
static void assert_body(const bool *present)
{
	size_t len, off = 0, entries = 0;
	uint8_t *got = flat(&len);

	for (int i = 0; i < N; i++) {
		if (!present[i])
			continue;
		for (size_t k = 0; k < m[i].len; k++)
			ck_assert_msg(got[off + k] == m[i].tag, "member %d byte %zu", i, k);
		off += m[i].len;
		entries++;
	}
	ck_assert_uint_eq(len, off);
	ck_assert_uint_eq(b.len, off);
	ck_assert_uint_eq(b.nentries, entries);
	free(got);
}

START_TEST(members_are_laid_out_in_order_in_pages_of_whole_entries)
{
	bool all[N];

	memset(all, 1, sizeof(all));
	assert_body(all);
	ck_assert_uint_eq(b.npages, 4);
	ck_assert_int_eq(fills, N);
	/* Nothing changed: nothing is rebuilt, nothing reported. */
	ck_assert_int_eq(log_body_build(&b, &ops, &fills), 0);
	ck_assert_int_eq(fills, N);
}
END_TEST

START_TEST(a_touch_rebuilds_only_its_page_and_a_reply_keeps_the_old_bytes)
{
	struct log_piece before[8], after[8];
	size_t n = pieces(0, b.len, before, 8); /* a reply in flight holds them */

	ck_assert_uint_eq(n, 4);
	m[LOG_PAGE_ENTRIES + 1].tag = 0xee;
	log_body_touch(&b, &m[LOG_PAGE_ENTRIES + 1].slot);
	ck_assert_int_eq(log_body_build(&b, &ops, &fills), 1);
	ck_assert_int_eq(fills, N + LOG_PAGE_ENTRIES); /* the second page only */
	ck_assert_uint_eq(pieces(0, b.len, after, 8), 4);
	ck_assert_ptr_eq(after[0].blob, before[0].blob);
	ck_assert_ptr_ne(after[1].blob, before[1].blob);
	ck_assert_ptr_eq(after[2].blob, before[2].blob);
	/* The reply still reads what it was given. */
	ck_assert_uint_eq(before[1].p[m[LOG_PAGE_ENTRIES].len], (uint8_t)(LOG_PAGE_ENTRIES + 1));
	pieces_unref(before, n);
	pieces_unref(after, 4);

	/* A touch that changes no byte reports no change. */
	log_body_touch(&b, &m[3].slot);
	ck_assert_int_eq(log_body_build(&b, &ops, &fills), 0);
}
END_TEST

START_TEST(removals_and_additions_keep_the_order_and_drop_empty_pages)
{
	bool present[N];

	memset(present, 1, sizeof(present));
	for (int i = LOG_PAGE_ENTRIES; i < 2 * LOG_PAGE_ENTRIES; i++) {
		log_body_remove(&b, &m[i].slot);
		present[i] = false;
	}
	log_body_remove(&b, &m[7].slot);
	present[7] = false;
	ck_assert_int_eq(log_body_build(&b, &ops, &fills), 1);
	assert_body(present);
	ck_assert_uint_eq(b.npages, 3);
	/* A member that comes back goes to the end. */
	ck_assert_int_eq(log_body_add(&b, &m[7].slot), 0);
	ck_assert_int_eq(log_body_build(&b, &ops, &fills), 1);
	size_t len;
	uint8_t *got = flat(&len);
	ck_assert_uint_eq(got[len - 1], 7);
	free(got);
}
END_TEST

START_TEST(reads_at_any_offset_match_the_whole)
{
	size_t len;
	uint8_t *whole = flat(&len), buf[200];
	struct log_piece p[8];

	for (uint64_t off = 0; off < len; off += 37) {
		size_t want = len - off < sizeof(buf) ? len - off : sizeof(buf);
		const struct log_body *body = &b;
		struct view *v = view_new(&body, 1, 0);
		ck_assert_uint_eq(view_copy(v, off, buf, sizeof(buf)), want);
		ck_assert_mem_eq(buf, whole + off, want);
		size_t n = view_pieces(v, off, want, p, 8), got = 0;
		for (size_t i = 0; i < n; got += p[i++].len)
			ck_assert_mem_eq(p[i].p, whole + off + got, p[i].len);
		ck_assert_uint_eq(got, want);
		view_unref(v);
	}
	ck_assert_uint_eq(pieces(len, 100, p, 8), 0);
	free(whole);
}
END_TEST

/* A view is the body of one moment: a change after it makes a new view and leaves the old
 * one, and whoever reads it, with the bytes and counter it had. */
START_TEST(a_view_keeps_its_moment)
{
	const struct log_body *body = &b;
	struct view *old = view_new(&body, 1, 7);
	uint8_t was[16], now[16];

	ck_assert_ptr_nonnull(old);
	ck_assert_uint_eq(view_copy(old, 0, was, sizeof(was)), sizeof(was));
	m[0].tag = 0x5a;
	log_body_touch(&b, &m[0].slot);
	ck_assert_int_eq(log_body_build(&b, &ops, &fills), 1);
	struct view *cur = view_new(&body, 1, 8);
	ck_assert_uint_eq(view_copy(cur, 0, now, sizeof(now)), sizeof(now));
	ck_assert_uint_eq(now[0], 0x5a);
	ck_assert_uint_eq(view_copy(old, 0, now, sizeof(now)), sizeof(now));
	ck_assert_mem_eq(now, was, sizeof(was));
	ck_assert_uint_eq(old->genctr, 7);
	ck_assert_uint_eq(cur->nentries, old->nentries);
	ck_assert_ptr_eq(view_entry(cur, N), NULL);
	view_unref(old);
	view_unref(cur);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("log_body");
	TCase *tc = tcase_create("pages");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, members_are_laid_out_in_order_in_pages_of_whole_entries);
	tcase_add_test(tc, a_touch_rebuilds_only_its_page_and_a_reply_keeps_the_old_bytes);
	tcase_add_test(tc, removals_and_additions_keep_the_order_and_drop_empty_pages);
	tcase_add_test(tc, reads_at_any_offset_match_the_whole);
	tcase_add_test(tc, a_view_keeps_its_moment);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
