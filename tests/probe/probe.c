// SPDX-License-Identifier: Apache-2.0
/*
 * probe: run inside a container to see what its seccomp filter lets through.
 *
 * Build (static, so it runs in any rootfs):
 *     gcc -static -O2 -Wall -o probe tests/probe/probe.c -lpthread
 *
 *   probe blocked [--errno N] [--clone3-errno N] [NAME...]
 *       Attempt every syscall the `seccomp` rule calls dangerous, plus clone
 *       and clone3 with namespace flags, unshare(CLONE_NEWUSER) and
 *       socket(AF_VSOCK / AF_ALG).  One line per attempt:
 *           BLOCKED name errno=N        failed with the seccomp errno
 *           BLOCKED name signal=N       killed by SIGSYS (a KILL/TRAP action)
 *           ALLOWED name ret=R errno=N  succeeded, or failed some other way
 *           SKIP name reason            no such syscall on this architecture
 *       Exit 0 only if every attempt was BLOCKED (or SKIP).
 *       The seccomp errno is --errno, else $PROBE_ERRNO, else 1 (EPERM);
 *       clone3's is --clone3-errno, else $PROBE_CLONE3_ERRNO, else 38 (ENOSYS).
 *       Giving the profile a distinctive defaultErrnoRet (e.g. 95) and passing
 *       the same --errno tells a seccomp block from a capability check's EPERM.
 *       NAMEs restrict the run to the attempts whose name starts with NAME.
 *
 *   probe allowed [DIR]
 *       Ordinary things a workload needs: threads, fork, posix_spawn, sockets,
 *       epoll, mmap, clocks, getrandom, signals, file I/O in DIR (default /tmp).
 *       One line per item, "OK name" or "FAIL name errno=N (text)".
 *       Exit 0 only if all are OK.
 *
 *   probe traced [--errno N]
 *       unshare(CLONE_NEWUSER) in a child traced with PTRACE_O_TRACESECCOMP,
 *       the tracer resuming every seccomp stop: what a profile's
 *       SCMP_ACT_TRACE is worth inside a container that may ptrace its own
 *       children.  One BLOCKED/ALLOWED line as for `blocked`; exit 0 only if
 *       BLOCKED (SKIP and exit 0 when ptrace itself is refused).
 *
 *   probe list        print the names of the `blocked` attempts
 *   probe true        exit 0 (used by `allowed` as a posix_spawn target)
 *
 * Every attempt of `blocked` runs in its own forked child and uses arguments
 * that make it fail harmlessly (or succeed harmlessly) even when run as root
 * with every capability and no seccomp filter: nonexistent paths, invalid
 * magic numbers and flags, fd -1, NULL pointers.  Namespaces created by a
 * successful clone/unshare live only in that child, which exits at once.
 * socket(AF_VSOCK) and socket(AF_ALG) may make the kernel autoload a module.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/quota.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif
#ifndef AF_ALG
#define AF_ALG 38
#endif
#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif

/* Paths that do not exist anywhere: every path-taking attempt uses them. */
#define NOPATH "/nonexistent-ocigate-probe/x"
#define NOMODULE "ocigate_probe_no_such_module"

extern char **environ;

/* ---------------------------------------------------------------- blocked */

struct clone_args_probe {	/* struct clone_args, CLONE_ARGS_SIZE_VER0 */
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack,
		 stack_size, tls;
};

/* A raw clone-like call: in the new child (return 0) exit at once. */
static long child_exits(long r)
{
	if (r == 0)
		_exit(0);
	if (r > 0)
		waitpid((pid_t)r, NULL, __WALL);
	return r > 0 ? 0 : r;
}

static long do_clone(unsigned long flags)
{
	/* Arguments after flags are 0/NULL, so their per-arch order is moot. */
	return child_exits(syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0));
}

static long do_clone3(unsigned long flags)
{
#ifdef SYS_clone3
	struct clone_args_probe a;

	memset(&a, 0, sizeof(a));
	a.flags = flags;
	a.exit_signal = SIGCHLD;
	return child_exits(syscall(SYS_clone3, &a, sizeof(a)));
#else
	(void)flags;
	errno = ENOSYS;
	return -2;	/* SKIP */
#endif
}

static long do_socket(unsigned long family)
{
	long fd = syscall(SYS_socket, family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd >= 0)
		close((int)fd);
	return fd >= 0 ? 0 : fd;
}

#define SKIPPED (-2L)

static long attempt(int id);

struct dangerous {
	const char *name;
	int clone3;	/* expect the clone3 errno instead of the default one */
};

static const struct dangerous dangerous[] = {
	{ "mount", 0 },
	{ "umount2", 0 },
	{ "unshare(CLONE_NEWUSER)", 0 },
	{ "unshare(CLONE_NEWNS)", 0 },
	{ "setns", 0 },
	{ "pivot_root", 0 },
	{ "keyctl", 0 },
	{ "add_key", 0 },
	{ "request_key", 0 },
	{ "bpf", 0 },
	{ "kexec_load", 0 },
	{ "kexec_file_load", 0 },
	{ "init_module", 0 },
	{ "finit_module", 0 },
	{ "delete_module", 0 },
	{ "open_by_handle_at", 0 },
	{ "userfaultfd", 0 },
	{ "perf_event_open", 0 },
	{ "reboot", 0 },
	{ "swapon", 0 },
	{ "swapoff", 0 },
	{ "acct", 0 },
	{ "quotactl", 0 },
	{ "iopl", 0 },
	{ "ioperm", 0 },
	{ "lookup_dcookie", 0 },
	{ "io_uring_setup", 0 },
	{ "io_uring_enter", 0 },
	{ "io_uring_register", 0 },
	{ "clone(CLONE_NEWUSER)", 0 },
	{ "clone(CLONE_NEWNS)", 0 },
	{ "clone(CLONE_NEWNET)", 0 },
	{ "clone(CLONE_NEWPID)", 0 },
	{ "clone(CLONE_NEWUTS)", 0 },
	{ "clone(CLONE_NEWIPC)", 0 },
	{ "clone(CLONE_NEWCGROUP)", 0 },
	{ "clone3(CLONE_NEWUSER)", 1 },
	{ "clone3(CLONE_NEWNS)", 1 },
	{ "socket(AF_VSOCK)", 0 },
	{ "socket(AF_ALG)", 0 },
	{ "socket(AF_VSOCK|1<<32)", 0 },
	{ "socket(AF_ALG|1<<32)", 0 },
};
#define NDANGEROUS (int)(sizeof(dangerous) / sizeof(dangerous[0]))

/*
 * Perform attempt `id`.  Returns the syscall's result (>= 0 success, -1 with
 * errno set on failure) or SKIPPED when the syscall does not exist here.
 */
static long attempt(int id)
{
	const char *n = dangerous[id].name;

	errno = 0;
	if (strcmp(n, "mount") == 0)
		/* bind of a nonexistent path onto a nonexistent path: ENOENT */
		return syscall(SYS_mount, NOPATH, NOPATH, NULL, MS_BIND | MS_RDONLY, NULL);
	if (strcmp(n, "umount2") == 0)
		return syscall(SYS_umount2, NOPATH, 0);
	if (strcmp(n, "unshare(CLONE_NEWUSER)") == 0)
		return syscall(SYS_unshare, CLONE_NEWUSER);	/* only this child */
	if (strcmp(n, "unshare(CLONE_NEWNS)") == 0)
		return syscall(SYS_unshare, CLONE_NEWNS);
	if (strcmp(n, "setns") == 0)
		return syscall(SYS_setns, -1, 0);			/* EBADF */
	if (strcmp(n, "pivot_root") == 0)
		return syscall(SYS_pivot_root, NOPATH, NOPATH);	/* ENOENT */
	if (strcmp(n, "keyctl") == 0)
		return syscall(SYS_keyctl, 0x7fffffff, 0, 0, 0, 0); /* bad op: EOPNOTSUPP */
	if (strcmp(n, "add_key") == 0)
		return syscall(SYS_add_key, NULL, NULL, NULL, 0, 0); /* EFAULT */
	if (strcmp(n, "request_key") == 0)
		return syscall(SYS_request_key, NULL, NULL, NULL, 0); /* EFAULT */
	if (strcmp(n, "bpf") == 0)
		return syscall(SYS_bpf, 0x7fffffff, NULL, 0);	/* bad cmd: EINVAL */
	if (strcmp(n, "kexec_load") == 0)
		/* too many segments, undefined flag bit, foreign arch: EINVAL.
		 * (0 segments with flags 0 would unload the kexec kernel.) */
		return syscall(SYS_kexec_load, 0UL, 0xffffUL, NULL, 0x7fff8000UL);
	if (strcmp(n, "kexec_file_load") == 0) {
#ifdef SYS_kexec_file_load
		/* undefined flag (not KEXEC_FILE_UNLOAD) and fd -1: EINVAL/EBADF */
		return syscall(SYS_kexec_file_load, -1, -1, 0UL, NULL, 0x80000000UL);
#else
		return SKIPPED;
#endif
	}
	if (strcmp(n, "init_module") == 0)
		return syscall(SYS_init_module, NULL, 0UL, "");	/* empty image: ENOEXEC */
	if (strcmp(n, "finit_module") == 0)
		return syscall(SYS_finit_module, -1, "", 0);		/* EBADF */
	if (strcmp(n, "delete_module") == 0)
		return syscall(SYS_delete_module, NOMODULE, O_NONBLOCK); /* ENOENT */
	if (strcmp(n, "open_by_handle_at") == 0) {
		struct { unsigned int bytes; int type; unsigned char h[8]; } fh = { 0, 0, { 0 } };

		return syscall(SYS_open_by_handle_at, -1, &fh, O_RDONLY); /* EBADF */
	}
	if (strcmp(n, "userfaultfd") == 0) {
		long fd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);

		if (fd >= 0)
			close((int)fd);
		return fd;
	}
	if (strcmp(n, "perf_event_open") == 0)
		return syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0UL); /* EFAULT */
	if (strcmp(n, "reboot") == 0)
		return syscall(SYS_reboot, 0, 0, 0, NULL);	/* bad magic: EINVAL */
	if (strcmp(n, "swapon") == 0)
		return syscall(SYS_swapon, NOPATH, 0);
	if (strcmp(n, "swapoff") == 0)
		return syscall(SYS_swapoff, NOPATH);
	if (strcmp(n, "acct") == 0)
		return syscall(SYS_acct, NOPATH);		/* never NULL: that stops accounting */
	if (strcmp(n, "quotactl") == 0)
		return syscall(SYS_quotactl, QCMD(Q_GETFMT, USRQUOTA), NOPATH, 0, NULL);
	if (strcmp(n, "iopl") == 0) {
#ifdef SYS_iopl
		return syscall(SYS_iopl, 4);			/* level > 3: EINVAL */
#else
		return SKIPPED;
#endif
	}
	if (strcmp(n, "ioperm") == 0) {
#ifdef SYS_ioperm
		return syscall(SYS_ioperm, 0UL, 0UL, 0);	/* empty range: EINVAL */
#else
		return SKIPPED;
#endif
	}
	if (strcmp(n, "lookup_dcookie") == 0) {
#ifdef SYS_lookup_dcookie
		return syscall(SYS_lookup_dcookie, 0ULL, NULL, 0UL);
#else
		return SKIPPED;
#endif
	}
	if (strcmp(n, "io_uring_setup") == 0)
		return syscall(SYS_io_uring_setup, 1, NULL);		/* EFAULT */
	if (strcmp(n, "io_uring_enter") == 0)
		return syscall(SYS_io_uring_enter, -1, 0, 0, 0, NULL, 0); /* EBADF */
	if (strcmp(n, "io_uring_register") == 0)
		return syscall(SYS_io_uring_register, -1, 0, NULL, 0);	/* EBADF */
	if (strcmp(n, "clone(CLONE_NEWUSER)") == 0)
		return do_clone(CLONE_NEWUSER);
	if (strcmp(n, "clone(CLONE_NEWNS)") == 0)
		return do_clone(CLONE_NEWNS);
	if (strcmp(n, "clone(CLONE_NEWNET)") == 0)
		return do_clone(CLONE_NEWNET);
	if (strcmp(n, "clone(CLONE_NEWPID)") == 0)
		return do_clone(CLONE_NEWPID);
	if (strcmp(n, "clone(CLONE_NEWUTS)") == 0)
		return do_clone(CLONE_NEWUTS);
	if (strcmp(n, "clone(CLONE_NEWIPC)") == 0)
		return do_clone(CLONE_NEWIPC);
	if (strcmp(n, "clone(CLONE_NEWCGROUP)") == 0)
		return do_clone(CLONE_NEWCGROUP);
	if (strcmp(n, "clone3(CLONE_NEWUSER)") == 0)
		return do_clone3(CLONE_NEWUSER);
	if (strcmp(n, "clone3(CLONE_NEWNS)") == 0)
		return do_clone3(CLONE_NEWNS);
	if (strcmp(n, "socket(AF_VSOCK)") == 0)
		return do_socket(AF_VSOCK);
	if (strcmp(n, "socket(AF_ALG)") == 0)
		return do_socket(AF_ALG);
	/*
	 * The kernel reads socket()'s family as an int: garbage in the upper
	 * half of the 64-bit register is ignored by it, but not by a seccomp
	 * comparison of the whole register (arg0 != 40 lets 1<<32|40 through).
	 */
	if (strcmp(n, "socket(AF_VSOCK|1<<32)") == 0 || strcmp(n, "socket(AF_ALG|1<<32)") == 0) {
		if (sizeof(long) < 8)
			return SKIPPED;
		return do_socket((unsigned long)(n[10] == 'V' ? AF_VSOCK : AF_ALG) |
				 (1UL << 16 << 16));
	}
	errno = EINVAL;
	return -1;
}

/* Result of one attempt, sent from the child to the parent. */
struct result {
	long ret;
	int err;
};

static int parse_int(const char *s, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *s == '\0' || *end != '\0' || v < 0 || v > 4095) {
		fprintf(stderr, "probe: bad %s: %s\n", what, s);
		exit(2);
	}
	return (int)v;
}

static void print_status_header(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];

	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "Seccomp:", 8) == 0 || strncmp(line, "NoNewPrivs:", 11) == 0 ||
		    strncmp(line, "CapEff:", 7) == 0 || strncmp(line, "Uid:", 4) == 0)
			printf("# %s", line);
	fclose(f);
}

static int selected(const char *name, int argc, char **argv)
{
	int i;

	if (argc == 0)
		return 1;
	for (i = 0; i < argc; i++)
		if (strncmp(name, argv[i], strlen(argv[i])) == 0)
			return 1;
	return 0;
}

static int cmd_blocked(int argc, char **argv)
{
	const char *env;
	int want = 1, want3 = 38, failed = 0, i;

	if ((env = getenv("PROBE_ERRNO")) != NULL && *env != '\0')
		want = parse_int(env, "PROBE_ERRNO");
	if ((env = getenv("PROBE_CLONE3_ERRNO")) != NULL && *env != '\0')
		want3 = parse_int(env, "PROBE_CLONE3_ERRNO");
	while (argc > 0 && argv[0][0] == '-') {
		if (strcmp(argv[0], "--errno") == 0 && argc > 1)
			want = parse_int(argv[1], "--errno");
		else if (strcmp(argv[0], "--clone3-errno") == 0 && argc > 1)
			want3 = parse_int(argv[1], "--clone3-errno");
		else {
			fprintf(stderr, "probe: blocked: unknown option %s\n", argv[0]);
			return 2;
		}
		argc -= 2;
		argv += 2;
	}

	print_status_header();
	printf("# expecting errno=%d (clone3: errno=%d)\n", want, want3);
	fflush(stdout);

	for (i = 0; i < NDANGEROUS; i++) {
		const char *name = dangerous[i].name;
		int expect = dangerous[i].clone3 ? want3 : want;
		struct result r = { 0, 0 };
		int pfd[2], status;
		pid_t pid;
		ssize_t got;

		if (!selected(name, argc, argv))
			continue;
		if (pipe(pfd) != 0) {
			perror("probe: pipe");
			return 2;
		}
		pid = fork();
		if (pid < 0) {
			perror("probe: fork");
			return 2;
		}
		if (pid == 0) {
			close(pfd[0]);
			r.ret = attempt(i);
			r.err = errno;
			if (write(pfd[1], &r, sizeof(r)) != (ssize_t)sizeof(r))
				_exit(3);
			_exit(0);
		}
		close(pfd[1]);
		got = read(pfd[0], &r, sizeof(r));
		close(pfd[0]);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		if (got != (ssize_t)sizeof(r)) {
			if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS) {
				printf("BLOCKED %s signal=%d\n", name, WTERMSIG(status));
			} else {
				printf("ALLOWED %s ret=? errno=? (child status %#x)\n", name, status);
				failed = 1;
			}
		} else if (r.ret == SKIPPED) {
			printf("SKIP %s no such syscall on this architecture\n", name);
		} else if (r.ret < 0 && r.err == expect) {
			printf("BLOCKED %s errno=%d\n", name, r.err);
		} else {
			printf("ALLOWED %s ret=%ld errno=%d (%s)\n", name, r.ret,
			       r.ret < 0 ? r.err : 0, r.ret < 0 ? strerror(r.err) : "success");
			failed = 1;
		}
		fflush(stdout);
	}
	return failed;
}

/* ----------------------------------------------------------------- traced */

static int cmd_traced(int argc, char **argv)
{
	const char *env;
	int want = 1, status, pfd[2], stops = 0;
	struct result r = { 0, 0 };
	pid_t pid;
	ssize_t got;

	if ((env = getenv("PROBE_ERRNO")) != NULL && *env != '\0')
		want = parse_int(env, "PROBE_ERRNO");
	if (argc >= 2 && strcmp(argv[0], "--errno") == 0)
		want = parse_int(argv[1], "--errno");
	else if (argc > 0) {
		fprintf(stderr, "probe: traced: unknown option %s\n", argv[0]);
		return 2;
	}
	print_status_header();
	if (pipe(pfd) != 0) {
		perror("probe: pipe");
		return 2;
	}
	pid = fork();
	if (pid < 0) {
		perror("probe: fork");
		return 2;
	}
	if (pid == 0) {
		close(pfd[0]);
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) != 0) {
			r.ret = SKIPPED;
			r.err = errno;
		} else {
			raise(SIGSTOP);
			errno = 0;
			r.ret = syscall(SYS_unshare, CLONE_NEWUSER);
			r.err = errno;
		}
		if (write(pfd[1], &r, sizeof(r)) != (ssize_t)sizeof(r))
			_exit(3);
		_exit(0);
	}
	close(pfd[1]);
	for (;;) {
		int sig = 0;

		if (waitpid(pid, &status, 0) < 0) {
			if (errno == EINTR)
				continue;
			perror("probe: waitpid");
			return 2;
		}
		if (WIFEXITED(status) || WIFSIGNALED(status))
			break;
		if (!WIFSTOPPED(status))
			continue;
		if (WSTOPSIG(status) == SIGSTOP && stops == 0)
			/* the child's raise(SIGSTOP): start tracing seccomp */
			ptrace(PTRACE_SETOPTIONS, pid, NULL,
			       (void *)(long)(PTRACE_O_TRACESECCOMP | PTRACE_O_EXITKILL));
		else if ((status >> 8) == (SIGTRAP | (PTRACE_EVENT_SECCOMP << 8)))
			printf("# seccomp stop %d: resumed by the tracer\n", stops);
		else
			sig = WSTOPSIG(status);
		stops++;
		ptrace(PTRACE_CONT, pid, NULL, (void *)(long)sig);
	}
	got = read(pfd[0], &r, sizeof(r));
	close(pfd[0]);
	if (got != (ssize_t)sizeof(r)) {
		if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS) {
			printf("BLOCKED unshare(CLONE_NEWUSER) signal=%d (traced)\n", WTERMSIG(status));
			return 0;
		}
		printf("ALLOWED unshare(CLONE_NEWUSER) ret=? errno=? (child status %#x, traced)\n", status);
		return 1;
	}
	if (r.ret == SKIPPED) {
		printf("SKIP unshare(CLONE_NEWUSER) ptrace(PTRACE_TRACEME) failed errno=%d (%s)\n",
		       r.err, strerror(r.err));
		return 0;
	}
	if (r.ret < 0 && r.err == want) {
		printf("BLOCKED unshare(CLONE_NEWUSER) errno=%d (traced)\n", r.err);
		return 0;
	}
	printf("ALLOWED unshare(CLONE_NEWUSER) ret=%ld errno=%d (%s, traced)\n", r.ret,
	       r.ret < 0 ? r.err : 0, r.ret < 0 ? strerror(r.err) : "success");
	return 1;
}

/* ---------------------------------------------------------------- allowed */

static int nfail;

static void report(const char *name, int err)
{
	if (err == 0)
		printf("OK %s\n", name);
	else {
		printf("FAIL %s errno=%d (%s)\n", name, err, strerror(err));
		nfail++;
	}
	fflush(stdout);
}

static void *thread_fn(void *arg)
{
	*(int *)arg = 42;
	return arg;
}

static int t_pthread(void)
{
	pthread_t t;
	int v = 0, e;
	void *ret = NULL;

	if ((e = pthread_create(&t, NULL, thread_fn, &v)) != 0)
		return e;
	if ((e = pthread_join(t, &ret)) != 0)
		return e;
	return (v == 42 && ret == &v) ? 0 : EPROTO;
}

static int t_fork(void)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return errno;
	if (pid == 0)
		_exit(7);
	if (waitpid(pid, &status, 0) < 0)
		return errno;
	return (WIFEXITED(status) && WEXITSTATUS(status) == 7) ? 0 : EPROTO;
}

static int t_spawn(const char *self)
{
	char *args[] = { (char *)"probe", (char *)"true", NULL };
	int status, e;
	pid_t pid;

	if ((e = posix_spawn(&pid, self, NULL, NULL, args, environ)) != 0)
		return e;
	if (waitpid(pid, &status, 0) < 0)
		return errno;
	return (WIFEXITED(status) && WEXITSTATUS(status) == 0) ? 0 : EPROTO;
}

static int t_inet(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int s, c = -1, x = -1, e = 0;
	char buf[4];

	s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return errno;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(s, 1) != 0 ||
	    getsockname(s, (struct sockaddr *)&a, &len) != 0)
		e = errno;
	else if ((c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
		 connect(c, (struct sockaddr *)&a, sizeof(a)) != 0 ||
		 (x = accept4(s, NULL, NULL, SOCK_CLOEXEC)) < 0 ||
		 send(c, "ping", 4, 0) != 4 || recv(x, buf, 4, MSG_WAITALL) != 4)
		e = errno ? errno : EPROTO;
	else if (memcmp(buf, "ping", 4) != 0)
		e = EPROTO;
	if (x >= 0)
		close(x);
	if (c >= 0)
		close(c);
	close(s);
	return e;
}

static int t_unix(void)
{
	int sv[2], s, e = 0;
	char buf[4];

	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return errno;
	close(s);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		return errno;
	if (write(sv[0], "pong", 4) != 4 || read(sv[1], buf, 4) != 4)
		e = errno ? errno : EPROTO;
	else if (memcmp(buf, "pong", 4) != 0)
		e = EPROTO;
	close(sv[0]);
	close(sv[1]);
	return e;
}

static int t_netlink(void)
{
	int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, 0 /* NETLINK_ROUTE */);

	if (s < 0)
		return errno;
	close(s);
	return 0;
}

static int t_epoll(void)
{
	struct epoll_event ev, out;
	int p[2], ep, n, e = 0;

	if (pipe2(p, O_CLOEXEC) != 0)
		return errno;
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0) {
		e = errno;
		goto out;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.fd = p[0];
	if (epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev) != 0 || write(p[1], "x", 1) != 1) {
		e = errno;
		goto out;
	}
	n = epoll_wait(ep, &out, 1, 1000);
	if (n < 0)
		e = errno;
	else if (n != 1 || out.data.fd != p[0])
		e = EPROTO;
out:
	if (ep >= 0)
		close(ep);
	close(p[0]);
	close(p[1]);
	return e;
}

static int t_eventfd_timerfd(void)
{
	struct itimerspec its = { { 0, 0 }, { 0, 1000000 } };
	uint64_t v;
	int efd, tfd, e = 0;

	if ((efd = eventfd(1, EFD_CLOEXEC)) < 0)
		return errno;
	if (read(efd, &v, sizeof(v)) != (ssize_t)sizeof(v) || v != 1)
		e = errno ? errno : EPROTO;
	close(efd);
	if (e != 0)
		return e;
	if ((tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC)) < 0)
		return errno;
	if (timerfd_settime(tfd, 0, &its, NULL) != 0 ||
	    read(tfd, &v, sizeof(v)) != (ssize_t)sizeof(v))
		e = errno ? errno : EPROTO;
	close(tfd);
	return e;
}

static int t_mmap(void)
{
	size_t sz = 4 * (size_t)sysconf(_SC_PAGESIZE);
	char *p = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return errno;
	memset(p, 0xa5, sz);
	if (mprotect(p, sz, PROT_READ) != 0 || madvise(p, sz, MADV_DONTNEED) != 0) {
		int e = errno;

		munmap(p, sz);
		return e;
	}
	if (munmap(p, sz) != 0)
		return errno;
	return 0;
}

static int t_clock(void)
{
	struct timespec ts, d = { 0, 1000000 };

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0 || clock_gettime(CLOCK_MONOTONIC, &ts) != 0 ||
	    clock_getres(CLOCK_MONOTONIC, &ts) != 0 || nanosleep(&d, NULL) != 0)
		return errno;
	return 0;
}

static int t_getrandom(void)
{
	unsigned char b[32];

	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		return errno ? errno : EPROTO;
	return 0;
}

static volatile sig_atomic_t got_signal;

static void on_usr1(int sig)
{
	got_signal = sig;
}

static int t_signal(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL) != 0 || kill(getpid(), SIGUSR1) != 0)
		return errno;
	return got_signal == SIGUSR1 ? 0 : EPROTO;
}

static int t_personality(void)
{
	/* 0xffffffff queries the current persona: glibc, Go and others do it. */
	if (personality(0xffffffff) < 0)
		return errno;
	return 0;
}

static int t_prctl(void)
{
	char name[16];

	if (prctl(PR_SET_NAME, "probe-allowed", 0, 0, 0) != 0 ||
	    prctl(PR_GET_NAME, name, 0, 0, 0) != 0)
		return errno;
	return 0;
}

static int t_files(const char *dir)
{
	char a[4096], b[4096], buf[16];
	struct stat st;
	int fd, e = 0;

	snprintf(a, sizeof(a), "%s/probe-%ld.tmp", dir, (long)getpid());
	snprintf(b, sizeof(b), "%s/probe-%ld.renamed", dir, (long)getpid());
	fd = open(a, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return errno;
	if (write(fd, "hello\n", 6) != 6 || fsync(fd) != 0)
		e = errno ? errno : EIO;
	close(fd);
	if (e == 0 && rename(a, b) != 0)
		e = errno;
	if (e == 0 && stat(b, &st) != 0)
		e = errno;
	if (e == 0) {
		fd = open(b, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			e = errno;
		else {
			if (read(fd, buf, sizeof(buf)) != 6 || memcmp(buf, "hello\n", 6) != 0)
				e = errno ? errno : EPROTO;
			close(fd);
		}
	}
	if (unlink(e == 0 ? b : a) != 0 && e == 0)
		e = errno;
	unlink(b);
	return e;
}

static int cmd_allowed(int argc, char **argv)
{
	const char *dir = argc > 0 ? argv[0] : "/tmp";

	print_status_header();
	report("pthread_create+join", t_pthread());
	report("fork+wait", t_fork());
	report("posix_spawn", t_spawn("/proc/self/exe"));
	report("socket(AF_INET)+bind+connect", t_inet());
	report("socket(AF_UNIX)+socketpair", t_unix());
	report("socket(AF_NETLINK)", t_netlink());
	report("epoll+pipe", t_epoll());
	report("eventfd+timerfd", t_eventfd_timerfd());
	report("mmap+mprotect+munmap", t_mmap());
	report("clock_gettime+nanosleep", t_clock());
	report("getrandom", t_getrandom());
	report("sigaction+kill", t_signal());
	report("personality(query)", t_personality());
	report("prctl(PR_SET_NAME)", t_prctl());
	report("file write+read+rename+unlink", t_files(dir));
	return nfail ? 1 : 0;
}

/* ------------------------------------------------------------------- main */

static void usage(FILE *f)
{
	fprintf(f, "usage: probe blocked [--errno N] [--clone3-errno N] [NAME...]\n"
		   "       probe allowed [DIR]\n"
		   "       probe traced [--errno N]\n"
		   "       probe list | true\n");
}

int main(int argc, char **argv)
{
	int i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "blocked") == 0)
		return cmd_blocked(argc - 2, argv + 2);
	if (strcmp(argv[1], "allowed") == 0)
		return cmd_allowed(argc - 2, argv + 2);
	if (strcmp(argv[1], "traced") == 0)
		return cmd_traced(argc - 2, argv + 2);
	if (strcmp(argv[1], "list") == 0) {
		for (i = 0; i < NDANGEROUS; i++)
			printf("%s\n", dangerous[i].name);
		return 0;
	}
	if (strcmp(argv[1], "true") == 0)
		return 0;
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return 0;
	}
	usage(stderr);
	return 2;
}
