package bundles

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	godigest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/registry/remote"

	"github.com/modelgate/modelgate/internal/registry"
)

// Media types of a bundle in a registry, as OPA's OCI downloader reads it:
// one layer holding the bundle tarball.
const (
	LayerMedia  = "application/vnd.oci.image.layer.v1.tar+gzip"
	ConfigMedia = "application/vnd.oci.image.config.v1+json"
)

func repository(ref string, plainHTTP bool) (*remote.Repository, string, error) {
	rest, ok := strings.CutPrefix(ref, "oci://")
	if !ok {
		return nil, "", fmt.Errorf("%s: use oci://REGISTRY/REPO:TAG", ref)
	}
	repo, err := remote.NewRepository(rest)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w (use oci://REGISTRY/REPO:TAG or @sha256:…)", ref, err)
	}
	if repo.Reference.Reference == "" {
		return nil, "", fmt.Errorf("%s names no tag or digest: use oci://REGISTRY/REPO:TAG", ref)
	}
	registry.Configure(repo, plainHTTP)
	return repo, repo.Reference.Reference, nil
}

// Push stores a bundle tarball in a registry under a tag, as a manifest
// with one tar+gzip layer, and returns the manifest's digest.
func Push(ctx context.Context, data []byte, ref string, plainHTTP bool) (string, error) {
	if err := CheckTarball(data); err != nil {
		return "", err
	}
	repo, tag, err := repository(ref, plainHTTP)
	if err != nil {
		return "", err
	}
	layer := content.NewDescriptorFromBytes(LayerMedia, data)
	config := content.NewDescriptorFromBytes(ConfigMedia, []byte("{}"))
	for desc, blob := range map[*ocispec.Descriptor][]byte{&layer: data, &config: []byte("{}")} {
		exists, err := repo.Blobs().Exists(ctx, *desc)
		if err != nil {
			return "", fmt.Errorf("%s: %w", ref, err)
		}
		if !exists {
			if err := repo.Blobs().Push(ctx, *desc, bytes.NewReader(blob)); err != nil {
				return "", fmt.Errorf("%s: %w", ref, err)
			}
		}
	}
	manifest, err := oras.PackManifest(ctx, repo, oras.PackManifestVersion1_1, "", oras.PackManifestOptions{
		ConfigDescriptor: &config,
		Layers:           []ocispec.Descriptor{layer},
	})
	if err != nil {
		return "", fmt.Errorf("%s: %w", ref, err)
	}
	if err := repo.Tag(ctx, manifest, tag); err != nil {
		return "", fmt.Errorf("%s: %w", ref, err)
	}
	return manifest.Digest.String(), nil
}

// Pull fetches a bundle tarball from a registry, bounded by MaxBundleSize.
func Pull(ctx context.Context, ref string, plainHTTP bool) ([]byte, error) {
	repo, reference, err := repository(ref, plainHTTP)
	if err != nil {
		return nil, err
	}
	desc, rc, err := repo.FetchReference(ctx, reference)
	if err != nil {
		return nil, fmt.Errorf("policy %s: %w", ref, err)
	}
	raw, err := readBounded(rc, desc.Size, 1<<20)
	if err != nil {
		return nil, fmt.Errorf("policy %s: manifest: %w", ref, err)
	}
	// Pinned means pinned: the bytes fetched must hash to the digest asked
	// for, whatever the registry's headers claim.
	if pinned, err := godigest.Parse(reference); err == nil {
		if got := godigest.FromBytes(raw); pinned.Algorithm() != godigest.SHA256 || got != pinned {
			return nil, fmt.Errorf("policy %s: the registry answered with manifest %s, not the pinned %s: refused", ref, got, pinned)
		}
	}
	var man ocispec.Manifest
	if err := json.Unmarshal(raw, &man); err != nil {
		return nil, fmt.Errorf("policy %s: not an OCI manifest: %v", ref, err)
	}
	var layer *ocispec.Descriptor
	for i, l := range man.Layers {
		if l.MediaType == LayerMedia || l.MediaType == "application/vnd.oci.image.layer.v1.tar" {
			if layer != nil {
				return nil, fmt.Errorf("policy %s has more than one bundle layer", ref)
			}
			layer = &man.Layers[i]
		}
	}
	if layer == nil {
		return nil, fmt.Errorf("policy %s has no %s layer: push it with 'modelgate bundle push'", ref, LayerMedia)
	}
	if layer.Size > MaxBundleSize {
		return nil, fmt.Errorf("policy %s: the bundle layer is %d bytes, over the %d limit", ref, layer.Size, MaxBundleSize)
	}
	lrc, err := repo.Fetch(ctx, *layer)
	if err != nil {
		return nil, fmt.Errorf("policy %s: %w", ref, err)
	}
	data, err := readBounded(lrc, layer.Size, MaxBundleSize)
	if err != nil {
		return nil, fmt.Errorf("policy %s: %w", ref, err)
	}
	if layer.Digest.Validate() != nil || layer.Digest.Algorithm().FromBytes(data) != layer.Digest {
		return nil, fmt.Errorf("policy %s: the bundle layer does not match its digest", ref)
	}
	return data, nil
}

func readBounded(rc io.ReadCloser, size, limit int64) ([]byte, error) {
	defer rc.Close()
	if size > limit {
		return nil, fmt.Errorf("%d bytes, over the %d limit", size, limit)
	}
	data, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, errors.New("over the size limit")
	}
	return data, nil
}
