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
#include "config.h"
#include "disc_ctrl.h"
#include "fabric.h"
#include "log.h"
#include "publish.h"
#include "queue.h"
#include "registry.h"
#include "sdnotify.h"
#include "state.h"
#include "store.h"

enum { EXIT_CONFIG = 1, EXIT_USAGE = 2 };

/* What the command line says; it overrides the file, at start and on every reload. */
struct overrides {
	struct cdc_listen listen[CDC_MAX_LISTEN];
	size_t nlisten;
	const char *state_dir;
	const char *control_socket;
	const char *nqn;
	int log_level; /* -1: from the file */
};

struct daemon {
	struct event_base *base;
	const char *config_path;
	bool config_explicit;
	struct overrides ovr;
	char state_dir_buf[4096];
	struct cdc_config cfg;
	struct fabric fabric;
	struct disc_svc svc;
	struct cdc_server srv;
	struct store *store;
	struct registry *reg;
	struct api *api;
	struct mdns_pub *mdns;
	struct sdnotify *notify; /* NULL unless started by systemd */
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: cdcd [OPTIONS]\n"
		"NVMe over Fabrics Centralized Discovery Controller (NVMe/TCP).\n\n"
		"  -f, --foreground        stay in the foreground and log to stderr\n"
		"  -c, --config FILE       configuration file (default %s)\n"
		"      --state-dir DIR     state directory (default %s)\n"
		"      --listen ADDR:PORT  listen address, repeatable: 127.0.0.1:8009, [::1]:8009\n"
		"      --nqn NQN           the unique discovery NQN of this CDC\n"
		"      --control-socket PATH  the control API's socket (default %s)\n"
		"      --log-level LEVEL   err, warning, info or debug\n"
		"      --dump-config       print the effective configuration and exit\n"
		"  -h, --help              this help\n"
		"  -V, --version           print the version\n\n"
		"Command-line options override the file. See cdcd(8) and cdcd.conf(5).\n",
		CDC_DEFAULT_CONFIG, CDC_DEFAULT_STATE_DIR, CDC_DEFAULT_CONTROL_SOCKET);
}

static void overrides_apply(const struct overrides *o, struct cdc_config *cfg)
{
	if (o->nlisten) {
		memcpy(cfg->listen, o->listen, o->nlisten * sizeof(o->listen[0]));
		cfg->nlisten = o->nlisten;
	}
	if (o->state_dir)
		snprintf(cfg->state_dir, sizeof(cfg->state_dir), "%s", o->state_dir);
	if (o->control_socket)
		snprintf(cfg->control_socket, sizeof(cfg->control_socket), "%s", o->control_socket);
	if (o->nqn)
		snprintf(cfg->nqn, sizeof(cfg->nqn), "%s", o->nqn);
	if (o->log_level >= 0)
		cfg->log_level = (enum cdc_log_level)o->log_level;
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
	overrides_apply(&d->ovr, cfg);
	r = api_config_check(cfg);
	if (r < 0)
		config_free(cfg);
	return r;
}

static void daemon_limits(struct daemon *d)
{
	struct registry_limits lim = {d->cfg.max_registrations_per_entity, d->cfg.max_registrations,
				      d->cfg.max_implicit_hosts, d->cfg.implicit_host_expiry};

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
	mdns_pub_configure(d->mdns, &d->cfg.mdns, open, n);
}

static void reload(struct daemon *d)
{
	struct cdc_config cfg;

	log_info("reloading %s", d->config_path);
	if (config_read(d, &cfg) < 0) {
		log_err("reload failed; keeping the running configuration");
		return;
	}
	if (strcmp(cfg.nqn, d->cfg.nqn) && cfg.nqn[0])
		log_warn("a new nqn takes effect at the next start");
	if (cfg.has_http_listen != d->cfg.has_http_listen ||
	    strcmp(cfg.http_listen.text, d->cfg.http_listen.text))
		log_warn("a new http-listen takes effect at the next start");
	cfg.http_listen = d->cfg.http_listen; /* what is served, as --dump-config would say */
	cfg.has_http_listen = d->cfg.has_http_listen;
	snprintf(cfg.nqn, sizeof(cfg.nqn), "%s", d->svc.nqn);
	config_free(&d->cfg);
	d->cfg = cfg;
	d->svc.nlisten = d->cfg.nlisten;
	log_set_level((int)d->cfg.log_level);
	server_listen(&d->srv, &d->cfg);
	mdns_update(d);
	daemon_limits(d);
	registry_config_changed(d->reg, &d->cfg);
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

static const char *realpath_dir(const char *dir, char *buf, size_t size)
{
	char cwd[4096];
	int n;

	if (dir[0] == '/')
		n = snprintf(buf, size, "%s", dir);
	else if (getcwd(cwd, sizeof(cwd)))
		n = snprintf(buf, size, "%s/%s", cwd, dir);
	else
		return NULL;
	return n > 0 && (size_t)n < size ? buf : NULL;
}

static int parse_args(int argc, char **argv, struct daemon *d, bool *foreground, bool *dump)
{
	enum { OPT_STATE_DIR = 256, OPT_LISTEN, OPT_NQN, OPT_LOG_LEVEL, OPT_DUMP, OPT_SOCKET };
	static const struct option opts[] = {
		{"foreground", no_argument, NULL, 'f'},
		{"config", required_argument, NULL, 'c'},
		{"state-dir", required_argument, NULL, OPT_STATE_DIR},
		{"listen", required_argument, NULL, OPT_LISTEN},
		{"nqn", required_argument, NULL, OPT_NQN},
		{"control-socket", required_argument, NULL, OPT_SOCKET},
		{"log-level", required_argument, NULL, OPT_LOG_LEVEL},
		{"dump-config", no_argument, NULL, OPT_DUMP},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}};
	struct overrides *o = &d->ovr;
	int c;

	while ((c = getopt_long(argc, argv, "fc:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			*foreground = true;
			break;
		case 'c':
			d->config_path = optarg;
			d->config_explicit = true;
			break;
		case OPT_STATE_DIR:
			/* Absolute, since a daemon leaves its working directory for "/". */
			o->state_dir =
				realpath_dir(optarg, d->state_dir_buf, sizeof(d->state_dir_buf));
			if (!o->state_dir) {
				fprintf(stderr, "cdcd: --state-dir '%s' is too long\n", optarg);
				return EXIT_CONFIG;
			}
			break;
		case OPT_LISTEN:
			if (o->nlisten == CDC_MAX_LISTEN ||
			    addr_parse_listen(optarg, &o->listen[o->nlisten]) < 0) {
				fprintf(stderr,
					"cdcd: invalid --listen '%s' (want 127.0.0.1:8009 or "
					"[::1]:8009)\n",
					optarg);
				return EXIT_CONFIG;
			}
			o->nlisten++;
			break;
		case OPT_SOCKET:
			if (!config_control_socket_valid(optarg)) {
				fprintf(stderr,
					"cdcd: invalid --control-socket '%s' (an absolute "
					"path, or '' for none)\n",
					optarg);
				return EXIT_CONFIG;
			}
			o->control_socket = optarg;
			break;
		case OPT_NQN:
			if (!nqn_is_valid(optarg)) {
				fprintf(stderr, "cdcd: invalid --nqn '%s'\n", optarg);
				return EXIT_CONFIG;
			}
			o->nqn = optarg;
			break;
		case OPT_LOG_LEVEL: {
			enum cdc_log_level level;
			if (config_parse_log_level(optarg, &level) < 0) {
				fprintf(stderr, "cdcd: invalid --log-level '%s'\n", optarg);
				return EXIT_CONFIG;
			}
			o->log_level = (int)level;
			break;
		}
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
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "cdcd: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
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
	struct registry_limits lim = {0};
	d->reg = registry_new(d->base, d->store, &d->fabric, &d->svc, &lim);
	if (!d->reg)
		return -ENOMEM;
	d->svc.reg_ops = &registry_ctrl_ops;
	d->svc.reg = d->reg;
	daemon_limits(d);
	err = registry_load(d->reg);
	if (err) {
		log_err("cannot load %s: %s", db, strerror(-err));
		return err;
	}
	registry_config_changed(d->reg, &d->cfg);
	server_init(&d->srv, d->base, &d->svc, &d->cfg);
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
	else
		mdns_update(d);
	if (d->api)
		api_set_mdns(d->api, d->mdns);
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
	d.ovr.log_level = -1;
	int r = parse_args(argc, argv, &d, &foreground, &dump);
	if (r)
		return r < 0 ? EXIT_SUCCESS : r;

	log_open(true, CDC_LOG_INFO);
	if (config_read(&d, &d.cfg) < 0)
		return EXIT_CONFIG;
	if (dump) {
		config_dump(&d.cfg, stdout);
		config_free(&d.cfg);
		return EXIT_SUCCESS;
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
	registry_free(d.reg); /* completes what the last connections left */
	api_close(d.api);
	mdns_pub_free(d.mdns); /* withdraws what was announced */
	store_close(d.store);
	for (int i = 0; i < 3; i++)
		if (sigs[i])
			event_free(sigs[i]);
	fabric_free(&d.fabric);
	config_free(&d.cfg);
	if (d.base)
		event_base_free(d.base);
	return rc;
}
