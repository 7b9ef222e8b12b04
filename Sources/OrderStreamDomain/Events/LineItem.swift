/// One line of an `order.created`: a SKU bought `quantity` times at `unitPriceCents` each.
public struct LineItem: Sendable, Equatable, Hashable {
    public var sku: String
    public var quantity: Int64
    public var unitPriceCents: Int64

    public init(sku: String, quantity: Int64, unitPriceCents: Int64) {
        self.sku = sku
        self.quantity = quantity
        self.unitPriceCents = unitPriceCents
    }
}
