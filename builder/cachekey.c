/* Cache keys of build steps.  A step is reused when everything that
   decides its result is the same, as BuildKit's solver decides it:

   - the parent: the previous step's key (or the base image / stage);
   - the step after substitution: RUN's argv, environment (so the values
     of the ARGs it can see, which BuildKit passes as environment
     variables, and nothing of build args no ARG declared), working
     directory, user, network and mounts; COPY/ADD's sources, destination
     and flags; WORKDIR's directory and owner;
   - the content of what it reads, measured by the executor (digests of
     files, never their times);
   - never what only names or reports the step (its display text, its
     history entry) nor the proxy variables (BuildKit leaves them out of
     its cache keys so a proxy change does not rebuild).

   Every field is written with its tag and length, so no two different
   steps can serialize alike.  */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builder/internal.h"
#include "lib/cleanup.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

#define KEY_VERSION "ccompose-build-cache-1"

struct hasher
{
  EVP_MD_CTX *ctx;
};

static void
field (struct hasher *h, const char *tag, const char *value)
{
  char head[64];
  size_t n = value ? strlen (value) : 0;
  int len = snprintf (head, sizeof (head), "%s%c%zu:", tag, value ? '=' : '~', n);

  EVP_DigestUpdate (h->ctx, head, (size_t)len);
  if (n)
    EVP_DigestUpdate (h->ctx, value, n);
}

static void
field_int (struct hasher *h, const char *tag, long long v)
{
  char buf[32];

  snprintf (buf, sizeof (buf), "%lld", v);
  field (h, tag, buf);
}

static void
field_strv (struct hasher *h, const char *tag, char *const *v)
{
  size_t n = v ? cc_strv_len (v) : 0;

  field_int (h, tag, (long long)n);
  for (size_t i = 0; i < n; i++)
    field (h, tag, v[i]);
}

static char *
finish (struct hasher *h)
{
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  char *out = xmalloc (7 + 64 + 1);

  if (EVP_DigestFinal_ex (h->ctx, md, &n) != 1)
    abort ();
  EVP_MD_CTX_free (h->ctx);
  memcpy (out, "sha256:", 7);
  for (unsigned int i = 0; i < n && i < 32; i++)
    snprintf (out + 7 + 2 * i, 3, "%02x", md[i]);
  return out;
}

static void
start (struct hasher *h)
{
  h->ctx = EVP_MD_CTX_new ();
  if (h->ctx == NULL || EVP_DigestInit_ex (h->ctx, EVP_sha256 (), NULL) != 1)
    abort ();
}

static void
mounts (struct hasher *h, const struct cc_builder_step *s)
{
  field_int (h, "mounts", (long long)s->n_mounts);
  for (size_t i = 0; i < s->n_mounts; i++)
    {
      const struct cc_builder_mount *m = &s->mounts[i];
      field_int (h, "m.type", m->type);
      field (h, "m.target", m->target);
      field (h, "m.source", m->source);
      field_int (h, "m.from_stage", m->from_stage);
      field (h, "m.from_image", m->from_image);
      field_int (h, "m.context", m->from_context);
      field_int (h, "m.ro", m->readonly);
      field (h, "m.id", m->id);
      field_int (h, "m.sharing", m->sharing);
      field_int (h, "m.size", m->size);
      field_int (h, "m.required", m->required);
      field_int (h, "m.mode", m->has_mode ? (long long)m->mode : -1);
      field_int (h, "m.uid", m->has_uid ? (long long)m->uid : -1);
      field_int (h, "m.gid", m->has_gid ? (long long)m->gid : -1);
    }
  field_int (h, "files", (long long)s->n_files);
  for (size_t i = 0; i < s->n_files; i++)
    {
      field (h, "f.path", s->files[i].path);
      field (h, "f.content", s->files[i].content);
      field_int (h, "f.mode", s->files[i].mode);
    }
}

static void
sources (struct hasher *h, const struct cc_builder_step *s)
{
  field_int (h, "sources", (long long)s->n_sources);
  for (size_t i = 0; i < s->n_sources; i++)
    {
      field_int (h, "s.kind", s->sources[i].kind);
      field (h, "s.path", s->sources[i].path);
      field (h, "s.filename", s->sources[i].filename);
      field (h, "s.content", s->sources[i].content);
    }
  field (h, "dest", s->dest);
  field (h, "chown", s->chown);
  field_int (h, "chmod", s->has_chmod ? (long long)s->chmod : -1);
  field_int (h, "link", s->link);
  field_int (h, "from_stage", s->from_stage);
  field (h, "from_image", s->from_image);
  field (h, "checksum", s->checksum);
}

char *
cc_builder_cache_key (const char *parent, const struct cc_builder_step *step, const struct cc_builder_input *inputs,
                      size_t n_inputs)
{
  struct hasher h;

  start (&h);
  field (&h, "version", KEY_VERSION);
  field (&h, "parent", parent);
  field_int (&h, "kind", step->kind);
  switch (step->kind)
    {
    case CC_STEP_RUN:
      field_strv (&h, "argv", step->argv);
      field_strv (&h, "env", step->env);
      field (&h, "workdir", step->workdir);
      field (&h, "user", step->user);
      field (&h, "network", step->network);
      mounts (&h, step);
      break;
    case CC_STEP_COPY:
    case CC_STEP_ADD:
      sources (&h, step);
      break;
    case CC_STEP_WORKDIR:
      field (&h, "dest", step->dest);
      field (&h, "user", step->user);
      break;
    }
  field_int (&h, "inputs", (long long)n_inputs);
  for (size_t i = 0; i < n_inputs; i++)
    {
      field (&h, "i.name", inputs[i].name);
      field (&h, "i.digest", inputs[i].digest);
    }
  return finish (&h);
}

static int
cmp_str (const void *a, const void *b)
{
  return strcmp (*(char *const *)a, *(char *const *)b);
}

char *
cc_builder_tree_digest (char *const *entries, size_t n)
{
  cleanup_free char **sorted = xmalloc ((n + 1) * sizeof (char *));
  struct hasher h;

  if (n > 0)
    memcpy (sorted, entries, n * sizeof (char *));
  qsort (sorted, n, sizeof (char *), cmp_str);
  start (&h);
  field (&h, "version", KEY_VERSION "-tree");
  field_int (&h, "entries", (long long)n);
  for (size_t i = 0; i < n; i++)
    field (&h, "e", sorted[i]);
  return finish (&h);
}
