/** kdx's command line: dispatch to one command, and turn errors into one clear line. */

import { existsSync, readFileSync } from "node:fs";
import { KdxError, UsageError } from "../util/errors.ts";

const USAGE = `usage: kdx <command> [options]
       kdx [-s] [-c "CMD; CMD"] [--system-map FILE] DUMP     an interactive session, as crash opens

commands:
  oops [FILE...|-]   find and explain kernel crash reports in logs (dmesg, vmcore-dmesg.txt, consoles)
                     or in the log of a vmcore
  info DUMP          what a dump is: format, compression, dump level, memory, CPUs, release, VMCOREINFO
  log DUMP           the kernel log of a dump, as crash's "log" prints it
  dmesg DUMP [OUT]   the kernel log of a dump, exactly as makedumpfile --dump-dmesg writes it
  collect [-d N] [-c|-l|-p|-z] [-F] VMCORE OUT   makedumpfile's job: filter, compress, write a
                     kdump-compressed dump (or a flattened stream); -R restores one
  serve --data DIR --authorized-keys FILE   a kdump ssh target (SSH/SFTP/scp, HTTP)
                     that stores, analyses and groups dumps, with a web dashboard
  sys DUMP           the machine at a glance, as crash's "sys" prints it (from the dump alone)
  kmem -i DUMP       memory use, as crash's "kmem -i" prints it
  mod DUMP           the loaded modules, as crash's "mod" lists them
  ps DUMP            the dead kernel's tasks, as crash's "ps" lists them (from the dump alone)
  bt [-a|-c CPU|PID] DUMP  kernel stacks with the kernel's ORC tables, as crash's bt
  foreach bt DUMP    every task's backtrace
  task PID|TASK DUMP a task's struct task_struct (-R members)
  p|px SYMBOL DUMP   a variable's value (per-CPU variables with their type and addresses)
  sym ADDR|NAME DUMP address → symbol+offset, symbol → address
  rd ADDR [N] DUMP   read kernel (or -p physical) memory as crash's rd shows it
  dis SYMBOL [N] DUMP  disassemble kernel code, branch targets named
  struct NAME [ADDR] DUMP   a type's layout (-o offsets) or an object's contents, from BTF
  whatis NAME DUMP   a type's definition, or what a symbol is
  help [COMMAND]     this text, or a command's

Run "kdx help oops" for a command's options.
`;

interface Command {
  HELP: string;
  run(argv: string[], out: NodeJS.WritableStream): Promise<number>;
}

/** A crash-compatible command run on a dump: `kdx CMD [options] DUMP`. */
const onDump = (name: string) => async (): Promise<Command> => {
  const { SESSION_COMMANDS } = await import("./session-commands.ts");
  const { runOnDump } = await import("./session.ts");
  const cmd = SESSION_COMMANDS.get(name)!;
  return { HELP: cmd.help, run: (argv, out) => runOnDump(cmd, argv, out) };
};

// Each command loads only what it needs: a dmesg extraction never pays for the x86 decoder.
const COMMANDS: Record<string, () => Promise<Command>> = {
  sys: onDump("sys"),
  ps: onDump("ps"),
  log: onDump("log"),
  mod: onDump("mod"),
  kmem: onDump("kmem"),
  sym: onDump("sym"),
  rd: onDump("rd"),
  dis: onDump("dis"),
  task: onDump("task"),
  bt: onDump("bt"),
  foreach: onDump("foreach"),
  p: onDump("p"),
  px: onDump("px"),
  struct: onDump("struct"),
  union: onDump("union"),
  whatis: onDump("whatis"),
  oops: async () => {
    const m = await import("./commands/oops.ts");
    return { HELP: m.HELP, run: m.oopsCommand };
  },
  info: async () => {
    const m = await import("./commands/info.ts");
    return { HELP: m.HELP, run: m.infoCommand };
  },
  dmesg: async () => {
    const m = await import("./commands/dmesg.ts");
    return { HELP: m.HELP, run: m.dmesgCommand };
  },
  serve: async () => {
    const m = await import("./commands/serve.ts");
    return { HELP: m.HELP, run: m.serveCommand };
  },
  collect: async () => {
    const m = await import("./commands/collect.ts");
    return { HELP: m.HELP, run: m.collectCommand };
  },
};

/** `kdx [-s] [-c "CMD; CMD"] [--system-map FILE] DUMP`: the crash-like session. */
async function shellMain(argv: string[]): Promise<number> {
  const { parseArgs } = await import("node:util");
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      c: { type: "string", short: "c" },
      s: { type: "boolean", short: "s" },
      "system-map": { type: "string" },
      btf: { type: "string" },
    },
  });
  if (positionals.length < 1 || positionals.length > 2)
    throw new UsageError("kdx [-s] [-c COMMANDS] [--system-map FILE] DUMP [System.map]");
  // crash takes "vmlinux vmcore" in either order; kdx takes the dump and, optionally, a System.map.
  const { looksLikeDump } = await import("./io/dump-input.ts");
  const dumps = positionals.filter((f) => looksLikeDump(f));
  const others = positionals.filter((f) => !dumps.includes(f));
  if (dumps.length !== 1)
    throw new UsageError(`give one dump (found ${dumps.length} among ${positionals.join(", ")})`);
  // A second file: a System.map, or a vmlinux, which gives both symbols (.symtab) and types (.BTF).
  const systemMap = values["system-map"] ?? others[0];
  let btf = values.btf;
  if (!btf && others.length && readFileSync(others[0]).subarray(0, 4).toString("latin1") === "\x7fELF")
    btf = others[0];
  const { shell } = await import("./shell.ts");
  return shell(dumps[0], { commands: values.c, silent: values.s, systemMap, btf });
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  // Not a command name: a dump to open in the shell, as "crash vmlinux vmcore" does.
  if (
    cmd &&
    !COMMANDS[cmd] &&
    cmd !== "help" &&
    (cmd.startsWith("-") && cmd !== "--help" && cmd !== "-h" ? true : existsSync(cmd))
  )
    return shellMain(argv);
  if (!cmd || cmd === "help" || cmd === "--help" || cmd === "-h") {
    const topic = rest[0] ? COMMANDS[rest[0]] : undefined;
    process.stdout.write(topic ? (await topic()).HELP : USAGE);
    return 0;
  }
  const load = COMMANDS[cmd];
  if (!load) {
    process.stderr.write(`kdx: unknown command "${cmd}"\n${USAGE}`);
    return 2;
  }
  const command = await load();
  if (rest.includes("--help") || rest.includes("-h")) {
    process.stdout.write(command.HELP);
    return 0;
  }
  return command.run(rest, process.stdout);
}

// A closed pipe (kdx oops log | head) is not an error.
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code === "EPIPE") process.exit(0);
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    if (
      e instanceof KdxError ||
      (e instanceof Error && "code" in e && String(e.code).startsWith("ERR_PARSE_ARGS"))
    ) {
      process.stderr.write(`kdx: ${(e as Error).message}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(
        `kdx: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
      );
      process.exitCode = 70;
    }
  },
);
