/* SPDX-License-Identifier: Apache-2.0 */
/* Runtime mode trusts only files root alone can write: the policy, the
 * profile it names, every directory on the way (links included), and the
 * audit log.  The standalone verbs read what they are given. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime-internal.h"
#include "testutil.h"

#define NOBODY 65534

static char tmp[] = "/tmp/ocigate-trust.XXXXXX";

static char *
at (const char *rel)
{
  return xasprintf ("%s/%s", tmp, rel);
}

static void
mkdir_mode (const char *rel, mode_t mode)
{
  cleanup_free char *p = at (rel);
  ck_assert_msg (mkdir (p, 0700) == 0, "mkdir %s: %s", p, strerror (errno));
  ck_assert (chmod (p, mode) == 0);
}

static void
write_mode (const char *rel, const char *text, mode_t mode)
{
  cleanup_free char *p = at (rel);
  FILE *f = fopen (p, "w");
  ck_assert_msg (f != NULL, "%s: %s", p, strerror (errno));
  fputs (text, f);
  fclose (f);
  ck_assert (chmod (p, mode) == 0);
}

static void
give (const char *rel, uid_t uid)
{
  cleanup_free char *p = at (rel);
  ck_assert (lchown (p, uid, (gid_t)-1) == 0);
}

static void
setup (void)
{
  ck_assert (mkdtemp (tmp) != NULL);
  ck_assert (chmod (tmp, 0755) == 0);
}

static void
teardown (void)
{
  cleanup_free char *cmd = xasprintf ("rm -rf '%s'", tmp);
  ck_assert (system (cmd) == 0);
  strcpy (tmp + strlen (tmp) - 6, "XXXXXX");
}

/* Loads in runtime mode, or fails naming `what` and `why`. */
static void
expect_lazy (const char *rel, const char *what, const char *why)
{
  cleanup_free char *p = at (rel);
  ocigate_error_t err = NULL;
  ocigate_policy_t *pol = ocigate_policy_load_lazy (p, &err);
  if (why == NULL)
    {
      ck_assert_msg (pol != NULL, "%s: %s", p, err ? err->msg : "?");
      ocigate_policy_free (pol);
      return;
    }
  ck_assert_msg (pol == NULL, "%s loaded in runtime mode", p);
  cleanup_free char *w = at (what);
  ck_assert_msg (strstr (err->msg, w) && strstr (err->msg, why) && !strchr (err->msg, '\n'),
                 "%s: want `%s` and \"%s\" in: %s", p, w, why, err->msg);
  ck_assert_msg (strstr (err->msg, "not trusted in runtime mode"), "%s", err->msg);
  ocigate_error_free (&err);
  /* the standalone verbs read it all the same */
  struct stat st;
  if (stat (p, &st) == 0 && S_ISDIR (st.st_mode))
    return;
  pol = ocigate_policy_load (p, &err);
  ck_assert_msg (pol != NULL, "%s: %s", p, err ? err->msg : "?");
  ocigate_policy_free (pol);
}

#define PRIVILEGED "{ \"preset\": \"privileged\" }"

START_TEST (test_policy_owner_and_mode)
{
  mkdir_mode ("etc", 0755);
  write_mode ("etc/ok.json", PRIVILEGED, 0644);
  expect_lazy ("etc/ok.json", NULL, NULL);
  write_mode ("etc/ro.json", PRIVILEGED, 0400);
  expect_lazy ("etc/ro.json", NULL, NULL);

  write_mode ("etc/world.json", PRIVILEGED, 0666);
  expect_lazy ("etc/world.json", "etc/world.json", "writable by group or others (mode 0666)");
  write_mode ("etc/group.json", PRIVILEGED, 0664);
  expect_lazy ("etc/group.json", "etc/group.json", "writable by group or others (mode 0664)");
  if (geteuid () == 0)
    {
      write_mode ("etc/nobody.json", PRIVILEGED, 0644);
      give ("etc/nobody.json", NOBODY);
      expect_lazy ("etc/nobody.json", "etc/nobody.json", "owned by uid 65534, not root");
      /* the attack as found: 0666, nobody's */
      write_mode ("etc/found.json", PRIVILEGED, 0666);
      give ("etc/found.json", NOBODY);
      expect_lazy ("etc/found.json", "etc/found.json", "owned by uid 65534");
    }
  mkdir_mode ("etc/dir.json", 0755);
  expect_lazy ("etc/dir.json", "etc/dir.json", "not a regular file");
}
END_TEST

START_TEST (test_policy_directories)
{
  mkdir_mode ("open", 0777);
  mkdir_mode ("open/sub", 0755);
  write_mode ("open/sub/p.json", PRIVILEGED, 0644);
  expect_lazy ("open/sub/p.json", "open", "directory");
  expect_lazy ("open/sub/p.json", "open", "writable by group or others (mode 0777)");
  mkdir_mode ("grp", 0775);
  write_mode ("grp/p.json", PRIVILEGED, 0644);
  expect_lazy ("grp/p.json", "grp", "(mode 0775)");
  /* root's sticky directory, our own directory in it: trusted */
  mkdir_mode ("sticky", 01777);
  mkdir_mode ("sticky/own", 0700);
  write_mode ("sticky/own/p.json", PRIVILEGED, 0644);
  expect_lazy ("sticky/own/p.json", NULL, NULL);
  if (geteuid () == 0)
    {
      /* ... but a name someone else made there is theirs */
      mkdir_mode ("sticky/theirs", 0755);
      give ("sticky/theirs", NOBODY);
      write_mode ("sticky/theirs/p.json", PRIVILEGED, 0644);
      expect_lazy ("sticky/theirs/p.json", "sticky/theirs", "owned by uid 65534");
      mkdir_mode ("nobodys", 01777);
      give ("nobodys", NOBODY);
      mkdir_mode ("nobodys/own", 0700);
      write_mode ("nobodys/own/p.json", PRIVILEGED, 0644);
      expect_lazy ("nobodys/own/p.json", "nobodys", "owned by uid 65534");
    }
}
END_TEST

START_TEST (test_policy_links)
{
  cleanup_free char *open_p = at ("open/p.json");
  cleanup_free char *safe_p = at ("safe/p.json");
  mkdir_mode ("open", 0777);
  mkdir_mode ("safe", 0755);
  write_mode ("open/p.json", PRIVILEGED, 0644);
  write_mode ("safe/p.json", PRIVILEGED, 0644);
  /* a link in a trusted directory into an untrusted one */
  cleanup_free char *l1 = at ("safe/link.json");
  ck_assert (symlink (open_p, l1) == 0);
  expect_lazy ("safe/link.json", "open", "(mode 0777)");
  /* a link in an untrusted directory to a trusted file: the link can be
   * repointed */
  cleanup_free char *l2 = at ("open/link.json");
  ck_assert (symlink (safe_p, l2) == 0);
  expect_lazy ("open/link.json", "open", "(mode 0777)");
  /* a directory link followed by ..: the kernel goes up from the target */
  mkdir_mode ("open/deep", 0755);
  cleanup_free char *l3 = at ("safe/d");
  cleanup_free char *deep = at ("open/deep");
  ck_assert (symlink (deep, l3) == 0);
  expect_lazy ("safe/d/../p.json", "open", "(mode 0777)");
  /* near miss: a relative link between trusted directories */
  mkdir_mode ("safe/conf", 0755);
  cleanup_free char *l4 = at ("safe/conf/policy.json");
  ck_assert (symlink ("../p.json", l4) == 0);
  expect_lazy ("safe/conf/policy.json", NULL, NULL);
}
END_TEST

START_TEST (test_profile_named_by_policy)
{
  mkdir_mode ("etc", 0755);
  const char *profile = "{ \"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [] }";
  write_mode ("etc/seccomp.json", profile, 0644);
  cleanup_free char *sp = at ("etc/seccomp.json");
  cleanup_free char *pol = xasprintf ("{ \"seccomp\": { \"profile\": \"%s\" } }", sp);
  write_mode ("etc/p.json", pol, 0644);
  expect_lazy ("etc/p.json", NULL, NULL);
  ck_assert (chmod (sp, 0646) == 0);
  expect_lazy ("etc/p.json", "etc/seccomp.json", "(mode 0646)");
}
END_TEST

static int
audit_to (const char *rel, ocigate_error_t *err)
{
  cleanup_free char *p = at (rel);
  cleanup_policy ocigate_policy_t *pol = ocigate_policy_default ();
  free (pol->audit_path);
  pol->audit_path = xstrdup (p);
  pol->audit_syslog = false;
  ocigate_audit_record_t rec = { .command = "create",
                                 .container_id = "c1",
                                 .bundle = "/b",
                                 .decision = OCIGATE_DECISION_REJECT,
                                 .error = "test" };
  return ocigate_audit_write (pol, &rec, err);
}

static void
expect_audit (const char *rel, const char *why)
{
  ocigate_error_t err = NULL;
  int r = audit_to (rel, &err);
  if (why == NULL)
    {
      ck_assert_msg (r == 0, "%s: %s", rel, err ? err->msg : "?");
      return;
    }
  ck_assert_msg (r < 0, "%s: audit written", rel);
  ck_assert_msg (strstr (err->msg, why) != NULL, "%s: want \"%s\" in: %s", rel, why, err->msg);
  ocigate_error_free (&err);
}

START_TEST (test_audit_log)
{
  struct stat st;
  mkdir_mode ("log", 0750);
  expect_audit ("log/new/audit.jsonl", NULL);
  cleanup_free char *made = at ("log/new/audit.jsonl");
  ck_assert (stat (made, &st) == 0 && (st.st_mode & 07777) == 0640);
  expect_audit ("log/new/audit.jsonl", NULL);

  mkdir_mode ("open", 0777);
  expect_audit ("open/audit.jsonl", "(mode 0777)");
  mkdir_mode ("open/sub", 0755);
  expect_audit ("open/sub/audit.jsonl", "(mode 0777)");

  /* a planted link, a hard link to another file, a shared file */
  cleanup_free char *target = at ("log/target");
  write_mode ("log/target", "", 0600);
  cleanup_free char *sym = at ("log/sym.jsonl");
  ck_assert (symlink (target, sym) == 0);
  expect_audit ("log/sym.jsonl", "cannot open the audit log");
  cleanup_free char *hard = at ("log/hard.jsonl");
  ck_assert (link (target, hard) == 0);
  expect_audit ("log/hard.jsonl", "2 hard links");
  write_mode ("log/shared.jsonl", "", 0666);
  expect_audit ("log/shared.jsonl", "(mode 0666)");
  if (geteuid () == 0)
    {
      write_mode ("log/nobody.jsonl", "", 0600);
      give ("log/nobody.jsonl", NOBODY);
      expect_audit ("log/nobody.jsonl", "owned by uid 65534");
    }
  ck_assert (stat (target, &st) == 0 && st.st_size == 0);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("trust");
  TCase *tc = tcase_create ("trust");
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_policy_owner_and_mode);
  tcase_add_test (tc, test_policy_directories);
  tcase_add_test (tc, test_policy_links);
  tcase_add_test (tc, test_profile_named_by_policy);
  tcase_add_test (tc, test_audit_log);
  suite_add_tcase (s, tc);
  return tu_run (s);
}
