#pragma once
// Drain-end calls: for a bolt whose execute() buffers work for later (a multilang bolt writes
// its input tuples to the child's pipe). On a bolt executor's thread, while it is delivering
// a batch of input, `callAtDrainEnd(fn, ctx)` asks it to call fn(ctx) once that batch is
// delivered, before it waits for more input, so a burst of tuples leaves in one write(2)
// instead of one each. Elsewhere (any other thread, or outside a batch) it returns false and
// the caller must do the work now. `cancelDrainEnd(ctx)` drops what `ctx` asked for (call it
// on the executor thread before ctx is destroyed).

namespace squall::detail {

using DrainEndFn = void (*)(void*);

bool callAtDrainEnd(DrainEndFn fn, void* ctx);
void cancelDrainEnd(void* ctx);

}  // namespace squall::detail
