/*
 * ref.c: user-space loader for ref.bpf.o, the hand-written libbpf reference
 * in bpfsh's benchmark.
 *
 *   ref count|hist|str [OBJECT]
 *
 * Loads only the chosen program (and its map) from OBJECT (default:
 * ref.bpf.o next to this executable), attaches it to its tracepoint
 * (count, hist: syscalls:sys_enter_getppid; str: syscalls:sys_enter_openat),
 * prints "ready" on stdout, then
 * waits until stdin reaches end-of-file or SIGTERM/SIGINT/SIGHUP arrives.
 * On the way out it prints on stderr how many events the map recorded
 * (summed over CPUs), then releases the link, program and maps.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

static volatile sig_atomic_t stop_requested;

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

/* Sum of every value of a per-CPU map, over all keys and CPUs. */
static unsigned long long sum_percpu_map(int fd, size_t key_size)
{
	int ncpu = libbpf_num_possible_cpus();
	unsigned long long total = 0;
	unsigned long long *vals;
	char *key, *next;
	int have_key = 0;

	if (ncpu <= 0)
		return 0;
	vals = calloc(ncpu, sizeof(*vals));
	key = calloc(2, key_size);
	if (!vals || !key)
		goto out;
	next = key + key_size;
	while (bpf_map_get_next_key(fd, have_key ? key : NULL, next) == 0) {
		if (bpf_map_lookup_elem(fd, next, vals) == 0)
			for (int c = 0; c < ncpu; c++)
				total += vals[c];
		memcpy(key, next, key_size);
		have_key = 1;
	}
out:
	free(vals);
	free(key);
	return total;
}

/* Each mode's program and map in ref.bpf.o; the others are neither loaded nor created. */
static const struct ref_mode {
	const char *name, *prog, *map;
} modes[] = {
	{ "count", "ref_count", "counts" },
	{ "hist", "ref_hist", "slots" },
	{ "str", "ref_str", "str_counts" },
};

#define NMODES (sizeof(modes) / sizeof(modes[0]))

int main(int argc, char **argv)
{
	const char *mode_name = argc > 1 ? argv[1] : "";
	const struct ref_mode *mode = NULL;
	char objpath[PATH_MAX];
	struct bpf_object *obj = NULL;
	struct bpf_program *prog;
	struct bpf_link *link = NULL;
	struct bpf_map *map;
	struct sigaction sa;
	int err = 1;

	for (size_t i = 0; i < NMODES; i++)
		if (strcmp(mode_name, modes[i].name) == 0)
			mode = &modes[i];
	if (!mode) {
		fprintf(stderr, "usage: %s count|hist|str [OBJECT]\n", argv[0]);
		return 2;
	}

	if (argc > 2) {
		snprintf(objpath, sizeof(objpath), "%s", argv[2]);
	} else {
		char self[PATH_MAX];
		ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

		if (n < 0) {
			perror("readlink /proc/self/exe");
			return 1;
		}
		self[n] = '\0';
		snprintf(objpath, sizeof(objpath), "%s/ref.bpf.o", dirname(self));
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: read() returns EINTR */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	libbpf_set_print(quiet_libbpf);

	obj = bpf_object__open_file(objpath, NULL);
	if (!obj) {
		fprintf(stderr, "ref: cannot open %s: %s\n", objpath, strerror(errno));
		return 1;
	}

	/* load only what this mode needs */
	for (size_t i = 0; i < NMODES; i++) {
		if (&modes[i] == mode)
			continue;
		bpf_program__set_autoload(bpf_object__find_program_by_name(obj, modes[i].prog), false);
		bpf_map__set_autocreate(bpf_object__find_map_by_name(obj, modes[i].map), false);
	}

	if (bpf_object__load(obj)) {
		fprintf(stderr, "ref: load failed: %s\n", strerror(errno));
		goto out;
	}
	prog = bpf_object__find_program_by_name(obj, mode->prog);
	map = bpf_object__find_map_by_name(obj, mode->map);
	link = bpf_program__attach(prog);
	if (!link) {
		fprintf(stderr, "ref: attach failed: %s\n", strerror(errno));
		goto out;
	}

	printf("ready\n");
	fflush(stdout);

	while (!stop_requested) {
		char buf[256];
		ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));

		if (n == 0)
			break;
		if (n < 0 && errno != EINTR)
			break;
	}

	fprintf(stderr, "ref %s: %llu events recorded\n", mode->name,
		sum_percpu_map(bpf_map__fd(map), bpf_map__key_size(map)));
	err = 0;
out:
	bpf_link__destroy(link);
	bpf_object__close(obj);
	return err;
}
