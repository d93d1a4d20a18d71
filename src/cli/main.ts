/** kdx's command line: dispatch to one command, and turn errors into one clear line. */

import { existsSync } from "node:fs";
import { KdxError, UsageError } from "../util/errors.ts";
import { type CommandEntry, findCommand, type ToolCommand, usage } from "./commands/index.ts";
import type { SessionCommand } from "./session.ts";

/** A crash-compatible command run on a dump: `kdx CMD [options] DUMP`. */
async function loadCommand(entry: CommandEntry): Promise<ToolCommand> {
  if (!entry.dump) return (await entry.load()) as ToolCommand;
  const cmd = (await entry.load()) as SessionCommand;
  const { runOnDump } = await import("./session.ts");
  return { HELP: cmd.help, run: (argv, out) => runOnDump(cmd, argv, out) };
}

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
  const { isElfFile, looksLikeDump } = await import("../platform/node/open-kernel.ts");
  const dumps = positionals.filter((f) => looksLikeDump(f));
  const others = positionals.filter((f) => !dumps.includes(f));
  if (dumps.length !== 1)
    throw new UsageError(`give one dump (found ${dumps.length} among ${positionals.join(", ")})`);
  // A second file: a System.map, or a vmlinux, which gives both symbols (.symtab) and types (.BTF).
  const systemMap = values["system-map"] ?? others[0];
  let btf = values.btf;
  if (!btf && others.length && isElfFile(others[0])) btf = others[0];
  const { shell } = await import("./shell.ts");
  return shell(dumps[0], { commands: values.c, silent: values.s, systemMap, btf });
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  // Not a command name: a dump to open in the shell, as "crash vmlinux vmcore" does.
  if (
    cmd &&
    !findCommand(cmd) &&
    cmd !== "help" &&
    (cmd.startsWith("-") && cmd !== "--help" && cmd !== "-h" ? true : existsSync(cmd))
  )
    return shellMain(argv);
  if (!cmd || cmd === "help" || cmd === "--help" || cmd === "-h") {
    const topic = rest[0] ? findCommand(rest[0]) : undefined;
    process.stdout.write(topic ? (await loadCommand(topic)).HELP : usage());
    return 0;
  }
  const entry = findCommand(cmd);
  if (!entry) {
    process.stderr.write(`kdx: unknown command "${cmd}"\n${usage()}`);
    return 2;
  }
  const command = await loadCommand(entry);
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
