#pragma once
// JsonOut: RapidJSON's writer with the few shapes the UI's replies need, strings made valid
// UTF-8 first (an error message may carry any bytes). One reply per instance; not shared.

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

#include "squall/value.h"

namespace squall::ui {

std::string validUtf8(std::string_view s);
// `s` made valid UTF-8 and cut to 200 bytes ("..." marks a cut): for a name or body a client
// sent, quoted back in an error message.
std::string shortened(const std::string& s);

class JsonOut {
 public:
  JsonOut& startObject() {
    w_.StartObject();
    return *this;
  }
  JsonOut& endObject() {
    w_.EndObject();
    return *this;
  }
  JsonOut& startArray() {
    w_.StartArray();
    return *this;
  }
  JsonOut& endArray() {
    w_.EndArray();
    return *this;
  }
  JsonOut& key(std::string_view k) {
    std::string s = validUtf8(k);
    w_.Key(s.data(), static_cast<rapidjson::SizeType>(s.size()));
    return *this;
  }
  JsonOut& str(std::string_view v) {
    std::string s = validUtf8(v);
    w_.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
    return *this;
  }
  JsonOut& num(int64_t v) {
    w_.Int64(v);
    return *this;
  }
  JsonOut& unum(uint64_t v) {
    w_.Uint64(v);
    return *this;
  }
  JsonOut& dbl(double v) {
    if (std::isfinite(v)) {
      w_.Double(v);
    } else {
      w_.Null();  // JSON has no NaN or infinity
    }
    return *this;
  }
  JsonOut& boolean(bool v) {
    w_.Bool(v);
    return *this;
  }
  JsonOut& null() {
    w_.Null();
    return *this;
  }
  // A configuration or metric value: maps, lists, numbers, strings; bytes as text.
  JsonOut& value(const Value& v);

  // Shorthands for "key": value.
  JsonOut& field(std::string_view k, std::string_view v) { return key(k).str(v); }
  JsonOut& field(std::string_view k, const char* v) { return key(k).str(v); }
  JsonOut& field(std::string_view k, const std::string& v) { return key(k).str(v); }
  JsonOut& field(std::string_view k, int v) { return key(k).num(v); }
  JsonOut& field(std::string_view k, int64_t v) { return key(k).num(v); }
  JsonOut& field(std::string_view k, uint64_t v) { return key(k).unum(v); }
  JsonOut& field(std::string_view k, double v) { return key(k).dbl(v); }
  JsonOut& field(std::string_view k, bool v) { return key(k).boolean(v); }

  std::string take() { return std::string(buf_.GetString(), buf_.GetSize()); }

 private:
  rapidjson::StringBuffer buf_;
  rapidjson::Writer<rapidjson::StringBuffer> w_{buf_};
};

}  // namespace squall::ui
