# microkata — run `make help` for the targets.
#
# KATA selects katas for grade, verify and bench: make grade KATA=lru
# (several: KATA="lru tokenbucket"). FLAGS passes grader flags: make grade FLAGS=--json

GO      ?= go
KATA    ?=
FLAGS   ?=
export GORACE ?= atexit_sleep_ms=0

# Protobuf: the generated Go code is committed, so learners need no protoc.
# The generators are pinned as tool dependencies in go.mod; protoc itself is
# Debian's protobuf-compiler, whose version the generated files record.
PROTOC         ?= protoc
PROTOC_VERSION  = libprotoc 3.21.12
PROTOS          = $(shell find katas -name '*.proto')

# Packages of the project itself: everything but the learner's katas, whose
# stubs fail by design (the grader and verify test those).
PROJECT_PKGS = $(shell $(GO) list ./... | grep -v '/katas/')

.PHONY: help grade practice hint reset list stats verify grader test unit vet fmt-check mod-check pristine pristine-check bench proto proto-check conformance conformance-test

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

grade: grader ## grade your katas and print the scorecard (KATA=name for one)
	@bin/grader grade $(FLAGS) $(KATA)

practice: grader ## timed practice of one kata: make practice KATA=lru (FLAGS="--minutes 30", or KATA= FLAGS=--random)
	@bin/grader practice $(FLAGS) $(KATA)

hint: grader ## the next hint of a kata: make hint KATA=lru
	@bin/grader hint $(FLAGS) $(KATA)

reset: grader ## back up your files of a kata and put its stub back: make reset KATA=lru
	@bin/grader reset $(FLAGS) $(KATA)

list: grader ## every kata with its practice status, best time and when it is due again
	@bin/grader list $(FLAGS)

stats: grader ## your practice statistics (KATA=name for some)
	@bin/grader stats $(FLAGS) $(KATA)

verify: grader ## check every kata's verify contract: reference, stub, mutants, API
	@bin/grader verify $(FLAGS) $(KATA)

grader: ## build the grader into bin/grader (go build caches it)
	@$(GO) build -o bin/grader ./grader

test: fmt-check mod-check pristine-check proto-check vet unit conformance-test verify ## the project's own checks (what CI runs)

# Locally, go test's cache skips the packages that did not change (make test
# warm with nothing changed takes seconds); CI runs every test every time,
# since some tests read files through the grader binary they build, which the
# cache cannot see.
UNIT_COUNT = $(if $(CI),-count=1,)

unit: ## the grader's and helpers' own tests, with -race
	$(GO) test -race $(UNIT_COUNT) $(PROJECT_PKGS)

vet: ## go vet, with and without the hidden-test tag
	$(GO) vet ./...
	$(GO) vet -tags microkata_hidden ./...

fmt-check: ## fail if gofmt would change a file
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '/testdata/') 2>&1); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

pristine: grader ## copy every kata's Go files into solutions/*/testdata/pristine (after changing a kata; the fixtures' too)
	@bin/grader pristine
	@bin/grader pristine --root grader/testdata/root

pristine-check: grader ## fail if a pristine copy (or a fixture's) differs from its kata folder
	@bin/grader pristine --check
	@bin/grader pristine --check --root grader/testdata/root

mod-check: ## fail if go.mod or go.sum are not what `go mod tidy` makes
	@$(GO) mod tidy -diff || { echo "go.mod/go.sum are not tidy: run go mod tidy"; exit 1; }

bench-grader: grader ## the grader's overhead against bare go test, references then stubs (KATA=... for some)
	@bin/grader overhead $(FLAGS) $(KATA)
	@bin/grader overhead --stubs $(FLAGS) $(KATA)

conformance: ## references against the libraries they model: ported tests, differential runs, documented differences, side-by-side benchmarks (a table)
	cd conformance && $(GO) run ./cmd/conformance

conformance-test: ## the conformance module's tests (not its benchmarks), with -race, and its vet
	cd conformance && $(GO) test -race -count=1 ./...
	cd conformance && $(GO) vet ./...

bench: ## benchmarks of your code in katas/ (KATA=name for one)
	$(GO) test -run '^$$' -bench . -benchmem $(if $(KATA),$(addprefix ./katas/,$(KATA)),./katas/...)

proto: ## regenerate the committed Go code of every .proto (needs protoc 3.21.12)
	@$(call protoc-check)
	@for f in $(PROTOS); do $(call protoc-gen,$$f,.) || exit 1; done

proto-check: ## fail if the committed generated code differs from what `make proto` makes
	@if [ -z "$$CI" ] && ! command -v $(PROTOC) >/dev/null 2>&1; then \
		echo "proto-check: skipped, protoc is not installed (CI runs it; apt-get install -y protobuf-compiler)"; exit 0; fi; \
	$(call protoc-check); \
	tmp=$$(mktemp -d); trap 'rm -rf $$tmp' EXIT; \
	for f in $(PROTOS); do \
		d=$$(dirname $$f); \
		$(call protoc-gen,$$f,$$tmp) || exit 1; \
		for g in $$tmp/$$d/*.go; do \
			if ! cmp -s $$g $$d/$$(basename $$g); then \
				echo "$$d/$$(basename $$g) is not what \`make proto\` generates from $$f:"; \
				diff -u $$d/$$(basename $$g) $$g | head -20; exit 1; \
			fi; \
		done; \
	done

# protoc-gen FILE OUTROOT: run protoc on FILE with the go.mod-pinned generators,
# writing beside FILE's path under OUTROOT. The import path is FILE's path from
# the repository root, so the descriptor's name is unique in the registry.
define protoc-gen
$(PROTOC) -I . \
	--plugin=protoc-gen-go=$$($(GO) tool -n protoc-gen-go) \
	--plugin=protoc-gen-go-grpc=$$($(GO) tool -n protoc-gen-go-grpc) \
	--go_out=$(2) --go_opt=paths=source_relative \
	--go-grpc_out=$(2) --go-grpc_opt=paths=source_relative \
	$(1)
endef

# protoc-check: the generated files name protoc's version, so another version
# would make proto-check fail for a reason that is not a real difference.
define protoc-check
v=$$($(PROTOC) --version 2>/dev/null) || { echo "protoc not found: apt-get install -y protobuf-compiler (Debian 12 gives $(PROTOC_VERSION))"; exit 1; }; \
	[ "$$v" = "$(PROTOC_VERSION)" ] || { echo "protoc is '$$v'; the committed code was made by '$(PROTOC_VERSION)'"; exit 1; }
endef
