/* Unit tests for the one fork pool (lib/pool.c) and the engine's jobs
   over it (engine/parallel.c): each child's error comes back to the
   parent with the context DONE gives it, nothing is printed by a child,
   TICK runs while children work, and a child that dies without a word
   still says how.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* cmocka needs the four headers above first.  */
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "engine/engine.h"
#include "lib/cleanup.h"
#include "lib/pool.h"
#include "lib/xalloc.h"

struct seen
{
  int done, failed, ticks;
  char *const *items;
};

static int
job (void *opaque, const char *item, cc_error_t *err)
{
  (void)opaque;
  if (strcmp (item, "slow") == 0)
    usleep (50000);
  if (strcmp (item, "bad") == 0)
    return cc_error_make (err, ENOENT, "open `%s`", item);
  return 0;
}

static void
done (void *opaque, size_t index, cc_error_t *err)
{
  struct seen *s = opaque;

  s->done++;
  if (*err == NULL)
    return;
  s->failed++;
  cc_error_wrap (err, "job `%s`", s->items[index]);
}

static void
tick (void *opaque, int64_t elapsed_ms)
{
  struct seen *s = opaque;

  (void)elapsed_ms;
  s->ticks++;
}

static void
test_pool_errors_come_back_with_context (void **state)
{
  char *items[] = { "good", "bad", "slow", NULL };
  struct seen s = { .items = items };
  const struct cc_engine_pool p = { .fn = job, .opaque = &s, .limit = 2, .done = done, .tick = tick };
  cleanup_error cc_error_t err = NULL;

  (void)state;
  assert_int_equal (cc_engine_pool_run (items, &p, &err), -1);
  assert_int_equal (s.done, 3);
  assert_int_equal (s.failed, 1);
  assert_true (s.ticks > 0);
  /* The parent's context, then the child's message with its errno.  */
  assert_string_equal (err->msg, "job `bad`: open `bad`: No such file or directory");
}

static void
test_one_item_runs_in_this_process (void **state)
{
  char *items[] = { "bad", NULL };
  cleanup_error cc_error_t err = NULL;
  pid_t self = getpid ();

  (void)state;
  assert_int_equal (cc_engine_run_parallel (items, 1, job, NULL, &err), -1);
  /* The error keeps its structure: message and status apart.  */
  assert_int_equal (err->status, ENOENT);
  assert_string_equal (err->msg, "open `bad`");
  assert_int_equal (getpid (), self);
}

static int
in_child (void *opaque, cc_error_t *err)
{
  pid_t *parent = opaque;

  if (getpid () == *parent)
    return 0; /* the test fails below: it must run in a child */
  return cc_error_make (err, EACCES, "mount `%s`", "/x");
}

static void
test_run_one_forks_and_carries_the_error (void **state)
{
  pid_t self = getpid ();
  cleanup_error cc_error_t err = NULL;

  (void)state;
  assert_int_equal (cc_pool_run_one (in_child, &self, &err), -1);
  assert_string_equal (err->msg, "mount `/x`: Permission denied");
}

static int
dies (void *opaque, size_t index, cc_error_t *err)
{
  (void)opaque;
  (void)err;
  _exit ((int)index + 3);
}

static void
test_a_silent_death_is_named (void **state)
{
  const struct cc_pool p = { .fn = dies, .n = 2, .limit = 1, .stop_on_error = true };
  cleanup_error cc_error_t err = NULL;

  (void)state;
  assert_int_equal (cc_pool_run (&p, &err), -1);
  /* STOP_ON_ERROR: the second job never started.  */
  assert_string_equal (err->msg, "the job ended with status 3");
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_pool_errors_come_back_with_context),
    cmocka_unit_test (test_one_item_runs_in_this_process),
    cmocka_unit_test (test_run_one_forks_and_carries_the_error),
    cmocka_unit_test (test_a_silent_death_is_named),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
