/*
 * sys.c: what the library asks of the operating system: wall-clock and
 * monotonic time, short sleeps, and who is running (user@host, for lock
 * holders and history rows).
 */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "base/base.h"

void now_utc(char *buf, size_t n)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	struct tm tm;
	time_t secs = tv.tv_sec;
	gmtime_r(&secs, &tm);
	char base[32];
	strftime(base, sizeof(base), "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(buf, n, "%s.%03d", base, (int)(tv.tv_usec / 1000));
}

long long now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

long long now_ms(void)
{
	return now_us() / 1000;
}

void nap_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

char *who_am_i(void)
{
	char host[256] = "localhost";
	gethostname(host, sizeof(host) - 1);
	host[sizeof(host) - 1] = 0;
	const char *user = getenv("USER");
	struct passwd *pw = (!user || !*user) ? getpwuid(geteuid()) : NULL;
	if (pw)
		user = pw->pw_name;
	return xasprintf("%s@%s", user && *user ? user : "unknown", host);
}
