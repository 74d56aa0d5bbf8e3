package admission

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/modelgate/modelgate/tlog"
	"github.com/modelgate/modelgate/vsa"
)

// LedgerWatch keeps the webhook's view of the ledger and says how it
// fares: it follows the log (every Poll, a whole re-read every AuditEvery),
// forgets cached verdicts when the log grows, counts read errors and
// rewrites, logs each new error once and its recovery, and keeps the age
// of the state answering reviews in a gauge.
type LedgerWatch struct {
	Follower   *vsa.Follower
	Validator  *Validator
	Metrics    *Metrics
	Audit      *slog.Logger
	Poll       time.Duration
	AuditEvery time.Duration

	lastSize uint64
	lastErr  string
}

// Start follows the log until ctx ends.
func (w *LedgerWatch) Start(ctx context.Context) {
	w.observe(nil)
	go w.Follower.Follow(ctx, w.Poll, w.AuditEvery, w.observe)
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				w.Metrics.LedgerAge.Set(w.Age().Seconds())
			}
		}
	}()
}

func (w *LedgerWatch) observe(err error) {
	log := w.Follower.Spec.String()
	if book, _ := w.Follower.Current(); book != nil {
		w.Metrics.LedgerSize.Set(float64(book.Size))
		if book.Size != w.lastSize {
			w.lastSize = book.Size
			w.Validator.Cache.Purge()
		}
	}
	switch {
	case err != nil:
		w.Metrics.LedgerErrors.Inc()
		var rw *tlog.RewrittenError
		if errors.As(err, &rw) {
			w.Metrics.LedgerRewritten.Inc()
		}
		if err.Error() != w.lastErr {
			w.Audit.Warn("ledger", "log", log, "error", err.Error())
		}
		w.lastErr = err.Error()
	case w.lastErr != "":
		w.Audit.Info("ledger", "log", log, "recovered", true, "entries", w.lastSize)
		w.lastErr = ""
	}
}

// Age is how old the state answering reviews is.
func (w *LedgerWatch) Age() time.Duration {
	book, _ := w.Follower.Current()
	if book == nil {
		return 0
	}
	return time.Since(book.Read)
}

// Ready fails while the state is older than a poll (and a margin): the
// pod answers from it until the follower's staleness limit, but is out of
// service meanwhile.
func (w *LedgerWatch) Ready(ctx context.Context) error {
	book, err := w.Follower.Book(ctx)
	if err != nil {
		return err
	}
	if age := time.Since(book.Read); age > w.Poll+5*time.Second {
		return fmt.Errorf("the ledger's state is %s old (%d entries); reviews are answered from it until it is %s old", age.Round(time.Second), book.Size, w.Follower.MaxStaleness)
	}
	return nil
}
