// Counts in the lab's words: "1 tube", "5 tubes", never "1 tubes".

/** `n` and the noun, singular for exactly one: count(1, 'tube') → "1 tube". */
export function count(n: number, one: string, many: string = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
