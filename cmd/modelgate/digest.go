package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/modelgate/modelgate/digest"
)

// digestOptions are the flags of the command.
type digestOptions struct {
	format string
}

func newDigestCmd() *cobra.Command {
	var o digestOptions
	cmd := &cobra.Command{
		Use:   "digest PATH [--format text|json]",
		Short: "Print the SHA-256 identity of a model file or directory",
		Long: `Print the digest that names a model exactly.

A file's digest is its SHA-256. A directory's digest is the SHA-256 of its
manifest's canonical JSON: every regular file below it, '/'-separated relative
path, sorted bytewise, with its SHA-256 and size. --format json prints the
manifest too. --format oms prints the root digest an OpenSSF model signature
(OMS v1.0, 'modelgate sign') signs instead.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runDigest(cmd, args, o) },
	}
	cmd.Flags().StringVar(&o.format, "format", "text", "output format: text|json|oms")
	return cmd
}

func runDigest(cmd *cobra.Command, args []string, o digestOptions) error {
	if o.format != "text" && o.format != "json" && o.format != "oms" {
		return fmt.Errorf("--format %q: use text, json or oms", o.format)
	}
	if o.format == "oms" {
		// The root digest an OMS v1.0 model signature signs
		// ('modelgate sign', with no --ignore-paths).
		opts, done := progressOptions(args[0])
		m, err := digest.OMS(args[0], nil, "", opts)
		done()
		if err != nil {
			return fmt.Errorf("digest: %w", err)
		}
		fmt.Fprintf(cmd.OutOrStdout(), "sha256:%s  %s (OMS v1.0 root over %d file(s))\n", m.Root, args[0], len(m.Files))
		return nil
	}
	opts, done := progressOptions(args[0])
	r, err := digest.Path(args[0], opts)
	done()
	if err != nil {
		return fmt.Errorf("digest: %w", err)
	}
	if o.format == "json" {
		enc := json.NewEncoder(cmd.OutOrStdout())
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "sha256:%s  %s\n", r.SHA256, args[0])
	return nil
}

// progressThreshold is the size above which a terminal gets a progress line.
const progressThreshold = 256 << 20

// progressOptions returns digest options that draw a progress line on
// stderr when it is a terminal and the model is large; done clears it.
func progressOptions(path string) (digest.Options, func()) {
	if !term.IsTerminal(int(os.Stderr.Fd())) {
		return digest.Options{}, func() {}
	}
	total := digest.TotalSize(path)
	if total < progressThreshold {
		return digest.Options{}, func() {}
	}
	var n atomic.Int64
	stop := make(chan struct{})
	finished := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(finished)
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				fmt.Fprint(os.Stderr, "\r\033[K")
				return
			case <-t.C:
				drawProgress(os.Stderr, n.Load(), total, time.Since(start))
			}
		}
	}()
	return digest.Options{Progress: func(k int64) { n.Add(k) }}, func() { close(stop); <-finished }
}

func drawProgress(w io.Writer, done, total int64, elapsed time.Duration) {
	const width = 30
	frac := float64(done) / float64(total)
	bar := int(frac * width)
	rate := float64(done) / elapsed.Seconds()
	fmt.Fprintf(w, "\r[%-*s] %5.1f%%  %s / %s  %s/s", width, repeat('#', bar), frac*100, human(done), human(total), human(int64(rate)))
}

func repeat(c byte, n int) string {
	b := make([]byte, max(n, 0))
	for i := range b {
		b[i] = c
	}
	return string(b)
}

func human(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
