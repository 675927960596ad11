# engine/: `make demo`, the README's first command: install what is needed,
# build ccompose and the sample images, then run the web+redis demo end to
# end (samples/web-redis/demo).  Like `test`, it re-runs make after `deps`
# so that pkg-config sees the libraries just installed.
demo: deps
	$(MAKE) demo-run

.PHONY: demo-run
demo-run: ccompose
	CCOMPOSE=$(CURDIR)/$(BUILD)/ccompose samples/web-redis/demo
