/* parts/exporter_api.h — the buffering overlay exporter (ADR-003): overlay
   requests made during a long-running loop, computed in batches, appended
   to one JSON-lines file per method, and never lost.

   WHAT IT DOES
     bml_exporter_add(id, text) queues one request per method. When a
     method's queue reaches batch_size, the queue is computed in one
     batched pass (bml_overlay_compute_batch) and its records are appended
     to DIR/<name>.jsonl; batch_size 0 computes and appends each request
     as it comes (sequential). bml_exporter_flush() computes and writes
     what is queued (partial batches) and makes the records durable;
     bml_exporter_close() flushes and releases.

   BYTE-IDENTICAL OUTPUT FOR EVERY BATCH SIZE
     A record is the same line whatever batch it was computed in: the files
     for batch_size 0 and for each of 1..32 are byte-identical (same
     records, same order). That needs bit-identical scores, and OpenBLAS's
     GEMM does not give them: its results depend (in the last bits) on how
     many rows a call has, so a batched overlay equals the one-at-a-time
     overlay only to float rounding, which %.9g prints as other digits.
     The model's deterministic mode (fixed-order GEMM,
     bml_model_desc.deterministic) gives bitwise the same scores whatever the batch composition, batch
     size or thread count, in the forward and the backward pass alike.
     So the exporter computes in deterministic mode BY DEFAULT, whatever
     mode the model was loaded in: it switches the model to it for its own
     passes and back (the model is shared with the caller, not copied), so
     its records also equal `batchml overlay --deterministic` output (a
     sim: target's reference embedding is computed in that mode too).
     The cost (bench/exporter.sh, MiniLM-L6 shape, 2 threads, CPU time per
     1,000 grad_x_input overlays): deterministic 17.0 s sequential, 13.0 s
     at batch 8 (batching saves ~1.3x: the fixed-order kernel streams the
     whole weight matrix for every row, so it gains little from more rows);
     OpenBLAS 11.2 s sequential, 4.8 s at batch 8. So byte identity costs
     ~1.5x sequential and ~2.7x batched. Set desc.nondeterministic = 1 to
     compute with the model as loaded instead: faster, and batched records
     then equal sequential ones only to float rounding (values within
     ~1e-6; the printed %.9g digits differ). On an OpenCL device (which
     has no deterministic mode) the exporter needs nondeterministic = 1.

   RECORDS (DIR/<name>.jsonl, one object a line, '\n'-terminated, in add()
   order per method) — exactly the lines of `batchml overlay`:
     {"id":N,"method":"grad","target":"sim:...","f":F,"tokens":[..],
      "offsets":[[s,e],..],"raw":[..],"values":[..]}
   and for an input that failed (empty, invalid UTF-8, too long...):
     {"id":N,"error":"why"}
   Numbers are printed with %.9g (floats round-trip exactly).

   DURABILITY AND FAULTS
     - Each write appends whole records: the lines are built in memory and
       written in one write loop. A write that fails part-way (ENOSPC,
       EIO, ...) is cut back with ftruncate to the last whole record, so no
       torn line stays and nothing is written twice; the call returns
       BML_ERR_IO and every record not durably written stays pending in
       memory. A later flush() (after the fault clears) writes them all, in
       order.
     - fsync policy (desc.fsync): BML_EXPORT_FSYNC_FLUSH (the default)
       fsyncs each file at every flush() and close() that wrote: when
       flush() returns BML_OK every record added before it is on disk.
       BML_EXPORT_FSYNC_BATCH also fsyncs after every batch written during
       add(). BML_EXPORT_FSYNC_NONE never fsyncs (the OS writes back).
       Records written but not yet fsynced are kept in memory (at most
       about 16 MiB a method; more forces an early fsync), so a failed
       fsync cuts the file back to its last synced length and writes them
       again at the next flush.
     - A file removed or replaced while open is noticed at the next write
       (the path no longer names the open file): that write fails, its
       records stay pending, and the next flush() writes them to a new file
       at the path (records synced to the removed file went with it).
     - Opening a file whose last line has no '\n' (a crash mid-write)
       truncates that torn tail, reports it (log warning and
       bml_exporter_stats.torn_bytes) and appends after it.
     - desc.resume = 1 reads the existing records (every line must parse as
       a JSON object with an "id"), and add() skips an id its method's file
       already holds (and an id added twice), so an interrupted run
       completed by a rerun holds exactly one record per (id, method).
     - Each file is locked (fcntl F_SETLK) while open: an exporter in another
       process on the same files fails at create instead of interleaving
       lines. (fcntl locks are per process: within one process, keep one
       exporter per directory.)
     - Fault injection: BML_WRITE(fd, buf, n), BML_FSYNC(fd) and
       BML_FTRUNCATE(fd, len) (defaults write, fsync, ftruncate) may be
       defined before the implementation is included.

   THREADS
     An exporter is used from one thread at a time, and the model it
     computes with must not be used by another thread during its calls.

   EXAMPLE
       bml_exporter_method meth[1] = {{"grad_x_input", "sim:a happy review", NULL, 0}};
       bml_exporter_desc d = {0};
       bml_exporter *ex;
       d.enabled = 1; d.methods = meth; d.n_methods = 1;
       d.batch_size = 8; d.dir = "overlays";
       if (bml_exporter_create(model, &d, &ex) != BML_OK) die(bml_last_error());
       for (step = 0; step < steps; step++) {
           train_step(...);
           if (step % k == 0) bml_exporter_add(ex, step, texts[step], -1);
       }
       if (bml_exporter_close(ex) != BML_OK) die(bml_last_error());
*/

typedef enum bml_export_fsync {
    BML_EXPORT_FSYNC_FLUSH = 0, /* fsync at every flush()/close() that wrote (default) */
    BML_EXPORT_FSYNC_BATCH,     /* and after every batch written during add()         */
    BML_EXPORT_FSYNC_NONE       /* never                                               */
} bml_export_fsync;

/* One enabled method and its target. */
typedef struct bml_exporter_method {
    const char *method;     /* grad, grad_x_input, integrated_gradients, or the
                               presets policy_grad, value_grad (as in
                               bml_method_parse); written as the record's "method" */
    const char *target;     /* sim:TEXT, value:FILE or policy:FILE:K             */
    const char *name;       /* file name stem: DIR/<name>.jsonl; NULL = method.
                               Letters, digits, '_', '-', '.'; not starting
                               with '.'; unique among the methods              */
    int steps;              /* integrated_gradients steps; 0 = 32               */
} bml_exporter_method;

typedef struct bml_exporter_desc {
    int enabled;            /* 0: the exporter accepts add() and does nothing
                               (no files; the loop can call it unconditionally) */
    const bml_exporter_method *methods;
    size_t n_methods;       /* 1..16 when enabled                                */
    int batch_size;         /* 0 = sequential (the default); 1..32 = requests
                               per batched pass. Anything else is rejected    */
    const char *dir;        /* output directory (created if missing)           */
    bml_export_fsync fsync; /* durability policy (see above)                    */
    int resume;             /* 1: skip ids already in the files                 */
    int nondeterministic;   /* 1: compute with the model as loaded (faster; bytes
                               then depend on the batch size, see above)        */
    bml_utf8_policy utf8;   /* text inputs: invalid UTF-8 handling              */
} bml_exporter_desc;

typedef struct bml_exporter bml_exporter;

/* Per-method counters (this exporter's lifetime unless said otherwise). */
typedef struct bml_exporter_stats {
    const char *name;       /* file stem                                        */
    const char *path;       /* DIR/<name>.jsonl                                 */
    size_t items;           /* requests accepted by add() (skipped ones not)    */
    size_t skipped;         /* resume: requests whose id the file already had   */
    size_t batches;         /* compute calls (passes of up to batch_size inputs) */
    size_t records;         /* records written and durable per the policy (error
                               records included; under FSYNC_FLUSH they count
                               from the flush() that fsyncs them)              */
    size_t errors;          /* of which error records ({"id":N,"error":..})     */
    size_t pending;         /* requests queued, computed, or written but not yet
                               fsynced (kept in memory until durable)          */
    size_t existing;        /* whole records in the file when it was opened     */
    size_t torn_bytes;      /* bytes of a torn last line truncated at open      */
    size_t write_failures;  /* failed writes/fsyncs (each kept its records)     */
    uint64_t bytes;         /* bytes appended                                   */
    uint64_t compute_ns;    /* time in the overlay passes                       */
    uint64_t write_ns;      /* formatting lines and write() calls               */
    uint64_t sync_ns;       /* fsync calls                                      */
} bml_exporter_stats;

/* Validate desc, parse the targets against m, open (create, repair, lock,
   and with resume read) DIR/<name>.jsonl for every method. Errors name the
   field, the valid range and the value given, e.g.
   "bml_exporter_desc.batch_size must be 0..32 (0 = sequential, 1..32 =
   batched), got 64". m may be NULL only when the exporter is disabled. */
BMLDEF bml_status bml_exporter_create(bml_model *m, const bml_exporter_desc *desc, bml_exporter **out);
/* Queue one text (len < 0: NUL-terminated; copied) under id for every
   method; computes and appends every method whose queue is full. BML_OK,
   or the first error of those writes/passes (BML_ERR_IO, BML_ERR_NOMEM):
   the request is queued either way and nothing is lost. */
BMLDEF bml_status bml_exporter_add(bml_exporter *ex, uint64_t id, const char *text, ptrdiff_t len);
/* The same for a bml_item (text, or token ids when item->ids != NULL). */
BMLDEF bml_status bml_exporter_add_item(bml_exporter *ex, const bml_item *item);
/* Queue an error record {"id":id,"error":error} for every method (an input
   the caller could not even form, e.g. an unparsable ids line). */
BMLDEF bml_status bml_exporter_add_failed(bml_exporter *ex, uint64_t id, const char *error);
/* Compute every queued request (partial batches), write every pending
   record, fsync per the policy. BML_OK: all of them are written (and
   durable under the default policy). Otherwise the first error; whatever
   could not be written stays pending for the next flush(). */
BMLDEF bml_status bml_exporter_flush(bml_exporter *ex);
/* Flush, then release. On failure the exporter is NOT released (nothing
   pending is dropped): call close() again later, or bml_exporter_free(). */
BMLDEF bml_status bml_exporter_close(bml_exporter *ex);
/* Release without flushing: pending requests and records are dropped. */
BMLDEF void bml_exporter_free(bml_exporter *ex);
/* Methods (0 when disabled) and their counters. */
BMLDEF size_t bml_exporter_method_count(const bml_exporter *ex);
BMLDEF bml_status bml_exporter_stats_get(const bml_exporter *ex, size_t method, bml_exporter_stats *out);
/* Requests or records of every method not yet durable. */
BMLDEF size_t bml_exporter_pending(const bml_exporter *ex);

/* One overlay as its JSON line (the record format above, '\n' included)
   into buf[cap], NUL-terminated when cap > 0. method/target are the
   strings written (NULL: bml_method_name(o->method) / the key is left
   out); the model's tokenizer names the tokens ("" for an ids-only model).
   An overlay with status != BML_OK gives {"id":N,"error":"..."}. Returns
   the line's length; when that is >= cap the line was cut: call again with
   a larger buffer. */
BMLDEF size_t bml_overlay_to_json(const bml_model *m, const bml_overlay *o, const char *method, const char *target,
                                  char *buf, size_t cap);
