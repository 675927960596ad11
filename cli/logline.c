/* One log line as `logs` and attached `up` print it, in Docker Compose
   v2's format: the label left-aligned in the width of the longest label
   plus one, then " | ", the whole prefix in its service's colour (the
   reset after the separator's space), then the line.  */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "engine/logs.h"
#include "lib/cleanup.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

/* Compose's rainbow: cyan, yellow, green, magenta, blue, then the same
   bright.  */
static const char *const palette[] = { "\033[36m",   "\033[33m",   "\033[32m",   "\033[35m",   "\033[34m",
                                       "\033[36;1m", "\033[33;1m", "\033[32;1m", "\033[35;1m", "\033[34;1m" };

void
cli_log_look_set (struct cli_log_look *k, char *const *labels, const int *colors)
{
  size_t n = cc_strv_len (labels);

  k->labels = cc_strv_dup (labels);
  k->colors = xmemdup (colors, (n + 1) * sizeof (int));
  k->width = 0;
  for (size_t i = 0; i < n; i++)
    if ((int)strlen (labels[i]) > k->width)
      k->width = (int)strlen (labels[i]);
  k->width++;
}

void
cli_log_look_print (void *opaque, const struct cc_log_line *l)
{
  const struct cli_log_look *k = opaque;

  if (k->prefix && k->color)
    printf ("%s%-*s | \033[0m", palette[k->colors[l->index] % CC_N_ELEMENTS (palette)], k->width, k->labels[l->index]);
  else if (k->prefix)
    printf ("%-*s | ", k->width, k->labels[l->index]);
  if (k->timestamps && l->time)
    printf ("%s ", l->time);
  fwrite (l->text, 1, l->len, stdout);
  putchar ('\n');
  fflush (stdout);
}

void
cli_log_look_release (struct cli_log_look *k)
{
  cc_strv_free (k->labels);
  free (k->colors);
  k->labels = NULL;
  k->colors = NULL;
}
