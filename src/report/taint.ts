/** The kernel's taint flags (Documentation/admin-guide/tainted-kernels.rst), letter by letter. */
export interface TaintFlag {
  letter: string;
  bit: number;
  meaning: string;
}

const FLAGS: [string, number, string][] = [
  ["P", 0, "a proprietary module was loaded"],
  ["F", 1, "a module was force-loaded (insmod -f)"],
  ["S", 2, "the kernel runs on hardware out of specification (e.g. an SMP kernel on unsupported CPUs)"],
  ["R", 3, "a module was force-unloaded (rmmod -f)"],
  ["M", 4, "a machine check exception happened earlier"],
  ["B", 5, "a bad page was found earlier (page-table or struct page corruption)"],
  ["U", 6, "user space asked to taint the kernel"],
  ["D", 7, "the kernel died before (an earlier oops or BUG)"],
  ["A", 8, "an ACPI table was overridden by the user"],
  ["W", 9, "the kernel issued a warning before"],
  ["C", 10, "a staging driver was loaded"],
  ["I", 11, "a platform firmware bug is being worked around"],
  ["O", 12, "an out-of-tree module was loaded"],
  ["E", 13, "an unsigned module was loaded (module signature missing or unknown key)"],
  ["L", 14, "a soft lockup happened earlier"],
  ["K", 15, "the kernel was live-patched"],
  ["X", 16, "an auxiliary taint, set by the distribution"],
  ["T", 17, "the kernel was built with the struct randomization plugin"],
  ["N", 18, "an in-kernel test (such as KUnit) was run"],
];

/** Decode the flag column of a `Tainted:` header (`G           OE     `); `G` alone means no proprietary module. */
export function decodeTaint(column: string): TaintFlag[] {
  const out: TaintFlag[] = [];
  for (const ch of column.replace(/\s+/g, "")) {
    if (ch === "G") continue;
    const f = FLAGS.find(([l]) => l === ch);
    if (f) out.push({ letter: f[0], bit: f[1], meaning: f[2] });
  }
  return out;
}

/** The 'G' in the first column: all loaded modules are GPL-compatible (its absence is 'P'). */
export const GPL_MEANING =
  "G: all loaded modules have a GPL-compatible license (P would mean a proprietary one)";
