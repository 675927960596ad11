#include "paths.h"

#include <glob.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "file.h"
#include "strv.h"
#include "xalloc.h"

/* Set by cc_paths_use_roots: read by this process only.  */
static char *state_override, *data_override;

static const char *
from_env (const char *name, const char *dflt)
{
  const char *v = getenv (name);

  return v && *v ? v : dflt;
}

const char *
cc_state_dir (void)
{
  return state_override ? state_override : from_env (CC_STATE_DIR_ENV, CC_STATE_DIR_DEFAULT);
}

const char *
cc_data_dir (void)
{
  return data_override ? data_override : from_env (CC_DATA_DIR_ENV, CC_DATA_DIR_DEFAULT);
}

void
cc_paths_use_roots (const char *state_dir, const char *data_dir)
{
  free (state_override);
  free (data_override);
  state_override = state_dir ? xstrdup (state_dir) : NULL;
  data_override = data_dir ? xstrdup (data_dir) : NULL;
}

/* ---- roots on this host --------------------------------------------------- */

static bool
holds_state (const char *dir)
{
  static const char *const markers[] = { "containers", "projects", "network", "netns" };

  for (size_t i = 0; i < CC_N_ELEMENTS (markers); i++)
    {
      cleanup_free char *p = cc_path_join (dir, markers[i]);
      if (cc_is_dir (p))
        return true;
    }
  return false;
}

static void
add_roots_matching (char ***roots, const char *pattern)
{
  glob_t g;

  if (glob (pattern, GLOB_ONLYDIR | GLOB_NOSORT, NULL, &g) != 0)
    return;
  for (size_t i = 0; i < g.gl_pathc; i++)
    if (holds_state (g.gl_pathv[i]))
      cc_strv_append (roots, g.gl_pathv[i]);
  globfree (&g);
}

char **
cc_paths_state_roots (void)
{
  char **roots = xzalloc (sizeof (char *));

  cc_strv_append (&roots, CC_STATE_DIR_DEFAULT);
  add_roots_matching (&roots, CC_STATE_DIR_DEFAULT "?*");
  add_roots_matching (&roots, CC_STATE_DIR_DEFAULT "?*/*");
  cc_strv_sort_unique (roots);
  return roots;
}

char *
cc_paths_data_root_for (const char *state_root)
{
  if (strncmp (state_root, "/run/", 5) == 0)
    return xasprintf ("/var/lib/%s", state_root + 5);
  return cc_path_join (state_root, "data");
}

bool
cc_paths_same_root (const char *a, const char *b)
{
  cleanup_free char *x = cc_path_clean (a), *y = cc_path_clean (b);
  return strcmp (x, y) == 0;
}

/* ---- layout under the roots ----------------------------------------------- */

char *
cc_paths_projects (void)
{
  return cc_path_join (cc_state_dir (), "projects");
}

char *
cc_paths_project (const char *project)
{
  return xasprintf ("%s/projects/%s", cc_state_dir (), project);
}

char *
cc_paths_project_state (const char *project)
{
  return xasprintf ("%s/projects/%s/state.json", cc_state_dir (), project);
}

char *
cc_paths_project_lock (const char *project)
{
  return xasprintf ("%s/projects/%s/lock", cc_state_dir (), project);
}

char *
cc_paths_containers (void)
{
  return cc_path_join (cc_state_dir (), "containers");
}

char *
cc_paths_container (const char *id)
{
  return cc_paths_container_in (cc_state_dir (), id);
}

char *
cc_paths_container_in (const char *state_root, const char *id)
{
  return xasprintf ("%s/containers/%s", state_root, id);
}

char *
cc_paths_container_file (const char *id, const char *file)
{
  return xasprintf ("%s/containers/%s/%s", cc_state_dir (), id, file);
}

char *
cc_paths_container_spec (const char *id)
{
  return cc_paths_container_file (id, "spec.json");
}

char *
cc_paths_container_data_root (void)
{
  return cc_path_join (cc_data_dir (), "containers");
}

char *
cc_paths_container_data (const char *id)
{
  return xasprintf ("%s/containers/%s", cc_data_dir (), id);
}

char *
cc_paths_container_data_file (const char *id, const char *file)
{
  return xasprintf ("%s/containers/%s/%s", cc_data_dir (), id, file);
}

char *
cc_paths_container_log (const char *id)
{
  return xasprintf ("%s/containers/%s/%s-json.log", cc_data_dir (), id, id);
}

char *
cc_paths_netns_dir (void)
{
  return cc_path_join (cc_state_dir (), "netns");
}

char *
cc_paths_network_dir (void)
{
  return cc_path_join (cc_state_dir (), "network");
}

char *
cc_paths_network_state (void)
{
  return xasprintf ("%s/network/state.json", cc_state_dir ());
}

char *
cc_paths_network_lock (void)
{
  return xasprintf ("%s/network/lock", cc_state_dir ());
}

char *
cc_paths_volumes_dir (void)
{
  return cc_path_join (cc_data_dir (), "volumes");
}

char *
cc_paths_volume (const char *name)
{
  return xasprintf ("%s/volumes/%s", cc_data_dir (), name);
}

char *
cc_paths_boot_dir (void)
{
  return cc_path_join (cc_data_dir (), "boot");
}

char *
cc_paths_boot (const char *project)
{
  return xasprintf ("%s/boot/%s", cc_data_dir (), project);
}

char *
cc_paths_image_store (void)
{
  return cc_path_join (cc_data_dir (), "images");
}

/* <data>/<top>/<what FMT formats>  */
static char *under_data (const char *top, const char *fmt, va_list ap) __attribute__ ((format (printf, 2, 0)));
static char *
under_data (const char *top, const char *fmt, va_list ap)
{
  cleanup_free char *rel = NULL;

  if (vasprintf (&rel, fmt, ap) < 0)
    abort ();
  return xasprintf ("%s/%s/%s", cc_data_dir (), top, rel);
}

char *
cc_paths_image_store_file (const char *fmt, ...)
{
  va_list ap;
  char *path;

  va_start (ap, fmt);
  path = under_data ("images", fmt, ap);
  va_end (ap);
  return path;
}

char *
cc_paths_builder (const char *fmt, ...)
{
  va_list ap;
  char *path;

  va_start (ap, fmt);
  path = under_data ("builder", fmt, ap);
  va_end (ap);
  return path;
}

char *
cc_paths_monitor_bin_dir (void)
{
  return cc_path_join (cc_data_dir (), "bin");
}

char *
cc_paths_cache_file (const char *file)
{
  return xasprintf ("%s/cache/%s", cc_data_dir (), file);
}

/* ---- names ----------------------------------------------------------------- */

static char separator = '-';

void
cc_paths_set_compatibility (bool on)
{
  separator = on ? '_' : '-';
}

char *
cc_paths_container_name (const char *project, const char *service, int number)
{
  return xasprintf ("%s%c%s%c%d", project, separator, service, separator, number);
}

char *
cc_paths_oneoff_name (const char *project, const char *service, const char *suffix)
{
  return xasprintf ("%s%c%s%crun%c%s", project, separator, service, separator, separator, suffix);
}

char *
cc_paths_resource_name (const char *project, const char *key)
{
  return xasprintf ("%s_%s", project, key);
}

char *
cc_paths_built_image_name (const char *project, const char *service)
{
  return xasprintf ("%s%c%s", project, separator, service);
}

char *
cc_paths_container_hostname (const char *name)
{
  const char *parts[] = { cc_state_dir (), name };

  return xasprintf ("%012llx", (unsigned long long)(cc_paths_hash (parts, 2) & 0xffffffffffffull));
}

uint64_t
cc_paths_hash (const char *const *parts, size_t n)
{
  uint64_t h = 0xcbf29ce484222325ull;

  for (size_t i = 0; i < n; i++)
    for (const char *p = parts[i] ? parts[i] : "";; p++)
      {
        h ^= (unsigned char)*p;
        h *= 0x100000001b3ull;
        if (*p == '\0')
          break;
      }
  return h;
}

static bool
is_default_root (const char *root)
{
  return strcmp (root, CC_STATE_DIR_DEFAULT) == 0;
}

const char *
cc_paths_net_tag (void)
{
  /* Per thread: the engine may attach containers from several threads.  */
  static __thread char tag[16];
  const char *root = cc_state_dir ();
  const char *parts[] = { root };

  if (is_default_root (root))
    return "";
  snprintf (tag, sizeof (tag), "@%06llx", (unsigned long long)(cc_paths_hash (parts, 1) & 0xffffff));
  return tag;
}

/* "-%08x": FNV-1a (32 bits) of the root: short, stable, and enough to
   tell roots apart; "" for the default root.  */
static void
cgroup_suffix (const char *root, char out[16])
{
  uint32_t h = 2166136261u;

  out[0] = '\0';
  if (is_default_root (root))
    return;
  for (const unsigned char *p = (const unsigned char *)root; *p; p++)
    h = (h ^ *p) * 16777619u;
  snprintf (out, 16, "-%08x", h);
}

char *
cc_paths_cgroup_name (const char *id)
{
  char suffix[16];

  cgroup_suffix (cc_state_dir (), suffix);
  return xasprintf ("%s%s", id, suffix);
}

static bool
has_root_suffix (const char *name)
{
  size_t n = strlen (name);
  return n > 9 && name[n - 9] == '-' && strspn (name + n - 8, "0123456789abcdef") == 8;
}

char *
cc_paths_cgroup_strip_suffix (const char *name)
{
  return has_root_suffix (name) ? xstrndup (name, strlen (name) - 9) : NULL;
}

char *
cc_paths_cgroup_id (const char *name, const char *state_root)
{
  char suffix[16];
  size_t n = strlen (name);

  if (is_default_root (state_root))
    return has_root_suffix (name) ? NULL : xstrdup (name);
  cgroup_suffix (state_root, suffix);
  if (n > 9 && strcmp (name + n - 9, suffix) == 0)
    return xstrndup (name, n - 9);
  return NULL;
}
