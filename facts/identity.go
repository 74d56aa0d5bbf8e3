package facts

import (
	"fmt"
	"sort"
	"strings"

	"github.com/modelgate/modelgate/keys"
	"github.com/mtibben/confusables"
	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

var folder = cases.Fold()

// NormaliseIdentity is the form in which identities are compared: Unicode
// NFKC, case-folded, surrounding space removed.
func NormaliseIdentity(s string) string {
	return strings.TrimSpace(norm.NFKC.String(folder.String(norm.NFKC.String(s))))
}

// Skeleton is the identity's Unicode TR39 skeleton: two identities with the
// same skeleton look alike to a person.
func Skeleton(s string) string {
	return confusables.Skeleton(NormaliseIdentity(s))
}

// CheckIdentities refuses a trust list in which two different identities
// are equal after normalisation or confusable. The same identity on several
// keys (a rotation) is one signer.
func CheckIdentities(signers []keys.Signer) error {
	bySkeleton := map[string]string{}
	for _, s := range signers {
		if NormaliseIdentity(s.Identity) == "" {
			return fmt.Errorf("trust: signer %s has no identity; set identity to the person or service that holds the key", s.ID)
		}
	}
	sorted := append([]keys.Signer(nil), signers...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Identity < sorted[j].Identity })
	for _, s := range sorted {
		sk := Skeleton(s.Identity)
		if other, ok := bySkeleton[sk]; ok && other != s.Identity {
			how := "are confusable (they look alike)"
			if NormaliseIdentity(other) == NormaliseIdentity(s.Identity) {
				how = "are equal after normalisation (case, width, surrounding space)"
			}
			return fmt.Errorf("trust: identities %q and %q %s; give each person one identity, spelled one way", other, s.Identity, how)
		}
		bySkeleton[sk] = s.Identity
	}
	return nil
}
