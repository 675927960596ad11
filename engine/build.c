/* `build:` of a compose file (issue 13): the service's typed build
   section (compose/service.h) into one request of the builder's API
   (builder/builder.h), for `ccompose build` and for up, create and run,
   which build what is missing before they create containers.  What the
   builder cannot honour on this host is refused here, at the key's
   file:line:col, and only by the commands that build: `config` prints
   every key as `docker compose config` does.  */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "builder/builder.h"
#include "engine/engine.h"
#include "engine/internal.h"
#include "image/image.h"
#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/log.h"
#include "lib/paths.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

char *
cc_engine_image_ref (const struct cc_project *p, const struct cc_service *svc)
{
  /* Compose v2 names the image of a service without `image:` so
     (lib/paths.c).  */
  return svc->image ? xstrdup (svc->image) : cc_paths_built_image_name (p->name, svc->name);
}

/* ---- what the builder cannot honour ------------------------------------------------ */

static int
refuse (const struct cc_service *svc, const char *key, cc_error_t *err, const char *why)
{
  struct cc_pos at = cc_build_pos (svc->build, key);

  return cc_compose_error_at (err, &at, "service `%s`: build.%s: %s", svc->name, key, why);
}

static bool
is_remote (const char *s)
{
  return strstr (s, "://") || strncmp (s, "git@", 4) == 0;
}

/* "type=local,..." (BuildKit's cache exporter syntax).  */
static bool
is_local_cache (const char *spec)
{
  return strncmp (spec, "type=local,", 11) == 0 || strcmp (spec, "type=local") == 0;
}

static bool
is_false (const char *v)
{
  return v == NULL || strcmp (v, "false") == 0 || strcmp (v, "0") == 0;
}

static int
check_lists (const struct cc_service *svc, const char *host_platform, cc_error_t *err)
{
  const struct cc_build *b = svc->build;

  for (char *const *pl = b->platforms; pl && *pl; pl++)
    if (strcmp (*pl, host_platform) != 0)
      return refuse (svc, "platforms", err, "ccompose builds for the host's platform only");
  for (char *const *c = b->cache_to; c && *c; c++)
    if (! is_local_cache (*c))
      return refuse (svc, "cache_to", err, "only the local cache (`type=local,...`) can be written");
  for (char *const *c = b->cache_from; c && *c; c++)
    if (strncmp (*c, "type=", 5) == 0 && ! is_local_cache (*c))
      return refuse (svc, "cache_from", err, "only the local cache (`type=local,...`) can be read");
  for (char *const *e = b->entitlements; e && *e; e++)
    if (strcmp (*e, "network.host") != 0)
      return refuse (svc, "entitlements", err, "only `network.host` can be granted");
  for (size_t i = 0; i < b->additional_contexts.n; i++)
    {
      const char *v = b->additional_contexts.items[i].value;
      if (v == NULL || v[0] != '/')
        return refuse (svc, "additional_contexts", err, "only local directories can be added");
    }
  return 0;
}

static int
check_secrets (const struct cc_project *p, const struct cc_service *svc, cc_error_t *err)
{
  for (size_t i = 0; i < svc->build->n_secrets; i++)
    {
      const char *src = svc->build->secrets[i].source;
      const struct cc_file_object *o = NULL;
      for (size_t j = 0; j < p->view->n_secrets; j++)
        if (strcmp (p->view->secrets[j].key, src) == 0)
          o = &p->view->secrets[j];
      if (o == NULL)
        return refuse (svc, "secrets", err, "no such top-level secret");
      if (o->file == NULL && o->environment == NULL)
        return refuse (svc, "secrets", err, "only secrets from a `file:` or an `environment:` can be used");
    }
  return 0;
}

/* Relative to the context, as Compose reads it.  */
static char *
dockerfile_path (const struct cc_build *b)
{
  const char *df = b->dockerfile ? b->dockerfile : "Dockerfile";

  return df[0] == '/' ? xstrdup (df) : cc_path_join (b->context, df);
}

static int
check_dockerfile (const struct cc_service *svc, cc_error_t *err)
{
  cleanup_free char *path = NULL;
  cleanup_free char *why = NULL;
  struct stat st;

  if (svc->build->dockerfile_inline)
    return 0;
  path = dockerfile_path (svc->build);
  if (stat (path, &st) == 0 && S_ISREG (st.st_mode))
    return 0;
  why = xasprintf ("no Dockerfile at `%s`", path);
  return refuse (svc, svc->build->dockerfile ? "dockerfile" : "context", err, why);
}

int
cc_engine_build_check (const struct cc_project *p, const struct cc_service *svc, cc_error_t *err)
{
  const struct cc_build *b = svc->build;
  cleanup_free char *host = cc_builder_host_platform ();
  struct stat st;

  if (b == NULL)
    return 0;
  if (is_remote (b->context))
    return refuse (svc, "context", err, "ccompose builds from a local directory only");
  if (stat (b->context, &st) < 0 || ! S_ISDIR (st.st_mode))
    return refuse (svc, "context", err, "the build context is not a directory");
  if (check_dockerfile (svc, err) < 0)
    return -1;
  if (b->ssh)
    return refuse (svc, "ssh", err, "ssh agent forwarding is not supported by ccompose's builder");
  if (b->isolation && strcmp (b->isolation, "default") != 0)
    return refuse (svc, "isolation", err, "only `default` exists on Linux");
  if (b->privileged)
    return refuse (svc, "privileged", err, "the builder runs RUN with Docker's default capabilities only");
  if (b->network && strcmp (b->network, "default") != 0 && strcmp (b->network, "none") != 0
      && strcmp (b->network, "host") != 0)
    return refuse (svc, "network", err, "RUN can use `default`, `none` or `host` only");
  if (! is_false (b->provenance))
    return refuse (svc, "provenance", err, "ccompose's builder makes no attestations");
  if (! is_false (b->sbom))
    return refuse (svc, "sbom", err, "ccompose's builder makes no attestations");
  if (check_lists (svc, host, err) < 0)
    return -1;
  return check_secrets (p, svc, err);
}

/* The local caches check_lists lets through: the builder keeps one cache
   of its own under the data root, so these name nothing it reads or
   writes.  Said, not dropped (issue 15).  */
static void
warn_caches (const struct cc_service *svc)
{
  static const char *const keys[] = { "cache_from", "cache_to" };
  char *const *lists[] = { svc->build->cache_from, svc->build->cache_to };

  for (size_t i = 0; i < 2; i++)
    if (lists[i] && lists[i][0])
      {
        struct cc_pos at = cc_build_pos (svc->build, keys[i]);
        cc_compose_warn_at (&at, "service `%s`: build.%s is ignored: ccompose's builder uses its own cache only",
                            svc->name, keys[i]);
      }
}

/* ---- the request ----------------------------------------------------------------- */

struct request
{
  struct cc_build_request req;
  char **args, **tags, **labels, **secrets, **contexts, **hosts, **ulimits;
  char *ref, *dockerfile;
  char *inline_path; /* dockerfile_inline written here (removed after) */
};

static void
request_release (struct request *r)
{
  cc_strv_free (r->args);
  cc_strv_free (r->tags);
  cc_strv_free (r->labels);
  cc_strv_free (r->secrets);
  cc_strv_free (r->contexts);
  cc_strv_free (r->hosts);
  cc_strv_free (r->ulimits);
  free (r->ref);
  free (r->dockerfile);
  if (r->inline_path)
    unlink (r->inline_path);
  free (r->inline_path);
}

/* `--build-arg KEY=VALUE`, or KEY from our environment (left out when
   unset), over the compose file's args; args without a value in the
   file are left out as Compose leaves them out.  */
static void
add_args (struct request *r, const struct cc_build *b, char *const *cli_args)
{
  cleanup_strv char **given = NULL;

  for (char *const *a = cli_args; a && *a; a++)
    {
      const char *eq = strchr (*a, '='), *v = eq ? NULL : getenv (*a);
      if (eq)
        cc_strv_append (&given, *a);
      else if (v)
        cc_strv_push (&given, xasprintf ("%s=%s", *a, v));
    }
  for (size_t i = 0; i < b->args.n; i++)
    {
      bool overridden = false;
      size_t len = strlen (b->args.items[i].name);
      for (char **g = given; g && *g && ! overridden; g++)
        overridden = strncmp (*g, b->args.items[i].name, len) == 0 && (*g)[len] == '=';
      if (! overridden && b->args.items[i].value)
        cc_strv_push (&r->args, xasprintf ("%s=%s", b->args.items[i].name, b->args.items[i].value));
    }
  for (char **g = given; g && *g; g++)
    cc_strv_append (&r->args, *g);
}

static void
add_kv (char ***out, const struct cc_kv_list *l, const char *sep)
{
  for (size_t i = 0; i < l->n; i++)
    cc_strv_push (out, xasprintf ("%s%s%s", l->items[i].name, sep, l->items[i].value ? l->items[i].value : ""));
}

/* A build secret's id is its target when given, else its source, as
   Compose hands them to BuildKit.  */
static void
add_secrets (struct request *r, const struct cc_project *p, const struct cc_build *b)
{
  for (size_t i = 0; i < b->n_secrets; i++)
    for (size_t j = 0; j < p->view->n_secrets; j++)
      {
        const struct cc_file_object *o = &p->view->secrets[j];
        const char *id = b->secrets[i].target ? b->secrets[i].target : b->secrets[i].source;
        if (strcmp (o->key, b->secrets[i].source) != 0)
          continue;
        if (o->file)
          cc_strv_push (&r->secrets, xasprintf ("id=%s,src=%s", id, o->file));
        else
          cc_strv_push (&r->secrets, xasprintf ("id=%s,env=%s", id, o->environment));
      }
}

static void
add_limits (struct request *r, const struct cc_build *b)
{
  for (size_t i = 0; i < b->n_extra_hosts; i++)
    cc_strv_push (&r->hosts, xasprintf ("%s:%s", b->extra_hosts[i].host, b->extra_hosts[i].ip));
  for (size_t i = 0; i < b->n_ulimits; i++)
    cc_strv_push (&r->ulimits, xasprintf ("%s=%lld:%lld", b->ulimits[i].name, (long long)b->ulimits[i].soft,
                                          (long long)b->ulimits[i].hard));
}

/* The builder reads a Dockerfile from a path: an inline one is written
   to a private file first; a relative one is relative to the context,
   as Compose reads it (the builder's are to the current directory).  */
static int
set_dockerfile (struct request *r, const struct cc_build *b, cc_error_t *err)
{
  char tmpl[] = "/tmp/ccompose-dockerfile.XXXXXX";
  cleanup_close int fd = -1;

  if (b->dockerfile_inline == NULL)
    {
      r->dockerfile = dockerfile_path (b);
      r->req.dockerfile = r->dockerfile;
      return 0;
    }
  fd = mkstemp (tmpl);
  if (fd < 0)
    return cc_error_make (err, errno, "create a file for `dockerfile_inline`");
  r->inline_path = xstrdup (tmpl);
  if (cc_write_all (fd, b->dockerfile_inline, strlen (b->dockerfile_inline)) < 0)
    return cc_error_make (err, errno, "write `%s`", tmpl);
  r->req.dockerfile = r->inline_path;
  return 0;
}

static int
make_request (struct request *r, const struct cc_project *p, const struct cc_service *svc,
              const struct cc_engine_build_opts *o, cc_error_t *err)
{
  const struct cc_build *b = svc->build;

  r->ref = cc_engine_image_ref (p, svc);
  cc_strv_append (&r->tags, r->ref);
  for (char *const *t = b->tags; t && *t; t++)
    cc_strv_append (&r->tags, *t);
  add_args (r, b, o->build_args);
  add_kv (&r->labels, &b->labels, "=");
  add_kv (&r->contexts, &b->additional_contexts, "=");
  add_secrets (r, p, b);
  add_limits (r, b);
  r->req = (struct cc_build_request){
    .context = b->context,
    .target = b->target,
    .build_args = r->args,
    .tags = r->tags,
    .labels = r->labels,
    .secrets = r->secrets,
    .build_contexts = r->contexts,
    .add_hosts = r->hosts,
    .ulimits = r->ulimits,
    .network = b->network,
    .allow_host_network = b->network && strcmp (b->network, "host") == 0,
    .no_cache = b->no_cache || o->no_cache,
    .pull = b->pull || o->pull,
    .progress = o->quiet ? "quiet" : o->progress,
    .shm_size = b->shm_size,
    .parallel = o->parallel,
  };
  return set_dockerfile (r, b, err);
}

/* ---- building ---------------------------------------------------------------------- */

static int
build_one (const struct cc_project *p, const struct cc_service *svc, const struct cc_engine_build_opts *o,
           cc_error_t *err)
{
  struct request r __attribute__ ((cleanup (request_release))) = { 0 };
  cleanup_free char *id = NULL;

  if (cc_engine_build_check (p, svc, err) < 0)
    return -1;
  warn_caches (svc);
  if (o->dry_run)
    {
      if (! o->quiet)
        cc_notice ("DRY-RUN MODE -  \u2714 Service %-24s Built", svc->name);
      return 0;
    }
  if (make_request (&r, p, svc, o, err) < 0 || cc_builder_build (&r.req, &id, err) < 0)
    return cc_error_wrap (err, "service `%s` failed to build", svc->name);
  if (! o->quiet)
    cc_notice (" \u2714 Service %-32s Built", svc->name);
  return 0;
}

/* SERVICES (every service when NULL), with their dependencies when
   asked (images do not depend on each other: sorted by name).  */
static int
select_services (const struct cc_project *p, char *const *services, bool with_deps, char ***out, cc_error_t *err)
{
  cleanup_strv char **all = NULL;

  if (services == NULL || *services == NULL || with_deps)
    return cc_compose_select (p, services, out, err);
  /* An unknown name is an error even without its dependencies.  */
  if (cc_compose_select (p, services, &all, err) < 0)
    return -1;
  *out = cc_strv_dup (services);
  return 0;
}

int
cc_engine_build (const struct cc_project *p, const struct cc_engine_build_opts *o, cc_error_t *err)
{
  cleanup_strv char **names = NULL;

  if (select_services (p, o->services, o->with_dependencies, &names, err) < 0)
    return -1;
  /* Check every service first: a refusal costs no build.  */
  for (char **n = names; *n; n++)
    if (cc_engine_build_check (p, cc_project_service (p, *n), err) < 0)
      return -1;
  for (char **n = names; *n; n++)
    {
      const struct cc_service *svc = cc_project_service (p, *n);
      if (svc->build && build_one (p, svc, o, err) < 0)
        return -1;
    }
  return 0;
}

/* Whether up must build SVC's image: --build or pull_policy: build
   always; --no-build never; else when the store lacks it.  */
static bool
needs_build (const struct cc_project *p, const struct cc_service *svc, enum cc_build_when when)
{
  cleanup_free char *ref = NULL;
  cleanup_image struct cc_image *img = NULL;

  if (svc->build == NULL || when == CC_BUILD_NEVER)
    return false;
  if (when == CC_BUILD_ALWAYS || svc->pull_policy == CC_PULL_BUILD)
    return true;
  ref = cc_engine_image_ref (p, svc);
  return cc_image_resolve (ref, &img, NULL) < 0;
}

int
cc_engine_build_missing (const struct cc_project *p, char *const *services, enum cc_build_when when,
                         const struct cc_engine_build_opts *o, cc_error_t *err)
{
  for (char *const *n = services; n && *n; n++)
    {
      const struct cc_service *svc = cc_project_service (p, *n);
      if (needs_build (p, svc, when) && cc_engine_build_check (p, svc, err) < 0)
        return -1;
    }
  for (char *const *n = services; n && *n; n++)
    {
      const struct cc_service *svc = cc_project_service (p, *n);
      if (needs_build (p, svc, when) && build_one (p, svc, o, err) < 0)
        return -1;
    }
  return 0;
}

/* `convert --registry` (issue 18): SERVICE built as `ccompose build`
   builds it, tagged REF (a name without tag: latest), pushed, and named
   by the digest of the manifest the registry stored (image/ refuses a
   push whose Docker-Content-Digest differs from it).  REF is checked
   before anything is built.  */
int
cc_engine_convert_build (void *opaque, const struct cc_project *p, const char *service, const char *ref, char **pinned,
                         cc_error_t *err)
{
  char *const one[] = { (char *)service, NULL };
  struct cc_engine_build_opts o = { .services = one };
  struct cc_image_ref parsed cleanup_image_ref = { 0 };
  cleanup_free char *local = cc_engine_image_ref (p, cc_project_service (p, service));
  cleanup_free char *digest = NULL;

  (void)opaque;
  if (cc_image_ref_parse (ref, &parsed, err) < 0)
    return cc_error_wrap (err, "--registry");
  if (cc_engine_build (p, &o, err) < 0 || cc_image_tag (local, ref, err) < 0
      || cc_image_push (ref, true, &digest, err) < 0)
    return -1;
  *pinned = xasprintf ("%s@%s", ref, digest);
  return 1;
}
