import Kafka
import OrderStreamWorker
import Testing

/// Where `offsets reset` moves each partition, without I/O.
struct OffsetResetPlanTests {
    static let a = TopicPartition(topic: "orders", partition: 0)
    static let b = TopicPartition(topic: "orders", partition: 1)
    static let positions: [TopicPartition: Int64] = [a: 50, b: 10]
    static let marks: [TopicPartition: KafkaWatermarks] = [a: .init(low: 20, high: 100), b: .init(low: 0, high: 10)]

    static func plan(
        _ target: OffsetResetPlan.Target, time: [TopicPartition: Int64] = [:]
    )
        -> Result<OffsetResetPlan, OffsetResetPlan.Failure>
    {
        OffsetResetPlan.plan(target, partitions: [b, a], positions: positions, watermarks: marks, timeOffsets: time)
    }

    @Test func anAbsoluteOffsetOutsideTheLogRefusesTheWholePlan() throws {
        #expect(Self.plan(.offset(10)) == .failure(.belowLogStart(Self.a, offset: 10, logStart: 20)))
        #expect(Self.plan(.offset(101)) == .failure(.beyondLogEnd(Self.a, offset: 101, logEnd: 100)))
        #expect(Self.plan(.offset(50)) == .failure(.beyondLogEnd(Self.b, offset: 50, logEnd: 10)))
        let within = try OffsetResetPlan.plan(
            .offset(60), partitions: [Self.a], positions: Self.positions, watermarks: Self.marks
        ).get()
        #expect(within.moves == [.init(partition: Self.a, from: 50, to: 60, note: nil)])
        #expect(within.moves[0].delta == 10)
        let both = try OffsetResetPlan.plan(
            .offset(10), partitions: [Self.b, Self.a], positions: Self.positions,
            watermarks: [Self.a: .init(low: 0, high: 100), Self.b: .init(low: 0, high: 10)]
        ).get()
        #expect(both.moves.map(\.partition) == [Self.a, Self.b])
        #expect(both.moves.map(\.delta) == [-40, 0])
    }

    @Test func aShiftIsClampedToTheLogAndSaysSo() throws {
        let back = try Self.plan(.shift(-40)).get()
        #expect(
            back.moves.first { $0.partition == Self.a }
                == .init(partition: Self.a, from: 50, to: 20, note: "clamped to the log start"))
        #expect(
            back.moves.first { $0.partition == Self.b }
                == .init(partition: Self.b, from: 10, to: 0, note: "clamped to the log start"))
        let forward = try Self.plan(.shift(5)).get()
        #expect(forward.moves.first { $0.partition == Self.a }?.to == 55)
        #expect(
            forward.moves.first { $0.partition == Self.b }
                == .init(partition: Self.b, from: 10, to: 10, note: "clamped to the log end"))
        let huge = try Self.plan(.shift(.max)).get()
        #expect(huge.moves.first { $0.partition == Self.a }?.to == 100)
        let hugeBack = try Self.plan(.shift(.min)).get()
        #expect(hugeBack.moves.first { $0.partition == Self.a }?.to == 20)
    }

    @Test func aTimeUsesKafkasAnswerAndTheEndWhenEveryEventIsOlder() throws {
        let plan = try Self.plan(.time(millisecondsSince1970: 1), time: [Self.a: 30, Self.b: -1]).get()
        #expect(plan.moves.first { $0.partition == Self.a }?.to == 30)
        #expect(
            plan.moves.first { $0.partition == Self.b }
                == .init(
                    partition: Self.b, from: 10, to: 10, note: "no event at or after the time: the log end"))
        #expect(Self.plan(.time(millisecondsSince1970: 1), time: [Self.a: 30]) == .failure(.noTimeOffset(Self.b)))
    }

    @Test func aPartitionWithoutPositionOrWatermarksRefusesThePlan() {
        let c = TopicPartition(topic: "payments", partition: 3)
        #expect(
            OffsetResetPlan.plan(.shift(1), partitions: [c], positions: Self.positions, watermarks: Self.marks)
                == .failure(.noPosition(c)))
        #expect(
            OffsetResetPlan.plan(.shift(1), partitions: [Self.a], positions: Self.positions, watermarks: [:])
                == .failure(.noWatermarks(Self.a)))
        #expect("\(OffsetResetPlan.Failure.noPosition(c))".contains("payments[3] has no position"))
        #expect("\(OffsetResetPlan.Target.shift(-3))" == "--shift -3")
    }
}
