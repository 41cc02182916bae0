import Foundation

/// print() records drained into the output, and the runtime problems (lost records,
/// full maps) reported since the last look.
extension Session {
    /// The descriptor that becomes readable when print() records wait (nil before the first).
    var eventFD: Int32? { backend.eventDescriptor }

    /// Drains records into the output buffer without flushing and collects new warnings;
    /// nil when there is nothing to show, so the caller only clears the edit line when needed.
    func drainEventsBuffered() -> [OutputItem]? {
        let consumed = backend.drainEvents()
        snapshotStackProcesses()
        publishMetrics()
        let problems = collectRuntimeProblems()
        return consumed > 0 || !problems.isEmpty ? problems : nil
    }

    /// Writes any print() output waiting in the ring buffer, and reports lost records
    /// and failed map updates since the last look.
    public func drainEvents() {
        backend.drainEvents()
        snapshotStackProcesses()
        reportRuntimeProblems()
        publishMetrics()
    }

    func reportRuntimeProblems() {
        collectRuntimeProblems().forEach(show)
    }

    /// Lost print() records and dropped map updates since the last look.
    func collectRuntimeProblems() -> [OutputItem] {
        var warnings: [OutputItem] = []
        let lost = backend.lostEvents
        if lost > reportedLost {
            warnings.append(.lost(count: lost - reportedLost))
            reportedLost = lost
        }
        for map in maps {
            let failures = backend.failedUpdates(of: map.handle)
            if failures > map.reportedFailures {
                warnings.append(.warning("map '\(map.decl.name)' is full (\(map.maxEntries) entries): \(failures - map.reportedFailures) updates were dropped; declare it with a larger 'size'"))
                map.reportedFailures = failures
            }
        }
        return warnings
    }
}
