/**
 * HTTP uploads with bearer tokens, and the dashboard in a real headless browser (Debian's chromium,
 * driven by playwright-core): the crash list, signatures with counts, breakdowns, a crash page with the
 * explained report, bt, sys, a searchable log and download links. Screenshots go to test-results/.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { chromium } from "playwright-core";
import { unxz } from "../dump-fixtures.ts";
import { fixture, kdx, ROOT, tempDir } from "../helpers.ts";
import {
  api,
  type CrashRow,
  clientScript,
  KDUMP_UTILS_DUMP_SSH,
  makeKey,
  publicKey,
  type Served,
  settled,
  startServe,
} from "./serve-harness.ts";

const NULL_ELF = unxz(fixture("vmcore/6.1-null/vmcore.elf.xz"));
const GPF_ELF = unxz(fixture("vmcore/6.1-gpf/vmcore.elf.xz"));
const TOKEN = "ci-token-0123456789abcdef";
const SHOTS = join(ROOT, "test-results");

function curlUpload(
  s: Served,
  file: string,
  path: string,
  token = TOKEN,
): { code: number; body: Record<string, unknown> } {
  const r = spawnSync(
    "curl",
    ["-sS", "-T", file, "-H", `Authorization: Bearer ${token}`, "-w", "\n%{http_code}", `${s.base}${path}`],
    { encoding: "utf8", maxBuffer: 1 << 20 },
  );
  const lines = r.stdout.trimEnd().split("\n");
  return { code: Number(lines.pop()), body: JSON.parse(lines.join("\n")) };
}

describe("kdx serve: HTTP uploads and the dashboard", () => {
  let s: Served;
  let key: string;
  const dirs: Record<string, string> = {};

  before(async () => {
    const keys = tempDir("kdx-keys-");
    key = makeKey(keys, "web-01");
    writeFileSync(join(keys, "authorized_keys"), `${publicKey(key)}\n`);
    writeFileSync(join(keys, "tokens"), `# agents\nci-runner:${TOKEN}\n`);
    s = await startServe({
      authorizedKeys: join(keys, "authorized_keys"),
      args: ["--tokens", join(keys, "tokens")],
    });
  });
  after(() => s.stop());

  test("curl -T with a bearer token; without one, or with a wrong one, nothing is stored", async () => {
    for (const token of ["", "wrong-token-0123456789"]) {
      const r = curlUpload(s, NULL_ELF, "/api/upload/", token);
      assert.equal(r.code, 401);
      assert.match(String(r.body.error), /Bearer TOKEN/);
    }
    for (const [name, file] of [
      ["null", NULL_ELF],
      ["gpf", GPF_ELF],
      ["null-again", NULL_ELF],
    ]) {
      const r = curlUpload(s, file, "/api/upload/");
      assert.equal(r.code, 201, JSON.stringify(r.body));
      // curl -T to a URL ending in / names the file after the local one; kdx stores it as the vmcore.
      assert.match(String(r.body.dump), /^127\.0\.0\.1-\d{4}-\d\d-\d\d-\d\d:\d\d:\d\d/);
      dirs[name] = String(r.body.dump);
      const row = await settled(s, dirs[name]);
      assert.equal(row.state, "ready", JSON.stringify(row));
      assert.equal(statSync(join(s.dataDir, dirs[name], "vmcore")).size, statSync(file).size);
    }
    // The log for an existing dump, into the directory the first upload made.
    const log = join(tempDir(), "vmcore-dmesg.txt");
    writeFileSync(log, kdx(["dmesg", NULL_ELF]).stdout);
    assert.equal(curlUpload(s, log, `/api/upload/${dirs.null}/vmcore-dmesg.txt`).code, 201);
    const crashes = (await api<{ crashes: CrashRow[] }>(s, "/api/crashes")).crashes;
    assert.equal(crashes.length, 3);
    const { signatures } = await api<{ signatures: { title: string; count: number }[] }>(
      s,
      "/api/signatures",
    );
    assert.deepEqual(
      signatures.map((x) => x.count),
      [2, 1],
    );
    assert.match(signatures[0].title, /NULL pointer dereference/);
    assert.match(signatures[1].title, /general protection fault/);
  });

  test("an HTTP upload cut off mid-body is kept as incomplete, never as a dump", async () => {
    const dir = await new Promise<string>((resolve, reject) => {
      const req = request(`${s.base}/api/upload/vmcore`, {
        method: "PUT",
        headers: { authorization: `Bearer ${TOKEN}`, "content-length": 10 << 20 },
      });
      req.on("error", () => {});
      req.write(Buffer.alloc(1 << 20, 1));
      setTimeout(async () => {
        req.destroy();
        await new Promise((r) => setTimeout(r, 300));
        const { crashes } = await api<{ crashes: CrashRow[] }>(s, "/api/crashes");
        const row = crashes.find((c) => !Object.values(dirs).includes(c.dir));
        row ? resolve(row.dir) : reject(new Error("no row for the cut upload"));
      }, 300);
    });
    const { crashes } = await api<{ crashes: CrashRow[] }>(s, "/api/crashes");
    const row = await api<CrashRow>(s, `/api/crashes/${crashes.find((c) => c.dir === dir)!.id}`);
    assert.equal(row.state, "incomplete");
    assert.equal(row.upload, null);
    assert.deepEqual(
      row.files!.map((f) => [f.name, f.state]),
      [["vmcore", "incomplete"]],
    );
  });

  test("a dump sent by kdump-utils over ssh, and an upload that is no dump at all", async () => {
    const KDUMP_DIR = fixture("vmcore/6.1-kdump/var/crash/127.0.0.1-2026-11-25-03:13:13");
    const r = await clientScript(s, key, KDUMP_UTILS_DUMP_SSH, {
      D: `/var/crash/192.168.122.15-2026-11-25-03:13:13`,
      DMESG: join(KDUMP_DIR, "vmcore-dmesg.txt"),
      ELF: unxz(join(KDUMP_DIR, "vmcore.elf.xz")),
    });
    assert.equal(r.status, 0, r.stderr);
    dirs.sysrq = "192.168.122.15-2026-11-25-03:13:13";
    assert.match((await settled(s, dirs.sysrq)).title!, /sysrq triggered crash/);
    const junk = join(tempDir(), "vmcore");
    writeFileSync(junk, Buffer.alloc(1 << 16, 0xa5));
    const up = curlUpload(s, junk, "/api/upload/");
    assert.equal(up.code, 201);
    const bad = await settled(s, String(up.body.dump));
    assert.equal(bad.state, "failed");
    assert.match(bad.error!, /vmcore: neither a dump .* nor a text log/);
  });

  test("the dashboard in headless chromium: list, signatures, crash page, log search, downloads", async () => {
    mkdirSync(SHOTS, { recursive: true });
    const browser = await chromium.launch({
      executablePath: "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      page.on("console", (m) => {
        if (m.type() === "error") errors.push(m.text());
      });
      await page.goto(`${s.base}/`);
      await page.waitForSelector("#crashes tbody tr");
      const rows = page.locator("#crashes tbody tr");
      assert.equal(await rows.count(), 6);
      const text = await page.locator("#crashes").innerText();
      assert.match(text, /NULL pointer dereference/);
      assert.match(text, /general protection fault/);
      assert.match(text, /6\.1\.0-56-cloud-amd64/);
      assert.match(text, /incomplete/);
      assert.match(
        text,
        /192\.168\.122\.15\s+6\.1\.0-56-cloud-amd64\s+kernel panic: sysrq triggered crash\s+ready/,
      );
      assert.match(text, /neither a dump .* nor a text log\s+failed/);
      const sigRows = page.locator("#signatures tbody tr");
      assert.equal(await sigRows.count(), 3);
      assert.equal((await sigRows.first().locator("td.count").innerText()).trim(), "2");
      assert.equal(await page.locator("#signatures svg rect").count(), 3);
      assert.match(await page.locator("#by-release").innerText(), /6\.1\.0-56-cloud-amd64\s+4/);
      assert.match(await page.locator("#by-host").innerText(), /^127\.0\.0\.1\s+3$/m);
      assert.match(await page.locator("#by-host").innerText(), /^192\.168\.122\.15\s+1$/m);
      await page.screenshot({ path: join(SHOTS, "dashboard-list.png"), fullPage: true });

      // The crash page of the first NULL-pointer dump.
      const api1 = await api<CrashRow>(
        s,
        `/api/crashes/${(await api<{ crashes: CrashRow[] }>(s, "/api/crashes")).crashes.find((c) => c.dir === dirs.null)!.id}`,
      );
      await page.locator(`#crashes tbody tr[data-id="${api1.id}"]`).click();
      await page.waitForSelector("#crash-title");
      assert.equal(await page.locator("#crash-title").innerText(), api1.title);
      // A QEMU dump has no CRASHTIME: the crash time is the kernel's clock, the DATE crash's sys shows.
      const date = /DATE: \w+ (\w+ +\d+ [\d:]+) UTC (\d{4})/.exec(
        readFileSync(fixture("vmcore/6.1-null/oracles/vmcore.elf/crash-sys.txt"), "utf8"),
      )!;
      const crashed = new Date(`${date[1]} ${date[2]} UTC`).toISOString().replace("T", " ").slice(0, 19);
      assert.match(await page.locator(".meta").innerText(), new RegExp(`crashed\\s*${crashed}`));
      const report = await page.locator("section.report pre").first().innerText();
      assert.match(report, /RIP/);
      assert.match(report, /sysrq_handle_crash|NULL/);
      assert.match(await page.locator("#bt pre").innerText(), /#0 \[[0-9a-f]+\]/);
      assert.match(await page.locator("#sys pre").innerText(), /PANIC: /);
      const before = await page.locator("#log-count").innerText();
      await page.fill("#log-search", "BUG: kernel NULL pointer dereference");
      const after = await page.locator("#log-count").innerText();
      assert.match(after, /^\s*1 of \d+ lines/);
      assert.notEqual(before, after);
      assert.equal(await page.locator("#log mark").count(), 1);
      await page.screenshot({ path: join(SHOTS, "dashboard-crash.png"), fullPage: true });

      // Download links serve the stored files.
      const href = await page.locator(".files a", { hasText: "vmcore-dmesg.txt" }).getAttribute("href");
      const got = await fetch(`${s.base}${href}`);
      assert.equal(got.status, 200);
      assert.equal(await got.text(), kdx(["dmesg", NULL_ELF]).stdout);
      assert.equal((await fetch(`${s.base}/files/..%2F.kdx/index.sqlite`)).status, 404);
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
    }
  });
});
