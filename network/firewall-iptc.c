/* The libiptc backend (legacy x_tables; see `iptables-legacy-save`).

   apply() makes this state root's rules equal to the rule set, one table
   snapshot and ONE commit per table, whatever the number of rules: our
   rules in built-in chains (found by their comment) are deleted, our
   chains flushed, then the rule set is written back.  The commit replaces
   the table atomically, so traffic never sees a half-written set.  libiptc
   takes no lock: we take the one the iptables tools take, and redo the
   whole snapshot-edit-commit when the table changed under us (EAGAIN).  */
#include <arpa/inet.h>
#include <errno.h>
#include <libiptc/libiptc.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/xt_addrtype.h>
#include <linux/netfilter/xt_comment.h>
#include <linux/netfilter/xt_conntrack.h>
#include <linux/netfilter/xt_statistic.h>
#include <linux/netfilter/xt_tcpudp.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "network/firewall.h"
#include "network/ipam.h"
#include "network/link.h"

_Static_assert(CC_CT_INVALID == XT_CONNTRACK_STATE_INVALID, "conntrack bits");
_Static_assert(CC_CT_ESTABLISHED == XT_CONNTRACK_STATE_BIT (IP_CT_ESTABLISHED), "conntrack bits");
_Static_assert(CC_CT_RELATED == XT_CONNTRACK_STATE_BIT (IP_CT_RELATED), "conntrack bits");
_Static_assert(CC_CT_DNAT == XT_CONNTRACK_STATE_DNAT, "conntrack bits");

#define COMMIT_ATTEMPTS 10
/* The tables of the calling thread's namespace: /proc/net is the thread
   group leader's, and a thread may have entered another (hostns.h).  */
#define IPT_NAMES "/proc/thread-self/net/ip_tables_names"

static void
free_handle (struct xtc_handle **h)
{
  if (*h)
    iptc_free (*h);
}
#define cleanup_iptc __attribute__ ((cleanup (free_handle)))

static void *
append (struct cc_buf *b, size_t size)
{
  size_t at = b->len;
  cleanup_free void *zero = xzalloc (size);

  cc_buf_append (b, zero, size);
  return b->data + at;
}

static void *
add_match (struct cc_buf *b, const char *name, uint8_t revision, size_t payload)
{
  size_t size = XT_ALIGN (sizeof (struct xt_entry_match)) + XT_ALIGN (payload);
  struct xt_entry_match *m = append (b, size);

  m->u.user.match_size = (uint16_t)size;
  snprintf (m->u.user.name, sizeof (m->u.user.name), "%s", name);
  m->u.user.revision = revision;
  return m->data;
}

static void *
add_target (struct cc_buf *b, const char *name, uint8_t revision, size_t payload)
{
  size_t size = XT_ALIGN (sizeof (struct xt_entry_target)) + XT_ALIGN (payload);
  struct xt_entry_target *t = append (b, size);

  t->u.user.target_size = (uint16_t)size;
  t->u.user.revision = revision;
  snprintf (t->u.user.name, sizeof (t->u.user.name), "%s", name);
  return t->data;
}

/* As iptables does: "cc+" keeps its '+' and compares only "cc"; an
   exact name compares its NUL too.  */
static void
set_iface (const char *name, char *field, unsigned char *mask)
{
  size_t len = strlen (name);
  size_t cmp = len > 0 && name[len - 1] == '+' ? len - 1 : len + 1;

  snprintf (field, IFNAMSIZ, "%s", name);
  memset (mask, 0xff, cmp < IFNAMSIZ ? cmp : IFNAMSIZ);
}

static void
set_addr (const char *cidr, struct in_addr *addr, struct in_addr *mask)
{
  struct cc_ipv4_net n;

  if (cc_ipv4_net_parse (cidr, &n, NULL) < 0)
    return;
  addr->s_addr = htonl (n.addr);
  mask->s_addr = htonl (cc_ipv4_mask (n.prefix));
}

static void
fill_ip (struct ipt_entry *e, const struct cc_fw_rule *r)
{
  if (r->src)
    set_addr (r->src, &e->ip.src, &e->ip.smsk);
  if (r->dst)
    set_addr (r->dst, &e->ip.dst, &e->ip.dmsk);
  if (r->in)
    set_iface (r->in, e->ip.iniface, e->ip.iniface_mask);
  if (r->out)
    set_iface (r->out, e->ip.outiface, e->ip.outiface_mask);
  e->ip.invflags = (uint8_t)((r->src_inv ? IPT_INV_SRCIP : 0) | (r->dst_inv ? IPT_INV_DSTIP : 0)
                             | (r->in_inv ? IPT_INV_VIA_IN : 0) | (r->out_inv ? IPT_INV_VIA_OUT : 0));
  e->ip.proto = (uint16_t)r->proto;
}

static void
add_port_match (struct cc_buf *b, const struct cc_fw_rule *r)
{
  if (r->proto == IPPROTO_TCP)
    {
      struct xt_tcp *t = add_match (b, "tcp", 0, sizeof (*t));
      t->spts[1] = 0xffff;
      t->dpts[0] = r->dport_lo;
      t->dpts[1] = r->dport_hi;
    }
  else if (r->proto == IPPROTO_UDP)
    {
      struct xt_udp *u = add_match (b, "udp", 0, sizeof (*u));
      u->spts[1] = 0xffff;
      u->dpts[0] = r->dport_lo;
      u->dpts[1] = r->dport_hi;
    }
}

static int
add_masquerade (struct cc_buf *b, const struct cc_fw_rule *r)
{
  struct nf_nat_ipv4_multi_range_compat *nat = add_target (b, r->target, 0, sizeof (*nat));

  nat->rangesize = 1;
  return 0;
}

static int
add_dnat (struct cc_buf *b, const struct cc_fw_rule *r, cc_error_t *err)
{
  cleanup_free char *ip = xstrdup (r->to ? r->to : "");
  char *colon = strchr (ip, ':');
  struct nf_nat_range2 *nat;
  uint32_t a;

  if (colon)
    *colon = '\0';
  if (colon == NULL || cc_ipv4_parse (ip, &a) < 0)
    return cc_error_make (err, EINVAL, "invalid DNAT destination `%s`", r->to ? r->to : "");
  nat = add_target (b, "DNAT", 2, sizeof (*nat));
  nat->flags = NF_NAT_RANGE_MAP_IPS | NF_NAT_RANGE_PROTO_SPECIFIED;
  nat->min_addr.ip = nat->max_addr.ip = htonl (a);
  nat->min_proto.tcp.port = nat->max_proto.tcp.port = htons ((uint16_t)atoi (colon + 1));
  return 0;
}

static int
build_entry (const struct cc_fw_rule *r, struct ipt_entry **out, cc_error_t *err)
{
  cleanup_buf struct cc_buf b = { 0 };
  struct ipt_entry *e;
  size_t target_offset;

  append (&b, sizeof (struct ipt_entry));
  add_port_match (&b, r);
  if (r->dst_local)
    ((struct xt_addrtype_info_v1 *)add_match (&b, "addrtype", 1, sizeof (struct xt_addrtype_info_v1)))->dest
        = XT_ADDRTYPE_LOCAL;
  if (r->ctstate)
    {
      /* The revisions iptables 1.8 itself picks, so iptables-save can
         print what we wrote.  */
      struct xt_conntrack_mtinfo3 *ct = add_match (&b, "conntrack", 3, sizeof (*ct));
      ct->match_flags = XT_CONNTRACK_STATE;
      ct->state_mask = (uint16_t)r->ctstate;
    }
  snprintf (((struct xt_comment_info *)add_match (&b, "comment", 0, sizeof (struct xt_comment_info)))->comment,
            XT_MAX_COMMENT_LEN, "%s", r->comment);
  if (r->one_in > 1)
    {
      struct xt_statistic_info *st = add_match (&b, "statistic", 0, sizeof (*st));
      st->mode = XT_STATISTIC_MODE_RANDOM;
      st->u.random.probability = cc_fw_probability (r->one_in);
    }
  target_offset = b.len;
  if (strcmp (r->target, "DNAT") == 0)
    {
      if (add_dnat (&b, r, err) < 0)
        return -1;
    }
  else if (strcmp (r->target, "MASQUERADE") == 0)
    add_masquerade (&b, r);
  else
    add_target (&b, r->target, 0, sizeof (int));
  e = (struct ipt_entry *)b.data;
  fill_ip (e, r);
  e->target_offset = (uint16_t)target_offset;
  e->next_offset = (uint16_t)b.len;
  *out = (struct ipt_entry *)cc_buf_steal (&b);
  return 0;
}

static const char *
entry_comment (const struct ipt_entry *e)
{
  for (size_t off = sizeof (*e); off < e->target_offset;)
    {
      const struct xt_entry_match *m = (const void *)((const char *)e + off);

      if (strcmp (m->u.user.name, "comment") == 0)
        return ((const struct xt_comment_info *)m->data)->comment;
      if (m->u.match_size == 0)
        break;
      off += m->u.match_size;
    }
  return NULL;
}

static bool
is_ours (const struct ipt_entry *e, const char *prefix)
{
  const char *c = entry_comment (e);
  size_t len = strlen (prefix);

  return c && strncmp (c, prefix, len) == 0 && c[len] == ' ';
}

static int
iptc_fail (cc_error_t *err, const char *what, const char *table)
{
  int e = errno;

  return cc_error_make (err, e, "iptables %s in table `%s`: %s", what, table, iptc_strerror (e));
}

/* Our rules in chains not ours (built-in ones, Docker's DOCKER-USER) go,
   highest number first so the numbers of the rest stay valid.  */
static int
delete_placed_rules (struct xtc_handle *h, const char *prefix, char *const *ours, const char *table, cc_error_t *err)
{
  for (const char *chain = iptc_first_chain (h); chain; chain = iptc_next_chain (h))
    {
      cleanup_free unsigned *nums = NULL;
      cleanup_free char *name = NULL;
      unsigned n = 0, num = 0;

      if (cc_strv_contains (ours, chain))
        continue;
      for (const struct ipt_entry *e = iptc_first_rule (chain, h); e; e = iptc_next_rule (e, h), num++)
        if (is_ours (e, prefix))
          {
            nums = xreallocarray (nums, n + 1, sizeof (*nums));
            nums[n++] = num;
          }
      name = xstrdup (chain);
      while (n > 0)
        if (! iptc_delete_num_entry (name, nums[--n], h))
          return iptc_fail (err, "delete rule", table);
    }
  return 0;
}

static bool
wants_chain (const struct cc_fw_ruleset *rs, const char *table, const char *name)
{
  for (size_t i = 0; i < rs->n_chains; i++)
    if (strcmp (rs->chains[i].table, table) == 0 && strcmp (rs->chains[i].name, name) == 0)
      return true;
  return false;
}

static int
reset_chains (struct xtc_handle *h, const struct cc_fw_ruleset *rs, const char *table, cc_error_t *err)
{
  cleanup_strv char **ours = cc_fw_chain_names (rs->tag);

  for (char **c = ours; *c; c++)
    {
      bool exists = iptc_is_chain (*c, h);
      bool wanted = wants_chain (rs, table, *c);

      if (exists && ! iptc_flush_entries (*c, h))
        return iptc_fail (err, "flush chain", table);
      if (exists && ! wanted && ! iptc_delete_chain (*c, h))
        return iptc_fail (err, "delete chain", table);
      if (! exists && wanted && ! iptc_create_chain (*c, h))
        return iptc_fail (err, "create chain", table);
    }
  return 0;
}

/* Built-in chains and Docker's DOCKER-USER (when Docker made it) take
   our rules at their top; FOREIGN stands for no chain here (rules.c).  */
static bool
goes_on_top (struct xtc_handle *h, const char *chain)
{
  if (strcmp (chain, CC_FW_DOCKER_USER) == 0)
    return iptc_is_chain (chain, h);
  return cc_fw_is_builtin (chain);
}

static int
write_rules (struct xtc_handle *h, const struct cc_fw_ruleset *rs, const char *table, cc_error_t *err)
{
  /* Insert at the top, last one first, so our rules come before whatever
     else is there and keep their order.  */
  for (size_t i = rs->n_rules; i-- > 0;)
    {
      const struct cc_fw_rule *r = &rs->rules[i];
      cleanup_free struct ipt_entry *e = NULL;

      if (strcmp (r->table, table) != 0 || ! goes_on_top (h, r->chain))
        continue;
      if (build_entry (r, &e, err) < 0)
        return -1;
      if (! iptc_insert_entry (r->chain, e, 0, h))
        return iptc_fail (err, "insert rule", table);
    }
  for (size_t i = 0; i < rs->n_rules; i++)
    {
      const struct cc_fw_rule *r = &rs->rules[i];
      cleanup_free struct ipt_entry *e = NULL;

      if (strcmp (r->table, table) != 0 || cc_fw_is_builtin (r->chain) || cc_fw_is_foreign (r->chain))
        continue;
      if (build_entry (r, &e, err) < 0)
        return -1;
      if (! iptc_append_entry (r->chain, e, h))
        return iptc_fail (err, "append rule", table);
    }
  return 0;
}

/* 0 done, 1 retry (the table changed under us), -1 error.  */
static int
apply_table_once (const struct cc_fw_ruleset *rs, const char *table, cc_error_t *err)
{
  cleanup_iptc struct xtc_handle *h = iptc_init (table);
  cleanup_free char *prefix = cc_fw_comment_prefix (rs->tag);
  cleanup_strv char **ours = cc_fw_chain_names (rs->tag);

  if (h == NULL)
    return cc_error_make (err, errno, "open iptables table `%s` (legacy x_tables; is ip_tables available?): %s", table,
                          iptc_strerror (errno));
  if (delete_placed_rules (h, prefix, ours, table, err) < 0 || reset_chains (h, rs, table, err) < 0
      || write_rules (h, rs, table, err) < 0)
    return -1;
  if (iptc_commit (h))
    return 0;
  if (errno == EAGAIN)
    return 1;
  return iptc_fail (err, "commit", table);
}

static int
xtables_lock (int *fd, cc_error_t *err)
{
  const char *path = getenv ("XTABLES_LOCKFILE");

  return cc_lock_path (path && *path ? path : "/run/xtables.lock", true, fd, err);
}

static bool
table_loaded (const char *table)
{
  cleanup_free char *names = NULL;
  cleanup_strv char **v = NULL;

  if (cc_read_file (IPT_NAMES, &names, NULL, NULL) < 0)
    return false;
  v = cc_strv_split (names, '\n', true);
  return cc_strv_contains (v, table);
}

/* A table we never wrote to needs no cleaning: do not make the kernel
   load it just to find nothing of ours.  */
static bool
table_needed (const struct cc_fw_ruleset *rs, const char *table)
{
  return rs->n_chains > 0 || table_loaded (table);
}

/* Every table the builder writes to (rules.c).  */
static const char *const tables[] = { "raw", "nat", "filter" };

static int
iptc_apply (const struct cc_fw_ruleset *rs, cc_error_t *err)
{
  cleanup_close int lock = -1;

  if (xtables_lock (&lock, err) < 0)
    return -1;
  for (size_t t = 0; t < CC_N_ELEMENTS (tables); t++)
    {
      int r = 1;

      if (! table_needed (rs, tables[t]))
        continue;
      for (int attempt = 0; r == 1 && attempt < COMMIT_ATTEMPTS; attempt++)
        r = apply_table_once (rs, tables[t], err);
      if (r < 0)
        return -1;
      if (r == 1)
        return cc_error_make (err, EAGAIN, "iptables table `%s` kept changing during commit", tables[t]);
      cc_crash_point ("firewall commit");
    }
  return 0;
}

static int
list_table (const char *table, const char *prefix, char *const *chains, char ***out, cc_error_t *err)
{
  cleanup_iptc struct xtc_handle *h = NULL;

  if (! table_loaded (table))
    return 0;
  h = iptc_init (table);
  if (h == NULL)
    return iptc_fail (err, "read", table);
  for (const char *chain = iptc_first_chain (h); chain; chain = iptc_next_chain (h))
    {
      if (cc_strv_contains (chains, chain))
        cc_strv_push (out, xasprintf ("%s/%s", table, chain));
      for (const struct ipt_entry *e = iptc_first_rule (chain, h); e; e = iptc_next_rule (e, h))
        if (is_ours (e, prefix))
          cc_strv_push (out, xasprintf ("%s/%s %s", table, chain, entry_comment (e)));
    }
  return 0;
}

static int
iptc_list_ours (const char *tag, char ***out, cc_error_t *err)
{
  cleanup_free char *prefix = cc_fw_comment_prefix (tag);
  cleanup_strv char **chains = cc_fw_chain_names (tag);
  cleanup_close int lock = -1;

  *out = NULL;
  if (xtables_lock (&lock, err) < 0)
    return -1;
  for (size_t t = 0; t < CC_N_ELEMENTS (tables); t++)
    if (list_table (tables[t], prefix, chains, out, err) < 0)
      return -1;
  return 0;
}

static void
read_dnat (const struct ipt_entry *e, struct cc_fw_dnat *d)
{
  memset (d, 0, sizeof (*d));
  d->proto = e->ip.proto;
  d->host_ip = e->ip.dmsk.s_addr ? ntohl (e->ip.dst.s_addr) : 0;
  for (size_t off = sizeof (*e); off < e->target_offset;)
    {
      const struct xt_entry_match *m = (const void *)((const char *)e + off);

      if (strcmp (m->u.user.name, "tcp") == 0 || strcmp (m->u.user.name, "udp") == 0)
        {
          /* xt_tcp and xt_udp start alike: spts, dpts.  */
          const struct xt_udp *u = (const void *)m->data;
          d->port_lo = u->dpts[0];
          d->port_hi = u->dpts[1];
        }
      if (m->u.match_size == 0)
        break;
      off += m->u.match_size;
    }
  d->comment = xstrdup (entry_comment (e) ?: "");
}

static int
iptc_list_dnat (struct cc_fw_dnat **out, size_t *n, cc_error_t *err)
{
  cleanup_close int lock = -1;
  cleanup_iptc struct xtc_handle *h = NULL;

  *out = NULL;
  *n = 0;
  if (! cc_file_exists (IPT_NAMES))
    return 0;
  if (xtables_lock (&lock, err) < 0)
    return -1;
  h = iptc_init ("nat");
  if (h == NULL)
    return 0; /* no nat table: nothing published by anyone */
  for (const char *chain = iptc_first_chain (h); chain; chain = iptc_next_chain (h))
    {
      if (strncmp (chain, "CCOMPOSE", 8) != 0)
        continue;
      for (const struct ipt_entry *e = iptc_first_rule (chain, h); e; e = iptc_next_rule (e, h))
        if (strcmp (iptc_get_target (e, h), "DNAT") == 0)
          {
            *out = xreallocarray (*out, *n + 1, sizeof (**out));
            read_dnat (e, &(*out)[(*n)++]);
          }
    }
  return 0;
}

/* coexist: the legacy tables hold another firewall's rules (Docker's, or
   a FORWARD policy DROP) while ours are elsewhere, or we are in use here
   and Docker made its DOCKER-USER since our last commit.  */

static bool
forward_drops (struct xtc_handle *h)
{
  struct xt_counters counters;
  const char *policy = iptc_get_policy ("FORWARD", &counters, h);

  return policy && strcmp (policy, "DROP") == 0;
}

/* Where FOREIGN accepts go in the legacy filter table: DOCKER-USER when
   Docker made it, FORWARD when its policy drops, else nowhere (NULL).  */
static const char *
foreign_target (struct xtc_handle *h, char **why)
{
  bool drops = forward_drops (h);

  if (drops)
    {
      *why = xstrdup ("`filter FORWARD` (iptables-legacy) drops forwarded packets by policy");
      cc_fw_foreign_drop (*why);
    }
  if (iptc_is_chain (CC_FW_DOCKER_USER, h))
    return CC_FW_DOCKER_USER;
  return drops ? "FORWARD" : NULL;
}

static bool
has_ours_in (struct xtc_handle *h, const char *chain, const char *prefix)
{
  for (const struct ipt_entry *e = iptc_first_rule (chain, h); e; e = iptc_next_rule (e, h))
    if (is_ours (e, prefix))
      return true;
  return false;
}

/* RS's FOREIGN accepts moved to CHAIN (none when NULL), and nothing else:
   what this state root should have in tables it does not use.  */
static void
foreign_view (const struct cc_fw_ruleset *rs, const char *chain, struct cc_fw_ruleset *out)
{
  memset (out, 0, sizeof (*out));
  out->tag = xstrdup (rs->tag);
  for (size_t i = 0; chain && i < rs->n_rules; i++)
    {
      const struct cc_fw_rule *r = &rs->rules[i];
      struct cc_fw_rule *c;

      if (strcmp (r->chain, CC_FW_FOREIGN) != 0)
        continue;
      out->rules = xreallocarray (out->rules, out->n_rules + 1, sizeof (*out->rules));
      c = &out->rules[out->n_rules++];
      *c = (struct cc_fw_rule){ .table = r->table,
                                .chain = xstrdup (chain),
                                .in = r->in ? xstrdup (r->in) : NULL,
                                .out = r->out ? xstrdup (r->out) : NULL,
                                .comment = xstrdup (r->comment),
                                .target = xstrdup (r->target) };
    }
}

/* In use: only DOCKER-USER can be missing its jump (Docker started after
   our last commit); the full apply puts it there.  */
static int
coexist_in_use (const struct cc_fw_ruleset *rs, bool check, char ***notes, cc_error_t *err)
{
  cleanup_free char *prefix = cc_fw_comment_prefix (rs->tag);
  cleanup_iptc struct xtc_handle *h = NULL;
  cleanup_close int lock = -1;
  bool missing;

  if (rs->n_chains == 0 || ! table_loaded ("filter"))
    return 0;
  if (xtables_lock (&lock, err) < 0)
    return -1;
  h = iptc_init ("filter");
  if (h == NULL)
    return iptc_fail (err, "read", "filter");
  missing = iptc_is_chain (CC_FW_DOCKER_USER, h) && ! has_ours_in (h, CC_FW_DOCKER_USER, prefix);
  /* Ours accept in FORWARD itself, but the probe still checks them.  */
  if (forward_drops (h))
    cc_fw_foreign_drop ("`filter FORWARD` (iptables-legacy) drops forwarded packets by policy");
  iptc_free (steal_pointer (&h));
  close (get_and_reset (&lock));
  if (! missing)
    return 0;
  cc_strv_push (notes, xstrdup ("Docker's `filter DOCKER-USER` (iptables-legacy) runs first: ccompose's forward "
                                "chain jumped to from there"));
  return check ? 0 : iptc_apply (rs, err);
}

static int
coexist_elsewhere (const struct cc_fw_ruleset *rs, bool check, char ***notes, cc_error_t *err)
{
  cleanup_fw_ruleset struct cc_fw_ruleset view = { 0 };
  cleanup_free char *why = NULL;
  cleanup_strv char **have = NULL, **want = NULL;
  const char *target = NULL;

  if (table_loaded ("filter"))
    {
      cleanup_iptc struct xtc_handle *h = NULL;
      cleanup_close int lock = -1;

      if (xtables_lock (&lock, err) < 0)
        return -1;
      h = iptc_init ("filter");
      if (h == NULL)
        return iptc_fail (err, "read", "filter");
      target = foreign_target (h, &why);
    }
  foreign_view (rs, target, &view);
  want = cc_fw_keys (&view, true);
  if (iptc_list_ours (rs->tag, &have, err) < 0)
    return -1;
  if (cc_fw_keys_equal (want, have))
    return 0;
  if (view.n_rules > 0)
    cc_strv_push (notes,
                  xasprintf ("%s: ccompose's bridges accepted in `filter %s`", why ? why : "Docker's chains", target));
  else
    cc_strv_push (notes, xstrdup ("leftover iptables-legacy rules of the iptc backend (not in use)"));
  return check ? 0 : iptc_apply (&view, err);
}

static int
iptc_coexist (const struct cc_fw_ruleset *rs, bool same, bool check, char ***notes, cc_error_t *err)
{
  cleanup_free char *names = NULL;

  /* No legacy table: neither ours nor anyone else's rules are there.  */
  if (cc_read_file (IPT_NAMES, &names, NULL, NULL) < 0 || names[0] == '\0')
    return 0;
  return same ? coexist_in_use (rs, check, notes, err) : coexist_elsewhere (rs, check, notes, err);
}

void
cc_fw_dnat_free (struct cc_fw_dnat *d, size_t n)
{
  for (size_t i = 0; i < n; i++)
    free (d[i].comment);
  free (d);
}

const struct cc_firewall_ops cc_firewall_iptc_ops
    = { "iptc", "iptables", iptc_apply, iptc_list_ours, iptc_list_dnat, iptc_coexist, true };
