/** C declarations from BTF, as gdb's ptype (and so crash's struct) prints them. */
import type { Btf, BtfType } from "./btf.ts";

/** `type name` with C's declarator syntax: pointers, arrays, function pointers. */
export function declare(btf: Btf, typeId: number, name: string): string {
  const t = btf.type(typeId);
  switch (t.kind) {
    case "ptr": {
      const target = btf.type(t.type ?? 0);
      if (target.kind === "func_proto") {
        const params = (target.params ?? []).map((p) => btf.typeName(p.type)).join(", ");
        return `${btf.typeName(target.type ?? 0)} (*${name})(${params || "void"})`;
      }
      return declare(btf, t.type ?? 0, `*${name}`);
    }
    case "array":
      return declare(btf, t.array!.type, `${name}[${t.array!.length}]`);
    case "const":
    case "volatile":
      return `${t.kind} ${declare(btf, t.type ?? 0, name)}`;
    default: {
      const base = btf.typeName(typeId);
      return name ? `${base}${name.startsWith("*") ? " " : " "}${name}`.replace(" *", " *") : base;
    }
  }
}

/** A struct or union's body, members indented, anonymous members inline; with `offsets`, [N] prefixes. */
export function layout(
  btf: Btf,
  t: BtfType,
  opts: { offsets?: boolean } = {},
  indent = "    ",
  base = 0,
): string[] {
  const lines: string[] = [];
  for (const m of t.members ?? []) {
    const byte = base + Math.floor(m.bitOffset / 8);
    const prefix = opts.offsets ? `[${byte}] `.padStart(indent.length + 3) : indent;
    const inner = btf.resolve(m.type);
    if (!m.name && (inner.kind === "struct" || inner.kind === "union")) {
      lines.push(`${prefix}${inner.kind} {`);
      lines.push(...layout(btf, inner, opts, `${indent}    `, byte));
      lines.push(`${opts.offsets ? " ".repeat(prefix.length) : indent}};`);
      continue;
    }
    const bits = m.bitSize ? ` : ${m.bitSize}` : "";
    lines.push(`${prefix}${declare(btf, m.type, m.name)}${bits};`);
  }
  return lines;
}

export function ptype(btf: Btf, t: BtfType, opts: { offsets?: boolean } = {}): string {
  return [`${t.kind} ${t.name} {`, ...layout(btf, t, opts), "}", `SIZE: ${t.size}`].join("\n");
}
