/**
 * The keys of the members that src/web's classes share with each other but
 * do not publish. A class uses `#private` for what only it touches; a member
 * another class or file of src/web needs (the channel's fast paths, the
 * request parser filling `Headers`, the client protocol feeding a
 * `Response`) is keyed by one of these symbols. This module is no entry
 * point, so the keys (and the members) are out of reach of users and out of
 * the public docs (each such member is also marked `@ignore`).
 *
 * @module
 */

// ---- Headers ---------------------------------------------------------------

/** `headers[setOne](name, value)`: replaces the values of `name` with `value`. */
export const setOne: unique symbol = Symbol("Headers.setOne");
/**
 * `headers[receive](buf, marks, high)`: takes a parsed head's header lines as
 * bytes, decoded only when asked for (see `Headers`).
 */
export const receive: unique symbol = Symbol("Headers.receive");
/** `headers[hasLower](lowerName)`: `hasHeader` for a name already in lower case. */
export const hasLower: unique symbol = Symbol("Headers.hasLower");
/** `headers[valuesOf](lowerName)`: the values without a copy (do not mutate), or undefined. */
export const valuesOf: unique symbol = Symbol("Headers.valuesOf");
/** `headers[countOf](lowerName)`: how many values `lowerName` has (none decoded). */
export const countOf: unique symbol = Symbol("Headers.countOf");
/** `headers[eachValue](fn)`: `fn(lowerName, value)` for each value. */
export const eachValue: unique symbol = Symbol("Headers.eachValue");
/** `headers[serialize]()`: `Name: value\r\n` lines, names in canonical caps. */
export const serialize: unique symbol = Symbol("Headers.serialize");
/** `headers[serializedLength]()`: the byte length of `serialize()` when it is ASCII. */
export const serializedLength: unique symbol = Symbol("Headers.serializedLength");
/** `headers[serializeTo](out, at)`: writes `serialize()` as ASCII; the end, or -1. */
export const serializeTo: unique symbol = Symbol("Headers.serializeTo");
/** `headers[fieldList]()`: the fields as triples (lower-case name, name, value); read only. */
export const fieldList: unique symbol = Symbol("Headers.fieldList");

// ---- HTTPChannel and HTTPRequest -------------------------------------------

/** `channel[direct]`: where responses go as values (the fetch bridge), or null. */
export const direct: unique symbol = Symbol("HTTPChannel.direct");
/** `channel[now]()`: the time for response heads and activity tracking. */
export const now: unique symbol = Symbol("HTTPChannel.now");
/** `channel[serveRequest](request, method, uri, version)`: serves a request made, not parsed. */
export const serveRequest: unique symbol = Symbol("HTTPChannel.serveRequest");
/** `channel[writeResponse](bytes)`: writes response bytes (and counts as activity). */
export const writeResponse: unique symbol = Symbol("HTTPChannel.writeResponse");
/** `request[encoder]`: the encoder the response body goes through, or null. */
export const encoder: unique symbol = Symbol("HTTPRequest.encoder");
/** `request[trailersOf]()`: the response trailers when some were set, else null. */
export const trailersOf: unique symbol = Symbol("HTTPRequest.trailersOf");
/** `request[sendText](text)`: gives a whole text body to a direct channel, if it applies. */
export const sendText: unique symbol = Symbol("HTTPRequest.sendText");

// ---- the client's Response ---------------------------------------------------

/** `response[bodyDataReceived](bytes)`: body bytes from the connection. */
export const bodyDataReceived: unique symbol = Symbol("Response.bodyDataReceived");
/** `response[bodyDataFinished](reason)`: the body ended. */
export const bodyDataFinished: unique symbol = Symbol("Response.bodyDataFinished");
/** `response[stopBody]()`: the body's reader gave up: abort the connection. */
export const stopBody: unique symbol = Symbol("Response.stopBody");

// ---- HTTPFactory and its channels --------------------------------------------

/** `channel[slot]`: where its factory lists it among the open channels. */
export const slot: unique symbol = Symbol("HTTPChannel.slot");
/** `channel[setOnClose](fn)`: what the channel calls once it closed (its factory forgets it). */
export const setOnClose: unique symbol = Symbol("HTTPChannel.setOnClose");
