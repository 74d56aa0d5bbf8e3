package output

import (
	"io"
	"strconv"

	"github.com/modelgate/modelgate/bundles"
)

// inspectFormats is the table of a bundle inspection's formats.
var inspectFormats = []format[*bundles.Inspection]{
	{"text", inspectText},
	{"markdown", inspectMarkdown},
	{"json", func(w io.Writer, in *bundles.Inspection) error { return indentedJSON(w, in) }},
	{"html", inspectHTML},
}

// InspectFormats lists what WriteInspection accepts.
var InspectFormats = names(inspectFormats)

// WriteInspection renders what a bundle demands for a compliance officer.
func WriteInspection(w io.Writer, in *bundles.Inspection, format string) error {
	return write(inspectFormats, format, w, in)
}

func fnum(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
