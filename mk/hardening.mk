# mk/hardening.mk -- sanitizers, fuzzing and valgrind (included by the top
# Makefile). Everything it builds lands under build/; see tests/fuzz/README.md.
#
#   make test-sanitize        the suite against ASan+UBSan builds (clang, then gcc)
#   make test-sanitize-clang  ... one compiler only (also -gcc)
#   make test-tsan            the multi-threaded tests under ThreadSanitizer
#   make fuzz FUZZ_SECONDS=N  every libFuzzer harness for N seconds each (clang)
#   make fuzz-build           build the harnesses only (build/fuzz/)
#   make fuzz-replay          replay seed corpora + regression inputs (no libFuzzer)
#
# The normal suite (make test) also builds the replay runners and the valgrind
# binary, used by tests/hostile_fuzz_corpus.test and tests/valgrind.test.

.PHONY: test-sanitize test-sanitize-clang test-sanitize-gcc test-tsan fuzz fuzz-ci fuzz-build fuzz-replay hardening-help

hardening-help:
	@echo "make test-sanitize     build CLI + tests with -fsanitize=address,undefined (clang and gcc), run the suite"
	@echo "make test-tsan         multi-threaded tests under ThreadSanitizer (BATCHML_NO_BLAS build)"
	@echo "make fuzz FUZZ_SECONDS=N  run every libFuzzer harness N seconds (default 60)"
	@echo "make fuzz-replay       replay the committed corpora and crash regressions through every harness"

# ---------------------------------------------------------------------------
# Fuzzing
# ---------------------------------------------------------------------------
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_NAMES    = json safetensors config modules tokenizer_json vocab head tokenize ids merge
FUZZ_FLAGS    = -std=c99 -O1 -g -Wall -Wextra -fno-omit-frame-pointer \
                -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -DBATCHML_NO_BLAS
FUZZ_DEPS     = $(HDR) tests/fuzz/fuzz_common.h tests/fuzz/fuzz_tok_check.h $(wildcard cli/*.c cli/*.h)
FUZZ_BINS     = $(patsubst %,build/fuzz/fuzz_%,$(FUZZ_NAMES))
REPLAY_BINS   = $(patsubst %,build/fuzz-replay/fuzz_%,$(FUZZ_NAMES))
# the ids harness links the CLI's parser
fuzz_extra    = $(if $(filter fuzz_ids,$(notdir $1)),cli/util.c)

build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_DEPS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_FLAGS) -I. -Itests/fuzz -o $@ $< $(call fuzz_extra,$@) -lpthread -lm

# The same harnesses with tests/fuzz/standalone.c as main(): built with the
# suite's own compiler and flags (sanitized ones under make test-sanitize).
build/fuzz-replay/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/standalone.c $(FUZZ_DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -DBATCHML_NO_BLAS -I. -Itests/fuzz -o $@ $< tests/fuzz/standalone.c $(call fuzz_extra,$@) \
	    $(filter-out -lopenblas,$(LDLIBS))

fuzz-build: $(FUZZ_BINS)

# Each harness for FUZZ_SECONDS on a scratch copy of its committed corpus
# (new inputs stay in build/fuzz/corpus/NAME; crashes in build/fuzz/crashes/NAME).
fuzz: $(FUZZ_BINS)
	@bash tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_NAMES)

# what .ci/run calls: every harness 30 s (10 harnesses; the corpus in
# tests/fuzz/corpus and every past crash replay in make test regardless)
FUZZ_CI_SECONDS ?= 30
fuzz-ci: $(FUZZ_BINS)
	@bash tests/fuzz/run.sh $(FUZZ_CI_SECONDS) $(FUZZ_NAMES)

fuzz-replay: $(REPLAY_BINS)
	@bash tests/hostile_fuzz_corpus.test

tests: $(REPLAY_BINS)

# ---------------------------------------------------------------------------
# valgrind: a CLI without -march=native (valgrind has no AVX-512)
# ---------------------------------------------------------------------------
VG_CFLAGS ?= -std=c99 -O1 -g -Wall -Wextra
build/valgrind/batchml: $(CLI_SRC) $(CLI_HDR) $(HDR)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(VG_CFLAGS) -I. -o $@ $(CLI_SRC) $(LDLIBS)

ifeq ($(HARDEN_NO_VALGRIND),)
tests: build/valgrind/batchml
endif

# ---------------------------------------------------------------------------
# Sanitizers: the whole tree is copied into build/san-CC/ (tracked and
# untracked-but-not-ignored files; node_modules linked), built there with the
# sanitizer flags, and its own tests/run.sh runs against its own ./batchml and
# build/tests/*: the .test scripts need no change. Every sanitizer report
# is written to build/san-CC/reports/ (log_path), so a report from a process
# whose exit status a test ignores still fails the run.
# ---------------------------------------------------------------------------
SAN_FLAGS   = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
SAN_CFLAGS  = -std=c99 -O1 -g $(ARCH) -Wall -Wextra $(SAN_FLAGS)
SAN_LDLIBS  = $(SAN_FLAGS) -lopenblas -lpthread -lm
# Tests skipped under the sanitizers (space-separated names of tests/*.test).
# batch: its full-size model in deterministic mode runs the instrumented
# reference GEMM (>20 min under ASan); sanitize.sh runs it on its tiny model
# instead. simd_sets: the forward, overlay and batching tests again for each
# kernel set other than the best (tests/isa.test, which runs, covers every
# set's kernels under the sanitizers). features: it builds its programs with
# its own plain gcc/clang command lines, so under the sanitizers it would only
# repeat the plain run. SAN_SKIP= runs everything.
SAN_SKIP   ?= batch simd_sets features

test-sanitize:
	@bash tests/fuzz/sanitize.sh "clang gcc" "$(SAN_CFLAGS)" "$(SAN_LDLIBS)" "$(SAN_SKIP)"

test-sanitize-clang:
	@bash tests/fuzz/sanitize.sh clang "$(SAN_CFLAGS)" "$(SAN_LDLIBS)" "$(SAN_SKIP)"

test-sanitize-gcc:
	@bash tests/fuzz/sanitize.sh gcc "$(SAN_CFLAGS)" "$(SAN_LDLIBS)" "$(SAN_SKIP)"

# ---------------------------------------------------------------------------
# ThreadSanitizer: the built-in GEMM (OpenBLAS is not instrumented), clang.
# ---------------------------------------------------------------------------
TSAN_CC     ?= clang
TSAN_FLAGS   = -std=c99 -O1 -g -Wall -Wextra -fsanitize=thread -fno-omit-frame-pointer -DBATCHML_NO_BLAS
TSAN_TESTS   = batch sanitize_threads engine

build/tsan/%: tests/%.c $(HDR) tests/bml_test.h
	@mkdir -p $(dir $@)
	$(TSAN_CC) $(CPPFLAGS) $(TSAN_FLAGS) -I. -Itests -o $@ $< -lpthread -lm

build/tsan/batchml: $(CLI_SRC) $(CLI_HDR) $(HDR)
	@mkdir -p $(dir $@)
	$(TSAN_CC) $(CPPFLAGS) $(TSAN_FLAGS) -I. -o $@ $(CLI_SRC) -lpthread -lm

test-tsan: batchml $(patsubst %,build/tsan/%,$(TSAN_TESTS)) build/tsan/batchml
	@bash tests/fuzz/tsan.sh
