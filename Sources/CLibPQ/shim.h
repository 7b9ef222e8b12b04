#ifndef CLIBPQ_SHIM_H
#define CLIBPQ_SHIM_H

#include <libpq-fe.h>
#include <poll.h>

/// Waits until `fd` is readable or `timeoutMillis` passes. Returns poll()'s result
/// (>0 readable, 0 timeout, -1 error with errno set). Lives in C so Swift needs no
/// platform-specific `pollfd` spelling.
static inline int clibpq_wait_readable(int fd, int timeoutMillis) {
    struct pollfd p;
    p.fd = fd;
    p.events = POLLIN;
    p.revents = 0;
    return poll(&p, 1, timeoutMillis);
}

#endif
