#pragma once
// Exception types that carry the context a user needs to find the problem: the component,
// the stream, the field, the config key. Named after the Java exceptions Storm throws in the
// same situations so Storm users recognise them.

#include <stdexcept>
#include <string>

namespace squall {

// Base of every error Squall raises on purpose.
class SquallError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A caller passed something that cannot be right: an unknown field, stream or task.
class IllegalArgumentException : public SquallError {
 public:
  using SquallError::SquallError;
};

// A value was read as a type it does not hold (Storm's typed getters are casts).
class ClassCastException : public SquallError {
 public:
  using SquallError::SquallError;
};

// A topology was rejected at submit time; the message names the component and the problem.
class InvalidTopologyException : public SquallError {
 public:
  using SquallError::SquallError;
};

// A configuration value has the wrong type or is out of range; the message names the key.
class ConfigError : public SquallError {
 public:
  using SquallError::SquallError;
};

// Thrown by a basic bolt to fail its input tuple instead of crashing (Storm's FailedException).
class FailedException : public SquallError {
 public:
  explicit FailedException(const std::string& what = "failed") : SquallError(what) {}
};

// Like FailedException, and the error is also reported (Storm's ReportedFailedException).
class ReportedFailedException : public FailedException {
 public:
  using FailedException::FailedException;
};

}  // namespace squall
