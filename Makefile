# restock — build, run and test.
#
#   make            build build/restock (optimised)
#   make run        install what is missing, build, serve on SQLite with a demo shop
#   make test       install what is missing, build with ASan+UBSan, run every test
#   make lint       banned string functions and clang-format check
#   make bench      the benchmarks of bench/ (see bench/README.md)
#   make SANITIZE=1 sanitizer build of build/restock

CC      ?= cc
PKGS    := libmicrohttpd jansson sqlite3 libcurl openssl libxml-2.0
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
           -Wno-missing-field-initializers -Isrc $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS  += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread -lm

ifeq ($(SANITIZE),1)
BUILD   := build/san
CFLAGS  += -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
else
BUILD   := build
endif

LIB_SRC := $(sort $(wildcard src/util/*.c src/core/*.c src/store/*.c src/http/*.c src/deliver/*.c \
                           src/ingest/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
BIN     := $(BUILD)/restock
UNIT_SRC := $(sort $(wildcard tests/unit/*.c))
UNIT_BIN := $(BUILD)/unit_tests

.PHONY: all run test unit e2e fuzz lint format bench deps clean
all: $(BIN)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/librestock.a: $(LIB_OBJ)
	$(AR) rcs $@ $^

$(BIN): $(BUILD)/obj/src/main.o $(BUILD)/librestock.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(UNIT_BIN): $(UNIT_SRC:%.c=$(BUILD)/obj/%.o) $(BUILD)/librestock.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

BENCH_SRC := $(sort $(wildcard bench/*.c))
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)
$(BUILD)/bench/%: bench/%.c $(BUILD)/librestock.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/librestock.a $(LDLIBS)

# The dashboard's files are compiled into assets.o (.incbin), which the compiler's -MMD cannot see.
DASH_FILES := $(wildcard src/http/dashboard/*)
$(BUILD)/obj/src/http/assets.o build/fuzz/obj/src/http/assets.o: $(DASH_FILES)

-include $(shell find $(BUILD)/obj build/fuzz/obj -name '*.d' 2>/dev/null)

# Debian packages, installed when missing (scripts/deps.sh knows the list).
deps:
	@scripts/deps.sh

DB ?= restock.db
run: deps
	@$(MAKE) --no-print-directory all
	$(BIN) serve --db $(DB) --demo

test: deps
	@$(MAKE) --no-print-directory SANITIZE=1 build/san/restock build/san/unit_tests
	@$(MAKE) --no-print-directory all # the memory-bounded feed test measures the optimised binary
	@$(MAKE) --no-print-directory lint
	ASAN_OPTIONS=detect_leaks=1 build/san/unit_tests
	@$(MAKE) --no-print-directory fuzz
	RESTOCK_BIN=$(CURDIR)/build/san/restock /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/e2e

unit: $(UNIT_BIN)
	$(UNIT_BIN)

FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -Isrc $(shell pkg-config --cflags $(PKGS) 2>/dev/null) \
               -fsanitize=fuzzer-no-link,address,undefined
build/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -MMD -MP -c $< -o $@
build/fuzz/librestock.a: $(LIB_SRC:%.c=build/fuzz/obj/%.o)
	$(AR) rcs $@ $^
build/fuzz/%: tests/fuzz/%.c build/fuzz/librestock.a
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)
# Each harness runs briefly over its committed seed corpus (tests/fuzz/corpus/NAME).
fuzz: $(FUZZ_BIN)
	@for f in $(FUZZ_BIN); do n=$$(basename $$f); mkdir -p build/fuzz/corpus/$$n; \
	  echo "fuzz $$n"; $$f -max_total_time=$${FUZZ_SECONDS:-10} -timeout=5 -print_final_stats=0 \
	  build/fuzz/corpus/$$n tests/fuzz/corpus/$$n >build/fuzz/$$n.log 2>&1 \
	  || { tail -40 build/fuzz/$$n.log; exit 1; }; done

BANNED := '\b(strcpy|strcat|sprintf|vsprintf|atoi|atol|atoll|sscanf|strtok|gets)[[:space:]]*\('
lint:
	@if grep -rnE $(BANNED) src tests bench --include='*.c' --include='*.h'; then \
	  echo "lint: banned string functions (STYLE.md)"; exit 1; fi
	@clang-format --dry-run --Werror $$(find src tests bench -name '*.[ch]')
	@echo "lint: ok"

format:
	clang-format -i $$(find src tests bench -name '*.[ch]')

bench: deps all $(BENCH_BIN)
	bench/run.sh
	bench/fanout.sh

clean:
	rm -rf build
