#include "paths.h"

#include <stdlib.h>

static const char *
from_env (const char *name, const char *dflt)
{
  const char *v = getenv (name);

  return v && *v ? v : dflt;
}

const char *
cc_state_dir (void)
{
  return from_env (CC_STATE_DIR_ENV, CC_STATE_DIR_DEFAULT);
}

const char *
cc_data_dir (void)
{
  return from_env (CC_DATA_DIR_ENV, CC_DATA_DIR_DEFAULT);
}
