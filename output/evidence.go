package output

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/modelgate/modelgate/attest"
	"github.com/modelgate/modelgate/evidence"
)

// listing is one row of 'evidence list'.
type listing struct {
	ID            string   `json:"id"`
	PredicateType string   `json:"predicate_type,omitempty"`
	Subjects      []string `json:"subjects,omitempty"`
	Source        string   `json:"source"`
	Problem       string   `json:"problem,omitempty"`
}

var evidenceFormats = []format[[]listing]{
	{"text", evidenceText},
	{"json", func(w io.Writer, rows []listing) error { return indentedJSON(w, rows) }},
}

// EvidenceFormats lists what WriteEvidence accepts.
var EvidenceFormats = names(evidenceFormats)

// WriteEvidence lists a store's envelopes, each with its predicate type
// and subjects as it claims them (unverified), and what could not be read.
func WriteEvidence(w io.Writer, envs []evidence.Envelope, problems []evidence.Problem, format string) error {
	rows := make([]listing, 0, len(envs)+len(problems))
	for _, e := range envs {
		row := listing{ID: e.ID, Source: e.Source}
		if st, err := attest.PeekStatement(e.Data); err == nil {
			row.PredicateType = st.PredicateType
			row.Subjects = st.SubjectDigests()
		} else {
			row.Problem = err.Error()
		}
		rows = append(rows, row)
	}
	for _, p := range problems {
		rows = append(rows, listing{Source: p.Source, Problem: p.Reason})
	}
	return write(evidenceFormats, format, w, rows)
}

func evidenceText(w io.Writer, rows []listing) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTYPE\tSUBJECT")
	for _, r := range rows {
		typ := r.PredicateType
		if s := attest.ShortName(typ); s != "" {
			typ = s
		}
		if r.Problem != "" {
			fmt.Fprintf(tw, "%s\t(problem)\t%s: %s\n", r.ID, r.Source, r.Problem)
			continue
		}
		for i, s := range r.Subjects {
			if i == 0 {
				fmt.Fprintf(tw, "%s\t%s\tsha256:%s\n", r.ID, typ, s)
			} else {
				fmt.Fprintf(tw, "\t\tsha256:%s\n", s)
			}
		}
	}
	return tw.Flush()
}
