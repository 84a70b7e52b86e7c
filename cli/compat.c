/* Win32 versions of the CLI's POSIX calls (cli/compat.h). Empty elsewhere. */
#include "cli.h"
#ifdef _WIN32
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>
#include <shellapi.h>
#include <dirent.h>
#include "compat.h"
#undef DIR
#undef dirent
#undef opendir
#undef readdir
#undef closedir
#undef open
#undef stat
#undef unlink
#undef rename
#undef fopen

static wchar_t *wide(const char *s) {
    int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, NULL, 0);
    wchar_t *w;
    if (n <= 0 || !(w = malloc((size_t)n * sizeof *w))) return NULL;
    MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, w, n);
    return w;
}

void *cli_win_mmap(void *addr, size_t len, int prot, int flags, int fd, long long off) {
    HANDLE fh = (HANDLE)_get_osfhandle(fd), mh;
    void *p;
    (void)addr; (void)prot; (void)flags;
    if (fh == INVALID_HANDLE_VALUE || off) { errno = EINVAL; return MAP_FAILED; }
    if (!(mh = CreateFileMappingW(fh, NULL, PAGE_READONLY, 0, 0, NULL))) { errno = EACCES; return MAP_FAILED; }
    p = MapViewOfFile(mh, FILE_MAP_READ, 0, 0, len);
    CloseHandle(mh);
    if (!p) { errno = ENOMEM; return MAP_FAILED; }
    return p;
}

int cli_win_munmap(void *p, size_t len) { (void)len; return UnmapViewOfFile(p) ? 0 : -1; }

long cli_win_sysconf(int name) {
    SYSTEM_INFO si;
    if (name != _SC_NPROCESSORS_ONLN) { errno = EINVAL; return -1; }
    GetSystemInfo(&si);
    return (long)si.dwNumberOfProcessors;
}

int cli_win_open(const char *path, int flags, ...) {
    wchar_t *w = wide(path);
    int mode = 0, fd;
    va_list ap;
    va_start(ap, flags);
    if (flags & O_CREAT) mode = va_arg(ap, int);
    va_end(ap);
    if (!w) { errno = EINVAL; return -1; }
    fd = _wopen(w, flags | _O_BINARY, mode & 0600 ? _S_IREAD | _S_IWRITE : _S_IREAD);
    free(w);
    return fd;
}

int cli_win_stat(const char *path, struct stat *sb) {
    wchar_t *w = wide(path);
    struct _stati64 s;
    int r;
    if (!w) { errno = EINVAL; return -1; }
    r = _wstati64(w, &s);
    free(w);
    if (r != 0) return r;
    memset(sb, 0, sizeof *sb);
    sb->st_mode = s.st_mode;
    sb->st_size = (_off_t)s.st_size;
    sb->st_mtime = (time_t)s.st_mtime;
    sb->st_dev = s.st_dev;
    sb->st_ino = s.st_ino;
    return 0;
}

int cli_win_unlink(const char *path) {
    wchar_t *w = wide(path);
    int r;
    if (!w) { errno = EINVAL; return -1; }
    r = _wunlink(w);
    free(w);
    return r;
}

int cli_win_rename(const char *from, const char *to) {
    wchar_t *a = wide(from), *b = wide(to);
    int ok = a && b && MoveFileExW(a, b, MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH);
    free(a);
    free(b);
    if (!ok) { errno = EACCES; return -1; }
    return 0;
}

void cli_platform_init(int *argc, char ***argv) {
    int n, i;
    wchar_t **wa = CommandLineToArgvW(GetCommandLineW(), &n);
    char **a;
    _setmode(_fileno(stdin), _O_BINARY);
    _setmode(_fileno(stdout), _O_BINARY);
    if (!wa) return;
    if (!(a = calloc((size_t)n + 1, sizeof *a))) { LocalFree(wa); return; }
    for (i = 0; i < n; i++) {
        int len = WideCharToMultiByte(CP_UTF8, 0, wa[i], -1, NULL, 0, NULL, NULL);
        if (len <= 0 || !(a[i] = malloc((size_t)len))) { LocalFree(wa); return; }
        WideCharToMultiByte(CP_UTF8, 0, wa[i], -1, a[i], len, NULL, NULL);
    }
    LocalFree(wa);
    *argc = n;
    *argv = a; /* lives until exit */
}

struct cli_win_dir { _WDIR *d; struct cli_win_dirent e; };

cli_win_dir *cli_win_opendir(const char *path) {
    wchar_t *w = wide(path);
    cli_win_dir *d;
    if (!w) { errno = EINVAL; return NULL; }
    if (!(d = calloc(1, sizeof *d)) || !(d->d = _wopendir(w))) { free(d); free(w); return NULL; }
    free(w);
    return d;
}

struct cli_win_dirent *cli_win_readdir(cli_win_dir *d) {
    struct _wdirent *e;
    while ((e = _wreaddir(d->d))) /* a name too long for d_name is skipped */
        if (WideCharToMultiByte(CP_UTF8, 0, e->d_name, -1, d->e.d_name, (int)sizeof d->e.d_name, NULL, NULL) > 0)
            return &d->e;
    return NULL;
}

int cli_win_closedir(cli_win_dir *d) {
    int r = _wclosedir(d->d);
    free(d);
    return r;
}

int cli_file_id(const char *path, int fd, const struct stat *sb, unsigned long long id[2]) {
    BY_HANDLE_FILE_INFORMATION fi;
    HANDLE h;
    int ok, own = fd < 0;
    (void)sb;
    if (own) {
        wchar_t *w = wide(path);
        if (!w) return -1;
        h = CreateFileW(w, 0, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL, OPEN_EXISTING,
                        FILE_FLAG_BACKUP_SEMANTICS, NULL);
        free(w);
    } else {
        h = (HANDLE)_get_osfhandle(fd);
    }
    if (h == INVALID_HANDLE_VALUE) return -1;
    ok = GetFileInformationByHandle(h, &fi);
    if (own) CloseHandle(h);
    if (!ok) return -1;
    id[0] = fi.dwVolumeSerialNumber;
    id[1] = ((unsigned long long)fi.nFileIndexHigh << 32) | fi.nFileIndexLow;
    return 0;
}
#else
#include <sys/stat.h>
int cli_file_id(const char *path, int fd, const struct stat *sb, unsigned long long id[2]) {
    (void)path;
    (void)fd;
    id[0] = (unsigned long long)sb->st_dev;
    id[1] = (unsigned long long)sb->st_ino;
    return 0;
}
#endif
