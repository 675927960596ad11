/* `command: "..."` split into words with a POSIX shell's quoting rules
   (quotes and backslashes; no expansion), as Docker Compose does.  */
#include <string.h>

#include "compose/model.h"
#include "lib/buf.h"
#include "lib/cleanup.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

static bool
is_blank (char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Inside double quotes a backslash only escapes these.  */
static bool
escapable_in_double (char c)
{
  return c == '\\' || c == '"' || c == '$' || c == '`' || c == '\n';
}

int
cc_shell_split (const char *s, char ***out, cc_error_t *err)
{
  cleanup_strv char **words = NULL;
  cleanup_buf struct cc_buf word = { 0 };
  bool in_word = false;
  char quote = 0;

  for (const char *p = s; *p; p++)
    {
      if (quote == '\'')
        {
          if (*p == '\'')
            quote = 0;
          else
            cc_buf_putc (&word, *p);
          continue;
        }
      if (quote == '"')
        {
          if (*p == '"')
            quote = 0;
          else if (*p == '\\' && escapable_in_double (p[1]))
            cc_buf_putc (&word, *++p);
          else
            cc_buf_putc (&word, *p);
          continue;
        }
      if (is_blank (*p))
        {
          if (in_word)
            cc_strv_push (&words, cc_buf_steal (&word));
          in_word = false;
          continue;
        }
      in_word = true;
      if (*p == '\'' || *p == '"')
        quote = *p;
      else if (*p == '\\' && p[1])
        cc_buf_putc (&word, *++p);
      else
        cc_buf_putc (&word, *p);
    }
  if (quote)
    return cc_error_make (err, 0, "unterminated %s quote in `%s`", quote == '"' ? "double" : "single", s);
  if (in_word)
    cc_strv_push (&words, cc_buf_steal (&word));
  if (words == NULL)
    words = xzalloc (sizeof (char *));
  *out = steal_pointer (&words);
  return 0;
}
