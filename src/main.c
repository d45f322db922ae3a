/* SPDX-License-Identifier: Apache-2.0 */
/* The command line: parse argv, call the engine, print, pick the exit code. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "ocigate/engine.h"
#include "ocigate/runtime.h"
#include "k8s-internal.h"

enum
{
  EXIT_ALLOW = 0,
  EXIT_REJECT = 1,
  EXIT_ERROR = 2
};

static const char *const features =
#ifdef HAVE_SECCOMP
    "+seccomp"
#else
    "-seccomp"
#endif
#ifdef HAVE_APPARMOR
    " +apparmor"
#else
    " -apparmor"
#endif
#ifdef HAVE_SELINUX
    " +selinux"
#else
    " -selinux"
#endif
    ;

static int
fail (ocigate_error_t *err)
{
  fprintf (stderr, "ocigate: %s\n", (*err)->msg);
  return EXIT_ERROR;
}

static int usage_error (const char *verb, const char *fmt, const char *arg)
    __attribute__ ((format (printf, 2, 0)));

static int
usage_error (const char *verb, const char *fmt, const char *arg)
{
  fprintf (stderr, "ocigate %s: ", verb);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
  fprintf (stderr, fmt, arg);
#pragma GCC diagnostic pop
  fprintf (stderr, "\nTry 'ocigate %s --help'.\n", verb);
  return EXIT_ERROR;
}

static const char help_main[]
    = "Usage: ocigate [RUNC-GLOBAL-FLAGS] RUNC-COMMAND [ARGS...]   (runtime mode)\n"
      "       ocigate validate [--policy FILE] [--mode M] [--format text|json|sarif] [--host]\n"
      "                        PATH...\n"
      "       ocigate rewrite [--policy FILE] [--mode M] [--host] [-o OUT] PATH\n"
      "       ocigate policy show|check [--policy FILE | FILE]\n"
      "       ocigate profile seccomp|apparmor\n"
      "       ocigate audit [--since TIME] [--format text|json] [FILE...]\n"
      "       ocigate version\n\n"
      "A gate in front of an OCI runtime: vets config.json, rejects unsafe containers,\n"
      "hardens the rest, then runs the real runtime.  PATH is a bundle directory, a\n"
      "config file, or - for stdin.  `ocigate help` and `ocigate --help` are runc's;\n"
      "this text is `ocigate help ocigate`.  See ocigate(8).\n";

static const char help_validate[]
    = "Usage: ocigate validate [OPTIONS] PATH...\n\n"
      "Judge bundles or config files against the policy.  Kubernetes manifests (*.yaml,\n"
      "*.yml, or JSON with apiVersion and kind) are judged container by container through\n"
      "the config containerd 1.6 would write; give either manifests or bundles.\n\n"
      "  -p, --policy FILE   policy file (default: the embedded restricted policy)\n"
      "  -m, --mode MODE     judge in this mode instead of the policy's: enforce (CI with\n"
      "                      a warn or audit node policy), warn or audit\n"
      "  -f, --format FMT    text (default), json or sarif (SARIF 2.1.0)\n"
      "      --host          make the host-specific checks (namespace inodes, symlinks,\n"
      "                      AppArmor/SELinux state) as runtime mode does\n"
      "  -h, --help          this help\n\n"
      "Options may come anywhere on the line; `--` ends them (a PATH after it may\n"
      "start with -).\n\n"
      "Exit status: 0 every config would run (perhaps after rewrites), 1 at least one\n"
      "is rejected, 2 at least one could not be judged (unreadable, malformed, bad policy).\n";

static const char help_rewrite[]
    = "Usage: ocigate rewrite [OPTIONS] PATH\n\n"
      "Print the config as ocigate would hand it to the runtime.\n\n"
      "  -p, --policy FILE   policy file (default: the embedded restricted policy)\n"
      "  -m, --mode MODE     enforce, warn or audit instead of the policy's mode (warn\n"
      "                      and audit change nothing)\n"
      "  -o, --output FILE   write there atomically instead of stdout (may be PATH itself)\n"
      "      --host          make the host-specific checks\n"
      "  -h, --help          this help\n\n"
      "Options may come anywhere on the line; `--` ends them.\n\n"
      "Exit status: 0 written, 1 rejected (nothing written), 2 error.\n";

static const char help_policy[]
    = "Usage: ocigate policy show [--policy FILE | FILE]\n"
      "       ocigate policy check [--policy FILE | FILE]\n\n"
      "show prints the effective policy with every default filled in (it loads back\n"
      "with check); check lints a policy file (exit 0 valid, 2 invalid, each problem\n"
      "on a line with its line and column) and what the file names on this machine:\n"
      "syscall names, the runtime, the audit path.\n\n"
      "Without a FILE both take the policy runtime mode loads: $OCIGATE_POLICY, "
      "else\n" OCIGATE_POLICY_PATH " if it exists, else the embedded default; read as\n"
      "runtime mode reads it (owned by root, writable by no one else).  The source\n"
      "is named on stderr and in show's \"source\" field.\n";

static const char help_profile[] = "Usage: ocigate profile seccomp|apparmor\n\n"
                                   "Print an embedded default profile.\n";

enum
{
  OPT_HOST = 256
};

static const struct option verb_opts[] = {
  { "policy", required_argument, NULL, 'p' },
  { "format", required_argument, NULL, 'f' },
  { "output", required_argument, NULL, 'o' },
  { "mode", required_argument, NULL, 'm' },
  { "host", no_argument, NULL, OPT_HOST },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

struct verb_args
{
  const char *policy;
  const char *format;
  const char *output;
  const char *mode;
  bool host;
  bool help;
};

/* The option as the user wrote it, for messages. */
static const char *
opt_name (char **argv, char *buf, size_t len)
{
  const char *last = argv[optind - 1];
  if (optopt && strncmp (last, "--", 2) != 0)
    {
      snprintf (buf, len, "-%c", optopt);
      return buf;
    }
  return last;
}

/* Options anywhere on the line (`validate b1 --format json`), `--` ends
 * them.  getopt's in-order mode ("-") hands back each operand as it comes,
 * whatever POSIXLY_CORRECT says; the operands are then moved, in their
 * order, to argv[optind..argc). */
static int
parse_verb (const char *verb, int argc, char **argv, const char *allowed, struct verb_args *a)
{
  int c;
  char buf[16];
  cleanup_free char **ops = xzalloc ((size_t)argc * sizeof (char *));
  size_t n_ops = 0;
  optind = 0; /* glibc: start afresh */
  opterr = 0;
  while ((c = getopt_long (argc, argv, "-:p:f:o:m:h", verb_opts, NULL)) != -1)
    {
      if (c == 1)
        {
          ops[n_ops++] = optarg;
          continue;
        }
      if (c != '?' && c != ':' && !strchr (allowed, c == OPT_HOST ? 'H' : c))
        {
          const struct option *o = verb_opts;
          while (o->val != c)
            o++;
          snprintf (buf, sizeof (buf), "--%s", o->name);
          return usage_error (verb, "unknown option '%s'", buf);
        }
      switch (c)
        {
        case 'p':
          a->policy = optarg;
          break;
        case 'f':
          a->format = optarg;
          break;
        case 'o':
          a->output = optarg;
          break;
        case 'm':
          a->mode = optarg;
          break;
        case OPT_HOST:
          a->host = true;
          break;
        case 'h':
          a->help = true;
          break;
        case ':':
          return usage_error (verb, "option '%s' needs a value",
                              opt_name (argv, buf, sizeof (buf)));
        default:
          return usage_error (verb, "unknown option '%s'", opt_name (argv, buf, sizeof (buf)));
        }
    }
  /* what follows `--` */
  for (int i = optind; i < argc; i++)
    ops[n_ops++] = argv[i];
  optind = argc - (int)n_ops;
  for (size_t i = 0; i < n_ops; i++)
    argv[optind + (int)i] = ops[i];
  return 0;
}

/* --mode: the mode to judge in, whatever the policy says. */
static int
parse_mode (const char *verb, const char *s, int *ret)
{
  *ret = -1;
  if (s == NULL)
    return 0;
  for (int m = OCIGATE_MODE_ENFORCE; m <= OCIGATE_MODE_AUDIT; m++)
    if (strcmp (s, ocigate_mode_name ((ocigate_mode_t)m)) == 0)
      {
        *ret = m;
        return 0;
      }
  return usage_error (verb, "unknown mode '%s' (enforce, warn or audit)", s);
}

static ocigate_policy_t *
load_policy (const char *path, ocigate_error_t *err)
{
  return ocigate_policy_load (path, err);
}

/* Resolve PATH to the config file and the bundle directory. */
static void
locate (const char *path, char **ret_config, char **ret_bundle)
{
  struct stat st;
  if (strcmp (path, "-") == 0)
    {
      *ret_config = xstrdup ("-");
      *ret_bundle = xstrdup (".");
    }
  else if (stat (path, &st) == 0 && S_ISDIR (st.st_mode))
    {
      *ret_config = xasprintf ("%s/config.json", path);
      *ret_bundle = xstrdup (path);
    }
  else
    {
      char *copy = xstrdup (path);
      *ret_config = xstrdup (path);
      *ret_bundle = xstrdup (dirname (copy));
      free (copy);
    }
}

/* Read, parse and judge one config; on success *ret_doc holds the tree,
 * rewritten when apply. */
static int
judge (const ocigate_policy_t *pol, const char *path, bool host, ocigate_result_t *res,
       ocigate_doc_t **ret_doc, bool apply, char **ret_config, ocigate_error_t *err)
{
  cleanup_free char *config = NULL;
  cleanup_free char *bundle = NULL;
  cleanup_free char *buf = NULL;
  size_t len;
  locate (path, &config, &bundle);
  if (ocigate_read_file (config, pol->max_config_bytes, &buf, &len, err) < 0)
    return -1;
  ocigate_doc_t *doc = ocigate_config_parse (buf, len, pol, config, err);
  if (doc == NULL)
    return -1;
  ocigate_eval_opts_t opts = { .name = config, .bundle = bundle, .host_checks = host };
  if (ocigate_evaluate (pol, doc, &opts, res, err) < 0
      || (apply && ocigate_apply (pol, doc, &opts, res, err) < 0))
    {
      ocigate_doc_free (doc);
      return -1;
    }
  if (ret_doc)
    *ret_doc = doc;
  else
    ocigate_doc_free (doc);
  if (ret_config)
    *ret_config = steal_pointer (&config);
  return 0;
}

static int
cmd_validate (int argc, char **argv)
{
  struct verb_args a = { 0 };
  cleanup_error ocigate_error_t err = NULL;
  ocigate_format_t fmt = OCIGATE_FORMAT_TEXT;
  int mode;
  int r = parse_verb ("validate", argc, argv, "pfmhH", &a);
  if (r)
    return r;
  if (a.help)
    {
      fputs (help_validate, stdout);
      return 0;
    }
  if (a.format)
    {
      if (strcmp (a.format, "text") == 0)
        fmt = OCIGATE_FORMAT_TEXT;
      else if (strcmp (a.format, "json") == 0)
        fmt = OCIGATE_FORMAT_JSON;
      else if (strcmp (a.format, "sarif") == 0)
        fmt = OCIGATE_FORMAT_SARIF;
      else
        return usage_error ("validate", "unknown format '%s' (text, json or sarif)", a.format);
    }
  if (parse_mode ("validate", a.mode, &mode))
    return EXIT_ERROR;
  if (optind >= argc)
    return usage_error ("validate", "%s", "no PATH given");
  cleanup_policy ocigate_policy_t *pol = load_policy (a.policy, &err);
  if (pol == NULL)
    return fail (&err);
  if (mode >= 0)
    pol->mode = (ocigate_mode_t)mode;

  size_t n = (size_t)(argc - optind);
  /* Kubernetes manifests (by name or content, see k8s_is_manifest) are
   * judged through the config the CRI would write for each container. */
  size_t manifests = 0;
  for (size_t i = 0; i < n; i++)
    manifests += k8s_is_manifest (argv[optind + (int)i], pol->max_config_bytes);
  if (manifests && manifests != n)
    return usage_error ("validate", "%s", "give either manifests or bundles, not both");
  if (manifests)
    return k8s_validate (pol, fmt, argv + optind, n, stdout);
  ocigate_report_item_t *items = xzalloc (n * sizeof (*items));
  int worst = EXIT_ALLOW;
  for (size_t i = 0; i < n; i++)
    {
      cleanup_doc ocigate_doc_t *doc = NULL;
      items[i].path = argv[optind + (int)i];
      if (judge (pol, items[i].path, a.host, &items[i].res, &doc, false, &items[i].file, &err) < 0)
        {
          items[i].error = xstrdup (err->msg);
          ocigate_error_free (&err);
          worst = EXIT_ERROR;
          continue;
        }
      /* SARIF regions: where each finding's pointer is in the file */
      ocigate_report_locate (&items[i], doc);
      if (items[i].res.reject && worst < EXIT_REJECT)
        worst = EXIT_REJECT;
    }
  if (ocigate_report_write (stdout, fmt, items, n, &err) < 0)
    worst = fail (&err);
  if (fflush (stdout) != 0 || ferror (stdout))
    {
      fprintf (stderr, "ocigate: cannot write the report: %s\n", strerror (errno));
      worst = EXIT_ERROR;
    }
  for (size_t i = 0; i < n; i++)
    {
      ocigate_result_free (&items[i].res);
      free (items[i].error);
      free (items[i].file);
      free (items[i].pos);
    }
  free (items);
  return worst;
}

static int
cmd_rewrite (int argc, char **argv)
{
  struct verb_args a = { 0 };
  cleanup_error ocigate_error_t err = NULL;
  cleanup_doc ocigate_doc_t *doc = NULL;
  cleanup_free char *config = NULL;
  cleanup_free char *out = NULL;
  ocigate_result_t res = { 0 };
  size_t len;
  int mode;
  int r = parse_verb ("rewrite", argc, argv, "pomhH", &a);
  if (r)
    return r;
  if (a.help)
    {
      fputs (help_rewrite, stdout);
      return 0;
    }
  if (parse_mode ("rewrite", a.mode, &mode))
    return EXIT_ERROR;
  if (argc - optind != 1)
    return usage_error ("rewrite", "%s", "expected exactly one PATH");
  cleanup_policy ocigate_policy_t *pol = load_policy (a.policy, &err);
  if (pol == NULL)
    return fail (&err);
  if (mode >= 0)
    pol->mode = (ocigate_mode_t)mode;
  if (judge (pol, argv[optind], a.host, &res, &doc, true, &config, &err) < 0)
    return fail (&err);
  if (res.reject)
    {
      cleanup_free char *msg = ocigate_result_message (&res);
      fprintf (stderr, "%s\n", msg);
      ocigate_result_free (&res);
      return EXIT_REJECT;
    }
  ocigate_result_free (&res);
  if (ocigate_json_serialize (ocigate_doc_root (doc), true, &out, &len, &err) < 0)
    return fail (&err);
  if (a.output && strcmp (a.output, "-") != 0)
    {
      if (ocigate_write_output (a.output, out, len, &err) < 0)
        return fail (&err);
      return EXIT_ALLOW;
    }
  if (fwrite (out, 1, len, stdout) != len || fflush (stdout) != 0)
    {
      fprintf (stderr, "ocigate: cannot write to stdout: %s\n", strerror (errno));
      return EXIT_ERROR;
    }
  return EXIT_ALLOW;
}

static int
cmd_policy (int argc, char **argv)
{
  struct verb_args a = { 0 };
  cleanup_error ocigate_error_t err = NULL;
  if (argc < 2)
    {
      fputs (help_policy, stderr);
      return EXIT_ERROR;
    }
  int r = parse_verb ("policy", argc, argv, "ph", &a);
  if (r)
    return r;
  if (a.help)
    {
      fputs (help_policy, stdout);
      return 0;
    }
  if (optind >= argc)
    return usage_error ("policy", "%s", "show or check?");
  const char *sub = argv[optind];
  if (strcmp (sub, "show") != 0 && strcmp (sub, "check") != 0)
    return usage_error ("policy", "unknown command '%s' (show or check)", sub);
  const char *file = a.policy;
  if (optind + 1 < argc)
    {
      if (file || optind + 2 < argc)
        return usage_error ("policy", "%s", "too many arguments");
      file = argv[optind + 1];
    }
  bool check = strcmp (sub, "check") == 0;
  /* No file: the one runtime mode loads, read as runtime mode reads it. */
  cleanup_policy ocigate_policy_t *pol = NULL;
  const char *name = file;
  if (file == NULL)
    {
      const char *from;
      name = ocigate_policy_node_path (&from);
      fprintf (stderr, "ocigate policy: %s%s%s (%s), as runtime mode loads it\n", name ? "`" : "",
               name ? name : "the embedded default", name ? "`" : "", from);
      pol = ocigate_policy_load_lazy (name, &err);
    }
  else
    pol = load_policy (file, &err);
  if (pol == NULL)
    return fail (&err);
  if (check)
    {
      ocigate_strlist_t problems = { 0 };
      if (ocigate_policy_lint (pol, &problems) > 0)
        {
          for (size_t i = 0; i < problems.n; i++)
            {
              fprintf (stderr, "ocigate: `%s`: %s\n", name ? name : "embedded default",
                       problems.v[i]);
              free (problems.v[i]);
            }
          free (problems.v);
          return EXIT_ERROR;
        }
      fprintf (stdout, "%s: ok (preset %s, mode %s, %zu exemptions)\n",
               name ? name : "embedded default", ocigate_preset_name (pol->preset),
               ocigate_mode_name (pol->mode), pol->n_exemptions);
      return 0;
    }
  cleanup_free char *out = NULL;
  size_t len;
  if (ocigate_policy_show (pol, &out, &len, &err) < 0)
    return fail (&err);
  fwrite (out, 1, len, stdout);
  return 0;
}

static int
cmd_profile (int argc, char **argv)
{
  if (argc == 2 && strcmp (argv[1], "seccomp") == 0)
    fputs (ocigate_default_seccomp_json, stdout);
  else if (argc == 2 && strcmp (argv[1], "apparmor") == 0)
    fputs (ocigate_default_apparmor_profile, stdout);
  else if (argc == 2 && (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0))
    fputs (help_profile, stdout);
  else
    {
      fputs (help_profile, stderr);
      return EXIT_ERROR;
    }
  return 0;
}

static int
cmd_version (void)
{
  printf ("ocigate version %s\nfeatures: %s\nruntime: %s\n", PACKAGE_VERSION, features,
          OCIGATE_DEFAULT_RUNTIME);
  return 0;
}

int
main (int argc, char **argv)
{
  if (argc >= 2)
    {
      const char *verb = argv[1];
      if (strcmp (verb, "validate") == 0)
        return cmd_validate (argc - 1, argv + 1);
      if (strcmp (verb, "rewrite") == 0)
        return cmd_rewrite (argc - 1, argv + 1);
      if (strcmp (verb, "policy") == 0)
        return cmd_policy (argc - 1, argv + 1);
      if (strcmp (verb, "profile") == 0)
        return cmd_profile (argc - 1, argv + 1);
      if (strcmp (verb, "audit") == 0)
        return ocigate_audit_report_main (argc - 1, argv + 1);
      if (strcmp (verb, "version") == 0)
        return cmd_version ();
      /* `help` is runc's (a drop-in answers as runc does); runc has no
       * help topic `ocigate`. */
      if (strcmp (verb, "help") == 0 && argc == 3 && strcmp (argv[2], "ocigate") == 0)
        {
          fputs (help_main, stdout);
          return 0;
        }
    }
  /* Anything else is a runc command line, no arguments included: runc
   * prints its help then (`ocigate help` prints ocigate's). */
  return ocigate_runtime_main (argc, argv);
}
