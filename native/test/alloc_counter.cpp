// Counts operator new calls, and OpenSSL's own allocations, per thread, so tests can assert the
// real-time operations allocate nothing: what the engine's own threads do meanwhile (its receive
// thread setting up, scheduled late on a loaded machine) is not the audio thread's. Under ASan the replacement is left out: ASan's own operator new
// checks new/delete pairing.
#include <openssl/crypto.h>

#include <cstdlib>
#include <new>

#include "harness.hpp"

#if defined(SYFALA_ASAN)

bool test::allocations_counted() { return false; }
size_t test::allocations() { return 0; }

#else

namespace {
thread_local size_t t_allocations = 0;

void* counted_malloc(size_t n) {
  ++t_allocations;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}

void* counted_aligned_alloc(size_t n, std::align_val_t align) {
  ++t_allocations;
  const size_t a = static_cast<size_t>(align);
  // aligned_alloc wants a size that is a multiple of the alignment.
  if (void* p = std::aligned_alloc(a, (n + a - 1) / a * a + (n == 0 ? a : 0))) return p;
  throw std::bad_alloc();
}

// OpenSSL allocates through these once installed, which must come before its first allocation:
// a static initializer, as no other one calls OpenSSL.
void* counted_crypto_malloc(size_t n, const char*, int) {
  ++t_allocations;
  return std::malloc(n);
}
void* counted_crypto_realloc(void* p, size_t n, const char*, int) {
  ++t_allocations;
  return std::realloc(p, n);
}
void crypto_free(void* p, const char*, int) { std::free(p); }
const bool g_crypto_counted =
    CRYPTO_set_mem_functions(counted_crypto_malloc, counted_crypto_realloc, crypto_free) == 1;
}  // namespace

bool test::allocations_counted() { return g_crypto_counted; }
size_t test::allocations() { return t_allocations; }

void* operator new(size_t n) { return counted_malloc(n); }
void* operator new[](size_t n) { return counted_malloc(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }
void* operator new(size_t n, std::align_val_t a) { return counted_aligned_alloc(n, a); }
void* operator new[](size_t n, std::align_val_t a) { return counted_aligned_alloc(n, a); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t, std::align_val_t) noexcept { std::free(p); }

#endif
