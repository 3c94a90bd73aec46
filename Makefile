# iwsm — build, serve and test the IW-SM companion.
#   make serve   build the web bundle into dist/ and serve it (open the printed address)
#   make test    vet and test everything this machine can run (E2E=1 makes the browser
#                and desktop tests mandatory instead of skipped)

GO      ?= go
DIST    ?= dist
BIN     ?= bin
ADDR    ?= 127.0.0.1:8080
SHOTS   ?=
E2E     ?=
WASMENV := GOOS=js GOARCH=wasm
GOROOT  := $(shell $(GO) env GOROOT)
# Packages that build and test on any machine with Go (no cgo, no X headers).
PURE    := ./sim/... ./targets/... ./serve/... ./wasm/live/...
# Packages whose tests also run as WebAssembly under Node when node is installed
# (the command-line tool in sim/cmd is native only).
WASMTESTED := ./sim ./targets/... ./wasm/live/...

.PHONY: all build serve test test-wasm vet desktop bench reproduce pretrained clean

all: build

# wasm_build builds one WebAssembly program ($(1): package, $(2): output name)
# and refreshes its gzip -9 copy only when the binary changed.
define wasm_build
	$(WASMENV) $(GO) build -trimpath -ldflags="-s -w" -o $(DIST)/$(2).new $(1)
	@if cmp -s $(DIST)/$(2).new $(DIST)/$(2) && [ -f $(DIST)/$(2).gz ]; then \
		rm $(DIST)/$(2).new; \
	else \
		mv $(DIST)/$(2).new $(DIST)/$(2) && gzip -9 -k -f $(DIST)/$(2); \
	fi
endef

## build: the static web bundle in $(DIST)/: the article (index.html), the app (app.html,
## app.wasm, which its training worker worker.js runs too), gzip copies, wasm_exec.js,
## the assets, the pretrained networks and the reference data
build:
	@mkdir -p $(DIST)/data
	$(call wasm_build,./wasm,app.wasm)
	@rm -f $(DIST)/worker.wasm $(DIST)/worker.wasm.gz
	cp "$(GOROOT)/lib/wasm/wasm_exec.js" $(DIST)/wasm_exec.js
	tar -C assets --exclude='*.go' -cf - . | tar -C $(DIST) -xf -
	cp targets/data/*.npy $(DIST)/data/
	@echo "bundle: app.wasm.gz $$(du -k $(DIST)/app.wasm.gz | cut -f1) KiB (the page and its training worker), $$(du -sk $(DIST) | cut -f1) KiB in all"

## serve: build, then serve $(DIST) on $(ADDR)
serve: build
	$(GO) run ./serve -addr $(ADDR) -dir $(DIST)

## vet: go vet natively for the pure packages and as wasm for everything
vet:
	@test -z "$$(gofmt -l sim targets serve wasm)" || { echo "gofmt needed:"; gofmt -l sim targets serve wasm; exit 1; }
	$(GO) vet $(PURE)
	$(WASMENV) $(GO) vet ./sim/... ./targets/... ./wasm/...

## test: vet, build the bundle, run the unit tests and the end-to-end tests
test: vet build
	IWSM_DIST="$(abspath $(DIST))" IWSM_SHOTS="$(SHOTS)" E2E="$(E2E)" $(GO) test -count=1 $(PURE)
	@$(MAKE) --no-print-directory test-wasm

## test-wasm: the pure packages' tests compiled to WebAssembly, under Node when it is installed
test-wasm:
	@if command -v node >/dev/null 2>&1; then \
		echo "$(WASMENV) go test $(WASMTESTED)  (under $$(node --version))"; \
		PATH="$(GOROOT)/lib/wasm:$$PATH" $(WASMENV) $(GO) test -count=1 $(WASMTESTED); \
	elif [ "$(E2E)" = "1" ]; then \
		echo "E2E=1 but node is not installed: cannot run the wasm tests"; exit 1; \
	else \
		echo "skipping the wasm unit tests: node is not installed"; \
	fi

## desktop: the native app in $(BIN)/ (needs cgo and the X headers listed in README.md)
desktop:
	$(GO) build -o $(BIN)/iwsm-desktop ./wasm

## bench: the speed figures
bench:
	$(GO) test -run '^$$' -bench . -benchtime 1s ./sim/ ./targets/

## reproduce: train both methods and rebuild results/ (RESULTS.md and figures)
reproduce:
	$(GO) run ./sim/cmd/iwsm reproduce -out results

clean:
	rm -rf $(DIST) $(BIN)

## pretrained: train the networks the app starts from: the 2-D targets for 3 minutes each on
## one core; the particle systems for a fixed number of steps: DW-4 the networks of
## results/dw4-long (about 80 minutes each on one core), LJ-13 1,200 steps (about 16 minutes)
PRETRAIN_BUDGET          ?= 3m
PRETRAIN_2D              := gmm80 gmm120 rings manywell uneven
PRETRAIN_DW4_STEPS_iwsm  ?= 11832
PRETRAIN_DW4_STEPS_idem  ?= 11897
PRETRAIN_LJ13_STEPS      ?= 1200
pretrained:
	@mkdir -p assets/pretrained
	$(GO) build -o $(BIN)/iwsm ./sim/cmd/iwsm
	for v in iwsm idem; do \
		for t in gmm40 $(PRETRAIN_2D); do \
			$(BIN)/iwsm train -target $$t -method $$v -seed 1 -budget $(PRETRAIN_BUDGET) -workers 1 -quiet \
				-out assets/pretrained/$$t-$$v.ckpt || exit 1; \
		done; \
		$(BIN)/iwsm train -target gmm40 -method $$v -defensive 0 -seed 1 -budget $(PRETRAIN_BUDGET) -workers 1 -quiet \
			-out assets/pretrained/gmm40-$$v-nodef.ckpt || exit 1; \
		dw4steps=$(PRETRAIN_DW4_STEPS_idem); [ $$v = iwsm ] && dw4steps=$(PRETRAIN_DW4_STEPS_iwsm); \
		$(BIN)/iwsm train -target dw4 -method $$v -seed 1 -steps $$dw4steps -eval-every 0 -quiet \
			-out assets/pretrained/dw4-$$v.ckpt || exit 1; \
		$(BIN)/iwsm train -target lj13 -method $$v -seed 1 -steps $(PRETRAIN_LJ13_STEPS) -eval-every 0 -quiet \
			-out assets/pretrained/lj13-$$v.ckpt || exit 1; \
	done
