import PostgreSQL

/// Events that pass validation but that PostgreSQL refuses, for the poison-isolation tests:
/// real errors from real statements, so the worker sees exactly what a production database says.
public enum PoisonFixtures {
    /// Makes events of orders whose id starts with `poison-<class>` fail in the `orders` table
    /// with an error of that SQLSTATE class (22 and 54 raised by a trigger, 23 by a check
    /// constraint), and order `overflow-1` hold captured cents one large capture short of
    /// bigint's end (a capture of 10^12 cents then overflows for real: SQLSTATE 22003).
    public static func install(on connection: PGConnection) throws {
        _ = try connection.executeScript(
            """
            CREATE FUNCTION test_poison() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.order_id LIKE 'poison-22%' THEN RAISE EXCEPTION 'numeric value out of range' USING ERRCODE = '22003'; END IF;
                IF NEW.order_id LIKE 'poison-54%' THEN RAISE EXCEPTION 'program limit exceeded' USING ERRCODE = '54000'; END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER test_poison BEFORE INSERT OR UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION test_poison();
            ALTER TABLE orders ADD CONSTRAINT test_poison_check CHECK (order_id NOT LIKE 'poison-23%');
            INSERT INTO orders (order_id, customer_id, captured_cents) VALUES ('overflow-1', 'c-overflow', 9223372036854775000);
            """)
    }

    /// One event as JSON: an `order.cancelled`, or a payment of 10^12 cents (the contract's largest).
    public static func event(_ type: String, order: String, id: String, customer: String? = nil) -> String {
        let data =
            type == "order.cancelled"
            ? #"{"reason":"r"}"#
            : #"{"payment_id":"p-\#(id)","amount_cents":1000000000000,"currency":"EUR"}"#
        return
            #"{"event_id":"\#(id)","event_type":"\#(type)","schema_version":1,"occurred_at":"2026-11-26T12:03:00Z","order_id":"\#(order)","customer_id":"\#(customer ?? "cus-" + order)","data":\#(data)}"#
    }
}
