# Roster's tasks. `make run` opens Roster; `make test` is what CI runs.
GO ?= go
BIN := bin/roster
# The version stamped into the binary: `git describe` when this is a git
# checkout, else the build info's own (see internal/version).
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null)
COMMIT ?= $(shell git rev-parse HEAD 2>/dev/null)
DATE ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
VPKG := github.com/roster-dev/roster/internal/version
LDFLAGS := -X $(VPKG).Version=$(VERSION) -X $(VPKG).Commit=$(COMMIT) -X $(VPKG).Date=$(DATE)

.PHONY: run build test lint bench bench-peers fmt man package

run: build
	./$(BIN) $(ARGS)

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/roster

test:
	$(GO) vet ./...
	@unformatted=$$(gofmt -l .); if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	$(GO) test -race -timeout 30m ./...

lint: test
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem -timeout 60m ./...

# Roster beside real programs on this machine (issue 20's table): LDAP
# searches and binds (slapd, argon2id), invitations (smtp-source), the
# set-password page (a Go hello server), check and backup (bbolt check,
# cp + sync) and the terminal app in tmux (targets, no peer); not part of
# `make test`. BENCH_ARGS, e.g. -users 1000000 -seconds 10, or
# -only check,tui -db FILE (a copy of FILE).
bench-peers:
	$(GO) run ./internal/benchpeers $(BENCH_ARGS)

fmt:
	gofmt -w .

# The manual page, from the commands.
man: build
	./$(BIN) man > bin/roster.1

# The Debian package (dist/roster_VERSION_ARCH.deb), built with nFPM as a Go
# tool pinned in tools/go.mod, a module of its own so that nFPM's many
# dependencies stay out of Roster's go.mod. packaging/version.sh turns
# `git describe` into a Debian version.
PKG_VERSION ?= $(shell packaging/version.sh)
PKG_ARCH ?= $(shell dpkg --print-architecture 2>/dev/null || $(GO) env GOARCH)
PKG_STAGE ?= dist/pkg
PKG_OUT ?= dist
package:
	rm -rf $(PKG_STAGE) && mkdir -p $(PKG_STAGE)/completions $(PKG_OUT)
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s -w $(LDFLAGS)" -o $(PKG_STAGE)/roster ./cmd/roster
	$(PKG_STAGE)/roster man | gzip -9n > $(PKG_STAGE)/roster.1.gz
	$(PKG_STAGE)/roster completion bash > $(PKG_STAGE)/completions/roster
	$(PKG_STAGE)/roster completion zsh > $(PKG_STAGE)/completions/_roster
	$(PKG_STAGE)/roster completion fish > $(PKG_STAGE)/completions/roster.fish
	sed 's|/usr/local/bin/roster|/usr/bin/roster|' contrib/roster.service > $(PKG_STAGE)/roster.service
	sed 's|/usr/local/bin/roster|/usr/bin/roster|' contrib/roster-backup.service > $(PKG_STAGE)/roster-backup.service
	PKG_STAGE=$(PKG_STAGE) VERSION=$(PKG_VERSION) ARCH=$(PKG_ARCH) $(GO) tool -modfile=tools/go.mod nfpm package \
		--config packaging/nfpm.yaml --packager deb --target $(PKG_OUT)/
