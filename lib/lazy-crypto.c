/* libcrypto, opened on first use (lib/dynlib.h says why): sha256 and
   base64 for digests (image/digest.c), the config hash (compose/hash.c)
   and registry credentials (image/registry-auth.c).  */
#include <openssl/evp.h>
#include <openssl/opensslv.h>

#include "lib/dynlib.h"

#if OPENSSL_VERSION_MAJOR != 3
#error "lib/lazy-crypto.c opens libcrypto.so.3: check the soname of this OpenSSL"
#endif

struct cc_dynlib cc_dynlib_crypto = CC_DYNLIB_INIT ("libcrypto.so.3", "compute sha256 digests", "libssl3");

CC_DYNLIB_FN (cc_dynlib_crypto, const EVP_MD *, EVP_sha256, (void), ())
CC_DYNLIB_FN (cc_dynlib_crypto, EVP_MD_CTX *, EVP_MD_CTX_new, (void), ())
CC_DYNLIB_VOID_FN (cc_dynlib_crypto, EVP_MD_CTX_free, (EVP_MD_CTX * ctx), (ctx))
CC_DYNLIB_FN (cc_dynlib_crypto, int, EVP_DigestInit_ex, (EVP_MD_CTX * ctx, const EVP_MD *type, ENGINE *impl),
              (ctx, type, impl))
CC_DYNLIB_FN (cc_dynlib_crypto, int, EVP_DigestUpdate, (EVP_MD_CTX * ctx, const void *d, size_t cnt), (ctx, d, cnt))
CC_DYNLIB_FN (cc_dynlib_crypto, int, EVP_DigestFinal_ex, (EVP_MD_CTX * ctx, unsigned char *md, unsigned int *s),
              (ctx, md, s))
CC_DYNLIB_FN (cc_dynlib_crypto, int, EVP_Digest,
              (const void *data, size_t count, unsigned char *md, unsigned int *size, const EVP_MD *type, ENGINE *impl),
              (data, count, md, size, type, impl))
CC_DYNLIB_FN (cc_dynlib_crypto, int, EVP_EncodeBlock, (unsigned char *t, const unsigned char *f, int n), (t, f, n))
CC_DYNLIB_FN (cc_dynlib_crypto, int, EVP_DecodeBlock, (unsigned char *t, const unsigned char *f, int n), (t, f, n))
