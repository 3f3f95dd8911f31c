# tailtown-pitr: build, test and demonstrate. Run `make test` or `make demo` on a fresh Debian 12 machine (as root, Swift on PATH).
SWIFT ?= swift

.PHONY: deps build release test demo bench clean install uninstall deb

# make install, uninstall and deb (scripts/install.sh): where to install, a staging root for packaging, and the binary
# to install or pack (the release build by default; BINARY=path takes that one as it is and builds nothing).
PREFIX ?= /usr/local
DESTDIR ?=
BINARY ?=
INSTALL = PREFIX=$(PREFIX) DESTDIR=$(DESTDIR) BINARY=$(or $(BINARY),.build/release/tailtown-pitr) scripts/install.sh

deps:
	@scripts/install-deps.sh

# Through scripts/with-commit.sh, so that --version names the commit the binary was built from.
build: deps
	scripts/with-commit.sh $(SWIFT) build

# The Swift runtime linked statically: a wal-push starts in about 2 ms instead of 5 (docs/performance.md); without
# SwiftPM's RUNPATH $ORIGIN, which only made each start look for libc, libm and libgcc_s beside the binary first.
release: deps
	scripts/with-commit.sh $(SWIFT) build -c release --static-swift-stdlib --disable-local-rpath

install: $(if $(BINARY),,release)
	@$(INSTALL) install

uninstall:
	@$(INSTALL) uninstall

# A Debian package in .build/ (dpkg-deb), of the release build unless BINARY= names another.
deb: $(if $(BINARY),deps,release)
	@$(INSTALL) deb

# Builds first so that the integration tests find .build/debug/tailtown-pitr, then runs unit and integration tests
# (the micro-benchmarks, every test named `Benchmark`, are make bench's: section micro, bench/micro.sh), then packs
# that build with make deb, installs, checks and purges the package (scripts/test-package.sh).
test: deps
	scripts/with-commit.sh $(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --skip Benchmark
	scripts/test-package.sh

demo: deps
	@scripts/demo.sh

# Not a test: measures wal-push and wal-fetch against lz4|openssl and pgBackRest (docs/performance.md).
bench: deps
	@bench/bench.sh

clean:
	rm -rf .build
