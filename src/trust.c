/* SPDX-License-Identifier: Apache-2.0 */
/* Files the gate trusts in runtime mode: the policy, the profiles it
 * names, the audit log.  Whoever can write one of them, or any directory
 * on the way to it, decides what runs as root; so, as sshd's StrictModes
 * and sudo do, each must belong to root (or to the caller, who could run
 * the runtime directly anyway) and be writable by no one else. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ocigate/util.h"

static bool
trusted_owner (uid_t uid)
{
  return uid == 0 || uid == geteuid ();
}

/* A sticky directory (/tmp) owned by root lets others add names, never
 * rename or remove ours (the kernel's sticky rule), so what we made in it
 * stays ours; anything an other user planted there fails the owner check
 * of the next step. */
static int
check_node (const char *path, const struct stat *st, bool dir, ocigate_error_t *err)
{
  if (!trusted_owner (st->st_uid))
    return ocigate_make_error (err, EPERM, "%s `%s` is owned by uid %u, not root",
                               dir ? "directory" : "file", path, (unsigned)st->st_uid);
  if (dir && (st->st_mode & S_ISVTX))
    return 0;
  if (st->st_mode & (S_IWGRP | S_IWOTH))
    return ocigate_make_error (err, EPERM, "%s `%s` is writable by group or others (mode %04o)",
                               dir ? "directory" : "file", path, (unsigned)(st->st_mode & 07777));
  return 0;
}

/* Walk path as the kernel does, from `/`, checking every directory that
 * decides where it leads, including the directory of each symlink on the
 * way.  The last component is followed when follow_last.  A missing
 * component ends the walk when allow_missing (what we are about to
 * create); *ret_st then has st_ino 0.  Returns the resolved path. */
int
ocigate_trust_resolve (const char *path, bool follow_last, bool allow_missing, char **ret,
                       struct stat *ret_st, ocigate_error_t *err)
{
  char cwd[PATH_MAX];
  cleanup_free char *todo = NULL;
  if (path[0] == '/')
    todo = xstrdup (path);
  else
    {
      if (getcwd (cwd, sizeof (cwd)) == NULL)
        return ocigate_make_error (err, errno, "cannot resolve `%s`", path);
      todo = xasprintf ("%s/%s", cwd, path);
    }
  strbuf_t done = { 0 };
  strbuf_puts (&done, "");
  struct stat st;
  int links = 0;
  if (lstat ("/", &st) < 0 || check_node ("/", &st, true, err) < 0)
    goto fail_errno;
  char *rest = todo;
  for (;;)
    {
      while (*rest == '/')
        rest++;
      if (*rest == '\0')
        {
          /* the path ends in a directory ("/" or "dir/") */
          if (lstat (done.len ? done.s : "/", &st) < 0)
            goto fail_errno;
          break;
        }
      size_t n = strcspn (rest, "/");
      char *comp = xstrndup (rest, n);
      rest += n;
      const char *after = rest + strspn (rest, "/");
      bool last = *after == '\0';
      if (strcmp (comp, ".") == 0 || strcmp (comp, "..") == 0)
        {
          if (comp[1] == '.' && done.len)
            {
              char *slash = strrchr (done.s, '/');
              done.len = (size_t)(slash - done.s);
              done.s[done.len] = '\0';
            }
          free (comp);
          if (last)
            {
              if (lstat (done.len ? done.s : "/", &st) < 0)
                goto fail_errno;
              break;
            }
          continue;
        }
      cleanup_free char *cand = xasprintf ("%s/%s", done.s, comp);
      free (comp);
      if (lstat (cand, &st) < 0)
        {
          if (errno == ENOENT && allow_missing)
            {
              strbuf_puts (&done, cand + done.len);
              strbuf_puts (&done, rest);
              memset (&st, 0, sizeof (st));
              break;
            }
          ocigate_make_error (err, errno, "cannot stat `%s`", cand);
          goto fail;
        }
      if (S_ISLNK (st.st_mode) && (!last || follow_last))
        {
          char target[PATH_MAX];
          ssize_t l = readlink (cand, target, sizeof (target) - 1);
          if (l < 0)
            {
              ocigate_make_error (err, errno, "cannot read the link `%s`", cand);
              goto fail;
            }
          if (++links > 40)
            {
              ocigate_make_error (err, ELOOP, "`%s`: too many links", path);
              goto fail;
            }
          target[l] = '\0';
          if (target[0] == '/')
            {
              done.len = 0;
              done.s[0] = '\0';
            }
          char *next = xasprintf ("%s/%s", target, rest);
          free (todo);
          todo = next;
          rest = todo;
          continue;
        }
      strbuf_puts (&done, cand + done.len);
      if (last)
        break;
      if (!S_ISDIR (st.st_mode))
        {
          ocigate_make_error (err, ENOTDIR, "`%s` is not a directory", cand);
          goto fail;
        }
      if (check_node (cand, &st, true, err) < 0)
        goto fail;
    }
  if (done.len == 0)
    strbuf_puts (&done, "/");
  *ret = strbuf_steal (&done);
  *ret_st = st;
  return 0;
fail_errno:
  if (err && *err == NULL)
    ocigate_make_error (err, errno, "cannot stat `%s`", path);
fail:
  free (strbuf_steal (&done));
  return -1;
}

int
ocigate_trust_check_file (const char *path, const struct stat *st, ocigate_error_t *err)
{
  if (!S_ISREG (st->st_mode))
    return ocigate_make_error (err, EINVAL, "`%s` is not a regular file", path);
  return check_node (path, st, false, err);
}

int
ocigate_read_trusted (const char *path, size_t max_bytes, char **ret_buf, size_t *ret_len,
                      ocigate_error_t *err)
{
  cleanup_free char *real = NULL;
  struct stat st;
  if (ocigate_trust_resolve (path, true, false, &real, &st, err) < 0
      || ocigate_trust_check_file (real, &st, err) < 0)
    return -1;
  /* Every directory on the way is root's and the file is writable by no
   * one else: what is read now is what was checked. */
  return ocigate_read_file (real, max_bytes, ret_buf, ret_len, err);
}
