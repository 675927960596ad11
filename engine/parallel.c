/* The engine's jobs over the one fork pool (lib/pool.h): one job per
   item, at most LIMIT at a time, the looks at the engine's backoff pace
   when the caller wants ticks.  */
#include <stdint.h>

#include "engine/engine.h"
#include "lib/pool.h"
#include "lib/strv.h"

struct adapter
{
  const struct cc_engine_pool *p;
  char *const *items;
  int step;
  int64_t t0;
};

static int
job (void *opaque, size_t index, cc_error_t *err)
{
  struct adapter *a = opaque;
  return a->p->fn (a->p->opaque, a->items[index], err);
}

static void
done (void *opaque, size_t index, cc_error_t *err)
{
  struct adapter *a = opaque;
  a->p->done (a->p->opaque, index, err);
}

/* With TICK, the looks follow the engine's backoff pace.  */
static int
wait_backoff (void *opaque, struct pollfd *fds, size_t n)
{
  struct adapter *a = opaque;
  return cc_engine_backoff_on (&a->step, fds, n);
}

static void
tick (void *opaque)
{
  struct adapter *a = opaque;
  a->p->tick (a->p->opaque, cc_engine_now_ms () - a->t0);
}

int
cc_engine_pool_run (char *const *items, const struct cc_engine_pool *p, cc_error_t *err)
{
  struct adapter a = { .p = p, .items = items, .t0 = cc_engine_now_ms () };
  const struct cc_pool pool = {
    .fn = job,
    .opaque = &a,
    .n = cc_strv_len (items),
    .limit = p->limit,
    .done = p->done ? done : NULL,
    .wait = p->tick ? wait_backoff : NULL,
    .tick = p->tick ? tick : NULL,
  };

  return cc_pool_run (&pool, err);
}

int
cc_engine_run_parallel (char *const *items, int limit, cc_engine_job_fn fn, void *opaque, cc_error_t *err)
{
  const struct cc_engine_pool p = { .fn = fn, .opaque = opaque, .limit = limit };

  /* One item: no fork needed, the error keeps its structure.  */
  if (cc_strv_len (items) == 1)
    return fn (opaque, items[0], err);
  return cc_engine_pool_run (items, &p, err);
}
