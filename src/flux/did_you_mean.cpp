#include "flux/did_you_mean.h"

#include <algorithm>
#include <cctype>

namespace squall::flux {

namespace {

std::string lower(const std::string& s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

size_t editDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t subst = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, subst});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string simpleName(const std::string& s) {
  auto dot = s.find_last_of(".$");
  return dot == std::string::npos ? s : s.substr(dot + 1);
}

}  // namespace

std::string closestMatch(const std::string& name, const std::vector<std::string>& candidates) {
  if (name.empty()) return {};
  std::string wanted = lower(name);
  std::string best;
  size_t bestDistance = std::string::npos;
  for (const auto& c : candidates) {
    size_t d = editDistance(wanted, lower(c));
    // A simple name ("TestWordSpout") matches a fully qualified one by its last part.
    if (simpleName(name) == name) d = std::min(d, editDistance(wanted, lower(simpleName(c))));
    if (d < bestDistance) {
      bestDistance = d;
      best = c;
    }
  }
  size_t limit = std::max<size_t>(2, std::min<size_t>(simpleName(name).size() / 3, 4));
  return bestDistance <= limit ? best : std::string();
}

std::string didYouMean(const std::string& name, const std::vector<std::string>& candidates) {
  std::string m = closestMatch(name, candidates);
  return m.empty() ? std::string() : " (did you mean '" + m + "'?)";
}

}  // namespace squall::flux
