/*
 * getppid_loop: the workload for bpfsh's per-event cost benchmark.
 *
 *   getppid_loop [CALLS [getppid|openat]]
 *
 * Makes one syscall through syscall(2) (so libc cannot cache or shortcut it)
 * CALLS times (default 5,000,000) and prints the mean wall time per call in
 * nanoseconds, measured with CLOCK_MONOTONIC, as one number on stdout.
 *
 *   getppid: fires tracepoint syscalls:sys_enter_getppid once per call.
 *   openat:  openat(AT_FDCWD, "/nonexistent/bpfsh-bench", O_RDONLY), which
 *            fails fast with ENOENT; fires syscalls:sys_enter_openat once per
 *            call with a user pointer to that path (the str() row reads it).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* Must not exist: every call has to take the same (failing) path. */
static const char missing_path[] = "/nonexistent/bpfsh-bench";

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int usage(const char *self)
{
	fprintf(stderr, "usage: %s [CALLS [getppid|openat]]\n", self);
	return 2;
}

int main(int argc, char **argv)
{
	long long calls = 5000000;
	long long start, stop, i;
	volatile long sink = 0;
	int openat_mode = 0;

	if (argc > 3)
		return usage(argv[0]);
	if (argc > 1) {
		char *end;

		errno = 0;
		calls = strtoll(argv[1], &end, 10);
		if (errno || *end || calls <= 0)
			return usage(argv[0]);
	}
	if (argc > 2) {
		if (strcmp(argv[2], "openat") == 0)
			openat_mode = 1;
		else if (strcmp(argv[2], "getppid") != 0)
			return usage(argv[0]);
	}

	if (openat_mode) {
		/* A path that exists would open (and leak) a descriptor per call and
		 * cost far more than the lookup failure being measured. */
		long fd = syscall(SYS_openat, AT_FDCWD, missing_path, O_RDONLY);

		if (fd >= 0 || errno != ENOENT) {
			fprintf(stderr, "%s: openat %s: expected ENOENT, got %s\n", argv[0], missing_path,
				fd >= 0 ? "a descriptor" : strerror(errno));
			return 1;
		}
	}

	start = now_ns();
	if (openat_mode) {
		for (i = 0; i < calls; i++)
			sink += syscall(SYS_openat, AT_FDCWD, missing_path, O_RDONLY);
	} else {
		for (i = 0; i < calls; i++)
			sink += syscall(SYS_getppid);
	}
	stop = now_ns();

	(void)sink;
	printf("%.2f\n", (double)(stop - start) / (double)calls);
	return 0;
}
