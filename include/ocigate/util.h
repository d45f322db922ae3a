/* SPDX-License-Identifier: Apache-2.0 */
#ifndef OCIGATE_UTIL_H
#define OCIGATE_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

/* Error contract (docs/errors.md): a fallible function takes
 * `ocigate_error_t *err` last, returns a negative value or NULL, and fills
 * *err with a message that names the file or field and what is wrong.
 * Only main() prints errors and picks an exit code. */
typedef struct ocigate_error_s
{
  int status; /* errno, or 0 for a data error */
  char *msg;  /* owned, one line */
} * ocigate_error_t;

int ocigate_make_error (ocigate_error_t *err, int status, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));
void ocigate_error_free (ocigate_error_t *err);
/* Prefix an existing error with "prefix: ". */
int ocigate_error_prefix (ocigate_error_t *err, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

/* Out-of-memory aborts: it is never propagated. */
void *xmalloc (size_t n);
void *xzalloc (size_t n);
void *xrealloc (void *p, size_t n);
char *xstrdup (const char *s);
char *xstrndup (const char *s, size_t n);
char *xasprintf (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

static inline void
cleanup_freep (void *p)
{
  free (*(void **)p);
}
static inline void
cleanup_closep (int *fd)
{
  if (*fd >= 0)
    close (*fd);
}
static inline void
cleanup_errorp (ocigate_error_t *e)
{
  ocigate_error_free (e);
}
#define cleanup_free __attribute__ ((cleanup (cleanup_freep)))
#define cleanup_close __attribute__ ((cleanup (cleanup_closep)))
#define cleanup_error __attribute__ ((cleanup (cleanup_errorp)))

static inline void *
take_pointer (void *pp)
{
  void **p = pp;
  void *r = *p;
  *p = NULL;
  return r;
}
#define steal_pointer(pp) take_pointer (pp)

#define ARRAY_SIZE(a) (sizeof (a) / sizeof ((a)[0]))

/* A growable string. */
typedef struct
{
  char *s;
  size_t len, cap;
} strbuf_t;
void strbuf_append (strbuf_t *b, const char *s, size_t n);
void strbuf_puts (strbuf_t *b, const char *s);
void strbuf_printf (strbuf_t *b, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
char *strbuf_steal (strbuf_t *b);

/* Whole-file read with a size cap; the result is NUL-terminated and
 * *ret_len excludes the terminator.  "-" reads stdin (bounded in size;
 * asked for explicitly, so waited for).  Any other path must be a regular file: it is opened
 * non-blocking and a FIFO, device or socket is refused at once. */
int ocigate_read_file (const char *path, size_t max_bytes, char **ret_buf, size_t *ret_len,
                       ocigate_error_t *err);

/* The same for an open descriptor: regular files only. */
int ocigate_read_fd (int fd, const char *path, size_t max_bytes, char **ret_buf, size_t *ret_len,
                     ocigate_error_t *err);

/* How long a stream (pipe, FIFO, terminal) may take to deliver its
 * document. */
#define OCIGATE_STREAM_TIMEOUT_MS 10000

/* A file that may also be a stream (exec --process: `<(...)`, /dev/stdin,
 * a FIFO): a regular file is read as above; a pipe, FIFO, socket or
 * character device is read once to EOF, bounded in size and time.
 * *ret_regular says which it was. */
int ocigate_read_stream (const char *path, size_t max_bytes, char **ret_buf, size_t *ret_len,
                         bool *ret_regular, ocigate_error_t *err);

/* Atomic replace: temp file in the same directory (O_EXCL, given mode),
 * write, fsync, rename, fsync the directory.  Only a regular file (or
 * nothing) is replaced: any other node at path is an error. */
int ocigate_write_file_atomic (const char *path, const char *data, size_t len, int mode,
                               ocigate_error_t *err);

/* An output file (`rewrite -o`): a regular file or a new one is replaced
 * atomically (keeping its mode); a character device, FIFO or a link to a
 * regular file (/dev/null, /dev/stdout) is written through; anything else
 * is refused. */
int ocigate_write_output (const char *path, const char *data, size_t len, ocigate_error_t *err);

/* Lexical path normalisation: collapse //, /./, /../ and trailing '/'.
 * An absolute result never climbs above '/'.  Returns a new string. */
char *ocigate_path_normalize (const char *path);
bool ocigate_path_is_normal (const char *path);
/* true when path equals prefix or lies below it (both normalised). */
bool ocigate_path_has_prefix (const char *path, const char *prefix);

bool str_has_prefix (const char *s, const char *prefix);

/* Untrusted text (config strings, paths, keys) made safe for a terminal
 * and for line-oriented logs, the way Go's %q writes a string: C0 and C1
 * controls, DEL, Unicode separators and format characters (U+0085,
 * U+2028, bidi overrides, ...) and invalid UTF-8 become \n, \x1b,
 * \u2028, \xff; backslash becomes \\.  OCIGATE_ESC_QUOTE adds the
 * surrounding quotes and escapes `"` (exactly strconv.Quote);
 * OCIGATE_ESC_KEEP_NEWLINE keeps '\n' (for text whose lines ocigate made);
 * OCIGATE_ESC_KEEP_BACKSLASH leaves `\` alone (for text already escaped). */
enum
{
  OCIGATE_ESC_QUOTE = 1 << 0,
  OCIGATE_ESC_KEEP_NEWLINE = 1 << 1,
  OCIGATE_ESC_KEEP_BACKSLASH = 1 << 2,
};
void ocigate_escape_append (strbuf_t *b, const char *s, unsigned flags);
char *ocigate_escape (const char *s, unsigned flags);

/* trust.c: files runtime mode trusts (policy, profiles, audit log).  Every
 * directory from `/` to the file, and the directory of every symlink on
 * the way, must belong to root (or the caller) and be writable by no one
 * else (a root-owned sticky directory such as /tmp passes); the file too,
 * and be a regular file.  Errors name the offending file or directory. */
struct stat;
int ocigate_trust_resolve (const char *path, bool follow_last, bool allow_missing, char **ret,
                           struct stat *ret_st, ocigate_error_t *err);
int ocigate_trust_check_file (const char *path, const struct stat *st, ocigate_error_t *err);
int ocigate_read_trusted (const char *path, size_t max_bytes, char **ret_buf, size_t *ret_len,
                          ocigate_error_t *err);

/* One UTF-8 sequence at p (NUL-terminated) as Go's utf8.DecodeRune reads
 * it: its length, with the rune in *ret, or 0 when the bytes are not valid
 * UTF-8 (overlong, surrogate, above U+10FFFF, truncated). */
size_t ocigate_utf8_decode (const unsigned char *p, uint32_t *ret);

#endif
