/*
 * api_exports.c: libretort.so exports exactly the functions that
 * include/retort.h declares with RETORT_API: every defined dynamic symbol
 * (`nm -D --defined-only`) starts with "retort_" and is declared in the
 * header, and every declared function is exported. Internal names
 * (xmalloc, read_file, ...) must never clash with an embedding
 * application's.
 * Usage: api_exports LIBRARY HEADER (CTest passes both; exit 77, skipped,
 * without them or without nm).
 */
#define _GNU_SOURCE
#include <retort.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXSYMS 1024

static char *syms[MAXSYMS], *decls[MAXSYMS];
static size_t nsyms, ndecls;

static int has(char **v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return 1;
	return 0;
}

/* The function names declared after RETORT_API in the header: the
 * identifier just before the first '(' that follows. */
static int read_decls(const char *header)
{
	FILE *f = fopen(header, "r");
	if (!f) {
		perror(header);
		return -1;
	}
	static char text[1 << 20];
	size_t len = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[len] = 0;
	const char *p = text;
	/* skip the macro's own definition lines */
	while ((p = strstr(p, "RETORT_API")) != NULL) {
		const char *line = p;
		while (line > text && line[-1] != '\n')
			line--;
		p += strlen("RETORT_API");
		if (*line == '#')
			continue;
		const char *paren = strchr(p, '(');
		if (!paren)
			break;
		const char *end = paren;
		while (end > p && isspace((unsigned char)end[-1]))
			end--;
		const char *start = end;
		while (start > p && (isalnum((unsigned char)start[-1]) || start[-1] == '_'))
			start--;
		if (start == end || ndecls == MAXSYMS)
			continue;
		decls[ndecls++] = strndup(start, (size_t)(end - start));
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		printf("api_exports: usage: api_exports LIBRARY HEADER: skipped\n");
		return 77;
	}
	char cmd[8192];
	snprintf(cmd, sizeof(cmd), "nm -D --defined-only '%s' 2>/dev/null", argv[1]);
	FILE *nm = popen(cmd, "r");
	if (!nm) {
		printf("api_exports: cannot run nm: skipped\n");
		return 77;
	}
	char line[4096];
	while (fgets(line, sizeof(line), nm)) {
		char addr[256], type[16], name[2048];
		int k = sscanf(line, "%255s %15s %2047s", addr, type, name);
		if (k == 2) { /* no address column */
			snprintf(name, sizeof(name), "%s", type);
		} else if (k != 3) {
			continue;
		}
		char *at = strchr(name, '@'); /* symbol versions */
		if (at)
			*at = 0;
		if (nsyms < MAXSYMS)
			syms[nsyms++] = strdup(name);
	}
	int st = pclose(nm);
	if (st != 0 || nsyms == 0) {
		printf("api_exports: nm -D --defined-only %s failed or listed nothing: skipped\n", argv[1]);
		return 77;
	}
	if (read_decls(argv[2]))
		return 1;
	int failures = 0;
	for (size_t i = 0; i < nsyms; i++) {
		if (strncmp(syms[i], "retort_", 7) != 0) {
			fprintf(stderr, "api_exports: %s exports %s, which is not a retort_ name\n", argv[1],
			        syms[i]);
			failures++;
		} else if (!has(decls, ndecls, syms[i])) {
			fprintf(stderr, "api_exports: %s exports %s, which %s does not declare\n", argv[1],
			        syms[i], argv[2]);
			failures++;
		}
	}
	for (size_t i = 0; i < ndecls; i++)
		if (!has(syms, nsyms, decls[i])) {
			fprintf(stderr, "api_exports: %s declares %s, which %s does not export\n", argv[2],
			        decls[i], argv[1]);
			failures++;
		}
	if (ndecls < 20) {
		fprintf(stderr, "api_exports: found only %zu RETORT_API declarations in %s\n", ndecls,
		        argv[2]);
		failures++;
	}
	/* and the program links: one call through the shared library */
	if (strcmp(retort_reason_name(RETORT_R_NONE), "none") != 0) {
		fprintf(stderr, "api_exports: retort_reason_name(RETORT_R_NONE) is %s\n",
		        retort_reason_name(RETORT_R_NONE));
		failures++;
	}
	if (failures)
		fprintf(stderr, "api_exports: %d problem%s\n", failures, failures == 1 ? "" : "s");
	else
		printf("api_exports: ok (%zu symbols, all declared in retort.h)\n", nsyms);
	for (size_t i = 0; i < nsyms; i++)
		free(syms[i]);
	for (size_t i = 0; i < ndecls; i++)
		free(decls[i]);
	return failures ? 1 : 0;
}
