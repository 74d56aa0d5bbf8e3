package facts

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/modelgate/modelgate/attest"
)

// CheckPredicate is what a signer is told before signing a predicate of
// predicateType: an error for a predicate that is not well-formed JSON,
// that its schema refuses, or that is dated more than MaxFuture ahead (a
// verifier would reject it); and a warning for each expiry already past
// (the evidence would count for nothing).
func CheckPredicate(predicateType string, predicate []byte, now time.Time) (warnings []string, err error) {
	if err := attest.CheckPredicateJSON(predicate); err != nil {
		return nil, err
	}
	if err := attest.ValidatePredicate(predicateType, predicate); err != nil {
		return nil, err
	}
	var decoded any
	if json.Unmarshal(predicate, &decoded) != nil {
		return nil, nil
	}
	if at, ok := attest.EventTimeOf(predicateType, decoded); ok && at.After(now.Add(MaxFuture)) {
		return nil, fmt.Errorf("predicate: its time %s is more than %s in the future; verify would reject it as dated in the future: give the time the event happened", attest.NormalTime(at), MaxFuture)
	}
	if m, ok := decoded.(map[string]any); ok {
		for _, field := range []string{"expires_at", "valid_until"} {
			if v, ok := m[field].(string); ok {
				if t, err := attest.ParseTime(v); err == nil && !t.After(now) {
					warnings = append(warnings, fmt.Sprintf("the predicate's %s %s has passed: verify will not count this evidence; give a later %s", field, attest.NormalTime(t), field))
				}
			}
		}
	}
	return warnings, nil
}
