/* SPDX-License-Identifier: Apache-2.0 */
#ifndef OCIGATE_RUNTIME_H
#define OCIGATE_RUNTIME_H

/* Runtime mode: ocigate called as runc.  Vets create/run/restore/exec,
 * passes everything else through, and execs the real runtime.  Returns
 * only on failure, with the exit code to use. */
int ocigate_runtime_main (int argc, char **argv);

/* `ocigate audit [OPTIONS] [FILE...]`: a summary of audit logs
 * (audit-report.c); argv[0] is "audit".  Returns the exit status. */
int ocigate_audit_report_main (int argc, char **argv);

#endif
