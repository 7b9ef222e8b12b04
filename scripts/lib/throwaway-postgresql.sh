# Sourced by scripts/test.sh and scripts/tsan.sh: a throwaway PostgreSQL for the tests, on a
# free loopback port, removed with its folder when the calling script exits.
#
#   start_throwaway_postgresql NAME    sets DATA_DIR (/tmp/orderstream-NAME.XXXXXX) and exports
#                                      ORDERSTREAM_TEST_DATABASE_URL, ORDERSTREAM_TEST_PGDATA and
#                                      ORDERSTREAM_TEST_TMP
start_throwaway_postgresql() {
    DATA_DIR="$(mktemp -d "/tmp/orderstream-$1.XXXXXX")"
    chmod 755 "$DATA_DIR"
    trap 'bash scripts/testdb.sh stop "$DATA_DIR/pg" >/dev/null 2>&1 || true; rm -rf "$DATA_DIR"' EXIT
    eval "$(bash scripts/testdb.sh start "$DATA_DIR/pg")"
    export ORDERSTREAM_TEST_DATABASE_URL ORDERSTREAM_TEST_PGDATA
    export ORDERSTREAM_TEST_TMP="$DATA_DIR"
}
