/* test_status_page.c - the status page as HTML: what the API's JSON holds is on it, escaped;
 * hosts say whether they are connected, persistent, implicit or explicit; it reloads itself,
 * fits a phone's width and loads nothing from elsewhere. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "status_page.h"

static char *html;

static const char *render(const char *json)
{
	struct json_object *data = json_tokener_parse(json);
	size_t len = 0;

	ck_assert_ptr_nonnull(data);
	free(html);
	FILE *out = open_memstream(&html, &len);
	ck_assert_int_eq(status_page_render(data, out), 0);
	ck_assert_int_eq(fclose(out), 0);
	json_object_put(data);
	return html;
}

static void teardown(void)
{
	free(html);
	html = NULL;
}

static const char full[] =
	"{\"status\": {\"version\": \"0.1.0\", \"nqn\": \"nqn.2014-08.org.example:cdc\","
	" \"uptime\": 93784, \"genctr\": 17, \"counts\": {\"connections\": 2}},"
	" \"subsystems\": [{\"nqn\": \"nqn.2014-08.org.example:storage1\", \"source\": \"dim\","
	"   \"ports\": [{\"trtype\": \"tcp\", \"traddr\": \"192.0.2.10\", \"trsvcid\": \"4420\","
	"   \"portid\": 1}, {\"trtype\": \"tcp\", \"traddr\": \"2001:db8::1\", \"trsvcid\":"
	"   \"4420\", \"portid\": 2, \"health\": \"down\"}]}],"
	" \"hosts\": [{\"hostnqn\": \"nqn.2014-08.org.example:h1\", \"traddr\": \"192.0.2.7\","
	"   \"source\": \"implicit\", \"connected\": true},"
	"  {\"hostnqn\": \"nqn.2014-08.org.example:h2\", \"traddr\": \"192.0.2.8\","
	"   \"source\": \"dim\", \"connected\": false}],"
	" \"referrals\": [{\"nqn\": \"nqn.2014-08.org.nvmexpress.discovery\", \"trtype\": \"tcp\","
	"   \"traddr\": \"192.0.2.50\", \"trsvcid\": \"8009\", \"portid\": 0, \"source\": "
	"\"admin\"}],"
	" \"connections\": [{\"hostnqn\": \"nqn.2014-08.org.example:h1\", \"persistent\": true}],"
	" \"changes\": [{\"id\": 1, \"when\": 0, \"actor\": \"admin\", \"action\": \"first\","
	"   \"detail\": \"x\"}, {\"id\": 2, \"when\": 86400, \"actor\": \"admin\","
	"   \"action\": \"second\", \"detail\": \"y\"}]}";

START_TEST(subsystems_ports_referrals_genctr_and_uptime_are_shown)
{
	render(full);
	ck_assert(strstr(html, "nqn.2014-08.org.example:storage1"));
	ck_assert(strstr(html,
			 "tcp 192.0.2.10:4420 (portid 1)<br>tcp 2001:db8::1:4420 (portid 2) down"));
	ck_assert(strstr(html, "tcp 192.0.2.50:8009 (portid 0)"));
	ck_assert(strstr(html, "<b id=\"genctr\">17</b>"));
	ck_assert(strstr(html, "<b id=\"uptime\">1d 02:03:04</b>")); /* 93784 s */
	ck_assert(strstr(html, "<h2>Subsystems (1)</h2>"));
	ck_assert(strstr(html, "<h2>Referrals (1)</h2>"));
}
END_TEST

START_TEST(hosts_say_connected_persistent_and_how_they_registered)
{
	render(full);
	const char *h1 = strstr(html, "nqn.2014-08.org.example:h1</td>");
	const char *h2 = strstr(html, "nqn.2014-08.org.example:h2</td>");
	ck_assert(h1 && h2 && h1 < h2);
	char row1[600], row2[600];
	snprintf(row1, sizeof(row1), "%.*s", (int)(strstr(h1, "</tr>") - h1), h1);
	snprintf(row2, sizeof(row2), "%.*s", (int)(strstr(h2, "</tr>") - h2), h2);
	ck_assert(strstr(row1, "data-label=\"Connected\" class=\"yes\""));
	ck_assert(strstr(row1, "data-label=\"Persistent\" class=\"yes\""));
	ck_assert(strstr(row1, "implicit"));
	ck_assert(strstr(row2, "data-label=\"Connected\" class=\"no\""));
	ck_assert(strstr(row2, "data-label=\"Persistent\" class=\"no\""));
	ck_assert(strstr(row2, "explicit (dim)"));
}
END_TEST

START_TEST(changes_are_listed_newest_first)
{
	render(full);
	const char *second = strstr(html, ">second<"), *first = strstr(html, ">first<");
	ck_assert(second && first && second < first);
	ck_assert(strstr(html, "1970-01-02 00:00:00 UTC"));
}
END_TEST

START_TEST(what_peers_chose_is_escaped)
{
	render("{\"status\": {\"nqn\": \"<b>\"}, \"hosts\": [{\"hostnqn\":"
	       " \"nqn.2014-08.x:<script>alert('1')</script>&\", \"source\": \"dim\"}]}");
	ck_assert_ptr_eq(strstr(html, "<script"), NULL);
	ck_assert_ptr_eq(strstr(html, "<b>\""), NULL);
	ck_assert(
		strstr(html, "nqn.2014-08.x:&lt;script&gt;alert(&#39;1&#39;)&lt;/script&gt;&amp;"));
}
END_TEST

START_TEST(the_page_reloads_itself_fits_a_phone_and_loads_nothing_else)
{
	render("{}");
	ck_assert(strstr(html, "<meta http-equiv=\"refresh\" content=\"5\">"));
	ck_assert(strstr(html, "name=\"viewport\" content=\"width=device-width"));
	ck_assert(strstr(html, "@media (max-width:"));
	ck_assert_ptr_eq(strstr(html, "<script"), NULL);
	ck_assert_ptr_eq(strstr(html, "src="), NULL);
	ck_assert_ptr_eq(strstr(html, "href="), NULL);
	ck_assert_ptr_eq(strstr(html, "@import"), NULL);
	ck_assert_ptr_eq(strstr(html, "url("), NULL);
	ck_assert(strstr(html, "<h2>Hosts (0)</h2><p class=\"empty\">none</p>"));
	ck_assert(strstr(html, "</html>\n"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("status_page");
	TCase *tc = tcase_create("status_page");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, subsystems_ports_referrals_genctr_and_uptime_are_shown);
	tcase_add_test(tc, hosts_say_connected_persistent_and_how_they_registered);
	tcase_add_test(tc, changes_are_listed_newest_first);
	tcase_add_test(tc, what_peers_chose_is_escaped);
	tcase_add_test(tc, the_page_reloads_itself_fits_a_phone_and_loads_nothing_else);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
