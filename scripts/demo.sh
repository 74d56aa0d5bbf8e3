#!/usr/bin/env bash
# The end-to-end story on the built-in defaults: keys for every stage, a
# small model, signed evidence from each pipeline stage into the local
# store, and promotion decisions for staging and production.
set -euo pipefail
bin=${MODELGATE:-$PWD/bin/modelgate}
work=${DEMO_DIR:-$(mktemp -d)}
cd "$work"
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
# The pipeline ran two hours ago; approvals come after the evaluation they approve.
before=$(date -u -d '-2 hours' +%Y-%m-%dT%H:%M:%SZ)
later=$(date -u -d '+30 days' +%Y-%m-%dT%H:%M:%SZ)
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "keys: one per stage and person (modelgate keygen)"
for who in data training evaluation alice bob deploy canary gate; do
  "$bin" keygen --out "$who" >/dev/null
done
ls *.pub

step "a small model directory (three shards and a config) and its digest"
mkdir -p demo-model
head -c 3000000 /dev/urandom > demo-model/weights-00001.bin
head -c 2000000 /dev/urandom > demo-model/weights-00002.bin
echo '{"vocab": 32000}' > demo-model/tokenizer.json
echo '{"layers": 4}' > demo-model/config.json
"$bin" digest demo-model
model=$("$bin" digest demo-model --format json | sed -n 's/.*"sha256": "\([0-9a-f]*\)".*/\1/p' | head -1)
subject="demo-model@sha256:$model"

step "trust: the default policies, with this demo's signers"
cp -r "$(dirname "$bin")/../policies" policy
{
  echo "signers:"
  for pair in data:data training:training evaluation:evaluation alice:approver bob:approver deploy:deploy canary:canary gate:gate; do
    who=${pair%%:*}; role=${pair##*:}
    echo "  - id: $who"
    echo "    identity: $who@example.com"
    echo "    roles: [$role]"
    echo "    public_key: |"
    sed 's/^/      /' "$who.pub"
  done
} > policy/modelgate/trust/data.yaml

train_ds=1111111111111111111111111111111111111111111111111111111111111111
eval_ds=2222222222222222222222222222222222222222222222222222222222222222
cat > dv-train.json <<JSON
{"dataset": {"name": "churn-train", "digest": {"sha256": "$train_ds"}}, "role": "training",
 "suite": "churn.expectations", "success": true,
 "statistics": {"evaluated": 12, "successful": 12, "unsuccessful": 0},
 "results": [{"check": "expect_column_values_to_not_be_null", "column": "tenure", "success": true}],
 "validated_at": "$before"}
JSON
sed "s/churn-train/churn-eval/; s/$train_ds/$eval_ds/; s/\"training\"/\"evaluation\"/" dv-train.json > dv-eval.json
cat > training.json <<JSON
{"run_id": "run-42", "code": {"uri": "git+https://example.com/churn.git", "digest": {"sha1": "0123456789abcdef0123456789abcdef01234567"}},
 "datasets": [{"name": "churn-train", "digest": {"sha256": "$train_ds"}, "role": "training"}],
 "hyperparameters": {"learning_rate": 0.05, "epochs": 20},
 "loss": {"final": 0.31, "nan_detected": false, "diverged": false},
 "metrics": {"train_auc_roc": 0.91}, "started_at": "$before", "finished_at": "$before"}
JSON
cat > evaluation.json <<JSON
{"dataset": {"name": "churn-eval", "digest": {"sha256": "$eval_ds"}},
 "metrics": {"auc_roc": 0.88, "log_loss": 0.33},
 "slices": [{"name": "new-customers", "filter": "tenure < 3", "size": 900, "metrics": {"auc_roc": 0.84}},
            {"name": "enterprise", "filter": "plan == 'enterprise'", "size": 120, "metrics": {"auc_roc": 0.71}}],
 "fairness": [{"attribute": "gender", "metric": "disparate_impact_ratio", "value": 0.93}],
 "behavioral": [{"name": "typo-invariance", "kind": "invariance", "flip_rate": 0.01}],
 "evaluated_at": "$before"}
JSON
cat > smoke.json <<JSON
{"environment": "staging", "endpoint": "https://staging.example.com/v1/predict", "requests": 500, "errors": 0,
 "error_rate": 0.0, "latency_ms": {"p50": 12, "p99": 48}, "passed": true, "tested_at": "$before"}
JSON

step "each stage signs its evidence into the store (modelgate attest --store)"
"$bin" attest --type data-validation --subject "$subject" --predicate dv-train.json --key data.key --store dir:evidence
"$bin" attest --type data-validation --subject "$subject" --predicate dv-eval.json --key data.key --store dir:evidence
"$bin" attest --type training --subject "$subject" --predicate training.json --key training.key --store dir:evidence
"$bin" attest --type evaluation --subject "$subject" --predicate evaluation.json --key evaluation.key --store dir:evidence

step "a predicate that breaks its schema is refused, with the JSON path of each fault"
echo '{"decision": "maybe", "environment": "production"}' > bad-approval.json
"$bin" attest --type approval --subject "$subject" --predicate bad-approval.json --key alice.key --out bad.json || echo "(exit $?)"

step "staging: no approvals needed for a medium-tier model; decision signed as a VSA"
"$bin" verify --subject "$subject" --env staging --policy policy --store dir:evidence --vsa-key gate.key --vsa-out staging.vsa.json || true

step "production without approvals or a smoke test: denied, with every reason"
"$bin" verify --subject "$subject" --env production --policy policy --store dir:evidence || echo "(exit $?)"

step "alice approves production; the staging smoke test passes"
eval_id=$("$bin" evidence list --store dir:evidence --subject "$subject" --format json | sed -n 's/.*"id": "\(sha256:[0-9a-f]*\)".*/\1/p' | head -1)
cat > approval.json <<JSON
{"decision": "approved", "environment": "production", "justification": "metrics and slices reviewed", "ticket": "RISK-7",
 "approved_at": "$now", "expires_at": "$later"}
JSON
"$bin" attest --type approval --subject "$subject" --predicate approval.json --key alice.key --store dir:evidence
"$bin" attest --type smoke-test --subject "$subject" --predicate smoke.json --key deploy.key --store dir:evidence

step "production: allowed"
"$bin" verify --subject "$subject" --env production --policy policy --store dir:evidence --vsa-key gate.key --vsa-out production.vsa.json --input-out production.input.json

step "what the store holds"
"$bin" evidence list --store dir:evidence --subject "$subject"

if command -v opa >/dev/null; then
  step "the same decision, replayed by opa from the input verify judged"
  opa eval --bundle policy --input production.input.json --format pretty 'data.modelgate.decision.allow'
fi

# quiet runs a command and shows its output only when it fails.
quiet() { local out; out=$("$@" 2>&1) || { echo "$out" >&2; return 1; }; }

# retrain makes a new version of the model with its own evidence, evaluated
# against a baseline version (digest and AUC).
retrain() {
  local dir=$1 auc=$2 base=$3 base_auc=$4
  cp -r demo-model "$dir"
  head -c 1000 /dev/urandom >> "$dir/weights-00002.bin"
  local sha
  sha=$("$bin" digest "$dir" --format json | sed -n 's/.*"sha256": "\([0-9a-f]*\)".*/\1/p' | head -1)
  local ref="demo-model@sha256:$sha"
  sed "s/\"auc_roc\": 0.88/\"auc_roc\": $auc/; s/\"evaluated_at\"/\"baseline\": {\"name\": \"demo-model\", \"digest\": {\"sha256\": \"$base\"}, \"metrics\": {\"auc_roc\": $base_auc, \"log_loss\": 0.33}}, \"evaluated_at\"/" \
    evaluation.json > "$dir.evaluation.json"
  quiet "$bin" attest --type data-validation --subject "$ref" --predicate dv-train.json --key data.key --store dir:evidence
  quiet "$bin" attest --type data-validation --subject "$ref" --predicate dv-eval.json --key data.key --store dir:evidence
  quiet "$bin" attest --type training --subject "$ref" --predicate training.json --key training.key --store dir:evidence
  quiet "$bin" attest --type evaluation --subject "$ref" --predicate "$dir.evaluation.json" --key evaluation.key --store dir:evidence
  quiet "$bin" attest --type approval --subject "$ref" --predicate approval.json --key bob.key --store dir:evidence
  quiet "$bin" attest --type smoke-test --subject "$ref" --predicate smoke.json --key deploy.key --store dir:evidence
  echo "$sha"
}

step "version 2 (AUC 0.89), judged against the champion: the version production's PASSED VSA names"
v2=$(retrain demo-model-v2 0.89 "$model" 0.88)
echo "version 1 is sha256:$model"
"$bin" verify --subject "demo-model@sha256:$v2" --env production --policy policy --store dir:evidence --vsa-key gate.key

step "version 3 (AUC 0.84) against the new champion, version 2: a regression of 0.05 where medium tier allows 0.03"
v3=$(retrain demo-model-v3 0.84 "$v2" 0.89)
"$bin" verify --subject "demo-model@sha256:$v3" --env production --policy policy --store dir:evidence || echo "(exit $?)"
printf '\nDemo files are in %s\n' "$work"
