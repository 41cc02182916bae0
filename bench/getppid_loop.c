/*
 * getppid_loop: the workload for bpfsh's per-event cost benchmark.
 *
 * Calls getppid through syscall(2) (so libc cannot cache or shortcut it)
 * N times, N from argv[1] (default 5,000,000), and prints the mean wall time
 * per call in nanoseconds, measured with CLOCK_MONOTONIC, as one number on
 * stdout.  Each call fires tracepoint syscalls:sys_enter_getppid once.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	long long calls = 5000000;
	long long start, stop, i;
	volatile long sink = 0;

	if (argc > 1) {
		char *end;

		errno = 0;
		calls = strtoll(argv[1], &end, 10);
		if (errno || *end || calls <= 0) {
			fprintf(stderr, "usage: %s [CALLS]\n", argv[0]);
			return 2;
		}
	}

	start = now_ns();
	for (i = 0; i < calls; i++)
		sink += syscall(SYS_getppid);
	stop = now_ns();

	(void)sink;
	printf("%.2f\n", (double)(stop - start) / (double)calls);
	return 0;
}
