# bpfsh: `make run` and `make test` set up a fresh Debian 12 machine (as root) and go.
SHELL := /bin/bash
DEBIAN_PACKAGES := libbpf-dev libelf-dev libedit-dev zlib1g-dev liblzma-dev libc6-dbg xz-utils binutils chromium python3-nbformat python3-jupyter-client python3-nbclient libzmq3-dev libssl-dev clang-19 pkg-config bpftool bpftrace \
                   systemtap-sdt-dev tmux gcc make curl prometheus ansible-core
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
SWIFT_BUILD_FLAGS ?=

.PHONY: all deps mounts build release install run test unit bench fuzz jupyter clean

all: build

# Install only what is missing: a warm machine pays one dpkg query per package.
deps:
	@missing=""; \
	for p in $(DEBIAN_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi

# tracefs and debugfs are not mounted at boot on every machine.
mounts:
	@mountpoint -q /sys/kernel/tracing || $(SUDO) mount -t tracefs nodev /sys/kernel/tracing
	@mountpoint -q /sys/kernel/debug || $(SUDO) mount -t debugfs nodev /sys/kernel/debug

build: deps mounts
	swift build $(SWIFT_BUILD_FLAGS)

# The Swift runtime and Foundation linked in: a start no longer resolves 27 shared
# libraries (7 ms instead of 14 for --version, and 4 MB less memory).
RELEASE_FLAGS := -c release --static-swift-stdlib

release: deps mounts
	swift build $(RELEASE_FLAGS) $(SWIFT_BUILD_FLAGS)

# The release binary, and what it reads at run time next to it: the snippets (load NAME)
# and the tutorial's lessons. DESTDIR for packaging.
PREFIX ?= /usr/local
install: release
	install -D -m 0755 "$$(swift build $(RELEASE_FLAGS) --show-bin-path $(SWIFT_BUILD_FLAGS))/bpfsh" "$(DESTDIR)$(PREFIX)/bin/bpfsh"
	install -d "$(DESTDIR)$(PREFIX)/share/bpfsh/bpf-snippets" "$(DESTDIR)$(PREFIX)/share/bpfsh/tutorial"
	install -m 0644 bpf-snippets/* "$(DESTDIR)$(PREFIX)/share/bpfsh/bpf-snippets/"
	install -m 0644 sessions/tutorial/* "$(DESTDIR)$(PREFIX)/share/bpfsh/tutorial/"

run: release
	.build/release/bpfsh

# The whole suite: unit tests everywhere, integration tests against the running kernel,
# then two minutes of the parser fuzzer.
TEST_FUZZ_SECONDS ?= 120
test: deps mounts
	swift build --build-tests $(SWIFT_BUILD_FLAGS)
	swift test --skip-build --no-parallel $(SWIFT_BUILD_FLAGS)
	@# A session that quit with many probes leaves the kernel's release of its events to a
	@# holder process (about 40 ms per event, one after another): wait for it, up to a minute.
	@for i in $$(seq 1 60); do bpftool prog show 2>/dev/null | grep -q ' name bpfsh_' || break; sleep 1; done; \
	leftover=$$(bpftool prog show 2>/dev/null | grep -c ' name bpfsh_' || true); \
	if [ "$$leftover" != "0" ]; then echo "FAIL: $$leftover bpfsh programs still loaded after the tests"; bpftool prog show | grep -A2 ' name bpfsh_'; exit 1; fi
	$(MAKE) fuzz FUZZ_SECONDS=$(TEST_FUZZ_SECONDS)

# The parser fuzzer (libFuzzer, Fuzz/): FUZZ_SECONDS of coverage-guided inputs through the
# whole command-language front end, seeded with every script and error case. A crash
# leaves its input in .build/fuzz-crash-*: add it to Tests/Cases/fuzz/ (replayed by the
# unit tests) with the fix.
FUZZ_SECONDS ?= 120
fuzz: deps
	swift build --package-path Fuzz -c release -Xswiftc -sanitize=fuzzer $(SWIFT_BUILD_FLAGS)
	mkdir -p .build/fuzz-corpus
	Fuzz/.build/release/bpfsh-fuzz -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	    -artifact_prefix=.build/fuzz-crash- .build/fuzz-corpus Tests/Cases/fuzz Tests/Cases/errors sessions bpf-snippets

# Jupyter from Debian's packages and bpfsh's kernelspec (for this user): then
# `jupyter notebook` (or nbclient) offers a "bpfsh" kernel.
jupyter: release
	@dpkg-query -W -f='$${Status}' jupyter-notebook 2>/dev/null | grep -q "ok installed" || \
	  { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq jupyter-notebook >/dev/null; }
	"$$(swift build $(RELEASE_FLAGS) --show-bin-path $(SWIFT_BUILD_FLAGS))/bpfsh" jupyter install --user

# The benchmark (bench/README.md): BENCH_* variables pass through, e.g. BENCH_SKIP=print.
bench: release
	@bin=$$(swift build $(RELEASE_FLAGS) --show-bin-path $(SWIFT_BUILD_FLAGS)); \
	"$$bin/bpfsh-bench" --bpfsh "$$bin/bpfsh"

clean:
	rm -rf .build bench/out
