#define _GNU_SOURCE
#include "bpfsh_shim.h"
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <unistd.h>
#include <wchar.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>

/* Per thread: one thread's load must not read (or clear) another's messages. */
static _Thread_local char *log_buf;
static _Thread_local size_t log_len, log_cap;
static int log_debug;

static int capture_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap) {
    if (level == LIBBPF_DEBUG && !log_debug) return 0;
    va_list copy;
    va_copy(copy, ap);
    int need = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (need <= 0) return 0;
    // Keep at most 4 MiB: a verifier log of a large program can be that long.
    if (log_len + (size_t)need + 1 > (4u << 20)) return 0;
    if (log_len + (size_t)need + 1 > log_cap) {
        size_t cap = log_cap ? log_cap : 4096;
        while (cap < log_len + (size_t)need + 1) cap *= 2;
        char *grown = realloc(log_buf, cap);
        if (!grown) return 0;
        log_buf = grown;
        log_cap = cap;
    }
    vsnprintf(log_buf + log_len, (size_t)need + 1, fmt, ap);
    log_len += (size_t)need;
    return need;
}

void bpfsh_libbpf_log_install(int include_debug) {
    log_debug = include_debug;
    libbpf_set_print(capture_libbpf);
}

const char *bpfsh_libbpf_log_text(void) { return log_buf ? log_buf : ""; }

void bpfsh_libbpf_log_clear(void) {
    log_len = 0;
    if (log_buf) log_buf[0] = '\0';
}

static void dump_printf(void *ctx, const char *fmt, va_list args) {
    vfprintf((FILE *)ctx, fmt, args);
}

struct btf_dump *bpfsh_btf_dump_to_file(const struct btf *btf, FILE *out) {
    return btf_dump__new(btf, dump_printf, out, NULL);
}

static volatile sig_atomic_t interrupted;
static volatile sig_atomic_t terminated;
static int signal_pipe[2] = {-1, -1};

static void wake(void) {
    int saved = errno;
    if (signal_pipe[1] >= 0) {
        char byte = 1;
        ssize_t ignored = write(signal_pipe[1], &byte, 1);
        (void)ignored;
    }
    errno = saved;
}

static void on_interrupt(int sig) { (void)sig; interrupted = 1; wake(); }
static void on_terminate(int sig) { terminated = sig; wake(); }

void bpfsh_signals_install(void) {
    if (signal_pipe[0] < 0 && pipe2(signal_pipe, O_NONBLOCK | O_CLOEXEC) != 0) {
        signal_pipe[0] = signal_pipe[1] = -1;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_interrupt;
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = on_terminate;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    // A parent may hand us these signals blocked (the mask survives exec): unblock them.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
}

int bpfsh_signals_take_interrupt(void) {
    int was = interrupted;
    interrupted = 0;
    return was;
}

int bpfsh_signals_termination(void) { return terminated; }

int bpfsh_signals_pending(void) { return interrupted || terminated; }

int bpfsh_signals_fd(void) { return signal_pipe[0]; }

void bpfsh_signals_drain_fd(void) {
    char drain[64];
    while (signal_pipe[0] >= 0 && read(signal_pipe[0], drain, sizeof drain) > 0) {}
}

int bpfsh_perf_event_open(uint32_t type, uint64_t config, uint64_t period_or_frequency, int use_frequency, int cpu) {
    struct perf_event_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.size = sizeof attr;
    attr.type = type;
    attr.config = config;
    if (use_frequency) {
        attr.freq = 1;
        attr.sample_freq = period_or_frequency;
    } else {
        attr.sample_period = period_or_frequency;
    }
    long fd = syscall(SYS_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
    return fd < 0 ? -errno : (int)fd;
}

void bpfsh_el_set_getc(EditLine *el, bpfsh_getc_fn fn) { el_set(el, EL_GETCFN, fn); }

void bpfsh_el_refresh(EditLine *el) { el_set(el, EL_REFRESH); }

void bpfsh_el_set_prompt(EditLine *el, bpfsh_prompt_fn fn) { el_set(el, EL_PROMPT, fn); }
void bpfsh_el_set_editor(EditLine *el, const char *mode) { el_set(el, EL_EDITOR, mode); }
void bpfsh_el_set_history(EditLine *el, History *h) { el_set(el, EL_HIST, history, h); }
void bpfsh_el_set_signal(EditLine *el, int on) { el_set(el, EL_SIGNAL, on); }
void bpfsh_el_add_function(EditLine *el, const char *name, const char *help, bpfsh_el_fn fn) {
    el_set(el, EL_ADDFN, name, help, fn);
}
void bpfsh_el_bind(EditLine *el, const char *key, const char *name) {
    el_set(el, EL_BIND, key, name, NULL);
}
void bpfsh_history_set_size(History *h, int size) {
    HistEvent ev;
    history(h, &ev, H_SETSIZE, size);
}
void bpfsh_history_set_unique(History *h, int unique) {
    HistEvent ev;
    history(h, &ev, H_SETUNIQUE, unique);
}
void bpfsh_history_enter(History *h, const char *line) {
    HistEvent ev;
    history(h, &ev, H_ENTER, line);
}
void bpfsh_history_load(History *h, const char *path) {
    HistEvent ev;
    history(h, &ev, H_LOAD, path);
}
void bpfsh_history_save(History *h, const char *path) {
    HistEvent ev;
    history(h, &ev, H_SAVE, path);
}

// Declared here: libstdc++ and the Swift runtime export them, without C headers.
extern char *__cxa_demangle(const char *mangled, char *buffer, size_t *length, int *status);
extern char *swift_demangle(const char *mangled, size_t length, char *buffer, size_t *size, uint32_t flags);

char *bpfsh_demangle(const char *name)
{
    if (name[0] == '_' && name[1] == 'Z') {
        int status = 0;
        char *readable = __cxa_demangle(name, NULL, NULL, &status);
        return status == 0 ? readable : NULL;
    }
    const char *swift = name[0] == '_' ? name + 1 : name;
    if (swift[0] == '$' && (swift[1] == 's' || swift[1] == 'S'))
        return swift_demangle(name, strlen(name), NULL, NULL, 0);
    return NULL;
}

int bpfsh_fork_release_holder(void)
{
    int ends[2];
    if (pipe2(ends, O_CLOEXEC) != 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0) {
        close(ends[0]);
        close(ends[1]);
        return -1;
    }
    if (pid == 0) {
        /* First let go of the terminal and of whoever reads our output. */
        int null = open("/dev/null", O_RDWR);
        if (null >= 0) {
            dup2(null, 0);
            dup2(null, 1);
            dup2(null, 2);
        }
        close(ends[1]);
        setsid();
        /* The write end closes when bpfsh exits: then this process's exit releases
           the last references. */
        char byte;
        for (;;) {
            ssize_t n = read(ends[0], &byte, 1);
            if (n == 0 || (n < 0 && errno != EINTR))
                break;
        }
        _exit(0);
    }
    close(ends[0]);
    /* ends[1] stays open on purpose until bpfsh exits (close-on-exec for its children). */
    return pid;
}

int bpfsh_spawn_tied(const char *path, char *const argv[], char *const envp[], int out_fd, int err_fd)
{
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    /* The child: only async-signal-safe calls until execve. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(127); /* the parent died before the line above */
    int null = open("/dev/null", O_RDONLY);
    if (null >= 0)
        dup2(null, 0);
    dup2(out_fd, 1);
    dup2(err_fd, 2);
    execve(path, argv, envp);
    _exit(127);
}
