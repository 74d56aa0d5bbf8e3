GO      ?= go
BIN     := bin/modelgate
PKGS    := ./...
# Peer tools and a real API server, built once outside the clone (scripts/tools.sh).
CACHE   ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)
export MODELGATE_TOOLS ?= $(CACHE)/modelgate-tools
export MODELGATE_KUBE  ?= $(CACHE)/modelgate-kube
export PATH := $(MODELGATE_TOOLS):$(MODELGATE_KUBE)/bin:$(PATH)
# Static binaries everywhere: the image's is the one the tests built, from one cache.
export CGO_ENABLED := 0

.PHONY: all build demo test test-quick tools vet policy-test fuzz bench image dist clean

all: build

# modelgate, and beside it the KMS plugin programs its awskms://, gcpkms://,
# azurekms:// and hashivault:// keys sign through.
build:
	$(GO) build -o bin/ ./cmd/...

# The end-to-end story on the built-in defaults.
# It builds only modelgate: the KMS plugin programs (and their cloud SDKs)
# are not part of it.
demo:
	$(GO) build -o $(BIN) ./cmd/modelgate
	bash scripts/demo.sh

# Everything: vet, unit and end-to-end tests (fuzz seeds run as tests),
# and the policy bundle's Rego tests at 100% rule coverage. On a bare
# machine it first installs what the tests need (scripts/tools.sh).
test: tools build vet policy-test
	$(GO) test -count=1 $(PKGS)

# Everything that needs no peer tool (no registry, browser, API server,
# MariaDB, cosign, Alertmanager, and no demo), for a quick loop while
# editing: the Go tests with -short, and the Rego tests.
test-quick: build vet policy-test
	$(GO) test -count=1 -short $(PKGS)

tools:
	bash scripts/tools.sh

vet:
	$(GO) vet $(PKGS)

policy-test: build
	$(BIN) bundle test --min-coverage 100 policies

# Fuzz each parser for a while (FUZZTIME per target).
FUZZTIME ?= 30s
fuzz:
	$(GO) test ./attest -run '^$$' -fuzz FuzzParseEnvelope -fuzztime $(FUZZTIME)
	$(GO) test ./attest -run '^$$' -fuzz FuzzParseStatement -fuzztime $(FUZZTIME)
	$(GO) test ./attest -run '^$$' -fuzz FuzzValidatePredicate -fuzztime $(FUZZTIME)
	$(GO) test ./evidence -run '^$$' -fuzz '^FuzzParseIndex$$' -fuzztime $(FUZZTIME)
	$(GO) test ./decision -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME)
	$(GO) test ./evidence -run '^$$' -fuzz FuzzParseID -fuzztime $(FUZZTIME)
	$(GO) test ./digest -run '^$$' -fuzz FuzzParseRef -fuzztime $(FUZZTIME)
	$(GO) test ./keys -run '^$$' -fuzz FuzzParsePublicKey -fuzztime $(FUZZTIME)
	$(GO) test ./keys -run '^$$' -fuzz FuzzParseSigner -fuzztime $(FUZZTIME)
	$(GO) test ./bundles -run '^$$' -fuzz FuzzLoadTarball -fuzztime $(FUZZTIME)
	$(GO) test ./bundles -run '^$$' -fuzz FuzzCheckTarball -fuzztime $(FUZZTIME)
	$(GO) test ./bundles -run '^$$' -fuzz FuzzBundleData -fuzztime $(FUZZTIME)
	$(GO) test ./attest -run '^$$' -fuzz FuzzParseTime -fuzztime $(FUZZTIME)
	$(GO) test ./facts -run '^$$' -fuzz FuzzNormaliseIdentity -fuzztime $(FUZZTIME)
	$(GO) test ./importers -run '^$$' -fuzz FuzzImport -fuzztime $(FUZZTIME)
	$(GO) test ./admission -run '^$$' -fuzz FuzzFindRefs -fuzztime $(FUZZTIME)
	$(GO) test ./tlog -run '^$$' -fuzz FuzzParseSpec -fuzztime $(FUZZTIME)
	$(GO) test ./tlog -run '^$$' -fuzz FuzzTreeUpdate -fuzztime $(FUZZTIME)
	$(GO) test ./bundles -run '^$$' -fuzz FuzzParseSignerSpec -fuzztime $(FUZZTIME)

# Speed targets live in Go benchmarks: make bench runs them all, with the
# peers (opa, conftest, cosign) beside modelgate, and writes BENCHMARKS.md.
bench: build
	bash scripts/bench.sh

# The container image, built without a daemon and pushed to IMAGE.
IMAGE ?= localhost:5000/modelgate:dev
image:
	bash scripts/image.sh $(IMAGE)

# The release: an archive per platform with checksums, a CycloneDX SBOM and
# a signed SLSA provenance each, and with IMAGE set the container image
# (scripts/dist.sh: VERSION, PLATFORMS, DIST_KEY, IMAGE, DIST).
dist:
	bash scripts/dist.sh

clean:
	rm -rf bin dist
