#include "nimbus/json_conf.h"

#include <fmt/format.h>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <stdexcept>

namespace squall::nimbus {
namespace {

constexpr int kMaxDepth = 64;

Value fromJson(const rapidjson::Value& v, int depth) {
  if (depth > kMaxDepth) {
    throw std::invalid_argument(fmt::format("JSON nested deeper than {} levels", kMaxDepth));
  }
  if (v.IsNull()) return Value();
  if (v.IsBool()) return Value(v.GetBool());
  if (v.IsInt64()) return Value(v.GetInt64());
  if (v.IsNumber()) return Value(v.GetDouble());
  if (v.IsString()) return Value(std::string(v.GetString(), v.GetStringLength()));
  if (v.IsArray()) {
    List list;
    for (const auto& e : v.GetArray()) list.push_back(fromJson(e, depth + 1));
    return Value(std::move(list));
  }
  Map map;
  for (const auto& m : v.GetObject()) {
    map[std::string(m.name.GetString(), m.name.GetStringLength())] = fromJson(m.value, depth + 1);
  }
  return Value(std::move(map));
}

void write(rapidjson::Writer<rapidjson::StringBuffer>& w, const Value& v) {
  if (v.isNull()) {
    w.Null();
  } else if (v.isBool()) {
    w.Bool(v.asBool());
  } else if (v.isInt()) {
    w.Int64(v.asInt());
  } else if (v.isBigInt() || v.isDouble()) {
    w.Double(v.asDouble());
  } else if (v.isString()) {
    w.String(v.asString().data(), static_cast<rapidjson::SizeType>(v.asString().size()));
  } else if (v.isBytes()) {
    w.StartArray();
    for (char b : v.asBytes().data) w.Int(static_cast<unsigned char>(b));
    w.EndArray();
  } else if (v.isList()) {
    w.StartArray();
    for (const auto& e : v.asList()) write(w, e);
    w.EndArray();
  } else if (v.isMap()) {
    w.StartObject();
    for (const auto& [k, e] : v.asMap()) {
      w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
      write(w, e);
    }
    w.EndObject();
  } else {
    w.Null();
  }
}

}  // namespace

Value parseJson(const std::string& text) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseStopWhenDoneFlag>(text.data(),
                                                                                text.size());
  if (doc.HasParseError()) {
    throw std::invalid_argument(fmt::format("invalid JSON at offset {}: {}", doc.GetErrorOffset(),
                                            rapidjson::GetParseError_En(doc.GetParseError())));
  }
  return fromJson(doc, 0);
}

std::string toJson(const Value& value) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  write(w, value);
  return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace squall::nimbus
