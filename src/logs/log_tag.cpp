#include "logs/log_tag.h"

#include <fmt/format.h>

#include <cctype>

namespace squall::logs {

namespace {

thread_local std::string t_tag;

class TagFlag : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg&, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    const std::string& tag = t_tag;
    if (tag.empty()) {
      dest.push_back('-');
    } else {
      dest.append(tag.data(), tag.data() + tag.size());
    }
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<TagFlag>();
  }
};

}  // namespace

void setThreadTag(std::string tag) {
  t_tag = std::move(tag);
}

const std::string& threadTag() {
  return t_tag;
}

std::string componentTag(std::string_view component, int firstTask, int lastTask) {
  if (lastTask <= firstTask) return fmt::format("{}:{}", component, firstTask);
  return fmt::format("{}:{}-{}", component, firstTask, lastTask);
}

std::unique_ptr<spdlog::formatter> taggedFormatter(const std::string& pattern) {
  auto f = std::make_unique<spdlog::pattern_formatter>();
  f->add_flag<TagFlag>('*').set_pattern(pattern);
  return f;
}

bool startsEntry(std::string_view line) {
  if (line.size() < kStampLength + 1) return false;
  static constexpr std::string_view shape = "dddd-dd-dd dd:dd:dd.ddd";
  for (size_t i = 0; i < kStampLength; ++i) {
    bool digit = std::isdigit(static_cast<unsigned char>(line[i])) != 0;
    if (shape[i] == 'd' ? !digit : line[i] != shape[i]) return false;
  }
  return line[kStampLength] == ' ';
}

bool lineHasComponent(std::string_view line, std::string_view component) {
  if (!startsEntry(line)) return false;
  std::string_view rest = line.substr(kStampLength + 1);
  if (rest.size() <= component.size() + 1 || rest.substr(0, component.size()) != component ||
      rest[component.size()] != ':') {
    return false;
  }
  return std::isdigit(static_cast<unsigned char>(rest[component.size() + 1])) != 0;
}

}  // namespace squall::logs
