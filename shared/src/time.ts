/**
 * The server is the only clock. Clients compute `offset = serverTime - localNow` once per response
 * and count down against `deadline - (localNow + offset)`, clamped at zero so a countdown never
 * goes negative.
 */
export function clockOffsetMs(serverTimeIso: string, localNowMs: number): number {
  const server = Date.parse(serverTimeIso);
  if (Number.isNaN(server)) return 0;
  return server - localNowMs;
}

export function remainingMs(deadlineIso: string, localNowMs: number, offsetMs: number): number {
  const deadline = Date.parse(deadlineIso);
  if (Number.isNaN(deadline)) return 0;
  return Math.max(0, deadline - (localNowMs + offsetMs));
}

/** 01:02:03 for < 1 day, otherwise "1天 02:03:04". */
export function formatCountdown(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const d = Math.floor(total / 86400);
  const h = Math.floor((total % 86400) / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const hms = [h, m, s].map((n) => n.toString().padStart(2, '0')).join(':');
  return d > 0 ? `${d}天 ${hms}` : hms;
}
