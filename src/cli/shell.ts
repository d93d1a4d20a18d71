/**
 * `kdx DUMP`: an interactive session like `crash vmlinux vmcore` — the sys banner, then a `kdx>` prompt with
 * history and tab completion (commands, then kernel symbols); `cmd | shell pipeline` and `cmd > file`;
 * `kdx -c "sys; ps" DUMP` and commands on standard input for scripts.
 */
import { spawnSync } from "node:child_process";
import { appendFileSync, writeFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { panicTask } from "../analysis/backtrace.ts";
import { psRows } from "../analysis/tasks.ts";
import { openKernel } from "../platform/node/open-kernel.ts";
import { KdxError } from "../util/errors.ts";
import { contextBlock } from "../views/task.ts";
import { COMMANDS, loadDumpCommands } from "./commands/index.ts";
import { type Session, TextSink } from "./session.ts";

const QUIT = new Set(["q", "quit", "exit"]);

/** Words of a command line, with '…' and "…" quoting. */
export function words(line: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) out.push(m[1] ?? m[2] ?? m[3]);
  return out;
}

/** Split off `| pipeline` and `> file` / `>> file` (outside quotes). */
export function splitRedirect(line: string): {
  command: string;
  pipe?: string;
  file?: string;
  append?: boolean;
} {
  let quote = "";
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = "";
    } else if (c === '"' || c === "'") quote = c;
    else if (c === "|") return { command: line.slice(0, i).trim(), pipe: line.slice(i + 1).trim() };
    else if (c === ">") {
      const append = line[i + 1] === ">";
      return { command: line.slice(0, i).trim(), file: line.slice(i + (append ? 2 : 1)).trim(), append };
    }
  }
  return { command: line.trim() };
}

function helpText(session: Session, topic?: string): string {
  if (topic) {
    const c = session.commands.get(topic);
    return c ? c.help : `no such command: ${topic}\n`;
  }
  const lines = ["commands:"];
  for (const c of COMMANDS) if (c.dump) lines.push(`  ${c.name.padEnd(8)} ${c.summary}`);
  lines.push(`  ${"help".padEnd(8)} this list, or "help CMD"`, `  ${"q".padEnd(8)} leave`);
  lines.push("", 'Output can go to a shell pipeline ("ps | grep sh") or a file ("log > log.txt").');
  return `${lines.join("\n")}\n`;
}

/**
 * Run one command line in the session. A failure is one line on `err`, whatever it was (an error kdx did
 * not foresee says so, with KDX_DEBUG=1 for its stack), and the session goes on. False when it failed.
 */
export function runLine(
  session: Session,
  line: string,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): boolean {
  const { command, pipe, file, append } = splitRedirect(line);
  const [word, ...rest] = words(command);
  if (!word) return true;
  // crash's print formats ride on the command's name: p/x, p/d.
  const slash = /^(p|px|pd)\/([xd])$/.exec(word);
  const name = slash ? slash[1] : word;
  const args = slash ? [`/${slash[2]}`, ...rest] : rest;
  const sink = pipe || file ? new TextSink() : out;
  try {
    if (name === "help") sink.write(helpText(session, args[0]));
    else {
      const cmd = session.commands.get(name);
      if (!cmd) throw new KdxError("no such command (help lists them)");
      cmd.run(session, args, sink as NodeJS.WritableStream);
    }
  } catch (e) {
    err.write(`${name}: ${failure(e)}\n`);
    return false;
  }
  if (sink instanceof TextSink) {
    if (file) (append ? appendFileSync : writeFileSync)(file, sink.text);
    else {
      // The pipeline is the user's own shell command, as in crash.
      const r = spawnSync("/bin/sh", ["-c", pipe!], { input: sink.text, encoding: "utf8" });
      out.write(r.stdout ?? "");
      if (r.stderr) err.write(r.stderr);
    }
  }
  return true;
}

/** An error as one line: kdx's own as they are, anything else marked as kdx's fault. */
function failure(e: unknown): string {
  if (e instanceof KdxError) return e.message;
  if (e instanceof Error && "code" in e && String(e.code).startsWith("ERR_PARSE_ARGS")) return e.message;
  if (process.env.KDX_DEBUG && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
  return `internal error: ${e instanceof Error ? e.message : String(e)} (a bug in kdx; KDX_DEBUG=1 shows where)`;
}

export interface ShellOptions {
  systemMap?: string;
  btf?: string;
  /** Commands to run instead of reading them (-c "sys; ps"). */
  commands?: string;
  /** No banner (crash -s). */
  silent?: boolean;
}

export async function shell(path: string, opts: ShellOptions): Promise<number> {
  const { dump, kernel, vmlinux } = openKernel(path, "shell", { systemMap: opts.systemMap, btf: opts.btf });
  const session: Session = { dump, kernel, path, vmlinux, commands: await loadDumpCommands() };
  const out = process.stdout;
  const err = process.stderr;
  // In -c and script mode a command that failed (or does not exist) makes the exit status 1.
  let failed = false;
  const run = (line: string) => {
    if (!runLine(session, line, out, err)) failed = true;
  };
  try {
    if (opts.commands !== undefined) {
      for (const line of opts.commands.split(";")) run(line);
      return failed ? 1 : 0;
    }
    const interactive = process.stdin.isTTY === true;
    if (!opts.silent) {
      runLine(session, "sys", out, err);
      // crash's banner ends with the context it starts in: the panic task.
      const r = panicTask(kernel, psRows(kernel));
      if (r) out.write(contextBlock(r, r, true));
      out.write("\n");
    }
    const rl = createInterface({
      input: process.stdin,
      output: interactive ? out : undefined,
      terminal: interactive,
      prompt: "kdx> ",
      historySize: 1000,
      completer: (line: string) => complete(session, line),
    });
    if (interactive) rl.prompt();
    for await (const line of rl) {
      if (QUIT.has(line.trim())) break;
      run(line);
      if (interactive) rl.prompt();
    }
    rl.close();
    return failed && !interactive ? 1 : 0;
  } finally {
    dump.close();
  }
}

/** Tab completion: command names first, then kernel symbols (the first 200 that match). */
function complete(session: Session, line: string): [string[], string] {
  const parts = line.split(/\s+/);
  const word = parts[parts.length - 1];
  if (parts.length <= 1) {
    const names = [...session.commands.keys(), "help", ...QUIT].filter((n) => n.startsWith(word));
    return [names, word];
  }
  if (word.length < 2) return [[], word];
  try {
    return [session.kernel.symbols.namesStartingWith(word, 200), word];
  } catch {
    return [[], word];
  }
}
