# tailtown-pitr: build, test and demonstrate. Run `make test` or `make demo` on a fresh Debian 12 machine (as root, Swift on PATH).
SWIFT ?= swift

.PHONY: deps build release test demo clean

deps:
	@scripts/install-deps.sh

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

# Builds first so that the integration tests find .build/debug/tailtown-pitr, then runs unit and integration tests.
test: deps
	$(SWIFT) build
	$(SWIFT) test

demo: deps
	@scripts/demo.sh

clean:
	rm -rf .build
