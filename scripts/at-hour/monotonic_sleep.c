/*
 * Preloaded before libfaketime by scripts/at-hour.sh: sleeps on a monotonic clock go straight to the
 * kernel. libfaketime 0.9.10 (Debian 12) shifts an absolute deadline of clock_nanosleep by its wall-clock
 * offset even when told not to fake monotonic clocks (FAKETIME_DONT_FAKE_MONOTONIC), so Python's
 * time.sleep, which sleeps to an absolute CLOCK_MONOTONIC deadline, fails with EINVAL or hangs. Only the
 * wall clock is meant to move; every other call goes on to libfaketime.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

typedef int (*clock_nanosleep_fn)(clockid_t, int, const struct timespec *, struct timespec *);

int clock_nanosleep(clockid_t clock, int flags, const struct timespec *request, struct timespec *remain) {
    static clock_nanosleep_fn next;
    if (clock == CLOCK_MONOTONIC || clock == CLOCK_BOOTTIME) {
        /* clock_nanosleep returns the error number itself, not -1 with errno. */
        return syscall(SYS_clock_nanosleep, clock, flags, request, remain) == 0 ? 0 : errno;
    }
    if (next == NULL) next = (clock_nanosleep_fn)dlsym(RTLD_NEXT, "clock_nanosleep");
    return next(clock, flags, request, remain);
}
