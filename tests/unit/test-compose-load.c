/* Unit tests for compose/load.c: discovery, -f lists, override files,
   env precedence, include, extends, project names.  Files live in a
   mkdtemp directory removed after each test.  */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compose/load.h"
#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

static char tmp[64];

static int
setup (void **state)
{
  (void)state;
  strcpy (tmp, "/tmp/cc-Load-XXXXXX");
  assert_non_null (mkdtemp (tmp));
  unsetenv ("CC_TEST_VAR");
  unsetenv ("COMPOSE_PROJECT_NAME");
  cc_interpolate_reset_warnings ();
  return 0;
}

static int
teardown (void **state)
{
  (void)state;
  unsetenv ("CC_TEST_VAR");
  return cc_rm_rf (tmp, NULL);
}

static char *
path_in (const char *rel)
{
  return cc_path_join (tmp, rel);
}

static void
write_file (const char *rel, const char *text)
{
  cleanup_free char *p = path_in (rel);
  cleanup_free char *dir = cc_path_dirname (p);

  assert_int_equal (cc_mkdir_p (dir, 0755, NULL), 0);
  assert_int_equal (cc_write_file_atomic (p, text, strlen (text), 0644, NULL), 0);
}

struct opts
{
  struct cc_compose_options o;
  char *workdir;
};

static struct cc_loaded *
load_ok (struct cc_compose_options *o)
{
  cc_error_t err = NULL;
  struct cc_loaded *l = NULL;

  if (cc_compose_load_tree (o, &l, &err) < 0)
    fail_msg ("unexpected error: %s", err->msg);
  return l;
}

static char *
load_fail (struct cc_compose_options *o)
{
  cc_error_t err = NULL;
  struct cc_loaded *l = NULL;
  char *msg;

  if (cc_compose_load_tree (o, &l, &err) == 0)
    {
      cc_loaded_free (l);
      fail_msg ("no error");
    }
  msg = cc_error_string (err);
  cc_error_release (&err);
  return msg;
}

static const char *
svc_get (const struct cc_loaded *l, const char *service, const char *key)
{
  const struct cc_node *s = cc_node_map_get (cc_node_map_get (l->root, "services"), service);

  assert_non_null (s);
  return cc_node_map_get_string (s, key);
}

static void
test_discovery_upward (void **state)
{
  cleanup_free char *wd = path_in ("a/b");
  struct cc_compose_options o = { .workdir = wd };
  cleanup_loaded struct cc_loaded *l = NULL;
  cleanup_free char *expected = path_in ("compose.yaml");
  cleanup_free char *base = cc_path_basename (tmp);

  (void)state;
  write_file ("compose.yaml", "services:\n  web:\n    image: a\n");
  write_file ("a/b/.keep", "");
  l = load_ok (&o);
  assert_string_equal (l->files[0], expected);
  assert_null (l->files[1]);
  assert_string_equal (l->project_dir, tmp);
  /* The directory name cc-Load-XXXXXX is lowercased silently.  */
  assert_true (strncmp (l->project_name, "cc-load-", 8) == 0);
  assert_true (cc_project_name_is_valid (l->project_name));
  (void)base;
}

static void
test_discovery_prefers_compose_yaml_and_override (void **state)
{
  struct cc_compose_options o = { .workdir = tmp };
  cleanup_loaded struct cc_loaded *l = NULL;
  cleanup_free char *first = path_in ("compose.yaml");
  cleanup_free char *over = path_in ("compose.override.yml");

  (void)state;
  write_file ("docker-compose.yml", "services:\n  old:\n    image: old\n");
  write_file ("compose.yaml", "services:\n  web:\n    image: a\n    ports: ['80']\n");
  write_file ("compose.override.yml", "services:\n  web:\n    image: b\n    ports: ['443']\n");
  l = load_ok (&o);
  assert_string_equal (l->files[0], first);
  assert_string_equal (l->files[1], over);
  assert_string_equal (svc_get (l, "web", "image"), "b");
  assert_int_equal (cc_node_map_get (cc_node_map_get (cc_node_map_get (l->root, "services"), "web"), "ports")->len, 2);
  assert_null (cc_node_map_get (cc_node_map_get (l->root, "services"), "old"));
}

static void
test_nothing_found (void **state)
{
  /* / has no compose file on a sane test machine; a subdir of tmp
     without one reaches / too, unless /tmp has one.  */
  cleanup_free char *wd = path_in ("empty");
  struct cc_compose_options o = { .workdir = wd };
  cleanup_free char *msg = NULL;
  cleanup_free char *probe = xstrdup ("/tmp/compose.yaml");

  (void)state;
  write_file ("empty/.keep", "");
  if (cc_file_exists (probe))
    skip ();
  msg = load_fail (&o);
  assert_non_null (strstr (msg, "no configuration file provided"));
}

static void
test_file_list_order_and_relative (void **state)
{
  char *files[] = { (char *)"one.yml", (char *)"sub/two.yml", NULL };
  struct cc_compose_options o = { .workdir = tmp, .files = files };
  cleanup_loaded struct cc_loaded *l = NULL;
  cleanup_free char *two = path_in ("sub/two.yml");

  (void)state;
  write_file ("one.yml", "services:\n  web:\n    image: one\n    command: [a, b]\n    environment: [A=1, B=2]\n");
  write_file ("sub/two.yml", "services:\n  web:\n    command: c\n    environment:\n      B: three\n");
  write_file ("compose.override.yaml", "services:\n  web:\n    image: ignored\n");
  l = load_ok (&o);
  assert_string_equal (l->files[1], two);
  assert_null (l->files[2]);
  /* No override file with explicit -f.  */
  assert_string_equal (svc_get (l, "web", "image"), "one");
  assert_string_equal (svc_get (l, "web", "command"), "c");
  /* The project directory is the first file's.  */
  assert_string_equal (l->project_dir, tmp);
}

static void
test_missing_file (void **state)
{
  char *files[] = { (char *)"nope.yml", NULL };
  struct cc_compose_options o = { .workdir = tmp, .files = files };
  cleanup_free char *msg = NULL;

  (void)state;
  msg = load_fail (&o);
  assert_non_null (strstr (msg, "nope.yml"));
  assert_non_null (strstr (msg, "No such file"));
}

static void
test_top_level_not_a_map (void **state)
{
  char *files[] = { (char *)"list.yml", NULL };
  struct cc_compose_options o = { .workdir = tmp, .files = files };
  cleanup_free char *msg = NULL;

  (void)state;
  write_file ("list.yml", "- a\n- b\n");
  msg = load_fail (&o);
  assert_non_null (strstr (msg, "list.yml:1:1: the top level of a compose file must be a mapping"));
}

static void
test_env_precedence (void **state)
{
  struct cc_compose_options o = { .workdir = tmp };
  cleanup_loaded struct cc_loaded *l = NULL;
  cleanup_loaded struct cc_loaded *l2 = NULL;
  char *env_files[] = { (char *)"first.env", (char *)"second.env", NULL };

  (void)state;
  write_file ("compose.yaml", "services:\n  web:\n    image: \"img:${TAG}\"\n    hostname: \"${HOST:-none}\"\n"
                              "    user: \"${CC_TEST_VAR}\"\n    domainname: \"${ONLY_DOTENV:-unset}\"\n");
  write_file (".env", "TAG=dotenv\nHOST=dotenv-host\nONLY_DOTENV=yes\nCC_TEST_VAR=from-dotenv\n");
  write_file ("first.env", "TAG=first\nHOST=first-host\nCC_TEST_VAR=from-first\n");
  write_file ("second.env", "TAG=second\n");
  setenv ("CC_TEST_VAR", "shell", 1);
  l = load_ok (&o);
  /* .env is read when no --env-file is given; the shell wins over it.  */
  assert_string_equal (svc_get (l, "web", "image"), "img:dotenv");
  assert_string_equal (svc_get (l, "web", "user"), "shell");
  assert_string_equal (svc_get (l, "web", "domainname"), "yes");
  /* --env-file replaces .env; a later file overrides an earlier one.  */
  o.env_files = env_files;
  l2 = load_ok (&o);
  assert_string_equal (svc_get (l2, "web", "image"), "img:second");
  assert_string_equal (svc_get (l2, "web", "hostname"), "first-host");
  assert_string_equal (svc_get (l2, "web", "user"), "shell");
  assert_string_equal (svc_get (l2, "web", "domainname"), "unset");
  assert_string_equal (cc_env_get (l2->env, "TAG"), "second");
}

static void
test_missing_env_file_is_an_error (void **state)
{
  char *env_files[] = { (char *)"missing.env", NULL };
  struct cc_compose_options o = { .workdir = tmp, .env_files = env_files };
  cleanup_free char *msg = NULL;

  (void)state;
  write_file ("compose.yaml", "services: {}\n");
  msg = load_fail (&o);
  assert_non_null (strstr (msg, "missing.env"));
}

static void
test_no_interpolate (void **state)
{
  struct cc_compose_options o = { .workdir = tmp, .no_interpolate = true };
  cleanup_loaded struct cc_loaded *l = NULL;

  (void)state;
  write_file ("compose.yaml", "services:\n  web:\n    image: \"img:${TAG:?required}\"\n");
  l = load_ok (&o);
  assert_string_equal (svc_get (l, "web", "image"), "img:${TAG:?required}");
}

static void
test_interpolation_error_names_file (void **state)
{
  struct cc_compose_options o = { .workdir = tmp };
  cleanup_free char *msg = NULL;

  (void)state;
  write_file ("compose.yaml", "services:\n  web:\n    image: img:${TAG:?set TAG}\n");
  msg = load_fail (&o);
  assert_non_null (strstr (msg, "compose.yaml:3:16: required variable `TAG` is missing a value: set TAG"));
}

static void
test_project_name_rules (void **state)
{
  struct cc_compose_options o = { .workdir = tmp };
  cleanup_loaded struct cc_loaded *l = NULL;
  cleanup_loaded struct cc_loaded *l2 = NULL;
  cleanup_loaded struct cc_loaded *l3 = NULL;
  cleanup_free char *m1 = NULL, *m2 = NULL;

  (void)state;
  write_file ("compose.yaml", "name: from-file\nservices: {}\n");
  l = load_ok (&o);
  assert_string_equal (l->project_name, "from-file");
  o.project_name = "cli_name";
  l2 = load_ok (&o);
  assert_string_equal (l2->project_name, "cli_name");
  o.project_name = "My.App";
  m1 = load_fail (&o);
  assert_non_null (strstr (m1, "invalid project name `My.App`"));
  assert_non_null (strstr (m1, "did you mean `myapp`?"));
  o.project_name = NULL;
  write_file ("compose.yaml", "services: {}\nname: Bad_Name\n");
  m2 = load_fail (&o);
  assert_non_null (strstr (m2, "compose.yaml:2:7: invalid project name `Bad_Name`"));
  /* COMPOSE_PROJECT_NAME in .env counts as the variable.  */
  write_file ("compose.yaml", "name: from-file\nservices: {}\n");
  write_file (".env", "COMPOSE_PROJECT_NAME=from-dotenv\n");
  l3 = load_ok (&o);
  assert_string_equal (l3->project_name, "from-dotenv");
}

static void
test_project_name_normalize (void **state)
{
  static const struct
  {
    const char *in, *out;
  } cases[] = {
    { "MyApp", "myapp" }, { "my.app", "myapp" }, { "__x-y", "x-y" },     { "-_9a", "9a" },
    { "a b/c", "abc" },   { "...", "" },         { "ok_1-2", "ok_1-2" }, { "ÄÖ", "" },
  };

  (void)state;
  for (size_t i = 0; i < CC_N_ELEMENTS (cases); i++)
    {
      cleanup_free char *n = cc_project_name_normalize (cases[i].in);
      assert_string_equal (n, cases[i].out);
    }
  assert_true (cc_project_name_is_valid ("a"));
  assert_true (cc_project_name_is_valid ("0-x_y"));
  assert_false (cc_project_name_is_valid (""));
  assert_false (cc_project_name_is_valid ("_a"));
  assert_false (cc_project_name_is_valid ("A"));
  assert_false (cc_project_name_is_valid ("a.b"));
}

static void
test_project_directory_option (void **state)
{
  cleanup_free char *pd = path_in ("proj");
  struct cc_compose_options o = { .workdir = tmp, .project_directory = "proj" };
  cleanup_loaded struct cc_loaded *l = NULL;

  (void)state;
  write_file ("compose.yaml", "services:\n  web:\n    image: \"${TAG}\"\n");
  write_file ("proj/.env", "TAG=from-project-dir\n");
  l = load_ok (&o);
  assert_string_equal (l->project_dir, pd);
  assert_string_equal (l->project_name, "proj");
  assert_string_equal (svc_get (l, "web", "image"), "from-project-dir");
}

static void
test_compose_file_from_dotenv (void **state)
{
  struct cc_compose_options o = { .workdir = tmp };
  cleanup_loaded struct cc_loaded *l = NULL;
  cleanup_free char *a = path_in ("a.yml");
  cleanup_free char *b = path_in ("sub/b.yml");

  (void)state;
  unsetenv ("COMPOSE_FILE");
  write_file ("compose.yaml", "services:\n  web:\n    image: default\n");
  write_file ("a.yml", "services:\n  web:\n    image: a\n");
  write_file ("sub/b.yml", "services:\n  web:\n    image: b\n");
  write_file (".env", "COMPOSE_FILE=a.yml:sub/b.yml\n");
  l = load_ok (&o);
  assert_string_equal (l->files[0], a);
  assert_string_equal (l->files[1], b);
  assert_string_equal (svc_get (l, "web", "image"), "b");
}

static void
test_project_directory_discovery (void **state)
{
  cleanup_free char *wd = path_in ("elsewhere");
  cleanup_free char *expected = path_in ("proj/compose.yml");
  struct cc_compose_options o = { .workdir = wd, .project_directory = "../proj" };
  cleanup_loaded struct cc_loaded *l = NULL;

  (void)state;
  write_file ("elsewhere/.keep", "");
  write_file ("proj/compose.yml", "services:\n  web:\n    image: in-proj\n");
  l = load_ok (&o);
  assert_string_equal (l->files[0], expected);
  assert_string_equal (svc_get (l, "web", "image"), "in-proj");
}

static void
test_include (void **state)
{
  struct cc_compose_options o = { .workdir = tmp };
  cleanup_loaded struct cc_loaded *l = NULL;
  cleanup_free char *ctx = path_in ("lib/app");

  (void)state;
  write_file ("compose.yaml", "include:\n  - lib/db.yaml\n  - path: lib/app.yaml\n    env_file: lib/app.env\n"
                              "services:\n  web:\n    image: web\n");
  write_file ("lib/db.yaml", "services:\n  db:\n    image: \"postgres:${PGTAG:-16}\"\nvolumes:\n  data: {}\n");
  write_file ("lib/.env", "PGTAG=15\n");
  write_file ("lib/app.yaml", "services:\n  app:\n    build: ./app\n    image: \"${APP}\"\n");
  write_file ("lib/app.env", "APP=app-image\n");
  l = load_ok (&o);
  assert_null (cc_node_map_get (l->root, "include"));
  assert_string_equal (svc_get (l, "web", "image"), "web");
  /* An included file uses its own directory and its own .env.  */
  assert_string_equal (svc_get (l, "db", "image"), "postgres:15");
  assert_string_equal (svc_get (l, "app", "image"), "app-image");
  assert_string_equal (svc_get (l, "app", "build"), ctx);
  assert_non_null (cc_node_map_get (cc_node_map_get (l->root, "volumes"), "data"));
}

static void
test_include_long_form (void **state)
{
  struct cc_compose_options o = { .workdir = tmp };
  cleanup_loaded struct cc_loaded *l = NULL;
  cleanup_free char *data = path_in ("data");
  const struct cc_node *db;

  (void)state;
  write_file ("compose.yaml", "include:\n  - path: [inc/base.yaml, inc/over.yaml]\n    project_directory: .\n");
  write_file ("inc/base.yaml", "services:\n  db:\n    image: pg\n    volumes: ['./data:/var/lib/db']\n");
  write_file ("inc/over.yaml", "services:\n  db:\n    image: pg2\n");
  l = load_ok (&o);
  db = cc_node_map_get (cc_node_map_get (l->root, "services"), "db");
  /* The paths merge as override files; project_directory anchors paths.  */
  assert_string_equal (cc_node_map_get_string (db, "image"), "pg2");
  assert_true (strncmp (cc_node_map_get (db, "volumes")->items[0]->value, data, strlen (data)) == 0);
}

static void
test_include_malformed (void **state)
{
  struct cc_compose_options o = { .workdir = tmp };
  cleanup_free char *m1 = NULL, *m2 = NULL, *m3 = NULL, *m4 = NULL, *m5 = NULL;

  (void)state;
  write_file ("compose.yaml", "include: lib.yaml\n");
  m1 = load_fail (&o);
  assert_non_null (strstr (m1, "compose.yaml:1:10: `include` must be a list"));
  write_file ("compose.yaml", "include:\n  - project_directory: x\n");
  m2 = load_fail (&o);
  assert_non_null (strstr (m2, "compose.yaml:2:5: an `include` entry needs a `path`"));
  write_file ("compose.yaml", "include:\n  - path: a.yaml\n    pth: b\n");
  m3 = load_fail (&o);
  assert_non_null (strstr (m3, "compose.yaml:3:5: unknown key `pth` in `include`"));
  write_file ("compose.yaml", "include:\n  - path: []\n");
  m4 = load_fail (&o);
  assert_non_null (strstr (m4, "compose.yaml:2:11: `path` of an `include` entry is empty"));
  write_file ("compose.yaml", "include: [null]\n");
  m5 = load_fail (&o);
  assert_non_null (strstr (m5, "compose.yaml:1:11: expected a path, not an empty value"));
}

/* Files a compose file names must be regular files: a FIFO would leave
   `config` waiting for a writer forever, a device is read forever.  The
   error points at the key that named them.  */
static void
test_named_files_must_be_regular (void **state)
{
  struct cc_compose_options o = { .workdir = tmp };
  cleanup_free char *fifo = path_in ("pipe"), *m1 = NULL, *m2 = NULL, *m3 = NULL, *m4 = NULL, *m5 = NULL;
  cleanup_free char *dotenv = path_in (".env");

  (void)state;
  assert_int_equal (mkfifo (fifo, 0600), 0);
  write_file ("compose.yaml", "include:\n  - ./pipe\n");
  m1 = load_fail (&o);
  assert_non_null (strstr (m1, "compose.yaml:2:5: read `"));
  assert_non_null (strstr (m1, "pipe`: not a regular file (a FIFO)"));
  write_file ("compose.yaml", "include:\n  - /dev/zero\n");
  m2 = load_fail (&o);
  assert_non_null (strstr (m2, "compose.yaml:2:5: read `/dev/zero`: not a regular file (a character device)"));
  write_file ("inc.yaml", "services: {}\n");
  write_file ("compose.yaml", "include:\n  - path: inc.yaml\n    env_file: pipe\n");
  m3 = load_fail (&o);
  assert_non_null (strstr (m3, "compose.yaml:2:5: include: env file: read `"));
  write_file ("compose.yaml", "services:\n  web:\n    extends: {file: pipe, service: x}\n");
  m4 = load_fail (&o);
  assert_non_null (strstr (m4, "compose.yaml:3:14: read `"));
  /* The project's own .env, found rather than named.  */
  write_file ("compose.yaml", "services: {}\n");
  assert_int_equal (symlink (fifo, dotenv), 0);
  m5 = load_fail (&o);
  assert_non_null (strstr (m5, "not a regular file (a FIFO)"));
  unlink (dotenv);
  unlink (fifo);
}

static void
test_include_conflict_and_cycle (void **state)
{
  struct cc_compose_options o = { .workdir = tmp };
  cleanup_free char *m1 = NULL, *m2 = NULL;

  (void)state;
  write_file ("compose.yaml", "include: [other.yaml]\nservices:\n  web:\n    image: mine\n");
  write_file ("other.yaml", "services:\n  web:\n    image: theirs\n");
  m1 = load_fail (&o);
  assert_non_null (strstr (m1, "compose.yaml:3:3: services.web is also defined by the included file"));
  assert_non_null (strstr (m1, "other.yaml:2"));
  write_file ("compose.yaml", "include: [other.yaml]\n");
  write_file ("other.yaml", "include: [compose.yaml]\n");
  m2 = load_fail (&o);
  assert_non_null (strstr (m2, "other.yaml:1:11: include cycle:"));
  assert_non_null (strstr (m2, "compose.yaml -> "));
}

static void
test_extends_same_file (void **state)
{
  struct cc_compose_options o = { .workdir = tmp };
  cleanup_loaded struct cc_loaded *l = NULL;
  const struct cc_node *web;

  (void)state;
  write_file ("compose.yaml", "services:\n"
                              "  base:\n    image: base\n    environment: [A=1]\n    ports: ['80']\n"
                              "  mid:\n    extends: base\n    environment: {B: 2}\n"
                              "  web:\n    extends:\n      service: mid\n    image: web\n    ports: ['443']\n");
  l = load_ok (&o);
  web = cc_node_map_get (cc_node_map_get (l->root, "services"), "web");
  assert_null (cc_node_map_get (web, "extends"));
  assert_string_equal (cc_node_map_get_string (web, "image"), "web");
  assert_string_equal (cc_node_map_get_string (cc_node_map_get (web, "environment"), "A"), "1");
  assert_string_equal (cc_node_map_get_string (cc_node_map_get (web, "environment"), "B"), "2");
  assert_int_equal (cc_node_map_get (web, "ports")->len, 2);
}

static void
test_extends_other_file (void **state)
{
  struct cc_compose_options o = { .workdir = tmp };
  cleanup_loaded struct cc_loaded *l = NULL;
  cleanup_free char *ctx = path_in ("common/ctx");
  cleanup_free char *envf = path_in ("common/base.env");
  const struct cc_node *web;

  (void)state;
  write_file ("compose.yaml", "services:\n  web:\n    extends:\n      file: common/base.yml\n      service: app\n"
                              "    command: run\n");
  write_file ("common/base.yml", "services:\n  app:\n    build: ./ctx\n    env_file: base.env\n"
                                 "    volumes: ['./data:/data:ro', 'named:/n']\n    command: [old]\n");
  l = load_ok (&o);
  web = cc_node_map_get (cc_node_map_get (l->root, "services"), "web");
  /* Relative paths of the extended file are relative to that file.  */
  assert_string_equal (cc_node_map_get_string (web, "build"), ctx);
  assert_string_equal (cc_node_map_get (web, "env_file")->value, envf);
  assert_true (strstr (cc_node_map_get (web, "volumes")->items[0]->value, "/common/data:/data:ro") != NULL);
  assert_string_equal (cc_node_map_get (web, "volumes")->items[1]->value, "named:/n");
  assert_string_equal (cc_node_map_get_string (web, "command"), "run");
}

static void
test_extends_cycle_and_missing (void **state)
{
  struct cc_compose_options o = { .workdir = tmp };
  cleanup_free char *m1 = NULL, *m2 = NULL;

  (void)state;
  write_file ("compose.yaml", "services:\n  a:\n    extends: b\n  b:\n    extends: a\n");
  m1 = load_fail (&o);
  assert_non_null (strstr (m1, "`extends` cycle: a -> b -> a"));
  write_file ("compose.yaml", "services:\n  a:\n    extends: {service: nope}\n");
  m2 = load_fail (&o);
  assert_non_null (strstr (m2, "compose.yaml:3:14: `extends`: no service `nope`"));
}

static void
test_hostile_depths (void **state)
{
  struct cc_compose_options o = { .workdir = tmp };
  cleanup_free char *m1 = NULL, *m2 = NULL;
  char name[32], text[128];
  char big[8192] = "services:\n";

  (void)state;
  /* 40 files each including the next.  */
  write_file ("compose.yaml", "include: [f1.yaml]\n");
  for (int i = 1; i <= 40; i++)
    {
      snprintf (name, sizeof (name), "f%d.yaml", i);
      snprintf (text, sizeof (text), "include: [f%d.yaml]\n", i + 1);
      write_file (name, i == 40 ? "services: {}\n" : text);
    }
  m1 = load_fail (&o);
  assert_non_null (strstr (m1, "`include` nested deeper than 32 files"));
  /* A chain of 40 services each extending the next one (in file order
     the chain is resolved from its far end).  */
  for (int i = 40; i >= 1; i--)
    {
      snprintf (text, sizeof (text), "  s%d:\n    extends: s%d\n", i, i - 1);
      strcat (big, text);
    }
  strcat (big, "  s0:\n    image: x\n");
  write_file ("compose.yaml", big);
  m2 = load_fail (&o);
  assert_non_null (strstr (m2, "`extends` chain longer than 32 services"));
}

static void
test_stdin (void **state)
{
  char *files[] = { (char *)"-", NULL };
  struct cc_compose_options o = { .workdir = tmp, .files = files };
  cleanup_loaded struct cc_loaded *l = NULL;
  cleanup_free char *p = path_in ("stdin.yaml");
  int saved = dup (0), fd;

  (void)state;
  write_file ("stdin.yaml", "services:\n  web:\n    image: from-stdin\n");
  fd = open (p, O_RDONLY);
  assert_true (fd >= 0);
  dup2 (fd, 0);
  close (fd);
  l = load_ok (&o);
  dup2 (saved, 0);
  close (saved);
  assert_string_equal (svc_get (l, "web", "image"), "from-stdin");
  /* The project directory is the working directory.  */
  assert_string_equal (l->project_dir, tmp);
  assert_string_equal (l->files[0], "-");
}

int
main (void)
{
#define T(f) cmocka_unit_test_setup_teardown (f, setup, teardown)
  const struct CMUnitTest tests[] = {
    T (test_discovery_upward),
    T (test_discovery_prefers_compose_yaml_and_override),
    T (test_nothing_found),
    T (test_file_list_order_and_relative),
    T (test_missing_file),
    T (test_top_level_not_a_map),
    T (test_env_precedence),
    T (test_missing_env_file_is_an_error),
    T (test_no_interpolate),
    T (test_interpolation_error_names_file),
    T (test_project_name_rules),
    T (test_project_name_normalize),
    T (test_project_directory_option),
    T (test_project_directory_discovery),
    T (test_compose_file_from_dotenv),
    T (test_include),
    T (test_include_long_form),
    T (test_include_malformed),
    T (test_include_conflict_and_cycle),
    T (test_named_files_must_be_regular),
    T (test_extends_same_file),
    T (test_extends_other_file),
    T (test_extends_cycle_and_missing),
    T (test_hostile_depths),
    T (test_stdin),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
