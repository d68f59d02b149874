/* fuzz_file.h: the parsers that read files get the input as a file in a
 * private directory (tmpfs when there is one). */
#ifndef FLOWTOP_FUZZ_FILE_H
#define FLOWTOP_FUZZ_FILE_H

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char fuzz_dir[64];

/* dir/name holding exactly data; the path is static. */
static const char *fuzz_file(const char *name, const uint8_t *data,
			     size_t size)
{
	static char path[128];
	size_t off = 0;
	ssize_t n;
	int fd;

	if (!fuzz_dir[0]) {
		snprintf(fuzz_dir, sizeof(fuzz_dir), "%s/fuzz_file.XXXXXX",
			 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
		if (!mkdtemp(fuzz_dir))
			abort();
	}
	snprintf(path, sizeof(path), "%s/%s", fuzz_dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		abort();
	while (off < size) {
		n = write(fd, data + off, size - off);
		if (n <= 0)
			abort();
		off += (size_t)n;
	}
	close(fd);
	return path;
}

#endif
