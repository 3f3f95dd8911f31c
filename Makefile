# tailtown-pitr: build, test and demonstrate. Run `make test` or `make demo` on a fresh Debian 12 machine (as root, Swift on PATH).
SWIFT ?= swift

.PHONY: deps build release test demo bench clean

deps:
	@scripts/install-deps.sh

build: deps
	$(SWIFT) build

# The Swift runtime linked statically: a wal-push starts in about 2 ms instead of 5 (docs/performance.md).
release: deps
	$(SWIFT) build -c release --static-swift-stdlib

# Builds first so that the integration tests find .build/debug/tailtown-pitr, then runs unit and integration tests;
# the micro-benchmarks (every test named `Benchmark`) are make bench's (section micro, bench/micro.sh).
test: deps
	$(SWIFT) build
	$(SWIFT) test --skip Benchmark

demo: deps
	@scripts/demo.sh

# Not a test: measures wal-push and wal-fetch against lz4|openssl and pgBackRest (docs/performance.md).
bench: deps
	@bench/bench.sh

clean:
	rm -rf .build
