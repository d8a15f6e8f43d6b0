# microkata — run `make help` for the targets.
#
# KATA selects katas for grade, verify and bench: make grade KATA=lru
# (several: KATA="lru tokenbucket"). FLAGS passes grader flags: make grade FLAGS=--json

GO      ?= go
KATA    ?=
FLAGS   ?=
export GORACE ?= atexit_sleep_ms=0

# Packages of the project itself: everything but the learner's katas, whose
# stubs fail by design (the grader and verify test those).
PROJECT_PKGS = $(shell $(GO) list ./... | grep -v '/katas/')

.PHONY: help grade verify grader test unit vet fmt-check bench

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

grade: grader ## grade your katas and print the scorecard (KATA=name for one)
	@bin/grader grade $(FLAGS) $(KATA)

verify: grader ## check every kata's verify contract: reference, stub, mutants, API
	@bin/grader verify $(FLAGS) $(KATA)

grader: ## build the grader into bin/grader (go build caches it)
	@$(GO) build -o bin/grader ./grader

test: fmt-check vet unit verify ## the project's own checks (what CI runs)

unit: ## the grader's and helpers' own tests, with -race
	$(GO) test -race -count=1 $(PROJECT_PKGS)

vet: ## go vet, with and without the hidden-test tag
	$(GO) vet ./...
	$(GO) vet -tags microkata_hidden ./...

fmt-check: ## fail if gofmt would change a file
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '/testdata/') 2>&1); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

bench: ## benchmarks of your code in katas/ (KATA=name for one)
	$(GO) test -run '^$$' -bench . -benchmem $(if $(KATA),$(addprefix ./katas/,$(KATA)),./katas/...)
