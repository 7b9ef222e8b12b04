# Sourced by scripts/testdb.sh and scripts/pgbouncer.sh: free loopback ports. The caller
# defines `die MESSAGE`.

# Whether something listens on 127.0.0.1:PORT (a successful connect means it does).
port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Prints a port between 20000 and 49999 that nothing listens on.
pick_port() {
    local tries=0 port
    while ((tries < 200)); do
        port=$((20000 + RANDOM % 30000))
        if ! port_in_use "$port"; then
            echo "$port"
            return 0
        fi
        tries=$((tries + 1))
    done
    die "could not find a free loopback port"
}
