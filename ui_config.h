/* ui_config: the per-user settings file ('W' on screen), key=value lines. */
#ifndef FLOWTOP_UI_CONFIG_H
#define FLOWTOP_UI_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "view.h"

/* Settings of the screen that are not part of struct view_opts. */
struct ui_prefs {
	bool remote_country;		/* Remote view grouped by country */
	char leases[256];		/* dnsmasq's leases file, "" default */
};

/* The default file: $XDG_CONFIG_HOME/flowtop/flowtoprc, else
 * $HOME/.config/flowtop/flowtoprc.  Returns buf, or NULL when neither
 * variable is set (absolute) or the path does not fit. */
char *ui_config_default_path(char *buf, size_t len);

/* Read path into o and/or p (either may be NULL); only the keys present
 * change anything, so command-line options applied afterwards win.
 * Unknown keys and bad values are skipped with one warning each on warn
 * (may be NULL; the first 20, then a count).  A missing file is not an
 * error (returns 0).  Returns 0, or -errno if the file exists but cannot
 * be read: -EINVAL for what is not a regular file, -EFBIG over 64 KiB
 * (these two also say so on warn). */
int ui_config_load(const char *path, struct view_opts *o,
		   struct ui_prefs *p, FILE *warn);

/* Write the settings of o and p (p may be NULL) to path, creating its
 * directory (mode 0700) if needed; replaces the file atomically (temporary
 * file, fsync, rename).  Returns 0 or -errno. */
int ui_config_save(const char *path, const struct view_opts *o,
		   const struct ui_prefs *p);

#endif
