/** `struct`/`union`/`whatis`: kernel types from BTF — layouts, offsets, and objects in memory. */
import { parseArgs } from "node:util";
import { declare, ptype } from "../../kernel/types/c-decl.ts";
import { KdxError, UsageError } from "../../util/errors.ts";
import { formatMember, formatValue, valueJson } from "../../views/btf-value.ts";
import { type Session, type SessionCommand, TextSink } from "../session.ts";

function address(session: Session, arg: string): bigint {
  if (/^(0x)?[0-9a-f]+$/i.test(arg)) return BigInt(arg.startsWith("0x") ? arg : `0x${arg}`);
  const s = session.kernel.symbols.lookup(arg);
  if (!s) throw new KdxError(`${arg}: neither an address nor a symbol`);
  return s.address;
}

function structCommand(kind: "struct" | "union"): SessionCommand {
  return {
    name: kind,
    help: `usage: ${kind} NAME[.member[,member...]] [-o] [ADDRESS|SYMBOL]      (kdx ${kind} ... DUMP)

Without an address: the ${kind}'s layout from the kernel's BTF, with -o each member's offset, and its SIZE.
With an address (or a symbol): the object's contents, or only the members named after the dot
("${kind} task_struct.pid,comm ADDRESS"), as crash prints them.
`,
    run(session, argv, out) {
      const { values, positionals } = parseArgs({
        args: argv,
        allowPositionals: true,
        options: { o: { type: "boolean", short: "o" }, json: { type: "boolean" } },
      });
      if (positionals.length < 1 || positionals.length > 2) throw new UsageError(`${kind} NAME [ADDRESS]`);
      const [spec, where] = positionals;
      const dot = spec.indexOf(".");
      const typeName = dot < 0 ? spec : spec.slice(0, dot);
      const members =
        dot < 0
          ? []
          : spec
              .slice(dot + 1)
              .split(",")
              .filter(Boolean);
      const hit = session.kernel.findType(typeName, [kind]);
      if (!hit) throw new KdxError(`${kind} ${typeName}: no such type in the kernel's or its modules' BTF`);
      const { btf, type: t } = hit;
      if (values.json) {
        const layoutJson = () =>
          (members.length ? members : (t.members ?? []).map((m) => m.name).filter(Boolean)).map((m) => {
            const hit = btf.member(t.id, m);
            return {
              name: m,
              offset: hit.bitOffset / 8,
              bitOffset: hit.bitOffset,
              bitSize: hit.bitSize || undefined,
              type: btf.typeName(hit.type),
            };
          });
        const o: Record<string, unknown> = { schema: "kdx.struct/1", kind, name: typeName, size: t.size };
        if (!where) o.members = layoutJson();
        else {
          const addr = address(session, where);
          o.address = `0x${addr.toString(16)}`;
          if (members.length) {
            const vals: Record<string, unknown> = {};
            for (const m of members) {
              const hit = btf.member(t.id, m);
              const bytes = session.kernel.read(
                addr + BigInt(Math.floor(hit.bitOffset / 8)),
                hit.bitSize ? 8 : btf.sizeof(hit.type),
              );
              vals[m] = hit.bitSize
                ? Number(
                    (new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true) >>
                      BigInt(hit.bitOffset % 8)) &
                      ((1n << BigInt(hit.bitSize)) - 1n),
                  )
                : valueJson(session.kernel, hit.type, bytes, 0, btf);
            }
            o.value = vals;
          } else o.value = valueJson(session.kernel, t.id, session.kernel.read(addr, t.size!), 0, btf);
        }
        out.write(`${JSON.stringify(o)}\n`);
        return;
      }
      if (!where) {
        if (members.length)
          for (const m of members) {
            const hit = btf.member(t.id, m);
            out.write(`  [${hit.bitOffset / 8}] ${declare(btf, hit.type, m.split(".").at(-1)!)};\n`);
          }
        else out.write(`${ptype(btf, t, { offsets: values.o })}\n`);
        return;
      }
      const addr = address(session, where);
      const bytes = session.kernel.read(addr, t.size!);
      if (members.length) {
        for (const m of members) out.write(`${formatMember(session.kernel, t.id, bytes, m, btf)}\n`);
        return;
      }
      out.write(`${kind} ${typeName} ${formatValue(session.kernel, t.id, bytes, "", 0, btf)}\n`);
    },
  };
}

export const struct = structCommand("struct");
export const union = structCommand("union");

export const whatis: SessionCommand = {
  name: "whatis",
  help: `usage: whatis TYPE|SYMBOL      (kdx whatis ... DUMP)

A struct, union, enum or typedef's definition from BTF; for a symbol, its address and kind.
(BTF records the types of per-CPU variables only, so other globals show no type.)
`,
  run(session, argv, out) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { json: { type: "boolean" } },
    });
    if (positionals.length !== 1) throw new UsageError("whatis NAME");
    if (values.json) {
      // The definition as text, in an object: JSON views of types come with struct --json.
      const text = new TextSink();
      whatis.run(session, positionals, text.stream);
      out.write(
        `${JSON.stringify({ schema: "kdx.whatis/1", name: positionals[0], definition: text.text.trimEnd() })}\n`,
      );
      return;
    }
    const name = positionals[0].replace(/^(struct|union|enum)\s+/, "");
    const hit = session.kernel.findType(name, ["struct", "union", "enum", "typedef"]);
    const btf = hit?.btf ?? session.kernel.btf;
    const t = hit?.type;
    if (t?.kind === "struct" || t?.kind === "union") {
      out.write(`${ptype(btf, t)}\n`);
      return;
    }
    if (t?.kind === "enum")
      out.write(
        `enum ${t.name} {\n${t.enumerators!.map((e) => `    ${e.name} = ${e.value},`).join("\n")}\n}\n`,
      );
    else if (t?.kind === "typedef") out.write(`typedef ${declare(btf, t.type ?? 0, t.name)};\n`);
    else {
      const s = session.kernel.symbols.lookup(name);
      if (!s) throw new KdxError(`${name}: neither a type in the kernel's BTF nor a symbol`);
      const v = btf.find(name, "var");
      out.write(
        v
          ? `${declare(btf, v.type ?? 0, name)};\n`
          : `${name}: ${s.type} symbol at 0x${s.address.toString(16)} (BTF has no type for it)\n`,
      );
    }
  },
};
