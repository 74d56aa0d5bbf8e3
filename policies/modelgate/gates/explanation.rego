# METADATA
# title: No prohibited feature drives the model
# description: Where the tier names an explanation bar, an explanation of the model (mean absolute attribution per feature, from SHAP or permutation importance) is required, and none of the prohibited features - protected attributes and their proxies - may be among its top_k attributions.
# custom:
#   code: MG-EXPLAIN
#   tiers: [low, medium, high]
#   environments: ["*"]
package modelgate.gates.explanation

import data.modelgate.lib

metadata := lib.package_annotations(rego.metadata.chain())

bar := lib.config.explanation

runs := lib.explanations

info contains sprintf("the %s tier asks for no explanation", [lib.tier]) if not lib.config.explanation

# The top_k features by attribution, largest first; ties by name.
top(e) := array.slice(sort([[-a.value, a.feature] | some a in e.predicate.attributions]), 0, bar.top_k)

info contains sprintf("top %v features (%s): %s", [bar.top_k, e.predicate.method, concat(", ", [f[1] | some f in top(e)])]) if {
	some e in runs
}

deny contains {"msg": msg} if {
	bar
	count(runs) == 0
	msg := sprintf("no explanation attestation; %s", [lib.how("explanation")])
}

deny contains {"msg": msg, "evidence": [e.id]} if {
	some e in runs
	some i, f in top(e)
	f[1] in bar.prohibited_features
	msg := sprintf("prohibited feature %s is #%d of the model's top %v attributions (%s, mean |attribution| %v)", [f[1], i + 1, bar.top_k, e.predicate.method, -f[0]])
}

used := lib.ids(runs)
