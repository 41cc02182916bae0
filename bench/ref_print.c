/*
 * ref_print.c: user-space side of the print() streaming reference
 * (ref_print.bpf.o), the hand-written libbpf counterpart of bpfsh's
 *     probe tracepoint:syscalls:sys_enter_getppid {
 *         if (pid() == PID) print("%d %llu\n", pid(), nsecs()); }
 *     run ...
 *
 *   ref_print PID [batch|every|tick]
 *
 * Loads ref_print.bpf.o (next to this executable) with the pid filter set
 * to PID, attaches it, prints "ready" on stdout, then drains the ring buffer
 * to stdout until SIGINT/SIGTERM/SIGHUP.  Records are written through stdio
 * with a 64 KiB buffer that is flushed whenever the ring buffer has been
 * emptied, i.e. what a careful C tool would do.
 *
 *   batch  (default) the kernel wakes this reader only when 1 MiB of records
 *          is waiting; the reader polls every 10 ms for the rest
 *   every  the kernel wakes the reader whenever it had caught up (default
 *          submit flags, what bpfsh does); the reader blocks in epoll
 *   tick   default submit flags too, but the reader never blocks in epoll:
 *          it empties the ring buffer every millisecond and sleeps in
 *          between, so at most one wake-up (irq_work) per millisecond is
 *          raised, by the first record after each drain
 *
 * On the way out it drains what is left and prints on stderr
 *     ref_print: N records written, M lost
 * where M is the in-kernel count of records dropped because the ring buffer
 * was full.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

struct record {
	unsigned int probe;
	unsigned int length;
	char text[256];
};

/* ref_print.bpf.c's .rodata */
struct config {
	unsigned int pid;
	unsigned int pad;
	unsigned long long wakeup_bytes;
};

static volatile sig_atomic_t stop_requested;
static unsigned long long written;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static int quiet_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static int on_record(void *ctx, void *data, size_t size)
{
	const struct record *r = data;
	size_t len;

	(void)ctx;
	if (size < 8)
		return 0;
	len = r->length > 0 ? r->length - 1 : 0;	/* the count includes the NUL */
	if (len > size - 8)
		len = size - 8;
	fwrite(r->text, 1, len, stdout);
	written++;
	return 0;
}

static unsigned long long lost_total(int fd)
{
	int ncpu = libbpf_num_possible_cpus();
	unsigned long long total = 0, *vals;
	unsigned int zero = 0;

	if (ncpu <= 0 || !(vals = calloc(ncpu, sizeof(*vals))))
		return 0;
	if (bpf_map_lookup_elem(fd, &zero, vals) == 0)
		for (int c = 0; c < ncpu; c++)
			total += vals[c];
	free(vals);
	return total;
}

int main(int argc, char **argv)
{
	static char outbuf[64 << 10];
	char objpath[PATH_MAX], self[PATH_MAX], *end;
	const char *mode = argc > 2 ? argv[2] : "batch";
	struct bpf_object *obj = NULL;
	struct bpf_link *link = NULL;
	struct ring_buffer *rb = NULL;
	struct bpf_map *rodata;
	struct sigaction sa;
	struct config *config;
	int batch, tick, timeout_ms;
	size_t size;
	ssize_t n;
	long pid;
	int err = 1;

	pid = argc > 1 ? strtol(argv[1], &end, 10) : 0;
	batch = strcmp(mode, "batch") == 0;
	tick = strcmp(mode, "tick") == 0;
	if (argc < 2 || argc > 3 || *end || pid <= 0 || (!batch && !tick && strcmp(mode, "every") != 0)) {
		fprintf(stderr, "usage: %s PID [batch|every|tick]\n", argv[0]);
		return 2;
	}
	timeout_ms = batch ? 10 : 100;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0) {
		perror("readlink /proc/self/exe");
		return 1;
	}
	self[n] = '\0';
	snprintf(objpath, sizeof(objpath), "%s/ref_print.bpf.o", dirname(self));

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: polling returns EINTR */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
	libbpf_set_print(quiet_libbpf);

	obj = bpf_object__open_file(objpath, NULL);
	if (!obj) {
		fprintf(stderr, "ref_print: cannot open %s: %s\n", objpath, strerror(errno));
		return 1;
	}
	rodata = bpf_object__find_map_by_name(obj, ".rodata");
	config = rodata ? (struct config *)bpf_map__initial_value(rodata, &size) : NULL;
	if (!config || size < sizeof(*config)) {
		fprintf(stderr, "ref_print: no .rodata for the configuration\n");
		goto out;
	}
	config->pid = (unsigned int)pid;
	config->wakeup_bytes = batch ? 1 << 20 : 0;
	if (bpf_object__load(obj)) {
		fprintf(stderr, "ref_print: load failed: %s\n", strerror(errno));
		goto out;
	}
	rb = ring_buffer__new(bpf_map__fd(bpf_object__find_map_by_name(obj, "records")),
			      on_record, NULL, NULL);
	if (!rb) {
		fprintf(stderr, "ref_print: ring buffer: %s\n", strerror(errno));
		goto out;
	}
	link = bpf_program__attach(bpf_object__find_program_by_name(obj, "ref_print"));
	if (!link) {
		fprintf(stderr, "ref_print: attach failed: %s\n", strerror(errno));
		goto out;
	}

	printf("ready\n");
	fflush(stdout);

	while (!stop_requested) {
		int got;

		if (tick) {
			struct timespec ms = { 0, 1000000 };

			got = ring_buffer__consume(rb);
			fflush(stdout);
			nanosleep(&ms, NULL);
			if (got < 0 && got != -EINTR) {
				fprintf(stderr, "ref_print: consume: %s\n", strerror(-got));
				break;
			}
			continue;
		}
		got = ring_buffer__poll(rb, timeout_ms);

		if (got < 0 && got != -EINTR) {
			fprintf(stderr, "ref_print: poll: %s\n", strerror(-got));
			break;
		}
		fflush(stdout);
	}
	ring_buffer__consume(rb);
	fflush(stdout);
	fprintf(stderr, "ref_print: %llu records written, %llu lost\n", written,
		lost_total(bpf_map__fd(bpf_object__find_map_by_name(obj, "lost"))));
	err = 0;
out:
	bpf_link__destroy(link);
	ring_buffer__free(rb);
	bpf_object__close(obj);
	return err;
}
