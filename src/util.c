/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "ocigate/util.h"

static void
oom (void)
{
  fputs ("ocigate: out of memory\n", stderr);
  abort ();
}

void *
xmalloc (size_t n)
{
  void *p = malloc (n ? n : 1);
  if (p == NULL)
    oom ();
  return p;
}

void *
xzalloc (size_t n)
{
  void *p = calloc (1, n ? n : 1);
  if (p == NULL)
    oom ();
  return p;
}

void *
xrealloc (void *p, size_t n)
{
  p = realloc (p, n ? n : 1);
  if (p == NULL)
    oom ();
  return p;
}

char *
xstrdup (const char *s)
{
  char *r = strdup (s);
  if (r == NULL)
    oom ();
  return r;
}

char *
xstrndup (const char *s, size_t n)
{
  char *r = xmalloc (n + 1);
  memcpy (r, s, n);
  r[n] = '\0';
  return r;
}

static char *xvasprintf (const char *fmt, va_list ap) __attribute__ ((format (printf, 1, 0)));

static char *
xvasprintf (const char *fmt, va_list ap)
{
  char *r;
  if (vasprintf (&r, fmt, ap) < 0)
    oom ();
  return r;
}

char *
xasprintf (const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  char *r = xvasprintf (fmt, ap);
  va_end (ap);
  return r;
}

int
ocigate_make_error (ocigate_error_t *err, int status, const char *fmt, ...)
{
  va_list ap;
  if (err == NULL)
    return -1;
  ocigate_error_free (err);
  *err = xzalloc (sizeof (**err));
  (*err)->status = status;
  va_start (ap, fmt);
  char *m = xvasprintf (fmt, ap);
  va_end (ap);
  if (status > 0)
    {
      (*err)->msg = xasprintf ("%s: %s", m, strerror (status));
      free (m);
    }
  else
    (*err)->msg = m;
  return -1;
}

int
ocigate_error_prefix (ocigate_error_t *err, const char *fmt, ...)
{
  va_list ap;
  if (err == NULL || *err == NULL)
    return -1;
  va_start (ap, fmt);
  char *p = xvasprintf (fmt, ap);
  va_end (ap);
  char *m = xasprintf ("%s: %s", p, (*err)->msg);
  free (p);
  free ((*err)->msg);
  (*err)->msg = m;
  return -1;
}

void
ocigate_error_free (ocigate_error_t *err)
{
  if (err == NULL || *err == NULL)
    return;
  free ((*err)->msg);
  free (*err);
  *err = NULL;
}

void
strbuf_append (strbuf_t *b, const char *s, size_t n)
{
  if (b->len + n + 1 > b->cap)
    {
      size_t cap = b->cap ? b->cap * 2 : 256;
      while (cap < b->len + n + 1)
        cap *= 2;
      b->s = xrealloc (b->s, cap);
      b->cap = cap;
    }
  memcpy (b->s + b->len, s, n);
  b->len += n;
  b->s[b->len] = '\0';
}

void
strbuf_puts (strbuf_t *b, const char *s)
{
  strbuf_append (b, s, strlen (s));
}

void
strbuf_printf (strbuf_t *b, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  char *s = xvasprintf (fmt, ap);
  va_end (ap);
  strbuf_puts (b, s);
  free (s);
}

char *
strbuf_steal (strbuf_t *b)
{
  char *s = b->s ? b->s : xstrdup ("");
  b->s = NULL;
  b->len = b->cap = 0;
  return s;
}

bool
str_has_prefix (const char *s, const char *prefix)
{
  return strncmp (s, prefix, strlen (prefix)) == 0;
}

/* Read fd to EOF into a NUL-terminated buffer of at most max_bytes.  With
 * stream, it is read with poll() and a deadline, so a writer that never
 * writes or never closes cannot hold the caller. */
static int
read_fd (int fd, const char *path, bool stream, size_t max_bytes, char **ret_buf, size_t *ret_len,
         ocigate_error_t *err)
{
  struct stat st;
  size_t len = 0;
  if (fstat (fd, &st) < 0)
    return ocigate_make_error (err, errno, "cannot stat `%s`", path);
  if (S_ISREG (st.st_mode) && (uintmax_t)st.st_size > max_bytes)
    return ocigate_make_error (err, 0, "`%s`: file is %jd bytes, larger than the limit of %zu",
                               path, (intmax_t)st.st_size, max_bytes);
  size_t cap = S_ISREG (st.st_mode) ? (size_t)st.st_size + 1 : 65536;
  cleanup_free char *buf = xmalloc (cap);
  struct timespec start;
  clock_gettime (CLOCK_MONOTONIC, &start);
  for (;;)
    {
      if (len + 1 >= cap)
        {
          if (cap > max_bytes + 1)
            return ocigate_make_error (err, 0, "`%s`: larger than the limit of %zu bytes", path,
                                       max_bytes);
          cap *= 2;
          buf = xrealloc (buf, cap);
        }
      if (stream)
        {
          struct timespec now;
          clock_gettime (CLOCK_MONOTONIC, &now);
          long ms
              = (long)(now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
          if (ms >= OCIGATE_STREAM_TIMEOUT_MS)
            return ocigate_make_error (err, 0, "`%s`: not complete within %d s", path,
                                       OCIGATE_STREAM_TIMEOUT_MS / 1000);
          struct pollfd p = { fd, POLLIN, 0 };
          int pr = poll (&p, 1, (int)(OCIGATE_STREAM_TIMEOUT_MS - ms));
          if (pr < 0 && errno != EINTR)
            return ocigate_make_error (err, errno, "cannot read `%s`", path);
          if (pr <= 0)
            continue;
        }
      ssize_t r = read (fd, buf + len, cap - len - 1);
      if (r < 0)
        {
          if (errno == EINTR || (stream && errno == EAGAIN))
            continue;
          return ocigate_make_error (err, errno, "cannot read `%s`", path);
        }
      if (r == 0)
        break;
      len += (size_t)r;
    }
  if (len > max_bytes)
    return ocigate_make_error (err, 0, "`%s`: larger than the limit of %zu bytes", path, max_bytes);
  buf[len] = '\0';
  *ret_buf = steal_pointer (&buf);
  *ret_len = len;
  return 0;
}

int
ocigate_read_fd (int fd, const char *path, size_t max_bytes, char **ret_buf, size_t *ret_len,
                 ocigate_error_t *err)
{
  struct stat st;
  if (fstat (fd, &st) < 0)
    return ocigate_make_error (err, errno, "cannot stat `%s`", path);
  if (S_ISDIR (st.st_mode))
    return ocigate_make_error (err, EISDIR, "cannot read `%s`", path);
  if (!S_ISREG (st.st_mode))
    return ocigate_make_error (err, 0,
                               "`%s` is not a regular file (a FIFO, device or socket is never "
                               "read)",
                               path);
  return read_fd (fd, path, false, max_bytes, ret_buf, ret_len, err);
}

int
ocigate_read_file (const char *path, size_t max_bytes, char **ret_buf, size_t *ret_len,
                   ocigate_error_t *err)
{
  cleanup_close int fd = -1;

  if (strcmp (path, "-") == 0)
    {
      /* stdin, asked for explicitly: bounded in size; a pipeline that
       * takes its time is waited for. */
      fd = dup (STDIN_FILENO);
      if (fd < 0)
        return ocigate_make_error (err, errno, "cannot open `%s`", path);
      struct stat st;
      if (fstat (fd, &st) == 0 && S_ISDIR (st.st_mode))
        return ocigate_make_error (err, EISDIR, "cannot read `%s`", path);
      return read_fd (fd, path, false, max_bytes, ret_buf, ret_len, err);
    }
  /* O_NONBLOCK: opening a FIFO must not wait for a writer; anything but a
   * regular file is refused at once after the fstat. */
  fd = open (path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    return ocigate_make_error (err, errno, "cannot open `%s`", path);
  return ocigate_read_fd (fd, path, max_bytes, ret_buf, ret_len, err);
}

int
ocigate_read_stream (const char *path, size_t max_bytes, char **ret_buf, size_t *ret_len,
                     bool *ret_regular, ocigate_error_t *err)
{
  cleanup_close int fd = -1;
  struct stat st;
  int n = -1;
  char tail;
  /* /dev/stdin, /dev/fd/N: a stream is read from the descriptor the caller
   * gave, not reopened.  A FIFO reopened after its writer has gone would
   * never see an end of file. */
  if (strcmp (path, "/dev/stdin") == 0)
    n = STDIN_FILENO;
  else if (sscanf (path, "/dev/fd/%d%c", &n, &tail) != 1
           && sscanf (path, "/proc/self/fd/%d%c", &n, &tail) != 1)
    n = -1;
  if (n >= 0)
    {
      struct stat a;
      if (stat (path, &a) == 0 && fstat (n, &st) == 0 && a.st_dev == st.st_dev
          && a.st_ino == st.st_ino && !S_ISREG (st.st_mode))
        fd = fcntl (n, F_DUPFD_CLOEXEC, 3);
    }
  if (fd < 0)
    fd = open (path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    return ocigate_make_error (err, errno, "cannot open `%s`", path);
  if (fstat (fd, &st) < 0)
    return ocigate_make_error (err, errno, "cannot stat `%s`", path);
  if (S_ISREG (st.st_mode))
    {
      *ret_regular = true;
      return read_fd (fd, path, false, max_bytes, ret_buf, ret_len, err);
    }
  if (!S_ISFIFO (st.st_mode) && !S_ISSOCK (st.st_mode) && !S_ISCHR (st.st_mode))
    return ocigate_make_error (err, S_ISDIR (st.st_mode) ? EISDIR : 0,
                               "`%s` is neither a regular file nor a stream", path);
  *ret_regular = false;
  return read_fd (fd, path, true, max_bytes, ret_buf, ret_len, err);
}

static int
write_all (int fd, const char *data, size_t len)
{
  while (len > 0)
    {
      ssize_t w = write (fd, data, len);
      if (w < 0)
        {
          if (errno == EINTR)
            continue;
          return -1;
        }
      data += w;
      len -= (size_t)w;
    }
  return 0;
}

int
ocigate_write_file_atomic (const char *path, const char *data, size_t len, int mode,
                           ocigate_error_t *err)
{
  cleanup_free char *dircopy = xstrdup (path);
  const char *dir = dirname (dircopy);
  cleanup_free char *tmp = NULL;
  cleanup_close int fd = -1;
  cleanup_close int dfd = -1;
  struct stat st;

  /* Only a regular file is ever replaced: a rename over /dev/null, a FIFO
   * or a symlink would swap the node itself for a file. */
  if (lstat (path, &st) == 0 && !S_ISREG (st.st_mode))
    return ocigate_make_error (err, 0, "`%s` is not a regular file: refusing to replace it", path);

  /* O_EXCL on a name unique to this process: two concurrent writers never
   * share a temp file, and a stale one from a killed process is never
   * reused. */
  for (int attempt = 0; fd < 0 && attempt < 100; attempt++)
    {
      free (tmp);
      tmp = xasprintf ("%s.ocigate-%ld-%d.tmp", path, (long)getpid (), attempt);
      fd = open (tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode & 07777);
      if (fd < 0 && errno != EEXIST)
        return ocigate_make_error (err, errno, "cannot create `%s`", tmp);
    }
  if (fd < 0)
    return ocigate_make_error (err, EEXIST, "cannot create a temporary file beside `%s`", path);
  /* The umask must not weaken or strengthen the original mode. */
  if (fchmod (fd, mode & 07777) < 0 || write_all (fd, data, len) < 0 || fsync (fd) < 0)
    {
      int e = errno;
      unlink (tmp);
      return ocigate_make_error (err, e, "cannot write `%s`", tmp);
    }
  if (rename (tmp, path) < 0)
    {
      int e = errno;
      unlink (tmp);
      return ocigate_make_error (err, e, "cannot rename `%s` to `%s`", tmp, path);
    }
  dfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0 || fsync (dfd) < 0)
    return ocigate_make_error (err, errno, "cannot sync directory `%s`", dir);
  return 0;
}

int
ocigate_write_output (const char *path, const char *data, size_t len, ocigate_error_t *err)
{
  struct stat lst, st;
  if (lstat (path, &lst) < 0)
    {
      if (errno != ENOENT)
        return ocigate_make_error (err, errno, "cannot stat `%s`", path);
      return ocigate_write_file_atomic (path, data, len, 0644, err);
    }
  if (S_ISREG (lst.st_mode))
    return ocigate_write_file_atomic (path, data, len, (int)(lst.st_mode & 07777), err);
  if (stat (path, &st) < 0)
    return ocigate_make_error (err, errno, "cannot stat `%s`", path);
  /* /dev/null, /dev/stdout (a link to a pipe, a terminal or the file the
   * shell redirected to), a FIFO: written through, never replaced. */
  if (!S_ISCHR (st.st_mode) && !S_ISFIFO (st.st_mode) && !S_ISREG (st.st_mode))
    return ocigate_make_error (err, 0,
                               "`%s` is not a regular file, a character device or a FIFO: "
                               "refusing to write to it",
                               path);
  cleanup_close int fd
      = open (path, O_WRONLY | O_CLOEXEC | O_NOCTTY | (S_ISREG (st.st_mode) ? O_TRUNC : 0));
  if (fd < 0)
    return ocigate_make_error (err, errno, "cannot open `%s`", path);
  if (write_all (fd, data, len) < 0)
    return ocigate_make_error (err, errno, "cannot write `%s`", path);
  return 0;
}

/* Already in normal form: absolute, no empty, "." or ".." component, no
 * trailing slash.  The common case, so callers can skip the copy. */
bool
ocigate_path_is_normal (const char *path)
{
  if (path[0] != '/')
    return false;
  for (const char *p = path; *p; p++)
    {
      if (*p != '/')
        continue;
      if (p[1] == '/' || (p[1] == '\0' && p != path))
        return false;
      if (p[1] == '.'
          && (p[2] == '/' || p[2] == '\0' || (p[2] == '.' && (p[3] == '/' || p[3] == '\0'))))
        return false;
    }
  return true;
}

char *
ocigate_path_normalize (const char *path)
{
  size_t n = strlen (path);
  char *out = xmalloc (n + 2);
  size_t o = 0;
  bool abs = path[0] == '/';
  const char *p = path;

  if (abs)
    out[o++] = '/';
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
      else if (l == 2 && p[0] == '.' && p[1] == '.')
        {
          /* Pop one component; an absolute path never climbs above '/'. */
          size_t floor = abs ? 1 : 0;
          if (o > floor)
            {
              while (o > floor && out[o - 1] != '/')
                o--;
              if (o > floor)
                o--;
            }
          else if (!abs)
            {
              memcpy (out + o, "../", 3);
              o += 3;
              floor = o;
            }
        }
      else
        {
          if (o > 0 && out[o - 1] != '/')
            out[o++] = '/';
          memcpy (out + o, p, l);
          o += l;
        }
      p += l;
    }
  if (o > 1 && out[o - 1] == '/')
    o--;
  if (o == 0)
    out[o++] = '.';
  out[o] = '\0';
  return out;
}

bool
ocigate_path_has_prefix (const char *path, const char *prefix)
{
  size_t n = strlen (prefix);
  if (strcmp (prefix, "/") == 0)
    return path[0] == '/';
  return strncmp (path, prefix, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* ---- escaping untrusted text ---- */

/* One UTF-8 sequence as Go's utf8.DecodeRune reads it: the rune and its
 * length, or length 0 when the bytes are not valid UTF-8 (overlong,
 * surrogate, above U+10FFFF, truncated). */
size_t
ocigate_utf8_decode (const unsigned char *p, uint32_t *ret)
{
  uint32_t c = p[0], min;
  size_t n;
  if (c < 0x80)
    {
      *ret = c;
      return 1;
    }
  if ((c & 0xE0) == 0xC0)
    n = 2, min = 0x80, c &= 0x1F;
  else if ((c & 0xF0) == 0xE0)
    n = 3, min = 0x800, c &= 0x0F;
  else if ((c & 0xF8) == 0xF0)
    n = 4, min = 0x10000, c &= 0x07;
  else
    return 0;
  for (size_t i = 1; i < n; i++)
    {
      if ((p[i] & 0xC0) != 0x80) /* also stops at the terminating NUL */
        return 0;
      c = (c << 6) | (p[i] & 0x3F);
    }
  if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
    return 0;
  *ret = c;
  return n;
}

/* strconv.IsPrint for what can move a cursor, break a line, reorder text
 * or hide it: controls (Cc), separators other than the ASCII space (Zs,
 * Zl, Zp), format characters (Cf), private use and noncharacters.
 * Unassigned code points are the one difference from Go: they pass. */
static bool
go_is_print (uint32_t r)
{
  static const uint32_t not_print[][2] = {
    { 0x00, 0x1F },       { 0x7F, 0xA0 },        { 0xAD, 0xAD },       { 0x600, 0x605 },
    { 0x61C, 0x61C },     { 0x6DD, 0x6DD },      { 0x70F, 0x70F },     { 0x890, 0x891 },
    { 0x8E2, 0x8E2 },     { 0x1680, 0x1680 },    { 0x180E, 0x180E },   { 0x2000, 0x200F },
    { 0x2028, 0x202F },   { 0x205F, 0x206F },    { 0x3000, 0x3000 },   { 0xD800, 0xF8FF },
    { 0xFDD0, 0xFDEF },   { 0xFEFF, 0xFEFF },    { 0xFFF9, 0xFFFB },   { 0x110BD, 0x110BD },
    { 0x110CD, 0x110CD }, { 0x13430, 0x1343F },  { 0x1BCA0, 0x1BCA3 }, { 0x1D173, 0x1D17A },
    { 0xE0000, 0xE0FFF }, { 0xF0000, 0x10FFFF },
  };
  if ((r & 0xFFFE) == 0xFFFE) /* U+xFFFE, U+xFFFF in every plane */
    return false;
  for (size_t i = 0; i < sizeof (not_print) / sizeof (not_print[0]); i++)
    if (r >= not_print[i][0] && r <= not_print[i][1])
      return false;
  return true;
}

void
ocigate_escape_append (strbuf_t *b, const char *s, unsigned flags)
{
  bool quote = flags & OCIGATE_ESC_QUOTE;
  if (quote)
    strbuf_puts (b, "\"");
  for (const unsigned char *p = (const unsigned char *)s; *p;)
    {
      uint32_t r;
      size_t n = ocigate_utf8_decode (p, &r);
      char esc[16];
      if (n == 0)
        {
          snprintf (esc, sizeof (esc), "\\x%02x", *p);
          strbuf_puts (b, esc);
          p++;
          continue;
        }
      if ((r == '"' && quote) || (r == '\\' && !(flags & OCIGATE_ESC_KEEP_BACKSLASH)))
        {
          esc[0] = '\\', esc[1] = (char)r, esc[2] = '\0';
          strbuf_puts (b, esc);
        }
      else if (go_is_print (r) || (r == '\n' && (flags & OCIGATE_ESC_KEEP_NEWLINE)))
        strbuf_append (b, (const char *)p, n);
      else
        {
          const char *named = r > 0 && r < 0x20 ? strchr ("\a\b\f\n\r\t\v", (int)r) : NULL;
          if (named)
            snprintf (esc, sizeof (esc), "\\%c", "abfnrtv"[named - "\a\b\f\n\r\t\v"]);
          else if (r < 0x20 || r == 0x7F)
            snprintf (esc, sizeof (esc), "\\x%02x", (unsigned)r);
          else if (r < 0x10000)
            snprintf (esc, sizeof (esc), "\\u%04x", (unsigned)r);
          else
            snprintf (esc, sizeof (esc), "\\U%08x", (unsigned)r);
          strbuf_puts (b, esc);
        }
      p += n;
    }
  if (quote)
    strbuf_puts (b, "\"");
}

char *
ocigate_escape (const char *s, unsigned flags)
{
  strbuf_t b = { 0 };
  strbuf_puts (&b, "");
  ocigate_escape_append (&b, s ? s : "", flags);
  return strbuf_steal (&b);
}
