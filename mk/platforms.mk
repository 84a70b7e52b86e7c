# mk/platforms.mk -- other platforms, cross-built here and run under an
# emulator (included by the top Makefile). Never timed: speed under qemu or
# wine says nothing about the real machine.
#
#   make test-aarch64   cross-build (Debian gcc-aarch64-linux-gnu) the CLI and
#                       the core C tests with BATCHML_NO_BLAS, run them under
#                       qemu-aarch64 (tests/platform/aarch64.sh)

.PHONY: test-aarch64 aarch64

AARCH64_CC    ?= aarch64-linux-gnu-gcc
AARCH64_FLAGS  = -std=c99 -O2 -g -Wall -Wextra -Wpedantic -DBATCHML_NO_BLAS
AARCH64_TESTS  = $(patsubst %,build/aarch64/tests/%,isa batch overlay exporter tokenizer_unit)

build/aarch64/batchml: $(CLI_SRC) $(CLI_HDR) $(HDR)
	@mkdir -p $(dir $@)
	$(AARCH64_CC) $(CPPFLAGS) $(AARCH64_FLAGS) -I. -o $@ $(CLI_SRC) -lpthread -lm

build/aarch64/tests/%: tests/%.c $(HDR) tests/bml_test.h
	@mkdir -p $(dir $@)
	$(AARCH64_CC) $(CPPFLAGS) $(AARCH64_FLAGS) -I. -Itests -o $@ $< -lpthread -lm

aarch64: build/aarch64/batchml $(AARCH64_TESTS)

test-aarch64: batchml aarch64
	@bash tests/platform/aarch64.sh
