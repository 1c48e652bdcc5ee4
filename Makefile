# The call-enquiry platform: one Makefile for everything.
#
#   make            build the services and tools (build/release/)
#   make run        install what is missing, build, start the local stack
#   make test       install what is missing, build with ASan+UBSan
#                   (build/asan/), run unit, fuzz-replay and integration tests;
#                   then build with ThreadSanitizer (build/tsan/) and run the
#                   integration tests again against it
#   make fuzz       build libFuzzer targets with clang (build/fuzz/)
#   make bench      the routing benchmark; make bench-calllog (BENCH=calllog):
#                   the call-log writer's; make bench BENCH=sip: the SIP trunk
#                   beside Kamailio (not part of make test)
#   make clean
#
# Generated protobuf code lives under build/*/gen, never in the tree.

MODE     ?= release
B        := build/$(MODE)
VERSION  := $(shell git describe --always --dirty 2>/dev/null || echo 0.1.0)

CC       ?= gcc

CPPFLAGS += -Iservices/common -I$(B)/gen -I/usr/include/postgresql -D_GNU_SOURCE
CFLAGS   += -std=gnu11 -Wall -Wextra -Wno-unused-parameter -g -MMD -MP -pthread
ifeq ($(MODE),asan)
CFLAGS   += -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
LDFLAGS  += -fsanitize=address,undefined
else ifeq ($(MODE),tsan)
# Data races between the threads nats.c, libmicrohttpd and our own code run.
# Only our code is instrumented; the libraries' locks are still seen (TSan
# intercepts pthread), their memory accesses are not.
CFLAGS   += -O1 -fno-omit-frame-pointer -fsanitize=thread
LDFLAGS  += -fsanitize=thread
else
CFLAGS   += -O2
endif
LDLIBS_BASE := -lnats -lhiredis -lprotobuf-c -lpq -ljansson -pthread

SERVICES := gateway ingress queue presence media calllog
# extra libraries per program
LIBS_gateway  := -lmicrohttpd -lwslay -lcrypto
LIBS_calllog  :=
LIBS_presence := -lcrypto -largon2
LIBS_ccctl    := -ljansson
LIBS_ingress  := -lsofia-sip-ua -lcrypto
# sofia-sip's headers (pkg-config sofia-sip-ua)
INC_ingress   := $(shell pkg-config --cflags sofia-sip-ua 2>/dev/null || echo -I/usr/include/sofia-sip-1.12)
LIBS_queue    := -lcrypto

LIBS_media    := -lm
LIBS_common   := -ljansson

PROTOS     := $(wildcard proto/*.proto)
PROTO_C    := $(patsubst proto/%.proto,$(B)/gen/%.pb-c.c,$(PROTOS))
PROTO_H    := $(PROTO_C:.c=.h)
PROTO_O    := $(PROTO_C:.c=.o)
COMMON_SRC := $(wildcard services/common/*.c)
COMMON_O   := $(patsubst %.c,$(B)/obj/%.o,$(COMMON_SRC))
LIBCOMMON  := $(B)/lib/libcccommon.a

BINS := $(addprefix $(B)/bin/,$(SERVICES) ccctl)

.PHONY: all deps run stop test unit fuzz fuzz-replay integration clean compose-check bench bench-calllog
all: $(BINS)

# --- version ----------------------------------------------------------------
# Rewritten only when the version changes, so only what includes it rebuilds.
VERSION_H := $(B)/gen/cc_version.h
$(VERSION_H): FORCE
	@mkdir -p $(dir $@)
	@echo '#define CC_VERSION "$(VERSION)"' > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@
.PHONY: FORCE
FORCE:

# Generated sources are kept (not deleted as intermediates), so the next
# make finds them up to date and rebuilds nothing.
.SECONDARY:

# --- protobuf ---------------------------------------------------------------
$(B)/gen/%.pb-c.c $(B)/gen/%.pb-c.h: proto/%.proto $(PROTOS)
	@mkdir -p $(B)/gen
	protoc-c --c_out=$(B)/gen -Iproto $<

$(B)/gen/%.pb-c.o: $(B)/gen/%.pb-c.c
	$(CC) $(CPPFLAGS) $(CFLAGS) -Wno-unused-parameter -c -o $@ $<

# --- Lua --------------------------------------------------------------------
# A service's scripts (services/<s>/lua/*.lua) are embedded in C at build
# time with the shared helpers (services/common/lua, services/<s>/lua/lib)
# joined in front: build/*/gen/lua_<s>.{c,h}, constants <s>_lua_<name>.
LUA_SERVICES := $(patsubst services/%/lua,%,$(wildcard services/*/lua))
LUA_H := $(foreach s,$(LUA_SERVICES),$(B)/gen/lua_$(s).h)
define lua
$(B)/gen/lua_$(1).c $(B)/gen/lua_$(1).h &: $(wildcard services/$(1)/lua/*.lua services/$(1)/lua/lib/*.lua services/common/lua/*.lua) tools/dev/embed-lua
	@mkdir -p $(B)/gen
	tools/dev/embed-lua $(1)_lua $(B)/gen/lua_$(1).c $(B)/gen/lua_$(1).h services/common/lua services/$(1)/lua/lib -- $(sort $(wildcard services/$(1)/lua/*.lua))
LUA_O_$(1) := $(B)/gen/lua_$(1).o
endef
$(foreach s,$(LUA_SERVICES),$(eval $(call lua,$(s))))

$(B)/gen/lua_%.o: $(B)/gen/lua_%.c
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

# --- objects ----------------------------------------------------------------
# Extra include flags for a source: services/<s>/x -> INC_<s>; a unit test
# tests/unit/<s>/x also sees services/<s>/ (it tests that service's modules).
src_dirs = $(subst /, ,$(1))
src_inc  = $(if $(filter tests/unit/%,$(1)),-Iservices/$(word 3,$(src_dirs)) $(INC_$(word 3,$(src_dirs))),$(INC_$(word 2,$(src_dirs))))
$(B)/obj/%.o: %.c $(PROTO_H) $(LUA_H) | $(VERSION_H)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(call src_inc,$*) $(CFLAGS) -c -o $@ $<

$(LIBCOMMON): $(COMMON_O) $(PROTO_O)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

# --- programs ---------------------------------------------------------------
define program
$(B)/bin/$(1): $(patsubst %.c,$(B)/obj/%.o,$(wildcard $(2)/*.c)) $(LUA_O_$(1)) $(LIBCOMMON)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS) -o $$@ $$^ $$(LIBS_$(1)) $$(LDLIBS_BASE)
endef
$(foreach s,$(SERVICES),$(eval $(call program,$(s),services/$(s))))
$(eval $(call program,ccctl,tools/ccctl))

# --- tests ------------------------------------------------------------------
UNIT_SRC  := $(wildcard tests/unit/*/test_*.c)
UNIT_BINS := $(patsubst %.c,$(B)/%,$(UNIT_SRC))
FUZZ_SRC  := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_REPLAY := $(patsubst tests/fuzz/%.c,$(B)/tests/fuzz/%-replay,$(FUZZ_SRC))

# A unit test links the module under test from its service's objects (all but main.o).
define unit
$(B)/$(1): $(B)/obj/$(1).o $(filter-out %/main.o,$(patsubst %.c,$(B)/obj/%.o,$(wildcard services/$(2)/*.c))) $(LUA_O_$(2)) $(LIBCOMMON)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS) -o $$@ $$^ -lcmocka $$(LIBS_$(2)) $$(LDLIBS_BASE)
endef
$(foreach t,$(UNIT_SRC),$(eval $(call unit,$(t:.c=),$(word 3,$(subst /, ,$(t))))))

# Fuzz targets: replayed over their corpus under ASan by `make test`;
# built with libFuzzer by `make fuzz`.
# A target may link a service's modules: FUZZ_OBJS_<target>.
INC_fuzz := -Iservices/calllog -Iservices/gateway -Iservices/presence -Iservices/media -Iservices/ingress $(INC_ingress)
FUZZ_OBJS_fuzz_event     := $(B)/obj/services/calllog/row.o
FUZZ_OBJS_fuzz_password  := $(B)/obj/services/presence/password.o
FUZZ_OBJS_fuzz_dir_trunk := $(B)/obj/services/presence/dir_valid.o
FUZZ_OBJS_fuzz_http_path := $(filter-out %/main.o,$(patsubst %.c,$(B)/obj/%.o,$(wildcard services/gateway/*.c))) $(LUA_O_gateway)
FUZZ_OBJS_fuzz_visitor   := $(B)/obj/services/gateway/visitor.o
FUZZ_OBJS_fuzz_audit_limit := $(FUZZ_OBJS_fuzz_http_path)
FUZZ_OBJS_fuzz_ws_protocol := $(B)/obj/services/gateway/handshake.o
FUZZ_OBJS_fuzz_page        := $(B)/obj/services/gateway/page.o
FUZZ_OBJS_fuzz_call_body   := $(B)/obj/services/gateway/callbody.o
FUZZ_OBJS_fuzz_rtp       := $(B)/obj/services/media/rtp.o
FUZZ_OBJS_fuzz_sip       := $(B)/obj/services/ingress/sdp.o $(B)/obj/services/ingress/number.o $(B)/obj/services/ingress/contact.o
define fuzz
$(B)/tests/fuzz/$(1)-replay: $(B)/obj/tests/fuzz/$(1).o $(B)/obj/tests/fuzz/replay.o $(FUZZ_OBJS_$(1)) $(LIBCOMMON)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS) -o $$@ $$^ $$(FUZZ_LIBS) $$(LDLIBS_BASE)
endef
FUZZ_LIBS := -lmicrohttpd -lwslay -lcrypto -largon2 -lsofia-sip-ua
$(foreach f,$(FUZZ_SRC),$(eval $(call fuzz,$(basename $(notdir $(f))))))

unit: $(UNIT_BINS)
fuzz-replay: $(FUZZ_REPLAY)

deps:
	@tools/dev/install-deps

# Node packages of the integration and browser tests (exact versions: the lock file).
tests/node_modules/.package-lock.json: tests/package.json tests/package-lock.json
	cd tests && npm ci --no-audit --no-fund --loglevel=error

# `make test` always uses the sanitizer builds: everything under ASan+UBSan,
# then the integration suites again under ThreadSanitizer (one result line).
test: deps tests/node_modules/.package-lock.json
	$(MAKE) MODE=asan all unit fuzz-replay
	$(MAKE) MODE=tsan all
	tools/dev/run-tests build/asan build/tsan

run: deps all
	tools/dev/stack up

stop:
	tools/dev/stack down

fuzz:
	tools/dev/build-fuzz

compose-check:
	docker-compose -f docker-compose.yml config -q

# Benchmarks (not part of make test; they print their figures): BENCH picks
# one of tools/bench/* (routing by default), BENCH_ARGS passes options, e.g.
# make bench BENCH_ARGS="--rate 300", make bench BENCH=calllog (the same as
# make bench-calllog).
BENCH ?= routing
bench: deps
	@test -x tools/bench/$(BENCH)/run || { echo "no benchmark tools/bench/$(BENCH)/run (there are: $(notdir $(wildcard tools/bench/*)))"; exit 2; }
	tools/bench/$(BENCH)/run $(BENCH_ARGS)

bench-calllog:
	$(MAKE) bench BENCH=calllog

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
