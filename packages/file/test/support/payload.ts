/** Session data that proves itself whole: its length is written inside it. */
export function payload(writer: string, round: number, size: number): string {
  return JSON.stringify({ writer, round, size, pad: 'p'.repeat(size) });
}

export function isWholePayload(data: string): boolean {
  try {
    const parsed = JSON.parse(data) as { size?: unknown; pad?: unknown };
    return typeof parsed.pad === 'string' && parsed.pad.length === parsed.size;
  } catch {
    return false;
  }
}
