/* libnftables, opened on first use (lib/dynlib.h says why): the functions
   the nftables firewall backend (network/firewall-nft.c) calls.  A host
   whose iptables is the legacy one never loads it.  */
#include <nftables/libnftables.h>

#include "lib/dynlib.h"

/* libnftables 0.9 to 1.x: soname libnftables.so.1.  */
struct cc_dynlib cc_dynlib_nftables = CC_DYNLIB_INIT ("libnftables.so.1", "use the nftables firewall", "libnftables1");

CC_DYNLIB_FN (cc_dynlib_nftables, struct nft_ctx *, nft_ctx_new, (uint32_t flags), (flags))
CC_DYNLIB_VOID_FN (cc_dynlib_nftables, nft_ctx_free, (struct nft_ctx * ctx), (ctx))
CC_DYNLIB_VOID_FN (cc_dynlib_nftables, nft_ctx_output_set_flags, (struct nft_ctx * ctx, unsigned int flags),
                   (ctx, flags))
CC_DYNLIB_FN (cc_dynlib_nftables, int, nft_ctx_buffer_output, (struct nft_ctx * ctx), (ctx))
CC_DYNLIB_FN (cc_dynlib_nftables, int, nft_ctx_buffer_error, (struct nft_ctx * ctx), (ctx))
CC_DYNLIB_FN (cc_dynlib_nftables, const char *, nft_ctx_get_output_buffer, (struct nft_ctx * ctx), (ctx))
CC_DYNLIB_FN (cc_dynlib_nftables, const char *, nft_ctx_get_error_buffer, (struct nft_ctx * ctx), (ctx))
CC_DYNLIB_FN (cc_dynlib_nftables, int, nft_run_cmd_from_buffer, (struct nft_ctx * nft, const char *buf), (nft, buf))
