/** The hand-written trace-line reader gives exactly what its regex definition gives, on real and mangled lines. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { FRAME_LINE, parseFrameLine } from "../../src/report/frame-line.ts";
import { parseLine } from "../../src/report/lines.ts";
import type { Frame } from "../../src/report/types.ts";
import { fixtureConsoleLogs, syzkallerReports } from "../helpers.ts";

/** What the reader made of a frame line when it used the regex. */
function byRegex(t: string, context: string): Frame | undefined {
  const f = FRAME_LINE.exec(t);
  if (!f) return undefined;
  const addr = f[1] ?? f[3] ?? (f[8] ? f[8].slice(2) : undefined);
  return {
    kind: "frame",
    context,
    address: addr ? `0x${addr}` : undefined,
    symbol: f[4]
      ? {
          name: f[4],
          offset: Number.parseInt(f[5]!, 16),
          size: Number.parseInt(f[6]!, 16),
          module: f[7] || undefined,
        }
      : undefined,
    reliable: !f[2],
    text: t.trim(),
  };
}

function check(t: string): boolean {
  assert.deepEqual(parseFrameLine(t, "IRQ"), byRegex(t, "IRQ"), JSON.stringify(t));
  return FRAME_LINE.test(t);
}

test("every line of the fixture logs and syzkaller's reports reads as the regex reads it", () => {
  let lines = 0;
  let frames = 0;
  for (const text of [...fixtureConsoleLogs("latin1"), ...syzkallerReports("latin1")]) {
    for (const raw of text.split("\n")) {
      lines++;
      if (check(parseLine(raw, 1).text)) frames++;
    }
  }
  assert.ok(frames > 10_000 && lines > frames, `${frames} frames in ${lines} lines`);
});

test("edge cases: columns, unreliable marks, modules, bare addresses, what may follow", () => {
  const cases = [
    " do_syscall_64+0x5d/0x90",
    " ? do_fault+0x1a7/0x410",
    "  crashmod_write+0x8e/0xc5 [crashmod]",
    " crashmod_write+0x8e/0xc5 [crash-mod 1f3a]",
    " crashmod_write+0x8e/0xc5 [crashmod xyz]",
    " crashmod_write+0x8e/0xc5 [crashmod 1f3a",
    " crashmod_write+0x8e/0xc5 []",
    " crashmod_write+0x8e/0xc5 [crashmod] trailing",
    " crashmod_write+0x8e/0xc5\t \r",
    " [<ffffffff8108f1c2>] ? __warn+0x72/0xc0",
    " [<ffffffff8108f1c2>]? __warn+0x72/0xc0",
    " [<ffffffff8108f1c2>] [<ffffffff8108f1c3>] __warn+0x72/0xc0",
    " ? [<ffffffff8108f1c2>] __warn+0x72/0xc0",
    " [<ffffffff8108f1c2>] ? [<ffffffff8108f1c3>] __warn+0x72/0xc0",
    "[<ffffffffXX08f1c2>] __warn+0x72/0xc0",
    " [<>] __warn+0x72/0xc0",
    " [<ffffffff8108f1c2>]",
    " 0xffffffffc0a1b2c3",
    " ? 0xffffffffc0a1b2c3 ",
    " 0x12345",
    " 0x123456",
    " 0x12345678901234567",
    " 0x1234567890123456",
    " 0xABCDEF12",
    " .text.unlikely+0x1/0x2",
    " $x.y$+0x1/0x2",
    " 9foo+0x1/0x2",
    " foo+0x/0x2",
    " foo+0x1/0x",
    " foo+0x1/0x2g",
    " foo+0X1/0x2",
    " foo-0x1/0x2",
    " foo+0xfffffffffffffffff/0x2",
    " foo+0x1/0x20000000000000001",
    "",
    " ",
    "?",
    "? ",
    "\u00a0foo+0x1/0x2\u2028",
    "\u3000 ? foo+0x1/0x2 [m]\u00a0",
    "Call Trace:",
    " <TASK>",
  ];
  const matched = cases.filter(check).length;
  assert.ok(matched >= 20, `${matched} of ${cases.length} cases are frames`);
});

test("mangled frame lines: characters dropped, doubled and swapped read as the regex reads them", () => {
  const seeds = [
    " [<ffffffff8108f1c2>] ? __warn+0x72/0xc0 [mod 1f]",
    " ? 0xffffffffc0a1b2c3",
    "  crashmod_write+0x8e/0xc5 [crash-mod]",
  ];
  const alphabet = " ?[]<>+/0x1afgZ_.$-\t\u00a0";
  let seed = 12345;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  let frames = 0;
  for (let k = 0; k < 30_000; k++) {
    let s = seeds[rand(seeds.length)]!;
    for (let m = 1 + rand(3); m > 0; m--) {
      const i = rand(s.length + 1);
      const op = rand(3);
      if (op === 0) s = s.slice(0, i) + s.slice(i + 1);
      else if (op === 1) s = s.slice(0, i) + alphabet[rand(alphabet.length)] + s.slice(i);
      else s = s.slice(0, i) + s.slice(i, i + 1) + s.slice(i);
    }
    if (check(s)) frames++;
  }
  assert.ok(frames > 1000 && frames < 29_000, `${frames} of 30000 mangled lines are still frames`);
});
