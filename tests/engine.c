/* The dynamic-batching engine (bml_engine_*): results bitwise equal to
   bml_embed_batch of the item alone, from many submitter threads; priority
   order and no starvation of low; deadlines; cancellation and its races;
   shutdown with and without drain under load; a full queue; refused items;
   stats. Every accepted request completes exactly once (a per-request
   completion counter). Built by `make tests` (tests/engine.test) and under
   ThreadSanitizer by `make test-tsan`.
   usage: engine MODEL_DIR   (a tiny model with tokenizer files) */
#define BATCHML_IMPLEMENTATION
#include "batchml.h"
#include "bml_test.h"
#include <pthread.h>
#include <time.h>

#define NT 64         /* distinct texts                         */
#define MAXREQ 20000  /* request ids are < MAXREQ               */

static char textbuf[NT][200];
static float *ref;    /* [NT, H]: each text alone (batch size 1) */
static size_t H;
static bml_model *model;

/* completions per request id, their statuses and order */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int ncomp[MAXREQ];
static bml_status cstat[MAXREQ];
static int embed_ok[MAXREQ];
static uint64_t order[MAXREQ];
static size_t norder;

static void sleep_us(long us) {
    struct timespec ts;
    ts.tv_sec = us / 1000000;
    ts.tv_nsec = (us % 1000000) * 1000;
    nanosleep(&ts, NULL);
}

static void make_texts(void) {
    static const char *words[] = {"a", "man", "plays", "guitar", "the", "dog", "runs", "caf\xc3\xa9", "in",
                                  "unaffable", "hello,", "world!", "park", "quickly", "slowly", "river"};
    size_t i, k;
    uint32_t r = 99;
    for (i = 0; i < NT; i++) {
        size_t n = 1 + (i * 7) % 23;
        textbuf[i][0] = 0;
        for (k = 0; k < n; k++) {
            r = r * 1103515245u + 12345u;
            if (k) strcat(textbuf[i], " ");
            strcat(textbuf[i], words[(r >> 16) % 16]);
        }
    }
}

/* The callback: count, record, and compare with the reference row of the
   request's text (id % NT). */
static void on_done(const bml_engine_result *r, void *user) {
    int ok = 0;
    (void)user;
    if (r->status == BML_OK)
        ok = r->embedding && r->dim == H && !memcmp(r->embedding, ref + (r->id % NT) * H, H * sizeof(float));
    pthread_mutex_lock(&mu);
    if (r->id < MAXREQ) {
        ncomp[r->id]++;
        cstat[r->id] = r->status;
        embed_ok[r->id] = ok;
    }
    if (norder < MAXREQ) order[norder++] = r->id;
    pthread_mutex_unlock(&mu);
}

static void reset_counts(void) {
    pthread_mutex_lock(&mu);
    memset(ncomp, 0, sizeof ncomp);
    memset(embed_ok, 0, sizeof embed_ok);
    norder = 0;
    pthread_mutex_unlock(&mu);
}

static bml_engine_request req(uint64_t id, bml_priority p) {
    bml_engine_request r;
    memset(&r, 0, sizeof r);
    r.item.id = id;
    r.item.text = textbuf[id % NT];
    r.item.len = -1;
    r.priority = p;
    r.done = on_done;
    return r;
}

/* ---- many submitters: bitwise the batch-of-one results -------------- */
typedef struct { bml_engine *e; int tid, n, cancel_every; int accepted[MAXREQ / 8]; int busy; } sub_arg;

static void *submitter(void *p) {
    sub_arg *a = (sub_arg *)p;
    int i;
    uint32_t r = 1234u + (uint32_t)a->tid;
    for (i = 0; i < a->n; i++) {
        uint64_t id = (uint64_t)a->tid * 2000 + (uint64_t)i;
        bml_engine_request q;
        bml_engine_ticket *t = NULL;
        bml_status s;
        r = r * 1103515245u + 12345u;
        q = req(id, (bml_priority)((r >> 16) % 3));
        for (;;) {
            s = bml_engine_submit(a->e, &q, a->cancel_every ? &t : NULL);
            if (s != BML_ERR_BUSY) break;
            a->busy++;
            sleep_us(200);
        }
        a->accepted[i] = s == BML_OK;
        if (t) {
            if ((r >> 8) % (unsigned)a->cancel_every == 0) bml_engine_cancel(t); /* BML_OK or BUSY: both fine */
            bml_engine_ticket_free(t);
        }
    }
    return NULL;
}

static void test_many_threads(int cancel_every, const char *name) {
    enum { NTH = 6, PER = 150 };
    bml_engine_desc d;
    bml_engine *e = NULL;
    pthread_t th[NTH];
    static sub_arg a[NTH];
    bml_engine_stats st;
    int i, k, once = 1, exact = 1, accepted = 0, okc = 0, canc = 0, other = 0;
    char nm[96];
    memset(&d, 0, sizeof d);
    d.max_wait_us = 1000;
    d.queue_capacity = 64;
    reset_counts();
    if (bml_engine_create(model, &d, &e) != BML_OK) { CHECK(0, name, "create: %s", bml_last_error()); return; }
    for (i = 0; i < NTH; i++) {
        memset(&a[i], 0, sizeof a[i]);
        a[i].e = e; a[i].tid = i; a[i].n = PER; a[i].cancel_every = cancel_every;
        pthread_create(&th[i], NULL, submitter, &a[i]);
    }
    for (i = 0; i < NTH; i++) pthread_join(th[i], NULL);
    bml_engine_shutdown(e, 1);
    bml_engine_stats_get(e, &st);
    for (i = 0; i < NTH; i++)
        for (k = 0; k < PER; k++) {
            int id = i * 2000 + k;
            if (!a[i].accepted[k]) { once &= ncomp[id] == 0; continue; }
            accepted++;
            once &= ncomp[id] == 1;
            if (cstat[id] == BML_OK) { okc++; exact &= embed_ok[id]; }
            else if (cstat[id] == BML_ERR_CANCELLED) canc++;
            else other++;
        }
    snprintf(nm, sizeof nm, "%s_complete_once", name);
    CHECK(once && accepted == NTH * PER, nm, "accepted %d of %d, some completed %s", accepted, NTH * PER,
          once ? "once" : "zero or twice");
    snprintf(nm, sizeof nm, "%s_bitwise_alone", name);
    CHECK(exact && okc > 0 && other == 0, nm, "%d OK, %d cancelled, %d other; embeddings %s", okc, canc, other,
          exact ? "equal" : "DIFFER from the batch-of-one ones");
    snprintf(nm, sizeof nm, "%s_stats_add_up", name);
    CHECK(st.submitted == (uint64_t)accepted && st.completed == (uint64_t)okc && st.cancelled == (uint64_t)canc &&
              st.submitted == st.completed + st.cancelled + st.failed + st.timed_out && st.queued == 0,
          nm, "submitted %llu completed %llu cancelled %llu failed %llu timed out %llu (seen %d/%d/%d)",
          (unsigned long long)st.submitted, (unsigned long long)st.completed, (unsigned long long)st.cancelled,
          (unsigned long long)st.failed, (unsigned long long)st.timed_out, accepted, okc, canc);
    if (!cancel_every) {
        uint64_t sum_i = 0, sum_t = 0;
        for (i = 0; i < BML_ENGINE_HIST; i++) { sum_i += st.batch_items[i]; sum_t += st.batch_tokens[i]; }
        CHECK(st.batches > 0 && sum_i == st.batches && sum_t == st.batches && st.batches < (uint64_t)accepted &&
                  st.total_p50_ns > 0 && st.queue_p50_ns <= st.queue_p99_ns && st.total_p50_ns <= st.total_p95_ns &&
                  st.total_p95_ns <= st.total_p99_ns,
              "engine_stats", "%llu batches for %d requests (histograms %llu, %llu), total p50/p95/p99 %.0f/%.0f/%.0f ns",
              (unsigned long long)st.batches, accepted, (unsigned long long)sum_i, (unsigned long long)sum_t,
              st.total_p50_ns, st.total_p95_ns, st.total_p99_ns);
    }
    bml_engine_free(e);
}

/* ---- priority order, with the dispatcher held by a callback ---------- */
static pthread_mutex_t gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static int gate_open, gate_entered;

static void on_gate(const bml_engine_result *r, void *user) {
    pthread_mutex_lock(&gate_mu);
    gate_entered = 1;
    pthread_cond_broadcast(&gate_cv);
    while (!gate_open) pthread_cond_wait(&gate_cv, &gate_mu);
    pthread_mutex_unlock(&gate_mu);
    on_done(r, user);
}

static void hold_dispatcher(bml_engine *e, uint64_t id) {
    bml_engine_request q = req(id, BML_PRIORITY_NORMAL);
    q.done = on_gate;
    gate_open = gate_entered = 0;
    bml_engine_submit(e, &q, NULL);
    pthread_mutex_lock(&gate_mu);
    while (!gate_entered) pthread_cond_wait(&gate_cv, &gate_mu);
    pthread_mutex_unlock(&gate_mu);
}

static void release_dispatcher(void) {
    pthread_mutex_lock(&gate_mu);
    gate_open = 1;
    pthread_cond_broadcast(&gate_cv);
    pthread_mutex_unlock(&gate_mu);
}

static void test_priority_order(void) {
    bml_engine_desc d;
    bml_engine *e = NULL;
    static const int cls[6] = {BML_PRIORITY_LOW, BML_PRIORITY_NORMAL, BML_PRIORITY_HIGH, BML_PRIORITY_LOW,
                               BML_PRIORITY_HIGH, BML_PRIORITY_NORMAL};
    static const uint64_t want[7] = {100, 103, 105, 102, 106, 101, 104};
    int i, ok;
    char got[128] = "";
    memset(&d, 0, sizeof d);
    d.max_batch_items = 1;
    d.max_wait_us = BML_ENGINE_NO_WAIT;
    d.promote_us = 60ull * 1000000; /* no promotion within the test */
    reset_counts();
    bml_engine_create(model, &d, &e);
    hold_dispatcher(e, 100);
    for (i = 0; i < 6; i++) {
        bml_engine_request q = req(101 + (uint64_t)i, (bml_priority)cls[i]);
        bml_engine_submit(e, &q, NULL);
    }
    release_dispatcher();
    bml_engine_shutdown(e, 1);
    ok = norder == 7;
    for (i = 0; i < (int)norder && i < 7; i++) {
        ok &= order[i] == want[i];
        snprintf(got + strlen(got), sizeof got - strlen(got), " %llu", (unsigned long long)order[i]);
    }
    CHECK(ok, "engine_priority_order", "completion order%s (want 100 103 105 102 106 101 104: high, then normal, then "
          "low, FIFO within)", got);
    bml_engine_free(e);
}

/* ---- no starvation: one low request under a flood of high ones ------- */
typedef struct { bml_engine *e; int stop; int sent; } flood_arg; /* stop: under mu */
/* a high request's callback takes 1 ms of the dispatcher's time, so the
   flood keeps the queue full however fast the model is */
static void on_slow(const bml_engine_result *r, void *user) {
    sleep_us(1000);
    on_done(r, user);
}
static void *flooder(void *p) {
    flood_arg *a = (flood_arg *)p;
    uint64_t id = 1000;
    for (;;) {
        bml_engine_request q = req(id, BML_PRIORITY_HIGH);
        int stop;
        pthread_mutex_lock(&mu);
        stop = a->stop;
        pthread_mutex_unlock(&mu);
        if (stop) break;
        q.done = on_slow;
        if (bml_engine_submit(a->e, &q, NULL) == BML_OK) { id = id + 1 < 9000 ? id + 1 : 1000; a->sent++; }
        else sleep_us(100);
    }
    return NULL;
}

static void test_no_starvation(void) {
    bml_engine_desc d;
    bml_engine *e = NULL;
    bml_engine_ticket *t = NULL;
    bml_engine_result r;
    flood_arg fa;
    pthread_t th;
    bml_engine_request q;
    bml_status s;
    bml_engine_stats st;
    memset(&d, 0, sizeof d);
    d.max_batch_items = 1;
    d.max_wait_us = BML_ENGINE_NO_WAIT;
    d.queue_capacity = 32;
    d.promote_us = 20000; /* 20 ms a class */
    bml_engine_create(model, &d, &e);
    memset(&fa, 0, sizeof fa);
    fa.e = e;
    pthread_create(&th, NULL, flooder, &fa);
    sleep_us(30000); /* the queue is full of high requests */
    q = req(9500, BML_PRIORITY_LOW);
    q.done = NULL;
    while ((s = bml_engine_submit(e, &q, &t)) == BML_ERR_BUSY) sleep_us(50);
    s = bml_engine_wait(t, 3000000, &r); /* the flood lasts until the wait ends */
    bml_engine_stats_get(e, &st);
    pthread_mutex_lock(&mu);
    fa.stop = 1;
    pthread_mutex_unlock(&mu);
    pthread_join(th, NULL);
    CHECK(s == BML_OK && r.status == BML_OK && r.queue_ns < 400000000ull && st.completed > 20 && st.queued > 0,
          "engine_no_starvation",
          "a low request under a flood of high ones (%d sent, %llu completed, %zu still queued): %s, queued %.1f ms "
          "(promotion 20 ms a class; starving it would take the whole 3 s flood)", fa.sent,
          (unsigned long long)st.completed, st.queued,
          s == BML_OK ? "completed" : "still waiting", s == BML_OK ? (double)r.queue_ns / 1e6 : 0.0);
    printf("# no starvation: the low request queued %.1f ms under %d high ones\n", (double)r.queue_ns / 1e6, fa.sent);
    bml_engine_ticket_free(t);
    bml_engine_free(e);
}

/* ---- deadlines, waits, cancel, a full queue ------------------------- */
static void test_deadline_cancel_busy(void) {
    bml_engine_desc d;
    bml_engine *e = NULL;
    bml_engine_ticket *t1 = NULL, *t2 = NULL, *t3 = NULL, *tb[8];
    bml_engine_result r1, r2, r3;
    bml_engine_request q;
    bml_status s, s0, s1, c1, c2;
    int i, nbusy = 0, nok = 0;
    uint64_t t_before, t_after;
    memset(&d, 0, sizeof d);
    d.max_wait_us = 10ull * 1000000; /* the dispatcher waits 10 s for company */
    d.max_batch_items = 64;
    d.queue_capacity = 6;
    bml_engine_create(model, &d, &e);
    q = req(200, BML_PRIORITY_NORMAL);
    q.done = NULL;
    t_before = bml_now_ns();
    q.deadline_ns = t_before + 30000000ull; /* 30 ms */
    bml_engine_submit(e, &q, &t1);
    s = bml_engine_wait(t1, 5000000, &r1);
    t_after = bml_now_ns();
    /* it failed at its deadline, not before (queue_ns counts from the
       submit, which came a little after the deadline was set) */
    CHECK(s == BML_OK && r1.status == BML_ERR_TIMEOUT && t_after - t_before >= 30000000ull && r1.queue_ns > 0 &&
              r1.queue_ns < 4000000000ull && r1.embedding == NULL,
          "engine_deadline", "a request queued past its 30 ms deadline: wait %s, status %s after %.1f ms (%s)",
          bml_status_name(s), bml_status_name(r1.status), (double)(t_after - t_before) / 1e6, r1.error);
    q = req(201, BML_PRIORITY_NORMAL);
    q.done = NULL;
    bml_engine_submit(e, &q, &t2);
    s0 = bml_engine_wait(t2, 0, NULL);
    s1 = bml_engine_wait(t2, 2000, NULL);
    c1 = bml_engine_cancel(t2);
    bml_engine_wait(t2, BML_ENGINE_FOREVER, &r2);
    c2 = bml_engine_cancel(t2);
    CHECK(s0 == BML_ERR_TIMEOUT && s1 == BML_ERR_TIMEOUT && c1 == BML_OK && r2.status == BML_ERR_CANCELLED &&
              c2 == BML_ERR_BUSY,
          "engine_wait_and_cancel", "wait(0) %s, wait(2 ms) %s, cancel %s -> %s, cancel again %s", bml_status_name(s0),
          bml_status_name(s1), bml_status_name(c1), bml_status_name(r2.status), bml_status_name(c2));
    for (i = 0; i < 8; i++) {
        q = req(210 + (uint64_t)i, BML_PRIORITY_NORMAL);
        q.done = NULL;
        tb[i] = NULL;
        s = bml_engine_submit(e, &q, &tb[i]);
        nbusy += s == BML_ERR_BUSY;
        nok += s == BML_OK;
    }
    CHECK(nok == 6 && nbusy == 2 && strstr(bml_last_error(), "full"), "engine_busy",
          "8 submits to a 6-request queue: %d accepted, %d BML_ERR_BUSY (%s)", nok, nbusy, bml_last_error());
    /* drain: the waiting batch goes at once, every accepted request OK */
    bml_engine_shutdown(e, 1);
    nok = 0;
    for (i = 0; i < 8; i++)
        if (tb[i]) {
            bml_engine_result r;
            if (bml_engine_wait(tb[i], 0, &r) == BML_OK && r.status == BML_OK &&
                !memcmp(r.embedding, ref + ((210 + i) % NT) * H, H * sizeof(float)))
                nok++;
        }
    CHECK(nok == 6, "engine_shutdown_drain", "%d of the 6 queued requests completed OK and exact by the drain", nok);
    q = req(230, BML_PRIORITY_NORMAL);
    q.done = NULL;
    s = bml_engine_submit(e, &q, &t3);
    CHECK(s == BML_ERR_CANCELLED && t3 == NULL, "engine_closed_refuses", "submit after shutdown: %s (%s)",
          bml_status_name(s), bml_last_error());
    /* tickets outlive the engine */
    bml_engine_free(e);
    s = bml_engine_wait(tb[0], 0, &r3);
    CHECK(s == BML_OK && r3.status == BML_OK && r3.embedding && r3.embedding[0] == ref[(210 % NT) * H],
          "engine_ticket_outlives_engine", "wait after bml_engine_free: %s", bml_status_name(s));
    bml_engine_ticket_free(t1);
    bml_engine_ticket_free(t2);
    for (i = 0; i < 8; i++) bml_engine_ticket_free(tb[i]);
}

/* ---- shutdown without drain under load ------------------------------ */
static void test_shutdown_nodrain(void) {
    enum { NTH = 3, PER = 1500 };
    bml_engine_desc d;
    bml_engine *e = NULL;
    pthread_t th[NTH];
    static sub_arg a[NTH];
    int i, k, once = 1, okc = 0, canc = 0, other = 0, refused = 0, exact = 1;
    memset(&d, 0, sizeof d);
    d.max_wait_us = 500;
    d.queue_capacity = 256;
    reset_counts();
    bml_engine_create(model, &d, &e);
    for (i = 0; i < NTH; i++) {
        memset(&a[i], 0, sizeof a[i]);
        a[i].e = e; a[i].tid = i; a[i].n = PER;
        pthread_create(&th[i], NULL, submitter, &a[i]);
    }
    for (;;) { /* shut down while they submit: after the first 200 */
        bml_engine_stats st;
        bml_engine_stats_get(e, &st);
        if (st.submitted >= 200) break;
        sleep_us(200);
    }
    bml_engine_shutdown(e, 0);
    for (i = 0; i < NTH; i++) pthread_join(th[i], NULL);
    for (i = 0; i < NTH; i++)
        for (k = 0; k < PER; k++) {
            int id = i * 2000 + k;
            if (!a[i].accepted[k]) { refused++; once &= ncomp[id] == 0; continue; }
            once &= ncomp[id] == 1;
            if (cstat[id] == BML_OK) { okc++; exact &= embed_ok[id]; }
            else if (cstat[id] == BML_ERR_CANCELLED) canc++;
            else other++;
        }
    CHECK(once && other == 0 && exact && okc + canc + refused == NTH * PER && refused > 0, "engine_shutdown_nodrain",
          "%d OK (exact: %s), %d cancelled, %d refused after the shutdown, %d other; each accepted once: %s", okc,
          exact ? "yes" : "NO", canc, refused, other, once ? "yes" : "NO");
    bml_engine_free(e);
}

/* ---- refused items and bad arguments -------------------------------- */
static void test_refused(void) {
    bml_engine *e = NULL;
    bml_engine_ticket *t = NULL;
    bml_engine_request q;
    bml_engine_desc d;
    bml_engine_stats st;
    int32_t bad_ids[3] = {101, 99999999, 102};
    bml_status s1, s2, s3, s4, s5;
    char m1[512], m3[512];
    bml_engine_create(model, NULL, &e);
    q = req(300, BML_PRIORITY_NORMAL);
    q.item.text = "";
    s1 = bml_engine_submit(e, &q, &t);
    snprintf(m1, sizeof m1, "%s", bml_last_error());
    q.item.text = "bad \xff utf-8";
    s2 = bml_engine_submit(e, &q, &t);
    q.item.text = NULL;
    q.item.ids = bad_ids;
    q.item.n_ids = 3;
    s3 = bml_engine_submit(e, &q, &t);
    snprintf(m3, sizeof m3, "%s", bml_last_error());
    q = req(301, BML_PRIORITY_NORMAL);
    q.done = NULL;
    s4 = bml_engine_submit(e, &q, NULL); /* neither ticket nor callback */
    q.priority = (bml_priority)7;
    s5 = bml_engine_submit(e, &q, &t);
    bml_engine_stats_get(e, &st);
    CHECK(s1 == BML_ERR_EMPTY_INPUT && s2 == BML_ERR_INVALID_UTF8 && s3 == BML_ERR_OUT_OF_RANGE &&
              s4 == BML_ERR_INVALID_ARG && s5 == BML_ERR_INVALID_ARG && t == NULL && strstr(m1, "item 300") &&
              st.failed == 3 && st.submitted == 0,
          "engine_refuses_bad_items", "empty %s (%s), bad UTF-8 %s, id out of range %s (%s), no ticket or callback %s, "
          "priority 7 %s; failed %llu", bml_status_name(s1), m1, bml_status_name(s2), bml_status_name(s3), m3,
          bml_status_name(s4), bml_status_name(s5), (unsigned long long)st.failed);
    bml_engine_free(e);
    memset(&d, 0, sizeof d);
    d.max_batch_items = 5000;
    s1 = bml_engine_create(model, &d, &e);
    CHECK(s1 == BML_ERR_INVALID_ARG && e == NULL, "engine_bad_desc", "max_batch_items 5000: %s (%s)",
          bml_status_name(s1), bml_last_error());
}

/* ---- desc.dimensions: as bml_embed_batch's ---------------------------- */
static void test_dimensions(void) {
    bml_engine_desc d;
    bml_engine *e = NULL;
    bml_engine_ticket *t[4];
    bml_batch_desc bd;
    bml_item it;
    float want[4][8];
    int i, ok = 1;
    memset(&d, 0, sizeof d);
    d.dimensions = 8;
    d.max_wait_us = 5000;
    memset(&bd, 0, sizeof bd);
    bd.dimensions = 8;
    bd.batch_size = 1;
    bml_engine_create(model, &d, &e);
    for (i = 0; i < 4; i++) {
        bml_engine_request q = req(400 + (uint64_t)i, BML_PRIORITY_NORMAL);
        q.done = NULL;
        memset(&it, 0, sizeof it);
        it.text = textbuf[(400 + i) % NT];
        it.len = -1;
        bml_embed_batch(model, &it, 1, &bd, want[i], NULL);
        bml_engine_submit(e, &q, &t[i]);
    }
    for (i = 0; i < 4; i++) {
        bml_engine_result r;
        ok &= bml_engine_wait(t[i], BML_ENGINE_FOREVER, &r) == BML_OK && r.status == BML_OK && r.dim == 8 &&
              !memcmp(r.embedding, want[i], sizeof want[i]);
        bml_engine_ticket_free(t[i]);
    }
    CHECK(ok, "engine_dimensions", "dimensions 8: rows differ from bml_embed_batch's");
    bml_engine_free(e);
}

/* ---- jobs: other work on the model, in the same queue ----------------- */
typedef struct { int which; float row[1024]; int ran_alone; } job_arg;
static bml_status job_fn(bml_model *m, void *user, char *err, size_t cap) {
    job_arg *j = (job_arg *)user;
    bml_item it;
    bml_batch_desc bd;
    if (j->which < 0) { snprintf(err, cap, "this job fails on purpose"); return BML_ERR_FORMAT; }
    memset(&it, 0, sizeof it);
    it.text = textbuf[j->which];
    it.len = -1;
    memset(&bd, 0, sizeof bd);
    bd.batch_size = 1;
    return bml_embed_batch(m, &it, 1, &bd, j->row, NULL);
}

static void test_jobs(void) {
    bml_engine_desc d;
    bml_engine *e = NULL;
    bml_engine_ticket *tj = NULL, *tf = NULL, *tr[3];
    bml_engine_result rj, rf, rr;
    static job_arg ja, jf;
    int i, nok = 0;
    bml_status s1, s2;
    memset(&d, 0, sizeof d);
    d.max_wait_us = 10ull * 1000000; /* requests wait for company; a job does not */
    bml_engine_create(model, &d, &e);
    for (i = 0; i < 3; i++) {
        bml_engine_request q = req(500 + (uint64_t)i, BML_PRIORITY_NORMAL);
        q.done = NULL;
        bml_engine_submit(e, &q, &tr[i]);
    }
    ja.which = 5;
    jf.which = -1;
    s1 = bml_engine_submit_job(e, job_fn, &ja, BML_PRIORITY_HIGH, 0, &tj);
    s2 = bml_engine_submit_job(e, job_fn, &jf, BML_PRIORITY_HIGH, 0, &tf);
    bml_engine_wait(tj, 5000000, &rj);
    bml_engine_wait(tf, 5000000, &rf);
    CHECK(s1 == BML_OK && rj.status == BML_OK && !memcmp(ja.row, ref + 5 * H, H * sizeof(float)) &&
              rj.queue_ns < 4000000000ull && bml_engine_wait(tr[0], 0, NULL) == BML_ERR_TIMEOUT,
          "engine_job_runs", "a high job ahead of 3 waiting requests: %s, row %s, queued %.1f ms", bml_status_name(rj.status),
          memcmp(ja.row, ref + 5 * H, H * sizeof(float)) ? "DIFFERS" : "equal", (double)rj.queue_ns / 1e6);
    CHECK(s2 == BML_OK && rf.status == BML_ERR_FORMAT && !strcmp(rf.error, "this job fails on purpose"),
          "engine_job_error", "a failing job: %s (%s)", bml_status_name(rf.status), rf.error);
    bml_engine_shutdown(e, 1);
    for (i = 0; i < 3; i++) {
        nok += bml_engine_wait(tr[i], 0, &rr) == BML_OK && rr.status == BML_OK &&
               !memcmp(rr.embedding, ref + ((500 + i) % NT) * H, H * sizeof(float));
        bml_engine_ticket_free(tr[i]);
    }
    CHECK(nok == 3, "engine_job_then_requests", "%d of 3 requests around the jobs completed exact", nok);
    bml_engine_ticket_free(tj);
    bml_engine_ticket_free(tf);
    bml_engine_free(e);
}

int main(int argc, char **argv) {
    bml_model_desc md;
    bml_batch_desc bd;
    bml_item items[NT];
    size_t i;
    if (argc != 2) { fprintf(stderr, "usage: engine MODEL_DIR\n"); return 2; }
    memset(&md, 0, sizeof md);
    md.path = argv[1];
    md.threads = 2;
    if (bml_model_load(&md, &model) != BML_OK) { printf("FAIL engine_load: %s\n", bml_last_error()); return 1; }
    H = (size_t)bml_model_config(model)->dim;
    make_texts();
    ref = (float *)malloc(NT * H * sizeof(float));
    memset(items, 0, sizeof items);
    for (i = 0; i < NT; i++) { items[i].id = i; items[i].text = textbuf[i]; items[i].len = -1; }
    memset(&bd, 0, sizeof bd);
    bd.batch_size = 1;
    if (bml_embed_batch(model, items, NT, &bd, ref, NULL) != BML_OK) { printf("FAIL engine_ref: %s\n", bml_last_error()); return 1; }
    test_many_threads(0, "engine_threads");
    test_many_threads(3, "engine_cancel_race");
    test_priority_order();
    test_no_starvation();
    test_deadline_cancel_busy();
    test_shutdown_nodrain();
    test_refused();
    test_dimensions();
    test_jobs();
    bml_model_free(model);
    free(ref);
    TEST_EXIT();
}
