import CLibCrypto
import CZMQ
import Foundation

/// The connection file Jupyter writes for a kernel: where to bind and how to sign.
struct JupyterConnection: Decodable {
    var transport: String
    var ip: String
    var shellPort: Int
    var iopubPort: Int
    var stdinPort: Int
    var controlPort: Int
    var hbPort: Int
    var key: String
    var signatureScheme: String

    enum CodingKeys: String, CodingKey {
        case transport, ip, key
        case shellPort = "shell_port", iopubPort = "iopub_port", stdinPort = "stdin_port"
        case controlPort = "control_port", hbPort = "hb_port", signatureScheme = "signature_scheme"
    }

    func address(_ port: Int) -> String { "\(transport)://\(ip):\(port)" }
}

/// HMAC-SHA256 of a message's four JSON parts with the connection's key, in hex, as the
/// wire protocol asks; an empty key means unsigned messages.
struct MessageSigner {
    let key: [UInt8]

    func signature(_ parts: [[UInt8]]) -> String {
        guard !key.isEmpty else { return "" }
        let data = parts.flatMap { $0 }
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        _ = key.withUnsafeBytes { keyBytes in
            data.withUnsafeBytes { dataBytes in
                HMAC(EVP_sha256(), keyBytes.baseAddress, Int32(key.count), dataBytes.baseAddress?.assumingMemoryBound(to: UInt8.self),
                     data.count, &digest, &length)
            }
        }
        return digest.prefix(Int(length)).map { String(format: "%02x", $0) }.joined()
    }

    /// Compared in constant time: a forged signature learns nothing from the timing.
    func verifies(_ signature: [UInt8], _ parts: [[UInt8]]) -> Bool {
        guard !key.isEmpty else { return true }
        let expected = Array(self.signature(parts).utf8)
        guard expected.count == signature.count else { return false }
        return CRYPTO_memcmp(expected, signature, expected.count) == 0
    }
}

/// One Jupyter message: the routing identities, then header, parent header, metadata
/// and content as JSON objects.
struct JupyterMessage {
    var identities: [[UInt8]]
    var header: [String: Any]
    var parentHeader: [String: Any]
    var metadata: [String: Any]
    var content: [String: Any]

    var type: String { header["msg_type"] as? String ?? "" }

    static let delimiter = Array("<IDS|MSG>".utf8)

    enum DecodeError: Error { case noDelimiter, badSignature, badJSON }

    /// Frames: identities…, "<IDS|MSG>", signature, header, parent, metadata, content, buffers…
    static func decode(_ frames: [[UInt8]], signer: MessageSigner) throws -> JupyterMessage {
        guard let split = frames.firstIndex(of: delimiter), frames.count >= split + 6 else { throw DecodeError.noDelimiter }
        let parts = Array(frames[(split + 2)..<(split + 6)])
        guard signer.verifies(frames[split + 1], parts) else { throw DecodeError.badSignature }
        let objects = try parts.map { part -> [String: Any] in
            guard let object = try? JSONSerialization.jsonObject(with: Data(part)) as? [String: Any] else { throw DecodeError.badJSON }
            return object
        }
        return JupyterMessage(identities: Array(frames[..<split]), header: objects[0], parentHeader: objects[1],
                              metadata: objects[2], content: objects[3])
    }

    /// A reply or broadcast to `parent`, signed.
    static func frames(type: String, content: [String: Any], parent: JupyterMessage?, identities: [[UInt8]],
                       session: String, signer: MessageSigner) -> [[UInt8]] {
        let encoded = Array((try? JSONSerialization.data(withJSONObject: content, options: [.sortedKeys])) ?? Data("{}".utf8))
        return frames(type: type, encodedContent: encoded, parent: parent, identities: identities, session: session, signer: signer)
    }

    /// The same with content already encoded as JSON.
    static func frames(type: String, encodedContent: [UInt8], parent: JupyterMessage?, identities: [[UInt8]],
                       session: String, signer: MessageSigner) -> [[UInt8]] {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let header: [String: Any] = ["msg_id": UUID().uuidString, "session": session, "username": "bpfsh",
                                     "date": formatter.string(from: Date()), "msg_type": type, "version": "5.3"]
        let parts = [header, parent?.header ?? [:], [String: Any]()].map { object -> [UInt8] in
            Array((try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8))
        } + [encodedContent]
        return identities + [delimiter, Array(signer.signature(parts).utf8)] + parts
    }
}

/// A ZeroMQ socket, owned: closed in `close()`.
final class ZMQSocket {
    private(set) var handle: UnsafeMutableRawPointer?

    init(context: UnsafeMutableRawPointer, type: Int32, address: String) throws {
        guard let socket = zmq_socket(context, type) else { throw JupyterError.zmq("socket", zmq_errno()) }
        var linger: Int32 = 0
        zmq_setsockopt(socket, ZMQ_LINGER, &linger, MemoryLayout<Int32>.size)
        guard zmq_bind(socket, address) == 0 else {
            let code = zmq_errno()
            zmq_close(socket)
            throw JupyterError.zmq("bind \(address)", code)
        }
        handle = socket
    }

    /// All frames of one message (nil when nothing waits and `wait` is false).
    func receive(wait: Bool = false) -> [[UInt8]]? {
        guard let handle else { return nil }
        var frames: [[UInt8]] = []
        while true {
            var message = zmq_msg_t()
            zmq_msg_init(&message)
            defer { zmq_msg_close(&message) }
            guard zmq_msg_recv(&message, handle, wait || !frames.isEmpty ? 0 : Int32(ZMQ_DONTWAIT)) >= 0 else { return nil }
            let size = zmq_msg_size(&message)
            let data = zmq_msg_data(&message).map { Array(UnsafeRawBufferPointer(start: $0, count: size)) } ?? []
            frames.append(data)
            if zmq_msg_more(&message) == 0 { return frames }
        }
    }

    func send(_ frames: [[UInt8]]) {
        guard let handle else { return }
        for (index, frame) in frames.enumerated() {
            let flags = index < frames.count - 1 ? Int32(ZMQ_SNDMORE) : 0
            _ = frame.withUnsafeBytes { zmq_send(handle, $0.baseAddress, frame.count, flags) }
        }
    }

    func close() {
        if let handle { zmq_close(handle) }
        handle = nil
    }
}

enum JupyterError: Error, CustomStringConvertible {
    case zmq(String, Int32)
    case connectionFile(String)

    var description: String {
        switch self {
        case let .zmq(what, code): return "ZeroMQ \(what) failed: \(String(cString: zmq_strerror(code)))"
        case let .connectionFile(reason): return reason
        }
    }
}
