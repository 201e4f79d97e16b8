/*
 * api_test.h: what the tests/api programs share: a CHECK that counts
 * failures and goes on, and small file helpers. Only libc and the public
 * header, like the programs themselves.
 */
#ifndef RETORT_API_TEST_H
#define RETORT_API_TEST_H

#include <retort.h>

#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int failures;

#define CHECK(cond, ...)                                                                   \
	do {                                                                                   \
		if (!(cond)) {                                                                     \
			failures++;                                                                    \
			fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond);       \
			fprintf(stderr, __VA_ARGS__);                                                  \
			fputc('\n', stderr);                                                           \
		}                                                                                  \
	} while (0)

/* A call that later checks depend on: stop here if it failed. */
#define REQUIRE_OK(rc, err)                                                                \
	do {                                                                                   \
		int rc_ = (rc);                                                                    \
		if (rc_ != RETORT_OK) {                                                            \
			char b_[8192];                                                                 \
			fprintf(stderr, "%s:%d: %s returned %d (reason %s): %s\n", __FILE__, __LINE__, \
			        #rc, rc_, retort_reason_name((err).reason),                            \
			        retort_error_format(&(err), b_, sizeof(b_)));                          \
			exit(1);                                                                       \
		}                                                                                  \
	} while (0)

static inline void write_file(const char *path, const char *fmt, ...)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		perror(path);
		exit(1);
	}
	va_list ap;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fclose(f);
}

/* nftw callback: removes a temp tree, deepest first (FTW_DEPTH). */
static inline int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

#endif
