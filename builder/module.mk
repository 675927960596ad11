# builder/: tests/system/test-build-diff.sh compares builds with Docker's
# BuildKit, so `make deps` installs Debian's docker.io.  Its package
# scripts would start dockerd on the host: a policy-rc.d refuses every
# service start while it installs (the test starts its own dockerd in a
# throwaway network namespace).
deps-local::
	@if ! command -v dockerd >/dev/null; then \
	  added=; if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; \
	    chmod 0755 /usr/sbin/policy-rc.d; added=1; fi; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker.io; rc=$$?; \
	  [ -z "$$added" ] || rm -f /usr/sbin/policy-rc.d; exit $$rc; \
	fi

# The executor's files (everything but the frontend): they reach the
# runtime, which the fuzz targets do not link (fuzz/module.mk).
BUILDER_EXEC_SRCS := $(addprefix builder/,build.c cache.c context.c download.c fsop.c hash.c layer.c netw.c owner.c \
	progress.c record.c run.c)
