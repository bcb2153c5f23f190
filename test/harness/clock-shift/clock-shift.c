/*
 * Moves the wall clock of a process (and of every child it starts) by
 * CLOCK_SHIFT_SECONDS, for running the date-sensitive tests far from today:
 *   CLOCK_SHIFT_SECONDS=31536000 LD_PRELOAD=clock-shift.so node ...
 * Both Node (Date.now) and redis-server (TIME, key expiry) read the shifted clock;
 * monotonic clocks are left alone so timers and timeouts behave normally.
 *
 * Why not Debian's libfaketime: its first clock_gettime looks up symbols with dlsym,
 * which allocates, and redis-server's jemalloc reads the clock while allocating: the
 * recursion aborts redis-server at start. This shim asks the kernel directly and
 * needs nothing at initialization.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static long long shift_ns(void) {
  static int read_env = 0;
  static long long ns = 0;
  if (!read_env) {
    const char *s = getenv("CLOCK_SHIFT_SECONDS");
    ns = s ? atoll(s) * 1000000000LL : 0;
    read_env = 1;
  }
  return ns;
}

int clock_gettime(clockid_t id, struct timespec *ts) {
  int rc = (int)syscall(SYS_clock_gettime, id, ts);
  if (rc == 0 && (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE || id == CLOCK_TAI)) {
    long long t = (long long)ts->tv_sec * 1000000000LL + ts->tv_nsec + shift_ns();
    ts->tv_sec = (time_t)(t / 1000000000LL);
    ts->tv_nsec = (long)(t % 1000000000LL);
  }
  return rc;
}

int gettimeofday(struct timeval *tv, void *tz) {
  struct timespec ts;
  int rc = clock_gettime(CLOCK_REALTIME, &ts);
  if (rc == 0 && tv) {
    tv->tv_sec = ts.tv_sec;
    tv->tv_usec = ts.tv_nsec / 1000;
  }
  (void)tz;
  return rc;
}

time_t time(time_t *out) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  if (out) *out = ts.tv_sec;
  return ts.tv_sec;
}
