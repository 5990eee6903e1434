import Foundation

/// The time source of the policy: monotonic nanoseconds, read synchronously and without allocating.
///
/// Why not swift-clocks (pointfreeco, issue 14 suggests it where it fits): its `TestClock` and
/// `ImmediateClock` drive `async` code that sleeps; the policy never sleeps, it reads the time inside
/// `Executor.run`'s synchronous decision closure, where a generic `any Clock` with `Duration`
/// arithmetic would cost existential boxing per decision and two more package dependencies. A
/// one-method protocol with a manual implementation gives tests the same control.
public protocol PolicyClock: AnyObject {
    /// Monotonic time in nanoseconds.
    func nanoseconds() -> UInt64
}

/// `CLOCK_MONOTONIC`.
public final class MonotonicClock: PolicyClock, @unchecked Sendable {
    public init() {}
    @inlinable public func nanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }
}

/// A clock that moves only when told: for tests and simulations.
public final class ManualClock: PolicyClock, @unchecked Sendable {
    public var now: UInt64
    public init(now: UInt64 = 0) { self.now = now }
    public func nanoseconds() -> UInt64 { now }
    public func advance(nanoseconds: UInt64) { now &+= nanoseconds }
    public func advance(seconds: Double) { now &+= UInt64(max(0, seconds) * 1e9) }
}
