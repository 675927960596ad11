/* Cleanup attributes: every owned resource is released when its
   variable goes out of scope; hand ownership over with steal_pointer or
   get_and_reset.  */
#ifndef CC_LIB_CLEANUP_H
#define CC_LIB_CLEANUP_H

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void
cleanup_free_fn (void *p)
{
  void **pp = (void **)p;
  free (*pp);
}
#define cleanup_free __attribute__ ((cleanup (cleanup_free_fn)))

static inline void
cleanup_close_fn (int *fd)
{
  if (*fd >= 0)
    {
      int saved = errno;
      close (*fd);
      errno = saved;
    }
}
#define cleanup_close __attribute__ ((cleanup (cleanup_close_fn)))

static inline void
cleanup_fclose_fn (FILE **f)
{
  if (*f != NULL)
    fclose (*f);
}
#define cleanup_fclose __attribute__ ((cleanup (cleanup_fclose_fn)))

static inline void
cleanup_dir_fn (DIR **d)
{
  if (*d != NULL)
    closedir (*d);
}
#define cleanup_dir __attribute__ ((cleanup (cleanup_dir_fn)))

/* NULL-terminated vector of owned strings.  */
static inline void
cleanup_strv_fn (char ***v)
{
  if (*v == NULL)
    return;
  for (char **it = *v; *it; it++)
    free (*it);
  free (*v);
}
#define cleanup_strv __attribute__ ((cleanup (cleanup_strv_fn)))

static inline void *
steal_pointer_impl (void *pp)
{
  void **p = (void **)pp;
  void *r = *p;
  *p = NULL;
  return r;
}
#define steal_pointer(pp) ((__typeof__ (*(pp)))steal_pointer_impl (pp))

static inline int
get_and_reset (int *fd)
{
  int r = *fd;
  *fd = -1;
  return r;
}

#define CC_N_ELEMENTS(a) (sizeof (a) / sizeof ((a)[0]))

#endif
