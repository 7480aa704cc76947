/* test_config.c - unit tests for cdc/config.c: defaults, the cdcd.conf syntax, every refusal with
 * its file:line message, atomic loads, and dump/load round trips. Files are written to a private
 * mkdtemp directory that is removed at the end. */

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nvme/types.h>

#include "config.h"
#include "config_keys.h"

/* Check fixtures take no argument, so the directory name has to live here. */
static char tmpdir[PATH_MAX];

static void tmpdir_create(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "%s/cdc-config-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

/* Runs in the parent, so it cleans up after a failed (forked) test as well. */
static void tmpdir_remove(void)
{
	char path[PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/cdcd.conf", tmpdir);
	unlink(path);
	rmdir(tmpdir);
}

static void conf_path(char *path, size_t len)
{
	snprintf(path, len, "%s/cdcd.conf", tmpdir);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fputs(text, f) >= 0, 1);
	ck_assert_int_eq(fclose(f), 0);
}

/* Writes text to the temporary cdcd.conf and loads it into cfg. */
static int load(struct cdc_config *cfg, const char *text, char *err, size_t errlen)
{
	char path[PATH_MAX + 32];

	conf_path(path, sizeof(path));
	write_file(path, text);
	return config_load_file(cfg, path, err, errlen);
}

static bool ports_equal(const struct cdc_port *a, const struct cdc_port *b)
{
	return a->trtype == b->trtype && a->adrfam == b->adrfam && a->treq == b->treq &&
	       a->sectype == b->sectype && a->portid == b->portid &&
	       !strcmp(a->traddr, b->traddr) && !strcmp(a->trsvcid, b->trsvcid);
}

static bool configs_equal(const struct cdc_config *a, const struct cdc_config *b)
{
	size_t i, j;

	if (a->nlisten != b->nlisten || strcmp(a->state_dir, b->state_dir) ||
	    strcmp(a->nqn, b->nqn) || a->idle_timeout != b->idle_timeout ||
	    a->icreq_timeout != b->icreq_timeout || a->max_connections != b->max_connections ||
	    a->max_registrations_per_entity != b->max_registrations_per_entity ||
	    a->max_registrations != b->max_registrations ||
	    strcmp(a->control_socket, b->control_socket) ||
	    strcmp(a->control_socket_group, b->control_socket_group) ||
	    a->log_level != b->log_level || a->has_http_listen != b->has_http_listen ||
	    a->zoning != b->zoning || a->zoning_policy != b->zoning_policy ||
	    (a->has_http_listen && strcmp(a->http_listen.text, b->http_listen.text)) ||
	    a->nsubsys != b->nsubsys || a->nreferrals != b->nreferrals ||
	    a->mdns.enable != b->mdns.enable || strcmp(a->mdns.instance, b->mdns.instance) ||
	    a->mdns.ninterfaces != b->mdns.ninterfaces || a->mdns.browse != b->mdns.browse)
		return false;
	if (strcmp(a->dhchap_keys, b->dhchap_keys) || a->auth_timeout != b->auth_timeout ||
	    a->well_known_auth != b->well_known_auth || a->ndhchap_hashes != b->ndhchap_hashes ||
	    a->ndhchap_dhgroups != b->ndhchap_dhgroups ||
	    memcmp(a->dhchap_hashes, b->dhchap_hashes, a->ndhchap_hashes) ||
	    memcmp(a->dhchap_dhgroups, b->dhchap_dhgroups, a->ndhchap_dhgroups))
		return false;
	for (i = 0; i < a->mdns.ninterfaces; i++)
		if (strcmp(a->mdns.interfaces[i], b->mdns.interfaces[i]))
			return false;
	for (i = 0; i < a->nlisten; i++)
		if (strcmp(a->listen[i].text, b->listen[i].text) ||
		    a->listen[i].sslen != b->listen[i].sslen ||
		    memcmp(&a->listen[i].ss, &b->listen[i].ss, a->listen[i].sslen))
			return false;
	for (i = 0; i < a->nsubsys; i++) {
		if (strcmp(a->subsys[i].nqn, b->subsys[i].nqn) ||
		    a->subsys[i].nports != b->subsys[i].nports)
			return false;
		for (j = 0; j < a->subsys[i].nports; j++)
			if (!ports_equal(&a->subsys[i].ports[j], &b->subsys[i].ports[j]))
				return false;
	}
	for (i = 0; i < a->nreferrals; i++)
		if (strcmp(a->referrals[i].nqn, b->referrals[i].nqn) ||
		    !ports_equal(&a->referrals[i].port, &b->referrals[i].port))
			return false;
	if (a->zoning_lock_timeout != b->zoning_lock_timeout || a->nzonegroups != b->nzonegroups ||
	    a->nzonealiases != b->nzonealiases)
		return false;
	for (i = 0; i < a->nzonegroups; i++) {
		const struct cdc_zonegroup *x = &a->zonegroups[i], *y = &b->zonegroups[i];
		if (strcmp(x->name, y->name) || x->active != y->active || x->nzones != y->nzones)
			return false;
		for (j = 0; j < x->nzones; j++)
			if (strcmp(x->zones[j].name, y->zones[j].name) ||
			    x->zones[j].nmembers != y->zones[j].nmembers ||
			    (x->zones[j].nmembers &&
			     memcmp(x->zones[j].members, y->zones[j].members,
				    x->zones[j].nmembers * sizeof(struct zone_member))))
				return false;
	}
	for (i = 0; i < a->nzonealiases; i++) {
		const struct cdc_zonealias *x = &a->zonealiases[i], *y = &b->zonealiases[i];
		if (strcmp(x->name, y->name) || x->nmembers != y->nmembers ||
		    (x->nmembers &&
		     memcmp(x->members, y->members, x->nmembers * sizeof(*x->members))))
			return false;
	}
	return true;
}

/* Loads text over the defaults, expects -EINVAL with "PATH:LINE: ...needle..." and the
 * configuration exactly as it was. */
static void expect_refused(const char *text, unsigned int line, const char *needle)
{
	struct cdc_config cfg, ref;
	char err[1024], prefix[PATH_MAX + 64];

	config_defaults(&cfg);
	config_defaults(&ref);
	ck_assert_int_eq(load(&cfg, text, err, sizeof(err)), -EINVAL);
	conf_path(prefix, sizeof(prefix));
	snprintf(prefix + strlen(prefix), sizeof(prefix) - strlen(prefix), ":%u: ", line);
	ck_assert_msg(!strncmp(err, prefix, strlen(prefix)), "error '%s' does not start with '%s'",
		      err, prefix);
	ck_assert_msg(strstr(err, needle), "error '%s' does not mention '%s'", err, needle);
	ck_assert(configs_equal(&cfg, &ref));
	config_free(&cfg);
}

static const char full_example[] =
	"[global]\n"
	"listen = 0.0.0.0:8009          # repeatable; first listen in file replaces the defaults\n"
	"listen = [::]:8009\n"
	"state-dir = /var/lib/cdcd\n"
	"nqn = nqn.2014-08.org.example:cdc:1     # the unique discovery NQN\n"
	"idle-timeout = 120             # seconds\n"
	"icreq-timeout = 10             # seconds, 1..600\n"
	"max-connections = 0            # 0 = unlimited\n"
	"log-level = info               # err|warning|info|debug\n"
	"\n"
	"[subsystem nqn.2014-08.org.example:storage1]\n"
	"port = trtype=tcp;adrfam=ipv4;traddr=192.0.2.10;trsvcid=4420;portid=1\n"
	"port = trtype=tcp;adrfam=ipv4;traddr=192.0.2.11;trsvcid=4420;portid=2\n"
	"\n"
	"[referral]\n"
	"entry = trtype=tcp;adrfam=ipv4;traddr=192.0.2.50;trsvcid=8009\n";

START_TEST(defaults_listen_on_both_wildcards_at_8009)
{
	struct cdc_config cfg;
	const struct sockaddr_in *sin;
	const struct sockaddr_in6 *sin6;

	config_defaults(&cfg);
	ck_assert_uint_eq(cfg.nlisten, 2);
	ck_assert_str_eq(cfg.listen[0].text, "0.0.0.0:8009");
	ck_assert_str_eq(cfg.listen[1].text, "[::]:8009");
	sin = (const struct sockaddr_in *)&cfg.listen[0].ss;
	ck_assert_int_eq(sin->sin_family, AF_INET);
	ck_assert_uint_eq(ntohs(sin->sin_port), 8009);
	ck_assert_uint_eq(sin->sin_addr.s_addr, htonl(INADDR_ANY));
	ck_assert_uint_eq(cfg.listen[0].sslen, sizeof(struct sockaddr_in));
	sin6 = (const struct sockaddr_in6 *)&cfg.listen[1].ss;
	ck_assert_int_eq(sin6->sin6_family, AF_INET6);
	ck_assert_uint_eq(ntohs(sin6->sin6_port), 8009);
	ck_assert(!memcmp(&sin6->sin6_addr, &in6addr_any, sizeof(in6addr_any)));
	ck_assert_uint_eq(cfg.listen[1].sslen, sizeof(struct sockaddr_in6));
	ck_assert_str_eq(cfg.state_dir, CDC_DEFAULT_STATE_DIR);
	ck_assert_str_eq(cfg.nqn, "");
	ck_assert_uint_eq(cfg.idle_timeout, 120);
	ck_assert_uint_eq(cfg.icreq_timeout, 10);
	ck_assert_uint_eq(cfg.max_connections, 8192);
	ck_assert_uint_eq(cfg.max_connections_per_source, 64);
	ck_assert_uint_eq(cfg.max_implicit_hosts, 100000);
	ck_assert_uint_eq(cfg.implicit_host_expiry, 7 * 86400);
	ck_assert_uint_eq(cfg.api_request_timeout, 10);
	ck_assert_int_eq(cfg.log_level, CDC_LOG_INFO);
	ck_assert_uint_eq(cfg.nsubsys, 0);
	ck_assert_ptr_null(cfg.subsys);
	ck_assert_uint_eq(cfg.nreferrals, 0);
	ck_assert_ptr_null(cfg.referrals);
}
END_TEST

START_TEST(full_example_sets_every_field)
{
	struct cdc_config cfg;
	const struct cdc_port *p;
	char err[512] = "unchanged";

	config_defaults(&cfg);
	ck_assert_int_eq(load(&cfg, full_example, err, sizeof(err)), 0);
	ck_assert_str_eq(err, "");
	ck_assert_uint_eq(cfg.nlisten, 2);
	ck_assert_str_eq(cfg.listen[0].text, "0.0.0.0:8009");
	ck_assert_str_eq(cfg.listen[1].text, "[::]:8009");
	ck_assert_str_eq(cfg.state_dir, "/var/lib/cdcd");
	ck_assert_str_eq(cfg.nqn, "nqn.2014-08.org.example:cdc:1");
	ck_assert_uint_eq(cfg.idle_timeout, 120);
	ck_assert_uint_eq(cfg.icreq_timeout, 10);
	ck_assert_uint_eq(cfg.max_connections, 0);
	ck_assert_int_eq(cfg.log_level, CDC_LOG_INFO);

	ck_assert_uint_eq(cfg.nsubsys, 1);
	ck_assert_str_eq(cfg.subsys[0].nqn, "nqn.2014-08.org.example:storage1");
	ck_assert_uint_eq(cfg.subsys[0].nports, 2);
	p = &cfg.subsys[0].ports[0];
	ck_assert_uint_eq(p->trtype, NVMF_TRTYPE_TCP);
	ck_assert_uint_eq(p->adrfam, NVMF_ADDR_FAMILY_IP4);
	ck_assert_str_eq(p->traddr, "192.0.2.10");
	ck_assert_str_eq(p->trsvcid, "4420");
	ck_assert_uint_eq(p->portid, 1);
	ck_assert_uint_eq(p->treq, NVMF_TREQ_NOT_SPECIFIED);
	ck_assert_uint_eq(p->sectype, NVMF_TCP_SECTYPE_NONE);
	p = &cfg.subsys[0].ports[1];
	ck_assert_str_eq(p->traddr, "192.0.2.11");
	ck_assert_uint_eq(p->portid, 2);

	ck_assert_uint_eq(cfg.nreferrals, 1);
	p = &cfg.referrals[0].port;
	ck_assert_uint_eq(p->trtype, NVMF_TRTYPE_TCP);
	ck_assert_uint_eq(p->adrfam, NVMF_ADDR_FAMILY_IP4);
	ck_assert_str_eq(p->traddr, "192.0.2.50");
	ck_assert_str_eq(p->trsvcid, "8009");
	ck_assert_uint_eq(p->portid, 0);
	config_free(&cfg);
}
END_TEST

START_TEST(global_values_other_than_defaults_are_taken)
{
	struct cdc_config cfg;
	char err[512];

	config_defaults(&cfg);
	ck_assert_int_eq(load(&cfg,
			      "[global]\n"
			      "state-dir = /srv/cdcd\n"
			      "idle-timeout = 86400\n"
			      "icreq-timeout = 1\n"
			      "max-connections = 1000000\n"
			      "log-level = debug\n",
			      err, sizeof(err)),
			 0);
	ck_assert_str_eq(cfg.state_dir, "/srv/cdcd");
	ck_assert_uint_eq(cfg.idle_timeout, 86400);
	ck_assert_uint_eq(cfg.icreq_timeout, 1);
	ck_assert_uint_eq(cfg.max_connections, 1000000);
	ck_assert_int_eq(cfg.log_level, CDC_LOG_DEBUG);
	ck_assert_uint_eq(cfg.nlisten, 2);
	config_free(&cfg);
}
END_TEST

START_TEST(ipv6_listen_is_parsed_into_sockaddr_in6)
{
	struct cdc_listen l;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&l.ss;
	struct in6_addr want;

	ck_assert_int_eq(addr_parse_listen("[2001:DB8:0::1]:4420", &l), 0);
	ck_assert_int_eq(sin6->sin6_family, AF_INET6);
	ck_assert_uint_eq(ntohs(sin6->sin6_port), 4420);
	ck_assert_int_eq(inet_pton(AF_INET6, "2001:db8::1", &want), 1);
	ck_assert(!memcmp(&sin6->sin6_addr, &want, sizeof(want)));
	ck_assert_uint_eq(l.sslen, sizeof(struct sockaddr_in6));
	ck_assert_str_eq(l.text, "[2001:db8::1]:4420");

	ck_assert_int_eq(addr_parse_listen("[::1]:8009", &l), 0);
	ck_assert_str_eq(l.text, "[::1]:8009");
}
END_TEST

START_TEST(malformed_listen_values_are_refused)
{
	static const char *const bad[] = {
		"",
		"8009",
		"127.0.0.1",
		"127.0.0.1:",
		"127.0.0.1:0",
		"127.0.0.1:65536",
		"127.0.0.1:80a",
		"::1:8009",
		"[::1]8009",
		"[::1]:",
		"[127.0.0.1]:8009",
		"localhost:8009",
		"[]:8009",
		"1.2.3:8009",
		"[::1:8009",
		"127.0.0.1:+80",
	};
	struct cdc_listen l;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(addr_parse_listen(bad[i], &l) == -EINVAL, "'%s' was accepted",
			      bad[i]);
}
END_TEST

START_TEST(first_listen_in_file_replaces_defaults_later_ones_add)
{
	struct cdc_config cfg;
	char err[512];

	config_defaults(&cfg);
	ck_assert_int_eq(load(&cfg,
			      "[global]\n"
			      "listen = 127.0.0.1:18009\n"
			      "listen = [::1]:18009\n",
			      err, sizeof(err)),
			 0);
	ck_assert_uint_eq(cfg.nlisten, 2);
	ck_assert_str_eq(cfg.listen[0].text, "127.0.0.1:18009");
	ck_assert_str_eq(cfg.listen[1].text, "[::1]:18009");
	config_free(&cfg);
}
END_TEST

START_TEST(duplicate_listen_is_refused)
{
	expect_refused("[global]\nlisten = 127.0.0.1:8009\nlisten = 127.0.0.1:8009\n", 3,
		       "duplicate listen address '127.0.0.1:8009'");
}
END_TEST

START_TEST(listen_takes_a_tls_mode_and_dumps_it_back)
{
	struct cdc_config cfg;
	char err[512];

	config_defaults(&cfg);
	ck_assert_int_eq(load(&cfg,
			      "[global]\n"
			      "listen = 127.0.0.1:8009;tls=required\n"
			      "listen = [::1]:8009;tls=allowed\n"
			      "listen = 127.0.0.1:4420;tls=no\n"
			      "tls-keys = /etc/nvme/cdcd-tls.keys\n",
			      err, sizeof(err)),
			 0);
	ck_assert_uint_eq(cfg.nlisten, 3);
	ck_assert_uint_eq(cfg.listen[0].tls, CDC_LISTEN_TLS_REQUIRED);
	ck_assert_str_eq(cfg.listen[0].text, "127.0.0.1:8009;tls=required");
	ck_assert_uint_eq(cfg.listen[1].tls, CDC_LISTEN_TLS_ALLOWED);
	ck_assert_str_eq(cfg.listen[1].text, "[::1]:8009;tls=allowed");
	ck_assert_uint_eq(cfg.listen[2].tls, CDC_LISTEN_PLAIN);
	ck_assert_str_eq(cfg.listen[2].text, "127.0.0.1:4420");
	ck_assert_str_eq(cfg.tls_keys, "/etc/nvme/cdcd-tls.keys");
	config_free(&cfg);
	expect_refused("[global]\nlisten = 127.0.0.1:8009;tls=yes\n", 2, "bad listen option");
	expect_refused("[global]\nlisten = 127.0.0.1:8009\nlisten = 127.0.0.1:8009;tls=allowed\n",
		       3, "duplicate listen address '127.0.0.1:8009;tls=allowed'");
	expect_refused("[global]\ntls-keys = keys\n", 2, "is not an absolute path");
}
END_TEST

START_TEST(comments_blank_lines_and_crlf_are_ignored)
{
	struct cdc_config cfg;
	char err[512];

	config_defaults(&cfg);
	ck_assert_int_eq(load(&cfg,
			      "# a comment\r\n"
			      "; another comment\n"
			      "\n"
			      "   \t\n"
			      "  [global]   # trailing\r\n"
			      "\tidle-timeout\t=\t30\t# seconds\r\n"
			      "  # indented comment\n"
			      "[subsystem nqn.2014-08.org.example:a#b]\n",
			      err, sizeof(err)),
			 0);
	ck_assert_uint_eq(cfg.idle_timeout, 30);
	ck_assert_uint_eq(cfg.nsubsys, 1);
	ck_assert_str_eq(cfg.subsys[0].nqn, "nqn.2014-08.org.example:a#b");
	config_free(&cfg);
}
END_TEST

START_TEST(unknown_section_is_refused_with_file_and_line)
{
	expect_refused("[global]\n\n[globl]\n", 3, "unknown section [globl]");
}
END_TEST

START_TEST(unknown_key_is_refused_with_file_and_line)
{
	expect_refused("[global]\nlog-level = info\nlsten = 0.0.0.0:8009\n", 3,
		       "unknown key 'lsten' in [global]");
	expect_refused("[subsystem nqn.2014-08.org.example:s]\nentry = traddr=192.0.2.1\n", 2,
		       "unknown key 'entry' in [subsystem nqn.2014-08.org.example:s]");
	expect_refused("[referral]\nport = traddr=192.0.2.1\n", 2,
		       "unknown key 'port' in [referral]");
}
END_TEST

START_TEST(unknown_key_in_a_port_string_is_named)
{
	expect_refused("[subsystem nqn.2014-08.org.example:s]\n"
		       "port = traddr=192.0.2.1; trsvc=4420\n",
		       2, "unknown key 'trsvc'");
	/* nqn= belongs to referral entries only */
	expect_refused("[subsystem nqn.2014-08.org.example:s]\n"
		       "port = traddr=192.0.2.1;nqn=nqn.2014-08.org.example:x\n",
		       2, "unknown key 'nqn'");
}
END_TEST

START_TEST(key_outside_a_section_is_refused)
{
	expect_refused("# comment\nlisten = 0.0.0.0:8009\n[global]\n", 2,
		       "key 'listen' outside a section");
}
END_TEST

START_TEST(malformed_lines_are_refused)
{
	expect_refused("[global]\njust words\n", 2, "malformed line 'just words'");
	expect_refused("[global]\n= 5\n", 2, "malformed line");
	expect_refused("[global\n", 1, "malformed section header");
	expect_refused("[global] junk\n", 1, "malformed section header");
	expect_refused("[global x]\n", 1, "[global] takes no argument");
	expect_refused("[subsystem]\n", 1, "[subsystem] needs an NQN");
	expect_refused("[global]\nlog-level = info\x01\n", 2, "control character 0x01");
	expect_refused("[global]\nstate-dir =\n", 2, "state-dir has no value");
	expect_refused("[global]\nstate-dir = state\n", 2,
		       "state-dir 'state' is not an absolute path");
}
END_TEST

START_TEST(nul_byte_in_buffer_is_refused)
{
	static const char buf[] = "[global]\nlog-level = de\0bug\n";
	struct cdc_config cfg;
	char err[512];

	config_defaults(&cfg);
	ck_assert_int_eq(
		config_load_buffer(&cfg, "mem.conf", buf, sizeof(buf) - 1, err, sizeof(err)),
		-EINVAL);
	ck_assert_str_eq(err, "mem.conf:2: NUL byte in line");
}
END_TEST

START_TEST(bad_port_numbers_are_refused)
{
	expect_refused("[global]\nlisten = 127.0.0.1:0\n", 2, "bad listen address '127.0.0.1:0'");
	expect_refused("[global]\nlisten = [::1]:65536\n", 2, "bad listen address '[::1]:65536'");
	expect_refused("[subsystem nqn.2014-08.org.example:s]\n"
		       "port = traddr=192.0.2.1;trsvcid=70000\n",
		       2, "trsvcid '70000' is not a port number");
	expect_refused("[subsystem nqn.2014-08.org.example:s]\n"
		       "port = traddr=192.0.2.1;trsvcid=0\n",
		       2, "trsvcid '0'");
	expect_refused("[subsystem nqn.2014-08.org.example:s]\n"
		       "port = traddr=192.0.2.1;portid=65536\n",
		       2, "portid '65536'");
	expect_refused("[referral]\nentry = traddr=192.0.2.1;trsvcid=http\n", 2, "trsvcid 'http'");
}
END_TEST

START_TEST(bad_traddr_is_refused)
{
	expect_refused("[subsystem nqn.2014-08.org.example:s]\nport = traddr=192.0.2.300\n", 2,
		       "traddr '192.0.2.300' is not a numeric IPv4 or IPv6 address");
	expect_refused("[subsystem nqn.2014-08.org.example:s]\nport = traddr=storage.example\n", 2,
		       "traddr 'storage.example'");
	expect_refused("[subsystem nqn.2014-08.org.example:s]\nport = traddr=[2001:db8::1]\n", 2,
		       "without brackets");
	expect_refused("[subsystem nqn.2014-08.org.example:s]\nport = trsvcid=4420\n", 2,
		       "traddr is missing");
	expect_refused(
		"[subsystem nqn.2014-08.org.example:s]\nport = trtype=rdma;traddr=192.0.2.1\n", 2,
		"trtype 'rdma' is not supported");
	expect_refused("[subsystem nqn.2014-08.org.example:s]\nport = adrfam=ib;traddr=192.0.2.1\n",
		       2, "adrfam 'ib'");
	expect_refused(
		"[subsystem nqn.2014-08.org.example:s]\nport = traddr=192.0.2.1;traddr=192.0.2.2\n",
		2, "key 'traddr' given twice");
	expect_refused(
		"[subsystem nqn.2014-08.org.example:s]\nport = traddr=192.0.2.1;treq=maybe\n", 2,
		"treq 'maybe'");
	expect_refused(
		"[subsystem nqn.2014-08.org.example:s]\nport = traddr=192.0.2.1;sectype=tls12\n", 2,
		"sectype 'tls12'");
	expect_refused("[subsystem nqn.2014-08.org.example:s]\nport = traddr=192.0.2.1;trsvcid\n",
		       2, "'trsvcid' is not key=value");
}
END_TEST

START_TEST(wildcard_traddr_is_refused)
{
	expect_refused("[subsystem nqn.2014-08.org.example:s]\nport = traddr=0.0.0.0\n", 2,
		       "traddr '0.0.0.0' is a wildcard address");
	expect_refused("[referral]\nentry = traddr=::\n", 2, "traddr '::' is a wildcard address");
}
END_TEST

START_TEST(adrfam_that_does_not_match_traddr_is_refused)
{
	expect_refused("[subsystem nqn.2014-08.org.example:s]\n"
		       "port = adrfam=ipv6;traddr=192.0.2.1\n",
		       2, "traddr '192.0.2.1' is not an IPv6 address");
	expect_refused("[referral]\nentry = traddr=2001:db8::1;adrfam=ipv4\n", 2,
		       "traddr '2001:db8::1' is not an IPv4 address");
}
END_TEST

START_TEST(duplicate_subsystem_is_refused)
{
	expect_refused("[subsystem nqn.2014-08.org.example:s]\n"
		       "port = traddr=192.0.2.1\n"
		       "[subsystem nqn.2014-08.org.example:t]\n"
		       "[subsystem nqn.2014-08.org.example:s]\n",
		       4, "duplicate [subsystem nqn.2014-08.org.example:s]");
}
END_TEST

START_TEST(duplicate_port_in_a_subsystem_is_refused)
{
	/* Two spellings of one address are one port. */
	expect_refused("[subsystem nqn.2014-08.org.example:s]\n"
		       "port = traddr=2001:db8::1;trsvcid=4420;portid=1\n"
		       "port = traddr=2001:DB8:0:0::1;portid=2\n",
		       3, "duplicate port traddr=2001:db8::1;trsvcid=4420");
}
END_TEST

START_TEST(same_port_in_two_subsystems_is_accepted)
{
	struct cdc_config cfg;
	char err[512];

	config_defaults(&cfg);
	ck_assert_int_eq(load(&cfg,
			      "[subsystem nqn.2014-08.org.example:s]\n"
			      "port = traddr=192.0.2.1\n"
			      "[subsystem nqn.2014-08.org.example:t]\n"
			      "port = traddr=192.0.2.1\n",
			      err, sizeof(err)),
			 0);
	ck_assert_uint_eq(cfg.nsubsys, 2);
	config_free(&cfg);
}
END_TEST

START_TEST(duplicate_referral_is_refused)
{
	expect_refused("[referral]\nentry = traddr=192.0.2.50\n"
		       "[referral]\nentry = traddr=192.0.2.50;trsvcid=8009\n",
		       4, "duplicate referral traddr=192.0.2.50;trsvcid=8009");
}
END_TEST

START_TEST(bad_nqns_are_refused)
{
	expect_refused("[subsystem storage1]\n", 1, "subsystem NQN 'storage1' is not a valid NQN");
	expect_refused("[subsystem nqn.2014-08.org.example:a b]\n", 1, "is not a valid NQN");
	expect_refused("[subsystem " NVME_DISC_SUBSYS_NAME "]\n", 1,
		       "must not be the discovery NQN");
	expect_refused("[global]\nnqn = cdc1\n", 2, "nqn 'cdc1' is not a valid NQN");
	expect_refused("[global]\nnqn = " NVME_DISC_SUBSYS_NAME "\n", 2, "must be unique");
	expect_refused("[referral]\nentry = traddr=192.0.2.50;nqn=nqn.2014-8.org.example\n", 2,
		       "nqn 'nqn.2014-8.org.example' is not a valid NQN");
}
END_TEST

START_TEST(bad_log_level_is_refused)
{
	expect_refused("[global]\nlog-level = verbose\n", 2,
		       "bad log-level 'verbose' (expected err, warning, info or debug)");
}
END_TEST

START_TEST(out_of_range_numbers_are_refused)
{
	expect_refused("[global]\nidle-timeout = 0\n", 2,
		       "bad idle-timeout '0' (expected 1..86400");
	expect_refused("[global]\nidle-timeout = 86401\n", 2, "bad idle-timeout '86401'");
	expect_refused("[global]\nidle-timeout = -1\n", 2, "bad idle-timeout '-1'");
	expect_refused("[global]\nidle-timeout = 2m\n", 2, "bad idle-timeout '2m'");
	expect_refused("[global]\nicreq-timeout = 0\n", 2,
		       "bad icreq-timeout '0' (expected 1..600");
	expect_refused("[global]\nicreq-timeout = 601\n", 2, "bad icreq-timeout '601'");
	expect_refused("[global]\nmax-connections = 1000001\n", 2,
		       "bad max-connections '1000001' (expected 0..1000000");
	expect_refused("[global]\nmax-connections = 99999999999999999999999\n", 2,
		       "bad max-connections");
}
END_TEST

START_TEST(failed_load_leaves_config_unchanged)
{
	struct cdc_config cfg, before;
	char err[512];

	config_defaults(&cfg);
	ck_assert_int_eq(load(&cfg, full_example, err, sizeof(err)), 0);
	config_defaults(&before);
	ck_assert_int_eq(load(&before, full_example, err, sizeof(err)), 0);

	/* Every kind of change is made before the bad line, so each must be undone. */
	ck_assert_int_eq(load(&cfg,
			      "[global]\n"
			      "listen = 127.0.0.1:1\n"
			      "nqn = nqn.2014-08.org.example:other\n"
			      "log-level = err\n"
			      "[subsystem nqn.2014-08.org.example:new]\n"
			      "port = traddr=192.0.2.99\n"
			      "[referral]\n"
			      "entry = traddr=192.0.2.98\n"
			      "[global]\n"
			      "idle-timeout = forever\n",
			      err, sizeof(err)),
			 -EINVAL);
	ck_assert(configs_equal(&cfg, &before));
	config_free(&cfg);
	config_free(&before);
}
END_TEST

START_TEST(missing_file_is_enoent_naming_the_path)
{
	struct cdc_config cfg, ref;
	char path[PATH_MAX + 32], err[PATH_MAX + 128];

	config_defaults(&cfg);
	config_defaults(&ref);
	snprintf(path, sizeof(path), "%s/absent.conf", tmpdir);
	ck_assert_int_eq(config_load_file(&cfg, path, err, sizeof(err)), -ENOENT);
	ck_assert_msg(!strncmp(err, path, strlen(path)) &&
			      strstr(err, ": No such file or directory"),
		      "error '%s'", err);
	ck_assert(configs_equal(&cfg, &ref));
}
END_TEST

START_TEST(loading_over_earlier_subsystems_adds_to_them)
{
	struct cdc_config cfg;
	char err[512];

	config_defaults(&cfg);
	ck_assert_int_eq(load(&cfg, full_example, err, sizeof(err)), 0);
	ck_assert_int_eq(
		load(&cfg, "[subsystem nqn.2014-08.org.example:storage2]\n", err, sizeof(err)), 0);
	ck_assert_uint_eq(cfg.nsubsys, 2);
	ck_assert_uint_eq(cfg.subsys[0].nports, 2);
	ck_assert_str_eq(cfg.subsys[1].nqn, "nqn.2014-08.org.example:storage2");
	ck_assert_uint_eq(cfg.subsys[1].nports, 0);
	config_free(&cfg);
}
END_TEST

START_TEST(portids_are_assigned_in_order_when_absent)
{
	struct cdc_config cfg;
	char err[512];

	config_defaults(&cfg);
	ck_assert_int_eq(load(&cfg,
			      "[subsystem nqn.2014-08.org.example:s]\n"
			      "port = traddr=192.0.2.1\n"
			      "port = traddr=192.0.2.2;portid=7\n"
			      "port = traddr=192.0.2.3\n"
			      "[subsystem nqn.2014-08.org.example:t]\n"
			      "port = traddr=192.0.2.4\n"
			      "port = traddr=192.0.2.5;portid=0\n",
			      err, sizeof(err)),
			 0);
	ck_assert_uint_eq(cfg.subsys[0].ports[0].portid, 1);
	ck_assert_uint_eq(cfg.subsys[0].ports[1].portid, 7);
	ck_assert_uint_eq(cfg.subsys[0].ports[2].portid, 3);
	ck_assert_uint_eq(cfg.subsys[1].ports[0].portid, 1);
	ck_assert_uint_eq(cfg.subsys[1].ports[1].portid, 0);
	config_free(&cfg);
}
END_TEST

START_TEST(port_defaults_fill_trsvcid_and_derive_adrfam)
{
	struct cdc_port p;
	char err[256];

	ck_assert_int_eq(addr_parse_port(" traddr = 2001:db8::10 ; treq=required;sectype=tls13; ",
					 "4420", &p, err, sizeof(err)),
			 0);
	ck_assert_uint_eq(p.trtype, NVMF_TRTYPE_TCP);
	ck_assert_uint_eq(p.adrfam, NVMF_ADDR_FAMILY_IP6);
	ck_assert_str_eq(p.traddr, "2001:db8::10");
	ck_assert_str_eq(p.trsvcid, "4420");
	ck_assert_uint_eq(p.portid, 0);
	ck_assert_uint_eq(p.treq, NVMF_TREQ_REQUIRED);
	ck_assert_uint_eq(p.sectype, NVMF_TCP_SECTYPE_TLS13);

	ck_assert_int_eq(
		addr_parse_port("traddr=192.0.2.1;treq=not-required", "8009", &p, err, sizeof(err)),
		0);
	ck_assert_uint_eq(p.adrfam, NVMF_ADDR_FAMILY_IP4);
	ck_assert_str_eq(p.trsvcid, "8009");
	ck_assert_uint_eq(p.treq, NVMF_TREQ_NOT_REQUIRED);

	ck_assert_int_eq(addr_parse_port("traddr=192.0.2.1;frob=1", "4420", &p, err, sizeof(err)),
			 -EINVAL);
	ck_assert_str_eq(err, "unknown key 'frob'");
}
END_TEST

START_TEST(referral_nqn_defaults_to_the_well_known_discovery_nqn)
{
	struct cdc_config cfg;
	char err[512];

	config_defaults(&cfg);
	ck_assert_int_eq(
		load(&cfg,
		     "[referral]\n"
		     "entry = traddr=192.0.2.50\n"
		     "[referral]\n"
		     "entry = traddr=192.0.2.51;trsvcid=8010;nqn=nqn.2014-08.org.example:cdc:2\n",
		     err, sizeof(err)),
		0);
	ck_assert_uint_eq(cfg.nreferrals, 2);
	ck_assert_str_eq(cfg.referrals[0].nqn, NVME_DISC_SUBSYS_NAME);
	ck_assert_str_eq(cfg.referrals[0].port.trsvcid, "8009");
	ck_assert_str_eq(cfg.referrals[1].nqn, "nqn.2014-08.org.example:cdc:2");
	ck_assert_str_eq(cfg.referrals[1].port.trsvcid, "8010");
	config_free(&cfg);
}
END_TEST

START_TEST(ddc_entries_parse_like_referrals_and_dump_back)
{
	struct cdc_config cfg;
	char err[512], *text = NULL;
	size_t len;

	config_defaults(&cfg);
	ck_assert_int_eq(
		load(&cfg,
		     "[ddc]\n"
		     "entry = traddr=192.0.2.60\n"
		     "entry = traddr=192.0.2.61;trsvcid=4420;nqn=nqn.2014-08.org.example:ddc\n",
		     err, sizeof(err)),
		0);
	ck_assert_uint_eq(cfg.nddcs, 2);
	ck_assert_uint_eq(cfg.nreferrals, 0);
	ck_assert_str_eq(cfg.ddcs[0].nqn, NVME_DISC_SUBSYS_NAME);
	ck_assert_str_eq(cfg.ddcs[0].port.trsvcid, "8009");
	ck_assert_str_eq(cfg.ddcs[1].nqn, "nqn.2014-08.org.example:ddc");
	FILE *out = open_memstream(&text, &len);
	config_dump(&cfg, out);
	fclose(out);
	ck_assert_ptr_nonnull(strstr(text,
				     "\n[ddc]\nentry = trtype=tcp;adrfam=ipv4;traddr=192.0.2.60;"
				     "trsvcid=8009;portid=0\n"));
	free(text);
	ck_assert_int_eq(load(&cfg, "[ddc]\nentry = traddr=192.0.2.60\nentry = traddr=192.0.2.60\n",
			      err, sizeof(err)),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "duplicate ddc"));
	config_free(&cfg);
}
END_TEST

static void round_trip(const struct cdc_config *cfg);

static const char zoning_example[] =
	"[zonealias storage-a]\n"
	"member = role=subsystem;nqn=nqn.2014-08.org.example:storage1\n"
	"member = role=subsystem;type=nqn-ip-port;nqn=nqn.2014-08.org.example:storage2;"
	"traddr=192.0.2.20;trsvcid=4420\n"
	"\n"
	"[zonegroup finance]\n"
	"zone = payroll\n"
	"zone = empty\n"
	"member = payroll role=host;nqn=nqn.2014-08.org.example:host1\n"
	"member = payroll type=ip;role=host;traddr=2001:db8::7;ipproto=udp\n"
	"member = payroll TYPE = alias ; alias = storage-a\n"
	"member = payroll role=subsystem;type=nqn-portid;nqn=nqn.2014-08.org.example:s3;portid=2\n"
	"[zonegroup lab]\n"
	"active = no\n";

START_TEST(zoning_sections_declare_groups_zones_members_and_aliases)
{
	struct cdc_config cfg;
	char err[512];

	config_defaults(&cfg);
	ck_assert_uint_eq(cfg.zoning_lock_timeout, 30);
	ck_assert_msg(load(&cfg, zoning_example, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(cfg.nzonealiases, 1);
	ck_assert_str_eq(cfg.zonealiases[0].name, "storage-a");
	ck_assert_uint_eq(cfg.zonealiases[0].nmembers, 2);
	ck_assert_uint_eq(cfg.zonealiases[0].members[0].type, ZMTYPE_NQN); /* the default type */
	ck_assert_uint_eq(cfg.zonealiases[0].members[1].type, ZMTYPE_NQN_IP_PORT);
	ck_assert_uint_eq(cfg.zonealiases[0].members[1].trsvcid, 4420);
	ck_assert_uint_eq(cfg.nzonegroups, 2);
	const struct cdc_zonegroup *g = &cfg.zonegroups[0];
	ck_assert_str_eq(g->name, "finance");
	ck_assert(g->active); /* the default */
	ck_assert_uint_eq(g->nzones, 2);
	ck_assert_str_eq(g->zones[0].name, "payroll");
	ck_assert_uint_eq(g->zones[0].nmembers, 4);
	ck_assert_uint_eq(g->zones[1].nmembers, 0);
	const struct zone_member *m = g->zones[0].members;
	ck_assert_uint_eq(m[0].role, ZONE_ROLE_HOST);
	ck_assert_str_eq(m[0].nqn, "nqn.2014-08.org.example:host1");
	ck_assert_uint_eq(m[1].type, ZMTYPE_IP);
	ck_assert_uint_eq(m[1].adrfam, NVMF_ADDR_FAMILY_IP6);
	ck_assert_uint_eq(m[1].ipproto, ZONE_IPPROTO_UDP);
	ck_assert_uint_eq(m[2].type, ZMTYPE_ALIAS);
	ck_assert_str_eq(m[2].nqn, "storage-a");
	ck_assert_uint_eq(m[3].portid, 2);
	ck_assert(!cfg.zonegroups[1].active);
	round_trip(&cfg);
	config_free(&cfg);
	ck_assert_uint_eq(cfg.nzonegroups, 0);
	ck_assert_uint_eq(cfg.nzonealiases, 0);
}
END_TEST

START_TEST(bad_zoning_sections_are_refused_with_file_and_line)
{
	static const struct {
		const char *text, *msg;
	} bad[] = {
		{"[zonegroup]\n", ":1: [zonegroup NAME] needs a name"},
		{"[zonegroup a-name-longer-than-thirty-bytes]\n", ":1: [zonegroup NAME] needs"},
		{"[zonegroup g]\n[zonegroup g]\n", ":2: duplicate [zonegroup g]"},
		{"[zonealias a]\n[zonealias a]\n", ":2: duplicate [zonealias a]"},
		{"[zonegroup g]\nactive = maybe\n", ":2: bad active 'maybe'"},
		{"[zonegroup g]\nport = x\n", ":2: unknown key 'port' in [zonegroup g]"},
		{"[zonegroup g]\nzone = z\nzone = z\n", ":3: duplicate zone z"},
		{"[zonegroup g]\nzone =#\t# comment\n", ":2: zone '#': a zone name does not start"},
		{"[zonegroup g]\nzone = a b\n", ":2: zone 'a b': a zone name has no blanks"},
		{"[zonegroup g]\nmember = z role=host;nqn=nqn.2014-08.org.example:h\n",
		 ":2: member of zone 'z', which no zone line above declares"},
		{"[zonegroup g]\nzone = z\nmember = z nqn=nqn.2014-08.org.example:h\n",
		 ":3: member: bad member role"},
		{"[zonegroup g]\nzone = z\nmember = z role=host;nqn=bad\n",
		 ":3: member: bad member"},
		{"[zonegroup g]\nzone = z\nmember = z role=host;colour=red\n",
		 ":3: member: unknown member key 'colour'"},
		{"[zonegroup g]\nzone = z\nmember = z role=host;role=host\n",
		 ":3: member: member key 'role' given twice"},
		{"[zonegroup g]\nzone = z\nmember = z role=host;nqn\n", ":3: member: 'nqn' is not"},
		{"[zonegroup g]\nzone = z\nmember = z role=host;nqn=nqn.2014-08.org.example:h;"
		 "traddr=192.0.2.1\n",
		 ":3: member: member type nqn has no traddr"},
		{"[zonegroup g]\nzone = z\nmember = z type=ip-port;role=host;traddr=192.0.2.1;"
		 "trsvcid=70000\n",
		 ":3: member: bad member trsvcid '70000'"},
		{"[zonegroup g]\nzone = z\nmember = z role=host;nqn=nqn.2014-08.org.example:h\n"
		 "member = z role=host;type=nqn;nqn=nqn.2014-08.org.example:h\n",
		 ":4: duplicate member"},
		{"[zonealias a]\nmember = type=alias;alias=b\n",
		 ":2: member: an alias in an alias"},
		{"[zonealias a]\nzone = z\n", ":2: unknown key 'zone' in [zonealias a]"},
		{"[zonegroup g]\nzone = z\nmember = z type=alias;alias=nobody\n",
		 "[zonegroup g] zone z: alias nobody is in no [zonealias] section"},
		{"[global]\nzoning-lock-timeout = 0\n", ":2: bad zoning-lock-timeout '0'"},
	};
	struct cdc_config cfg;
	char err[512];

	config_defaults(&cfg);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(load(&cfg, bad[i].text, err, sizeof(err)) == -EINVAL, "accepted: %s",
			      bad[i].text);
		ck_assert_msg(strstr(err, bad[i].msg), "'%s' does not say '%s'", err, bad[i].msg);
		ck_assert_uint_eq(cfg.nzonegroups, 0);
		ck_assert_uint_eq(cfg.nzonealiases, 0);
	}
	/* The alias may come after the group that names it. */
	ck_assert_int_eq(load(&cfg,
			      "[zonegroup g]\nzone = z\nmember = z type=alias;alias=a\n"
			      "[zonealias a]\n",
			      err, sizeof(err)),
			 0);
	config_free(&cfg);
}
END_TEST

START_TEST(empty_nqn_resets_to_generated)
{
	struct cdc_config cfg;
	char err[512];

	config_defaults(&cfg);
	ck_assert_int_eq(load(&cfg, "[global]\nnqn = nqn.2014-08.org.example:cdc\nnqn =\n", err,
			      sizeof(err)),
			 0);
	ck_assert_str_eq(cfg.nqn, "");
}
END_TEST

static void round_trip(const struct cdc_config *cfg)
{
	struct cdc_config back;
	char path[PATH_MAX + 32], err[512];
	char *text = NULL, *again = NULL;
	size_t len;
	FILE *f;

	f = open_memstream(&text, &len);
	ck_assert_ptr_nonnull(f);
	config_dump(cfg, f);
	ck_assert_int_eq(fclose(f), 0);

	conf_path(path, sizeof(path));
	write_file(path, text);
	config_defaults(&back);
	ck_assert_msg(config_load_file(&back, path, err, sizeof(err)) == 0, "%s in:\n%s", err,
		      text);
	ck_assert_msg(configs_equal(cfg, &back), "dump does not load back equal:\n%s", text);

	f = open_memstream(&again, &len);
	ck_assert_ptr_nonnull(f);
	config_dump(&back, f);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_str_eq(again, text);

	config_free(&back);
	free(text);
	free(again);
}

START_TEST(dump_then_load_gives_an_equal_config)
{
	struct cdc_config cfg;
	char err[512];

	config_defaults(&cfg);
	round_trip(&cfg);

	ck_assert_int_eq(load(&cfg, full_example, err, sizeof(err)), 0);
	round_trip(&cfg);

	ck_assert_int_eq(
		load(&cfg,
		     "[global]\n"
		     "listen = [2001:db8::1]:18009\n"
		     "listen = 127.0.0.1:18009\n"
		     "state-dir = /tmp/cdc state\n"
		     "idle-timeout = 5\n"
		     "icreq-timeout = 600\n"
		     "max-connections = 17\n"
		     "log-level = warning\n"
		     "[subsystem nqn.2014-08.org.nvmexpress:uuid:"
		     "0c6f1e4a-8b44-4a5e-9d7e-7b7ac3b0e1f2]\n"
		     "[subsystem nqn.2014-08.org.example:tls]\n"
		     "port = traddr=2001:db8::20;trsvcid=4421;treq=required;sectype=tls13\n"
		     "port = traddr=192.0.2.20;treq=not-required;portid=9\n"
		     "[referral]\n"
		     "entry = traddr=2001:db8::50;nqn=nqn.2014-08.org.example:cdc:2\n"
		     "[mdns]\n"
		     "enable = no\n"
		     "instance-name = CDC 1\n"
		     "interfaces = eth0 eth1\n",
		     err, sizeof(err)),
		0);
	round_trip(&cfg);
	config_free(&cfg);
}
END_TEST

START_TEST(dump_writes_global_first_and_full_port_strings)
{
	struct cdc_config cfg;
	char err[512], *text = NULL;
	size_t len;
	FILE *f;

	config_defaults(&cfg);
	ck_assert_int_eq(load(&cfg, full_example, err, sizeof(err)), 0);
	f = open_memstream(&text, &len);
	ck_assert_ptr_nonnull(f);
	config_dump(&cfg, f);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert(!strncmp(text, "[global]\n", 9));
	ck_assert_ptr_nonnull(strstr(text, "nqn = nqn.2014-08.org.example:cdc:1\n"));
	ck_assert_ptr_nonnull(strstr(
		text, "[subsystem nqn.2014-08.org.example:storage1]\n"
		      "port = trtype=tcp;adrfam=ipv4;traddr=192.0.2.10;trsvcid=4420;portid=1\n"));
	ck_assert_ptr_nonnull(strstr(
		text, "[referral]\n"
		      "entry = trtype=tcp;adrfam=ipv4;traddr=192.0.2.50;trsvcid=8009;portid=0\n"));
	ck_assert_ptr_null(strstr(text, "nqn=" NVME_DISC_SUBSYS_NAME));
	free(text);
	config_free(&cfg);
}
END_TEST

START_TEST(config_free_leaves_an_empty_reusable_config)
{
	struct cdc_config cfg;
	char err[512];

	config_defaults(&cfg);
	ck_assert_int_eq(load(&cfg, full_example, err, sizeof(err)), 0);
	config_free(&cfg);
	ck_assert_uint_eq(cfg.nsubsys, 0);
	ck_assert_ptr_null(cfg.subsys);
	ck_assert_uint_eq(cfg.nreferrals, 0);
	ck_assert_ptr_null(cfg.referrals);
	config_free(&cfg);
	ck_assert_int_eq(load(&cfg, full_example, err, sizeof(err)), 0);
	config_free(&cfg);
}
END_TEST

START_TEST(nqn_is_valid_accepts_well_formed_names)
{
	static const char *const good[] = {
		NVME_DISC_SUBSYS_NAME,
		"nqn.2014-08.org.nvmexpress:uuid:0c6f1e4a-8b44-4a5e-9d7e-7b7ac3b0e1f2",
		"nqn.2014-08.org.nvmexpress:uuid:0C6F1E4A-8B44-4A5E-9D7E-7B7AC3B0E1F2",
		"nqn.2014-08.org.example:cdc:1",
		"nqn.1992-01.com.example",
		"nqn.2024-12.io.spdk:cnode1",
		"nqn.2014-08.org.example:a#b;c]d",
	};
	char longest[CDC_NQN_MAX + 1];
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_msg(nqn_is_valid(good[i]), "'%s' was refused", good[i]);
	memset(longest, 'x', sizeof(longest));
	memcpy(longest, "nqn.2014-08.org.example:", 24);
	longest[CDC_NQN_MAX] = '\0';
	ck_assert(nqn_is_valid(longest));
}
END_TEST

START_TEST(nqn_is_valid_refuses_malformed_names)
{
	static const char *const bad[] = {
		"",
		"storage1",
		"nqn.",
		"nqn.2014-08.",
		"nqn.2014-08.:x",
		"nqn.2014-8.org.example",
		"nqn.14-08.org.example",
		"nqn.2014-13.org.example",
		"nqn.2014-00.org.example",
		"nqn.2014-08org.example",
		"nqn.2014-08.org_example:x",
		"NQN.2014-08.org.example",
		"nqn.2014-08.org.example:with space",
		"nqn.2014-08.org.example:tab\t",
		"nqn.2014-08.org.example:\xc3\xa9",
		"nqn.2014-08.org.nvmexpress:uuid:",
		"nqn.2014-08.org.nvmexpress:uuid:not-a-uuid",
		"nqn.2014-08.org.nvmexpress:uuid:0c6f1e4a-8b44-4a5e-9d7e-7b7ac3b0e1f",
		"nqn.2014-08.org.nvmexpress:uuid:0c6f1e4a-8b44-4a5e-9d7e-7b7ac3b0e1f2x",
		"nqn.2014-08.org.nvmexpress:uuid:0c6f1e4a08b44-4a5e-9d7e-7b7ac3b0e1f2",
	};
	char toolong[CDC_NQN_MAX + 2];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(!nqn_is_valid(bad[i]), "'%s' was accepted", bad[i]);
	ck_assert(!nqn_is_valid(NULL));
	memset(toolong, 'x', sizeof(toolong));
	memcpy(toolong, "nqn.2014-08.org.example:", 24);
	toolong[CDC_NQN_MAX + 1] = '\0';
	ck_assert(!nqn_is_valid(toolong));
}
END_TEST

START_TEST(log_level_names_parse)
{
	enum cdc_log_level l;

	ck_assert_int_eq(config_parse_log_level("err", &l), 0);
	ck_assert_int_eq(l, CDC_LOG_ERR);
	ck_assert_int_eq(config_parse_log_level("warning", &l), 0);
	ck_assert_int_eq(l, CDC_LOG_WARNING);
	ck_assert_int_eq(config_parse_log_level("info", &l), 0);
	ck_assert_int_eq(l, CDC_LOG_INFO);
	ck_assert_int_eq(config_parse_log_level("debug", &l), 0);
	ck_assert_int_eq(l, CDC_LOG_DEBUG);
	ck_assert_int_eq(config_parse_log_level("notice", &l), -EINVAL);
}
END_TEST

/* Opening a FIFO for reading waits for a writer: at start cdcd hung, and on SIGHUP the whole
 * loop with it. Only regular files are read; Check's timeout fails the test if the load waits. */
START_TEST(a_fifo_or_a_directory_is_refused_without_waiting)
{
	struct cdc_config cfg;
	char path[PATH_MAX + 32], err[PATH_MAX + 128];

	snprintf(path, sizeof(path), "%s/cdcd.fifo", tmpdir);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	config_defaults(&cfg);
	int r = config_load_file(&cfg, path, err, sizeof(err));
	unlink(path);
	ck_assert_int_eq(r, -EINVAL);
	ck_assert_msg(strstr(err, "a FIFO, not a regular file"), "%s", err);

	ck_assert_int_eq(config_load_file(&cfg, tmpdir, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, "a directory, not a regular file"), "%s", err);
	ck_assert_int_eq(config_load_file(&cfg, "/dev/zero", err, sizeof(err)), -EINVAL);
	config_free(&cfg);
}
END_TEST

/* The whole file at path, NUL-terminated (the caller frees). */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *text;
	long len;

	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	rewind(f);
	text = calloc(1, (size_t)len + 1);
	ck_assert_ptr_nonnull(text);
	ck_assert_uint_eq(fread(text, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	return text;
}

/* A key the parser takes but the manual does not describe is a key nobody can find. */
START_TEST(the_manual_describes_every_key_in_its_section)
{
	const char *srcdir = getenv("CDC_SRCDIR") ? getenv("CDC_SRCDIR") : ".";
	char path[PATH_MAX], want[160], name[96];

	snprintf(path, sizeof(path), "%s/man/cdcd.conf.5", srcdir);
	char *man = slurp(path);
	for (size_t i = 0; i < config_nkeys; i++) {
		const struct config_key *k = &config_keys[i];
		const char *sec, *next;
		size_t n = 0;

		for (const char *c = k->name; *c && n + 3 < sizeof(name); c++) {
			if (*c == '-')
				name[n++] = '\\';
			name[n++] = *c;
		}
		name[n] = '\0';
		snprintf(want, sizeof(want), ".BI \"%s = \"", name);
		snprintf(path, sizeof(path), ".SH \"[%s] SECTION\"",
			 config_key_section(k->section));
		sec = strstr(man, path);
		ck_assert_msg(sec != NULL, "cdcd.conf(5) has no %s", path);
		next = strstr(sec + 1, "\n.SH ");
		const char *at = strstr(sec, want);
		ck_assert_msg(at && (!next || at < next),
			      "cdcd.conf(5) does not describe %s in [%s]", k->name,
			      config_key_section(k->section));
	}
	free(man);
}
END_TEST

/* Every key's default is a value its own parser takes, and a dump of the defaults reads
 * back to them. */
START_TEST(defaults_come_from_the_table_and_read_back)
{
	struct cdc_config def, back;
	char *text = NULL, err[256];
	size_t len;

	for (size_t i = 0; i < config_nkeys; i++) {
		struct cdc_config cfg;
		struct key_pass kp = {.cfg = &cfg};
		const struct config_key *k = &config_keys[i];
		char one[256];

		config_defaults(&cfg);
		snprintf(one, sizeof(one), "%.*s", (int)strcspn(k->def ? k->def : "", " "),
			 k->def ? k->def : "");
		ck_assert_msg(config_key_set(&kp, k, one) == 0, "%s: default '%s': %s", k->name,
			      one, kp.err);
		ck_assert_ptr_eq(config_key_find(k->section, k->name), k);
	}
	config_defaults(&def);
	ck_assert_uint_eq(def.nlisten, 2);
	ck_assert_uint_eq(def.max_connections, 8192);
	ck_assert(def.mdns.enable);
	FILE *out = open_memstream(&text, &len);
	config_dump(&def, out);
	fclose(out);
	config_defaults(&back);
	back.max_connections = 1;
	back.nlisten = 0;
	ck_assert_msg(config_load_buffer(&back, "dump", text, len, err, sizeof(err)) == 0, "%s",
		      err);
	ck_assert(configs_equal(&def, &back));
	free(text);
}
END_TEST

/* The shipped example: as is it must be the defaults, and with every "#key" and "#[section]"
 * line uncommented it must still load, so the documented defaults and examples stay true. */
START_TEST(contrib_example_loads_and_documents_the_defaults)
{
	const char *srcdir = getenv("CDC_SRCDIR") ? getenv("CDC_SRCDIR") : ".";
	struct cdc_config cfg, ref;
	char path[PATH_MAX], err[PATH_MAX + 128], line[1024];
	char *text = NULL;
	size_t len;
	FILE *in, *out;

	snprintf(path, sizeof(path), "%s/contrib/cdcd.conf", srcdir);
	config_defaults(&cfg);
	config_defaults(&ref);
	ck_assert_msg(config_load_file(&cfg, path, err, sizeof(err)) == 0, "%s", err);
	ck_assert(configs_equal(&cfg, &ref));

	in = fopen(path, "r");
	ck_assert_ptr_nonnull(in);
	out = open_memstream(&text, &len);
	ck_assert_ptr_nonnull(out);
	while (fgets(line, sizeof(line), in)) {
		bool setting = line[0] == '#' && line[1] && line[1] != ' ' && line[1] != '\n' &&
			       line[1] != '#';

		fputs(setting ? line + 1 : line, out);
	}
	fclose(in);
	ck_assert_int_eq(fclose(out), 0);
	ck_assert_msg(config_load_buffer(&cfg, path, text, len, err, sizeof(err)) == 0, "%s", err);
	ck_assert_msg(cfg.nsubsys > 0 && cfg.nreferrals > 0,
		      "the example should show [subsystem] and [referral]");
	/* The uncommented [global] keys are the documented defaults. */
	config_free(&cfg);
	ck_assert(configs_equal(&cfg, &ref));
	free(text);
}
END_TEST

START_TEST(http_listen_is_off_by_default_and_takes_ipv4_or_ipv6)
{
	struct cdc_config cfg;
	char err[512];

	config_defaults(&cfg);
	ck_assert(!cfg.has_http_listen);
	ck_assert_int_eq(load(&cfg, "[global]\nhttp-listen = 127.0.0.1:9109\n", err, sizeof(err)),
			 0);
	ck_assert(cfg.has_http_listen);
	ck_assert_str_eq(cfg.http_listen.text, "127.0.0.1:9109");
	ck_assert_int_eq(cfg.http_listen.ss.ss_family, AF_INET);
	ck_assert_int_eq(load(&cfg, "[global]\nhttp-listen = [::1]:9109\n", err, sizeof(err)), 0);
	ck_assert_str_eq(cfg.http_listen.text, "[::1]:9109");
	ck_assert_int_eq(cfg.http_listen.ss.ss_family, AF_INET6);
	ck_assert_int_eq(load(&cfg, "[global]\nhttp-listen = ::1:9109\n", err, sizeof(err)),
			 -EINVAL);
	ck_assert_msg(strstr(err, "bad http-listen"), "%s", err);
	ck_assert_int_eq(load(&cfg, "[global]\nhttp-listen = 127.0.0.1\n", err, sizeof(err)),
			 -EINVAL);
	config_defaults(&cfg);
	ck_assert_int_eq(load(&cfg, "[global]\nhttp-listen = 127.0.0.1:9109\nhttp-listen =\n", err,
			      sizeof(err)),
			 0);
	ck_assert(!cfg.has_http_listen);
}
END_TEST

START_TEST(mdns_section_sets_enable_name_and_interfaces)
{
	struct cdc_config cfg;
	char err[256];

	config_defaults(&cfg);
	ck_assert(cfg.mdns.enable);
	ck_assert_str_eq(cfg.mdns.instance, "");
	ck_assert_int_eq(load(&cfg,
			      "[mdns]\nenable = no\ninstance-name = Rack 12 \xc3\xa9tage\n"
			      "interfaces = eth0, eth1 bond0\n",
			      err, sizeof(err)),
			 0);
	ck_assert(!cfg.mdns.enable);
	ck_assert_str_eq(cfg.mdns.instance, "Rack 12 \xc3\xa9tage");
	ck_assert_uint_eq(cfg.mdns.ninterfaces, 3);
	ck_assert_str_eq(cfg.mdns.interfaces[2], "bond0");
	/* A later line replaces the list; an empty name goes back to the default. */
	ck_assert_int_eq(
		load(&cfg, "[mdns]\ninterfaces = eth9\ninstance-name =\n", err, sizeof(err)), 0);
	ck_assert_uint_eq(cfg.mdns.ninterfaces, 1);
	ck_assert_str_eq(cfg.mdns.instance, "");
	config_free(&cfg);
}
END_TEST

START_TEST(mdns_browse_is_ask_unless_off_or_automatic)
{
	struct cdc_config cfg;
	char err[256];

	config_defaults(&cfg);
	ck_assert_int_eq(cfg.mdns.browse, CDC_BROWSE_ASK);
	ck_assert_int_eq(load(&cfg, "[mdns]\nbrowse = automatic\n", err, sizeof(err)), 0);
	ck_assert_int_eq(cfg.mdns.browse, CDC_BROWSE_AUTO);
	ck_assert_int_eq(load(&cfg, "[mdns]\nbrowse = OFF\n", err, sizeof(err)), 0);
	ck_assert_int_eq(cfg.mdns.browse, CDC_BROWSE_OFF);
	ck_assert_int_ne(load(&cfg, "[mdns]\nbrowse = sometimes\n", err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(err, "expected off, ask or automatic"));
	config_free(&cfg);
}
END_TEST

START_TEST(zoning_is_off_and_denies_by_default)
{
	struct cdc_config cfg;
	char err[256];

	config_defaults(&cfg);
	ck_assert(!cfg.zoning);
	ck_assert_int_eq(cfg.zoning_policy, CDC_ZONING_DENY);
	ck_assert_int_eq(
		load(&cfg, "[global]\nzoning = yes\nzoning-policy = Allow\n", err, sizeof(err)), 0);
	ck_assert(cfg.zoning);
	ck_assert_int_eq(cfg.zoning_policy, CDC_ZONING_ALLOW);
	ck_assert_int_ne(load(&cfg, "[global]\nzoning-policy = open\n", err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(err, "expected deny or allow"));
	ck_assert_ptr_nonnull(strstr(err, ":2:"));
	ck_assert_int_ne(load(&cfg, "[global]\nzoning = sometimes\n", err, sizeof(err)), 0);
	config_free(&cfg);
}
END_TEST

START_TEST(mdns_section_refuses_bad_values_with_file_and_line)
{
	static const char *const bad[] = {
		"[mdns]\nenable = maybe\n",
		("[mdns]\ninstance-name = "
		 "0123456789012345678901234567890123456789012345678901234567890123\n"),
		"[mdns]\ninstance-name = bad \xc3(\n",
		"[mdns]\ninterfaces = averyveryverylongname0\n",
		"[mdns]\ninterfaces = a/b\n",
		"[mdns]\nbrowse = yes\n",
		"[mdns extra]\n",
	};
	struct cdc_config cfg;
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		config_defaults(&cfg);
		ck_assert_int_eq(load(&cfg, bad[i], err, sizeof(err)), -EINVAL);
		ck_assert_msg(strstr(err, "cdcd.conf:"), "%s", err);
		ck_assert(cfg.mdns.enable); /* untouched */
		config_free(&cfg);
	}
}
END_TEST

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("config");

	tcase_add_unchecked_fixture(tc, tmpdir_create, tmpdir_remove);
	tcase_add_test(tc, defaults_listen_on_both_wildcards_at_8009);
	tcase_add_test(tc, a_fifo_or_a_directory_is_refused_without_waiting);
	tcase_add_test(tc, full_example_sets_every_field);
	tcase_add_test(tc, global_values_other_than_defaults_are_taken);
	tcase_add_test(tc, ipv6_listen_is_parsed_into_sockaddr_in6);
	tcase_add_test(tc, malformed_listen_values_are_refused);
	tcase_add_test(tc, first_listen_in_file_replaces_defaults_later_ones_add);
	tcase_add_test(tc, duplicate_listen_is_refused);
	tcase_add_test(tc, listen_takes_a_tls_mode_and_dumps_it_back);
	tcase_add_test(tc, comments_blank_lines_and_crlf_are_ignored);
	tcase_add_test(tc, unknown_section_is_refused_with_file_and_line);
	tcase_add_test(tc, unknown_key_is_refused_with_file_and_line);
	tcase_add_test(tc, unknown_key_in_a_port_string_is_named);
	tcase_add_test(tc, key_outside_a_section_is_refused);
	tcase_add_test(tc, malformed_lines_are_refused);
	tcase_add_test(tc, nul_byte_in_buffer_is_refused);
	tcase_add_test(tc, bad_port_numbers_are_refused);
	tcase_add_test(tc, bad_traddr_is_refused);
	tcase_add_test(tc, wildcard_traddr_is_refused);
	tcase_add_test(tc, adrfam_that_does_not_match_traddr_is_refused);
	tcase_add_test(tc, duplicate_subsystem_is_refused);
	tcase_add_test(tc, duplicate_port_in_a_subsystem_is_refused);
	tcase_add_test(tc, same_port_in_two_subsystems_is_accepted);
	tcase_add_test(tc, duplicate_referral_is_refused);
	tcase_add_test(tc, bad_nqns_are_refused);
	tcase_add_test(tc, bad_log_level_is_refused);
	tcase_add_test(tc, out_of_range_numbers_are_refused);
	tcase_add_test(tc, failed_load_leaves_config_unchanged);
	tcase_add_test(tc, missing_file_is_enoent_naming_the_path);
	tcase_add_test(tc, loading_over_earlier_subsystems_adds_to_them);
	tcase_add_test(tc, portids_are_assigned_in_order_when_absent);
	tcase_add_test(tc, port_defaults_fill_trsvcid_and_derive_adrfam);
	tcase_add_test(tc, referral_nqn_defaults_to_the_well_known_discovery_nqn);
	tcase_add_test(tc, empty_nqn_resets_to_generated);
	tcase_add_test(tc, dump_then_load_gives_an_equal_config);
	tcase_add_test(tc, zoning_sections_declare_groups_zones_members_and_aliases);
	tcase_add_test(tc, bad_zoning_sections_are_refused_with_file_and_line);
	tcase_add_test(tc, dump_writes_global_first_and_full_port_strings);
	tcase_add_test(tc, config_free_leaves_an_empty_reusable_config);
	tcase_add_test(tc, nqn_is_valid_accepts_well_formed_names);
	tcase_add_test(tc, nqn_is_valid_refuses_malformed_names);
	tcase_add_test(tc, log_level_names_parse);
	tcase_add_test(tc, contrib_example_loads_and_documents_the_defaults);
	tcase_add_test(tc, zoning_is_off_and_denies_by_default);
	tcase_add_test(tc, http_listen_is_off_by_default_and_takes_ipv4_or_ipv6);
	tcase_add_test(tc, mdns_section_sets_enable_name_and_interfaces);
	tcase_add_test(tc, mdns_browse_is_ask_unless_off_or_automatic);
	tcase_add_test(tc, mdns_section_refuses_bad_values_with_file_and_line);
	tcase_add_test(tc, the_manual_describes_every_key_in_its_section);
	tcase_add_test(tc, ddc_entries_parse_like_referrals_and_dump_back);
	tcase_add_test(tc, defaults_come_from_the_table_and_read_back);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(config_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
