# relaymail — top-level entry points. Everything a fresh Debian 12 machine needs is installed
# here (as root; otherwise the apt line is printed and we stop).
#   make          build build/bin/relaymail and build/bin/relaymaild
#   make test     install deps, build, run every test (plus the sanitizer pass)
#   make demo     the end-to-end path against the project's own test smarthost on loopback
#   make bench    benchmarks (not part of `make test`)
#   make install  install into DESTDIR/PREFIX (default /usr): packaging/install.sh
#   make deb      the Debian packages, in build/deb/ (packaging/build-deb.sh)
#   make rpm      the RPM, in build/rpm/ (packaging/rpm/relaymail.spec)
#   make fuzz     every libFuzzer target for FUZZ_SECONDS (default 60) each (tests/fuzz/run.sh)

BUILD      ?= build
ASAN_BUILD ?= build/asan
CMAKE_ARGS ?=
BENCH_ARGS ?=
FUZZ_SECONDS ?= 60
PREFIX     ?= /usr
DESTDIR    ?=
# Warnings are errors in CI, and its builds carry line tables only (-g1): full debug information
# is most of what two trees cost to compile, and CI must finish within its time limit.
ifneq ($(CI),)
CMAKE_ARGS += -DRM_WERROR=ON '-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG'
endif

# gnome-keyring, libsecret-tools (secret-tool), dbus and libglib2.0-bin (gdbus): the real Secret
# Service the keyring tests start on a private bus. libsystemd-dev: socket activation and
# sd_notify in relaymaild; systemd: systemd-analyze, which the unit-file tests run.
# libcurl4-openssl-dev and nlohmann-json3-dev: relaymaild's OAuth2 token requests (src/oauth2).
# debhelper, dpkg-dev, fakeroot, lintian: `make deb` and its check; mandoc: the man page lint.
# clang and libclang-rt-14-dev (libFuzzer's runtime, not pulled in by clang): the sanitizer tree.
DEB_PKGS := g++ cmake ninja-build pkg-config openssl libssl-dev libconfig++-dev libsecret-1-dev \
            libsystemd-dev libgtest-dev libgmock-dev python3 python3-aiosmtpd \
            gnome-keyring libsecret-tools dbus libglib2.0-bin systemd \
            libcurl4-openssl-dev nlohmann-json3-dev \
            debhelper dpkg-dev fakeroot lintian mandoc clang libclang-rt-14-dev

.PHONY: all build deps test test-fast test-package test-asan demo bench fuzz install deb rpm \
        format clean

all: build

deps:
	@missing=""; for p in $(DEB_PKGS); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" != 0 ]; then \
	    echo "missing packages; as root run: apt-get update && apt-get install -y$$missing"; exit 1; \
	  fi; \
	  echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

$(BUILD)/build.ninja: | deps
	cmake -S . -B $(BUILD) -G Ninja $(CMAKE_ARGS)

# The sanitizer tree is clang's: ASan and UBSan for every test, and libFuzzer for tests/fuzz.
$(ASAN_BUILD)/build.ninja: | deps
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DRM_SANITIZE=ON -DRM_FUZZ=ON \
	  $(CMAKE_ARGS)

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD)

test-fast: build
	cd $(BUILD) && ctest --output-on-failure -j2 --timeout 300

test-asan: deps $(ASAN_BUILD)/build.ninja
	cmake --build $(ASAN_BUILD)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp \
	  ctest --output-on-failure -j2 --timeout 300

# The package of the binaries test-fast has just tested: built, linted, unpacked and run.
test-package: build
	packaging/build-deb.sh $(BUILD)/deb $(BUILD)
	tests/package/check_deb.sh $(BUILD)/deb $(BUILD)/bin

test: test-fast test-package test-asan

demo: build
	tests/demo/demo.sh $(BUILD)

# One Markdown table, relaymail against msmtp (and nullmailer in figure 1), also written to
# $(BUILD)/bench.md (~8 minutes). Both are fetched with apt-get download and unpacked under
# $(BUILD)/bench, never installed; nullmailer runs only as root, in a private mount namespace.
# BENCH_ARGS passes flags to tests/bench/bench_relay, e.g. BENCH_ARGS="--only 1,3 --runs 5".
bench: build
	@if [ -x tests/bench/run.sh ]; then tests/bench/run.sh $(BUILD) $(BENCH_ARGS); else echo "bench: not yet written"; fi

fuzz: deps $(ASAN_BUILD)/build.ninja
	cmake --build $(ASAN_BUILD) --target fuzz_all
	cd $(ASAN_BUILD) && FUZZ_CORPUS_DIR=$$PWD/fuzz-corpus $(CURDIR)/tests/fuzz/run.sh $(FUZZ_SECONDS) \
	  $$(ls -d bin/fuzz_* | sed "s|^|$$PWD/|")

install: build
	DESTDIR="$(DESTDIR)" PREFIX="$(PREFIX)" packaging/install.sh $(BUILD)

deb: deps
	packaging/build-deb.sh $(BUILD)/deb

# rpmbuild from Debian's rpm package (installed here when missing); --nodeps, since Debian's
# rpm database knows none of the build dependencies, which make deps has installed.
rpm: deps
	packaging/build-rpm.sh $(BUILD)/rpm

format:
	clang-format -i $$(git ls-files '*.cc' '*.h')

clean:
	rm -rf $(BUILD)
