/* fuzz_ui_config: the per-user settings file, into view options and
 * preferences, with the warnings (inert, capped) written out. */
#include <stdio.h>
#include <string.h>

#include "fuzz_file.h"
#include "ui_config.h"
#include "view.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *sink;
	struct view_opts o;
	struct ui_prefs p;

	if (!sink)
		sink = fopen("/dev/null", "w");
	view_opts_default(&o);
	memset(&p, 0, sizeof(p));
	ui_config_load(fuzz_file("flowtoprc", data, size), &o, &p, sink);
	/* What was read must be what 'W' can write. */
	if (memchr(p.leases, '\0', sizeof(p.leases)) == NULL)
		abort();
	return 0;
}
