package modelgate.tests.conftest

import data.main
import data.modelgate.tests.fixtures as f

test_conftest_denies_what_modelgate_failed if {
	ds := main.deny with input as f.with_evidence([])
	some d in ds
	startswith(d, "MG-TRAIN: no training attestation")
	count({d | some d in ds; startswith(d, "MG-")}) == count({g | some g in data.modelgate.decision.gates; g.status == "fail"}) with input as f.with_evidence([])
}

test_conftest_passes_what_modelgate_allowed if {
	count(main.deny) == 0 with input as f.base
	main.warn == {w | some g in data.modelgate.decision.gates; g.status == "warn"; w := sprintf("%s: %s", [g.code, g.message])} with input as f.base
	count(main.warn) == 1 with input as f.base
}

test_conftest_denies_a_denial_no_gate_explains if {
	main.deny == {"modelgate: denied, and no gate says why"} with input as f.base
		with data.modelgate.gates.training.metadata as null
}
