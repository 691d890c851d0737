//! Rows of `(index, value)` pairs packed into one table (compressed sparse rows): the offsets
//! of each row's first entry, and every entry in row order. The neighbour tables of the joins
//! and the siting's coverage table are built with it.

/// Packs `rows` in order: `offsets[i]..offsets[i + 1]` are row `i`'s entries.
pub fn pack_rows<T>(rows: Vec<Vec<T>>) -> (Vec<usize>, Vec<T>) {
    let mut offsets = Vec::with_capacity(rows.len() + 1);
    offsets.push(0);
    let mut entries = Vec::with_capacity(rows.iter().map(Vec::len).sum());
    for row in rows {
        entries.extend(row);
        offsets.push(entries.len());
    }
    (offsets, entries)
}

/// Packs blocks of consecutive rows, each given as its rows' lengths and their entries in
/// order (what a parallel pass over chunks of rows produces).
pub fn pack_blocks<T>(blocks: Vec<(Vec<usize>, Vec<T>)>) -> (Vec<usize>, Vec<T>) {
    let rows: usize = blocks.iter().map(|b| b.0.len()).sum();
    let mut offsets = Vec::with_capacity(rows + 1);
    offsets.push(0);
    let mut entries = Vec::with_capacity(blocks.iter().map(|b| b.1.len()).sum());
    for (lens, block) in blocks {
        for len in lens {
            offsets.push(offsets[offsets.len() - 1] + len);
        }
        entries.extend(block);
    }
    (offsets, entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_and_blocks_pack_alike() {
        let rows = vec![vec![(0u32, 1.0)], vec![], vec![(2, 0.5), (1, 0.25)]];
        let (o, e) = pack_rows(rows.clone());
        assert_eq!(o, [0, 1, 1, 3]);
        assert_eq!(e, [(0, 1.0), (2, 0.5), (1, 0.25)]);
        let blocks = vec![
            (vec![1, 0], vec![(0u32, 1.0)]),
            (vec![2], vec![(2, 0.5), (1, 0.25)]),
        ];
        assert_eq!(pack_blocks(blocks), (o, e));
    }
}
