/// The color of a blue-green deployment: which of the two worker fleets a worker belongs to.
///
/// Lives in the domain so that the configuration, the worker and the cutover compare cases, not
/// strings; its raw value is what PostgreSQL (`CHECK (... IN ('blue', 'green'))`), the Kafka
/// group id, `application_name` and the metric labels hold.
public enum DeploymentColor: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case blue, green

    /// The other color: where a rollback goes, which color an abort takes partitions from.
    public var other: DeploymentColor {
        switch self {
        case .blue: .green
        case .green: .blue
        }
    }

    public var description: String { rawValue }
}
