/// The numeric bounds of contract v1, in one place so the validator, its tests and the docs
/// agree.
///
/// Exists so that nothing the validator accepts can fail later in PostgreSQL: every amount fits
/// a `bigint` with room to sum millions of them, and every line (`quantity * unit_price_cents`,
/// at most 10^6 * 10^12 = 10^18) fits an `Int64`.
public enum ContractLimits {
    /// Values strictly larger than this many bytes are `too_large` (1 MiB).
    public static let maximumValueBytes = 1_048_576

    /// Ids (`event_id`, `order_id`, `customer_id`, `payment_id`) have 1...this many Unicode
    /// scalars; otherwise `invalid_field`.
    public static let maximumIdLength = 64

    /// The largest `amount_cents`, `unit_price_cents` and `total_cents` accepted: 10^12 cents
    /// (10 billion in the currency's main unit). Larger is `invalid_amount`.
    public static let maximumCents: Int64 = 1_000_000_000_000

    /// The largest `quantity` of one line item: 10^6. Larger is `invalid_amount`.
    public static let maximumQuantity: Int64 = 1_000_000
}
