// SPDX-License-Identifier: Apache-2.0
/*
 * resolve-names: check that syscall names resolve with libseccomp.
 *
 *   resolve-names [--any] [-v] ARCH[,ARCH...] [NAME...]
 *
 * ARCH is a libseccomp architecture name ("x86_64", "x86", "x32",
 * "aarch64", "arm", "native") or an OCI token ("SCMP_ARCH_X86_64", ...).
 * Names come from the argument list or, when none is given, from stdin
 * (one per line, blank lines ignored).
 *
 * A name "resolves" on an architecture when
 * seccomp_syscall_resolve_name_arch() returns a real syscall number (>= 0).
 * libseccomp returns negative numbers for everything else:
 *   -1 (__NR_SCMP_ERROR)   the name is unknown to libseccomp altogether;
 *   -101 .. -224           socketcall(2)/ipc(2) multiplexed pseudo-syscalls
 *                          (e.g. "socket" on x86): libseccomp can filter
 *                          them, but they are not a syscall of their own;
 *   <= -10000 (__PNR_*)    known to libseccomp, absent on this architecture
 *                          (e.g. "open" on aarch64); rules naming it are
 *                          silently skipped there.
 *
 * Default: every name must resolve on every ARCH.  --any: on at least one.
 * Exit 0 if all names pass, 1 if any fails (each failure is named on
 * stderr), 2 on usage error or unknown architecture.
 */
#include <ctype.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ARCHES 16

static const char *describe(int nr)
{
	if (nr >= 0)
		return "syscall";
	if (nr == __NR_SCMP_ERROR)
		return "unknown to libseccomp";
	if (nr > -10000)
		return "multiplexed pseudo-syscall";
	return "absent on this architecture";
}

/* "SCMP_ARCH_X86_64" -> "x86_64"; other spellings pass through. */
static void arch_name(const char *in, char *out, size_t outsz)
{
	size_t i;

	if (strncmp(in, "SCMP_ARCH_", 10) == 0)
		in += 10;
	for (i = 0; in[i] != '\0' && i + 1 < outsz; i++)
		out[i] = (char)tolower((unsigned char)in[i]);
	out[i] = '\0';
}

static int check(const char *name, int narch, const uint32_t *tok,
		 char names[][32], int any, int verbose)
{
	int nr[MAX_ARCHES];
	int i, ok = 0, bad = 0;

	for (i = 0; i < narch; i++) {
		nr[i] = seccomp_syscall_resolve_name_arch(tok[i], name);
		if (nr[i] >= 0)
			ok++;
		else
			bad++;
	}
	if (verbose) {
		printf("%s", name);
		for (i = 0; i < narch; i++)
			printf(" %s=%d", names[i], nr[i]);
		printf("\n");
	}
	if (any ? ok > 0 : bad == 0)
		return 0;
	for (i = 0; i < narch; i++)
		if (nr[i] < 0)
			fprintf(stderr, "resolve-names: %s: %s on %s (%d)\n",
				name, describe(nr[i]), names[i], nr[i]);
	return 1;
}

int main(int argc, char **argv)
{
	char names[MAX_ARCHES][32];
	uint32_t tok[MAX_ARCHES];
	int any = 0, verbose = 0, narch = 0, failed = 0, i;
	char *list, *p, *save = NULL;

	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
		if (strcmp(argv[i], "--any") == 0)
			any = 1;
		else if (strcmp(argv[i], "-v") == 0)
			verbose = 1;
		else if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		} else {
			fprintf(stderr, "resolve-names: unknown option %s\n", argv[i]);
			return 2;
		}
	}
	if (i >= argc) {
		fprintf(stderr, "usage: resolve-names [--any] [-v] ARCH[,ARCH...] [NAME...]\n");
		return 2;
	}
	list = strdup(argv[i++]);
	if (list == NULL)
		return 2;
	for (p = strtok_r(list, ", ", &save); p != NULL; p = strtok_r(NULL, ", ", &save)) {
		if (narch == MAX_ARCHES) {
			fprintf(stderr, "resolve-names: too many architectures\n");
			return 2;
		}
		arch_name(p, names[narch], sizeof(names[narch]));
		tok[narch] = seccomp_arch_resolve_name(names[narch]);
		if (tok[narch] == 0) {
			fprintf(stderr, "resolve-names: unknown architecture %s\n", p);
			return 2;
		}
		narch++;
	}
	free(list);
	if (narch == 0) {
		fprintf(stderr, "resolve-names: no architecture given\n");
		return 2;
	}

	if (i < argc) {
		for (; i < argc; i++)
			failed |= check(argv[i], narch, tok, names, any, verbose);
	} else {
		char line[256];

		while (fgets(line, sizeof(line), stdin) != NULL) {
			line[strcspn(line, "\r\n")] = '\0';
			if (line[0] == '\0')
				continue;
			failed |= check(line, narch, tok, names, any, verbose);
		}
	}
	return failed ? 1 : 0;
}
