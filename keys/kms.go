package keys

import (
	"os"
	"path/filepath"
	"strings"
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
