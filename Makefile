# flowtop Makefile: ./configure writes config.mk, then make.
# CONFIG names another configuration (make cross-check uses one per host).
CONFIG ?= config.mk
# Cleaning needs no configuration (dh_auto_clean runs make distclean).
ifeq ($(MAKECMDGOALS),)
-include $(CONFIG)
else ifneq ($(filter-out clean distclean,$(MAKECMDGOALS)),)
-include $(CONFIG)
endif

VERSION = 0.1.0
O ?= build
CC ?= cc
CFLAGS ?= -O2 -g
PREFIX ?= /usr/local
EXEC_PREFIX ?= $(PREFIX)
SBINDIR ?= $(EXEC_PREFIX)/sbin
SYSCONFDIR ?= $(PREFIX)/etc
DATAROOTDIR ?= $(PREFIX)/share
MANDIR ?= $(DATAROOTDIR)/man
CONFDIR = $(SYSCONFDIR)/flowtop
COMPLETIONDIR = $(DATAROOTDIR)/bash-completion/completions
# zsh looks in vendor-completions only under /usr (Debian's fpath, where
# the package installs) and in site-functions under its own prefix.
ZSH_USR = $(filter /usr /usr/,$(PREFIX))
ZSHDIR = $(DATAROOTDIR)/zsh/$(if $(ZSH_USR),vendor-completions,site-functions)

WARN = -Wall -Wextra -Wno-unused-parameter
ALL_CFLAGS = -std=gnu11 -D_GNU_SOURCE $(WARN) $(PKG_CFLAGS) \
	-DFLOWTOP_VERSION='"$(VERSION)"' -DFLOWTOP_CONFDIR='"$(CONFDIR)"' \
	$(CPPFLAGS) $(CFLAGS) $(EXTRA_CFLAGS)
ALL_LDFLAGS = $(LDFLAGS) $(EXTRA_CFLAGS)

# Every module but main goes into a library the unit tests link against.
LIB_SRCS = $(filter-out flowtop.c,$(wildcard *.c))
LIB_OBJS = $(LIB_SRCS:%.c=$(O)/%.o)
UNIT_SRCS = $(wildcard tests/unit/test_*.c)
UNIT_BINS = $(UNIT_SRCS:tests/unit/%.c=$(O)/tests/%)
TOOL_SRCS = $(wildcard tests/tools/*.c)
TOOL_BINS = $(TOOL_SRCS:tests/tools/%.c=$(O)/tools/%)
BENCH_SRCS = $(wildcard tests/bench/*.c)
BENCH_BINS = $(BENCH_SRCS:tests/bench/%.c=$(O)/bench/%)

all: flowtop

$(CONFIG):
	@echo "no $(CONFIG): run ./configure first" >&2; exit 1

# $(O)/flowtop: the same, for a build directory of its own (cross-check).
flowtop $(O)/flowtop: $(O)/flowtop.o $(O)/libflowtop.a
	$(CC) -o $@ $^ $(ALL_LDFLAGS) $(PKG_LIBS)

$(O)/libflowtop.a: $(LIB_OBJS)
	rm -f $@
	ar rcs $@ $^

$(O)/%.o: %.c $(wildcard *.h) $(CONFIG)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(O)/tests/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(O)/libflowtop.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -I. -o $@ $< $(O)/libflowtop.a $(ALL_LDFLAGS) $(PKG_LIBS)

$(O)/tools/%: tests/tools/%.c $(O)/libflowtop.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -I. -o $@ $< $(O)/libflowtop.a $(ALL_LDFLAGS) $(PKG_LIBS)

$(O)/bench/%: tests/bench/%.c $(O)/libflowtop.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -I. -o $@ $< $(O)/libflowtop.a $(ALL_LDFLAGS) $(PKG_LIBS)

unit-bins: $(UNIT_BINS)
tools: $(TOOL_BINS)

# Unit tests only (no root needed).
unit: $(UNIT_BINS)
	@sh tests/run-unit.sh $(O)

# Unit tests under AddressSanitizer and UndefinedBehaviorSanitizer.
check-sanitize:
	$(MAKE) O=build-san EXTRA_CFLAGS='-O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all' unit

# Everything: unit tests, then the real-kernel and terminal tests (root).
check: flowtop $(UNIT_BINS) $(TOOL_BINS)
	@sh tests/run-all.sh $(O)

# Cross-build for HOST (a GNU triplet: aarch64-linux-gnu, s390x-linux-gnu)
# in build-HOST and run the unit tests there under qemu-user.
cross-check:
	@test -n "$(HOST)" || \
		{ echo "usage: make cross-check HOST=triplet" >&2; exit 1; }
	@sh tests/cross.sh $(HOST)

# The Debian package (debian/): the .deb lands in the parent directory.
deb:
	dpkg-buildpackage -us -uc -b

# Build, lint, install, test (the integration tests) and purge the package
# in a throwaway Debian 12 chroot: root, about 6 minutes.
deb-check: $(TOOL_BINS)
	@T_BUILD=$(O) bash tests/deb.sh

# README's quick start, its first command as README.md gives it, in a
# throwaway minimal Debian 12 chroot, on a terminal: root, a few minutes.
quickstart-check:
	@bash tests/quickstart.sh

bench: flowtop $(TOOL_BINS) $(BENCH_BINS)
	@bash tests/bench/run.sh $(O)

install: flowtop
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(CONFDIR) \
		$(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(COMPLETIONDIR) $(DESTDIR)$(ZSHDIR)
	install -m 0755 flowtop $(DESTDIR)$(SBINDIR)/flowtop
	for f in etc/*.conf; do \
		install -m 0644 $$f $(DESTDIR)$(CONFDIR)/$${f#etc/}; done
	install -m 0644 man/flowtop.8 $(DESTDIR)$(MANDIR)/man8/flowtop.8
	if [ -f etc/completion/flowtop.bash ]; then install -m 0644 \
		etc/completion/flowtop.bash $(DESTDIR)$(COMPLETIONDIR)/flowtop; fi
	if [ -f etc/completion/_flowtop ]; then install -m 0644 \
		etc/completion/_flowtop $(DESTDIR)$(ZSHDIR)/_flowtop; fi

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/flowtop $(DESTDIR)$(MANDIR)/man8/flowtop.8 \
		$(DESTDIR)$(COMPLETIONDIR)/flowtop $(DESTDIR)$(ZSHDIR)/_flowtop
	for f in etc/*.conf; do rm -f $(DESTDIR)$(CONFDIR)/$${f#etc/}; done
	-rmdir $(DESTDIR)$(CONFDIR)

clean:
	rm -rf $(O) build-san build-*-linux-gnu* flowtop

distclean: clean
	rm -f config.mk

.PHONY: all unit unit-bins tools check check-sanitize cross-check deb \
	deb-check quickstart-check bench \
	install uninstall clean distclean
.SECONDARY:

# --- Robustness: fuzzing and the soak (kept apart from the rules above) ---
# make fuzz [FUZZ_SECS=60]: each libFuzzer target (tests/fuzz/fuzz_*.c)
# in turn under ASan+UBSan, from its corpus in tests/fuzz/corpus/; make
# fuzz-check: each for FUZZ_CHECK_SECS on its corpus (make check runs it).
# make soak [SOAK_SECS=1800]: the long run (root; not part of make check).
FUZZ_CC ?= clang
FUZZ_O = build-fuzz
FUZZ_SECS ?= 60
FUZZ_CHECK_SECS ?= 3
FUZZ_SAN = -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
FUZZ_SRCS = $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS = $(FUZZ_SRCS:tests/fuzz/%.c=$(FUZZ_O)/%)
SOAK_SECS ?= 1800

# The library again, built by clang with coverage for libFuzzer.
fuzz-lib:
	$(MAKE) O=$(FUZZ_O) CC=$(FUZZ_CC) CFLAGS='-O1 -g' \
		EXTRA_CFLAGS='-fsanitize=fuzzer-no-link $(FUZZ_SAN) \
		-Wno-missing-field-initializers' \
		$(FUZZ_O)/libflowtop.a

$(FUZZ_O)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_file.h fuzz-lib
	$(FUZZ_CC) -std=gnu11 -D_GNU_SOURCE $(WARN) $(PKG_CFLAGS) -O1 -g \
		-fsanitize=fuzzer $(FUZZ_SAN) -I. -o $@ $< \
		$(FUZZ_O)/libflowtop.a $(PKG_LIBS)

fuzz-bins: $(FUZZ_BINS)

fuzz: fuzz-bins
	@sh tests/fuzz/run.sh fuzz $(FUZZ_O) $(FUZZ_SECS)

fuzz-check:
	@if command -v $(FUZZ_CC) >/dev/null; then \
		$(MAKE) -s fuzz-bins >/dev/null && \
		sh tests/fuzz/run.sh check $(FUZZ_O) $(FUZZ_CHECK_SECS); \
	else sh tests/fuzz/run.sh missing $(FUZZ_CC); fi

soak: flowtop $(TOOL_BINS)
	@bash tests/soak/soak.sh $(O) $(SOAK_SECS)

clean: clean-robust
clean-robust:
	rm -rf $(FUZZ_O)

.PHONY: fuzz fuzz-lib fuzz-bins fuzz-check soak clean-robust
