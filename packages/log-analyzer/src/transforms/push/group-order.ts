// The batch's sample order, shared by the decoders that build a DecodedBatch from samples in body
// order: group-contiguous, each group's samples in body order (the store applies them so). Pure.

export interface GroupOrder {
  /** Group g's samples are [start[g], start[g + 1]). */
  start: Int32Array;
  values: Float64Array;
  stamps: Float64Array;
  indexes: Int32Array;
}

/**
 * Pure: samples (values, stamps, and their indexes in the body, or null when sample i is index i)
 * with their group (sampleGroup[i], -1 when not applied) and each group's count → in group order.
 */
export function groupOrder(
  counts: readonly number[],
  sampleGroup: Int32Array,
  kept: number,
  values: Float64Array,
  stamps: Float64Array,
  indexes: Int32Array | null,
): GroupOrder {
  const start = new Int32Array(counts.length + 1);
  for (let g = 0; g < counts.length; g++) start[g + 1] = (start[g] as number) + (counts[g] as number);
  const fill = start.slice(0, counts.length);
  const out: GroupOrder = {
    start,
    values: new Float64Array(kept),
    stamps: new Float64Array(kept),
    indexes: new Int32Array(kept),
  };
  for (let i = 0; i < sampleGroup.length; i++) {
    const g = sampleGroup[i] as number;
    if (g < 0) continue;
    const at = fill[g] as number;
    fill[g] = at + 1;
    out.values[at] = values[i] as number;
    out.stamps[at] = stamps[i] as number;
    out.indexes[at] = indexes === null ? i : (indexes[i] as number);
  }
  return out;
}
