import Foundation
import OrderStreamCommon
import OrderStreamTestSupport
import Synchronization

@testable import Kafka

/// A consumer on its own polling thread, as the worker will run it: subscribe, poll
/// until told to stop, then close on the same thread (the final revoke runs there).
final class ConsumerRunner: Sendable {
    let consumer: KafkaConsumer
    let handler: RecordingRebalanceHandler
    let messages = LockedValue<[KafkaMessage]>([])
    let count = Atomic<Int>(0)
    private let topics: [String]
    private let stopRequested = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)
    let pollError = LockedValue<KafkaError?>(nil)

    init(configuration: KafkaConfiguration, topics: [String], explicitOffsets: [TopicPartition: Int64] = [:]) throws {
        let handler = RecordingRebalanceHandler(explicitOffsets: explicitOffsets)
        self.handler = handler
        let consumer = try KafkaConsumer(
            configuration: configuration, rebalanceHandler: handler, logger: TestEnvironment.logger("consumer"))
        handler.consumer.withLock { $0 = consumer }
        self.consumer = consumer
        self.topics = topics
    }

    func start() {
        let thread = Thread { [self] in
            do {
                try consumer.subscribe(topics: topics)
                while !stopRequested.load(ordering: .acquiring) {
                    let batch = try consumer.poll(maxMessages: 10_000, timeout: .milliseconds(100))
                    if !batch.isEmpty {
                        handler.observe(batch)
                        messages.withLock { $0.append(contentsOf: batch) }
                        count.add(batch.count, ordering: .releasing)
                    }
                }
            } catch let error as KafkaError {
                pollError.withLock { $0 = error }
            } catch {}
            consumer.close()
            handler.consumer.withLock { $0 = nil }
            finished.signal()
        }
        thread.name = "test-consumer-poll"
        thread.start()
    }

    /// Stops polling and closes (leaving the group); waits at most `timeout`.
    func stop(timeout: Duration = .seconds(30)) async -> Bool {
        stopRequested.store(true, ordering: .releasing)
        let finished = self.finished
        return await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                let ok =
                    finished.wait(timeout: .now() + .milliseconds(Int(timeout.components.seconds * 1000))) == .success
                continuation.resume(returning: ok)
            }
        }
    }

    var assignedSet: Set<TopicPartition> {
        Set((try? consumer.assignment()) ?? [])
    }
}
