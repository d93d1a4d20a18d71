/**
 * Fuzzing the dump readers: for each format in the fixtures, bounded iterations of mutated headers and
 * metadata (every header field, the notes, both bitmaps, the first page descriptors, record headers). Only
 * FormatError-family (KdxError) errors, no hang, memory bounded. `npm run fuzz -- --minutes N` hunts longer.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { fixtureDumps } from "../dump-fixtures.ts";
import { campaign, FUZZED } from "./fuzz-campaign.ts";

// KDX_FUZZ_ITERATIONS raises the count; CI runs the default.
const ITERATIONS = Number(process.env.KDX_FUZZ_ITERATIONS ?? 1000);
// `sys` walks every task: it runs on one mutant in SYS_EVERY.
const SYS_EVERY = Number(process.env.KDX_FUZZ_SYS_EVERY ?? 10);

for (const d of fixtureDumps().filter((x) => FUZZED.includes(x.id))) {
  test(`fuzz ${d.id}: ${ITERATIONS} mutated headers, only KdxErrors, no hang, bounded memory`, async () => {
    const seed = [...d.id].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7);
    const r = await campaign(d.path, seed, ITERATIONS, SYS_EVERY);
    const n = Object.values(r.outcomes).reduce((a, b) => a + b, 0);
    assert.equal(n, ITERATIONS);
    assert.ok(r.maxArrayBuffers < 512 * 2 ** 20, `array buffers peaked at ${r.maxArrayBuffers} bytes`);
    // The campaign must reach past the first check: some mutations still yield a log.
    assert.ok((r.outcomes.log ?? 0) + (r.outcomes["log-with-warnings"] ?? 0) > 0, JSON.stringify(r.outcomes));
    console.log(`  ${d.id}: ${JSON.stringify(r.outcomes)}`);
  });
}
