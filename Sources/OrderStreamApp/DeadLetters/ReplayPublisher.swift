import Dispatch
import Foundation
import Kafka
import OrderStreamCommon
import OrderStreamWorker
import Synchronization

/// Re-publishes a replay plan's messages at most `rate` per second and waits for every
/// delivery report. Blocking (it paces with sleeps and waits for the broker): run it through
/// `Blocking.run`, never on the cooperative pool.
struct ReplayPublisher {
    let producer: KafkaProducer
    let rate: ReplayRate?

    /// One outcome per item, in the plan's order.
    func publish(_ items: [ReplayPlan.Item]) -> [ReplayLog.Outcome] {
        let results = Mutex<[Int: (target: String?, result: String)]>([:])
        let group = DispatchGroup()
        let start = ContinuousClock.now
        for (index, item) in items.enumerated() {
            if let rate {
                let due = start + rate.delay(before: index)
                let wait = due - ContinuousClock.now
                if wait > .zero { Thread.sleep(forTimeInterval: wait.seconds) }
            }
            group.enter()
            do {
                try producer.send(item.message) { delivery in
                    let outcome: (target: String?, result: String)
                    switch delivery {
                    case .success(let report):
                        outcome = ("\(report.topic):\(report.partition):\(report.offset)", "published")
                    case .failure(let error): outcome = (nil, "not delivered: \(error)")
                    }
                    results.withLock { $0[index] = outcome }
                    group.leave()
                }
            } catch {
                results.withLock { $0[index] = (nil, "not sent: \(error)") }
                group.leave()
            }
        }
        group.wait()
        let collected = results.withLock { $0 }
        return items.enumerated().map { index, item in
            let outcome = collected[index] ?? (nil, "no delivery report")
            return ReplayLog.Outcome(item: item, target: outcome.target, result: outcome.result)
        }
    }
}
