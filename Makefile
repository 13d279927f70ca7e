# ngx_http_agent_async_module: the nginx module, the worker, the tests.
#
#   make              module, worker and unit tests (build/)
#   make SAN=1        the same under ASan+UBSan (build/san/)
#   make unit         run the C unit tests
#   make scripts      regenerate src/common/aa_scripts.{c,h} from src/lua/
#   make test         scripts/test (everything)

SAN      ?= 0
CC       ?= cc

ifeq ($(SAN),1)
BUILD    ?= build/san
SANFLAGS  = -fsanitize=address,undefined -fno-omit-frame-pointer \
            -fno-sanitize-recover=undefined
OPT       = -O1
else
BUILD    ?= build
SANFLAGS  =
OPT       = -O2
endif

CFLAGS   ?= $(OPT) -g
CFLAGS   += -std=gnu99 -Wall -Wextra -Werror -Wno-unused-parameter \
            -D_GNU_SOURCE $(SANFLAGS)
LDFLAGS  += $(SANFLAGS)

COMMON_SRCS := $(wildcard src/common/*.c)
COMMON_OBJS := $(COMMON_SRCS:src/common/%.c=$(BUILD)/common/%.o)
WORKER_SRCS := $(wildcard src/worker/*.c)
WORKER_OBJS := $(WORKER_SRCS:src/worker/%.c=$(BUILD)/worker/%.o)
# everything but main(): what the unit tests link
WORKER_LIB_OBJS := $(filter-out $(BUILD)/worker/aw_main.o,$(WORKER_OBJS))
UNIT_SRCS   := $(wildcard t/unit/test_*.c)
UNIT_BINS   := $(UNIT_SRCS:t/unit/%.c=$(BUILD)/unit/%)
MODULE_SRCS := $(wildcard src/*.c src/*.h) config

.PHONY: all module worker unit-bins unit scripts test clean

all: module worker unit-bins

$(BUILD)/common/%.o: src/common/%.c $(wildcard src/common/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Isrc/common -c $< -o $@

$(BUILD)/libaa.a: $(COMMON_OBJS)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/worker/%.o: src/worker/%.c $(wildcard src/worker/*.h src/common/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Isrc/common -Isrc/worker -c $< -o $@

$(BUILD)/libaw.a: $(WORKER_LIB_OBJS)
	rm -f $@
	ar rcs $@ $^

worker: $(BUILD)/agent-async-worker

$(BUILD)/agent-async-worker: $(BUILD)/worker/aw_main.o $(BUILD)/libaw.a \
        $(BUILD)/libaa.a
	$(CC) $(LDFLAGS) -o $@ $^ -lhiredis -lcurl -lcrypto -lyajl -lpthread

$(BUILD)/unit/%: t/unit/%.c t/unit/aa_test.h $(BUILD)/libaw.a $(BUILD)/libaa.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Isrc/common -Isrc/worker -o $@ $< $(BUILD)/libaw.a \
	    $(BUILD)/libaa.a $(LDFLAGS) -lcmocka -lhiredis -lcurl -lcrypto -lyajl \
	    -lpthread

unit-bins: $(UNIT_BINS)

unit: unit-bins
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; $$t; done

module: $(BUILD)/ngx_http_agent_async_module.so

# '+': scripts/build-module runs make, which then shares our jobserver
# (without it make warns "jobserver unavailable: using -j1")
$(BUILD)/ngx_http_agent_async_module.so: $(MODULE_SRCS) $(COMMON_SRCS) \
        $(wildcard src/common/*.h) scripts/build-module
	+SAN=$(SAN) scripts/build-module $(BUILD)

scripts:
	scripts/gen-scripts

test:
	scripts/test

clean:
	rm -rf build
