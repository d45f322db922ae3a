/* SPDX-License-Identifier: Apache-2.0 */
/* The floor for a wrapper in front of a runtime: a C program that does
 * nothing but exec the runtime (/bin/true here) with its own arguments. */
#include <stdio.h>
#include <unistd.h>

int
main (int argc, char **argv)
{
  (void)argc;
  argv[0] = (char *)"/bin/true";
  execv (argv[0], argv);
  perror ("bare-exec: /bin/true");
  return 127;
}
