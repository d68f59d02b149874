/* flowtop: main, options, signals, threads.  The only exit(). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <urcu.h>

#include "batch.h"
#include "collector.h"
#include "crash.h"
#include "dns.h"
#include "enrich.h"
#include "filter.h"
#include "flow_list.h"
#include "geoip.h"
#include "lan.h"
#include "output.h"
#include "proc_lookup.h"
#include "services.h"
#include "sysctl.h"
#include "ui.h"
#include "ui_config.h"
#include "util.h"

#ifndef FLOWTOP_VERSION
#define FLOWTOP_VERSION "0.0"
#endif
#ifndef FLOWTOP_CONFDIR
#define FLOWTOP_CONFDIR "/etc/flowtop"
#endif
/* The original's files: read after ours, for ports ours leave unnamed. */
#define NETSNIFF_CONFDIR "/etc/netsniff-ng"

#define SYSCTL_ROOT "/proc/sys/net/netfilter"
#define STATE_DIR "/run/flowtop"

struct settings {
	struct view_opts view;
	unsigned interval_ms;
	bool batch, update;
	enum output_format format;
	long count;			/* batch snapshots, 0: forever */
	const char *filter;
	const char *netns;
	const char *config;		/* per-user settings file */
	bool no_config;
	const char *confdir;		/* tcp.conf, udp.conf, geoip.conf */
	const char *leases;		/* dnsmasq's leases file */
	bool protos_given;		/* -T -U -D -I -S -O */
	bool rates_given;		/* --rates */
	bool sort_given;		/* -o */
};

static volatile sig_atomic_t quit;

static void on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
"Usage: flowtop [options]\n"
"Show the flows of the kernel's connection tracking, top-like.\n"
"\n"
"What to show (default: IPv4 and IPv6, TCP):\n"
"  -4, --ipv4            IPv4 flows\n"
"  -6, --ipv6            IPv6 flows\n"
"  -T, --tcp             TCP flows\n"
"  -U, --udp             UDP and UDP-lite flows\n"
"  -D, --dccp            DCCP flows\n"
"  -I, --icmp            ICMP and ICMPv6 flows\n"
"  -S, --sctp            SCTP flows\n"
"  -O, --other           other protocols: GRE, ESP, AH, any other (also\n"
"                        on when -T -U -D -I -S are all given)\n"
"  -A, --all             also loopback and DNS flows (hidden by default)\n"
"      --active          only flows that moved data in the last interval\n"
"  -f, --filter EXPR     only flows matching EXPR (see FILTERS in flowtop(8))\n"
"  -o, --sort KEY        rate bytes packets duration process pid user src\n"
"                        dst port proto state country none (default rate)\n"
"  -r, --reverse         reverse the sort order\n"
"How to show it:\n"
"  -n, --no-dns          no reverse DNS: numeric addresses only\n"
"  -G, --no-geoip        no GeoIP lookups\n"
"  -s, --show-src        also show the source of each flow\n"
"  -b, --bits            rates in bits per second instead of bytes\n"
"      --rates SEC       rates over the last interval (1, default), the\n"
"                        last 10 s or 40 s (10, 40); sort and -B follow it\n"
"  -t, --interval SEC    refresh interval in seconds (default 1, min 0.1)\n"
"Without a screen, like top -b:\n"
"  -B, --batch           print the flows as a text table\n"
"  -j, --json            print the flows as JSON lines, one per flow\n"
"  -c, --count N         print N snapshots, one per interval (default 1,\n"
"                        0 for ever); the first at once, without rates,\n"
"                        unless --rates, --active, -o rate or a rate filter\n"
"Other:\n"
"  -N, --netns NS        watch network namespace NS: a name from\n"
"                        'ip netns' or a path like /proc/PID/ns/net\n"
"      --config FILE     settings file (default ~/.config/flowtop/flowtoprc)\n"
"      --no-config       do not read the settings file\n"
"      --confdir DIR     tcp.conf, udp.conf, geoip.conf (default %s)\n"
"      --leases FILE     dnsmasq's DHCP leases, to name LAN devices (default\n"
"                        /tmp/dhcp.leases, else /var/lib/misc/dnsmasq.leases)\n"
"  -u, --update          download the GeoIP databases (etc/geoip.conf)\n"
"  -v, --version         show the version and exit\n"
"  -h, --help            show this help and exit\n"
"\n"
"Keys on the screen:\n",
		FLOWTOP_CONFDIR);
	ui_print_keys(f);
}

static int parse_interval(const char *s, unsigned *ms)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < 0.1 || v > 3600)
		return -EINVAL;
	*ms = (unsigned)lround(v * 1000.0);
	return 0;
}

static int parse_count(const char *s, long *n)
{
	char *end;

	errno = 0;
	*n = strtol(s, &end, 10);
	if (errno || end == s || *end || *n < 0)
		return -EINVAL;
	return 0;
}

static void die(const char *fmt, const char *arg)
{
	fprintf(stderr, "flowtop: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	exit(1);
}

enum {
	OPT_ACTIVE = 256,
	OPT_CONFIG,
	OPT_NO_CONFIG,
	OPT_CONFDIR,
	OPT_RATES,
	OPT_LEASES,
};

static const struct option long_opts[] = {
	{ "ipv4", no_argument, NULL, '4' },
	{ "ipv6", no_argument, NULL, '6' },
	{ "tcp", no_argument, NULL, 'T' },
	{ "udp", no_argument, NULL, 'U' },
	{ "dccp", no_argument, NULL, 'D' },
	{ "icmp", no_argument, NULL, 'I' },
	{ "sctp", no_argument, NULL, 'S' },
	{ "other", no_argument, NULL, 'O' },
	{ "no-dns", no_argument, NULL, 'n' },
	{ "no-geoip", no_argument, NULL, 'G' },
	{ "show-src", no_argument, NULL, 's' },
	{ "bits", no_argument, NULL, 'b' },
	{ "update", no_argument, NULL, 'u' },
	{ "interval", required_argument, NULL, 't' },
	{ "version", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "all", no_argument, NULL, 'A' },
	{ "active", no_argument, NULL, OPT_ACTIVE },
	{ "filter", required_argument, NULL, 'f' },
	{ "sort", required_argument, NULL, 'o' },
	{ "reverse", no_argument, NULL, 'r' },
	{ "batch", no_argument, NULL, 'B' },
	{ "json", no_argument, NULL, 'j' },
	{ "count", required_argument, NULL, 'c' },
	{ "netns", required_argument, NULL, 'N' },
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "no-config", no_argument, NULL, OPT_NO_CONFIG },
	{ "confdir", required_argument, NULL, OPT_CONFDIR },
	{ "rates", required_argument, NULL, OPT_RATES },
	{ "leases", required_argument, NULL, OPT_LEASES },
	{ NULL, 0, NULL, 0 },
};

#define SHORT_OPTS "46TUDISOnGsbut:vhAf:o:rBjc:N:"

/* First pass: only what decides whether the settings file is read. */
static void pre_scan(int argc, char **argv, struct settings *s)
{
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, SHORT_OPTS, long_opts, NULL)) != -1) {
		if (c == OPT_CONFIG)
			s->config = optarg;
		else if (c == OPT_NO_CONFIG)
			s->no_config = true;
	}
	opterr = 1;
	optind = 0;
}

static void parse_args(int argc, char **argv, struct settings *s)
{
	bool fam = false, proto = false;
	unsigned protos = 0;
	bool v4 = false, v6 = false;
	int c, k;

	while ((c = getopt_long(argc, argv, SHORT_OPTS, long_opts, NULL)) != -1) {
		switch (c) {
		case '4': v4 = fam = true; break;
		case '6': v6 = fam = true; break;
		case 'T': protos |= VIEW_TCP; proto = true; break;
		case 'U': protos |= VIEW_UDP; proto = true; break;
		case 'D': protos |= VIEW_DCCP; proto = true; break;
		case 'I': protos |= VIEW_ICMP; proto = true; break;
		case 'S': protos |= VIEW_SCTP; proto = true; break;
		case 'O': protos |= VIEW_OTHER; proto = true; break;
		case 'n': s->view.no_dns = true; break;
		case 'G': s->view.no_geoip = true; break;
		case 's': s->view.show_src = true; break;
		case 'b': s->view.bits = true; break;
		case 'u': s->update = true; break;
		case 'A': s->view.show_hidden = true; break;
		case OPT_ACTIVE: s->view.active_only = true; break;
		case 'r': s->view.reverse = true; break;
		case 'B': s->batch = true; s->format = OUTPUT_TEXT; break;
		case 'j': s->batch = true; s->format = OUTPUT_JSON; break;
		case 'f': s->filter = optarg; break;
		case 'N': s->netns = optarg; break;
		case OPT_CONFIG: case OPT_NO_CONFIG: break;
		case OPT_CONFDIR: s->confdir = optarg; break;
		case OPT_LEASES: s->leases = optarg; break;
		case OPT_RATES:
			k = view_rate_window_parse(optarg);
			if (k < 0)
				die("bad rate window '%s': give 1, 10 or 40",
				    optarg);
			s->view.rate_window = (unsigned)k;
			s->rates_given = true;
			break;
		case 't':
			if (parse_interval(optarg, &s->interval_ms))
				die("bad interval '%s': give seconds from 0.1 "
				    "to 3600, e.g. -t 2 or -t 0.5", optarg);
			break;
		case 'c':
			if (parse_count(optarg, &s->count))
				die("bad count '%s': give a whole number, 0 for "
				    "ever", optarg);
			break;
		case 'o':
			k = view_sort_parse(optarg);
			if (k < 0)
				die("unknown sort key '%s' (see --help)", optarg);
			s->view.sort = (enum view_sort)k;
			s->sort_given = true;
			break;
		case 'v':
			printf("flowtop %s\n", FLOWTOP_VERSION);
			exit(0);
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(1);
		}
	}
	if (optind < argc)
		die("unexpected argument '%s' (see --help)", argv[optind]);
	/* As the manual says: no family given means both; no protocol
	 * given means TCP (or what the settings file chose). */
	if (fam) {
		s->view.ipv4 = v4;
		s->view.ipv6 = v6;
	}
	/* Who names every protocol flowtop has a letter for wants them
	 * all, the ones without a letter of their own too. */
	if ((protos & VIEW_NAMED_PROTOS) == VIEW_NAMED_PROTOS)
		protos |= VIEW_OTHER;
	if (proto)
		s->view.protos = protos;
	s->protos_given = proto;
}

static int enter_netns(const char *ns)
{
	char path[PATH_MAX];
	int fd, ret = 0;

	if (strchr(ns, '/'))
		snprintf(path, sizeof(path), "%s", ns);
	else
		snprintf(path, sizeof(path), "/run/netns/%s", ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* Before any socket or thread: both inherit the namespace, and so
	 * does /proc/sys/net, which follows the opener's namespace. */
	if (setns(fd, CLONE_NEWNET))
		ret = -errno;
	close(fd);
	return ret;
}

/* Installed files first; next to the binary for a run from the build
 * tree, as the README's quick start does. */
static const char *find_confdir(char *buf, size_t len)
{
	char exe[PATH_MAX - 8], *slash;
	struct stat st;
	ssize_t n;

	if (stat(FLOWTOP_CONFDIR "/tcp.conf", &st) == 0)
		return FLOWTOP_CONFDIR;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			snprintf(buf, len, "%s/etc", exe);
			if (stat(buf, &st) == 0)
				return buf;
		}
	}
	return FLOWTOP_CONFDIR;
}

/* A batch run's reader has no status line: say on stderr, once, what
 * was lost and what the screen says in its header. */
static void report_losses(struct collector *col)
{
	struct collector_stats st;

	collector_get_stats(col, &st);
	if (st.overruns)
		fprintf(stderr, "flowtop: %llu event overruns (the kernel "
			"dropped events), resynchronised %llu times from a "
			"full dump\n", (unsigned long long)st.overruns,
			(unsigned long long)st.resyncs);
	if (st.parse_errors)
		fprintf(stderr, "flowtop: %llu conntrack messages could not "
			"be read\n", (unsigned long long)st.parse_errors);
	if (st.offload_frozen)
		fprintf(stderr, "flowtop: the counters of offloaded flows are "
			"frozen: %llu stayed offloaded past the flowtable's "
			"idle timeout and counted nothing (the flowtable has "
			"no 'counter' flag); their bytes and rates stop where "
			"the offload began\n",
			(unsigned long long)st.offload_frozen);
}

/* FLOWTOP_STATS: what the threads did, for the benchmark. */
static void report_stats(struct collector *col, struct enrich *en)
{
	struct collector_stats cs;
	struct enrich_stats es = { 0 };
	static const char *const filter[] = {
		[COLLECTOR_CT_FILTER_UNUSED] = "unused",
		[COLLECTOR_CT_FILTER_WORKS] = "works",
		[COLLECTOR_CT_FILTER_IGNORED] = "ignored",
		[COLLECTOR_CT_FILTER_REFUSED] = "refused",
	};

	if (!getenv("FLOWTOP_STATS"))
		return;
	collector_get_stats(col, &cs);
	if (en)
		enrich_get_stats(en, &es);
	fprintf(stderr, "flowtop: stats: dumps %llu events %llu overruns %llu "
		"recounts %llu dump_requests %u dump_entries %llu ct_filter %s "
		"enrich_passes %llu proc_refreshes %llu proc_walks %lu "
		"owners_found %llu geo_lookups %llu\n",
		(unsigned long long)cs.dumps, (unsigned long long)cs.events,
		(unsigned long long)cs.overruns,
		(unsigned long long)cs.recounts, cs.dump_requests,
		(unsigned long long)cs.dump_entries,
		(unsigned)cs.ct_filter < 4 ? filter[cs.ct_filter] : "?",
		(unsigned long long)es.passes,
		(unsigned long long)es.refreshes, proc_lookup_walks(),
		(unsigned long long)es.owners_found,
		(unsigned long long)es.geo_lookups);
}

static void ui_error(int err)
{
	if (err == -ENOTTY)
		fprintf(stderr, "flowtop: no usable terminal (stdout is not "
			"one, or TERM is dumb): use -B or -j for output "
			"without a screen\n");
	else
		fprintf(stderr, "flowtop: cannot use the terminal: %s\n",
			strerror(-err));
}

static void kick_enrich(void *e)
{
	enrich_kick(e);
}

static void setup_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* Threads must not take the quit signals: the main thread's poll then
 * wakes at once. */
static void block_signals(bool block, sigset_t *old)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	pthread_sigmask(block ? SIG_BLOCK : SIG_SETMASK, block ? &set : old,
			block ? old : NULL);
}

int main(int argc, char **argv)
{
	struct flow_scope scope;
	struct settings s = { .interval_ms = 1000, .count = 1 };
	struct flow_list *fl = NULL;
	struct collector *col = NULL;
	struct enrich *en = NULL;
	struct filter *filter = NULL;
	struct filter_ctx fctx = { 0 };
	struct ui_prefs prefs = { 0 };
	struct enrich_opts eo = { 0 };
	struct lan_opts lo = { 0 };
	struct batch_opts bo = { 0 };
	const char *geo_hint = NULL, *state;
	char statebuf[PATH_MAX];
	char confbuf[PATH_MAX], cfgpath[PATH_MAX], gconf[PATH_MAX + 16];
	char err[256];
	sigset_t oldmask;
	size_t errpos = 0;
	int ret, status = 0, n_geo = 0;

	setlocale(LC_ALL, "");
	/* The /proc walk and DNS need descriptors as the table grows. */
	util_raise_nofile();
	view_opts_default(&s.view);
	pre_scan(argc, argv, &s);
	if (!s.config && !s.no_config)
		s.config = ui_config_default_path(cfgpath, sizeof(cfgpath));
	if (s.config && !s.no_config)
		ui_config_load(s.config, &s.view, &prefs, stderr);
	parse_args(argc, argv, &s);
	if (!s.confdir)
		s.confdir = find_confdir(confbuf, sizeof(confbuf));
	snprintf(gconf, sizeof(gconf), "%s/geoip.conf", s.confdir);

	if (s.update) {
		ret = geoip_update(gconf, NULL, isatty(STDERR_FILENO) ?
				   stderr : NULL, stderr);
		return ret ? 1 : 0;
	}
	if (s.filter) {
		if (filter_parse(s.filter, &filter, err, sizeof(err),
				 &errpos)) {
			fprintf(stderr, "flowtop: bad filter: %s\n  %s\n  %*s^\n",
				err, s.filter, (int)errpos, "");
			return 1;
		}
		/* -f 'proto gre' alone: the filter chooses the protocols. */
		if (!s.protos_given && filter_names_proto(filter))
			s.view.protos = VIEW_ALL_PROTOS;
	}
	if (s.netns) {
		ret = enter_netns(s.netns);
		if (ret) {
			fprintf(stderr, "flowtop: cannot enter network "
				"namespace '%s': %s\n", s.netns,
				strerror(-ret));
			return 1;
		}
	}

	rcu_register_thread();
	ret = flow_list_create(&fl);
	if (!ret)
		ret = collector_open(&col, fl, s.interval_ms);
	if (ret) {
		if (ret == -EPERM || ret == -EACCES)
			fprintf(stderr, "flowtop: cannot read the conntrack "
				"table: %s (run as root or with "
				"CAP_NET_ADMIN)\n", strerror(-ret));
		else
			fprintf(stderr, "flowtop: cannot open conntrack "
				"netlink: %s\n", strerror(-ret));
		flow_list_destroy(fl);
		rcu_unregister_thread();
		return 1;
	}

	setup_signals();
	/* Before anything needs putting back: a crash puts it back too. */
	crash_install();
	/* Counters and timestamps only exist for flows created while these
	 * are on; put back what we found on every way out (a replay has
	 * nothing to do with this kernel's settings).  Instances in one
	 * namespace share what the first one found. */
	state = sysctl_state_path(statebuf, sizeof(statebuf), STATE_DIR) ?
		NULL : statebuf;
	ret = collector_replaying(col) ? 0 : sysctl_enable(SYSCTL_ROOT, state);
	if (ret && s.batch)
		fprintf(stderr, "flowtop: cannot enable conntrack accounting "
			"(%s): no counters or durations\n", strerror(-ret));
	atexit(sysctl_restore);

	services_load(s.confdir, NETSNIFF_CONFDIR, "/etc/services",
		      s.batch ? stderr : NULL);
	if (!s.view.no_geoip) {
		/* A bad file next to good ones is skipped (and named in the
		 * hint); only no database at all turns the lookups off. */
		n_geo = geoip_open(gconf, NULL, &geo_hint,
				   s.batch ? stderr : NULL);
		if (n_geo < 0)
			geo_hint = "GeoIP: cannot read the databases";
	}
	if (!s.view.no_dns && dns_start(4, 4096, 600, 120))
		s.view.no_dns = true;
	util_fd_short(proc_lookup_init("/proc"));
	lo.leases = s.leases ? s.leases : prefs.leases[0] ? prefs.leases :
		    NULL;
	fctx.host_name = s.view.no_dns ? NULL : dns_cached;
	fctx.user_name = proc_lookup_user;
	fctx.device = view_device;
	s.view.filter = filter;
	s.view.fctx = &fctx;

	bo.view = &s.view;
	bo.format = s.format;
	bo.count = s.count;
	bo.interval_ms = s.interval_ms;
	bo.quit = &quit;
	bo.rates_asked = s.rates_given || s.view.active_only ||
			 (s.sort_given && s.view.sort == SORT_RATE) ||
			 filter_uses_rate(filter);
	/* The kernel is asked for the flows shown only. */
	collector_set_scope(col, view_scope(&s.view, &scope));
	if (!s.batch) {
		ret = ui_open();
		if (ret) {
			ui_error(ret);
			status = 1;
			goto out;
		}
	}
	block_signals(true, &oldmask);
	eo.geoip = !s.view.no_geoip && n_geo > 0;
	eo.procs = true;
	eo.interval_ms = s.interval_ms;
	/* A one-shot snapshot reads one dump itself: no table, no
	 * collector or enrichment thread. */
	ret = s.batch && batch_one_shot(&bo) ? 0 : enrich_start(&en, fl, &eo);
	if (!ret)
		ret = lan_start(&lo);
	if (!ret && en) {
		collector_on_scan(col, kick_enrich, en);
		ret = collector_start(col);
	}
	block_signals(false, &oldmask);
	if (ret) {
		ui_close();
		fprintf(stderr, "flowtop: cannot start threads: %s\n",
			strerror(-ret));
		status = 1;
		goto out;
	}

	if (s.batch && !en) {
		status = batch_snapshot(&bo, col, eo.geoip);
		report_losses(col);
	} else if (s.batch) {
		s.view.hide_closed = true;
		status = batch_run(&bo, fl, col, en);
		report_losses(col);
	} else {
		struct ui_ctx ui = {
			.fl = fl, .col = col, .opts = &s.view,
			.interval_ms = s.interval_ms, .geo_hint = geo_hint,
			.netns = s.netns,
			.config_path = s.no_config ? NULL : s.config,
			.filter_text = s.filter,
			.quit = &quit,
		};

		ret = ui_run(&ui);
		if (ret) {
			ui_error(ret);
			status = 1;
		}
		filter = (struct filter *)s.view.filter;
	}
out:
	collector_stop(col);
	report_stats(col, en);
	enrich_stop(en);
	lan_stop();
	sysctl_restore();
	if (!s.view.no_dns)
		dns_stop();
	collector_close(col);
	flow_list_destroy(fl);
	lan_free();
	filter_free(filter);
	geoip_close();
	proc_lookup_free();
	services_free();
	rcu_unregister_thread();
	return status;
}
