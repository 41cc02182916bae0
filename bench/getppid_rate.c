/*
 * getppid_rate: the workload for bpfsh's print() streaming benchmark.
 *
 *   getppid_rate RATE SECONDS [MAXCALLS]
 *
 * Calls syscall(SYS_getppid) at RATE calls per second for SECONDS seconds
 * (RATE 0 = as fast as it can), stopping early once MAXCALLS calls are made.
 * Pacing works on an absolute schedule: every millisecond it makes the calls
 * that are due by then (RATE x elapsed time, rounded down) in one batch and
 * sleeps with clock_nanosleep(TIMER_ABSTIME) until the next millisecond.  If
 * it falls behind it catches up without sleeping (in batches of at most
 * 10 ms worth of calls, so that it still stops on time), and the achieved
 * rate in the report shows whether RATE was reachable at all.
 *
 * So that a tracer can filter on its pid before the first call, it first
 * prints "pid N" on stdout and waits for one byte on stdin; end of input
 * before that byte means "do not run" (exit status 3, no calls made).
 *
 * At the end it prints one line on stdout:
 *   calls C ns ELAPSED rate ACHIEVED
 * C is exact: every call fires tracepoint syscalls:sys_enter_getppid once.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define TICK_NS 1000000LL /* one batch per millisecond */

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int number(const char *s, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	return !errno && end != s && !*end && *out >= 0;
}

int main(int argc, char **argv)
{
	double rate, seconds, max = 0;
	long long start, stop, limit_ns, calls = 0, maxcalls, due, next, batch_max;
	volatile long sink = 0;
	struct timespec wake;
	char go;

	if (argc < 3 || argc > 4 || !number(argv[1], &rate) || !number(argv[2], &seconds) ||
	    (argc == 4 && (!number(argv[3], &max) || max < 1))) {
		fprintf(stderr, "usage: %s RATE SECONDS [MAXCALLS]   (RATE 0 = unpaced)\n", argv[0]);
		return 2;
	}
	maxcalls = argc == 4 ? (long long)max : -1;
	limit_ns = (long long)(seconds * 1e9);
	batch_max = rate > 0 ? (long long)(rate / 100) + 1 : 10000;

	printf("pid %d\n", (int)getpid());
	fflush(stdout);
	if (read(STDIN_FILENO, &go, 1) != 1)
		return 3;

	start = now_ns();
	next = start;
	for (;;) {
		long long now = now_ns(), elapsed = now - start;

		if (elapsed >= limit_ns)
			break;
		if (rate > 0)
			due = (long long)(rate * (double)elapsed / 1e9) + 1;
		else
			due = calls + batch_max; /* unpaced: check the clock every 10k calls */
		if (due > calls + batch_max)
			due = calls + batch_max;
		if (maxcalls >= 0 && due > maxcalls)
			due = maxcalls;
		while (calls < due) {
			sink += syscall(SYS_getppid);
			calls++;
		}
		if (maxcalls >= 0 && calls >= maxcalls)
			break;
		if (rate > 0) {
			next += TICK_NS;
			if (next > now) {
				wake.tv_sec = next / 1000000000LL;
				wake.tv_nsec = next % 1000000000LL;
				while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &wake, NULL) == EINTR)
					;
			} else {
				next = now; /* behind schedule: do not pile up ticks */
			}
		}
	}
	stop = now_ns();

	(void)sink;
	printf("calls %lld ns %lld rate %.0f\n", calls, stop - start,
	       (double)calls * 1e9 / (double)(stop - start > 0 ? stop - start : 1));
	return 0;
}
