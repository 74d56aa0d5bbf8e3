package bundles

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/modelgate/modelgate/internal/safeio"
	"github.com/modelgate/modelgate/keys"
	"github.com/modelgate/modelgate/tlog"
)

// ParseSignerSpec reads a signer as the command line writes it:
//
//	ID=PUBKEY_FILE:IDENTITY:ROLE[,ROLE…]      a key (its PEM file is read)
//	ID=keyless:ISSUER:SUBJECT:ROLE[,ROLE…]    a keyless (Sigstore) identity
//	ID=PREFIX.ledger.pub:ORIGIN:ledger        a ledger's transparency log
//
// An error begins with the spec or the signer's id, for the caller to
// prefix with where it came from.
func ParseSignerSpec(s string) (Signer, error) {
	id, rest, ok := strings.Cut(s, "=")
	parts := strings.Split(rest, ":")
	if !ok || id == "" || len(parts) < 3 {
		return Signer{}, fmt.Errorf("%q: use ID=PUBKEY_FILE:IDENTITY:ROLE[,ROLE…], e.g. gate=keys/gate.pub:gate@example.com:gate", s)
	}
	roles := strings.Split(parts[len(parts)-1], ",")
	for _, r := range roles {
		if !slices.Contains(Roles, r) {
			return Signer{}, fmt.Errorf("%s: unknown role %q; use one of %s", id, r, strings.Join(Roles, ", "))
		}
	}
	if parts[0] == "keyless" {
		issuer, subject, err := splitKeyless(strings.Join(parts[1:len(parts)-1], ":"))
		if err != nil {
			return Signer{}, fmt.Errorf("%q: %v; use ID=keyless:ISSUER:SUBJECT:ROLE[,ROLE…], e.g. ci=keyless:https://token.actions.githubusercontent.com:https://github.com/acme/churn/.github/workflows/train.yml@refs/heads/main:training, and <ISSUER> for an issuer with a port", s, err)
		}
		return Signer{ID: id, Identity: subject, Roles: roles, Keyless: &keys.Keyless{Issuer: issuer, Subject: subject}}, nil
	}
	identity := parts[len(parts)-2]
	pubPath := strings.Join(parts[:len(parts)-2], ":")
	pem, err := safeio.ReadInput(pubPath, 64<<10, nil)
	if err != nil {
		return Signer{}, fmt.Errorf("%s: %w", id, err)
	}
	if slices.Contains(roles, "ledger") || tlog.IsVerifierKey(string(pem)) {
		v, err := tlog.ParseVerifier(string(pem))
		if err != nil {
			return Signer{}, fmt.Errorf("%s: %s: the ledger role is a log's verifier key: %w", id, pubPath, err)
		}
		if len(roles) != 1 || roles[0] != "ledger" {
			return Signer{}, fmt.Errorf("%s: %s is a log's verifier key: give it the ledger role alone (ID=PREFIX.ledger.pub:%s:ledger)", id, pubPath, v.Name())
		}
		if identity != v.Name() {
			return Signer{}, fmt.Errorf("%s: the log's origin is %s, not %s: use %s=%s:%s:ledger", id, v.Name(), identity, id, pubPath, v.Name())
		}
		return Signer{ID: id, PublicKey: strings.TrimSpace(string(pem)), Identity: identity, Roles: roles}, nil
	}
	if _, err := keys.ParsePublicKey(pem); err != nil {
		return Signer{}, fmt.Errorf("%s: %s: %w", id, pubPath, err)
	}
	return Signer{ID: id, PublicKey: string(pem), Identity: identity, Roles: roles}, nil
}

// splitKeyless reads ISSUER:SUBJECT. The issuer is a URL: written bare,
// it runs from its scheme to the first colon after its host, and may carry
// a path but no port; written in angle brackets, <ISSUER>, it may carry
// both. The subject is the rest, colons and all (roles never hold one). A
// bare issuer followed by what reads as a port is refused, never guessed.
func splitKeyless(s string) (issuer, subject string, err error) {
	if rest, ok := strings.CutPrefix(s, "<"); ok {
		var found bool
		issuer, subject, found = strings.Cut(rest, ">:")
		if !found {
			return "", "", errors.New("an issuer in <…> is followed by ':' and the subject")
		}
	} else {
		scheme, after, ok := strings.Cut(s, "://")
		if !ok || scheme == "" {
			return "", "", errors.New("the issuer is not a URL")
		}
		var host string
		host, subject, _ = strings.Cut(after, ":")
		issuer = scheme + "://" + host
		digits := len(subject) - len(strings.TrimLeft(subject, "0123456789"))
		if digits > 0 && digits < len(subject) && (subject[digits] == ':' || subject[digits] == '/') {
			port := subject[:digits]
			return "", "", fmt.Errorf("%q may be the issuer's port or the start of the subject: write the issuer as <%s:%s…>", port, issuer, port)
		}
	}
	u, perr := url.Parse(issuer)
	switch {
	case perr != nil || u.Scheme == "" || u.Host == "":
		return "", "", fmt.Errorf("issuer %q is not a URL", issuer)
	case subject == "":
		return "", "", errors.New("no subject")
	}
	return issuer, subject, nil
}
