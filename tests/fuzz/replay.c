/* SPDX-License-Identifier: Apache-2.0 */
/* Replays a fuzz corpus through a target without libFuzzer, so every
 * build (gcc included) keeps the targets compiling and the corpus
 * passing.  Usage: replay FILE|DIR... */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"
#include "ocigate/util.h"

static int
run_file (const char *path)
{
  char *buf;
  size_t len;
  ocigate_error_t err = NULL;
  if (ocigate_read_file (path, 64 << 20, &buf, &len, &err) < 0)
    {
      fprintf (stderr, "replay: %s\n", err->msg);
      ocigate_error_free (&err);
      return -1;
    }
  LLVMFuzzerTestOneInput ((const uint8_t *)buf, len);
  free (buf);
  return 0;
}

int
main (int argc, char **argv)
{
  int n = 0;
  for (int i = 1; i < argc; i++)
    {
      struct stat st;
      if (stat (argv[i], &st) < 0)
        {
          perror (argv[i]);
          return 1;
        }
      if (!S_ISDIR (st.st_mode))
        {
          if (run_file (argv[i]) < 0)
            return 1;
          n++;
          continue;
        }
      DIR *d = opendir (argv[i]);
      struct dirent *de;
      while (d && (de = readdir (d)) != NULL)
        {
          if (de->d_name[0] == '.')
            continue;
          char *p = xasprintf ("%s/%s", argv[i], de->d_name);
          struct stat est;
          if (stat (p, &est) == 0 && !S_ISREG (est.st_mode))
            {
              free (p);
              continue;
            }
          if (run_file (p) < 0)
            return 1;
          free (p);
          n++;
        }
      if (d)
        closedir (d);
    }
  printf ("replayed %d inputs\n", n);
  /* A corpus that went missing must not pass silently. */
  return n > 0 ? 0 : 1;
}
