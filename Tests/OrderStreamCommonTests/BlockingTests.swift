import Foundation
import Testing

@testable import OrderStreamCommon

/// The one blocking bridge and its lock: waits end on a change or a deadline, never by polling.
struct BlockingTests {
    @Test func aWaitEndsWhenANotifyingChangeMakesThePredicateTrue() {
        let value = LockedValue(0)
        let thread = DedicatedThread(name: "test-notifier") {
            for _ in 0..<5 { value.withLockNotifying { $0 += 1 } }
        }
        #expect(value.wait(until: .now + .seconds(30)) { $0 == 5 })
        #expect(thread.join(until: .now + .seconds(30)))
    }

    @Test func aWaitGivesUpAtItsDeadline() {
        let value = LockedValue(false)
        let start = ContinuousClock.now
        #expect(!value.wait(until: start + .milliseconds(50)) { $0 })
        #expect(ContinuousClock.now - start >= .milliseconds(50))
    }

    @Test func aJoinReturnsFalseWhileTheBodyRunsAndTrueOnceItReturned() {
        let release = LockedValue(false)
        let thread = DedicatedThread(name: "test-joined") { release.wait { $0 } }
        #expect(!thread.join(until: .now + .milliseconds(20)))
        release.withLockNotifying { $0 = true }
        #expect(thread.join())
        #expect(thread.join(until: .now), "a later join returns at once")
    }

    struct Refused: Error, Equatable {}

    @Test func blockingRunReturnsAndRethrowsWithItsType() async {
        #expect(await Blocking.run { 6 * 7 } == 42)
        await #expect(throws: Refused()) {
            try await Blocking.run { () throws(Refused) -> Int in throw Refused() }
        }
    }

    @Test func blockingCallsDoNotQueueBehindEachOther() async {
        // Two calls that each wait for the other: a serial bridge (or one thread) would hang.
        let first = LockedValue(false)
        let second = LockedValue(false)
        async let a: Bool = Blocking.run {
            first.withLockNotifying { $0 = true }
            return second.wait(until: .now + .seconds(30)) { $0 }
        }
        async let b: Bool = Blocking.run {
            second.withLockNotifying { $0 = true }
            return first.wait(until: .now + .seconds(30)) { $0 }
        }
        let (ranA, ranB) = await (a, b)
        #expect(ranA && ranB)
    }

    @Test func detachRunsTheBodyInTheBackground() {
        let done = LockedValue(false)
        Blocking.detach { done.withLockNotifying { $0 = true } }
        #expect(done.wait(until: .now + .seconds(30)) { $0 })
    }
}
