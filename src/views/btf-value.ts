/** Values of kernel objects as gdb prints them (crash's `struct NAME ADDR`), read through BTF. */
import type { Kernel } from "../kernel/kernel.ts";
import type { Btf, BtfMember } from "../kernel/types/btf.ts";

const MAX_DEPTH = 4;
/** gdb's default `print elements`, which crash keeps. */
const MAX_ELEMS = 200;

function readInt(bytes: Uint8Array, size: number, signed: boolean): bigint {
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]);
  return signed ? BigInt.asIntN(size * 8, v) : v;
}

const C_ESCAPES: Record<number, string> = {
  7: "\\a",
  8: "\\b",
  9: "\\t",
  10: "\\n",
  11: "\\v",
  12: "\\f",
  13: "\\r",
};

function escapeChar(c: number): string {
  if (C_ESCAPES[c]) return C_ESCAPES[c];
  if (c === 0) return "\\000";
  if (c === 0x22) return '\\"';
  if (c === 0x5c) return "\\\\";
  return c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : `\\${c.toString(8).padStart(3, "0")}`;
}

/** The value of an object of type `typeId` whose bytes are `bytes`, at `indent`. */
export function formatValue(
  kernel: Kernel,
  typeId: number,
  bytes: Uint8Array,
  indent: string,
  depth = 0,
  btf: Btf = kernel.btf,
  /** gdb's /x: integers, characters, enums and char arrays' elements in hexadecimal. */
  hex = false,
): string {
  const t = btf.resolve(typeId);
  switch (t.kind) {
    case "int": {
      const v = readInt(bytes, t.size!, t.int!.signed);
      if (hex) return `0x${BigInt.asUintN(t.size! * 8, v).toString(16)}`;
      if (t.int!.bool) return v ? "true" : "false";
      if (t.size === 1 && t.int!.char) return `${v} '${escapeChar(Number(v) & 0xff)}'`;
      return v.toString();
    }
    case "enum":
    case "enum64": {
      const v = readInt(bytes, t.size!, true);
      if (hex) return `0x${BigInt.asUintN(t.size! * 8, v).toString(16)}`;
      const e = t.enumerators!.find(
        (x) => x.value === v || BigInt.asUintN(t.size! * 8, x.value) === BigInt.asUintN(t.size! * 8, v),
      );
      return e ? e.name : v.toString();
    }
    case "ptr": {
      const v = readInt(bytes, 8, false);
      if (v === 0n) return "0x0";
      const target = btf.resolve(t.type ?? 0);
      if (target.kind === "func_proto" || target.kind === "func") {
        const r = kernel.symbols.resolve(v);
        return `0x${v.toString(16)}${r ? ` <${r.name}${r.offset ? `+${r.offset}` : ""}>` : ""}`;
      }
      return `0x${v.toString(16)}`;
    }
    case "array": {
      const elem = btf.resolve(t.array!.type);
      const n = t.array!.length;
      if (elem.kind === "int" && elem.size === 1 && !hex) {
        // As gdb prints a char array for crash (repeats not folded): every byte but a final NUL.
        const shown = bytes.subarray(0, n).at(-1) === 0 ? bytes.subarray(0, n - 1) : bytes.subarray(0, n);
        return `"${[...shown].map(escapeChar).join("")}"`;
      }
      const size = n ? bytes.length / n : 0;
      const items: string[] = [];
      for (let i = 0; i < Math.min(n, MAX_ELEMS); i++)
        items.push(
          formatValue(
            kernel,
            t.array!.type,
            bytes.subarray(i * size, (i + 1) * size),
            indent,
            depth + 1,
            btf,
            hex,
          ),
        );
      return `{${items.join(", ")}${n > MAX_ELEMS ? ", ..." : ""}}`;
    }
    case "struct":
    case "union": {
      if (depth >= MAX_DEPTH) return "{...}";
      const inner = `${indent}  `;
      const parts = (t.members ?? []).map(
        (m) => `${inner}${memberText(kernel, m, bytes, inner, depth + 1, btf, hex)}`,
      );
      return `{\n${parts.join(",\n")}\n${indent}}`;
    }
    default:
      return `<${t.kind}>`;
  }
}

function memberText(
  kernel: Kernel,
  m: BtfMember,
  bytes: Uint8Array,
  indent: string,
  depth: number,
  btf: Btf,
  hex = false,
): string {
  const byte = Math.floor(m.bitOffset / 8);
  if (m.bitSize) {
    const word = readInt(bytes.subarray(byte, byte + 8).slice(), Math.min(8, bytes.length - byte), false);
    const v = (word >> BigInt(m.bitOffset % 8)) & ((1n << BigInt(m.bitSize)) - 1n);
    return `${m.name} = ${hex ? `0x${v.toString(16)}` : v}`;
  }
  const size = btf.sizeof(m.type);
  const value = formatValue(kernel, m.type, bytes.subarray(byte, byte + size), indent, depth, btf, hex);
  return m.name ? `${m.name} = ${value}` : value;
}

/** One member by path (`se.exec_start`) of an object, from the object's bytes: "  name = value". */
export function formatMember(
  kernel: Kernel,
  structId: number,
  object: Uint8Array,
  path: string,
  btf: Btf = kernel.btf,
): string {
  const { bitOffset, bitSize, type } = btf.member(structId, path);
  const name = path.split(".").at(-1)!;
  const byte = Math.floor(bitOffset / 8);
  if (bitSize) {
    const b = object.subarray(byte, byte + 8).slice();
    const v = (readInt(b, b.length, false) >> BigInt(bitOffset % 8)) & ((1n << BigInt(bitSize)) - 1n);
    return `  ${name} = ${v},`;
  }
  const size = btf.sizeof(type);
  return `  ${name} = ${formatValue(kernel, type, object.subarray(byte, byte + size), "  ", 0, btf)},`;
}

/** The same value as JSON: integers as numbers when exact, else strings; pointers as hex strings. */
export function valueJson(
  kernel: Kernel,
  typeId: number,
  bytes: Uint8Array,
  depth = 0,
  btf: Btf = kernel.btf,
): unknown {
  const t = btf.resolve(typeId);
  switch (t.kind) {
    case "int": {
      const v = readInt(bytes, t.size!, t.int!.signed);
      if (t.int!.bool) return v !== 0n;
      return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)
        ? Number(v)
        : v.toString();
    }
    case "enum":
    case "enum64":
      return formatValue(kernel, typeId, bytes, "", depth, btf);
    case "ptr":
      return `0x${readInt(bytes, 8, false).toString(16)}`;
    case "array": {
      const elem = btf.resolve(t.array!.type);
      const n = t.array!.length;
      if (elem.kind === "int" && elem.size === 1) {
        let end = bytes.indexOf(0);
        if (end < 0 || end > n) end = n;
        return new TextDecoder().decode(bytes.subarray(0, end));
      }
      const size = n ? bytes.length / n : 0;
      const out: unknown[] = [];
      for (let i = 0; i < Math.min(n, MAX_ELEMS); i++)
        out.push(valueJson(kernel, t.array!.type, bytes.subarray(i * size, (i + 1) * size), depth + 1, btf));
      return out;
    }
    case "struct":
    case "union": {
      if (depth >= MAX_DEPTH) return null;
      const obj: Record<string, unknown> = {};
      for (const m of t.members ?? []) {
        const byte = Math.floor(m.bitOffset / 8);
        if (m.bitSize) {
          const word = readInt(
            bytes.subarray(byte, byte + 8).slice(),
            Math.min(8, bytes.length - byte),
            false,
          );
          obj[m.name] = Number((word >> BigInt(m.bitOffset % 8)) & ((1n << BigInt(m.bitSize)) - 1n));
          continue;
        }
        const v = valueJson(kernel, m.type, bytes.subarray(byte, byte + btf.sizeof(m.type)), depth + 1, btf);
        if (m.name) obj[m.name] = v;
        else if (v && typeof v === "object") Object.assign(obj, v);
      }
      return obj;
    }
    default:
      return null;
  }
}
