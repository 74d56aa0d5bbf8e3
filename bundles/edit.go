package bundles

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"sigs.k8s.io/yaml"

	"github.com/modelgate/modelgate/facts"
	"github.com/modelgate/modelgate/policies"
)

// Trust checks a bundle's data and prepares its trust list: the one way
// every door learns whom a bundle trusts.
func (b *Bundle) Trust() (*facts.Trust, error) {
	if err := b.CheckData(); err != nil {
		return nil, err
	}
	signers, err := b.Signers()
	if err != nil {
		return nil, err
	}
	trust, err := facts.NewTrustWithRoot(signers, b.KeylessRoot())
	if err != nil {
		return nil, fmt.Errorf("policy bundle %s: %w", b.URI, err)
	}
	return trust, nil
}

// ErrNotEmpty is a directory that already holds something: Init writes a
// bundle only into a new or empty one.
var ErrNotEmpty = errors.New("not empty")

// Init writes the built-in bundle into dir, a new or empty directory, with
// trust as its trust list and root (when not nil) as the Sigstore trusted
// root keyless signers are verified against. A bundle that does not load
// as every command loads it leaves nothing behind.
func Init(dir string, trust []Signer, root []byte) error {
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return fmt.Errorf("%s is %w", dir, ErrNotEmpty)
	}
	_, statErr := os.Stat(dir)
	created := statErr != nil
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	err := os.CopyFS(dir, policies.FS)
	if err == nil {
		// The embedded files are read-only; the copy is to edit.
		filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
			if err == nil {
				mode := os.FileMode(0o644)
				if e.IsDir() {
					mode = 0o755
				}
				os.Chmod(p, mode)
			}
			return nil
		})
		err = WriteTrust(dir, trust, root)
	}
	if err != nil {
		// Leave nothing half made.
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			os.RemoveAll(filepath.Join(dir, e.Name()))
		}
		if created {
			os.Remove(dir)
		}
	}
	return err
}

// WriteTrust writes a bundle directory's trust list (and, when root is not
// nil, its Sigstore trusted root) and loads the bundle as every command
// will (schemas, roles, identities, patterns); on a fault the old files are
// put back and nothing changes.
func WriteTrust(dir string, trust []Signer, root []byte) error {
	if len(trust) == 0 {
		return errors.New("the trust list would be empty: a bundle that trusts nobody decides nothing")
	}
	if root != nil {
		rootPath := filepath.Join(dir, TrustedRootFile)
		oldRoot, rootErr := os.ReadFile(rootPath)
		if err := os.WriteFile(rootPath, root, 0o644); err != nil {
			return err
		}
		if err := WriteTrust(dir, trust, nil); err != nil {
			if rootErr == nil {
				os.WriteFile(rootPath, oldRoot, 0o644)
			} else {
				os.Remove(rootPath)
			}
			return err
		}
		return nil
	}
	// The trust list is data.yaml, or data.json where the bundle keeps it
	// so: the edit goes where it is, in its own format.
	path := filepath.Join(dir, "modelgate", "trust", "data.yaml")
	asJSON := false
	if _, err := os.Stat(path); err != nil {
		if _, err := os.Stat(filepath.Join(dir, "modelgate", "trust", "data.json")); err == nil {
			path, asJSON = filepath.Join(dir, "modelgate", "trust", "data.json"), true
		}
	}
	old, oldErr := os.ReadFile(path)
	// Keep what else the trust data says (the keyless thresholds).
	data := map[string]any{}
	if oldErr == nil {
		yaml.Unmarshal(old, &data)
	}
	data["signers"] = trust
	var doc []byte
	var err error
	if asJSON {
		doc, err = json.MarshalIndent(data, "", "  ")
		doc = append(doc, '\n')
	} else {
		doc, err = yaml.Marshal(data)
		header := "# Trusted signers. Identity comes from the key that signed, never from a\n# predicate. Change them with 'modelgate bundle signer add|remove'.\n"
		doc = append([]byte(header), doc...)
	}
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, doc, 0o644); err != nil {
		return err
	}
	b, err := Load(dir)
	if err == nil {
		_, err = b.Trust()
	}
	if err != nil {
		if oldErr == nil {
			os.WriteFile(path, old, 0o644)
		} else {
			os.Remove(path)
		}
		return fmt.Errorf("nothing changed: %w", err)
	}
	return nil
}
