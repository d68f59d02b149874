/* Unit tests for crash.c: a child with the terminal in "curses" mode on a
 * pty and the sysctls switched on crashes for real; the mode, the screen
 * and the sysctls must be back, and the child must die by its signal. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "check.h"
#include "crash.h"
#include "sysctl.h"

#define LEAVE	"\033[0m\033[?25h\033[?1049l"

static char dir[] = "/tmp/test_crash.XXXXXX";

static void put(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f || fputs(text, f) == EOF || fclose(f)) {
		perror(path);
		exit(1);
	}
}

static const char *get(const char *name)
{
	static char buf[64];
	char path[256];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (!f)
		return "(missing)";
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* Sanitizers catch some faults before the kernel does: raise those. */
#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

static int *volatile null_ptr;
static volatile int zero;
static volatile int depth_max = 1 << 30;

static int overflow(int n)
{
	volatile char pad[1024];

	pad[0] = (char)n;
	if (n >= depth_max)
		return 0;
	return overflow(n + 1) + pad[0];
}

enum how { SEGV, STACK, BUS, FPE, ILL, ABRT };

static const char *const how_name[] = {
	"SIGSEGV (null)", "SIGSEGV (stack overflow)", "SIGBUS", "SIGFPE",
	"SIGILL", "SIGABRT",
};

static void fault(enum how how, int sig)
{
	char path[256];
	volatile char *p;
	int fd;

	switch (how) {
	case SEGV:
		if (!SANITIZED)
			*null_ptr = 1;
		break;
	case STACK:
		if (!SANITIZED)
			overflow(0);
		break;
	case BUS:
		/* A mapping past the end of its file. */
		snprintf(path, sizeof(path), "%s/empty", dir);
		fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
		p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
		if (p != MAP_FAILED && !SANITIZED)
			(void)p[0];
		break;
	case FPE:
		if (!SANITIZED)
			zero = 1 / zero;
		break;
	case ILL:
#if defined(__x86_64__) || defined(__i386__)
		__builtin_trap();
#endif
		break;
	case ABRT:
		abort();
	}
	raise(sig);
}

/* slave NULL: no pty here, fd is a pipe standing in for the terminal. */
static void child(const char *slave, int fd, int errfd, enum how how,
		  int sig)
{
	struct termios shell, raw;
	struct rlimit no_core = { 0, 0 };

	setrlimit(RLIMIT_CORE, &no_core);
	dup2(errfd, STDERR_FILENO);
	memset(&shell, 0, sizeof(shell));
	if (slave) {
		fd = open(slave, O_RDWR | O_NOCTTY);
		if (fd < 0 || tcgetattr(fd, &shell))
			_exit(101);
	}
	if (crash_install())
		_exit(102);
	if (sysctl_enable(dir, NULL))
		_exit(103);
	crash_tty_set(fd, &shell, LEAVE);
	raw = shell;
	cfmakeraw(&raw);
	if (slave && tcsetattr(fd, TCSANOW, &raw))
		_exit(104);
	fault(how, sig);
	_exit(105);
}

static size_t drain(int fd, char *buf, size_t len)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	size_t got = 0;
	ssize_t n;

	while (got < len - 1 && poll(&p, 1, 200) > 0) {
		n = read(fd, buf + got, len - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	return got;
}

static void test_one(enum how how, int sig)
{
	static int noted;
	char out[512], err[512], want[128];
	struct termios now;
	int master, errp[2], outp[2] = { -1, -1 }, status;
	const char *slave = NULL;
	pid_t pid;

	put("nf_conntrack_acct", "0\n");
	put("nf_conntrack_timestamp", "0\n");
	if (pipe(errp)) {
		check_failed++;
		return;
	}
	master = posix_openpt(O_RDWR | O_NOCTTY);
	if (master < 0 || grantpt(master) || unlockpt(master) ||
	    !(slave = ptsname(master))) {
		/* qemu-s390x: ENODEV.  The bytes still go to a pipe. */
		if (!noted++)
			printf("note: no pty here (%s): the terminal's mode "
			       "is not checked, only the bytes\n",
			       strerror(errno));
		if (master >= 0)
			close(master);
		slave = NULL;
		if (pipe(outp)) {
			check_failed++;
			return;
		}
		master = outp[0];
	}
	pid = fork();
	if (pid == 0)
		child(slave, outp[1], errp[1], how, sig);
	close(errp[1]);
	if (outp[1] >= 0)
		close(outp[1]);
	if (pid < 0 || waitpid(pid, &status, 0) != pid) {
		check_failed++;
		return;
	}
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == sig);
	CHECK_STR(get("nf_conntrack_acct"), "0\n");
	CHECK_STR(get("nf_conntrack_timestamp"), "0\n");
	/* The pty echoes nothing (raw, then cooked with nothing typed):
	 * what the master reads is what the handler wrote. */
	drain(master, out, sizeof(out));
	CHECK(strstr(out, LEAVE) != NULL);
	if (slave) {
		CHECK(tcgetattr(master, &now) == 0);
		CHECK((now.c_lflag & (ICANON | ECHO)) == (ICANON | ECHO));
		CHECK((now.c_oflag & OPOST) != 0);
	}
	drain(errp[0], err, sizeof(err));
	snprintf(want, sizeof(want), "flowtop: %.7s: the sysctls and the "
		 "terminal are put back\n", how_name[how]);
	/* The first line; qemu-user adds one of its own after it. */
	CHECK(!strncmp(err, want, strlen(want)));
	close(errp[0]);
	close(master);
}

/* Without a terminal set (batch mode) or after crash_tty_clear, only the
 * sysctls are put back. */
static void test_no_tty(void)
{
	int status;
	pid_t pid;

	put("nf_conntrack_acct", "0\n");
	put("nf_conntrack_timestamp", "0\n");
	pid = fork();
	if (pid == 0) {
		struct termios t;
		struct rlimit no_core = { 0, 0 };

		setrlimit(RLIMIT_CORE, &no_core);
		memset(&t, 0, sizeof(t));
		if (crash_install() || sysctl_enable(dir, NULL))
			_exit(101);
		/* An fd that is not ours to write: must stay untouched. */
		crash_tty_set(1000, &t, "x");
		crash_tty_clear();
		close(STDERR_FILENO);
		raise(SIGSEGV);
		_exit(105);
	}
	waitpid(pid, &status, 0);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV);
	CHECK_STR(get("nf_conntrack_acct"), "0\n");
}

int main(void)
{
	char path[256];

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_one(SEGV, SIGSEGV);
	test_one(STACK, SIGSEGV);
	test_one(BUS, SIGBUS);
	test_one(FPE, SIGFPE);
	test_one(ILL, SIGILL);
	test_one(ABRT, SIGABRT);
	test_no_tty();

	snprintf(path, sizeof(path), "%s/empty", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/nf_conntrack_acct", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/nf_conntrack_timestamp", dir);
	unlink(path);
	rmdir(dir);
	return check_summary("test_crash");
}
