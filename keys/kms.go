package keys

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/kms/cliplugin"
)

// MissingCredentialsError is a KMS key whose provider has no credentials to
// find in this process's environment: asking the provider anyway would wait
// on cloud metadata endpoints and end in the SDK's own words, not ours.
type MissingCredentialsError struct {
	Provider string // "awskms", "gcpkms", "azurekms", "hashivault"
	Set      string // what to set, in the provider's own variables
}

func (e *MissingCredentialsError) Error() string {
	return e.Provider + ": no credentials found: set " + e.Set
}

// credentialSources lists, per provider, where its SDK looks for
// credentials: variables any one of which is enough, and files under the
// home directory. A source that needs a cloud's metadata server (an EC2
// instance role, GKE workload identity, an Azure managed identity) counts
// when the variable that opts into it is set.
var credentialSources = []struct {
	prefix string
	vars   []string
	files  []string
	set    string
}{
	{"awskms://", []string{"AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE"},
		[]string{".aws/credentials", ".aws/config"},
		"AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE, or AWS_WEB_IDENTITY_TOKEN_FILE; on EC2 with an instance role, AWS_EC2_METADATA_DISABLED=false)"},
	{"gcpkms://", []string{"GOOGLE_APPLICATION_CREDENTIALS", "GCE_METADATA_HOST"},
		[]string{".config/gcloud/application_default_credentials.json"},
		"GOOGLE_APPLICATION_CREDENTIALS (or run 'gcloud auth application-default login'; on GCE or GKE, GCE_METADATA_HOST=metadata.google.internal)"},
	{"azurekms://", []string{"AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_FEDERATED_TOKEN_FILE", "IDENTITY_ENDPOINT", "MSI_ENDPOINT"},
		[]string{".azure/azureProfile.json"},
		"AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or AZURE_FEDERATED_TOKEN_FILE, or run 'az login')"},
	{"hashivault://", []string{"VAULT_TOKEN", "BAO_TOKEN"}, []string{".vault-token"},
		"VAULT_ADDR and VAULT_TOKEN"},
}

// CheckCredentials returns a *MissingCredentialsError when ref is a KMS URI
// whose provider would find no credentials; nil otherwise (a PEM file, or a
// provider with somewhere to look).
func CheckCredentials(ref string) error {
	for _, s := range credentialSources {
		if !strings.HasPrefix(ref, s.prefix) {
			continue
		}
		if s.prefix == "hashivault://" && os.Getenv("VAULT_ADDR") == "" && os.Getenv("BAO_ADDR") == "" {
			return &MissingCredentialsError{Provider: strings.TrimSuffix(s.prefix, "://"), Set: s.set}
		}
		if s.prefix == "awskms://" && os.Getenv("AWS_EC2_METADATA_DISABLED") == "false" {
			return nil
		}
		for _, v := range s.vars {
			if os.Getenv(v) != "" {
				return nil
			}
		}
		if home, err := os.UserHomeDir(); err == nil {
			for _, f := range s.files {
				if _, err := os.Stat(filepath.Join(home, f)); err == nil {
					return nil
				}
			}
		}
		return &MissingCredentialsError{Provider: strings.TrimSuffix(s.prefix, "://"), Set: s.set}
	}
	return nil
}

// KMSSchemes are the KMS providers modelgate signs with, each through its
// plugin program sigstore-kms-NAME (cmd/sigstore-kms-NAME in this module).
var KMSSchemes = []string{"awskms", "gcpkms", "azurekms", "hashivault"}

func kmsScheme(ref string) string {
	for _, s := range KMSSchemes {
		if strings.HasPrefix(ref, s+"://") {
			return s
		}
	}
	return ""
}

// MissingPluginError is a KMS key whose plugin program is nowhere to run.
type MissingPluginError struct {
	Scheme string
}

func (e *MissingPluginError) Error() string {
	return fmt.Sprintf("%s:// keys sign through the program %s%s, which is neither beside modelgate nor on PATH: install it beside modelgate with 'go install github.com/modelgate/modelgate/cmd/%[2]s%[3]s@latest' (the container image carries it)",
		e.Scheme, cliplugin.PluginBinaryPrefix, e.Scheme)
}

// loadKMS returns a signer that runs the provider's plugin program for each
// operation: the copy beside this executable first (built with it), then
// one on PATH. The cloud SDKs live in those programs, so that they cost no
// modelgate command their start-up.
func loadKMS(ctx context.Context, ref string) (signature.SignerVerifier, error) {
	scheme := kmsScheme(ref)
	program := cliplugin.PluginBinaryPrefix + scheme
	if self, err := os.Executable(); err == nil {
		if self, err = filepath.EvalSymlinks(self); err == nil {
			dir := filepath.Dir(self)
			if info, err := os.Stat(filepath.Join(dir, program)); err == nil && info.Mode().IsRegular() && info.Mode()&0o111 != 0 {
				if path := os.Getenv("PATH"); !slices.Contains(filepath.SplitList(path), dir) {
					os.Setenv("PATH", dir+string(os.PathListSeparator)+path)
				}
			}
		}
	}
	sv, err := cliplugin.LoadSignerVerifier(ctx, ref, crypto.SHA256)
	if errors.Is(err, exec.ErrNotFound) {
		return nil, &MissingPluginError{Scheme: scheme}
	}
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", ref, err)
	}
	return sv, nil
}
