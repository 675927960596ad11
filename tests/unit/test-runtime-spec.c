/* Unit tests for runtime/spec.c's tables: the JSON written is the JSON
   read, key for key and in order, and errors name their object once.  */
/* cmocka needs these first.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "lib/json.h"
#include "runtime/runtime.h"

/* Every key, with values unlike the defaults, in the order it is written.  */
static const char full[]
    = "{\"layers\":[\"/l1\",\"/l2\"],\"upper\":\"/u\",\"work\":\"/w\",\"args\":[\"/bin/sh\",\"-c\",\"x\"],"
      "\"env\":[\"A=1\"],\"cwd\":\"/srv\",\"user\":\"app:app\",\"hostname\":\"h\",\"domainname\":\"d\","
      "\"mounts\":[{\"type\":\"tmpfs\",\"target\":\"/t\",\"options\":[\"size=1m\"]},"
      "{\"type\":\"bind\",\"source\":\"/s\",\"target\":\"/b\"},"
      "{\"type\":\"image\",\"source\":\"/l1:/l2\",\"target\":\"/"
      "i\",\"options\":[\"ro\"]}],\"read_only\":true,\"shm_size\":1000,"
      "\"resources\":{\"memory\":1048576,\"memory_swap\":2097152,\"memory_reservation\":0,\"cpu_quota\":50000,\"cpu_"
      "period\":100000,"
      "\"cpu_shares\":512,\"pids_limit\":10,\"cpuset_cpus\":\"0\",\"cpu_rt_runtime\":100,\"cpu_rt_period\":1000,"
      "\"memory_swappiness\":10,\"oom_kill_disable\":true,\"blkio_weight\":300,\"blkio_weight_device\":[\"/dev/x "
      "300\"],\"blkio_read_bps\":[\"/dev/x 1\"],\"blkio_write_bps\":[\"/dev/x 2\"],\"blkio_read_iops\":[\"/dev/x "
      "3\"],\"blkio_write_iops\":[\"/dev/x 4\"]},\"oom_score_adj\":100,\"cgroupns_host\":true,"
      "\"cap_add\":[\"NET_ADMIN\"],\"cap_drop\":[\"ALL\"],"
      "\"privileged\":true,\"no_new_privileges\":true,\"seccomp\":false,"
      "\"sysctls\":{\"net.ipv4.ip_forward\":\"1\"},\"ulimits\":{\"nofile\":{\"soft\":10,\"hard\":20}},"
      "\"init\":true,\"terminal\":true,\"stdin_open\":true,"
      "\"stop_signal\":\"SIGINT\",\"stop_grace_ms\":1500,\"restart\":\"on-failure:3\","
      "\"log\":{\"driver\":\"local\",\"max_size\":1000,\"max_file\":3,\"compress\":true,\"attrs\":[\"a=b\"],"
      "\"nonblocking\":true,\"max_buffer\":4096,\"address\":\"udp://h:1\",\"facility\":16,\"format\":\"rfc5424\","
      "\"tag\":\"t\",\"cache_disabled\":true},\"healthcheck\":{\"test\":[\"CMD-SHELL\",\"true\"],"
      "\"interval_ms\":100,\"timeout_ms\":7,\"retries\":2,\"start_period_ms\":5,\"start_interval_ms\":9},"
      "\"netns\":\"/run/x\",\"hosts_file\":\"/h\",\"resolv_conf\":\"/r\",\"hostname_file\":\"/hn\"}";

static char *
round_trip (const char *text, cc_error_t *err)
{
  cleanup_cjson cJSON *in = cJSON_Parse (text), *out = NULL;
  cleanup_runtime_spec struct cc_runtime_spec *s = NULL;

  assert_non_null (in);
  if (cc_runtime_spec_from_json (in, &s, err) < 0)
    return NULL;
  out = cc_runtime_spec_to_json (s);
  return cJSON_PrintUnformatted (out);
}

static void
test_every_key_round_trips_in_order (void **state)
{
  cleanup_error cc_error_t err = NULL;
  cleanup_free char *text = round_trip (full, &err);

  (void)state;
  assert_non_null (text);
  assert_string_equal (text, full);
}

/* Unset strings and lists are left out, defaults written, a NONE
   healthcheck dropped, oversized counts lowered.  */
static void
test_defaults_and_caps (void **state)
{
  cleanup_error cc_error_t err = NULL;
  cleanup_free char *text = round_trip ("{\"rootfs\":\"/\",\"args\":[\"/x\"],\"healthcheck\":{\"test\":[\"NONE\"]},"
                                        "\"log\":{\"max_file\":500}}",
                                        &err);

  (void)state;
  assert_non_null (text);
  assert_string_equal (
      text,
      "{\"rootfs\":\"/\",\"args\":[\"/x\"],\"mounts\":[],\"read_only\":false,"
      "\"shm_size\":67108864,\"resources\":{\"memory\":0,\"memory_swap\":0,\"memory_reservation\":0,\"cpu_quota\":0,"
      "\"cpu_period\":0,\"cpu_shares\":0,\"pids_limit\":0,\"cpu_rt_runtime\":0,\"cpu_rt_period\":0,"
      "\"memory_swappiness\":-1,\"oom_kill_disable\":false,\"blkio_weight\":0},\"oom_score_adj\":0,"
      "\"cgroupns_host\":false,\"privileged\":false,"
      "\"no_new_privileges\":false,\"seccomp\":true,\"sysctls\":{},\"ulimits\":{},"
      "\"init\":false,\"terminal\":false,\"stdin_open\":false,\"stop_signal\":\"SIGTERM\",\"stop_grace_ms\":10000,"
      "\"restart\":\"no\","
      "\"log\":{\"max_size\":0,\"max_file\":100,\"compress\":false,\"nonblocking\":false,\"max_buffer\":0,"
      "\"facility\":3,\"cache_disabled\":false}}");
}

static void
test_errors_name_their_object_once (void **state)
{
  static const struct
  {
    const char *json, *message;
  } bad[] = {
    { "{\"rootfs\":\"/\",\"args\":[\"/x\"],\"resources\":[]}", "container spec: resources must be an object" },
    { "{\"rootfs\":\"/\",\"args\":[\"/x\"],\"resources\":{\"bogus\":1}}",
      "container spec: resources: unknown key `bogus`" },
    { "{\"rootfs\":\"/\",\"args\":[\"/x\"],\"resources\":{\"memory\":-5}}",
      "container spec: resources: `memory` out of range" },
    { "{\"rootfs\":\"/\",\"args\":[\"/x\"],\"resources\":{\"cpu_period\":10}}",
      "container spec: resources: cpu_period must be between 1000 and 1000000 us" },
    { "{\"rootfs\":\"/\",\"args\":[\"/x\"],\"healthcheck\":{\"x\":1}}",
      "container spec: healthcheck: unknown key `x`" },
    { "{\"rootfs\":\"/\",\"args\":[\"/x\"],\"healthcheck\":{\"test\":[\"RUN\",\"x\"]}}",
      "container spec: healthcheck: test must be [\"CMD\", args...], [\"CMD-SHELL\", script] or [\"NONE\"]" },
    { "{\"rootfs\":\"/\",\"args\":[\"/x\"],\"log\":5}", "container spec: log must be an object" },
    { "{\"rootfs\":\"/\",\"args\":[\"/x\"],\"log\":{\"max_file\":0}}", "container spec: log: `max_file` out of range" },
    { "{\"rootfs\":\"/\",\"args\":[\"/x\"],\"log\":{\"driver\":\"gelf\"}}",
      "container spec: log: unknown driver `gelf`" },
    { "{\"rootfs\":\"/\",\"args\":[\"/x\"],\"log\":{\"attrs\":[\"=x\"]}}",
      "container spec: log: attribute `=x` is not NAME=VALUE" },
    { "{\"rootfs\":\"/\",\"args\":[\"/x\"],\"mounts\":[{\"type\":\"tmpfs\",\"target\":\"/t\",\"x\":1}]}",
      "container spec: mounts[0]: mount: unknown key `x`" },
    { "{\"rootfs\":\"/\",\"args\":[\"/x\"],\"mounts\":[{\"type\":\"bind\",\"target\":\"/a\"}]}",
      "container spec: mounts[0]: bind mount on `/a`: source must be an absolute path" },
    { "{\"rootfs\":\"/\",\"args\":[\"/x\"],\"mounts\":[{\"type\":\"image\",\"source\":\"/l1:/l2,upperdir=/x\","
      "\"target\":\"/i\"}]}",
      "container spec: mounts[0]: image mount on `/i`: invalid layer list" },
    { "{\"rootfs\":\"/\",\"args\":[\"/x\"],\"mounts\":[{\"type\":\"image\",\"source\":\"/l1:l2\",\"target\":\"/i\"}]}",
      "container spec: mounts[0]: image mount on `/i`: invalid layer list" },
    { "{\"rootfs\":\"/\",\"args\":[\"/x\"],\"mounts\":[{\"type\":\"image\",\"source\":\"/l1::/l2\",\"target\":\"/"
      "i\"}]}",
      "container spec: mounts[0]: image mount on `/i`: invalid layer list" },
    { "{\"rootfs\":\"/\",\"args\":[\"/x\"],\"mounts\":[{\"type\":\"npipe\",\"target\":\"/i\"}]}",
      "container spec: mounts[0]: mount type must be `bind`, `tmpfs` or `image`" },
    { "{\"rootfs\":\"/\",\"args\":[\"/x\"],\"ulimits\":{\"nofile\":{\"soft\":1,\"hard\":2,\"x\":1}}}",
      "container spec: ulimits: nofile: unknown key `x`" },
    { "{\"rootfs\":\"/\",\"args\":[\"/x\"],\"ulimits\":{\"nofile\":{\"soft\":1}}}",
      "container spec: ulimit `nofile` needs soft and hard" },
    { "{\"rootfs\":\"/\",\"args\":[\"/x\"],\"stop_signal\":\"SIGNOPE\"}",
      "container spec: stop_signal: unknown signal `SIGNOPE`" },
    { "{\"rootfs\":\"/\",\"args\":[\"/x\"],\"shm_size\":0}", "container spec: `shm_size` out of range" },
    { "{\"rootfs\":\"/\",\"args\":[\"/x\"],\"nope\":1}", "spec: unknown key `nope`" },
  };

  (void)state;
  for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++)
    {
      cleanup_error cc_error_t err = NULL;
      cleanup_free char *text = round_trip (bad[i].json, &err);
      assert_null (text);
      assert_non_null (err);
      assert_string_equal (err->msg, bad[i].message);
    }
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_every_key_round_trips_in_order),
    cmocka_unit_test (test_defaults_and_caps),
    cmocka_unit_test (test_errors_name_their_object_once),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
