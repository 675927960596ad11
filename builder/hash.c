/* sha256 for the executor (content digests, layer diff ids), in the
   `sha256:<hex>` form images use.  */
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "builder/exec.h"
#include "lib/cleanup.h"
#include "lib/xalloc.h"

struct cc_bld_hash
{
  EVP_MD_CTX *ctx;
};

struct cc_bld_hash *
cc_bld_hash_new (void)
{
  struct cc_bld_hash *h = xzalloc (sizeof (*h));

  h->ctx = EVP_MD_CTX_new ();
  if (h->ctx == NULL || EVP_DigestInit_ex (h->ctx, EVP_sha256 (), NULL) != 1)
    abort ();
  return h;
}

void
cc_bld_hash_update (struct cc_bld_hash *h, const void *data, size_t len)
{
  if (len > 0)
    EVP_DigestUpdate (h->ctx, data, len);
}

char *
cc_bld_hash_final (struct cc_bld_hash *h)
{
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  char *out = xmalloc (7 + 64 + 1);

  if (EVP_DigestFinal_ex (h->ctx, md, &n) != 1)
    abort ();
  snprintf (out, 8, "sha256:");
  for (unsigned int i = 0; i < n && i < 32; i++)
    snprintf (out + 7 + 2 * i, 3, "%02x", md[i]);
  cc_bld_hash_free (h);
  return out;
}

void
cc_bld_hash_free (struct cc_bld_hash *h)
{
  EVP_MD_CTX_free (h->ctx);
  free (h);
}

char *
cc_bld_hash_data (const void *data, size_t len)
{
  struct cc_bld_hash *h = cc_bld_hash_new ();

  cc_bld_hash_update (h, data, len);
  return cc_bld_hash_final (h);
}

int
cc_bld_hash_fd (int fd, char **out, cc_error_t *err)
{
  struct cc_bld_hash *h = cc_bld_hash_new ();
  cleanup_free char *buf = xmalloc (128 * 1024);
  ssize_t n;

  while ((n = read (fd, buf, 128 * 1024)) != 0)
    {
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          cc_bld_hash_free (h);
          return cc_error_make (err, errno, "read");
        }
      cc_bld_hash_update (h, buf, (size_t)n);
    }
  *out = cc_bld_hash_final (h);
  return 0;
}
