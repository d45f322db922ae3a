/* SPDX-License-Identifier: Apache-2.0 */
/* `policy check` beyond loading: which policy runtime mode takes, and
 * what a loaded policy names that this machine cannot honour or that can
 * never match. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#ifdef HAVE_SECCOMP
#include <seccomp.h>
#endif

#include "engine-internal.h"

/* As runtime mode's load_policy (src/runtime.c) chooses. */
const char *
ocigate_policy_node_path (const char **ret_from)
{
  const char *env = getenv ("OCIGATE_POLICY");
  struct stat st;
  if (env && *env)
    {
      *ret_from = "$OCIGATE_POLICY";
      return env;
    }
  /* A file that exists but cannot be read fails closed in runtime mode:
   * only its absence means the embedded default. */
  if (stat (OCIGATE_POLICY_PATH, &st) < 0 && errno == ENOENT)
    {
      *ret_from = "no " OCIGATE_POLICY_PATH;
      return NULL;
    }
  *ret_from = "the node's policy";
  return OCIGATE_POLICY_PATH;
}

static void
add (ocigate_strlist_t *l, char *line)
{
  l->v = xrealloc (l->v, (l->n + 2) * sizeof (char *));
  l->v[l->n++] = line;
  l->v[l->n] = NULL;
}

/* Syscall names resolve with libseccomp on this architecture, as runc
 * resolves them (runc skips a name it cannot resolve: a misspelt
 * dangerous name is never judged, a misspelt allowed one never given). */
static void
lint_syscalls (const ocigate_strlist_t *names, const char *key, ocigate_strlist_t *out)
{
  if (names->n == 0)
    return;
#ifdef HAVE_SECCOMP
  strbuf_t b = { 0 };
  size_t bad = 0;
  for (size_t i = 0; i < names->n; i++)
    if (seccomp_syscall_resolve_name (names->v[i]) == __NR_SCMP_ERROR)
      {
        strbuf_printf (&b, "%s\"%s\"", bad ? ", " : "", names->v[i]);
        bad++;
      }
  if (bad)
    {
      struct utsname u;
      add (out, xasprintf ("%s: %s %s not a syscall libseccomp knows on %s", key, b.s,
                           bad == 1 ? "is" : "are", uname (&u) == 0 ? u.machine : "this machine"));
    }
  free (b.s);
#else
  add (out, xasprintf ("%s: built without seccomp: syscall names cannot be checked", key));
#endif
}

static void
lint_runtime (const char *runtime, ocigate_strlist_t *out)
{
  struct stat st;
  if (stat (runtime, &st) < 0)
    add (out, xasprintf ("runtime: `%s`: %s", runtime, strerror (errno)));
  else if (!S_ISREG (st.st_mode) || access (runtime, X_OK) < 0)
    add (out, xasprintf ("runtime: `%s` is not an executable file", runtime));
}

/* A Kubernetes namespace is a DNS label: lower-case letters, digits and
 * '-'.  Anything else is a name no pod has. */
static bool
namespace_name (const char *s, size_t n)
{
  return n <= 63 && strspn (s, "abcdefghijklmnopqrstuvwxyz0123456789-") >= n;
}

static void
lint_exemption (const ocigate_exemption_t *x, size_t i, ocigate_strlist_t *out)
{
  for (size_t k = 0; k < x->namespaces.n; k++)
    {
      const char *ns = x->namespaces.v[k];
      size_t n = strlen (ns);
      const char *star = strchr (ns, '*');
      if (star && star != ns + n - 1)
        add (out, xasprintf ("exemptions[%zu].namespaces: \"%s\" never matches: '*' works only at "
                             "the end (\"dev-*\")",
                             i, ns));
      else if (!namespace_name (ns, star ? n - 1 : n) || n == 0)
        add (out, xasprintf ("exemptions[%zu].namespaces: \"%s\" is not a Kubernetes namespace "
                             "name: it never matches",
                             i, ns));
    }
  for (size_t k = 0; k < x->images.n; k++)
    if (strchr (x->images.v[k], '*'))
      add (out, xasprintf ("exemptions[%zu].images: \"%s\" never matches: images match by "
                           "prefix, without '*' (\"registry.example.com/team/\")",
                           i, x->images.v[k]));
  for (size_t k = 0; k < x->container_types.n; k++)
    {
      const char *t = x->container_types.v[k];
      if (strcmp (t, "sandbox") != 0 && strcmp (t, "container") != 0 && strcmp (t, "*") != 0)
        add (out, xasprintf ("exemptions[%zu].container_types: \"%s\" never matches: the "
                             "engines say sandbox or container",
                             i, t));
    }
  cleanup_free char *key = xasprintf ("exemptions[%zu].seccomp.allow", i);
  lint_syscalls (&x->seccomp_allow, key, out);
}

size_t
ocigate_policy_lint (const ocigate_policy_t *p, ocigate_strlist_t *out)
{
  size_t before = out->n;
  lint_runtime (p->runtime, out);
  lint_syscalls (&p->seccomp_dangerous, "seccomp.dangerous", out);
  lint_syscalls (&p->seccomp_allow, "seccomp.allow", out);
  for (size_t k = 0; k < p->images_allowed.n; k++)
    if (strchr (p->images_allowed.v[k], '*'))
      add (out, xasprintf ("images.allowed: \"%s\" never matches: images match by prefix, "
                           "without '*' (\"registry.example.com/team/\")",
                           p->images_allowed.v[k]));
  /* Runtime mode runs in whatever directory the engine starts it in
   * (containerd: the bundle, which the container's owner shapes). */
  if (p->audit_path && p->audit_path[0] != '\0' && p->audit_path[0] != '/')
    add (out, xasprintf ("audit.path: \"%s\" is not an absolute path (\"\" turns the file off)",
                         p->audit_path));
  for (size_t i = 0; i < p->n_exemptions; i++)
    lint_exemption (&p->exemptions[i], i, out);
  return out->n - before;
}
