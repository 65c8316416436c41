#include "json.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace test {

class JsonParser {
 public:
  explicit JsonParser(std::string_view text) : text_(text) {}

  Json document() {
    Json value = parse_value();
    skip_space();
    if (pos_ != text_.size()) error("trailing characters");
    return value;
  }

 private:
  [[noreturn]] void error(const std::string& what) const {
    throw std::runtime_error("json: " + what + " at offset " + std::to_string(pos_));
  }

  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\n' ||
                                   text_[pos_] == '\r' || text_[pos_] == '\t')) {
      ++pos_;
    }
  }

  char peek() {
    skip_space();
    if (pos_ >= text_.size()) error("unexpected end");
    return text_[pos_];
  }

  void expect(char c) {
    if (peek() != c) error(std::string("expected '") + c + "'");
    ++pos_;
  }

  bool take_word(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  Json parse_value() {
    Json v;
    const char c = peek();
    if (c == '{') {
      v.kind_ = Json::Kind::Object;
      ++pos_;
      if (peek() == '}') {
        ++pos_;
        return v;
      }
      for (;;) {
        std::string key = parse_string();
        expect(':');
        v.members_.emplace_back(std::move(key), parse_value());
        if (peek() == ',') {
          ++pos_;
          continue;
        }
        expect('}');
        return v;
      }
    }
    if (c == '[') {
      v.kind_ = Json::Kind::Array;
      ++pos_;
      if (peek() == ']') {
        ++pos_;
        return v;
      }
      for (;;) {
        v.items_.push_back(parse_value());
        if (peek() == ',') {
          ++pos_;
          continue;
        }
        expect(']');
        return v;
      }
    }
    if (c == '"') {
      v.kind_ = Json::Kind::String;
      v.text_ = parse_string();
      return v;
    }
    if (take_word("true") || take_word("false")) {
      v.kind_ = Json::Kind::Bool;
      v.bool_ = c == 't';
      return v;
    }
    if (take_word("null")) return v;
    const size_t start = pos_;
    while (pos_ < text_.size() && std::string_view("+-.0123456789eE").find(text_[pos_]) !=
                                      std::string_view::npos) {
      ++pos_;
    }
    if (pos_ == start) error("unexpected character");
    v.kind_ = Json::Kind::Number;
    v.text_ = std::string(text_.substr(start, pos_ - start));
    return v;
  }

  std::string parse_string() {
    expect('"');
    std::string out;
    while (pos_ < text_.size() && text_[pos_] != '"') {
      char c = text_[pos_++];
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= text_.size()) break;
      c = text_[pos_++];
      switch (c) {
        case 'n': out += '\n'; break;
        case 't': out += '\t'; break;
        case 'r': out += '\r'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'u': out += utf8(parse_hex4()); break;
        default: out += c;  // \" \\ \/
      }
    }
    expect('"');
    return out;
  }

  unsigned parse_hex4() {
    if (pos_ + 4 > text_.size()) error("short \\u escape");
    const unsigned v = unsigned(std::stoul(std::string(text_.substr(pos_, 4)), nullptr, 16));
    pos_ += 4;
    return v;
  }

  /// Names in the vector files are plain text; surrogate pairs are not needed.
  static std::string utf8(unsigned cp) {
    std::string out;
    if (cp < 0x80) {
      out += char(cp);
    } else if (cp < 0x800) {
      out += char(0xc0 | (cp >> 6));
      out += char(0x80 | (cp & 0x3f));
    } else {
      out += char(0xe0 | (cp >> 12));
      out += char(0x80 | ((cp >> 6) & 0x3f));
      out += char(0x80 | (cp & 0x3f));
    }
    return out;
  }

  std::string_view text_;
  size_t pos_ = 0;
};

Json Json::parse(std::string_view text) { return JsonParser(text).document(); }

Json Json::parse_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return parse(text.str());
}

bool Json::has(std::string_view key) const {
  for (const auto& m : members_) {
    if (m.first == key) return true;
  }
  return false;
}

const Json& Json::operator[](std::string_view key) const {
  for (const auto& m : members_) {
    if (m.first == key) return m.second;
  }
  throw std::runtime_error("json: no member \"" + std::string(key) + "\"");
}

const Json& Json::operator[](size_t index) const {
  if (index >= items_.size()) throw std::runtime_error("json: index out of range");
  return items_[index];
}

size_t Json::size() const { return kind_ == Kind::Object ? members_.size() : items_.size(); }
const std::vector<Json>& Json::items() const { return items_; }
const std::vector<std::pair<std::string, Json>>& Json::members() const { return members_; }

const std::string& Json::str() const {
  if (kind_ != Kind::String) throw std::runtime_error("json: not a string");
  return text_;
}

bool Json::boolean() const {
  if (kind_ != Kind::Bool) throw std::runtime_error("json: not a boolean");
  return bool_;
}

uint64_t Json::u64() const {
  if (kind_ != Kind::Number || text_.find_first_not_of("0123456789") != std::string::npos) {
    throw std::runtime_error("json: not an unsigned integer: " + text_);
  }
  return std::stoull(text_);
}

int64_t Json::i64() const {
  if (kind_ != Kind::Number || text_.find_first_not_of("-0123456789") != std::string::npos) {
    throw std::runtime_error("json: not an integer: " + text_);
  }
  return std::stoll(text_);
}

double Json::number() const {
  if (kind_ != Kind::Number) throw std::runtime_error("json: not a number");
  return std::strtod(text_.c_str(), nullptr);
}

}  // namespace test
