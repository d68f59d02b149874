/* Unit test: the Devices view over a router's table: flows grouped by
 * inside host (a device's IPv4 and IPv6 addresses by their MAC, a port
 * forward by its inside host, this host's own flows as one line), names
 * from the lan table, bytes each way and the busiest remote. */
#include <arpa/inet.h>
#include <string.h>
#include <urcu.h>

#include "check.h"
#include "flow_list.h"
#include "lan.h"
#include "view.h"

#define SEC 1000000000ull
#define MAC1 "02:66:74:00:00:0a"
#define MAC2 "02:66:74:00:00:14"

static void addr(union flow_addr *a, const char *s)
{
	memset(a, 0, sizeof(*a));
	inet_pton(strchr(s, ':') ? AF_INET6 : AF_INET, s, a->b);
}

/* A TCP flow src -> dst; its reply from rsrc to rdst (NAT when they are
 * not dst and src). */
static struct flow_rec mk(uint32_t id, const char *src, const char *dst,
			  const char *rsrc, const char *rdst, uint64_t ob,
			  uint64_t rb)
{
	struct flow_rec r;

	memset(&r, 0, sizeof(r));
	r.id = id;
	r.family = strchr(src, ':') ? AF_INET6 : AF_INET;
	r.l4proto = IPPROTO_TCP;
	addr(&r.orig.src, src);
	addr(&r.orig.dst, dst);
	addr(&r.repl.src, rsrc ? rsrc : dst);
	addr(&r.repl.dst, rdst ? rdst : src);
	r.orig.sport = (uint16_t)(40000 + id);
	r.orig.dport = 8080;
	r.repl.sport = 8080;
	r.repl.dport = r.orig.sport;
	r.state = 3;
	r.have = FLOW_HAVE_STATE | FLOW_HAVE_COUNTERS;
	r.orig_bytes = ob;
	r.repl_bytes = rb;
	return r;
}

/* Ids 6 and 7 are this host's own (out and in); the rest forwarded. */
static int owner_cb(struct flow *f, void *arg)
{
	struct flow_row row;
	struct flow_owner o = { .pid = -1, .local = FLOW_LOCAL_NONE };

	(void)arg;
	flow_snapshot(f, &row);
	if (row.rec.id == 6 || row.rec.id == 7) {
		o.pid = 0;
		o.local = row.rec.id == 6 ? FLOW_LOCAL_SRC : FLOW_LOCAL_DST;
	}
	flow_set_owner(f, &o);
	return 0;
}

static struct lan_device dev(const char *a, const char *mac,
			     const char *name)
{
	struct lan_device d;

	memset(&d, 0, sizeof(d));
	d.family = strchr(a, ':') ? AF_INET6 : AF_INET;
	addr(&d.addr, a);
	d.mac_len = (uint8_t)lan_parse_mac(mac, d.mac, LAN_MAC_MAX);
	snprintf(d.name, sizeof(d.name), "%s", name ? name : "");
	d.from = name ? LAN_FROM_LEASE : LAN_FROM_NEIGH;
	return d;
}

static const char *text(const union flow_addr *a, int family)
{
	static char buf[64];

	return inet_ntop(family, a->b, buf, sizeof(buf));
}

int main(void)
{
	struct flow_rec recs[] = {
		/* the laptop, by IPv4 (masqueraded) and by IPv6 */
		mk(1, "192.0.2.10", "198.51.100.2", NULL, "198.51.100.1",
		   1000, 300000),
		mk(2, "2001:db8:1::10", "2001:db8:2::2", NULL, NULL, 1000,
		   100000),
		/* the printer, to two remotes */
		mk(3, "192.0.2.20", "198.51.100.2", NULL, "198.51.100.1",
		   200000, 100),
		mk(4, "192.0.2.20", "203.0.113.5", NULL, "198.51.100.1", 10,
		   10),
		/* a port forward to 192.0.2.30, which nothing names */
		mk(5, "203.0.113.9", "198.51.100.1", "192.0.2.30", NULL, 500,
		   7000),
		/* this host's own, out and in */
		mk(6, "198.51.100.1", "198.51.100.2", NULL, NULL, 10, 20),
		mk(7, "203.0.113.7", "192.0.2.1", NULL, NULL, 30, 40),
	};
	struct lan_device leases[] = { dev("192.0.2.10", MAC1, "laptop") };
	struct lan_device neigh[] = {
		dev("192.0.2.10", MAC1, NULL),
		dev("2001:db8:1::10", MAC1, NULL),
		dev("192.0.2.20", MAC2, NULL),
	};
	struct view_device_info devs[8];
	struct view_group g[8];
	struct flow_row rows[8];
	struct lan_device d;
	struct flow_list *fl;
	struct view_opts o;
	char mac[LAN_MAC_TEXT];
	size_t n, i;

	rcu_register_thread();
	CHECK(flow_list_create(&fl) == 0);
	for (i = 0; i < sizeof(recs) / sizeof(recs[0]); i++)
		flow_list_update(fl, &recs[i], SEC);
	rcu_read_lock();
	flow_list_for_each(fl, owner_cb, NULL);
	rcu_read_unlock();
	CHECK(lan_publish(leases, 1, neigh, 3) == 0);
	view_opts_default(&o);

	CHECK(view_devices(fl, &o, 0, 8, g, devs, &n) == 4 && n == 4);
	/* Most bytes first: the laptop's two addresses are one device. */
	CHECK(g[0].dev == &devs[0]);
	CHECK_STR(devs[0].name, "laptop");
	CHECK_STR(lan_fmt_mac(mac, sizeof(mac), devs[0].mac,
			      devs[0].mac_len), MAC1);
	CHECK(g[0].flows == 2 && g[0].bytes_out == 2000 &&
	      g[0].bytes_in == 400000);
	CHECK(g[0].family == AF_INET);
	CHECK_STR(text(&g[0].addr, AF_INET), "192.0.2.10");
	CHECK(devs[0].addrs == 2 && !devs[0].local);
	CHECK(devs[0].top_family == AF_INET);
	CHECK_STR(text(&devs[0].top_addr, AF_INET), "198.51.100.2");
	CHECK(devs[0].top_bytes == 301000);
	/* The printer: its MAC, no name; its busiest remote. */
	CHECK_STR(devs[1].name, "");
	CHECK_STR(lan_fmt_mac(mac, sizeof(mac), devs[1].mac,
			      devs[1].mac_len), MAC2);
	CHECK(g[1].flows == 2 && g[1].bytes_out == 200010 &&
	      g[1].bytes_in == 110);
	CHECK_STR(text(&devs[1].top_addr, AF_INET), "198.51.100.2");
	CHECK(devs[1].addrs == 1);
	/* The port forward: the inside host, by address; what it sends is
	 * the reply direction; its remote is the outside client. */
	CHECK(devs[2].mac_len == 0);
	CHECK_STR(g[2].key, "192.0.2.30");
	CHECK(g[2].flows == 1 && g[2].bytes_out == 7000 &&
	      g[2].bytes_in == 500);
	CHECK_STR(text(&devs[2].top_addr, AF_INET), "203.0.113.9");
	/* This host's own flows, out and in, are one line. */
	CHECK(devs[3].local && g[3].flows == 2);
	CHECK(g[3].bytes_out == 10 + 40 && g[3].bytes_in == 20 + 30);
	/* Paging; and without devs[] no details. */
	CHECK(view_devices(fl, &o, 1, 1, g, devs, &n) == 4 && n == 1);
	CHECK_STR(devs[0].name, "");
	CHECK(view_groups(fl, &o, GROUP_DEVICE, 0, 8, g, &n) == 4 &&
	      g[0].dev == NULL);

	/* Flow by flow, as the screen and -j see them. */
	o.sort = SORT_NONE;
	CHECK(view_flows(fl, &o, 0, 8, rows, &n, NULL) == 7);
	for (i = 0; i < n; i++) {
		bool other = view_device(&rows[i], &d);

		switch (rows[i].rec.id) {
		case 2:
			CHECK(other && !strcmp(d.name, "laptop") &&
			      d.from == (LAN_FROM_NEIGH | LAN_FROM_MAC));
			break;
		case 5:
			CHECK(other && d.mac_len == 0 && d.name[0] == '\0');
			CHECK_STR(text(&d.addr, AF_INET), "192.0.2.30");
			CHECK_STR(text(view_remote_addr(&rows[i]), AF_INET),
				  "203.0.113.9");
			break;
		case 6:
		case 7:
			CHECK(!other);
			break;
		default:
			CHECK(other && d.mac_len == 6);
			break;
		}
	}
	flow_list_destroy(fl);
	lan_free();
	rcu_unregister_thread();
	return check_summary("view_devices");
}
