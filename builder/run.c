/* RUN: a container of the embedded runtime over an overlay of the
   stage's layers; its upper directory becomes the step's layer.

   The container is what BuildKit gives a RUN: Docker's default
   capabilities and seccomp filter (runtime/'s defaults; BuildKit's
   `--security=insecure` is not offered), hostname `buildkitsandbox`, an
   /etc/hosts naming it, the host's resolv.conf, a network namespace of
   its own (build network, loopback only for `--network=none`, the
   host's only when allowed), and the RUN's mounts.  It is hostile: it
   never sees the host's files beyond what its mounts name (the context
   only read-only, resolved inside the context), and what it leaves in
   its upper directory is read without following anything (layer.c).

   Its output is read from the json-file log the monitor writes and
   streamed to the progress.  The runtime makes mount points it needs
   (/proc, /sys, /dev, /etc/hosts, mount targets) in the upper directory
   when the image lacks them; those that were not in the image and are
   left empty are removed again, as BuildKit's mount stub cleaner does,
   with the directories that only held them.  */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "builder/exec.h"
#include "lib/cleanup.h"
#include "lib/crash.h"
#include "lib/file.h"
#include "lib/json.h"
#include "lib/paths.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "network/network.h"
#include "runtime/runtime.h"

#define HOSTNAME "buildkitsandbox"
#define DEFAULT_SHM (64 << 20)

struct run
{
  struct cc_bld_env *e;
  const struct cc_builder_step *step;
  const char *dir;
  char *id;
  char **lowers;
  struct cc_runtime_spec *spec;
  char **stubs;  /* mount points the runtime may create */
  int *lock_fds; /* sharing=locked cache mounts */
  size_t n_locks;
  char *netns;
};

static void
run_release (struct run *r)
{
  for (size_t i = 0; i < r->n_locks; i++)
    close (r->lock_fds[i]);
  free (r->lock_fds);
  free (r->id);
  free (r->netns);
  cc_strv_free (r->lowers);
  cc_strv_free (r->stubs);
  if (r->spec)
    cc_runtime_spec_free (r->spec);
}

/* ---- mounts ------------------------------------------------------------ */

static void
add_mount (struct run *r, const char *type, const char *source, const char *target, char *const *opts)
{
  struct cc_runtime_spec *s = r->spec;
  struct cc_runtime_mount *m;

  s->mounts = xreallocarray (s->mounts, s->n_mounts + 1, sizeof (*s->mounts));
  m = &s->mounts[s->n_mounts++];
  memset (m, 0, sizeof (*m));
  m->type = xstrdup (type);
  m->source = source ? xstrdup (source) : NULL;
  m->target = xstrdup (target);
  m->options = cc_strv_dup (opts);
  cc_strv_append (&r->stubs, target);
}

static char *
scratch (struct run *r, const char *what)
{
  return xasprintf ("%s/%s-%d", cc_bld_record_dir (r->e->record), what, ++r->e->counter);
}

/* The path of SOURCE inside the context, as the kernel names it once
   resolved inside the context's root.  */
static int
context_path (struct run *r, const char *source, char **out, cc_error_t *err)
{
  cleanup_close int fd = cc_bld_open_in_root (cc_bld_context_fd (r->e->context), source, O_PATH);
  char link[64];
  char buf[4097];
  ssize_t n;

  if (fd < 0)
    return cc_error_make (err, errno, "RUN --mount: \"%s\": not found in the build context", source);
  snprintf (link, sizeof (link), "/proc/self/fd/%d", fd);
  n = readlink (link, buf, sizeof (buf) - 1);
  if (n < 0)
    return cc_error_make (err, errno, "resolve `%s`", source);
  buf[n] = '\0';
  *out = xstrdup (buf);
  return 0;
}

static int
bind_mount (struct run *r, const struct cc_builder_mount *m, cc_error_t *err)
{
  cleanup_free char *src = NULL;
  const struct cc_bld_state *from = NULL;
  char *ro[] = { "ro", "rprivate", NULL };
  char *rw[] = { "rprivate", NULL };

  if (m->from_stage >= 0)
    from = r->e->stages[m->from_stage];
  else if (m->from_image)
    from = cc_bld_image_state (r->e, m->from_image);
  if (from || ! m->readonly)
    {
      /* A stage's tree exists only as layers, and writes to a `rw` bind
         are thrown away (BuildKit): both get a copy of their own.  */
      src = scratch (r, "bind");
      if (cc_bld_extract_path (r->e, from, m->source ? m->source : "/", src, err) < 0)
        return cc_error_wrap (err, "RUN --mount=type=bind,target=%s", m->target);
      cleanup_free char *file = cc_path_join (src, "file");
      if (cc_file_exists (file) && ! cc_is_dir (file))
        {
          free (src);
          src = steal_pointer (&file);
        }
    }
  else if (context_path (r, m->source ? m->source : "/", &src, err) < 0)
    return -1;
  add_mount (r, "bind", src, m->target, m->readonly ? ro : rw);
  return 0;
}

static int
cache_mount (struct run *r, const struct cc_builder_mount *m, cc_error_t *err)
{
  cleanup_free char *tag = cc_bld_hash_data (m->id ? m->id : m->target, strlen (m->id ? m->id : m->target));
  cleanup_free char *dir = cc_paths_builder ("cache-mounts/%.32s", tag + 7);
  char *opts[] = { "rprivate", NULL };

  if (! cc_is_dir (dir))
    {
      if (cc_mkdir_p (dir, 0755, err) < 0)
        return -1;
      if (chown (dir, m->has_uid ? m->uid : 0, m->has_gid ? m->gid : 0) < 0
          || chmod (dir, m->has_mode ? m->mode : 0755) < 0)
        return cc_error_make (err, errno, "set up cache mount `%s`", dir);
    }
  if (m->sharing == CC_SHARING_LOCKED)
    {
      cleanup_free char *lock = xasprintf ("%s.lock", dir);
      int fd = -1;
      if (cc_lock_path (lock, true, &fd, err) < 0)
        return -1;
      r->lock_fds = xreallocarray (r->lock_fds, r->n_locks + 1, sizeof (int));
      r->lock_fds[r->n_locks++] = fd;
    }
  add_mount (r, "bind", dir, m->target, opts);
  return 0;
}

static int
tmpfs_mount (struct run *r, const struct cc_builder_mount *m, cc_error_t *err)
{
  cleanup_free char *size = m->size > 0 ? xasprintf ("size=%lld", (long long)m->size) : NULL;
  char *opts[] = { "nosuid", "nodev", size, NULL };

  (void)err;
  add_mount (r, "tmpfs", NULL, m->target, opts);
  return 0;
}

/* `--secret id=ID,src=PATH` / `env=VAR`: the value, or NULL.  */
static int
secret_value (struct run *r, const char *id, char **out, size_t *len, cc_error_t *err)
{
  *out = NULL;
  for (char *const *s = r->e->req->secrets; s && *s; s++)
    {
      cleanup_strv char **fields = cc_strv_split (*s, ',', true);
      const char *sid = NULL, *src = NULL, *env = NULL;
      for (char **f = fields; *f; f++)
        {
          if (strncmp (*f, "id=", 3) == 0)
            sid = *f + 3;
          else if (strncmp (*f, "src=", 4) == 0 || strncmp (*f, "source=", 7) == 0)
            src = strchr (*f, '=') + 1;
          else if (strncmp (*f, "env=", 4) == 0)
            env = *f + 4;
        }
      if (sid == NULL || strcmp (sid, id) != 0)
        continue;
      if (src)
        return cc_read_file_max (src, 500 << 10, out, len, err) < 0 ? cc_error_wrap (err, "secret `%s`", id) : 0;
      env = getenv (env ? env : id);
      if (env == NULL)
        return 0;
      *out = xstrdup (env);
      *len = strlen (env);
      return 0;
    }
  return 0;
}

static int
secret_mount (struct run *r, const struct cc_builder_mount *m, cc_error_t *err)
{
  cleanup_free char *value = NULL;
  cleanup_free char *path = NULL;
  char *opts[] = { "ro", "nosuid", "nodev", "noexec", "rprivate", NULL };
  size_t len = 0;

  if (secret_value (r, m->id, &value, &len, err) < 0)
    return -1;
  if (value == NULL)
    return m->required ? cc_error_make (err, ENOENT, "secret %s: not found (give it with --secret id=%s,src=FILE)",
                                        m->id, m->id)
                       : 0;
  /* Only ever under the build's scratch directory, never in a layer: the
     mount is read-only and its stub is removed from the upper dir.  */
  path = scratch (r, "secret");
  if (cc_write_file_atomic (path, value, len, m->has_mode ? m->mode : 0400, err) < 0)
    return -1;
  if (chown (path, m->has_uid ? m->uid : 0, m->has_gid ? m->gid : 0) < 0
      || chmod (path, m->has_mode ? m->mode : 0400) < 0)
    return cc_error_make (err, errno, "secret %s", m->id);
  add_mount (r, "bind", path, m->target, opts);
  return 0;
}

static int
file_mounts (struct run *r, cc_error_t *err)
{
  char *opts[] = { "ro", "rprivate", NULL };

  for (size_t i = 0; i < r->step->n_files; i++)
    {
      const struct cc_builder_file *f = &r->step->files[i];
      cleanup_free char *path = scratch (r, "file");
      if (cc_write_file_atomic (path, f->content, strlen (f->content), f->mode, err) < 0 || chmod (path, f->mode) < 0)
        return -1;
      add_mount (r, "bind", path, f->path, opts);
    }
  return 0;
}

static int
add_mounts (struct run *r, cc_error_t *err)
{
  for (size_t i = 0; i < r->step->n_mounts; i++)
    {
      const struct cc_builder_mount *m = &r->step->mounts[i];
      int ret = 0;
      switch (m->type)
        {
        case CC_MOUNT_BIND:
          ret = bind_mount (r, m, err);
          break;
        case CC_MOUNT_CACHE:
          ret = cache_mount (r, m, err);
          break;
        case CC_MOUNT_TMPFS:
          ret = tmpfs_mount (r, m, err);
          break;
        case CC_MOUNT_SECRET:
          ret = secret_mount (r, m, err);
          break;
        case CC_MOUNT_SSH:
          ret = cc_error_make (err, ENOTSUP, "RUN --mount=type=ssh is not supported (no SSH agent forwarding)");
          break;
        }
      if (ret < 0)
        return -1;
    }
  return file_mounts (r, err);
}

/* ---- the spec ---------------------------------------------------------- */

static int
write_etc (struct run *r, cc_error_t *err)
{
  cleanup_free char *hosts = scratch (r, "hosts");
  cleanup_free char *resolv = scratch (r, "resolv.conf");
  struct cc_buf b = { 0 };
  int ret;

  cc_buf_puts (&b, "127.0.0.1\tlocalhost " HOSTNAME "\n::1\tlocalhost ip6-localhost ip6-loopback\n");
  for (char *const *h = r->e->req->add_hosts; h && *h; h++)
    {
      const char *colon = strchr (*h, ':');
      if (colon == NULL)
        {
          cc_buf_reset (&b);
          return cc_error_make (err, EINVAL, "--add-host `%s`: want NAME:IP", *h);
        }
      cc_buf_printf (&b, "%s\t%.*s\n", colon + 1, (int)(colon - *h), *h);
    }
  ret = cc_write_file_atomic (hosts, b.data, b.len, 0644, err);
  cc_buf_reset (&b);
  if (ret < 0 || cc_write_file_atomic (resolv, "", 0, 0644, err) < 0
      || cc_network_write_resolv (resolv, CC_NET_RESOLV_LEGACY, NULL, NULL, NULL, err) < 0)
    return -1;
  r->spec->hosts_file = steal_pointer (&hosts);
  r->spec->resolv_conf = steal_pointer (&resolv);
  cc_strv_append (&r->stubs, "/etc/hosts");
  cc_strv_append (&r->stubs, "/etc/resolv.conf");
  return 0;
}

static int
add_ulimits (struct run *r, cc_error_t *err)
{
  for (char *const *u = r->e->req->ulimits; u && *u; u++)
    {
      cleanup_free char *name = xstrndup (*u, strcspn (*u, "="));
      const char *val = strchr (*u, '=');
      unsigned long long soft, hard;
      int res = cc_runtime_rlimit_from_name (name);
      int n = val ? sscanf (val + 1, "%llu:%llu", &soft, &hard) : 0;
      if (res < 0 || n < 1)
        return cc_error_make (err, EINVAL, "--ulimit `%s`: want NAME=SOFT[:HARD]", *u);
      if (n == 1)
        hard = soft;
      r->spec->rlimits = xreallocarray (r->spec->rlimits, r->spec->n_rlimits + 1, sizeof (*r->spec->rlimits));
      r->spec->rlimits[r->spec->n_rlimits++] = (struct cc_runtime_rlimit){ res, soft, hard };
    }
  return 0;
}

static int
choose_network (struct run *r, cc_error_t *err)
{
  const char *net = r->step->network;

  if (r->e->req->network && (net == NULL || strcmp (net, "default") == 0))
    net = r->e->req->network;
  if (net == NULL || strcmp (net, "default") == 0)
    {
      if (cc_bld_net_join (r->e, r->id, &r->netns, err) < 0)
        return -1;
      r->spec->netns = xstrdup (r->netns);
      return 0;
    }
  if (strcmp (net, "none") == 0)
    return 0;
  if (strcmp (net, "host") == 0)
    {
      if (! r->e->req->allow_host_network)
        return cc_error_make (err, EPERM,
                              "network mode \"host\" needs the network.host entitlement: pass --allow network.host");
      r->spec->netns = xstrdup ("host");
      return 0;
    }
  return cc_error_make (err, EINVAL, "unknown network mode `%s`", net);
}

static int
make_spec (struct run *r, cc_error_t *err)
{
  struct cc_runtime_spec *s = cc_runtime_spec_new ();
  static const char *const base_stubs[] = { "/proc", "/sys", "/dev" };

  r->spec = s;
  s->layers = cc_strv_dup (r->lowers);
  s->upper = cc_path_join (r->dir, "upper");
  s->work = cc_path_join (r->dir, "work");
  s->args = cc_strv_dup (r->step->argv);
  s->env = cc_strv_dup (r->step->env);
  for (char **p = r->step->proxy_env; p && *p; p++)
    cc_strv_append (&s->env, *p);
  s->cwd = xstrdup (r->step->workdir && *r->step->workdir ? r->step->workdir : "/");
  if (r->step->user && *r->step->user)
    s->user = xstrdup (r->step->user);
  s->hostname = xstrdup (HOSTNAME);
  s->shm_size = r->e->req->shm_size > 0 ? r->e->req->shm_size : DEFAULT_SHM;
  s->stop_grace_ms = 0;
  for (size_t i = 0; i < CC_N_ELEMENTS (base_stubs); i++)
    cc_strv_append (&r->stubs, base_stubs[i]);
  cc_strv_append (&r->stubs, s->cwd);
  if (add_mounts (r, err) < 0 || write_etc (r, err) < 0 || add_ulimits (r, err) < 0)
    return -1;
  return choose_network (r, err);
}

/* ---- output -------------------------------------------------------------- */

struct follower
{
  int fd;
  char *path;
  struct cc_buf partial;
};

static void
follow_drain (struct follower *f, struct cc_bld_vertex *v)
{
  char buf[65536];
  ssize_t n;

  if (f->fd < 0)
    f->fd = open (f->path, O_RDONLY | O_CLOEXEC);
  if (f->fd < 0)
    return;
  while ((n = read (f->fd, buf, sizeof (buf))) > 0)
    {
      cc_buf_append (&f->partial, buf, (size_t)n);
      for (;;)
        {
          char *nl = memchr (f->partial.data, '\n', f->partial.len);
          size_t len;
          if (nl == NULL)
            break;
          len = (size_t)(nl - f->partial.data);
          {
            cleanup_cjson cJSON *rec = cJSON_ParseWithLength (f->partial.data, len);
            const char *text = cc_json_get_string (rec, "log");
            if (text)
              cc_bld_vertex_output (v, text, strlen (text));
          }
          memmove (f->partial.data, nl + 1, f->partial.len - len - 1);
          f->partial.len -= len + 1;
        }
    }
}

static int
wait_streaming (struct run *r, struct cc_bld_vertex *v, int *code, cc_error_t *err)
{
  struct follower f = { .fd = -1, .path = cc_runtime_log_path (r->id) };
  int ret;

  for (;;)
    {
      cc_error_t e = NULL;
      follow_drain (&f, v);
      /* Interrupted: the step's container goes first, then the build
         cleans up after itself.  */
      if (cc_bld_interrupted ())
        cc_runtime_kill (r->id, SIGKILL, NULL);
      ret = cc_runtime_wait (r->id, 25, &e);
      if (ret >= 0 || e == NULL || e->status != ETIMEDOUT)
        {
          if (ret < 0)
            *err = e;
          break;
        }
      cc_error_release (&e);
    }
  follow_drain (&f, v);
  if (f.fd >= 0)
    close (f.fd);
  free (f.path);
  cc_buf_reset (&f.partial);
  if (ret < 0)
    return -1;
  *code = ret;
  return 0;
}

/* ---- mount stubs ----------------------------------------------------------- */

static bool
in_lowers (char *const *lowers, const char *path, struct stat *st)
{
  for (char *const *l = lowers; l && *l; l++)
    {
      cleanup_free char *p = xasprintf ("%s%s", *l, path);
      if (lstat (p, st) == 0)
        return true;
    }
  return false;
}

static bool
is_empty_stub (const char *p, const struct stat *st)
{
  cleanup_dir DIR *d = NULL;
  struct dirent *de;
  char v[4];

  if (S_ISREG (st->st_mode))
    return st->st_size == 0;
  if (! S_ISDIR (st->st_mode) || lgetxattr (p, "trusted.overlay.opaque", v, sizeof (v)) > 0)
    return false;
  d = opendir (p);
  while (d && (de = readdir (d)) != NULL)
    if (strcmp (de->d_name, ".") != 0 && strcmp (de->d_name, "..") != 0)
      return false;
  return d != NULL;
}

/* PATH in the upper dir: a stub the runtime made (absent from the image,
   empty), or a directory copied up only for one (same type, mode and
   owner as below, now empty).  */
static void
remove_stub (const char *upper, char *const *lowers, const char *path)
{
  cleanup_free char *copy = cc_path_clean (path);

  while (strcmp (copy, "/") != 0 && *copy)
    {
      cleanup_free char *p = xasprintf ("%s%s", upper, copy);
      struct stat st, below;
      bool existed = in_lowers (lowers, copy, &below);
      char *slash;
      if (lstat (p, &st) < 0 || ! is_empty_stub (p, &st))
        return;
      if (existed
          && ! (S_ISDIR (st.st_mode) && S_ISDIR (below.st_mode) && st.st_mode == below.st_mode
                && st.st_uid == below.st_uid && st.st_gid == below.st_gid))
        return;
      if ((S_ISDIR (st.st_mode) ? rmdir (p) : unlink (p)) < 0)
        return;
      slash = strrchr (copy, '/');
      if (slash == copy)
        copy[1] = '\0';
      else
        *slash = '\0';
    }
}

static void
clean_stubs (struct run *r, const char *upper)
{
  for (char **s = r->stubs; s && *s; s++)
    remove_stub (upper, r->lowers, *s);
}

/* ---- the sequence ------------------------------------------------------------- */

static char *
command_text (const struct cc_builder_step *step)
{
  cleanup_free char *joined = cc_strv_join (step->argv, " ");

  return xasprintf ("process \"%s\" did not complete successfully", joined);
}

static int
execute (struct run *r, struct cc_bld_vertex *v, cc_error_t *err)
{
  int code = -1;

  if (cc_bld_record_add (r->e->record, "containers", r->id, err) < 0)
    return -1;
  if (make_spec (r, err) < 0)
    return -1;
  if (cc_runtime_create (r->id, r->spec, err) < 0 || cc_runtime_start (r->id, err) < 0)
    return -1;
  if (wait_streaming (r, v, &code, err) < 0)
    return -1;
  if (cc_bld_interrupted ())
    return cc_error_make (err, EINTR, "interrupted");
  if (code != 0)
    {
      cleanup_free char *what = command_text (r->step);
      cleanup_free char *tail = cc_bld_vertex_tail (v);
      return cc_error_make (err, 0, "%s: exit code: %d%s%s", what, code, *tail ? "\n  last output:\n" : "", tail);
    }
  return 0;
}

int
cc_bld_run (struct cc_bld_env *e, const struct cc_builder_step *step, const struct cc_bld_state *state, const char *dir,
            struct cc_bld_vertex *v, cc_error_t *err)
{
  struct run r = { .e = e, .step = step, .dir = dir };
  cleanup_free char *upper = cc_path_join (dir, "upper");
  cleanup_free char *diff = cc_path_join (dir, "diff");
  cleanup_free char *work = cc_path_join (dir, "work");
  cc_error_t del = NULL;
  int ret;

  r.id = xasprintf ("ccbuild-%s-%d", cc_bld_record_id (e->record), ++e->counter);
  r.lowers = cc_bld_lowers (e, state, err);
  if (r.lowers == NULL)
    return -1;
  if (cc_mkdir_p (upper, 0755, err) < 0 || cc_mkdir_p (work, 0700, err) < 0)
    {
      run_release (&r);
      return -1;
    }
  ret = execute (&r, v, err);
  /* The runtime removes the upper dir it was given: the layer is moved
     out of its way first.  */
  if (ret == 0 && rename (upper, diff) < 0)
    ret = cc_error_make (err, errno, "rename `%s`", upper);
  if (ret == 0)
    clean_stubs (&r, diff);
  if (cc_runtime_delete (r.id, &del) < 0 && ret == 0)
    {
      *err = del;
      del = NULL;
      ret = -1;
    }
  cc_error_release (&del);
  if (r.netns)
    cc_bld_net_leave (e, r.id);
  cc_rm_rf (work, NULL);
  run_release (&r);
  return ret;
}
