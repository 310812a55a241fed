// The topology jar: written reproducibly, extracted with executable bits, and hostile jars
// (path traversal, symlink escapes, zip bombs, truncation, too many entries) refused with the
// archive and entry named, leaving nothing behind.

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "artifact/artifact.h"
#include "artifact/python_environment.h"

namespace fs = std::filesystem;
using namespace squall::artifact;

namespace {

class ArtifactTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/squall-artifact-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  static std::string read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }

  struct RawEntry {
    RawEntry(std::string n, std::string d, mode_t t = AE_IFREG, std::string l = {})
        : name(std::move(n)), data(std::move(d)), type(t), link(std::move(l)) {}
    std::string name;
    std::string data;
    mode_t type;
    std::string link;  // for AE_IFLNK
    mode_t perm = 0644;
  };

  // A zip written entry by entry with libarchive, names as given: what an attacker can make.
  std::string rawZip(const std::string& name, const std::vector<RawEntry>& entries) {
    std::string p = path(name);
    archive* a = archive_write_new();
    archive_write_set_format_zip(a);
    EXPECT_EQ(archive_write_open_filename(a, p.c_str()), ARCHIVE_OK);
    for (const auto& e : entries) {
      archive_entry* entry = archive_entry_new();
      archive_entry_set_pathname(entry, e.name.c_str());
      archive_entry_set_filetype(entry, e.type);
      archive_entry_set_perm(entry, e.perm);
      if (e.type == AE_IFLNK) archive_entry_set_symlink(entry, e.link.c_str());
      archive_entry_set_size(entry,
                             static_cast<la_int64_t>(e.type == AE_IFREG ? e.data.size() : 0));
      EXPECT_EQ(archive_write_header(a, entry), ARCHIVE_OK) << e.name;
      if (e.type == AE_IFREG && !e.data.empty())
        archive_write_data(a, e.data.data(), e.data.size());
      archive_entry_free(entry);
    }
    archive_write_close(a);
    archive_write_free(a);
    return p;
  }

  // Extraction must fail naming the jar and `entry`, leave no destination and nothing outside.
  void expectRefused(const std::string& jar, const std::string& entry,
                     const ExtractLimits& limits = {}) {
    std::string dest = path("dest");
    try {
      extractArtifact(jar, dest, limits);
      FAIL() << "extracted a hostile jar; expected a refusal naming " << entry;
    } catch (const ArtifactError& e) {
      std::string what = e.what();
      EXPECT_NE(what.find(jar), std::string::npos) << what;
      EXPECT_NE(what.find(entry), std::string::npos) << what;
    }
    EXPECT_FALSE(fs::exists(dest));
    for (const auto& e : fs::directory_iterator(dir_)) {
      EXPECT_EQ(e.path().filename().string().find(".dest.extract"), std::string::npos)
          << "left a temporary folder: " << e.path();
    }
    EXPECT_FALSE(fs::exists(dir_ / "evil"));
  }

  fs::path dir_;
};

TEST_F(ArtifactTest, WritesAndExtractsWithExecutableBits) {
  std::string script = path("run.sh");
  std::ofstream(script) << "#!/bin/sh\necho hi\n";
  ::chmod(script.c_str(), 0755);
  std::string jar = path("t.jar");
  writeArtifact(jar, {{"resources/bin/run.sh", script, {}, false},
                      {"resources/split.py", {}, "print('split')\n", false},
                      {"squall-python/manifest.json", {}, "{}", false},
                      {"com/example/Ignored.class", {}, "cafebabe", false}});
  auto r = extractArtifact(jar, path("dest"));
  EXPECT_EQ(read(dir_ / "dest/resources/split.py"), "print('split')\n");
  EXPECT_EQ(read(dir_ / "dest/resources/bin/run.sh"), "#!/bin/sh\necho hi\n");
  struct stat st {};
  ASSERT_EQ(::stat(path("dest/resources/bin/run.sh").c_str(), &st), 0);
  EXPECT_TRUE(st.st_mode & S_IXUSR);
  ASSERT_EQ(::stat(path("dest/resources/split.py").c_str(), &st), 0);
  EXPECT_FALSE(st.st_mode & S_IXUSR);
  EXPECT_TRUE(fs::exists(dir_ / "dest/squall-python/manifest.json"));
  // A Storm jar's classes are of no use to a worker.
  EXPECT_FALSE(fs::exists(dir_ / "dest/com"));
  EXPECT_EQ(r.bytes, std::string("print('split')\n#!/bin/sh\necho hi\n{}").size());
}

TEST_F(ArtifactTest, SameFilesGiveTheSameBytes) {
  std::vector<ArtifactFile> files = {{"resources/b.py", {}, "b", false},
                                     {"resources/a.py", {}, "a", true}};
  writeArtifact(path("one.jar"), files);
  std::reverse(files.begin(), files.end());
  writeArtifact(path("two.jar"), files);
  EXPECT_EQ(read(path("one.jar")), read(path("two.jar")));
}

TEST_F(ArtifactTest, WriterRefusesBadNames) {
  EXPECT_THROW(writeArtifact(path("x.jar"), {{"../x", {}, "", false}}), ArtifactError);
  EXPECT_THROW(writeArtifact(path("x.jar"), {{"/abs", {}, "", false}}), ArtifactError);
  EXPECT_THROW(writeArtifact(path("x.jar"), {{"a", {}, "", false}, {"a", {}, "", false}}),
               ArtifactError);
  EXPECT_FALSE(fs::exists(path("x.jar")));
}

TEST_F(ArtifactTest, RefusesPathTraversal) {
  expectRefused(rawZip("dots.jar", {{"resources/../../evil", "x"}}), "resources/../../evil");
  ExtractLimits all;
  all.prefixes.clear();
  expectRefused(rawZip("abs.jar", {{"/tmp/evil-abs", "x"}}), "/tmp/evil-abs", all);
  EXPECT_FALSE(fs::exists("/tmp/evil-abs"));
}

TEST_F(ArtifactTest, RefusesSymlinkEscapes) {
  expectRefused(rawZip("up.jar", {{"resources/up", "", AE_IFLNK, "../.."}}), "resources/up");
  expectRefused(rawZip("abs-link.jar", {{"resources/etc", "", AE_IFLNK, "/etc"}}), "resources/etc");
  // Writing through a link of the archive, even one pointing inside, is refused.
  expectRefused(rawZip("through.jar", {{"resources/d", "", AE_IFLNK, "."}, {"resources/d/x", "x"}}),
                "resources/d/x");
  // Lexically inside, but "self" is the folder it lives in: self/../.. is above the root.
  expectRefused(rawZip("chain.jar", {{"resources/self", "", AE_IFLNK, "."},
                                     {"resources/esc", "", AE_IFLNK, "self/../.."}}),
                "resources/esc");
}

TEST_F(ArtifactTest, KeepsSymlinksThatStayInside) {
  std::string jar =
      rawZip("ok.jar", {{"resources/lib/a.py", "a"}, {"resources/a.py", "", AE_IFLNK, "lib/a.py"}});
  extractArtifact(jar, path("dest"));
  EXPECT_TRUE(fs::is_symlink(dir_ / "dest/resources/a.py"));
  EXPECT_EQ(read(dir_ / "dest/resources/a.py"), "a");
}

TEST_F(ArtifactTest, RefusesZipBombs) {
  // 64 MiB of zeros deflate to some 64 KiB: far past 100 times the jar's size.
  std::string jar = rawZip("bomb.jar", {{"resources/zeros", std::string(64u << 20, '\0')}});
  ASSERT_LT(fs::file_size(jar), 1u << 20);
  expectRefused(jar, "resources/zeros");
  ExtractLimits small;
  small.maxEntryBytes = 1000;
  expectRefused(rawZip("big.jar", {{"resources/big", std::string(5000, 'x')}}), "resources/big",
                small);
  ExtractLimits total;
  total.maxTotalBytes = 1500;
  expectRefused(rawZip("sum.jar", {{"resources/a", std::string(1000, 'x')},
                                   {"resources/b", std::string(1000, 'y')}}),
                "resources/b", total);
}

TEST_F(ArtifactTest, RefusesTooManyEntries) {
  std::vector<RawEntry> entries;
  for (int i = 0; i < 20; ++i) entries.push_back({"resources/f" + std::to_string(i), "x"});
  ExtractLimits limits;
  limits.maxEntries = 10;
  expectRefused(rawZip("many.jar", entries), "resources/f10", limits);
}

TEST_F(ArtifactTest, RefusesTruncatedJarsAtEveryLength) {
  std::string jar = path("whole.jar");
  writeArtifact(jar, {{"resources/a.py", {}, std::string(3000, 'a'), false},
                      {"resources/b.py", {}, "bbbb", false}});
  std::string bytes = read(jar);
  for (size_t len = 0; len < bytes.size(); len += 7) {
    std::string cut = path("cut.jar");
    std::ofstream(cut, std::ios::binary) << bytes.substr(0, len);
    try {
      extractArtifact(cut, path("dest"));
      // A cut inside the central directory's tail can still be read whole by libarchive only
      // if every entry was there; never a partial tree.
      EXPECT_EQ(read(dir_ / "dest/resources/a.py"), std::string(3000, 'a')) << len;
      fs::remove_all(dir_ / "dest");
    } catch (const ArtifactError& e) {
      EXPECT_NE(std::string(e.what()).find(cut), std::string::npos) << e.what();
      EXPECT_FALSE(fs::exists(dir_ / "dest")) << len;
    }
  }
}

TEST_F(ArtifactTest, AReadErrorWithoutAMessageIsStillAnArtifactError) {
  // Found by the fuzzer: a local header that lies about its name length; libarchive fails
  // without an error string, which once reached fmt as a null pointer.
  std::string jar = path("lying.jar");
  std::ofstream(jar, std::ios::binary) << read(
      fs::path(SQUALL_SOURCE_DIR) / "fuzz/corpus/artifact_extract/error_without_message.jar");
  ExtractLimits all;
  all.prefixes.clear();
  EXPECT_THROW(extractArtifact(jar, path("dest"), all), ArtifactError);
  EXPECT_FALSE(fs::exists(dir_ / "dest"));
}

TEST_F(ArtifactTest, RefusesADestinationThatHoldsFiles) {
  std::string jar = path("t.jar");
  writeArtifact(jar, {{"resources/a.py", {}, "a", false}});
  fs::create_directories(dir_ / "dest");
  std::ofstream(dir_ / "dest/keep") << "k";
  EXPECT_THROW(extractArtifact(jar, path("dest")), ArtifactError);
  EXPECT_EQ(read(dir_ / "dest/keep"), "k");
}

TEST_F(ArtifactTest, ReadsManifestValues) {
  std::string mf =
      "Manifest-Version: 1.0\r\nSquall-Topology-File: resources/long\r\n na"
      "me.yaml\r\n\r\n";
  EXPECT_EQ(manifestValue(mf, "Squall-Topology-File"), "resources/longname.yaml");
  EXPECT_EQ(manifestValue(mf, "Missing"), "");
}

TEST_F(ArtifactTest, PythonManifestRoundTripsAndRefusesOptions) {
  PythonManifest m;
  m.version = "3.11";
  m.requirements = {"greetlib==1.0"};
  auto back = parsePythonManifest(toJson(m), "m.json");
  EXPECT_EQ(back.interpreter, "python3");
  EXPECT_EQ(back.version, "3.11");
  EXPECT_EQ(back.requirements, m.requirements);
  EXPECT_THROW(parsePythonManifest(R"({"requirements": ["--index-url=http://x"]})", "m.json"),
               ArtifactError);
  EXPECT_THROW(parsePythonManifest(R"({"requirements": ["x @ file:///etc/passwd"]})", "m.json"),
               ArtifactError);
  EXPECT_THROW(parsePythonManifest(R"({"interpreter": "/bin/sh"})", "m.json"), ArtifactError);
  EXPECT_THROW(parsePythonManifest("[1", "m.json"), ArtifactError);
}

TEST_F(ArtifactTest, NoPythonFolderMeansNoEnvironment) {
  fs::create_directories(dir_ / "dist/resources");
  EXPECT_FALSE(preparePythonEnvironment(path("dist"), path("cache")).has_value());
}

TEST_F(ArtifactTest, TwoProcessesBuildOneEnvironmentOnce) {
  // No requirements: a venv without pip, quick to make, still built under the lock.
  fs::create_directories(dir_ / "dist/squall-python");
  PythonManifest m;
  m.version = "";  // any python3
  std::ofstream(dir_ / "dist/squall-python/manifest.json") << toJson(m);
  std::optional<PythonEnvironment> a, b;
  std::thread t1([&] { a = preparePythonEnvironment(path("dist"), path("cache")); });
  std::thread t2([&] { b = preparePythonEnvironment(path("dist"), path("cache")); });
  t1.join();
  t2.join();
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->venvDir, b->venvDir);
  EXPECT_NE(a->created, b->created);  // exactly one built it
  EXPECT_TRUE(fs::exists(a->interpreter));
  EXPECT_EQ(a->env.at("VIRTUAL_ENV"), a->venvDir);
  EXPECT_EQ(a->env.at("PATH").rfind(a->venvDir + "/bin", 0), 0u);
  // A third call finds it ready; a half-built folder (no marker) is built again.
  auto c = preparePythonEnvironment(path("dist"), path("cache"));
  EXPECT_FALSE(c->created);
  fs::remove(fs::path(c->venvDir) / ".squall-ready");
  EXPECT_TRUE(preparePythonEnvironment(path("dist"), path("cache"))->created);
}

// A wheel written by hand (a wheel is a zip with a dist-info folder), so no build is needed.
void writeWheel(const std::string& path) {
  writeArtifact(path, {{"handlib/__init__.py", {}, "VALUE = 42\n", false},
                       {"handlib-2.0.dist-info/METADATA",
                        {},
                        "Metadata-Version: 2.1\nName: handlib\nVersion: 2.0\n",
                        false},
                       {"handlib-2.0.dist-info/WHEEL",
                        {},
                        "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
                        "Tag: py3-none-any\n",
                        false},
                       {"handlib-2.0.dist-info/RECORD",
                        {},
                        "handlib/__init__.py,,\nhandlib-2.0.dist-info/METADATA,,\n"
                        "handlib-2.0.dist-info/WHEEL,,\nhandlib-2.0.dist-info/RECORD,,\n",
                        false}});
}

TEST_F(ArtifactTest, InstallsTheWheelsOfflineAndTheyImport) {
  fs::create_directories(dir_ / "dist/squall-python/wheels");
  writeWheel(path("dist/squall-python/wheels/handlib-2.0-py3-none-any.whl"));
  PythonManifest m;
  m.version = "";
  m.requirements = {"handlib==2.0"};
  std::ofstream(dir_ / "dist/squall-python/manifest.json") << toJson(m);
  // An index that cannot answer: pip must not ask one.
  setenv("PIP_INDEX_URL", "http://127.0.0.1:9/unreachable", 1);
  auto env = preparePythonEnvironment(path("dist"), path("cache"));
  unsetenv("PIP_INDEX_URL");
  ASSERT_TRUE(env);
  std::string out = path("out.txt");
  std::string cmd = env->interpreter + " -c 'import handlib; print(handlib.VALUE)' > " + out;
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  EXPECT_EQ(read(out), "42\n");
}

TEST_F(ArtifactTest, AnInterpreterWithoutPipUsesTheEnvironmentsOwn) {
  // A Python with no pip module: the environment gets pip from ensurepip instead.
  ASSERT_EQ(std::system(("/usr/bin/python3 -m venv --without-pip " + path("bare")).c_str()), 0);
  fs::create_directories(dir_ / "dist/squall-python/wheels");
  writeWheel(path("dist/squall-python/wheels/handlib-2.0-py3-none-any.whl"));
  PythonManifest m;
  m.requirements = {"handlib==2.0"};
  std::ofstream(dir_ / "dist/squall-python/manifest.json") << toJson(m);
  PythonEnvironmentOptions options;
  options.interpreter = path("bare/bin/python");
  auto env = preparePythonEnvironment(path("dist"), path("cache"), options);
  ASSERT_TRUE(env);
  EXPECT_EQ(std::system((env->interpreter + " -c 'import handlib'").c_str()), 0);
}

TEST_F(ArtifactTest, NamesTheVersionItCannotFind) {
  fs::create_directories(dir_ / "dist/squall-python");
  PythonManifest m;
  m.interpreter = "python3";
  m.version = "2.1";
  std::ofstream(dir_ / "dist/squall-python/manifest.json") << toJson(m);
  try {
    preparePythonEnvironment(path("dist"), path("cache"));
    FAIL() << "built an environment for a Python that does not exist";
  } catch (const ArtifactError& e) {
    EXPECT_NE(std::string(e.what()).find("Python 2.1"), std::string::npos) << e.what();
  }
}

}  // namespace
