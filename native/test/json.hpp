// Just enough JSON for the shared test vector files: objects, arrays, strings, numbers, booleans
// and null. Numbers keep their text, so integers up to 2^64 are read exactly.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace test {

class Json {
 public:
  enum class Kind { Null, Bool, Number, String, Array, Object };

  /// Parses a whole document; throws std::runtime_error with the offset of the first error.
  static Json parse(std::string_view text);
  static Json parse_file(const std::string& path);

  Kind kind() const { return kind_; }
  bool has(std::string_view key) const;
  /// Object member; throws std::runtime_error when missing.
  const Json& operator[](std::string_view key) const;
  /// Array element; throws std::runtime_error when out of range.
  const Json& operator[](size_t index) const;
  size_t size() const;
  const std::vector<Json>& items() const;
  const std::vector<std::pair<std::string, Json>>& members() const;

  const std::string& str() const;
  bool boolean() const;
  uint64_t u64() const;
  int64_t i64() const;
  double number() const;

 private:
  friend class JsonParser;
  Kind kind_ = Kind::Null;
  bool bool_ = false;
  std::string text_;  // string value, or a number's text
  std::vector<Json> items_;
  std::vector<std::pair<std::string, Json>> members_;
};

}  // namespace test
