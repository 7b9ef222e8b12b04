#ifndef CRDKAFKA_SHIM_H
#define CRDKAFKA_SHIM_H

#include <stdint.h>
#include <stddef.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

/// `rd_kafka_producev` is variadic, which Swift cannot call; this helper is its
/// fixed-arity face. The payload and key are copied (RD_KAFKA_MSG_F_COPY), so the
/// caller's buffers may go away as soon as this returns. `headers` may be NULL;
/// when it is not, librdkafka takes ownership only if the call succeeds, so the
/// caller must destroy it on failure.
static inline rd_kafka_resp_err_t crdkafka_produce(rd_kafka_t *rk,
                                                   const char *topic,
                                                   int32_t partition,
                                                   const void *key,
                                                   size_t key_len,
                                                   const void *value,
                                                   size_t value_len,
                                                   rd_kafka_headers_t *headers,
                                                   void *opaque) {
        if (headers) {
                return rd_kafka_producev(
                    rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
                    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                    RD_KAFKA_V_KEY(key, key_len), RD_KAFKA_V_VALUE((void *)value, value_len),
                    RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_OPAQUE(opaque),
                    RD_KAFKA_V_END);
        }
        return rd_kafka_producev(
            rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_KEY(key, key_len), RD_KAFKA_V_VALUE((void *)value, value_len),
            RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END);
}

#endif
