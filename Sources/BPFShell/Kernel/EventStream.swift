import CLibBPF
import Foundation

/// Drains print() records from the session's ring buffer.
/// The corresponding libbpf function is `ring_buffer__new`.
public final class EventStream {
    /// Called for each record (its text is valid only during the call).
    public typealias Handler = (_ record: EventRecord) -> Void
    /// struct bpfsh_event: u32 probe, u32 length, u64 ts, s32 kstack, s32 ustack,
    /// u32 upid, u32 unused, then the text.
    static let headerSize = 32
    private var ring: OpaquePointer?
    private let handler: Handler

    public init(mapFD: Int32, handler: @escaping Handler) throws(KernelError) {
        self.handler = handler
        let context = Unmanaged.passUnretained(self).toOpaque()
        let callback: ring_buffer_sample_fn = { context, data, size in
            guard let context, let data, size >= EventStream.headerSize else { return 0 }
            let stream = Unmanaged<EventStream>.fromOpaque(context).takeUnretainedValue()
            let probe = data.loadUnaligned(as: UInt32.self)
            let length = Int(data.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
            // bpf_snprintf's count includes the NUL; never read past the record.
            let usable = min(max(length - 1, 0), size - EventStream.headerSize)
            stream.handler(EventRecord(probeNumber: Int(probe), nanoseconds: data.loadUnaligned(fromByteOffset: 8, as: UInt64.self),
                                       kernelStack: data.loadUnaligned(fromByteOffset: 16, as: Int32.self),
                                       userStack: data.loadUnaligned(fromByteOffset: 20, as: Int32.self),
                                       userStackPID: data.loadUnaligned(fromByteOffset: 24, as: UInt32.self),
                                       text: UnsafeRawBufferPointer(start: data + EventStream.headerSize, count: usable)))
            return 0
        }
        LibBPF.clearLog()
        ring = try LibBPF.pointer(ring_buffer__new(mapFD, callback, context, nil), .openRingBuffer, "bpfsh_events")
    }

    /// Waits up to `timeoutMilliseconds` for records and hands each to the handler.
    /// Returns how many were consumed.
    @discardableResult
    public func poll(timeoutMilliseconds: Int32) -> Int {
        guard let ring else { return 0 }
        let result = ring_buffer__poll(ring, timeoutMilliseconds)
        return result > 0 ? Int(result) : 0
    }

    /// Consumes what is there without waiting.
    @discardableResult
    public func drain() -> Int {
        guard let ring else { return 0 }
        let result = ring_buffer__consume(ring)
        return result > 0 ? Int(result) : 0
    }

    public var epollFD: Int32 {
        guard let ring else { return -1 }
        return ring_buffer__epoll_fd(ring)
    }

    public func close() {
        if let ring { ring_buffer__free(ring) }
        ring = nil
    }

    deinit {
        assert(ring == nil, "EventStream released without close(): teardown missed it")
        close()
    }
}
