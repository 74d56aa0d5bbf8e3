package bundles

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strings"

	"github.com/modelgate/modelgate/digest"
)

// FileInfo is one file of a bundle with its digest.
type FileInfo struct {
	Path   string `json:"path"`
	Digest string `json:"digest"`
	Size   int    `json:"size"`
}

// ModuleInfo is one Rego module that decides (tests excluded): its
// package and the rules it defines.
type ModuleInfo struct {
	Path    string   `json:"path"`
	Package string   `json:"package"`
	Rules   []string `json:"rules"`
	// text is each rule's source, by name, to tell a changed rule.
	text map[string]string
	// code is the module without its comments: package, imports, rules.
	code string
}

// files lists every file of the bundle, sorted, with its SHA-256.
func (b *Bundle) fileInfos() []FileInfo {
	out := make([]FileInfo, 0, len(b.files))
	for name, data := range b.files {
		sum := sha256.Sum256(data)
		out = append(out, FileInfo{Path: name, Digest: digest.Prefixed(hex.EncodeToString(sum[:])), Size: len(data)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// moduleInfos lists the Rego modules that decide with the rules each defines.
func (b *Bundle) moduleInfos() []ModuleInfo {
	var out []ModuleInfo
	for _, m := range b.b.Modules {
		if m.Parsed == nil {
			continue
		}
		mi := ModuleInfo{Path: strings.TrimPrefix(m.Path, "/"), Package: m.Parsed.Package.Path.String(), text: map[string]string{}}
		code := []string{mi.Package}
		for _, imp := range m.Parsed.Imports {
			code = append(code, imp.String())
		}
		for _, r := range m.Parsed.Rules {
			name := mi.Package + "." + r.Head.Ref().GroundPrefix().String()
			if _, ok := mi.text[name]; !ok {
				mi.Rules = append(mi.Rules, name)
			}
			mi.text[name] += string(r.Location.Text) + "\n"
			code = append(code, string(r.Location.Text))
		}
		mi.code = strings.Join(code, "\n")
		sort.Strings(mi.Rules)
		out = append(out, mi)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}
