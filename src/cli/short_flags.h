#pragma once
// `squall run` takes both Flux's and `sparse run`'s command lines, and two short flags mean
// different things in them: Flux's `-n` is --no-splash and `-d` is --dry-run, sparse's
// `-n NAME` names the topology and `-d` is --debug. Each is read the way the tool that the
// rest of the command line belongs to would read it.

#include <string>
#include <vector>

namespace squall::cli {

// Rewrites `-n` and `-d` of a `run` command line (argv without argv[0]) into their long forms:
// - `-n X` is `--name X` when X is neither an option nor a topology file (sparse run -n NAME),
//   else `--no-splash` (Flux);
// - `-d` is `--dry-run` when the topology is a Flux YAML file or a Storm launch form, else
//   `--debug` (sparse run, a Python topology or a streamparse name).
void disambiguateRunFlags(std::vector<std::string>& args);

}  // namespace squall::cli
