# METADATA
# title: modelgate decision
# description: |
#   Rolls every gate under data.modelgate.gates into one decision for the
#   subject and environment. A gate applies to the tiers and environments in
#   its METADATA; failures of a rule whose effective_on is still ahead are
#   warnings; a valid waiver turns a failure into "waived", unless one of its
#   failures is marked waivable: false (an approver's veto).
package modelgate

import data.modelgate.lib

# Each kind of every gate's rules, gathered once by reference (deny, warn,
# info, used, metadata), never by the whole package document, so evaluation
# builds only what a decision needs.
metas := {id: m | some id; m := data.modelgate.gates[id].metadata}

denies := {id: r | some id; r := data.modelgate.gates[id].deny}

warns := {id: r | some id; r := data.modelgate.gates[id].warn}

infos := {id: r | some id; r := data.modelgate.gates[id].info}

useds := {id: r | some id; r := data.modelgate.gates[id].used}

# A gate is any package with metadata or deny rules.
gate_ids := sort({id | some id, _ in metas} | {id | some id, _ in denies})

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
	meta := metas[id]
	deny := object.get(denies, id, set())
	g := object.union(
		{"id": id, "code": meta.custom.code, "title": meta.title},
		outcome(id, meta, deny),
	)
}

outcome(id, meta, deny) := {"status": "skipped", "message": sprintf("applies to tiers %v in environments %v", [meta.custom.tiers, meta.custom.environments]), "evidence": []} if {
	not applies(meta)
} else := {"status": "warn", "message": sprintf("%s (denies from %s)", [concat("; ", msgs(deny)), meta.custom.effective_on]), "evidence": result_ids(deny)} if {
	count(deny) > 0
	not_yet_effective(meta)
} else := {"status": "waived", "message": concat("; ", msgs(deny)), "evidence": result_ids(deny), "waivers": sort(waivers[meta.custom.code])} if {
	count(deny) > 0
	count(waivers[meta.custom.code]) > 0
	every r in deny {
		object.get(r, "waivable", true)
	}
} else := {"status": "fail", "message": concat("; ", msgs(deny)), "evidence": result_ids(deny)} if {
	count(deny) > 0
} else := {"status": "warn", "message": concat("; ", msgs(warns[id])), "evidence": result_ids(warns[id])} if {
	count(object.get(warns, id, set())) > 0
} else := {"status": "pass", "message": pass_message(object.get(infos, id, set())), "evidence": sort(object.get(useds, id, []))}

pass_message(info) := concat("; ", sort(info)) if {
	count(info) > 0
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
	"evidence": [{"id": e.id, "type": e.type, "signer": e.signer.identity, "signer_id": e.signer.id, "time": evidence_time(e), "source": object.get(e, "source", "")} | some e in input.evidence],
	"rejected": array.concat(input.rejected, lib.role_rejected),
	"waivers": sort([waiver_details(code, ids) | some code, ids in waivers]),
	"measurements": measurements,
	"provenance": provenance,
	# The approvers the approvals gate counted: the identities a ledger
	# record names as having approved, never a refused approval's.
	"approvers": sort(data.modelgate.gates.approvals.approvers),
	"evaluated_at": input.now,
}

# How the model was built, as SLSA provenance signed by a training signer
# says: the builder, the source, the run. No gate requires it by default.
provenance := [{
	"evidence": e.id,
	"signer": e.signer.identity,
	"builder": object.get(e.predicate, ["runDetails", "builder", "id"], ""),
	"source": provenance_source(e.predicate),
	"run": object.get(e.predicate, ["runDetails", "metadata", "invocationId"], ""),
} |
	some e in lib.evidence("provenance")
]

# The source: the first resolved dependency, else the workflow's repository.
provenance_source(p) := with_digest(d.uri, object.get(d, "digest", {})) if {
	d := p.buildDefinition.resolvedDependencies[0]
} else := object.get(p, ["buildDefinition", "externalParameters", "workflow", "repository"], "")

with_digest(uri, d) := sprintf("%s@%s:%s", [uri, k, d[k]]) if {
	k := sort(object.keys(d))[0]
} else := uri

# The time that dates a piece of evidence, "" for types without one.
evidence_time(e) := object.get(e.predicate, object.get(lib.time_field, e.type, ""), "")

# Each waiver that applied, with what it says and who signed it.
waiver_details(code, ids) := {
	"code": code,
	"evidence": sort(ids),
	"details": [{"id": w.id, "reason": w.predicate.reason, "ticket": object.get(w.predicate, "ticket", ""), "expires_at": w.predicate.expires_at, "signer": w.signer.identity} |
		some w in lib.evidence("waiver")
		w.id in ids
	],
}

# What a report charts: each judged metric against its bounds and the
# champion's value, each slice against its floors, each fairness value
# against its band.
measurements := {
	"metrics": [{"evaluation": ev.id, "name": name, "value": object.get(ev.predicate.metrics, name, null), "bounds": spec, "baseline": object.get(ev.predicate, ["baseline", "metrics", name], null)} |
		some ev in lib.evaluations
		some name, spec in lib.config.metrics
	],
	"slices": [{"evaluation": ev.id, "slice": s.name, "size": s.size, "name": name, "value": object.get(s.metrics, name, null), "bounds": bounds} |
		some ev in lib.evaluations
		some s in object.get(ev.predicate, "slices", [])
		some name, bounds in object.get(lib.config, ["slices", "metrics"], {})
	],
	"fairness": [{"evaluation": ev.id, "attribute": f.attribute, "name": f.metric, "value": f.value, "bounds": object.remove(object.get(lib.config.fairness, f.metric, {}), ["attributes"])} |
		some ev in lib.evaluations
		some f in object.get(ev.predicate, "fairness", [])
		lib.config.fairness[f.metric]
	],
}
