/* Capabilities: Docker's defaults, cap_add / cap_drop / ALL, privileged.  */
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "runtime/internal.h"

/* Docker's 14 (moby daemon/pkg/oci/caps/defaults.go).  */
const char *const cc_default_caps[] = {
  "CHOWN",   "DAC_OVERRIDE",     "FSETID",     "FOWNER", "MKNOD",       "NET_RAW", "SETGID", "SETUID",
  "SETFCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL",   "AUDIT_WRITE", "SETPCAP", NULL,
};

static int
last_cap (void)
{
  int n = (int)cap_max_bits ();

  return n > 0 && n <= 64 ? n - 1 : 40;
}

/* "NET_ADMIN", "CAP_NET_ADMIN" or "net_admin" to its number, or -1.  */
int
cc_caps_from_name (const char *name)
{
  char buf[64];
  size_t i, off = strncasecmp (name, "CAP_", 4) == 0 ? 4 : 0;
  cap_value_t v;

  if (strlen (name + off) + 5 > sizeof (buf) || name[off] == '\0')
    return -1;
  strcpy (buf, "cap_");
  for (i = 0; name[off + i]; i++)
    {
      unsigned char c = (unsigned char)name[off + i];
      if (! isalnum (c) && c != '_')
        return -1;
      buf[4 + i] = (char)tolower (c);
    }
  buf[4 + i] = '\0';
  if (cap_from_name (buf, &v) < 0)
    return -1;
  /* libcap also accepts bare numbers; names only here.  */
  if (isdigit ((unsigned char)buf[4]))
    return -1;
  return (int)v;
}

static uint64_t
all_caps (void)
{
  int last = last_cap ();

  return last >= 63 ? ~(uint64_t)0 : (((uint64_t)1) << (last + 1)) - 1;
}

static bool
has_all (char *const *v)
{
  for (; v && *v; v++)
    if (strcasecmp (*v, "ALL") == 0)
      return true;
  return false;
}

static int
names_to_mask (char *const *v, uint64_t *mask, cc_error_t *err)
{
  *mask = 0;
  for (; v && *v; v++)
    {
      int c;
      if (strcasecmp (*v, "ALL") == 0)
        continue;
      c = cc_caps_from_name (*v);
      if (c < 0 || c > last_cap ())
        return cc_error_make (err, EINVAL, "unknown capability `%s`", *v);
      *mask |= ((uint64_t)1) << c;
    }
  return 0;
}

/* Docker's rule: ALL in cap_add starts from everything, ALL in cap_drop
   from nothing, otherwise from the defaults; an explicit add wins over a
   drop of the same capability.  */
int
cc_caps_compute (const struct cc_runtime_spec *s, uint64_t *mask, cc_error_t *err)
{
  uint64_t add, drop, base;

  if (s->privileged)
    {
      *mask = all_caps ();
      return 0;
    }
  if (names_to_mask (s->cap_add, &add, err) < 0 || names_to_mask (s->cap_drop, &drop, err) < 0
      || names_to_mask ((char *const *)cc_default_caps, &base, err) < 0)
    return -1;
  if (has_all (s->cap_add))
    base = all_caps ();
  else if (has_all (s->cap_drop))
    base = 0;
  *mask = ((base & ~drop) | add) & all_caps ();
  return 0;
}

static int
switch_user (const struct cc_user *u, cc_error_t *err)
{
  if (setgroups (u->n_groups, u->groups) < 0)
    return cc_error_make (err, errno, "setgroups");
  if (setresgid (u->gid, u->gid, u->gid) < 0)
    return cc_error_make (err, errno, "setresgid %u", (unsigned)u->gid);
  if (setresuid (u->uid, u->uid, u->uid) < 0)
    return cc_error_make (err, errno, "setresuid %u", (unsigned)u->uid);
  return 0;
}

/* Bounding set first (needs CAP_SETPCAP, which we still hold), then the
   user switch with KEEPCAPS so the permitted set survives it, then the
   final sets.  Like Docker, caps land in bounding, permitted and
   effective only: a non-root user loses them at execve.  */
int
cc_caps_apply (uint64_t mask, const struct cc_user *user, cc_error_t *err)
{
  cap_t caps = NULL;
  int ret = 0;

  /* Nobody gets more than our own bounding set (privileged on a host
     without CAP_SYS_RESOURCE, like this one).  */
  for (int c = 0; c <= last_cap (); c++)
    if (prctl (PR_CAPBSET_READ, c, 0, 0, 0) != 1)
      mask &= ~(((uint64_t)1) << c);
  for (int c = 0; c <= last_cap (); c++)
    if (! (mask & (((uint64_t)1) << c)) && prctl (PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
      return cc_error_make (err, errno, "drop capability %d from the bounding set", c);
  if (prctl (PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
    return cc_error_make (err, errno, "prctl PR_SET_KEEPCAPS");
  if (switch_user (user, err) < 0)
    return -1;
  caps = cap_init ();
  if (caps == NULL)
    return cc_error_make (err, errno, "cap_init");
  for (int c = 0; c <= last_cap (); c++)
    {
      cap_value_t v = c;
      if (! (mask & (((uint64_t)1) << c)))
        continue;
      cap_set_flag (caps, CAP_EFFECTIVE, 1, &v, CAP_SET);
      cap_set_flag (caps, CAP_PERMITTED, 1, &v, CAP_SET);
    }
  if (cap_set_proc (caps) < 0)
    ret = cc_error_make (err, errno, "set capabilities");
  cap_free (caps);
  if (ret == 0 && prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
    ret = cc_error_make (err, errno, "clear ambient capabilities");
  if (ret == 0 && prctl (PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
    ret = cc_error_make (err, errno, "prctl PR_SET_KEEPCAPS");
  return ret;
}
