/**
 * Maple trees (include/linux/maple_tree.h, Linux 6.1+: the VMAs of an mm), as drgn's mt_for_each: nodes
 * encoded in the entry's low byte (type in bits 3–6), range nodes with 15 pivots and 16 slots, allocation
 * range nodes with 9 and 10; every leaf at the same depth.
 */
import { CorruptionError } from "../../util/errors.ts";
import type { Kernel } from "../kernel.ts";

const XA_ZERO_ENTRY = 1030n;
const isNode = (e: bigint) => (e & 3n) === 2n && e > 4096n;
const MAPLE_NODE_MASK = 255n;
const LEAF_64 = 1;
const RANGE_64 = 2;
const ARANGE_64 = 3;
const ULONG_MAX = (1n << 64n) - 1n;
const MAX_DEPTH = 32;

interface Layout {
  pivots: number;
  pivot: bigint;
  slot: bigint;
  /** maple_metadata.end, at its place in the node. */
  metaEnd: bigint;
}

function layout(kernel: Kernel, type: "maple_range_64" | "maple_arange_64", union: string): Layout {
  return kernel.memo(`helpers.${type}`, () => {
    const btf = kernel.btf;
    const s = btf.find(type, "struct")!;
    const pivot = btf.resolve(btf.member(s.id, "pivot").type);
    const at = BigInt(btf.offsetof("maple_node", union));
    return {
      pivots: pivot.array!.length,
      pivot: at + BigInt(btf.offsetof(type, "pivot")),
      slot: at + BigInt(btf.offsetof(type, "slot")),
      metaEnd: at + BigInt(btf.offsetof(type, "meta.end")),
    };
  });
}

/** Every entry of the maple tree at `mt` (struct maple_tree): [first index, last index, entry], in order. */
export function* mtForEach(kernel: Kernel, mt: bigint): Generator<[bigint, bigint, bigint]> {
  const root = kernel.readU64(mt + BigInt(kernel.btf.offsetof("maple_tree", "ma_root")));
  if (!isNode(root)) {
    if (root) yield [0n, 0n, root];
    return;
  }
  let level: [bigint, bigint, bigint][] = [[root, 0n, ULONG_MAX]];
  for (let depth = 0; level.length; depth++) {
    if (depth > MAX_DEPTH) throw new CorruptionError("maple tree", mt, `deeper than ${MAX_DEPTH} levels`);
    const next: [bigint, bigint, bigint][] = [];
    for (const [entry, min, max] of level) {
      const node = entry & ~MAPLE_NODE_MASK;
      const type = Number((entry >> 3n) & 0xfn);
      if (type !== LEAF_64 && type !== RANGE_64 && type !== ARANGE_64)
        throw new CorruptionError("maple tree", mt, `node 0x${node.toString(16)} has unknown type ${type}`);
      const l =
        type === ARANGE_64
          ? layout(kernel, "maple_arange_64", "ma64")
          : layout(kernel, "maple_range_64", "mr64");
      const pivots = Array.from({ length: l.pivots }, (_, i) =>
        kernel.readU64(node + l.pivot + BigInt(i * 8)),
      );
      let end: number;
      const metaEnd = () => kernel.read(node + l.metaEnd, 1)[0];
      if (type === ARANGE_64) end = metaEnd();
      else {
        const lastPivot = pivots[l.pivots - 1];
        end = !lastPivot ? metaEnd() : lastPivot === max ? l.pivots - 1 : l.pivots;
      }
      if (end > l.pivots)
        throw new CorruptionError("maple tree", mt, `node 0x${node.toString(16)} ends at slot ${end}`);
      const slot = (i: number) => kernel.readU64(node + l.slot + BigInt(i * 8));
      let prev = min;
      for (let i = 0; i <= end; i++) {
        const last = i < end ? pivots[i] : max;
        const s = slot(i);
        if (type === LEAF_64) {
          if (s && s !== XA_ZERO_ENTRY) yield [prev, last, s];
        } else next.push([s, prev, last]);
        prev = last + 1n;
      }
    }
    level = next;
  }
}
