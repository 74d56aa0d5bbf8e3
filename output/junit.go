package output

import (
	"encoding/xml"
	"fmt"
	"io"

	"github.com/modelgate/modelgate/decision"
)

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Timestamp  string          `xml:"timestamp,attr,omitempty"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

// JUnit writes one test case per gate: a failed gate is a failure, a
// skipped gate is skipped, warnings and waivers pass with their message.
// The suite is modelgate's, and its properties carry the verdict, tier,
// subject and environment.
func JUnit(w io.Writer, d *decision.Decision, version string) error {
	suite := junitSuite{
		Name:      fmt.Sprintf("modelgate %s → %s", Clean(d.Ref()), Clean(d.Environment)),
		Timestamp: Clean(d.EvaluatedAt),
		Properties: []junitProperty{
			{"verdict", verdict(d)}, {"subject", Clean(d.Ref())}, {"environment", Clean(d.Environment)},
			{"tier", Clean(d.Tier)}, {"tier_source", Clean(d.TierSource)},
			{"policy", Clean(d.Policy.URI)}, {"policy_digest", Clean(d.Policy.Digest)}, {"policy_revision", Clean(d.Policy.Revision)},
			{"modelgate_version", version},
		},
	}
	for _, g := range d.Gates {
		c := junitCase{Name: fmt.Sprintf("%s (%s)", Clean(g.Title), Clean(g.Code)), Classname: "modelgate.gates." + Clean(g.ID)}
		msg := Clean(g.Message)
		switch g.Status {
		case decision.Fail:
			c.Failure = &junitMessage{Message: msg, Type: Clean(g.Code), Text: msg}
			suite.Failures++
		case decision.Skipped:
			c.Skipped = &junitMessage{Message: msg}
			suite.Skipped++
		default:
			c.SystemOut = g.Status + ": " + msg
		}
		suite.Cases = append(suite.Cases, c)
	}
	suite.Tests = len(suite.Cases)
	doc := junitSuites{Name: "modelgate", Tests: suite.Tests, Failures: suite.Failures, Skipped: suite.Skipped, Suites: []junitSuite{suite}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
