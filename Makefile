# supaops — see README.md. Every target works on a fresh clone with only Go installed.
GO      ?= go
BIN     ?= bin
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
IMAGE   ?= supaops
# The release targets: os/arch pairs.
PLATFORMS ?= linux/amd64 linux/arm64 darwin/amd64 darwin/arm64
# Benchmarks: how long each runs and how many runs (benchstat wants several).
BENCHTIME ?= 2s
BENCHCOUNT ?= 6

.PHONY: all build test vet generate check-generated lint bench run image docker release clean

all: build

# Static and stamped, by the script the container image runs too.
build:
	VERSION=$(VERSION) COMMIT=$(COMMIT) GO=$(GO) ./scripts/build.sh $(BIN)

# The README's test command: generated code is current, vet is clean, the
# static binary builds, every test passes.
test: check-generated vet build
	$(GO) test -race -count=1 -timeout 10m ./...

vet:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...

generate:
	$(GO) generate ./internal/client ./internal/tools
	$(GO) test ./internal/composite -run TestToolsDocIsCurrent -update
	$(GO) test ./internal/mcpserver -run TestCompactSchemasAreCurrent -update-schemas

# Regenerates into a scratch folder and compares, so it never touches your tree.
check-generated:
	@scratch=$$(mktemp -d); trap 'rm -rf $$scratch' EXIT; \
	(cd internal/client && $(GO) tool oapi-codegen -config oapi-codegen.yaml -o $$scratch/client.gen.go ../../api/openapi.json) && \
	(cd internal/tools && $(GO) run ./gen -catalogue catalogue.tsv -json $$scratch/actions.gen.json -data $$scratch/actions.gen.go -go $$scratch/bindings.gen.go) && \
	for f in internal/client/client.gen.go internal/tools/actions.gen.json internal/tools/actions.gen.go internal/tools/bindings.gen.go; do \
		cmp -s $$f $$scratch/$$(basename $$f) || { echo "$$f is stale: run 'make generate' and commit it"; exit 1; }; \
	done; echo "generated code is current"

lint:
	golangci-lint run ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) -count $(BENCHCOUNT) ./... | tee bench.out

run: build
	$(BIN)/supaops-mcp --sandbox --http 127.0.0.1:8765

# Needs a Docker engine (the CI machines have none, so CI does not build the
# image; cmd/mcp's TestDockerfileBuild builds what it would hold).
image:
	docker build --build-arg VERSION=$(VERSION) --build-arg COMMIT=$(COMMIT) -t $(IMAGE):$(VERSION) .
docker: image

# Both binaries for every platform, as tarballs with SHA-256 checksums, in dist/.
release:
	rm -rf dist && mkdir -p dist
	set -e; for p in $(PLATFORMS); do \
		os=$${p%/*}; arch=$${p#*/}; name=supaops_$(VERSION)_$${os}_$${arch}; \
		GOOS=$$os GOARCH=$$arch VERSION=$(VERSION) COMMIT=$(COMMIT) GO=$(GO) ./scripts/build.sh dist/$$name; \
		cp README.md dist/$$name/; tar -C dist -czf dist/$$name.tar.gz $$name; rm -rf dist/$$name; \
	done
	cd dist && sha256sum *.tar.gz > checksums.txt && cat checksums.txt

clean:
	rm -rf $(BIN) bench.out dist
