# The conftest entry point: 'conftest test INPUT -p BUNDLE -d BUNDLE' on
# the input 'modelgate verify --input-out' wrote reports exactly the gates
# modelgate failed (a deny each) and warned about (a warn each); waived and
# skipped gates are neither, as modelgate judged them. The whole decision
# replays with 'opa eval data.modelgate.decision'.
package main

import data.modelgate

failed := [g | some g in modelgate.decision.gates; g.status == "fail"]

deny contains sprintf("%s: %s", [g.code, g.message]) if some g in failed

# A denial no gate explains (a gate without its METADATA) is still a deny.
deny contains "modelgate: denied, and no gate says why" if {
	not modelgate.decision.allow
	count(failed) == 0
}

warn contains sprintf("%s: %s", [g.code, g.message]) if {
	some g in modelgate.decision.gates
	g.status == "warn"
}
