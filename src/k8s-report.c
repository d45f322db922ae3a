/* SPDX-License-Identifier: Apache-2.0 */
/* Reports on manifests: each finding points at the manifest (file,
 * document, YAML path, line and column) instead of a config.json
 * pointer, which stays alongside as the predicted field. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "engine-internal.h"
#include "k8s-internal.h"

/* Text from the input may hold any byte: what is not UTF-8 becomes
 * U+FFFD so the JSON stays valid; control characters are shown as '?'
 * in the text report so a line stays one line. */
static char *
clean (const char *s, bool text)
{
  strbuf_t b = { 0 };
  strbuf_puts (&b, "");
  for (const unsigned char *p = (const unsigned char *)s; p && *p;)
    {
      uint32_t c;
      size_t n = ocigate_utf8_decode (p, &c);
      if (n == 0)
        {
          strbuf_puts (&b, "\xef\xbf\xbd");
          p++;
          continue;
        }
      if (text && n == 1 && (c < 0x20 || c == 0x7f))
        strbuf_puts (&b, "?");
      else
        strbuf_append (&b, (const char *)p, n);
      p += n;
    }
  return strbuf_steal (&b);
}

static const char *
decision (const ocigate_result_t *r)
{
  if (r->reject)
    return "reject";
  for (size_t i = 0; i < r->n; i++)
    if (r->f[i].action == OCIGATE_ACTION_REWRITE && r->mode == OCIGATE_MODE_ENFORCE)
      return "rewrite";
  return "allow";
}

int
k8s_exit_code (const k8s_file_t *files, size_t n)
{
  int worst = 0;
  for (size_t i = 0; i < n; i++)
    {
      if (files[i].error)
        return 2;
      for (size_t j = 0; j < files[i].n; j++)
        if (files[i].items[j].res.reject)
          worst = 1;
    }
  return worst;
}

static void
write_text (FILE *out, const k8s_file_t *files, size_t n)
{
  size_t counts[4] = { 0 };
  for (size_t i = 0; i < n; i++)
    {
      const k8s_file_t *f = &files[i];
      cleanup_free char *file = clean (f->file, true);
      if (f->error)
        {
          cleanup_free char *e = clean (f->error, true);
          fprintf (out, "%s: error: %s\n", file, e);
          counts[3]++;
          continue;
        }
      for (size_t j = 0; j < f->n; j++)
        {
          const k8s_item_t *it = &f->items[j];
          cleanup_free char *obj = clean (it->name, true);
          cleanup_free char *ctr = clean (it->container, true);
          for (size_t k = 0; k < it->res.n; k++)
            {
              const ocigate_finding_t *fi = &it->res.f[k];
              cleanup_free char *msg = clean (fi->message, true);
              fprintf (out,
                       "%s:%u:%u: %s %s at %s (document %zu, %s %s, container %s): %s; fix: %s\n",
                       file, it->locs[k].line, it->locs[k].col, ocigate_action_name (fi->action),
                       ocigate_rule_info (fi->rule)->id, it->locs[k].path, it->doc, it->kind, obj,
                       ctr, msg, ocigate_finding_fix (fi));
            }
          const char *d = decision (&it->res);
          fprintf (out, "%s:%u:%u: %s %s/%s container %s (policy %s%s)\n", file, it->where.line,
                   it->where.col, d, it->kind, obj, ctr, it->res.policy_name,
                   it->res.exemption >= 0 ? ", exemption" : "");
          counts[strcmp (d, "allow") == 0 ? 0 : strcmp (d, "rewrite") == 0 ? 1 : 2]++;
        }
    }
  fprintf (out, "%zu containers checked: %zu allowed, %zu rewritten, %zu rejected, %zu errors\n",
           counts[0] + counts[1] + counts[2], counts[0], counts[1], counts[2], counts[3]);
}

static void
set_str (ocigate_doc_t *d, ocigate_json_t *o, const char *k, const char *v)
{
  cleanup_free char *c = clean (v, false);
  oj_set (d, o, k, oj_new_string (d, c));
}

static ocigate_json_t *
region (ocigate_doc_t *d, const k8s_loc_t *l)
{
  ocigate_json_t *r = oj_new (d, OJ_OBJECT);
  oj_set (d, r, "startLine", oj_new_int (d, l->line ? l->line : 1));
  oj_set (d, r, "startColumn", oj_new_int (d, l->col ? l->col : 1));
  return r;
}

/* The shape of validate's JSON report on bundles: one result per
 * container (or per file that could not be judged), findings with the
 * manifest location and the predicted config's pointer. */
static ocigate_json_t *
build_json (ocigate_doc_t *d, const k8s_file_t *files, size_t n)
{
  ocigate_json_t *root = oj_new (d, OJ_OBJECT);
  set_str (d, root, "version", PACKAGE_VERSION);
  ocigate_json_t *arr = oj_ensure_array (d, root, "results");
  for (size_t i = 0; i < n; i++)
    {
      const k8s_file_t *f = &files[i];
      if (f->error)
        {
          ocigate_json_t *fo = oj_new (d, OJ_OBJECT);
          set_str (d, fo, "path", f->file);
          set_str (d, fo, "verdict", "error");
          set_str (d, fo, "error", f->error);
          oj_append (d, arr, fo);
          continue;
        }
      for (size_t j = 0; j < f->n; j++)
        {
          const k8s_item_t *it = &f->items[j];
          ocigate_json_t *c = oj_new (d, OJ_OBJECT);
          set_str (d, c, "path", f->file);
          set_str (d, c, "verdict", decision (&it->res));
          oj_set (d, c, "document", oj_new_int (d, (int64_t)it->doc));
          set_str (d, c, "kind", it->kind);
          set_str (d, c, "name", it->name);
          set_str (d, c, "namespace", it->namespace);
          set_str (d, c, "container", it->container);
          set_str (d, c, "yaml_path", it->where.path);
          oj_set (d, c, "line", oj_new_int (d, it->where.line));
          oj_set (d, c, "column", oj_new_int (d, it->where.col));
          set_str (d, c, "policy", it->res.policy_name);
          set_str (d, c, "mode", ocigate_mode_name (it->res.mode));
          if (it->res.exemption >= 0)
            oj_set (d, c, "exemption", oj_new_int (d, it->res.exemption));
          ocigate_json_t *fs = oj_ensure_array (d, c, "findings");
          for (size_t k = 0; k < it->res.n; k++)
            {
              const ocigate_finding_t *fi = &it->res.f[k];
              ocigate_json_t *o = oj_new (d, OJ_OBJECT);
              set_str (d, o, "rule", ocigate_rule_info (fi->rule)->id);
              set_str (d, o, "action", ocigate_action_name (fi->action));
              set_str (d, o, "pointer", fi->pointer);
              set_str (d, o, "message", fi->message);
              set_str (d, o, "fix", ocigate_finding_fix (fi));
              set_str (d, o, "yaml_path", it->locs[k].path);
              oj_set (d, o, "line", oj_new_int (d, it->locs[k].line));
              oj_set (d, o, "column", oj_new_int (d, it->locs[k].col));
              oj_append (d, fs, o);
            }
          oj_append (d, arr, c);
        }
    }
  return root;
}

static const char *
sarif_level (ocigate_action_t a)
{
  return ocigate_sarif_level (a); /* as validate's own SARIF (src/report.c) */
}

static ocigate_json_t *
sarif_location (ocigate_doc_t *d, const char *file, const k8s_loc_t *l)
{
  ocigate_json_t *loc = oj_new (d, OJ_OBJECT);
  ocigate_json_t *phys = oj_ensure_object (d, loc, "physicalLocation");
  set_str (d, oj_ensure_object (d, phys, "artifactLocation"), "uri", file);
  oj_set (d, phys, "region", region (d, l));
  ocigate_json_t *logical = oj_ensure_array (d, loc, "logicalLocations");
  ocigate_json_t *ll = oj_new (d, OJ_OBJECT);
  set_str (d, ll, "fullyQualifiedName", l->path);
  oj_append (d, logical, ll);
  return loc;
}

static ocigate_json_t *
build_sarif (ocigate_doc_t *d, const k8s_file_t *files, size_t n)
{
  ocigate_json_t *root = oj_new (d, OJ_OBJECT);
  set_str (d, root, "version", "2.1.0");
  set_str (d, root, "$schema", "https://json.schemastore.org/sarif-2.1.0.json");
  ocigate_json_t *runs = oj_ensure_array (d, root, "runs");
  ocigate_json_t *run = oj_new (d, OJ_OBJECT);
  oj_append (d, runs, run);
  ocigate_json_t *driver = oj_ensure_object (d, oj_ensure_object (d, run, "tool"), "driver");
  set_str (d, driver, "name", "ocigate");
  set_str (d, driver, "version", PACKAGE_VERSION);
  ocigate_json_t *rules = oj_ensure_array (d, driver, "rules");
  for (int r = 0; r < OCIGATE_RULE_COUNT; r++)
    {
      const ocigate_rule_info_t *ri = ocigate_rule_info ((ocigate_rule_id_t)r);
      ocigate_json_t *o = oj_new (d, OJ_OBJECT);
      set_str (d, o, "id", ri->id);
      set_str (d, oj_ensure_object (d, o, "shortDescription"), "text", ri->description);
      set_str (d, oj_ensure_object (d, o, "help"), "text", ri->fix);
      cleanup_free char *uri = ocigate_rule_help_uri ((ocigate_rule_id_t)r);
      set_str (d, o, "helpUri", uri);
      oj_append (d, rules, o);
    }
  ocigate_json_t *results = oj_ensure_array (d, run, "results");
  for (size_t i = 0; i < n; i++)
    {
      const k8s_file_t *f = &files[i];
      if (f->error)
        {
          ocigate_json_t *o = oj_new (d, OJ_OBJECT);
          set_str (d, o, "ruleId", "error");
          set_str (d, o, "level", "error");
          set_str (d, oj_ensure_object (d, o, "message"), "text", f->error);
          k8s_loc_t l = { (char *)"", 1, 1 };
          ocigate_json_t *locs = oj_ensure_array (d, o, "locations");
          oj_append (d, locs, sarif_location (d, f->file, &l));
          oj_append (d, results, o);
          continue;
        }
      for (size_t j = 0; j < f->n; j++)
        {
          const k8s_item_t *it = &f->items[j];
          for (size_t k = 0; k < it->res.n; k++)
            {
              const ocigate_finding_t *fi = &it->res.f[k];
              ocigate_json_t *o = oj_new (d, OJ_OBJECT);
              set_str (d, o, "ruleId", ocigate_rule_info (fi->rule)->id);
              oj_set (d, o, "ruleIndex", oj_new_int (d, fi->rule));
              set_str (d, o, "level", sarif_level (fi->action));
              cleanup_free char *text
                  = xasprintf ("%s (%s %s, container %s; config %s): %s; fix: %s",
                               ocigate_action_name (fi->action), it->kind, it->name, it->container,
                               fi->pointer, fi->message, ocigate_finding_fix (fi));
              set_str (d, oj_ensure_object (d, o, "message"), "text", text);
              ocigate_json_t *locs = oj_ensure_array (d, o, "locations");
              oj_append (d, locs, sarif_location (d, f->file, &it->locs[k]));
              oj_append (d, results, o);
            }
        }
    }
  return root;
}

int
k8s_report_write (FILE *out, ocigate_format_t fmt, const k8s_file_t *files, size_t n,
                  ocigate_error_t *err)
{
  if (fmt == OCIGATE_FORMAT_TEXT)
    {
      write_text (out, files, n);
      return 0;
    }
  cleanup_doc ocigate_doc_t *d = ocigate_doc_new ();
  ocigate_json_t *root
      = fmt == OCIGATE_FORMAT_JSON ? build_json (d, files, n) : build_sarif (d, files, n);
  cleanup_free char *buf = NULL;
  size_t len;
  if (ocigate_json_serialize (root, true, &buf, &len, err) < 0)
    return -1;
  fwrite (buf, 1, len, out);
  fputc ('\n', out);
  return 0;
}

int
k8s_validate (const ocigate_policy_t *pol, ocigate_format_t fmt, char **paths, size_t n, FILE *out)
{
  cleanup_error ocigate_error_t err = NULL;
  k8s_file_t *files = xzalloc ((n + 1) * sizeof (*files));
  for (size_t i = 0; i < n; i++)
    k8s_judge_file (pol, paths[i], &files[i]);
  int code = k8s_exit_code (files, n);
  if (k8s_report_write (out, fmt, files, n, &err) < 0)
    {
      fprintf (stderr, "ocigate: %s\n", err->msg);
      code = 2;
    }
  for (size_t i = 0; i < n; i++)
    k8s_file_free (&files[i]);
  free (files);
  return code;
}
