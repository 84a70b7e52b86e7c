/* parts/exporter_impl.h — the buffering overlay exporter (see
   parts/exporter_api.h). Sections: the record formatter; id sets; files
   (open, repair, lock, scan, write, sync); queues and batches; the API. */

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

/* Fault-injection seams (tests define them to fail at chosen calls). */
#ifndef BML_WRITE
#define BML_WRITE(fd, buf, n) write((fd), (buf), (n))
#endif
#ifndef BML_FSYNC
#define BML_FSYNC(fd) fsync(fd)
#endif
#ifndef BML_FTRUNCATE
#define BML_FTRUNCATE(fd, len) ftruncate((fd), (len))
#endif

#define BML__EXP_MAX_BATCH 32
#define BML__EXP_MAX_METHODS 16
#define BML__EXP_UNSYNCED_MAX ((size_t)16 << 20) /* written, not fsynced: at most this, then fsync */

/* ======================================================================
   The record formatter (shared by the exporter and `batchml overlay`)
   ====================================================================== */

/* A cursor over a caller buffer that keeps counting past its end. */
typedef struct bml__exp_out { char *buf; size_t cap, n; } bml__exp_out;

static void bml__exp_put(bml__exp_out *o, const char *s, size_t n) {
    if (o->n < o->cap) {
        size_t room = o->cap - o->n;
        memcpy(o->buf + o->n, s, n < room ? n : room);
    }
    o->n += n;
}

static void bml__exp_puts(bml__exp_out *o, const char *s) { bml__exp_put(o, s, strlen(s)); }

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void bml__exp_printf(bml__exp_out *o, const char *fmt, ...) {
    char tmp[64];
    int k;
    va_list ap;
    va_start(ap, fmt);
    k = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (k > 0) bml__exp_put(o, tmp, (size_t)k < sizeof tmp ? (size_t)k : sizeof tmp - 1);
}

/* A JSON string: '"' and '\\' escaped, bytes below 0x20 as \u00XX, the
   rest as is (UTF-8 passes through). */
static void bml__exp_jstr(bml__exp_out *o, const char *s, size_t n) {
    size_t i, run = 0;
    bml__exp_put(o, "\"", 1);
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c != '"' && c != '\\' && c >= 0x20) continue;
        bml__exp_put(o, s + run, i - run);
        if (c == '"' || c == '\\') { char e[2]; e[0] = '\\'; e[1] = (char)c; bml__exp_put(o, e, 2); }
        else bml__exp_printf(o, "\\u%04x", c);
        run = i + 1;
    }
    bml__exp_put(o, s + run, n - run);
    bml__exp_put(o, "\"", 1);
}

BMLDEF size_t bml_overlay_to_json(const bml_model *m, const bml_overlay *o, const char *method, const char *target,
                                  char *buf, size_t cap) {
    bml__exp_out w;
    size_t t;
    w.buf = buf;
    w.cap = buf ? cap : 0;
    w.n = 0;
    if (!o) return 0;
    bml__exp_printf(&w, "{\"id\":%llu,", (unsigned long long)o->id);
    if (o->status != BML_OK) {
        bml__exp_puts(&w, "\"error\":");
        bml__exp_jstr(&w, o->error, strnlen(o->error, sizeof o->error));
        bml__exp_puts(&w, "}\n");
    } else {
        const bml_tokenizer *tok = m ? m->tok : NULL;
        if (!method) method = bml_method_name(o->method);
        bml__exp_puts(&w, "\"method\":");
        bml__exp_jstr(&w, method, strlen(method));
        if (target) {
            bml__exp_puts(&w, ",\"target\":");
            bml__exp_jstr(&w, target, strlen(target));
        }
        bml__exp_printf(&w, ",\"f\":%.9g,\"tokens\":[", o->f);
        for (t = 0; t < o->n; t++) {
            const char *s = tok ? bml_tokenizer_id_to_token(tok, o->ids[t]) : NULL;
            if (!s) s = "";
            if (t) bml__exp_put(&w, ",", 1);
            bml__exp_jstr(&w, s, strlen(s));
        }
        bml__exp_puts(&w, "],\"offsets\":[");
        for (t = 0; t < o->n; t++)
            bml__exp_printf(&w, "%s[%u,%u]", t ? "," : "", (unsigned)o->offsets[2 * t], (unsigned)o->offsets[2 * t + 1]);
        bml__exp_puts(&w, "],\"raw\":[");
        for (t = 0; t < o->n; t++) bml__exp_printf(&w, "%s%.9g", t ? "," : "", (double)o->raw[t]);
        bml__exp_puts(&w, "],\"values\":[");
        for (t = 0; t < o->n; t++) bml__exp_printf(&w, "%s%.9g", t ? "," : "", (double)o->values[t]);
        bml__exp_puts(&w, "]}\n");
    }
    if (w.cap) w.buf[w.n < w.cap ? w.n : w.cap - 1] = 0;
    return w.n;
}

/* Fail with a prefix before the current error message (copied first: the
   message buffer is also the destination). */
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static bml_status bml__exp_wrap(bml_status rc, const char *fmt, ...) {
    char prev[512], pre[1024];
    va_list ap;
    snprintf(prev, sizeof prev, "%s", bml_last_error());
    va_start(ap, fmt);
    vsnprintf(pre, sizeof pre, fmt, ap);
    va_end(ap);
    return bml__fail(rc, "%s%s", pre, prev);
}

/* ======================================================================
   Id sets (resume): open addressing on uint64 ids
   ====================================================================== */

typedef struct bml__exp_idset { uint64_t *keys; unsigned char *used; size_t cap, count; } bml__exp_idset;

static void bml__exp_idset_free(bml__exp_idset *s) {
    BML_FREE(s->keys);
    BML_FREE(s->used);
    memset(s, 0, sizeof *s);
}

static int bml__exp_idset_has(const bml__exp_idset *s, uint64_t id) {
    size_t i;
    if (!s->cap) return 0;
    for (i = (size_t)bml__hash64(id) & (s->cap - 1); s->used[i]; i = (i + 1) & (s->cap - 1))
        if (s->keys[i] == id) return 1;
    return 0;
}

/* Insert id; returns 0 on success (present already or added), -1 out of memory. */
static int bml__exp_idset_add(bml__exp_idset *s, uint64_t id) {
    size_t i;
    if ((s->count + 1) * 4 > s->cap * 3) {
        bml__exp_idset ns;
        size_t k;
        ns.cap = s->cap ? s->cap * 2 : 1024;
        ns.count = 0;
        ns.keys = (uint64_t *)bml__calloc(ns.cap, sizeof *ns.keys);
        ns.used = (unsigned char *)bml__calloc(ns.cap, 1);
        if (!ns.keys || !ns.used) { BML_FREE(ns.keys); BML_FREE(ns.used); return -1; }
        for (k = 0; k < s->cap; k++)
            if (s->used[k]) {
                for (i = (size_t)bml__hash64(s->keys[k]) & (ns.cap - 1); ns.used[i]; i = (i + 1) & (ns.cap - 1)) {}
                ns.used[i] = 1;
                ns.keys[i] = s->keys[k];
                ns.count++;
            }
        bml__exp_idset_free(s);
        *s = ns;
    }
    for (i = (size_t)bml__hash64(id) & (s->cap - 1); s->used[i]; i = (i + 1) & (s->cap - 1))
        if (s->keys[i] == id) return 0;
    s->used[i] = 1;
    s->keys[i] = id;
    s->count++;
    return 0;
}

/* ======================================================================
   Exporter state
   ====================================================================== */

/* One queued request: a text, token ids, or a pre-failed input. */
typedef struct bml__exp_req {
    uint64_t id;
    char *text;             /* owned; NULL for ids or failed                 */
    size_t len;
    int32_t *ids;           /* owned; NULL for text or failed                */
    size_t n_ids;
    int is_ids;
    char *err;              /* owned: a pre-failed input's message           */
} bml__exp_req;

typedef struct bml__exp_meth {
    char *name, *method_s, *target_s, *path;
    bml_target *target;
    bml_overlay_desc od;
    int fd;                 /* -1: not open (reopened at the next write)     */
    dev_t dev;
    ino_t ino;
    uint64_t good;          /* file length of the whole records it holds     */
    uint64_t synced;        /* of which fsynced                              */
    int dirty;              /* the file may be longer than good: cut first   */
    int dir_unsynced;       /* created: its directory entry is not fsynced   */
    bml__exp_req *q;        /* queued requests [qn]                          */
    size_t qn, qcap;
    char *lines;            /* record lines: [0, lw) written, not yet fsynced;
                               [lw, ln) computed, not yet written           */
    size_t lw, ln, lcap;
    size_t rec_total, rec_w;   /* records in lines / in [0, lw)             */
    size_t err_total, err_w;   /* of which error records                    */
    bml__exp_idset seen;    /* resume: ids in the file or added             */
    bml_exporter_stats st;
} bml__exp_meth;

struct bml_exporter {
    bml_model *m;
    int enabled, resume, nondet;
    size_t bs;              /* 0 = sequential                                */
    bml_export_fsync fsync;
    char *dir;
    bml__exp_meth *meth;
    size_t nm;
};

/* ======================================================================
   Files: open (create, lock, repair a torn tail, scan), write, fsync
   ====================================================================== */

static bml_status bml__exp_mkdirs(const char *dir) {
    char buf[4096];
    size_t i, n = strlen(dir);
    if (n >= sizeof buf) return bml__fail(BML_ERR_INVALID_ARG, "path too long: %s", dir);
    memcpy(buf, dir, n + 1);
    for (i = 1; i <= n; i++) {
        if (buf[i] == '/' || buf[i] == 0) {
            char c = buf[i];
            buf[i] = 0;
            if (mkdir(buf, 0777) != 0 && errno != EEXIST)
                return bml__fail(BML_ERR_IO, "%s: cannot create directory: %s", buf, strerror(errno));
            buf[i] = c;
        }
    }
    return BML_OK;
}

/* fsync the directory holding the files (a new file's entry). EINVAL
   (a file system without directory fsync) counts as done. */
static int bml__exp_sync_dir(const char *dir) {
    int fd = open(dir, O_RDONLY | O_CLOEXEC), r, e;
    if (fd < 0) return -1;
    r = BML_FSYNC(fd);
    e = errno;
    close(fd);
    if (r != 0 && e == EINVAL) r = 0;
    errno = e;
    return r;
}

/* Read the records of an open file [0, size): count them and, with
   resume, collect their ids (every line must be a JSON object with an
   integer "id"). */
static bml_status bml__exp_scan(bml_exporter *ex, bml__exp_meth *mm, uint64_t size, size_t *count) {
    char *chunk = NULL, *line = NULL;
    size_t lcap = 0, ll = 0, lineno = 0;
    uint64_t pos = 0;
    bml_status rc = BML_OK;
    *count = 0;
    chunk = (char *)BML_MALLOC(1 << 16);
    if (!chunk) return bml__fail(BML_ERR_NOMEM, "out of memory");
    while (pos < size && rc == BML_OK) {
        size_t want = size - pos < (1 << 16) ? (size_t)(size - pos) : (1 << 16), i, from = 0;
        ssize_t got = pread(mm->fd, chunk, want, (off_t)pos);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) { rc = bml__fail(BML_ERR_IO, "%s: read failed: %s", mm->path, got < 0 ? strerror(errno) : "unexpected end of file"); break; }
        for (i = 0; i < (size_t)got && rc == BML_OK; i++) {
            if (chunk[i] != '\n') continue;
            lineno++;
            (*count)++;
            if (ex->resume) {
                size_t n = i - from;
                bml_json_doc *doc = NULL;
                const bml_json *root, *id;
                char *end;
                unsigned long long v;
                if (ll + n + 1 > lcap) {
                    size_t nc = (ll + n + 1) * 2;
                    char *nb = (char *)BML_REALLOC(line, nc);
                    if (!nb) { rc = bml__fail(BML_ERR_NOMEM, "out of memory"); break; }
                    line = nb;
                    lcap = nc;
                }
                memcpy(line + ll, chunk + from, n);
                ll += n;
                line[ll] = 0;
                if (bml_json_parse(line, ll, "record", &doc) != BML_OK) {
                    rc = bml__exp_wrap(BML_ERR_FORMAT, "%s:%zu: not a JSON record, refusing to append to it: ", mm->path, lineno);
                    break;
                }
                root = bml_json_root(doc);
                id = bml_json_get(root, "id");
                errno = 0;
                v = id && id->type == BML_JSON_NUMBER ? strtoull(line + id->offset, &end, 10) : 0;
                if (!id || id->type != BML_JSON_NUMBER || errno || !*end || !strchr(",} \t\r\n", *end) ||
                    line[id->offset] == '-') {
                    bml_json_free(doc);
                    rc = bml__fail(BML_ERR_FORMAT, "%s:%zu: a record needs a non-negative integer \"id\"; refusing to append to it",
                                   mm->path, lineno);
                    break;
                }
                bml_json_free(doc);
                if (bml__exp_idset_add(&mm->seen, (uint64_t)v) != 0) { rc = bml__fail(BML_ERR_NOMEM, "out of memory"); break; }
                ll = 0;
            }
            from = i + 1;
        }
        if (rc == BML_OK && ex->resume && from < (size_t)got) { /* a line continues in the next chunk */
            size_t n = (size_t)got - from;
            if (ll + n + 1 > lcap) {
                size_t nc = (ll + n + 1) * 2;
                char *nb = (char *)BML_REALLOC(line, nc);
                if (!nb) { rc = bml__fail(BML_ERR_NOMEM, "out of memory"); break; }
                line = nb;
                lcap = nc;
            }
            memcpy(line + ll, chunk + from, n);
            ll += n;
        }
        pos += (uint64_t)got;
    }
    BML_FREE(chunk);
    BML_FREE(line);
    return rc;
}

/* Length of the file's whole lines: up to and including its last '\n'. */
static bml_status bml__exp_whole_len(bml__exp_meth *mm, uint64_t size, uint64_t *keep) {
    char chunk[4096];
    uint64_t end = size;
    *keep = 0;
    while (end > 0) {
        size_t n = end < sizeof chunk ? (size_t)end : sizeof chunk, i;
        ssize_t got = pread(mm->fd, chunk, n, (off_t)(end - n));
        if (got < 0 && errno == EINTR) continue;
        if (got != (ssize_t)n) return bml__fail(BML_ERR_IO, "%s: read failed: %s", mm->path, got < 0 ? strerror(errno) : "short read");
        for (i = n; i > 0; i--)
            if (chunk[i - 1] == '\n') { *keep = end - n + i; return BML_OK; }
        end -= n;
    }
    return BML_OK;
}

/* Open (or reopen) a method's file: create it and the directory if
   missing, lock it, cut a torn last line, count (and with resume read) its
   records. */
static bml_status bml__exp_open(bml_exporter *ex, bml__exp_meth *mm, int first) {
    struct stat sb;
    struct flock fl;
    uint64_t keep;
    size_t count = 0;
    int existed, fd;
    bml_status rc;
    if ((rc = bml__exp_mkdirs(ex->dir)) != BML_OK) return rc;
    existed = stat(mm->path, &sb) == 0;
    fd = open(mm->path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) return bml__fail(BML_ERR_IO, "%s: cannot open for appending: %s", mm->path, strerror(errno));
    memset(&fl, 0, sizeof fl);
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    if (fcntl(fd, F_SETLK, &fl) != 0) {
        int e = errno;
        long pid = -1;
        memset(&fl, 0, sizeof fl);
        fl.l_type = F_WRLCK;
        fl.l_whence = SEEK_SET;
        if (fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK) pid = (long)fl.l_pid;
        close(fd);
        if (e == EACCES || e == EAGAIN)
            return bml__fail(BML_ERR_IO, "%s is in use by another exporter (process %ld)", mm->path, pid);
        return bml__fail(BML_ERR_IO, "%s: cannot lock: %s", mm->path, strerror(e));
    }
    if (fstat(fd, &sb) != 0) {
        int e = errno;
        close(fd);
        return bml__fail(BML_ERR_IO, "%s: stat failed: %s", mm->path, strerror(e));
    }
    mm->fd = fd;
    mm->dev = sb.st_dev;
    mm->ino = sb.st_ino;
    if ((rc = bml__exp_whole_len(mm, (uint64_t)sb.st_size, &keep)) != BML_OK) goto fail;
    if (keep < (uint64_t)sb.st_size) {
        size_t torn = (size_t)((uint64_t)sb.st_size - keep);
        if (BML_FTRUNCATE(fd, (off_t)keep) != 0) {
            rc = bml__fail(BML_ERR_IO, "%s: cannot truncate a torn last line (%zu bytes): %s", mm->path, torn, strerror(errno));
            goto fail;
        }
        mm->st.torn_bytes += torn;
        bml__log(BML_LOG_WARN, "%s: truncated a torn last line (%zu bytes) left by an interrupted write", mm->path, torn);
        if (ex->fsync != BML_EXPORT_FSYNC_NONE && BML_FSYNC(fd) != 0) {
            rc = bml__fail(BML_ERR_IO, "%s: fsync failed: %s", mm->path, strerror(errno));
            goto fail;
        }
    }
    if ((rc = bml__exp_scan(ex, mm, keep, &count)) != BML_OK) goto fail;
    if (first) mm->st.existing = count;
    mm->good = mm->synced = keep;
    mm->dirty = 0;
    mm->dir_unsynced = !existed;
    return BML_OK;
fail:
    close(fd);
    mm->fd = -1;
    return rc;
}

static void bml__exp_close_fd(bml__exp_meth *mm) {
    if (mm->fd >= 0) close(mm->fd);
    mm->fd = -1;
}

/* The written lines [0, lw) are durable now: drop them, count them. */
static void bml__exp_settle(bml__exp_meth *mm) {
    mm->st.records += mm->rec_w;
    mm->st.errors += mm->err_w;
    mm->rec_total -= mm->rec_w;
    mm->err_total -= mm->err_w;
    mm->rec_w = mm->err_w = 0;
    memmove(mm->lines, mm->lines + mm->lw, mm->ln - mm->lw);
    mm->ln -= mm->lw;
    mm->lw = 0;
    mm->synced = mm->good;
}

/* The lines written since the last fsync are not known durable (fsync
   failed, or the file went away): they go back to unwritten. */
static void bml__exp_unwrite(bml__exp_meth *mm) {
    mm->lw = 0;
    mm->rec_w = mm->err_w = 0;
}

/* fsync the file (and a new file's directory); on failure cut the file
   back to its synced length so the lines are written again. */
static bml_status bml__exp_sync(bml_exporter *ex, bml__exp_meth *mm) {
    uint64_t t0 = bml_now_ns();
    int r = 0, e = 0;
    if (mm->fd < 0) return BML_OK;
    if (mm->lw > 0 || mm->good != mm->synced) {
        r = BML_FSYNC(mm->fd);
        e = errno;
    }
    if (r == 0 && mm->dir_unsynced) {
        if (bml__exp_sync_dir(ex->dir) != 0) { r = -1; e = errno; }
        else mm->dir_unsynced = 0;
    }
    mm->st.sync_ns += bml_now_ns() - t0;
    if (r != 0) {
        mm->st.write_failures++;
        if (BML_FTRUNCATE(mm->fd, (off_t)mm->synced) == 0) mm->good = mm->synced;
        else { mm->dirty = 1; mm->good = mm->synced; }
        bml__exp_unwrite(mm);
        return bml__fail(BML_ERR_IO, "%s: fsync failed: %s; %zu records kept pending", mm->path, strerror(e),
                         mm->rec_total + mm->qn);
    }
    bml__exp_settle(mm);
    return BML_OK;
}

/* Append the unwritten lines [lw, ln) in one write loop; a failure cuts
   the file back to its last whole record and keeps the lines. Then fsync
   when asked (or when too much is unsynced). */
static bml_status bml__exp_write(bml_exporter *ex, bml__exp_meth *mm, int sync) {
    uint64_t t0;
    struct stat sb;
    size_t len = mm->ln - mm->lw, done = 0;
    int gone = 0;
    bml_status rc;
    if (mm->fd < 0 && (rc = bml__exp_open(ex, mm, 0)) != BML_OK) {
        mm->st.write_failures++;
        return bml__exp_wrap(rc, "%zu records kept pending: ", mm->rec_total + mm->qn);
    }
    if (mm->dirty) {
        if (BML_FTRUNCATE(mm->fd, (off_t)mm->good) != 0) {
            mm->st.write_failures++;
            return bml__fail(BML_ERR_IO, "%s: cannot cut back a failed write: %s; %zu records kept pending", mm->path,
                             strerror(errno), mm->rec_total + mm->qn);
        }
        mm->dirty = 0;
    }
    t0 = bml_now_ns();
    while (done < len) {
        ssize_t n = BML_WRITE(mm->fd, mm->lines + mm->lw + done, len - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            int e = n < 0 ? errno : ENOSPC;
            mm->st.write_failures++;
            if (BML_FTRUNCATE(mm->fd, (off_t)mm->good) != 0) mm->dirty = 1;
            mm->st.write_ns += bml_now_ns() - t0;
            return bml__fail(BML_ERR_IO, "%s: write failed after %zu of %zu bytes: %s; %zu records kept pending", mm->path,
                             done, len, strerror(e), mm->rec_total + mm->qn);
        }
        done += (size_t)n;
    }
    mm->good += len;
    mm->st.bytes += len;
    mm->lw = mm->ln;
    mm->rec_w = mm->rec_total;
    mm->err_w = mm->err_total;
    /* the path must still name this file (not removed or replaced) */
    if (stat(mm->path, &sb) != 0 ? (gone = 1) : (sb.st_dev != mm->dev || sb.st_ino != mm->ino)) {
        mm->st.write_failures++;
        mm->st.write_ns += bml_now_ns() - t0;
        bml__exp_close_fd(mm);
        bml__exp_unwrite(mm);
        return bml__fail(BML_ERR_IO, "%s was %s while open; %zu records kept pending for a new file at the next flush",
                         mm->path, gone ? "removed" : "replaced", mm->rec_total + mm->qn);
    }
    mm->st.write_ns += bml_now_ns() - t0;
    if (ex->fsync == BML_EXPORT_FSYNC_NONE) { bml__exp_settle(mm); return BML_OK; }
    if (sync || ex->fsync == BML_EXPORT_FSYNC_BATCH || mm->lw > BML__EXP_UNSYNCED_MAX) return bml__exp_sync(ex, mm);
    return BML_OK;
}

/* ======================================================================
   Queues and batches
   ====================================================================== */

static void bml__exp_req_free(bml__exp_req *r) {
    BML_FREE(r->text);
    BML_FREE(r->ids);
    BML_FREE(r->err);
    memset(r, 0, sizeof *r);
}

static int bml__exp_lines_reserve(bml__exp_meth *mm, size_t more) {
    if (mm->ln + more + 1 > mm->lcap) {
        size_t nc = mm->lcap ? mm->lcap : 4096;
        char *nb;
        while (nc < mm->ln + more + 1) nc *= 2;
        nb = (char *)BML_REALLOC(mm->lines, nc);
        if (!nb) return -1;
        mm->lines = nb;
        mm->lcap = nc;
    }
    return 0;
}

/* Compute the first `count` queued requests in one batched call and
   append their record lines (in queue order); on failure the requests
   stay queued. */
static bml_status bml__exp_compute(bml_exporter *ex, bml__exp_meth *mm, size_t count) {
    bml_item items[BML__EXP_MAX_BATCH];
    bml_overlay outs[BML__EXP_MAX_BATCH], done[BML__EXP_MAX_BATCH];
    size_t i, n = 0, k = 0;
    bml_overlay_desc od = mm->od;
    bml_status rc = BML_OK;
    size_t ln0 = mm->ln, rec0 = mm->rec_total, err0 = mm->err_total;
    uint64_t t0;
    BML_ASSERT(count >= 1 && count <= BML__EXP_MAX_BATCH && count <= mm->qn);
    for (i = 0; i < count; i++) {
        bml__exp_req *r = &mm->q[i];
        if (r->err) continue;
        memset(&items[n], 0, sizeof items[n]);
        items[n].id = r->id;
        if (r->is_ids) {
            items[n].ids = r->ids ? r->ids : (const int32_t *)(const void *)&r->n_ids; /* non-NULL even when empty */
            items[n].n_ids = r->n_ids;
        } else {
            items[n].text = r->text;
            items[n].len = (ptrdiff_t)r->len;
        }
        n++;
    }
    t0 = bml_now_ns();
    if (n) {
        int saved = ex->m->deterministic;
        od.batch_size = n;
        if (!ex->nondet) ex->m->deterministic = 1;
        rc = bml_overlay_compute_batch(ex->m, &od, items, n, outs);
        ex->m->deterministic = saved;
        mm->st.batches++;
    }
    mm->st.compute_ns += bml_now_ns() - t0;
    if (rc != BML_OK)
        return bml__exp_wrap(rc, "%s: overlay pass failed (%zu requests kept queued): ", mm->path, mm->qn);
    t0 = bml_now_ns();
    /* in queue order: computed overlays and pre-failed inputs */
    for (i = 0; i < count; i++) {
        bml__exp_req *r = &mm->q[i];
        bml_overlay *o = &done[i];
        if (r->err) {
            memset(o, 0, sizeof *o);
            o->id = r->id;
            o->status = BML_ERR_FORMAT;
            snprintf(o->error, sizeof o->error, "%s", r->err);
        } else {
            *o = outs[k++];
        }
    }
    for (i = 0; i < count && rc == BML_OK; i++) {
        size_t room, len;
        if (bml__exp_lines_reserve(mm, 4096) != 0) { rc = bml__fail(BML_ERR_NOMEM, "out of memory"); break; }
        room = mm->lcap - mm->ln;
        len = bml_overlay_to_json(ex->m, &done[i], mm->method_s, mm->target_s, mm->lines + mm->ln, room);
        if (len >= room) {
            if (bml__exp_lines_reserve(mm, len + 1) != 0) { rc = bml__fail(BML_ERR_NOMEM, "out of memory"); break; }
            bml_overlay_to_json(ex->m, &done[i], mm->method_s, mm->target_s, mm->lines + mm->ln, mm->lcap - mm->ln);
        }
        mm->ln += len;
        mm->rec_total++;
        if (done[i].status != BML_OK) mm->err_total++;
    }
    for (k = 0; k < count; k++) bml_overlay_free(&done[k]);
    if (rc != BML_OK) {
        /* out of memory formatting: drop this batch's lines, keep its requests */
        mm->ln = ln0;
        mm->rec_total = rec0;
        mm->err_total = err0;
        return rc;
    }
    for (i = 0; i < count; i++) bml__exp_req_free(&mm->q[i]);
    memmove(mm->q, mm->q + count, (mm->qn - count) * sizeof *mm->q);
    mm->qn -= count;
    mm->st.write_ns += bml_now_ns() - t0;
    return BML_OK;
}

/* Write what is computed, compute full batches (every queued request when
   at_flush), write each as it is done; fsync per the policy. */
static bml_status bml__exp_drain(bml_exporter *ex, bml__exp_meth *mm, int at_flush) {
    size_t per = ex->bs ? ex->bs : 1;
    int sync_each = ex->fsync == BML_EXPORT_FSYNC_BATCH;
    bml_status rc;
    if (mm->ln > mm->lw && (rc = bml__exp_write(ex, mm, sync_each)) != BML_OK) return rc;
    while (mm->qn >= per || (at_flush && mm->qn > 0)) {
        if ((rc = bml__exp_compute(ex, mm, mm->qn < per ? mm->qn : per)) != BML_OK) return rc;
        if ((rc = bml__exp_write(ex, mm, sync_each)) != BML_OK) return rc;
    }
    if (at_flush && mm->fd >= 0) {
        if (mm->dirty) {
            if (BML_FTRUNCATE(mm->fd, (off_t)mm->good) != 0)
                return bml__fail(BML_ERR_IO, "%s: cannot cut back a failed write: %s", mm->path, strerror(errno));
            mm->dirty = 0;
        }
        if (ex->fsync != BML_EXPORT_FSYNC_NONE) return bml__exp_sync(ex, mm);
    }
    return BML_OK;
}

/* ======================================================================
   API
   ====================================================================== */

static void bml__exp_meth_free(bml__exp_meth *mm) {
    size_t i;
    bml__exp_close_fd(mm);
    for (i = 0; i < mm->qn; i++) bml__exp_req_free(&mm->q[i]);
    BML_FREE(mm->q);
    BML_FREE(mm->lines);
    bml__exp_idset_free(&mm->seen);
    bml_target_free(mm->target);
    BML_FREE(mm->name);
    BML_FREE(mm->method_s);
    BML_FREE(mm->target_s);
    BML_FREE(mm->path);
}

BMLDEF void bml_exporter_free(bml_exporter *ex) {
    size_t i;
    if (!ex) return;
    for (i = 0; i < ex->nm; i++) bml__exp_meth_free(&ex->meth[i]);
    BML_FREE(ex->meth);
    BML_FREE(ex->dir);
    BML_FREE(ex);
}

static int bml__exp_name_ok(const char *s) {
    size_t i, n = strlen(s);
    if (n == 0 || n > 200 || s[0] == '.') return 0;
    for (i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.'))
            return 0;
    }
    return 1;
}

/* Every field of the desc, in one place (also when disabled, so a typo in
   a disabled configuration still surfaces). */
static bml_status bml__exp_validate(const bml_exporter_desc *d) {
    size_t i, j;
    if (d->batch_size < 0 || d->batch_size > BML__EXP_MAX_BATCH)
        return bml__fail(BML_ERR_INVALID_ARG, "bml_exporter_desc.batch_size must be 0..%d (0 = sequential, 1..%d = batched), got %d",
                         BML__EXP_MAX_BATCH, BML__EXP_MAX_BATCH, d->batch_size);
    if ((unsigned)d->fsync > BML_EXPORT_FSYNC_NONE)
        return bml__fail(BML_ERR_INVALID_ARG,
                         "bml_exporter_desc.fsync must be 0..2 (BML_EXPORT_FSYNC_FLUSH, _BATCH or _NONE), got %d", (int)d->fsync);
    if ((unsigned)d->utf8 > BML_UTF8_REPLACE)
        return bml__fail(BML_ERR_INVALID_ARG, "bml_exporter_desc.utf8 must be 0..1 (BML_UTF8_ERROR or _REPLACE), got %d", (int)d->utf8);
    if (d->n_methods > BML__EXP_MAX_METHODS || (d->enabled && d->n_methods < 1))
        return bml__fail(BML_ERR_INVALID_ARG, "bml_exporter_desc.n_methods must be 1..%d, got %zu", BML__EXP_MAX_METHODS, d->n_methods);
    if (d->n_methods && !d->methods)
        return bml__fail(BML_ERR_INVALID_ARG, "bml_exporter_desc.methods is NULL with n_methods %zu", d->n_methods);
    if (d->enabled && (!d->dir || !d->dir[0]))
        return bml__fail(BML_ERR_INVALID_ARG, "bml_exporter_desc.dir (the output directory) is required");
    if (d->dir && strlen(d->dir) > 3000)
        return bml__fail(BML_ERR_INVALID_ARG, "bml_exporter_desc.dir is too long (%zu bytes, at most 3000)", strlen(d->dir));
    for (i = 0; i < d->n_methods; i++) {
        const bml_exporter_method *e = &d->methods[i];
        bml_method meth;
        int want;
        const char *name;
        if (!e->method || bml_method_parse(e->method, &meth, &want) != BML_OK)
            return bml__fail(BML_ERR_INVALID_ARG,
                             "bml_exporter_desc.methods[%zu].method must be one of grad, grad_x_input, "
                             "integrated_gradients, policy_grad, value_grad, got '%.100s'",
                             i, e->method ? e->method : "(null)");
        if (d->enabled && (!e->target || !e->target[0]))
            return bml__fail(BML_ERR_INVALID_ARG, "bml_exporter_desc.methods[%zu].target is required (sim:TEXT, value:FILE or "
                             "policy:FILE:K), got %s", i, e->target ? "''" : "NULL");
        if (e->steps < 0 || e->steps > 4096)
            return bml__fail(BML_ERR_INVALID_ARG, "bml_exporter_desc.methods[%zu].steps must be 0..4096 (0 = 32), got %d", i,
                             e->steps);
        name = e->name ? e->name : e->method;
        if (!bml__exp_name_ok(name))
            return bml__fail(BML_ERR_INVALID_ARG,
                             "bml_exporter_desc.methods[%zu].name must be 1..200 of letters, digits, '_', '-', '.' (not "
                             "starting with '.'), got '%.100s'", i, name);
        for (j = 0; j < i; j++) {
            const char *other = d->methods[j].name ? d->methods[j].name : d->methods[j].method;
            if (!strcmp(name, other))
                return bml__fail(BML_ERR_INVALID_ARG,
                                 "bml_exporter_desc.methods[%zu].name '%s' is also methods[%zu]'s: each method needs its own "
                                 "file (set .name)", i, name, j);
        }
    }
    return BML_OK;
}

BMLDEF bml_status bml_exporter_create(bml_model *m, const bml_exporter_desc *desc, bml_exporter **out) {
    bml_exporter *ex;
    bml_status rc;
    size_t i;
    if (!out) return bml__fail(BML_ERR_INVALID_ARG, "bml_exporter_create: out is NULL");
    *out = NULL;
    if (!desc) return bml__fail(BML_ERR_INVALID_ARG, "bml_exporter_create: desc is NULL");
    if ((rc = bml__exp_validate(desc)) != BML_OK) return rc;
    if (desc->enabled && !m) return bml__fail(BML_ERR_INVALID_ARG, "bml_exporter_create: the model is NULL");
    if (desc->enabled && m->cl && !desc->nondeterministic)
        return bml__fail(BML_ERR_UNSUPPORTED,
                         "bml_exporter_desc.nondeterministic must be 1 on an OpenCL device: byte-identical records across "
                         "batch sizes need the CPU's deterministic mode");
    ex = (bml_exporter *)bml__calloc(1, sizeof *ex);
    if (!ex) return bml__fail(BML_ERR_NOMEM, "out of memory");
    ex->m = m;
    ex->enabled = desc->enabled != 0;
    ex->resume = desc->resume != 0;
    ex->nondet = desc->nondeterministic != 0;
    ex->bs = (size_t)desc->batch_size;
    ex->fsync = desc->fsync;
    if (!ex->enabled) { *out = ex; return BML_OK; }
    ex->dir = bml__strdup(desc->dir);
    ex->meth = (bml__exp_meth *)bml__calloc(desc->n_methods, sizeof *ex->meth);
    if (!ex->dir || !ex->meth) { bml_exporter_free(ex); return bml__fail(BML_ERR_NOMEM, "out of memory"); }
    for (i = 0; i < desc->n_methods; i++) ex->meth[i].fd = -1;
    ex->nm = desc->n_methods;
    for (i = 0; i < ex->nm; i++) {
        const bml_exporter_method *e = &desc->methods[i];
        bml__exp_meth *mm = &ex->meth[i];
        const char *name = e->name ? e->name : e->method;
        size_t plen = strlen(ex->dir) + strlen(name) + 8;
        int want;
        mm->name = bml__strdup(name);
        mm->method_s = bml__strdup(e->method);
        mm->target_s = bml__strdup(e->target);
        mm->path = (char *)BML_MALLOC(plen);
        if (!mm->name || !mm->method_s || !mm->target_s || !mm->path) { rc = bml__fail(BML_ERR_NOMEM, "out of memory"); goto fail; }
        bml__join(mm->path, plen, ex->dir, name);
        strcat(mm->path, ".jsonl");
        mm->st.name = mm->name;
        mm->st.path = mm->path;
        bml_method_parse(e->method, &mm->od.method, &want);
        {
            /* a sim: target embeds its text: in the same mode as the passes */
            int saved = m->deterministic;
            if (!ex->nondet) m->deterministic = 1;
            rc = bml_target_parse(m, e->target, &mm->target);
            m->deterministic = saved;
        }
        if (rc != BML_OK) {
            rc = bml__exp_wrap(rc, "bml_exporter_desc.methods[%zu].target: ", i);
            goto fail;
        }
        if (want >= 0 && (int)bml_target_kind_of(mm->target) != want) {
            rc = bml__fail(BML_ERR_INVALID_ARG, "bml_exporter_desc.methods[%zu]: method %s needs a %s target, got '%.200s'", i,
                           e->method, want == BML_TARGET_POLICY ? "policy:FILE:K" : "value:FILE", e->target);
            goto fail;
        }
        mm->od.target = mm->target;
        mm->od.steps = e->steps;
        mm->od.utf8 = desc->utf8;
    }
    for (i = 0; i < ex->nm; i++)
        if ((rc = bml__exp_open(ex, &ex->meth[i], 1)) != BML_OK) goto fail;
    *out = ex;
    return BML_OK;
fail:
    bml_exporter_free(ex);
    return rc;
}

/* Queue one request (a copy of the input) on every method; compute and
   write the methods whose queue is full. */
static bml_status bml__exp_add(bml_exporter *ex, uint64_t id, const char *text, size_t len, const int32_t *ids,
                               size_t n_ids, int is_ids, const char *err) {
    bml_status first = BML_OK, rc;
    char msg[512];
    size_t i;
    if (!ex) return bml__fail(BML_ERR_INVALID_ARG, "bml_exporter_add: exporter is NULL");
    if (!ex->enabled) return BML_OK;
    for (i = 0; i < ex->nm; i++) {
        bml__exp_meth *mm = &ex->meth[i];
        bml__exp_req *r;
        if (ex->resume && bml__exp_idset_has(&mm->seen, id)) { mm->st.skipped++; continue; }
        if (mm->qn == mm->qcap) {
            size_t nc = mm->qcap ? mm->qcap * 2 : 64;
            bml__exp_req *nq = (bml__exp_req *)BML_REALLOC(mm->q, nc * sizeof *nq);
            if (!nq) return bml__fail(BML_ERR_NOMEM, "out of memory");
            mm->q = nq;
            mm->qcap = nc;
        }
        r = &mm->q[mm->qn];
        memset(r, 0, sizeof *r);
        r->id = id;
        r->is_ids = is_ids;
        if (err) {
            r->err = bml__strdup(err);
            if (!r->err) return bml__fail(BML_ERR_NOMEM, "out of memory");
        } else if (is_ids) {
            r->n_ids = n_ids;
            if (n_ids) {
                r->ids = (int32_t *)bml__calloc(n_ids, sizeof(int32_t));
                if (!r->ids) return bml__fail(BML_ERR_NOMEM, "out of memory");
                memcpy(r->ids, ids, n_ids * sizeof(int32_t));
            }
        } else {
            r->text = (char *)BML_MALLOC(len + 1);
            if (!r->text) return bml__fail(BML_ERR_NOMEM, "out of memory");
            if (len) memcpy(r->text, text, len);
            r->text[len] = 0;
            r->len = len;
        }
        mm->qn++;
        mm->st.items++;
        if (ex->resume && bml__exp_idset_add(&mm->seen, id) != 0) return bml__fail(BML_ERR_NOMEM, "out of memory");
        if (mm->qn >= (ex->bs ? ex->bs : 1)) {
            rc = bml__exp_drain(ex, mm, 0);
            if (rc != BML_OK && first == BML_OK) {
                first = rc;
                snprintf(msg, sizeof msg, "%s", bml_last_error());
            }
        }
    }
    if (first != BML_OK) return bml__fail(first, "%s", msg);
    return BML_OK;
}

BMLDEF bml_status bml_exporter_add(bml_exporter *ex, uint64_t id, const char *text, ptrdiff_t len) {
    size_t n;
    if (!text) return bml__fail(BML_ERR_INVALID_ARG, "bml_exporter_add: text is NULL (id %llu)", (unsigned long long)id);
    n = len < 0 ? strlen(text) : (size_t)len;
    return bml__exp_add(ex, id, text, n, NULL, 0, 0, NULL);
}

BMLDEF bml_status bml_exporter_add_item(bml_exporter *ex, const bml_item *item) {
    if (!item) return bml__fail(BML_ERR_INVALID_ARG, "bml_exporter_add_item: item is NULL");
    if (item->ids) return bml__exp_add(ex, item->id, NULL, 0, item->ids, item->n_ids, 1, NULL);
    if (!item->text) return bml__fail(BML_ERR_INVALID_ARG, "bml_exporter_add_item: item %llu has neither text nor ids",
                                      (unsigned long long)item->id);
    return bml__exp_add(ex, item->id, item->text, item->len < 0 ? strlen(item->text) : (size_t)item->len, NULL, 0, 0, NULL);
}

BMLDEF bml_status bml_exporter_add_failed(bml_exporter *ex, uint64_t id, const char *error) {
    return bml__exp_add(ex, id, NULL, 0, NULL, 0, 0, error && error[0] ? error : "failed");
}

BMLDEF bml_status bml_exporter_flush(bml_exporter *ex) {
    bml_status first = BML_OK, rc;
    char msg[512];
    size_t i;
    if (!ex) return bml__fail(BML_ERR_INVALID_ARG, "bml_exporter_flush: exporter is NULL");
    msg[0] = 0;
    for (i = 0; i < ex->nm; i++) {
        rc = bml__exp_drain(ex, &ex->meth[i], 1);
        if (rc != BML_OK && first == BML_OK) {
            first = rc;
            snprintf(msg, sizeof msg, "%s", bml_last_error());
        }
    }
    if (first != BML_OK) return bml__fail(first, "%s", msg);
    return BML_OK;
}

BMLDEF bml_status bml_exporter_close(bml_exporter *ex) {
    bml_status rc;
    if (!ex) return BML_OK;
    if ((rc = bml_exporter_flush(ex)) != BML_OK) return rc;
    bml_exporter_free(ex);
    return BML_OK;
}

BMLDEF size_t bml_exporter_method_count(const bml_exporter *ex) { return ex ? ex->nm : 0; }

BMLDEF bml_status bml_exporter_stats_get(const bml_exporter *ex, size_t method, bml_exporter_stats *out) {
    const bml__exp_meth *mm;
    if (!ex || !out) return bml__fail(BML_ERR_INVALID_ARG, "bml_exporter_stats_get: NULL argument");
    if (method >= ex->nm)
        return bml__fail(BML_ERR_OUT_OF_RANGE, "bml_exporter_stats_get: method %zu, the exporter has %zu", method, ex->nm);
    mm = &ex->meth[method];
    *out = mm->st;
    out->pending = mm->qn + mm->rec_total;
    return BML_OK;
}

BMLDEF size_t bml_exporter_pending(const bml_exporter *ex) {
    size_t i, n = 0;
    if (!ex) return 0;
    for (i = 0; i < ex->nm; i++) n += ex->meth[i].qn + ex->meth[i].rec_total;
    return n;
}
