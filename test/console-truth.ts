/**
 * What the dying kernel itself printed on its serial console (each fixture folder's console.log): the
 * second oracle, for where the oracle's crash is wrong about the dump (see crash-errata.ts).
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { FixtureDump } from "./dump-fixtures.ts";

export interface ConsoleTruth {
  /** Seconds since boot of the "Kernel panic - not syncing" line. */
  panicUptime: number;
  /** The wall clock at the panic: the RTC time the kernel set at boot, plus the time since. */
  panicWallClock?: number;
  /** The modules of the first "Modules linked in:" line, without taint flags, if one was printed. */
  modules?: string[];
}

export function consoleTruth(d: FixtureDump): ConsoleTruth {
  const path = join(d.dir, "console.log");
  if (!existsSync(path)) throw new Error(`${d.id}: no console.log`);
  // A kdump capture's console goes on into the capture kernel's boot: only what came before the panic.
  const text = readFileSync(path, "utf8");
  const panic = /^\[\s*(\d+\.\d+)\] Kernel panic - not syncing/m.exec(text);
  if (!panic) throw new Error(`${d.id}: the console has no panic line`);
  const before = text.slice(0, panic.index);
  const rtc = /^\[\s*(\d+\.\d+)\] rtc_cmos .*: setting system clock to \S+ UTC \((\d+)\)/m.exec(before);
  const mods = /Modules linked in: (.*)$/m.exec(before);
  const panicUptime = Number(panic[1]);
  return {
    panicUptime,
    panicWallClock: rtc ? Number(rtc[2]) + (panicUptime - Number(rtc[1])) : undefined,
    modules: mods?.[1]
      .trim()
      .split(/\s+/)
      .map((m) => m.replace(/\(.*\)$/, ""))
      .sort(),
  };
}

/** crash's `sys` DATE ("Sun Dec  6 21:51:58 UTC 2026") as seconds since the epoch. */
export function sysDate(s: string): number {
  const m = /^\w{3} (\w{3}) +(\d+) (\d\d):(\d\d):(\d\d) UTC (\d+)$/.exec(s);
  if (!m) throw new Error(`not a crash sys DATE: ${s}`);
  const month = "JanFebMarAprMayJunJulAugSepOctNovDec".indexOf(m[1]) / 3;
  return Date.UTC(Number(m[6]), month, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5])) / 1000;
}

/** crash's `sys` UPTIME ("00:00:08", "2 days, 03:04:05") in seconds. */
export function sysUptime(s: string): number {
  const m = /^(?:(\d+) days?, )?(\d\d):(\d\d):(\d\d)$/.exec(s);
  if (!m) throw new Error(`not a crash sys UPTIME: ${s}`);
  return Number(m[1] ?? 0) * 86400 + Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4]);
}

/**
 * The functions of the panic's Call Trace as the console shows it, its reliable entries only (the
 * unwinder's "?" guesses dropped): the oops's trace, printed before the panic line, or else the one panic()
 * printed itself, less its leading dump_stack* frames (returned from before the dump was taken).
 */
export function consoleCallTrace(d: FixtureDump): string[] {
  const text = readFileSync(join(d.dir, "console.log"), "utf8");
  const panic = /^\[\s*\d+\.\d+\] Kernel panic - not syncing/m.exec(text);
  const end = panic?.index ?? text.length;
  let at = text.lastIndexOf("Call Trace:", end);
  if (at < 0) at = text.indexOf("Call Trace:", end);
  if (at < 0) return [];
  const out: string[] = [];
  for (const line of text.slice(at).split("\n").slice(1)) {
    const m = /^\[\s*\d+\.\d+\]\s+(\?\s+)?([A-Za-z_][\w.]*)\+0x[0-9a-f]+\/0x[0-9a-f]+/.exec(line);
    if (m) {
      if (!m[1] && !(out.length === 0 && m[2].startsWith("dump_stack"))) out.push(m[2]);
    } else if (/^\[\s*\d+\.\d+\]\s+<\/?(TASK|IRQ|NMI)>/.test(line)) continue;
    else break;
  }
  return out;
}
