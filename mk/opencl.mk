# The OpenCL device path (the BATCHML_OPENCL section of batchml.h).
#   make opencl        ./batchml-cl: the CLI with -DBATCHML_OPENCL (-lOpenCL)
#   make test-opencl   the OpenCL tests alone (tests/opencl.test)
#   make bench-opencl  the OpenCL path beside the CPU path -> bench/out/opencl.md
# Needs the OpenCL headers and ICD loader (Debian: ocl-icd-opencl-dev
# opencl-headers) and a platform to run on (pocl-opencl-icd: PoCL's CPU
# device). Without the headers `make test` still passes: build/tests/opencl
# is built without BATCHML_OPENCL and says "# SKIP".
CL_LDLIBS ?= -lOpenCL
CL_HAVE_HEADERS := $(shell printf '\043include <CL/cl.h>\n' | $(CC) -E -x c - >/dev/null 2>&1 && echo 1)

.PHONY: opencl test-opencl bench-opencl clean-opencl

opencl: batchml-cl

batchml-cl: $(CLI_SRC) $(CLI_HDR) $(HDR)
	$(CC) $(CPPFLAGS) -DBATCHML_OPENCL $(CFLAGS) -I. -o $@ $(CLI_SRC) $(LDLIBS) $(CL_LDLIBS)

ifeq ($(CL_HAVE_HEADERS),1)
build/tests/opencl: CPPFLAGS += -DBATCHML_OPENCL
build/tests/opencl: LDLIBS += $(CL_LDLIBS)
build/bench/opencl_bench: CPPFLAGS += -DBATCHML_OPENCL
build/bench/opencl_bench: LDLIBS += $(CL_LDLIBS)
# tests/opencl.test also runs the CLI built with OpenCL
tests: batchml-cl
endif

test-opencl: batchml build/tests/opencl $(if $(CL_HAVE_HEADERS),batchml-cl)
	@mkdir -p build; bash tests/opencl.test > build/test-opencl.out 2>&1; rc=$$?; cat build/test-opencl.out; \
	p=$$(grep -c '^PASS ' build/test-opencl.out); f=$$(grep -c '^FAIL ' build/test-opencl.out); \
	echo "$$p passed, $$f failed"; [ $$f -eq 0 ] && [ $$rc -eq 0 ]

bench-opencl: batchml build/bench/opencl_bench
	@bash bench/opencl.sh

clean: clean-opencl
clean-opencl:
	rm -f batchml-cl
