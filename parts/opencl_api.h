/* batchml.h part: the device API (included by batchml.h; do not include
   directly). Declares no OpenCL types: this part and the whole header stay
   free of OpenCL unless the implementation is compiled with BATCHML_OPENCL.

   DEVICES
     A model runs on the device named by bml_model_desc.device, else the
     environment variable BATCHML_DEVICE, else the CPU:
       "cpu"          the CPU path (OpenBLAS or the built-in GEMM)
       "opencl"       the first OpenCL GPU, else the first OpenCL device
       "opencl:P:D"   device D of platform P, as bml_device_list numbers them
       "auto"         the first OpenCL GPU when there is one, else the CPU path;
                      any device failure (no platform, a failed build, out of
                      device memory, also later in a batch) falls back to the
                      CPU path, said once in the log (bml_set_log)
     The OpenCL path needs a build with -DBATCHML_OPENCL and -lOpenCL (the
     ICD loader; `make opencl` builds ./batchml-cl). Weights are uploaded
     once per model (F32); kernels are compiled once per device and process
     and shared by the models on it (drivers keep their own on-disk cache:
     PoCL's ~/.cache/pocl). Per-batch device buffers grow geometrically.
     Results match the CPU path to float rounding (about 2e-7 max abs on
     normalized embeddings, 1e-5 relative on overlays, measured on PoCL) and
     never depend on batch composition: every kernel computes each output
     element the same way whatever the batch, so batched equals one at a
     time bitwise on a given device, in every mode (deterministic included).
     Errors name the device and the OpenCL error (BML_ERR_DEVICE):
       "OpenCL device opencl:0:0 'NAME' (PLATFORM): clEnqueueNDRangeKernel
        bml_gemm: CL_OUT_OF_RESOURCES (-5)"
     Environment (read at model load):
       BATCHML_OPENCL_BUILD_OPTIONS  extra clBuildProgram options
       BATCHML_OPENCL_MEM_LIMIT_MB   cap on the device memory a model may use
                                     (default: the device's global memory)
       BATCHML_OPENCL_GEMM=tiled|vec the GEMM kernel (default: vec on CPU
                                     devices such as PoCL, tiled on the rest)
       BATCHML_OPENCL_AUTO=any       "auto" takes any OpenCL device, not only GPUs
       BATCHML_OPENCL_PROFILE=1      time each kernel; the totals are logged
                                     (BML_LOG_INFO) when the model is freed */

/* One OpenCL device as bml_device_list finds it. */
typedef struct bml_device_info {
    char id[32];            /* "opencl:P:D", what bml_model_desc.device takes */
    int platform, device;   /* P and D                                         */
    char name[128];         /* CL_DEVICE_NAME                                  */
    char platform_name[128];/* CL_PLATFORM_NAME                                */
    char vendor[64];        /* CL_DEVICE_VENDOR                                */
    char version[64];       /* CL_DEVICE_VERSION ("OpenCL 3.0 CUDA", ...)      */
    char type[16];          /* "GPU", "CPU", "accelerator" or "other"         */
    uint64_t global_mem;    /* bytes                                           */
    uint64_t max_alloc;     /* bytes, the largest single buffer                */
    int compute_units;
} bml_device_info;

/* Fill out[0..cap) with the OpenCL devices of every platform, in
   "opencl:P:D" order. Returns how many exist (may exceed cap; 0 when the
   loader finds no platform), or -1 in a build without BATCHML_OPENCL. */
BMLDEF int bml_device_list(bml_device_info *out, int cap);

/* The listing `batchml info --devices` prints: a line for "cpu", one per
   OpenCL device, and what "auto" would pick, or why there is no OpenCL
   ("no OpenCL in this build", "no OpenCL platform: ..."). Written like
   snprintf into buf[cap] (always NUL-terminated when cap > 0); returns the
   full length. */
BMLDEF size_t bml_device_list_text(char *buf, size_t cap);

/* Where a model runs: "cpu", or "opencl:P:D NAME (PLATFORM)". */
BMLDEF const char *bml_model_device(const bml_model *m);

/* Without BATCHML_OPENCL the three are trivial and defined here, so that
   callers (the CLI's `info --devices`) build the same either way. */
#if defined(BATCHML_IMPLEMENTATION) && !defined(BATCHML_OPENCL) && !defined(BML__DEVICE_STUBS)
#define BML__DEVICE_STUBS
#include <stdio.h>
BMLDEF int bml_device_list(bml_device_info *out, int cap) {
    (void)out;
    (void)cap;
    return -1;
}
BMLDEF size_t bml_device_list_text(char *buf, size_t cap) {
    int n = snprintf(buf, cap,
                     "cpu          the CPU path (%s)\n"
                     "no OpenCL in this build (compile with -DBATCHML_OPENCL and link -lOpenCL: make opencl)\n",
                     bml_blas_info());
    return n < 0 ? 0 : (size_t)n;
}
BMLDEF const char *bml_model_device(const bml_model *m) {
    (void)m;
    return "cpu";
}
#endif
