// A test hook: TTL_TORCH_TEST_WRITE_PAUSE_MS=n holds each journal append (between the two halves of
// its line) and each atomic write (before its rename) for n ms, so that the crash-safety test's kill -9
// lands inside writes, not only between them. Unset, it costs one environment lookup.
export function writePause(): void {
  const ms = Number(process.env.TTL_TORCH_TEST_WRITE_PAUSE_MS ?? 0);
  if (ms > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
