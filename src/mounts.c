/* SPDX-License-Identifier: Apache-2.0 */
/* The mount model (runc 1.1.5's option parser) and the kernel's path walk. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mounts.h"
#include "ocigate/util.h"

/* mount_setattr(2) attributes, as runc's recursive words set them. */
#define ATTR_RDONLY 0x1ULL
#define ATTR_NOSUID 0x2ULL
#define ATTR_NODEV 0x4ULL
#define ATTR_NOEXEC 0x8ULL
#define ATTR__ATIME 0x70ULL
#define ATTR_RELATIME 0x0ULL
#define ATTR_NOATIME 0x10ULL
#define ATTR_STRICTATIME 0x20ULL
#define ATTR_NODIRATIME 0x80ULL
#define ATTR_NOSYMFOLLOW 0x200000ULL

/* runc 1.1.5 libcontainer/specconv parseMountOptions: each word sets or
 * clears one flag; a word with flag 0 ("defaults") falls through to data,
 * as runc's `exists && f.flag != 0` does. */
static const struct
{
  const char *word;
  bool clear;
  unsigned long flag;
} flag_words[] = {
  { "acl", false, MS_POSIXACL },       { "async", true, MS_SYNCHRONOUS },
  { "atime", true, MS_NOATIME },       { "bind", false, MS_BIND },
  { "dev", true, MS_NODEV },           { "diratime", true, MS_NODIRATIME },
  { "dirsync", false, MS_DIRSYNC },    { "exec", true, MS_NOEXEC },
  { "iversion", false, MS_I_VERSION }, { "lazytime", false, MS_LAZYTIME },
  { "loud", true, MS_SILENT },         { "mand", false, MS_MANDLOCK },
  { "noacl", true, MS_POSIXACL },      { "noatime", false, MS_NOATIME },
  { "nodev", false, MS_NODEV },        { "nodiratime", false, MS_NODIRATIME },
  { "noexec", false, MS_NOEXEC },      { "noiversion", true, MS_I_VERSION },
  { "nolazytime", true, MS_LAZYTIME }, { "nomand", true, MS_MANDLOCK },
  { "norelatime", true, MS_RELATIME }, { "nostrictatime", true, MS_STRICTATIME },
  { "nosuid", false, MS_NOSUID },      { "rbind", false, MS_BIND | MS_REC },
  { "relatime", false, MS_RELATIME },  { "remount", false, MS_REMOUNT },
  { "ro", false, MS_RDONLY },          { "rw", true, MS_RDONLY },
  { "silent", false, MS_SILENT },      { "strictatime", false, MS_STRICTATIME },
  { "suid", true, MS_NOSUID },         { "sync", false, MS_SYNCHRONOUS },
};

static const struct
{
  const char *word;
  ocigate_prop_t prop;
  bool rec;
} prop_words[] = {
  { "private", OCIGATE_PROP_PRIVATE, false }, { "shared", OCIGATE_PROP_SHARED, false },
  { "slave", OCIGATE_PROP_SLAVE, false },     { "unbindable", OCIGATE_PROP_UNBINDABLE, false },
  { "rprivate", OCIGATE_PROP_PRIVATE, true }, { "rshared", OCIGATE_PROP_SHARED, true },
  { "rslave", OCIGATE_PROP_SLAVE, true },     { "runbindable", OCIGATE_PROP_UNBINDABLE, true },
};

static const struct
{
  const char *word;
  bool clear;
  uint64_t attr;
} rec_words[] = {
  { "rro", false, ATTR_RDONLY },
  { "rrw", true, ATTR_RDONLY },
  { "rnosuid", false, ATTR_NOSUID },
  { "rsuid", true, ATTR_NOSUID },
  { "rnodev", false, ATTR_NODEV },
  { "rdev", true, ATTR_NODEV },
  { "rnoexec", false, ATTR_NOEXEC },
  { "rexec", true, ATTR_NOEXEC },
  { "rnodiratime", false, ATTR_NODIRATIME },
  { "rdiratime", true, ATTR_NODIRATIME },
  { "rrelatime", false, ATTR_RELATIME },
  { "rnorelatime", true, ATTR_RELATIME },
  { "rnoatime", false, ATTR_NOATIME },
  { "ratime", true, ATTR_NOATIME },
  { "rstrictatime", false, ATTR_STRICTATIME },
  { "rnostrictatime", true, ATTR_STRICTATIME },
  { "rnosymfollow", false, ATTR_NOSYMFOLLOW },
  { "rsymfollow", true, ATTR_NOSYMFOLLOW },
};

/* Apply one word; false when it is filesystem data. */
static bool
apply_word (ocigate_mount_t *m, const char *w)
{
  for (size_t i = 0; i < ARRAY_SIZE (flag_words); i++)
    if (strcmp (w, flag_words[i].word) == 0)
      {
        if (flag_words[i].clear)
          m->flags &= ~flag_words[i].flag;
        else
          m->flags |= flag_words[i].flag;
        return true;
      }
  for (size_t i = 0; i < ARRAY_SIZE (prop_words); i++)
    if (strcmp (w, prop_words[i].word) == 0)
      {
        m->prop_top = prop_words[i].prop;
        if (prop_words[i].rec)
          m->prop_rec = prop_words[i].prop;
        return true;
      }
  for (size_t i = 0; i < ARRAY_SIZE (rec_words); i++)
    if (strcmp (w, rec_words[i].word) == 0)
      {
        uint64_t a = rec_words[i].attr;
        if (rec_words[i].clear)
          {
            m->rec_clr |= a;
            m->rec_set &= ~a;
          }
        else
          {
            m->rec_set |= a;
            m->rec_clr &= ~a;
            if ((a & ATTR__ATIME) == a)
              m->rec_clr |= ATTR__ATIME;
          }
        return true;
      }
  if (strcmp (w, "tmpcopyup") == 0)
    {
      m->tmpcopyup = true;
      return true;
    }
  return false;
}

bool
ocigate_mount_word_is_data (const char *word)
{
  ocigate_mount_t m = { 0 };
  return !apply_word (&m, word);
}

void
ocigate_mount_parse (const ocigate_json_t *j, ocigate_mount_t *ret)
{
  memset (ret, 0, sizeof (*ret));
  ret->type = oj_str (oj_get (j, "type"));
  ret->source = oj_str (oj_get (j, "source"));
  ret->destination = oj_str (oj_get (j, "destination"));
  const ocigate_json_t *opts = oj_get (j, "options");
  for (size_t i = 0; i < oj_len (opts); i++)
    {
      const char *w = oj_str (oj_at (opts, i));
      if (w)
        apply_word (ret, w);
    }
  /* runc mounts as a bind whatever "type" says once MS_BIND is among the
   * flags; type "bind" alone is judged as one too. */
  ret->bind = (ret->flags & MS_BIND) || (ret->type && strcmp (ret->type, "bind") == 0);
}

/* runc 1.1.5 mountToRootfs applies the recursive attributes (mount_setattr)
 * only on its bind path; proc, sysfs, tmpfs, cgroup and the rest return
 * before it.  A bind's ro is a remount of the top mount only. */
bool
ocigate_mount_readonly (const ocigate_mount_t *m)
{
  if (!m->bind)
    return (m->flags & MS_RDONLY) != 0;
  if (m->rec_set & ATTR_RDONLY)
    return true;
  return (m->flags & MS_RDONLY) && !(m->rec_clr & ATTR_RDONLY);
}

bool
ocigate_mount_readonly_all (const ocigate_mount_t *m)
{
  if (!m->bind)
    return (m->flags & MS_RDONLY) != 0;
  if (m->rec_set & ATTR_RDONLY)
    return true;
  /* rbind + ro leaves every submount writable. */
  return ocigate_mount_readonly (m) && !(m->flags & MS_REC);
}

bool
ocigate_mount_shared (const ocigate_mount_t *m)
{
  /* Each word is one mount(2) call, in order: the top mount keeps the last
   * one, submounts the last recursive one. */
  if (m->prop_top == OCIGATE_PROP_SHARED)
    return true;
  return m->prop_rec == OCIGATE_PROP_SHARED && (!m->bind || (m->flags & MS_REC));
}

bool
ocigate_mount_pseudo_type (const char *type)
{
  static const char *const pseudo[]
      = { "proc", "sysfs", "tmpfs", "devpts", "mqueue", "cgroup", "cgroup2" };
  if (type == NULL)
    return false;
  for (size_t i = 0; i < ARRAY_SIZE (pseudo); i++)
    if (strcmp (type, pseudo[i]) == 0)
      return true;
  return false;
}

/* ---- paths ---- */

bool
ocigate_path_has_dotdot (const char *path)
{
  for (const char *p = path; (p = strstr (p, "..")) != NULL; p += 2)
    if ((p == path || p[-1] == '/') && (p[2] == '\0' || p[2] == '/'))
      return true;
  return false;
}

/* Append the components of path to out (an absolute path, "/" alone or
 * without trailing slash): "." skipped, ".." popped when pop, else kept. */
static void
join_components (strbuf_t *out, const char *path, bool pop)
{
  const char *p = path;
  while (*p)
    {
      while (*p == '/')
        p++;
      if (*p == '\0')
        break;
      const char *e = strchr (p, '/');
      size_t l = e ? (size_t)(e - p) : strlen (p);
      if (l == 1 && p[0] == '.')
        ;
      else if (pop && l == 2 && p[0] == '.' && p[1] == '.')
        {
          while (out->len > 1 && out->s[out->len - 1] != '/')
            out->len--;
          if (out->len > 1)
            out->len--;
          out->s[out->len] = '\0';
        }
      else
        {
          if (out->len > 1)
            strbuf_puts (out, "/");
          strbuf_append (out, p, l);
        }
      p += l;
    }
}

static char *
absolute_form (const char *path, bool pop)
{
  strbuf_t b = { 0 };
  strbuf_puts (&b, "/");
  join_components (&b, path, pop);
  return strbuf_steal (&b);
}

char *
ocigate_path_lexical (const char *path)
{
  return absolute_form (path, false);
}

char *
ocigate_path_clean (const char *path)
{
  return absolute_form (path, true);
}

/* May someone other than root change the entry `name` of directory st
 * (rename it, replace it with a symlink)?  A sticky directory protects
 * entries owned by root. */
static bool
dir_unsafe (const struct stat *st, const char *child)
{
  if (st->st_uid != 0)
    return true;
  if ((st->st_mode & (S_IWGRP | S_IWOTH)) == 0)
    return false;
  if (!(st->st_mode & S_ISVTX))
    return true;
  struct stat cst;
  if (lstat (child, &cst) < 0)
    return true; /* anyone may create it */
  return cst.st_uid != 0;
}

#define MAX_LINKS 40

int
ocigate_path_walk (const char *path, bool strict, char **ret_path, char **ret_why)
{
  return ocigate_path_walk_budget (path, strict, NULL, ret_path, ret_why);
}

int
ocigate_path_walk_budget (const char *path, bool strict, unsigned long *budget, char **ret_path,
                          char **ret_why)
{
  strbuf_t cur = { 0 };  /* resolved so far: physical, absolute */
  strbuf_t rest = { 0 }; /* still to walk */
  int links = 0;
  strbuf_puts (&cur, "/");
  strbuf_puts (&rest, path);
  *ret_path = NULL;
  *ret_why = NULL;

  size_t pos = 0;
  while (pos < rest.len)
    {
      while (rest.s[pos] == '/')
        pos++;
      if (rest.s[pos] == '\0')
        break;
      const char *c = rest.s + pos;
      const char *e = strchr (c, '/');
      size_t l = e ? (size_t)(e - c) : strlen (c);
      if (l == 1 && c[0] == '.')
        {
          pos += l;
          continue;
        }
      if (l == 2 && c[0] == '.' && c[1] == '.')
        {
          /* cur is physical: its parent is the lexical one. */
          join_components (&cur, "..", true);
          pos += l;
          continue;
        }
      size_t base = cur.len;
      if (cur.len > 1)
        strbuf_puts (&cur, "/");
      strbuf_append (&cur, c, l);
      pos += l;

      /* /proc's magic links (root, cwd, fd/N) lead where readlink does not
       * say: stop at /proc, which is sensitive whatever follows. */
      if (strcmp (cur.s, "/proc") == 0)
        {
          join_components (&cur, rest.s + pos, false);
          break;
        }

      if (budget && (*budget)-- == 0)
        {
          *budget = 0;
          *ret_why = xasprintf ("judging the host paths takes more than %lu lookups",
                                OCIGATE_WALK_BUDGET);
          goto fail;
        }
      struct stat st;
      char parent_end = cur.s[base];
      cur.s[base] = '\0';
      int prc = stat (base ? cur.s : "/", &st);
      cur.s[base] = parent_end;
      if (prc < 0)
        {
          *ret_why = xasprintf ("cannot stat %.*s: %s", (int)base, cur.s, strerror (errno));
          goto fail;
        }
      if (strict && dir_unsafe (&st, cur.s))
        {
          *ret_why = xasprintf ("resolving it looks up names in %.*s, which a user other than "
                                "root can change",
                                (int)(base > 0 ? base : 1), base > 0 ? cur.s : "/");
          goto fail;
        }
      if (lstat (cur.s, &st) < 0)
        {
          if (errno != ENOENT)
            {
              *ret_why = xasprintf ("cannot resolve %s: %s", cur.s, strerror (errno));
              goto fail;
            }
          /* Missing: what follows is kept as written, but a ".." after a
           * missing component cannot be judged. */
          if (ocigate_path_has_dotdot (rest.s + pos))
            {
              *ret_why = xasprintf ("%s does not exist and \"..\" follows it", cur.s);
              goto fail;
            }
          join_components (&cur, rest.s + pos, false);
          break;
        }
      if (S_ISLNK (st.st_mode))
        {
          char target[PATH_MAX];
          ssize_t n = readlink (cur.s, target, sizeof (target) - 1);
          if (n < 0 || ++links > MAX_LINKS)
            {
              *ret_why = xasprintf ("cannot resolve %s: %s", cur.s,
                                    n < 0 ? strerror (errno) : "too many symbolic links");
              goto fail;
            }
          target[n] = '\0';
          /* The link's target replaces it; what followed comes after. */
          strbuf_t next = { 0 };
          strbuf_puts (&next, target);
          strbuf_puts (&next, "/");
          strbuf_puts (&next, rest.s + pos);
          free (rest.s);
          rest = next;
          pos = 0;
          if (target[0] == '/')
            {
              cur.len = 1;
              cur.s[1] = '\0';
            }
          else
            {
              cur.len = base ? base : 1;
              cur.s[cur.len] = '\0';
            }
          continue;
        }
    }
  free (rest.s);
  *ret_path = strbuf_steal (&cur);
  return 0;
fail:
  free (rest.s);
  free (cur.s);
  return -1;
}

/* ---- destinations inside the rootfs ---- */

char *
ocigate_rootfs_host_dir (const char *root_path, const char *bundle)
{
  if (root_path == NULL)
    return NULL;
  if (root_path[0] == '/')
    return xstrdup (root_path);
  if (bundle == NULL)
    return NULL;
  return xasprintf ("%s/%s", bundle, root_path);
}

void
ocigate_walk_free (ocigate_walk_t *w)
{
  free (w->plain);
  w->plain = NULL;
  w->plain_len = 0;
}

/* Remember done[0..len] as a prefix without symlinks. */
static void
walk_remember (ocigate_walk_t *w, const char *done, size_t len)
{
  if (len == 0 || (len <= w->plain_len && memcmp (w->plain, done, len) == 0))
    return;
  free (w->plain);
  w->plain = xstrndup (done, len);
  w->plain_len = len;
}

int
ocigate_dest_place (const char *rootfs, const char *dest, ocigate_walk_t *w, char **ret,
                    char **ret_why)
{
  *ret = *ret_why = NULL;
  cleanup_free char *abs = dest[0] == '/' ? xstrdup (dest) : xasprintf ("/%s", dest);
  if (rootfs == NULL)
    {
      char *n = ocigate_path_normalize (abs);
      if (ocigate_path_has_prefix (n, "/var/run"))
        {
          char *r = xasprintf ("/run%s", n + strlen ("/var/run"));
          free (n);
          n = r;
        }
      *ret = n;
      return 0;
    }
  /* todo: the path still to walk; done: the resolved prefix ("" is "/");
   * host: rootfs + done, for readlink. */
  cleanup_free char *todo = steal_pointer (&abs);
  strbuf_t done = { .s = xzalloc (1), .cap = 1 };
  strbuf_t host = { 0 };
  strbuf_puts (&host, rootfs);
  size_t root_len = host.len;
  /* done.len from which on nothing exists (SIZE_MAX: all so far does):
   * securejoin treats a missing component as a plain one, and nothing
   * below it exists either, until a ".." climbs back above it. */
  size_t missing = SIZE_MAX;
  /* match: how much of done is a prefix of w->plain (on a component
   * boundary); pristine: no link, "..", or missing component yet, so
   * done is all plain directories (remembered for the next walk). */
  size_t match = 0;
  bool pristine = true;
  int links = 0;
  const char *p = todo;
  for (;;)
    {
      while (*p == '/')
        p++;
      if (*p == '\0')
        break;
      const char *end = strchr (p, '/');
      size_t l = end ? (size_t)(end - p) : strlen (p);
      if (l == 1 && p[0] == '.')
        {
          p += l;
          continue;
        }
      if (l == 2 && p[0] == '.' && p[1] == '.')
        {
          if (pristine)
            walk_remember (w, done.s, done.len);
          pristine = false;
          char *slash = strrchr (done.s, '/');
          if (slash)
            {
              *slash = '\0';
              done.len = (size_t)(slash - done.s);
            }
          if (missing != SIZE_MAX && done.len <= missing)
            missing = SIZE_MAX;
          if (match > done.len)
            match = done.len;
          p += l;
          continue;
        }
      size_t before = done.len;
      strbuf_puts (&done, "/");
      strbuf_append (&done, p, l);
      p += l;
      if (missing != SIZE_MAX)
        continue;
      if (match == before && done.len <= w->plain_len
          && memcmp (w->plain + before, done.s + before, done.len - before) == 0
          && (w->plain[done.len] == '/' || w->plain[done.len] == '\0'))
        {
          match = done.len; /* known to be a plain directory */
          continue;
        }
      if (w->left == 0)
        {
          *ret_why = xasprintf ("placing the mount destinations takes more than %lu symlink "
                                "lookups",
                                OCIGATE_WALK_BUDGET);
          goto fail;
        }
      w->left--;
      host.len = root_len;
      host.s[root_len] = '\0';
      strbuf_append (&host, done.s, done.len);
      char target[PATH_MAX];
      ssize_t n = readlink (host.s, target, sizeof (target) - 1);
      if (n <= 0)
        {
          if (n == 0)
            ;
          else if (errno == ENOENT || errno == ENOTDIR)
            missing = before;
          else if (errno != EINVAL)
            {
              *ret_why
                  = xasprintf ("cannot resolve %s in the rootfs: %s", done.s, strerror (errno));
              goto fail;
            }
          continue; /* not a symlink (or missing): keep the component */
        }
      if (++links > OCIGATE_DEST_MAX_LINKS)
        {
          *ret_why = xasprintf ("it leads through more than %d symbolic links in the rootfs",
                                OCIGATE_DEST_MAX_LINKS);
          goto fail;
        }
      target[n] = '\0';
      if (pristine)
        walk_remember (w, done.s, before);
      pristine = false;
      done.s[before] = '\0';
      done.len = before;
      if (match > before)
        match = before;
      if (target[0] == '/')
        {
          done.s[0] = '\0';
          done.len = 0;
          match = 0;
        }
      char *next = xasprintf ("%s/%s", target, p);
      free (todo);
      todo = next;
      p = todo;
    }
  if (pristine)
    walk_remember (w, done.s, done.len);
  *ret = done.len ? xstrdup (done.s) : xstrdup ("/");
  free (done.s);
  free (host.s);
  return 0;
fail:
  free (done.s);
  free (host.s);
  return -1;
}

char *
ocigate_var_run_to_run (char *p)
{
  if (ocigate_path_has_prefix (p, "/var/run"))
    {
      char *r = xasprintf ("/run%s", p + strlen ("/var/run"));
      free (p);
      return r;
    }
  return p;
}

/* Lexical normal form (for the policy's own paths and reports). */
char *
ocigate_host_path (const char *path, bool resolve)
{
  char *n = ocigate_var_run_to_run (ocigate_path_normalize (path));
  if (resolve)
    {
      char *r = NULL, *why = NULL;
      if (ocigate_path_walk (n, false, &r, &why) == 0)
        {
          free (n);
          n = ocigate_var_run_to_run (r);
        }
      free (why);
    }
  return n;
}
