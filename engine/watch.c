/* `watch`: the develop.watch rules of the project's services, followed
   with inotify until Ctrl-C, as Docker Compose's `watch` follows them.

   Changes are gathered until the tree has been quiet for DEBOUNCE_MS,
   then each changed path goes to the first rule of each service whose
   `path` holds it and whose `ignore` patterns (and the build context's
   .dockerignore) do not exclude it.

   A sync writes into a container it does not trust: the rule's target is
   resolved in the container's root (RESOLVE_IN_ROOT, as `cp` resolves
   it), and below it no symlink is ever followed: a directory component
   that is not a directory is replaced, and a file is written beside its
   destination and renamed over it, so the write lands in the target
   whatever the container planted there (engine/cp.c says why a
   container's paths are resolved only this way).  On the host, the
   watched tree is walked without following symlinks: a symlink in
   `path` that leads out of it is never read.  */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "builder/builder.h"
#include "engine/engine.h"
#include "engine/internal.h"
#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "runtime/runtime.h"

#define DEBOUNCE_MS 300
#define WATCH_MASK                                                                                                     \
  (IN_CREATE | IN_DELETE | IN_CLOSE_WRITE | IN_MODIFY | IN_MOVED_FROM | IN_MOVED_TO | IN_ATTRIB | IN_ONLYDIR           \
   | IN_DONT_FOLLOW | IN_EXCL_UNLINK)

/* One rule of one service, with its ignore patterns parsed.  */
struct rule
{
  const struct cc_service *svc;
  const struct cc_watch_rule *r;
  struct cc_dockerignore *ignore;       /* the rule's `ignore`, relative to its path */
  struct cc_dockerignore *dockerignore; /* the build context's, relative to it */
  char **pending;                       /* changed host paths this rule takes */
};

struct cc_watcher
{
  const struct cc_project *p;
  int ifd;
  char **dirs; /* by watch descriptor */
  size_t n_dirs;
  struct rule *rules;
  size_t n_rules;
  bool quiet;
  int64_t last_event_ms; /* -1: nothing pending */
};

static volatile sig_atomic_t stop_requested;

static void
on_signal (int sig)
{
  (void)sig;
  stop_requested = 1;
  cc_engine_interrupted = 1;
}

/* ---- the host side -------------------------------------------------------- */

static void
remember_dir (struct cc_watcher *w, int wd, const char *dir)
{
  if ((size_t)wd >= w->n_dirs)
    {
      size_t n = (size_t)wd + 16;
      w->dirs = xreallocarray (w->dirs, n, sizeof (char *));
      memset (w->dirs + w->n_dirs, 0, (n - w->n_dirs) * sizeof (char *));
      w->n_dirs = n;
    }
  free (w->dirs[wd]);
  w->dirs[wd] = xstrdup (dir);
}

/* DIR and every directory below it, never through a symlink.  */
static int
watch_tree (struct cc_watcher *w, const char *dir, cc_error_t *err)
{
  cleanup_dir DIR *d = NULL;
  struct dirent *e;
  int wd = inotify_add_watch (w->ifd, dir, WATCH_MASK);

  if (wd < 0)
    return errno == ENOENT || errno == ENOTDIR ? 0 : cc_error_make (err, errno, "watch `%s`", dir);
  remember_dir (w, wd, dir);
  d = opendir (dir);
  while (d && (e = readdir (d)) != NULL)
    {
      cleanup_free char *sub = NULL;
      struct stat st;
      if (strcmp (e->d_name, ".") == 0 || strcmp (e->d_name, "..") == 0)
        continue;
      sub = xasprintf ("%s/%s", dir, e->d_name);
      if (lstat (sub, &st) == 0 && S_ISDIR (st.st_mode) && watch_tree (w, sub, err) < 0)
        return -1;
    }
  return 0;
}

static int
watch_rule_path (struct cc_watcher *w, const char *path, cc_error_t *err)
{
  struct stat st;
  cleanup_free char *parent = NULL;

  if (lstat (path, &st) == 0 && S_ISDIR (st.st_mode))
    return watch_tree (w, path, err);
  /* A file (or a path still to come): its directory, filtered by name.  */
  parent = xstrdup (path);
  *strrchr (parent, '/') = '\0';
  return watch_tree (w, *parent ? parent : "/", err);
}

/* PATH relative to BASE ("" for BASE itself), or NULL when outside it.  */
static const char *
below (const char *path, const char *base)
{
  size_t n = strlen (base);

  if (strncmp (path, base, n) != 0)
    return NULL;
  if (path[n] == '\0')
    return path + n;
  if (path[n] == '/')
    return path + n + 1;
  if (n == 1 && base[0] == '/')
    return path + 1;
  return NULL;
}

static bool
excluded (const struct cc_dockerignore *ig, const char *rel)
{
  bool out = false;
  cc_error_t e = NULL;

  if (ig == NULL || *rel == '\0')
    return false;
  if (cc_dockerignore_excludes (ig, rel, &out, &e) < 0)
    cc_error_release (&e);
  return out;
}

static bool
rule_takes (const struct rule *r, const char *path)
{
  const char *rel = below (path, r->r->path);
  const char *in_context;

  if (rel == NULL || excluded (r->ignore, rel))
    return false;
  if (r->dockerignore && (in_context = below (path, r->svc->build->context)) != NULL
      && excluded (r->dockerignore, in_context))
    return false;
  if (r->r->include && *rel)
    {
      bool any = false;
      for (char *const *pat = r->r->include; *pat && ! any; pat++)
        if (cc_builder_path_match (*pat, rel, &any, NULL) < 0)
          any = false;
      return any;
    }
  return true;
}

/* The first rule of each service that takes PATH gets it.  */
static void
dispatch (struct cc_watcher *w, const char *path)
{
  const struct cc_service *done = NULL;

  for (size_t i = 0; i < w->n_rules; i++)
    {
      struct rule *r = &w->rules[i];
      if (r->svc == done || ! rule_takes (r, path))
        continue;
      done = r->svc;
      if (! cc_strv_contains (r->pending, path))
        cc_strv_append (&r->pending, path);
    }
}

/* Read the queued events: each changed path dispatched; a new directory
   watched, and what it already holds dispatched too.  Returns how many
   bytes of events came (0: none), or -1.  */
static int
read_events (struct cc_watcher *w, cc_error_t *err)
{
  char buf[16384] __attribute__ ((aligned (__alignof__(struct inotify_event))));
  ssize_t len = read (w->ifd, buf, sizeof (buf));

  if (len < 0)
    return errno == EAGAIN || errno == EINTR ? 0 : cc_error_make (err, errno, "read inotify events");
  if (len > INT_MAX)
    len = INT_MAX;
  for (char *p = buf; p < buf + len;)
    {
      const struct inotify_event *ev = (const struct inotify_event *)p;
      const char *dir = ev->wd >= 0 && (size_t)ev->wd < w->n_dirs ? w->dirs[ev->wd] : NULL;
      p += sizeof (*ev) + ev->len;
      if (dir == NULL || ev->len == 0)
        continue;
      cleanup_free char *path = xasprintf ("%s/%s", strcmp (dir, "/") == 0 ? "" : dir, ev->name);
      dispatch (w, path);
      if ((ev->mask & IN_ISDIR) && (ev->mask & (IN_CREATE | IN_MOVED_TO)) && watch_tree (w, path, err) < 0)
        return -1;
    }
  return (int)len;
}

/* ---- the container side --------------------------------------------------- */

static int
openat2_fd (int dirfd, const char *path, int flags, uint64_t resolve)
{
  struct open_how how = { .flags = (uint64_t)flags | O_CLOEXEC, .resolve = resolve };

  return (int)syscall (SYS_openat2, dirfd, path, &how, sizeof (how));
}

#define BENEATH_ONLY (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV)

/* The directory NAME in DIRFD, made when missing; whatever else sits
   there (a symlink, a file) is replaced: never followed.  */
static int
enter_dir (int dirfd, const char *name, uid_t uid, gid_t gid, cc_error_t *err)
{
  for (int attempt = 0; attempt < 3; attempt++)
    {
      int fd = openat2_fd (dirfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW, BENEATH_ONLY & ~RESOLVE_NO_XDEV);
      if (fd >= 0)
        return fd;
      if (errno == ELOOP || errno == ENOTDIR)
        unlinkat (dirfd, name, 0);
      else if (errno != ENOENT)
        return cc_error_make (err, errno, "open `%s`", name);
      if (mkdirat (dirfd, name, 0755) == 0)
        fchownat (dirfd, name, uid, gid, AT_SYMLINK_NOFOLLOW);
    }
  return cc_error_make (err, ELOOP, "make directory `%s`", name);
}

/* The directory of REL (every component but the last) below TARGETFD.  */
static int
enter_parent (int targetfd, const char *rel, uid_t uid, gid_t gid, const char **leaf, cc_error_t *err)
{
  cleanup_strv char **parts = cc_strv_split (rel, '/', true);
  int fd = fcntl (targetfd, F_DUPFD_CLOEXEC, 0);
  size_t n = cc_strv_len (parts);

  for (size_t i = 0; fd >= 0 && i + 1 < n; i++)
    {
      cleanup_close int cur = fd;
      if (strcmp (parts[i], "..") == 0 || strcmp (parts[i], ".") == 0)
        return cc_error_make (err, EINVAL, "refusing path `%s`", rel);
      fd = enter_dir (cur, parts[i], uid, gid, err);
    }
  *leaf = strrchr (rel, '/') ? strrchr (rel, '/') + 1 : rel;
  return fd;
}

static int
copy_fd (int in, int out, const char *path, cc_error_t *err)
{
  char buf[65536];
  ssize_t n;

  while ((n = read (in, buf, sizeof (buf))) > 0)
    if (cc_write_all (out, buf, (size_t)n) < 0)
      return cc_error_make (err, errno, "write `%s`", path);
  return n < 0 ? cc_error_make (err, errno, "read `%s`", path) : 0;
}

/* The host file SRC as LEAF in DIRFD: written beside it, renamed over it.  */
static int
put_file (int dirfd, const char *leaf, const char *src, uid_t uid, gid_t gid, cc_error_t *err)
{
  cleanup_close int in = open (src, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  cleanup_close int out = -1;
  /* One name per watcher (it syncs one file at a time): a long LEAF
     cannot make it too long.  */
  cleanup_free char *tmp = xasprintf (".ccompose-sync-%d", getpid ());
  struct stat st;

  if (in < 0 || fstat (in, &st) < 0)
    return errno == ENOENT || errno == ELOOP ? 0 : cc_error_make (err, errno, "open `%s`", src);
  if (! S_ISREG (st.st_mode))
    return 0;
  unlinkat (dirfd, tmp, 0);
  out = openat2_fd (dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, BENEATH_ONLY & ~RESOLVE_NO_XDEV);
  if (out < 0)
    return cc_error_make (err, errno, "create `%s`", tmp);
  if (copy_fd (in, out, src, err) < 0 || fchown (out, uid, gid) < 0 || fchmod (out, st.st_mode & 07777) < 0
      || renameat (dirfd, tmp, dirfd, leaf) < 0)
    {
      int saved = errno;
      unlinkat (dirfd, tmp, 0);
      return *err ? -1 : cc_error_make (err, saved, "write `%s`", leaf);
    }
  return 0;
}

/* LEAF in DIRFD and all below it, not following anything.  */
static void
remove_entry (int parent, const char *leaf)
{
  cleanup_close int fd = -1;
  cleanup_dir DIR *d = NULL;
  struct dirent *e;

  if (unlinkat (parent, leaf, 0) == 0 || errno != EISDIR)
    return;
  fd = openat2_fd (parent, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, BENEATH_ONLY & ~RESOLVE_NO_XDEV);
  if (fd < 0 || (d = fdopendir (fd)) == NULL)
    return;
  fd = -1;
  while ((e = readdir (d)) != NULL)
    if (strcmp (e->d_name, ".") && strcmp (e->d_name, ".."))
      remove_entry (dirfd (d), e->d_name);
  unlinkat (parent, leaf, AT_REMOVEDIR);
}

struct sync_to
{
  const struct rule *rule;
  int targetfd;
  uid_t uid;
  gid_t gid;
};

static int sync_path (const struct sync_to *to, const char *rel, const char *host, cc_error_t *err);

/* The entries of the host directory HOST the rule takes (its ignore
   patterns hold for what a new directory brings too).  */
static int
sync_dir (const struct sync_to *to, const char *rel, const char *host, cc_error_t *err)
{
  cleanup_dir DIR *d = opendir (host);
  struct dirent *e;

  while (d && (e = readdir (d)) != NULL)
    {
      cleanup_free char *sub_rel = NULL;
      cleanup_free char *sub_host = NULL;
      if (strcmp (e->d_name, ".") == 0 || strcmp (e->d_name, "..") == 0)
        continue;
      sub_rel = *rel ? xasprintf ("%s/%s", rel, e->d_name) : xstrdup (e->d_name);
      sub_host = xasprintf ("%s/%s", host, e->d_name);
      if (rule_takes (to->rule, sub_host) && sync_path (to, sub_rel, sub_host, err) < 0)
        return -1;
    }
  return 0;
}

/* HOST as REL below the target: a file copied, a directory made and
   filled, a path gone removed; a host symlink is not followed (nor
   copied: what it points to is outside what the rule shares).  */
static int
sync_path (const struct sync_to *to, const char *rel, const char *host, cc_error_t *err)
{
  cleanup_close int dirfd = -1;
  const char *leaf = NULL;
  struct stat st;

  if (*rel == '\0')
    return lstat (host, &st) == 0 && S_ISDIR (st.st_mode) ? sync_dir (to, rel, host, err) : 0;
  dirfd = enter_parent (to->targetfd, rel, to->uid, to->gid, &leaf, err);
  if (dirfd < 0)
    return -1;
  if (lstat (host, &st) < 0)
    {
      remove_entry (dirfd, leaf);
      return 0;
    }
  if (S_ISREG (st.st_mode))
    return put_file (dirfd, leaf, host, to->uid, to->gid, err);
  if (S_ISDIR (st.st_mode))
    {
      cleanup_close int sub = enter_dir (dirfd, leaf, to->uid, to->gid, err);
      return sub < 0 ? -1 : sync_dir (to, rel, host, err);
    }
  return 0;
}

/* The container's TARGET, resolved in its root (made when missing), and
   the user its PID 1 runs as: synced files are that user's.  */
static int
open_target (const char *container, const char *target, uid_t *uid, gid_t *gid, cc_error_t *err)
{
  cleanup_close int rootfd = cc_runtime_open_root (container, err);
  cleanup_free char *proc = NULL;
  cleanup_strv char **parts = NULL;
  cleanup_cjson cJSON *st = NULL;
  struct stat sb;
  int fd;

  if (rootfd < 0 || cc_runtime_state (container, &st, err) < 0)
    return -1;
  proc = xasprintf ("/proc/%lld", (long long)cc_json_get_int (st, "pid", 0));
  if (stat (proc, &sb) < 0)
    return cc_error_make (err, errno, "container `%s` is not running", container);
  *uid = sb.st_uid;
  *gid = sb.st_gid;
  fd = openat2_fd (rootfd, target, O_PATH | O_DIRECTORY, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
  if (fd >= 0 || errno != ENOENT)
    return fd >= 0 ? fd : cc_error_make (err, errno, "open `%s` in `%s`", target, container);
  /* Missing: made from the root down, as the container resolves it.  */
  fd = fcntl (rootfd, F_DUPFD_CLOEXEC, 0);
  parts = cc_strv_split (target, '/', true);
  for (char **p = parts; fd >= 0 && *p; p++)
    {
      cleanup_close int cur = fd;
      fd = enter_dir (cur, *p, *uid, *gid, err);
    }
  return fd;
}

/* ---- actions -------------------------------------------------------------- */

static char **
service_containers (const struct cc_watcher *w, const char *service, bool running_only)
{
  cleanup_state struct cc_state *st = NULL;
  cleanup_strv char **all = NULL;
  char **out = xzalloc (sizeof (char *));
  cc_error_t e = NULL;

  if (cc_state_open (w->p->name, false, &st, &e) < 0)
    {
      cc_error_release (&e);
      return out;
    }
  all = cc_state_container_names (st->json, service, false);
  for (char **n = all; n && *n; n++)
    {
      cleanup_cjson cJSON *rs = NULL;
      if (running_only
          && (cc_runtime_state (*n, &rs, &e) < 0 || strcmp (cc_json_get_string (rs, "status") ?: "", "running") != 0))
        {
          cc_error_release (&e);
          continue;
        }
      cc_strv_append (&out, *n);
    }
  return out;
}

static int
sync_rule (const struct cc_watcher *w, const struct rule *r, cc_error_t *err)
{
  cleanup_strv char **names = service_containers (w, r->svc->name, true);

  for (char **n = names; *n; n++)
    {
      struct sync_to to = { .rule = r };
      cleanup_close int targetfd = open_target (*n, r->r->target, &to.uid, &to.gid, err);
      if (targetfd < 0)
        return -1;
      to.targetfd = targetfd;
      for (char **path = r->pending; path && *path; path++)
        if (sync_path (&to, below (*path, r->r->path), *path, err) < 0)
          return cc_error_wrap (err, "sync `%s` to `%s`", *path, *n);
    }
  if (! w->quiet && names[0])
    fprintf (stderr, "Syncing service \"%s\" after %zu changes were detected\n", r->svc->name,
             cc_strv_len (r->pending));
  return 0;
}

static int
restart_service (const struct cc_watcher *w, const char *service, cc_error_t *err)
{
  cleanup_state struct cc_state *st = NULL;
  cleanup_strv char **names = service_containers (w, service, false);
  struct cc_stop_opts so = { .timeout_ms = -1, .project = w->p->name };

  if (! w->quiet)
    fprintf (stderr, "Restarting service \"%s\" after changes were detected\n", service);
  if (cc_state_open (w->p->name, true, &st, err) < 0 || cc_engine_stop (st->json, names, &so, err) < 0)
    return -1;
  return cc_engine_start (w->p, st->json, names, err);
}

/* sync+exec: the rule's `exec` in each running container, as a
   post_start hook runs (user, working_dir, environment, privileged).  */
static int
exec_rule (const struct cc_watcher *w, const struct rule *r, cc_error_t *err)
{
  cleanup_strv char **names = service_containers (w, r->svc->name, true);

  for (char **n = names; *n; n++)
    if (cc_engine_run_hook (*n, "watch exec", &r->r->exec, err) < 0)
      return -1;
  return 0;
}

static int
rebuild_service (const struct cc_watcher *w, const char *service, cc_error_t *err)
{
  char *only[] = { (char *)service, NULL };
  struct cc_engine_build_opts bo = { .services = only, .quiet = w->quiet };
  struct cc_up_opts uo = {
    .services = only,
    .no_deps = true,
    .force_recreate = true,
    .build = CC_BUILD_NEVER,
    .wait_timeout_ms = -1,
    .timeout_ms = -1,
    .quiet = w->quiet,
  };
  int ret;

  if (! w->quiet)
    fprintf (stderr, "Rebuilding service \"%s\" after changes were detected\n", service);
  if (cc_engine_build (w->p, &bo, err) < 0)
    return -1;
  ret = cc_engine_up (w->p, &uo, err);
  cc_strv_free (uo.started);
  return ret;
}

static int
run_rule (const struct cc_watcher *w, const struct rule *r, cc_error_t *err)
{
  switch (r->r->action)
    {
    case CC_WATCH_SYNC:
      return sync_rule (w, r, err);
    case CC_WATCH_SYNC_RESTART:
      return sync_rule (w, r, err) < 0 ? -1 : restart_service (w, r->svc->name, err);
    case CC_WATCH_SYNC_EXEC:
      return sync_rule (w, r, err) < 0 ? -1 : exec_rule (w, r, err);
    case CC_WATCH_RESTART:
      return restart_service (w, r->svc->name, err);
    case CC_WATCH_REBUILD:
    default:
      return rebuild_service (w, r->svc->name, err);
    }
}

/* One batch: every rule with pending paths acts; a failure is reported
   and watching goes on, as Compose's watch goes on.  */
static void
flush (struct cc_watcher *w)
{
  for (size_t i = 0; i < w->n_rules; i++)
    {
      struct rule *r = &w->rules[i];
      cc_error_t e = NULL;
      if (r->pending == NULL)
        continue;
      if (run_rule (w, r, &e) < 0)
        {
          cc_warn ("watch: service `%s`: %s", r->svc->name, e->msg);
          cc_error_release (&e);
        }
      cc_strv_free (r->pending);
      r->pending = NULL;
    }
}

/* ---- set-up --------------------------------------------------------------- */

static int
parse_patterns (const char *name, char *const *patterns, struct cc_dockerignore **out, cc_error_t *err)
{
  cleanup_free char *text = patterns ? cc_strv_join ((char **)patterns, "\n") : NULL;

  if (text == NULL)
    return 0;
  return cc_dockerignore_parse (name, text, strlen (text), out, err);
}

static int
context_dockerignore (const struct cc_service *svc, struct cc_dockerignore **out, cc_error_t *err)
{
  cleanup_free char *path = NULL;
  cleanup_free char *text = NULL;
  size_t len = 0;

  if (svc->build == NULL || svc->build->context == NULL || svc->build->context[0] != '/')
    return 0;
  path = xasprintf ("%s/.dockerignore", svc->build->context);
  if (cc_read_file (path, &text, &len, NULL) < 0)
    return 0;
  return cc_dockerignore_parse (path, text, len, out, err);
}

static int
add_rules (struct cc_watcher *w, const struct cc_service *svc, cc_error_t *err)
{
  for (size_t i = 0; i < svc->n_watch; i++)
    {
      struct rule *r;
      w->rules = xreallocarray (w->rules, w->n_rules + 1, sizeof (*w->rules));
      r = memset (&w->rules[w->n_rules++], 0, sizeof (*r));
      r->svc = svc;
      r->r = &svc->watch[i];
      if (parse_patterns ("develop.watch.ignore", r->r->ignore, &r->ignore, err) < 0
          || context_dockerignore (svc, &r->dockerignore, err) < 0 || watch_rule_path (w, r->r->path, err) < 0)
        return -1;
    }
  return 0;
}

void
cc_engine_watch_close (struct cc_watcher *w)
{
  if (w == NULL)
    return;
  for (size_t i = 0; i < w->n_dirs; i++)
    free (w->dirs[i]);
  free (w->dirs);
  for (size_t i = 0; i < w->n_rules; i++)
    {
      if (w->rules[i].ignore)
        cc_dockerignore_free (w->rules[i].ignore);
      if (w->rules[i].dockerignore)
        cc_dockerignore_free (w->rules[i].dockerignore);
      cc_strv_free (w->rules[i].pending);
    }
  free (w->rules);
  if (w->ifd >= 0)
    close (w->ifd);
  free (w);
}

static void
cleanup_watcher_fn (struct cc_watcher **w)
{
  cc_engine_watch_close (*w);
}
#define cleanup_watcher __attribute__ ((cleanup (cleanup_watcher_fn)))

static int
initial_sync (struct cc_watcher *w, cc_error_t *err)
{
  for (size_t i = 0; i < w->n_rules; i++)
    if (w->rules[i].r->initial_sync && w->rules[i].r->action != CC_WATCH_REBUILD
        && w->rules[i].r->action != CC_WATCH_RESTART)
      {
        struct rule *r = &w->rules[i];
        cc_strv_append (&r->pending, r->r->path);
        if (sync_rule (w, r, err) < 0)
          return -1;
        cc_strv_free (r->pending);
        r->pending = NULL;
      }
  return 0;
}

int
cc_engine_watch_tick (struct cc_watcher *w, cc_error_t *err)
{
  int n = read_events (w, err);

  if (n < 0)
    return -1;
  if (n > 0)
    w->last_event_ms = cc_engine_now_ms ();
  if (w->last_event_ms >= 0 && cc_engine_now_ms () - w->last_event_ms >= DEBOUNCE_MS)
    {
      flush (w);
      w->last_event_ms = -1;
    }
  return 0;
}

/* Wait for events; once some came, until DEBOUNCE_MS pass without any.  */
static int
loop (struct cc_watcher *w, cc_error_t *err)
{
  bool dirty = false;

  while (! stop_requested)
    {
      struct pollfd pfd = { .fd = w->ifd, .events = POLLIN };
      int n = poll (&pfd, 1, dirty ? DEBOUNCE_MS : -1);
      if (n < 0 && errno != EINTR)
        return cc_error_make (err, errno, "poll inotify");
      if (n > 0)
        {
          if (read_events (w, err) < 0)
            return -1;
          dirty = true;
          continue;
        }
      if (n == 0 && dirty)
        {
          flush (w);
          dirty = false;
        }
    }
  return 0;
}

int
cc_engine_watch_open (const struct cc_project *p, const struct cc_watch_opts *o, struct cc_watcher **out,
                      cc_error_t *err)
{
  cleanup_watcher struct cc_watcher *w = xzalloc (sizeof (*w));

  w->p = p;
  w->quiet = o->quiet;
  w->last_event_ms = -1;
  w->ifd = inotify_init1 (IN_NONBLOCK | IN_CLOEXEC);
  if (w->ifd < 0)
    return cc_error_make (err, errno, "inotify_init1");
  for (size_t i = 0; i < p->view->n_services; i++)
    {
      const struct cc_service *svc = p->view->services[i];
      if (svc->n_watch == 0 || (o->services && *o->services && ! cc_strv_contains (o->services, svc->name)))
        continue;
      if (add_rules (w, svc, err) < 0)
        return cc_error_wrap (err, "service `%s`", svc->name);
    }
  if (w->n_rules == 0)
    return cc_error_make (
        err, 0, "none of the selected services is configured for watch, consider setting a `develop` section");
  if (initial_sync (w, err) < 0)
    return -1;
  if (! o->quiet)
    fprintf (stderr, "Watch enabled\n");
  *out = steal_pointer (&w);
  return 0;
}

int
cc_engine_watch (const struct cc_project *p, const struct cc_watch_opts *o, cc_error_t *err)
{
  cleanup_watcher struct cc_watcher *w = NULL;
  struct sigaction sa = { .sa_handler = on_signal };

  sigaction (SIGINT, &sa, NULL);
  sigaction (SIGTERM, &sa, NULL);
  if (cc_engine_watch_open (p, o, &w, err) < 0)
    return -1;
  return loop (w, err) < 0 ? -1 : 0;
}
