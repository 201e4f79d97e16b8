/*
 * json.c: how every JSON document of the API is printed (two-space
 * indent, keys in insertion order, one final newline).
 */
#include <jansson.h>
#include <stdlib.h>

#include "api/api.h"

char *json_finish(json_t *doc)
{
	char *s = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(doc);
	char *out = xasprintf("%s\n", s ? s : "null");
	free(s);
	return out;
}
