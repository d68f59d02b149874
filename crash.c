/* crash: on a fatal signal, put the sysctls and the terminal back, then
 * die by the same signal. */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "crash.h"
#include "sysctl.h"

#define CRASH_LEAVE_MAX	256

static const struct {
	int sig;
	const char *name;
} crash_sigs[] = {
	{ SIGSEGV, "SIGSEGV" },
	{ SIGBUS, "SIGBUS" },
	{ SIGFPE, "SIGFPE" },
	{ SIGILL, "SIGILL" },
	{ SIGABRT, "SIGABRT" },
};

#define CRASH_NSIGS	(sizeof(crash_sigs) / sizeof(crash_sigs[0]))

/* Prepared by the ui; the handler only reads them.  tty_fd is published
 * last and withdrawn first, so the handler never sees half of them. */
static atomic_int crash_tty_fd = -1;
static struct termios crash_tty_mode;
static char crash_leave[CRASH_LEAVE_MAX];
static size_t crash_leave_len;
static atomic_flag crash_once = ATOMIC_FLAG_INIT;
/* A stack overflow leaves no stack for the handler: it gets its own. */
static char crash_stack[64 * 1024];

void crash_tty_set(int fd, const struct termios *mode, const char *leave)
{
	size_t n = leave ? strlen(leave) : 0;

	atomic_store(&crash_tty_fd, -1);
	if (fd < 0 || !mode)
		return;
	if (n >= sizeof(crash_leave))
		n = 0;
	crash_tty_mode = *mode;
	memcpy(crash_leave, leave, n);
	crash_leave_len = n;
	atomic_store(&crash_tty_fd, fd);
}

void crash_tty_clear(void)
{
	atomic_store(&crash_tty_fd, -1);
}

static void crash_write(int fd, const char *s, size_t n)
{
	ssize_t w;

	while (n) {
		w = write(fd, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

static const char crash_pre[] = "flowtop: ";
static const char crash_post[] = ": the sysctls and the terminal are put "
	"back\n";

/* Only async-signal-safe calls from here on (signal-safety(7)). */
static void crash_handler(int sig)
{
	const char *name = "a fatal signal";
	int fd;
	size_t i;

	if (!atomic_flag_test_and_set(&crash_once)) {
		sysctl_restore();
		fd = atomic_exchange(&crash_tty_fd, -1);
		if (fd >= 0) {
			/* The bytes first: they leave the alternate screen
			 * while the terminal still has curses' mode. */
			crash_write(fd, crash_leave, crash_leave_len);
			tcsetattr(fd, TCSANOW, &crash_tty_mode);
		}
		for (i = 0; i < CRASH_NSIGS; i++)
			if (crash_sigs[i].sig == sig)
				name = crash_sigs[i].name;
		crash_write(STDERR_FILENO, crash_pre, sizeof(crash_pre) - 1);
		crash_write(STDERR_FILENO, name, strlen(name));
		crash_write(STDERR_FILENO, crash_post, sizeof(crash_post) - 1);
	}
	/* SA_RESETHAND gave the default action back: the signal, pending
	 * until we return, ends the process with its status and core. */
	raise(sig);
}

int crash_install(void)
{
	struct sigaction sa;
	stack_t st;
	size_t i;

	st.ss_sp = crash_stack;
	st.ss_size = sizeof(crash_stack);
	st.ss_flags = 0;
	if (sigaltstack(&st, NULL))
		return -errno;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = crash_handler;
	sa.sa_flags = SA_RESETHAND | SA_ONSTACK;
	/* The others too: a second fault must not run us twice at once. */
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < CRASH_NSIGS; i++)
		sigaddset(&sa.sa_mask, crash_sigs[i].sig);
	for (i = 0; i < CRASH_NSIGS; i++)
		if (sigaction(crash_sigs[i].sig, &sa, NULL))
			return -errno;
	return 0;
}
