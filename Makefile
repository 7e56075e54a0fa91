# One non-recursive Makefile for the whole tree.
#
#   make run        install what is missing, build, start wmsd on ./var/wms with the demo network
#   make test       install what is missing, build, run every test
#   make bench      run the benchmarks (raw LMDB and nng first, then the engine)
#   make SANITIZER=address test   ASan+UBSan build in build/address
#   make SANITIZER=thread test    TSan build in build/thread
#   make format     format every C file with the committed .clang-format
#
# New sources are picked up by wildcard: a library's files live in <part>/src, its programs in
# <part>/cmd (one file each; parts: engine, wms-protocol, scanners, notify), tests in
# tests/<area>/test_<module>.c, benchmarks in benchmarks/bench_<name>.c.

SANITIZER ?=
BUILD     ?= build/$(if $(SANITIZER),$(SANITIZER),default)
CC        ?= cc

WARN      := -std=c11 -Wall -Wextra -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wvla \
             -fno-common -Wshadow -Wpointer-arith -Wno-missing-field-initializers
WERROR    ?= -Werror
OPT       ?= -O2 -g
ifeq ($(SANITIZER),address)
  SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
  OPT      := -O1 -g
endif
ifeq ($(SANITIZER),thread)
  SANFLAGS := -fsanitize=thread
  OPT      := -O1 -g
endif

INCLUDES  := -Iwms-protocol/include -Iscanners/include -Inotify/include -Iengine/include
CPPFLAGS  += -D_GNU_SOURCE $(INCLUDES)
CFLAGS    += $(WARN) $(WERROR) $(OPT) $(SANFLAGS) -pthread -MMD -MP
LDFLAGS   += $(SANFLAGS) -pthread
LDLIBS    := -llmdb -lnng -ljansson -lm

PROTO_SRC  := $(wildcard wms-protocol/src/*.c)
SCAN_SRC   := $(wildcard scanners/src/*.c)
ENGINE_SRC := $(wildcard engine/src/*.c)
NOTIFY_SRC := $(wildcard notify/src/*.c)
SUPPORT_SRC:= $(wildcard tests/support/*.c)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

LIBPROTO  := $(BUILD)/lib/libwmsproto.a
LIBSCAN   := $(BUILD)/lib/libwmsscan.a
LIBENGINE := $(BUILD)/lib/libwms.a
LIBNOTIFY := $(BUILD)/lib/libwmsnotify.a
# Link order: engine uses scanners and protocol; scanners' tools and notify use protocol.
LIBS      := $(LIBENGINE) $(LIBSCAN) $(LIBNOTIFY) $(LIBPROTO)

CMD_GLOB  := engine/cmd/*.c wms-protocol/cmd/*.c scanners/cmd/*.c notify/cmd/*.c
PROGRAMS  := $(patsubst %.c,$(BUILD)/bin/%,$(notdir $(wildcard $(CMD_GLOB))))
TEST_SRC  := $(wildcard tests/*/test_*.c)
TESTS     := $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_SRC))
BENCH_SRC := $(wildcard benchmarks/bench_*.c)
BENCHES   := $(patsubst benchmarks/%.c,$(BUILD)/bench/%,$(BENCH_SRC))

ALL_SRC   := $(PROTO_SRC) $(SCAN_SRC) $(ENGINE_SRC) $(NOTIFY_SRC) $(SUPPORT_SRC) $(TEST_SRC) \
             $(BENCH_SRC) $(wildcard $(CMD_GLOB))

.PHONY: all deps run test bench fuzz format clean check-format
# Objects built for test programs are intermediates to make; keep them so reruns are quick.
.SECONDARY:
.DEFAULT_GOAL := all

all: $(PROGRAMS) $(TESTS) $(BENCHES)

deps:
	@sh scripts/deps.sh

# The deps check runs before anything is compiled, so a fresh machine builds in one go.
$(BUILD)/.deps-ok: scripts/deps.sh
	@sh scripts/deps.sh
	@mkdir -p $(@D) && touch $@

# Engine programs see the engine's internal headers; protocol and scanners never do.
$(BUILD)/obj/engine/%.o: CPPFLAGS += -Iengine/src

$(BUILD)/obj/%.o: %.c | $(BUILD)/.deps-ok
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(LIBPROTO): $(call obj,$(PROTO_SRC))
$(LIBSCAN): $(call obj,$(SCAN_SRC))
$(LIBENGINE): $(call obj,$(ENGINE_SRC))
$(LIBNOTIFY): $(call obj,$(NOTIFY_SRC))
$(LIBPROTO) $(LIBSCAN) $(LIBENGINE) $(LIBNOTIFY):
	@mkdir -p $(@D)
	@rm -f $@
	$(AR) rcs $@ $^

define program_rule
$(BUILD)/bin/$(notdir $(basename $(1))): $(call obj,$(1)) $(LIBS)
	@mkdir -p $$(@D)
	$$(CC) $$(LDFLAGS) -o $$@ $$< $(LIBS) $$(LDLIBS)
endef
$(foreach p,$(wildcard $(CMD_GLOB)),$(eval $(call program_rule,$(p))))

$(call obj,$(SUPPORT_SRC)): CPPFLAGS += -Iengine/src -Itests/support
# The notifier's tests also reach its internal modules (the bounded memo).
$(BUILD)/tests/notify/%: CPPFLAGS += -Inotify/src

$(BUILD)/tests/%: tests/%.c $(call obj,$(SUPPORT_SRC)) $(LIBS)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itests/support -Iengine/src $(CFLAGS) $(LDFLAGS) -o $@ $< \
		$(call obj,$(SUPPORT_SRC)) $(LIBS) -lcmocka $(LDLIBS)

$(BUILD)/bench/%: benchmarks/%.c $(call obj,$(SUPPORT_SRC)) $(LIBS)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itests/support -Iengine/src $(CFLAGS) $(LDFLAGS) -o $@ $< \
		$(call obj,$(SUPPORT_SRC)) $(LIBS) -lcmocka $(LDLIBS)

run: $(BUILD)/.deps-ok $(PROGRAMS)
	@mkdir -p var
	$(BUILD)/bin/wmsd --data var/wms --seed engine/demo/network.json

test: $(BUILD)/.deps-ok $(PROGRAMS) $(TESTS)
	@sh scripts/run-tests.sh $(BUILD)

bench: $(BUILD)/.deps-ok $(PROGRAMS) $(BENCHES)
	@sh benchmarks/run.sh $(BUILD)

# libFuzzer targets: tests/fuzz/fuzz_<name>.c, built with clang against the protocol and
# scanner sources (the parsers that face the outside), instrumented together; each runs on
# its seeds in tests/fuzz/corpus_<name> (and dictionary <name>.dict) when they exist; what
# it finds goes to build/fuzz/corpus_<name>, never into the source tree.
FUZZ_SRC  := $(wildcard tests/fuzz/fuzz_*.c)
FUZZERS   := $(patsubst tests/fuzz/%.c,build/fuzz/%,$(FUZZ_SRC))
# jtext (engine/src) reads documents back from the store, so it is fuzzed with the parsers.
build/fuzz/%: tests/fuzz/%.c $(PROTO_SRC) $(SCAN_SRC) engine/src/jtext.c
	@mkdir -p $(@D)
	clang $(CPPFLAGS) -Iengine/src -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -o $@ $^ \
		-ljansson -lnng -lm
fuzz: $(FUZZERS)
	@for f in $(FUZZERS); do n=$${f#build/fuzz/fuzz_}; c=tests/fuzz/corpus_$$n; \
		d=tests/fuzz/$$n.dict; echo "== $$f"; mkdir -p build/fuzz/corpus_$$n; \
		$$f -max_total_time=$${FUZZ_SECONDS:-60} -print_final_stats=1 \
			$$( [ -f $$d ] && echo -dict=$$d ) build/fuzz/corpus_$$n \
			$$( [ -d $$c ] && echo $$c ) || exit 1; done

format:
	clang-format -i $(ALL_SRC) $(wildcard */include/wms/*.h */src/*.h tests/support/*.h)

check-format:
	@clang-format --dry-run --Werror $(ALL_SRC) $(wildcard */include/wms/*.h */src/*.h tests/support/*.h)

clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
