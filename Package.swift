// swift-tools-version:6.2
// OrderStream: a Kafka -> PostgreSQL event worker.
//
// The target graph is the architecture, lowest layer first:
//   OrderStreamCommon       helpers every layer shares: secret masking, Duration, retry backoff,
//                           the one blocking bridge (Blocking) and DedicatedThread
//   CRdKafka, CLibPQ        C shims (system libraries from Debian's -dev packages)
//   Kafka, PostgreSQL       thin wrappers, the only code that imports C
//   OrderStreamDomain       events, validation, order state, KPIs: pure, no I/O
//   OrderStreamLoadGen      deterministic synthetic event streams (`orderstream loadgen`, tests)
//   OrderStreamWorker       the runtime: consume loop, batches, apply, drain, rebalance, cutover
//   OrderStreamPublisher    the library for Swift services that publish events (Kafka + domain only)
//   OrderStreamApp          the executable's pieces: CLI, configuration, HTTP, metrics exposition
//   orderstream             `main`, nothing else
import PackageDescription

/// Settings shared by every Swift target: Swift 6 mode with strict concurrency is the default
/// for tools 6.x; existentials are spelled `any`; a warning is an error in our own targets (never
/// in the dependencies', which this setting does not reach).
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .treatAllWarnings(as: .error),
]

let package = Package(
    name: "OrderStream",
    products: [
        .executable(name: "orderstream", targets: ["orderstream"]),
        // For Swift services: typed events, validated by the contract's own validator before
        // they are sent, through an idempotent producer with back-pressure.
        .library(name: "OrderStreamPublisher", targets: ["OrderStreamPublisher"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // C shims.
        .systemLibrary(
            name: "CRdKafka",
            pkgConfig: "rdkafka",
            providers: [.apt(["librdkafka-dev"])]
        ),
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),

        // Helpers every layer shares (secret masking, connection-string passwords, Duration
        // conversions, retry backoff, the one blocking bridge and its lock): pure Swift, no
        // dependencies, below the wrappers.
        .target(
            name: "OrderStreamCommon",
            swiftSettings: swiftSettings
        ),

        // Thin wrappers: the only targets that import C.
        .target(
            name: "Kafka",
            dependencies: [
                "CRdKafka",
                "OrderStreamCommon",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "PostgreSQL",
            dependencies: [
                "CLibPQ",
                "OrderStreamCommon",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // The domain: pure and fast, testable without a broker or a database.
        .target(
            name: "OrderStreamDomain",
            swiftSettings: swiftSettings
        ),

        // The load generator: deterministic synthetic event streams for `orderstream loadgen`
        // and the tests (not part of the worker).
        .target(
            name: "OrderStreamLoadGen",
            dependencies: ["OrderStreamDomain"],
            swiftSettings: swiftSettings
        ),

        // The publishing library: depends on Kafka and the domain only (never on the worker,
        // HTTP or PostgreSQL), so a service pulls in no more than it needs.
        .target(
            name: "OrderStreamPublisher",
            dependencies: [
                "Kafka",
                "OrderStreamCommon",
                "OrderStreamDomain",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // A tiny service using the library (also the library's throughput benchmark).
        .executableTarget(
            name: "PublisherExample",
            dependencies: ["OrderStreamPublisher", "OrderStreamDomain"],
            path: "Examples/PublisherExample",
            swiftSettings: swiftSettings
        ),

        // The worker runtime.
        .target(
            name: "OrderStreamWorker",
            dependencies: [
                "Kafka",
                "PostgreSQL",
                "OrderStreamCommon",
                "OrderStreamDomain",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [
                .embedInCode("Migrations/m0001_schema.sql"),
                .embedInCode("Migrations/m0002_cutover.sql"),
                .embedInCode("Migrations/m0003_deployment.sql"),
                .embedInCode("Migrations/m0004_restore_points.sql"),
                .embedInCode("Migrations/m0005_operations.sql"),
                .embedInCode("Migrations/m0006_dlq_replays.sql"),
                .embedInCode("Migrations/m0007_canary.sql"),
                .embedInCode("Migrations/m0008_member_columns.sql"),
            ],
            swiftSettings: swiftSettings
        ),

        // The executable's pieces, in a library so that tests can reach them.
        .target(
            name: "OrderStreamApp",
            dependencies: [
                "Kafka",
                "PostgreSQL",
                "OrderStreamCommon",
                "OrderStreamDomain",
                "OrderStreamLoadGen",
                "OrderStreamWorker",
                "OrderStreamPublisher",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Yams", package: "Yams"),
            ],
            resources: [
                // The operator console, compiled into the binary.
                .embedInCode("Console/Assets/index.html"),
                .embedInCode("Console/Assets/console.js"),
                .embedInCode("Console/Assets/console.css"),
                .embedInCode("Console/Assets/favicon.svg"),
            ],
            swiftSettings: swiftSettings,
            plugins: ["BuildRevisionPlugin"]
        ),
        // Records the git revision of the build for `orderstream --version` and /metrics.
        .plugin(name: "BuildRevisionPlugin", capability: .buildTool()),
        .executableTarget(
            name: "orderstream",
            dependencies: [
                "OrderStreamApp",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),

        // libFuzzer target for the JSON parser and the validator (outside Sources/, so not in
        // coverage). Run it with `scripts/fuzz.sh SECONDS`.
        .executableTarget(
            name: "OrderStreamFuzz",
            dependencies: ["OrderStreamDomain"],
            path: "Fuzz/OrderStreamFuzz",
            swiftSettings: swiftSettings
        ),

        // Helpers shared by the tests (real PostgreSQL, embedded broker, processes) and the
        // reference model, the oracle the worker's results are compared with.
        .target(
            name: "OrderStreamTestSupport",
            dependencies: ["Kafka", "PostgreSQL", "OrderStreamWorker", "OrderStreamDomain", "OrderStreamLoadGen"],
            path: "Tests/Support",
            swiftSettings: swiftSettings
        ),

        // Tests, one target per layer.
        .testTarget(
            name: "OrderStreamCommonTests",
            dependencies: ["OrderStreamCommon"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "KafkaTests",
            dependencies: ["Kafka", "OrderStreamTestSupport", "OrderStreamCommon"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PostgreSQLTests",
            dependencies: ["PostgreSQL", "OrderStreamTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "OrderStreamDomainTests",
            dependencies: ["OrderStreamDomain", "OrderStreamLoadGen", "OrderStreamTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "OrderStreamPublisherTests",
            dependencies: ["OrderStreamPublisher", "OrderStreamDomain", "Kafka", "OrderStreamTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "OrderStreamWorkerTests",
            dependencies: [
                "OrderStreamWorker", "OrderStreamDomain", "Kafka", "PostgreSQL", "OrderStreamTestSupport",
                "OrderStreamLoadGen", "OrderStreamCommon",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "OrderStreamAppTests",
            dependencies: [
                "OrderStreamApp", "OrderStreamWorker", "OrderStreamDomain", "Kafka", "PostgreSQL",
                "OrderStreamTestSupport",
                "OrderStreamCommon", "OrderStreamLoadGen",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
