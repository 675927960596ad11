/* sha256 over libcrypto, in the `sha256:<hex>` form images use.  */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/internal.h"
#include "lib/xalloc.h"

struct cc_sha256
{
  EVP_MD_CTX *ctx;
};

struct cc_sha256 *
cc_sha256_new (void)
{
  struct cc_sha256 *h = xzalloc (sizeof (*h));

  h->ctx = EVP_MD_CTX_new ();
  if (h->ctx == NULL || EVP_DigestInit_ex (h->ctx, EVP_sha256 (), NULL) != 1)
    {
      fputs ("ccompose: cannot initialise sha256\n", stderr);
      abort ();
    }
  return h;
}

void
cc_sha256_update (struct cc_sha256 *h, const void *data, size_t len)
{
  if (len > 0)
    EVP_DigestUpdate (h->ctx, data, len);
}

char *
cc_sha256_final (struct cc_sha256 *h)
{
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  char *out = xmalloc (7 + 64 + 1);

  EVP_DigestFinal_ex (h->ctx, md, &n);
  memcpy (out, "sha256:", 7);
  for (unsigned int i = 0; i < n && i < 32; i++)
    snprintf (out + 7 + 2 * i, 3, "%02x", md[i]);
  return out;
}

void
cc_sha256_free (struct cc_sha256 *h)
{
  EVP_MD_CTX_free (h->ctx);
  free (h);
}

char *
cc_sha256_data (const void *data, size_t len)
{
  cleanup_sha256 struct cc_sha256 *h = cc_sha256_new ();

  cc_sha256_update (h, data, len);
  return cc_sha256_final (h);
}
