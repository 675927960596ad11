# convert/: the offline checks of what `ccompose convert` writes
# (tests/system/test-convert.sh): a strict schema validator and lint from
# the npm registry (tests/convert/validate.mjs; kubernetes-models pinned in
# tests/convert/package-lock.json, installed into tests/convert/node_modules)
# and `kubectl kustomize`: kubectl from Debian's kubernetes-client unless
# the machine has one already (both render a kustomization).
ifeq ($(shell command -v kubectl 2>/dev/null),)
DEB_PKGS += kubernetes-client
endif
ifeq ($(shell command -v node 2>/dev/null),)
DEB_PKGS += nodejs npm
endif

CONVERT_NODE_MODULES := tests/convert/node_modules/.package-lock.json

$(CONVERT_NODE_MODULES): tests/convert/package.json tests/convert/package-lock.json
	cd tests/convert && npm ci --no-audit --no-fund --loglevel=error

# `make deps` runs these once the Debian packages (node among them) are in.
deps-local:: $(CONVERT_NODE_MODULES)

check: $(CONVERT_NODE_MODULES)
