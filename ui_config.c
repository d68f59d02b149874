/* ui_config: the per-user settings file ('W' on screen), key=value lines. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ui_config.h"
#include "util.h"
#include "view.h"

static const char *const ui_config_modes[VIEW__COUNT] = {
	[VIEW_FLOWS] = "flows",
	[VIEW_PROCESSES] = "processes",
	[VIEW_REMOTE] = "remote",
	[VIEW_DEVICES] = "devices",
};

static const struct {
	const char *name;
	unsigned bit;
} ui_config_protos[] = {
	{ "tcp", VIEW_TCP },
	{ "udp", VIEW_UDP },
	{ "dccp", VIEW_DCCP },
	{ "icmp", VIEW_ICMP },
	{ "sctp", VIEW_SCTP },
	{ "other", VIEW_OTHER },
};

#define UI_CONFIG_NPROTOS \
	(sizeof(ui_config_protos) / sizeof(ui_config_protos[0]))

char *ui_config_default_path(char *buf, size_t len)
{
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	int n;

	if (!buf || !len)
		return NULL;
	/* The XDG spec says a relative XDG_CONFIG_HOME is to be ignored. */
	if (xdg && xdg[0] == '/')
		n = snprintf(buf, len, "%s/flowtop/flowtoprc", xdg);
	else if (home && home[0] == '/')
		n = snprintf(buf, len, "%s/.config/flowtop/flowtoprc", home);
	else
		return NULL;
	if (n < 0 || (size_t)n >= len)
		return NULL;
	return buf;
}

static char *ui_config_trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' ||
			 e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* Returns 1 true, 0 false, -1 not a boolean. */
static int ui_config_bool(const char *v)
{
	static const char *const yes[] = { "1", "yes", "true", "on" };
	static const char *const no[] = { "0", "no", "false", "off" };
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcasecmp(v, yes[i]))
			return 1;
		if (!strcasecmp(v, no[i]))
			return 0;
	}
	return -1;
}

/* "tcp,udp" (also spaces; "none" or empty for no protocol) to VIEW_*. */
static int ui_config_protos_parse(const char *v, unsigned *out)
{
	char buf[128], *tok, *save = NULL;
	unsigned bits = 0;
	size_t i;

	if (strlen(v) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, v);
	for (tok = strtok_r(buf, ", \t", &save); tok;
	     tok = strtok_r(NULL, ", \t", &save)) {
		if (!strcasecmp(tok, "none"))
			continue;
		if (!strcasecmp(tok, "all")) {
			bits |= VIEW_ALL_PROTOS;
			continue;
		}
		for (i = 0; i < UI_CONFIG_NPROTOS; i++)
			if (!strcasecmp(tok, ui_config_protos[i].name))
				break;
		if (i == UI_CONFIG_NPROTOS)
			return -EINVAL;
		bits |= ui_config_protos[i].bit;
	}
	*out = bits;
	return 0;
}

#define UI_CONFIG_MAX		(64u << 10)	/* far above what 'W' writes */
#define UI_CONFIG_WARN_MAX	20

static void ui_config_warn(FILE *warn, const char *path, unsigned line,
			   unsigned *warned, const char *what,
			   const char *text)
{
	char p[PATH_MAX], t[128];

	/* A file of bad lines must not flood the terminal. */
	if (!warn || ++*warned > UI_CONFIG_WARN_MAX)
		return;
	/* The file is the user's, but a terminal is still no place for
	 * escape sequences from it. */
	fprintf(warn, "flowtop: %s:%u: %s '%s', line ignored\n",
		util_inert(p, sizeof(p), path), line, what,
		util_inert(t, sizeof(t), text));
}

/* Apply one key=value; returns 0, -ENOENT unknown key, -EINVAL bad value. */
static int ui_config_apply(const char *k, const char *v, struct view_opts *o,
			   struct ui_prefs *p)
{
	struct view_opts tmp;
	struct ui_prefs ptmp;
	bool *flag = NULL;
	int b, i;

	/* Parse into scratch copies so that a NULL target only skips. */
	if (!o) {
		view_opts_default(&tmp);
		o = &tmp;
	}
	if (!p)
		p = &ptmp;

	if (!strcmp(k, "view")) {
		for (i = 0; i < VIEW__COUNT; i++)
			if (!strcasecmp(v, ui_config_modes[i]))
				break;
		if (i == VIEW__COUNT)
			return -EINVAL;
		o->mode = (enum view_mode)i;
		return 0;
	}
	if (!strcmp(k, "sort")) {
		i = view_sort_parse(v);
		if (i < 0 || i >= SORT__COUNT)
			return -EINVAL;
		o->sort = (enum view_sort)i;
		return 0;
	}
	if (!strcmp(k, "protocols")) {
		unsigned bits;

		if (ui_config_protos_parse(v, &bits))
			return -EINVAL;
		o->protos = bits;
		return 0;
	}
	if (!strcmp(k, "rates")) {
		i = view_rate_window_parse(v);
		if (i < 0)
			return -EINVAL;
		o->rate_window = (unsigned)i;
		return 0;
	}
	if (!strcmp(k, "remote")) {
		if (!strcasecmp(v, "country"))
			p->remote_country = true;
		else if (!strcasecmp(v, "host"))
			p->remote_country = false;
		else
			return -EINVAL;
		return 0;
	}
	if (!strcmp(k, "leases")) {
		/* Absolute: the file must not depend on where flowtop
		 * starts. */
		if (v[0] != '/' || strlen(v) >= sizeof(p->leases))
			return -EINVAL;
		strcpy(p->leases, v);
		return 0;
	}
	if (!strcmp(k, "reverse"))
		flag = &o->reverse;
	else if (!strcmp(k, "ipv4"))
		flag = &o->ipv4;
	else if (!strcmp(k, "ipv6"))
		flag = &o->ipv6;
	else if (!strcmp(k, "show_src"))
		flag = &o->show_src;
	else if (!strcmp(k, "bits"))
		flag = &o->bits;
	else if (!strcmp(k, "active_only"))
		flag = &o->active_only;
	else if (!strcmp(k, "show_hidden"))
		flag = &o->show_hidden;
	else
		return -ENOENT;
	b = ui_config_bool(v);
	if (b < 0)
		return -EINVAL;
	*flag = b;
	return 0;
}

int ui_config_load(const char *path, struct view_opts *o,
		   struct ui_prefs *p, FILE *warn)
{
	char *data, *pos, *line, *s, *eq, *k, *v, why[64], show[PATH_MAX];
	unsigned lineno = 0, warned = 0;
	size_t len;
	int err;

	if (!path)
		return 0;
	err = util_read_file(path, UI_CONFIG_MAX, &data, &len);
	if (err == -ENOENT)
		return 0;
	if (err) {
		/* Quiet on no permission: HOME may be someone else's (sudo);
		 * loud on what must not be a settings file. */
		if (warn && (err == -EINVAL || err == -EFBIG))
			fprintf(warn, "flowtop: settings file %s: %s\n",
				util_inert(show, sizeof(show), path),
				util_read_file_why(why, sizeof(why), err,
						   UI_CONFIG_MAX));
		return err;
	}
	pos = data;
	while ((line = util_next_line(&pos, data + len, NULL))) {
		lineno++;
		s = ui_config_trim(line);
		if (!*s || *s == '#')
			continue;
		eq = strchr(s, '=');
		if (!eq) {
			ui_config_warn(warn, path, lineno, &warned,
				       "no '=' in", s);
			continue;
		}
		*eq = '\0';
		k = ui_config_trim(s);
		v = ui_config_trim(eq + 1);
		err = ui_config_apply(k, v, o, p);
		if (err == -ENOENT)
			ui_config_warn(warn, path, lineno, &warned,
				       "unknown key", k);
		else if (err)
			ui_config_warn(warn, path, lineno, &warned,
				       "bad value", v);
	}
	if (warn && warned > UI_CONFIG_WARN_MAX)
		fprintf(warn, "flowtop: %s: %u more warnings not shown\n",
			util_inert(show, sizeof(show), path),
			warned - UI_CONFIG_WARN_MAX);
	free(data);
	return 0;
}

/* mkdir -p of the directory part of path. */
static int ui_config_mkdirs(const char *path)
{
	char dir[PATH_MAX], *s;
	size_t n = strlen(path);

	if (n >= sizeof(dir))
		return -ENAMETOOLONG;
	memcpy(dir, path, n + 1);
	s = strrchr(dir, '/');
	if (!s || s == dir)
		return 0;
	*s = '\0';
	for (s = dir + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(dir, 0700) && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	if (mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

static int ui_config_write(FILE *f, const struct view_opts *o,
			   const struct ui_prefs *p)
{
	const char *sort = view_sort_name(o->sort);
	bool first = true;
	size_t i;

	fprintf(f, "# flowtop settings, written by the 'W' key; "
		"command-line options win.\n");
	fprintf(f, "view=%s\n", (unsigned)o->mode < VIEW__COUNT ?
		ui_config_modes[o->mode] : "flows");
	if (sort)
		fprintf(f, "sort=%s\n", sort);
	fprintf(f, "reverse=%d\n", o->reverse);
	fprintf(f, "ipv4=%d\n", o->ipv4);
	fprintf(f, "ipv6=%d\n", o->ipv6);
	fputs("protocols=", f);
	for (i = 0; i < UI_CONFIG_NPROTOS; i++) {
		if (!(o->protos & ui_config_protos[i].bit))
			continue;
		fprintf(f, "%s%s", first ? "" : ",", ui_config_protos[i].name);
		first = false;
	}
	fputs(first ? "none\n" : "\n", f);
	fprintf(f, "show_src=%d\n", o->show_src);
	fprintf(f, "bits=%d\n", o->bits);
	fprintf(f, "active_only=%d\n", o->active_only);
	fprintf(f, "show_hidden=%d\n", o->show_hidden);
	fprintf(f, "rates=%s\n", view_rate_window_name(o->rate_window));
	if (p)
		fprintf(f, "remote=%s\n", p->remote_country ? "country" :
			"host");
	if (p && p->leases[0])
		fprintf(f, "leases=%s\n", p->leases);
	return ferror(f) ? -EIO : 0;
}

int ui_config_save(const char *path, const struct view_opts *o,
		   const struct ui_prefs *p)
{
	char tmp[PATH_MAX];
	FILE *f;
	int fd, err;

	if (!path || !*path || !o)
		return -EINVAL;
	err = ui_config_mkdirs(path);
	if (err)
		return err;
	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		err = -errno;
		close(fd);
		unlink(tmp);
		return err;
	}
	err = ui_config_write(f, o, p);
	if (!err && fflush(f))
		err = -errno;
	/* The rename must not publish a file whose data is not on disk. */
	if (!err && fsync(fd))
		err = -errno;
	if (fclose(f) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}
