/* parts/tuning_api.h — batch-size tuning: a heuristic default, an offline
   MAP-Elites search whose archive is used at run time (ADR-0004).

   HOW A BATCH SHAPE IS CHOSEN
     bml_embed_batch with batch_size = BML_BATCH_AUTO looks at the lengths
     of the call's valid items (their "profile": count, mean length, length
     spread) and takes, in order:
       1. the archive (bml_tuning) when one is given, it was tuned for this
          model shape and the profile falls in one of its cells (or within
          one cell width of a filled one): that cell's best configuration
          that fits the memory budget;
       2. otherwise bml_batch_heuristic.
     bml_tuning_choose does the same and says which one it took and why.

   THE HEURISTIC (bml_batch_heuristic)
     The forward pass packs every batch into one [tokens, hidden] matrix
     (no padding), so its cost is set by tokens per pass, not sequences.
     Each pass streams every weight matrix once (Wl = 4(4H^2 + 2HI) bytes a
     layer); each token carries a = 4(6H + I) bytes of activations. The
     token target is T = 4 Wl / a (weight traffic a small share of the
     activation traffic), at least 64 per thread (GEMM row blocks), at most
     the tokens whose activations fit the last-level cache (L2 per core x
     threads, or L3 when it is known and larger) and never above 8192.
     batch_size = T / mean length (balanced so the last batch is not a
     runt; never above the item count), max_tokens = 2 T (long outliers do
     not blow up a pass), sorted by length. A memory budget lowers
     max_tokens and batch_size until the activation arena fits
     (bml_batch_peak_bytes). Cache sizes come from
     /sys/devices/system/cpu/cpu0/cache, else sysconf, else 1 MiB / 8 MiB.

   THE SEARCH (bml_tune, `batchml tune`)
     Cells are input profiles on a fixed grid: mean length (tokens incl.
     [CLS]/[SEP]) x length spread (std/mean) x corpus size (items). Each
     cell drives a generated input: `items` sequences (capped at
     test_size) whose lengths are log-normal with the cell's mean and
     spread, ids uniform in [1000, 30000) between 101 and 102. Individuals
     are (batch_size, max_tokens, policy, threads). Every searched cell is
     first seeded with the heuristic's individual; each generation then
     makes `offspring` children: pick a cell, take a parent (the cell's
     elite, another member of its front, or a random other cell's elite),
     mutate one or more genes, evaluate on the cell's input. Each cell
     keeps a Pareto front (items/s up, peak activation bytes down; at most
     BML_TUNE_FRONT members); its elite is the fastest member. A child
     equal to a member re-measures it (running mean), which damps lucky
     timings. The random stream of child k of generation g is derived from
     (seed, g, k) alone, so the same seed makes the same draws (cells,
     parents' kinds, mutations) and a resumed run makes the same draws as
     an uninterrupted one; with a deterministic fitness (BML_TUNE_COST or
     a fitness_fn) the whole run repeats exactly.
     Fitness protocol (BML_TUNE_TIME): the model loaded with the
     individual's thread count (one model per thread count, kept); one
     warm-up call on the first batch of the input, then `repeats` timed
     calls of bml_embed_batch over the whole input (CLOCK_MONOTONIC);
     fitness = items / median seconds.
     No-regression guard: at the end of every run, each searched cell whose
     elite is not the heuristic's individual is re-measured side by side
     with it (alternating, `repeats` each, medians); both members take the
     guard's figures, so a cell never keeps an elite slower than the
     heuristic.

   ARCHIVE FILE (JSON, written atomically: temp file + rename)
     {
       "format": "batchml-tuning-archive",   required, exactly this
       "version": 1,                         required, exactly 1
       "model": {"hidden", "layers", "heads", "intermediate", "vocab",
                 "max_seq_len"},             ints; must match at use
       "machine": {"cpus", "l2_bytes", "l3_bytes"},  informative
       "seed": N, "generations": N, "evaluations": N, "test_size": N,
       "repeats": N, "memory_budget": BYTES (0 none),
       "fitness": "time" | "cost",
       "grid": {"mean_len": [..], "spread": [..], "items": [..]}
                 cell centres, strictly increasing, 1..16 each; cell index
                 = (i_len * n_spread + i_spread) * n_items + i_items
       "cells": [ {"cell": INDEX, "mean_len": X, "spread": X, "items": N,
                   "elite": INDEX INTO front,
                   "guard": null | {"heuristic_items_per_s": X,
                                     "elite_items_per_s": X,
                                     "kept": "elite" | "heuristic"},
                   "front": [ {"batch_size": N (1..4096),
                               "max_tokens": N (0 = no cap),
                               "policy": "sorted" | "input_order",
                               "threads": N (1..256),
                               "items_per_s": X (> 0),
                               "peak_bytes": N, "samples": N (>= 1),
                               "origin": "heuristic" | "search",
                               "generation": N} ] } ]
     }
     Every field is required, unknown fields are errors, numbers are
     range-checked; bml_tuning_load rejects the whole file with a message
     naming the file and the field ("archive.json: cells[3].front[0].
     batch_size: expected an integer in 1..4096").

   RESULTS FILE (JSON, one per `bml_tune` run, rewritten at every save)
     { "format": "batchml-tuning-results", "version": 1,
       "model": {..}, "machine": {..}, "seed": N,
       "protocol": {"fitness", "warmup", "timed", "repeats", "statistic",
                    "clock", "unit", "test_size", "items_per_cell"},
       "generations_from": N, "generations_to": N, "complete": bool,
       "elapsed_s": X,
       "evaluations": [ {"generation": N (0 = seeding), "child": N,
                         "cell": N, "parent": "heuristic" | "elite" |
                         "front" | "migrant", "batch_size", "max_tokens",
                         "policy", "threads", "items_per_s", "peak_bytes",
                         "outcome": "elite" | "front" | "remeasured" |
                                    "dominated" | "over_budget"} ],
       "cells": [ {"cell", "mean_len", "spread", "items",
                   "heuristic": {individual + "items_per_s"},
                   "elite": {individual + "items_per_s", "peak_bytes"},
                   "guard": null | {..as in the archive..}} ] }
*/

/* batch_size value that makes bml_embed_batch choose the batch shape
   itself (archive, else heuristic). */
#define BML_BATCH_AUTO ((size_t)-1)

/* Most members a cell's Pareto front keeps. */
#define BML_TUNE_FRONT 8

/* The length profile of an input. */
typedef struct bml_batch_profile {
    size_t n;               /* items with a length > 0                      */
    size_t tokens, max_len;
    double mean_len;        /* tokens per item                              */
    double spread;          /* coefficient of variation: std / mean         */
} bml_batch_profile;

/* One batch shape: what bml_embed_batch takes from bml_batch_desc. */
typedef struct bml_batch_choice {
    size_t batch_size;      /* sequences per forward pass (1..4096)         */
    size_t max_tokens;      /* tokens per pass cap (0: none)                */
    int keep_order;         /* policy: 0 sorted by length, 1 input order    */
    int threads;            /* threads it was tuned with (the model's for
                               the heuristic); bml_embed_batch cannot change
                               a loaded model's threads: advisory           */
    int from_archive;       /* 1: an archive cell, 0: the heuristic         */
    int cell;               /* archive cell index (-1: none)                */
    double distance;        /* profile distance to that cell, in cell widths */
    double items_per_s;     /* archive: the cell member's measured rate     */
    size_t peak_bytes;      /* activation arena bytes this input needs      */
    int over_budget;        /* 1: the memory budget cannot be met (one
                               sequence alone needs more)                   */
    const char *why;        /* static text: why this choice                 */
} bml_batch_choice;

/* Profile of lengths (zeros are skipped: invalid items). */
BMLDEF void bml_batch_profile_of(const size_t *lens, size_t n, bml_batch_profile *out);
/* Activation arena bytes one forward pass of `nseq` sequences, `tokens`
   tokens in all and the longest `max_len`, needs on this model (the
   arena's own formula). */
BMLDEF size_t bml_activation_bytes(const bml_model *m, size_t tokens, size_t nseq, size_t max_len);
/* The largest arena a call with these settings needs for these lengths
   (batches formed exactly as bml_embed_batch forms them). */
BMLDEF size_t bml_batch_peak_bytes(const bml_model *m, const size_t *lens, size_t n, size_t batch_size,
                                   size_t max_tokens, int keep_order);
/* The heuristic default for these lengths (memory_budget bytes, 0 = none). */
BMLDEF bml_status bml_batch_heuristic(const bml_model *m, const size_t *lens, size_t n, size_t memory_budget,
                                      bml_batch_choice *out);
/* Cache sizes the heuristic uses (bytes; detected once). */
BMLDEF void bml_cache_sizes(size_t *l2, size_t *l3);

/* ---- the archive ---------------------------------------------------- */

typedef struct bml_tuning bml_tuning;

typedef struct bml_tuning_info {
    int version;
    uint64_t seed;
    size_t generations, evaluations, test_size, memory_budget;
    int repeats;
    const char *fitness;    /* "time" or "cost"                             */
    int hidden, layers, heads, intermediate, vocab, max_seq_len;
    size_t cells_total, cells_filled;
} bml_tuning_info;

/* One filled cell and its elite. */
typedef struct bml_tuning_cell {
    int cell;
    double mean_len, spread;
    size_t items;
    size_t front_size;
    bml_batch_choice elite; /* from_archive = 1, peak_bytes on the cell's input */
} bml_tuning_cell;

/* Load and validate an archive; nothing is kept unless all of it is valid. */
BMLDEF bml_status bml_tuning_load(const char *path, bml_tuning **out);
/* Write it (temp file + rename: never a half-written archive). */
BMLDEF bml_status bml_tuning_save(const bml_tuning *t, const char *path);
BMLDEF void bml_tuning_free(bml_tuning *t);
BMLDEF void bml_tuning_get_info(const bml_tuning *t, bml_tuning_info *out);
/* Filled cells, i in [0, info.cells_filled). */
BMLDEF bml_status bml_tuning_get_cell(const bml_tuning *t, size_t i, bml_tuning_cell *out);
/* The batch shape for these lengths: the archive cell nearest the profile
   (fastest front member under memory_budget, preferring the model's thread
   count), else the heuristic; t may be NULL. out->from_archive and
   out->why say which. */
BMLDEF bml_status bml_tuning_choose(const bml_tuning *t, const bml_model *m, const size_t *lens, size_t n,
                                    size_t memory_budget, bml_batch_choice *out);

/* ---- the search ----------------------------------------------------- */

typedef struct bml_tune_individual {
    size_t batch_size, max_tokens;
    int keep_order, threads;
} bml_tune_individual;

typedef enum bml_tune_fitness {
    BML_TUNE_TIME = 0,      /* measured items/s (the real thing)            */
    BML_TUNE_COST           /* a deterministic analytic cost model: for
                               tests and dry runs, not a tune               */
} bml_tune_fitness;

/* Custom fitness (items/s, > 0) replacing both; for tests. */
typedef double (*bml_tune_fitness_fn)(void *user, const bml_tune_individual *ind, const size_t *lens, size_t n);

typedef enum bml_tune_event_kind {
    BML_TUNE_EV_EVAL,       /* one evaluation done                         */
    BML_TUNE_EV_GENERATION, /* a generation done                           */
    BML_TUNE_EV_GUARD,      /* one cell's no-regression check done         */
    BML_TUNE_EV_SAVE        /* archive (and results) written               */
} bml_tune_event_kind;

typedef struct bml_tune_event {
    bml_tune_event_kind kind;
    size_t generation;      /* current (0 = seeding)                        */
    size_t generation_end;  /* last generation of this run                  */
    size_t done, total;     /* evaluations of this run, done / planned      */
    double elapsed_s, eta_s;
    int cell, child;
    const char *parent, *outcome;
    bml_tune_individual ind;
    double items_per_s, heuristic_items_per_s;
    size_t peak_bytes;
    size_t cells_filled, cells_searched;
    double best_gain;       /* generation: mean elite / heuristic over cells */
    const char *path;       /* save                                        */
} bml_tune_event;

typedef void (*bml_tune_progress_fn)(const bml_tune_event *ev, void *user);

typedef struct bml_tune_desc {
    const char *model_path;     /* model directory (ids only: no tokenizer)  */
    const char *archive_path;   /* resumed from when it exists (unless
                                   fresh); saved every save_every generations */
    const char *results_path;   /* NULL: no results file                    */
    size_t generations;         /* generations to add; 0 = 10               */
    size_t offspring;           /* children per generation; 0 = 8           */
    size_t test_size;           /* most items per evaluation; 0 = 256        */
    size_t save_every;          /* 0 = 1                                     */
    uint64_t seed;              /* 0 = the archive's, else 1                  */
    int repeats;                /* timed calls per evaluation; 0 = 3          */
    size_t memory_budget;       /* bytes; candidates above are infeasible     */
    int threads_max;            /* thread gene 1..threads_max; 0 = every core */
    double max_mean_len;        /* search cells with mean_len <= this; 0 all  */
    size_t max_items;           /* search cells with items <= this; 0 all     */
    int fresh;                  /* 1: ignore an existing archive (overwrite)  */
    int no_guard;               /* 1: skip the no-regression check            */
    bml_tune_fitness fitness;
    bml_tune_fitness_fn fitness_fn; /* overrides `fitness`                    */
    void *fitness_user;
    bml_tune_progress_fn progress;
    void *progress_user;
} bml_tune_desc;

/* Run (or resume) the search; writes the archive and the results file. */
BMLDEF bml_status bml_tune(const bml_tune_desc *desc);
