/* Unit tests for sysctl.c on a temporary directory of fake sysctl files. */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
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
	CHECK(sysctl_enable(dir, NULL) == 0);
	CHECK_STR(get(ACCT), "1\n");
	CHECK_STR(get(TSTAMP), "1\n");
	CHECK(sysctl_read(dir, ACCT) == 1);
	CHECK(sysctl_read(dir, TSTAMP) == 1);

	/* A second enable must not forget that the originals were 0. */
	CHECK(sysctl_enable(dir, NULL) == 0);
	CHECK_STR(get(ACCT), "1\n");
	/* Nor where they live: restore goes to the first root. */
	CHECK(mkdir(sub, 0755) == 0);
	put("sub/" ACCT, "0\n");
	put("sub/" TSTAMP, "0\n");
	CHECK(sysctl_enable(sub, NULL) == 0);
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
	CHECK(sysctl_enable(dir, NULL) == 0);
	CHECK_STR(get(ACCT), "1");
	CHECK_STR(get(TSTAMP), "1\n");
	sysctl_restore();
	CHECK_STR(get(ACCT), "1");
	CHECK_STR(get(TSTAMP), "0\n");

	put(ACCT, "1\n");
	put(TSTAMP, "1\n");
	CHECK(sysctl_enable(dir, NULL) == 0);
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
	CHECK(sysctl_enable(dir, NULL) == -ENOENT);
	CHECK_STR(get(ACCT), "(missing)");
	CHECK_STR(get(TSTAMP), "1\n");
	sysctl_restore();
	CHECK_STR(get(ACCT), "(missing)");
	CHECK_STR(get(TSTAMP), "0\n");

	rm(TSTAMP);
	CHECK(sysctl_enable(dir, NULL) == -ENOENT);
	CHECK(sysctl_enable("/nonexistent/test_sysctl", NULL) == -ENOENT);
	CHECK(sysctl_enable(NULL, NULL) == -EINVAL);
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
	CHECK(sysctl_enable(longroot, NULL) == -ENAMETOOLONG);

	/* A value that is not a number is not touched. */
	put(ACCT, "yes\n");
	put(TSTAMP, "0\n");
	CHECK(sysctl_enable(dir, NULL) == -EINVAL);
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
		ret = sysctl_enable(dir, NULL);
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

/* Another instance: a child that enables with the state file, reports
 * the result, then on 'r' restores and exits, on 'x' exits without. */
struct inst {
	pid_t pid;
	int cmd;
	int ret;
};

static char state[300];

static void inst_start(struct inst *in)
{
	int up[2], down[2];

	if (pipe(up) || pipe(down)) {
		perror("pipe");
		exit(1);
	}
	in->pid = fork();
	if (in->pid < 0) {
		perror("fork");
		exit(1);
	}
	if (in->pid == 0) {
		char c = 0;
		int ret;

		close(up[0]);
		close(down[1]);
		ret = sysctl_enable(dir, state);
		if (write(up[1], &ret, sizeof(ret)) != sizeof(ret))
			_exit(1);
		if (read(down[0], &c, 1) != 1)
			_exit(1);
		if (c == 'r')
			sysctl_restore();
		_exit(0);
	}
	close(up[1]);
	close(down[0]);
	in->cmd = down[1];
	if (read(up[0], &in->ret, sizeof(in->ret)) != sizeof(in->ret))
		in->ret = -999;
	close(up[0]);
}

static void inst_end(struct inst *in, char how)
{
	int status;

	if (how == 'k')
		kill(in->pid, SIGKILL);
	else if (write(in->cmd, &how, 1) != 1)
		perror("write");
	close(in->cmd);
	waitpid(in->pid, &status, 0);
}

static bool state_exists(void)
{
	return access(state, F_OK) == 0;
}

static void test_shared(void)
{
	struct inst a, b;

	snprintf(state, sizeof(state), "%s/state", dir);
	put(ACCT, "0\n");
	put(TSTAMP, "0\n");

	/* The first to leave must not switch them off under the second. */
	inst_start(&a);
	CHECK(a.ret == 0);
	CHECK_STR(get(ACCT), "1\n");
	CHECK(state_exists());
	inst_start(&b);
	CHECK(b.ret == 0);
	inst_end(&a, 'r');
	CHECK_STR(get(ACCT), "1\n");
	CHECK_STR(get(TSTAMP), "1\n");
	inst_end(&b, 'r');
	CHECK_STR(get(ACCT), "0\n");
	CHECK_STR(get(TSTAMP), "0\n");
	CHECK(!state_exists());

	/* Either order. */
	inst_start(&a);
	inst_start(&b);
	inst_end(&b, 'r');
	CHECK_STR(get(ACCT), "1\n");
	inst_end(&a, 'r');
	CHECK_STR(get(ACCT), "0\n");

	/* One killed without cleaning up does not count for ever. */
	inst_start(&a);
	inst_start(&b);
	inst_end(&a, 'k');
	CHECK_STR(get(ACCT), "1\n");
	inst_end(&b, 'r');
	CHECK_STR(get(ACCT), "0\n");
	CHECK_STR(get(TSTAMP), "0\n");

	/* The last one killed: the next instance finds them on, but puts
	 * back what the first one found. */
	inst_start(&a);
	inst_end(&a, 'k');
	CHECK_STR(get(ACCT), "1\n");
	CHECK(state_exists());
	inst_start(&b);
	CHECK_STR(get(ACCT), "1\n");
	inst_end(&b, 'r');
	CHECK_STR(get(ACCT), "0\n");
	CHECK_STR(get(TSTAMP), "0\n");
	CHECK(!state_exists());

	/* Found on: nothing to put back, by either. */
	put(ACCT, "1\n");
	inst_start(&a);
	inst_start(&b);
	inst_end(&a, 'r');
	inst_end(&b, 'r');
	CHECK_STR(get(ACCT), "1\n");
	CHECK_STR(get(TSTAMP), "0\n");
	put(ACCT, "0\n");
}

/* Start time (field 22 of /proc/PID/stat), read independently. */
static unsigned long long start_of(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long v = 0;
	FILE *f;
	size_t n;
	int i;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)pid,
		 (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	for (i = 0; p && i < 20; i++)
		p = strchr(p + 1, ' ');
	if (p)
		sscanf(p + 1, "%llu", &v);
	return v;
}

static void put_state(const char *text)
{
	FILE *f = fopen(state, "w");

	if (!f || fputs(text, f) == EOF || fclose(f)) {
		perror(state);
		exit(1);
	}
}

static void test_shared_file(void)
{
	struct inst a, other;
	char text[256];
	unsigned long long st;

	/* A live process recorded with its start time counts... */
	put(ACCT, "1\n");
	put(TSTAMP, "1\n");
	inst_start(&other);		/* only a live pid; found them on */
	st = start_of(other.pid);
	CHECK(st != 0);
	snprintf(text, sizeof(text), "nf_conntrack_acct=0\n"
		 "nf_conntrack_timestamp=0\npid=%d/%llu\n", (int)other.pid, st);
	put_state(text);
	inst_start(&a);
	inst_end(&a, 'r');
	CHECK_STR(get(ACCT), "1\n");
	CHECK(state_exists());
	/* ...but not when the start time differs: a reused pid. */
	snprintf(text, sizeof(text), "nf_conntrack_acct=0\n"
		 "nf_conntrack_timestamp=0\npid=%d/%llu\n", (int)other.pid,
		 st + 1);
	put_state(text);
	inst_start(&a);
	inst_end(&a, 'r');
	CHECK_STR(get(ACCT), "0\n");
	CHECK_STR(get(TSTAMP), "0\n");
	inst_end(&other, 'x');

	/* Garbage is no record: the instance is the first. */
	put_state("garbage\npid=abc\nnf_conntrack_acct=\npid=1/\n\n=\n");
	inst_start(&a);
	CHECK(a.ret == 0);
	CHECK_STR(get(ACCT), "1\n");
	inst_end(&a, 'r');
	CHECK_STR(get(ACCT), "0\n");
	CHECK(!state_exists());

	/* A state path that is a symlink is not followed: alone, but still
	 * correct. */
	put("target", "keep\n");
	CHECK(symlink("target", state) == 0);
	inst_start(&a);
	CHECK(a.ret == 0);
	CHECK_STR(get(ACCT), "1\n");
	inst_end(&a, 'r');
	CHECK_STR(get(ACCT), "0\n");
	CHECK_STR(get("target"), "keep\n");
	unlink(state);
	rm("target");

	/* A path that cannot be made: alone. */
	snprintf(state, sizeof(state), "%s/no/such/dir/state", dir);
	inst_start(&a);
	CHECK(a.ret == 0);
	CHECK_STR(get(ACCT), "1\n");
	inst_end(&a, 'r');
	CHECK_STR(get(ACCT), "0\n");
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
	CHECK(sysctl_enable(dir, NULL) == 0);
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
	test_shared();
	test_shared_file();

	rm(ACCT);
	rm(TSTAMP);
	rmdir(dir);
	return check_summary("test_sysctl");
}
