# deploy: one binary to run, balance, ship and watch HTTP apps.
VERSION    := 0.1.0
PREFIX     ?= /usr/local
DESTDIR    ?=
BUILD      ?= build
CC         ?= cc
PKG_CONFIG ?= pkg-config

# jansson and ncursesw are linked; libcurl and libssh2 lend only their
# headers: core/ loads them with dlopen on first use (DESIGN.md, Footprint).
LINK_PKGS   := jansson ncursesw
HEADER_PKGS := libcurl libssh2

# Warnings are errors for developers only (make DEVELOPER=1, as .ci/run
# does), so that a newer compiler's new warning does not break a build.
WARN     := -Wall -Wextra -Wformat=2 -Wshadow -Wmissing-prototypes \
	    -Wstrict-prototypes
ifneq ($(DEVELOPER),)
WARN     += -Werror
endif
OPT      ?= -O2 -g
SAN      ?=
# CFLAGS, CPPFLAGS, LDFLAGS and LDLIBS are the user's (make CFLAGS=-O0, a
# packager's flags); what the build needs lives in DEPLOY_* and stays.
CFLAGS   ?= $(OPT)
# pkg-config runs on first use, not at parse time, so that `make deps
# demo` on a fresh machine installs pkg-config and the libraries first.
lazy = $(eval $1 := $$(shell $(PKG_CONFIG) $2))$($1)
PKG_CFLAGS  = $(call lazy,PKG_CFLAGS,--cflags $(LINK_PKGS) $(HEADER_PKGS))
PKG_LIBS    = $(call lazy,PKG_LIBS,--libs $(LINK_PKGS))
CHECK_CFLAGS = $(call lazy,CHECK_CFLAGS,--cflags check)
CHECK_LIBS   = $(call lazy,CHECK_LIBS,--libs check)
DEPLOY_CPPFLAGS = -D_GNU_SOURCE -I. \
	    -DDEPLOY_VERSION='"$(VERSION)"' \
	    -DDEPLOY_DATADIR='"$(PREFIX)/share/deploy"' $(PKG_CFLAGS)
DEPLOY_CFLAGS   = -std=c11 $(WARN) $(SAN)
DEPLOY_LDFLAGS  = -Wl,-z,now -Wl,-z,relro $(SAN)
DEPLOY_LIBS     = $(PKG_LIBS) -lm -ldl
ALL_CFLAGS  = $(DEPLOY_CPPFLAGS) $(CPPFLAGS) $(DEPLOY_CFLAGS) $(CFLAGS)
ALL_LDFLAGS = $(DEPLOY_LDFLAGS) $(LDFLAGS)
# Each compiler run also writes the headers it read into TARGET.d.
DEPFLAGS = -MMD -MP -MF $@.d -MT $@

CORE_SRC := $(sort $(wildcard core/*/*.c))
UI_SRC   := $(sort $(wildcard ui/*.c))
CMD_SRC  := $(sort $(wildcard cmd/*.c))
TEST_SRC := $(sort $(wildcard tests/check_*.c))

CORE_OBJ := $(CORE_SRC:%.c=$(BUILD)/%.o)
UI_OBJ   := $(UI_SRC:%.c=$(BUILD)/%.o)
CMD_OBJ  := $(CMD_SRC:%.c=$(BUILD)/%.o)
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
TEST_HELPERS := $(sort $(wildcard tests/helpers/*.c))
TEST_HELPER_BIN := $(TEST_HELPERS:tests/helpers/%.c=$(BUILD)/helpers/%)

ifeq ($(BUILD),build)
BIN := deploy
else
BIN := $(BUILD)/deploy
endif

.PHONY: all check check-unit check-cli check-asan check-layers install deps \
	test-deps demo demo-stop bench clean fuzz fuzz-build fuzz-deps
all: $(BIN)

$(BIN): $(CMD_OBJ) $(UI_OBJ) $(BUILD)/libcore.a
	$(CC) $(ALL_LDFLAGS) -o $@ $(CMD_OBJ) $(UI_OBJ) $(BUILD)/libcore.a \
		$(DEPLOY_LIBS) $(LDLIBS)

$(BUILD)/libcore.a: $(CORE_OBJ)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/tests/%: tests/%.c $(BUILD)/tests/testutil.o $(BUILD)/libcore.a \
		$(UI_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) $(DEPFLAGS) -o $@ $< \
		$(BUILD)/tests/testutil.o $(UI_OBJ) $(BUILD)/libcore.a \
		$(ALL_LDFLAGS) $(CHECK_LIBS) $(DEPLOY_LIBS) $(LDLIBS)

$(BUILD)/helpers/%: tests/helpers/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -o $@ $< $(ALL_LDFLAGS)

# testutil.o is a real file of the build, not an intermediate to delete.
.SECONDARY: $(BUILD)/tests/testutil.o
-include $(CORE_OBJ:.o=.d) $(UI_OBJ:.o=.d) $(CMD_OBJ:.o=.d) \
	$(BUILD)/tests/testutil.d $(TEST_BIN:=.d) $(TEST_HELPER_BIN:=.d) \
	$(wildcard $(BUILD)/fuzz/*.d)

# The layers of core/ (tests/check-layers.sh, core/ARCHITECTURE.md).
check-layers:
	@tests/check-layers.sh

# Unit tests and the CLI tests against the real binary, their TAP read
# by prove (tests/run.sh, tests/tap.sh).
check: check-layers $(BIN) $(TEST_BIN) $(TEST_HELPER_BIN)
	@DEPLOY=$(abspath $(BIN)) BUILD=$(abspath $(BUILD)) \
		tests/run.sh $(TEST_BIN)

check-unit: $(TEST_BIN)
	@BUILD=$(abspath $(BUILD)) tests/run.sh --unit-only $(TEST_BIN)

check-cli: $(BIN) $(TEST_HELPER_BIN)
	@DEPLOY=$(abspath $(BIN)) BUILD=$(abspath $(BUILD)) \
		tests/run.sh --cli-only

# The same suite under AddressSanitizer and UndefinedBehaviorSanitizer.
check-asan:
	$(MAKE) --no-print-directory BUILD=build/asan OPT='-O1 -g -fno-omit-frame-pointer' \
		SAN='-fsanitize=address,undefined -fno-sanitize-recover=all' \
		check

install: $(BIN)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(PREFIX)/share/man/man5 \
		$(DESTDIR)$(PREFIX)/share/deploy/templates
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/deploy
	install -m 644 man/deploy.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 644 man/deploy-ecosystem.5 $(DESTDIR)$(PREFIX)/share/man/man5/
	install -m 644 templates/* $(DESTDIR)$(PREFIX)/share/deploy/templates/
	install -d $(DESTDIR)$(PREFIX)/share/bash-completion/completions
	install -m 644 completions/deploy.bash \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/deploy

# Debian packages: what the build needs (make deps), and the real parts
# the tests and the demo start (make test-deps; its nginx and sshd are
# not left running as services: tests/apt-install.sh).
DEB_PACKAGES := gcc make pkg-config libjansson-dev libncurses-dev \
	libcurl4-openssl-dev libssh2-1-dev check openssh-client
TEST_PACKAGES := nginx openssh-server openssh-client tmux git nodejs \
	procps iproute2 curl jq socat wrk man-db util-linux bsdutils openssl \
	python3 perl
deps:
	@tests/apt-install.sh $(DEB_PACKAGES)

test-deps:
	@tests/apt-install.sh $(TEST_PACKAGES)

# Fuzzing: libFuzzer harnesses (tests/fuzz/fuzz_*.c) built with clang
# under ASan and UBSan in build/fuzz; each runs FUZZ_SECONDS on a copy of
# its seeds in tests/fuzz/corpus/, after the inputs that once crashed it
# (tests/fuzz/regress/). clang is needed for this only: make fuzz-deps.
FUZZ_SECONDS ?= 60
FUZZ_PACKAGES := clang
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all
# clang's -Wformat=2 also flags our v*printf wrappers (gcc's does not).
FUZZ_NOWARN := -Wno-format-nonliteral
fuzz: fuzz-build
	@FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run.sh build/fuzz/fuzz

fuzz-build:
	@$(MAKE) --no-print-directory BUILD=build/fuzz CC=clang \
		OPT='-O1 -g -fno-omit-frame-pointer' \
		SAN='$(FUZZ_SAN) -fsanitize=fuzzer-no-link $(FUZZ_NOWARN)' \
		$(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/fuzz/%)

$(BUILD)/fuzz/%: tests/fuzz/%.c $(BUILD)/libcore.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -fsanitize=fuzzer -o $@ $< \
		$(BUILD)/libcore.a $(ALL_LDFLAGS) $(DEPLOY_LIBS) $(LDLIBS)

fuzz-deps:
	@tests/apt-install.sh $(FUZZ_PACKAGES)

# The built-in demo: a 4-instance Node cluster under the daemon, behind a
# real nginx on 127.0.0.1:8080.
demo: $(BIN)
	@tests/demo.sh $(abspath $(BIN))

# Benchmarks side by side with PM2 (installed from npm into a temp dir):
# one Markdown table on stdout, raw JSON in build/bench/all.json.
bench: $(BIN) $(TEST_HELPER_BIN)
	tests/bench/all.sh

demo-stop: $(BIN)
	@tests/demo.sh $(abspath $(BIN)) --stop

clean:
	rm -rf build deploy
