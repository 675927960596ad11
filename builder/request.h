/* What `image build` asks of the builder (builder/builder.h, "the
   executor").  Apart from builder.h so that the engine's header can
   offer it to the CLI (engine/engine.h, cc_engine_image_build) without
   the Dockerfile parser's types.  */
#ifndef CC_BUILDER_REQUEST_H
#define CC_BUILDER_REQUEST_H

#include <stdbool.h>
#include <stdint.h>

struct cc_build_request
{
  const char *context;         /* the context directory */
  const char *dockerfile;      /* NULL: <context>/Dockerfile; relative: to the current directory */
  const char *target;          /* --target, NULL: the last stage */
  char *const *build_args;     /* KEY=VALUE (the caller resolved a bare KEY from its environment) */
  char *const *tags;           /* -t, each normalized when stored */
  char *const *labels;         /* --label KEY=VALUE, added to the image's labels */
  char *const *secrets;        /* --secret id=ID[,src=PATH|,env=VAR] (type=file|env accepted) */
  char *const *build_contexts; /* --build-context NAME=DIR: COPY --from=NAME reads DIR */
  char *const *add_hosts;      /* --add-host NAME:IP, added to RUN's /etc/hosts */
  char *const *ulimits;        /* --ulimit NAME=SOFT[:HARD] for RUN */
  const char *network;         /* --network for every RUN: default, none, host (NULL: default) */
  bool allow_host_network;     /* --allow network.host */
  bool no_cache;               /* --no-cache: execute every step (the cache is still written) */
  bool pull;                   /* --pull: pull every base image first */
  const char *progress;        /* auto, plain, tty, quiet (NULL: auto) */
  int64_t shm_size;            /* bytes, 0: 64 MiB */
  int parallel;                /* stages built at once, < 1: 2 */
  const char *platform;        /* --platform: only the host's is accepted */
  const char *iidfile;         /* --iidfile: the image id is written there */
};

#endif
