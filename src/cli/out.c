/*
 * out.c: how results and errors leave the process (log lines:
 * progress.c, which owns stderr's terminal line). Results go to stdout as the
 * library formatted them, a failure as one "FAILED: ..." line on stderr.
 * Under --format json stdout always holds exactly one JSON document: the
 * result, or {"error": {...}}, or the result with an "error" member when
 * a command printed what it knew and then failed (current on a dirty
 * database, verify finding a difference).
 */
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"


char *cli_json_dump(json_t *doc)
{
	char *s = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(doc);
	size_t n = s ? strlen(s) : 4;
	char *out = malloc(n + 2);
	if (!out) {
		free(s);
		return NULL;
	}
	memcpy(out, s ? s : "null", n);
	out[n] = '\n';
	out[n + 1] = 0;
	free(s);
	return out;
}

static json_t *error_json(const retort_error *err, int status)
{
	json_t *e = json_object();
	json_object_set_new(e, "code", json_integer(status));
	json_object_set_new(
	    e, "reason",
	    json_string(err->reason == REASON_USAGE ? "usage" : retort_reason_name(err->reason)));
	/* not valid UTF-8 (a file name, a server message): still a document */
	json_t *m = json_string(err->message);
	json_object_set_new(e, "message", m ? m : json_string("(message is not UTF-8)"));
	json_t *f = err->file[0] ? json_string(err->file) : NULL;
	json_object_set_new(e, "file", f ? f : json_null());
	json_object_set_new(e, "line", err->line > 0 ? json_integer(err->line) : json_null());
	return e;
}

static void print_doc(json_t *doc)
{
	char *s = cli_json_dump(doc);
	if (s)
		fputs(s, stdout);
	free(s);
}

static int status_of(const retort_error *err)
{
	return err->code ? err->code : RETORT_ERUNTIME;
}

/* The FAILED line, and the exit status: an interrupted run exits
 * 128 + the signal, as a shell reports a process the signal killed. */
static int fail_line(const retort_error *err)
{
	char buf[sizeof(err->message) + sizeof(err->file) + 32];
	int status = status_of(err);
	fflush(stdout);
	cli_stderr_lock();
	fprintf(stderr, "FAILED: %s\n", retort_error_format(err, buf, sizeof(buf)));
	cli_stderr_unlock();
	if (status == RETORT_EINTR) {
		int sig = cli_signal_received();
		status = 128 + (sig ? sig : SIGINT);
	}
	return status;
}

int cli_fail(struct cli *cli, const retort_error *err)
{
	if (cli->json) {
		json_t *doc = json_object();
		json_object_set_new(doc, "error", error_json(err, status_of(err)));
		print_doc(doc);
	}
	return fail_line(err);
}

int cli_finish(struct cli *cli, int rc, char *out, const retort_error *err)
{
	if (rc && cli->json) {
		json_t *doc = out ? json_loads(out, 0, NULL) : NULL;
		if (json_is_object(doc)) {
			if (!json_object_get(doc, "error"))
				json_object_set_new(doc, "error", error_json(err, status_of(err)));
			print_doc(doc);
			free(out);
			return fail_line(err);
		}
		json_decref(doc);
		if (out)
			fputs(out, stdout);
		free(out);
		return cli_fail(cli, err);
	}
	if (out)
		fputs(out, stdout);
	free(out);
	return rc ? fail_line(err) : 0;
}
