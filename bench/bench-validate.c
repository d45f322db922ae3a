/* SPDX-License-Identifier: Apache-2.0 */
/* validate throughput in one process over a corpus of configs, next to
 * the raw yajl parse floor of the same bytes, interleaved so both see the
 * same machine; then the peak RSS of `ocigate validate` on each file.
 * Usage: bench-validate [-t SECONDS] OCIGATE FILE... */
#include "config.h"

#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <yajl/yajl_parse.h>
#include <yajl/yajl_tree.h>

#include "ocigate/engine.h"

extern char **environ;

struct input
{
  char *path, *buf;
  size_t len;
};

static double
now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
floor_pass (struct input *in, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      yajl_handle h = yajl_alloc (NULL, NULL, NULL);
      if (yajl_parse (h, (const unsigned char *)in[i].buf, in[i].len) != yajl_status_ok
          || yajl_complete_parse (h) != yajl_status_ok)
        abort ();
      yajl_free (h);
    }
}

/* yajl's own tree: what a reader that keeps the document costs. */
static void
tree_pass (struct input *in, size_t n)
{
  char errbuf[128];
  for (size_t i = 0; i < n; i++)
    {
      yajl_val v = yajl_tree_parse (in[i].buf, errbuf, sizeof (errbuf));
      if (v == NULL)
        abort ();
      yajl_tree_free (v);
    }
}

static void
validate_pass (const ocigate_policy_t *pol, struct input *in, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      ocigate_error_t err = NULL;
      ocigate_result_t res;
      ocigate_doc_t *doc = ocigate_config_parse (in[i].buf, in[i].len, pol, in[i].path, &err);
      if (doc == NULL)
        {
          fprintf (stderr, "%s\n", err->msg);
          abort ();
        }
      ocigate_eval_opts_t opts = { .name = in[i].path, .bundle = "/tmp" };
      if (ocigate_evaluate (pol, doc, &opts, &res, &err) < 0)
        abort ();
      ocigate_result_free (&res);
      ocigate_doc_free (doc);
    }
}

static long
child_rss_kib (const char *ocigate, const char *file)
{
  pid_t pid;
  char *argv[] = { (char *)ocigate, "validate", (char *)file, NULL };
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init (&fa);
  posix_spawn_file_actions_addopen (&fa, 1, "/dev/null", O_WRONLY, 0);
  if (posix_spawn (&pid, ocigate, &fa, NULL, argv, environ) != 0)
    return -1;
  posix_spawn_file_actions_destroy (&fa);
  int st;
  struct rusage ru;
  if (wait4 (pid, &st, 0, &ru) < 0)
    return -1;
  return ru.ru_maxrss;
}

int
main (int argc, char **argv)
{
  double secs = 3;
  int a = 1;
  if (argc > 2 && strcmp (argv[1], "-t") == 0)
    {
      secs = atof (argv[2]);
      a = 3;
    }
  if (argc - a < 2)
    {
      fprintf (stderr, "usage: bench-validate [-t SECONDS] OCIGATE FILE...\n");
      return 2;
    }
  const char *ocigate = argv[a++];
  size_t n = (size_t)(argc - a), bytes = 0;
  struct input *in = xzalloc (n * sizeof (*in));
  ocigate_error_t err = NULL;
  for (size_t i = 0; i < n; i++)
    {
      in[i].path = argv[a + (int)i];
      if (ocigate_read_file (in[i].path, 1 << 24, &in[i].buf, &in[i].len, &err) < 0)
        {
          fprintf (stderr, "%s\n", err->msg);
          return 2;
        }
      bytes += in[i].len;
    }
  ocigate_policy_t *pol = ocigate_policy_load (NULL, &err);
  if (pol == NULL)
    return 2;

  /* Warm up, then alternate short slices of each so drift hits both. */
  floor_pass (in, n);
  validate_pass (pol, in, n);
  double t_floor = 0, t_tree = 0, t_val = 0;
  long r_floor = 0, r_val = 0;
  double end = now () + secs;
  while (now () < end)
    {
      double t0 = now ();
      for (int k = 0; k < 20; k++)
        floor_pass (in, n);
      double t1 = now ();
      for (int k = 0; k < 20; k++)
        validate_pass (pol, in, n);
      double t2 = now ();
      for (int k = 0; k < 20; k++)
        tree_pass (in, n);
      double t3 = now ();
      t_floor += t1 - t0;
      t_val += t2 - t1;
      t_tree += t3 - t2;
      r_floor += 20;
      r_val += 20;
    }
  double floor_rate = (double)r_floor * (double)n / t_floor;
  double val_rate = (double)r_val * (double)n / t_val;
  double tree_rate = (double)r_floor * (double)n / t_tree;
  struct rusage self;
  getrusage (RUSAGE_SELF, &self);

  long worst = 0;
  const char *worst_file = "";
  for (size_t i = 0; i < n; i++)
    {
      long k = child_rss_kib (ocigate, in[i].path);
      if (k > worst)
        worst = k, worst_file = in[i].path;
    }
  printf ("corpus: %zu configs, %zu bytes (mean %zu)\n", n, bytes, bytes / n);
  printf ("yajl parse floor (lexer, no callbacks): %9.0f configs/s\n", floor_rate);
  printf ("yajl_tree_parse + free:                 %9.0f configs/s\n", tree_rate);
  printf ("ocigate validate (parse+check+rules):   %9.0f configs/s  (%.0f%% of the lexer "
          "floor, %.0f%% of yajl_tree)\n",
          val_rate, 100.0 * val_rate / floor_rate, 100.0 * val_rate / tree_rate);
  printf ("bench process peak RSS: %ld KiB\n", self.ru_maxrss);
  printf ("ocigate validate peak RSS: %ld KiB (worst: %s)\n", worst, worst_file);
  ocigate_policy_free (pol);
  return 0;
}
