/**
 * One dump measurement in a fresh process, printed as JSON:
 *   dmesg FILE — open the dump and extract the log (what kdx dmesg does, without process start-up)
 *   scan FILE  — read every page the dump holds, as collect or a full analysis would
 */
import { formatMakedumpfile } from "../src/analysis/printk/format.ts";
import { readKernelLog } from "../src/analysis/printk/index.ts";
import { openDump } from "../src/dump/open-dump.ts";
import { Kernel } from "../src/kernel/kernel.ts";
import { nodeCodecs } from "../src/platform/node/codecs.ts";
import { FileSource } from "../src/platform/node/file-source.ts";

const [mode, file] = process.argv.slice(2);
const t0 = process.hrtime.bigint();
const dump = openDump(new FileSource(file), nodeCodecs);
const result: Record<string, number> = {};
if (mode === "dmesg") {
  result.bytes = formatMakedumpfile(readKernelLog(new Kernel(dump)).records).length;
} else {
  const mem = dump.memory;
  let pages = 0;
  let checksum = 0;
  for (const r of mem.ranges()) {
    for (let pfn = Number(r.start / 4096n); pfn < Number(r.end / 4096n); pfn++) {
      const st = mem.pageState(pfn);
      if (st !== "present" && st !== "zero") continue;
      const p = mem.readPage(pfn);
      checksum = (checksum + p[pfn & 4095]) | 0;
      pages++;
    }
  }
  result.pages = pages;
  result.checksum = checksum;
}
result.seconds = Number(process.hrtime.bigint() - t0) / 1e9;
result.maxRssKb = process.resourceUsage().maxRSS;
dump.close();
console.log(JSON.stringify(result));
