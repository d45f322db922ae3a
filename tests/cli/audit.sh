#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The audit trail end to end, runtime mode against tests/helpers/fake-runc:
#  - `ocigate audit` over the log the gate wrote, a rotated and a
#    gzip-compressed one, with malformed lines, --since, text and JSON;
#  - the metrics file after N decisions, also 20 at once;
#  - rotation at audit.max_bytes keeping audit.keep files;
#  - a decision neither the log nor syslog can record: a warning line in
#    --log (never level=error), else stderr.
. "${top_srcdir:?}/tests/cli/lib.sh"
command -v jq >/dev/null || { echo "SKIP: jq missing"; exit 77; }
command -v gzip >/dev/null || { echo "SKIP: gzip missing"; exit 77; }
chmod 0755 "$work"
mkdir -p "$work/etc" "$work/bundle" "$work/rootb" "$work/rec" "$work/log" "$work/metrics"
chmod 0755 "$work/etc" "$work/bundle" "$work/rootb" "$work/metrics"
chmod 0750 "$work/log"
# runc's spec: uid 0, no seccomp.  Under warn mode it starts; under
# enforce root-user rejects it.
cp "$DATA/generated/runc-spec.json" "$work/rootb/config.json"
jq '.process.user.uid = 1000 | .process.user.gid = 1000' "$DATA/generated/runc-spec.json" \
  >"$work/bundle/config.json"
export OCIGATE_RUNTIME="$top_srcdir/tests/helpers/fake-runc" FAKE_RUNC_DIR="$work/rec"
P=$work/etc/policy.json
export OCIGATE_POLICY="$P"
LOG=$work/log/audit.jsonl
M=$work/metrics/ocigate.prom

write_policy() { # MODE [EXTRA-AUDIT-KEYS]
  printf '{ "mode": "%s", "audit": { "path": "%s", "syslog": false %s },
  "metrics": { "path": "%s" } }\n' "$1" "$LOG" "${2:-}" "$M" >"$P"
  chmod 0644 "$P"
}
metric() { # NAME-AND-LABELS-PATTERN: the sum of matching series
  awk -v p="$1" 'index($0, p) == 1 { s += $NF } END { print s + 0 }' "$M"
}

# ---- records from real decisions ----
write_policy warn
for i in 1 2 3; do run 0 create --bundle "$work/rootb" "w$i"; done
write_policy enforce
run 1 create --bundle "$work/rootb" r1
run 0 create --bundle "$work/bundle" e1
check "four records plus one" [ "$(grep -c '' "$LOG")" -eq 5 ]
last=$(tail -n 1 "$LOG")
check "a rewrite record names what changed" \
  [ "$(printf '%s' "$last" | jq -r '.decision + " " + (.changed | index("/linux/seccomp") | tostring)')" != "rewrite null" ]
check "findings carry message and fix" \
  [ "$(head -n 1 "$LOG" | jq -r '.findings[0] | (.message | length > 0) and (.fix | length > 0)')" = true ]
check "warn mode records say enforce would reject" \
  [ "$(head -n 1 "$LOG" | jq -r .would_reject)" = true ]
if getent group adm >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
  check "the new log is root:adm 0640" [ "$(stat -c '%U:%G %a' "$LOG")" = "root:adm 640" ]
fi

# ---- metrics after those five ----
check "metrics: five decisions" [ "$(metric 'ocigate_decisions_total{')" -eq 5 ]
check "metrics: three allowed in warn mode" \
  [ "$(metric 'ocigate_decisions_total{decision="allow",mode="warn"')" -eq 3 ]
check "metrics: one reject" [ "$(metric 'ocigate_decisions_total{decision="reject"')" -eq 1 ]
check "metrics: three would be rejected" [ "$(metric 'ocigate_would_reject_total{')" -eq 3 ]
check "metrics: root-user rejects counted by rule" \
  [ "$(metric 'ocigate_findings_total{rule="root-user",action="reject"')" -eq 4 ]
check "metrics: the textfile format" grep -q '^# TYPE ocigate_decisions_total counter$' "$M"
check "metrics: readable by the collector" [ "$(stat -c %a "$M")" = 644 ]

# ---- an exec is a decision too ----
FAKE_RUNC_BUNDLE=$work/bundle run 0 exec e1 true
check "exec: recorded" [ "$(tail -n 1 "$LOG" | jq -r '.command + " " + .container_id')" = "exec e1" ]
check "exec: counted" [ "$(metric 'ocigate_decisions_total{')" -eq 6 ]

# ---- 20 at once lose no count ----
write_policy warn
pids=
for i in $(seq 1 20); do
  "$OCIGATE" create --bundle "$work/bundle" "p$i" >/dev/null 2>&1 &
  pids="$pids $!"
done
ok=0
for p in $pids; do wait "$p" && ok=$((ok + 1)); done
check "20 parallel creates all started" [ "$ok" -eq 20 ]
check "metrics: 26 decisions after 20 parallel ones" [ "$(metric 'ocigate_decisions_total{')" -eq 26 ]
check "audit: 26 whole records" [ "$(jq -c .decision "$LOG" | grep -c '')" -eq 26 ]
check "no temporary file left" [ ! -e "$M.tmp" ]

# ---- ocigate audit over it all: rotated, compressed, malformed ----
cat >"$work/old.jsonl" <<'EOF'
{"time":"2020-01-01T00:00:00.000001Z","decision":"allow","command":"create","namespace":"team-a","pod":"web-1","container":"nginx","image":"docker.io/library/nginx:1","mode":"warn","rules":["root-user"],"findings":[{"rule":"root-user","action":"reject","pointer":"/process/user/uid","message":"m","fix":"f"}],"would_reject":true}
{"time":"2020-01-02T00:00:00.000001Z","decision":"reject","command":"create","namespace":"team-a","pod":"web-2","container":"nginx","image":"docker.io/library/nginx:1","mode":"enforce","rules":["privileged"],"findings":[{"rule":"privileged","action":"reject","pointer":"/linux","message":"m","fix":"f"}]}
EOF
gzip -c "$work/old.jsonl" >"$LOG.2.gz"
cat >"$LOG.1" <<'EOF'
{"time":"2020-02-01T00:00:00Z","decision":"rewrite","command":"create","namespace":"team-b","pod":"db-0","container":"pg","image":"registry.example/pg:16","mode":"enforce","rules":["seccomp"],"findings":[{"rule":"seccomp","action":"rewrite","pointer":"/linux/seccomp","message":"m","fix":"f"}],"changed":["/linux/seccomp"]}
not json at all
{"time":"yesterday","decision":"allow"}
EOF
printf '{"time":"2020-02-02T00:00:00Z","decision":"al' >>"$LOG.1" # cut short, no newline
run 0 audit
check "audit: reads the log and both rotations, oldest first" \
  [ "$(printf '%s\n' "$out" | grep -c '^/')" -eq 3 ]
check "audit: the .gz comes first" contains "$(printf '%s\n' "$out" | head -n 1)" "audit.jsonl.2.gz: 2 records"
check "audit: malformed lines counted" contains "$out" "audit.jsonl.1: 1 records, 3 malformed lines"
check "audit: would-be rejections" contains "$out" "would be rejected under enforce (warn/audit mode decisions): 4"
run 0 audit --format json
check "audit json: 29 records" [ "$(printf '%s' "$out" | jq .records)" -eq 29 ]
check "audit json: 3 malformed" [ "$(printf '%s' "$out" | jq .malformed)" -eq 3 ]
check "audit json: by decision" \
  [ "$(printf '%s' "$out" | jq -c '.decisions | [.allow, .reject, .rewrite]')" = "[25,2,2]" ]
check "audit json: by namespace, pod, container, image" \
  [ "$(printf '%s' "$out" | jq -c '[.namespaces["team-a"], .pods["team-a/web-1"], .containers["team-b/db-0/pg"], .images["registry.example/pg:16"]]')" = "[2,1,1,1]" ]
check "audit json: would reject by rule and pod" \
  [ "$(printf '%s' "$out" | jq -c '.would_reject_under_enforce | [.total, .rules["root-user"], .pods["team-a/web-1"]]')" = "[4,4,1]" ]
# --since: the 2020 records drop out
run 0 audit --format json --since 2021-01-01
check "audit --since DATE" [ "$(printf '%s' "$out" | jq .records)" -eq 26 ]
run 0 audit --format json --since 1h
check "audit --since 1h" [ "$(printf '%s' "$out" | jq .records)" -eq 26 ]
run 0 audit --format json --since 2020-01-15T00:00:00Z "$LOG.2.gz" "$LOG.1"
check "audit --since TIME over named files" [ "$(printf '%s' "$out" | jq .records)" -eq 1 ]
run 2 audit --since never
check "audit --since garbage is a usage error" contains "$err" "cannot read the time 'never'"
run 2 audit "$work/missing.jsonl"
check "audit: a missing FILE fails naming it" contains "$err" "missing.jsonl: cannot open"
# a binary file: malformed lines, never a crash
head -c 200000 /dev/urandom >"$work/noise"
run 0 audit --format json "$work/noise"
check "audit over noise: no records" [ "$(printf '%s' "$out" | jq .records)" -eq 0 ]
# a corrupt .gz: an error, not a crash
printf '\037\213\010\000garbage' >"$work/bad.gz"
"$OCIGATE" audit "$work/bad.gz" >/dev/null 2>&1
check "audit over a corrupt .gz exits 2" [ $? -eq 2 ]

# ---- rotation at the cap ----
rm -f "$LOG" "$LOG".*
write_policy warn ', "max_bytes": 4096, "keep": 2'
for i in $(seq 1 30); do "$OCIGATE" create --bundle "$work/bundle" "r$i" >/dev/null 2>&1; done
check "rotation: .1 and .2 kept" [ -f "$LOG.1" ] && [ -f "$LOG.2" ]
check "rotation: no .3" [ ! -e "$LOG.3" ]
big=0
for f in "$LOG" "$LOG.1" "$LOG.2"; do [ "$(stat -c %s "$f")" -le 4096 ] || big=1; done
check "rotation: no file past the cap" [ "$big" -eq 0 ]
check "rotation: every line whole" [ "$(cat "$LOG" "$LOG.1" "$LOG.2" | jq -c .decision | grep -c '')" -eq "$(cat "$LOG" "$LOG.1" "$LOG.2" | grep -c '')" ]

# ---- a decision nothing can record ----
mkdir -p "$work/open"
chmod 0777 "$work/open"
printf '{ "mode": "warn", "audit": { "path": "%s/open/audit.jsonl", "syslog": false } }\n' "$work" >"$P"
if [ -S /dev/log ]; then
  echo "# /dev/log present: the fallback line goes to syslog; skipping its checks"
else
  before=$(find "$work/rec" -mindepth 1 -maxdepth 1 | grep -c '')
  run 0 --log "$work/runc.json" --log-format json create --bundle "$work/rootb" lost1
  check "lost decision: the container starts" [ "$(find "$work/rec" -mindepth 1 -maxdepth 1 | grep -c '')" -eq $((before + 1)) ]
  check "lost decision: one warning line in --log" [ "$(grep -c '' "$work/runc.json")" -eq 1 ]
  check "lost decision: runc's JSON shape, level warning" \
    [ "$(jq -r '(keys | join(",")) + " " + .level' "$work/runc.json")" = "level,msg,time warning" ]
  check "lost decision: no level=error line for containerd to take" \
    [ "$(jq -r 'select(.level == "error")' "$work/runc.json" | grep -c '')" -eq 0 ]
  check "lost decision: the line says what was decided and why not recorded" \
    contains "$(cat "$work/runc.json")" "decision allow (create lost1) not recorded: the audit log"
  check "lost decision: nothing on stderr (the container's own)" [ -z "$err" ]
  run 0 --log "$work/runc.txt" create --bundle "$work/rootb" lost2
  check "lost decision: text --log gets a logrus warning line" \
    grep -q '^time="[^"]*" level=warning msg="ocigate: warning: decision allow (create lost2)' "$work/runc.txt"
  run 0 create --bundle "$work/rootb" lost3
  check "lost decision without --log: stderr" contains "$err" "level=warning msg=\"ocigate: warning: decision allow (create lost3)"
fi
chmod 0755 "$work/open"
# near miss: a trusted log, and nothing but the record
rm -f "$work/runc.json"
run 0 --log "$work/runc.json" --log-format json create --bundle "$work/rootb" kept
check "recorded decision: --log untouched" [ ! -s "$work/runc.json" ]
check "recorded decision: in the log" [ "$(jq -r .container_id "$work/open/audit.jsonl")" = kept ]

finish
