/* cdcd.c - the Centralized Discovery Controller daemon: command line, configuration,
 * signals and the event loop. Wiring only; the work is in the modules. */
#include <errno.h>
#include <event2/event.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api.h"
#include "auth_keys.h"
#include "browse.h"
#include "config.h"
#include "config_keys.h"
#include "disc_ctrl.h"
#include "etcd.h"
#include "fabric.h"
#include "health.h"
#include "host_auth.h"
#include "log.h"
#include "publish.h"
#include "pull.h"
#include "queue.h"
#include "registry.h"
#include "sdnotify.h"
#include "state.h"
#include "store.h"
#include "tls_server.h"

enum { EXIT_CONFIG = 1, EXIT_USAGE = 2 };

/* What the command line says: values of the keys in config_keys.c, applied over the file
 * at start and on every reload, in the order given. */
#define MAX_OVERRIDES 64
struct overrides {
	struct {
		const struct config_key *key;
		char *val;
	} v[MAX_OVERRIDES];
	size_t n;
};

struct daemon {
	struct event_base *base;
	const char *config_path;
	bool config_explicit;
	struct overrides ovr;
	struct cdc_config cfg;
	struct fabric fabric;
	struct disc_svc svc;
	struct cdc_server srv;
	struct store *store;
	struct etcd *etcd; /* store = etcd: the registrations shared with other instances */
	struct registry *reg;
	struct api *api;
	struct mdns_pub *mdns;
	struct pull *pull;
	struct health *health;
	struct mdns_browse *browse;
	struct sdnotify *notify; /* NULL unless started by systemd */
	struct auth_keys keys;	 /* DH-HMAC-CHAP, from cfg.dhchap_keys */
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: cdcd [OPTIONS]\n"
		"NVMe over Fabrics Centralized Discovery Controller (NVMe/TCP).\n\n"
		"  -f, --foreground                   stay in the foreground and log to stderr\n"
		"  -c, --config FILE                  configuration file [%s]\n"
		"  --dump-config                      print the effective configuration and exit\n"
		"  -h, --help                         this help\n"
		"  -V, --version                      print the version\n\n"
		"Every key of cdcd.conf is an option too, and overrides the file [default]:\n",
		CDC_DEFAULT_CONFIG);
	for (size_t i = 0; i < config_nkeys; i++) {
		const struct config_key *k = &config_keys[i];
		char opt[96], left[128];

		config_key_option(k, opt, sizeof(opt));
		snprintf(left, sizeof(left), "--%s %s", opt, k->arg);
		fprintf(out, "  %-34s %s", left, k->help);
		fprintf(out, k->def && *k->def ? " [%s]\n" : "\n", k->def);
	}
	fprintf(out, "\nSee cdcd(8) and cdcd.conf(5).\n");
}

/* Sets the command line's keys in cfg. A first --listen replaces the file's list. */
static int overrides_apply(const struct overrides *o, struct cdc_config *cfg)
{
	struct key_pass kp = {.cfg = cfg};

	for (size_t i = 0; i < o->n; i++) {
		if (config_key_set(&kp, o->v[i].key, o->v[i].val) < 0) {
			char opt[96];
			config_key_option(o->v[i].key, opt, sizeof(opt));
			fprintf(stderr, "cdcd: invalid --%s: %s\n", opt, kp.err);
			return -EINVAL;
		}
	}
	return 0;
}

static void overrides_free(struct overrides *o)
{
	for (size_t i = 0; i < o->n; i++)
		free(o->v[i].val);
	o->n = 0;
}

/* Loads file + overrides into cfg; a missing default file is not an error. */
static int config_read(const struct daemon *d, struct cdc_config *cfg)
{
	char err[512];

	config_defaults(cfg);
	int r = config_load_file(cfg, d->config_path, err, sizeof(err));
	if (r == -ENOENT && !d->config_explicit)
		r = 0;
	if (r < 0) {
		log_err("%s", err);
		config_free(cfg);
		return r;
	}
	r = overrides_apply(&d->ovr, cfg);
	if (!r)
		r = api_config_check(cfg);
	if (r < 0)
		config_free(cfg);
	return r;
}

/* The DH-HMAC-CHAP keys file the configuration names, if any. */
static int keys_read(const struct cdc_config *cfg, struct auth_keys *keys)
{
	char err[512];

	*keys = (struct auth_keys){0};
	if (!cfg->dhchap_keys[0])
		return 0;
	int r = auth_keys_load(keys, cfg->dhchap_keys, err, sizeof(err));
	if (r < 0)
		log_err("%s", err);
	return r;
}

/* What the controllers authenticate with: the keys, and what they offer. */
static void auth_apply(struct daemon *d)
{
	d->svc.auth_keys = d->keys.nhosts ? &d->keys : NULL;
	d->svc.auth_prefs = (struct auth_prefs){d->cfg.dhchap_hashes, d->cfg.ndhchap_hashes,
						d->cfg.dhchap_dhgroups, d->cfg.ndhchap_dhgroups};
	d->svc.auth_well_known = d->cfg.well_known_auth;
	if (d->keys.nhosts)
		log_info("DH-HMAC-CHAP keys for %zu hosts", d->keys.nhosts);
}

/* A host both the keys file and the store name goes by the file: said at start and at
 * each reload, as the administrator may have meant otherwise. */
static void auth_overlap_warn(const struct daemon *d)
{
	for (size_t i = 0; d->svc.auth_db && i < d->keys.nhosts; i++)
		if (host_auth_db_find(d->svc.auth_db, d->keys.hosts[i].nqn))
			log_warn("host %s: the keys file's section overrides its stored keys",
				 d->keys.hosts[i].nqn);
}

/* The hosts' settings set through the control API. */
static int auth_db_load(struct daemon *d)
{
	d->svc.auth_db = host_auth_db_new();
	if (!d->svc.auth_db)
		return -ENOMEM;
	int err = host_auth_db_load(d->svc.auth_db, d->store);
	if (err)
		return err;
	auth_overlap_warn(d);
	if (host_auth_db_count(d->svc.auth_db))
		log_info("DH-HMAC-CHAP keys for %zu hosts in the store",
			 host_auth_db_count(d->svc.auth_db));
	return 0;
}

static struct pull_opts pull_opts_of(const struct cdc_config *cfg)
{
	return (struct pull_opts){cfg->nqn,
				  cfg->pull_kato * 1000u,
				  cfg->pull_reconnect_max * 1000u,
				  cfg->pull_withdraw_after * 1000u,
				  cfg->max_kickstart_ddcs,
				  cfg->max_registrations_per_entity};
}

/* A DDC's Kickstart (the listener's KDReq), handed to pull registration. */
static int kickstart(void *arg, const char *peer, const struct kdreq *req)
{
	struct daemon *d = arg;
	struct cdc_port ports[KDREQ_MAX_RECORDS];

	(void)peer;
	for (size_t i = 0; i < req->nrec; i++)
		ports[i] = req->rec[i].port;
	/* NUMDIE: what the DDC will expose must fit what one registrant may register. */
	return pull_kickstart(d->pull, ports, req->nrec, req->numdie);
}

/* The configuration's DDCs; a failure leaves the others as they were. */
static void pull_update(struct daemon *d)
{
	struct pull_opts o = pull_opts_of(&d->cfg);

	pull_set_opts(d->pull, &o);
	if (pull_config(d->pull, d->cfg.ddcs, d->cfg.nddcs) < 0)
		log_err("pull: cannot add the configured DDCs: %s", strerror(ENOMEM));
}

static struct health_opts health_opts_of(const struct cdc_config *cfg)
{
	return (struct health_opts){cfg->health_check,		 cfg->health_interval * 1000u,
				    cfg->health_timeout * 1000u, cfg->health_failures,
				    cfg->health_concurrency,	 cfg->health_icreq};
}

static void daemon_limits(struct daemon *d)
{
	struct registry_limits lim = {d->cfg.max_registrations_per_entity, d->cfg.max_registrations,
				      d->cfg.max_implicit_hosts, d->cfg.implicit_host_expiry,
				      d->cfg.zoning_lock_timeout};

	registry_set_limits(d->reg, &lim);
	d->svc.dim_max_entries = d->cfg.max_registrations_per_entity;
}

/* Announce the listeners that are open, not those that failed to open. */
static void mdns_update(struct daemon *d)
{
	struct cdc_listen open[CDC_MAX_LISTEN];
	size_t n = 0;

	for (size_t i = 0; i < d->cfg.nlisten; i++)
		for (size_t j = 0; j < d->srv.nlisteners; j++)
			if (!strcmp(d->cfg.listen[i].text, d->srv.listener_text[j]))
				open[n++] = d->cfg.listen[i];
	if (d->mdns)
		mdns_pub_configure(d->mdns, &d->cfg.mdns, open, n);
	if (d->browse)
		mdns_browse_configure(d->browse, &d->cfg.mdns);
}

/* A DDC found with mDNS while browse = automatic: pulled from while it is announced. Its TXT
 * nqn= names the discovery subsystem to connect to (the well-known one without it). */
static void mdns_candidate(void *arg, const struct mdns_candidate *c, bool up)
{
	struct daemon *d = arg;
	struct cdc_referral ddc = {.port = {.trtype = NVMF_TRTYPE_TCP}};
	int err;

	snprintf(ddc.port.traddr, sizeof(ddc.port.traddr), "%s", c->address);
	snprintf(ddc.port.trsvcid, sizeof(ddc.port.trsvcid), "%u", c->port);
	snprintf(ddc.nqn, sizeof(ddc.nqn), "%s",
		 c->nqn[0] && nqn_is_valid(c->nqn) ? c->nqn : NVME_DISC_SUBSYS_NAME);
	err = addr_traddr_canon(&ddc.port.adrfam, ddc.port.traddr, sizeof(ddc.port.traddr));
	if (!err && c->port)
		err = pull_ddc_announced(d->pull, &ddc, c->ifindex, up);
	if (err || !c->port)
		log_warn("mdns: DDC candidate '%s' at %s:%u not pulled: %s", c->name, c->address,
			 c->port, err ? strerror(-err) : "port 0");
	else if (!up)
		log_info("mdns: DDC candidate '%s' at %s:%u withdrawn", c->name, c->address,
			 c->port);
}

/* The hosts' TLS PSKs, (re)read from cfg's tls-keys. A listener with TLS and no keys, or a
 * key file that cannot be used, is refused: at start the daemon stops, on reload the running
 * configuration and keys stay. */
static int tls_keys_load(struct daemon *d, const struct cdc_config *cfg)
{
	char err[512];
	bool wanted = false;
	int r;

	for (size_t i = 0; i < cfg->nlisten; i++)
		wanted |= cfg->listen[i].tls != CDC_LISTEN_PLAIN;
	if (!cfg->tls_keys[0]) {
		if (wanted) {
			log_err("a listener with tls= needs tls-keys");
			return -ENOKEY;
		}
		return 0;
	}
	if (!d->srv.tls && (r = tls_server_new(d->svc.nqn, &d->srv.tls)) < 0) {
		log_err("TLS: %s", strerror(-r));
		return r;
	}
	r = tls_server_load_keys(d->srv.tls, cfg->tls_keys, err, sizeof(err));
	if (r < 0) {
		log_err("tls-keys %s", err);
		return r;
	}
	log_info("TLS: PSKs of %zu hosts from %s", tls_server_nkeys(d->srv.tls), cfg->tls_keys);
	return 0;
}

static void reload(struct daemon *d)
{
	struct cdc_config cfg;

	log_info("reloading %s", d->config_path);
	struct auth_keys keys;
	if (config_read(d, &cfg) < 0 || keys_read(&cfg, &keys) < 0) {
		log_err("reload failed; keeping the running configuration");
		config_free(&cfg);
		return;
	}
	if (tls_keys_load(d, &cfg) < 0) {
		log_err("reload failed; keeping the running configuration");
		auth_keys_free(&keys);
		config_free(&cfg);
		return;
	}
	if (strcmp(cfg.nqn, d->cfg.nqn) && cfg.nqn[0])
		log_warn("a new nqn takes effect at the next start");
	if (cfg.store != d->cfg.store || strcmp(cfg.etcd_endpoints, d->cfg.etcd_endpoints) ||
	    strcmp(cfg.etcd_prefix, d->cfg.etcd_prefix) ||
	    strcmp(cfg.etcd_cacert, d->cfg.etcd_cacert) ||
	    strcmp(cfg.etcd_cert, d->cfg.etcd_cert) || strcmp(cfg.etcd_key, d->cfg.etcd_key))
		log_warn("a new store or etcd-* setting takes effect at the next start");
	if (cfg.has_http_listen != d->cfg.has_http_listen ||
	    strcmp(cfg.http_listen.text, d->cfg.http_listen.text))
		log_warn("a new http-listen takes effect at the next start");
	cfg.http_listen = d->cfg.http_listen; /* what is served, as --dump-config would say */
	cfg.has_http_listen = d->cfg.has_http_listen;
	snprintf(cfg.nqn, sizeof(cfg.nqn), "%s", d->svc.nqn);
	config_free(&d->cfg);
	d->cfg = cfg;
	/* Transactions under way copied their keys: the old ones can go. */
	auth_keys_free(&d->keys);
	d->keys = keys;
	auth_apply(d);
	auth_overlap_warn(d);
	d->svc.nlisten = d->cfg.nlisten;
	log_set_level((int)d->cfg.log_level);
	server_listen(&d->srv, &d->cfg);
	mdns_update(d);
	daemon_limits(d);
	registry_config_changed(d->reg, &d->cfg);
	registry_listeners_changed(d->reg);
	pull_update(d);
	struct health_opts ho = health_opts_of(&d->cfg);
	health_set_opts(d->health, &ho);
	log_info("configuration reloaded");
}

static void signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;

	(void)what;
	if (sig == SIGHUP) {
		/* READY=1 after a failed reload too: the old configuration is still served. */
		sdnotify_reloading(d->notify);
		reload(d);
		sdnotify_ready(d->notify);
		return;
	}
	log_info("stopping on signal %d", (int)sig);
	sdnotify_stopping(d->notify);
	event_base_loopexit(d->base, NULL);
}

/* systemctl status shows this line (STATUS=). */
static void daemon_status(void *arg, char *buf, size_t size)
{
	const struct daemon *d = arg;

	snprintf(buf, size, "connections: %zu, controllers: %zu, GENCTR: %llu", d->srv.nqueues,
		 d->svc.nctrls, (unsigned long long)d->fabric.genctr);
}

/* A relative path given on the command line is from the working directory: the daemon
 * leaves it for "/". NULL when out of memory. */
static char *absolute_path(const char *path)
{
	char cwd[4096], *out;

	if (!*path || path[0] == '/')
		return strdup(path);
	if (!getcwd(cwd, sizeof(cwd)) || asprintf(&out, "%s/%s", cwd, path) < 0)
		return NULL;
	return out;
}

static int override_add(struct overrides *o, const struct config_key *k, const char *val)
{
	if (o->n == MAX_OVERRIDES) {
		fprintf(stderr, "cdcd: more than %d options\n", MAX_OVERRIDES);
		return EXIT_USAGE;
	}
	char *v = k->path ? absolute_path(val) : strdup(val);
	if (!v) {
		fprintf(stderr, "cdcd: %s: %s\n", val, strerror(errno));
		return EXIT_CONFIG;
	}
	o->v[o->n].key = k;
	o->v[o->n++].val = v;
	return 0;
}

enum { OPT_DUMP = 256, OPT_KEY = 512 }; /* OPT_KEY + i: config_keys[i] */
#define OWN_OPTIONS 5
#define MAX_OPTIONS 64

/* getopt_long's table: the daemon's own options, then one per configuration key. */
static int options_build(struct option *opts, char (*names)[96])
{
	static const struct option own[OWN_OPTIONS] = {{"foreground", no_argument, NULL, 'f'},
						       {"config", required_argument, NULL, 'c'},
						       {"dump-config", no_argument, NULL, OPT_DUMP},
						       {"help", no_argument, NULL, 'h'},
						       {"version", no_argument, NULL, 'V'}};
	size_t n = OWN_OPTIONS;

	if (config_nkeys + OWN_OPTIONS >= MAX_OPTIONS)
		return -E2BIG;
	memcpy(opts, own, sizeof(own));
	for (size_t i = 0; i < config_nkeys; i++) {
		config_key_option(&config_keys[i], names[i], sizeof(names[i]));
		opts[n++] = (struct option){names[i], required_argument, NULL, OPT_KEY + (int)i};
	}
	opts[n] = (struct option){NULL, 0, NULL, 0};
	return 0;
}

/* Options are checked here, against the defaults, so a bad one is refused before the
 * configuration file is even read. */
static int overrides_check(const struct overrides *o)
{
	static struct cdc_config scratch; /* large; main() runs this once */
	int r;

	config_defaults(&scratch);
	r = overrides_apply(o, &scratch);
	config_free(&scratch);
	return r < 0 ? EXIT_CONFIG : 0;
}

static int parse_args(int argc, char **argv, struct daemon *d, bool *foreground, bool *dump)
{
	struct option opts[MAX_OPTIONS];
	char names[MAX_OPTIONS][96];
	int c, r;

	if (options_build(opts, names) < 0) {
		fprintf(stderr, "cdcd: too many configuration keys for MAX_OPTIONS\n");
		return EXIT_USAGE;
	}
	while ((c = getopt_long(argc, argv, "fc:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			*foreground = true;
			break;
		case 'c':
			d->config_path = optarg;
			d->config_explicit = true;
			break;
		case OPT_DUMP:
			*dump = true;
			break;
		case 'h':
			usage(stdout);
			return -1;
		case 'V':
			printf("cdcd %s\n", PACKAGE_VERSION);
			return -1;
		default:
			if (c < OPT_KEY || c >= OPT_KEY + (int)config_nkeys) {
				usage(stderr);
				return EXIT_USAGE;
			}
			r = override_add(&d->ovr, &config_keys[c - OPT_KEY], optarg);
			if (r)
				return r;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "cdcd: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	return overrides_check(&d->ovr);
}

/* store = etcd: the registry's registrations go there; an identity kept in the state
 * directory tells this instance's txns and connections from the others', which may share
 * its NQN. */
static int etcd_open(struct daemon *d)
{
	const struct cdc_config *c = &d->cfg;
	char id[CDC_NQN_MAX + 1];
	struct etcd_opts o = {c->etcd_endpoints, c->etcd_prefix, c->etcd_cacert,
			      c->etcd_cert,	 c->etcd_key,	 id};

	if (c->store != CDC_STORE_ETCD)
		return 0;
	if (state_instance_load(c->state_dir, id, sizeof(id)))
		return -EIO;
	if (!c->etcd_endpoints[0]) {
		log_err("store = etcd needs etcd-endpoints");
		return -EINVAL;
	}
	int err = etcd_new(d->base, &o, &d->etcd);
	if (err) {
		log_err("etcd: cannot set up a client: %s", strerror(-err));
		return err;
	}
	registry_set_etcd(d->reg, d->etcd);
	log_info("registrations in etcd at %s under %s", c->etcd_endpoints, c->etcd_prefix);
	return 0;
}

static int daemon_start(struct daemon *d)
{
	int err = state_dir_prepare(d->cfg.state_dir);

	if (err) {
		log_err("cannot create the state directory %s: %s", d->cfg.state_dir,
			strerror(-err));
		return err;
	}
	if (!d->cfg.nqn[0] && state_nqn_load(d->cfg.state_dir, d->cfg.nqn, sizeof(d->cfg.nqn)))
		return -EIO;
	char db[4200];
	snprintf(db, sizeof(db), "%s/cdcd.db", d->cfg.state_dir);
	err = state_store_check(db);
	if (!err)
		err = store_open(db, &d->store);
	if (err)
		return err; /* state_store_check() or store_open() said why */
	fabric_init(&d->fabric);
	disc_svc_init(&d->svc, d->cfg.nqn, &d->fabric, d->cfg.listen, d->cfg.nlisten);
	auth_apply(d);
	struct registry_limits lim = {0};
	d->reg = registry_new(d->base, d->store, &d->fabric, &d->svc, &lim);
	if (!d->reg)
		return -ENOMEM;
	d->svc.reg_ops = &registry_ctrl_ops;
	d->svc.reg = d->reg;
	daemon_limits(d);
	err = etcd_open(d);
	if (err)
		return err;
	err = registry_load(d->reg);
	if (!err)
		err = auth_db_load(d);
	if (err) {
		log_err("cannot load %s: %s", db, strerror(-err));
		return err;
	}
	registry_config_changed(d->reg, &d->cfg);
	struct pull_opts po = pull_opts_of(&d->cfg);
	d->pull = pull_new(d->base, d->reg, &d->fabric, &po);
	if (!d->pull)
		return -ENOMEM;
	pull_update(d);
	if (pull_adopt(d->pull, &d->fabric) < 0)
		return -ENOMEM;
	struct health_opts ho = health_opts_of(&d->cfg);
	d->health = health_new(d->base, d->reg, &d->fabric, &ho);
	if (!d->health)
		return -ENOMEM;
	server_init(&d->srv, d->base, &d->svc, &d->cfg);
	d->srv.kickstart = kickstart;
	d->srv.kickstart_arg = d;
	err = tls_keys_load(d, &d->cfg);
	if (err)
		return err;
	/* Discovery does not depend on the control API: without it, cdcd still serves. */
	if ((d->cfg.control_socket[0] || d->cfg.has_http_listen) &&
	    api_open(d->base, &d->cfg, d->reg, &d->fabric, &d->svc, &d->srv, &d->api) < 0)
		log_warn("running without the control API");
	server_listen(&d->srv, &d->cfg);
	if (!d->srv.nlisteners) {
		log_err("no address to listen on");
		return -EADDRNOTAVAIL;
	}
	/* mDNS is an extra: without memory for it, discovery still runs. */
	if (mdns_pub_new(d->base, d->cfg.nqn, &d->mdns) < 0)
		log_warn("mdns: out of memory; not announced");
	if (mdns_browse_new(d->base, d->cfg.nqn, mdns_candidate, d, &d->browse) < 0)
		log_warn("mdns: out of memory; not browsing");
	mdns_update(d);
	if (d->api) {
		api_set_mdns(d->api, d->mdns, d->browse);
		api_set_pull(d->api, d->pull);
		api_set_health(d->api, d->health);
	}
	log_info("cdcd %s serving %s, GENCTR %llu, %zu log entries", PACKAGE_VERSION, d->cfg.nqn,
		 (unsigned long long)d->fabric.genctr, d->fabric.nentries);
	return 0;
}

/* The loop, with epoll's changelist: a connection that enables its write event and
 * disables it again in one turn (queue_flush) costs no epoll_ctl. */
static struct event_base *loop_new(void)
{
	struct event_config *ec = event_config_new();
	struct event_base *base;

	if (!ec)
		return NULL;
	event_config_set_flag(ec, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
	base = event_base_new_with_config(ec);
	event_config_free(ec);
	return base;
}

int main(int argc, char **argv)
{
	static struct daemon d; /* large (controller ID map), so not on the stack */
	bool foreground = false, dump = false;
	struct event *sigs[3] = {NULL};
	const int signums[3] = {SIGHUP, SIGTERM, SIGINT};
	int rc = EXIT_FAILURE;

	d.config_path = CDC_DEFAULT_CONFIG;
	int r = parse_args(argc, argv, &d, &foreground, &dump);
	if (r) {
		overrides_free(&d.ovr);
		return r < 0 ? EXIT_SUCCESS : r;
	}

	log_open(true, CDC_LOG_INFO);
	if (config_read(&d, &d.cfg) < 0) {
		overrides_free(&d.ovr);
		return EXIT_CONFIG;
	}
	if (dump) {
		config_dump(&d.cfg, stdout);
		config_free(&d.cfg);
		overrides_free(&d.ovr);
		return EXIT_SUCCESS;
	}
	if (keys_read(&d.cfg, &d.keys) < 0) {
		config_free(&d.cfg);
		overrides_free(&d.ovr);
		return EXIT_CONFIG;
	}
	if (!foreground && daemon(0, 0) < 0) {
		log_err("cannot detach: %s", strerror(errno));
		return EXIT_FAILURE;
	}
	log_open(foreground, (int)d.cfg.log_level);
	signal(SIGPIPE, SIG_IGN);

	d.base = loop_new();
	if (!d.base || daemon_start(&d) < 0)
		goto out;
	for (int i = 0; i < 3; i++) {
		sigs[i] = evsignal_new(d.base, signums[i], signal_cb, &d);
		evsignal_add(sigs[i], NULL);
	}
	if (sdnotify_open(d.base, daemon_status, &d, &d.notify) < 0) {
		log_err("cannot set up the systemd notifications: %s", strerror(ENOMEM));
		goto out;
	}
	sdnotify_ready(d.notify); /* listeners bound, store loaded */
	event_base_dispatch(d.base);
	rc = EXIT_SUCCESS;
out:
	sdnotify_close(d.notify);
	server_shutdown(&d.srv);
	tls_server_free(d.srv.tls);
	registry_free(d.reg); /* completes what the last connections left */
	etcd_free(d.etcd);    /* after the registry, which cancels its txn in flight */
	pull_free(d.pull);    /* after the registry: its last completions report to it */
	/* After the registry too: the last health marks report to it. */
	health_free(d.health);
	api_close(d.api);
	mdns_browse_free(d.browse);
	mdns_pub_free(d.mdns); /* withdraws what was announced */
	store_close(d.store);
	host_auth_db_free(d.svc.auth_db);
	for (int i = 0; i < 3; i++)
		if (sigs[i])
			event_free(sigs[i]);
	fabric_free(&d.fabric);
	config_free(&d.cfg);
	auth_keys_free(&d.keys);
	overrides_free(&d.ovr);
	if (d.base)
		event_base_free(d.base);
	return rc;
}
