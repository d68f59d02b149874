/* crash: on a fatal signal, put the sysctls and the terminal back, then
 * die by the same signal. */
#ifndef FLOWTOP_CRASH_H
#define FLOWTOP_CRASH_H

#include <termios.h>

/* Handlers for SIGSEGV, SIGBUS, SIGFPE, SIGILL and SIGABRT, on a stack of
 * their own for the calling thread: they run sysctl_restore(), give the
 * terminal back (crash_tty_set), say so on stderr, then re-raise the
 * signal, so the exit status and any core dump are those of the crash.
 * Call from the main thread before the others start.  0 or -errno. */
int crash_install(void);
/* For the ui, before it changes the terminal: the descriptor, the mode to
 * put back and the bytes that leave the screen as it was (attributes,
 * cursor, keypad, alternate screen; copied, up to 255 bytes). */
void crash_tty_set(int fd, const struct termios *mode, const char *leave);
/* The terminal is the user's again: nothing to put back. */
void crash_tty_clear(void);

#endif
