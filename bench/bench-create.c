/* SPDX-License-Identifier: Apache-2.0 */
/* Times `create` through ocigate against a bare exec wrapper and the
 * runtime alone, interleaved in one loop so drift hits all three alike.
 *
 *   bench-create ROUNDS BUNDLE TEMPLATE OCIGATE BARE
 *
 * Each round first restores BUNDLE/config.json from TEMPLATE (untimed),
 * then times one spawn-to-exit of each of
 *   OCIGATE --root R --log L --log-format json create --bundle B --pid-file P ID
 *   BARE    (same arguments)
 *   /bin/true (same arguments)
 * with OCIGATE_RUNTIME=/bin/true and OCIGATE_POLICY from the environment.
 * Prints medians, 90th percentiles, and the peak RSS of ocigate (ru_maxrss
 * of the process, which spans ocigate and the runtime it became). */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static char *
slurp (const char *path, size_t *len)
{
  FILE *f = fopen (path, "rb");
  if (f == NULL)
    {
      perror (path);
      exit (2);
    }
  fseek (f, 0, SEEK_END);
  long n = ftell (f);
  rewind (f);
  char *buf = malloc ((size_t)n + 1);
  if (buf == NULL || fread (buf, 1, (size_t)n, f) != (size_t)n)
    exit (2);
  fclose (f);
  *len = (size_t)n;
  return buf;
}

static void
put (const char *path, const char *buf, size_t len)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || write (fd, buf, len) != (ssize_t)len || close (fd) < 0)
    {
      perror (path);
      exit (2);
    }
}

static double
now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static double cpu_us; /* CPU time (user + system) of the last child */

/* Microseconds from spawn to reaped exit; *rss in KiB. */
static double
timed (const char *prog, char **argv, long *rss)
{
  pid_t pid;
  int st;
  struct rusage ru;
  argv[0] = (char *)prog;
  double t0 = now ();
  if (posix_spawn (&pid, prog, NULL, NULL, argv, environ) != 0)
    {
      perror (prog);
      exit (2);
    }
  if (wait4 (pid, &st, 0, &ru) != pid || !WIFEXITED (st) || WEXITSTATUS (st) != 0)
    {
      fprintf (stderr, "bench-create: %s failed (status %d)\n", prog, st);
      exit (2);
    }
  double t = now () - t0;
  cpu_us = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6
           + (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
  if (rss && ru.ru_maxrss > *rss)
    *rss = ru.ru_maxrss;
  return t;
}

static int
cmp (const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double
pct (double *v, int n, double p)
{
  qsort (v, (size_t)n, sizeof (*v), cmp);
  return v[(int)(p * (n - 1) + 0.5)];
}

int
main (int argc, char **argv)
{
  if (argc != 6)
    {
      fprintf (stderr, "usage: bench-create ROUNDS BUNDLE TEMPLATE OCIGATE BARE\n");
      return 2;
    }
  int rounds = atoi (argv[1]);
  const char *bundle = argv[2];
  size_t tlen;
  char *tmpl = slurp (argv[3], &tlen);
  const char *ocigate = argv[4], *bare = argv[5];
  char config[4096], root[4096], log[4096], pidf[4096];
  snprintf (config, sizeof (config), "%s/config.json", bundle);
  snprintf (root, sizeof (root), "%s/runc-root", bundle);
  snprintf (log, sizeof (log), "%s/log.json", bundle);
  snprintf (pidf, sizeof (pidf), "%s/init.pid", bundle);
  char *args[] = { NULL,
                   (char *)"--root",
                   root,
                   (char *)"--log",
                   log,
                   (char *)"--log-format",
                   (char *)"json",
                   (char *)"create",
                   (char *)"--bundle",
                   (char *)bundle,
                   (char *)"--pid-file",
                   pidf,
                   (char *)"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                   NULL };
  setenv ("OCIGATE_RUNTIME", "/bin/true", 1);
  double *g = calloc ((size_t)rounds, sizeof (double));
  double *b = calloc ((size_t)rounds, sizeof (double));
  double *t = calloc ((size_t)rounds, sizeof (double));
  double *p = calloc ((size_t)rounds, sizeof (double));
  double *cg = calloc ((size_t)rounds, sizeof (double));
  double *cb = calloc ((size_t)rounds, sizeof (double));
  double *ct = calloc ((size_t)rounds, sizeof (double));
  double *cp = calloc ((size_t)rounds, sizeof (double));
  /* a passthrough (start) costs ocigate's startup alone */
  char *pargs[] = { NULL, (char *)"--root", root, (char *)"start", args[12], NULL };
  long rss = 0, rss_bare = 0;
  for (int w = 0; w < 20; w++) /* warm the page cache */
    {
      put (config, tmpl, tlen);
      timed (ocigate, args, NULL);
      timed (bare, args, NULL);
      timed ("/bin/true", args, NULL);
    }
  for (int i = 0; i < rounds; i++)
    {
      put (config, tmpl, tlen);
      /* rotate the order so no program always runs first */
      for (int k = 0; k < 4; k++)
        switch ((i + k) % 4)
          {
          case 0:
            g[i] = timed (ocigate, args, &rss);
            cg[i] = cpu_us;
            break;
          case 1:
            b[i] = timed (bare, args, &rss_bare);
            cb[i] = cpu_us;
            break;
          case 2:
            p[i] = timed (ocigate, pargs, NULL);
            cp[i] = cpu_us;
            break;
          default:
            t[i] = timed ("/bin/true", args, NULL);
            ct[i] = cpu_us;
          }
    }
  /* the last round's output is the hardened config */
  size_t olen;
  char *out = slurp (config, &olen);
  if (olen == tlen && memcmp (out, tmpl, tlen) == 0)
    {
      fprintf (stderr, "bench-create: the config was not rewritten\n");
      return 2;
    }
  double gm = pct (g, rounds, 0.5), bm = pct (b, rounds, 0.5), tm = pct (t, rounds, 0.5);
  double pm = pct (p, rounds, 0.5);
  double g9 = pct (g, rounds, 0.9), b9 = pct (b, rounds, 0.9), t9 = pct (t, rounds, 0.9);
  double p9 = pct (p, rounds, 0.9);
  double cgm = pct (cg, rounds, 0.5), cbm = pct (cb, rounds, 0.5), ctm = pct (ct, rounds, 0.5);
  double cpm = pct (cp, rounds, 0.5);
  printf ("rounds              %d (config %zu bytes in, %zu out)\n", rounds, tlen, olen);
  printf ("                    wall median   p90   cpu median  (microseconds)\n");
  printf ("/bin/true           %7.0f %7.0f %9.0f\n", tm, t9, ctm);
  printf ("bare-exec           %7.0f %7.0f %9.0f\n", bm, b9, cbm);
  printf ("ocigate passthrough %7.0f %7.0f %9.0f\n", pm, p9, cpm);
  printf ("ocigate create      %7.0f %7.0f %9.0f\n", gm, g9, cgm);
  printf ("own cost (wall): bare-exec %.0f us, ocigate passthrough %.0f us, create %.0f us; "
          "create/bare %.2f\n",
          bm - tm, pm - tm, gm - tm, (gm - tm) / (bm - tm));
  printf ("own cost (cpu):  bare-exec %.0f us, ocigate passthrough %.0f us, create %.0f us; "
          "create/bare %.2f\n",
          cbm - ctm, cpm - ctm, cgm - ctm, (cgm - ctm) / (cbm - ctm));
  printf ("peak RSS: ocigate %ld KiB, bare-exec %ld KiB\n", rss, rss_bare);
  return 0;
}
