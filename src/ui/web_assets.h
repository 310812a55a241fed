#pragma once
// The web UI's files (src/ui/web), compiled into the binary so no asset comes from elsewhere.

#include <string_view>

namespace squall::ui {

struct WebAsset {
  std::string_view path;  // "/ui/squall.js"; "/ui/index.html" is also served at "/"
  std::string_view contentType;
  std::string_view body;
};

const WebAsset* findWebAsset(std::string_view path);

}  // namespace squall::ui
