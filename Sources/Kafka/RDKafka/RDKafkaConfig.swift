import CRdKafka
import OrderStreamCommon

/// Builds an `rd_kafka_conf_t` from a `KafkaConfiguration`. The only place that calls
/// `rd_kafka_conf_set`, so secret masking and the error-path cleanup live in one spot.
enum RDKafkaConfig {
    /// Returns a new conf the caller owns (pass it to `rd_kafka_new`, or destroy it).
    /// On a refused property the conf is destroyed here and the error names the property.
    static func make(_ configuration: KafkaConfiguration) throws(KafkaError) -> OpaquePointer {
        guard let conf = rd_kafka_conf_new() else {
            throw .clientCreation(message: "rd_kafka_conf_new failed")
        }
        var errstr = [CChar](repeating: 0, count: 512)
        for (property, value) in configuration.properties {
            let result = rd_kafka_conf_set(conf, property, value, &errstr, errstr.count)
            if result != RD_KAFKA_CONF_OK {
                rd_kafka_conf_destroy(conf)
                var message = cString(errstr)
                let secret = Secrets.isSecretProperty(property)
                if secret, !value.isEmpty {
                    // librdkafka may echo the value it refused; never let a secret through.
                    message = message.replacing(value, with: Secrets.mask)
                }
                throw .invalidConfiguration(property: property, value: secret ? Secrets.mask : value, message: message)
            }
        }
        return conf
    }

    /// `rd_kafka_new`, destroying `conf` when it fails (it is only consumed on success).
    static func newClient(_ type: rd_kafka_type_t, conf: OpaquePointer) throws(KafkaError) -> OpaquePointer {
        var errstr = [CChar](repeating: 0, count: 512)
        guard let rk = rd_kafka_new(type, conf, &errstr, errstr.count) else {
            rd_kafka_conf_destroy(conf)
            throw .clientCreation(message: cString(errstr))
        }
        return rk
    }
}

/// A Swift string from a NUL-terminated error buffer librdkafka wrote into.
func cString(_ buffer: [CChar]) -> String {
    buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
}
