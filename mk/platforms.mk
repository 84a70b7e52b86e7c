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

#   make windows        cross-build (Debian gcc-mingw-w64-x86-64) the CLI,
#                       build/windows/batchml.exe, and the core C tests, with
#                       BATCHML_NO_BLAS, statically linked (no DLL to ship)
#   make test-windows   run them and batchml.exe under Debian's wine64
#                       (tests/platform/windows.sh)

.PHONY: windows test-windows

WIN_CC     ?= x86_64-w64-mingw32-gcc
WIN_FLAGS   = -std=c99 -O2 -Wall -Wextra -Wpedantic -D__USE_MINGW_ANSI_STDIO=1 -DBATCHML_NO_BLAS
WIN_LIBS    = -static -lpthread -lm
WIN_TESTS   = $(patsubst %,build/windows/tests/%.exe,isa batch overlay tokenizer_unit)

build/windows/batchml.exe: $(CLI_SRC) $(CLI_HDR) $(HDR)
	@mkdir -p $(dir $@)
	$(WIN_CC) $(WIN_FLAGS) -I. -o $@ $(CLI_SRC) $(WIN_LIBS)

build/windows/tests/%.exe: tests/%.c $(HDR) tests/bml_test.h
	@mkdir -p $(dir $@)
	$(WIN_CC) $(WIN_FLAGS) -I. -Itests -o $@ $< $(WIN_LIBS)

windows: build/windows/batchml.exe $(WIN_TESTS)

test-windows: batchml windows
	@bash tests/platform/windows.sh
