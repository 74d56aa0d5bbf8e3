package attest

import (
	"crypto/x509"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/modelgate/modelgate/keys"
)

// CertificateChain is the x509CertificateChain a Sigstore bundle carries
// (the OMS "certificate" method, a private PKI): leaf first. Nil when the
// bundle carries none.
func CertificateChain(data []byte) ([]*x509.Certificate, error) {
	b, ok, err := readSigstoreBundle(data)
	if !ok || err != nil || len(b.VerificationMaterial.X509CertificateChain) == 0 {
		return nil, err
	}
	var chain struct {
		Certificates []struct {
			RawBytes []byte `json:"rawBytes"`
		} `json:"certificates"`
	}
	if err := json.Unmarshal(b.VerificationMaterial.X509CertificateChain, &chain); err != nil || len(chain.Certificates) == 0 {
		return nil, fmt.Errorf("%w: an x509CertificateChain that does not parse", ErrMalformed)
	}
	if len(chain.Certificates) > 10 {
		return nil, fmt.Errorf("%w: a certificate chain of %d certificates, over the 10 read", ErrMalformed, len(chain.Certificates))
	}
	out := make([]*x509.Certificate, len(chain.Certificates))
	for i, c := range chain.Certificates {
		cert, err := x509.ParseCertificate(c.RawBytes)
		if err != nil {
			return nil, fmt.Errorf("%w: certificate %d of the chain: %v", ErrMalformed, i, err)
		}
		out[i] = cert
	}
	return out, nil
}

// PKIIdentity is a signer of a private PKI: certificates that chain to its
// roots and name its subject (exactly, or by an anchored pattern) or email.
type PKIIdentity struct {
	roots   *x509.CertPool
	subject string
	pattern *regexp.Regexp
	email   string
}

// NewPKIIdentity prepares a private PKI signer.
func NewPKIIdentity(s *keys.X509) (*PKIIdentity, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM([]byte(s.Roots)) {
		return nil, fmt.Errorf("x509.roots holds no PEM certificate")
	}
	n := 0
	for _, v := range []string{s.Subject, s.SubjectRegexp, s.Email} {
		if v != "" {
			n++
		}
	}
	if n != 1 {
		return nil, fmt.Errorf("an x509 signer names exactly one of subject, subject_regexp and email")
	}
	id := &PKIIdentity{roots: pool, subject: s.Subject, email: strings.ToLower(s.Email)}
	if s.SubjectRegexp != "" {
		re, err := regexp.Compile("^(?:" + s.SubjectRegexp + ")$")
		if err != nil {
			return nil, fmt.Errorf("x509.subject_regexp %q does not compile anchored: %v", s.SubjectRegexp, err)
		}
		if re.MatchString("") {
			return nil, fmt.Errorf("x509.subject_regexp %q matches an empty subject: it would trust anyone", s.SubjectRegexp)
		}
		id.pattern = re
	}
	return id, nil
}

// Match checks a chain (leaf first) against the PKI at time at: it must
// chain to the roots, for code signing, valid then, and name the identity.
// It returns the name the leaf answers to: its subject, or its email.
func (p *PKIIdentity) Match(chain []*x509.Certificate, at time.Time) (string, error) {
	leaf := chain[0]
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: p.roots, Intermediates: inter, CurrentTime: at,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning}}); err != nil {
		return "", err
	}
	subject := leaf.Subject.String()
	switch {
	case p.email != "":
		for _, e := range leaf.EmailAddresses {
			if strings.EqualFold(e, p.email) {
				return strings.ToLower(e), nil
			}
		}
		return "", fmt.Errorf("the certificate names no email %s", p.email)
	case p.pattern != nil:
		if p.pattern.MatchString(subject) {
			return subject, nil
		}
		return "", fmt.Errorf("the certificate's subject %q does not match %s", subject, p.pattern)
	case subject == p.subject || leaf.Subject.CommonName == p.subject:
		return subject, nil
	}
	return "", fmt.Errorf("the certificate's subject %q is not %q", subject, p.subject)
}
