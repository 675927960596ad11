/* The labels Docker Compose puts on every container it makes
   (com.docker.compose.*), recorded in the container's state entry so
   that `ps --format json`, `ps --filter label=` and the tools that look
   for them find them (issue 15), and the container's id.  */
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "engine/internal.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/strv.h"
#include "lib/version.h"
#include "lib/xalloc.h"

#define LABEL(k) "com.docker.compose." k

/* Docker's container ids: 32 random bytes in hex.  getrandom never
   fails for 32 bytes once the pool is ready; the clock is the fallback
   of a pool that is not (early boot, where `system boot` runs).  */
char *
cc_engine_new_container_id (void)
{
  unsigned char b[32];
  char *hex = xzalloc (2 * sizeof (b) + 1);

  if (getrandom (b, sizeof (b), GRND_NONBLOCK) != (ssize_t)sizeof (b))
    {
      struct timespec ts;
      clock_gettime (CLOCK_REALTIME, &ts);
      for (size_t i = 0; i < sizeof (b); i++)
        b[i] = (unsigned char)((uint64_t)ts.tv_nsec >> (i % 4 * 8) ^ (uint64_t)getpid () >> (i % 3 * 8) ^ i * 131);
    }
  for (size_t i = 0; i < sizeof (b); i++)
    snprintf (hex + 2 * i, 3, "%02x", b[i]);
  return hex;
}

/* "db:service_healthy:true,redis:service_started:false", as Compose
   writes com.docker.compose.depends_on.  */
static char *
depends_on_text (const struct cc_service *svc)
{
  cleanup_strv char **v = xzalloc (sizeof (char *));

  for (size_t i = 0; i < svc->n_depends_on; i++)
    {
      const struct cc_dependency *d = &svc->depends_on[i];
      cc_strv_push (&v, xasprintf ("%s:%s:%s", d->service, cc_depends_condition_name (d->condition),
                                   d->restart ? "true" : "false"));
    }
  return cc_strv_join (v, ",");
}

cJSON *
cc_engine_compose_labels (const struct cc_entry_info *i)
{
  const struct cc_project *p = i->project;
  cleanup_free char *number = xasprintf ("%d", i->number);
  cleanup_free char *hash = cc_compose_service_hash_json (i->svc->json);
  cleanup_free char *deps = depends_on_text (i->svc);
  cleanup_free char *files = p && p->files ? cc_strv_join (p->files, ",") : xstrdup ("");
  cJSON *o = cJSON_CreateObject ();

  cc_json_set_string (o, LABEL ("config-hash"), hash);
  cc_json_set_string (o, LABEL ("container-number"), number);
  cc_json_set_string (o, LABEL ("depends_on"), deps);
  cc_json_set_string (o, LABEL ("image"), i->image_id ? i->image_id : "");
  cc_json_set_string (o, LABEL ("oneoff"), i->oneoff ? "True" : "False");
  cc_json_set_string (o, LABEL ("project"), p ? p->name : "");
  cc_json_set_string (o, LABEL ("project.config_files"), files);
  cc_json_set_string (o, LABEL ("project.working_dir"), p && p->directory ? p->directory : "");
  cc_json_set_string (o, LABEL ("service"), i->svc->name);
  cc_json_set_string (o, LABEL ("version"), CC_VERSION);
  return o;
}
