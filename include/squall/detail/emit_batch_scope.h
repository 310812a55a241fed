#pragma once
// EmitBatchScope: for a thread that is not an executor's and emits in bursts (a multilang
// bolt's reader thread decodes many emits and acks from one read of the child's pipe).
// While a scope is alive on such a thread, its emits and acks through any collector are held
// and handed to the receiving executors together when the scope ends (or once
// `topology.producer.batch.size` are held), rather than with one queue push and possibly one
// wake-up each. Executor threads batch on their own; for them the scope does nothing.
// Do not keep a scope open across a wait for input: what it holds waits with it.

#include <cstddef>

namespace squall::detail {

class EmitBatchScope {
 public:
  // `maxHeld`: what the scope may hold before it hands it over early, when that is more than
  // `topology.producer.batch.size` (a reader that holds a round-trip child's words for a
  // while). Nested scopes keep the outermost one's.
  explicit EmitBatchScope(size_t maxHeld = 0);
  ~EmitBatchScope();
  EmitBatchScope(const EmitBatchScope&) = delete;
  EmitBatchScope& operator=(const EmitBatchScope&) = delete;
};

}  // namespace squall::detail
