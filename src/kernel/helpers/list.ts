/**
 * The kernel's linked lists (include/linux/list.h, llist.h), as drgn's helpers walk them: list_for_each,
 * list_for_each_entry, hlist_for_each_entry, llist_for_each_entry. A walk that does not come back to its
 * head, or that meets a node it has seen, is a CorruptionError naming the list, never an endless loop.
 */
import { CorruptionError } from "../../util/errors.ts";
import type { Kernel } from "../kernel.ts";
import { type KernelObject, kobject } from "../types/object.ts";

/** More entries than any list a dump can hold (4M). */
const LIMIT = 1 << 22;

/**
 * Follow `next` pointers from `first` until `end`, yielding each node; a node seen twice (Brent's cycle
 * check: no memory beyond two pointers) or a NULL where `end` is not NULL is a CorruptionError.
 */
function* follow(
  kernel: Kernel,
  what: string,
  head: bigint,
  first: bigint,
  end: bigint,
  nextOffset = 0n,
): Generator<bigint> {
  let node = first;
  let mark = first;
  let power = 1;
  let steps = 0;
  for (let n = 0; node !== end; n++) {
    if (node === 0n) throw new CorruptionError(what, head, `a NULL next pointer after ${n} entries`);
    if (n >= LIMIT) throw new CorruptionError(what, head, `does not end after ${LIMIT} entries`);
    yield node;
    node = kernel.readU64(node + nextOffset);
    if (node === mark && node !== end)
      throw new CorruptionError(
        what,
        head,
        `loops: entry 0x${node.toString(16)} comes again after ${n + 1} entries`,
      );
    if (++steps === power) {
      mark = node;
      power *= 2;
      steps = 0;
    }
  }
}

/** The list_head nodes of a list, the head itself left out (list_for_each). */
export function listForEach(kernel: Kernel, head: bigint): Generator<bigint> {
  return follow(kernel, "list", head, kernel.readU64(head), head);
}

/** The address of each entry containing a list_head at `memberOffset` (list_for_each_entry, by offset). */
export function* listEntries(kernel: Kernel, head: bigint, memberOffset: number): Generator<bigint> {
  for (const node of listForEach(kernel, head)) yield node - BigInt(memberOffset);
}

/** Every entry of a list_head list, as the structs that contain them (list_for_each_entry). */
export function* listForEachEntry(head: KernelObject, type: string, member: string): Generator<KernelObject> {
  const offset = memberOffset(head.kernel, type, member);
  for (const node of listForEach(head.kernel, head.address)) yield kobject(head.kernel, type, node - offset);
}

/** Every entry of an hlist (hlist_for_each_entry): from hlist_head.first along hlist_node.next to NULL. */
export function* hlistForEachEntry(
  head: KernelObject,
  type: string,
  member: string,
): Generator<KernelObject> {
  const offset = memberOffset(head.kernel, type, member);
  const first = head.member("first").value();
  for (const node of follow(head.kernel, "hlist", head.address, first, 0n))
    yield kobject(head.kernel, type, node - offset);
}

/** Every entry of an llist (llist_for_each_entry): from llist_head.first along llist_node.next to NULL. */
export function* llistForEachEntry(
  head: KernelObject,
  type: string,
  member: string,
): Generator<KernelObject> {
  const offset = memberOffset(head.kernel, type, member);
  const first = head.member("first").value();
  for (const node of follow(head.kernel, "llist", head.address, first, 0n))
    yield kobject(head.kernel, type, node - offset);
}

/** Where `member` sits in `type` (offsetof), for container_of. */
export function memberOffset(kernel: Kernel, type: string, member: string): bigint {
  const t = kobject(kernel, type, 0n);
  return BigInt(t.btf.member(t.typeId, member).bitOffset / 8);
}

/** The struct `type` whose member `member` is at `address` (container_of). */
export function containerOf(kernel: Kernel, address: bigint, type: string, member: string): KernelObject {
  return kobject(kernel, type, address - memberOffset(kernel, type, member));
}
