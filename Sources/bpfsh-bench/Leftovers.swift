import ProcessKit

/// Programs and maps that appeared during the run and that no live process holds:
/// something we started did not release what it loaded.
struct Leftovers {
    var programs: Set<Int> = []
    var maps: Set<Int> = []
    var isEmpty: Bool { programs.isEmpty && maps.isEmpty }

    struct Snapshot {
        let programs = KernelObjects.programIDs()
        let maps = KernelObjects.mapIDs()
    }

    /// Compares the kernel with `before`; polls for up to 5 s, as the kernel frees
    /// programs after an RCU grace period once the last reference is gone.
    static func since(_ before: Snapshot) -> Leftovers {
        var left = Leftovers()
        for _ in 0..<50 {
            let held = KernelObjects.heldIDs()
            left.programs = KernelObjects.programIDs().subtracting(before.programs).subtracting(held.programs)
            left.maps = KernelObjects.mapIDs().subtracting(before.maps).subtracting(held.maps)
            if left.isEmpty { break }
            pause(0.1)
        }
        return left
    }
}
