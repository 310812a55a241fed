#include "artifact/python_environment.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/evp.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>
#include <thread>

#include "artifact/artifact.h"
#include "artifact/process.h"

namespace fs = std::filesystem;

namespace squall::artifact {
namespace {

constexpr const char* kReady = ".squall-ready";
const std::regex kRequirement("[A-Za-z0-9][A-Za-z0-9._-]*==[A-Za-z0-9][A-Za-z0-9.+!_-]*");

std::string readFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ArtifactError(fmt::format("{}: cannot read", path.string()));
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// SHA-256 over the tree's sorted relative names, executable bits and bytes: the same
// squall-python/ gives the same environment whatever the jar's name or topology.
std::string treeHash(const fs::path& dir) {
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) files.push_back(fs::relative(e.path(), dir));
  }
  std::sort(files.begin(), files.end());
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  for (const auto& rel : files) {
    struct stat st {};
    ::stat((dir / rel).c_str(), &st);
    std::string head = fmt::format("{}\n{}\n{}\n", rel.string(), (st.st_mode & S_IXUSR) ? 1 : 0,
                                   static_cast<uint64_t>(st.st_size));
    EVP_DigestUpdate(ctx.get(), head.data(), head.size());
    std::ifstream in(dir / rel, std::ios::binary);
    char buf[65536];
    while (in.read(buf, sizeof buf) || in.gcount() > 0) {
      EVP_DigestUpdate(ctx.get(), buf, static_cast<size_t>(in.gcount()));
    }
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx.get(), digest, &len);
  std::string hex;
  for (unsigned int i = 0; i < len; ++i) hex += fmt::format("{:02x}", digest[i]);
  return hex;
}

// flock with a deadline; the lock goes with the descriptor (and with the process, if it dies).
class FileLock {
 public:
  FileLock(const fs::path& path, int timeoutSecs) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) {
      throw ArtifactError(
          fmt::format("{}: cannot open the lock: {}", path.string(), std::strerror(errno)));
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeoutSecs);
    while (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      if (std::chrono::steady_clock::now() >= deadline) {
        ::close(fd_);
        throw ArtifactError(
            fmt::format("{}: another process has held it for {} s building the environment",
                        path.string(), timeoutSecs));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  ~FileLock() { ::close(fd_); }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_ = -1;
};

std::string majorMinor(const std::string& interpreter, int timeoutSecs) {
  auto r = runCommand({interpreter, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"}, {},
                      {}, std::min(timeoutSecs, 60));
  if (!r.ok) return {};
  std::string v = r.output;
  while (!v.empty() && (v.back() == '\n' || v.back() == '\r')) v.pop_back();
  return v;
}

std::string chooseInterpreter(const PythonManifest& m, const PythonEnvironmentOptions& options,
                              const std::string& where) {
  std::vector<std::string> candidates;
  if (!options.interpreter.empty()) {
    candidates.push_back(options.interpreter);
  } else {
    if (!m.version.empty()) candidates.push_back("python" + m.version);
    candidates.push_back(m.interpreter);
  }
  std::string tried;
  for (const auto& c : candidates) {
    std::string v = majorMinor(c, options.timeoutSecs);
    if (v.empty()) {
      tried += fmt::format("{}{} (cannot run)", tried.empty() ? "" : ", ", c);
    } else if (!m.version.empty() && v != m.version) {
      tried += fmt::format("{}{} (Python {})", tried.empty() ? "" : ", ", c, v);
    } else {
      return c;
    }
  }
  throw ArtifactError(fmt::format("{}: the topology wants Python {} ({}); tried {}", where,
                                  m.version.empty() ? "3" : m.version, m.interpreter, tried));
}

void build(const fs::path& venv, const fs::path& pythonDir, const PythonManifest& m,
           const std::string& interpreter, const PythonEnvironmentOptions& options) {
  // pip must not look anything up: no index, no configuration of the user's, no prompt.
  std::map<std::string, std::string> env = {{"PIP_NO_INPUT", "1"},
                                            {"PIP_DISABLE_PIP_VERSION_CHECK", "1"},
                                            {"PIP_CONFIG_FILE", "/dev/null"},
                                            {"PYTHONDONTWRITEBYTECODE", "1"}};
  // Without pip: ensurepip takes seconds, and the base interpreter's pip can install into
  // the environment (below).
  auto venvRun = runCommand({interpreter, "-m", "venv", "--without-pip", venv.string()}, env, {},
                            options.timeoutSecs);
  if (!venvRun.ok) {
    throw ArtifactError(
        fmt::format("{}: `{} -m venv` failed ({}); Debian's python3-venv "
                    "provides it:\n{}",
                    venv.string(), interpreter, venvRun.error, lastLines(venvRun.output, 10)));
  }
  if (m.requirements.empty()) return;
  std::string python = (venv / "bin" / "python").string();
  std::vector<std::string> install = {"install", "--no-index", "--find-links",
                                      (pythonDir / "wheels").string()};
  install.insert(install.end(), m.requirements.begin(), m.requirements.end());
  // The base interpreter's pip, into the environment (`pip --python`, pip 22.3 and later).
  std::vector<std::string> argv = {interpreter, "-m", "pip", "--python", python};
  argv.insert(argv.end(), install.begin(), install.end());
  auto pip = runCommand(argv, env, {}, options.timeoutSecs);
  if (!pip.ok) {
    // No pip beside the interpreter, or an older one: the environment's own, from ensurepip.
    auto ensure =
        runCommand({python, "-m", "ensurepip", "--default-pip"}, env, {}, options.timeoutSecs);
    if (ensure.ok) {
      argv = {python, "-m", "pip"};
      argv.insert(argv.end(), install.begin(), install.end());
      pip = runCommand(argv, env, {}, options.timeoutSecs);
    }
  }
  if (!pip.ok) {
    throw ArtifactError(fmt::format("{}: pip install of the topology's wheels failed ({}):\n{}",
                                    venv.string(), pip.error, lastLines(pip.output, 10)));
  }
}

}  // namespace

std::string toJson(const PythonManifest& m) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("format");
  w.Int(1);
  w.Key("interpreter");
  w.String(m.interpreter.c_str());
  w.Key("version");
  w.String(m.version.c_str());
  w.Key("requirements");
  w.StartArray();
  for (const auto& r : m.requirements) w.String(r.c_str());
  w.EndArray();
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize()) + "\n";
}

PythonManifest parsePythonManifest(const std::string& text, const std::string& where) {
  rapidjson::Document d;
  d.Parse<rapidjson::kParseStopWhenDoneFlag>(text.c_str(), text.size());
  if (d.HasParseError() || !d.IsObject()) {
    throw ArtifactError(fmt::format("{}: not a JSON object", where));
  }
  PythonManifest m;
  auto str = [&](const char* key, std::string& out) {
    if (!d.HasMember(key)) return;
    if (!d[key].IsString())
      throw ArtifactError(fmt::format("{}: \"{}\" is not a string", where, key));
    out = d[key].GetString();
  };
  str("interpreter", m.interpreter);
  str("version", m.version);
  if (m.interpreter.empty() || m.interpreter.find('/') != std::string::npos) {
    throw ArtifactError(fmt::format("{}: \"interpreter\" must be a program name", where));
  }
  if (d.HasMember("requirements")) {
    const auto& reqs = d["requirements"];
    if (!reqs.IsArray())
      throw ArtifactError(fmt::format("{}: \"requirements\" is not a list", where));
    for (const auto& r : reqs.GetArray()) {
      // Each goes to pip as an argument: only NAME==VERSION (what `squall package` writes from
      // the wheels' names), never an option, a URL or a path on the supervisor's machine.
      if (!r.IsString() || !std::regex_match(r.GetString(), kRequirement)) {
        throw ArtifactError(
            fmt::format("{}: \"requirements\" holds something that is not NAME==VERSION", where));
      }
      m.requirements.emplace_back(r.GetString());
    }
  }
  return m;
}

std::optional<PythonEnvironment> preparePythonEnvironment(const std::string& stormdistDir,
                                                          const std::string& cacheRoot,
                                                          const PythonEnvironmentOptions& options) {
  fs::path pythonDir = fs::path(stormdistDir) / "squall-python";
  fs::path manifestPath = pythonDir / "manifest.json";
  std::error_code ec;
  if (!fs::exists(manifestPath, ec)) return std::nullopt;
  PythonManifest m = parsePythonManifest(readFile(manifestPath), manifestPath.string());

  PythonEnvironment out;
  out.contentHash = treeHash(pythonDir);
  fs::path cache = fs::absolute(cacheRoot);
  fs::create_directories(cache, ec);
  if (ec) {
    throw ArtifactError(fmt::format("{}: cannot create: {}", cache.string(), ec.message()));
  }
  fs::path venv = cache / out.contentHash;
  out.venvDir = venv.string();
  out.interpreter = (venv / "bin" / "python").string();
  const char* path = std::getenv("PATH");
  out.env = {{"VIRTUAL_ENV", out.venvDir},
             {"PATH", (venv / "bin").string() + (path && *path ? std::string(":") + path : "")}};
  if (fs::exists(venv / kReady, ec)) return out;

  FileLock lock(cache / (out.contentHash + ".lock"), options.timeoutSecs);
  if (fs::exists(venv / kReady, ec)) return out;  // built while this one waited
  fs::remove_all(venv, ec);                       // what a builder that died left
  std::string interpreter = chooseInterpreter(m, options, manifestPath.string());
  spdlog::info("building the Python environment {} with {} ({} requirements)", venv.string(),
               interpreter, m.requirements.size());
  try {
    build(venv, pythonDir, m, interpreter, options);
    // The marker appears whole or not at all: written aside, renamed in.
    fs::path tmp = venv / (std::string(kReady) + ".tmp");
    std::ofstream(tmp) << out.contentHash << "\n";
    fs::rename(tmp, venv / kReady);
  } catch (...) {
    fs::remove_all(venv, ec);
    throw;
  }
  out.created = true;
  return out;
}

}  // namespace squall::artifact
