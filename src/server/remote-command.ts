/**
 * The commands stock kdump clients run on an ssh target, parsed by kdx: nothing here ever reaches a shell.
 *
 * ssh joins its arguments with spaces and the server's shell splits them again, so kdump's scripts
 * quote for that shell (`"umask 0077 && dd bs=512 of='DIR/vmcore-incomplete'"`). We split the same way
 * (quotes and backslashes, no expansion), accept exactly the shapes listed in ACCEPTED_SHAPES and refuse
 * anything else, including any shell syntax outside quotes.
 */

export type RemoteCommand =
  | { kind: "mkdir"; path: string }
  | { kind: "mktemp"; dir: string }
  | { kind: "rmdir"; path: string }
  | { kind: "df"; path: string }
  | { kind: "dd"; of: string }
  | { kind: "mv"; from: string; to: string }
  | { kind: "scp-sink"; target: string; targetIsDir: boolean };

/** For the docs and the refusal message: what a client may run. */
export const ACCEPTED_SHAPES = [
  "mkdir -p PATH",
  "mktemp -dqp PATH",
  "rmdir PATH",
  "df --output=avail PATH",
  "[umask 0077 &&] dd [bs=N] of=PATH",
  "mv PATH PATH",
  "scp [-v] [-q] [-p] [-d] -t [--] PATH   (legacy scp upload; SFTP is a subsystem)",
];

export class CommandRefused extends Error {}

const SHELL_SYNTAX = /[;&|<>`$(){}*?[\]~!#\n\r]/;

/** Split a command line as a POSIX shell would split words, without any expansion; `&&` is kept as a token. */
export function splitWords(line: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === " " || c === "\t") {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new CommandRefused("unterminated quote");
      word += line.slice(i + 1, end);
      i = end;
      inWord = true;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < line.length && line[j] !== '"'; j++) {
        if (line[j] === "\\" && j + 1 < line.length && '"\\$`'.includes(line[j + 1])) j++;
        else if ("$`".includes(line[j])) throw new CommandRefused("shell expansion in a quoted word");
        word += line[j];
      }
      if (j >= line.length) throw new CommandRefused("unterminated quote");
      i = j;
      inWord = true;
    } else if (c === "\\") {
      if (i + 1 >= line.length) throw new CommandRefused("trailing backslash");
      word += line[++i];
      inWord = true;
    } else if (c === "&" && line[i + 1] === "&" && !inWord) {
      words.push("&&");
      i++;
    } else if (SHELL_SYNTAX.test(c)) {
      throw new CommandRefused(`shell syntax "${c}" is not accepted`);
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/** Parse one exec request into the command it stands for, or refuse it. */
export function parseRemoteCommand(line: string): RemoteCommand {
  if (line.length > 8192) throw new CommandRefused("command too long");
  let words = splitWords(line);
  // kdump-utils writes with a private umask first; kdx creates every file 0600 anyway.
  if (words[0] === "umask") {
    if (words.length < 4 || !/^0?[0-7]{3}$/.test(words[1]) || words[2] !== "&&")
      throw new CommandRefused("only `umask NNN && dd ...` is accepted");
    words = words.slice(3);
    if (words[0] !== "dd") throw new CommandRefused("only dd may follow umask");
  }
  if (words.includes("&&")) throw new CommandRefused("only `umask NNN && dd ...` may chain commands");
  const [cmd, ...args] = words;
  const one = (xs: string[], what: string): string => {
    if (xs.length !== 1 || xs[0] === "") throw new CommandRefused(`${cmd} takes one ${what}`);
    return xs[0];
  };
  switch (cmd) {
    case "mkdir":
      if (args[0] !== "-p") throw new CommandRefused("only `mkdir -p PATH` is accepted");
      return { kind: "mkdir", path: one(args.slice(1), "PATH") };
    case "mktemp": {
      // mktemp -dqp DIR, or the same flags spelled apart.
      const flags = new Set<string>();
      const rest: string[] = [];
      for (const a of args) {
        if (/^-[dqp]+$/.test(a)) for (const f of a.slice(1)) flags.add(f);
        else rest.push(a);
      }
      if (!flags.has("d") || !flags.has("p")) throw new CommandRefused("only `mktemp -dqp PATH` is accepted");
      return { kind: "mktemp", dir: one(rest, "PATH") };
    }
    case "rmdir":
      return { kind: "rmdir", path: one(args, "PATH") };
    case "df":
      if (args[0] !== "--output=avail") throw new CommandRefused("only `df --output=avail PATH` is accepted");
      return { kind: "df", path: one(args.slice(1), "PATH") };
    case "dd": {
      let of: string | undefined;
      for (const a of args) {
        const m = /^(bs|of)=(.+)$/.exec(a);
        if (!m) throw new CommandRefused(`dd operand "${a}" is not accepted (only bs= and of=)`);
        if (m[1] === "bs" && !/^\d+[kKMG]?$/.test(m[2])) throw new CommandRefused(`dd bs="${m[2]}"`);
        if (m[1] === "of") of = m[2];
      }
      if (!of) throw new CommandRefused("dd needs of=PATH (the upload is read from standard input)");
      return { kind: "dd", of };
    }
    case "mv": {
      const paths = args[0] === "--" ? args.slice(1) : args;
      if (paths.length !== 2 || paths.some((p) => p === "" || p.startsWith("-")))
        throw new CommandRefused("only `mv PATH PATH` is accepted");
      return { kind: "mv", from: paths[0], to: paths[1] };
    }
    case "scp": {
      let sink = false;
      let targetIsDir = false;
      let i = 0;
      for (; i < args.length; i++) {
        const a = args[i];
        if (a === "--") {
          i++;
          break;
        }
        if (!a.startsWith("-")) break;
        for (const f of a.slice(1)) {
          if (f === "t") sink = true;
          else if (f === "d") targetIsDir = true;
          else if (!"vqp".includes(f))
            throw new CommandRefused(
              f === "f"
                ? "downloads (scp -f) are not served"
                : f === "r"
                  ? "directories (scp -r) are not accepted"
                  : `scp option -${f} is not accepted`,
            );
        }
      }
      if (!sink) throw new CommandRefused("only uploads (scp -t) are accepted");
      return { kind: "scp-sink", target: one(args.slice(i), "PATH"), targetIsDir };
    }
    default:
      throw new CommandRefused(`"${cmd ?? ""}" is not a command kdump runs on its target`);
  }
}
