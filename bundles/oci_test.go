package bundles_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	godigest "github.com/opencontainers/go-digest"

	"github.com/modelgate/modelgate/bundles"
	"github.com/modelgate/modelgate/testkit"
)

// A bundle named by digest is used only when the manifest fetched hashes
// to that digest: a registry that answers a pinned request with another
// manifest (an older, laxer revision), and a Docker-Content-Digest header
// naming the pinned digest, is refused with both digests named.
func TestPinnedDigestIsPinned(t *testing.T) {
	reg := testkit.StartRegistry(t)
	ctx := context.Background()
	src := filepath.Join(testkit.RepoRoot(), "policies")
	var digests []string
	for _, rev := range []string{"2026.10", "2026.11"} {
		data, err := bundles.Build(src, bundles.BuildOptions{Revision: rev})
		if err != nil {
			t.Fatal(err)
		}
		d, err := bundles.Push(ctx, data, "oci://"+reg+"/policies/b:"+rev, false)
		if err != nil {
			t.Fatal(err)
		}
		digests = append(digests, d)
	}
	older, pinned := digests[0], digests[1]
	if _, err := bundles.Pull(ctx, "oci://"+reg+"/policies/b@"+pinned, false); err != nil {
		t.Fatalf("the honest registry: %v", err)
	}

	// The lying registry serves the older manifest for the pinned digest.
	upstream, _ := url.Parse("http://" + reg)
	proxy := httputil.NewSingleHostReverseProxy(upstream)
	liar := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/manifests/"+pinned) {
			req, _ := http.NewRequest(http.MethodGet, "http://"+reg+"/v2/policies/b/manifests/"+older, nil)
			req.Header.Set("Accept", "application/vnd.oci.image.manifest.v1+json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if godigest.FromBytes(body).String() != older {
				t.Errorf("the older manifest does not hash to %s", older)
			}
			w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
			w.Header().Set("Docker-Content-Digest", pinned)
			if r.Method != http.MethodHead {
				io.Copy(w, bytes.NewReader(body))
			}
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	defer liar.Close()
	host := strings.TrimPrefix(liar.URL, "http://")
	_, err := bundles.Pull(ctx, "oci://"+host+"/policies/b@"+pinned, false)
	want := "the registry answered with manifest " + older + ", not the pinned " + pinned + ": refused"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("a lying registry: %v\nwant %q", err, want)
	}
	if _, err := bundles.Open(ctx, "oci://"+host+"/policies/b@"+pinned, bundles.Options{}); err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("opening through a lying registry: %v", err)
	}
}
