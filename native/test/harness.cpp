#include "harness.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <vector>

namespace test {
namespace {

struct Case {
  const char* name;
  CaseFn fn;
};

std::vector<Case>& cases() {
  static std::vector<Case> all;
  return all;
}

std::vector<std::string> scopes;
const char* current = "";
size_t failures_in_case = 0;
/// A broken vector loop should not bury the summary.
constexpr size_t kMaxReportedPerCase = 20;

}  // namespace

Register::Register(const char* name, CaseFn fn) { cases().push_back({name, fn}); }

void fail(const char* file, int line, const std::string& message) {
  if (++failures_in_case > kMaxReportedPerCase) return;
  std::fprintf(stderr, "%s:%d: %s: %s", file, line, current, message.c_str());
  for (const std::string& s : scopes) std::fprintf(stderr, " [%s]", s.c_str());
  std::fprintf(stderr, "\n");
}

size_t failures() { return failures_in_case; }

Scope::Scope(std::string context) { scopes.push_back(std::move(context)); }
Scope::~Scope() { scopes.pop_back(); }

std::string repo_path(const std::string& relative) {
  const char* root = std::getenv("SYFALA_REPO_ROOT");
  return std::string(root != nullptr ? root : SYFALA_REPO_ROOT) + "/" + relative;
}

}  // namespace test

/// Runs every case whose name contains one of the arguments (all cases without arguments).
int main(int argc, char** argv) {
  size_t passed = 0;
  size_t failed = 0;
  const auto started = std::chrono::steady_clock::now();
  for (const test::Case& c : test::cases()) {
    bool selected = argc < 2;
    for (int i = 1; i < argc; ++i) {
      selected = selected || std::string(c.name).find(argv[i]) != std::string::npos;
    }
    if (!selected) continue;
    test::current = c.name;
    test::failures_in_case = 0;
    try {
      c.fn();
    } catch (const test::Abort&) {
    } catch (const std::exception& e) {
      test::fail(__FILE__, __LINE__, std::string("unexpected exception: ") + e.what());
    }
    test::scopes.clear();
    if (test::failures_in_case == 0) {
      ++passed;
    } else {
      ++failed;
      if (test::failures_in_case > test::kMaxReportedPerCase) {
        std::fprintf(stderr, "%s: %zu more failures not shown\n", c.name,
                     test::failures_in_case - test::kMaxReportedPerCase);
      }
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf("cpp tests: %zu passed, %zu failed (%.2f s)\n", passed, failed, seconds);
  return failed == 0 ? 0 : 1;
}
