// Counts in the lab's words: "1 tube", "5 tubes", never "1 tubes".

/** `n` and the noun, singular for exactly one: count(1, 'tube') → "1 tube". */
export function count(n: number, one: string, many: string = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * What the outbox count means here: with no hub (`hub_url` empty) a workstation works
 * stand-alone and its changes stay in its own database; with a hub they wait for the next sync.
 */
export function outboxText(pending: number, hubUrl: string | null): string {
  return hubUrl
    ? `${count(pending, 'change')} waiting to sync`
    : `${count(pending, 'change')} kept locally`;
}
