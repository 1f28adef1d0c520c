# Roster's tasks. `make run` opens Roster; `make test` is what CI runs.
GO ?= go
BIN := bin/roster

.PHONY: run build test lint bench fmt

run: build
	./$(BIN) $(ARGS)

build:
	$(GO) build -o $(BIN) ./cmd/roster

test:
	$(GO) vet ./...
	@unformatted=$$(gofmt -l .); if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	$(GO) test -race -timeout 30m ./...

lint: test
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem -timeout 60m ./...

fmt:
	gofmt -w .
