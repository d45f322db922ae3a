/* SPDX-License-Identifier: Apache-2.0 */
/* The ocigate side of the argv differential: reads one argv per line
 * (words separated by tabs, argv[0] left out), parses it with ocigate's
 * runc parser and prints what the gate acts on, in oracle.go's format. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime-internal.h"

static const char *
last_value (const ocigate_rt_argv_t *a, ocigate_rt_flag_id_t id)
{
  for (size_t i = a->n_flags; i-- > 0;)
    if (a->flags[i].id == id && !a->flags[i].global)
      return a->flags[i].value;
  return "";
}

static const char *
last_bool (const ocigate_rt_argv_t *a, ocigate_rt_flag_id_t id)
{
  for (size_t i = a->n_flags; i-- > 0;)
    if (a->flags[i].id == id && !a->flags[i].global)
      return a->flags[i].bval ? "true" : "false";
  return "~";
}

static void
print_list (const char *name, const ocigate_rt_argv_t *a, ocigate_rt_flag_id_t id)
{
  const char *sep = "";
  printf ("\t%s=", name);
  for (size_t i = 0; i < a->n_flags; i++)
    if (a->flags[i].id == id && !a->flags[i].global && !a->flags[i].ignored)
      {
        printf ("%s%s", sep, a->flags[i].value);
        sep = "|";
      }
}

static int
cmp_int64 (const void *x, const void *y)
{
  int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
  return (a > b) - (a < b);
}

/* The additional gids as the set runc applies. */
static void
print_gids (const ocigate_rt_argv_t *a)
{
  int64_t v[256];
  size_t n = 0;
  for (size_t i = 0; i < a->n_flags && n < 256; i++)
    if (a->flags[i].id == RF_ADDITIONAL_GIDS && ocigate_go_parse_int (a->flags[i].value, 10, &v[n]))
      n++;
  qsort (v, n, sizeof (*v), cmp_int64);
  printf ("\tgids=");
  for (size_t i = 0; i < n; i++)
    if (i == 0 || v[i] != v[i - 1])
      printf ("%s%lld", i ? "|" : "", (long long)v[i]);
}

static void
print_result (const ocigate_rt_argv_t *a)
{
  switch (a->cmd)
    {
    case OCIGATE_RT_NONE:
      puts ("none");
      return;
    case OCIGATE_RT_OTHER:
      puts ("other");
      return;
    default:
      break;
    }
  printf ("%s\tok\troot=%s\tlog=%s\tlog-format=%s\tid=%s\tnargs=%zu\targs=", a->cmd_name,
          a->root ? a->root : "~", a->log ? a->log : "~", a->log_format ? a->log_format : "~",
          a->args[0], a->n_args);
  for (size_t i = 0; i < a->n_args; i++)
    printf ("%s%s", i ? "|" : "", a->args[i]);
  if (a->cmd == OCIGATE_RT_EXEC)
    {
      int64_t fds = 0;
      const char *f = last_value (a, RF_PRESERVE_FDS);
      if (*f && !ocigate_go_parse_int (f, 0, &fds))
        fds = -1;
      printf ("\tprocess=%s\tuser=%s\tcwd=%s\tapparmor=%s\tprocess-label=%s",
              a->process ? a->process : "", last_value (a, RF_USER), last_value (a, RF_CWD),
              last_value (a, RF_APPARMOR), last_value (a, RF_PROCESS_LABEL));
      printf ("\ttty=%s\tno-new-privs=%s", last_bool (a, RF_TTY), last_bool (a, RF_NO_NEW_PRIVS));
      print_list ("cap", a, RF_CAP);
      print_list ("env", a, RF_ENV);
      print_gids (a);
      print_list ("cgroup", a, RF_CGROUP);
      printf ("\tdetach=%s\tpreserve-fds=%lld", last_bool (a, RF_DETACH), (long long)fds);
    }
  else
    {
      printf ("\tbundle=%s", a->bundle ? a->bundle : "");
      if (a->cmd == OCIGATE_RT_RESTORE)
        {
          printf ("\timage-path=%s", last_value (a, RF_IMAGE_PATH));
          print_list ("empty-ns", a, RF_EMPTY_NS);
          printf ("\tlsm-profile=%s", last_value (a, RF_LSM_PROFILE));
        }
    }
  putchar ('\n');
}

int
main (void)
{
  static char line[1 << 16];
  char *words[256];
  while (fgets (line, sizeof (line), stdin))
    {
      line[strcspn (line, "\n")] = '\0';
      int n = 0;
      words[n++] = (char *)"runc";
      for (char *p = line; n < 255; p++)
        {
          words[n++] = p;
          p += strcspn (p, "\t");
          if (*p == '\0')
            break;
          *p = '\0';
        }
      words[n] = NULL;
      ocigate_rt_argv_t a;
      ocigate_error_t err = NULL;
      if (ocigate_argv_parse (n, words, &a, &err) < 0)
        puts ("err");
      else if (a.help)
        puts ("help");
      else
        print_result (&a);
      ocigate_error_free (&err);
      ocigate_argv_free (&a);
    }
  return ferror (stdout) ? 1 : 0;
}
