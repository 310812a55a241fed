#pragma once
// "Did you mean" suggestions for misspelt names (classes, component ids, keys, fields).

#include <string>
#include <vector>

namespace squall::flux {

// The candidate closest to `name` when it is close enough (edit distance, ignoring case;
// a class named by its simple name matches its fully qualified name), else empty.
std::string closestMatch(const std::string& name, const std::vector<std::string>& candidates);

// " (did you mean 'x'?)" or "".
std::string didYouMean(const std::string& name, const std::vector<std::string>& candidates);

}  // namespace squall::flux
