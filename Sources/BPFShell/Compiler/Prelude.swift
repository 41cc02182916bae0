/// The header every probe is compiled against, built once per kernel into a
/// precompiled header. It holds the session's internal maps and the built-ins.
enum Prelude {
    /// Bumped whenever the text below changes, so cached headers and objects are rebuilt.
    static let version = 24

    /// Per-CPU counter slots in `bpfsh_counters`.
    static let lostEventsSlot = 0
    static let firstProbeSlot = 1
    /// Creating a per-CPU array costs time in proportion to its slots (8192 took 5.7 ms
    /// of every start): 1023 probes and 1024 maps a session are plenty.
    static let firstMapErrorSlot = 1024
    static let counterSlots = 2048
    /// Bytes of formatted text one print() can produce.
    static let messageCapacity = 256
    static let eventsMapName = "bpfsh_events"
    static let stacksMapName = "bpfsh_stacks"
    static let stackPIDsMapName = "bpfsh_stack_pids"
    static let stackDepth = 127
    static let stackEntries = 16384
    static let countersMapName = "bpfsh_counters"

    static let text = """
    #ifndef BPFSH_PRELUDE_H
    #define BPFSH_PRELUDE_H
    #include "vmlinux.h"
    #include <bpf/bpf_helpers.h>
    #include <bpf/bpf_tracing.h>
    #include <bpf/bpf_core_read.h>

    char LICENSE[] SEC("license") = "GPL";

    /* Session-wide maps: every object binds these to the session's own fds. The ring
       buffer print() writes to is declared only in units that print (Prelude.printSupport). */
    /* Slot 0: print() records lost; 1..\(firstMapErrorSlot - 1): hits per probe; \(firstMapErrorSlot)+: failed map updates per map. */
    struct {
        __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
        __uint(max_entries, \(counterSlots));
        __type(key, u32);
        __type(value, u64);
    } bpfsh_counters SEC(".maps");

    typedef struct { char str[16]; } comm_t;

    /* probe_name(): which point of a probe the event came from; the shell names it. */
    typedef struct { u32 id; } probe_t;

    /* A tracepoint's __data_loc field: the low 16 bits are the offset of the data in the
       record, the high 16 its length. Its own type, so str() can tell it from a pointer
       and using it as a pointer is an error that bpfsh explains. */
    typedef struct { u32 loc; } bpfsh_data_loc_t;

    /* A value as bpf_snprintf takes it: widened to u64, sign-extended when signed. */
    static __always_inline u64 bpfsh_scalar_u64(const void *p, u32 size, int is_signed)
    {
        switch (size) {
        case 1: return is_signed ? (u64)(s64)*(const s8 *)p : *(const u8 *)p;
        case 2: return is_signed ? (u64)(s64)*(const s16 *)p : *(const u16 *)p;
        case 4: return is_signed ? (u64)(s64)*(const s32 *)p : *(const u32 *)p;
        default: return *(const u64 *)p;
        }
    }
    #define bpfsh_is_signed(v) _Generic((v), signed char: 1, short: 1, int: 1, long: 1, long long: 1, default: 0)

    /* A string from memory whose side is unknown: user first (syscall arguments, uprobes),
       then kernel. x86-64 address spaces do not overlap, so the wrong side fails at once. */
    static __always_inline long bpfsh_read_any_str(char *dst, u32 size, const void *src)
    {
        long n = bpf_probe_read_user_str(dst, size, src);
        if (n < 0)
            n = bpf_probe_read_kernel_str(dst, size, src);
        return n;
    }

    /* Bounded comparisons of a string struct (str_t, comm_t) with a literal: the loop
       bound is the literal's size, a constant the compiler unrolls. */
    static __always_inline int bpfsh_text_starts(const char *text, u32 capacity, const char *literal, u32 length)
    {
        if (length > capacity)
            return 0;
        for (u32 i = 0; i < length && i < 256; i++)
            if (text[i] != literal[i])
                return 0;
        return 1;
    }

    /* Stack ids from the session's stack map; printed as symbolized frames. */
    typedef struct { s32 kstack_id; } kstack_t;
    typedef struct { s32 ustack_id; u32 pid; } ustack_t;

    /* Code addresses, printed as function+offset by the shell: kernel ones from
       kallsyms, user ones from the process's mappings (recorded while it lives). */
    typedef struct { u64 kaddr; } ksym_t;
    typedef struct { u64 uaddr; u32 pid; } usym_t;

    /* ts: CLOCK_MONOTONIC when print() ran; the shell turns it into wall-clock or
       session time when `set timestamps` asks for it. */
    struct bpfsh_event {
        u32 probe;
        u32 length;
        u64 ts;
        s32 kstack;   /* kstack()/ustack() given to print(): frames go under the line (-1: none) */
        s32 ustack;
        u32 upid;
        u32 unused;
        char text[\(messageCapacity)];
    };

    static __always_inline void bpfsh_counter_add(u32 slot, u64 n)
    {
        /* A per-CPU array lookup is inlined by the verifier: a few instructions. */
        u64 *counter = bpf_map_lookup_elem(&bpfsh_counters, &slot);
        if (counter)
            *counter += n;
    }

    /* floor(log2(v)), 0 for 0: a binary search over the bits, no loop for the verifier to bound. */
    static __always_inline u32 bpfsh_log2(u64 v)
    {
        u32 r = 0, s;
        s = (v > 0xFFFFFFFFULL) << 5; v >>= s; r |= s;
        s = (v > 0xFFFF) << 4; v >>= s; r |= s;
        s = (v > 0xFF) << 3; v >>= s; r |= s;
        s = (v > 0xF) << 2; v >>= s; r |= s;
        s = (v > 0x3) << 1; v >>= s; r |= s;
        return r | (u32)(v >> 1);
    }

    /* Adds n to the u64 at key, creating it at 0 first. A full map counts a failure the shell reports. */
    static __always_inline void bpfsh_add(void *map, const void *key, u64 n, u32 map_id)
    {
        u64 *value = bpf_map_lookup_elem(map, key);
        if (!value) {
            u64 zero = 0;
            bpf_map_update_elem(map, key, &zero, BPF_NOEXIST);
            value = bpf_map_lookup_elem(map, key);
            if (!value) {
                bpfsh_counter_add(\(firstMapErrorSlot) + map_id, 1);
                return;
            }
        }
        *value += n;
    }

    /* stats<K>, min<K>, max<K>: one record per key and CPU; the reader folds the CPUs
       (counts and sums added, the smallest min and largest max of CPUs that saw one). */
    struct bpfsh_stats {
        u64 count;
        s64 sum;
        s64 min;
        s64 max;
    };

    static __always_inline void bpfsh_stats_add(void *map, const void *key, s64 v, u32 map_id)
    {
        struct bpfsh_stats *s = bpf_map_lookup_elem(map, key);
        if (!s) {
            struct bpfsh_stats zero = {};
            bpf_map_update_elem(map, key, &zero, BPF_NOEXIST);
            s = bpf_map_lookup_elem(map, key);
            if (!s) {
                bpfsh_counter_add(\(firstMapErrorSlot) + map_id, 1);
                return;
            }
        }
        if (s->count == 0 || v < s->min)
            s->min = v;
        if (s->count == 0 || v > s->max)
            s->max = v;
        s->count += 1;
        s->sum += v;
    }

    static __always_inline void bpfsh_slot_add(void *map, u32 slot)
    {
        u64 *value = bpf_map_lookup_elem(map, &slot);
        if (value)
            *value += 1;
    }

    static __always_inline u32 bpfsh_linear_slot(s64 v, s64 min, s64 max, u64 step, u32 last)
    {
        if (v < min)
            return 0;
        if (v >= max)
            return last;
        /* Unsigned division: BPF has no signed divide before cpu v4. */
        return (u32)((u64)(v - min) / step) + 1;
    }

    #define bpfsh_key_t(m) typeof(*(m).key)
    #define bpfsh_value_t(m) typeof(*(m).value)

    /* The built-ins (Compiler/Builtins.swift is their one table). */
    \(Builtin.preludeDefinitions)

    /* Constants BTF cannot carry (it has no macros), as bpftrace and bcc users expect. */
    \(constants)

    #endif
    """

    /// The ring buffer and print(), emitted only into units whose code prints: a unit
    /// without them creates no ring buffer, and a session that never prints has none
    /// (8 MiB mapped twice by libbpf's reader).
    static let eventsMapDeclaration = """
    struct {
        __uint(type, BPF_MAP_TYPE_RINGBUF);
        __uint(max_entries, 4096 * 1024);
    } \(eventsMapName) SEC(".maps");
    """

    static let printSupport = """

    /* Set by the shell while `set timestamps` is on: reading the clock costs every
       print() a helper call, which at a million lines a second is worth skipping. */
    int bpfsh_stamp_events SEC("\(CUnitBuilder.timestampSection)") = 0;

    /* Waking the reader for every record costs the traced task more than the record
       itself: wake it at most every 10 ms, or when 1 MiB waits. The reader also drains
       on its own timer, so the tail of a burst is never stranded. */
    static u64 bpfsh_last_wakeup;
    static __always_inline u64 bpfsh_wakeup_flags(void)
    {
        u64 now = bpf_ktime_get_ns();
        if (now - bpfsh_last_wakeup > 10000000ULL ||
            bpf_ringbuf_query(&bpfsh_events, BPF_RB_AVAIL_DATA) > (1 << 20)) {
            bpfsh_last_wakeup = now;
            return BPF_RB_FORCE_WAKEUP;
        }
        return BPF_RB_NO_WAKEUP;
    }

    /* print(): formatted in the kernel by bpf_snprintf into a ring buffer record. Each
       argument is kept in a local of its own (so a string struct's bytes live until the
       call) and passed as bpf_snprintf wants it: str_t and comm_t as the address of
       their text, numbers and pointers as they are. */
    struct bpfsh_stack_note { s32 kstack; s32 ustack; u32 upid; };
    #define bpfsh_stack_kind(v) _Generic((v), kstack_t: 1, ustack_t: 2, default: 0)
    /* The kind is a constant: only the matching branch stays after inlining. */
    static __always_inline void bpfsh_note_stack(struct bpfsh_stack_note *note, const void *value, int kind)
    {
        if (kind == 1)
            note->kstack = ((const kstack_t *)value)->kstack_id;
        if (kind == 2) {
            note->ustack = ((const ustack_t *)value)->ustack_id;
            note->upid = ((const ustack_t *)value)->pid;
        }
    }

    static __always_inline void bpfsh_print_record(const char *fmt, u32 fmt_size, u64 *data, u32 data_size,
                                                   const struct bpfsh_stack_note *stacks)
    {
        struct bpfsh_event *e = bpf_ringbuf_reserve(&bpfsh_events, sizeof(struct bpfsh_event), 0);
        if (!e) {
            bpfsh_counter_add(\(lostEventsSlot), 1);
            return;
        }
        e->probe = bpfsh_probe_id;
        e->ts = *(volatile int *)&bpfsh_stamp_events ? bpf_ktime_get_ns() : 0;
        e->kstack = stacks->kstack;
        e->ustack = stacks->ustack;
        e->upid = stacks->upid;
        e->unused = 0;
        long n = bpf_snprintf(e->text, sizeof(e->text), fmt, data, data_size);
        e->length = n > 0 ? (u32)n : 0;
        bpf_ringbuf_submit(e, bpfsh_wakeup_flags());
    }
    #define bpfsh_is_text(v) (__builtin_types_compatible_p(typeof(v), str_t) || \\
        __builtin_types_compatible_p(typeof(v), comm_t))
    #define bpfsh_print_arg(v) __builtin_choose_expr(bpfsh_is_text(v), (u64)(unsigned long)(void *)&(v), \\
        __builtin_choose_expr(bpfsh_stack_kind(v) != 0, (u64)(unsigned long)"", \\
        bpfsh_scalar_u64(&(v), sizeof(v), bpfsh_is_signed(v))))
    #define bpfsh_print_keep(i, v) __auto_type ___a##i = (v); \\
        bpfsh_note_stack(&___stacks, &___a##i, bpfsh_stack_kind(___a##i)); \\
        _Static_assert(bpfsh_is_text(___a##i) || sizeof(___a##i) <= 8, \\
                       "print() arguments are numbers, pointers, str_t or comm_t"); \\
        _Static_assert(!__builtin_types_compatible_p(typeof(___a##i), bpfsh_data_loc_t), \\
                       "a __data_loc field is a string in the tracepoint record: print it with str(args->FIELD)");
    \(printArityMacros)
    #define print(...) bpfsh_by_arity13(__VA_ARGS__, bpfsh_print12, bpfsh_print11, bpfsh_print10, bpfsh_print9, \\
        bpfsh_print8, bpfsh_print7, bpfsh_print6, bpfsh_print5, bpfsh_print4, bpfsh_print3, bpfsh_print2, \\
        bpfsh_print1, bpfsh_print0)(__VA_ARGS__)
    """

    /// join(argv): the strings of a user-space argument vector joined by spaces, in a
    /// per-CPU buffer (too big for the 512-byte stack), for print("%s", join(args->argv)).
    /// Each argument is read at a masked offset in the buffer's first half with at most
    /// 256 bytes, so the verifier sees every write inside its 1024 bytes.
    static let joinSupport = """
    struct {
        __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
        __uint(max_entries, 1);
        __type(key, u32);
        __type(value, char[1024]);
    } bpfsh_join_buffer SEC(".maps");

    static __always_inline const char *bpfsh_join(const void *vector)
    {
        u32 zero = 0, offset = 0;
        char *buffer = bpf_map_lookup_elem(&bpfsh_join_buffer, &zero);
        if (!buffer)
            return "";
        buffer[0] = 0;
        const char *const *argv = vector;
        for (int i = 0; i < 16; i++) {
            const char *argument = 0;
            if (bpf_probe_read_user(&argument, sizeof(argument), &argv[i]) || !argument)
                break;
            long n = bpf_probe_read_user_str(buffer + (offset & 511), 256, argument);
            if (n <= 0)
                break;
            offset = (offset & 511) + (u32)n;
            buffer[(offset - 1) & 1023] = ' ';
            if (offset >= 512)
                break;
        }
        if (offset > 0)
            buffer[(offset - 1) & 1023] = 0;
        return buffer;
    }
    #define join(vector) bpfsh_join((const void *)(vector))
    """

    /// bpfsh_printN(fmt, a0 … aN-1) for N = 0…12 (bpf_snprintf takes at most 12 values).
    static let printArityMacros: String = (0...12).map { count -> String in
        let names = (0..<count).map { "a\($0)" }
        let keep = names.enumerated().map { "bpfsh_print_keep(\($0.offset), \($0.element)) " }.joined()
        let values = (0..<count).map { "bpfsh_print_arg(___a\($0))" }.joined(separator: ", ")
        let call = count == 0 ? "bpfsh_print_record(___fmt, sizeof(___fmt), 0, 0, &___stacks);"
            : "u64 ___p[\(count)] = { \(values) }; bpfsh_print_record(___fmt, sizeof(___fmt), ___p, sizeof(___p), &___stacks);"
        let stacks = "struct bpfsh_stack_note ___stacks = { -1, -1, 0 }; "
        return "#define bpfsh_print\(count)(\((["fmt"] + names).joined(separator: ", "))) ({ static const char ___fmt[] = fmt; \(stacks)\(keep)\(call) })"
    }.joined(separator: "\n")

    static let constants: String = {
        let table: [(String, Int)] = [
            ("O_RDONLY", 0), ("O_WRONLY", 0o1), ("O_RDWR", 0o2), ("O_CREAT", 0o100), ("O_EXCL", 0o200),
            ("O_NOCTTY", 0o400), ("O_TRUNC", 0o1000), ("O_APPEND", 0o2000), ("O_NONBLOCK", 0o4000),
            ("O_DSYNC", 0o10000), ("O_DIRECT", 0o40000), ("O_LARGEFILE", 0o100000), ("O_DIRECTORY", 0o200000),
            ("O_NOFOLLOW", 0o400000), ("O_NOATIME", 0o1000000), ("O_CLOEXEC", 0o2000000), ("O_PATH", 0o10000000),
            ("O_TMPFILE", 0o20200000),
            ("AF_UNSPEC", 0), ("AF_UNIX", 1), ("AF_INET", 2), ("AF_INET6", 10), ("AF_NETLINK", 16), ("AF_PACKET", 17),
            ("TASK_RUNNING", 0), ("TASK_INTERRUPTIBLE", 1), ("TASK_UNINTERRUPTIBLE", 2), ("__TASK_STOPPED", 4),
            ("__TASK_TRACED", 8), ("EXIT_DEAD", 16), ("EXIT_ZOMBIE", 32), ("TASK_DEAD", 128),
            ("EPERM", 1), ("ENOENT", 2), ("ESRCH", 3), ("EINTR", 4), ("EIO", 5), ("ENXIO", 6), ("E2BIG", 7),
            ("ENOEXEC", 8), ("EBADF", 9), ("ECHILD", 10), ("EAGAIN", 11), ("ENOMEM", 12), ("EACCES", 13),
            ("EFAULT", 14), ("EBUSY", 16), ("EEXIST", 17), ("EXDEV", 18), ("ENODEV", 19), ("ENOTDIR", 20),
            ("EISDIR", 21), ("EINVAL", 22), ("ENFILE", 23), ("EMFILE", 24), ("ENOTTY", 25), ("EFBIG", 27),
            ("ENOSPC", 28), ("ESPIPE", 29), ("EROFS", 30), ("EMLINK", 31), ("EPIPE", 32), ("ERANGE", 34),
            ("EDEADLK", 35), ("ENAMETOOLONG", 36), ("ENOSYS", 38), ("ENOTEMPTY", 39), ("ELOOP", 40),
            ("ENOTSOCK", 88), ("EOPNOTSUPP", 95), ("EADDRINUSE", 98), ("EADDRNOTAVAIL", 99),
            ("ENETUNREACH", 101), ("ECONNABORTED", 103), ("ECONNRESET", 104), ("ETIMEDOUT", 110),
            ("ECONNREFUSED", 111), ("EALREADY", 114), ("EINPROGRESS", 115),
            ("PAGE_SIZE", 4096), ("PAGE_SHIFT", 12),
        ]
        return table.map { "#ifndef \($0.0)\n#define \($0.0) \($0.1)\n#endif" }.joined(separator: "\n")
    }()
}
