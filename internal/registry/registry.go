// Package registry configures modelgate's OCI registry clients, for the
// evidence store and for policy bundles alike: plain HTTP on loopback only,
// a deadline on every request, a cap on referrers pages, Docker's
// credentials.
package registry

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/credentials"
	"oras.land/oras-go/v2/registry/remote/retry"
)

// RequestTimeout bounds each request to a registry.
const RequestTimeout = 30 * time.Second

// MaxReferrerPages bounds the referrers pages one lookup reads.
const MaxReferrerPages = 1000

// ErrLimit marks a store that holds more than the limits allow.
var ErrLimit = errors.New("over a store limit")

// CountPages marks a context whose referrers pages are counted against
// MaxReferrerPages.
func CountPages(ctx context.Context) context.Context {
	return context.WithValue(ctx, pagesKey{}, new(atomic.Int64))
}

// Configure sets up a repository client as modelgate speaks to every
// registry: plain HTTP only on loopback (or when asked), a deadline on
// each request, a cap on referrers pages, Docker's credentials.
func Configure(repo *remote.Repository, plainHTTP bool) {
	repo.PlainHTTP = plainHTTP || isLoopback(repo.Reference.Registry)
	// Every request has its own deadline, so a registry that never answers
	// cannot stall the gate; the whole command has one too (--timeout).
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.ResponseHeaderTimeout = RequestTimeout
	client := &auth.Client{Client: &http.Client{Transport: pageLimit{retry.NewTransport(transport)}, Timeout: RequestTimeout}, Cache: auth.NewCache()}
	if store, err := credentials.NewStoreFromDocker(credentials.StoreOptions{}); err == nil {
		client.Credential = credentials.Credential(store)
	}
	repo.Client = client
}

func isLoopback(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// pagesKey carries a count of the referrers pages one lookup has read.
type pagesKey struct{}

// pageLimit ends a referrers lookup that reads more than MaxReferrerPages
// pages: a registry that links to a next page forever cannot hold the gate.
type pageLimit struct{ next http.RoundTripper }

func (p pageLimit) RoundTrip(req *http.Request) (*http.Response, error) {
	if n, ok := req.Context().Value(pagesKey{}).(*atomic.Int64); ok && strings.Contains(req.URL.Path, "/referrers/") {
		if n.Add(1) > MaxReferrerPages {
			return nil, fmt.Errorf("%w: more than %d referrers pages", ErrLimit, MaxReferrerPages)
		}
	}
	return p.next.RoundTrip(req)
}
