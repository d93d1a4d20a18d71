/** kdx's command line: dispatch to one command, and turn errors into one clear line. */

import { KdxError } from "../util/errors.ts";
import { HELP as DMESG_HELP, dmesgCommand } from "./commands/dmesg.ts";
import { HELP as INFO_HELP, infoCommand } from "./commands/info.ts";
import { HELP as LOG_HELP, logCommand } from "./commands/log.ts";
import { HELP as OOPS_HELP, oopsCommand } from "./commands/oops.ts";

const USAGE = `usage: kdx <command> [options]

commands:
  oops [FILE...|-]   find and explain kernel crash reports in logs (dmesg, vmcore-dmesg.txt, consoles)
                     or in the log of a vmcore
  info DUMP          what a dump is: format, compression, dump level, memory, CPUs, release, VMCOREINFO
  log DUMP           the kernel log of a dump, as crash's "log" prints it
  dmesg DUMP [OUT]   the kernel log of a dump, exactly as makedumpfile --dump-dmesg writes it
  help [COMMAND]     this text, or a command's

Run "kdx help oops" for a command's options.
`;

const COMMANDS: Record<string, { help: string; run: (argv: string[]) => Promise<number> }> = {
  oops: { help: OOPS_HELP, run: (argv) => oopsCommand(argv, process.stdout) },
  info: { help: INFO_HELP, run: (argv) => infoCommand(argv, process.stdout) },
  log: { help: LOG_HELP, run: (argv) => logCommand(argv, process.stdout) },
  dmesg: { help: DMESG_HELP, run: (argv) => dmesgCommand(argv, process.stdout) },
};

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === "help" || cmd === "--help" || cmd === "-h") {
    const topic = rest[0] && COMMANDS[rest[0]];
    process.stdout.write(topic ? topic.help : USAGE);
    return 0;
  }
  const command = COMMANDS[cmd];
  if (!command) {
    process.stderr.write(`kdx: unknown command "${cmd}"\n${USAGE}`);
    return 2;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    process.stdout.write(command.help);
    return 0;
  }
  return command.run(rest);
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
