GO      ?= go
BIN     := bin/modelgate
PKGS    := ./...

.PHONY: all build demo test vet policy-test fuzz bench clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/modelgate

# The end-to-end story on the built-in defaults.
demo: build
	bash scripts/demo.sh

# Everything: vet, unit and end-to-end tests (fuzz seeds run as tests),
# and the policy bundle's Rego tests at 100% rule coverage.
test: build vet policy-test
	$(GO) test -count=1 $(PKGS)

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

# Speed targets live in Go benchmarks. BenchmarkVerify200 compares the whole
# verify process with opa eval, and needs opa on PATH:
#   go install github.com/open-policy-agent/opa@v1.22.2
bench: build
	$(GO) test -run '^$$' -bench . -benchtime 3x ./digest
	$(GO) test -run '^$$' -bench . ./facts
	$(GO) test -run '^$$' -bench . -benchtime 2000x ./gate
	PATH="$$PATH:$$($(GO) env GOPATH)/bin" $(GO) test -run '^$$' -bench Verify200 -benchtime 30x ./cmd/modelgate
	$(GO) test -run '^$$' -bench Compliance -benchtime 20x ./cmd/modelgate
	$(GO) test -run '^$$' -bench Champion -benchtime 5x ./vsa
	$(GO) test -run '^$$' -bench History -benchtime 5x ./vsa
	$(GO) test -run '^$$' -bench Review -benchtime 20000x ./admission

clean:
	rm -rf bin
