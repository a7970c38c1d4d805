# doorway: `make demo` and `make test` do all the setup on a fresh Debian 12 machine (as root).
PROFILE ?= dev
NODE ?= node
STAMPS := .stamps

.PHONY: all deps build native ts demo test lint check clean install image boot-test upgrade

all: build

# Debian packages for the profile (only the missing ones are installed).
deps:
	bash scripts/install-system-deps.sh $(PROFILE) $(if $(WITH_TEST),--test)

$(STAMPS)/npm: package.json package-lock.json
	npm ci --no-audit --no-fund
	@mkdir -p $(STAMPS) && touch $@

ts: $(STAMPS)/npm
	npx tsc -p tsconfig.json

native: ts
	$(NODE) dist/src/build/main.js --profile $(PROFILE)

build: deps
	$(MAKE) native PROFILE=$(PROFILE)

demo:
	$(MAKE) build PROFILE=dev
	$(NODE) dist/bin/doorway.js doctor
	$(NODE) dist/bin/doorway.js site-pair --out demo-output --duration 20

lint: $(STAMPS)/npm
	npx eslint --max-warnings 0 .
	npx prettier --check .
	sh scripts/clang-format-check.sh

test:
	$(MAKE) build PROFILE=ci WITH_TEST=1
	$(MAKE) lint
	npx c8 --check-coverage node --test --test-reporter=spec dist/test/*.test.js

clean:
	rm -rf dist build coverage $(STAMPS)

# The built PROFILE under $(DESTDIR) (default /): /opt/doorway, /etc/doorway (kept when present),
# the systemd units and the udev rule. Refuses a profile that is not the one last built.
install:
	DESTDIR="$(DESTDIR)" PROFILE="$(PROFILE)" NODE="$(NODE)" bash scripts/install.sh

# A flashable disk image for PROFILE (default dev): build/image/doorway-$(PROFILE).raw. See
# docs/FLASHING.md. Needs root (debootstrap); downloads Debian packages at build time only.
image:
	$(MAKE) build PROFILE=$(PROFILE)
	bash scripts/install-system-deps.sh $(PROFILE) --image
	bash scripts/image/build-image.sh $(PROFILE)

# Boots the dev image for two sites with systemd as PID 1 (systemd-nspawn), wired only to each
# other, and checks them from outside: READY, media both ways, kill -9 and watchdog restarts,
# the sandbox, the keys, an upgrade. Fails, in one line, on a machine that cannot boot it.
boot-test:
	$(MAKE) image PROFILE=dev
	$(NODE) dist/bench/boot.js --kills 4

# Upgrades a doorway disk (or disk image file) to IMAGE, keeping the site's config, keys and
# handshake counters: make upgrade IMAGE=build/image/doorway-dev.raw DISK=/dev/sdX
upgrade:
	bash scripts/image/upgrade.sh "$(IMAGE)" "$(DISK)"
