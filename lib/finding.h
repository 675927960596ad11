/* What the residue check (`ccompose system check`) finds: one struct for
   every scanner, whichever part owns the resource (runtime: containers,
   monitors, cgroups; network: links, rules, netns; volumes; image store;
   mounts).  engine/residue.c gathers them, the CLI prints them.  */
#ifndef CC_LIB_FINDING_H
#define CC_LIB_FINDING_H

#include <stdbool.h>
#include <stddef.h>

struct cc_finding
{
  const char *kind; /* a string literal: "container", "monitor", "cgroup", "network", "mount"... */
  char *object;     /* what it is: a path, "pid 42", "interface cc0123 ..." */
  char *detail;     /* why it is residue, or NULL */
  char *where;      /* the network namespace it is in when not this one, or NULL */
  bool fixable;     /* --fix removes it (false: it is only reported) */
};

struct cc_findings
{
  struct cc_finding *v;
  size_t n;
};

/* What a scanner is told about the state root it looks at (the one
   cc_state_dir () names while it runs).  */
struct cc_residue_scope
{
  bool fix;                /* remove what is found */
  bool foreign;            /* --all: a root other than the caller's; create nothing in it */
  bool orphans;            /* --all, once: also judge what no state root records */
  char *const *projects;   /* live projects: those with a state.json */
  char *const *claimed;    /* the containers their states name */
  char *const *containers; /* the containers the runtime records in this root */
  char *const *roots;      /* every state root on the host */
};

/* Append a finding; OBJECT and DETAIL (may be NULL) are taken over.  */
void cc_findings_add (struct cc_findings *f, const char *kind, bool fixable, char *object, char *detail);
/* Move every finding of FROM to the end of TO (FROM is left empty).  */
void cc_findings_move (struct cc_findings *to, struct cc_findings *from);
/* "OBJECT (DETAIL) in WHERE", the line the check prints after the kind.  */
char *cc_finding_describe (const struct cc_finding *f);
void cc_findings_release (struct cc_findings *f);
#define cleanup_findings __attribute__ ((cleanup (cc_findings_release)))

#endif
