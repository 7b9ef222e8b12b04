/*
 * Preloaded into the ThreadSanitizer run (scripts/tsan.sh) only: makes glibc's C11 thrd_create
 * go through pthread_create.
 *
 * Why: Debian's librdkafka starts its threads with C11 thrd_create, which glibc implements by
 * calling its internal pthread_create directly, past ThreadSanitizer's interceptor. Such a thread
 * has no ThreadSanitizer state and crashes at its first intercepted call (a SEGV in the
 * sanitizer's allocator; google/sanitizers#1195; librdkafka added --disable-c11threads for this
 * reason, but Debian's build uses them). Through pthread_create the interceptor sees the thread
 * and the run can cover the Kafka layer.
 *
 * glibc's thrd_t is a pthread_t, and its thrd_join is pthread_join with the void * result
 * narrowed to int, so a trampoline that returns the int widened to a pointer keeps thrd_exit
 * working. thrd_join and thrd_detach are routed through pthread_join and pthread_detach as well
 * (glibc calls its internal versions, which the sanitizer does not see either: every thread
 * would be reported as leaked).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <threads.h>

struct start {
    thrd_start_t function;
    void *argument;
};

static void *trampoline(void *raw) {
    struct start start = *(struct start *)raw;
    free(raw);
    return (void *)(intptr_t)start.function(start.argument);
}

int thrd_create(thrd_t *thread, thrd_start_t function, void *argument) {
    struct start *start = malloc(sizeof *start);
    if (start == NULL) return thrd_nomem;
    start->function = function;
    start->argument = argument;
    int status = pthread_create((pthread_t *)thread, NULL, trampoline, start);
    if (status != 0) {
        free(start);
        return status == 11 /* EAGAIN */ ? thrd_nomem : thrd_error;
    }
    return thrd_success;
}

int thrd_join(thrd_t thread, int *result) {
    void *value = NULL;
    if (pthread_join((pthread_t)thread, &value) != 0) return thrd_error;
    if (result != NULL) *result = (int)(intptr_t)value;
    return thrd_success;
}

int thrd_detach(thrd_t thread) {
    return pthread_detach((pthread_t)thread) == 0 ? thrd_success : thrd_error;
}
