/**
 * XArrays and radix trees (include/linux/xarray.h; radix trees are XArrays since 4.20), as drgn's
 * xa_for_each and xa_load walk them: xa_head, then xa_nodes of 64 slots, `shift` bits per level.
 * Internal entries end in binary 10: a node above 4096, a sibling below 256; XA_ZERO_ENTRY is skipped.
 */
import { CorruptionError } from "../../util/errors.ts";
import type { Kernel } from "../kernel.ts";

const XA_ZERO_ENTRY = 1030n; // xa_mk_internal(257)
const isInternal = (e: bigint) => (e & 3n) === 2n;
const isNode = (e: bigint) => isInternal(e) && e > 4096n;
const isSibling = (e: bigint) => isInternal(e) && e < 256n;
/** Deeper than any XArray of 64-bit indices can be (64 / 6 levels), against a damaged tree. */
const MAX_DEPTH = 12;

interface NodeLayout {
  shift: bigint;
  slots: bigint;
  count: number;
}

function nodeLayout(kernel: Kernel): NodeLayout {
  return kernel.memo("helpers.xa_node", () => {
    const btf = kernel.btf;
    const node = btf.find("xa_node", "struct") ?? btf.find("radix_tree_node", "struct");
    if (!node) throw new CorruptionError("xarray", 0n, "the kernel's BTF has no struct xa_node");
    const slots = btf.resolve(btf.member(node.id, "slots").type);
    return {
      shift: BigInt(btf.offsetof(node.name!, "shift")),
      slots: BigInt(btf.offsetof(node.name!, "slots")),
      count: slots.array!.length,
    };
  });
}

/** Every present entry of the XArray (or radix tree root) at `xa`: [index, entry], in index order. */
export function* xaForEach(kernel: Kernel, xa: bigint): Generator<[bigint, bigint]> {
  const head = kernel.readU64(xa + BigInt(xarrayHeadOffset(kernel)));
  if (!isNode(head)) {
    if (head !== 0n && !isInternal(head)) yield [0n, head];
    return;
  }
  const layout = nodeLayout(kernel);
  function* walk(node: bigint, base: bigint, depth: number): Generator<[bigint, bigint]> {
    if (depth > MAX_DEPTH)
      throw new CorruptionError("xarray", xa, `nodes nested deeper than ${MAX_DEPTH} levels`);
    const shift = BigInt(kernel.read(node + layout.shift, 1)[0]);
    const b = kernel.read(node + layout.slots, layout.count * 8);
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    for (let i = 0; i < layout.count; i++) {
      const e = dv.getBigUint64(i * 8, true);
      const index = base + (BigInt(i) << shift);
      if (isNode(e)) yield* walk(e - 2n, index, depth + 1);
      else if (e !== 0n && e !== XA_ZERO_ENTRY && !isSibling(e) && !isInternal(e)) yield [index, e];
    }
  }
  yield* walk(head - 2n, 0n, 0);
}

/** The entry at `index`, or 0 (xa_load). */
export function xaLoad(kernel: Kernel, xa: bigint, index: bigint): bigint {
  for (const [i, e] of xaForEach(kernel, xa)) {
    if (i === index) return e;
    if (i > index) break;
  }
  return 0n;
}

/** struct xarray's xa_head (radix_tree_root's, since 4.20, is the same member). */
function xarrayHeadOffset(kernel: Kernel): number {
  return kernel.memo("helpers.xa_head", () => {
    const btf = kernel.btf;
    return btf.find("xarray", "struct")
      ? btf.offsetof("xarray", "xa_head")
      : btf.offsetof("radix_tree_root", "xa_head");
  });
}
