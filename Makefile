# Edgewise: `make demo` (build and run the demo on bundled data) and `make test`.
# Both install missing Debian packages when run as root, or print the apt-get line and stop.
SHELL       := /bin/bash
SWIFT       ?= swift
CONFIG      ?= release
BIN         := .build/$(CONFIG)/edgewise
# Debian packages the build and tests need (C libraries with pkg-config files for SwiftPM system targets).
APT_PACKAGES ?= libsndfile1-dev libasound2-dev libv4l-dev libpng-dev libjpeg62-turbo-dev libmatio-dev libsamplerate0-dev zlib1g-dev

.PHONY: all deps build demo test bench bench-allocations fuzz clean help

all: build

help:
	@echo "make demo           build (release) and run the demo on bundled data"
	@echo "make test           run every test (release build: kernels at -O2, zero-allocation checks)"
	@echo "make bench          kernel throughput vs this CPU's measured peak, and DS-CNN-S latency"
	@echo "make bench-allocations  heap allocations per inference, counted by ordo-one/benchmark"
	@echo "make fuzz           libFuzzer + ASan on the model-file loader and the TFLite importer (FUZZ_SECONDS=60 each)"

deps:
	@Scripts/ensure-deps.sh $(APT_PACKAGES)

build: deps
	$(SWIFT) build -c $(CONFIG)

demo: build
	$(BIN) demo
	.build/$(CONFIG)/voice listen --file Datasets/voice/demo.wav --fast

test: deps
	$(SWIFT) test -c $(CONFIG)

bench: build
	$(SWIFT) build -c release --product edgewise-kernel-bench
	.build/release/edgewise-kernel-bench
	$(BIN) demo --iterations 5000

bench-allocations:
	ln -sfn ../.. Benchmarks/Allocations/Edgewise
	cd Benchmarks/Allocations && $(SWIFT) package --allow-writing-to-package-directory benchmark --no-progress

fuzz:
	Scripts/fuzz-model-loader.sh $${FUZZ_SECONDS:-60}
	Scripts/fuzz-tflite-import.sh $${FUZZ_SECONDS:-60}

clean:
	rm -rf .build out
