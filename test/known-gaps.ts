/**
 * What kdx does not do yet, fixture by fixture: the one list of checks known to fail, each with its reason
 * and the issue that removes it. A test over the fixtures runs each of its checks through `fixtureCheck`:
 * a check on this list must still fail, and says why in the test output ("KNOWN GAP"); one that passes
 * fails its test until its entry is taken off. Nothing is skipped, and no assertion is loosened: the list
 * only shrinks, as the kernels (#20) and commands (#19) issues land.
 */
import assert from "node:assert/strict";
import { type TestContext, test } from "node:test";

export interface KnownGap {
  /** Fixture dump ids ("7.2-null/vmcore.elf") the gap is on. */
  dumps: RegExp;
  /** The check, as its test names it after the dump id ("kdx ps = crash ps"). */
  check: string;
  reason: string;
  issue: number;
}

export const KNOWN_GAPS: KnownGap[] = [
  {
    dumps: /^7\.2-/,
    check: "the same answers with the fixture's System.map given instead of the dump's kallsyms",
    reason:
      "7.2's System.map is trimmed from the fixtures (vmcore/README.md: it is in linux-image-7.2.13+deb14-cloud-amd64-dbg); nothing to compare with",
    issue: 20,
  },
  {
    dumps: /^7\.2-/,
    check: "bt of every sleeping task = crash's foreach bt",
    reason:
      "crash 9.0.2 walks 7.x stacks with the ORC register numbers from before kernel 1735858caa4b (fixed after 9.0.2 by crash d0ee428/bfce258), so its foreach bt runs into stale frames where kdx stops at the entry frame; sleeping tasks print no console trace to serve as a second oracle, and no crash with the fix runs here yet",
    issue: 20,
  },
  {
    dumps: /^7\.2-/,
    check:
      "-d 31, every compression: makedumpfile --dump-dmesg reads it; kdx reads back the same sys, bt, log",
    reason:
      "at -d 31 kdx drops the pages makedumpfile 1.7.8 drops (its output is byte-identical to makedumpfile's), and on 7.2 the user-data rule takes kernel pages too (crash cannot open makedumpfile's 7.2 -d 31 dump either); kdx's sys and bt then stop at the first missing page instead of saying what the dump level left out",
    issue: 20,
  },
  {
    dumps: /^7\.2-/,
    check:
      "bt -a — crash's blocks where crash could walk; a walk from the recorded registers where it could not",
    reason:
      "crash 9.0.2 reads 7.x ORC with the old register numbers (see the crash errata): its blocks for both CPUs run into stale frames, and the bt -a test has no second oracle for the CPU that panic() stopped",
    issue: 20,
  },
  {
    dumps: /^7\.2-/,
    check: "kdx sym jiffies answers as crash sym jiffies does",
    reason:
      "on 7.2 jiffies is a linker-script alias in kernel text (type T), and crash prints a text symbol's source line after it from the vmlinux's debuginfo (here an empty one: a trailing space); kdx without a vmlinux has no line to print",
    issue: 19,
  },
];

export function knownGap(dumpId: string, check: string): KnownGap | undefined {
  return KNOWN_GAPS.find((g) => g.check === check && g.dumps.test(dumpId));
}

/**
 * `test("<dump>: <check>", fn)`, with the known-gaps rule: a listed check is run and must fail, its reason
 * printed; a listed check that passes is a failure that says to remove its entry.
 */
export function fixtureCheck(
  dumpId: string,
  check: string,
  fn: (t: TestContext) => void | Promise<void>,
  opts: { timeout?: number } = {},
): void {
  test(`${dumpId}: ${check}`, opts, async (t) => {
    const gap = knownGap(dumpId, check);
    if (!gap) return fn(t);
    t.diagnostic(`KNOWN GAP (#${gap.issue}): ${gap.reason}`);
    let failure: unknown;
    try {
      await fn(t);
    } catch (e) {
      failure = e;
    }
    assert.ok(
      failure,
      `${dumpId}: "${check}" now passes: take its entry off test/known-gaps.ts (it was: ${gap.reason})`,
    );
    t.diagnostic(
      `  still failing: ${String((failure as Error).message ?? failure)
        .split("\n")[0]
        .slice(0, 200)}`,
    );
  });
}
