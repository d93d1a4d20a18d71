/**
 * Every kdx command, once: its name, how kdx's usage lists it, and where its code is. `kdx CMD`, the shell,
 * `help`, `help CMD`, completion and the README's command table all come from here. A crash command
 * (`dump: true`) runs on an open dump, in the shell and as `kdx CMD [options] DUMP`; the others are kdx's
 * own tools. Each module is loaded only when its command runs: `kdx dmesg` never pays for the x86 decoder.
 *
 * Adding a crash command: one module exporting a `SessionCommand` (its options, help, the analysis it calls
 * and the view it prints), and one line here.
 */
import type { SessionCommand } from "../session.ts";

/** One of kdx's own commands: it parses its arguments and returns the exit status. */
export interface ToolCommand {
  HELP: string;
  run(argv: string[], out: NodeJS.WritableStream): Promise<number>;
}

export interface CommandEntry {
  name: string;
  /** The synopsis in kdx's usage (`kdx help`), without "kdx ". */
  synopsis: string;
  /** What it answers, one line. */
  summary: string;
  /** A crash command on an open dump; else a tool of kdx's own. */
  dump: boolean;
  load(): Promise<SessionCommand | ToolCommand>;
}

const dump = (
  name: string,
  synopsis: string,
  summary: string,
  load: () => Promise<SessionCommand>,
): CommandEntry => ({ name, synopsis, summary, dump: true, load });
const tool = (
  name: string,
  synopsis: string,
  summary: string,
  load: () => Promise<ToolCommand>,
): CommandEntry => ({ name, synopsis, summary, dump: false, load });

export const COMMANDS: readonly CommandEntry[] = [
  tool(
    "oops",
    "oops [FILE...|-]",
    "find and explain kernel crash reports in logs (dmesg, vmcore-dmesg.txt, consoles) or in the log of a vmcore",
    async () => {
      const m = await import("./oops.ts");
      return { HELP: m.HELP, run: m.oopsCommand };
    },
  ),
  tool(
    "info",
    "info DUMP",
    "what a dump is: format, compression, dump level, memory, CPUs, release, VMCOREINFO",
    async () => {
      const m = await import("./info.ts");
      return { HELP: m.HELP, run: m.infoCommand };
    },
  ),
  tool(
    "dmesg",
    "dmesg DUMP [OUT]",
    "the kernel log of a dump, exactly as makedumpfile --dump-dmesg writes it",
    async () => {
      const m = await import("./dmesg.ts");
      return { HELP: m.HELP, run: m.dmesgCommand };
    },
  ),
  tool(
    "collect",
    "collect [-d N] [-c|-l|-p|-z] [-F] VMCORE OUT",
    "makedumpfile's job: filter, compress, write a kdump-compressed dump (or a flattened stream); -R restores one",
    async () => {
      const m = await import("./collect.ts");
      return { HELP: m.HELP, run: m.collectCommand };
    },
  ),
  tool(
    "serve",
    "serve --data DIR --authorized-keys FILE",
    "a kdump ssh target (SSH/SFTP/scp, HTTP) that stores, analyses and groups dumps, with a web dashboard",
    async () => {
      const m = await import("./serve.ts");
      return { HELP: m.HELP, run: m.serveCommand };
    },
  ),
  dump(
    "sys",
    "sys DUMP",
    "the machine at a glance, as crash's sys prints it",
    async () => (await import("./sys.ts")).sys,
  ),
  dump(
    "ps",
    "ps [-A|-S|-s|-l|-m|-p|-c] DUMP",
    "the tasks, as crash's ps lists them (-A -S -s -l -m -p -c)",
    async () => (await import("./ps.ts")).ps,
  ),
  dump(
    "bt",
    "bt [-a|-c CPU|PID] DUMP",
    "bt [-a] [-c CPU] [PID|TASK]: kernel stacks (ORC), as crash prints them",
    async () => (await import("./bt.ts")).bt,
  ),
  dump(
    "foreach",
    "foreach bt DUMP",
    "foreach bt: every task's backtrace",
    async () => (await import("./foreach.ts")).foreach,
  ),
  dump(
    "task",
    "task PID|TASK DUMP",
    "task PID|TASK [-R member,...]: a task's task_struct",
    async () => (await import("./task.ts")).task,
  ),
  dump(
    "set",
    "set [PID|TASK|-p] DUMP",
    "set [PID|TASK|-p]: show or change the current task (bt's default)",
    async () => (await import("./set.ts")).set,
  ),
  dump(
    "log",
    "log DUMP",
    "the kernel log, as crash's log prints it (-t -T -P -m -d)",
    async () => (await import("./log.ts")).log,
  ),
  dump(
    "mod",
    "mod DUMP",
    "the loaded modules, as crash's mod lists them",
    async () => (await import("./mod.ts")).mod,
  ),
  dump(
    "kmem",
    "kmem -i DUMP",
    "kmem -i: memory use, as crash prints it",
    async () => (await import("./kmem.ts")).kmem,
  ),
  dump(
    "sym",
    "sym ADDR|NAME DUMP",
    "address → symbol, symbol → address",
    async () => (await import("./sym.ts")).sym,
  ),
  dump(
    "rd",
    "rd ADDR [N] DUMP",
    "read memory: rd [-p] [-8|-16|-32|-64] [-s] ADDRESS|SYMBOL [COUNT]",
    async () => (await import("./rd.ts")).rd,
  ),
  dump(
    "dis",
    "dis SYMBOL [N] DUMP",
    "dis SYMBOL|ADDRESS [COUNT]: disassemble, branch targets named",
    async () => (await import("./dis.ts")).dis,
  ),
  dump(
    "p",
    "p SYMBOL DUMP",
    "p[/x|/d] SYMBOL[.member]: a variable's value, numbered $N (per-CPU ones with their type)",
    async () => (await import("./print.ts")).p,
  ),
  dump("px", "px SYMBOL DUMP", "px SYMBOL: p in hexadecimal", async () => (await import("./print.ts")).px),
  dump("pd", "pd SYMBOL DUMP", "pd SYMBOL: p in decimal", async () => (await import("./print.ts")).pd),
  dump(
    "struct",
    "struct NAME [ADDR] DUMP",
    "struct NAME[.member,...] [-o] [ADDRESS|SYMBOL]: layout, offsets, or an object's contents",
    async () => (await import("./struct.ts")).struct,
  ),
  dump(
    "union",
    "union NAME [ADDR] DUMP",
    "union NAME[.member,...] [-o] [ADDRESS|SYMBOL]: layout, offsets, or an object's contents",
    async () => (await import("./struct.ts")).union,
  ),
  dump(
    "whatis",
    "whatis NAME DUMP",
    "whatis TYPE|SYMBOL: a type's definition, or what a symbol is",
    async () => (await import("./struct.ts")).whatis,
  ),
  dump(
    "eval",
    "eval [-b] EXPRESSION DUMP",
    "eval (x op y) | value: in hex, decimal, octal and binary",
    async () => (await import("./numbers.ts")).evalCommand,
  ),
  dump(
    "ascii",
    "ascii VALUE DUMP",
    "ascii VALUE: a word's bytes as characters",
    async () => (await import("./numbers.ts")).ascii,
  ),
  dump(
    "ptob",
    "ptob PFN DUMP",
    "ptob PFN: a page frame's physical address",
    async () => (await import("./numbers.ts")).ptob,
  ),
  dump(
    "btop",
    "btop ADDRESS DUMP",
    "btop ADDRESS: the page frame a physical address is in",
    async () => (await import("./numbers.ts")).btop,
  ),
  dump(
    "ptov",
    "ptov PHYSICAL DUMP",
    "ptov PHYSICAL: its address in the kernel's direct map",
    async () => (await import("./numbers.ts")).ptov,
  ),
  dump("wr", "wr ...", "wr: refused, a dump is read-only", async () => (await import("./numbers.ts")).wr),
];

export function findCommand(name: string): CommandEntry | undefined {
  return COMMANDS.find((c) => c.name === name);
}

/** The crash commands, loaded: what the shell runs. */
export async function loadDumpCommands(): Promise<Map<string, SessionCommand>> {
  const entries = COMMANDS.filter((c) => c.dump);
  const loaded = await Promise.all(entries.map((c) => c.load() as Promise<SessionCommand>));
  return new Map(entries.map((c, i) => [c.name, loaded[i]]));
}

/** kdx's usage: every command with its synopsis and summary, wrapped under it. */
export function usage(): string {
  const lines = [
    "usage: kdx <command> [options]",
    '       kdx [-s] [-c "CMD; CMD"] [--system-map FILE] DUMP     an interactive session, as crash opens',
    "",
    "commands:",
  ];
  for (const c of COMMANDS) {
    const head = `  ${c.synopsis}`;
    if (head.length < 21) lines.push(`${head.padEnd(21)}${c.summary}`);
    else lines.push(head, `${" ".repeat(21)}${c.summary}`);
  }
  lines.push(
    `  ${"help [COMMAND]".padEnd(19)}this text, or a command's`,
    "",
    'Run "kdx help oops" for a command\'s options.',
  );
  return `${lines.join("\n")}\n`;
}

const pipes = (s: string) => s.replace(/\|/g, "\\|");

/** The README's command table (Markdown), kept equal to this list by test/meta/registry.test.ts. */
export function commandTable(): string {
  const rows = COMMANDS.map(
    (c) => `| \`kdx ${pipes(c.synopsis)}\` | ${c.dump ? "crash" : "kdx"} | ${pipes(c.summary)} |`,
  );
  return ["| command | from | what it answers |", "| --- | --- | --- |", ...rows].join("\n");
}
