# image/: the sample image builder needs binutils (readelf) and the tests
# make zstd layers.  `make images` builds the sample images offline from
# Debian packages (samples/images/build) and loads them into the store.
DEB_PKGS += binutils zstd

.PHONY: images
images: ccompose
	CCOMPOSE=$(CURDIR)/$(BUILD)/ccompose samples/images/load
