#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "config/config_docs.h"

// docs/CONFIG.md must list exactly the keys declared in config_keys.def.
TEST(ConfigDocs, ReferenceIsCurrent) {
  std::string path = std::string(SQUALL_SOURCE_DIR) + "/docs/CONFIG.md";
  std::string expected = squall::configReferenceMarkdown();
  if (std::getenv("SQUALL_UPDATE_DOCS")) std::ofstream(path) << expected;
  std::ifstream in(path);
  std::stringstream actual;
  actual << in.rdbuf();
  EXPECT_EQ(actual.str(), expected) << "docs/CONFIG.md is stale: rerun with SQUALL_UPDATE_DOCS=1";
}

// packaging/storm.yaml (installed as share/squall/storm.yaml) lists every declared key at its
// default.
TEST(ConfigDocs, DefaultStormYamlIsCurrent) {
  std::string path = std::string(SQUALL_SOURCE_DIR) + "/packaging/storm.yaml";
  std::string expected = squall::configDefaultsYaml();
  if (std::getenv("SQUALL_UPDATE_DOCS")) std::ofstream(path) << expected;
  std::ifstream in(path);
  std::stringstream actual;
  actual << in.rdbuf();
  EXPECT_EQ(actual.str(), expected)
      << "packaging/storm.yaml is stale: rerun with SQUALL_UPDATE_DOCS=1";
  for (const auto& key : squall::configKeys()) {
    EXPECT_NE(expected.find(std::string("# ") + key.name + ": "), std::string::npos) << key.name;
  }
}
