/**
 * Diffie-Hellman groups: RFC 3526's MODP groups 14 (2048 bits) and 16 (4096
 * bits), and the primes of an OpenSSH `moduli` file for group exchange
 * (RFC 4419), from which a server picks the size a client asks for.
 * @module
 */

/** A Diffie-Hellman group: generator and safe prime. */
export interface DHGroup {
  /** The generator. */
  readonly generator: bigint;
  /** The safe prime. */
  readonly prime: bigint;
}

/** RFC 3526 §3, the 2048-bit MODP group. */
export const GROUP14: DHGroup = {
  generator: 2n,
  prime: BigInt(
    "0xffffffffffffffffc90fdaa22168c234c4c6628b80dc1cd129024e088a67cc74020bbea63b139b22" +
      "514a08798e3404ddef9519b3cd3a431b302b0a6df25f14374fe1356d6d51c245e485b576625e7ec6" +
      "f44c42e9a637ed6b0bff5cb6f406b7edee386bfb5a899fa5ae9f24117c4b1fe649286651ece45b3d" +
      "c2007cb8a163bf0598da48361c55d39a69163fa8fd24cf5f83655d23dca3ad961c62f356208552bb" +
      "9ed529077096966d670c354e4abc9804f1746c08ca18217c32905e462e36ce3be39e772c180e8603" +
      "9b2783a2ec07a28fb5c55df06f4c52c9de2bcbf6955817183995497cea956ae515d2261898fa0510" +
      "15728e5a8aacaa68ffffffffffffffff",
  ),
};

/** RFC 3526 §5, the 4096-bit MODP group. */
export const GROUP16: DHGroup = {
  generator: 2n,
  prime: BigInt(
    "0xffffffffffffffffc90fdaa22168c234c4c6628b80dc1cd129024e088a67cc74020bbea63b139b22" +
      "514a08798e3404ddef9519b3cd3a431b302b0a6df25f14374fe1356d6d51c245e485b576625e7ec6" +
      "f44c42e9a637ed6b0bff5cb6f406b7edee386bfb5a899fa5ae9f24117c4b1fe649286651ece45b3d" +
      "c2007cb8a163bf0598da48361c55d39a69163fa8fd24cf5f83655d23dca3ad961c62f356208552bb" +
      "9ed529077096966d670c354e4abc9804f1746c08ca18217c32905e462e36ce3be39e772c180e8603" +
      "9b2783a2ec07a28fb5c55df06f4c52c9de2bcbf6955817183995497cea956ae515d2261898fa0510" +
      "15728e5a8aaac42dad33170d04507a33a85521abdf1cba64ecfb850458dbef0a8aea71575d060c7d" +
      "b3970f85a6e1e4c7abf5ae8cdb0933d71e8c94e04a25619dcee3d2261ad2ee6bf12ffa06d98a0864" +
      "d87602733ec86a64521f2b18177b200cbbe117577a615d6c770988c0bad946e208e24fa074e5ab31" +
      "43db5bfce0fd108e4b82d120a92108011a723c12a787e6d788719a10bdba5b2699c327186af4e23c" +
      "1a946834b6150bda2583e9ca2ad44ce8dbbbc2db04de8ef92e8efc141fbecaa6287c59474e6bc05d" +
      "99b2964fa090c3a2233ba186515be7ed1f612970cee2d7afb81bdd762170481cd0069127d5b05aa9" +
      "93b4ea988d8fddc186ffb7dc90a6c08f4df435c934063199ffffffffffffffff",
  ),
};

/** Primes by size in bits, as a server offers them for group exchange. */
export type PrimeTable = ReadonlyMap<number, readonly DHGroup[]>;

/** The longest moduli line we read (an 8192-bit modulus is 2048 hex digits). */
const MAX_MODULI_LINE = 4096;

/**
 * Parses an OpenSSH `moduli` file: "time type tests tries size generator modulus",
 * with size one less than the prime's bit length. Keeps safe primes (type 2)
 * that passed the Miller-Rabin test (bit 4 of tests); skips bad lines.
 *
 * @example
 * ```ts
 * import { parseModuli } from "@tw/core/conch";
 *
 * const table = parseModuli("# Time Type Tests Tries Size Generator Modulus\n");
 * console.log(table.size); // 0
 * ```
 */
export function parseModuli(text: string): Map<number, DHGroup[]> {
  const table = new Map<number, DHGroup[]>();
  for (const line of text.split("\n")) {
    if (line.length > MAX_MODULI_LINE || line.startsWith("#")) continue;
    const fields = line.trim().split(/\s+/);
    if (fields.length !== 7) continue;
    const [, type, tests, , size, generator, modulus] = fields;
    if (type !== "2" || (Number(tests) & 4) === 0 || !/^[0-9a-fA-F]+$/.test(modulus)) continue;
    if (!/^\d+$/.test(generator) || !/^\d+$/.test(size)) continue;
    const bits = Number(size) + 1;
    const prime = BigInt("0x" + modulus);
    if (prime.toString(2).length !== bits) continue;
    const list = table.get(bits) ?? [];
    list.push({ generator: BigInt(generator), prime });
    table.set(bits, list);
  }
  return table;
}

/** RFC 3526's groups as a prime table: the fallback without a moduli file. */
export const DEFAULT_PRIMES: PrimeTable = new Map([[2048, [GROUP14]], [4096, [GROUP16]]]);

/**
 * The group a server answers a `KEX_DH_GEX_REQUEST(min, n, max)` with: the size
 * nearest to `n` within [min, max], one prime of that size at random.
 */
export function chooseGroup(
  primes: PrimeTable,
  min: number,
  preferred: number,
  max: number,
): DHGroup | undefined {
  let best: number | undefined;
  for (const bits of primes.keys()) {
    if (bits < min || bits > max) continue;
    if (best === undefined || Math.abs(bits - preferred) < Math.abs(best - preferred)) best = bits;
  }
  if (best === undefined) return undefined;
  const list = primes.get(best)!;
  const index = crypto.getRandomValues(new Uint32Array(1))[0] % list.length;
  return list[index];
}
