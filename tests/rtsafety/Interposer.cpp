// Interposes the functions the audio thread must never call. The real implementations are reached
// through glibc's __libc_* allocator entry points (no dlsym recursion) and dlsym(RTLD_NEXT) for the rest,
// resolved in a constructor before any test thread exists.
#include "tests/rtsafety/Interposer.h"

#include "engine/RtScope.h"

#include <atomic>
#include <cstdarg>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <dlfcn.h>
#include <new>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <time.h>
#include <unistd.h>

extern "C" {
void* __libc_malloc(size_t);
void __libc_free(void*);
void* __libc_calloc(size_t, size_t);
void* __libc_realloc(void*, size_t);
void* __libc_memalign(size_t, size_t);
}

namespace stagerack::rtcheck {

namespace {

enum Kind : int {
    kMalloc,
    kCalloc,
    kRealloc,
    kFree,
    kMemalign,
    kNew,
    kDelete,
    kMutexLock,
    kMutexTrylock,
    kCondWait,
    kCondSignal,
    kRwlock,
    kSemWait,
    kSemPost,
    kWrite,
    kRead,
    kOpen,
    kClose,
    kNanosleep,
    kUsleep,
    kSchedYield,
    kPoll,
    kPrintf,
    kThrow,
    kThreadCreate,
    kKindCount
};
constexpr const char* kNames[kKindCount] = {"malloc",
                                            "calloc",
                                            "realloc",
                                            "free",
                                            "memalign",
                                            "operator new",
                                            "operator delete",
                                            "pthread_mutex_lock",
                                            "pthread_mutex_trylock",
                                            "pthread_cond_wait",
                                            "pthread_cond_signal",
                                            "pthread_rwlock",
                                            "sem_wait",
                                            "sem_post",
                                            "write",
                                            "read",
                                            "open",
                                            "close",
                                            "nanosleep",
                                            "usleep",
                                            "sched_yield",
                                            "poll",
                                            "stdio",
                                            "throw",
                                            "pthread_create"};

std::atomic<uint64_t> gTotal{0};
std::atomic<uint64_t> gByKind[kKindCount];

inline void note(Kind k) noexcept {
    if (stagerack::rt::tlInAudioThread) {
        gTotal.fetch_add(1, std::memory_order_relaxed);
        gByKind[k].fetch_add(1, std::memory_order_relaxed);
    }
}

template <typename F>
F real(const char* name) {
    return reinterpret_cast<F>(dlsym(RTLD_NEXT, name));
}

using MutexFn = int (*)(pthread_mutex_t*);
using CondWaitFn = int (*)(pthread_cond_t*, pthread_mutex_t*);
using CondTimedFn = int (*)(pthread_cond_t*, pthread_mutex_t*, const timespec*);
using CondFn = int (*)(pthread_cond_t*);
using RwFn = int (*)(pthread_rwlock_t*);
using SemFn = int (*)(sem_t*);
using SemTimedFn = int (*)(sem_t*, const timespec*);
using WriteFn = ssize_t (*)(int, const void*, size_t);
using ReadFn = ssize_t (*)(int, void*, size_t);
using OpenFn = int (*)(const char*, int, ...);
using CloseFn = int (*)(int);
using NanosleepFn = int (*)(const timespec*, timespec*);
using ClockNanosleepFn = int (*)(clockid_t, int, const timespec*, timespec*);
using UsleepFn = int (*)(useconds_t);
using YieldFn = int (*)();
using PollFn = int (*)(pollfd*, nfds_t, int);
using FwriteFn = size_t (*)(const void*, size_t, size_t, FILE*);
using FputsFn = int (*)(const char*, FILE*);
using VfprintfFn = int (*)(FILE*, const char*, va_list);
using ThrowFn = void* (*)(size_t);
using ThreadCreateFn = int (*)(pthread_t*, const pthread_attr_t*, void* (*)(void*), void*);

struct Real {
    MutexFn mutexLock, mutexTrylock, mutexUnlock;
    CondWaitFn condWait;
    CondTimedFn condTimedwait;
    CondFn condSignal, condBroadcast;
    RwFn rdlock, wrlock;
    SemFn semWait, semPost;
    SemTimedFn semTimedwait;
    WriteFn write;
    ReadFn read;
    OpenFn open;
    CloseFn close;
    NanosleepFn nanosleep;
    ClockNanosleepFn clockNanosleep;
    UsleepFn usleep;
    YieldFn schedYield;
    PollFn poll;
    FwriteFn fwrite;
    FputsFn fputs;
    VfprintfFn vfprintf;
    ThrowFn allocException;
    ThreadCreateFn threadCreate;
};

Real& realFns() {
    static Real r = [] {
        Real x{};
        x.mutexLock = real<MutexFn>("pthread_mutex_lock");
        x.mutexTrylock = real<MutexFn>("pthread_mutex_trylock");
        x.condWait = reinterpret_cast<CondWaitFn>(dlvsym(RTLD_NEXT, "pthread_cond_wait", "GLIBC_2.3.2"));
        if (!x.condWait) x.condWait = real<CondWaitFn>("pthread_cond_wait");
        x.condTimedwait =
            reinterpret_cast<CondTimedFn>(dlvsym(RTLD_NEXT, "pthread_cond_timedwait", "GLIBC_2.3.2"));
        if (!x.condTimedwait) x.condTimedwait = real<CondTimedFn>("pthread_cond_timedwait");
        x.condSignal = reinterpret_cast<CondFn>(dlvsym(RTLD_NEXT, "pthread_cond_signal", "GLIBC_2.3.2"));
        if (!x.condSignal) x.condSignal = real<CondFn>("pthread_cond_signal");
        x.condBroadcast =
            reinterpret_cast<CondFn>(dlvsym(RTLD_NEXT, "pthread_cond_broadcast", "GLIBC_2.3.2"));
        if (!x.condBroadcast) x.condBroadcast = real<CondFn>("pthread_cond_broadcast");
        x.rdlock = real<RwFn>("pthread_rwlock_rdlock");
        x.wrlock = real<RwFn>("pthread_rwlock_wrlock");
        x.semWait = real<SemFn>("sem_wait");
        x.semPost = real<SemFn>("sem_post");
        x.semTimedwait = real<SemTimedFn>("sem_timedwait");
        x.write = real<WriteFn>("write");
        x.read = real<ReadFn>("read");
        x.open = real<OpenFn>("open");
        x.close = real<CloseFn>("close");
        x.nanosleep = real<NanosleepFn>("nanosleep");
        x.clockNanosleep = real<ClockNanosleepFn>("clock_nanosleep");
        x.usleep = real<UsleepFn>("usleep");
        x.schedYield = real<YieldFn>("sched_yield");
        x.poll = real<PollFn>("poll");
        x.fwrite = real<FwriteFn>("fwrite");
        x.fputs = real<FputsFn>("fputs");
        x.vfprintf = real<VfprintfFn>("vfprintf");
        x.allocException = real<ThrowFn>("__cxa_allocate_exception");
        x.threadCreate = real<ThreadCreateFn>("pthread_create");
        return x;
    }();
    return r;
}

__attribute__((constructor)) void resolveEarly() {
    realFns();
}

} // namespace

uint64_t forbiddenCalls() {
    return gTotal.load();
}

void resetCounts() {
    gTotal.store(0);
    for (auto& k : gByKind)
        k.store(0);
}

std::string report() {
    std::string s;
    for (int k = 0; k < kKindCount; ++k) {
        const uint64_t n = gByKind[k].load();
        if (n) s += (s.empty() ? "" : " ") + std::string(kNames[k]) + "=" + std::to_string(n);
    }
    return s;
}

} // namespace stagerack::rtcheck

using stagerack::rtcheck::realFns;
namespace rc = stagerack::rtcheck;

extern "C" {

void* malloc(size_t n) {
    rc::note(rc::kMalloc);
    return __libc_malloc(n);
}
void free(void* p) {
    if (p) rc::note(rc::kFree);
    __libc_free(p);
}
void* calloc(size_t a, size_t b) {
    rc::note(rc::kCalloc);
    return __libc_calloc(a, b);
}
void* realloc(void* p, size_t n) {
    rc::note(rc::kRealloc);
    return __libc_realloc(p, n);
}
void* memalign(size_t a, size_t n) {
    rc::note(rc::kMemalign);
    return __libc_memalign(a, n);
}
void* aligned_alloc(size_t a, size_t n) {
    rc::note(rc::kMemalign);
    return __libc_memalign(a, n);
}
int posix_memalign(void** out, size_t a, size_t n) {
    rc::note(rc::kMemalign);
    void* p = __libc_memalign(a, n);
    if (!p) return 12; // ENOMEM
    *out = p;
    return 0;
}

int pthread_mutex_lock(pthread_mutex_t* m) {
    rc::note(rc::kMutexLock);
    return realFns().mutexLock(m);
}
int pthread_mutex_trylock(pthread_mutex_t* m) {
    rc::note(rc::kMutexTrylock);
    return realFns().mutexTrylock(m);
}
int pthread_cond_wait(pthread_cond_t* c, pthread_mutex_t* m) {
    rc::note(rc::kCondWait);
    return realFns().condWait(c, m);
}
int pthread_cond_timedwait(pthread_cond_t* c, pthread_mutex_t* m, const timespec* t) {
    rc::note(rc::kCondWait);
    return realFns().condTimedwait(c, m, t);
}
int pthread_cond_signal(pthread_cond_t* c) {
    rc::note(rc::kCondSignal);
    return realFns().condSignal(c);
}
int pthread_cond_broadcast(pthread_cond_t* c) {
    rc::note(rc::kCondSignal);
    return realFns().condBroadcast(c);
}
int pthread_rwlock_rdlock(pthread_rwlock_t* l) {
    rc::note(rc::kRwlock);
    return realFns().rdlock(l);
}
int pthread_rwlock_wrlock(pthread_rwlock_t* l) {
    rc::note(rc::kRwlock);
    return realFns().wrlock(l);
}
int sem_wait(sem_t* s) {
    rc::note(rc::kSemWait);
    return realFns().semWait(s);
}
int sem_timedwait(sem_t* s, const timespec* t) {
    rc::note(rc::kSemWait);
    return realFns().semTimedwait(s, t);
}
int sem_post(sem_t* s) {
    rc::note(rc::kSemPost);
    return realFns().semPost(s);
}
ssize_t write(int fd, const void* b, size_t n) {
    rc::note(rc::kWrite);
    return realFns().write(fd, b, n);
}
ssize_t read(int fd, void* b, size_t n) {
    rc::note(rc::kRead);
    return realFns().read(fd, b, n);
}
int open(const char* path, int flags, ...) {
    rc::note(rc::kOpen);
    va_list ap;
    va_start(ap, flags);
    const int mode = va_arg(ap, int);
    va_end(ap);
    return realFns().open(path, flags, mode);
}
int close(int fd) {
    rc::note(rc::kClose);
    return realFns().close(fd);
}
int nanosleep(const timespec* a, timespec* b) {
    rc::note(rc::kNanosleep);
    return realFns().nanosleep(a, b);
}
int clock_nanosleep(clockid_t c, int f, const timespec* a, timespec* b) {
    rc::note(rc::kNanosleep);
    return realFns().clockNanosleep(c, f, a, b);
}
int usleep(useconds_t u) {
    rc::note(rc::kUsleep);
    return realFns().usleep(u);
}
int sched_yield() {
    rc::note(rc::kSchedYield);
    return realFns().schedYield();
}
int poll(pollfd* f, nfds_t n, int t) {
    rc::note(rc::kPoll);
    return realFns().poll(f, n, t);
}
size_t fwrite(const void* p, size_t s, size_t n, FILE* f) {
    rc::note(rc::kPrintf);
    return realFns().fwrite(p, s, n, f);
}
int fputs(const char* s, FILE* f) {
    rc::note(rc::kPrintf);
    return realFns().fputs(s, f);
}
int fprintf(FILE* f, const char* fmt, ...) {
    rc::note(rc::kPrintf);
    va_list ap;
    va_start(ap, fmt);
    const int r = realFns().vfprintf(f, fmt, ap);
    va_end(ap);
    return r;
}
int __fprintf_chk(FILE* f, int, const char* fmt, ...) {
    rc::note(rc::kPrintf);
    va_list ap;
    va_start(ap, fmt);
    const int r = realFns().vfprintf(f, fmt, ap);
    va_end(ap);
    return r;
}
int printf(const char* fmt, ...) {
    rc::note(rc::kPrintf);
    va_list ap;
    va_start(ap, fmt);
    const int r = realFns().vfprintf(stdout, fmt, ap);
    va_end(ap);
    return r;
}
int __printf_chk(int, const char* fmt, ...) {
    rc::note(rc::kPrintf);
    va_list ap;
    va_start(ap, fmt);
    const int r = realFns().vfprintf(stdout, fmt, ap);
    va_end(ap);
    return r;
}
int pthread_create(pthread_t* t, const pthread_attr_t* a, void* (*f)(void*), void* arg) {
    rc::note(rc::kThreadCreate);
    return realFns().threadCreate(t, a, f, arg);
}
void* __cxa_allocate_exception(size_t n) noexcept {
    rc::note(rc::kThrow);
    return realFns().allocException(n);
}

} // extern "C"

void* operator new(std::size_t n) {
    rc::note(rc::kNew);
    if (void* p = __libc_malloc(n ? n : 1)) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t n) {
    rc::note(rc::kNew);
    if (void* p = __libc_malloc(n ? n : 1)) return p;
    throw std::bad_alloc();
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
    rc::note(rc::kNew);
    return __libc_malloc(n ? n : 1);
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
    rc::note(rc::kNew);
    return __libc_malloc(n ? n : 1);
}
void* operator new(std::size_t n, std::align_val_t a) {
    rc::note(rc::kNew);
    if (void* p = __libc_memalign(static_cast<size_t>(a), n ? n : 1)) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t n, std::align_val_t a) {
    rc::note(rc::kNew);
    if (void* p = __libc_memalign(static_cast<size_t>(a), n ? n : 1)) return p;
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
    if (p) rc::note(rc::kDelete);
    __libc_free(p);
}
void operator delete[](void* p) noexcept {
    if (p) rc::note(rc::kDelete);
    __libc_free(p);
}
void operator delete(void* p, std::size_t) noexcept {
    if (p) rc::note(rc::kDelete);
    __libc_free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
    if (p) rc::note(rc::kDelete);
    __libc_free(p);
}
void operator delete(void* p, std::align_val_t) noexcept {
    if (p) rc::note(rc::kDelete);
    __libc_free(p);
}
void operator delete[](void* p, std::align_val_t) noexcept {
    if (p) rc::note(rc::kDelete);
    __libc_free(p);
}
void operator delete(void* p, std::size_t, std::align_val_t) noexcept {
    if (p) rc::note(rc::kDelete);
    __libc_free(p);
}
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept {
    if (p) rc::note(rc::kDelete);
    __libc_free(p);
}
