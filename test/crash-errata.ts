/**
 * Where the oracle's crash is wrong about a fixture dump, and what the test holds kdx to instead: the one
 * list of them, each with why crash is wrong (and the crash commit that fixed it after the release that
 * made the oracle). A test that meets one asserts that the oracle still shows the error, prints the entry
 * ("CRASH ERRATUM"), and checks kdx against the second oracle named here: the dying kernel's console, or
 * crash's own output with the fix applied. Everything else on those dumps is compared with crash as it is.
 */
import assert from "node:assert/strict";
import type { TestContext } from "node:test";
import { consoleTruth } from "./console-truth.ts";
import { type FixtureDump, fixtureDumps } from "./dump-fixtures.ts";

export interface CrashErratum {
  dumps: RegExp;
  command: string;
  what: string;
  reason: string;
}

export const CRASH_ERRATA: CrashErratum[] = [
  {
    dumps: /^7\.2-/,
    command: "sys",
    what: "DATE",
    reason:
      "crash 9.0.2 finds no clock on 6.13 and later (tk_core became a struct tk_data, then timekeeper_data[0]) and prints the epoch; fixed after 9.0.2 (crash 7ff3146). Oracle: the console's RTC time at boot plus the panic's timestamp, to 2 s",
  },
  {
    dumps: /^7\.2-/,
    command: "sys",
    what: "UPTIME",
    reason:
      "crash 9.0.2 takes HZ as 1000 where the dump holds no kernel config (7.x has no tick_nsec either); Debian's is 250, so crash prints 225 s plus a quarter of the real uptime. Oracle: the console's panic timestamp, to 1 s",
  },
  {
    dumps: /^7\.2-/,
    command: "kmem -i",
    what: "the swap lines",
    reason:
      "crash 9.0.2 prints TOTAL SWAP, SWAP USED and SWAP FREE only if swapper_spaces exists, which 6.18 removed; fixed after 9.0.2 (crash c894f05). Oracle: crash's output with the three lines where crash prints them",
  },
  {
    dumps: /^7\.2-/,
    command: "mod",
    what: "the module list",
    reason:
      "crash 9.0.2 opens 7.2 dumps only with --no_modules (module_num_gpl_syms is gone; fixed after 9.0.2 by crash 3a415c0), and then says \"cannot access vmalloc'd module memory\". Oracle: the modules of the kernel's 'Modules linked in:' console line",
  },
  {
    dumps: /^7\.2-(null|kdump)\//,
    command: "bt",
    what: "the panic task's frames",
    reason:
      "crash 9.0.2 reads 7.x ORC with the old register numbers (kernel 1735858caa4b reordered them; fixed after 9.0.2 by crash d0ee428 and bfce258) and walks into stale frames, and with --no_modules it cannot name the module frames. Oracle: the reliable frames of the console's Call Trace, in order",
  },
];

export function crashErratum(dumpId: string, command: string, what: string): CrashErratum | undefined {
  return CRASH_ERRATA.find((e) => e.command === command && e.what === what && e.dumps.test(dumpId));
}

/** Print an erratum in the test output. */
export function noteErratum(t: TestContext, e: CrashErratum): void {
  t.diagnostic(`CRASH ERRATUM (${e.command}: ${e.what}): ${e.reason}`);
}

/**
 * The modules the kernel listed in an oops's "Modules linked in:": the dump's own console, or (a sysrq
 * panic prints none) another of the same kernel's fixture consoles, whose guests load the same modules.
 */
export function consoleModules(d: FixtureDump): string[] {
  const own = consoleTruth(d).modules;
  if (own) return own;
  for (const o of fixtureDumps().filter((x) => x.manifest.crash.release === d.manifest.crash.release)) {
    const m = consoleTruth(o).modules;
    if (m) return m;
  }
  assert.fail(`no console of ${d.manifest.crash.release} lists its modules`);
}
