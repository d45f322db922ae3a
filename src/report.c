/* SPDX-License-Identifier: Apache-2.0 */
/* validate's reports: text for people, JSON for scripts, SARIF 2.1.0 for
 * code-scanning dashboards. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>

#include "engine-internal.h"

/* Paths and messages carry bytes from the input, and a file name can be
 * any bytes: what is not UTF-8 is written as U+FFFD, so the report stays
 * valid JSON and still names the file. */
static void
gen_str (yajl_gen g, const char *s)
{
  if (yajl_gen_string (g, (const unsigned char *)s, strlen (s)) != yajl_gen_invalid_string)
    return;
  strbuf_t b = { 0 };
  for (const unsigned char *p = (const unsigned char *)s; *p;)
    {
      uint32_t r;
      size_t n = ocigate_utf8_decode (p, &r);
      if (n)
        strbuf_append (&b, (const char *)p, n);
      else
        strbuf_puts (&b, "\xef\xbf\xbd");
      p += n ? n : 1;
    }
  cleanup_free char *clean = strbuf_steal (&b);
  yajl_gen_string (g, (const unsigned char *)clean, strlen (clean));
}

#define G_STR(g, s) gen_str (g, s)

static const char *
verdict (const ocigate_report_item_t *it)
{
  if (it->error)
    return "error";
  if (it->res.reject)
    return "reject";
  for (size_t i = 0; i < it->res.n; i++)
    if (it->res.f[i].action == OCIGATE_ACTION_REWRITE && it->res.mode == OCIGATE_MODE_ENFORCE)
      return "rewrite";
  return "allow";
}

/* The text report is read on a terminal and line by line: every string
 * that comes from the input (file names, config values in messages,
 * pointers built from keys, the policy's name) is escaped as Go's %q
 * escapes, so a newline or a terminal escape in a config can neither
 * forge a line ("...: allow") nor rewrite the screen. */
static void
put_text (FILE *out, const char *s)
{
  cleanup_free char *e = ocigate_escape (s, 0);
  fputs (e, out);
}

static int
write_text (FILE *out, const ocigate_report_item_t *items, size_t n)
{
  size_t counts[4] = { 0 }; /* allow, rewrite, reject, error */
  for (size_t k = 0; k < n; k++)
    {
      const ocigate_report_item_t *it = &items[k];
      const char *v = verdict (it);
      if (it->error)
        {
          put_text (out, it->path);
          fputs (": error: ", out);
          put_text (out, it->error);
          fputc ('\n', out);
          counts[3]++;
          continue;
        }
      for (size_t i = 0; i < it->res.n; i++)
        {
          const ocigate_finding_t *f = &it->res.f[i];
          const ocigate_rule_info_t *r = ocigate_rule_info (f->rule);
          put_text (out, it->path);
          fprintf (out, ": %s %s ", ocigate_action_name (f->action), r->id);
          put_text (out, *f->pointer ? f->pointer : "/");
          fputs (": ", out);
          put_text (out, f->message);
          fprintf (out, "; fix: %s\n", ocigate_finding_fix (f));
        }
      if (it->res.note)
        {
          put_text (out, it->path);
          fputs (": note: ", out);
          put_text (out, it->res.note);
          fputc ('\n', out);
        }
      put_text (out, it->path);
      fprintf (out, ": %s (policy ", v);
      put_text (out, it->res.policy_name);
      fprintf (out, "%s%s)\n", it->res.mode != OCIGATE_MODE_ENFORCE ? ", mode " : "",
               it->res.mode != OCIGATE_MODE_ENFORCE ? ocigate_mode_name (it->res.mode) : "");
      counts[strcmp (v, "allow") == 0 ? 0 : strcmp (v, "rewrite") == 0 ? 1 : 2]++;
    }
  fprintf (out, "%zu checked: %zu allowed, %zu rewritten, %zu rejected, %zu errors\n", n, counts[0],
           counts[1], counts[2], counts[3]);
  return 0;
}

static void
gen_findings (yajl_gen g, const ocigate_result_t *res)
{
  yajl_gen_array_open (g);
  for (size_t i = 0; i < res->n; i++)
    {
      const ocigate_finding_t *f = &res->f[i];
      const ocigate_rule_info_t *r = ocigate_rule_info (f->rule);
      yajl_gen_map_open (g);
      G_STR (g, "rule");
      G_STR (g, r->id);
      G_STR (g, "action");
      G_STR (g, ocigate_action_name (f->action));
      G_STR (g, "pointer");
      G_STR (g, f->pointer);
      G_STR (g, "message");
      G_STR (g, f->message);
      G_STR (g, "fix");
      G_STR (g, ocigate_finding_fix (f));
      yajl_gen_map_close (g);
    }
  yajl_gen_array_close (g);
}

static void
gen_json (yajl_gen g, const ocigate_report_item_t *items, size_t n)
{
  yajl_gen_map_open (g);
  G_STR (g, "version");
  G_STR (g, PACKAGE_VERSION);
  G_STR (g, "results");
  yajl_gen_array_open (g);
  for (size_t k = 0; k < n; k++)
    {
      const ocigate_report_item_t *it = &items[k];
      yajl_gen_map_open (g);
      G_STR (g, "path");
      G_STR (g, it->path);
      G_STR (g, "verdict");
      G_STR (g, verdict (it));
      if (it->error)
        {
          G_STR (g, "error");
          G_STR (g, it->error);
        }
      else
        {
          G_STR (g, "policy");
          G_STR (g, it->res.policy_name);
          G_STR (g, "mode");
          G_STR (g, ocigate_mode_name (it->res.mode));
          G_STR (g, "findings");
          gen_findings (g, &it->res);
        }
      yajl_gen_map_close (g);
    }
  yajl_gen_array_close (g);
  yajl_gen_map_close (g);
}

/* Where docs/errors.md is read: the installed copy unless the build names
 * a published one (CPPFLAGS=-DOCIGATE_DOCS_URL='"https://.../errors.md"'). */
#ifndef OCIGATE_DOCS_URL
#define OCIGATE_DOCS_URL "file://" DOCDIR "/errors.md"
#endif

char *
ocigate_rule_help_uri (ocigate_rule_id_t id)
{
  return xasprintf ("%s#%s", OCIGATE_DOCS_URL, ocigate_rule_info (id)->id);
}

/* By the finding's action, whatever the mode: reject is an error (the
 * container does not run, or would not under enforce), rewrite and warn
 * are warnings (something to fix in the workload: the gate changed it, or
 * the policy lets it through only because the operator chose so).  "note"
 * is left to nothing: every finding names a weakness. */
const char *
ocigate_sarif_level (ocigate_action_t a)
{
  return a == OCIGATE_ACTION_REJECT ? "error" : "warning";
}

/* The node an RFC 6901 pointer names, or the deepest that exists; the
 * byte offset of its key when it is a member. */
static size_t
pointer_offset (ocigate_doc_t *doc, const char *ptr)
{
  const ocigate_json_t *n = ocigate_doc_root (doc);
  size_t off = n ? n->offset : 0;
  while (n && *ptr == '/')
    {
      ptr++;
      size_t len = strcspn (ptr, "/");
      strbuf_t tok = { 0 };
      strbuf_puts (&tok, "");
      for (size_t i = 0; i < len; i++)
        {
          char c = ptr[i];
          if (c == '~' && i + 1 < len && (ptr[i + 1] == '0' || ptr[i + 1] == '1'))
            c = ptr[++i] == '0' ? '~' : '/';
          strbuf_append (&tok, &c, 1);
        }
      ptr += len;
      const ocigate_json_t *next = NULL;
      size_t next_off = 0;
      if (n->type == OJ_OBJECT)
        {
          for (size_t i = 0; i < n->u.obj.n; i++)
            if (n->u.obj.m[i].klen == tok.len && memcmp (n->u.obj.m[i].key, tok.s, tok.len) == 0)
              {
                next = n->u.obj.m[i].val;
                next_off = n->u.obj.m[i].koffset ? n->u.obj.m[i].koffset : next->offset;
                break;
              }
        }
      else if (n->type == OJ_ARRAY && tok.len > 0 && strspn (tok.s, "0123456789") == tok.len)
        {
          unsigned long long i = strtoull (tok.s, NULL, 10);
          if (i < n->u.arr.n)
            {
              next = n->u.arr.v[i];
              next_off = next->offset;
            }
        }
      free (tok.s);
      n = next;
      if (n)
        off = next_off;
    }
  return off;
}

void
ocigate_report_locate (ocigate_report_item_t *it, ocigate_doc_t *doc)
{
  free (it->pos);
  it->pos = xzalloc ((it->res.n + 1) * 2 * sizeof (unsigned));
  for (size_t i = 0; i < it->res.n; i++)
    ocigate_doc_position (doc, pointer_offset (doc, it->res.f[i].pointer), &it->pos[2 * i],
                          &it->pos[2 * i + 1]);
}

static void
gen_sarif (yajl_gen g, const ocigate_report_item_t *items, size_t n)
{
  yajl_gen_map_open (g);
  G_STR (g, "$schema");
  G_STR (g, "https://json.schemastore.org/sarif-2.1.0.json");
  G_STR (g, "version");
  G_STR (g, "2.1.0");
  G_STR (g, "runs");
  yajl_gen_array_open (g);
  yajl_gen_map_open (g);
  G_STR (g, "tool");
  yajl_gen_map_open (g);
  G_STR (g, "driver");
  yajl_gen_map_open (g);
  G_STR (g, "name");
  G_STR (g, "ocigate");
  G_STR (g, "version");
  G_STR (g, PACKAGE_VERSION);
  G_STR (g, "rules");
  yajl_gen_array_open (g);
  for (int r = 0; r < OCIGATE_RULE_COUNT; r++)
    {
      const ocigate_rule_info_t *ri = ocigate_rule_info ((ocigate_rule_id_t)r);
      yajl_gen_map_open (g);
      G_STR (g, "id");
      G_STR (g, ri->id);
      G_STR (g, "shortDescription");
      yajl_gen_map_open (g);
      G_STR (g, "text");
      G_STR (g, ri->description);
      yajl_gen_map_close (g);
      G_STR (g, "help");
      yajl_gen_map_open (g);
      G_STR (g, "text");
      G_STR (g, ri->fix);
      yajl_gen_map_close (g);
      cleanup_free char *uri = ocigate_rule_help_uri ((ocigate_rule_id_t)r);
      G_STR (g, "helpUri");
      G_STR (g, uri);
      /* the level of the restricted preset's action; off is "none" */
      G_STR (g, "defaultConfiguration");
      yajl_gen_map_open (g);
      G_STR (g, "level");
      G_STR (g, ri->defaults[OCIGATE_PRESET_RESTRICTED] == OCIGATE_ACTION_OFF
                    ? "none"
                    : ocigate_sarif_level (ri->defaults[OCIGATE_PRESET_RESTRICTED]));
      yajl_gen_map_close (g);
      yajl_gen_map_close (g);
    }
  yajl_gen_array_close (g);
  yajl_gen_map_close (g);
  yajl_gen_map_close (g);
  G_STR (g, "results");
  yajl_gen_array_open (g);
  for (size_t k = 0; k < n; k++)
    {
      const ocigate_report_item_t *it = &items[k];
      size_t count = it->error ? 1 : it->res.n;
      for (size_t i = 0; i < count; i++)
        {
          const ocigate_finding_t *f = it->error ? NULL : &it->res.f[i];
          yajl_gen_map_open (g);
          G_STR (g, "ruleId");
          G_STR (g, f ? ocigate_rule_info (f->rule)->id : "input-error");
          if (f)
            {
              G_STR (g, "ruleIndex");
              yajl_gen_integer (g, f->rule);
            }
          G_STR (g, "level");
          G_STR (g, f ? ocigate_sarif_level (f->action) : "error");
          G_STR (g, "message");
          yajl_gen_map_open (g);
          G_STR (g, "text");
          if (f)
            {
              cleanup_free char *t
                  = xasprintf ("%s (%s at %s)", f->message, ocigate_action_name (f->action),
                               *f->pointer ? f->pointer : "/");
              G_STR (g, t);
            }
          else
            G_STR (g, it->error);
          yajl_gen_map_close (g);
          G_STR (g, "locations");
          yajl_gen_array_open (g);
          yajl_gen_map_open (g);
          G_STR (g, "physicalLocation");
          yajl_gen_map_open (g);
          G_STR (g, "artifactLocation");
          yajl_gen_map_open (g);
          G_STR (g, "uri");
          G_STR (g, it->file ? it->file : it->path);
          yajl_gen_map_close (g);
          if (f && it->pos && it->pos[2 * i] > 0)
            {
              G_STR (g, "region");
              yajl_gen_map_open (g);
              G_STR (g, "startLine");
              yajl_gen_integer (g, it->pos[2 * i]);
              G_STR (g, "startColumn");
              yajl_gen_integer (g, it->pos[2 * i + 1]);
              yajl_gen_map_close (g);
            }
          yajl_gen_map_close (g);
          if (f)
            {
              G_STR (g, "logicalLocations");
              yajl_gen_array_open (g);
              yajl_gen_map_open (g);
              G_STR (g, "fullyQualifiedName");
              G_STR (g, *f->pointer ? f->pointer : "/");
              G_STR (g, "kind");
              G_STR (g, "element");
              yajl_gen_map_close (g);
              yajl_gen_array_close (g);
            }
          yajl_gen_map_close (g);
          yajl_gen_array_close (g);
          yajl_gen_map_close (g);
        }
    }
  yajl_gen_array_close (g);
  yajl_gen_map_close (g);
  yajl_gen_array_close (g);
  yajl_gen_map_close (g);
}

int
ocigate_report_write (FILE *out, ocigate_format_t fmt, const ocigate_report_item_t *items, size_t n,
                      ocigate_error_t *err)
{
  if (fmt == OCIGATE_FORMAT_TEXT)
    return write_text (out, items, n);
  yajl_gen g = yajl_gen_alloc (NULL);
  const unsigned char *buf;
  size_t len;
  yajl_gen_config (g, yajl_gen_beautify, 1);
  /* Paths and messages may carry bytes from the input: keep the output
   * valid JSON whatever they hold. */
  yajl_gen_config (g, yajl_gen_validate_utf8, 1);
  if (fmt == OCIGATE_FORMAT_JSON)
    gen_json (g, items, n);
  else
    gen_sarif (g, items, n);
  if (yajl_gen_get_buf (g, &buf, &len) != yajl_gen_status_ok)
    {
      yajl_gen_free (g);
      return ocigate_make_error (err, 0, "cannot write the report");
    }
  fwrite (buf, 1, len, out);
  yajl_gen_free (g);
  return 0;
}
