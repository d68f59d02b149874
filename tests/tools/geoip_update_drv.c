/* geoip_update_drv: run geoip_update() as flowtop -u does, for tests.
 *
 * Usage: geoip_update_drv [-p] CONF [DIR...]
 *   -p    progress to stdout (as flowtop does on a terminal)
 *   DIR   directories to install into, before the conf file's
 * Exit status 0 on success, 1 on failure (the line is on stderr). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "geoip.h"

int main(int argc, char **argv)
{
	FILE *tty = NULL;
	int opt, ret;

	while ((opt = getopt(argc, argv, "p")) != -1) {
		if (opt != 'p') {
			fprintf(stderr, "usage: geoip_update_drv [-p] CONF "
				"[DIR...]\n");
			return 2;
		}
		tty = stdout;
	}
	if (optind >= argc) {
		fprintf(stderr, "usage: geoip_update_drv [-p] CONF [DIR...]\n");
		return 2;
	}
	/* argv is NULL-terminated: the dirs list is argv[optind + 1...]. */
	ret = geoip_update(argv[optind],
			   (const char *const *)&argv[optind + 1], tty,
			   stderr);
	return ret ? 1 : 0;
}
