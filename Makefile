# Postern: build, install, run, test, fuzz and bench.
#
# `make run` and `make test` work on a fresh Debian 12 where only git and
# make are installed: both start with `deps`, which installs what is
# missing.  Everything is built under build/ (normal) and build/asan/
# (AddressSanitizer + UndefinedBehaviorSanitizer, used by the tests).

PREFIX ?=	/usr/local
SBINDIR ?=	$(PREFIX)/sbin
MANDIR ?=	$(PREFIX)/share/man
SYSCONFDIR ?=	/etc
DESTDIR ?=

BUILD ?=	build
SAN ?=		0

CC ?=		cc
YACC =		byacc
PKGS =		openssl libevent libevent_openssl libbsd-overlay libunbound \
		libseccomp libcrypt

WARNINGS =	-Wall -Wextra -Wstrict-prototypes -Wmissing-prototypes \
		-Wshadow -Wpointer-arith -Wcast-qual -Wsign-compare \
		-Wno-unused-parameter -Werror
CFLAGS_BASE =	-std=gnu11 -g -O2 -D_GNU_SOURCE $(WARNINGS) -Iinclude \
		-I$(BUILD)/gen
ifeq ($(SAN),1)
SANFLAGS =	-fsanitize=address,undefined -fno-omit-frame-pointer \
		-fno-sanitize-recover=undefined
else ifeq ($(SAN),fuzz)
SANFLAGS =	-fsanitize=fuzzer-no-link,address,undefined \
		-fno-omit-frame-pointer -fno-sanitize-recover=undefined
else
SANFLAGS =
endif
PKG_CFLAGS :=	$(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS :=	$(shell pkg-config --libs $(PKGS) 2>/dev/null)
CFLAGS +=	$(CFLAGS_BASE) $(PKG_CFLAGS) $(SANFLAGS)
LDFLAGS +=	$(SANFLAGS)
LDLIBS =	$(PKG_LIBS) -lpam -ldb

# ---------------------------------------------------------------------
# Sources, one per line.

# src/lib: process-free code (no logging policy, no exit).
LIB_SRCS = \
	src/lib/log.c \
	src/lib/imsg_types.c \
	src/lib/ipc.c \
	src/lib/ipc_msg.c \
	src/lib/mailaddr.c \
	src/lib/smtp_parse.c \
	src/lib/smtp_data.c \
	src/lib/smtp_header.c \
	src/lib/envelope.c \
	src/lib/bounce.c \
	src/lib/aliases.c \
	src/lib/table_parse.c \
	src/lib/smtp_auth.c \


# src/smtpd: the daemon, one file per process plus helpers.
SMTPD_SRCS = \
	src/smtpd/control.c \
	src/smtpd/smtpd.c \
	src/smtpd/proc.c \
	src/smtpd/proc_parent.c \
	src/smtpd/proc_priv.c \
	src/smtpd/stat.c \
	src/smtpd/lka.c \
	src/smtpd/lka_rule.c \
	src/smtpd/lka_expand.c \
	src/smtpd/lka_user.c \
	src/smtpd/lka_sender.c \
	src/smtpd/lka_auth.c \
	src/smtpd/table.c \
	src/smtpd/table_static.c \
	src/smtpd/table_file.c \
	src/smtpd/table_db.c \
	src/smtpd/parent_forward.c \
	src/smtpd/parent_auth.c \
	src/smtpd/ca.c \
	src/smtpd/tls_key.c \
	src/smtpd/tls_check.c \
	src/smtpd/queue.c \
	src/smtpd/queue_fs.c \
	src/smtpd/queue_bounce.c \
	src/smtpd/queue_deliver.c \
	src/smtpd/queue_load.c \
	src/smtpd/scheduler.c \
	src/smtpd/scheduler_backend.c \
	src/smtpd/smtp.c \
	src/smtpd/smtp_session.c \
	src/smtpd/smtp_command.c \
	src/smtpd/smtp_auth.c \
	src/smtpd/smtp_tx.c \
	src/smtpd/smtp_tls.c \
	src/smtpd/tls.c \
	src/smtpd/parent_listen.c \
	src/smtpd/mta.c \
	src/smtpd/mda.c \
	src/smtpd/mda_format.c \
	src/smtpd/mda_result.c \
	src/smtpd/parent_deliver.c \
	src/smtpd/deliver.c \
	src/smtpd/deliver_maildir.c \
	src/smtpd/deliver_mbox.c \
	src/smtpd/deliver_lmtp.c \
	src/smtpd/deliver_mda.c \
	src/smtpd/config.c \
	src/smtpd/config_print.c \
	src/smtpd/config_ipc_send.c \
	src/smtpd/config_ipc_recv.c \
	src/smtpd/parse_lex.c \
	src/smtpd/parse_pki.c \
	src/smtpd/parse_filter.c \
	src/smtpd/parse_listen.c \
	src/smtpd/parse_action.c \
	src/smtpd/parse_match.c \

SMTPD_YSRCS = \
	src/smtpd/parse.y \


# src/smtpctl: smtpctl and its sendmail/mailq/newaliases personalities.
SMTPCTL_SRCS = \
	src/smtpctl/smtpctl.c \
	src/smtpctl/smtpctl_cmd.c \
	src/smtpctl/smtpctl_encrypt.c \


# atf-c unit tests: each is built from its own .c plus the modules it
# tests (listed in <name>_DEPS, object paths).
UNIT_TESTS = \
	regress/lib/ipc_test \
	regress/lib/ipc_msg_test \
	regress/lib/mailaddr_test \
	regress/lib/smtp_parse_test \
	regress/lib/smtp_data_test \
	regress/lib/smtp_header_test \
	regress/lib/table_parse_test \
	regress/lib/aliases_test \
	regress/lib/envelope_test \
	regress/lib/bounce_test \
	regress/lib/smtp_auth_test \
	regress/smtpd/proc_dispatch_test \
	regress/smtpd/config_ipc_test \
	regress/smtpd/parse_test \
	regress/smtpd/lka_table_test \
	regress/smtpd/lka_rule_test \
	regress/smtpd/lka_sender_test \
	regress/smtpd/lka_expand_test \
	regress/smtpd/proc_priv_test \
	regress/smtpd/tls_check_test \
	regress/smtpd/tls_key_test \
	regress/smtpd/mda_format_test \
	regress/smtpd/deliver_method_test \
	regress/smtpd/scheduler_backend_test \
	regress/smtpd/queue_fs_test \


# atf-sh tests: copied with the executable bit into the build root.
SH_TESTS = \
	regress/fuzz/fuzz_smoke_test.sh \
	regress/man/mandoc_test.sh \
	regress/man/keywords_test.sh \
	regress/man/examples_test.sh \
	regress/smtpd/proc_test.sh \
	regress/smtpd/smtp_dialogue_test.sh \
	regress/smtpd/config_test.sh \
	regress/smtpd/deliver_test.sh \
	regress/smtpd/lka_test.sh \
	regress/smtpd/queue_test.sh \
	regress/smtpctl/smtpctl_test.sh \
	regress/smtpd/inbound_bytes_test.sh \
	regress/smtpd/inbound_smuggling_test.sh \
	regress/smtpd/inbound_relay_test.sh \
	regress/smtpd/inbound_hostile_test.sh \
	regress/smtpd/inbound_load_test.sh \
	regress/smtpd/inbound_crash_test.sh \
	regress/smtpd/submission_test.sh \
	regress/smtpd/tls_test.sh \
	regress/smtpd/auth_test.sh \
	regress/smtpd/tls_keys_test.sh \

# libFuzzer targets (regress/fuzz/<name>.c), see `make fuzz`.
FUZZ_TARGETS = \
	fuzz_deliver \
	fuzz_ipc \
	fuzz_config \
	fuzz_smtp_cmd \
	fuzz_addr \
	fuzz_data \
	fuzz_header \
	fuzz_envelope \
	fuzz_aliases \
	fuzz_starttls \
	fuzz_auth \


# ---------------------------------------------------------------------

OBJDIR =	$(BUILD)/obj
GENDIR =	$(BUILD)/gen
LIB_OBJS =	$(LIB_SRCS:%.c=$(OBJDIR)/%.o)
SMTPD_OBJS =	$(SMTPD_SRCS:%.c=$(OBJDIR)/%.o) \
		$(SMTPD_YSRCS:src/smtpd/%.y=$(OBJDIR)/gen/%.o)
SMTPCTL_OBJS =	$(SMTPCTL_SRCS:%.c=$(OBJDIR)/%.o)
# Archives for unit tests: the linker takes only the objects a test
# needs.  The daemon archive leaves out main().
LIBPOSTERN =	$(BUILD)/libpostern.a
LIBSMTPD =	$(BUILD)/libsmtpd.a
SMTPD_LIBOBJS =	$(filter-out $(OBJDIR)/src/smtpd/smtpd.o,$(SMTPD_OBJS))

.PHONY: all binaries pkgcheck asan deps users install run test fuzz fuzzers \
	fuzz-bins bench bench-deps clean check-man units

all: binaries asan

binaries: pkgcheck $(BUILD)/smtpd $(BUILD)/smtpctl units

# The flags above come from one pkg-config call whose errors are hidden
# (it also runs before `deps` on a fresh machine): say here what is
# missing instead of failing later on a header.  libunbound.pc needs
# nettle's .pc files, which libunbound-dev does not pull in.
pkgcheck:
	@pkg-config --exists --print-errors $(PKGS)

asan:
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/asan SAN=1 binaries

$(OBJDIR)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(GENDIR)/%.c: src/smtpd/%.y
	@mkdir -p $(@D)
	$(YACC) -d -b $(GENDIR)/$* -o $@ $<

# parse_lex.c includes the token values yacc writes to parse.h.
$(OBJDIR)/src/smtpd/parse_lex.o: $(GENDIR)/parse.c

# Generated parser: warnings from yacc's skeleton are not ours to fix.
$(OBJDIR)/gen/%.o: $(GENDIR)/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Isrc/smtpd -Wno-unused-but-set-variable \
	    -Wno-missing-prototypes -Wno-sign-compare -MMD -MP -c $< -o $@

$(BUILD)/smtpd: $(SMTPD_OBJS) $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/smtpctl: $(SMTPCTL_OBJS) $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

UNIT_BINS =	$(UNIT_TESTS:%=$(BUILD)/%)
units: $(UNIT_BINS) $(SH_TESTS:%.sh=$(BUILD)/%)

$(LIBPOSTERN): $(LIB_OBJS)
	rm -f $@
	ar rcs $@ $^

$(LIBSMTPD): $(SMTPD_LIBOBJS)
	rm -f $@
	ar rcs $@ $^

# Every atf-c program also gets regress/atf_lsan.c (sanitizer settings)
# and regress/test_conf.c (files and configurations for tests).
ATF_SUPPORT =	$(OBJDIR)/regress/atf_lsan.o $(OBJDIR)/regress/test_conf.o

$(BUILD)/regress/%: $(OBJDIR)/regress/%.o $(ATF_SUPPORT) $(LIBSMTPD) \
	    $(LIBPOSTERN)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $< $(ATF_SUPPORT) $(LIBSMTPD) $(LIBPOSTERN) \
	    $(LDLIBS) $(shell pkg-config --libs atf-c)

$(BUILD)/regress/%: regress/%.sh
	@mkdir -p $(@D)
	install -m 755 $< $@

# Keep generated and intermediate files (parse.c, test objects).
.SECONDARY:

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

# ---------------------------------------------------------------------
# Packages.  Every build, test and bench tool is listed here; `deps`
# installs only what is missing, and runs apt-get update first then.

DEB_PKGS = \
	gcc make pkg-config byacc clang libclang-rt-14-dev \
	libssl-dev libevent-dev libbsd-dev libunbound-dev libseccomp-dev \
	libcrypt-dev libpam0g-dev nettle-dev libdb5.3-dev \
	atf-sh libatf-dev kyua mandoc \
	openssl swaks libnet-ssleay-perl libio-socket-ssl-perl \
	python3 python3-aiosmtpd procps psmisc util-linux \
	iproute2

# Only `make bench` needs these (the reference servers are brought in
# by regress/bench/run.sh itself, never installed as services).
BENCH_PKGS = \
	hyperfine valgrind

deps:
	@sh tools/deps.sh $(DEB_PKGS)

bench-deps: deps
	@sh tools/deps.sh $(BENCH_PKGS)

users:
	@sh tools/users.sh

# ---------------------------------------------------------------------

RUN_CONF ?=	etc/smtpd.conf
# Table paths must be absolute: the sample names /etc/aliases through a
# macro, pointed here at a copy of the sample in the source tree.  lka
# reads tables as _smtpd, which cannot enter a checkout under /root
# (mode 0700), so the copy lives in a root-owned directory it can read.
RUN_DIR ?=	/run/postern
RUN_ALIASES ?=	$(RUN_DIR)/aliases

# The targets that start with `deps` build in a second make: the flags
# from pkg-config are read when the Makefile is parsed, which on a fresh
# machine is before deps has installed the libraries.
run: deps
	@$(MAKE) --no-print-directory binaries users
	install -d -m 0755 $(RUN_DIR)
	install -m 0644 etc/aliases $(RUN_ALIASES)
	$(BUILD)/smtpd -d -f $(RUN_CONF) -D aliases=file:$(RUN_ALIASES)

test: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory fuzzers
	@$(MAKE) --no-print-directory users
	@sh tools/runtests.sh

check-man:
	mandoc -Tlint -Wwarning man/*.[0-9]

# Fuzz targets are built with clang into build/fuzz; `make test` builds
# them and runs each over its seed corpus, `make fuzz` runs each for
# FUZZ_SECONDS (default 60).
FUZZ_SECONDS ?=	60
FUZZ_BINS =	$(FUZZ_TARGETS:%=$(BUILD)/fuzz/%)

fuzzers:
	@$(MAKE) --no-print-directory BUILD=build/fuzz SAN=fuzz CC=clang \
	    fuzz-bins

fuzz-bins: $(FUZZ_BINS)

$(BUILD)/fuzz/%: $(OBJDIR)/regress/fuzz/%.o $(LIBSMTPD) $(LIBPOSTERN)
	@mkdir -p $(@D)
	$(CC) -fsanitize=fuzzer,address,undefined -o $@ $< $(LIBSMTPD) \
	    $(LIBPOSTERN) $(LDLIBS)

fuzz: deps
	@$(MAKE) --no-print-directory fuzzers
	@sh tools/fuzz.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

bench: bench-deps
	@$(MAKE) --no-print-directory binaries users
	@BUILD=$(BUILD) sh regress/bench/run.sh

install: binaries
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man5 \
	    $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(SYSCONFDIR)
	install -m 755 $(BUILD)/smtpd $(DESTDIR)$(SBINDIR)/smtpd
	install -m 2555 -g _smtpq $(BUILD)/smtpctl $(DESTDIR)$(SBINDIR)/smtpctl
	install -m 644 man/smtpd.conf.5 man/aliases.5 man/forward.5 \
	    man/table.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 644 man/smtpd.8 man/smtpctl.8 $(DESTDIR)$(MANDIR)/man8/
	test -e $(DESTDIR)$(SYSCONFDIR)/smtpd.conf || \
	    install -m 644 etc/smtpd.conf $(DESTDIR)$(SYSCONFDIR)/smtpd.conf
	test -e $(DESTDIR)$(SYSCONFDIR)/aliases || \
	    install -m 644 etc/aliases $(DESTDIR)$(SYSCONFDIR)/aliases
	test -e $(DESTDIR)$(SYSCONFDIR)/pam.d/smtpd || \
	    install -D -m 644 etc/pam.d/smtpd \
	    $(DESTDIR)$(SYSCONFDIR)/pam.d/smtpd
	install -d $(DESTDIR)$(SYSCONFDIR)/systemd/system
	sed 's|@SBINDIR@|$(SBINDIR)|g' etc/postern.service \
	    >$(DESTDIR)$(SYSCONFDIR)/systemd/system/postern.service

clean:
	rm -rf build
