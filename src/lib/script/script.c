/*
 * script.c: reading revision files (SPEC §4): the `-- key: value` header,
 * the section markers, validation with file:line errors, and the file's
 * checksum. Splitting section bodies into statements is sqlsplit.c's job.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "script/script.h"

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

static const char *const section_names[SEC_COUNT] = {
    [SEC_UPGRADE] = "upgrade", [SEC_DOWNGRADE] = "downgrade", [SEC_EXPAND] = "expand",
    [SEC_MIGRATE] = "migrate", [SEC_CONTRACT] = "contract",
};

enum header_key {
	K_REVISION,
	K_DOWN_REVISION,
	K_MESSAGE,
	K_CREATE_DATE,
	K_BRANCH_LABELS,
	K_DEPENDS_ON,
	K_TRANSACTIONAL,
	K_RELEASE,
	K_COUNT
};

static const char *const key_names[K_COUNT] = {
    [K_REVISION] = "revision",
    [K_DOWN_REVISION] = "down_revision",
    [K_MESSAGE] = "message",
    [K_CREATE_DATE] = "create_date",
    [K_BRANCH_LABELS] = "branch_labels",
    [K_DEPENDS_ON] = "depends_on",
    [K_TRANSACTIONAL] = "transactional",
    [K_RELEASE] = "release",
};

static int is_blank(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static int is_word(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

static int valid_rev_id(const char *s)
{
	size_t n = 0;
	for (; s[n]; n++)
		if (!is_word((unsigned char)s[n]))
			return 0;
	return n >= 1 && n <= 32;
}

int script_reserved_id(const char *id)
{
	static const char *const words[] = {"head", "heads", "base", "current"};
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcmp(id, words[i]) == 0)
			return 1;
	return 0;
}

/* Length of the valid UTF-8 sequence at p (at most n bytes), 0 if invalid.
 * Strict: no overlong forms, no surrogates, nothing above U+10FFFF, so
 * that what we accept is exactly what PostgreSQL's UTF8 encoding accepts. */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
	unsigned char c = p[0];
	if (c < 0x80)
		return 1;
	size_t len;
	unsigned char lo = 0x80, hi = 0xBF;
	if (c >= 0xC2 && c <= 0xDF)
		len = 2;
	else if (c >= 0xE0 && c <= 0xEF) {
		len = 3;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
	} else
		return 0;
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xBF)
			return 0;
	return len;
}

/* Returns the 1-based line of the first invalid byte, 0 if all valid. */
static int utf8_check(const char *text, size_t len)
{
	const unsigned char *p = (const unsigned char *)text;
	int line = 1;
	size_t i = 0;
	while (i < len) {
		if (p[i] < 0x80) {
			if (p[i] == '\n')
				line++;
			i++;
			continue;
		}
		size_t n = utf8_seq(p + i, len - i);
		if (!n)
			return line;
		i += n;
	}
	return 0;
}

/* The header's parsed state: which keys were seen, and where. */
typedef struct header {
	int line[K_COUNT]; /* 0 = not seen */
	char *value[K_COUNT];
} header;

static void header_free(header *h)
{
	for (int k = 0; k < K_COUNT; k++)
		free(h->value[k]);
}

/* A line as [s, e) with trailing blanks (and the CR of CRLF) dropped. */
typedef struct line_ref {
	const char *s, *e;
	int no;
} line_ref;

/* Recognises "-- +word" (also "--+word", indented or not). Returns 1 and
 * sets *word and *wlen when the line has that shape, and *rest to whatever
 * follows the word. A line like "-- +1 for this" is not a marker attempt. */
static int marker_shape(const line_ref *l, const char **word, size_t *wlen, const char **rest)
{
	const char *p = l->s;
	while (p < l->e && is_blank((unsigned char)*p))
		p++;
	if (l->e - p < 3 || p[0] != '-' || p[1] != '-')
		return 0;
	p += 2;
	while (p < l->e && (*p == ' ' || *p == '\t'))
		p++;
	if (p >= l->e || *p != '+')
		return 0;
	p++;
	const char *w = p;
	if (p >= l->e || !(is_word((unsigned char)*p) && !(*p >= '0' && *p <= '9')))
		return 0;
	while (p < l->e && is_word((unsigned char)*p))
		p++;
	if (p < l->e && !is_blank((unsigned char)*p))
		return 0;
	*word = w;
	*wlen = (size_t)(p - w);
	while (p < l->e && is_blank((unsigned char)*p))
		p++;
	*rest = p;
	return 1;
}

/* Parses a header comment line "-- key: value". Returns 1 if it has the
 * key: value shape (key then optional blanks then ':'), 0 for a plain
 * comment. */
static int header_shape(const char *p, const char *e, const char **key, size_t *klen,
                        const char **val, const char **vend)
{
	p += 2; /* "--" */
	while (p < e && is_blank((unsigned char)*p))
		p++;
	const char *k = p;
	if (p >= e || !(is_word((unsigned char)*p) && !(*p >= '0' && *p <= '9')))
		return 0;
	while (p < e && is_word((unsigned char)*p))
		p++;
	size_t kl = (size_t)(p - k);
	while (p < e && is_blank((unsigned char)*p))
		p++;
	if (p >= e || *p != ':')
		return 0;
	p++;
	while (p < e && is_blank((unsigned char)*p))
		p++;
	while (e > p && is_blank((unsigned char)e[-1]))
		e--;
	*key = k;
	*klen = kl;
	*val = p;
	*vend = e;
	return 1;
}

static int header_line(header *h, const char *path, const line_ref *l, retort_error *err)
{
	const char *key, *val, *vend;
	size_t klen;
	if (!header_shape(l->s, l->e, &key, &klen, &val, &vend))
		return RETORT_OK; /* a plain comment */
	int k;
	for (k = 0; k < K_COUNT; k++)
		if (strlen(key_names[k]) == klen && memcmp(key_names[k], key, klen) == 0)
			break;
	if (k == K_COUNT)
		return rt_error(err, RETORT_EUSAGE, path, l->no, "unknown header key '%.*s'",
		                (int)klen, key);
	if (h->line[k])
		return rt_error(err, RETORT_EUSAGE, path, l->no,
		                "duplicate header key '%s' (first at line %d)", key_names[k],
		                h->line[k]);
	h->line[k] = l->no;
	h->value[k] = xstrndup(val, (size_t)(vend - val));
	return RETORT_OK;
}

/* Turns the collected header into revision fields, validating values. */
static int header_apply(header *h, revision *r, const char *path, retort_error *err)
{
	if (!h->line[K_REVISION])
		return rt_error(err, RETORT_EUSAGE, path, 0, "missing '-- revision:' header");
	if (!valid_rev_id(h->value[K_REVISION]))
		return rt_error(err, RETORT_EUSAGE, path, h->line[K_REVISION],
		                "invalid revision id '%s': use 1-32 letters, digits or _",
		                h->value[K_REVISION]);
	if (script_reserved_id(h->value[K_REVISION]))
		return rt_error(err, RETORT_EUSAGE, path, h->line[K_REVISION],
		                "invalid revision id '%s': reserved for targets (head, heads, "
		                "base, current)",
		                h->value[K_REVISION]);
	r->id = h->value[K_REVISION];
	h->value[K_REVISION] = NULL;

	if (h->value[K_DOWN_REVISION]) {
		/* "a,,b" would silently lose a parent: a typo, not a merge of two. */
		const char *v = h->value[K_DOWN_REVISION];
		size_t vn = strlen(v);
		int empty_item = vn && (v[0] == ',' || v[vn - 1] == ',');
		for (const char *q = v; *q && !empty_item; q++)
			if (*q == ',') {
				const char *n = q + 1;
				while (*n == ' ' || *n == '\t')
					n++;
				empty_item = *n == ',' || !*n;
			}
		if (empty_item)
			return rt_error(err, RETORT_EUSAGE, path, h->line[K_DOWN_REVISION],
			                "empty item in down_revision '%s'", v);
		sv_split_csv(&r->down, v);
		for (size_t i = 0; i < r->down.n; i++) {
			if (!valid_rev_id(r->down.v[i]))
				return rt_error(err, RETORT_EUSAGE, path, h->line[K_DOWN_REVISION],
				                "invalid down_revision '%s': use 1-32 letters, "
				                "digits or _",
				                r->down.v[i]);
			for (size_t j = 0; j < i; j++)
				if (strcmp(r->down.v[i], r->down.v[j]) == 0)
					return rt_error(
					    err, RETORT_EUSAGE, path, h->line[K_DOWN_REVISION],
					    "down_revision '%s' listed twice", r->down.v[i]);
		}
	}
	if (h->value[K_BRANCH_LABELS])
		sv_split_csv(&r->branch_labels, h->value[K_BRANCH_LABELS]);
	if (h->value[K_DEPENDS_ON])
		sv_split_csv(&r->depends_on, h->value[K_DEPENDS_ON]);

	r->transactional = 1;
	const char *t = h->value[K_TRANSACTIONAL];
	if (t && *t) {
		if (strcasecmp(t, "false") == 0)
			r->transactional = 0;
		else if (strcasecmp(t, "true") != 0)
			return rt_error(err, RETORT_EUSAGE, path, h->line[K_TRANSACTIONAL],
			                "invalid transactional value '%s': use true or false", t);
	}

	static const int keep[] = {K_MESSAGE, K_CREATE_DATE, K_RELEASE};
	char **dst[] = {&r->message, &r->create_date, &r->release};
	for (size_t i = 0; i < 3; i++) {
		*dst[i] = h->value[keep[i]] ? h->value[keep[i]] : xstrdup("");
		h->value[keep[i]] = NULL;
	}
	return RETORT_OK;
}

/* CRLF -> LF, so that checksums and section bodies do not depend on the
 * editor that saved the file. A lone CR is content and stays. */
static char *normalise_eol(const char *text, size_t len, size_t *outlen)
{
	char *out = xmalloc(len + 1);
	size_t o = 0;
	const char *p = text, *end = text + len;
	while (p < end) {
		const char *cr = memchr(p, '\r', (size_t)(end - p));
		if (!cr) {
			memcpy(out + o, p, (size_t)(end - p));
			o += (size_t)(end - p);
			break;
		}
		memcpy(out + o, p, (size_t)(cr - p));
		o += (size_t)(cr - p);
		if (cr + 1 < end && cr[1] == '\n') {
			out[o++] = '\n';
			p = cr + 2;
		} else {
			out[o++] = '\r';
			p = cr + 1;
		}
	}
	out[o] = 0;
	*outlen = o;
	return out;
}

/* Returns the end of the block comment opened before s (just after its
 * closing delimiter), or NULL when it does not close on this line. */
static const char *block_end(const char *s, const char *e)
{
	for (; s + 1 < e; s++)
		if (s[0] == '*' && s[1] == '/')
			return s + 2;
	return NULL;
}

/* One line before the first section marker: blank, a header line, a plain
 * comment, or (part of) a block comment such as a licence; anything else
 * is SQL that no section would run. *in_block holds the line a still open
 * block comment started on. */
static int header_area_line(header *h, const char *path, const line_ref *l, int *in_block,
                            retort_error *err)
{
	const char *s = l->s;
	int first = 1; /* only a line's leading "--" can be a header line */
	if (*in_block) {
		s = block_end(s, l->e);
		if (!s)
			return RETORT_OK;
		*in_block = 0;
		first = 0;
	}
	for (;;) {
		while (s < l->e && is_blank((unsigned char)*s))
			s++;
		if (s == l->e)
			return RETORT_OK;
		if (l->e - s >= 2 && s[0] == '-' && s[1] == '-')
			return first ? header_line(h, path, &(line_ref){s, l->e, l->no}, err)
			             : RETORT_OK;
		if (l->e - s >= 2 && s[0] == '/' && s[1] == '*') {
			const char *after = block_end(s + 2, l->e);
			if (!after) {
				*in_block = l->no;
				return RETORT_OK;
			}
			s = after;
			first = 0;
			continue;
		}
		return rt_error(err, RETORT_EUSAGE, path, l->no,
		                "statement outside a section; add -- +upgrade");
	}
}

static int parse_lines(revision *r, const char *path, const char *text, size_t len,
                       retort_error *err)
{
	header h = {{0}, {NULL}};
	int cur = -1;     /* section being read, -1 in the header */
	int in_block = 0; /* inside a header block comment, started at this line */
	const char *body = NULL;
	int rc = RETORT_OK;
	const char *p = text, *end = text + len;

	/* A UTF-8 byte order mark is an editor artefact, not content. */
	if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
		p += 3;

	for (int no = 1; p < end; no++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *next = nl ? nl + 1 : end;
		line_ref l = {p, nl ? nl : end, no};
		while (l.e > l.s && is_blank((unsigned char)l.e[-1]))
			l.e--;

		const char *word, *rest;
		size_t wlen;
		if (!in_block && marker_shape(&l, &word, &wlen, &rest)) {
			int k;
			for (k = 0; k < SEC_COUNT; k++)
				if (strlen(section_names[k]) == wlen &&
				    memcmp(section_names[k], word, wlen) == 0)
					break;
			if (k == SEC_COUNT) {
				rc = rt_error(err, RETORT_EUSAGE, path, no,
				              "unknown section marker '-- +%.*s'", (int)wlen, word);
				goto out;
			}
			if (rest < l.e) {
				rc = rt_error(err, RETORT_EUSAGE, path, no,
				              "unexpected text after '-- +%s'", section_names[k]);
				goto out;
			}
			if (r->section[k]) {
				rc = rt_error(err, RETORT_EUSAGE, path, no,
				              "duplicate section '-- +%s' (first at line %d)",
				              section_names[k], r->section_line[k] - 1);
				goto out;
			}
			int phased = k == SEC_EXPAND || k == SEC_MIGRATE || k == SEC_CONTRACT;
			if (phased && r->section[SEC_UPGRADE]) {
				rc = rt_error(err, RETORT_EUSAGE, path, no,
				              "'-- +%s' cannot be mixed with '-- +upgrade'",
				              section_names[k]);
				goto out;
			}
			if (k == SEC_UPGRADE) {
				for (int o = SEC_EXPAND; o <= SEC_CONTRACT; o++)
					if (r->section[o]) {
						rc = rt_error(err, RETORT_EUSAGE, path, no,
						              "'-- +upgrade' cannot be mixed with "
						              "'-- +%s'",
						              section_names[o]);
						goto out;
					}
			}
			if (cur >= 0) {
				free(r->section[cur]);
				r->section[cur] = xstrndup(body, (size_t)(p - body));
			}
			cur = k;
			body = next;
			/* Placeholder until the body is known, so duplicate checks
			 * see the section; replaced when the next marker or EOF
			 * closes it. */
			r->section[k] = xstrdup("");
			r->section_line[k] = no + 1;
			p = next;
			continue;
		}

		if (cur < 0) {
			rc = header_area_line(&h, path, &l, &in_block, err);
			if (rc)
				goto out;
		}
		p = next;
	}
	if (cur >= 0) {
		free(r->section[cur]);
		r->section[cur] = xstrndup(body, (size_t)(end - body));
	}
	if (in_block) {
		rc = rt_error(err, RETORT_EUSAGE, path, in_block,
		              "unterminated comment starting here");
		goto out;
	}
	rc = header_apply(&h, r, path, err);
	if (rc)
		goto out;
	if (!r->section[SEC_UPGRADE] && !r->section[SEC_EXPAND]) {
		if (r->section[SEC_MIGRATE] || r->section[SEC_CONTRACT])
			rc = rt_error(err, RETORT_EUSAGE, path, 0,
			              "no -- +expand section (a phased revision needs one)");
		else
			rc = rt_error(err, RETORT_EUSAGE, path, 0, "no -- +upgrade section");
	}
out:
	header_free(&h);
	return rc;
}

/* md: the SHA-256 implementation, fetched once by the caller: OpenSSL 3
 * otherwise looks it up again for every file, which was 40% of the time
 * `history` spent on 10,000 revisions. */
static int parse_with(const char *path, const char *text, size_t len, EVP_MD *md,
                      revision **out, retort_error *err)
{
	*out = NULL;
	size_t skip = len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
	while (skip < len && (is_blank((unsigned char)text[skip]) || text[skip] == '\n'))
		skip++;
	if (skip == len)
		return rt_error(err, RETORT_EUSAGE, path, 0, "empty file");
	const char *nul = memchr(text, 0, len);
	if (nul) {
		int line = 1;
		for (const char *q = text; q < nul; q++)
			line += *q == '\n';
		return rt_error(err, RETORT_EUSAGE, path, line, "not a text file (NUL byte)");
	}
	int bad = utf8_check(text, len);
	if (bad)
		return rt_error(err, RETORT_EUSAGE, path, bad, "invalid UTF-8 at line %d", bad);

	size_t nlen;
	char *norm = normalise_eol(text, len, &nlen);
	revision *r = xcalloc(1, sizeof(*r));
	r->path = xstrdup(path);
	int rc = parse_lines(r, path, norm, nlen, err);
	if (rc == RETORT_OK) {
		unsigned int mdlen = 0;
		if (!md || !EVP_Digest(norm, nlen, r->sha256, &mdlen, md, NULL) ||
		    mdlen != sizeof(r->sha256))
			rc = rt_error(err, RETORT_ERUNTIME, path, 0, "cannot compute sha256");
	}
	free(norm);
	if (rc) {
		revision_free(r);
		return rc;
	}
	*out = r;
	return RETORT_OK;
}

int script_parse(const char *path, const char *text, size_t len, revision **out, retort_error *err)
{
	EVP_MD *md = EVP_MD_fetch(NULL, "SHA256", NULL);
	int rc = parse_with(path, text, len, md, out, err);
	EVP_MD_free(md);
	return rc;
}

static int wanted_name(const char *name)
{
	size_t n = strlen(name);
	return name[0] != '.' && n > 4 && strcmp(name + n - 4, ".sql") == 0;
}

/* read_file's job for a name inside an open directory. Loading a project
 * reads every revision file on each command, so per-file system calls
 * dominate: openat() skips the path walk and the fstat() size lets one
 * read() suffice, where stdio would issue two reads and an fstat anyway. */
static int read_at(int dfd, const char *name, char **out, size_t *len)
{
	int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	struct stat st;
	if (fstat(fd, &st) != 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	size_t want = st.st_size > 0 ? (size_t)st.st_size : 0;
	char *buf = xmalloc(want + 1);
	size_t got = 0;
	while (got < want) {
		ssize_t r = read(fd, buf + got, want - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			free(buf);
			close(fd);
			errno = e;
			return -1;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	buf[got] = 0;
	*out = buf;
	*len = got;
	return 0;
}

int script_load_dir(const char *dir, revision ***out, size_t *n, retort_error *err)
{
	*out = NULL;
	*n = 0;
	DIR *d = opendir(dir);
	if (!d)
		return rt_error(err, RETORT_EUSAGE, dir, 0, "cannot read revisions directory: %s",
		                strerror(errno));
	int dfd = dirfd(d);
	strvec names = STRVEC_INIT;
	sbuf path = SBUF_INIT;
	struct dirent *de;
	errno = 0;
	while ((de = readdir(d)) != NULL) {
		if (!wanted_name(de->d_name))
			continue;
		/* d_type saves a stat per file; only filesystems that do not
		 * report it (or symlinks) pay for one. */
		int regular = de->d_type == DT_REG;
		if (de->d_type == DT_UNKNOWN || de->d_type == DT_LNK) {
			struct stat st;
			if (fstatat(dfd, de->d_name, &st, 0) != 0) {
				/* a dangling or looping link named *.sql is a revision we
				 * cannot read, not one to skip */
				int e = errno;
				/* de lives in d's buffer: name the file before closedir */
				char *bad = xasprintf("%s/%s", dir, de->d_name);
				closedir(d);
				sv_free(&names);
				sb_free(&path);
				rt_error(err, RETORT_EUSAGE, bad, 0, "cannot read revision file: %s",
				         strerror(e));
				free(bad);
				return RETORT_EUSAGE;
			}
			regular = S_ISREG(st.st_mode);
		}
		if (regular)
			sv_push(&names, de->d_name);
		errno = 0;
	}
	int rd_errno = errno;
	if (rd_errno) {
		closedir(d);
		sv_free(&names);
		return rt_error(err, RETORT_EUSAGE, dir, 0, "cannot read revisions directory: %s",
		                strerror(rd_errno));
	}
	sv_sort(&names);

	revision **revs = xcalloc(names.n ? names.n : 1, sizeof(*revs));
	EVP_MD *md = EVP_MD_fetch(NULL, "SHA256", NULL);
	int rc = RETORT_OK;
	size_t i;
	for (i = 0; i < names.n; i++) {
		sb_reset(&path);
		sb_addf(&path, "%s/%s", dir, names.v[i]);
		char *text;
		size_t len;
		if (read_at(dfd, names.v[i], &text, &len) != 0) {
			rc = rt_error(err, RETORT_EUSAGE, path.buf, 0,
			              "cannot read revision file: %s", strerror(errno));
			break;
		}
		rc = parse_with(path.buf, text, len, md, &revs[i], err);
		free(text);
		if (rc)
			break;
		revs[i]->order = (int)i;
	}
	EVP_MD_free(md);
	closedir(d);
	sv_free(&names);
	sb_free(&path);
	if (rc) {
		for (size_t j = 0; j < i; j++)
			revision_free(revs[j]);
		free(revs);
		return rc;
	}
	*out = revs;
	*n = i;
	return RETORT_OK;
}
