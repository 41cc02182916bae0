// SPDX-License-Identifier: GPL-2.0
/*
 * ref.bpf.c: the hand-written libbpf reference that bpfsh's per-event cost
 * is compared with.  Three programs; the loader (ref.c) loads exactly one.
 *
 *   ref_count: on syscalls:sys_enter_getppid, per-CPU hash keyed by the
 *              task's comm, u64 counter
 *              (what `count(c, comm())` on a `count<comm_t>` map does)
 *   ref_hist:  on syscalls:sys_enter_getppid, per-CPU array of 64 u64 slots,
 *              slot = floor(log2(v))
 *              (what `hist(h, nsecs())` on a `hist` map does)
 *   ref_str:   on syscalls:sys_enter_openat, per-CPU hash keyed by the first
 *              64 bytes of the filename (a user pointer), u64 counter
 *              (what `count(f, str(args->filename))` on a `count<str_t>` map
 *              does, less bpfsh's fallback to a kernel read)
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

/* str_t's size: bpfsh's `set strlen` default, and bpftrace's default strlen. */
struct str_key {
	char s[64];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 10240);
	__type(key, struct str_key);
	__type(value, __u64);
} str_counts SEC(".maps");

/*
 * The syscalls:sys_enter_openat record, as
 * /sys/kernel/tracing/events/syscalls/sys_enter_openat/format lays it out:
 * the syscall's arguments are 8 bytes each from offset 16.
 */
struct openat_enter {
	unsigned short common_type;
	unsigned char common_flags;
	unsigned char common_preempt_count;
	int common_pid;
	int syscall_nr;			/* offset 8, then 4 bytes of padding */
	unsigned long dfd;		/* offset 16 */
	const char *filename;		/* offset 24 */
	unsigned long flags;
	unsigned long mode;
};

_Static_assert(__builtin_offsetof(struct openat_enter, filename) == 24,
	       "filename is at offset 24 of the sys_enter_openat record");

/* Increments the per-CPU counter of `key` in `map`, creating it at 0 first. */
static __always_inline void count_key(void *map, const void *key)
{
	__u64 *val = bpf_map_lookup_elem(map, key);

	if (!val) {
		__u64 zero = 0;

		bpf_map_update_elem(map, key, &zero, BPF_NOEXIST);
		val = bpf_map_lookup_elem(map, key);
		if (!val)
			return;
	}
	/* per-CPU value: no other CPU writes it, a plain increment is enough */
	*val += 1;
}

SEC("tracepoint/syscalls/sys_enter_getppid")
int ref_count(void *ctx)
{
	struct comm_key key = {};

	bpf_get_current_comm(key.s, sizeof(key.s));
	count_key(&counts, &key);
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

SEC("tracepoint/syscalls/sys_enter_openat")
int ref_str(struct openat_enter *ctx)
{
	/* Zeroed so that the bytes after the string's end are the same for every
	 * call: they are part of the hash key. */
	struct str_key key = {};

	bpf_probe_read_user_str(key.s, sizeof(key.s), ctx->filename);
	count_key(&str_counts, &key);
	return 0;
}
