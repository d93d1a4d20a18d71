/**
 * Red-black trees (include/linux/rbtree.h), as drgn's rb_first, rb_next and rbtree_inorder_for_each_entry:
 * in order through the parent pointers kept in __rb_parent_color (the colour in its low bits).
 */
import { CorruptionError } from "../../util/errors.ts";
import type { Kernel } from "../kernel.ts";
import { type KernelObject, kobject } from "../types/object.ts";
import { memberOffset } from "./list.ts";

/** rb_node: __rb_parent_color, rb_right, rb_left, in that order since 2.6.37. */
const PARENT = 0n;
const RIGHT = 8n;
const LEFT = 16n;
const LIMIT = 1 << 22;

const parentOf = (kernel: Kernel, node: bigint) => kernel.readU64(node + PARENT) & ~3n;

/** The leftmost node under an rb_root (whose first word is rb_node), or 0. */
export function rbFirst(kernel: Kernel, root: bigint): bigint {
  let node = kernel.readU64(root);
  if (!node) return 0n;
  for (let left = kernel.readU64(node + LEFT); left; left = kernel.readU64(node + LEFT)) node = left;
  return node;
}

/** The node after `node` in order, or 0. */
export function rbNext(kernel: Kernel, node: bigint): bigint {
  let right = kernel.readU64(node + RIGHT);
  if (right) {
    for (let left = kernel.readU64(right + LEFT); left; left = kernel.readU64(right + LEFT)) right = left;
    return right;
  }
  let n = node;
  let parent = parentOf(kernel, n);
  while (parent && kernel.readU64(parent + RIGHT) === n) {
    n = parent;
    parent = parentOf(kernel, n);
  }
  return parent;
}

/** Every node of the tree at `root` (an rb_root, or an rb_root_cached: its rb_root comes first), in order. */
export function* rbtreeInorderForEach(kernel: Kernel, root: bigint): Generator<bigint> {
  let n = 0;
  let last = 0n;
  for (let node = rbFirst(kernel, root); node; node = rbNext(kernel, node)) {
    if (++n > LIMIT) throw new CorruptionError("rbtree", root, `more than ${LIMIT} nodes: it loops`);
    if (node === last)
      throw new CorruptionError("rbtree", root, `node 0x${node.toString(16)} follows itself`);
    last = node;
    yield node;
  }
}

/** Every entry of the tree, as the structs containing its rb_node `member` (rbtree_inorder_for_each_entry). */
export function* rbtreeInorderForEachEntry(
  root: KernelObject,
  type: string,
  member: string,
): Generator<KernelObject> {
  const offset = memberOffset(root.kernel, type, member);
  for (const node of rbtreeInorderForEach(root.kernel, root.address))
    yield kobject(root.kernel, type, node - offset);
}
