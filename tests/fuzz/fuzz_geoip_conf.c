/* fuzz_geoip_conf: geoip.conf, as both geoip_open and -u read it: every
 * keyword and value the line splitter hands on is checked for sanity. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_file.h"
#include "geoip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int check(const char *key, const char *value, unsigned line,
		 void *arg)
{
	unsigned *last = arg;

	/* Keys are words; lines only go forward. */
	if (!key || !value || !*key || strchr(key, ' ') || line <= *last)
		abort();
	*last = line;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned last = 0;

	geoip_conf_foreach(fuzz_file("geoip.conf", data, size), check, &last);
	return 0;
}
