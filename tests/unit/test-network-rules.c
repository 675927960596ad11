/* The rule builder: state in, iptables-save text out, compared with the
   golden files under tests/unit/golden/ (CC_UPDATE_GOLDEN=1 rewrites
   them; review the diff).  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "lib/error.h"
#include "lib/file.h"
#include "lib/json.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "network/firewall.h"
#include "network/state.h"

#define GOLDEN_DIR "tests/unit/golden/"

static cJSON *
load_state (const char *name)
{
  cleanup_free char *path = xasprintf (GOLDEN_DIR "%s.json", name);
  cJSON *j = NULL;
  cleanup_error cc_error_t err = NULL;

  if (cc_json_load_file (path, &j, &err) < 0)
    fail_msg ("%s", err->msg);
  return j;
}

static void
check_golden_as (const char *name, const char *tag, const char *host_netns, const char *rules, const char *ext,
                 char *(*render) (const struct cc_fw_ruleset *))
{
  cleanup_cjson cJSON *state = load_state (name);
  cleanup_fw_ruleset struct cc_fw_ruleset rs = { 0 };
  cleanup_free char *text = NULL, *want = NULL;
  cleanup_free char *path = xasprintf (GOLDEN_DIR "%s.%s", rules, ext);
  cleanup_error cc_error_t err = NULL;

  assert_int_equal (cc_fw_build (state, tag, host_netns, &rs, &err), 0);
  text = render (&rs);
  if (getenv ("CC_UPDATE_GOLDEN"))
    assert_int_equal (cc_write_file_atomic (path, text, strlen (text), 0644, NULL), 0);
  if (cc_read_file (path, &want, NULL, &err) < 0)
    fail_msg ("%s (run with CC_UPDATE_GOLDEN=1 to create it)", err->msg);
  assert_string_equal (text, want);
}

/* Both backends render the one rule set: iptables-save text (.rules)
   and the nft script the nftables backend runs (.nft).  */
static void
check_golden_in (const char *name, const char *tag, const char *host_netns, const char *rules)
{
  check_golden_as (name, tag, host_netns, rules, "rules", cc_fw_render);
  check_golden_as (name, tag, host_netns, rules, "nft", cc_fw_render_nft);
}

static void
check_golden (const char *name, const char *tag)
{
  check_golden_in (name, tag, NULL, name);
}

static void
test_golden_empty (void **state)
{
  (void)state;
  check_golden ("network-empty", "");
}

static void
test_golden_web_redis (void **state)
{
  (void)state;
  check_golden ("network-web-redis", "");
}

static void
test_golden_two_projects_tagged (void **state)
{
  (void)state;
  check_golden ("network-two-projects", "@1a2b3c");
}

/* Issue 16: replicas publishing one host port share it through one
   balancer, serving ones only (web-3 is starting or unhealthy); with
   none serving (api), every replica rather than a port that refuses.  */
static void
test_golden_replicas (void **state)
{
  (void)state;
  check_golden ("network-replicas", "");
}

/* Backend I of N is picked with 1/(N-I), the last always: each of N
   gets 1/N of new connections.  */
static void
test_balancer_probabilities (void **state)
{
  cleanup_cjson cJSON *st = load_state ("network-replicas");
  cleanup_fw_ruleset struct cc_fw_ruleset rs = { 0 };
  unsigned want[] = { 3, 2, 0 };
  size_t k = 0;
  double left = 1.0;

  (void)state;
  assert_int_equal (cc_fw_build (st, "", NULL, &rs, NULL), 0);
  for (size_t i = 0; i < rs.n_rules; i++)
    if (rs.rules[i].dport_lo == 8080 && strcmp (rs.rules[i].chain, "CCOMPOSE-DNAT") == 0)
      {
        double p = rs.rules[i].one_in ? 1.0 / rs.rules[i].one_in : 1.0;

        assert_true (k < 3);
        assert_int_equal (rs.rules[i].one_in, want[k]);
        assert_true (strstr (rs.rules[i].to, "10.89.0.4") == NULL);
        assert_true (left * p > 0.333 && left * p < 0.334);
        left *= 1.0 - p;
        k++;
      }
  assert_int_equal (k, 3);
  assert_int_equal (cc_fw_probability (2), 0x40000000u);
  assert_true (cc_fw_probability_of (cc_fw_probability (3)) > 0.33333333
               && cc_fw_probability_of (cc_fw_probability (3)) < 0.33333334);
}

/* Issue 12 item 4: one state root used from two network namespaces.  Each
   namespace gets the rules of its own networks only (and of networks
   recorded without one, by an older ccompose): a DNAT of one must never
   land in the other, where it would hijack a port.  */
static void
test_golden_each_namespace_its_own_networks (void **state)
{
  (void)state;
  check_golden_in ("network-two-netns", "", "4:4026532001", "network-two-netns-first");
  check_golden_in ("network-two-netns", "", "4:4026532002", "network-two-netns-second");
}

static void
test_a_namespace_without_networks_gets_no_chain (void **state)
{
  cleanup_cjson cJSON *st = NULL;
  cleanup_fw_ruleset struct cc_fw_ruleset rs = { 0 };

  (void)state;
  assert_int_equal (cc_json_parse ("{\"networks\":[{\"project\":\"p\",\"name\":\"n\",\"host_netns\":\"4:1\","
                                   "\"bridge\":\"cc1\",\"subnet\":\"10.0.0.0/24\",\"gateway\":\"10.0.0.1\"}]}",
                                   "test", &st, NULL),
                    0);
  assert_int_equal (cc_fw_build (st, "", "4:2", &rs, NULL), 0);
  /* No chain: the backend then removes ours from that namespace.  */
  assert_int_equal (rs.n_chains, 0);
  assert_int_equal (rs.n_rules, 0);
  cc_fw_ruleset_release (&rs);
  assert_int_equal (cc_fw_build (st, "", "4:1", &rs, NULL), 0);
  assert_true (rs.n_rules > 0);
}

/* Properties every rule set must have, whatever the golden files say.  */
static void
test_invariants (void **state)
{
  cleanup_cjson cJSON *st = load_state ("network-two-projects");
  cleanup_fw_ruleset struct cc_fw_ruleset rs = { 0 };
  size_t last_accept = 0, first_isolation_drop = (size_t)-1;

  (void)state;
  assert_int_equal (cc_fw_build (st, "@1a2b3c", NULL, &rs, NULL), 0);
  for (size_t i = 0; i < rs.n_rules; i++)
    {
      const struct cc_fw_rule *r = &rs.rules[i];

      /* Every rule is findable by its comment, and names its project.  */
      assert_true (strncmp (r->comment, "ccompose@1a2b3c ", 16) == 0);
      if (! cc_fw_is_builtin (r->chain) && strcmp (r->chain, CC_FW_DOCKER_USER) != 0)
        assert_non_null (strstr (r->comment, " project "));
      assert_true (strlen (r->chain) <= 28);
      /* internal: true publishes nothing (3999 is on the internal network).  */
      assert_false (r->dport_lo == 3999);
      if (strcmp (r->chain, "CCOMPOSE-FWD-1a2b3c") == 0 && strcmp (r->target, "ACCEPT") == 0 && r->in == NULL)
        last_accept = i;
      if (strcmp (r->chain, "CCOMPOSE-FWD-1a2b3c") == 0 && strcmp (r->target, "DROP") == 0
          && first_isolation_drop == (size_t)-1)
        first_isolation_drop = i;
    }
  /* Published ports of one network stay reachable from the others: no
     drop may precede an accept.  */
  assert_true (last_accept < first_isolation_drop);
}

static void
test_malformed_state (void **state)
{
  static const char *const bad[] = {
    "{\"networks\":[{\"project\":\"p\",\"name\":\"n\",\"subnet\":\"10.0.0.0/24\",\"gateway\":\"10.0.0.1\"}]}",
    "{\"networks\":[{\"project\":\"p\",\"name\":\"n\",\"bridge\":\"cc1\",\"subnet\":\"10.0.0.0/24\","
    "\"gateway\":\"10.0.0.1\",\"members\":[{\"container\":\"c\",\"ports\":[]}]}]}",
    /* Neither family.  */
    "{\"networks\":[{\"project\":\"p\",\"name\":\"n\",\"bridge\":\"cc1\"}]}",
    "{\"networks\":[{\"name\":\"n\",\"bridge\":\"cc1\",\"subnet\":\"10.0.0.0/24\",\"gateway\":\"10.0.0.1\"}]}",
  };

  (void)state;
  for (size_t i = 0; i < CC_N_ELEMENTS (bad); i++)
    {
      cleanup_cjson cJSON *st = NULL;
      cleanup_fw_ruleset struct cc_fw_ruleset rs = { 0 };
      cleanup_error cc_error_t err = NULL;

      assert_int_equal (cc_json_parse (bad[i], "test", &st, NULL), 0);
      assert_int_equal (cc_fw_build (st, "", NULL, &rs, &err), -1);
      assert_non_null (strstr (err->msg, "network state"));
    }
}

static void
test_chain_names (void **state)
{
  cleanup_strv char **plain = cc_fw_chain_names ("");
  cleanup_strv char **tagged = cc_fw_chain_names ("@abcdef");

  (void)state;
  assert_string_equal (plain[0], "CCOMPOSE-DNAT");
  assert_string_equal (tagged[2], "CCOMPOSE-FWD-abcdef");
  assert_string_equal (tagged[3], "CCOMPOSE-RAW-abcdef");
  assert_null (tagged[4]);
}

/* Issue 12 item 3: every bridge routes 127.0.0.0/8 for ports published on
   127.0.0.1, so every bridge, internal ones included, gets a drop of
   packets to 127.0.0.0/8 arriving on it, in raw PREROUTING: before
   CCOMPOSE-DNAT could send them to another project's loopback port.  */
static void
test_loopback_guard_for_every_network (void **state)
{
  cleanup_cjson cJSON *st = load_state ("network-two-projects");
  cleanup_fw_ruleset struct cc_fw_ruleset rs = { 0 };
  size_t guards = 0, jumps = 0;
  const cJSON *net;

  (void)state;
  assert_int_equal (cc_fw_build (st, "@1a2b3c", NULL, &rs, NULL), 0);
  for (net = cc_net_first (st, "networks"); net; net = net->next)
    {
      bool guarded = false;

      for (size_t i = 0; i < rs.n_rules; i++)
        {
          const struct cc_fw_rule *r = &rs.rules[i];

          if (strcmp (r->table, "raw") != 0 || strcmp (r->chain, "CCOMPOSE-RAW-1a2b3c") != 0)
            continue;
          if (r->in && strcmp (r->in, cc_json_get_string (net, "bridge")) == 0 && ! r->in_inv && r->dst
              && strcmp (r->dst, "127.0.0.0/8") == 0 && ! r->dst_inv && strcmp (r->target, "DROP") == 0 && r->proto == 0
              && r->ctstate == 0)
            guarded = true;
        }
      assert_true (guarded);
      guards++;
    }
  for (size_t i = 0; i < rs.n_rules; i++)
    if (strcmp (rs.rules[i].table, "raw") == 0 && strcmp (rs.rules[i].chain, "PREROUTING") == 0)
      {
        assert_string_equal (rs.rules[i].target, "CCOMPOSE-RAW-1a2b3c");
        jumps++;
      }
  assert_int_equal (guards, 3);
  assert_int_equal (jumps, 1);
}

/* Self-repair compares the kernel's rules with the rule set as
   multisets of "table/CHAIN comment": one network has several rules of
   one comment, and one of them gone is one missing.  */
static void
test_keys_missing_counts_repeats (void **state)
{
  char *want[] = { "filter/F a", "filter/F a", "nat/D b", "filter/F c", NULL };
  char *have[] = { "nat/D b", "filter/F a", "filter/X other", NULL };
  cleanup_strv char **m = cc_fw_keys_missing (want, have);

  (void)state;
  assert_int_equal (cc_strv_len (m), 2);
  assert_string_equal (m[0], "filter/F a");
  assert_string_equal (m[1], "filter/F c");
  assert_false (cc_fw_keys_equal (want, have));
  assert_true (cc_fw_keys_equal (want, (char *[]){ "filter/F c", "nat/D b", "filter/F a", "filter/F a", NULL }));
}

/* Rules for other firewalls' chains: one jump in DOCKER-USER, and two
   accepts per network (in and out of its bridge) for any chain that
   drops; none of them in the nftables backend's own table.  */
static void
test_rules_for_other_firewalls (void **state)
{
  cleanup_cjson cJSON *st = load_state ("network-two-projects");
  cleanup_fw_ruleset struct cc_fw_ruleset rs = { 0 };
  cleanup_strv char **own = NULL, **placed = NULL;
  cleanup_free char *nft = NULL;
  size_t docker = 0, foreign = 0;

  (void)state;
  assert_int_equal (cc_fw_build (st, "@1a2b3c", NULL, &rs, NULL), 0);
  for (size_t i = 0; i < rs.n_rules; i++)
    {
      if (strcmp (rs.rules[i].chain, CC_FW_DOCKER_USER) == 0)
        {
          assert_string_equal (rs.rules[i].target, "CCOMPOSE-FWD-1a2b3c");
          docker++;
        }
      if (strcmp (rs.rules[i].chain, CC_FW_FOREIGN) == 0)
        {
          assert_string_equal (rs.rules[i].target, "ACCEPT");
          assert_true ((rs.rules[i].in == NULL) != (rs.rules[i].out == NULL));
          foreign++;
        }
    }
  assert_int_equal (docker, 1);
  assert_int_equal (foreign, 2 * 3);
  own = cc_fw_keys (&rs, false, false);
  placed = cc_fw_keys (&rs, true, false);
  assert_int_equal (cc_strv_len (placed) - cc_strv_len (own), docker + foreign);
  nft = cc_fw_render_nft (&rs);
  assert_null (strstr (nft, "DOCKER-USER"));
  assert_null (strstr (nft, "add rule inet ccompose-1a2b3c FOREIGN"));
}

/* Issue 17: an enable_ipv6 network's IPv6 subnet is masqueraded on its
   way out (NAT66) and isolated as its IPv4 one, in the ip6tables tables
   and in the inet table; an internal one gets no NAT66, an IPv4-only
   one nothing of IPv6.  */
static void
test_golden_ipv6 (void **state)
{
  (void)state;
  check_golden ("network-ipv6", "");
}

/* Issue 15: an IPv6-only network (`enable_ipv4: false`, no "subnet")
   gets NAT66 and IPv6 accepts and DNATs, no IPv4 NAT, DNAT or accept,
   and keeps its IPv4 drops, egress included.  */
static void
test_golden_ipv6_only (void **state)
{
  (void)state;
  check_golden ("network-ipv6only", "");
}

/* Issue 17: with a table per family (iptc), the IPv6 copy of a rule for
   both has a key of its own, so that it alone gone is missing; our IPv6
   chains are keys only in the tables with IPv6 rules.  */
static void
test_keys_per_family (void **state)
{
  cleanup_cjson cJSON *st = load_state ("network-ipv6");
  cleanup_fw_ruleset struct cc_fw_ruleset rs = { 0 };
  cleanup_strv char **one = NULL, **split = NULL;

  (void)state;
  assert_int_equal (cc_fw_build (st, "", NULL, &rs, NULL), 0);
  one = cc_fw_keys (&rs, false, false);
  split = cc_fw_keys (&rs, false, true);
  assert_true (cc_strv_contains (one, "filter/FORWARD ccompose jump"));
  assert_false (cc_strv_contains (one, CC_FW_KEY6 "filter/FORWARD ccompose jump"));
  assert_true (cc_strv_contains (split, "filter/FORWARD ccompose jump"));
  assert_true (cc_strv_contains (split, CC_FW_KEY6 "filter/FORWARD ccompose jump"));
  assert_true (cc_strv_contains (split, CC_FW_KEY6 "nat/CCOMPOSE-POST"));
  assert_false (cc_strv_contains (split, CC_FW_KEY6 "raw/CCOMPOSE-RAW"));
  assert_false (cc_strv_contains (split, CC_FW_KEY6 "raw/PREROUTING ccompose jump"));
}

/* Without an IPv6 network the ip6tables side stays empty: nothing to
   write, no table loaded for it.  */
static void
test_no_ipv6_rules_without_ipv6_networks (void **state)
{
  static const char *const names[] = { "network-web-redis", "network-two-projects", "network-replicas" };

  (void)state;
  for (size_t i = 0; i < sizeof (names) / sizeof (names[0]); i++)
    {
      cleanup_cjson cJSON *st = load_state (names[i]);
      cleanup_fw_ruleset struct cc_fw_ruleset rs = { 0 };

      assert_int_equal (cc_fw_build (st, "", NULL, &rs, NULL), 0);
      assert_false (cc_fw_has_ipv6 (&rs, NULL));
    }
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_golden_empty),
    cmocka_unit_test (test_keys_missing_counts_repeats),
    cmocka_unit_test (test_rules_for_other_firewalls),
    cmocka_unit_test (test_golden_web_redis),
    cmocka_unit_test (test_golden_two_projects_tagged),
    cmocka_unit_test (test_golden_replicas),
    cmocka_unit_test (test_golden_ipv6),
    cmocka_unit_test (test_golden_ipv6_only),
    cmocka_unit_test (test_keys_per_family),
    cmocka_unit_test (test_no_ipv6_rules_without_ipv6_networks),
    cmocka_unit_test (test_balancer_probabilities),
    cmocka_unit_test (test_golden_each_namespace_its_own_networks),
    cmocka_unit_test (test_a_namespace_without_networks_gets_no_chain),
    cmocka_unit_test (test_invariants),
    cmocka_unit_test (test_malformed_state),
    cmocka_unit_test (test_chain_names),
    cmocka_unit_test (test_loopback_guard_for_every_network),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
