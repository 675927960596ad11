# image/: the sample image builder needs binutils (readelf) and the tests
# make zstd layers.  `make images` builds the sample images offline from
# Debian packages (samples/images/build) and loads them into the store.
DEB_PKGS += binutils zstd

.PHONY: images
images: ccompose
	CCOMPOSE=$(CURDIR)/$(BUILD)/ccompose samples/images/load

# `image save` is checked by skopeo and by `docker load` of a private
# dockerd (tests/system/test-image-save.sh).  docker.io is installed
# apart from DEB_PKGS: its maintainer scripts would start dockerd in the
# host's network namespace (docker0, iptables rules), so a policy-rc.d
# that says no is in place while it installs, as bench/compose does.
DEB_PKGS += skopeo

deps-local::
	@if ! dpkg-query -W -f='$${Status}' docker.io 2>/dev/null | grep -q 'install ok installed'; then \
	  added=; \
	  if [ ! -e /usr/sbin/policy-rc.d ]; then \
	    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && added=1; \
	  fi; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker.io; rc=$$?; \
	  [ -z "$$added" ] || rm -f /usr/sbin/policy-rc.d; \
	  [ $$rc -eq 0 ] || echo "deps: docker.io not installed: the docker load checks will skip" >&2; \
	fi
