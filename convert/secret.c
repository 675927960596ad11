/* Which variables are secrets, and the `$` rules of container commands.
   Kompose puts every env_file value into a ConfigMap, in plain text for
   anyone who may read ConfigMaps (kompose#1267): values that look secret
   go to a Secret instead.  */
#include <ctype.h>
#include <string.h>

#include "convert/internal.h"
#include "lib/buf.h"
#include "lib/cleanup.h"
#include "lib/xalloc.h"

/* Words that make a name a secret wherever they appear (DBPASSWORD,
   GITHUB_TOKEN), and short ones that must be a word of their own (KEY in
   API_KEY, not in MONKEY_COUNT).  */
static const char *const secret_infixes[] = {
  "PASSWORD", "PASSWD", "PASSPHRASE", "SECRET", "TOKEN", "CREDENTIAL", "PRIVATEKEY", "APIKEY", "ACCESSKEY",
};
static const char *const secret_words[] = { "PASS", "PWD", "KEY", "KEYS", "CREDS", "AUTH", "SALT", "CERT" };

/* NAME upper-cased with camelCase humps split: dbPassword -> DB_PASSWORD.  */
static char *
words_of (const char *name)
{
  struct cc_buf b = { 0 };

  for (const char *p = name; *p; p++)
    {
      if (p != name && islower ((unsigned char)p[-1]) && isupper ((unsigned char)*p))
        cc_buf_putc (&b, '_');
      cc_buf_putc (&b, isalnum ((unsigned char)*p) ? (char)toupper ((unsigned char)*p) : '_');
    }
  return cc_buf_steal (&b);
}

static bool
has_secret_word (const char *words)
{
  cleanup_free char *copy = xstrdup (words);
  char *save = NULL;

  for (size_t i = 0; i < CC_N_ELEMENTS (secret_infixes); i++)
    if (strstr (words, secret_infixes[i]))
      return true;
  for (char *w = strtok_r (copy, "_", &save); w; w = strtok_r (NULL, "_", &save))
    for (size_t i = 0; i < CC_N_ELEMENTS (secret_words); i++)
      if (strcmp (w, secret_words[i]) == 0)
        return true;
  return false;
}

/* scheme://user:password@host: a connection string with its password.  */
static bool
has_url_password (const char *value)
{
  const char *scheme = strstr (value, "://"), *at, *colon;

  if (scheme == NULL)
    return false;
  at = strchr (scheme + 3, '@');
  if (at == NULL)
    return false;
  colon = memchr (scheme + 3, ':', (size_t)(at - scheme - 3));
  return colon && colon + 1 < at && ! memchr (scheme + 3, '/', (size_t)(at - scheme - 3));
}

/* POSTGRES_PASSWORD_FILE=/run/secrets/db: where a secret is, not one.  */
static bool
names_a_file (const char *words, const char *value)
{
  size_t n = strlen (words);

  return value && value[0] == '/' && n > 5
         && (strcmp (words + n - 5, "_FILE") == 0 || strcmp (words + n - 5, "_PATH") == 0);
}

bool
cv_env_is_secret (const char *name, const char *value)
{
  cleanup_free char *words = words_of (name);

  if (names_a_file (words, value))
    return false;

  /* PWD is the shell's working directory, not a password.  */
  if (strcmp (name, "PWD") == 0 || strcmp (name, "OLDPWD") == 0)
    return value && has_url_password (value);
  return has_secret_word (words) || (value && has_url_password (value));
}

char *
cv_escape_dollars (const char *text)
{
  struct cc_buf b = { 0 };

  for (const char *p = text; *p; p++)
    {
      if (*p == '$' && (p[1] == '(' || p[1] == '$'))
        cc_buf_putc (&b, '$');
      cc_buf_putc (&b, *p);
    }
  return cc_buf_steal (&b);
}
