/* nf_tables over netlink, without libnftables (issue 17, speed).

   libnftables parses nft's language with bison and, before every
   command, fills a cache by listing the whole ruleset; the nftables
   backend paid that (2.5 ms of CPU per commit, ten times libiptc's) on
   each of the three or more commits of an `up`.  The messages
   themselves are simple: a transaction is a batch of NEWTABLE, NEWCHAIN,
   NEWRULE... between BATCH_BEGIN and BATCH_END, sent in one sendmsg; a
   read is a dump.  This file speaks that protocol (attributes are parsed
   with libnl, which is linked anyway); nft-encode.c turns our rules
   into expressions and nft-view.c reads what the kernel holds.
   Internal to network/.  */
#ifndef CC_NETWORK_NFTNL_H
#define CC_NETWORK_NFTNL_H

#include <linux/netfilter/nf_tables.h>
#include <netlink/attr.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/error.h"

/* A NETLINK_NETFILTER socket of a network namespace.  */
struct cc_nft_sock
{
  int fd;
  uint32_t seq;
};

/* The socket of the calling thread's network namespace, for this thread
   alone until cc_nft_release.  It stays open until the process exits:
   the kernel answers the release of a netfilter socket by waiting for
   the last transaction's objects to be freed, after an RCU grace period
   (nft_rcv_nl_event: 2 to 17 ms here, on every commit of the backend
   when each had a socket of its own).  At exit that period is over.  */
int cc_nft_acquire (struct cc_nft_sock **out, cc_error_t *err);
void cc_nft_release (struct cc_nft_sock **s);
#define cleanup_nft_sock __attribute__ ((cleanup (cc_nft_release)))

/* One transaction being written.  GENID (0: none) makes the kernel
   refuse it with ERESTART when the ruleset changed since it was read.  */
struct cc_nft_batch
{
  struct cc_buf buf;
  size_t msg;     /* offset of the open message, or (size_t)-1 */
  size_t nest[8]; /* offsets of the open nested attributes */
  int depth;
  size_t n_msgs; /* messages between begin and end */
  uint32_t seq;
};
void cc_nft_batch_begin (struct cc_nft_batch *b, uint32_t genid);
void cc_nft_batch_release (struct cc_nft_batch *b);
#define cleanup_nft_batch __attribute__ ((cleanup (cc_nft_batch_release)))

/* A message NFT_MSG_TYPE of FAMILY (NFPROTO_*) with FLAGS beyond
   NLM_F_REQUEST | NLM_F_ACK; its attributes follow.  */
void cc_nft_msg (struct cc_nft_batch *b, uint16_t type, uint8_t family, uint16_t flags);
void cc_nft_put (struct cc_nft_batch *b, uint16_t type, const void *data, size_t len);
void cc_nft_put_str (struct cc_nft_batch *b, uint16_t type, const char *s);
/* Big-endian, as nf_tables' numeric attributes are.  */
void cc_nft_put_u32 (struct cc_nft_batch *b, uint16_t type, uint32_t v);
void cc_nft_put_u64 (struct cc_nft_batch *b, uint16_t type, uint64_t v);
void cc_nft_nest (struct cc_nft_batch *b, uint16_t type);
void cc_nft_nest_end (struct cc_nft_batch *b);
bool cc_nft_batch_is_empty (const struct cc_nft_batch *b);

/* Send B as one transaction and wait for every acknowledgement.  The
   ruleset changed since B's genid: -1 with status ERESTART.  */
int cc_nft_commit (struct cc_nft_sock *s, struct cc_nft_batch *b, cc_error_t *err);

/* The ruleset's generation, which every commit increments.  */
int cc_nft_genid (struct cc_nft_sock *s, uint32_t *out, cc_error_t *err);

/* Dump every object of NFT_MSG_GET* TYPE of every family: FN gets each
   one's attributes, parsed up to MAXATTR, and its family.  A dump that
   the kernel says was interrupted by a change is -1 with ERESTART.  */
typedef void (*cc_nft_dump_fn) (struct nlattr **tb, uint8_t family, void *data);
int cc_nft_dump (struct cc_nft_sock *s, uint16_t type, int maxattr, cc_nft_dump_fn fn, void *data, cc_error_t *err);

/* Attribute readers for dumps (NULL-safe, big-endian).  */
const char *cc_nft_str (const struct nlattr *a);
uint32_t cc_nft_u32 (const struct nlattr *a, uint32_t dflt);
uint64_t cc_nft_u64 (const struct nlattr *a, uint64_t dflt);

#endif
