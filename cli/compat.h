/* The CLI's few POSIX calls on Windows (MinGW-w64, `make windows`): each CLI
   file includes this after its system headers. On POSIX it only brings
   <sys/mman.h>. On Windows the POSIX names used are mapped onto
   cli/compat.c's Win32 versions: paths are UTF-8 (converted to UTF-16 for
   the wide calls; main() turns the UTF-16 command line into UTF-8 argv),
   files are binary (no \n -> \r\n), read-only mmap is a file mapping, and
   rename replaces an existing file as POSIX rename does. The library itself
   has its own layer (batchml.h, >>platform). */
#ifndef BATCHML_CLI_COMPAT_H
#define BATCHML_CLI_COMPAT_H
/* A file's identity (device and inode; on Windows the volume serial and
   file index, which stat leaves 0), from fd when fd >= 0, else from path;
   sb is what stat/fstat gave for it. 0 on success. */
struct stat;
int cli_file_id(const char *path, int fd, const struct stat *sb, unsigned long long id[2]);
#ifndef _WIN32
#include <sys/mman.h>
#define cli_platform_init(argc, argv) ((void)0)
#else
#include <stdio.h>
#include <stddef.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <io.h>

#define PROT_READ 1
#define MAP_PRIVATE 2
#define MAP_FAILED ((void *)-1)
void *cli_win_mmap(void *addr, size_t len, int prot, int flags, int fd, long long off);
int cli_win_munmap(void *p, size_t len);
#define mmap cli_win_mmap
#define munmap cli_win_munmap

#define _SC_NPROCESSORS_ONLN 84
long cli_win_sysconf(int name);
#define sysconf cli_win_sysconf

#ifndef O_CLOEXEC
#define O_CLOEXEC _O_NOINHERIT
#endif
#ifndef O_NOFOLLOW
#define O_NOFOLLOW 0
#endif
int cli_win_open(const char *path, int flags, ...);
int cli_win_stat(const char *path, struct stat *sb);
int cli_win_unlink(const char *path);
int cli_win_rename(const char *from, const char *to);
#define open cli_win_open
#define stat(path, sb) cli_win_stat((path), (sb))
#define unlink cli_win_unlink
#define rename cli_win_rename
#define fopen bml_fopen
/* directories listed by UTF-8 name (MinGW's opendir takes ANSI names) */
#include <dirent.h>
typedef struct cli_win_dir cli_win_dir;
struct cli_win_dirent { char d_name[1024]; };
cli_win_dir *cli_win_opendir(const char *path);
struct cli_win_dirent *cli_win_readdir(cli_win_dir *d);
int cli_win_closedir(cli_win_dir *d);
#define DIR cli_win_dir
#define dirent cli_win_dirent
#define opendir cli_win_opendir
#define readdir cli_win_readdir
#define closedir cli_win_closedir
#define getc_unlocked getc

/* UTF-8 argv from the UTF-16 command line; stdin and stdout in binary mode */
void cli_platform_init(int *argc, char ***argv);
#endif
#endif
