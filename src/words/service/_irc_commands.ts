/**
 * The commands of a logged-in `IRCUser` (PRIVMSG, NOTICE, JOIN, PART,
 * NAMES, TOPIC, LIST, WHO, WHOIS, MODE) over the words realm.
 * Private: used by `IRCUser`.
 * @module
 */
import type { Tags } from "../irc/_wire.ts";
import { NoSuchGroup, NoSuchUser } from "./_errors.ts";
import type { IGroup, IUser, WordsMessage } from "./_interfaces.ts";
import { InMemoryWordsRealm, User } from "./_realm.ts";
import { Logger } from "../../logger/mod.ts";

const log = new Logger("tw.words.irc");
import type { IRCUser } from "./_irc_user.ts";

/** The longest channel name, `#` included. */
export const CHANNELLEN = 50;
/** Channels one client may be in. */
export const CHANLIMIT = 100;
// deno-lint-ignore no-control-regex
const CHANNEL = /^#[^\s,\x07\0:]{1,49}$/;
const MAX_TARGETS = 4;

async function lookupGroup(user: IRCUser, name: string): Promise<IGroup | null> {
  try {
    return await user.realm!.lookupGroup(name.slice(1));
  } catch (error) {
    if (error instanceof NoSuchGroup) return null;
    throw error;
  }
}

async function lookupUser(user: IRCUser, name: string): Promise<IUser | null> {
  try {
    const found = await user.realm!.lookupUser(name);
    return found.mind === null ? null : found;
  } catch (error) {
    if (error instanceof NoSuchUser) return null;
    throw error;
  }
}

function member(user: IRCUser, group: IGroup): boolean {
  return [...user.avatar!.itergroups()].includes(group);
}

/**
 * PRIVMSG or NOTICE to up to four targets; NOTICE never gets an error back.
 * With an `InMemoryWordsRealm` and its `User`s it is done at once (no
 * promise), so a chunk of messages is relayed within one `dataReceived`.
 */
export function message(
  user: IRCUser,
  command: "PRIVMSG" | "NOTICE",
  params: string[],
  tags: Tags,
): Promise<void> | void {
  const notice = command === "NOTICE";
  if (params.length === 0 || params[0] === "") {
    if (!notice) user.reply("411", `:No recipient given (${command})`);
    return;
  }
  const text = params.length > 1 ? params[params.length - 1] : "";
  if (text === "") {
    if (!notice) user.reply("412", ":No text to send");
    return;
  }
  const clientTags: Record<string, string> = {};
  for (const [k, v] of Object.entries(tags)) if (k.startsWith("+")) clientTags[k] = v;
  const msg: WordsMessage & { notice?: boolean } = { text, tags: clientTags, notice };
  const targets = params[0].split(",");
  if (targets.length > MAX_TARGETS) {
    if (!notice) user.reply("407", params[0].slice(0, 64), ":Too many recipients");
    return;
  }
  const realm = user.realm;
  if (realm instanceof InMemoryWordsRealm && user.avatar instanceof User) {
    for (const target of targets) {
      const found = target.startsWith("#")
        ? (CHANNEL.test(target) ? realm.groups.get(target.slice(1).toLowerCase()) : undefined)
        : realm.users.get(target.toLowerCase());
      const sent = deliver(user, target, found ?? null, msg, notice);
      sent?.then(undefined, (error: unknown) => {
        log.failure("Error relaying a {command}", error, "error", { command });
      });
    }
    return;
  }
  return messageLater(user, targets, msg, notice);
}

async function messageLater(
  user: IRCUser,
  targets: string[],
  msg: WordsMessage,
  notice: boolean,
): Promise<void> {
  for (const target of targets) {
    const found = target.startsWith("#")
      ? (CHANNEL.test(target) ? await lookupGroup(user, target) : null)
      : await lookupUser(user, target);
    await deliver(user, target, found, msg, notice);
  }
}

/** Sends `msg` to the group or user found for `target`, or answers 401/404. */
function deliver(
  user: IRCUser,
  target: string,
  found: IGroup | IUser | null,
  msg: WordsMessage,
  notice: boolean,
): Promise<void> | void {
  if (target.startsWith("#")) {
    const group = found as IGroup | null;
    if (group === null) {
      if (!notice) user.reply("401", target.slice(0, 64), ":No such nick/channel");
    } else if (!member(user, group)) {
      if (!notice) user.reply("404", target, ":Cannot send to channel");
    } else return user.avatar!.send(group, msg);
    return;
  }
  const other = found as IUser | null;
  if (other === null || other.mind === null) {
    if (!notice) user.reply("401", target.slice(0, 64), ":No such nick/channel");
  } else return user.avatar!.send(other.mind, msg);
}

/** JOIN `#a,#b`: joins (the group must exist unless the realm creates groups); `JOIN 0` leaves all. */
export async function join(user: IRCUser, params: string[]): Promise<void> {
  const names = params[0] ?? "";
  if (names === "") return user.reply("461", "JOIN", ":Not enough parameters");
  if (names === "0") {
    for (const group of [...user.avatar!.itergroups()]) {
      await leave(user, group, "Left all channels");
    }
    return;
  }
  for (const name of names.split(",").slice(0, 10)) {
    if (!CHANNEL.test(name)) {
      user.reply("403", name.slice(0, 64) || "*", ":No such channel");
      continue;
    }
    let group: IGroup;
    try {
      group = await user.realm!.getGroup(name.slice(1));
    } catch (error) {
      if (!(error instanceof NoSuchGroup)) throw error;
      user.reply("403", name, ":No such channel");
      continue;
    }
    if (member(user, group)) continue;
    if ([...user.avatar!.itergroups()].length >= CHANLIMIT) {
      user.reply("405", name, ":You have joined too many channels");
      continue;
    }
    await user.avatar!.join(group);
    user.join(user.prefix, "#" + group.name);
    user.names(user.name, "#" + group.name, [...group.iterusers()].map((u) => u.name));
    sendTopic(user, group);
  }
}

async function leave(user: IRCUser, group: IGroup, reason?: string): Promise<void> {
  await user.avatar!.leave(group, reason);
  user.part(user.prefix, "#" + group.name, reason || "leaving");
}

/** PART `#a,#b [:reason]`. */
export async function part(user: IRCUser, params: string[]): Promise<void> {
  const names = params[0] ?? "";
  if (names === "") return user.reply("461", "PART", ":Not enough parameters");
  for (const name of names.split(",").slice(0, 10)) {
    const group = CHANNEL.test(name) ? await lookupGroup(user, name) : null;
    if (group === null) user.reply("403", name.slice(0, 64) || "*", ":No such channel");
    else if (!member(user, group)) user.reply("442", name, ":You're not on that channel");
    else await leave(user, group, params[1]);
  }
}

/** NAMES `#a`. */
export async function names(user: IRCUser, params: string[]): Promise<void> {
  const name = (params[0] ?? "").split(",")[0];
  const group = CHANNEL.test(name) ? await lookupGroup(user, name) : null;
  if (group === null) {
    user.reply("366", name.slice(0, 64) || "*", ":End of /NAMES list");
    return;
  }
  user.names(user.name, "#" + group.name, [...group.iterusers()].map((u) => u.name));
}

function sendTopic(user: IRCUser, group: IGroup): void {
  const topic = String(group.meta.topic ?? "");
  if (topic === "") return;
  user.topic(user.name, "#" + group.name, topic);
  user.topicAuthor(
    user.name,
    "#" + group.name,
    String(group.meta.topic_author || "<noone>"),
    Number(group.meta.topic_date ?? 0),
  );
}

/** TOPIC `#a [:topic]`: shows it (332/333, or 331), or sets it (members only). */
export async function topic(user: IRCUser, params: string[]): Promise<void> {
  const name = params[0] ?? "";
  if (name === "") return user.reply("461", "TOPIC", ":Not enough parameters");
  const group = CHANNEL.test(name) ? await lookupGroup(user, name) : null;
  if (group === null) return user.reply("403", name.slice(0, 64), ":No such channel");
  if (params.length < 2) {
    if (String(group.meta.topic ?? "") === "") user.topic(user.name, "#" + group.name, null);
    else sendTopic(user, group);
    return;
  }
  if (!member(user, group)) return user.reply("442", name, ":You're not on that channel");
  await group.setMetadata({
    ...group.meta,
    topic: params[1].slice(0, 390),
    topic_author: user.name,
    topic_date: Math.trunc(Date.now() / 1000),
  });
}

/** LIST `[#a,#b]`: 321, a 322 per group (with its `#`), 323. */
export async function list(user: IRCUser, params: string[]): Promise<void> {
  let groups: IGroup[];
  if ((params[0] ?? "") !== "") {
    groups = [];
    for (const name of params[0].split(",").slice(0, 50)) {
      const group = CHANNEL.test(name) ? await lookupGroup(user, name) : null;
      if (group !== null) groups.push(group);
    }
  } else groups = [...await user.realm!.itergroups()];
  user.reply("321", "Channel", ":Users  Name");
  for (const group of groups) {
    user.reply(
      "322",
      "#" + group.name,
      String(await group.size()),
      ":" + String(group.meta.topic ?? ""),
    );
  }
  user.reply("323", ":End of /LIST");
}

/** WHO `#a` or `nick`. */
export async function who(user: IRCUser, params: string[]): Promise<void> {
  const mask = params[0] ?? "*";
  const host = user.hostname!;
  if (mask.startsWith("#")) {
    const group = CHANNEL.test(mask) ? await lookupGroup(user, mask) : null;
    if (group !== null) {
      return user.who(
        user.name,
        "#" + group.name,
        [...group.iterusers()].map((m) => [m.name, host, host, m.name, "H", 0, m.name]),
      );
    }
  } else {
    const other = await lookupUser(user, mask);
    if (other !== null) {
      return user.who(user.name, "*", [[
        other.name,
        host,
        host,
        other.mind!.name,
        "H",
        0,
        other.name,
      ]]);
    }
  }
  user.reply("315", mask.slice(0, 64), ":End of /WHO list");
}

/** WHOIS `nick`: 311, 312, 317, 319, 318; 401 when unknown. */
export async function whois(user: IRCUser, params: string[]): Promise<void> {
  const nick = params[params.length - 1] ?? "";
  if (nick === "") return user.reply("431", ":No nickname given");
  const other = await lookupUser(user, nick);
  if (other === null) {
    user.reply("401", nick.slice(0, 64), ":No such nick/channel");
    user.reply("318", nick.slice(0, 64), ":End of /WHOIS list");
    return;
  }
  const name = other.mind!.name;
  const host = user.hostname!;
  user.reply("311", name, name, host, "*", ":" + name);
  user.reply("312", name, host, ":" + host);
  const now = Date.now() / 1000;
  user.reply(
    "317",
    name,
    String(Math.trunc(now - other.lastMessage)),
    String(Math.trunc(other.signOn)),
    ":seconds idle, signon time",
  );
  const channels = [...other.itergroups()].map((g) => "#" + g.name);
  if (channels.length > 0) user.reply("319", name, ":" + channels.join(" "));
  user.reply("318", name, ":End of /WHOIS list");
}

/** MODE: `+` for a group or this user; setting modes is refused. */
export async function mode(user: IRCUser, params: string[]): Promise<void> {
  const target = params[0] ?? "";
  if (target === "") return user.reply("461", "MODE", ":Not enough parameters");
  if (target.startsWith("#")) {
    const group = CHANNEL.test(target) ? await lookupGroup(user, target) : null;
    if (group === null) return user.reply("403", target.slice(0, 64), ":No such channel");
    if (params.length > 1 && params[1] !== "" && params[1] !== "b") {
      return user.reply("472", params[1].slice(0, 16), ":Unknown MODE flag");
    }
    if (params[1] === "b") return user.reply("368", "#" + group.name, ":End of channel ban list");
    return user.channelMode(user.name, "#" + group.name, "+");
  }
  if (target.toLowerCase() !== user.name.toLowerCase()) {
    return user.reply("502", ":Cannot change mode for other users");
  }
  if (params.length > 1) return user.reply("501", ":Unknown MODE flag");
  user.reply("221", "+");
}
