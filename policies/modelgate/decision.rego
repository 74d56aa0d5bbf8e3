# METADATA
# title: modelgate decision
# description: |
#   Rolls every gate under data.modelgate.gates into one decision for the
#   subject and environment. A gate applies to the tiers and environments in
#   its METADATA; failures of a rule whose effective_on is still ahead are
#   warnings; a valid waiver turns a failure into "waived".
package modelgate

import data.modelgate.lib

gate_ids := sort([id | some id, _ in data.modelgate.gates])

applies(meta) if {
	lib.tier in meta.custom.tiers
	env_matches(meta.custom.environments)
}

env_matches(envs) if "*" in envs

env_matches(envs) if input.environment in envs

# Waivers that count: waiver role, this digest alone, this environment, unexpired.
waivers[code] contains w.id if {
	some w in lib.evidence("waiver")
	count(w.subjects) == 1
	w.predicate.environment == input.environment
	time.parse_rfc3339_ns(w.predicate.expires_at) > lib.now_ns
	code := w.predicate.rule
}

not_yet_effective(meta) if time.parse_rfc3339_ns(meta.custom.effective_on) > lib.now_ns

msgs(results) := sort([r.msg | some r in results])

result_ids(results) := sort({id | some r in results; some id in object.get(r, "evidence", [])})

gate(id) := g if {
	pkg := data.modelgate.gates[id]
	meta := pkg.metadata
	g := object.union(
		{
			"id": id,
			"code": meta.custom.code,
			"title": meta.title,
		},
		outcome(pkg, meta),
	)
}

outcome(pkg, meta) := {"status": "skipped", "message": sprintf("applies to tiers %v in environments %v", [meta.custom.tiers, meta.custom.environments]), "evidence": []} if {
	not applies(meta)
} else := {"status": "warn", "message": sprintf("%s (denies from %s)", [concat("; ", msgs(pkg.deny)), meta.custom.effective_on]), "evidence": result_ids(pkg.deny)} if {
	count(pkg.deny) > 0
	not_yet_effective(meta)
} else := {"status": "waived", "message": concat("; ", msgs(pkg.deny)), "evidence": result_ids(pkg.deny), "waivers": sort(waivers[meta.custom.code])} if {
	count(pkg.deny) > 0
	count(waivers[meta.custom.code]) > 0
} else := {"status": "fail", "message": concat("; ", msgs(pkg.deny)), "evidence": result_ids(pkg.deny)} if {
	count(pkg.deny) > 0
} else := {"status": "warn", "message": concat("; ", msgs(pkg.warn)), "evidence": result_ids(pkg.warn)} if {
	count(object.get(pkg, "warn", set())) > 0
} else := {"status": "pass", "message": pass_message(pkg), "evidence": sort(object.get(pkg, "used", []))}

pass_message(pkg) := concat("; ", sort(pkg.info)) if {
	count(object.get(pkg, "info", set())) > 0
} else := "passed"

gate_results := [gate(id) | some id in gate_ids]

# Every gate package must yield a result: one without METADATA, or whose
# outcome is undefined, denies rather than drop out of the decision.
allow if {
	count(gate_results) > 0
	count(gate_results) == count(gate_ids)
	every g in gate_results {
		g.status in {"pass", "warn", "waived", "skipped"}
	}
}

default allow := false

decision := {
	"subject": input.subject,
	"environment": input.environment,
	"tier": lib.tier,
	"tier_source": lib.tier_source,
	"allow": allow,
	"gates": gate_results,
	"champion": object.get(input, "champion", null),
	"evidence": [{"id": e.id, "type": e.type, "signer": e.signer.identity, "signer_id": e.signer.id} | some e in input.evidence],
	"rejected": input.rejected,
	"waivers": sort([{"code": code, "evidence": sort(ids)} | some code, ids in waivers]),
	"evaluated_at": input.now,
}
