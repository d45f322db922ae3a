/* SPDX-License-Identifier: Apache-2.0 */
/* runc's command line, parsed exactly as runc 1.1 (urfave/cli v1 over Go's
 * flag package) parses it.  See runtime-internal.h for the rules and why
 * they must be runc's. */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "runtime-internal.h"

typedef enum
{
  FT_BOOL,
  FT_STRING,
  FT_INT,     /* Go int: ParseInt(s, 0, 64) */
  FT_STRINGS, /* repeated: every value kept */
  FT_INT64S,  /* repeated int64: ParseInt(s, 10, 64) */
} flag_type_t;

struct flag_def
{
  const char *names[2]; /* long, short (or NULL) */
  flag_type_t type;
};

static const struct flag_def defs[RF_COUNT] = {
  [RF_HELP] = { { "help", "h" }, FT_BOOL },
  [RF_VERSION] = { { "version", "v" }, FT_BOOL },
  [RF_DEBUG] = { { "debug", NULL }, FT_BOOL },
  [RF_LOG] = { { "log", NULL }, FT_STRING },
  [RF_LOG_FORMAT] = { { "log-format", NULL }, FT_STRING },
  [RF_ROOT] = { { "root", NULL }, FT_STRING },
  [RF_CRIU] = { { "criu", NULL }, FT_STRING },
  [RF_SYSTEMD_CGROUP] = { { "systemd-cgroup", NULL }, FT_BOOL },
  /* A string, not a boolean: `--rootless create` makes "create" its value. */
  [RF_ROOTLESS] = { { "rootless", NULL }, FT_STRING },
  [RF_BUNDLE] = { { "bundle", "b" }, FT_STRING },
  [RF_CONSOLE_SOCKET] = { { "console-socket", NULL }, FT_STRING },
  [RF_PID_FILE] = { { "pid-file", NULL }, FT_STRING },
  [RF_NO_PIVOT] = { { "no-pivot", NULL }, FT_BOOL },
  [RF_NO_NEW_KEYRING] = { { "no-new-keyring", NULL }, FT_BOOL },
  [RF_PRESERVE_FDS] = { { "preserve-fds", NULL }, FT_INT },
  [RF_DETACH] = { { "detach", "d" }, FT_BOOL },
  [RF_KEEP] = { { "keep", NULL }, FT_BOOL },
  [RF_NO_SUBREAPER] = { { "no-subreaper", NULL }, FT_BOOL },
  [RF_IMAGE_PATH] = { { "image-path", NULL }, FT_STRING },
  [RF_WORK_PATH] = { { "work-path", NULL }, FT_STRING },
  [RF_TCP_ESTABLISHED] = { { "tcp-established", NULL }, FT_BOOL },
  [RF_EXT_UNIX_SK] = { { "ext-unix-sk", NULL }, FT_BOOL },
  [RF_SHELL_JOB] = { { "shell-job", NULL }, FT_BOOL },
  [RF_FILE_LOCKS] = { { "file-locks", NULL }, FT_BOOL },
  [RF_MANAGE_CGROUPS_MODE] = { { "manage-cgroups-mode", NULL }, FT_STRING },
  [RF_EMPTY_NS] = { { "empty-ns", NULL }, FT_STRINGS },
  [RF_AUTO_DEDUP] = { { "auto-dedup", NULL }, FT_BOOL },
  [RF_LAZY_PAGES] = { { "lazy-pages", NULL }, FT_BOOL },
  [RF_LSM_PROFILE] = { { "lsm-profile", NULL }, FT_STRING },
  [RF_LSM_MOUNT_CONTEXT] = { { "lsm-mount-context", NULL }, FT_STRING },
  [RF_CWD] = { { "cwd", NULL }, FT_STRING },
  [RF_ENV] = { { "env", "e" }, FT_STRINGS },
  [RF_TTY] = { { "tty", "t" }, FT_BOOL },
  [RF_USER] = { { "user", "u" }, FT_STRING },
  [RF_ADDITIONAL_GIDS] = { { "additional-gids", "g" }, FT_INT64S },
  [RF_PROCESS] = { { "process", "p" }, FT_STRING },
  [RF_PROCESS_LABEL] = { { "process-label", NULL }, FT_STRING },
  [RF_APPARMOR] = { { "apparmor", NULL }, FT_STRING },
  [RF_NO_NEW_PRIVS] = { { "no-new-privs", NULL }, FT_BOOL },
  [RF_CAP] = { { "cap", "c" }, FT_STRINGS },
  [RF_CGROUP] = { { "cgroup", NULL }, FT_STRINGS },
  [RF_IGNORE_PAUSED] = { { "ignore-paused", NULL }, FT_BOOL },
  /* update: only --pids-limit is read here; the rest are runc's to parse */
  [RF_RESOURCES] = { { "resources", "r" }, FT_STRING },
  [RF_BLKIO_WEIGHT] = { { "blkio-weight", NULL }, FT_STRING },
  [RF_CPU_PERIOD] = { { "cpu-period", NULL }, FT_STRING },
  [RF_CPU_QUOTA] = { { "cpu-quota", NULL }, FT_STRING },
  [RF_CPU_SHARE] = { { "cpu-share", NULL }, FT_STRING },
  [RF_CPU_RT_PERIOD] = { { "cpu-rt-period", NULL }, FT_STRING },
  [RF_CPU_RT_RUNTIME] = { { "cpu-rt-runtime", NULL }, FT_STRING },
  [RF_CPUSET_CPUS] = { { "cpuset-cpus", NULL }, FT_STRING },
  [RF_CPUSET_MEMS] = { { "cpuset-mems", NULL }, FT_STRING },
  [RF_KERNEL_MEMORY] = { { "kernel-memory", NULL }, FT_STRING },
  [RF_KERNEL_MEMORY_TCP] = { { "kernel-memory-tcp", NULL }, FT_STRING },
  [RF_MEMORY] = { { "memory", NULL }, FT_STRING },
  [RF_MEMORY_RESERVATION] = { { "memory-reservation", NULL }, FT_STRING },
  [RF_MEMORY_SWAP] = { { "memory-swap", NULL }, FT_STRING },
  [RF_PIDS_LIMIT] = { { "pids-limit", NULL }, FT_INT },
  [RF_L3_CACHE_SCHEMA] = { { "l3-cache-schema", NULL }, FT_STRING },
  [RF_MEM_BW_SCHEMA] = { { "mem-bw-schema", NULL }, FT_STRING },
};

/* The flag sets of runc 1.1.  urfave appends help to every command's set. */
static const ocigate_rt_flag_id_t global_set[]
    = { RF_DEBUG,          RF_LOG,      RF_LOG_FORMAT, RF_ROOT,   RF_CRIU,
        RF_SYSTEMD_CGROUP, RF_ROOTLESS, RF_HELP,       RF_VERSION };
static const ocigate_rt_flag_id_t create_set[]
    = { RF_BUNDLE,         RF_CONSOLE_SOCKET, RF_PID_FILE, RF_NO_PIVOT,
        RF_NO_NEW_KEYRING, RF_PRESERVE_FDS,   RF_HELP };
static const ocigate_rt_flag_id_t run_set[]
    = { RF_BUNDLE,       RF_CONSOLE_SOCKET, RF_DETACH,         RF_KEEP,         RF_PID_FILE,
        RF_NO_SUBREAPER, RF_NO_PIVOT,       RF_NO_NEW_KEYRING, RF_PRESERVE_FDS, RF_HELP };
static const ocigate_rt_flag_id_t restore_set[] = { RF_CONSOLE_SOCKET,
                                                    RF_IMAGE_PATH,
                                                    RF_WORK_PATH,
                                                    RF_TCP_ESTABLISHED,
                                                    RF_EXT_UNIX_SK,
                                                    RF_SHELL_JOB,
                                                    RF_FILE_LOCKS,
                                                    RF_MANAGE_CGROUPS_MODE,
                                                    RF_BUNDLE,
                                                    RF_DETACH,
                                                    RF_PID_FILE,
                                                    RF_NO_SUBREAPER,
                                                    RF_NO_PIVOT,
                                                    RF_EMPTY_NS,
                                                    RF_AUTO_DEDUP,
                                                    RF_LAZY_PAGES,
                                                    RF_LSM_PROFILE,
                                                    RF_LSM_MOUNT_CONTEXT,
                                                    RF_HELP };
static const ocigate_rt_flag_id_t exec_set[]
    = { RF_CONSOLE_SOCKET,  RF_CWD,          RF_ENV,    RF_TTY,          RF_USER,
        RF_ADDITIONAL_GIDS, RF_PROCESS,      RF_DETACH, RF_PID_FILE,     RF_PROCESS_LABEL,
        RF_APPARMOR,        RF_NO_NEW_PRIVS, RF_CAP,    RF_PRESERVE_FDS, RF_CGROUP,
        RF_IGNORE_PAUSED,   RF_HELP };

static const ocigate_rt_flag_id_t update_set[]
    = { RF_RESOURCES,          RF_BLKIO_WEIGHT,  RF_CPU_PERIOD,        RF_CPU_QUOTA,
        RF_CPU_SHARE,          RF_CPU_RT_PERIOD, RF_CPU_RT_RUNTIME,    RF_CPUSET_CPUS,
        RF_CPUSET_MEMS,        RF_KERNEL_MEMORY, RF_KERNEL_MEMORY_TCP, RF_MEMORY,
        RF_MEMORY_RESERVATION, RF_MEMORY_SWAP,   RF_PIDS_LIMIT,        RF_L3_CACHE_SCHEMA,
        RF_MEM_BW_SCHEMA,      RF_HELP };

struct flag_set
{
  const ocigate_rt_flag_id_t *ids;
  size_t n;
};

#define SET(a) ((struct flag_set){ (a), ARRAY_SIZE (a) })

const char *
ocigate_argv_flag_name (ocigate_rt_flag_id_t id)
{
  return id < RF_COUNT ? defs[id].names[0] : "?";
}

/* strconv.ParseBool */
static bool
go_parse_bool (const char *s, bool *ret)
{
  static const char *const t[] = { "1", "t", "T", "TRUE", "true", "True" };
  static const char *const f[] = { "0", "f", "F", "FALSE", "false", "False" };
  for (size_t i = 0; i < ARRAY_SIZE (t); i++)
    {
      if (strcmp (s, t[i]) == 0)
        {
          *ret = true;
          return true;
        }
      if (strcmp (s, f[i]) == 0)
        {
          *ret = false;
          return true;
        }
    }
  return false;
}

static int
digit_value (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'Z')
    return c - 'A' + 10;
  return 99;
}

/* Go's underscoreOK: `_` only between digits or after a base prefix. */
static bool
underscores_ok (const char *s)
{
  char saw = '^';
  size_t i = 0;
  if (s[0] == '+' || s[0] == '-')
    s++;
  bool hex = false;
  if (s[0] == '0' && s[1] && strchr ("bBoOxX", s[1]))
    {
      i = 2;
      saw = '0';
      hex = s[1] == 'x' || s[1] == 'X';
    }
  for (; s[i]; i++)
    {
      char c = s[i];
      if ((c >= '0' && c <= '9') || (hex && digit_value (c) < 16))
        saw = '0';
      else if (c == '_')
        {
          if (saw != '0')
            return false;
          saw = '_';
        }
      else
        {
          if (saw == '_')
            return false;
          saw = '!';
        }
    }
  return saw != '_';
}

bool
ocigate_go_parse_int (const char *s, int base, int64_t *ret)
{
  bool neg = false;
  const char *p = s;
  if (*p == '+' || *p == '-')
    neg = *p++ == '-';
  if (*p == '\0')
    return false;
  bool allow_us = false;
  if (base == 0)
    {
      base = 10;
      if (p[0] == '0')
        {
          if (p[1] == 'x' || p[1] == 'X')
            base = 16, p += 2;
          else if (p[1] == 'o' || p[1] == 'O')
            base = 8, p += 2;
          else if (p[1] == 'b' || p[1] == 'B')
            base = 2, p += 2;
          else
            base = 8, p += 1;
        }
      allow_us = true;
    }
  if (*p == '\0' && base != 8)
    return false; /* "0x" alone */
  uint64_t v = 0;
  const uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
  for (; *p; p++)
    {
      if (*p == '_' && allow_us)
        continue;
      int d = digit_value (*p);
      if (d >= base)
        return false;
      if (v > (limit - (uint64_t)d) / (uint64_t)base)
        return false;
      v = v * (uint64_t)base + (uint64_t)d;
    }
  if (allow_us && strchr (s, '_') && !underscores_ok (s))
    return false;
  *ret = neg ? (int64_t)(0 - v) : (int64_t)v;
  return true;
}

static const struct flag_def *
lookup (struct flag_set set, const char *name, size_t len, ocigate_rt_flag_id_t *ret_id,
        int *ret_form)
{
  for (size_t i = 0; i < set.n; i++)
    for (int f = 0; f < 2; f++)
      {
        const char *n = defs[set.ids[i]].names[f];
        if (n && strlen (n) == len && strncmp (n, name, len) == 0)
          {
            *ret_id = set.ids[i];
            *ret_form = f;
            return &defs[set.ids[i]];
          }
      }
  return NULL;
}

/* urfave's argIsFlag: is the word one of the command's flags?  `-` and
 * `--` never are. */
static bool
arg_is_flag (struct flag_set set, const char *arg)
{
  if (arg[0] != '-' || strcmp (arg, "-") == 0 || strcmp (arg, "--") == 0)
    return false;
  /* strings.Replace(arg, "-", "", 2) on a "--" word, then Replace(.., 1). */
  const char *p = arg + (arg[1] == '-' ? 2 : 0);
  if (*p == '-')
    p++;
  size_t len = strcspn (p, "=");
  ocigate_rt_flag_id_t id;
  int form;
  return lookup (set, p, len, &id, &form) != NULL;
}

/* urfave/cli 1.22.9's reorderArgs (the version Debian's runc 1.1.5 is
 * built with), over argv indices.  Every word decides afresh whether the
 * next one is a value: after a known flag written without `=`, the next
 * word goes with it unless it is itself a known flag, whatever it looks
 * like (`-`, `--`, `-x`).  A `--` that is not such a value ends the
 * reordering and moves to the front of the words kept so far, so Go's
 * flag package treats all of them as positional. */
static void
reorder (struct flag_set set, char *const *argv, int *list, size_t n)
{
  cleanup_free int *flags = xmalloc ((n + 1) * sizeof (int));
  cleanup_free int *rest = xmalloc ((n + 1) * sizeof (int));
  size_t nf = 0, nr = 0;
  bool next_may_be_value = false;
  for (size_t i = 0; i < n; i++)
    {
      const char *arg = argv[list[i]];
      bool is_flag = arg_is_flag (set, arg);
      if (next_may_be_value && !is_flag)
        {
          next_may_be_value = false;
          flags[nf++] = list[i];
        }
      else if (strcmp (arg, "--") == 0)
        {
          memmove (rest + 1, rest, nr * sizeof (int));
          rest[0] = list[i];
          nr++;
          for (i++; i < n; i++)
            rest[nr++] = list[i];
          break;
        }
      else if (is_flag)
        {
          flags[nf++] = list[i];
          next_may_be_value = strchr (arg, '=') == NULL;
        }
      else
        rest[nr++] = list[i];
    }
  memcpy (list, flags, nf * sizeof (int));
  memcpy (list + nf, rest, nr * sizeof (int));
}

static void
add_flag (ocigate_rt_argv_t *a, const ocigate_rt_flag_t *f)
{
  a->flags = xrealloc (a->flags, (a->n_flags + 1) * sizeof (*a->flags));
  a->flags[a->n_flags++] = *f;
}

/* Go's FlagSet.Parse over argv indices list[0..n).  Returns the position
 * of the first positional word (after a consumed "--"). */
static int
parse_set (struct flag_set set, bool global, char *const *argv, const int *list, size_t n,
           ocigate_rt_argv_t *a, size_t *ret_pos, ocigate_error_t *err)
{
  unsigned forms[RF_COUNT] = { 0 };
  size_t pos = 0;
  while (pos < n)
    {
      const char *s = argv[list[pos]];
      size_t minus = 1;
      if (strlen (s) < 2 || s[0] != '-')
        break;
      if (s[1] == '-')
        {
          minus = 2;
          if (s[2] == '\0')
            {
              pos++; /* "--" ends the flags */
              break;
            }
        }
      const char *name = s + minus;
      if (name[0] == '\0' || name[0] == '-' || name[0] == '=')
        return ocigate_make_error (err, 0, "bad flag syntax: %s", s);
      const char *eq = strchr (name + 1, '=');
      size_t nlen = eq ? (size_t)(eq - name) : strlen (name);
      ocigate_rt_flag_id_t id;
      int form;
      const struct flag_def *d = lookup (set, name, nlen, &id, &form);
      if (d == NULL)
        return ocigate_make_error (err, 0, "flag provided but not defined: -%.*s", (int)nlen, name);
      ocigate_rt_flag_t f = { .id = id,
                              .global = global,
                              .index = list[pos],
                              .value_index = -1,
                              .value = eq ? eq + 1 : NULL };
      pos++;
      if (d->type == FT_BOOL)
        {
          f.bval = true;
          if (eq && !go_parse_bool (eq + 1, &f.bval))
            return ocigate_make_error (err, 0, "invalid boolean value \"%s\" for -%.*s", eq + 1,
                                       (int)nlen, name);
        }
      else
        {
          if (eq == NULL)
            {
              if (pos >= n)
                return ocigate_make_error (err, 0, "flag needs an argument: -%.*s", (int)nlen,
                                           name);
              f.value_index = list[pos];
              f.value = argv[list[pos]];
              pos++;
            }
          int64_t v;
          if ((d->type == FT_INT && !ocigate_go_parse_int (f.value, 0, &v))
              || (d->type == FT_INT64S && !ocigate_go_parse_int (f.value, 10, &v)))
            return ocigate_make_error (err, 0, "invalid value \"%s\" for flag -%.*s", f.value,
                                       (int)nlen, name);
        }
      forms[id] |= 1u << form;
      if (forms[id] == 3)
        return ocigate_make_error (err, 0, "cannot use two forms of the same flag: %s %s",
                                   d->names[1], d->names[0]);
      add_flag (a, &f);
    }
  *ret_pos = pos;
  return 0;
}

/* The last occurrence's value of a flag (NULL if absent). */
static const ocigate_rt_flag_t *
last (const ocigate_rt_argv_t *a, ocigate_rt_flag_id_t id, bool global)
{
  for (size_t i = a->n_flags; i-- > 0;)
    if (a->flags[i].id == id && a->flags[i].global == global)
      return &a->flags[i];
  return NULL;
}

/* urfave 1.22.9's lookupStringSlice removes the flag's default value
 * (DefValue, "" for runc's lists) once from the list, unless the list is
 * exactly that default: `--cap "" --cap X` gives [X], `--cap ""` [""]. */
static void
mark_ignored (ocigate_rt_argv_t *a)
{
  for (int id = 0; id < RF_COUNT; id++)
    {
      if (defs[id].type != FT_STRINGS)
        continue;
      size_t n = 0;
      ocigate_rt_flag_t *first_empty = NULL;
      for (size_t i = 0; i < a->n_flags; i++)
        if (a->flags[i].id == (ocigate_rt_flag_id_t)id && !a->flags[i].global)
          {
            n++;
            if (first_empty == NULL && *a->flags[i].value == '\0')
              first_empty = &a->flags[i];
          }
      if (first_empty && n > 1)
        first_empty->ignored = true;
    }
}

static void
fill_last (ocigate_rt_argv_t *a)
{
  const ocigate_rt_flag_t *f;
  a->root = (f = last (a, RF_ROOT, true)) ? f->value : NULL;
  a->log = (f = last (a, RF_LOG, true)) ? f->value : NULL;
  a->log_format = (f = last (a, RF_LOG_FORMAT, true)) ? f->value : NULL;
  a->bundle = (f = last (a, RF_BUNDLE, false)) ? f->value : NULL;
  a->process = (f = last (a, RF_PROCESS, false)) ? f->value : NULL;
}

void
ocigate_argv_free (ocigate_rt_argv_t *a)
{
  free (a->flags);
  free (a->args);
  memset (a, 0, sizeof (*a));
}

int
ocigate_argv_parse (int argc, char *const *argv, ocigate_rt_argv_t *a, ocigate_error_t *err)
{
  memset (a, 0, sizeof (*a));
  a->cmd_index = -1;
  if (argc < 1)
    return ocigate_make_error (err, 0, "empty command line");
  cleanup_free int *list = xmalloc ((size_t)argc * sizeof (int));
  size_t n = 0, pos;
  for (int i = 1; i < argc; i++)
    list[n++] = i;

  int r = parse_set (SET (global_set), true, argv, list, n, a, &pos, err);
  fill_last (a);
  if (r < 0)
    return -1;
  const ocigate_rt_flag_t *h = last (a, RF_HELP, true), *v = last (a, RF_VERSION, true);
  /* runc prints its help or version and runs nothing. */
  a->help = (h && h->bval) || (v && v->bval);
  if (pos >= n)
    {
      a->cmd = OCIGATE_RT_NONE;
      return 0;
    }
  a->cmd_index = list[pos];
  a->cmd_name = argv[a->cmd_index];
  pos++;

  struct flag_set set;
  bool reorder_args = true;
  size_t min_args = 1, max_args = 1;
  if (strcmp (a->cmd_name, "create") == 0)
    a->cmd = OCIGATE_RT_CREATE, set = SET (create_set);
  else if (strcmp (a->cmd_name, "run") == 0)
    a->cmd = OCIGATE_RT_RUN, set = SET (run_set);
  else if (strcmp (a->cmd_name, "restore") == 0)
    a->cmd = OCIGATE_RT_RESTORE, set = SET (restore_set);
  else if (strcmp (a->cmd_name, "exec") == 0)
    {
      a->cmd = OCIGATE_RT_EXEC, set = SET (exec_set);
      reorder_args = false;
      max_args = SIZE_MAX;
    }
  else if (strcmp (a->cmd_name, "update") == 0)
    a->cmd = OCIGATE_RT_UPDATE, set = SET (update_set);
  else
    {
      a->cmd = OCIGATE_RT_OTHER;
      return 0;
    }
  if (a->help)
    return 0;

  int *tail = list + pos;
  size_t ntail = n - pos;
  if (reorder_args)
    reorder (set, argv, tail, ntail);
  r = parse_set (set, false, argv, tail, ntail, a, &pos, err);
  fill_last (a);
  if (r < 0)
    return ocigate_error_prefix (err, "%s", a->cmd_name);
  mark_ignored (a);
  h = last (a, RF_HELP, false);
  if (h && h->bval)
    {
      a->help = true;
      return 0;
    }
  a->args = xmalloc ((ntail - pos + 1) * sizeof (*a->args));
  for (size_t i = pos; i < ntail; i++)
    a->args[a->n_args++] = argv[tail[i]];
  if (a->n_args < min_args || a->n_args > max_args)
    return ocigate_make_error (err, 0, "%s: expected %s container id, got %zu arguments",
                               a->cmd_name, max_args == 1 ? "exactly one" : "a", a->n_args);
  return 0;
}
