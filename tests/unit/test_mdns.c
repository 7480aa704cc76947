/* test_mdns.c - unit tests for mdns/: instance names (UTF-8 cuts, the host-name default),
 * the TXT record on the wire, the backoff schedule, which services a set of listeners gives,
 * the AvahiPoll adapter on a real libevent base with a pipe, and browsing's pure parts (TXT
 * parsing, classification, the index of found instances). */
#include <arpa/inet.h>
#include <avahi-common/address.h>
#include <avahi-common/defs.h>
#include <avahi-common/timeval.h>
#include <check.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "avahi_poll.h"
#include "browse.h"
#include "config.h"
#include "name.h"
#include "publish.h"

START_TEST(default_name_is_made_of_the_host_name)
{
	char out[MDNS_NAME_MAX + 1];

	mdns_name_default("storage-a", out, sizeof(out));
	ck_assert_str_eq(out, "nvme-cdc on storage-a");
	mdns_name_default("", out, sizeof(out));
	ck_assert_str_eq(out, "nvme-cdc");
}
END_TEST

START_TEST(default_name_is_cut_to_63_bytes)
{
	char host[65], out[MDNS_NAME_MAX + 1];

	memset(host, 'h', 64);
	host[64] = '\0';
	mdns_name_default(host, out, sizeof(out));
	ck_assert_uint_eq(strlen(out), 63);
	ck_assert(mdns_name_valid(out));
}
END_TEST

START_TEST(a_cut_never_splits_a_utf8_character)
{
	/* 60 ASCII bytes, then "é" (2 bytes) and "€" (3 bytes): byte 63 is inside the euro. */
	char s[80];

	memset(s, 'a', 60);
	strcpy(s + 60, "\xc3\xa9\xe2\x82\xac");
	ck_assert_uint_eq(mdns_utf8_truncate(s, 63), 62);
	ck_assert_str_eq(s + 60, "\xc3\xa9");
	ck_assert(mdns_name_valid(s));
	/* A cut inside the 2-byte character drops it whole. */
	ck_assert_uint_eq(mdns_utf8_truncate(s, 61), 60);
	ck_assert_uint_eq(strlen(s), 60);
	/* Short enough: untouched. */
	ck_assert_uint_eq(mdns_utf8_truncate(s, 63), 60);
}
END_TEST

START_TEST(names_must_be_short_utf8_text)
{
	char long_name[70];

	memset(long_name, 'x', 64);
	long_name[64] = '\0';
	ck_assert(mdns_name_valid("CDC \xc3\xa9tage 3"));
	ck_assert(!mdns_name_valid(""));
	ck_assert(!mdns_name_valid(long_name));
	ck_assert(!mdns_name_valid("tab\there"));
	ck_assert(!mdns_name_valid("bad \xc3("));	  /* truncated sequence */
	ck_assert(!mdns_name_valid("overlong \xc0\xaf")); /* '/' in two bytes */
	ck_assert(!mdns_name_valid("surrogate \xed\xa0\x80"));
}
END_TEST

START_TEST(txt_record_is_p_tcp_then_nqn_on_the_wire)
{
	const char *nqn = "nqn.2014-08.org.example:cdc:1";
	AvahiStringList *l = mdns_txt_new(nqn);
	uint8_t wire[256];
	size_t n;

	ck_assert_ptr_nonnull(l);
	n = avahi_string_list_serialize(l, wire, sizeof(wire));
	/* RFC 6763 §6: length-prefixed strings, as in the spec's example. */
	ck_assert_uint_eq(n, 1 + 5 + 1 + 4 + strlen(nqn));
	ck_assert_int_eq(wire[0], 5);
	ck_assert_int_eq(memcmp(wire + 1, "p=tcp", 5), 0);
	ck_assert_int_eq(wire[6], 4 + strlen(nqn));
	ck_assert_int_eq(memcmp(wire + 7, "nqn=", 4), 0);
	ck_assert_int_eq(memcmp(wire + 11, nqn, strlen(nqn)), 0);
	avahi_string_list_free(l);

	l = mdns_txt_new("");
	ck_assert_uint_eq(avahi_string_list_length(l), 1);
	avahi_string_list_free(l);
}
END_TEST

START_TEST(backoff_doubles_from_one_second_to_thirty)
{
	const unsigned int want[] = {1000, 2000, 4000, 8000, 16000, 30000, 30000};

	for (unsigned int i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		ck_assert_uint_eq(mdns_backoff_ms(i), want[i]);
	ck_assert_uint_eq(mdns_backoff_ms(1000), 30000);
}
END_TEST

/* The test's interfaces: 192.0.2.1 on #3, 2001:db8::1 on #4, the loopback on none. */
static int fake_ifindex(const struct sockaddr *sa)
{
	char text[64];

	if (sa->sa_family == AF_INET) {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, text, sizeof(text));
		return !strcmp(text, "192.0.2.1") ? 3 : 0;
	}
	inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, text, sizeof(text));
	return !strcmp(text, "2001:db8::1") ? 4 : 0;
}

static size_t plan_of(const char *const *addrs, const int *ifindex, size_t nif,
		      struct mdns_service *out)
{
	struct cdc_listen l[8];
	size_t n = 0;

	for (; addrs[n]; n++)
		ck_assert_int_eq(addr_parse_listen(addrs[n], &l[n]), 0);
	return mdns_services_plan(l, n, ifindex, nif, fake_ifindex, out, 16);
}

START_TEST(both_wildcards_on_one_port_are_one_service_everywhere)
{
	const char *const addrs[] = {"0.0.0.0:8009", "[::]:8009", NULL};
	struct mdns_service s[16];

	ck_assert_uint_eq(plan_of(addrs, NULL, 0, s), 1);
	ck_assert_uint_eq(s[0].port, 8009);
	ck_assert_int_eq(s[0].ifindex, AVAHI_IF_UNSPEC);
	ck_assert_int_eq(s[0].protocol, AVAHI_PROTO_UNSPEC);
}
END_TEST

START_TEST(a_specific_address_is_announced_on_its_interface_only)
{
	const char *const addrs[] = {"192.0.2.1:8009", "127.0.0.1:8009", "[2001:db8::1]:4420",
				     "198.51.100.7:8009", NULL};
	struct mdns_service s[16];

	/* The loopback and an address on no interface are not announced. */
	ck_assert_uint_eq(plan_of(addrs, NULL, 0, s), 2);
	ck_assert_uint_eq(s[0].port, 8009);
	ck_assert_int_eq(s[0].ifindex, 3);
	ck_assert_int_eq(s[0].protocol, AVAHI_PROTO_INET);
	ck_assert_uint_eq(s[1].port, 4420);
	ck_assert_int_eq(s[1].ifindex, 4);
	ck_assert_int_eq(s[1].protocol, AVAHI_PROTO_INET6);
}
END_TEST

START_TEST(a_specific_address_merges_into_a_wildcard_of_its_port)
{
	const char *const addrs[] = {"192.0.2.1:8009", "[::]:8009", NULL};
	struct mdns_service s[16];

	ck_assert_uint_eq(plan_of(addrs, NULL, 0, s), 1);
	ck_assert_int_eq(s[0].ifindex, AVAHI_IF_UNSPEC);
	ck_assert_int_eq(s[0].protocol, AVAHI_PROTO_UNSPEC);
}
END_TEST

START_TEST(configured_interfaces_restrict_where_services_go)
{
	const char *const addrs[] = {"0.0.0.0:8009", "[2001:db8::1]:4420", "192.0.2.1:4421", NULL};
	const int ifs[] = {3, 7};
	struct mdns_service s[16];

	/* The wildcard on each listed interface; 2001:db8::1 is on #4, not listed. */
	ck_assert_uint_eq(plan_of(addrs, ifs, 2, s), 3);
	ck_assert_int_eq(s[0].ifindex, 3);
	ck_assert_int_eq(s[1].ifindex, 7);
	ck_assert_uint_eq(s[2].port, 4421);
	ck_assert_int_eq(s[2].ifindex, 3);
}
END_TEST

START_TEST(only_loopback_listeners_announce_nothing)
{
	const char *const addrs[] = {"127.0.0.1:8009", "[::1]:8009", NULL};
	struct mdns_service s[16];

	ck_assert_uint_eq(plan_of(addrs, NULL, 0, s), 0);
}
END_TEST

/* ---- the AvahiPoll adapter ---- */

struct seen {
	int watch_calls, timeout_calls;
	AvahiWatchEvent events, got_events;
	const AvahiPoll *api;
	bool free_in_callback;
};

static void watch_cb(AvahiWatch *w, int fd, AvahiWatchEvent events, void *userdata)
{
	struct seen *s = userdata;
	char c;

	s->watch_calls++;
	s->events = events;
	s->got_events = s->api->watch_get_events(w);
	ck_assert_int_eq(read(fd, &c, 1), 1);
	if (s->free_in_callback)
		s->api->watch_free(w);
}

static void timeout_cb(AvahiTimeout *t, void *userdata)
{
	struct seen *s = userdata;

	(void)t;
	s->timeout_calls++;
}

static void pipe_nonblock(int p[2])
{
	ck_assert_int_eq(pipe(p), 0);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
}

START_TEST(a_watch_fires_when_its_fd_is_readable)
{
	struct event_base *base = event_base_new();
	struct mdns_poll *mp;
	struct seen s = {0};
	int p[2];

	ck_assert_int_eq(mdns_poll_new(base, &mp), 0);
	s.api = mdns_poll_get(mp);
	pipe_nonblock(p);
	AvahiWatch *w = s.api->watch_new(s.api, p[0], AVAHI_WATCH_IN, watch_cb, &s);
	ck_assert_ptr_nonnull(w);
	event_base_loop(base, EVLOOP_NONBLOCK);
	ck_assert_int_eq(s.watch_calls, 0);
	ck_assert_int_eq(write(p[1], "x", 1), 1);
	event_base_loop(base, EVLOOP_ONCE);
	ck_assert_int_eq(s.watch_calls, 1);
	ck_assert_int_eq(s.events, AVAHI_WATCH_IN);
	ck_assert_int_eq(s.got_events, AVAHI_WATCH_IN);
	/* Persistent: a second byte fires it again. */
	ck_assert_int_eq(write(p[1], "y", 1), 1);
	event_base_loop(base, EVLOOP_ONCE);
	ck_assert_int_eq(s.watch_calls, 2);
	/* Updated to no events, it stays quiet. */
	s.api->watch_update(w, 0);
	ck_assert_int_eq(write(p[1], "z", 1), 1);
	event_base_loop(base, EVLOOP_NONBLOCK);
	ck_assert_int_eq(s.watch_calls, 2);
	/* And back: the pending byte is seen. */
	s.api->watch_update(w, AVAHI_WATCH_IN);
	event_base_loop(base, EVLOOP_ONCE);
	ck_assert_int_eq(s.watch_calls, 3);
	ck_assert_uint_eq(mdns_poll_pending(mp), 1);
	s.api->watch_free(w);
	ck_assert_uint_eq(mdns_poll_pending(mp), 0);
	close(p[0]);
	close(p[1]);
	mdns_poll_free(mp);
	event_base_free(base);
}
END_TEST

START_TEST(a_watch_may_free_itself_in_its_callback)
{
	struct event_base *base = event_base_new();
	struct mdns_poll *mp;
	struct seen s = {.free_in_callback = true};
	int p[2];

	ck_assert_int_eq(mdns_poll_new(base, &mp), 0);
	s.api = mdns_poll_get(mp);
	pipe_nonblock(p);
	ck_assert_ptr_nonnull(s.api->watch_new(s.api, p[0], AVAHI_WATCH_IN, watch_cb, &s));
	ck_assert_int_eq(write(p[1], "xy", 2), 2);
	event_base_loop(base, EVLOOP_ONCE);
	ck_assert_int_eq(s.watch_calls, 1);
	ck_assert_uint_eq(mdns_poll_pending(mp), 0);
	event_base_loop(base, EVLOOP_NONBLOCK); /* the second byte: nobody is called */
	ck_assert_int_eq(s.watch_calls, 1);
	close(p[0]);
	close(p[1]);
	mdns_poll_free(mp);
	event_base_free(base);
}
END_TEST

START_TEST(a_timeout_fires_at_its_absolute_deadline_and_can_be_moved)
{
	struct event_base *base = event_base_new();
	struct mdns_poll *mp;
	struct seen s = {0};
	struct timeval when, start, end;

	ck_assert_int_eq(mdns_poll_new(base, &mp), 0);
	s.api = mdns_poll_get(mp);
	gettimeofday(&start, NULL);
	avahi_elapse_time(&when, 50, 0); /* 50 ms from now, as avahi gives it */
	AvahiTimeout *t = s.api->timeout_new(s.api, &when, timeout_cb, &s);
	ck_assert_ptr_nonnull(t);
	event_base_dispatch(base); /* returns when nothing is pending */
	gettimeofday(&end, NULL);
	ck_assert_int_eq(s.timeout_calls, 1);
	ck_assert_int_ge(avahi_timeval_diff(&end, &start), 45000);
	/* One-shot until moved; a deadline in the past fires at once. */
	when.tv_sec -= 10;
	s.api->timeout_update(t, &when);
	event_base_loop(base, EVLOOP_NONBLOCK);
	ck_assert_int_eq(s.timeout_calls, 2);
	/* Disabled (NULL), it never fires. */
	avahi_elapse_time(&when, 1, 0);
	s.api->timeout_update(t, &when);
	s.api->timeout_update(t, NULL);
	usleep(5000);
	event_base_loop(base, EVLOOP_NONBLOCK);
	ck_assert_int_eq(s.timeout_calls, 2);
	/* Created disabled, too. */
	AvahiTimeout *t2 = s.api->timeout_new(s.api, NULL, timeout_cb, &s);
	ck_assert_ptr_nonnull(t2);
	ck_assert_uint_eq(mdns_poll_pending(mp), 2);
	s.api->timeout_free(t);
	s.api->timeout_free(t2);
	ck_assert_uint_eq(mdns_poll_pending(mp), 0);
	mdns_poll_free(mp);
	event_base_free(base);
}
END_TEST

START_TEST(disabled_mdns_is_off_and_shows_only_its_state)
{
	struct event_base *base = event_base_new();
	struct cdc_mdns_config cfg = {.enable = false};
	struct cdc_listen l;
	struct mdns_pub *pub;

	ck_assert_int_eq(addr_parse_listen("0.0.0.0:8009", &l), 0);
	ck_assert_int_eq(mdns_pub_new(base, "nqn.2014-08.org.example:cdc:1", &pub), 0);
	mdns_pub_configure(pub, &cfg, &l, 1);
	ck_assert_int_eq(mdns_pub_state(pub), MDNS_OFF);
	struct json_object *o = mdns_pub_json(pub);
	ck_assert_str_eq(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN),
			 "{\"state\":\"off\"}");
	json_object_put(o);
	mdns_pub_free(pub);
	event_base_free(base);
}
END_TEST

/* ---- browsing ---- */

#define OWN_NQN "nqn.2014-08.org.example:cdc:own"

static void parse(struct mdns_txt *t, const char *a, const char *b)
{
	AvahiStringList *l = avahi_string_list_new(a, b, NULL);

	mdns_txt_parse(l, t);
	avahi_string_list_free(l);
}

START_TEST(txt_gives_p_tcp_and_nqn)
{
	struct mdns_txt t;

	parse(&t, "p=tcp", "nqn=nqn.2014-08.org.example:ddc1");
	ck_assert(t.tcp);
	ck_assert_str_eq(t.nqn, "nqn.2014-08.org.example:ddc1");
	parse(&t, "nqn=nqn.2014-08.org.example:ddc1", "P=TCP");
	ck_assert(t.tcp);
	/* Other transports and prefixes of p=tcp are not TCP. */
	parse(&t, "p=rdma", NULL);
	ck_assert(!t.tcp);
	ck_assert_str_eq(t.nqn, "");
	parse(&t, "p=tcpx", "nqn=");
	ck_assert(!t.tcp);
	ck_assert_str_eq(t.nqn, "");
	/* An NQN is ASCII text: one with a control character is dropped. */
	parse(&t, "p=tcp", "nqn=nqn.2014-08.org.example:a\nb");
	ck_assert_str_eq(t.nqn, "");
	mdns_txt_parse(NULL, &t);
	ck_assert(!t.tcp);
}
END_TEST

START_TEST(an_nqn_longer_than_223_bytes_is_dropped)
{
	char s[4 + CDC_NQN_MAX + 2];
	struct mdns_txt t;

	memcpy(s, "nqn=", 4);
	memset(s + 4, 'n', CDC_NQN_MAX + 1);
	s[sizeof(s) - 1] = '\0';
	parse(&t, "p=tcp", s);
	ck_assert_str_eq(t.nqn, "");
	s[sizeof(s) - 2] = '\0'; /* exactly CDC_NQN_MAX */
	parse(&t, "p=tcp", s);
	ck_assert_uint_eq(strlen(t.nqn), CDC_NQN_MAX);
}
END_TEST

START_TEST(classification_is_own_then_tcp_then_subtype)
{
	struct mdns_txt ddc = {.tcp = true, .nqn = "nqn.2014-08.org.example:ddc1"};
	struct mdns_txt own = {.tcp = true, .nqn = OWN_NQN};
	struct mdns_txt rdma = {.tcp = false, .nqn = "nqn.2014-08.org.example:ddc1"};

	ck_assert_int_eq(mdns_classify(&ddc, false, OWN_NQN, 0), MDNS_DDC);
	ck_assert_int_eq(mdns_classify(&ddc, true, OWN_NQN, 0), MDNS_CDC);
	ck_assert_int_eq(mdns_classify(&own, true, OWN_NQN, 0), MDNS_OWN);
	ck_assert_int_eq(mdns_classify(&ddc, true, OWN_NQN, AVAHI_LOOKUP_RESULT_OUR_OWN), MDNS_OWN);
	/* A DDC on this very host is still a candidate. */
	ck_assert_int_eq(mdns_classify(&ddc, false, OWN_NQN, AVAHI_LOOKUP_RESULT_LOCAL), MDNS_DDC);
	ck_assert_int_eq(mdns_classify(&rdma, false, OWN_NQN, 0), MDNS_NOT_TCP);
	ck_assert_int_eq(mdns_classify(&rdma, true, OWN_NQN, 0), MDNS_NOT_TCP);
}
END_TEST

START_TEST(one_instance_on_several_interfaces_is_one_entry_until_its_last_goodbye)
{
	struct mdns_index idx = RB_INITIALIZER(&idx);
	struct mdns_sighting a4 = {2, AVAHI_PROTO_INET, false}, a6 = {2, AVAHI_PROTO_INET6, false},
			     b4 = {3, AVAHI_PROTO_INET, false};
	struct mdns_found *f, *g;
	bool added;

	f = mdns_index_see(&idx, "ddc1", "_nvme-disc._tcp", "local", &a4, &added);
	ck_assert(f && added);
	ck_assert_int_eq(f->c.kind, MDNS_PENDING);
	ck_assert_ptr_eq(mdns_index_see(&idx, "ddc1", "_nvme-disc._tcp", "local", &a6, &added), f);
	ck_assert(!added);
	ck_assert_ptr_eq(mdns_index_see(&idx, "ddc1", "_nvme-disc._tcp", "local", &b4, &added), f);
	/* The same sighting twice counts once. */
	mdns_index_see(&idx, "ddc1", "_nvme-disc._tcp", "local", &b4, &added);
	ck_assert_uint_eq(f->nseen, 3);
	g = mdns_index_see(&idx, "ddc2", "_nvme-disc._tcp", "local", &a4, &added);
	ck_assert(g != f && added);

	ck_assert_ptr_null(mdns_index_lose(&idx, "ddc1", "_nvme-disc._tcp", "local", &a4));
	ck_assert_ptr_null(mdns_index_lose(&idx, "ddc1", "_nvme-disc._tcp", "local", &b4));
	/* A goodbye for what was never seen changes nothing. */
	ck_assert_ptr_null(mdns_index_lose(&idx, "ddc1", "_nvme-disc._tcp", "local", &b4));
	ck_assert_ptr_null(mdns_index_lose(&idx, "nobody", "_nvme-disc._tcp", "local", &b4));
	ck_assert_ptr_eq(mdns_index_lose(&idx, "ddc1", "_nvme-disc._tcp", "local", &a6), f);
	mdns_index_remove(&idx, f);
	ck_assert_ptr_eq(RB_ROOT(&idx), g);
	ck_assert_ptr_eq(mdns_index_lose(&idx, "ddc2", "_nvme-disc._tcp", "local", &a4), g);
	mdns_index_remove(&idx, g);
	ck_assert(RB_EMPTY(&idx));
}
END_TEST

START_TEST(the_subtype_browser_marks_an_instance_as_a_cdc)
{
	struct mdns_index idx = RB_INITIALIZER(&idx);
	struct mdns_sighting all = {2, AVAHI_PROTO_INET, false}, sub = {2, AVAHI_PROTO_INET, true};
	struct mdns_found *f;
	bool added;

	f = mdns_index_see(&idx, "cdc2", "_nvme-disc._tcp", "local", &all, &added);
	ck_assert(!mdns_found_is_subtype(f));
	mdns_index_see(&idx, "cdc2", "_nvme-disc._tcp", "local", &sub, &added);
	ck_assert(mdns_found_is_subtype(f));
	/* Names are case-sensitive, types and domains are not. */
	ck_assert_ptr_eq(mdns_index_see(&idx, "cdc2", "_NVME-disc._tcp", "LOCAL", &sub, &added), f);
	ck_assert(!added);
	ck_assert_ptr_null(mdns_index_lose(&idx, "cdc2", "_nvme-disc._tcp", "local", &sub));
	ck_assert(!mdns_found_is_subtype(f));
	ck_assert_ptr_eq(mdns_index_lose(&idx, "cdc2", "_nvme-disc._tcp", "local", &all), f);
	mdns_index_remove(&idx, f);
}
END_TEST

START_TEST(browsing_off_finds_nothing_and_calls_no_hook)
{
	struct event_base *base = event_base_new();
	struct cdc_mdns_config cfg = {.enable = true, .browse = CDC_BROWSE_OFF};
	struct mdns_browse *b;

	ck_assert_int_eq(mdns_browse_new(base, OWN_NQN, NULL, NULL, &b), 0);
	mdns_browse_configure(b, &cfg);
	struct json_object *o = mdns_browse_json(b);
	ck_assert_str_eq(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN), "[]");
	json_object_put(o);
	mdns_browse_free(b);
	event_base_free(base);
}
END_TEST

static Suite *mdns_suite(void)
{
	Suite *s = suite_create("mdns");
	TCase *tc = tcase_create("mdns");

	tcase_add_test(tc, default_name_is_made_of_the_host_name);
	tcase_add_test(tc, default_name_is_cut_to_63_bytes);
	tcase_add_test(tc, a_cut_never_splits_a_utf8_character);
	tcase_add_test(tc, names_must_be_short_utf8_text);
	tcase_add_test(tc, txt_record_is_p_tcp_then_nqn_on_the_wire);
	tcase_add_test(tc, backoff_doubles_from_one_second_to_thirty);
	tcase_add_test(tc, both_wildcards_on_one_port_are_one_service_everywhere);
	tcase_add_test(tc, a_specific_address_is_announced_on_its_interface_only);
	tcase_add_test(tc, a_specific_address_merges_into_a_wildcard_of_its_port);
	tcase_add_test(tc, configured_interfaces_restrict_where_services_go);
	tcase_add_test(tc, only_loopback_listeners_announce_nothing);
	tcase_add_test(tc, a_watch_fires_when_its_fd_is_readable);
	tcase_add_test(tc, a_watch_may_free_itself_in_its_callback);
	tcase_add_test(tc, a_timeout_fires_at_its_absolute_deadline_and_can_be_moved);
	tcase_add_test(tc, disabled_mdns_is_off_and_shows_only_its_state);
	tcase_add_test(tc, txt_gives_p_tcp_and_nqn);
	tcase_add_test(tc, an_nqn_longer_than_223_bytes_is_dropped);
	tcase_add_test(tc, classification_is_own_then_tcp_then_subtype);
	tcase_add_test(tc, one_instance_on_several_interfaces_is_one_entry_until_its_last_goodbye);
	tcase_add_test(tc, the_subtype_browser_marks_an_instance_as_a_cdc);
	tcase_add_test(tc, browsing_off_finds_nothing_and_calls_no_hook);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(mdns_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
