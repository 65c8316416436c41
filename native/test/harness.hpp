// A tiny test harness: TEST registers a case, CHECK/CHECK_EQ record a failure with file:line and
// carry on, REQUIRE stops the case. SCOPE adds context (a vector's name) to failures inside it.
#pragma once

// Which sanitizer this build runs under: gcc defines __SANITIZE_*__, clang (Apple's included)
// answers __has_feature instead.
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SYFALA_ASAN 1
#endif
#if __has_feature(thread_sanitizer)
#define SYFALA_TSAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define SYFALA_ASAN 1
#endif
#if defined(__SANITIZE_THREAD__)
#define SYFALA_TSAN 1
#endif

#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>
#include <type_traits>
#include <utility>

namespace test {

using CaseFn = void (*)();

struct Register {
  Register(const char* name, CaseFn fn);
};

/// Thrown by REQUIRE to end the current case; the harness catches it.
struct Abort {};

void fail(const char* file, int line, const std::string& message);
/// Failures recorded in the current case so far.
size_t failures();

/// Context printed with every failure while it lives.
class Scope {
 public:
  explicit Scope(std::string context);
  ~Scope();
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;
};

/// An absolute path to `relative` in the repository: $SYFALA_REPO_ROOT, else where make ran.
std::string repo_path(const std::string& relative);

/// Whether allocation counting works in this build (not under ASan, which has its own new).
bool allocations_counted();
/// operator new calls (and OpenSSL allocations) so far on the calling thread.
size_t allocations();

template <class T>
std::string show(const T& v) {
  if constexpr (std::is_enum_v<T>) {
    return std::to_string(static_cast<long long>(v));
  } else if constexpr (std::is_same_v<T, bool>) {
    return v ? "true" : "false";
  } else if constexpr (std::is_integral_v<T>) {
    return std::to_string(v);
  } else {
    std::ostringstream out;
    out << v;
    return out.str();
  }
}

template <class A, class B>
std::string describe_ne(const char* a_text, const char* b_text, const A& a, const B& b) {
  return std::string("CHECK_EQ(") + a_text + ", " + b_text + "): " + show(a) + " != " + show(b);
}

}  // namespace test

#define TEST_CONCAT_(a, b) a##b
#define TEST_CONCAT(a, b) TEST_CONCAT_(a, b)

#define TEST(name)                                                         \
  static void name();                                                      \
  static const test::Register TEST_CONCAT(registered_, name)(#name, name); \
  static void name()

#define CHECK(cond)                                                    \
  do {                                                                 \
    if (!(cond)) test::fail(__FILE__, __LINE__, "CHECK(" #cond ")"); \
  } while (0)

#define CHECK_EQ(a, b)                                                               \
  do {                                                                               \
    const auto check_a_ = (a); /* copies: (a) may be a temporary */                 \
    const auto check_b_ = (b);                                                       \
    if (!(check_a_ == check_b_)) {                                                   \
      test::fail(__FILE__, __LINE__, test::describe_ne(#a, #b, check_a_, check_b_)); \
    }                                                                                \
  } while (0)

#define REQUIRE(cond)                                                    \
  do {                                                                   \
    if (!(cond)) {                                                       \
      test::fail(__FILE__, __LINE__, "REQUIRE(" #cond ")");             \
      throw test::Abort{};                                               \
    }                                                                    \
  } while (0)

#define CHECK_THROWS(expr, Exception)                                                 \
  do {                                                                                \
    bool check_threw_ = false;                                                        \
    try {                                                                             \
      (void)(expr);                                                                   \
    } catch (const Exception&) {                                                      \
      check_threw_ = true;                                                            \
    }                                                                                 \
    if (!check_threw_) test::fail(__FILE__, __LINE__, #expr " did not throw " #Exception); \
  } while (0)

#define SCOPE(context) const test::Scope TEST_CONCAT(scope_, __LINE__)(context)
