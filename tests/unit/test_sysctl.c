/* Unit tests for sysctl.c on a temporary directory of fake sysctl files. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "sysctl.h"

#define ACCT	"nf_conntrack_acct"
#define TSTAMP	"nf_conntrack_timestamp"

static char dir[] = "/tmp/test_sysctl.XXXXXX";

static void put(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	/* A fresh file: an earlier test may have left it read-only. */
	unlink(path);
	f = fopen(path, "w");
	if (!f || fputs(text, f) == EOF || fclose(f)) {
		perror(path);
		exit(1);
	}
}

/* The exact bytes of a file, or "(missing)". */
static const char *get(const char *name)
{
	static char buf[4][64];
	static int next;
	char path[256], *b = buf[next++ % 4];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (!f)
		return "(missing)";
	n = fread(b, 1, sizeof(buf[0]) - 1, f);
	b[n] = '\0';
	fclose(f);
	return b;
}

static void rm(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
}

static void test_enable_restore(void)
{
	char sub[64];

	snprintf(sub, sizeof(sub), "%s/sub", dir);
	put(ACCT, "0\n");
	put(TSTAMP, "0\n");
	CHECK(sysctl_enable(dir) == 0);
	CHECK_STR(get(ACCT), "1\n");
	CHECK_STR(get(TSTAMP), "1\n");
	CHECK(sysctl_read(dir, ACCT) == 1);
	CHECK(sysctl_read(dir, TSTAMP) == 1);

	/* A second enable must not forget that the originals were 0. */
	CHECK(sysctl_enable(dir) == 0);
	CHECK_STR(get(ACCT), "1\n");
	/* Nor where they live: restore goes to the first root. */
	CHECK(mkdir(sub, 0755) == 0);
	put("sub/" ACCT, "0\n");
	put("sub/" TSTAMP, "0\n");
	CHECK(sysctl_enable(sub) == 0);
	CHECK_STR(get("sub/" ACCT), "0\n");

	sysctl_restore();
	CHECK_STR(get(ACCT), "0\n");
	CHECK_STR(get(TSTAMP), "0\n");
	CHECK(sysctl_read(dir, ACCT) == 0);
	CHECK_STR(get("sub/" ACCT), "0\n");
	rm("sub/" ACCT);
	rm("sub/" TSTAMP);
	rmdir(sub);

	/* Idempotent: a second restore writes nothing at all. */
	put(ACCT, "1\n");
	put(TSTAMP, "7\n");
	sysctl_restore();
	CHECK_STR(get(ACCT), "1\n");
	CHECK_STR(get(TSTAMP), "7\n");
}

static void test_already_on(void)
{
	/* No newline: a rewrite by sysctl_enable would add one. */
	put(ACCT, "1");
	put(TSTAMP, "0\n");
	CHECK(sysctl_enable(dir) == 0);
	CHECK_STR(get(ACCT), "1");
	CHECK_STR(get(TSTAMP), "1\n");
	sysctl_restore();
	CHECK_STR(get(ACCT), "1");
	CHECK_STR(get(TSTAMP), "0\n");

	put(ACCT, "1\n");
	put(TSTAMP, "1\n");
	CHECK(sysctl_enable(dir) == 0);
	rm(ACCT);
	sysctl_restore();		/* nothing was changed: no file made */
	CHECK_STR(get(ACCT), "(missing)");
	CHECK_STR(get(TSTAMP), "1\n");
}

static void test_missing(void)
{
	rm(ACCT);
	put(TSTAMP, "0\n");
	/* The first failure is returned; the other one is still done. */
	CHECK(sysctl_enable(dir) == -ENOENT);
	CHECK_STR(get(ACCT), "(missing)");
	CHECK_STR(get(TSTAMP), "1\n");
	sysctl_restore();
	CHECK_STR(get(ACCT), "(missing)");
	CHECK_STR(get(TSTAMP), "0\n");

	rm(TSTAMP);
	CHECK(sysctl_enable(dir) == -ENOENT);
	CHECK(sysctl_enable("/nonexistent/test_sysctl") == -ENOENT);
	CHECK(sysctl_enable(NULL) == -EINVAL);
	sysctl_restore();
	CHECK_STR(get(TSTAMP), "(missing)");
}

static void test_read(void)
{
	char longroot[5000];

	put("nf_conntrack_max", "262144\n");
	CHECK(sysctl_read(dir, "nf_conntrack_max") == 262144);
	put("x", "  42 \n");
	CHECK(sysctl_read(dir, "x") == 42);
	put("x", "-7\n");
	CHECK(sysctl_read(dir, "x") == -7);
	put("x", "abc\n");
	CHECK(sysctl_read(dir, "x") == -EINVAL);
	put("x", "12 34\n");
	CHECK(sysctl_read(dir, "x") == -EINVAL);
	put("x", "");
	CHECK(sysctl_read(dir, "x") == -EINVAL);
	put("x", "99999999999999999999999999\n");
	CHECK(sysctl_read(dir, "x") == -ERANGE);
	CHECK(sysctl_read(dir, "no_such_sysctl") == -ENOENT);
	CHECK(sysctl_read(dir, NULL) == -EINVAL);
	CHECK(sysctl_read(NULL, "x") == -EINVAL);
	rm("x");
	rm("nf_conntrack_max");

	memset(longroot, 'a', sizeof(longroot) - 1);
	longroot[0] = '/';
	longroot[sizeof(longroot) - 1] = '\0';
	CHECK(sysctl_read(longroot, "x") == -ENAMETOOLONG);
	CHECK(sysctl_enable(longroot) == -ENAMETOOLONG);

	/* A value that is not a number is not touched. */
	put(ACCT, "yes\n");
	put(TSTAMP, "0\n");
	CHECK(sysctl_enable(dir) == -EINVAL);
	CHECK_STR(get(ACCT), "yes\n");
	CHECK_STR(get(TSTAMP), "1\n");
	sysctl_restore();
	CHECK_STR(get(TSTAMP), "0\n");
}

/* Without write permission: -EACCES, and nothing left to restore.  As
 * root, a child drops to nobody so that the permission check applies. */
static void test_not_permitted(void)
{
	pid_t pid;
	int status;

	put(ACCT, "0\n");
	put(TSTAMP, "0\n");
	pid = fork();
	if (pid < 0) {
		perror("fork");
		check_failed++;
		return;
	}
	if (pid == 0) {
		int ret;

		if (geteuid() == 0) {
			if (setgid(65534) || setuid(65534))
				_exit(200);
		} else {
			char path[256];

			snprintf(path, sizeof(path), "%s/%s", dir, ACCT);
			chmod(path, 0444);
			snprintf(path, sizeof(path), "%s/%s", dir, TSTAMP);
			chmod(path, 0444);
		}
		ret = sysctl_enable(dir);
		/* Nothing was changed, so restore must not try to write. */
		sysctl_restore();
		_exit(ret < 0 && ret > -200 ? -ret : 0);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) {
		check_failed++;
		return;
	}
	if (WEXITSTATUS(status) == 200) {
		fprintf(stderr, "cannot drop to uid 65534: EACCES test "
			"skipped\n");
		return;
	}
	CHECK(WEXITSTATUS(status) == EACCES);
	CHECK_STR(get(ACCT), "0\n");
	CHECK_STR(get(TSTAMP), "0\n");
}

static void on_signal(int sig)
{
	(void)sig;
	sysctl_restore();
}

/* What flowtop does on SIGINT/SIGTERM: restore from the handler. */
static void test_from_signal(void)
{
	struct sigaction sa;

	put(ACCT, "0\n");
	put(TSTAMP, "0\n");
	CHECK(sysctl_enable(dir) == 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	CHECK(sigaction(SIGUSR1, &sa, NULL) == 0);
	errno = 1234;
	raise(SIGUSR1);
	CHECK(errno == 1234);
	CHECK_STR(get(ACCT), "0\n");
	CHECK_STR(get(TSTAMP), "0\n");
	sysctl_restore();
	signal(SIGUSR1, SIG_DFL);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	/* mkdtemp gives 0700; the unprivileged child must get in. */
	chmod(dir, 0755);

	sysctl_restore();	/* before any enable: a no-op */
	test_enable_restore();
	test_already_on();
	test_missing();
	test_read();
	test_not_permitted();
	test_from_signal();

	rm(ACCT);
	rm(TSTAMP);
	rmdir(dir);
	return check_summary("test_sysctl");
}
