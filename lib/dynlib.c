#include "lib/dynlib.h"

#include <dlfcn.h>
#include <stdlib.h>

/* Pulls and layer extractions run in threads: the first use may come
   from several at once.  The handle and each cached address are written
   once and read with acquire loads, so a reader sees either NULL (and
   takes the slow path) or a complete value.  */

static void *
open_locked (struct cc_dynlib *lib, cc_error_t *err)
{
  void *h = __atomic_load_n (&lib->handle, __ATOMIC_ACQUIRE);

  if (h != NULL)
    return h;
  /* RTLD_NOW: a library whose own dependencies are broken fails here,
     with the message below, not at some later call.  RTLD_LOCAL: its
     symbols must not be found in place of our trampolines, nor ours in
     place of its.  */
  h = dlopen (lib->soname, RTLD_NOW | RTLD_LOCAL);
  if (h == NULL)
    {
      cc_error_make (err, 0, "cannot load %s (needed to %s): %s; install %s", lib->soname, lib->purpose, dlerror (),
                     lib->package);
      return NULL;
    }
  __atomic_store_n (&lib->handle, h, __ATOMIC_RELEASE);
  return h;
}

static void *
open_lib (struct cc_dynlib *lib, cc_error_t *err)
{
  void *h = __atomic_load_n (&lib->handle, __ATOMIC_ACQUIRE);

  if (h != NULL)
    return h;
  pthread_mutex_lock (&lib->lock);
  h = open_locked (lib, err);
  pthread_mutex_unlock (&lib->lock);
  return h;
}

int
cc_dynlib_load (struct cc_dynlib *lib, cc_error_t *err)
{
  return open_lib (lib, err) ? 0 : -1;
}

int
cc_dynlib_lookup (struct cc_dynlib *lib, const char *name, void **out, cc_error_t *err)
{
  void *h = open_lib (lib, err);
  const char *why;

  if (h == NULL)
    return -1;
  dlerror ();
  *out = dlsym (h, name);
  if (*out != NULL)
    return 0;
  why = dlerror ();
  return cc_error_make (err, 0, "cannot find %s in %s (needed to %s): %s; reinstall or upgrade %s", name, lib->soname,
                        lib->purpose, why ? why : "null address", lib->package);
}

void *
cc_dynlib_resolve (struct cc_dynlib *lib, const char *name, void **cache)
{
  cleanup_error cc_error_t err = NULL;
  void *p = __atomic_load_n (cache, __ATOMIC_ACQUIRE);

  if (p != NULL)
    return p;
  /* The library is a package dependency: without it this is a broken
     installation, and the caller of a library function has no error
     path to take.  */
  if (cc_dynlib_lookup (lib, name, &p, &err) < 0)
    {
      cc_error_print (&err);
      exit (EXIT_FAILURE);
    }
  __atomic_store_n (cache, p, __ATOMIC_RELEASE);
  return p;
}
