# image/: the sample image builder needs binutils (readelf) and the tests
# make zstd layers.  `make images` builds the sample images offline from
# Debian packages (samples/images/build) and loads them into the store.
DEB_PKGS += binutils zstd

.PHONY: images
images: ccompose
	CCOMPOSE=$(CURDIR)/$(BUILD)/ccompose samples/images/load

# `image save` is checked by skopeo and by `docker load` of a private
# dockerd (tests/system/test-image-save.sh), `image push` against
# Debian's docker-registry too (test-image-push.sh).  docker.io and
# docker-registry are installed apart from DEB_PKGS: their maintainer
# scripts would start a daemon on the host (dockerd with docker0 and
# iptables rules, a registry on every address), so a policy-rc.d that
# says no is in place while they install, as bench/compose does.
DEB_PKGS += skopeo
IMAGE_DAEMON_PKGS := docker.io docker-registry

deps-local::
	@missing=; for p in $(IMAGE_DAEMON_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  added=; \
	  if [ ! -e /usr/sbin/policy-rc.d ]; then \
	    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && added=1; \
	  fi; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; rc=$$?; \
	  [ -z "$$added" ] || rm -f /usr/sbin/policy-rc.d; \
	  [ $$rc -eq 0 ] || echo "deps:$$missing not installed: the checks that need them will skip" >&2; \
	fi
