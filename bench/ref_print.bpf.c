// SPDX-License-Identifier: GPL-2.0
/*
 * ref_print.bpf.c: the hand-written libbpf reference for bpfsh's print()
 * streaming benchmark.  On tracepoint syscalls:sys_enter_getppid, for one
 * process only, it does what bpfsh's
 *     if (pid() == PID) print("%d %llu\n", pid(), nsecs());
 * does: reserve a record in a ring buffer, format the text into it with
 * bpf_snprintf, submit it; when the ring buffer is full, count one lost
 * record in a per-CPU counter instead.  Same record layout as bpfsh.
 *
 * Wake-ups: with ref_config.wakeup_bytes == 0 every record is submitted with
 * default flags, as bpfsh does, and the kernel wakes the reader whenever it
 * had caught up, i.e. for nearly every record when the reader is fast.
 * Each wake-up raises an irq_work on the producing CPU, which on a VM is a
 * self-IPI (an APIC register write that traps, about 2 us).  With
 * ref_config.wakeup_bytes > 0, records go in with BPF_RB_NO_WAKEUP and the
 * reader is woken only once at least that many bytes are waiting; it polls
 * with a short timeout to pick up the rest.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

/* set by the loader (ref_print.c) before load: the only .rodata variable */
const volatile struct {
	__u32 pid;
	__u32 pad;
	__u64 wakeup_bytes;
} ref_config = {};

struct record {
	__u32 probe;
	__u32 length;	/* bpf_snprintf's result: bytes including the NUL */
	char text[256];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);	/* bpfsh's default: 8 MiB */
} records SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} lost SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_getppid")
int ref_print(void *ctx)
{
	static const char fmt[] = "%d %llu\n";
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	struct record *r;
	__u64 args[2];
	long n;

	if (pid != ref_config.pid)
		return 0;
	r = bpf_ringbuf_reserve(&records, sizeof(*r), 0);
	if (!r) {
		__u32 zero = 0;
		__u64 *c = bpf_map_lookup_elem(&lost, &zero);

		if (c)
			*c += 1;	/* per-CPU slot: a plain add is enough */
		return 0;
	}
	args[0] = pid;
	args[1] = bpf_ktime_get_ns();
	n = bpf_snprintf(r->text, sizeof(r->text), fmt, args, sizeof(args));
	r->probe = 1;
	r->length = n > 0 ? (__u32)n : 0;
	if (!ref_config.wakeup_bytes)
		bpf_ringbuf_submit(r, 0);
	else
		bpf_ringbuf_submit(r, bpf_ringbuf_query(&records, BPF_RB_AVAIL_DATA) >=
					      ref_config.wakeup_bytes ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);
	return 0;
}
