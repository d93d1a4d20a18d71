/** `kdx kmem -i DUMP`: crash's memory summary. */
import { parseArgs } from "node:util";
import { memInfo } from "../../analysis/memory.ts";
import { UsageError } from "../../util/errors.ts";
import { kmemIJson, renderKmemI } from "../../views/kmem.ts";
import { type SessionCommand, SYSTEM_MAP_HELP } from "../session.ts";

const HELP = `usage: kdx kmem -i[=shared] [--json] [--system-map FILE] DUMP      (in the shell: kmem -i [--json])

The dead kernel's memory use, as crash's "kmem -i" prints it: total, free, used,
buffers, cached, slab, huge pages, swap, commit limit and committed.

options:
  -i=shared          also SHARED, pages mapped more than once, counted over every
                     struct page (slow on big machines; crash 9 counts it only then)
  --json             the same as JSON
${SYSTEM_MAP_HELP}`;

export const kmem: SessionCommand = {
  name: "kmem",
  help: HELP,
  run({ kernel }, argv, out) {
    // crash spells the option "-i=shared"; parseArgs would take "=shared" for more short options.
    const shared = argv.includes("-i=shared");
    const { values } = parseArgs({
      args: argv.map((a) => (a === "-i=shared" ? "-i" : a)),
      options: { i: { type: "boolean", short: "i" }, json: { type: "boolean" } },
    });
    if (!values.i) throw new UsageError("kmem supports -i (the memory summary) so far");
    const m = memInfo(kernel, { shared });
    out.write(values.json ? kmemIJson(m) : renderKmemI(m));
  },
};
