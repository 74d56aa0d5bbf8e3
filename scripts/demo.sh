#!/usr/bin/env bash
# modelgate end to end, on the built-in defaults: a small model trained for
# real on generated data, each pipeline stage attesting with its own key,
# promotions to staging and production, challengers denied for reasons you
# can read, a tampered envelope, a waiver, the ledger, a rollback, and the
# reports. No network. DEMO_DIR keeps the work folder.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${MODELGATE:-$root/bin/modelgate}
work=${DEMO_DIR:-$(mktemp -d)}
mkdir -p "$work" && cd "$work"
if [ -t 1 ]; then B=$'\033[1m'; R=$'\033[0m'; else B=; R=; fi
step() { printf '\n%s== %s%s\n' "$B" "$*" "$R"; }
say() { printf '   %s\n' "$*"; }
mg() { "$bin" "$@"; }
# expect CODE CMD…: run a command that must end with that exit code.
expect() { local want=$1; shift; set +e; "$@"; local got=$?; set -e
  [ "$got" = "$want" ] || { echo "demo: expected exit $want, got $got: $*" >&2; exit 1; }; say "(exit $got, as expected)"; }
store=dir:evidence
P=(--policy policy --store "$store")
# The demo's own log remembers its own checkpoints (a reader keeps the
# largest checkpoint it has seen of each log in its user cache).
export XDG_CACHE_HOME="$work/.cache"

step "build the example pipeline (examples/pipeline: data, validation, training, evaluation in Go)"
(cd "$root" && go build -o "$work/pipeline" ./examples/pipeline)

step "keys: one per stage and person (modelgate keygen)"
for who in data training evaluation alice bob carol deploy canary waiver gate; do mg keygen --out "keys/$who" >/dev/null; done
say "$(ls keys | tr '\n' ' ')"

step "the policy: the built-in bundle, trusting these keys (modelgate bundle init)"
mg bundle init policy \
  --signer data=keys/data.pub:data@example.com:data \
  --signer training=keys/training.pub:training@example.com:training \
  --signer evaluation=keys/evaluation.pub:evaluation@example.com:evaluation \
  --signer alice=keys/alice.pub:alice@example.com:approver \
  --signer bob=keys/bob.pub:bob@example.com:approver \
  --signer carol=keys/carol.pub:carol@example.com:training,approver \
  --signer deploy=keys/deploy.pub:deploy@example.com:deploy \
  --signer canary=keys/canary.pub:canary@example.com:canary \
  --signer waiver=keys/waiver.pub:risk-office@example.com:waiver \
  --signer gate=keys/gate.pub:gate@example.com:gate

step "the ledger: a transparency log beside the store, with its own signing key (modelgate ledger init)"
mg ledger init dir:evidence/tlog --origin ledger.demo.example/models --out keys/ledger | sed 's/^/   /'
mg bundle signer add policy --signer log=keys/ledger.ledger.pub:ledger.demo.example/models:ledger
export MODELGATE_LEDGER_KEY=keys/ledger.ledger.key
say "every decision signed with --vsa-key, rollback and revocation is appended to it; every reader verifies it"

# attest_run RUN TRAINER [keyless]: each stage signs its predicate about the
# model in RUN; with keyless, the explanation is signed by the CI workflow's
# OIDC identity instead of a key (a virtual Sigstore, examples/pipeline).
attest_run() {
  local run=$1 trainer=${2:-training} how=${3:-key} ref
  ref=fraud-scorer@sha256:$(mg digest "$run/model" --format json | sed -n 's/.*"sha256": "\([0-9a-f]*\)".*/\1/p' | sed -n 1p)
  mg attest --type data-validation --subject "$ref" --predicate "$run/dv-training.json" --key keys/data.key --store "$store" 2>/dev/null
  mg attest --type data-validation --subject "$ref" --predicate "$run/dv-evaluation.json" --key keys/data.key --store "$store" 2>/dev/null
  mg attest --type training --subject "$ref" --predicate "$run/training.json" --key "keys/$trainer.key" --store "$store" 2>/dev/null
  mg attest --type evaluation --subject "$ref" --predicate "$run/evaluation.json" --key keys/evaluation.key --store "$store" 2>/dev/null
  if [ "$how" = keyless ]; then
    ./pipeline -out "$run" -keyless "$ref" -trusted-root policy/modelgate/trust/trusted_root.json >&2
    mg evidence add --store "$store" "$run/explanation.sigstore.json" >/dev/null
  else
    mg attest --type explanation --subject "$ref" --predicate "$run/explanation.json" --key keys/evaluation.key --store "$store" 2>/dev/null
  fi
  echo "$ref"
}
# approve REF ENV WHO: a person signs off.
approve() {
  printf '{"decision": "approved", "environment": "%s", "justification": "metrics, slices and fairness reviewed", "ticket": "ML-101", "approved_at": "%s"}\n' \
    "$2" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" > "approval-$3.json"
  mg attest --type approval --subject "$1" --predicate "approval-$3.json" --key "keys/$3.key" --store "$store" 2>/dev/null
}

step "version 1: generate data, validate it, train, evaluate, explain (every number computed)"
./pipeline -out v1 -seed 1
v1=$(attest_run v1 training keyless)
say "model $v1; data validation, training and evaluation attested, each with its stage's key;"
say "the explanation signed keylessly by the CI workflow's identity (a Sigstore bundle)"

step "trust the CI workflow by its identity, with the Sigstore trusted root its signature verifies against"
printf 'sigstore:\n  sct_threshold: 0   # the virtual Fulcio embeds no signed certificate timestamps\n' >> policy/modelgate/trust/data.yaml
mg bundle signer add policy --signer "ci=keyless:https://token.actions.githubusercontent.com:https://github.com/acme/churn/.github/workflows/explain.yml@refs/heads/main:evaluation"

step "v1 → staging: one approval (high tier), decision signed as a VSA into the ledger"
approve "$v1" staging alice
mg verify --subject "$v1" --env staging "${P[@]}" --vsa-key keys/gate.key

step "v1 → production: a smoke test in staging, a canary, two approvals"
./pipeline -out v1 -smoke
mg attest --type smoke-test --subject "$v1" --predicate v1/smoke.json --key keys/deploy.key --store "$store" 2>/dev/null
./pipeline -out v1 -canary v1
mg attest --type canary --subject "$v1" --predicate v1/canary.json --key keys/canary.key --store "$store" 2>/dev/null
approve "$v1" production alice; approve "$v1" production bob
mg verify --subject "$v1" --env production "${P[@]}" --vsa-key keys/gate.key --format json --input-out v1-production.input.json > v1-production.json
say "ALLOWED: $(grep -c '"status": "pass"' v1-production.json) gates passed; the decision is in v1-production.json"

step "version 2: a broken join drops new customers' support tickets — judged against v1"
./pipeline -out v2 -seed 2 -defect new-customers -champion v1 -champion-digest "${v1#*sha256:}"
v2=$(attest_run v2)
approve "$v2" staging alice
expect 1 mg verify --subject "$v2" --env staging "${P[@]}" --vsa-key keys/gate.key

step "version 3: carol trains it and approves it herself — self-approval does not count"
./pipeline -out v3 -seed 1 -variant carol-retrain -champion v1 -champion-digest "${v1#*sha256:}" >/dev/null
v3=$(attest_run v3 carol)
approve "$v3" staging carol
expect 1 mg verify --subject "$v3" --env staging "${P[@]}"

step "version 5: the data leaks region, and the model learns it: region is its top feature, which the high tier prohibits"
./pipeline -out v5 -seed 5 -defect region -champion v1 -champion-digest "${v1#*sha256:}"
v5=$(attest_run v5)
approve "$v5" staging alice
expect 1 mg verify --subject "$v5" --env staging "${P[@]}"

step "a tampered envelope: one byte of v1's evaluation changed is rejected, with the reason"
id=$(mg evidence list --store "$store" --subject "$v1" --format json | grep -B1 -A1 '/evaluation/v1' | sed -n 's/.*"id": "\(sha256:[0-9a-f]*\)".*/\1/p' | sed -n 1p)
mg evidence get --store "$store" "$id" | sed 's/"payload":"\(.\{40\}\)./"payload":"\1A/' > tampered.json
expect 2 mg verify --subject "$v1" --env staging --policy policy --store "$store" --evidence tampered.json

step "version 4: the same weights, a slow build (p99 300 ms): production's smoke limit is 250 ms — waived for a week; an hour and more in shadow beside v1, then a canary"
./pipeline -out v4 -seed 1 -variant quantised -champion v1 -champion-digest "${v1#*sha256:}" >/dev/null
v4=$(attest_run v4)
./pipeline -out v4 -smoke -slow-ms 300
mg attest --type smoke-test --subject "$v4" --predicate v4/smoke.json --key keys/deploy.key --store "$store" 2>/dev/null
./pipeline -out v4 -shadow v1 -champion-digest "${v1#*sha256:}"
mg attest --type shadow --subject "$v4" --predicate v4/shadow.json --key keys/canary.key --store "$store" 2>/dev/null
./pipeline -out v4 -canary v1
mg attest --type canary --subject "$v4" --predicate v4/canary.json --key keys/canary.key --store "$store" 2>/dev/null
approve "$v4" staging alice; approve "$v4" production alice; approve "$v4" production bob
mg verify --subject "$v4" --env staging "${P[@]}" --vsa-key keys/gate.key > /dev/null
expect 1 mg verify --subject "$v4" --env production "${P[@]}"
printf '{"rule": "MG-SMOKE", "environment": "production", "reason": "cold cache on first request; fixed in the next build", "ticket": "RISK-42", "expires_at": "%s"}\n' \
  "$(date -u -d '+7 days' +%Y-%m-%dT%H:%M:%SZ)" > waiver.json
mg attest --type waiver --subject "$v4" --predicate waiver.json --key keys/waiver.key --store "$store" 2>/dev/null
mg verify --subject "$v4" --env production "${P[@]}" --vsa-key keys/gate.key --format json > v4-production.json
say "ALLOWED with the smoke test $(grep -A3 '"id": "smoke_test"' v4-production.json | sed -n 's/.*"status": "\(.*\)".*/\1/p')"

step "the ledger: every promotion and denial, newest first (modelgate history)"
mg history --model fraud-scorer "${P[@]}"

step "roll production back to v1: v4's waiver was a mistake (modelgate rollback)"
mg rollback --model fraud-scorer --env production --vsa-key keys/gate.key --reason "v4 latency waiver withdrawn" "${P[@]}"
mg history --model fraud-scorer --env production "${P[@]}" | sed -n 1,3p

step "an auditor checks the ledger: the whole log (modelgate ledger verify) and one record's inclusion proof (ledger proof)"
mg ledger verify "${P[@]}"
record=$(mg history --model fraud-scorer --env production "${P[@]}" --format json | sed -n 's/.*"record": "\(sha256:[0-9a-f]*\)".*/\1/p' | sed -n 1p)
mg ledger proof "$record" "${P[@]}"

step "reports for people: each decision and the policy as HTML pages that work offline"
mg report v1-production.json --out v1-production.html
mg report v4-production.json --out v4-production.html
mg bundle inspect policy --format html > policy.html
say "open $work/v1-production.html, $work/v4-production.html and $work/policy.html"
if command -v opa >/dev/null; then
  step "the production decision, replayed by opa from the input verify judged"
  opa eval --bundle policy --input v1-production.input.json --format pretty 'data.modelgate.decision.allow'
fi
printf '\nDemo files are in %s\n' "$work"
