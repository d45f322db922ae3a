/* SPDX-License-Identifier: Apache-2.0 */
/* The libseccomp part of what runc 1.1 does with linux.seccomp on every
 * start, without the process start-up around it: a filter with the default
 * action, every listed architecture added, one rule per name (resolved for
 * the native architecture, unknown names skipped, a rule whose action is
 * the default one skipped, comparisons of one argument split into ORed
 * rules), the BPF exported, and each name resolved again on each
 * architecture (runc's ENOSYS stub looks for the highest syscall number).
 * Interleaved over the profiles, ROUNDS compiles each; prints the median.
 * Usage: seccomp-compile ROUNDS PROFILE.json... */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

struct rule
{
  const char *name;
  uint32_t action;
  unsigned nargs;
  bool split;
  struct scmp_arg_cmp args[6];
};

struct profile
{
  const char *path;
  yajl_val tree;
  uint32_t def;
  uint32_t arches[16];
  size_t narch, nrule;
  struct rule *rules;
  double *t;
  long insns;
};

static void
die (const char *path, const char *what)
{
  fprintf (stderr, "seccomp-compile: %s: %s\n", path, what);
  exit (2);
}

static const char *
str (yajl_val obj, const char *key)
{
  const char *p[] = { key, NULL };
  yajl_val v = yajl_tree_get (obj, p, yajl_t_string);
  return v ? YAJL_GET_STRING (v) : NULL;
}

static long long
num (yajl_val obj, const char *key, long long dflt)
{
  const char *p[] = { key, NULL };
  yajl_val v = yajl_tree_get (obj, p, yajl_t_number);
  return v && YAJL_IS_INTEGER (v) ? YAJL_GET_INTEGER (v) : dflt;
}

static uint32_t
action (const char *path, const char *a, long long errno_ret)
{
  if (a && strcmp (a, "SCMP_ACT_ALLOW") == 0)
    return SCMP_ACT_ALLOW;
  if (a && strcmp (a, "SCMP_ACT_ERRNO") == 0)
    return SCMP_ACT_ERRNO ((uint16_t)errno_ret);
  if (a && strcmp (a, "SCMP_ACT_KILL") == 0)
    return SCMP_ACT_KILL;
  if (a && strcmp (a, "SCMP_ACT_LOG") == 0)
    return SCMP_ACT_LOG;
  die (path, "action not handled here");
  return 0;
}

static enum scmp_compare
op (const char *path, const char *o)
{
  static const char *const ops[] = { "",
                                     "SCMP_CMP_NE",
                                     "SCMP_CMP_LT",
                                     "SCMP_CMP_LE",
                                     "SCMP_CMP_EQ",
                                     "SCMP_CMP_GE",
                                     "SCMP_CMP_GT",
                                     "SCMP_CMP_MASKED_EQ" };
  for (int i = 1; i < 8; i++)
    if (o && strcmp (o, ops[i]) == 0)
      return (enum scmp_compare)i;
  die (path, "unknown op");
  return 0;
}

static void
load (struct profile *p, size_t rounds)
{
  FILE *f = fopen (p->path, "r");
  if (f == NULL)
    die (p->path, strerror (errno));
  static char buf[1 << 20];
  size_t n = fread (buf, 1, sizeof (buf) - 1, f);
  fclose (f);
  buf[n] = 0;
  char err[256];
  p->tree = yajl_tree_parse (buf, err, sizeof (err));
  if (p->tree == NULL)
    die (p->path, err);
  p->def = action (p->path, str (p->tree, "defaultAction"), num (p->tree, "defaultErrnoRet", 1));
  const char *ap[] = { "architectures", NULL }, *sp[] = { "syscalls", NULL };
  yajl_val arches = yajl_tree_get (p->tree, ap, yajl_t_array);
  for (size_t i = 0; arches && i < arches->u.array.len && p->narch < 16; i++)
    {
      char lc[32] = "";
      const char *a = YAJL_GET_STRING (arches->u.array.values[i]);
      a += strncmp (a, "SCMP_ARCH_", 10) == 0 ? 10 : 0;
      for (size_t j = 0; a[j] && j + 1 < sizeof (lc); j++)
        lc[j] = (char)tolower ((unsigned char)a[j]);
      if ((p->arches[p->narch] = seccomp_arch_resolve_name (lc)) == 0)
        die (p->path, "unknown architecture");
      p->narch++;
    }
  yajl_val calls = yajl_tree_get (p->tree, sp, yajl_t_array);
  size_t cap = 0;
  for (size_t i = 0; calls && i < calls->u.array.len; i++)
    {
      yajl_val c = calls->u.array.values[i];
      const char *np[] = { "names", NULL }, *gp[] = { "args", NULL };
      yajl_val names = yajl_tree_get (c, np, yajl_t_array);
      yajl_val args = yajl_tree_get (c, gp, yajl_t_array);
      struct rule r = { .action = action (p->path, str (c, "action"), num (c, "errnoRet", 1)) };
      unsigned seen = 0;
      for (size_t k = 0; args && k < args->u.array.len && r.nargs < 6; k++)
        {
          yajl_val a = args->u.array.values[k];
          unsigned idx = (unsigned)num (a, "index", 0);
          r.split |= (seen & (1u << idx)) != 0;
          seen |= 1u << idx;
          r.args[r.nargs++] = (struct scmp_arg_cmp){ idx, op (p->path, str (a, "op")),
                                                     (scmp_datum_t)num (a, "value", 0),
                                                     (scmp_datum_t)num (a, "valueTwo", 0) };
        }
      for (size_t j = 0; names && j < names->u.array.len; j++)
        {
          if (p->nrule == cap)
            p->rules = realloc (p->rules, (cap = cap ? 2 * cap : 256) * sizeof (*p->rules));
          r.name = YAJL_GET_STRING (names->u.array.values[j]);
          p->rules[p->nrule++] = r;
        }
    }
  p->t = calloc (rounds, sizeof (double));
}

static double
now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
compile (struct profile *p, int out)
{
  scmp_filter_ctx ctx = seccomp_init (p->def);
  if (ctx == NULL)
    die (p->path, "seccomp_init");
  for (size_t i = 0; i < p->narch; i++)
    if (seccomp_arch_add (ctx, p->arches[i]) < 0 && p->arches[i] != seccomp_arch_native ())
      die (p->path, "seccomp_arch_add");
  seccomp_attr_set (ctx, SCMP_FLTATR_CTL_NNP, 0);
  seccomp_attr_set (ctx, SCMP_FLTATR_CTL_TSYNC, 1);
  for (size_t i = 0; i < p->nrule; i++)
    {
      const struct rule *r = &p->rules[i];
      if (r->action == p->def)
        continue;
      int nr = seccomp_syscall_resolve_name (r->name);
      if (nr == __NR_SCMP_ERROR)
        continue;
      if (r->split)
        for (unsigned k = 0; k < r->nargs; k++)
          seccomp_rule_add_array (ctx, r->action, nr, 1, &r->args[k]);
      else
        seccomp_rule_add_array (ctx, r->action, nr, r->nargs, r->args);
    }
  if (lseek (out, 0, SEEK_SET) < 0 || ftruncate (out, 0) < 0 || seccomp_export_bpf (ctx, out) < 0)
    die (p->path, "seccomp_export_bpf");
  p->insns = lseek (out, 0, SEEK_CUR) / 8;
  for (size_t a = 0; a < p->narch; a++)
    for (size_t i = 0; i < p->nrule; i++)
      (void)seccomp_syscall_resolve_name_arch (p->arches[a], p->rules[i].name);
  seccomp_release (ctx);
}

static int
dbl_cmp (const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int
main (int argc, char **argv)
{
  if (argc < 3)
    {
      fprintf (stderr, "usage: seccomp-compile ROUNDS PROFILE.json...\n");
      return 2;
    }
  size_t rounds = (size_t)strtoul (argv[1], NULL, 10), np = (size_t)argc - 2;
  if (rounds == 0)
    rounds = 1;
  struct profile *ps = calloc (np, sizeof (*ps));
  for (size_t i = 0; i < np; i++)
    {
      ps[i].path = argv[i + 2];
      load (&ps[i], rounds);
    }
  char tmpl[] = "/tmp/seccomp-compile.XXXXXX";
  int out = mkstemp (tmpl);
  if (out < 0)
    die (tmpl, strerror (errno));
  unlink (tmpl);
  for (size_t r = 0; r < rounds; r++)
    for (size_t k = 0; k < np; k++)
      {
        struct profile *p = &ps[(r + k) % np];
        double t0 = now ();
        compile (p, out);
        p->t[r] = now () - t0;
      }
  printf ("%-48s %8s %6s %6s %6s\n", "profile", "median", "arches", "names", "bpf");
  for (size_t i = 0; i < np; i++)
    {
      qsort (ps[i].t, rounds, sizeof (double), dbl_cmp);
      printf ("%-48s %6.0f us %6zu %6zu %6ld\n", ps[i].path, ps[i].t[rounds / 2] * 1e6, ps[i].narch,
              ps[i].nrule, ps[i].insns);
      yajl_tree_free (ps[i].tree);
      free (ps[i].rules);
      free (ps[i].t);
    }
  free (ps);
  close (out);
  return 0;
}
