/**
 * The two lists that say where a fixture check is not plain "kdx = crash": what kdx does not do yet
 * (known-gaps.ts) and where crash is wrong (crash-errata.ts). Printed here in full, once, and kept honest:
 * every entry names fixture dumps that exist and a check that a test runs.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { CRASH_ERRATA } from "../crash-errata.ts";
import { fixtureDumps } from "../dump-fixtures.ts";
import { ROOT } from "../helpers.ts";
import { KNOWN_GAPS } from "../known-gaps.ts";

const ids = fixtureDumps().map((d) => d.id);
const testSources = readdirSync(join(ROOT, "test"), { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .flatMap((e) =>
    readdirSync(join(ROOT, "test", e.name))
      .filter((f) => f.endsWith(".test.ts"))
      .map((f) => readFileSync(join(ROOT, "test", e.name, f), "utf8")),
  )
  .join("\n");

/** The checks the tests name: their string literals, and their template literals as patterns. */
const named = (check: string) =>
  testSources.includes(JSON.stringify(check)) ||
  [...testSources.matchAll(/`([^`]*)`/g)].some(
    (m) =>
      // Enough literal text to name a check (a bare `${x}` would match anything).
      m[1].replace(/\$\{[^}]*\}/g, "").length >= 20 &&
      new RegExp(
        `^${m[1]
          .split(/\$\{[^}]*\}/)
          .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
          .join(".+")}$`,
      ).test(check),
  );

test("the known-gap check finder finds only checks a test names", () => {
  assert.ok(named("kdx ps = crash ps, every column of every row"));
  // Built here, so that its text is in no source.
  assert.ok(!named(["a check", "no test runs"].join(" that ")));
});

test("what does not work yet, fixture by fixture (test/known-gaps.ts)", (t) => {
  for (const g of KNOWN_GAPS) {
    const on = ids.filter((id) => g.dumps.test(id));
    t.diagnostic(`#${g.issue} ${g.check} — on ${on.join(", ")}: ${g.reason}`);
    assert.ok(on.length > 0, `${g.dumps} names no fixture dump`);
    assert.ok(named(g.check), `no test runs the check "${g.check}"`);
  }
});

test("where the oracle's crash is wrong, and what kdx is held to instead (test/crash-errata.ts)", (t) => {
  for (const e of CRASH_ERRATA) {
    const on = ids.filter((id) => e.dumps.test(id));
    t.diagnostic(`${e.command}: ${e.what} — on ${on.join(", ")}: ${e.reason}`);
    assert.ok(on.length > 0, `${e.dumps} names no fixture dump`);
  }
});
