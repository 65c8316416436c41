// Test-only LD_PRELOAD shim that makes jack2's close race (its issue 395) happen every time.
//
// A client's notification thread handles "a client left" holding libjack's synchro mutex, and
// unmaps that client's futex (a few bytes) inside it. jack_client_close cancels the thread; if it
// holds the mutex then, the close waits for that mutex for ever. Once the file named by
// $JACK_CLOSE_RACE_ARMED exists, the pthread_cancel numbered $JACK_CLOSE_RACE_AT (from 0; 1 if
// unset: an active client's first stops its process thread in jack_deactivate, its second the
// notification thread in jack_client_close; a client never activated has only the latter) runs
// $JACK_CLOSE_RACE_CLIENT, a client that comes and goes (jack_lsp), and waits until this
// process's notification thread is in that unmap, which the shim stretches to 1.5 s.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static atomic_int unmapping;

static int armed(void) {
  const char* flag = getenv("JACK_CLOSE_RACE_ARMED");
  return flag != NULL && access(flag, F_OK) == 0;
}

static void sleep_ms(long ms) {
  const struct timespec delay = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&delay, NULL);
}

int munmap(void* address, size_t length) {
  static int (*real)(void*, size_t);
  if (real == NULL) real = (int (*)(void*, size_t))dlsym(RTLD_NEXT, "munmap");
  // Off the main thread, which unmaps futexes itself when it closes.
  if (length < 64 && gettid() != getpid() && armed()) {
    atomic_store(&unmapping, 1);
    sleep_ms(1500);
  }
  return real(address, length);
}

int pthread_cancel(pthread_t thread) {
  static int (*real)(pthread_t);
  static atomic_int cancels;
  if (real == NULL) real = (int (*)(pthread_t))dlsym(RTLD_NEXT, "pthread_cancel");
  const char* client = getenv("JACK_CLOSE_RACE_CLIENT");
  const char* at = getenv("JACK_CLOSE_RACE_AT");
  if (client != NULL && armed() && atomic_fetch_add(&cancels, 1) == (at == NULL ? 1 : atoi(at))) {
    if (system(client) == 0) {
      for (int waited = 0; waited < 5000 && !atomic_load(&unmapping); waited += 10) sleep_ms(10);
    }
  }
  return real(thread);
}
