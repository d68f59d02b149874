/* Unit tests for lan.c: dnsmasq leases from tests/data/lan/ and from
 * buffers, rtnetlink neighbour messages built here, the merged table, and
 * the thread on a temporary leases file. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <urcu.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "check.h"
#include "lan.h"
#include "util.h"

#define DATA "tests/data/lan"

static const struct lan_device *find_addr(const struct lan_device *v,
					  size_t n, const char *addr)
{
	uint8_t a[16];
	int fam = strchr(addr, ':') ? AF_INET6 : AF_INET;

	inet_pton(fam, addr, a);
	for (size_t i = 0; i < n; i++)
		if (v[i].family == fam &&
		    !memcmp(v[i].addr.b, a, fam == AF_INET ? 4 : 16))
			return &v[i];
	return NULL;
}

static const char *mac_of(const struct lan_device *d)
{
	static char buf[LAN_MAC_TEXT];

	return d ? lan_fmt_mac(buf, sizeof(buf), d->mac, d->mac_len) : "none";
}

static const char *name_of(const struct lan_device *d)
{
	return d ? d->name : "(not found)";
}

/* Nothing that drives a terminal or reorders text: only [A-Za-z0-9._-?]. */
static int inert(const char *s)
{
	for (; *s; s++)
		if (!strchr("abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-?", *s))
			return 0;
	return 1;
}

static void test_leases_file(void)
{
	struct lan_device v[64];
	size_t n = 0, i;
	const struct lan_device *d;

	CHECK(lan_read_leases(DATA "/dnsmasq.leases", v, 64, &n) == 0);
	/* 16 lines: 9 IPv4 leases, 2 IPv6, 4 that are not leases, 1 blank,
	 * 1 duid. */
	CHECK(n == 10);
	d = find_addr(v, n, "192.0.2.10");
	CHECK_STR(name_of(d), "laptop");
	CHECK_STR(mac_of(d), "02:66:74:00:00:0a");
	CHECK(d && d->from == LAN_FROM_LEASE);
	d = find_addr(v, n, "192.0.2.11");
	CHECK_STR(name_of(d), "");
	CHECK_STR(mac_of(d), "02:66:74:00:00:0b");
	/* "06-..." is dnsmasq's hardware type prefix, not part of the MAC. */
	CHECK_STR(mac_of(find_addr(v, n, "192.0.2.12")), "02:66:74:00:00:0c");
	CHECK_STR(name_of(find_addr(v, n, "192.0.2.12")), "tv-room.lan");
	CHECK_STR(mac_of(find_addr(v, n, "192.0.2.13")), "");
	CHECK_STR(name_of(find_addr(v, n, "192.0.2.14")), "evil??2Jname?");
	CHECK_STR(name_of(find_addr(v, n, "192.0.2.15")), "abc?gpj.exe");
	CHECK_STR(name_of(find_addr(v, n, "192.0.2.16")), "c1?31mred?");
	d = find_addr(v, n, "192.0.2.17");
	CHECK(d && strlen(d->name) == LAN_NAME_MAX - 1);
	CHECK(!find_addr(v, n, "192.0.2.18"));	/* bad expiry */
	CHECK(!find_addr(v, n, "192.0.2.21"));	/* line too long */
	d = find_addr(v, n, "2001:db8:1::99");
	CHECK_STR(name_of(d), "tablet");
	CHECK(d && d->mac_len == 0);		/* an IAID is no MAC */
	CHECK_STR(name_of(find_addr(v, n, "2001:db8:1::98")), "");
	for (i = 0; i < n; i++)
		CHECK(inert(v[i].name));
}

static void test_leases_buffer(void)
{
	struct lan_device v[4];
	char big[3 * LAN_LINE_MAX];
	size_t n, skipped;
	const char buf[] = "1 aa:bb:cc:dd:ee:01 192.0.2.1 a\n"
			   "1 aa:bb:cc:dd:ee:02 192.0.2.2 b\n"
			   "1 aa:bb:cc:dd:ee:03 192.0.2.3 c\n"
			   "1 aa:bb:cc:dd:ee:04 192.0.2.4 d\n"
			   "1 aa:bb:cc:dd:ee:05 192.0.2.5 e";

	/* At most max; the last line needs no newline. */
	lan_parse_leases(buf, sizeof(buf) - 1, v, 3, &n);
	CHECK(n == 3);
	lan_parse_leases(buf, sizeof(buf) - 1, v, 4, &n);
	CHECK(n == 4);
	CHECK_STR(v[3].name, "d");
	/* A NUL inside a line is not a shorter line. */
	lan_parse_leases("1 * 192.0.2.1 a\0b\n1 * 192.0.2.2 c\n", 33, v, 4,
			 &n);
	CHECK(n == 1 && !strcmp(v[0].name, "c"));
	/* A line without end longer than the limit, then a good one. */
	memset(big, 'z', sizeof(big));
	memcpy(big + sizeof(big) - 20, "\n1 * 192.0.2.9 ok\n", 18);
	skipped = lan_parse_leases(big, sizeof(big) - 2, v, 4, &n);
	CHECK(skipped == 1 && n == 1 && !strcmp(v[0].name, "ok"));
	lan_parse_leases("", 0, v, 4, &n);
	CHECK(n == 0);
	/* MACs: bounded length, hex only. */
	lan_parse_leases("1 aa:bb:cc:dd:ee:ff:00:11:22 192.0.2.1 x\n"
			 "1 zz:bb 192.0.2.2 y\n", 60, v, 4, &n);
	CHECK(n == 2 && v[0].mac_len == 0 && v[1].mac_len == 0);
}

static void test_leases_files(void)
{
	char dir[] = "/tmp/ft_lan_XXXXXX", path[64];
	struct lan_device *v = calloc(LAN_MAX_ENTRIES, sizeof(*v));
	size_t n = 99;
	FILE *f;
	long i;
	time_t t0;

	if (!v || !mkdtemp(dir)) {
		CHECK(0);
		free(v);
		return;
	}
	snprintf(path, sizeof(path), "%s/missing", dir);
	CHECK(lan_read_leases(path, v, 4, &n) == -ENOENT && n == 0);
	/* A FIFO is refused at once, not waited on. */
	snprintf(path, sizeof(path), "%s/fifo", dir);
	t0 = time(NULL);
	CHECK(mkfifo(path, 0600) == 0);
	CHECK(lan_read_leases(path, v, 4, &n) == -EINVAL);
	CHECK(time(NULL) - t0 < 2);
	unlink(path);
	CHECK(lan_read_leases("/dev/zero", v, 4, &n) == -EINVAL);
	/* 4 MB of leases: the first LAN_FILE_MAX bytes, LAN_MAX_ENTRIES. */
	snprintf(path, sizeof(path), "%s/big", dir);
	f = fopen(path, "w");
	for (i = 0; f && i < 100000; i++)
		fprintf(f, "1 aa:bb:cc:dd:%02lx:%02lx 10.%ld.%ld.%ld host%ld "
			"*\n", i / 256 % 256, i % 256, i / 65536, i / 256 % 256,
			i % 256, i);
	if (f)
		fclose(f);
	CHECK(lan_read_leases(path, v, LAN_MAX_ENTRIES, &n) == 0);
	CHECK(n == LAN_MAX_ENTRIES);
	CHECK_STR(v[LAN_MAX_ENTRIES - 1].name, "host4095");
	unlink(path);
	rmdir(dir);
	free(v);
}

/* --- rtnetlink messages ------------------------------------------------- */

struct msgbuf {
	char b[8192];
	size_t len;
};

static void put_attr(struct nlmsghdr *h, int type, const void *data,
		     size_t len)
{
	struct rtattr *a = (struct rtattr *)((char *)h +
					     NLMSG_ALIGN(h->nlmsg_len));

	a->rta_type = (unsigned short)type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(a), data, len);
	h->nlmsg_len = NLMSG_ALIGN(h->nlmsg_len) + RTA_ALIGN(a->rta_len);
}

/* Append an RTM_NEWNEIGH as the kernel sends one in a dump. */
static struct nlmsghdr *add_neigh(struct msgbuf *m, int family,
				  const char *addr, const char *mac,
				  uint16_t state)
{
	struct nlmsghdr *h = (struct nlmsghdr *)(m->b + m->len);
	struct ndmsg *nd;
	uint8_t a[16], ll[LAN_MAC_MAX + 8];
	int n;

	memset(h, 0, 256);
	h->nlmsg_len = NLMSG_LENGTH(sizeof(*nd));
	h->nlmsg_type = RTM_NEWNEIGH;
	h->nlmsg_flags = NLM_F_MULTI;
	nd = NLMSG_DATA(h);
	nd->ndm_family = (uint8_t)family;
	nd->ndm_ifindex = 3;
	nd->ndm_state = state;
	if (addr) {
		inet_pton(family, addr, a);
		put_attr(h, NDA_DST, a, family == AF_INET ? 4 : 16);
	}
	if (mac) {
		n = lan_parse_mac(mac, ll, sizeof(ll));
		if (n > 0)
			put_attr(h, NDA_LLADDR, ll, (size_t)n);
	}
	m->len += NLMSG_ALIGN(h->nlmsg_len);
	return h;
}

static void add_done(struct msgbuf *m, int type, int error)
{
	struct nlmsghdr *h = (struct nlmsghdr *)(m->b + m->len);

	memset(h, 0, NLMSG_LENGTH(sizeof(struct nlmsgerr)));
	h->nlmsg_type = (uint16_t)type;
	h->nlmsg_len = NLMSG_LENGTH(type == NLMSG_ERROR ?
				    sizeof(struct nlmsgerr) : sizeof(int));
	if (type == NLMSG_ERROR)
		((struct nlmsgerr *)NLMSG_DATA(h))->error = error;
	m->len += NLMSG_ALIGN(h->nlmsg_len);
}

static void test_neigh(void)
{
	static struct msgbuf m;
	struct lan_device v[8];
	struct nlmsghdr *h;
	size_t n = 0;

	m.len = 0;
	add_neigh(&m, AF_INET, "192.0.2.10", "02:66:74:00:00:0a",
		  NUD_REACHABLE);
	add_neigh(&m, AF_INET6, "2001:db8:1::10", "02:66:74:00:00:0a",
		  NUD_STALE);
	add_neigh(&m, AF_INET, "192.0.2.30", NULL, NUD_INCOMPLETE);
	add_neigh(&m, AF_INET, "192.0.2.31", "02:66:74:00:00:1f",
		  NUD_FAILED);
	add_neigh(&m, AF_INET, "224.0.0.1", "01:00:5e:00:00:01", NUD_NOARP);
	add_neigh(&m, AF_INET, "192.0.2.32", "00:00:00:00:00:00",
		  NUD_PERMANENT);
	add_neigh(&m, AF_INET, NULL, "02:66:74:00:00:20", NUD_REACHABLE);
	add_neigh(&m, AF_INET, "192.0.2.20", "02:66:74:00:00:14",
		  NUD_DELAY);
	/* A bridge's fdb entry shares the message type: not an address. */
	add_neigh(&m, AF_BRIDGE, NULL, "02:66:74:00:00:21", NUD_REACHABLE);
	CHECK(lan_parse_neigh(m.b, m.len, v, 8, &n) == 0);
	CHECK(n == 3);
	CHECK_STR(mac_of(find_addr(v, n, "192.0.2.10")), "02:66:74:00:00:0a");
	CHECK_STR(mac_of(find_addr(v, n, "2001:db8:1::10")),
		  "02:66:74:00:00:0a");
	CHECK_STR(mac_of(find_addr(v, n, "192.0.2.20")), "02:66:74:00:00:14");
	CHECK(find_addr(v, n, "192.0.2.20")->from == LAN_FROM_NEIGH);

	/* The end of the dump; and max is kept. */
	add_done(&m, NLMSG_DONE, 0);
	n = 0;
	CHECK(lan_parse_neigh(m.b, m.len, v, 2, &n) == 1);
	CHECK(n == 2);

	/* An attribute longer than its message: skipped, not read past. */
	m.len = 0;
	h = add_neigh(&m, AF_INET, "192.0.2.40", "02:66:74:00:00:28",
		      NUD_REACHABLE);
	((struct rtattr *)((char *)h + NLMSG_ALIGN(NLMSG_LENGTH(
		sizeof(struct ndmsg)))))->rta_len = 200;
	n = 0;
	CHECK(lan_parse_neigh(m.b, m.len, v, 8, &n) == 0 && n == 0);
	/* An address of the wrong length. */
	m.len = 0;
	h = add_neigh(&m, AF_INET6, NULL, "02:66:74:00:00:28", NUD_REACHABLE);
	put_attr(h, NDA_DST, "\xc0\x00\x02\x01", 4);
	m.len = NLMSG_ALIGN(h->nlmsg_len);
	n = 0;
	CHECK(lan_parse_neigh(m.b, m.len, v, 8, &n) == 0 && n == 0);
	/* A message that claims more than the buffer holds. */
	m.len = 0;
	h = add_neigh(&m, AF_INET, "192.0.2.41", "02:66:74:00:00:29",
		      NUD_REACHABLE);
	n = 0;
	CHECK(lan_parse_neigh(m.b, m.len - 4, v, 8, &n) == -EBADMSG);
	h->nlmsg_len = 4;
	CHECK(lan_parse_neigh(m.b, m.len, v, 8, &n) == -EBADMSG);
	/* A header cut short. */
	CHECK(lan_parse_neigh(m.b, 10, v, 8, &n) == -EBADMSG);
	/* The kernel's refusal. */
	m.len = 0;
	add_done(&m, NLMSG_ERROR, -EPERM);
	CHECK(lan_parse_neigh(m.b, m.len, v, 8, &n) == -EPERM);
}

/* --- the merged table ----------------------------------------------------- */

static struct lan_device dev(const char *addr, const char *mac,
			     const char *name, unsigned from)
{
	struct lan_device d;
	int fam = strchr(addr, ':') ? AF_INET6 : AF_INET;

	memset(&d, 0, sizeof(d));
	d.family = (uint8_t)fam;
	inet_pton(fam, addr, d.addr.b);
	if (mac)
		d.mac_len = (uint8_t)lan_parse_mac(mac, d.mac, LAN_MAC_MAX);
	snprintf(d.name, sizeof(d.name), "%s", name ? name : "");
	d.from = (uint8_t)from;
	return d;
}

static bool find(const char *addr, struct lan_device *out)
{
	uint8_t a[16];
	int fam = strchr(addr, ':') ? AF_INET6 : AF_INET;

	inet_pton(fam, addr, a);
	return lan_find(fam, a, out);
}

static void test_table(void)
{
	struct lan_device leases[] = {
		dev("192.0.2.10", "02:66:74:00:00:0a", "laptop",
		    LAN_FROM_LEASE),
		dev("192.0.2.11", "02:66:74:00:00:0b", "old-phone",
		    LAN_FROM_LEASE),
		dev("192.0.2.12", "02:66:74:00:00:0c", "tv", LAN_FROM_LEASE),
		dev("2001:db8:1::99", NULL, "tablet", LAN_FROM_LEASE),
	};
	struct lan_device neigh[] = {
		dev("192.0.2.10", "02:66:74:00:00:0a", NULL, LAN_FROM_NEIGH),
		/* The laptop's SLAAC address: named by its MAC. */
		dev("2001:db8:1::10", "02:66:74:00:00:0a", NULL,
		    LAN_FROM_NEIGH),
		/* 192.0.2.11 is the TV's now: the phone's lease is stale. */
		dev("192.0.2.11", "02:66:74:00:00:0c", NULL, LAN_FROM_NEIGH),
		dev("192.0.2.20", "02:66:74:00:00:14", NULL, LAN_FROM_NEIGH),
		dev("2001:db8:1::99", "02:66:74:00:00:63", NULL,
		    LAN_FROM_NEIGH),
	};
	struct lan_device d;

	CHECK(!find("192.0.2.10", &d));		/* nothing published */
	CHECK(lan_publish(leases, 4, neigh, 5) == 0);
	CHECK(find("192.0.2.10", &d));
	CHECK_STR(d.name, "laptop");
	CHECK(d.from == (LAN_FROM_LEASE | LAN_FROM_NEIGH));
	CHECK(find("2001:db8:1::10", &d));
	CHECK_STR(d.name, "laptop");
	CHECK(d.from == (LAN_FROM_NEIGH | LAN_FROM_MAC));
	CHECK(find("192.0.2.11", &d));
	CHECK_STR(d.name, "tv");
	CHECK_STR(mac_of(&d), "02:66:74:00:00:0c");
	CHECK(find("192.0.2.20", &d));
	CHECK_STR(d.name, "");
	CHECK_STR(mac_of(&d), "02:66:74:00:00:14");
	CHECK(find("2001:db8:1::99", &d));
	CHECK_STR(d.name, "tablet");
	CHECK_STR(mac_of(&d), "02:66:74:00:00:63");
	CHECK(find("192.0.2.12", &d) && !strcmp(d.name, "tv"));
	CHECK(!find("192.0.2.99", &d));
	CHECK(!find("::ffff:192.0.2.10", &d));
	/* A new table replaces the old one whole. */
	CHECK(lan_publish(NULL, 0, neigh + 3, 1) == 0);
	CHECK(!find("192.0.2.10", &d));
	CHECK(find("192.0.2.20", &d));
	lan_free();
	CHECK(!find("192.0.2.20", &d));
}

static void test_mac_text(void)
{
	uint8_t m[LAN_MAC_MAX];
	char buf[LAN_MAC_TEXT];

	CHECK(lan_parse_mac("02:66:74:00:00:0a", m, sizeof(m)) == 6);
	CHECK(lan_parse_mac("2-66-74-0-0-A", m, sizeof(m)) == 6);
	CHECK_STR(lan_fmt_mac(buf, sizeof(buf), m, 6), "02:66:74:00:00:0a");
	CHECK(lan_parse_mac("02:66:74:00:00:0a:", m, sizeof(m)) == -EINVAL);
	CHECK(lan_parse_mac("02::66", m, sizeof(m)) == -EINVAL);
	CHECK(lan_parse_mac("123:45", m, sizeof(m)) == -EINVAL);
	CHECK(lan_parse_mac("0x1:2", m, sizeof(m)) == -EINVAL);
	CHECK(lan_parse_mac("-1:2", m, sizeof(m)) == -EINVAL);
	CHECK(lan_parse_mac("", m, sizeof(m)) == -EINVAL);
	CHECK(lan_parse_mac("1:2:3:4:5:6:7:8:9", m, sizeof(m)) == -EINVAL);
	CHECK(lan_parse_mac("02:66:74:00:00:0a", m, sizeof(m)) == 6);
	CHECK_STR(lan_fmt_mac(buf, 6, m, 6), "02:66");
	CHECK_STR(lan_fmt_mac(buf, sizeof(buf), m, 0), "");
}

static bool wait_passes(uint64_t want)
{
	struct timespec ts = { 0, 10000000 };

	for (int i = 0; i < 500; i++) {
		if (lan_passes() >= want)
			return true;
		nanosleep(&ts, NULL);
	}
	return false;
}

/* The thread: a file that changes is read again; the neighbour table is
 * dumped (whatever this machine's holds; no root needed). */
static void test_thread(void)
{
	char dir[] = "/tmp/ft_lan_XXXXXX", path[64], tmp[80];
	struct lan_opts o = { .neigh_ms = 20 };
	struct lan_stats st;
	struct lan_device d;
	FILE *f;

	if (!mkdtemp(dir)) {
		CHECK(0);
		return;
	}
	snprintf(path, sizeof(path), "%s/leases", dir);
	snprintf(tmp, sizeof(tmp), "%s/leases.new", dir);
	f = fopen(path, "w");
	if (f) {
		fputs("0 02:66:74:00:00:0a 192.0.2.10 first *\n", f);
		fclose(f);
	}
	o.leases = path;
	CHECK(lan_start(&o) == 0);
	CHECK(lan_start(&o) == -EALREADY);
	CHECK(wait_passes(1));
	CHECK(find("192.0.2.10", &d) && !strcmp(d.name, "first"));
	/* As dnsmasq writes it: a new file renamed over the old one. */
	f = fopen(tmp, "w");
	if (f) {
		fputs("0 02:66:74:00:00:0a 192.0.2.10 second *\n", f);
		fclose(f);
	}
	CHECK(rename(tmp, path) == 0);
	CHECK(wait_passes(lan_passes() + 2));
	CHECK(find("192.0.2.10", &d) && !strcmp(d.name, "second"));
	lan_get_stats(&st);
	CHECK(st.loads == 2);
	CHECK(st.leases == 1);
	CHECK(st.leases_err == 0);
	/* qemu-user (tests/cross.sh sets FLOWTOP_TEST_QEMU) translates no
	 * RTM_GETNEIGH: send() fails, the live dump cannot be checked. */
	if (getenv("FLOWTOP_TEST_QEMU") && st.neigh_err == -EOPNOTSUPP) {
		printf("note: under %s the kernel's neighbour table cannot "
		       "be dumped, not checked\n", getenv("FLOWTOP_TEST_QEMU"));
	} else {
		CHECK(st.neigh_err == 0);
		CHECK(st.dumps >= 2);
	}
	CHECK_STR(st.path, path);
	/* Gone: the leases go too. */
	unlink(path);
	CHECK(wait_passes(lan_passes() + 2));
	CHECK(!find("192.0.2.10", &d) || d.name[0] == '\0');
	lan_get_stats(&st);
	CHECK(st.leases_err == -ENOENT && st.leases == 0);
	lan_stop();
	lan_get_stats(&st);
	CHECK(st.passes == 0);
	lan_free();
	rmdir(dir);
}

int main(void)
{
	rcu_register_thread();
	test_leases_file();
	test_leases_buffer();
	test_leases_files();
	test_neigh();
	test_table();
	test_mac_text();
	test_thread();
	rcu_unregister_thread();
	return check_summary("lan");
}
