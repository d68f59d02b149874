/* Unit tests for ui_config: the per-user settings file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "ui_config.h"
#include "view.h"

static char dir[64];

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f) {
		perror(path);
		exit(2);
	}
	fputs(text, f);
	fclose(f);
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void test_load(void)
{
	struct view_opts o, def;
	struct ui_prefs p = { false };
	char path[128], text[512], *warnbuf = NULL;
	size_t warnlen = 0;
	const char *bytes = view_sort_name(SORT_BYTES);
	FILE *warn;
	int rc;

	snprintf(path, sizeof(path), "%s/rc1", dir);
	snprintf(text, sizeof(text),
		 "# comment\n"
		 "\n"
		 "  view = remote  \n"
		 "sort=%s\n"
		 "reverse=yes\n"
		 "ipv6=0\n"
		 "protocols=udp, icmp\n"
		 "show_src=on\n"
		 "bits=true\n"
		 "active_only=1\n"
		 "show_hidden=1\n"
		 "remote=country\n"
		 "leases=/var/lib/misc/dnsmasq.leases\n"
		 "leases=relative/path\n"
		 "colour=blue\n"
		 "bits=maybe\n"
		 "sort=no-such-sort\n"
		 "protocols=tcp,gopher\n"
		 "garbage line\x1b[2J\n",
		 bytes);
	write_file(path, text);

	view_opts_default(&o);
	view_opts_default(&def);
	warn = open_memstream(&warnbuf, &warnlen);
	rc = ui_config_load(path, &o, &p, warn);
	fclose(warn);
	CHECK(rc == 0);
	CHECK(o.mode == VIEW_REMOTE);
	CHECK(o.sort == SORT_BYTES);
	CHECK(o.reverse);
	CHECK(o.ipv4 == def.ipv4);
	CHECK(!o.ipv6);
	CHECK(o.protos == (VIEW_UDP | VIEW_ICMP));
	CHECK(o.show_src);
	CHECK(o.bits);
	CHECK(o.active_only);
	CHECK(o.show_hidden);
	CHECK(p.remote_country);
	CHECK(!strcmp(p.leases, "/var/lib/misc/dnsmasq.leases"));
	/* Not in the file: untouched. */
	CHECK(o.no_dns == def.no_dns);
	CHECK(o.filter == def.filter);
	/* Six bad lines, one warning each; no raw escape in a warning. */
	CHECK(warnbuf && count_lines(warnbuf) == 6);
	CHECK(warnbuf && strstr(warnbuf, "bad value 'relative/path'"));
	CHECK(warnbuf && strstr(warnbuf, "unknown key 'colour'"));
	CHECK(warnbuf && strstr(warnbuf, "bad value 'maybe'"));
	CHECK(warnbuf && strstr(warnbuf, "rc1:19:"));
	CHECK(warnbuf && !strchr(warnbuf, '\x1b'));
	free(warnbuf);

	/* Only opts, or only prefs: no crash, the other is not needed. */
	view_opts_default(&o);
	CHECK(ui_config_load(path, &o, NULL, NULL) == 0);
	CHECK(o.mode == VIEW_REMOTE);
	p.remote_country = false;
	CHECK(ui_config_load(path, NULL, &p, NULL) == 0);
	CHECK(p.remote_country);

	/* A missing file is no error and changes nothing. */
	view_opts_default(&o);
	snprintf(path, sizeof(path), "%s/missing", dir);
	CHECK(ui_config_load(path, &o, NULL, NULL) == 0);
	CHECK(memcmp(&o, &def, sizeof(o)) == 0);
	CHECK(ui_config_load(NULL, &o, NULL, NULL) == 0);

	/* A directory cannot be read as a file. */
	CHECK(ui_config_load(dir, &o, NULL, NULL) < 0);
}

/* What is not a file is refused in one line; bad lines do not flood. */
static void test_not_files(void)
{
	struct view_opts o;
	char path[128], *warnbuf = NULL;
	size_t warnlen = 0;
	FILE *warn, *f;
	int i;

	alarm(20);
	view_opts_default(&o);
	snprintf(path, sizeof(path), "%s/fifo", dir);
	CHECK(mkfifo(path, 0600) == 0);
	warn = open_memstream(&warnbuf, &warnlen);
	CHECK(ui_config_load(path, &o, NULL, warn) == -EINVAL);
	unlink(path);
	CHECK(symlink("/dev/zero", path) == 0);
	CHECK(ui_config_load(path, &o, NULL, warn) == -EINVAL);
	unlink(path);
	f = fopen(path, "w");
	for (i = 0; f && i < 70000; i++)
		fputs("x\n", f);
	if (f)
		fclose(f);
	CHECK(ui_config_load(path, &o, NULL, warn) == -EFBIG);
	f = fopen(path, "w");
	for (i = 0; f && i < 1000; i++)
		fputs("bits=maybe\n", f);
	if (f)
		fclose(f);
	CHECK(ui_config_load(path, &o, NULL, warn) == 0);
	unlink(path);
	fclose(warn);
	alarm(0);
	CHECK(warnbuf && count_lines(warnbuf) == 3 + 21);
	CHECK(warnbuf && strstr(warnbuf, "flowtop: settings file "));
	CHECK(warnbuf && strstr(warnbuf, "fifo: not a regular file, not "
				"read\n"));
	CHECK(warnbuf && strstr(warnbuf, "fifo: larger than 64.0 KiB, not "
				"read\n"));
	CHECK(warnbuf && strstr(warnbuf, "fifo:20: bad value 'maybe'"));
	CHECK(warnbuf && !strstr(warnbuf, "fifo:21:"));
	CHECK(warnbuf && strstr(warnbuf, "fifo: 980 more warnings not "
				"shown\n"));
	free(warnbuf);
}

static void test_save_roundtrip(void)
{
	struct view_opts o, back;
	struct ui_prefs p = { true, "/tmp/dhcp.leases" }, pback = { false };
	char path[160], *warnbuf = NULL;
	size_t warnlen = 0;
	struct stat st;
	FILE *warn;

	view_opts_default(&o);
	o.mode = VIEW_PROCESSES;
	o.sort = SORT_DURATION;
	o.reverse = true;
	o.ipv4 = false;
	o.protos = VIEW_TCP | VIEW_SCTP | VIEW_DCCP | VIEW_OTHER;
	o.show_src = true;
	o.bits = true;
	o.active_only = false;
	o.show_hidden = true;

	/* Directories that do not exist yet are created. */
	snprintf(path, sizeof(path), "%s/a/b/flowtoprc", dir);
	CHECK(ui_config_save(path, &o, &p) == 0);
	CHECK(stat(path, &st) == 0 && S_ISREG(st.st_mode));
	CHECK((st.st_mode & 077) == 0);

	view_opts_default(&back);
	warn = open_memstream(&warnbuf, &warnlen);
	CHECK(ui_config_load(path, &back, &pback, warn) == 0);
	fclose(warn);
	CHECK(warnlen == 0);
	free(warnbuf);
	CHECK(back.mode == VIEW_PROCESSES);
	CHECK(back.sort == SORT_DURATION);
	CHECK(back.reverse);
	CHECK(!back.ipv4);
	CHECK(back.ipv6);
	CHECK(back.protos == (VIEW_TCP | VIEW_SCTP | VIEW_DCCP | VIEW_OTHER));
	CHECK(back.show_src);
	CHECK(back.bits);
	CHECK(!back.active_only);
	CHECK(back.show_hidden);
	CHECK(pback.remote_country);
	CHECK(!strcmp(pback.leases, "/tmp/dhcp.leases"));

	/* No protocol at all survives the round trip too. */
	o.protos = 0;
	CHECK(ui_config_save(path, &o, NULL) == 0);
	view_opts_default(&back);
	CHECK(ui_config_load(path, &back, NULL, NULL) == 0);
	CHECK(back.protos == 0);

	/* Every sort key can be written and read back. */
	for (int s = 0; s < SORT__COUNT; s++) {
		o.sort = (enum view_sort)s;
		CHECK(ui_config_save(path, &o, NULL) == 0);
		view_opts_default(&back);
		back.sort = s ? SORT_RATE : SORT_BYTES;
		CHECK(ui_config_load(path, &back, NULL, NULL) == 0);
		CHECK(back.sort == (enum view_sort)s);
	}

	/* No temporary files are left beside it. */
	snprintf(path, sizeof(path), "%s/a/b", dir);
	{
		char cmd[256];

		snprintf(cmd, sizeof(cmd), "test $(ls -A '%s' | wc -l) -eq 1",
			 path);
		CHECK(system(cmd) == 0);
	}

	/* A path below a regular file cannot be written. */
	snprintf(path, sizeof(path), "%s/a/b/flowtoprc/x", dir);
	CHECK(ui_config_save(path, &o, NULL) < 0);
	CHECK(ui_config_save(NULL, &o, NULL) == -EINVAL);
}

static void test_default_path(void)
{
	char buf[256];

	setenv("XDG_CONFIG_HOME", "/x/cfg", 1);
	setenv("HOME", "/home/u", 1);
	CHECK_STR(ui_config_default_path(buf, sizeof(buf)),
		  "/x/cfg/flowtop/flowtoprc");
	setenv("XDG_CONFIG_HOME", "relative", 1);
	CHECK_STR(ui_config_default_path(buf, sizeof(buf)),
		  "/home/u/.config/flowtop/flowtoprc");
	unsetenv("XDG_CONFIG_HOME");
	CHECK_STR(ui_config_default_path(buf, sizeof(buf)),
		  "/home/u/.config/flowtop/flowtoprc");
	CHECK(ui_config_default_path(buf, 10) == NULL);
	unsetenv("HOME");
	CHECK(ui_config_default_path(buf, sizeof(buf)) == NULL);
}

int main(void)
{
	char cmd[96];
	int rc;

	snprintf(dir, sizeof(dir), "/tmp/test_ui_config.XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 2;
	}
	test_load();
	test_not_files();
	test_save_roundtrip();
	test_default_path();
	rc = check_summary("test_ui_config");
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return rc;
}
