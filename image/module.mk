# image/: the sample image builder needs binutils (readelf) and the tests
# make zstd layers.  `make images` builds the sample images offline from
# Debian packages (samples/images/build) and loads them into the store.
DEB_PKGS += binutils zstd

.PHONY: images
images: ccompose
	CCOMPOSE=$(CURDIR)/$(BUILD)/ccompose samples/images/load

# `image save` is checked by skopeo and by `docker load` of a private
# dockerd (tests/system/test-image-save.sh), `image push` against
# Debian's docker-registry too (test-image-push.sh).  docker-registry is
# installed apart from DEB_PKGS, as docker.io is (Makefile `deps`): its
# maintainer scripts would start a registry on every address of the host.
DEB_PKGS += skopeo

deps-local::
	@bash -c '. tests/system/dockerd.bash && docker_install docker-registry' || \
	  echo "deps: docker-registry could not be installed: the checks that need it will skip"
