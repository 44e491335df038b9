/**
 * Character attributes as a tree (`twisted.conch.insults.text`): build
 * formatted text with `A.bold(...)`, `A.fg.red(...)` and flatten it into the
 * text and SGR sequences a terminal shows.
 * Private: re-exported by `mod.ts`.
 * @module
 */

/** The eight terminal colors. */
export type Color = "black" | "red" | "green" | "yellow" | "blue" | "magenta" | "cyan" | "white";

const COLORS: readonly Color[] = [
  "black",
  "red",
  "green",
  "yellow",
  "blue",
  "magenta",
  "cyan",
  "white",
];

/** A set of character attributes. */
export interface CharacterAttributes {
  /** Bold. */
  bold?: boolean;
  /** Underlined. */
  underline?: boolean;
  /** Blinking. */
  blink?: boolean;
  /** Reverse video. */
  reverseVideo?: boolean;
  /** The foreground color. */
  fg?: Color;
  /** The background color. */
  bg?: Color;
}

/**
 * A piece of formatted text: attributes over children (text or more
 * pieces); usually made with `A`.
 *
 * @example
 * ```ts
 * import { flatten, FormattedText } from "@tw/core/conch/insults";
 * console.log(JSON.stringify(flatten(new FormattedText({ bold: true }, ["hi"])))); // "\u001b[0;1mhi\u001b[0m"
 * ```
 */
export class FormattedText {
  /** What this piece sets (`normal` clears everything first). */
  readonly attributes: CharacterAttributes & { normal?: boolean };
  /** The text and nested pieces. */
  readonly children: readonly (string | FormattedText)[];

  /** A piece setting `attributes` over `children`. */
  constructor(
    attributes: CharacterAttributes & { normal?: boolean },
    children: readonly (string | FormattedText)[],
  ) {
    this.attributes = attributes;
    this.children = children;
  }
}

/** Makes formatted text from its children (each of `A`'s members). */
export type TextMaker = (...children: (string | FormattedText)[]) => FormattedText;

function maker(attributes: CharacterAttributes & { normal?: boolean }): TextMaker {
  return (...children) => new FormattedText(attributes, children);
}

function colors(which: "fg" | "bg"): Record<Color, TextMaker> {
  return Object.fromEntries(COLORS.map((c) => [c, maker({ [which]: c })])) as Record<
    Color,
    TextMaker
  >;
}

/**
 * Makers of formatted text (Twisted's `text.attributes`, `A`): `A.bold`,
 * `A.underline`, `A.blink`, `A.reverseVideo`, `A.normal`, `A.fg.<color>`,
 * `A.bg.<color>`; nest them freely.
 *
 * @example
 * ```ts
 * import { A, flatten } from "@tw/core/conch/insults";
 * const text = A.bold("Status: ", A.fg.green("ok"), " ", A.normal("done"));
 * console.log(JSON.stringify(flatten(text))); // "\u001b[0;1mStatus: \u001b[0;1;32mok\u001b[0;1m \u001b[0mdone"
 * ```
 */
export const A: {
  bold: TextMaker;
  underline: TextMaker;
  blink: TextMaker;
  reverseVideo: TextMaker;
  normal: TextMaker;
  fg: Record<Color, TextMaker>;
  bg: Record<Color, TextMaker>;
} = {
  bold: maker({ bold: true }),
  underline: maker({ underline: true }),
  blink: maker({ blink: true }),
  reverseVideo: maker({ reverseVideo: true }),
  normal: maker({ normal: true }),
  fg: colors("fg"),
  bg: colors("bg"),
};

function sgr(state: CharacterAttributes): string {
  const codes = ["0"];
  if (state.bold) codes.push("1");
  if (state.underline) codes.push("4");
  if (state.blink) codes.push("5");
  if (state.reverseVideo) codes.push("7");
  if (state.fg !== undefined) codes.push(String(30 + COLORS.indexOf(state.fg)));
  if (state.bg !== undefined) codes.push(String(40 + COLORS.indexOf(state.bg)));
  return `\x1b[${codes.join(";")}m`;
}

/**
 * The text of `text` with SGR sequences where the attributes change (each
 * one a full state: reset, then the attributes), and a reset at the end
 * when any attribute is on. `attributes` is the state to start from.
 *
 * @example
 * ```ts
 * import { A, flatten } from "@tw/core/conch/insults";
 * console.log(JSON.stringify(flatten(["plain ", A.underline("under")]))); // "plain \u001b[0;4munder\u001b[0m"
 * ```
 */
export function flatten(
  text: string | FormattedText | readonly (string | FormattedText)[],
  attributes: CharacterAttributes = {},
): string {
  let out = "";
  let shown = sgr(attributes);
  const plain = sgr({});
  const walk = (
    node: string | FormattedText | readonly (string | FormattedText)[],
    state: CharacterAttributes,
  ): void => {
    if (typeof node === "string") {
      if (node === "") return;
      const wanted = sgr(state);
      if (wanted !== shown) out += wanted;
      shown = wanted;
      out += node;
      return;
    }
    if (!(node instanceof FormattedText)) {
      for (const child of node) walk(child, state);
      return;
    }
    const { normal, ...rest } = node.attributes;
    const next: CharacterAttributes = normal ? { ...rest } : { ...state, ...rest };
    for (const child of node.children) walk(child, next);
  };
  walk(text, attributes);
  if (shown !== plain) out += plain;
  return out;
}
