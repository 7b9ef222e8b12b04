/// Every log metadata key the executable's pieces use, in one place so dashboards can rely on them.
enum AppLogKey {
    static let bootstrap = "bootstrap"
    static let partitions = "partitions"
    static let signal = "signal"
    static let topics = "topics"
}
