// The C shim holds only what Swift cannot call directly: callbacks that take a
// va_list, variadic libedit/history entry points, and async-signal-safe flags.
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <bpf/libbpf.h>
#include <bpf/btf.h>
#include <histedit.h>
#include <wchar.h>

// libbpf's print callback receives a va_list; format it here and keep the text
// so Swift can show libbpf's own explanation next to an errno. Each thread keeps its
// own log (libbpf prints on the calling thread; links are destroyed on other threads).
void bpfsh_libbpf_log_install(int include_debug);
// Returns this thread's captured text (NUL-terminated, owned by the shim) since the last clear.
const char *bpfsh_libbpf_log_text(void);
void bpfsh_libbpf_log_clear(void);

// btf_dump's printf callback is variadic: write each piece to a FILE*.
struct btf_dump *bpfsh_btf_dump_to_file(const struct btf *btf, FILE *out);

// Signals: handlers only set flags; the shell polls them.
void bpfsh_signals_install(void);
// Returns 1 and clears the flag when SIGINT arrived since the last call.
int bpfsh_signals_take_interrupt(void);
// Returns the terminating signal number (SIGTERM/SIGHUP) or 0.
int bpfsh_signals_termination(void);
// 1 while an interrupt or a termination waits to be looked at (clears nothing).
int bpfsh_signals_pending(void);
// A descriptor that becomes readable when a signal arrives (self-pipe): a signal may be
// delivered to any thread, so blocking waits poll this next to their input.
int bpfsh_signals_fd(void);
// Empties the self-pipe after a wake-up.
void bpfsh_signals_drain_fd(void);

// libedit reads characters through `fn` (EL_GETCFN; el_set is variadic).
typedef int (*bpfsh_getc_fn)(EditLine *, wchar_t *);
void bpfsh_el_set_getc(EditLine *el, bpfsh_getc_fn fn);
// Redraws the prompt and the line being edited.
void bpfsh_el_refresh(EditLine *el);

// perf_event_open(2) has no libc wrapper and syscall(2) is variadic. Opens a sampling
// event on one CPU for all processes; returns the fd or -errno. With use_frequency,
// period_or_frequency is samples per second, else events between samples.
int bpfsh_perf_event_open(uint32_t type, uint64_t config, uint64_t period_or_frequency, int use_frequency, int cpu);

// libedit's el_set/el_get and history() are variadic.
typedef char *(*bpfsh_prompt_fn)(EditLine *);
typedef unsigned char (*bpfsh_el_fn)(EditLine *, int);
void bpfsh_el_set_prompt(EditLine *el, bpfsh_prompt_fn fn);
void bpfsh_el_set_editor(EditLine *el, const char *mode);
void bpfsh_el_set_history(EditLine *el, History *h);
void bpfsh_el_set_signal(EditLine *el, int on);
void bpfsh_el_add_function(EditLine *el, const char *name, const char *help, bpfsh_el_fn fn);
void bpfsh_el_bind(EditLine *el, const char *key, const char *name);
void bpfsh_history_set_size(History *h, int size);
void bpfsh_history_set_unique(History *h, int unique);
void bpfsh_history_enter(History *h, const char *line);
void bpfsh_history_load(History *h, const char *path);
void bpfsh_history_save(History *h, const char *path);

// A C++ (_Z…) or Swift ($s…) symbol as people read it, malloc'd (free it), or NULL
// when the name is not mangled or cannot be demangled. The demanglers are the C++
// runtime's __cxa_demangle and the Swift runtime's swift_demangle, both linked in.
char *bpfsh_demangle(const char *name);

// Forks a process that holds copies of every file descriptor of this one (BPF links,
// perf events) until this process exits, then exits itself. The kernel releases a perf
// tracepoint event under a mutex with a full RCU grace period each (~40 ms, one after
// another), so 360 of them take 15 s; with the holder, that release happens in the
// holder after bpfsh has quit. The child only calls async-signal-safe functions.
// Returns the holder's pid, or -1.
int bpfsh_fork_release_holder(void);

// Starts PATH with ARGV (stdin /dev/null, stdout/stderr to the given descriptors) as a
// child that the kernel kills when the calling thread's process dies (PR_SET_PDEATHSIG):
// a compile never outlives a SIGKILLed session. The caller must wait for it on the same
// thread (the signal follows the thread that forked). Returns the pid, or -1 with errno.
int bpfsh_spawn_tied(const char *path, char *const argv[], char *const envp[], int out_fd, int err_fd);
