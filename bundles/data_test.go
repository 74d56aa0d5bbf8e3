package bundles

import (
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// The default bundle's data files pass their schemas; each schema refuses
// what would silently lower the bar, naming the path.
func TestDataSchemas(t *testing.T) {
	b, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	if err := b.CheckData(); err != nil {
		t.Fatal(err)
	}
	schemas, _ := compileDataSchemas()
	for _, c := range []struct{ file, doc, want string }{
		{"tiers", "default: extreme\ninventory: {}", "/default: value must be one of 'low', 'medium', 'high'"},
		{"tiers", "default: high", "missing property 'inventory'"},
		{"environments", "Production: {}", "/: 'Production' does not match pattern"},
		{"environments", "production: {requires: staging}", "/production/requires: got string, want array"},
		{"trust", "signers: [{id: a, public_key: k, identity: i, roles: [admin]}]", "/signers/0/roles/0: value must be one of"},
		{"trust", "signers: [{id: a, public_key: k, identity: i, roles: [gate], extra: 1}]", "additional properties 'extra' not allowed"},
		{"thresholds", "tiers: {low: {}, medium: {}, high: {}}", "/tiers/high: missing properties 'metrics', 'approvals', 'max_evidence_age_days', 'max_vsa_age_days'"},
		{"thresholds", "tiers: {}\nmodels: {m: {smoke: {max_error_rate: 2}}}", "/models/m/smoke/max_error_rate: maximum: got 2, want 1"},
	} {
		var doc any
		if err := yaml.Unmarshal([]byte(c.doc), &doc); err != nil {
			t.Fatal(err)
		}
		err := ValidateData(schemas[c.file], doc)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %q: %v, want %q", c.file, c.doc, err, c.want)
		}
	}
}

// FuzzBundleData: any YAML document is either valid thresholds or refused
// with an error; the checks never panic.
func FuzzBundleData(f *testing.F) {
	f.Add("tiers: {low: {metrics: {}, approvals: {}, max_evidence_age_days: 1, max_vsa_age_days: 1}}")
	f.Add("models: {m: {metrics: {auc: {lower_bound: 1e400}}}}")
	schemas, err := compileDataSchemas()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, src string) {
		var doc any
		if yaml.Unmarshal([]byte(src), &doc) != nil {
			return
		}
		for _, s := range schemas {
			_ = ValidateData(s, doc)
		}
	})
}
