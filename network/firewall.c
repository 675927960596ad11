/* Backend selection, and what every backend shares: making room in the
   other firewalls of the namespace (coexist, issue 17).  Callers never
   branch on the backend.  */
#include "network/firewall.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/log.h"
#include "lib/paths.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "network/hostns.h"
#include "network/ipam.h"
#include "network/state.h"

static int
none_apply (const struct cc_fw_ruleset *rs, cc_error_t *err)
{
  (void)rs;
  (void)err;
  return 0;
}

static int
none_list_dnat (struct cc_fw_dnat **out, size_t *n, cc_error_t *err)
{
  (void)err;
  *out = NULL;
  *n = 0;
  return 0;
}

static int
none_list_ours (const char *tag, char ***out, cc_error_t *err)
{
  (void)tag;
  (void)err;
  *out = NULL;
  return 0;
}

/* "none" leaves the firewall alone: containers still talk on their
   bridge, published ports do not work, and nothing guards the loopback.  */
static const struct cc_firewall_ops none_ops
    = { "none", "firewall", NULL, none_apply, none_list_ours, none_list_dnat, NULL, false };

static const struct cc_firewall_ops *const backends[] = { &cc_firewall_iptc_ops, &cc_firewall_nft_ops, &none_ops };
/* The kernel interfaces other firewalls may use: both, whichever is ours.  */
static const struct cc_firewall_ops *const kernels[] = { &cc_firewall_iptc_ops, &cc_firewall_nft_ops };

/* What the `iptables` command is: the alternatives link Debian's
   update-alternatives keeps (iptables-nft or iptables-legacy), else the
   multi-call binary the command links to.  Docker, firewalld and the
   admin use that command, so their rules are where it writes.  */
static const char *const iptables_paths[]
    = { "/etc/alternatives/iptables", "/usr/sbin/iptables", "/sbin/iptables", "/usr/bin/iptables" };

const char *
cc_firewall_detect (char **why)
{
  char target[256];

  for (size_t i = 0; i < CC_N_ELEMENTS (iptables_paths); i++)
    {
      ssize_t len = readlink (iptables_paths[i], target, sizeof (target) - 1);
      const char *choice;

      if (len <= 0)
        continue;
      target[len] = '\0';
      if (strstr (target, "nft"))
        choice = "nftables";
      else if (strstr (target, "legacy"))
        choice = "iptc";
      else
        continue;
      if (why)
        *why = xasprintf ("%s -> %s", iptables_paths[i], target);
      return choice;
    }
  if (why)
    *why = xstrdup ("no iptables command found: legacy x_tables assumed");
  return "iptc";
}

static const struct cc_firewall_ops *
find_backend (const char *name, const char *where, cc_error_t *err)
{
  if (strcmp (name, "auto") == 0)
    name = cc_firewall_detect (NULL);
  for (size_t i = 0; i < CC_N_ELEMENTS (backends); i++)
    if (strcmp (backends[i]->name, name) == 0)
      return backends[i];
  cc_error_make (err, EINVAL, "unknown firewall backend `%s` (%s: auto, iptc, nftables, none)", name, where);
  return NULL;
}

const struct cc_firewall_ops *
cc_firewall (cc_error_t *err)
{
  static const struct cc_firewall_ops *chosen;
  const char *want = getenv ("CCOMPOSE_FIREWALL");
  cleanup_free char *conf = NULL;
  const struct cc_firewall_ops *ops;

  if (want && *want)
    return find_backend (want, "CCOMPOSE_FIREWALL", err);
  if (__atomic_load_n (&chosen, __ATOMIC_ACQUIRE))
    return chosen;
  if (cc_network_config_value ("firewall", &conf, err) < 0)
    return NULL;
  ops = find_backend (conf && *conf ? conf : "auto", "firewall in the network configuration file", err);
  if (ops)
    __atomic_store_n (&chosen, ops, __ATOMIC_RELEASE);
  return ops;
}

/* Why another firewall may drop what crosses our bridges (issue 17), as
   the backends' coexist found it while reading their tables anyway: the
   probe (probe.c) sends its packet only then, so the common path pays
   nothing more.  */
static pthread_mutex_t drops_lock = PTHREAD_MUTEX_INITIALIZER;
static char **drops;

void
cc_fw_foreign_drop (const char *why)
{
  pthread_mutex_lock (&drops_lock);
  if (! cc_strv_contains (drops, why))
    cc_strv_append (&drops, why);
  pthread_mutex_unlock (&drops_lock);
}

char **
cc_fw_foreign_drops (void)
{
  char **v;

  pthread_mutex_lock (&drops_lock);
  v = drops && drops[0] ? cc_strv_dup (drops) : NULL;
  pthread_mutex_unlock (&drops_lock);
  return v;
}

static void
forget_drops (void)
{
  pthread_mutex_lock (&drops_lock);
  cc_strv_free (drops);
  drops = NULL;
  pthread_mutex_unlock (&drops_lock);
}

/* Other firewalls, on each kernel interface: ours in use there or not.  */
static int
coexist (const struct cc_firewall_ops *ops, const struct cc_fw_ruleset *rs, bool check, char ***notes, cc_error_t *err)
{
  forget_drops ();
  if (ops->coexist == NULL)
    return 0;
  for (size_t i = 0; i < CC_N_ELEMENTS (kernels); i++)
    if (kernels[i]->coexist (rs, kernels[i] == ops, check, notes, err) < 0)
      return -1;
  return 0;
}

int
cc_firewall_sync (const cJSON *state, cc_error_t *err)
{
  cleanup_fw_ruleset struct cc_fw_ruleset rs = { 0 };
  const struct cc_firewall_ops *ops = cc_firewall (err);
  cleanup_free char *here = cc_hostns_current ();
  cleanup_strv char **notes = NULL;

  /* Tables are per namespace: only the networks that live in this one
     have rules here (issue 12 item 4).  */
  if (ops == NULL || cc_fw_build (state, cc_paths_net_tag (), here, &rs, err) < 0)
    return -1;
  if (ops->apply (&rs, err) < 0 || coexist (ops, &rs, false, &notes, err) < 0)
    return -1;
  /* Said when the rules go in, and again whenever they had to be put
     back: a silent drop is what issue 17 is about.  */
  for (char **n = notes; n && *n; n++)
    cc_warn ("%s", *n);
  return 0;
}

bool
cc_fw_dnat_meets (const struct cc_fw_dnat *d, const char *host_ip)
{
  static const uint8_t any6[16];
  struct in6_addr a6;
  uint32_t a;

  if (host_ip[0] == '\0')
    return true;
  if (strchr (host_ip, ':'))
    return d->v6
           && (memcmp (d->host_ip6, any6, sizeof (any6)) == 0 || strcmp (host_ip, "::") == 0
               || (inet_pton (AF_INET6, host_ip, &a6) == 1 && memcmp (d->host_ip6, &a6, sizeof (a6)) == 0));
  if (d->v6 || cc_ipv4_parse (host_ip, &a) < 0)
    return false;
  return d->host_ip == 0 || a == 0 || a == d->host_ip;
}

char *
cc_fw_key_text (const struct cc_firewall_ops *ops, const char *k)
{
  size_t len = strlen (CC_FW_KEY6);

  if (ops->label6 && strncmp (k, CC_FW_KEY6, len) == 0)
    return xasprintf ("%s %s", ops->label6, k + len);
  return xasprintf ("%s %s", ops->label, k);
}

int
cc_firewall_missing (const struct cc_fw_ruleset *rs, char ***missing, cc_error_t *err)
{
  const struct cc_firewall_ops *ops = cc_firewall (err);
  cleanup_strv char **have = NULL, **want = NULL, **gone = NULL;

  *missing = NULL;
  if (ops == NULL || ops->list_ours (rs->tag, &have, err) < 0)
    return -1;
  want = cc_fw_keys (rs, false, ops->label6 != NULL);
  gone = cc_fw_keys_missing (want, have);
  for (char **g = gone; *g; g++)
    cc_strv_push (missing, cc_fw_key_text (ops, *g));
  return coexist (ops, rs, true, missing, err);
}
