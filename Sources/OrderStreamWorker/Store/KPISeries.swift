import OrderStreamDomain
import PostgreSQL

/// The KPIs minute by minute over a window (the console's charts): every minute of the window,
/// empty ones included, each a `KPISnapshot` built from the same buckets `/kpis` sums, so a
/// chart and the totals can never disagree.
public enum KPISeries {
    /// One minute of a series.
    public struct Minute: Sendable, Equatable {
        /// The minute's start, microseconds since the epoch (UTC).
        public var minuteMicros: Int64
        public var kpis: KPISnapshot
    }

    /// The longest window a series covers: a day of minutes.
    public static let maximumMinutes: Int64 = 1_440

    public static func minutes(window: KPIWindow, on connection: PGConnection) throws(PGError) -> [Minute] {
        let minuteMicros: Int64 = 60_000_000
        let count = Int((window.toMicros - window.fromMicros) / minuteMicros)
        var series = (0..<count).map {
            Minute(minuteMicros: window.fromMicros + Int64($0) * minuteMicros, kpis: KPISnapshot())
        }
        func index(_ micros: Int64) -> Int? {
            let position = Int((micros - window.fromMicros) / minuteMicros)
            return series.indices.contains(position) ? position : nil
        }
        let buckets = try connection.query(
            """
            SELECT (extract(epoch FROM minute) * 1000000)::bigint AS micros, kind, currency, members, amount_cents
            FROM kpi_minutes
            WHERE minute >= timestamptz 'epoch' + $1 * interval '1 microsecond'
              AND minute <  timestamptz 'epoch' + $2 * interval '1 microsecond'
            """, [window.fromMicros, window.toMicros])
        for row in 0..<buckets.rowCount {
            guard let at = index(try buckets.int64(row, "micros")) else { continue }
            // A kind this release does not know (written by a newer one) is left out.
            guard let kind = KPIKind(rawValue: try buckets.string(row, "kind")) else { continue }
            KPIQueries.add(
                kind: kind, currency: try buckets.string(row, "currency"),
                members: try buckets.int64(row, "members"), amount: try buckets.int64(row, "amount_cents"),
                to: &series[at].kpis)
        }
        // Active customers are distinct per minute (the buckets' `customer` kind counts only a
        // customer's first minute ever).
        let customers = try connection.query(
            """
            SELECT (extract(epoch FROM minute) * 1000000)::bigint AS micros, count(*)::bigint AS n
            FROM customer_minutes
            WHERE minute >= timestamptz 'epoch' + $1 * interval '1 microsecond'
              AND minute <  timestamptz 'epoch' + $2 * interval '1 microsecond'
            GROUP BY minute
            """, [window.fromMicros, window.toMicros])
        for index in series.indices { series[index].kpis.activeCustomers = 0 }
        for row in 0..<customers.rowCount {
            guard let at = index(try customers.int64(row, "micros")) else { continue }
            series[at].kpis.activeCustomers = try customers.int64(row, "n")
        }
        return series
    }
}
