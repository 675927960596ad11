/* File and path helpers.  */
#ifndef CC_LIB_FILE_H
#define CC_LIB_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"

/* Read a whole file; *OUT is NUL-terminated, *LEN (may be NULL) excludes it.  */
int cc_read_file (const char *path, char **out, size_t *len, cc_error_t *err);
int cc_read_file_at (int dirfd, const char *path, char **out, size_t *len, cc_error_t *err);
/* The same for files a user hands us: only a regular file or a pipe is
   read (never a device such as /dev/zero), and reading fails with EFBIG
   past MAX bytes instead of running out of memory.  */
int cc_read_file_max (const char *path, size_t max, char **out, size_t *len, cc_error_t *err);
/* The same for files a compose file names (env_file, include, extends):
   a regular file only, never waiting on a FIFO.  */
int cc_read_regular_file_max (const char *path, size_t max, char **out, size_t *len, cc_error_t *err);
/* Fails unless PATH is (a symlink to) a regular file, naming what it is.  */
int cc_check_regular_file (const char *path, cc_error_t *err);
/* An already open FD (stdin) of any kind, capped at MAX bytes; WHAT names
   it in the error.  */
int cc_read_fd_max (int fd, const char *what, size_t max, char **out, size_t *len, cc_error_t *err);
/* Write through a temporary file, fsync, rename: readers see the old or
   the new contents, never a half.  Files under the state directory are
   not fsynced: what they describe does not outlive a reboot.  */
int cc_write_file_atomic (const char *path, const void *data, size_t len, mode_t mode, cc_error_t *err);
/* Replace the contents of PATH (created 0644) keeping its inode; never
   through a symlink.  Not fsynced: for files whose contents are made
   again when lost (hosts files).  */
int cc_write_file_in_place (const char *path, const void *data, size_t len, cc_error_t *err);
/* The same without the fsync, for files whose loss in a power failure
   costs nothing but a little work (cache records): a crash of the
   process still leaves the old or the new contents.  */
int cc_write_file_replace (const char *path, const void *data, size_t len, mode_t mode, cc_error_t *err);
int cc_write_all (int fd, const void *data, size_t len);
int cc_mkdir_p (const char *path, mode_t mode, cc_error_t *err);
/* Remove a tree (lib/rmtree.c): iterative with O(1) descriptors, never
   following a symlink nor entering another mount; missing is success.
   Only the first failure is reported, with its path.  */
int cc_rm_rf (const char *path, cc_error_t *err);
bool cc_file_exists (const char *path);
bool cc_is_dir (const char *path);
char *cc_path_join (const char *a, const char *b);
/* Directory part and last component of PATH, freshly allocated.  */
char *cc_path_dirname (const char *path);
char *cc_path_basename (const char *path);
/* Lexically clean PATH: collapse //, ., and .. (never above / for
   absolute paths).  */
char *cc_path_clean (const char *path);
/* Take an exclusive flock on PATH (created), waiting when BLOCK
   (lib/lock.c).  */
int cc_lock_path (const char *path, bool block, int *fd_out, cc_error_t *err);
/* flock FD with OP (LOCK_EX or LOCK_SH), waiting as long as it takes;
   after a second of waiting, say once on stderr that it waits for PATH
   and who holds it.  */
int cc_flock_wait (int fd, int op, const char *path, cc_error_t *err);

#endif
