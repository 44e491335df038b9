/**
 * The TLS handshake timeout every adapter applies (`TlsOptions.handshakeTimeout`):
 * a peer that accepts a connection and then says nothing must not hold it
 * forever, on either side.
 *
 * @module
 */

/** Seconds a handshake may take when `TlsOptions.handshakeTimeout` is not given. */
export const DEFAULT_HANDSHAKE_TIMEOUT = 30;

/** The timeout in milliseconds for `seconds` (the default when undefined); 0 for none. */
export function handshakeTimeoutMs(seconds: number | undefined): number {
  const s = seconds ?? DEFAULT_HANDSHAKE_TIMEOUT;
  return Number.isFinite(s) && s > 0 ? Math.ceil(s * 1000) : 0;
}

/** The error a handshake that took too long fails with. */
export function handshakeTimeoutError(seconds: number | undefined): Error {
  const s = seconds ?? DEFAULT_HANDSHAKE_TIMEOUT;
  return Object.assign(new Error(`TLS handshake timed out after ${s} s`), {
    code: "ERR_TLS_HANDSHAKE_TIMEOUT",
  });
}

/**
 * Settles like `handshake`, unless it takes longer than `seconds`: then calls
 * `cut()` (which closes the connection under the handshake) and rejects with
 * the timeout error.
 */
export function withHandshakeTimeout<T>(
  handshake: Promise<T>,
  seconds: number | undefined,
  cut: () => void,
): Promise<T> {
  const ms = handshakeTimeoutMs(seconds);
  if (ms === 0) return handshake;
  return new Promise<T>((resolve, reject) => {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      reject(handshakeTimeoutError(seconds));
      try {
        cut();
      } catch {
        // Already closed.
      }
    }, ms);
    handshake.then(
      (value) => {
        clearTimeout(timer);
        // Finished just too late: the connection was cut under it.
        if (timedOut) cut();
        else resolve(value);
      },
      (error) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
