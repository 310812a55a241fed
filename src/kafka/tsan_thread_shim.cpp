// ThreadSanitizer builds only. Debian's librdkafka uses the C11 threads API (thrd_create,
// mtx_lock, cnd_wait, call_once, ...), which glibc implements by calling its pthread internals
// directly, bypassing the entry points the sanitizer intercepts: GCC 12's ThreadSanitizer
// then never registers librdkafka's threads (and crashes in its allocator on their first
// malloc) nor sees their locks (and reports races on everything they guard). These
// definitions, in the executable, take precedence over glibc's for librdkafka's calls and do
// what glibc does, through the intercepted pthread functions. The C11 types are glibc's
// pthread types under another name (glibc casts between them the same way).

#include <pthread.h>
#include <threads.h>

#include <cerrno>
#include <cstdint>
#include <ctime>
#include <new>

namespace {

struct Start {
  thrd_start_t func;
  void* arg;
};

void* trampoline(void* p) {
  Start s = *static_cast<Start*>(p);
  delete static_cast<Start*>(p);
  return reinterpret_cast<void*>(static_cast<intptr_t>(s.func(s.arg)));
}

int result(int err) {
  switch (err) {
    case 0: return thrd_success;
    case ENOMEM: return thrd_nomem;
    case ETIMEDOUT: return thrd_timedout;
    case EBUSY: return thrd_busy;
    default: return thrd_error;
  }
}

pthread_mutex_t* pm(mtx_t* m) { return reinterpret_cast<pthread_mutex_t*>(m); }
pthread_cond_t* pc(cnd_t* c) { return reinterpret_cast<pthread_cond_t*>(c); }

}  // namespace

extern "C" {

int thrd_create(thrd_t* thr, thrd_start_t func, void* arg) {
  auto* s = new (std::nothrow) Start{func, arg};
  if (!s) return thrd_nomem;
  int err = pthread_create(thr, nullptr, trampoline, s);
  if (err) delete s;
  return err == EAGAIN ? thrd_nomem : result(err);
}

int thrd_join(thrd_t thr, int* res) {
  void* r = nullptr;
  int err = pthread_join(thr, &r);
  if (res) *res = static_cast<int>(reinterpret_cast<intptr_t>(r));
  return result(err);
}

int mtx_init(mtx_t* m, int type) {
  pthread_mutexattr_t attr;
  pthread_mutexattr_init(&attr);
  if (type & mtx_recursive) pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
  int err = pthread_mutex_init(pm(m), &attr);
  pthread_mutexattr_destroy(&attr);
  return result(err);
}
int mtx_lock(mtx_t* m) { return result(pthread_mutex_lock(pm(m))); }
int mtx_trylock(mtx_t* m) { return result(pthread_mutex_trylock(pm(m))); }
int mtx_timedlock(mtx_t* m, const struct timespec* t) {
  return result(pthread_mutex_timedlock(pm(m), t));
}
int mtx_unlock(mtx_t* m) { return result(pthread_mutex_unlock(pm(m))); }
void mtx_destroy(mtx_t* m) { pthread_mutex_destroy(pm(m)); }

int cnd_init(cnd_t* c) { return result(pthread_cond_init(pc(c), nullptr)); }
int cnd_signal(cnd_t* c) { return result(pthread_cond_signal(pc(c))); }
int cnd_broadcast(cnd_t* c) { return result(pthread_cond_broadcast(pc(c))); }
int cnd_wait(cnd_t* c, mtx_t* m) { return result(pthread_cond_wait(pc(c), pm(m))); }
int cnd_timedwait(cnd_t* c, mtx_t* m, const struct timespec* t) {
  return result(pthread_cond_timedwait(pc(c), pm(m), t));
}
void cnd_destroy(cnd_t* c) { pthread_cond_destroy(pc(c)); }

void call_once(once_flag* flag, void (*func)(void)) {
  pthread_once(reinterpret_cast<pthread_once_t*>(flag), func);
}

}  // extern "C"

// librdkafka hands memory between its threads by reference counts kept with atomics the
// sanitizer cannot see (the library is not instrumented): races reported with librdkafka
// frames are about its internals, not ours.
extern "C" const char* __tsan_default_suppressions() { return "race:librdkafka.so.1\n"; }
