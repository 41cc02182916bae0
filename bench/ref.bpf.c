// SPDX-License-Identifier: GPL-2.0
/*
 * ref.bpf.c: the hand-written libbpf reference that bpfsh's per-event cost
 * is compared with.  Two programs on tracepoint syscalls:sys_enter_getppid;
 * the loader (ref.c) loads exactly one of them.
 *
 *   ref_count: per-CPU hash keyed by the task's comm, u64 counter
 *              (what `count(c, comm())` on a `count<comm_t>` map does)
 *   ref_hist:  per-CPU array of 64 u64 slots, slot = floor(log2(v))
 *              (what `hist(h, nsecs())` on a `hist` map does)
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct comm_key {
	char s[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 10240);
	__type(key, struct comm_key);
	__type(value, __u64);
} counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
} slots SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_getppid")
int ref_count(void *ctx)
{
	struct comm_key key = {};
	__u64 *val;

	bpf_get_current_comm(key.s, sizeof(key.s));
	val = bpf_map_lookup_elem(&counts, &key);
	if (!val) {
		__u64 zero = 0;

		bpf_map_update_elem(&counts, &key, &zero, BPF_NOEXIST);
		val = bpf_map_lookup_elem(&counts, &key);
		if (!val)
			return 0;
	}
	/* per-CPU value: no other CPU writes it, a plain increment is enough */
	*val += 1;
	return 0;
}

/* Index of the highest set bit; 0 for v == 0 (and for v == 1). */
static __always_inline __u32 top_bit(__u64 v)
{
	__u32 n = 0;

	if (v >> 32) {
		v >>= 32;
		n += 32;
	}
	if (v >> 16) {
		v >>= 16;
		n += 16;
	}
	if (v >> 8) {
		v >>= 8;
		n += 8;
	}
	if (v >> 4) {
		v >>= 4;
		n += 4;
	}
	if (v >> 2) {
		v >>= 2;
		n += 2;
	}
	if (v >> 1)
		n += 1;
	return n;
}

SEC("tracepoint/syscalls/sys_enter_getppid")
int ref_hist(void *ctx)
{
	__u32 slot = top_bit(bpf_ktime_get_ns());
	__u64 *cnt;

	if (slot > 63)
		slot = 63;
	cnt = bpf_map_lookup_elem(&slots, &slot);
	if (cnt)
		*cnt += 1;
	return 0;
}
