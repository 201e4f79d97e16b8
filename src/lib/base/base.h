/*
 * base.h: what every layer may use and that knows nothing of retort's
 * domain: allocation that never fails, growable strings and vectors,
 * errors, hex and random ids, whole-file reads, the clock, the host's
 * identity, and the log sink. Nothing here prints except through a sink.
 */
#ifndef RETORT_BASE_H
#define RETORT_BASE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "retort.h"

#define RT_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* ---- util.c: allocation, growable strings and string vectors ---------- */

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) RT_PRINTF(1, 2);

typedef struct sbuf {
	char *buf;
	size_t len, cap;
} sbuf;
#define SBUF_INIT {NULL, 0, 0}
void sb_add(sbuf *b, const void *data, size_t n);
void sb_adds(sbuf *b, const char *s);
void sb_addc(sbuf *b, char c);
void sb_addf(sbuf *b, const char *fmt, ...) RT_PRINTF(2, 3);
void sb_vaddf(sbuf *b, const char *fmt, va_list ap);
const char *sb_str(const sbuf *b); /* never NULL */
char *sb_detach(sbuf *b);          /* caller frees; never NULL */
void sb_reset(sbuf *b);
void sb_free(sbuf *b);

typedef struct strvec {
	char **v;
	size_t n, cap;
} strvec;
#define STRVEC_INIT {NULL, 0, 0}
void sv_push(strvec *s, const char *str); /* copies */
void sv_push_owned(strvec *s, char *str);
int sv_index(const strvec *s, const char *str); /* -1 when absent */
void sv_remove_at(strvec *s, size_t i);
void sv_clear(strvec *s);
void sv_free(strvec *s);
void sv_copy(strvec *dst, const strvec *src);
/* Splits a comma-separated list, trimming blanks, skipping empty items. */
void sv_split_csv(strvec *s, const char *csv);
/* Joins with sep into b. */
void sv_join(sbuf *b, const strvec *s, const char *sep);
void sv_sort(strvec *s);

typedef struct intvec {
	int *v;
	size_t n, cap;
} intvec;
#define INTVEC_INIT {NULL, 0, 0}
void iv_push(intvec *s, int x);
int iv_index(const intvec *s, int x);
void iv_free(intvec *s);

/* A hash index from borrowed strings (they must outlive it) to ints:
 * open addressing, grown as it fills. */
typedef struct strmap {
	struct strmap_slot { const char *key; int idx; } *v;
	size_t cap, n; /* cap: a power of two, or 0 */
} strmap;
#define STRMAP_INIT {NULL, 0, 0}
void strmap_init(strmap *m, size_t want); /* room for want keys without growing */
int strmap_put(strmap *m, const char *key, int idx); /* the existing key's idx, else puts: -1 */
int strmap_get(const strmap *m, const char *key);   /* -1 when absent */
void strmap_free(strmap *m);

/* Fills err and returns code. file may be NULL, line may be 0. */
int rt_error(retort_error *err, int code, const char *file, int line, const char *fmt, ...)
	RT_PRINTF(5, 6);
/* The same with a reason code (enum retort_reason), for the errors a
 * caller may want to tell apart without reading the message. */
int rt_fail(retort_error *err, int code, int reason, const char *file, int line,
            const char *fmt, ...) RT_PRINTF(6, 7);

/* Lower-case hex of n bytes into out (2n+1 bytes, NUL-terminated). */
void hex_encode(const unsigned char *bytes, size_t n, char *out);
/* n random bytes as 2n hex digits (/dev/urandom; time and pid without it);
 * caller frees. For revision ids and lock tokens, not for secrets. */
char *random_hex(size_t n);

/* Reads a whole file; returns 0 or -1 with errno set. *len excludes the NUL
 * terminator that is always appended. */
int read_file(const char *path, char **out, size_t *len);

void sha_hex(const unsigned char sha[32], char out[65]);

/* ---- sys.c: the clock and who we are ----------------------------------- */

void now_utc(char *buf, size_t n); /* "YYYY-MM-DD HH:MM:SS.mmm" */
long long now_ms(void);            /* monotonic milliseconds */
long long now_us(void);            /* monotonic microseconds */
void nap_ms(int ms);
/* "user@host", for the lock holder and history rows; caller frees. */
char *who_am_i(void);

/* ---- log.c: the log sink (the application's callback) ------------------ */

typedef struct rt_logger {
	retort_log_fn fn; /* may be NULL */
	void *ud;
	int verbose;      /* DEBUG lines only when set */
} rt_logger;

void rt_log(const rt_logger *l, int level, const char *fmt, ...) RT_PRINTF(3, 4);

#endif
