/*
 * proc_drv: drive proc_lookup from the shell (tests/integration).
 *
 *   proc_drv [-p PROC_ROOT] [-r DUMP] [-t] [-f DUMP]
 *
 * Refreshes once (real sock_diag, or with -f a recorded dump), then reads
 * queries from stdin, one per line:
 *   find PROTO LADDR LPORT RADDR RPORT   (PROTO tcp, udp or udplite)
 *   local ADDR
 *   refresh
 * and answers each on one line:
 *   find ... -> pid=N uid=N user=NAME comm=NAME   or   find ... -> none
 *   local ADDR -> 1|0
 *   refresh -> 0 walks=N
 * -r records every buffer the kernel sent during refreshes into DUMP
 * (blocks: u8 family, u8 l4proto, u16 0, u32 length, bytes; host order),
 * which tests/unit/test_proc_lookup.c replays; -f replays such a file.
 * -t times the first refresh (cold: /proc walk) and a second one (warm).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/sock_diag.h>

#include "proc_lookup.h"

#ifndef IPPROTO_UDPLITE
#define IPPROTO_UDPLITE 136
#endif

struct drv_rec_hdr {
	uint8_t family, l4proto;
	uint16_t zero;
	uint32_t len;
};

static FILE *drv_record;
static unsigned long drv_socks;

static void drv_tap(uint8_t family, uint8_t l4proto, const void *buf,
		    size_t len, void *arg)
{
	const struct nlmsghdr *nlh = buf;
	int left = (int)len;
	struct drv_rec_hdr h = {
		.family = family, .l4proto = l4proto, .len = (uint32_t)len
	};

	(void)arg;
	for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left))
		if (nlh->nlmsg_type == SOCK_DIAG_BY_FAMILY)
			drv_socks++;
	if (drv_record && (fwrite(&h, sizeof(h), 1, drv_record) != 1 ||
			   fwrite(buf, 1, len, drv_record) != len))
		fprintf(stderr, "proc_drv: write: %s\n", strerror(errno));
}

static int drv_replay(const char *path)
{
	struct drv_rec_hdr h;
	FILE *f = fopen(path, "rb");
	char *buf;
	int err = 0;

	if (!f)
		return -errno;
	while (!err && fread(&h, sizeof(h), 1, f) == 1) {
		buf = malloc(h.len ? h.len : 1);
		if (!buf || fread(buf, 1, h.len, f) != h.len)
			err = -EIO;
		else
			err = proc_lookup_feed(h.l4proto, buf, h.len);
		free(buf);
	}
	fclose(f);
	return err;
}

static double drv_ms(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) * 1e3 +
	       (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

static int drv_proto(const char *s)
{
	if (!strcmp(s, "tcp"))
		return IPPROTO_TCP;
	if (!strcmp(s, "udp"))
		return IPPROTO_UDP;
	if (!strcmp(s, "udplite"))
		return IPPROTO_UDPLITE;
	return -1;
}

static int drv_addr(const char *s, union flow_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, a->b) == 1)
		return AF_INET;
	if (inet_pton(AF_INET6, s, a->b) == 1)
		return AF_INET6;
	return -1;
}

static void drv_find(char *line)
{
	char proto[16], la[64], ra[64], user[64];
	unsigned lport, rport;
	struct proc_sock_key k;
	struct flow_owner o;
	int p, f1, f2;

	if (sscanf(line, "find %15s %63s %u %63s %u", proto, la, &lport, ra,
		   &rport) != 5 || (p = drv_proto(proto)) < 0 ||
	    lport > 65535 || rport > 65535) {
		printf("%s -> error\n", line);
		return;
	}
	memset(&k, 0, sizeof(k));
	f1 = drv_addr(la, &k.laddr);
	f2 = drv_addr(ra, &k.raddr);
	if (f1 < 0 || f2 < 0 || f1 != f2) {
		printf("%s -> error\n", line);
		return;
	}
	k.family = (uint8_t)f1;
	k.l4proto = (uint8_t)p;
	k.lport = (uint16_t)lport;
	k.rport = (uint16_t)rport;
	if (!proc_lookup_find(&k, &o)) {
		printf("%s -> none\n", line);
		return;
	}
	printf("%s -> pid=%d uid=%u user=%s comm=%s\n", line, o.pid, o.uid,
	       proc_lookup_user(o.uid, user, sizeof(user)), o.comm);
}

static void drv_local(char *line)
{
	char a[64];
	union flow_addr addr;
	int f;

	if (sscanf(line, "local %63s", a) != 1 ||
	    (f = drv_addr(a, &addr)) < 0) {
		printf("%s -> error\n", line);
		return;
	}
	printf("%s -> %d\n", line, proc_lookup_is_local(f, &addr));
}

int main(int argc, char **argv)
{
	const char *root = "/proc", *record = NULL, *replay = NULL;
	struct timespec t0, t1, t2;
	char line[512];
	int opt, err, timeit = 0;
	unsigned long walks0;

	while ((opt = getopt(argc, argv, "p:r:f:t")) != -1) {
		switch (opt) {
		case 'p': root = optarg; break;
		case 'r': record = optarg; break;
		case 'f': replay = optarg; break;
		case 't': timeit = 1; break;
		default:
			fprintf(stderr, "usage: proc_drv [-p root] [-r dump] "
				"[-f dump] [-t] < queries\n");
			return 2;
		}
	}
	err = proc_lookup_init(root);
	if (err) {
		fprintf(stderr, "proc_drv: init %s: %s\n", root,
			strerror(-err));
		return 1;
	}
	if (record) {
		drv_record = fopen(record, "wb");
		if (!drv_record) {
			perror(record);
			return 1;
		}
	}
	proc_lookup_set_tap(drv_tap, NULL);
	if (replay) {
		err = proc_lookup_test_mode();
		if (!err)
			err = drv_replay(replay);
		if (err) {
			fprintf(stderr, "proc_drv: %s: %s\n", replay,
				strerror(-err));
			return 1;
		}
	}
	walks0 = proc_lookup_walks();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	err = proc_lookup_refresh();
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (err) {
		fprintf(stderr, "proc_drv: refresh: %s\n", strerror(-err));
		return 1;
	}
	if (drv_record) {
		fclose(drv_record);
		drv_record = NULL;
	}
	if (timeit) {
		unsigned long socks = drv_socks;

		err = proc_lookup_refresh();
		clock_gettime(CLOCK_MONOTONIC, &t2);
		if (err) {
			fprintf(stderr, "proc_drv: refresh: %s\n",
				strerror(-err));
			return 1;
		}
		printf("refresh: sockets=%lu first=%.3f ms second=%.3f ms "
		       "walks=%lu\n", socks, drv_ms(&t0, &t1), drv_ms(&t1, &t2),
		       proc_lookup_walks() - walks0);
	}
	while (fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, "\n")] = '\0';
		if (!strncmp(line, "find ", 5)) {
			drv_find(line);
		} else if (!strncmp(line, "local ", 6)) {
			drv_local(line);
		} else if (!strcmp(line, "refresh")) {
			err = proc_lookup_refresh();
			printf("refresh -> %d walks=%lu\n", err,
			       proc_lookup_walks());
		} else if (line[0]) {
			printf("%s -> error\n", line);
		}
		fflush(stdout);
	}
	proc_lookup_free();
	return 0;
}
