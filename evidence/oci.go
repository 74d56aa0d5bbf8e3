package evidence

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	godigest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/errdef"
	"oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/errcode"

	"github.com/modelgate/modelgate/attest"
	"github.com/modelgate/modelgate/digest"
	"github.com/modelgate/modelgate/internal/registry"
)

// Media and artifact types of evidence pushed to a registry.
const (
	ArtifactType = "application/vnd.modelgate.evidence.v1"
	// LedgerArtifactType marks the ledger's own referrers: VSAs alone.
	LedgerArtifactType = "application/vnd.modelgate.ledger.v1"
	EnvelopeMedia      = "application/vnd.dsse.envelope.v1+json"
	maxManifestBytes   = 1 << 20
)

// OCI keeps envelopes in a registry repository as artifacts that refer to
// the model: through the OCI 1.1 referrers API where the registry has it,
// and the referrers tag schema (sha256-HEX) where it does not. Each
// envelope is a blob whose digest is its own id.
type OCI struct {
	ref  string
	repo *remote.Repository
	view ociView
}

// ociView is one index of the repository: the evidence's or the ledger's,
// each with its own artifact type and referrer tags.
type ociView struct {
	artifactType, tagPrefix string
}

var (
	evidenceView = ociView{ArtifactType, "mg-"}
	ledgerView   = ociView{LedgerArtifactType, "mgl-"}
)

// Ledger is the store seen through its ledger index.
func (o *OCI) Ledger() Store { return &OCI{ref: o.ref, repo: o.repo, view: ledgerView} }

// OpenOCI opens REGISTRY/REPO. Loopback registries are spoken to over plain
// HTTP, as Docker does; others need TLS unless opts.PlainHTTP.
func OpenOCI(ref string, opts Options) (*OCI, error) {
	repo, err := remote.NewRepository(ref)
	if err != nil {
		return nil, fmt.Errorf("store oci://%s: %w (use oci://REGISTRY/REPO)", ref, err)
	}
	registry.Configure(repo, opts.PlainHTTP)
	// Registries often refuse deletes; keep old referrers indexes rather than fail.
	repo.SkipReferrersGC = true
	return &OCI{ref: ref, repo: repo, view: evidenceView}, nil
}

func (o *OCI) String() string { return "oci://" + o.ref }

// errFirstPage stops a tag listing after its first page.
var errFirstPage = errors.New("first page read")

// Check asks the registry for the repository's first page of tags: a
// repository the registry does not know (a typo, or nothing pushed yet)
// wraps ErrNoStore.
func (o *OCI) Check(ctx context.Context) error {
	err := o.repo.Tags(ctx, "", func([]string) error { return errFirstPage })
	var resp *errcode.ErrorResponse
	switch {
	case err == nil, errors.Is(err, errFirstPage):
		return nil
	case errors.As(err, &resp) && resp.StatusCode == http.StatusNotFound, errors.Is(err, errdef.ErrNotFound):
		return fmt.Errorf("store %s %w: the registry has no such repository", o, ErrNoStore)
	}
	return fmt.Errorf("store %s cannot be read: %w", o, err)
}

// subjectDescriptor is the model's own manifest when it is in the
// repository, otherwise a descriptor that carries just its digest, which is
// all the referrers API and the tag schema key on.
func (o *OCI) subjectDescriptor(ctx context.Context, hex string) ocispec.Descriptor {
	d := godigest.NewDigestFromEncoded(godigest.SHA256, hex)
	if desc, err := o.repo.Resolve(ctx, d.String()); err == nil {
		return desc
	}
	return ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: d, Size: 0}
}

// Add pushes the envelope as a blob and, for each subject, an artifact
// manifest that refers to it.
func (o *OCI) Add(ctx context.Context, data []byte) (string, bool, error) {
	return o.AddAlso(ctx, data, nil)
}

// AddAlso pushes an envelope as a referrer of its subjects and of also.
func (o *OCI) AddAlso(ctx context.Context, data []byte, also []string) (string, bool, error) {
	subjects, record, err := indexing(data)
	if err != nil {
		return "", false, fmt.Errorf("not stored: %w", err)
	}
	subjects = append(subjects, also...)
	id := attest.EnvelopeID(data)
	blob := content.NewDescriptorFromBytes(EnvelopeMedia, data)
	exists, err := o.repo.Blobs().Exists(ctx, blob)
	if err != nil {
		return "", false, o.wrap(err)
	}
	if !exists {
		if err := o.repo.Blobs().Push(ctx, blob, bytes.NewReader(data)); err != nil {
			return "", false, o.wrap(err)
		}
	}
	views := []ociView{evidenceView}
	if record {
		views = append(views, ledgerView)
	}
	if mt := attest.SigstoreMediaType(data); mt != "" {
		// A Sigstore bundle is stored as cosign stores one: a referrer
		// whose artifact type and layer are the bundle's media type.
		blob = content.NewDescriptorFromBytes(mt, data)
		views = []ociView{{artifactType: mt, tagPrefix: evidenceView.tagPrefix}}
	}
	for _, view := range views {
		for _, s := range subjects {
			if err := o.refer(ctx, view, s, id, blob); err != nil {
				return "", false, err
			}
		}
	}
	return id, !exists, nil
}

// evidenceLayer reports whether a referrer's layer is evidence this view
// reads: a DSSE envelope, or (for the evidence, not the ledger) a Sigstore
// bundle as modelgate or cosign pushed it.
func (o *OCI) evidenceLayer(mediaType string) bool {
	return mediaType == EnvelopeMedia || o.view == evidenceView && strings.HasPrefix(mediaType, attest.SigstoreBundleType)
}

// refer pushes an artifact of the view's type that refers to the subject
// and holds the envelope blob, and tags it.
func (o *OCI) refer(ctx context.Context, view ociView, s, id string, blob ocispec.Descriptor) error {
	subject := o.subjectDescriptor(ctx, s)
	var man ocispec.Descriptor
	var err error
	// Where the registry lacks the referrers API, another writer's update
	// of the same referrers index can make ours fail: try again, a little
	// later each time; the manifest and its tag are what must land.
	for attempt := 0; ; attempt++ {
		man, err = oras.PackManifest(ctx, o.repo, oras.PackManifestVersion1_1, view.artifactType, oras.PackManifestOptions{
			Subject: &subject,
			Layers:  []ocispec.Descriptor{blob},
			// A fixed time keeps the manifest, and so a second add, identical.
			ManifestAnnotations: map[string]string{ocispec.AnnotationCreated: "1970-01-01T00:00:00Z"},
		})
		if err == nil || attempt == 7 || !strings.Contains(err.Error(), "referrers index") || ctx.Err() != nil {
			break
		}
		time.Sleep(time.Duration(10+rand.IntN(40<<attempt)) * time.Millisecond)
	}
	if err != nil {
		return o.wrap(err)
	}
	// The referrers tag schema is a read-modify-write of one index, and
	// two writers at once can drop each other's entry; a tag of our own
	// per envelope and subject is written alone, so nothing is lost.
	if err := o.repo.Tag(ctx, man, view.tagPrefix+referrerTag(s, id)); err != nil {
		return o.wrap(err)
	}
	return nil
}

// Subject returns the envelopes of every artifact that refers to the digest.
func (o *OCI) Subject(ctx context.Context, hex string) ([]Envelope, []Problem, error) {
	subject := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: godigest.NewDigestFromEncoded(godigest.SHA256, hex)}
	var manifests []ocispec.Descriptor
	ctx = registry.CountPages(ctx)
	// The evidence view reads every referrer and keeps its own and Sigstore
	// bundles (cosign's); the ledger view asks for its own type alone.
	filter := o.view.artifactType
	if o.view == evidenceView {
		filter = ""
	}
	err := o.repo.Referrers(ctx, subject, filter, func(refs []ocispec.Descriptor) error {
		for _, r := range refs {
			if r.ArtifactType == o.view.artifactType || o.evidenceLayer(r.ArtifactType) {
				manifests = append(manifests, r)
			}
		}
		if len(manifests) > MaxPerSubject {
			return fmt.Errorf("%w: more than %d envelopes refer to sha256:%s", ErrLimit, MaxPerSubject, hex)
		}
		return nil
	})
	if err != nil && !errors.Is(err, errdef.ErrNotFound) {
		return nil, nil, o.wrap(err)
	}
	tagged, err := o.taggedReferrers(ctx, hex)
	if err != nil {
		return nil, nil, err
	}
	known := map[godigest.Digest]bool{}
	for _, m := range manifests {
		known[m.Digest] = true
	}
	for _, m := range tagged {
		if !known[m.Digest] {
			known[m.Digest] = true
			manifests = append(manifests, m)
		}
	}
	if len(manifests) > MaxPerSubject {
		return nil, nil, fmt.Errorf("store %s: %w: more than %d envelopes refer to sha256:%s", o, ErrLimit, MaxPerSubject, hex)
	}
	var envs []Envelope
	var problems []Problem
	var total int64
	seen := map[string]bool{}
	for _, m := range manifests {
		if err := ctx.Err(); err != nil {
			return nil, nil, o.wrap(err)
		}
		source := o.String() + "@" + m.Digest.String()
		raw, err := o.fetch(ctx, m, maxManifestBytes)
		if err != nil {
			problems = append(problems, Problem{Source: source, Reason: err.Error()})
			continue
		}
		var man ocispec.Manifest
		if err := json.Unmarshal(raw, &man); err != nil || len(man.Layers) != 1 || !o.evidenceLayer(man.Layers[0].MediaType) {
			problems = append(problems, Problem{Source: source, Reason: "not a modelgate evidence manifest; skipped"})
			continue
		}
		layer := man.Layers[0]
		if seen[layer.Digest.String()] {
			continue
		}
		seen[layer.Digest.String()] = true
		data, err := o.fetch(ctx, layer, attest.MaxEnvelopeSize)
		if err != nil {
			problems = append(problems, Problem{Source: source, Reason: err.Error()})
			continue
		}
		if total += int64(len(data)); total > MaxSubjectBytes {
			return nil, nil, fmt.Errorf("store %s: %w: the envelopes referring to sha256:%s exceed %d bytes", o, ErrLimit, hex, MaxSubjectBytes)
		}
		envs = append(envs, Envelope{ID: attest.EnvelopeID(data), Source: o.String() + "@" + layer.Digest.String(), Data: data})
	}
	return envs, problems, nil
}

// fetch reads a descriptor's content within a bound and checks its digest.
func (o *OCI) fetch(ctx context.Context, desc ocispec.Descriptor, limit int64) ([]byte, error) {
	if desc.Size > limit {
		return nil, fmt.Errorf("%s is %d bytes, over the %d limit; skipped", desc.Digest, desc.Size, limit)
	}
	rc, err := o.repo.Fetch(ctx, desc)
	if err != nil {
		return nil, o.wrap(err)
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, o.wrap(err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is over the %d byte limit; skipped", desc.Digest, limit)
	}
	if desc.Digest.Algorithm() != godigest.SHA256 || godigest.FromBytes(data) != desc.Digest {
		return nil, fmt.Errorf("%s: content does not match its digest; skipped", desc.Digest)
	}
	return data, nil
}

// Get fetches one envelope blob by id.
func (o *OCI) Get(ctx context.Context, id string) ([]byte, error) {
	hex, err := ParseID(id)
	if err != nil {
		return nil, err
	}
	desc, err := o.repo.Blobs().Resolve(ctx, digest.Prefixed(hex))
	if errors.Is(err, errdef.ErrNotFound) {
		return nil, fmt.Errorf("no envelope %s in %s", id, o)
	}
	if err != nil {
		return nil, o.wrap(err)
	}
	return o.fetch(ctx, desc, attest.MaxEnvelopeSize)
}

// All is not offered by registries without listing every tag; ask by subject.
func (o *OCI) All(context.Context) ([]Envelope, []Problem, error) {
	return nil, nil, fmt.Errorf("%s: %w", o, ErrCannotList)
}

// referrerTag names an envelope's artifact for one subject, after the
// view's prefix: the subject's hex, then the envelope's.
func referrerTag(subjectHex, envelopeID string) string {
	return subjectHex + "-" + digest.Hex(envelopeID)[:32]
}

// taggedReferrers lists the artifacts tagged for a subject.
func (o *OCI) taggedReferrers(ctx context.Context, hex string) ([]ocispec.Descriptor, error) {
	prefix := o.view.tagPrefix + hex + "-"
	var tags []string
	pages := 0
	err := o.repo.Tags(ctx, "", func(page []string) error {
		if pages++; pages > MaxReferrerPages {
			return fmt.Errorf("%w: more than %d tag pages", ErrLimit, MaxReferrerPages)
		}
		for _, t := range page {
			// Registries need not sort tags: read every page, keep ours.
			if !strings.HasPrefix(t, prefix) {
				continue
			}
			tags = append(tags, t)
			if len(tags) > MaxPerSubject {
				return fmt.Errorf("%w: more than %d envelopes are tagged for sha256:%s", ErrLimit, MaxPerSubject, hex)
			}
		}
		return nil
	})
	var resp *errcode.ErrorResponse
	if errors.As(err, &resp) && resp.StatusCode == http.StatusNotFound {
		return nil, nil // no repository yet: nothing tagged
	}
	if err != nil && !errors.Is(err, errdef.ErrNotFound) {
		return nil, o.wrap(err)
	}
	out := make([]ocispec.Descriptor, 0, len(tags))
	for _, t := range tags {
		desc, err := o.repo.Resolve(ctx, t)
		if err != nil {
			return nil, o.wrap(err)
		}
		out = append(out, desc)
	}
	return out, nil
}

func (o *OCI) wrap(err error) error {
	return fmt.Errorf("store %s: %w", o, err)
}
