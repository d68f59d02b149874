/* fuzz_proc: the /proc walk of proc_lookup (PID directory names, fd link
 * targets, comm files) on a fake tree made from the input.  The input is
 * NUL-separated fields taken three at a time: a PID directory name, its
 * comm file, the target of its fd link. */
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proc_lookup.h"

#define PIDS_MAX	8
#define SOCKS		16	/* inodes 1..16 and 1001..1016, as seeded */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char root[64];

/* The next NUL-terminated field of at most max bytes; "" at the end. */
static size_t field(const uint8_t **p, const uint8_t *end, char *out,
		    size_t max)
{
	size_t n = 0;

	while (*p < end && **p) {
		if (n < max)
			out[n++] = (char)**p;
		(*p)++;
	}
	if (*p < end)
		(*p)++;
	out[n] = '\0';
	return n;
}

static uint32_t inode_of(int i)
{
	return i < SOCKS ? (uint32_t)i + 1 : (uint32_t)(1001 + i - SOCKS);
}

static void key_of(struct proc_sock_key *k, uint32_t i)
{
	memset(k, 0, sizeof(*k));
	k->family = AF_INET;
	k->l4proto = IPPROTO_TCP;
	k->laddr.w[0] = htonl(0xc0000201);	/* 192.0.2.1 */
	k->raddr.w[0] = htonl(0xc6336401);	/* 198.51.100.1 */
	k->lport = (uint16_t)(1000 + i);
	k->rport = 80;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char made[PIDS_MAX][40], path[128], comm[80], link[256];
	const uint8_t *p = data, *end = data + size;
	struct proc_sock_key k;
	struct flow_owner o;
	int npid = 0, i, fd;

	if (!root[0]) {
		snprintf(root, sizeof(root), "%s/fuzz_proc.XXXXXX",
			 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
		if (!mkdtemp(root))
			abort();
	}
	while (p < end && npid < PIDS_MAX) {
		char *d = made[npid];

		field(&p, end, d, 32);
		for (i = 0; d[i]; i++)
			if (d[i] == '/')
				d[i] = '_';
		if (!d[0] || !strcmp(d, ".") || !strcmp(d, ".."))
			strcpy(d, "1");
		field(&p, end, comm, 64);
		field(&p, end, link, 200);
		snprintf(path, sizeof(path), "%s/%s", root, d);
		if (mkdir(path, 0700))
			continue;
		npid++;
		snprintf(path, sizeof(path), "%s/%s/comm", root, d);
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd >= 0) {
			if (write(fd, comm, strlen(comm)) < 0)
				abort();
			close(fd);
		}
		snprintf(path, sizeof(path), "%s/%s/fd", root, d);
		mkdir(path, 0700);
		snprintf(path, sizeof(path), "%s/%s/fd/3", root, d);
		if (link[0])
			symlink(link, path);
	}

	if (proc_lookup_init(root) == 0 && proc_lookup_test_mode() == 0) {
		for (i = 0; i < 2 * SOCKS; i++) {
			key_of(&k, (uint32_t)i);
			proc_lookup_add_socket(&k, inode_of(i), 0, 1, false);
		}
		proc_lookup_refresh();
		for (i = 0; i < 2 * SOCKS; i++) {
			key_of(&k, (uint32_t)i);
			proc_lookup_find(&k, &o);
		}
	}
	proc_lookup_free();

	for (i = 0; i < npid; i++) {
		snprintf(path, sizeof(path), "%s/%s/fd/3", root, made[i]);
		unlink(path);
		snprintf(path, sizeof(path), "%s/%s/fd", root, made[i]);
		rmdir(path);
		snprintf(path, sizeof(path), "%s/%s/comm", root, made[i]);
		unlink(path);
		snprintf(path, sizeof(path), "%s/%s", root, made[i]);
		rmdir(path);
	}
	return 0;
}
