import CLZMA

/// Decompresses an xz stream with liblzma (MiniDebugInfo is one).
enum XZDecoder {
    /// The decompressed bytes, or nil for a corrupt stream or one larger than `limit`.
    static func decode(_ input: [UInt8], limit: Int = 256 << 20) -> [UInt8]? {
        var stream = lzma_stream() // all zeroes: what LZMA_STREAM_INIT spells out
        guard lzma_stream_decoder(&stream, UInt64.max, 0) == LZMA_OK else { return nil }
        defer { lzma_end(&stream) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        return input.withUnsafeBufferPointer { source -> [UInt8]? in
            stream.next_in = source.baseAddress
            stream.avail_in = source.count
            while true {
                let result = chunk.withUnsafeMutableBufferPointer { buffer -> lzma_ret in
                    stream.next_out = buffer.baseAddress
                    stream.avail_out = buffer.count
                    return lzma_code(&stream, LZMA_FINISH)
                }
                output.append(contentsOf: chunk[0..<(chunk.count - stream.avail_out)])
                guard output.count <= limit else { return nil }
                if result == LZMA_STREAM_END { return output }
                guard result == LZMA_OK else { return nil }
            }
        }
    }
}
