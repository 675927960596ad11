/* The nftables backend, through libnftables (issue 17).

   Each state root has a table of its own, `table inet ccompose` (or
   `ccompose-1a2b3c` for a tagged root, see cc_paths_net_tag): the rule
   set's built-in chains become base chains at the hooks and priorities
   iptables' tables have (raw -300, dstnat -100, srcnat 100, filter 0),
   named "<table>-<CHAIN>"; our chains keep their names.  apply() rewrites
   the whole table in one transaction (add it, flush it, add chains and
   rules; with no network, add and delete it: the add makes the delete
   valid when it does not exist), so traffic never sees a half-written
   set, and nothing outside the table is touched.

   Other firewalls' tables are never rewritten: an accept in our base
   chain ends only our chain, so where another table's forward chain
   drops (Docker's FORWARD policy DROP through iptables-nft, firewalld,
   a hand-made ruleset), coexist() inserts the rule set's FOREIGN accepts
   at its top, or in DOCKER-USER where Docker made it, each carrying our
   comment, and takes them away with the last network.  */
#include <errno.h>
#include <netinet/in.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/cleanup.h"
#include "lib/crash.h"
#include "lib/dynlib.h"
#include "lib/file.h"
#include "lib/json.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "network/firewall.h"

/* Base chains for the rule set's built-in chains.  */
static const struct base_chain
{
  const char *table, *chain; /* the rule set's names */
  const char *name;          /* the base chain in our table */
  const char *spec;          /* type, hook, priority */
} base_chains[] = {
  { "raw", "PREROUTING", "raw-PREROUTING", "type filter hook prerouting priority raw" },
  { "nat", "PREROUTING", "nat-PREROUTING", "type nat hook prerouting priority dstnat" },
  /* dstnat is only a keyword at prerouting; -100 is its value.  */
  { "nat", "OUTPUT", "nat-OUTPUT", "type nat hook output priority -100" },
  { "nat", "POSTROUTING", "nat-POSTROUTING", "type nat hook postrouting priority srcnat" },
  { "filter", "FORWARD", "filter-FORWARD", "type filter hook forward priority filter" },
};

static const struct base_chain *
base_of (const char *table, const char *chain)
{
  for (size_t i = 0; i < CC_N_ELEMENTS (base_chains); i++)
    if (strcmp (base_chains[i].table, table) == 0 && strcmp (base_chains[i].chain, chain) == 0)
      return &base_chains[i];
  return NULL;
}

static const struct base_chain *
base_named (const char *name)
{
  for (size_t i = 0; i < CC_N_ELEMENTS (base_chains); i++)
    if (strcmp (base_chains[i].name, name) == 0)
      return &base_chains[i];
  return NULL;
}

char *
cc_fw_nft_table (const char *tag)
{
  return xasprintf ("ccompose%s%s", tag && *tag ? "-" : "", tag && *tag ? tag + 1 : "");
}

static bool
is_our_table (const char *name)
{
  return strncmp (name, "ccompose", 8) == 0;
}

/* The table the rule set puts our chain NAME in: by its base name.  */
static const char *
table_of_chain (const char *name)
{
  static const struct
  {
    const char *prefix, *table;
  } map[] = {
    { "CCOMPOSE-RAW", "raw" }, { "CCOMPOSE-DNAT", "nat" }, { "CCOMPOSE-POST", "nat" }, { "CCOMPOSE-FWD", "filter" }
  };

  for (size_t i = 0; i < CC_N_ELEMENTS (map); i++)
    if (strncmp (name, map[i].prefix, strlen (map[i].prefix)) == 0)
      return map[i].table;
  return "filter";
}

/* Rendering.  */

static void
render_iface (struct cc_buf *o, const char *key, const char *name, bool inv)
{
  size_t len;

  if (name == NULL)
    return;
  len = strlen (name);
  /* iptables' "cc+" is nftables' "cc*".  */
  if (len > 0 && name[len - 1] == '+')
    cc_buf_printf (o, " %s %s\"%.*s*\"", key, inv ? "!= " : "", (int)(len - 1), name);
  else
    cc_buf_printf (o, " %s %s\"%s\"", key, inv ? "!= " : "", name);
}

static void
render_addr (struct cc_buf *o, const char *key, const char *cidr, bool inv)
{
  if (cidr)
    cc_buf_printf (o, " ip %s %s%s", key, inv ? "!= " : "", cidr);
}

static void
render_ct (struct cc_buf *o, unsigned st)
{
  static const struct
  {
    unsigned bit;
    const char *name;
  } states[] = { { CC_CT_INVALID, "invalid" }, { CC_CT_ESTABLISHED, "established" }, { CC_CT_RELATED, "related" } };
  const char *sep = " ct state ";

  for (size_t i = 0; i < CC_N_ELEMENTS (states); i++)
    if (st & states[i].bit)
      {
        cc_buf_printf (o, "%s%s", sep, states[i].name);
        sep = ",";
      }
  /* XT_CONNTRACK_STATE_DNAT is the conntrack entry's IPS_DST_NAT bit.  */
  if (st & CC_CT_DNAT)
    cc_buf_puts (o, " ct status dnat");
}

static void
render_verdict (struct cc_buf *o, const struct cc_fw_rule *r)
{
  static const struct
  {
    const char *target, *nft;
  } verdicts[] = { { "ACCEPT", "accept" }, { "DROP", "drop" }, { "MASQUERADE", "masquerade" } };

  for (size_t i = 0; i < CC_N_ELEMENTS (verdicts); i++)
    if (strcmp (r->target, verdicts[i].target) == 0)
      {
        cc_buf_printf (o, " %s", verdicts[i].nft);
        return;
      }
  if (strcmp (r->target, "DNAT") == 0)
    cc_buf_printf (o, " dnat ip to %s", r->to ? r->to : "");
  else
    cc_buf_printf (o, " jump %s", r->target);
}

/* The match and verdict of R in nft syntax, then its comment.  */
static void
render_body (struct cc_buf *o, const struct cc_fw_rule *r)
{
  const char *proto = r->proto == IPPROTO_UDP ? "udp" : "tcp";

  /* A DNAT in an inet table needs the IPv4 context an address match
     would give; a rule with only a port has none.  */
  if (strcmp (r->target, "DNAT") == 0 && r->src == NULL && r->dst == NULL)
    cc_buf_puts (o, " meta nfproto ipv4");
  render_addr (o, "saddr", r->src, r->src_inv);
  render_addr (o, "daddr", r->dst, r->dst_inv);
  render_iface (o, "iifname", r->in, r->in_inv);
  render_iface (o, "oifname", r->out, r->out_inv);
  if (r->proto)
    {
      cc_buf_printf (o, " %s dport %u", proto, r->dport_lo);
      if (r->dport_hi != r->dport_lo)
        cc_buf_printf (o, "-%u", r->dport_hi);
    }
  if (r->dst_local)
    cc_buf_puts (o, " fib daddr type local");
  if (r->ctstate)
    render_ct (o, r->ctstate);
  render_verdict (o, r);
  cc_buf_printf (o, " comment \"%s\"", r->comment);
}

/* A comment is a quoted string in the script: names are checked where
   they come in (no quote, no space), this keeps a bad one out.  */
static bool
is_safe_comment (const char *c)
{
  return strpbrk (c, "\"\\\n") == NULL;
}

static void
render_rule (struct cc_buf *o, const char *table, const struct cc_fw_rule *r)
{
  const struct base_chain *b = base_of (r->table, r->chain);

  if (cc_fw_is_foreign (r->chain) || ! is_safe_comment (r->comment))
    return;
  cc_buf_printf (o, "add rule inet %s %s", table, b ? b->name : r->chain);
  render_body (o, r);
  cc_buf_putc (o, '\n');
}

/* Base chains in the order of the rule set's tables, once each.  */
static void
render_chains (struct cc_buf *o, const char *table, const struct cc_fw_ruleset *rs)
{
  for (size_t i = 0; i < CC_N_ELEMENTS (base_chains); i++)
    for (size_t j = 0; j < rs->n_rules; j++)
      if (strcmp (rs->rules[j].table, base_chains[i].table) == 0
          && strcmp (rs->rules[j].chain, base_chains[i].chain) == 0)
        {
          cc_buf_printf (o, "add chain inet %s %s { %s; policy accept; }\n", table, base_chains[i].name,
                         base_chains[i].spec);
          break;
        }
  for (size_t i = 0; i < rs->n_chains; i++)
    cc_buf_printf (o, "add chain inet %s %s\n", table, rs->chains[i].name);
}

char *
cc_fw_render_nft (const struct cc_fw_ruleset *rs)
{
  cleanup_buf struct cc_buf o = { 0 };
  cleanup_free char *table = cc_fw_nft_table (rs->tag);

  cc_buf_printf (&o, "add table inet %s\n", table);
  if (rs->n_chains == 0)
    cc_buf_printf (&o, "delete table inet %s\n", table);
  else
    {
      /* Flushed, not deleted: a base chain's removal unregisters its hook,
         which waits for an RCU grace period (+40 ms per up).  Adding an
         existing chain again with the same hook is a no-op.  */
      cc_buf_printf (&o, "flush table inet %s\n", table);
      render_chains (&o, table, rs);
      for (size_t i = 0; i < rs->n_rules; i++)
        render_rule (&o, table, &rs->rules[i]);
    }
  for (size_t i = 0; i < rs->n_rules; i++)
    if (strcmp (rs->rules[i].chain, CC_FW_FOREIGN) == 0)
      {
        cc_buf_puts (&o, "# at the top of any other forward chain that drops:");
        render_body (&o, &rs->rules[i]);
        cc_buf_putc (&o, '\n');
      }
  return cc_buf_steal (&o);
}

/* libnftables.  */

static void
free_ctx (struct nft_ctx **c)
{
  if (*c)
    nft_ctx_free (*c);
}
#define cleanup_nft_ctx __attribute__ ((cleanup (free_ctx)))

/* The first line of libnftables' error text.  */
static char *
first_error (struct nft_ctx *ctx)
{
  const char *e = nft_ctx_get_error_buffer (ctx);
  size_t len = e ? strcspn (e, "\n") : 0;

  return len ? xstrndup (e, len) : xstrdup ("unknown error");
}

/* Run the nft commands CMD; with OUT, in JSON output mode, whose text
   goes to *OUT.  */
static int
nft_run (const char *cmd, char **out, cc_error_t *err)
{
  cleanup_nft_ctx struct nft_ctx *ctx = NULL;
  cleanup_free char *msg = NULL;

  if (cc_dynlib_load (&cc_dynlib_nftables, err) < 0)
    return -1;
  ctx = nft_ctx_new (NFT_CTX_DEFAULT);
  if (ctx == NULL)
    return cc_error_make (err, ENOMEM, "nftables: cannot create a context");
  if (out)
    nft_ctx_output_set_flags (ctx, NFT_CTX_OUTPUT_JSON);
  if (nft_ctx_buffer_output (ctx) < 0 || nft_ctx_buffer_error (ctx) < 0)
    return cc_error_make (err, ENOMEM, "nftables: cannot buffer output");
  if (nft_run_cmd_from_buffer (ctx, cmd) != 0)
    {
      msg = first_error (ctx);
      return cc_error_make (err, EIO, "nftables: %s", msg);
    }
  if (out)
    *out = xstrdup (nft_ctx_get_output_buffer (ctx) ?: "");
  return 0;
}

/* Whether nf_tables is there at all: as a module not loaded, nobody has
   nft rules, and asking would load it.  A kernel without modules
   (/proc/modules absent) has it built in or not at all; a built-in one
   with no parameters has no /sys/module entry.  */
static bool
nf_tables_present (void)
{
  return cc_file_exists ("/sys/module/nf_tables") || ! cc_file_exists ("/proc/modules");
}

/* The ruleset, as libnftables' JSON: {"nftables": [{"table": ...},
   {"chain": ...}, {"rule": ...}]}.  */
static int
list_ruleset (cJSON **out, cc_error_t *err)
{
  cleanup_free char *text = NULL;

  *out = NULL;
  if (! nf_tables_present ())
    return 0;
  if (nft_run ("list ruleset", &text, err) < 0 || cc_json_parse (text, "nftables ruleset", out, err) < 0)
    return -1;
  return 0;
}

typedef void (*item_fn) (const cJSON *item, void *data);

static void
for_each (const cJSON *ruleset, const char *kind, item_fn fn, void *data)
{
  const cJSON *list = cJSON_GetObjectItemCaseSensitive (ruleset, "nftables");
  const cJSON *e;

  for (e = list ? list->child : NULL; e; e = e->next)
    {
      const cJSON *item = cJSON_GetObjectItemCaseSensitive (e, kind);

      if (item)
        fn (item, data);
    }
}

static bool
has_prefix (const char *comment, const char *prefix)
{
  size_t len = strlen (prefix);

  return comment && strncmp (comment, prefix, len) == 0 && comment[len] == ' ';
}

/* apply.  */

static int
nft_apply (const struct cc_fw_ruleset *rs, cc_error_t *err)
{
  cleanup_free char *script = NULL;

  /* Nothing to write and no nf_tables: nothing of ours can be there.  */
  if (rs->n_chains == 0 && ! nf_tables_present ())
    return 0;
  for (size_t i = 0; i < rs->n_rules; i++)
    if (! is_safe_comment (rs->rules[i].comment))
      return cc_error_make (err, EINVAL, "firewall comment `%s` cannot be quoted", rs->rules[i].comment);
  script = cc_fw_render_nft (rs);
  if (nft_run (script, NULL, err) < 0)
    return cc_error_wrap (err, "apply table `inet %s`", rs->tag && *rs->tag ? rs->tag + 1 : "ccompose");
  cc_crash_point ("firewall commit");
  return 0;
}

/* list_ours.  */

struct ours
{
  const char *table; /* ours */
  const char *prefix;
  char **out;
};

static void
list_chain (const cJSON *c, void *data)
{
  struct ours *o = data;
  const char *name = cc_json_get_string (c, "name");

  if (name == NULL || strcmp (cc_json_get_string (c, "table") ?: "", o->table) != 0 || base_named (name))
    return;
  cc_strv_push (&o->out, xasprintf ("%s/%s", table_of_chain (name), name));
}

static void
list_rule (const cJSON *r, void *data)
{
  struct ours *o = data;
  const char *table = cc_json_get_string (r, "table") ?: "";
  const char *chain = cc_json_get_string (r, "chain") ?: "";
  const char *comment = cc_json_get_string (r, "comment");
  const struct base_chain *b = base_named (chain);

  if (strcmp (table, o->table) == 0)
    {
      if (b)
        cc_strv_push (&o->out, xasprintf ("%s/%s %s", b->table, b->chain, comment ?: ""));
      else
        cc_strv_push (&o->out, xasprintf ("%s/%s %s", table_of_chain (chain), chain, comment ?: ""));
    }
  else if (has_prefix (comment, o->prefix))
    cc_strv_push (&o->out, xasprintf ("%s:%s/%s %s", cc_json_get_string (r, "family") ?: "", table, chain, comment));
}

static int
nft_list_ours (const char *tag, char ***out, cc_error_t *err)
{
  cleanup_cjson cJSON *rules = NULL;
  cleanup_free char *table = cc_fw_nft_table (tag), *prefix = cc_fw_comment_prefix (tag);
  struct ours o = { table, prefix, NULL };

  *out = NULL;
  if (list_ruleset (&rules, err) < 0)
    return -1;
  for_each (rules, "chain", list_chain, &o);
  for_each (rules, "rule", list_rule, &o);
  *out = o.out;
  return 0;
}

/* list_dnat.  */

struct dnats
{
  struct cc_fw_dnat *v;
  size_t n;
};

/* A match's "left" is {"payload": {"protocol", "field"}}.  */
static bool
is_payload (const cJSON *match, const char *protocol, const char *field)
{
  const cJSON *p = cJSON_GetObjectItemCaseSensitive (cJSON_GetObjectItemCaseSensitive (match, "left"), "payload");

  return p && strcmp (cc_json_get_string (p, "protocol") ?: "", protocol) == 0
         && strcmp (cc_json_get_string (p, "field") ?: "", field) == 0;
}

static void
read_ports (const cJSON *right, struct cc_fw_dnat *d)
{
  const cJSON *range = cJSON_GetObjectItemCaseSensitive (right, "range");

  if (cJSON_IsNumber (right))
    d->port_lo = d->port_hi = (uint16_t)right->valuedouble;
  else if (cJSON_GetArraySize (range) == 2)
    {
      d->port_lo = (uint16_t)cJSON_GetArrayItem (range, 0)->valuedouble;
      d->port_hi = (uint16_t)cJSON_GetArrayItem (range, 1)->valuedouble;
    }
}

static void
read_daddr (const cJSON *right, struct cc_fw_dnat *d)
{
  const cJSON *prefix = cJSON_GetObjectItemCaseSensitive (right, "prefix");
  const char *s = cJSON_IsString (right) ? right->valuestring : cc_json_get_string (prefix, "addr");
  uint32_t a = 0;
  unsigned b[4];
  char extra;

  if (s && sscanf (s, "%u.%u.%u.%u%c", &b[0], &b[1], &b[2], &b[3], &extra) == 4)
    a = (b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3];
  d->host_ip = a;
}

static void
read_match (const cJSON *m, struct cc_fw_dnat *d)
{
  const cJSON *right = cJSON_GetObjectItemCaseSensitive (m, "right");

  if (is_payload (m, "tcp", "dport"))
    d->proto = IPPROTO_TCP;
  else if (is_payload (m, "udp", "dport"))
    d->proto = IPPROTO_UDP;
  if (is_payload (m, "tcp", "dport") || is_payload (m, "udp", "dport"))
    read_ports (right, d);
  if (is_payload (m, "ip", "daddr"))
    read_daddr (right, d);
}

static void
collect_dnat (const cJSON *r, void *data)
{
  struct dnats *ds = data;
  const cJSON *expr = cJSON_GetObjectItemCaseSensitive (r, "expr"), *e;
  struct cc_fw_dnat d = { 0 };
  bool is_dnat = false;

  if (! is_our_table (cc_json_get_string (r, "table") ?: "")
      || strncmp (cc_json_get_string (r, "chain") ?: "", "CCOMPOSE-DNAT", 13) != 0)
    return;
  for (e = expr ? expr->child : NULL; e; e = e->next)
    {
      const cJSON *m = cJSON_GetObjectItemCaseSensitive (e, "match");

      if (m)
        read_match (m, &d);
      if (cJSON_HasObjectItem (e, "dnat"))
        is_dnat = true;
    }
  if (! is_dnat || d.proto == 0)
    return;
  d.comment = xstrdup (cc_json_get_string (r, "comment") ?: "");
  ds->v = xreallocarray (ds->v, ds->n + 1, sizeof (*ds->v));
  ds->v[ds->n++] = d;
}

static int
nft_list_dnat (struct cc_fw_dnat **out, size_t *n, cc_error_t *err)
{
  cleanup_cjson cJSON *rules = NULL;
  struct dnats ds = { NULL, 0 };

  *out = NULL;
  *n = 0;
  if (list_ruleset (&rules, err) < 0)
    return -1;
  for_each (rules, "rule", collect_dnat, &ds);
  *out = ds.v;
  *n = ds.n;
  return 0;
}

/* coexist.  */

/* A chain of another firewall where our FOREIGN accepts go.  */
struct target
{
  char *family, *table, *chain; /* where the accepts go */
  char *why;                    /* "`ip filter FORWARD` drops by policy" */
};

struct scan
{
  const char *ours; /* our table's name */
  const char *prefix;
  const cJSON *ruleset;
  char **dropping; /* "family table chain" with a rule that drops everything */
  struct target *targets;
  size_t n_targets;
  char **placed;       /* "family table chain handle" of our rules there */
  char **placed_keys;  /* "family table chain comment|in|out" of the same */
  bool our_table_here; /* our own table exists */
};

static bool
chain_exists (const cJSON *ruleset, const char *family, const char *table, const char *name)
{
  const cJSON *list = cJSON_GetObjectItemCaseSensitive (ruleset, "nftables"), *e;

  for (e = list ? list->child : NULL; e; e = e->next)
    {
      const cJSON *c = cJSON_GetObjectItemCaseSensitive (e, "chain");

      if (c && strcmp (cc_json_get_string (c, "family") ?: "", family) == 0
          && strcmp (cc_json_get_string (c, "table") ?: "", table) == 0
          && strcmp (cc_json_get_string (c, "name") ?: "", name) == 0)
        return true;
    }
  return false;
}

static char *
chain_key (const cJSON *item, const char *name_key)
{
  return xasprintf ("%s %s %s", cc_json_get_string (item, "family") ?: "", cc_json_get_string (item, "table") ?: "",
                    cc_json_get_string (item, name_key) ?: "");
}

/* A rule of nothing but a drop or a reject (and counters): firewalld
   ends its forward chain so, under policy accept.  */
static void
find_dropping (const cJSON *r, void *data)
{
  struct scan *s = data;
  const cJSON *expr = cJSON_GetObjectItemCaseSensitive (r, "expr"), *e;
  bool drops = false;

  for (e = expr ? expr->child : NULL; e; e = e->next)
    {
      const char *kind = e->child ? e->child->string : NULL;

      if (kind && (strcmp (kind, "drop") == 0 || strcmp (kind, "reject") == 0))
        drops = true;
      else if (kind == NULL || strcmp (kind, "counter") != 0)
        return;
    }
  if (drops)
    cc_strv_push (&s->dropping, chain_key (r, "chain"));
}

/* Forward base chains of IPv4-carrying families that drop what nobody
   accepted, by policy or by a last rule.  An accept in one base chain
   does not spare a packet the others, so each needs ours; Docker's table
   gets them in DOCKER-USER, the chain Docker keeps for its users (it
   runs first from FORWARD).  */
static void
find_target (const cJSON *c, void *data)
{
  struct scan *s = data;
  const char *family = cc_json_get_string (c, "family") ?: "";
  const char *table = cc_json_get_string (c, "table") ?: "";
  const char *name = cc_json_get_string (c, "name") ?: "";
  cleanup_free char *key = chain_key (c, "name");
  bool by_policy = strcmp (cc_json_get_string (c, "policy") ?: "", "drop") == 0;
  struct target *t;

  if (is_our_table (table) || strcmp (cc_json_get_string (c, "hook") ?: "", "forward") != 0
      || (! by_policy && ! cc_strv_contains (s->dropping, key))
      || (strcmp (family, "ip") != 0 && strcmp (family, "inet") != 0))
    return;
  s->targets = xreallocarray (s->targets, s->n_targets + 1, sizeof (*s->targets));
  t = &s->targets[s->n_targets++];
  t->family = xstrdup (family);
  t->table = xstrdup (table);
  t->chain = xstrdup (chain_exists (s->ruleset, family, table, CC_FW_DOCKER_USER) ? CC_FW_DOCKER_USER : name);
  t->why = xasprintf ("`%s %s %s` (nftables) drops forwarded packets %s", family, table, name,
                      by_policy ? "by policy" : "it does not accept");
}

/* "iifname" or "oifname" of a rule's first match, as "|in"/"|out" with
   its interface, so that the two accepts of one network differ.  */
static char *
direction_of (const cJSON *r)
{
  const cJSON *expr = cJSON_GetObjectItemCaseSensitive (r, "expr");
  const cJSON *m = cJSON_GetObjectItemCaseSensitive (cJSON_GetArrayItem (expr, 0), "match");
  const cJSON *meta = cJSON_GetObjectItemCaseSensitive (cJSON_GetObjectItemCaseSensitive (m, "left"), "meta");
  const char *key = cc_json_get_string (meta, "key") ?: "";
  const cJSON *right = cJSON_GetObjectItemCaseSensitive (m, "right");

  return xasprintf ("%s %s", key, cJSON_IsString (right) ? right->valuestring : "?");
}

static void
find_placed (const cJSON *r, void *data)
{
  struct scan *s = data;
  const char *table = cc_json_get_string (r, "table") ?: "";
  const char *comment = cc_json_get_string (r, "comment");
  cleanup_free char *dir = NULL;

  if (is_our_table (table) || ! has_prefix (comment, s->prefix))
    return;
  dir = direction_of (r);
  cc_strv_push (&s->placed,
                xasprintf ("%s %s %s handle %lld", cc_json_get_string (r, "family") ?: "", table,
                           cc_json_get_string (r, "chain") ?: "", (long long)cc_json_get_int (r, "handle", 0)));
  cc_strv_push (&s->placed_keys, xasprintf ("%s %s %s %s|%s", cc_json_get_string (r, "family") ?: "", table,
                                            cc_json_get_string (r, "chain") ?: "", comment, dir));
}

static void
find_our_table (const cJSON *t, void *data)
{
  struct scan *s = data;

  if (strcmp (cc_json_get_string (t, "family") ?: "", "inet") == 0
      && strcmp (cc_json_get_string (t, "name") ?: "", s->ours) == 0)
    s->our_table_here = true;
}

static void
scan_release (struct scan *s)
{
  for (size_t i = 0; i < s->n_targets; i++)
    {
      free (s->targets[i].family);
      free (s->targets[i].table);
      free (s->targets[i].chain);
      free (s->targets[i].why);
    }
  free (s->targets);
  cc_strv_free (s->placed);
  cc_strv_free (s->placed_keys);
  cc_strv_free (s->dropping);
}
#define cleanup_scan __attribute__ ((cleanup (scan_release)))

static char *
wanted_key (const struct target *t, const struct cc_fw_rule *r)
{
  return xasprintf ("%s %s %s %s|%s %s", t->family, t->table, t->chain, r->comment, r->in ? "iifname" : "oifname",
                    r->in ? r->in : r->out);
}

/* The keys FOREIGN rules of RS would have at every target.  */
static char **
wanted_keys (const struct scan *s, const struct cc_fw_ruleset *rs)
{
  char **v = xzalloc (sizeof (char *));

  for (size_t t = 0; t < s->n_targets; t++)
    for (size_t i = 0; i < rs->n_rules; i++)
      if (strcmp (rs->rules[i].chain, CC_FW_FOREIGN) == 0)
        cc_strv_push (&v, wanted_key (&s->targets[t], &rs->rules[i]));
  return v;
}

/* One transaction: ours out of other tables, then in again, last first
   so that "insert" (at the top) keeps the rule set's order.  */
static char *
coexist_script (const struct scan *s, const struct cc_fw_ruleset *rs, bool same)
{
  cleanup_buf struct cc_buf o = { 0 };

  if (! same && s->our_table_here)
    cc_buf_printf (&o, "delete table inet %s\n", s->ours);
  for (char **p = s->placed; p && *p; p++)
    cc_buf_printf (&o, "delete rule %s\n", *p);
  for (size_t t = 0; t < s->n_targets; t++)
    for (size_t i = rs->n_rules; i-- > 0;)
      if (strcmp (rs->rules[i].chain, CC_FW_FOREIGN) == 0 && is_safe_comment (rs->rules[i].comment))
        {
          cc_buf_printf (&o, "insert rule %s %s %s", s->targets[t].family, s->targets[t].table, s->targets[t].chain);
          render_body (&o, &rs->rules[i]);
          cc_buf_putc (&o, '\n');
        }
  return cc_buf_steal (&o);
}

static void
note_targets (const struct scan *s, char ***notes)
{
  for (size_t t = 0; t < s->n_targets; t++)
    cc_strv_push (notes, xasprintf ("%s: ccompose's bridges accepted in `%s %s %s`", s->targets[t].why,
                                    s->targets[t].family, s->targets[t].table, s->targets[t].chain));
}

static int
nft_coexist (const struct cc_fw_ruleset *rs, bool same, bool check, char ***notes, cc_error_t *err)
{
  cleanup_cjson cJSON *ruleset = NULL;
  cleanup_free char *ours = cc_fw_nft_table (rs->tag), *prefix = cc_fw_comment_prefix (rs->tag);
  cleanup_free char *script = NULL;
  cleanup_scan struct scan s = { .ours = ours, .prefix = prefix };
  cleanup_strv char **want = NULL;

  if (list_ruleset (&ruleset, err) < 0)
    return -1;
  if (ruleset == NULL)
    return 0;
  s.ruleset = ruleset;
  for_each (ruleset, "rule", find_dropping, &s);
  for_each (ruleset, "chain", find_target, &s);
  for_each (ruleset, "rule", find_placed, &s);
  for_each (ruleset, "table", find_our_table, &s);
  want = wanted_keys (&s, rs);
  if (cc_fw_keys_equal (want, s.placed_keys) && (same || ! s.our_table_here))
    return 0;
  if (! same && s.our_table_here)
    cc_strv_push (notes, xasprintf ("leftover table `inet %s` of the nftables backend (not in use)", ours));
  if (! cc_fw_keys_equal (want, s.placed_keys) && cc_strv_len (want) > 0)
    note_targets (&s, notes);
  if (check)
    return 0;
  script = coexist_script (&s, rs, same);
  if (nft_run (script, NULL, err) < 0)
    return cc_error_wrap (err, "make room in other nftables tables");
  return 0;
}

const struct cc_firewall_ops cc_firewall_nft_ops
    = { "nftables", "nftables", nft_apply, nft_list_ours, nft_list_dnat, nft_coexist, true };
