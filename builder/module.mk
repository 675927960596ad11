# The executor's files (everything but the frontend): they reach the
# runtime, which the fuzz targets do not link (fuzz/module.mk).
BUILDER_EXEC_SRCS := $(addprefix builder/,build.c cache.c context.c download.c fsop.c hash.c layer.c netw.c owner.c \
	progress.c record.c run.c)
