/* SPDX-License-Identifier: Apache-2.0 */
#ifndef OCIGATE_RUNTIME_INTERNAL_H
#define OCIGATE_RUNTIME_INTERNAL_H

#include "ocigate/engine.h"
#include "ocigate/runtime.h"

/* ---- argv.c: runc's command line, read the way runc reads it ----
 *
 * runc 1.1 parses with urfave/cli v1 on top of Go's flag package, and a
 * gate that reads argv differently from the runtime vets one bundle while
 * the runtime starts another.  So the rules below are runc's, not getopt's:
 *  - `-name` and `--name` are the same flag, `-name=v` / `--name v` give a
 *    value, a value-taking flag swallows the next word whatever it looks
 *    like, a boolean takes a value only as `--name=v` (Go's ParseBool);
 *  - global flags end at the first non-flag word (the subcommand) or `--`;
 *  - create, run and restore first move every known flag (and the word
 *    after a flag written without `=`, unless that word is itself a known
 *    flag: `-`, `--` and `-x` are values there) before the positional
 *    words (urfave 1.22.9's reorderArgs), so `create ID --bundle B` means
 *    bundle B and `run --bundle - ID` bundle `-`; a `--` that is not a
 *    value moves before the positional words seen so far; exec does not
 *    reorder (runc sets SkipArgReorder), so in `exec ID sh -c x` the `-c`
 *    belongs to the command;
 *  - the long and the short form of one flag together is an error
 *    ("Cannot use two forms of the same flag"); repeating one form keeps
 *    the last value (slices keep all);
 *  - create, run and restore take exactly one positional word, exec at
 *    least one.
 * Anything runc itself would refuse to parse is an error here too, so the
 * runtime is never started on an argv the gate read differently. */

typedef enum
{
  OCIGATE_RT_NONE,  /* no subcommand: runc prints its help */
  OCIGATE_RT_OTHER, /* passed through untouched */
  OCIGATE_RT_CREATE,
  OCIGATE_RT_RUN,
  OCIGATE_RT_RESTORE,
  OCIGATE_RT_EXEC,
  OCIGATE_RT_UPDATE,
} ocigate_rt_cmd_t;

/* Every flag runc 1.1 knows, global and per command. */
typedef enum
{
  RF_HELP,
  RF_VERSION,
  RF_DEBUG,
  RF_LOG,
  RF_LOG_FORMAT,
  RF_ROOT,
  RF_CRIU,
  RF_SYSTEMD_CGROUP,
  RF_ROOTLESS,
  RF_BUNDLE,
  RF_CONSOLE_SOCKET,
  RF_PID_FILE,
  RF_NO_PIVOT,
  RF_NO_NEW_KEYRING,
  RF_PRESERVE_FDS,
  RF_DETACH,
  RF_KEEP,
  RF_NO_SUBREAPER,
  RF_IMAGE_PATH,
  RF_WORK_PATH,
  RF_TCP_ESTABLISHED,
  RF_EXT_UNIX_SK,
  RF_SHELL_JOB,
  RF_FILE_LOCKS,
  RF_MANAGE_CGROUPS_MODE,
  RF_EMPTY_NS,
  RF_AUTO_DEDUP,
  RF_LAZY_PAGES,
  RF_LSM_PROFILE,
  RF_LSM_MOUNT_CONTEXT,
  RF_CWD,
  RF_ENV,
  RF_TTY,
  RF_USER,
  RF_ADDITIONAL_GIDS,
  RF_PROCESS,
  RF_PROCESS_LABEL,
  RF_APPARMOR,
  RF_NO_NEW_PRIVS,
  RF_CAP,
  RF_CGROUP,
  RF_IGNORE_PAUSED,
  /* update */
  RF_RESOURCES,
  RF_BLKIO_WEIGHT,
  RF_CPU_PERIOD,
  RF_CPU_QUOTA,
  RF_CPU_SHARE,
  RF_CPU_RT_PERIOD,
  RF_CPU_RT_RUNTIME,
  RF_CPUSET_CPUS,
  RF_CPUSET_MEMS,
  RF_KERNEL_MEMORY,
  RF_KERNEL_MEMORY_TCP,
  RF_MEMORY,
  RF_MEMORY_RESERVATION,
  RF_MEMORY_SWAP,
  RF_PIDS_LIMIT,
  RF_L3_CACHE_SCHEMA,
  RF_MEM_BW_SCHEMA,
  RF_COUNT
} ocigate_rt_flag_id_t;

/* One flag as it occurs on the command line. */
typedef struct
{
  ocigate_rt_flag_id_t id;
  bool global;       /* before the subcommand */
  int index;         /* argv index of the flag word */
  int value_index;   /* argv index of a separate value word, or -1 */
  const char *value; /* borrowed from argv; NULL for a boolean without `=` */
  bool bval;         /* booleans: the parsed value */
  /* Lists: urfave's StringSlice lookup drops this value (the first empty
   * one, unless the list is that one empty value alone), so runc never
   * sees it. */
  bool ignored;
} ocigate_rt_flag_t;

typedef struct
{
  ocigate_rt_cmd_t cmd;
  int cmd_index;            /* argv index of the subcommand word, or -1 */
  const char *cmd_name;     /* borrowed, or NULL */
  bool help;                /* --help/--version (global or the command's): runc only prints */
  ocigate_rt_flag_t *flags; /* owned array, argv order of the flag words */
  size_t n_flags;
  const char **args; /* owned array of borrowed strings: the positional words */
  size_t n_args;
  /* The last value of the flags the gate acts on (borrowed, NULL if absent). */
  const char *root, *log, *log_format, *bundle, *process;
} ocigate_rt_argv_t;

/* Parse argv (argv[0] is skipped).  On error *ret holds what was parsed
 * before the problem (the log destination in particular) and must still be
 * freed. */
int ocigate_argv_parse (int argc, char *const *argv, ocigate_rt_argv_t *ret, ocigate_error_t *err);
void ocigate_argv_free (ocigate_rt_argv_t *a);
/* The long name of a flag, for messages ("bundle"). */
const char *ocigate_argv_flag_name (ocigate_rt_flag_id_t id);
/* Go's strconv.Atoi / ParseInt(s, base, 64): optional sign, base 10 (or
 * base 0: 0x/0o/0b prefixes, leading-zero octal, `_` separators). */
bool ocigate_go_parse_int (const char *s, int base, int64_t *ret);

/* ---- audit.c ---- */

typedef enum
{
  OCIGATE_DECISION_ALLOW,
  OCIGATE_DECISION_REWRITE,
  OCIGATE_DECISION_REJECT,
} ocigate_decision_t;

typedef struct
{
  const char *command;      /* create, run, restore, exec */
  const char *container_id; /* may be NULL */
  const char *bundle;       /* may be NULL */
  ocigate_decision_t decision;
  const ocigate_result_t *res;      /* may be NULL (e.g. the config could not be read) */
  const char *error;                /* why nothing could be judged, or NULL */
  const ocigate_strlist_t *changed; /* JSON pointers a rewrite changed, or NULL */
} ocigate_audit_record_t;

/* One record stays one line of bounded size: at most this many findings
 * (and changed pointers) are listed, the rest counted ("findings_omitted"),
 * and a message or pointer longer than OCIGATE_AUDIT_MAX_STRING is cut. */
#define OCIGATE_AUDIT_MAX_FINDINGS 32
#define OCIGATE_AUDIT_MAX_CHANGED 64
#define OCIGATE_AUDIT_MAX_STRING 512

/* Append one JSON line to the policy's audit file (a single write on an
 * O_APPEND descriptor, so concurrent gates never interleave) and, when the
 * policy says so, to syslog. */
int ocigate_audit_write (const ocigate_policy_t *pol, const ocigate_audit_record_t *rec,
                         ocigate_error_t *err);
/* The JSON line alone (with its newline); for tests. */
int ocigate_audit_format (const ocigate_policy_t *pol, const ocigate_audit_record_t *rec,
                          char **ret, size_t *ret_len, ocigate_error_t *err);
const char *ocigate_decision_name (ocigate_decision_t d);
/* Add to ret the JSON pointers where after differs from before (added,
 * removed or changed members; arrays by index). */
void ocigate_audit_diff (const ocigate_json_t *before, const ocigate_json_t *after,
                         ocigate_strlist_t *ret);
/* flock(LOCK_EX), giving up after ms milliseconds (errno ETIMEDOUT): a
 * gate never waits without end in front of a container start. */
int ocigate_flock_bounded (int fd, unsigned ms);
#define OCIGATE_LOCK_WAIT_MS 5000
/* Whether a syslog daemon listens on /dev/log (glibc's syslog() drops
 * messages silently when none does). */
bool ocigate_syslog_reachable (void);
/* The group id of `adm`, or -1 (read from /etc/group: no NSS in a static
 * binary). */
long ocigate_adm_gid (void);
/* A JSON string node; invalid UTF-8 (paths need not be UTF-8) becomes U+FFFD. */
ocigate_json_t *ocigate_rt_json_string (ocigate_doc_t *doc, const char *s);
/* RFC 3339 UTC time, with microseconds or without a fraction (runc's). */
void ocigate_rt_timestamp (char buf[64], bool fraction);

/* ---- metrics.c ---- */

/* Count one decision in the policy's metrics file (metrics.path; nothing
 * when unset): read-modify-write under flock on FILE.lock, replaced by
 * rename.  audit_failed counts a decision the trail could not record. */
int ocigate_metrics_record (const ocigate_policy_t *pol, const ocigate_audit_record_t *rec,
                            bool audit_failed, ocigate_error_t *err);
/* The file's new text: old (may be NULL) with this decision counted. */
void ocigate_metrics_count (const ocigate_policy_t *pol, const ocigate_audit_record_t *rec,
                            bool audit_failed, char **ret, size_t *ret_len, const char *old);

/* ---- runtime.c / runtime-exec.c: shared state of one invocation ---- */

struct rt
{
  int argc;
  char **argv;
  ocigate_rt_argv_t a;
  ocigate_policy_t *pol;
  const char *runtime; /* borrowed: the environment or pol->runtime */
  /* argv edits decided by vetting */
  bool *drop;                /* argc entries: argv words to leave out */
  char **repl;               /* argc entries: owned replacement of a word, or NULL */
  bool add_nnp;              /* insert --no-new-privs after the subcommand */
  char *add_flag;            /* owned: one more flag word after the subcommand, or NULL */
  char *neuter;              /* owned: `--root=…` before the subcommand, or NULL */
  bool unset_pwd;            /* leave PWD out of the runtime's environment */
  ocigate_strlist_t changed; /* pointers the rewrite changed, for the audit record */
};

/* Where policy has nothing to decide, runc decides: exec the runtime on
 * the caller's argv with `--root` pointing at an empty directory that has
 * been removed, so that runc gives its own message and exit status for
 * usage errors, a missing bundle or config, an unknown container, and yet
 * can never create a container or exec a process (nothing can be created
 * in a removed directory; no container is found there).  Returns only on
 * failure, with the exit code. */
int ocigate_rt_exec_neutered (struct rt *rt);
/* runc's own fatal error: a logrus line to --log (JSON or text) and the
 * bare message on stderr, or the logrus line on stderr without --log;
 * returns code. */
int ocigate_rt_runc_fatal (struct rt *rt, const char *msg, int code);
/* A descriptor number for something runc must open as /proc/self/fd/N:
 * above the descriptors runc hands the container (stdio, $LISTEN_FDS,
 * --preserve-fds), not close-on-exec.  Consumes fd.  -1 on error. */
int ocigate_rt_pass_fd (struct rt *rt, int fd, ocigate_error_t *err);
/* BUNDLE/config.json as runc will read it again: a regular file, not a
 * symlink, in a directory and a file that only root (or the caller) can
 * change.  errno ENOENT in the error when the bundle or file is missing. */
int ocigate_rt_read_config (const char *bundle, size_t max_bytes, char **ret_buf, size_t *ret_len,
                            ocigate_error_t *err);
/* A refusal that is not a finding of a rule (restore, exec --cgroup):
 * audited as a reject, reported, exit 1. */
int ocigate_rt_refuse (struct rt *rt, const char *command, const char *id, const char *bundle,
                       const ocigate_result_t *res, const char *msg);

/* The judged bytes of a process or resources file as a sealed memfd runc
 * opens as /proc/self/fd/N.  Returns that path (owned), or NULL. */
char *ocigate_rt_private_copy (struct rt *rt, const char *data, size_t len, ocigate_error_t *err);

/* exec: find the container, judge --process FILE and the process flags,
 * clamp.  Returns 0 to go on (maybe with argv edits), or an exit code
 * after reporting. */
int ocigate_rt_vet_exec (struct rt *rt);
/* Report a rejection or an error the runc way: one line in --log (JSON or
 * text), the full message on stderr.  oneline may be NULL (msg is used). */
void ocigate_rt_report (struct rt *rt, const char *msg, const char *oneline);
/* The argv the runtime gets: argv[0] replaced, edits applied. */
char **ocigate_rt_final_argv (struct rt *rt);
/* Findings joined for one log line: "a; b; c". */
char *ocigate_rt_oneline (const char *msg);
/* Audit, then report a rejection (also when the audit fails). */
int ocigate_rt_reject (struct rt *rt, const char *command, const char *id, const char *bundle,
                       const ocigate_result_t *res);
/* Audit (and count) an allow or rewrite; a decision the trail cannot
 * record is reported (syslog, else a warning line in --log, else stderr)
 * and the container still starts. */
void ocigate_rt_audit_decision (struct rt *rt, const char *command, const char *id,
                                const char *bundle, ocigate_decision_t d,
                                const ocigate_result_t *res);
/* Audit and report an error that stops the create/exec. */
int ocigate_rt_fail (struct rt *rt, const char *command, const char *id, const char *bundle,
                     ocigate_error_t *err);
/* Move src's findings to the end of dst's. */
void ocigate_rt_result_merge (ocigate_result_t *dst, ocigate_result_t *src);

/* Report an error (no audit) the runc way; returns code. */
int ocigate_rt_report_error (struct rt *rt, int code, ocigate_error_t *err);
/* Warn mode: say in --log what enforce would have done. */
void ocigate_rt_warn_mode_message (struct rt *rt, const ocigate_result_t *res);
/* Exec the runtime with the final argv.  Returns only on failure, with the
 * exit code. */
int ocigate_rt_exec_runtime (struct rt *rt);
/* 0 when only root (or the caller) can change what fd (path) names. */
int ocigate_rt_check_owner (int fd, const char *path, ocigate_error_t *err);

#define OCIGATE_RT_EXIT_REJECT 1
#define OCIGATE_RT_EXIT_ERROR 2

#endif
