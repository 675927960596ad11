/* volumes/: the one public header (ARCHITECTURE.md, "Parts").  Named volumes, each a
   directory under cc_data_dir()/volumes/<name> with its data in _data
   (Docker's layout); the `local` driver's options (a bind of a device
   path, tmpfs, nfs and other filesystems through mount(2)); the mounts
   of one container (binds, tmpfs, named and anonymous volumes, the copy
   of the image's content into an empty volume); the residue check of
   what it mounted.  The engine hands in names and paths, as it does to
   network/: this part knows nothing of compose files.

   Each volume has a record, volumes/<name>/volume.json, in the shape of
   `docker volume inspect` plus what only ccompose needs:
     { "Name", "Driver", "Options", "Labels", "CreatedAt", "Scope",
       "users": ["<container>"...],        containers that mount it
       "mount": {"state": "mounting|mounted", "target"} }  a driver mount
   A container is recorded as a user before its mounts exist, and a
   driver mount before mount(2) is called, so a crash at any point
   leaves enough for `down`, `volume rm` and `system check`.  Records
   change under one lock (volumes/.lock).  */
#ifndef CC_VOLUMES_H
#define CC_VOLUMES_H

#include <cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/error.h"
#include "lib/finding.h"

/* ---- named volumes (store.c) ----------------------------------------------- */

/* What a volume is created with.  OPTIONS and LABELS are KEY=VALUE
   vectors (may be NULL); the local driver takes `type`, `o` and
   `device`, as Docker's does.  */
struct cc_volume_spec
{
  const char *name;
  const char *driver; /* NULL: "local" */
  char *const *options;
  char *const *labels;
};

/* Docker's rule for names: [a-zA-Z0-9][a-zA-Z0-9_.-]*.  */
bool cc_volume_name_is_valid (const char *name);
/* cc_data_dir()/volumes/NAME (the data is in its _data).  */
char *cc_volume_path (const char *name);
bool cc_volume_exists (const char *name);
/* Whether SPEC's driver and options are ones this part can honour
   (cc_volume_create checks them too, before anything exists).  */
int cc_volume_check (const struct cc_volume_spec *spec, cc_error_t *err);
/* Create NAME; an existing volume is success and keeps what it was
   created with (*CREATED, when given, says which).  The options are
   checked here, before anything exists.  */
int cc_volume_create (const struct cc_volume_spec *spec, bool *created, cc_error_t *err);
/* Unmount and delete NAME.  One that containers use is EBUSY unless
   FORCE; a missing one is ENOENT.  */
int cc_volume_remove (const char *name, bool force, cc_error_t *err);
/* The bytes NAME's files hold (not crossing into another filesystem).  */
int cc_volume_size (const char *name, int64_t *bytes);
/* `docker volume inspect`'s object for NAME.  */
int cc_volume_inspect (const char *name, cJSON **out, cc_error_t *err);
/* Every volume's inspect object, sorted by name; with USERS, each gets
   the containers that use it ("UsedBy").  */
int cc_volume_list (bool users, cJSON **out, cc_error_t *err);

/* Fill an empty volume with the image's content at TARGET (Docker's copy
   on first use).  LAYERS: the image's layer directories, top first.  */
int cc_volume_copy_up (const char *name, char *const *layers, const char *target, cc_error_t *err);
/* The same into the volume directory DATA (an anonymous volume's).  */
int cc_volume_copy_up_into (const char *data, const char *what, char *const *layers, const char *target,
                            cc_error_t *err);

/* ---- the mounts of one container (mounts.c) ---------------------------------- */

enum cc_vmount_type
{
  CC_VMOUNT_BIND,
  CC_VMOUNT_VOLUME,
  CC_VMOUNT_TMPFS,
};

/* One mount a container asks for, as the engine hands it over.  */
struct cc_vmount
{
  enum cc_vmount_type type;
  const char *source; /* bind: absolute host path; volume: the full name, NULL = anonymous */
  const char *target;
  bool read_only;
  bool create_host_path;   /* bind */
  const char *propagation; /* bind: rprivate, rshared...; NULL: the runtime's (private) */
  const char *recursive;   /* bind: enabled (NULL), disabled, writable, readonly */
  bool nocopy;             /* volume: no copy of the image's content */
  const char *subpath;     /* volume: this directory of it, never out of it (runtime/mount.c) */
  int64_t tmpfs_size;      /* tmpfs: bytes, 0 = no limit */
  bool has_tmpfs_mode;
  uint32_t tmpfs_mode;  /* tmpfs: permissions of its root, with has_tmpfs_mode */
  char *const *options; /* tmpfs: more mount options (the short `tmpfs:` syntax) */
};

/* What the runtime mounts, in its own terms.  */
struct cc_vmount_spec
{
  char *type; /* "bind" or "tmpfs" */
  char *source;
  char *target;
  char **options;
};

/* The mounts of CONTAINER, in order: a named volume is created when
   missing, recorded as used by CONTAINER, mounted by its driver at its
   first use and filled from LAYERS (top first) while empty; an
   anonymous one lives in CONTAINER_DIR, which goes with the container.
   *OUT has *N_OUT entries (cc_vmount_specs_free).  */
int cc_volumes_attach (const char *container, const char *container_dir, const struct cc_vmount *m, size_t n,
                       char *const *layers, struct cc_vmount_spec **out, size_t *n_out, cc_error_t *err);
void cc_vmount_specs_free (struct cc_vmount_spec *s, size_t n);
/* CONTAINER no longer uses any volume: a volume left without users is
   unmounted by its driver.  Missing = success.  */
int cc_volumes_detach (const char *container, cc_error_t *err);

/* ---- residue (residue.c) ------------------------------------------------------ */

/* `system check`'s scanner (lib/finding.h): a driver mount of a volume
   no container uses (or of no volume), a container recorded as a user
   that no live project knows (S->claimed); with S->fix they are
   unmounted and forgotten.  Volumes themselves are data: never
   residue.  */
void cc_volumes_residue (const struct cc_residue_scope *s, struct cc_findings *out, cc_error_t *errors);
/* Whether MOUNT_POINT, a mount below the data root, is this part's to
   judge (the residue check leaves it to cc_volumes_residue).  */
bool cc_volumes_owns_mount (const char *mount_point);

#endif
