# image/: the sample image builder needs binutils (readelf) and the tests
# make zstd layers.  `make images` builds the sample images offline from
# Debian packages (samples/images/build) and loads them into the store.
# The Makefile sets DEB_PKGS after including module.mk files, so a plain
# `+=` here would be overwritten: a target-specific append survives.
deps: DEB_PKGS += binutils zstd

.PHONY: images
images: ccompose
	CCOMPOSE=$(CURDIR)/$(BUILD)/ccompose samples/images/load
