/*
 * fuzz_common.h: helpers shared by the fuzz targets. A violated invariant
 * prints what was wrong and aborts, which libFuzzer (and the standalone
 * driver's caller) reports as a crash.
 */
#ifndef RETORT_FUZZ_COMMON_H
#define RETORT_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "core/core.h"
#include "sql/sql.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond, ...)                                                              \
	do {                                                                               \
		if (!(cond)) {                                                             \
			fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__,  \
			        #cond);                                                    \
			fprintf(stderr, __VA_ARGS__);                                      \
			fputc('\n', stderr);                                               \
			abort();                                                           \
		}                                                                          \
	} while (0)

/* The input as a C string (up to its first NUL); caller frees. */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = 0;
	return s;
}

/* An error, when there is one, has a code and a one-line message. */
static inline void fuzz_check_error(int rc, const retort_error *err)
{
	if (rc == RETORT_OK)
		return;
	FUZZ_CHECK(err->code == rc, "rc %d, err.code %d", rc, err->code);
	FUZZ_CHECK(err->message[0] != 0, "rc %d with an empty message", rc);
	FUZZ_CHECK(!strchr(err->message, '\n'), "multi-line message: %s", err->message);
}

#endif
