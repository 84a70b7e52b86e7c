/* batchml.h part: the OpenCL device path (included by batchml.h's
   implementation under BATCHML_OPENCL, after the CPU forward and backward
   passes; do not include directly).

   The same job as the CPU path on an OpenCL device: the packed batch
   (tokens of all sequences one after another, no padding), the same
   layers, the same math, own kernels:
     bml_gemm        Y = X W^T + b (or X W, += for the backward), tiled in
                     local memory (GPUs), with the bias, GELU, GELU' and
                     residual accumulation fused into its epilogue
     bml_gemm_vec    the same on CPU devices (PoCL): 8 rows x 16 columns of
                     float16 registers per work-item, weights pre-transposed
                     for the forward (PoCL runs the tiled kernel ~5x slower)
     bml_embed_ln    x = LN0(alpha word[id] + pos[p] + type[0]), per token
     bml_add_ln      x = LN(x + y), per token (keeps xhat, 1/std for grads)
     bml_attn        softmax(q k^T / sqrt d) v per (head, token) on its own
                     sequence (keeps P)
     bml_pool        mean / cls / max / mean_sqrt_len + L2 normalize, per sequence
     backward: bml_pool_bwd, bml_ln_bwd, bml_attn_bwd_q, bml_attn_bwd_kv and
     the GEMMs (input gradients only, as bml__backward)
   Q, K and V are one GEMM with the three weights stacked ([3H, H]), so the
   backward's dq Wq + dk Wk + dv Wv is one GEMM too.

   Batch independence: every kernel computes each output element from its
   own row (token, sequence, (head, token)) with a fixed operation order
   (the GEMM accumulates k = 0..K-1 in order, reductions use a fixed tree
   over a fixed work-group size), so results never depend on which batch a
   sequence is in or where: batched == one at a time, bitwise, in every
   mode (m->deterministic needs nothing more on the device).

   State: one bml__cldev per device and process (context, program: the
   kernels compiled once), one bml__cl per model (queue, kernels, weights,
   per-batch buffers that grow geometrically). */

#ifndef CL_TARGET_OPENCL_VERSION
#define CL_TARGET_OPENCL_VERSION 120
#endif
#ifndef CL_USE_DEPRECATED_OPENCL_1_2_APIS
#define CL_USE_DEPRECATED_OPENCL_1_2_APIS /* clCreateCommandQueue, for 1.2 devices */
#endif
#ifdef __APPLE__
#include <OpenCL/opencl.h>
#else
#include <CL/cl.h>
#endif

/* ----------------------------------------------------------------------
   Kernels (OpenCL C 1.2). Compile-time constants from the build options:
   BML_RW   work-group size of the row kernels (a power of two)
   BML_RTS  GEMM work-group side; BML_WPT outputs per work-item and side;
   BML_TK   GEMM k-tile (the same in every configuration)
   ---------------------------------------------------------------------- */
static const char *const bml__cl_src[] = {
    "#ifdef cl_khr_fp64\n"
    "#pragma OPENCL EXTENSION cl_khr_fp64 : enable\n"
    "#define BML_ACC double\n"
    "#else\n"
    "#define BML_ACC float\n"
    "#endif\n"
    "#define BML_TS (BML_RTS * BML_WPT)\n"
    /* sum over the work-group (fixed tree) */
    "float bml_wsum(float v, __local float *red) {\n"
    "    int l = get_local_id(0), s;\n"
    "    red[l] = v;\n"
    "    barrier(CLK_LOCAL_MEM_FENCE);\n"
    "    for (s = BML_RW / 2; s > 0; s >>= 1) {\n"
    "        if (l < s) red[l] += red[l + s];\n"
    "        barrier(CLK_LOCAL_MEM_FENCE);\n"
    "    }\n"
    "    v = red[0];\n"
    "    barrier(CLK_LOCAL_MEM_FENCE);\n"
    "    return v;\n"
    "}\n"
    /* LayerNorm of one row in place; xhat, rstd may be 0 */
    "void bml_ln_row(__global float *x, __global const float *g, __global const float *b,\n"
    "                __global float *xhat, __global float *rstd, int H, float eps, __local float *red) {\n"
    "    int l = get_local_id(0), i;\n"
    "    float s = 0.0f, mean, r;\n"
    "    for (i = l; i < H; i += BML_RW) s += x[i];\n"
    "    mean = bml_wsum(s, red) / (float)H;\n"
    "    s = 0.0f;\n"
    "    for (i = l; i < H; i += BML_RW) { float d = x[i] - mean; s += d * d; }\n"
    "    r = 1.0f / sqrt(bml_wsum(s, red) / (float)H + eps);\n"
    "    for (i = l; i < H; i += BML_RW) {\n"
    "        float xh = (x[i] - mean) * r;\n"
    "        if (xhat) xhat[i] = xh;\n"
    "        x[i] = xh * g[i] + b[i];\n"
    "    }\n"
    "    if (rstd && l == 0) *rstd = r;\n"
    "}\n"
    "float bml_gelu(float u) { return 0.5f * u * (1.0f + erf(u * 0.70710678118654752f)); }\n"
    "float bml_dgelu(float u) {\n"
    "    return 0.5f * (1.0f + erf(u * 0.70710678118654752f)) + u * 0.39894228040143268f * exp(-0.5f * u * u);\n"
    "}\n"
    /* the GEMM epilogue: v = acc (+ bias[n]) (+ C) (* gelu'(U)); C = v if C; G = gelu(v) if G */
    "void bml_epi(float v, size_t o, int n, __global const float *bias, __global const float *U, int accum,\n"
    "             __global float *C, __global float *G) {\n"
    "    if (bias) v += bias[n];\n"
    "    if (accum) v = C[o] + v;\n"
    "    if (U) v *= bml_dgelu(U[o]);\n"
    "    if (C) C[o] = v;\n"
    "    if (G) G[o] = bml_gelu(v);\n"
    "}\n",

    /* meta (int): ids[T], seq of each token[T], start[S], len[S] */
    "__kernel void bml_embed_ln(__global const int *meta, int T, __global const float *alpha,\n"
    "        __global const float *word, __global const float *pos, __global const float *type,\n"
    "        __global const float *g, __global const float *b, __global float *x,\n"
    "        __global float *xhat, __global float *rstd, int H, float eps) {\n"
    "    __local float red[BML_RW];\n"
    "    int t = get_group_id(0), l = get_local_id(0), i;\n"
    "    int id = meta[t], s = meta[T + t], p = t - meta[2 * T + s];\n"
    "    float a = alpha ? alpha[s] : 1.0f;\n"
    "    __global float *xr = x + (size_t)t * H;\n"
    "    __global const float *w = word + (size_t)id * H, *ps = pos + (size_t)p * H;\n"
    "    for (i = l; i < H; i += BML_RW) xr[i] = a * w[i] + ps[i] + type[i];\n"
    "    bml_ln_row(xr, g, b, xhat ? xhat + (size_t)t * H : 0, rstd ? rstd + t : 0, H, eps, red);\n"
    "}\n"
    /* x = LN(x + y) */
    "__kernel void bml_add_ln(__global float *x, __global const float *y, __global const float *g,\n"
    "        __global const float *b, __global float *xhat, __global float *rstd, int H, float eps) {\n"
    "    __local float red[BML_RW];\n"
    "    int t = get_group_id(0), l = get_local_id(0), i;\n"
    "    __global float *xr = x + (size_t)t * H;\n"
    "    __global const float *yr = y + (size_t)t * H;\n"
    "    for (i = l; i < H; i += BML_RW) xr[i] += yr[i];\n"
    "    bml_ln_row(xr, g, b, xhat ? xhat + (size_t)t * H : 0, rstd ? rstd + t : 0, H, eps, red);\n"
    "}\n"
    /* dy -> dx through LN, in place: dx = rstd (dy g - mean(dy g) - xhat mean(dy g xhat)) */
    "__kernel void bml_ln_bwd(__global float *dx, __global const float *g, __global const float *xhat,\n"
    "        __global const float *rstd, int H) {\n"
    "    __local float red[BML_RW];\n"
    "    int t = get_group_id(0), l = get_local_id(0), i;\n"
    "    __global float *d = dx + (size_t)t * H;\n"
    "    __global const float *xh = xhat + (size_t)t * H;\n"
    "    float s1 = 0.0f, s2 = 0.0f, m1, m2, r = rstd[t];\n"
    "    for (i = l; i < H; i += BML_RW) s1 += d[i] * g[i];\n"
    "    for (i = l; i < H; i += BML_RW) s2 += d[i] * g[i] * xh[i];\n"
    "    m1 = bml_wsum(s1, red) / (float)H;\n"
    "    m2 = bml_wsum(s2, red) / (float)H;\n"
    "    for (i = l; i < H; i += BML_RW) d[i] = r * (d[i] * g[i] - m1 - xh[i] * m2);\n"
    "}\n",

    /* C[M,N] (+)= A[M,K] . op(B) with op(B) = B^T for B [N,K] (transB), B for
       B [K,N]; epilogue v = acc (+ bias[n]) (+ C) (* gelu'(U)); C = v if C;
       G = gelu(v) if G. Each output: acc over k = 0..K-1 in order. */
    "__kernel __attribute__((reqd_work_group_size(BML_RTS, BML_RTS, 1)))\n"
    "void bml_gemm(int M, int N, int K, __global const float *A, __global const float *B, int transB,\n"
    "        __global const float *bias, __global const float *U, int accum,\n"
    "        __global float *C, __global float *G) {\n"
    "    __local float As[BML_TK][BML_TS + 1];\n"
    "    __local float Bs[BML_TK][BML_TS + 1];\n"
    "    float acc[BML_WPT][BML_WPT], a[BML_WPT], bb[BML_WPT];\n"
    "    int tx = get_local_id(0), ty = get_local_id(1), tid = ty * BML_RTS + tx;\n"
    "    int n0 = get_group_id(0) * BML_TS, m0 = get_group_id(1) * BML_TS;\n"
    "    int i, j, k, k0, e;\n"
    "    for (i = 0; i < BML_WPT; i++) for (j = 0; j < BML_WPT; j++) acc[i][j] = 0.0f;\n"
    "    for (k0 = 0; k0 < K; k0 += BML_TK) {\n"
    "        for (e = tid; e < BML_TS * BML_TK; e += BML_RTS * BML_RTS) {\n"
    "            int r = e / BML_TK, c = e % BML_TK, gk = k0 + c, gm = m0 + r, gn = n0 + r;\n"
    "            As[c][r] = gm < M && gk < K ? A[(size_t)gm * K + gk] : 0.0f;\n"
    "            if (transB) {\n"
    "                Bs[c][r] = gn < N && gk < K ? B[(size_t)gn * K + gk] : 0.0f;\n"
    "            } else {\n"
    "                int c2 = e / BML_TS, r2 = e % BML_TS, gk2 = k0 + c2, gn2 = n0 + r2;\n"
    "                Bs[c2][r2] = gn2 < N && gk2 < K ? B[(size_t)gk2 * N + gn2] : 0.0f;\n"
    "            }\n"
    "        }\n"
    "        barrier(CLK_LOCAL_MEM_FENCE);\n"
    "        for (k = 0; k < BML_TK; k++) {\n"
    "            for (i = 0; i < BML_WPT; i++) a[i] = As[k][ty + i * BML_RTS];\n"
    "            for (j = 0; j < BML_WPT; j++) bb[j] = Bs[k][tx + j * BML_RTS];\n"
    "            for (i = 0; i < BML_WPT; i++)\n"
    "                for (j = 0; j < BML_WPT; j++) acc[i][j] = a[i] * bb[j] + acc[i][j];\n"
    "        }\n"
    "        barrier(CLK_LOCAL_MEM_FENCE);\n"
    "    }\n"
    "    for (i = 0; i < BML_WPT; i++) {\n"
    "        int m = m0 + ty + i * BML_RTS;\n"
    "        if (m >= M) continue;\n"
    "        for (j = 0; j < BML_WPT; j++) {\n"
    "            int n = n0 + tx + j * BML_RTS;\n"
    "            if (n < N) bml_epi(acc[i][j], (size_t)m * N + n, n, bias, U, accum, C, G);\n"
    "        }\n"
    "    }\n"
    "}\n"
    /* The same product for CPU devices, B always [K,N]: each work-item 8 rows
       x 16 columns in float16 registers (PoCL vectorizes this well, the
       tiled kernel badly). Each output: acc over k = 0..K-1 in order. */
    "__kernel void bml_gemm_vec(int M, int N, int K, __global const float *A, __global const float *B,\n"
    "        __global const float *bias, __global const float *U, int accum,\n"
    "        __global float *C, __global float *G) {\n"
    "    int n0 = get_global_id(0) * 16, m0 = get_global_id(1) * 8, r, k, j;\n"
    "    float16 acc[8];\n"
    "    __global const float *a[8];\n"
    "    for (r = 0; r < 8; r++) { a[r] = A + (size_t)min(m0 + r, M - 1) * K; acc[r] = (float16)(0.0f); }\n"
    "    if (n0 >= N) return;\n"
    "    if (n0 + 16 <= N) {\n"
    "        for (k = 0; k < K; k++) {\n"
    "            float16 bv = vload16(0, B + (size_t)k * N + n0);\n"
    "            for (r = 0; r < 8; r++) acc[r] = (float16)(a[r][k]) * bv + acc[r];\n"
    "        }\n"
    "        for (r = 0; r < 8 && m0 + r < M; r++) {\n"
    "            float v[16];\n"
    "            vstore16(acc[r], 0, v);\n"
    "            for (j = 0; j < 16; j++) bml_epi(v[j], (size_t)(m0 + r) * N + n0 + j, n0 + j, bias, U, accum, C, G);\n"
    "        }\n"
    "    } else {\n"
    "        for (j = n0; j < N; j++)\n"
    "            for (r = 0; r < 8 && m0 + r < M; r++) {\n"
    "                float s = 0.0f;\n"
    "                for (k = 0; k < K; k++) s = a[r][k] * B[(size_t)k * N + j] + s;\n"
    "                bml_epi(s, (size_t)(m0 + r) * N + j, j, bias, U, accum, C, G);\n"
    "            }\n"
    "    }\n"
    "}\n",

    /* Attention of one (head h, token t) row on its sequence. qkv [T, 3H]
       (q | k | v), ctx [T,H]; P of sequence s, head h at poff[s] + h L L. */
    "__kernel void bml_attn(__global const int *meta, int T, int S, __global const long *poff,\n"
    "        __global const float *qkv, __global float *ctx, __global float *P, int H, int A, float scale) {\n"
    "    int gid = get_global_id(0), h, t, s, t0, L, i, j, c, d = H / A, H3 = 3 * H;\n"
    "    __global const float *q, *kb, *vb;\n"
    "    __global float *pr;\n"
    "    float mx = -INFINITY, sum = 0.0f;\n"
    "    if (gid >= A * T) return;\n"
    "    h = gid / T; t = gid % T; s = meta[T + t]; t0 = meta[2 * T + s]; L = meta[2 * T + S + s]; i = t - t0;\n"
    "    q = qkv + (size_t)t * H3 + h * d;\n"
    "    kb = qkv + (size_t)t0 * H3 + H + h * d;\n"
    "    vb = qkv + (size_t)t0 * H3 + 2 * H + h * d;\n"
    "    pr = P + poff[s] + ((long)h * L + i) * L;\n"
    "    for (j = 0; j < L; j++) {\n"
    "        __global const float *k = kb + (size_t)j * H3;\n"
    "        float acc = 0.0f;\n"
    "        for (c = 0; c < d; c++) acc = q[c] * k[c] + acc;\n"
    "        acc *= scale;\n"
    "        pr[j] = acc;\n"
    "        mx = fmax(mx, acc);\n"
    "    }\n"
    "    for (j = 0; j < L; j++) { float e = exp(pr[j] - mx); pr[j] = e; sum += e; }\n"
    "    sum = 1.0f / sum;\n"
    "    for (j = 0; j < L; j++) pr[j] *= sum;\n"
    "    for (c = 0; c < d; c++) {\n"
    "        float acc = 0.0f;\n"
    "        for (j = 0; j < L; j++) acc = pr[j] * vb[(size_t)j * H3 + c] + acc;\n"
    "        ctx[(size_t)t * H + h * d + c] = acc;\n"
    "    }\n"
    "}\n"
    /* Backward, per query row i: dP = dctx v^T, dS = P (dP - rowsum(dP P)) scale
       (into dS, P's layout), dq = dS k (into dqkv [T,3H]). */
    "__kernel void bml_attn_bwd_q(__global const int *meta, int T, int S, __global const long *poff,\n"
    "        __global const float *qkv, __global const float *dctx, __global const float *P,\n"
    "        __global float *dS, __global float *dqkv, int H, int A, float scale) {\n"
    "    int gid = get_global_id(0), h, t, s, t0, L, i, j, c, d = H / A, H3 = 3 * H;\n"
    "    __global const float *dc, *kb, *vb, *pr;\n"
    "    __global float *ds;\n"
    "    float dot = 0.0f;\n"
    "    if (gid >= A * T) return;\n"
    "    h = gid / T; t = gid % T; s = meta[T + t]; t0 = meta[2 * T + s]; L = meta[2 * T + S + s]; i = t - t0;\n"
    "    dc = dctx + (size_t)t * H + h * d;\n"
    "    kb = qkv + (size_t)t0 * H3 + H + h * d;\n"
    "    vb = qkv + (size_t)t0 * H3 + 2 * H + h * d;\n"
    "    pr = P + poff[s] + ((long)h * L + i) * L;\n"
    "    ds = dS + poff[s] + ((long)h * L + i) * L;\n"
    "    for (j = 0; j < L; j++) {\n"
    "        __global const float *v = vb + (size_t)j * H3;\n"
    "        float acc = 0.0f;\n"
    "        for (c = 0; c < d; c++) acc = dc[c] * v[c] + acc;\n"
    "        ds[j] = acc;\n"
    "        dot = acc * pr[j] + dot;\n"
    "    }\n"
    "    for (j = 0; j < L; j++) ds[j] = pr[j] * (ds[j] - dot) * scale;\n"
    "    for (c = 0; c < d; c++) {\n"
    "        float acc = 0.0f;\n"
    "        for (j = 0; j < L; j++) acc = ds[j] * kb[(size_t)j * H3 + c] + acc;\n"
    "        dqkv[(size_t)t * H3 + h * d + c] = acc;\n"
    "    }\n"
    "}\n",

    /* Backward, per key row j: dk = dS^T q, dv = P^T dctx (into dqkv). */
    "__kernel void bml_attn_bwd_kv(__global const int *meta, int T, int S, __global const long *poff,\n"
    "        __global const float *qkv, __global const float *dctx, __global const float *P,\n"
    "        __global const float *dS, __global float *dqkv, int H, int A) {\n"
    "    int gid = get_global_id(0), h, t, s, t0, L, i, j, c, d = H / A, H3 = 3 * H;\n"
    "    __global const float *pc, *dsc;\n"
    "    if (gid >= A * T) return;\n"
    "    h = gid / T; t = gid % T; s = meta[T + t]; t0 = meta[2 * T + s]; L = meta[2 * T + S + s]; j = t - t0;\n"
    "    pc = P + poff[s] + (long)h * L * L + j;\n"
    "    dsc = dS + poff[s] + (long)h * L * L + j;\n"
    "    for (c = 0; c < d; c++) {\n"
    "        float ak = 0.0f, av = 0.0f;\n"
    "        for (i = 0; i < L; i++) {\n"
    "            size_t r = (size_t)(t0 + i) * H3 + h * d + c;\n"
    "            ak = dsc[(long)i * L] * qkv[r] + ak;\n"
    "            av = pc[(long)i * L] * dctx[(size_t)(t0 + i) * H + h * d + c] + av;\n"
    "        }\n"
    "        dqkv[(size_t)t * H3 + H + h * d + c] = ak;\n"
    "        dqkv[(size_t)t * H3 + 2 * H + h * d + c] = av;\n"
    "    }\n"
    "}\n",

    /* Pool sequence s (a work-group) into out[s] (and pooled[s] before the
       normalization). mode: 0 mean, 1 cls, 2 max, 3 mean_sqrt_len. (No
       barrier under a condition, even a uniform one: PoCL 3.1 crashes.) */
    "__kernel void bml_pool(__global const int *meta, int T, int S, __global const float *x,\n"
    "        __global float *out, __global float *pooled, int H, int mode, int normalize) {\n"
    "    __local float red[BML_RW];\n"
    "    int s = get_group_id(0), l = get_local_id(0), t0 = meta[2 * T + s], L = meta[2 * T + S + s], i, p;\n"
    "    __global const float *xs = x + (size_t)t0 * H;\n"
    "    __global float *o = out + (size_t)s * H;\n"
    "    float n2 = 0.0f;\n"
    "    for (i = l; i < H; i += BML_RW) {\n"
    "        float v = xs[i];\n"
    "        if (mode == 2) {\n"
    "            for (p = 1; p < L; p++) { float w = xs[(size_t)p * H + i]; v = w > v ? w : v; }\n"
    "        } else if (mode != 1) {\n"
    "            BML_ACC acc = 0;\n"
    "            for (p = 0; p < L; p++) acc += xs[(size_t)p * H + i];\n"
    "            v = (float)(acc * (mode == 0 ? (BML_ACC)1 / (BML_ACC)L : (BML_ACC)1 / sqrt((BML_ACC)L)));\n"
    "        }\n"
    "        if (pooled) pooled[(size_t)s * H + i] = v;\n"
    "        o[i] = v;\n"
    "        n2 += v * v;\n"
    "    }\n"
    "    n2 = sqrt(bml_wsum(n2, red));\n"
    "    n2 = 1.0f / (n2 > 1e-12f ? n2 : 1e-12f);\n"
    "    if (normalize) for (i = l; i < H; i += BML_RW) o[i] *= n2;\n"
    "}\n"
    /* df/de (de[s]) back through normalize and pooling into dx rows of s. */
    "__kernel void bml_pool_bwd(__global const int *meta, int T, int S, __global const float *x,\n"
    "        __global const float *out, __global const float *pooled, __global const float *de,\n"
    "        __global float *dx, int H, int mode, int normalize) {\n"
    "    __local float red[BML_RW];\n"
    "    int s = get_group_id(0), l = get_local_id(0), t0 = meta[2 * T + s], L = meta[2 * T + S + s], i, p;\n"
    "    __global const float *e = out + (size_t)s * H, *u = pooled + (size_t)s * H, *g = de + (size_t)s * H;\n"
    "    __global const float *xs = x + (size_t)t0 * H;\n"
    "    __global float *d = dx + (size_t)t0 * H;\n"
    "    float n2 = 0.0f, dot = 0.0f;\n"
    "    for (i = l; i < H; i += BML_RW) { n2 += u[i] * u[i]; dot += e[i] * g[i]; }\n"
    "    n2 = sqrt(bml_wsum(n2, red));\n"
    "    dot = bml_wsum(dot, red);\n"
    "    for (i = l; i < H; i += BML_RW) {\n"
    "        float du = g[i], sc;\n"
    "        int arg = 0;\n"
    "        if (normalize) du = n2 > 1e-12f ? (g[i] - e[i] * dot) / n2 : g[i] / 1e-12f;\n"
    "        if (mode == 2)\n"
    "            for (p = 1; p < L; p++) if (xs[(size_t)p * H + i] > xs[(size_t)arg * H + i]) arg = p;\n"
    "        sc = mode == 0 ? 1.0f / (float)L : 1.0f / sqrt((float)L);\n"
    "        for (p = 0; p < L; p++) {\n"
    "            float v = mode == 1 || mode == 2 ? (p == arg ? du : 0.0f) : du * sc;\n"
    "            d[(size_t)p * H + i] = v;\n"
    "        }\n"
    "    }\n"
    "}\n",
};

enum {
    BML__K_EMBED_LN, BML__K_ADD_LN, BML__K_LN_BWD, BML__K_GEMM, BML__K_ATTN, BML__K_ATTN_BWD_Q, BML__K_ATTN_BWD_KV,
    BML__K_POOL, BML__K_POOL_BWD, BML__K_GEMM_VEC, BML__K_COUNT
};
static const char *const bml__cl_knames[BML__K_COUNT] = {
    "bml_embed_ln", "bml_add_ln", "bml_ln_bwd", "bml_gemm", "bml_attn", "bml_attn_bwd_q", "bml_attn_bwd_kv",
    "bml_pool", "bml_pool_bwd", "bml_gemm_vec"};

/* ----------------------------------------------------------------------
   Errors
   ---------------------------------------------------------------------- */

static const char *bml__cl_errname(cl_int e) {
    switch (e) {
#define BML__E(x) case x: return #x;
    BML__E(CL_SUCCESS) BML__E(CL_DEVICE_NOT_FOUND) BML__E(CL_DEVICE_NOT_AVAILABLE) BML__E(CL_COMPILER_NOT_AVAILABLE)
    BML__E(CL_MEM_OBJECT_ALLOCATION_FAILURE) BML__E(CL_OUT_OF_RESOURCES) BML__E(CL_OUT_OF_HOST_MEMORY)
    BML__E(CL_PROFILING_INFO_NOT_AVAILABLE) BML__E(CL_MEM_COPY_OVERLAP) BML__E(CL_IMAGE_FORMAT_MISMATCH)
    BML__E(CL_IMAGE_FORMAT_NOT_SUPPORTED) BML__E(CL_BUILD_PROGRAM_FAILURE) BML__E(CL_MAP_FAILURE)
    BML__E(CL_MISALIGNED_SUB_BUFFER_OFFSET) BML__E(CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST)
    BML__E(CL_COMPILE_PROGRAM_FAILURE) BML__E(CL_LINKER_NOT_AVAILABLE) BML__E(CL_LINK_PROGRAM_FAILURE)
    BML__E(CL_DEVICE_PARTITION_FAILED) BML__E(CL_KERNEL_ARG_INFO_NOT_AVAILABLE)
    BML__E(CL_INVALID_VALUE) BML__E(CL_INVALID_DEVICE_TYPE) BML__E(CL_INVALID_PLATFORM) BML__E(CL_INVALID_DEVICE)
    BML__E(CL_INVALID_CONTEXT) BML__E(CL_INVALID_QUEUE_PROPERTIES) BML__E(CL_INVALID_COMMAND_QUEUE)
    BML__E(CL_INVALID_HOST_PTR) BML__E(CL_INVALID_MEM_OBJECT) BML__E(CL_INVALID_IMAGE_FORMAT_DESCRIPTOR)
    BML__E(CL_INVALID_IMAGE_SIZE) BML__E(CL_INVALID_SAMPLER) BML__E(CL_INVALID_BINARY) BML__E(CL_INVALID_BUILD_OPTIONS)
    BML__E(CL_INVALID_PROGRAM) BML__E(CL_INVALID_PROGRAM_EXECUTABLE) BML__E(CL_INVALID_KERNEL_NAME)
    BML__E(CL_INVALID_KERNEL_DEFINITION) BML__E(CL_INVALID_KERNEL) BML__E(CL_INVALID_ARG_INDEX)
    BML__E(CL_INVALID_ARG_VALUE) BML__E(CL_INVALID_ARG_SIZE) BML__E(CL_INVALID_KERNEL_ARGS)
    BML__E(CL_INVALID_WORK_DIMENSION) BML__E(CL_INVALID_WORK_GROUP_SIZE) BML__E(CL_INVALID_WORK_ITEM_SIZE)
    BML__E(CL_INVALID_GLOBAL_OFFSET) BML__E(CL_INVALID_EVENT_WAIT_LIST) BML__E(CL_INVALID_EVENT)
    BML__E(CL_INVALID_OPERATION) BML__E(CL_INVALID_GL_OBJECT) BML__E(CL_INVALID_BUFFER_SIZE)
    BML__E(CL_INVALID_MIP_LEVEL) BML__E(CL_INVALID_GLOBAL_WORK_SIZE) BML__E(CL_INVALID_PROPERTY)
    BML__E(CL_INVALID_IMAGE_DESCRIPTOR) BML__E(CL_INVALID_COMPILER_OPTIONS) BML__E(CL_INVALID_LINKER_OPTIONS)
    BML__E(CL_INVALID_DEVICE_PARTITION_COUNT)
#undef BML__E
    case -1001: return "CL_PLATFORM_NOT_FOUND_KHR";
    default: return "CL_UNKNOWN_ERROR";
    }
}

/* One OpenCL device of this process: its context and compiled program. */
typedef struct bml__cldev {
    struct bml__cldev *next;
    cl_platform_id plat;
    cl_device_id dev;
    cl_context ctx;
    cl_program prog;
    char opts[512];         /* the build options it was compiled with      */
    char extra[256];        /* BATCHML_OPENCL_BUILD_OPTIONS then            */
    char label[320];        /* "opencl:P:D 'NAME' (PLATFORM)"              */
    char desc[320];         /* "opencl:P:D NAME (PLATFORM)"                */
    int rw, rts, wpt, tk;   /* kernel shape constants                      */
    cl_ulong global_mem, max_alloc;
} bml__cldev;

static bml__cldev *bml__cl_devs;                 /* never freed: the cache */
static pthread_mutex_t bml__cl_lock = PTHREAD_MUTEX_INITIALIZER;
static int bml__cl_fallback_said;

typedef struct bml__clbuf { cl_mem mem; size_t cap; } bml__clbuf; /* cap in bytes */

/* One layer's weights as stored ([out, in]; Q, K, V stacked), and for the
   vec GEMM (CPU devices) the forward's transposed copies ([in, out]). */
typedef struct bml__cllayer {
    cl_mem wqkv, bqkv, wo, bo, ln1_g, ln1_b, w1, b1, w2, b2, ln2_g, ln2_b;
    cl_mem wqkv_t, wo_t, w1_t, w2_t;
} bml__cllayer;

/* What one layer's backward needs, kept on the device in grad mode. */
typedef struct bml__clsave { bml__clbuf qkv, P, xhat1, rstd1, u, xhat2, rstd2; } bml__clsave;

typedef struct bml__cl {
    bml__cldev *d;
    cl_command_queue q;
    cl_kernel k[BML__K_COUNT];
    int is_auto;
    int vec;                        /* GEMMs by bml_gemm_vec (CPU devices)  */
    size_t mem_used, mem_limit;     /* bytes of device memory held / allowed */
    cl_mem word, pos, type, ln0_g, ln0_b;
    bml__cllayer *layer;
    /* per batch */
    bml__clbuf meta, poff, alpha, x, qkv, ctx, tmp, ffn, P, out, pooled, de, dx, xhat0, rstd0;
    bml__clsave *save;
    int *hmeta;                     /* host staging                        */
    cl_long *hpoff;
    size_t hcap_meta, hcap_poff;
    int grad_ready;                 /* the last forward kept what backward needs */
    int prof;                       /* BATCHML_OPENCL_PROFILE: time each kernel */
    double prof_ns[BML__K_COUNT], gemm_flops;
    size_t prof_n[BML__K_COUNT];
} bml__cl;

/* An error naming the device and the OpenCL error. */
static bml_status bml__cl_err(const bml__cldev *d, cl_int e, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static bml_status bml__cl_err(const bml__cldev *d, cl_int e, const char *fmt, ...) {
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (e == CL_SUCCESS) return bml__fail(BML_ERR_DEVICE, "OpenCL device %s: %s", d ? d->label : "?", what);
    return bml__fail(BML_ERR_DEVICE, "OpenCL device %s: %s: %s (%d)", d ? d->label : "?", what, bml__cl_errname(e), (int)e);
}

/* ----------------------------------------------------------------------
   Platforms and devices
   ---------------------------------------------------------------------- */

#define BML__CL_MAXP 16
#define BML__CL_MAXD 64

/* Every platform (none is not an error: the ICD loader's
   CL_PLATFORM_NOT_FOUND_KHR gives *np = 0). */
static cl_int bml__cl_platforms(cl_platform_id *plats, cl_uint *np) {
    cl_int e = clGetPlatformIDs(BML__CL_MAXP, plats, np);
    if (e == -1001 /* CL_PLATFORM_NOT_FOUND_KHR: the ICD loader found none */) { *np = 0; return CL_SUCCESS; }
    if (e != CL_SUCCESS) *np = 0;
    if (*np > BML__CL_MAXP) *np = BML__CL_MAXP;
    return e;
}

static cl_uint bml__cl_devices(cl_platform_id p, cl_device_id *devs) {
    cl_uint nd = 0;
    if (clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, BML__CL_MAXD, devs, &nd) != CL_SUCCESS) return 0;
    return nd > BML__CL_MAXD ? BML__CL_MAXD : nd;
}

/* A string property, cut to fit (the call fails outright on a short buffer). */
static void bml__cl_str(cl_platform_id p, cl_device_id dv, cl_uint what, char *out, size_t cap) {
    char buf[1024];
    size_t n = 0;
    cl_int e = p ? clGetPlatformInfo(p, what, sizeof buf - 1, buf, &n) : clGetDeviceInfo(dv, what, sizeof buf - 1, buf, &n);
    if (e != CL_SUCCESS) n = 0;
    buf[n < sizeof buf ? n : sizeof buf - 1] = 0;
    n = strlen(buf);
    while (n && buf[n - 1] == ' ') buf[--n] = 0;
    snprintf(out, cap, "%s", buf);
}

static void bml__cl_info(cl_platform_id p, cl_device_id dv, int pi, int di, bml_device_info *o) {
    cl_device_type t = 0;
    cl_ulong u = 0;
    cl_uint cu = 0;
    memset(o, 0, sizeof *o);
    snprintf(o->id, sizeof o->id, "opencl:%d:%d", pi, di);
    o->platform = pi;
    o->device = di;
    bml__cl_str(NULL, dv, CL_DEVICE_NAME, o->name, sizeof o->name);
    bml__cl_str(p, NULL, CL_PLATFORM_NAME, o->platform_name, sizeof o->platform_name);
    bml__cl_str(NULL, dv, CL_DEVICE_VENDOR, o->vendor, sizeof o->vendor);
    bml__cl_str(NULL, dv, CL_DEVICE_VERSION, o->version, sizeof o->version);
    clGetDeviceInfo(dv, CL_DEVICE_TYPE, sizeof t, &t, NULL);
    snprintf(o->type, sizeof o->type, "%s", (t & CL_DEVICE_TYPE_GPU) ? "GPU" : (t & CL_DEVICE_TYPE_CPU) ? "CPU"
                                            : (t & CL_DEVICE_TYPE_ACCELERATOR) ? "accelerator" : "other");
    if (clGetDeviceInfo(dv, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof u, &u, NULL) == CL_SUCCESS) o->global_mem = u;
    if (clGetDeviceInfo(dv, CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof u, &u, NULL) == CL_SUCCESS) o->max_alloc = u;
    if (clGetDeviceInfo(dv, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof cu, &cu, NULL) == CL_SUCCESS) o->compute_units = (int)cu;
}

BMLDEF int bml_device_list(bml_device_info *out, int cap) {
    cl_platform_id plats[BML__CL_MAXP];
    cl_device_id devs[BML__CL_MAXD];
    cl_uint np = 0, pi, di, nd;
    int n = 0;
    if (bml__cl_platforms(plats, &np) != CL_SUCCESS) return 0;
    for (pi = 0; pi < np; pi++) {
        nd = bml__cl_devices(plats[pi], devs);
        for (di = 0; di < nd; di++, n++)
            if (out && n < cap) bml__cl_info(plats[pi], devs[di], (int)pi, (int)di, &out[n]);
    }
    return n;
}

/* Append to a snprintf-style buffer. */
static void bml__cl_cat(char *buf, size_t cap, size_t *len, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
static void bml__cl_cat(char *buf, size_t cap, size_t *len, const char *fmt, ...) {
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(*len < cap ? buf + *len : NULL, *len < cap ? cap - *len : 0, fmt, ap);
    va_end(ap);
    if (n > 0) *len += (size_t)n;
}

BMLDEF size_t bml_device_list_text(char *buf, size_t cap) {
    cl_platform_id plats[BML__CL_MAXP];
    cl_uint np = 0;
    cl_int e;
    bml_device_info info[BML__CL_MAXD];
    int n, i, gpu = -1;
    size_t len = 0;
    if (buf && cap) buf[0] = 0;
    if (!buf) cap = 0;
    bml__cl_cat(buf, cap, &len, "cpu          the CPU path (%s)\n", bml_blas_info());
    e = bml__cl_platforms(plats, &np);
    if (e != CL_SUCCESS || np == 0) {
        bml__cl_cat(buf, cap, &len, "no OpenCL platform (clGetPlatformIDs: %s; is an ICD installed in /etc/OpenCL/vendors?)\n",
                    e != CL_SUCCESS ? bml__cl_errname(e) : "CL_PLATFORM_NOT_FOUND_KHR");
        bml__cl_cat(buf, cap, &len, "auto      -> cpu\n");
        return len;
    }
    n = bml_device_list(info, BML__CL_MAXD);
    if (n > BML__CL_MAXD) n = BML__CL_MAXD;
    for (i = 0; i < n; i++) {
        const bml_device_info *d = &info[i];
        bml__cl_cat(buf, cap, &len, "%-12s %-4s %s  [%s; %s; %d compute units; %.1f GiB, max buffer %.1f GiB]\n", d->id,
                    d->type, d->name, d->platform_name, d->version, d->compute_units, (double)d->global_mem / 1073741824.0,
                    (double)d->max_alloc / 1073741824.0);
        if (gpu < 0 && !strcmp(d->type, "GPU")) gpu = i;
    }
    if (n == 0) bml__cl_cat(buf, cap, &len, "no OpenCL device (%u platform%s, none with a device)\n", np, np == 1 ? "" : "s");
    if (gpu >= 0) bml__cl_cat(buf, cap, &len, "auto      -> %s\n", info[gpu].id);
    else bml__cl_cat(buf, cap, &len, "auto      -> cpu (no OpenCL GPU)\n");
    return len;
}

BMLDEF const char *bml_model_device(const bml_model *m) {
    const bml__cl *c = m ? (const bml__cl *)m->cl : NULL;
    return c ? c->d->desc : "cpu";
}

/* ----------------------------------------------------------------------
   The per-device cache: context and program, built once
   ---------------------------------------------------------------------- */

static bml_status bml__cl_build(bml__cldev *d, const char *extra, int quiet) {
    cl_int e;
    size_t sz = 0;
    const size_t nsrc = sizeof bml__cl_src / sizeof bml__cl_src[0];
    snprintf(d->opts, sizeof d->opts, "-DBML_RW=%d -DBML_RTS=%d -DBML_WPT=%d -DBML_TK=%d%s%s", d->rw, d->rts, d->wpt,
             d->tk, extra && extra[0] ? " " : "", extra ? extra : "");
    d->prog = clCreateProgramWithSource(d->ctx, (cl_uint)nsrc, (const char **)bml__cl_src, NULL, &e);
    if (e != CL_SUCCESS) return bml__cl_err(d, e, "clCreateProgramWithSource");
    e = clBuildProgram(d->prog, 1, &d->dev, d->opts, NULL, NULL);
    if (e != CL_SUCCESS) {
        char *log = NULL, first[200];
        size_t i;
        first[0] = 0;
        if (clGetProgramBuildInfo(d->prog, d->dev, CL_PROGRAM_BUILD_LOG, 0, NULL, &sz) == CL_SUCCESS && sz > 1 &&
            (log = (char *)BML_MALLOC(sz + 1)) != NULL &&
            clGetProgramBuildInfo(d->prog, d->dev, CL_PROGRAM_BUILD_LOG, sz, log, NULL) == CL_SUCCESS) {
            log[sz] = 0;
            bml__log(quiet ? BML_LOG_DEBUG : BML_LOG_ERROR, "OpenCL device %s: build log (options '%s'):\n%s", d->label, d->opts, log);
            for (i = 0; log[i] && i + 1 < sizeof first; i++) first[i] = log[i] == '\n' ? ' ' : log[i];
            first[i] = 0;
        }
        BML_FREE(log);
        clReleaseProgram(d->prog);
        d->prog = NULL;
        return bml__cl_err(d, e, "building the kernels failed (options '%s')%s%s", d->opts, first[0] ? ": " : "", first);
    }
    return BML_OK;
}

/* The cached device entry for (platform P, device D), created and built on
   first use. Called with bml__cl_lock held. */
static bml_status bml__cl_dev_get(cl_platform_id plat, cl_device_id dev, int pi, int di, int quiet, bml__cldev **out) {
    bml__cldev *d;
    bml_device_info info;
    const char *extra = getenv("BATCHML_OPENCL_BUILD_OPTIONS");
    cl_int e;
    size_t maxwg = 0, lmem = 0;
    cl_ulong lm = 0;
    cl_context_properties props[3];
    bml_status rc;
    if (!extra) extra = "";
    for (d = bml__cl_devs; d; d = d->next)
        if (d->dev == dev && !strcmp(d->extra, extra)) {
            *out = d;
            return BML_OK;
        }
    d = (bml__cldev *)bml__calloc(1, sizeof *d);
    if (!d) return bml__fail(BML_ERR_NOMEM, "out of memory");
    d->plat = plat;
    d->dev = dev;
    snprintf(d->extra, sizeof d->extra, "%s", extra);
    bml__cl_info(plat, dev, pi, di, &info);
    snprintf(d->label, sizeof d->label, "%s '%s' (%s)", info.id, info.name, info.platform_name);
    snprintf(d->desc, sizeof d->desc, "%s %s (%s)", info.id, info.name, info.platform_name);
    d->global_mem = info.global_mem;
    d->max_alloc = info.max_alloc;
    clGetDeviceInfo(dev, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof maxwg, &maxwg, NULL);
    if (clGetDeviceInfo(dev, CL_DEVICE_LOCAL_MEM_SIZE, sizeof lm, &lm, NULL) == CL_SUCCESS) lmem = (size_t)lm;
    d->rw = 64;
    while (d->rw > 1 && (size_t)d->rw > maxwg) d->rw /= 2;
    d->tk = 16;
    d->wpt = 4;
    d->rts = 16;
    /* 2 tiles of TK x (RTS WPT + 1) floats in local memory, RTS^2 work-items */
    while (d->rts > 2 && ((size_t)d->rts * d->rts > maxwg || 2 * (size_t)d->tk * (d->rts * d->wpt + 1) * 4 > lmem))
        d->rts /= 2;
    props[0] = CL_CONTEXT_PLATFORM;
    props[1] = (cl_context_properties)plat;
    props[2] = 0;
    d->ctx = clCreateContext(props, 1, &dev, NULL, NULL, &e);
    if (e != CL_SUCCESS) {
        rc = bml__cl_err(d, e, "clCreateContext");
        BML_FREE(d);
        return rc;
    }
    if ((rc = bml__cl_build(d, extra, quiet)) != BML_OK) {
        clReleaseContext(d->ctx);
        BML_FREE(d);
        return rc;
    }
    d->next = bml__cl_devs;
    bml__cl_devs = d;
    *out = d;
    return BML_OK;
}

/* ----------------------------------------------------------------------
   Buffers
   ---------------------------------------------------------------------- */

static void bml__cl_release(bml__cl *c, bml__clbuf *b) {
    if (b->mem) {
        clReleaseMemObject(b->mem);
        c->mem_used -= b->cap;
    }
    b->mem = NULL;
    b->cap = 0;
}

static bml_status bml__cl_alloc(bml__cl *c, cl_mem *mem, size_t bytes, const void *host, const char *what) {
    cl_int e;
    if (bytes == 0) bytes = 4;
    if (bytes > c->d->max_alloc)
        return bml__cl_err(c->d, CL_MEM_OBJECT_ALLOCATION_FAILURE,
                           "out of device memory: %s needs one %.1f MiB buffer, the device's largest is %.1f MiB "
                           "(CL_DEVICE_MAX_MEM_ALLOC_SIZE)", what, (double)bytes / 1048576.0,
                           (double)c->d->max_alloc / 1048576.0);
    if (c->mem_used + bytes > c->mem_limit)
        return bml__cl_err(c->d, CL_MEM_OBJECT_ALLOCATION_FAILURE,
                           "out of device memory: %s needs %.3g MiB more, %.3g MiB in use of %.3g MiB%s", what,
                           (double)bytes / 1048576.0, (double)c->mem_used / 1048576.0, (double)c->mem_limit / 1048576.0,
                           getenv("BATCHML_OPENCL_MEM_LIMIT_MB") ? " (BATCHML_OPENCL_MEM_LIMIT_MB)" : "");
    *mem = clCreateBuffer(c->d->ctx, CL_MEM_READ_WRITE | (host ? CL_MEM_COPY_HOST_PTR : 0), bytes, (void *)host, &e);
    if (e != CL_SUCCESS) {
        *mem = NULL;
        return bml__cl_err(c->d, e, "clCreateBuffer %s (%.1f MiB)", what, (double)bytes / 1048576.0);
    }
    c->mem_used += bytes;
    return BML_OK;
}

/* Make b hold at least `bytes`, growing by half again at least (contents
   are not kept). */
static bml_status bml__cl_need(bml__cl *c, bml__clbuf *b, size_t bytes, const char *what) {
    size_t cap;
    bml_status rc;
    if (bytes == 0) bytes = 4;
    if (b->mem && b->cap >= bytes) return BML_OK;
    cap = b->cap + b->cap / 2;
    if (cap < bytes) cap = bytes;
    cap = (cap + 255) & ~(size_t)255;
    bml__cl_release(c, b);
    if (cap > c->d->max_alloc && bytes <= c->d->max_alloc) cap = bytes;
    if ((rc = bml__cl_alloc(c, &b->mem, cap, NULL, what)) != BML_OK) {
        /* the geometric growth may be what does not fit: try the exact size */
        if (cap == bytes || bml__cl_alloc(c, &b->mem, bytes, NULL, what) != BML_OK) return rc;
        cap = bytes;
    }
    b->cap = cap;
    return BML_OK;
}

/* ----------------------------------------------------------------------
   Model: queue, kernels, weights
   ---------------------------------------------------------------------- */

static void bml__cl_free(bml_model *m) {
    bml__cl *c = (bml__cl *)m->cl;
    int l, i;
    if (!c) return;
    if (c->q) clFinish(c->q);
    if (c->prof) {
        double tot = 0;
        for (i = 0; i < BML__K_COUNT; i++) tot += c->prof_ns[i];
        for (i = 0; i < BML__K_COUNT; i++)
            if (c->prof_n[i])
                bml__log(BML_LOG_INFO, "profile %-16s %6zu launches %9.1f ms %5.1f%%%s", bml__cl_knames[i], c->prof_n[i],
                         c->prof_ns[i] / 1e6, 100.0 * c->prof_ns[i] / (tot > 0 ? tot : 1), "");
        if (c->prof_ns[BML__K_GEMM] + c->prof_ns[BML__K_GEMM_VEC] > 0)
            bml__log(BML_LOG_INFO, "profile GEMMs %.1f GFLOP/s",
                     c->gemm_flops / (c->prof_ns[BML__K_GEMM] + c->prof_ns[BML__K_GEMM_VEC]));
    }
    for (i = 0; i < BML__K_COUNT; i++)
        if (c->k[i]) clReleaseKernel(c->k[i]);
#define BML__REL(x) do { if (x) clReleaseMemObject(x); } while (0)
    BML__REL(c->word); BML__REL(c->pos); BML__REL(c->type); BML__REL(c->ln0_g); BML__REL(c->ln0_b);
    if (c->layer)
        for (l = 0; l < m->cfg.layers; l++) {
            bml__cllayer *L = &c->layer[l];
            BML__REL(L->wqkv); BML__REL(L->bqkv); BML__REL(L->wo); BML__REL(L->bo); BML__REL(L->ln1_g);
            BML__REL(L->ln1_b); BML__REL(L->w1); BML__REL(L->b1); BML__REL(L->w2); BML__REL(L->b2);
            BML__REL(L->ln2_g); BML__REL(L->ln2_b); BML__REL(L->wqkv_t); BML__REL(L->wo_t); BML__REL(L->w1_t);
            BML__REL(L->w2_t);
        }
#undef BML__REL
    bml__cl_release(c, &c->meta); bml__cl_release(c, &c->poff); bml__cl_release(c, &c->alpha);
    bml__cl_release(c, &c->x); bml__cl_release(c, &c->qkv); bml__cl_release(c, &c->ctx);
    bml__cl_release(c, &c->tmp); bml__cl_release(c, &c->ffn); bml__cl_release(c, &c->P);
    bml__cl_release(c, &c->out); bml__cl_release(c, &c->pooled); bml__cl_release(c, &c->de);
    bml__cl_release(c, &c->dx); bml__cl_release(c, &c->xhat0); bml__cl_release(c, &c->rstd0);
    if (c->save)
        for (l = 0; l < m->cfg.layers; l++) {
            bml__clsave *s = &c->save[l];
            bml__cl_release(c, &s->qkv); bml__cl_release(c, &s->P); bml__cl_release(c, &s->xhat1);
            bml__cl_release(c, &s->rstd1); bml__cl_release(c, &s->u); bml__cl_release(c, &s->xhat2);
            bml__cl_release(c, &s->rstd2);
        }
    if (c->q) clReleaseCommandQueue(c->q);
    BML_FREE(c->layer);
    BML_FREE(c->save);
    BML_FREE(c->hmeta);
    BML_FREE(c->hpoff);
    BML_FREE(c);
    m->cl = NULL;
}

/* Upload a weight (n floats); rows of several tensors may be stacked.
   cols > 0: upload the transpose of the stacked [rows, cols] matrix. */
static bml_status bml__cl_weight(bml__cl *c, cl_mem *mem, const float *const *parts, const size_t *n, int nparts,
                                 size_t cols, const char *what) {
    size_t total = 0, off = 0, r, k, rows;
    int i;
    float *tmp, *tr;
    bml_status rc;
    if (nparts == 1 && !cols) return bml__cl_alloc(c, mem, n[0] * sizeof(float), parts[0], what);
    for (i = 0; i < nparts; i++) total += n[i];
    tmp = (float *)BML_MALLOC(total * sizeof(float));
    if (!tmp) return bml__fail(BML_ERR_NOMEM, "out of memory");
    for (i = 0; i < nparts; i++) {
        memcpy(tmp + off, parts[i], n[i] * sizeof(float));
        off += n[i];
    }
    if (cols) {
        rows = total / cols;
        tr = (float *)BML_MALLOC(total * sizeof(float));
        if (!tr) { BML_FREE(tmp); return bml__fail(BML_ERR_NOMEM, "out of memory"); }
        for (r = 0; r < rows; r++)
            for (k = 0; k < cols; k++) tr[k * rows + r] = tmp[r * cols + k];
        BML_FREE(tmp);
        tmp = tr;
    }
    rc = bml__cl_alloc(c, mem, total * sizeof(float), tmp, what);
    BML_FREE(tmp);
    return rc;
}

static bml_status bml__cl_upload(bml_model *m, bml__cl *c) {
    const bml_config *cf = &m->cfg;
    size_t H = (size_t)cf->hidden, I = (size_t)cf->intermediate, n[3];
    const float *p[3];
    char what[64];
    int l;
    bml_status rc;
#define BML__UP1(dst, src, count, name)                                                    \
    do {                                                                                   \
        p[0] = (src);                                                                      \
        n[0] = (count);                                                                    \
        if ((rc = bml__cl_weight(c, &(dst), p, n, 1, 0, (name))) != BML_OK) return rc;      \
    } while (0)
    BML__UP1(c->word, m->word, (size_t)cf->vocab * H, "word embeddings");
    BML__UP1(c->pos, m->pos, (size_t)cf->max_position * H, "position embeddings");
    BML__UP1(c->type, m->type, H, "token type embeddings");
    BML__UP1(c->ln0_g, m->ln0_g, H, "embedding LayerNorm");
    BML__UP1(c->ln0_b, m->ln0_b, H, "embedding LayerNorm");
    c->layer = (bml__cllayer *)bml__calloc((size_t)cf->layers, sizeof *c->layer);
    c->save = (bml__clsave *)bml__calloc((size_t)cf->layers, sizeof *c->save);
    if (!c->layer || !c->save) return bml__fail(BML_ERR_NOMEM, "out of memory");
    for (l = 0; l < cf->layers; l++) {
        const bml__layer *L = &m->layer[l];
        bml__cllayer *D = &c->layer[l];
        snprintf(what, sizeof what, "layer %d weights", l);
        p[0] = L->wq; p[1] = L->wk; p[2] = L->wv;
        n[0] = n[1] = n[2] = H * H;
        if ((rc = bml__cl_weight(c, &D->wqkv, p, n, 3, 0, what)) != BML_OK) return rc;
        if (c->vec && (rc = bml__cl_weight(c, &D->wqkv_t, p, n, 3, H, what)) != BML_OK) return rc;
        p[0] = L->bq; p[1] = L->bk; p[2] = L->bv;
        n[0] = n[1] = n[2] = H;
        if ((rc = bml__cl_weight(c, &D->bqkv, p, n, 3, 0, what)) != BML_OK) return rc;
        if (c->vec) {
            p[0] = L->wo; n[0] = H * H;
            if ((rc = bml__cl_weight(c, &D->wo_t, p, n, 1, H, what)) != BML_OK) return rc;
            p[0] = L->w1; n[0] = I * H;
            if ((rc = bml__cl_weight(c, &D->w1_t, p, n, 1, H, what)) != BML_OK) return rc;
            p[0] = L->w2; n[0] = H * I;
            if ((rc = bml__cl_weight(c, &D->w2_t, p, n, 1, I, what)) != BML_OK) return rc;
        }
        BML__UP1(D->wo, L->wo, H * H, what);
        BML__UP1(D->bo, L->bo, H, what);
        BML__UP1(D->ln1_g, L->ln1_g, H, what);
        BML__UP1(D->ln1_b, L->ln1_b, H, what);
        BML__UP1(D->w1, L->w1, I * H, what);
        BML__UP1(D->b1, L->b1, I, what);
        BML__UP1(D->w2, L->w2, H * I, what);
        BML__UP1(D->b2, L->b2, H, what);
        BML__UP1(D->ln2_g, L->ln2_g, H, what);
        BML__UP1(D->ln2_b, L->ln2_b, H, what);
    }
#undef BML__UP1
    return BML_OK;
}

/* Open the device for a model: the cached program, a queue, the kernels,
   the weights. */
static bml_status bml__cl_open(bml_model *m, cl_platform_id plat, cl_device_id dev, int pi, int di, int is_auto) {
    bml__cl *c;
    bml__cldev *d = NULL;
    bml_status rc;
    cl_int e;
    int i;
    const char *lim = getenv("BATCHML_OPENCL_MEM_LIMIT_MB");
    size_t wg = 0;
    pthread_mutex_lock(&bml__cl_lock);
    rc = bml__cl_dev_get(plat, dev, pi, di, is_auto, &d);
    pthread_mutex_unlock(&bml__cl_lock);
    if (rc != BML_OK) return rc;
    c = (bml__cl *)bml__calloc(1, sizeof *c);
    if (!c) return bml__fail(BML_ERR_NOMEM, "out of memory");
    c->d = d;
    c->is_auto = is_auto;
    c->mem_limit = (size_t)d->global_mem;
    if (lim && lim[0]) {
        char *end;
        double mb = strtod(lim, &end);
        if (end != lim && mb > 0) c->mem_limit = (size_t)(mb * 1048576.0);
    }
    {   /* the GEMM kernel: vec on CPU devices, tiled elsewhere; BATCHML_OPENCL_GEMM=tiled|vec forces one */
        const char *g = getenv("BATCHML_OPENCL_GEMM");
        cl_device_type t = 0;
        clGetDeviceInfo(dev, CL_DEVICE_TYPE, sizeof t, &t, NULL);
        c->vec = (t & CL_DEVICE_TYPE_CPU) != 0;
        if (g && !strcmp(g, "tiled")) c->vec = 0;
        else if (g && !strcmp(g, "vec")) c->vec = 1;
    }
    m->cl = c;
    {
        const char *pv = getenv("BATCHML_OPENCL_PROFILE");
        c->prof = pv && pv[0] && strcmp(pv, "0") != 0;
    }
    c->q = clCreateCommandQueue(d->ctx, d->dev, c->prof ? CL_QUEUE_PROFILING_ENABLE : 0, &e);
    if (e != CL_SUCCESS) {
        c->q = NULL;
        return bml__cl_err(d, e, "clCreateCommandQueue");
    }
    for (i = 0; i < BML__K_COUNT; i++) {
        c->k[i] = clCreateKernel(d->prog, bml__cl_knames[i], &e);
        if (e != CL_SUCCESS) {
            c->k[i] = NULL;
            return bml__cl_err(d, e, "clCreateKernel %s", bml__cl_knames[i]);
        }
    }
    e = clGetKernelWorkGroupInfo(c->k[BML__K_GEMM], d->dev, CL_KERNEL_WORK_GROUP_SIZE, sizeof wg, &wg, NULL);
    if (e == CL_SUCCESS && wg < (size_t)d->rts * (size_t)d->rts)
        return bml__cl_err(d, CL_INVALID_WORK_GROUP_SIZE, "bml_gemm runs at most %zu work-items a group, it needs %d",
                           wg, d->rts * d->rts);
    if ((rc = bml__cl_upload(m, c)) != BML_OK) return rc;
    if ((e = clFinish(c->q)) != CL_SUCCESS) return bml__cl_err(d, e, "clFinish (weights)");
    bml__log(BML_LOG_INFO, "device %s: %.1f MiB of weights uploaded", d->desc, (double)c->mem_used / 1048576.0);
    return BML_OK;
}

static void bml__cl_fallback(const char *why) {
    int first;
    pthread_mutex_lock(&bml__cl_lock);
    first = !bml__cl_fallback_said;
    bml__cl_fallback_said = 1;
    pthread_mutex_unlock(&bml__cl_lock);
    bml__log(first ? BML_LOG_WARN : BML_LOG_DEBUG, "device auto: %s; using the CPU path", why);
}

static bml_status bml__cl_init(bml_model *m, const char *device) {
    cl_platform_id plats[BML__CL_MAXP];
    cl_device_id devs[BML__CL_MAXD];
    cl_uint np = 0, nd, pi;
    cl_int e;
    int is_auto = !strcmp(device, "auto"), P = -1, D = -1, found = 0, gpi = -1, gdi = -1, api = -1, adi = -1;
    cl_platform_id gp = NULL, ap = NULL;
    cl_device_id gd = NULL, ad = NULL;
    bml_status rc;
    char tail;
    if (!is_auto && strcmp(device, "opencl") &&
        !(sscanf(device, "opencl:%d:%d%c", &P, &D, &tail) == 2 && P >= 0 && D >= 0))
        return bml__fail(BML_ERR_INVALID_ARG, "device '%s': expected cpu, opencl, opencl:P:D or auto", device);
    e = bml__cl_platforms(plats, &np);
    if (e != CL_SUCCESS || np == 0) {
        char why[200];
        snprintf(why, sizeof why, "no OpenCL platform (clGetPlatformIDs: %s%s)",
                 e != CL_SUCCESS ? bml__cl_errname(e) : "CL_PLATFORM_NOT_FOUND_KHR",
                 e != CL_SUCCESS ? "" : "; is an ICD installed in /etc/OpenCL/vendors?");
        if (is_auto) { bml__cl_fallback(why); return BML_OK; }
        return bml__fail(BML_ERR_DEVICE, "device '%s': %s", device, why);
    }
    for (pi = 0; pi < np && !found; pi++) {
        cl_uint di;
        nd = bml__cl_devices(plats[pi], devs);
        for (di = 0; di < nd; di++) {
            cl_device_type t = 0;
            clGetDeviceInfo(devs[di], CL_DEVICE_TYPE, sizeof t, &t, NULL);
            if (P >= 0 && (int)pi == P && (int)di == D) {
                ap = plats[pi]; ad = devs[di]; api = (int)pi; adi = (int)di;
                found = 1;
                break;
            }
            if (gd == NULL && (t & CL_DEVICE_TYPE_GPU)) { gp = plats[pi]; gd = devs[di]; gpi = (int)pi; gdi = (int)di; }
            if (ad == NULL && P < 0) { ap = plats[pi]; ad = devs[di]; api = (int)pi; adi = (int)di; }
        }
    }
    if (P >= 0 && !found)
        return bml__fail(BML_ERR_DEVICE, "device '%s': no such OpenCL device (batchml info --devices lists them)", device);
    if (is_auto) {
        /* BATCHML_OPENCL_AUTO=any: auto takes any OpenCL device (tests on
           PoCL; accelerators that do not call themselves GPUs) */
        const char *any = getenv("BATCHML_OPENCL_AUTO");
        if (!gd && !(any && !strcmp(any, "any") && ad)) { bml__cl_fallback("no OpenCL GPU"); return BML_OK; }
        if (gd) { ap = gp; ad = gd; api = gpi; adi = gdi; }
    } else if (P < 0) {
        if (gd) { ap = gp; ad = gd; api = gpi; adi = gdi; }
        if (!ad) return bml__fail(BML_ERR_DEVICE, "device '%s': the OpenCL platforms have no device", device);
    }
    rc = bml__cl_open(m, ap, ad, api, adi, is_auto);
    if (rc != BML_OK) {
        bml__cl_free(m);
        if (is_auto) { bml__cl_fallback(bml_last_error()); return BML_OK; }
        return rc;
    }
    return BML_OK;
}

/* ----------------------------------------------------------------------
   Launches
   ---------------------------------------------------------------------- */

typedef struct { size_t size; const void *ptr; } bml__clarg;
#define BML__AM(x) {sizeof(cl_mem), &(x)}
#define BML__AI(x) {sizeof(int), &(x)}
#define BML__AF(x) {sizeof(float), &(x)}

static bml_status bml__cl_run(bml__cl *c, int k, const bml__clarg *args, int nargs, cl_uint dim, const size_t *gws,
                              const size_t *lws) {
    cl_int e;
    cl_event ev = NULL;
    int i;
    for (i = 0; i < nargs; i++)
        if ((e = clSetKernelArg(c->k[k], (cl_uint)i, args[i].size, args[i].ptr)) != CL_SUCCESS)
            return bml__cl_err(c->d, e, "clSetKernelArg %s #%d", bml__cl_knames[k], i);
    e = clEnqueueNDRangeKernel(c->q, c->k[k], dim, NULL, gws, lws, 0, NULL, c->prof ? &ev : NULL);
    if (e != CL_SUCCESS) return bml__cl_err(c->d, e, "clEnqueueNDRangeKernel %s", bml__cl_knames[k]);
    if (c->prof) {
        cl_ulong t0 = 0, t1 = 0;
        clWaitForEvents(1, &ev);
        clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_START, sizeof t0, &t0, NULL);
        clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_END, sizeof t1, &t1, NULL);
        clReleaseEvent(ev);
        c->prof_ns[k] += (double)(t1 - t0);
        c->prof_n[k]++;
    }
    return BML_OK;
}

/* C[M,N] (+)= A[M,K] . (transB ? B[N,K]^T : B[K,N]), epilogue as bml_gemm
   (the vec kernel takes only transB = 0). */
static bml_status bml__cl_gemm(bml__cl *c, int M, int N, int K, cl_mem A, cl_mem B, int transB, cl_mem bias, cl_mem U,
                               int accum, cl_mem C, cl_mem G) {
    size_t ts = (size_t)c->d->rts * (size_t)c->d->wpt, lws[2], gws[2];
    bml__clarg a[11] = {BML__AI(M), BML__AI(N), BML__AI(K), BML__AM(A), BML__AM(B), BML__AI(transB), BML__AM(bias),
                        BML__AM(U), BML__AI(accum), BML__AM(C), BML__AM(G)};
    c->gemm_flops += 2.0 * M * N * K;
    if (c->vec) {
        BML_ASSERT(!transB);
        memmove(&a[5], &a[6], 5 * sizeof a[0]);
        /* a fixed work-group shape: PoCL compiles a kernel once per shape
           (items past N return at once) */
        lws[0] = 8;
        lws[1] = 1;
        gws[0] = ((size_t)N + 16 * 8 - 1) / (16 * 8) * 8;
        gws[1] = ((size_t)M + 7) / 8;
        return bml__cl_run(c, BML__K_GEMM_VEC, a, 10, 2, gws, lws);
    }
    lws[0] = lws[1] = (size_t)c->d->rts;
    gws[0] = ((size_t)N + ts - 1) / ts * lws[0];
    gws[1] = ((size_t)M + ts - 1) / ts * lws[1];
    return bml__cl_run(c, BML__K_GEMM, a, 11, 2, gws, lws);
}

/* Y[M,N] = X[M,K] . W^T + bias for a weight W stored [N,K] (W_t: its
   transpose, uploaded for the vec kernel); C and/or G as bml_gemm. */
static bml_status bml__cl_linear(bml__cl *c, int M, int N, int K, cl_mem X, cl_mem W, cl_mem W_t, cl_mem bias, cl_mem C,
                                 cl_mem G) {
    return bml__cl_gemm(c, M, N, K, X, c->vec ? W_t : W, !c->vec, bias, NULL, 0, C, G);
}

/* One work-group of BML_RW per row. */
static bml_status bml__cl_rows(bml__cl *c, int k, const bml__clarg *args, int nargs, size_t rows) {
    size_t lws = (size_t)c->d->rw, gws = rows * lws;
    return bml__cl_run(c, k, args, nargs, 1, &gws, &lws);
}

/* One work-item per (head, token), in groups of BML_RW (items past n return). */
static bml_status bml__cl_heads(bml__cl *c, int k, const bml__clarg *args, int nargs, size_t n) {
    size_t lws = (size_t)c->d->rw, gws = (n + lws - 1) / lws * lws;
    return bml__cl_run(c, k, args, nargs, 1, &gws, &lws);
}

/* ----------------------------------------------------------------------
   Forward and backward on the device
   ---------------------------------------------------------------------- */

static bml_status bml__cl_forward_run(bml__fwd *f, int grad) {
    bml_model *m = f->m;
    bml__cl *c = (bml__cl *)m->cl;
    const bml_config *cf = &m->cfg;
    int H = cf->hidden, I = cf->intermediate, A = cf->heads, Ti = (int)f->T, S = (int)f->nseq, l;
    int mode = (int)cf->pooling, norm = cf->normalize != 0;
    size_t T = f->T, nS = f->nseq, s, p, t, Hs = (size_t)H, Is = (size_t)I, sumPA = f->sumP * (size_t)A;
    float eps = cf->layer_norm_eps, scale = 1.0f / sqrtf((float)(H / A));
    cl_mem nul = NULL, alpha_mem;
    cl_int e;
    bml_status rc;
    c->grad_ready = 0;
    if (T == 0 || nS == 0) return BML_OK;
    if (T * 3 * Hs > (size_t)INT_MAX || T * Is > (size_t)INT_MAX || 2 * T + 2 * nS > (size_t)INT_MAX)
        return bml__cl_err(c->d, CL_SUCCESS, "a batch of %zu tokens is too large for the device path", T);
    /* buffers for this batch shape */
#define BML__NEED(buf, bytes, name) if ((rc = bml__cl_need(c, &(buf), (bytes), (name))) != BML_OK) return rc
    BML__NEED(c->meta, (2 * T + 2 * nS) * sizeof(int), "the batch layout");
    BML__NEED(c->poff, nS * sizeof(cl_long), "the batch layout");
    if (f->alpha) BML__NEED(c->alpha, nS * sizeof(float), "the batch layout");
    BML__NEED(c->x, T * Hs * 4, "activations");
    BML__NEED(c->qkv, 3 * T * Hs * 4, "activations");
    BML__NEED(c->ctx, T * Hs * 4, "activations");
    BML__NEED(c->tmp, T * Hs * 4, "activations");
    BML__NEED(c->ffn, T * Is * 4, "activations");
    BML__NEED(c->P, sumPA * 4, "attention probabilities");
    BML__NEED(c->out, nS * Hs * 4, "the embeddings");
    if (grad || f->pooled) BML__NEED(c->pooled, nS * Hs * 4, "the embeddings");
    if (grad) {
        BML__NEED(c->de, nS * Hs * 4, "gradients");
        BML__NEED(c->dx, T * Hs * 4, "gradients");
        BML__NEED(c->xhat0, T * Hs * 4, "saved activations");
        BML__NEED(c->rstd0, T * 4, "saved activations");
        for (l = 0; l < cf->layers; l++) {
            bml__clsave *sv = &c->save[l];
            BML__NEED(sv->qkv, 3 * T * Hs * 4, "saved activations");
            BML__NEED(sv->P, sumPA * 4, "saved attention probabilities");
            BML__NEED(sv->xhat1, T * Hs * 4, "saved activations");
            BML__NEED(sv->rstd1, T * 4, "saved activations");
            BML__NEED(sv->u, T * Is * 4, "saved activations");
            BML__NEED(sv->xhat2, T * Hs * 4, "saved activations");
            BML__NEED(sv->rstd2, T * 4, "saved activations");
        }
    }
#undef BML__NEED
    /* the packed layout: ids, sequence of each token, starts, lengths; P offsets */
    if (2 * T + 2 * nS > c->hcap_meta) {
        size_t cap = (2 * T + 2 * nS) * 3 / 2;
        BML_FREE(c->hmeta);
        c->hcap_meta = 0;
        if (!(c->hmeta = (int *)BML_MALLOC(cap * sizeof(int)))) return bml__fail(BML_ERR_NOMEM, "out of memory");
        c->hcap_meta = cap;
    }
    if (nS > c->hcap_poff) {
        size_t cap = nS * 3 / 2 + 1;
        BML_FREE(c->hpoff);
        c->hcap_poff = 0;
        if (!(c->hpoff = (cl_long *)BML_MALLOC(cap * sizeof(cl_long)))) return bml__fail(BML_ERR_NOMEM, "out of memory");
        c->hcap_poff = cap;
    }
    for (s = 0; s < nS; s++) {
        for (p = 0; p < f->len[s]; p++) {
            int32_t id = f->ids[s][p];
            t = f->start[s] + p;
            if (id < 0 || id >= cf->vocab)
                return bml__fail(BML_ERR_OUT_OF_RANGE, "token id %ld is outside the vocabulary", (long)id);
            c->hmeta[t] = (int)id;
            c->hmeta[T + t] = (int)s;
        }
        c->hmeta[2 * T + s] = (int)f->start[s];
        c->hmeta[2 * T + nS + s] = (int)f->len[s];
        c->hpoff[s] = (cl_long)(f->poff[s]);
    }
    if ((e = clEnqueueWriteBuffer(c->q, c->meta.mem, CL_FALSE, 0, (2 * T + 2 * nS) * sizeof(int), c->hmeta, 0, NULL,
                                  NULL)) != CL_SUCCESS ||
        (e = clEnqueueWriteBuffer(c->q, c->poff.mem, CL_FALSE, 0, nS * sizeof(cl_long), c->hpoff, 0, NULL, NULL)) !=
            CL_SUCCESS ||
        (f->alpha && (e = clEnqueueWriteBuffer(c->q, c->alpha.mem, CL_FALSE, 0, nS * sizeof(float), f->alpha, 0, NULL,
                                               NULL)) != CL_SUCCESS))
        return bml__cl_err(c->d, e, "clEnqueueWriteBuffer (the batch layout)");
    alpha_mem = f->alpha ? c->alpha.mem : NULL;
    {   /* x = LN0(alpha word[id] + pos + type)                            [T,H] */
        cl_mem xh = grad ? c->xhat0.mem : NULL, rs = grad ? c->rstd0.mem : NULL;
        bml__clarg a[13] = {BML__AM(c->meta.mem), BML__AI(Ti), BML__AM(alpha_mem), BML__AM(c->word), BML__AM(c->pos),
                            BML__AM(c->type), BML__AM(c->ln0_g), BML__AM(c->ln0_b), BML__AM(c->x.mem), BML__AM(xh),
                            BML__AM(rs), BML__AI(H), BML__AF(eps)};
        if ((rc = bml__cl_rows(c, BML__K_EMBED_LN, a, 13, T)) != BML_OK) return rc;
    }
    for (l = 0; l < cf->layers; l++) {
        const bml__cllayer *L = &c->layer[l];
        bml__clsave *sv = grad ? &c->save[l] : NULL;
        cl_mem qkv = sv ? sv->qkv.mem : c->qkv.mem, P = sv ? sv->P.mem : c->P.mem, u = sv ? sv->u.mem : NULL;
        cl_mem xh1 = sv ? sv->xhat1.mem : NULL, rs1 = sv ? sv->rstd1.mem : NULL;
        cl_mem xh2 = sv ? sv->xhat2.mem : NULL, rs2 = sv ? sv->rstd2.mem : NULL;
        if ((rc = bml__cl_linear(c, Ti, 3 * H, H, c->x.mem, L->wqkv, L->wqkv_t, L->bqkv, qkv, nul)) != BML_OK)
            return rc;                                                          /* qkv = x Wqkv^T + b  [T,3H] */
        {
            bml__clarg a[11] = {BML__AM(c->meta.mem), BML__AI(Ti), BML__AI(S), BML__AM(c->poff.mem), BML__AM(qkv),
                                BML__AM(c->ctx.mem), BML__AM(P), BML__AI(H), BML__AI(A), BML__AF(scale)};
            if ((rc = bml__cl_heads(c, BML__K_ATTN, a, 10, (size_t)A * T)) != BML_OK) return rc; /* ctx      [T,H] */
        }
        if ((rc = bml__cl_linear(c, Ti, H, H, c->ctx.mem, L->wo, L->wo_t, L->bo, c->tmp.mem, nul)) != BML_OK)
            return rc;                                                          /* a = ctx Wo^T + bo   [T,H] */
        {
            bml__clarg a[8] = {BML__AM(c->x.mem), BML__AM(c->tmp.mem), BML__AM(L->ln1_g), BML__AM(L->ln1_b),
                               BML__AM(xh1), BML__AM(rs1), BML__AI(H), BML__AF(eps)};
            if ((rc = bml__cl_rows(c, BML__K_ADD_LN, a, 8, T)) != BML_OK) return rc; /* x = LN1(x + a)       */
        }
        if ((rc = bml__cl_linear(c, Ti, I, H, c->x.mem, L->w1, L->w1_t, L->b1, u, c->ffn.mem)) != BML_OK)
            return rc;                                                          /* g = gelu(x W1^T + b1) [T,I] */
        if ((rc = bml__cl_linear(c, Ti, H, I, c->ffn.mem, L->w2, L->w2_t, L->b2, c->tmp.mem, nul)) != BML_OK)
            return rc;                                                          /* o = g W2^T + b2     [T,H] */
        {
            bml__clarg a[8] = {BML__AM(c->x.mem), BML__AM(c->tmp.mem), BML__AM(L->ln2_g), BML__AM(L->ln2_b),
                               BML__AM(xh2), BML__AM(rs2), BML__AI(H), BML__AF(eps)};
            if ((rc = bml__cl_rows(c, BML__K_ADD_LN, a, 8, T)) != BML_OK) return rc; /* x = LN2(x + o)       */
        }
    }
    {   /* out = normalize(pool(x))                                          [S,H] */
        cl_mem pooled = grad || f->pooled ? c->pooled.mem : NULL;
        bml__clarg a[9] = {BML__AM(c->meta.mem), BML__AI(Ti), BML__AI(S), BML__AM(c->x.mem), BML__AM(c->out.mem),
                           BML__AM(pooled), BML__AI(H), BML__AI(mode), BML__AI(norm)};
        if ((rc = bml__cl_rows(c, BML__K_POOL, a, 9, nS)) != BML_OK) return rc;
    }
    if ((e = clEnqueueReadBuffer(c->q, c->out.mem, CL_TRUE, 0, nS * Hs * 4, f->out, 0, NULL, NULL)) != CL_SUCCESS)
        return bml__cl_err(c->d, e, "reading the embeddings back (clEnqueueReadBuffer)");
    if (f->pooled &&
        (e = clEnqueueReadBuffer(c->q, c->pooled.mem, CL_TRUE, 0, nS * Hs * 4, f->pooled, 0, NULL, NULL)) != CL_SUCCESS)
        return bml__cl_err(c->d, e, "reading the embeddings back (clEnqueueReadBuffer)");
    c->grad_ready = grad;
    return BML_OK;
}

static bml_status bml__cl_backward_run(bml__fwd *f) {
    bml_model *m = f->m;
    bml__cl *c = (bml__cl *)m->cl;
    const bml_config *cf = &m->cfg;
    int H = cf->hidden, I = cf->intermediate, A = cf->heads, Ti = (int)f->T, S = (int)f->nseq, l, acc = 1;
    int mode = (int)cf->pooling, norm = cf->normalize != 0;
    size_t T = f->T, nS = f->nseq, Hs = (size_t)H;
    float scale = 1.0f / sqrtf((float)(H / A));
    cl_mem nul = NULL;
    cl_int e;
    bml_status rc;
    if (T == 0 || nS == 0) return BML_OK;
    if (!c->grad_ready) return bml__cl_err(c->d, CL_SUCCESS, "backward without a forward pass in grad mode");
    if ((e = clEnqueueWriteBuffer(c->q, c->de.mem, CL_FALSE, 0, nS * Hs * 4, f->tmp, 0, NULL, NULL)) != CL_SUCCESS)
        return bml__cl_err(c->d, e, "clEnqueueWriteBuffer (df/de)");
    {   /* dx = pool^T(normalize^T(de))                                     [T,H] */
        bml__clarg a[11] = {BML__AM(c->meta.mem), BML__AI(Ti), BML__AI(S), BML__AM(c->x.mem), BML__AM(c->out.mem),
                            BML__AM(c->pooled.mem), BML__AM(c->de.mem), BML__AM(c->dx.mem), BML__AI(H),
                            BML__AI(mode), BML__AI(norm)};
        if ((rc = bml__cl_rows(c, BML__K_POOL_BWD, a, 11, nS)) != BML_OK) return rc;
    }
    for (l = cf->layers - 1; l >= 0; l--) {
        const bml__cllayer *L = &c->layer[l];
        bml__clsave *sv = &c->save[l];
        {
            bml__clarg a[5] = {BML__AM(c->dx.mem), BML__AM(L->ln2_g), BML__AM(sv->xhat2.mem), BML__AM(sv->rstd2.mem),
                               BML__AI(H)};
            if ((rc = bml__cl_rows(c, BML__K_LN_BWD, a, 5, T)) != BML_OK) return rc; /* dr2 = LN2^T(dx)      */
        }
        if ((rc = bml__cl_gemm(c, Ti, I, H, c->dx.mem, L->w2, 0, nul, sv->u.mem, 0, c->ffn.mem, nul)) != BML_OK)
            return rc;                                                          /* du = dr2 W2 gelu'(u) [T,I] */
        if ((rc = bml__cl_gemm(c, Ti, H, I, c->ffn.mem, L->w1, 0, nul, nul, acc, c->dx.mem, nul)) != BML_OK)
            return rc;                                                          /* dh1 = dr2 + du W1   [T,H] */
        {
            bml__clarg a[5] = {BML__AM(c->dx.mem), BML__AM(L->ln1_g), BML__AM(sv->xhat1.mem), BML__AM(sv->rstd1.mem),
                               BML__AI(H)};
            if ((rc = bml__cl_rows(c, BML__K_LN_BWD, a, 5, T)) != BML_OK) return rc; /* dr1 = LN1^T(dh1)     */
        }
        if ((rc = bml__cl_gemm(c, Ti, H, H, c->dx.mem, L->wo, 0, nul, nul, 0, c->ctx.mem, nul)) != BML_OK)
            return rc;                                                          /* dctx = dr1 Wo       [T,H] */
        {
            bml__clarg a[12] = {BML__AM(c->meta.mem), BML__AI(Ti), BML__AI(S), BML__AM(c->poff.mem),
                                BML__AM(sv->qkv.mem), BML__AM(c->ctx.mem), BML__AM(sv->P.mem), BML__AM(c->P.mem),
                                BML__AM(c->qkv.mem), BML__AI(H), BML__AI(A), BML__AF(scale)};
            if ((rc = bml__cl_heads(c, BML__K_ATTN_BWD_Q, a, 12, (size_t)A * T)) != BML_OK) return rc; /* dS, dq */
            if ((rc = bml__cl_heads(c, BML__K_ATTN_BWD_KV, a, 11, (size_t)A * T)) != BML_OK) return rc; /* dk, dv */
        }
        if ((rc = bml__cl_gemm(c, Ti, H, 3 * H, c->qkv.mem, L->wqkv, 0, nul, nul, acc, c->dx.mem, nul)) != BML_OK)
            return rc;                                                          /* dh0 = dr1 + dqkv Wqkv [T,H] */
    }
    {
        bml__clarg a[5] = {BML__AM(c->dx.mem), BML__AM(c->ln0_g), BML__AM(c->xhat0.mem), BML__AM(c->rstd0.mem),
                           BML__AI(H)};
        if ((rc = bml__cl_rows(c, BML__K_LN_BWD, a, 5, T)) != BML_OK) return rc; /* d(emb sum) = LN0^T(dx) */
    }
    if ((e = clEnqueueReadBuffer(c->q, c->dx.mem, CL_TRUE, 0, T * Hs * 4, f->dx, 0, NULL, NULL)) != CL_SUCCESS)
        return bml__cl_err(c->d, e, "reading the gradients back (clEnqueueReadBuffer)");
    return BML_OK;
}

/* The hooks bml__forward_job / bml__backward call when m->cl is set. With
   device "auto" a failure here also falls back to the CPU path (for good:
   the device state is freed) and the job is redone there. */
static bml_status bml__cl_forward_job(bml__fwd *f, int grad) {
    bml_model *m = f->m;
    bml__cl *c = (bml__cl *)m->cl;
    bml_status rc = bml__cl_forward_run(f, grad);
    if (rc == BML_OK || rc == BML_ERR_OUT_OF_RANGE || !c->is_auto) return rc;
    bml__cl_fallback(bml_last_error());
    bml__cl_free(m);
    return bml__forward_job(f, grad);
}

static bml_status bml__cl_backward(bml__fwd *f) {
    bml_model *m = f->m;
    bml__cl *c = (bml__cl *)m->cl;
    size_t n;
    float *de;
    bml_status rc = bml__cl_backward_run(f);
    if (rc == BML_OK) return BML_OK;
    n = f->nseq * (size_t)m->cfg.hidden;
    if (c->is_auto && (de = (float *)BML_MALLOC(n * sizeof(float) + 1)) != NULL) {
        /* redo the job on the CPU: forward in grad mode (it reuses f->tmp,
           so df/de is kept aside), then the CPU backward */
        bml__cl_fallback(bml_last_error());
        memcpy(de, f->tmp, n * sizeof(float));
        bml__cl_free(m);
        if ((rc = bml__forward_job(f, 1)) == BML_OK) {
            memcpy(f->tmp, de, n * sizeof(float));
            BML_FREE(de);
            return bml__backward(f);
        }
        BML_FREE(de);
    }
    return rc;
}
