/* SPDX-License-Identifier: Apache-2.0 */
/* What busybox cannot do for the workload tests, built static at test
 * time and run inside the container:
 *   workload-probe sock PATH   a unix socket server at PATH, a client that
 *                              connects and sends a line, the server reads it
 *   workload-probe uring       io_uring_setup(2) succeeds
 * Exit 0 on success, 1 with the reason on stderr. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

static int
die (const char *what)
{
  fprintf (stderr, "workload-probe: %s: %s\n", what, strerror (errno));
  return 1;
}

int
main (int argc, char **argv)
{
  if (argc == 3 && strcmp (argv[1], "sock") == 0)
    {
      struct sockaddr_un a = { .sun_family = AF_UNIX };
      char buf[8] = "";
      snprintf (a.sun_path, sizeof (a.sun_path), "%s", argv[2]);
      unlink (argv[2]);
      int s = socket (AF_UNIX, SOCK_STREAM, 0), c = socket (AF_UNIX, SOCK_STREAM, 0);
      if (s < 0 || c < 0)
        return die ("socket");
      if (bind (s, (struct sockaddr *)&a, sizeof (a)) < 0)
        return die ("bind");
      if (listen (s, 1) < 0)
        return die ("listen");
      if (connect (c, (struct sockaddr *)&a, sizeof (a)) < 0)
        return die ("connect");
      if (write (c, "ping", 4) != 4)
        return die ("write");
      int x = accept (s, NULL, NULL);
      if (x < 0)
        return die ("accept");
      if (read (x, buf, 4) != 4 || strcmp (buf, "ping") != 0)
        return die ("read");
      return 0;
    }
  if (argc == 2 && strcmp (argv[1], "uring") == 0)
    {
      char params[120] = { 0 };
#ifndef __NR_io_uring_setup
#define __NR_io_uring_setup 425 /* the same on every architecture */
#endif
      long fd = syscall (__NR_io_uring_setup, 1, params);
      if (fd < 0)
        return die ("io_uring_setup");
      return 0;
    }
  fprintf (stderr, "usage: workload-probe sock PATH | uring\n");
  return 2;
}
