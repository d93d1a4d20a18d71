/**
 * kdx tells kernels apart by what the dump says of itself (BTF members and types, VMCOREINFO entries, the
 * kernel's own data), never by its release string: no source file reads a version number out of a
 * release. The forks this covers are listed in ARCHITECTURE.md ("Kernel forks").
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { test } from "node:test";
import { ROOT } from "../helpers.ts";

function* sources(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* sources(p);
    else if (e.name.endsWith(".ts")) yield p;
  }
}

/** What a release comparison looks like: a major.minor pattern, or a release fed to a number parser. */
const VERSION_PARSE = [
  /\/\^?\(\\d\+\)\\\.\(\\d\+\)(?!\\\.\(\\d\+\)\\\.\(\\d\+\))/, // /^(\d+)\.(\d+)/ (not a dotted-quad IPv4)
  /(release|osrelease|OSRELEASE)\b[^\n]*(parseInt|parseFloat|Number\(|\.split\(["']\.["']\)|localeCompare)/,
  /(parseInt|parseFloat|Number)\([^\n)]*(release|osrelease|OSRELEASE)/,
];

test("no release string is parsed as a version anywhere in src/", () => {
  const hits: string[] = [];
  for (const file of sources(join(ROOT, "src"))) {
    readFileSync(file, "utf8")
      .split("\n")
      .forEach((line, i) => {
        if (VERSION_PARSE.some((re) => re.test(line)))
          hits.push(`${relative(ROOT, file)}:${i + 1}: ${line.trim()}`);
      });
  }
  assert.deepEqual(hits, []);
});

test("the check finds a release comparison where there is one", () => {
  assert.ok(VERSION_PARSE.some((re) => re.test(`const m = /^(\\d+)\\.(\\d+)/.exec(kernel.release ?? "");`)));
  assert.ok(VERSION_PARSE.some((re) => re.test("if (Number(vi.osrelease.split('.')[0]) >= 6) {")));
  assert.ok(!VERSION_PARSE.some((re) => re.test("const m = /^(\\d+)\\.(\\d+)\\.(\\d+)\\.(\\d+)$/.exec(s);")));
});
