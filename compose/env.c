/* The interpolation environment: names to values, first source wins
   unless told to overwrite.  */
#include <stdlib.h>
#include <string.h>

#include "compose/load.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

struct cc_env
{
  char **names;
  char **values;
  size_t len;
};

struct cc_env *
cc_env_new (void)
{
  return xzalloc (sizeof (struct cc_env));
}

void
cc_env_free (struct cc_env *env)
{
  if (env == NULL)
    return;
  for (size_t i = 0; i < env->len; i++)
    {
      free (env->names[i]);
      free (env->values[i]);
    }
  free (env->names);
  free (env->values);
  free (env);
}

static ssize_t
env_index (const struct cc_env *env, const char *name)
{
  for (size_t i = 0; i < env->len; i++)
    if (strcmp (env->names[i], name) == 0)
      return (ssize_t)i;
  return -1;
}

void
cc_env_set (struct cc_env *env, const char *name, const char *value, bool overwrite)
{
  ssize_t i = env_index (env, name);

  if (i >= 0)
    {
      if (! overwrite)
        return;
      free (env->values[i]);
      env->values[i] = xstrdup (value);
      return;
    }
  env->names = xreallocarray (env->names, env->len + 1, sizeof (char *));
  env->values = xreallocarray (env->values, env->len + 1, sizeof (char *));
  env->names[env->len] = xstrdup (name);
  env->values[env->len++] = xstrdup (value);
}

const char *
cc_env_get (const struct cc_env *env, const char *name)
{
  ssize_t i = env ? env_index (env, name) : -1;

  return i < 0 ? NULL : env->values[i];
}

char **
cc_env_to_strv (const struct cc_env *env)
{
  char **v = xzalloc (sizeof (char *));

  for (size_t i = 0; env && i < env->len; i++)
    cc_strv_push (&v, xasprintf ("%s=%s", env->names[i], env->values[i]));
  return v;
}

void
cc_env_set_strv (struct cc_env *env, char *const *v, bool overwrite)
{
  for (size_t i = 0; v && v[i]; i++)
    {
      const char *eq = strchr (v[i], '=');
      char *name;

      if (eq == NULL || eq == v[i])
        continue;
      name = xstrndup (v[i], (size_t)(eq - v[i]));
      cc_env_set (env, name, eq + 1, overwrite);
      free (name);
    }
}

struct cc_env *
cc_env_dup (const struct cc_env *env)
{
  struct cc_env *d = cc_env_new ();

  for (size_t i = 0; env && i < env->len; i++)
    cc_env_set (d, env->names[i], env->values[i], true);
  return d;
}
