/** The crash-compatible commands, by name: what `kdx CMD DUMP` and the shell both run. */
import { bt } from "./commands/bt.ts";
import { dis } from "./commands/dis.ts";
import { foreach } from "./commands/foreach.ts";
import { kmem } from "./commands/kmem.ts";
import { log } from "./commands/log.ts";
import { mod } from "./commands/mod.ts";
import { p, px } from "./commands/print.ts";
import { ps } from "./commands/ps.ts";
import { rd } from "./commands/rd.ts";
import { set } from "./commands/set.ts";
import { struct, union, whatis } from "./commands/struct.ts";
import { sym } from "./commands/sym.ts";
import { sys } from "./commands/sys.ts";
import { task } from "./commands/task.ts";
import type { SessionCommand } from "./session.ts";

export const SESSION_COMMANDS: ReadonlyMap<string, SessionCommand> = new Map(
  [sys, ps, bt, foreach, task, set, log, mod, kmem, sym, rd, dis, p, px, struct, union, whatis].map((c) => [
    c.name,
    c,
  ]),
);
