/** Terminal styling: colour only on a terminal (or when asked), honouring NO_COLOR. */
export interface Style {
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
  green(s: string): string;
}

const wrap =
  (on: string, off: string) =>
  (s: string): string =>
    `\x1b[${on}m${s}\x1b[${off}m`;

export const PLAIN: Style = {
  bold: (s) => s,
  dim: (s) => s,
  red: (s) => s,
  yellow: (s) => s,
  cyan: (s) => s,
  green: (s) => s,
};
export const ANSI: Style = {
  bold: wrap("1", "22"),
  dim: wrap("2", "22"),
  red: wrap("31", "39"),
  yellow: wrap("33", "39"),
  cyan: wrap("36", "39"),
  green: wrap("32", "39"),
};

export function pickStyle(mode: "auto" | "always" | "never", isTTY: boolean): Style {
  if (mode === "always") return ANSI;
  if (mode === "never" || process.env.NO_COLOR) return PLAIN;
  return isTTY ? ANSI : PLAIN;
}
