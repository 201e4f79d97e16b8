/*
 * script.c: reading revision files (SPEC §4): the `-- key: value` header,
 * the section markers, validation with file:line errors, and the file's
 * checksum. Splitting section bodies into statements is sqlsplit.c's job.
 */
#include <stdlib.h>

#include "internal.h"

void revision_free(revision *r)
{
	if (!r)
		return;
	free(r->id);
	sv_free(&r->down);
	sv_free(&r->branch_labels);
	sv_free(&r->depends_on);
	free(r->message);
	free(r->create_date);
	free(r->release);
	free(r->path);
	for (int i = 0; i < SEC_COUNT; i++)
		free(r->section[i]);
	iv_free(&r->parents);
	iv_free(&r->deps);
	iv_free(&r->children);
	iv_free(&r->dependents);
	iv_free(&r->norm_down);
	free(r);
}
