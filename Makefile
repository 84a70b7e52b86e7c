# batchml — build, test, bench. `make help` lists the targets.
CC      ?= cc
ARCH    ?= -march=native
CFLAGS  ?= -std=c99 -O3 $(ARCH) -g -Wall -Wextra -Wpedantic
CPPFLAGS += -DBATCHML_ASSETS_DIR=\"$(CURDIR)/assets/minilm-l6-arch\"
LDLIBS  ?= -lopenblas -lpthread -lm
# `batchml serve` needs GNU libmicrohttpd (Debian libmicrohttpd-dev); without
# it the verb says it is not built in. The library itself never links it.
SERVE_LIBS := $(shell pkg-config --libs libmicrohttpd 2>/dev/null)
ifneq ($(SERVE_LIBS),)
CLI_SERVE = -DBML_CLI_SERVE
endif
PYTHON  ?= /usr/bin/python3
HDR      = batchml.h

TEST_SRC  = $(wildcard tests/*.c)
TEST_BINS = $(patsubst tests/%.c,build/tests/%,$(TEST_SRC))
EX_SRC    = $(wildcard examples/*.c)
EX_BINS   = $(patsubst examples/%.c,build/examples/%,$(EX_SRC))
BENCH_SRC = $(wildcard bench/*.c)
BENCH_BINS= $(patsubst bench/%.c,build/bench/%,$(BENCH_SRC))

.PHONY: all help test bench deps run clean tests examples

all: batchml

help:
	@echo "make            build the CLI ./batchml"
	@echo "make deps       install what a fresh Debian machine lacks (needs root)"
	@echo "make run        the main job on the built-in default model"
	@echo "make test       build and run every test; ends with 'N passed, N failed'"
	@echo "make bench      benchmarks side by side with peers -> bench/RESULTS.md"

# The CLI: every cli/*.c is compiled into ./batchml; every cli/*.h is a dependency.
CLI_SRC = $(wildcard cli/*.c)
CLI_HDR = $(wildcard cli/*.h)
batchml: $(CLI_SRC) $(CLI_HDR) $(HDR)
	$(CC) $(CPPFLAGS) $(CLI_SERVE) $(CFLAGS) -I. -o $@ $(CLI_SRC) $(LDLIBS) $(SERVE_LIBS)

build/tests/%: tests/%.c $(HDR) tests/bml_test.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -I. -Itests -o $@ $< $(LDLIBS)

build/examples/%: examples/%.c $(HDR)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -I. -o $@ $< $(LDLIBS)

build/bench/%: bench/%.c $(HDR)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -I. -o $@ $< $(LDLIBS)

tests: $(TEST_BINS)
examples: $(EX_BINS)

test: batchml tests examples
	@bash tests/run.sh

bench: batchml $(BENCH_BINS)
	@bash bench/run.sh

deps:
	bash tools/deps.sh

clean:
	rm -rf build batchml

# Feature areas add their own targets here (hardening, tuning, opencl, ...).
-include $(wildcard mk/*.mk)
