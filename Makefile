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
	$(GO) test ./evidence -run '^$$' -fuzz FuzzParseIndex -fuzztime $(FUZZTIME)

# Speed targets live in Go benchmarks.
bench: build
	$(GO) test -run '^$$' -bench . -benchtime 3x ./digest
	$(GO) test -run '^$$' -bench . ./facts ./gate

clean:
	rm -rf bin
