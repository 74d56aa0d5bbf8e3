// Package kmsplugin serves one KMS provider of sigstore's signature package
// as a sigstore KMS plugin: a program named sigstore-kms-SCHEME that
// modelgate (and cosign) run for each signing operation on a SCHEME:// key.
// Keeping the cloud SDKs in their own programs keeps them out of every
// modelgate start-up.
package kmsplugin

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/sigstore/sigstore/pkg/signature/kms"
	"github.com/sigstore/sigstore/pkg/signature/kms/cliplugin/encoding"
	"github.com/sigstore/sigstore/pkg/signature/kms/cliplugin/handler"
)

// Main answers one plugin call (os.Args, stdin, stdout) with the provider
// registered for scheme (e.g. "awskms://"), which the program imports.
func Main(scheme string) {
	if err := Serve(scheme, os.Args, os.Stdin, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "sigstore-kms plugin for %s: %v\n", scheme, err)
		os.Exit(1)
	}
}

// Serve answers one call. Errors of the provider go back to the caller in
// the response, as the protocol asks; an error is returned only when no
// response could be written.
func Serve(scheme string, args []string, stdin io.Reader, stdout io.Writer) error {
	pa, err := handler.GetPluginArgs(args)
	if err != nil {
		return handler.WriteErrorResponse(stdout, err)
	}
	// Without its provider, kms.Get would run this very plugin again.
	if !slices.Contains(kms.SupportedProviders(), scheme) {
		return handler.WriteErrorResponse(stdout, fmt.Errorf("this plugin was built without the %s provider", scheme))
	}
	ctx := context.Background()
	if d := pa.InitOptions.CtxDeadline; d != nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, *d)
		defer cancel()
	}
	sv, err := kms.Get(ctx, scheme+pa.InitOptions.KeyResourceID, pa.InitOptions.HashFunc, encoding.UnpackRPCOptions(pa.InitOptions.RPCOptions)...)
	if err != nil {
		return handler.WriteErrorResponse(stdout, err)
	}
	_, err = handler.Dispatch(stdout, stdin, pa, sv)
	return err
}
