/*
 * ustack_procs: the workload for bpfsh's stack symbolization benchmark.
 *
 *   ustack_procs [PROCESSES [STACKS]]
 *
 * Forks PROCESSES children (default 50); child c makes STACKS getppid() calls
 * (default 200), call i from a user stack of its own: a chain of 4 to 6
 * calls through the noinline functions f0..f7, chosen by the base-8 digits of
 * n = c * STACKS + i (depth 4 + n % 3, digits of n / 3), then leaf() and
 * getppid().  Different n give different chains, so the tracer sees
 * PROCESSES x STACKS distinct stacks.  Each child exits right after its calls
 * and the parent waits for all of them: by the time a tracer prints, every
 * process whose stacks it holds is gone.
 *
 * Build with -O0 -fno-omit-frame-pointer: the kernel walks user stacks by
 * frame pointers.  getppid() in libc has no frame of its own, so the walk
 * skips its caller (leaf(), the same in every stack) and the chain stays
 * whole.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

typedef void (*step_fn)(unsigned digits, int depth);

static step_fn steps[8];

__attribute__((noinline)) static void leaf(void)
{
	getppid();
}

/* Calls the function named by the lowest base-8 digit, or leaf() at depth 0. */
__attribute__((noinline)) static void next_step(unsigned digits, int depth)
{
	if (depth == 0) {
		leaf();
		return;
	}
	steps[digits % 8](digits / 8, depth - 1);
}

#define STEP(name) \
	__attribute__((noinline)) static void name(unsigned digits, int depth) { next_step(digits, depth); }
STEP(f0) STEP(f1) STEP(f2) STEP(f3) STEP(f4) STEP(f5) STEP(f6) STEP(f7)

static void child(unsigned first, unsigned count)
{
	for (unsigned n = first; n < first + count; n++)
		next_step(n / 3, 4 + n % 3);
}

int main(int argc, char **argv)
{
	int processes = argc > 1 ? atoi(argv[1]) : 50;
	int stacks = argc > 2 ? atoi(argv[2]) : 200;
	step_fn all[8] = { f0, f1, f2, f3, f4, f5, f6, f7 };

	if (processes < 1 || stacks < 1) {
		fprintf(stderr, "usage: ustack_procs [PROCESSES [STACKS]]\n");
		return 2;
	}
	for (int i = 0; i < 8; i++)
		steps[i] = all[i];
	for (int c = 0; c < processes; c++) {
		pid_t pid = fork();
		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid == 0) {
			child((unsigned)c * stacks, stacks);
			_exit(0);
		}
	}
	int failed = 0, status;
	while (wait(&status) > 0)
		failed |= !WIFEXITED(status) || WEXITSTATUS(status) != 0;
	printf("processes %d stacks %d\n", processes, stacks);
	return failed;
}
