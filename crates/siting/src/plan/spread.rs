//! Unit values spread over districts by the area table (each unit's weights summing to 1).

use careblock_core::join::interpolate::AreaTable;

/// Each unit's row of an area table, normalised to sum to 1 (empty for units in no polygon).
pub(super) fn normalised_rows(table: &AreaTable, n: usize) -> Vec<Vec<(u32, f64)>> {
    (0..n)
        .map(|u| {
            let row = table.row(u);
            let tot: f64 = row.iter().map(|e| e.1).sum();
            if tot > 0.0 {
                row.iter().map(|&(j, a)| (j, a / tot)).collect()
            } else {
                Vec::new()
            }
        })
        .collect()
}

/// `Σ_u w_ud · value(u)` per district, in unit order.
pub(super) fn spread(weights: &[Vec<(u32, f64)>], m: usize, value: impl Fn(usize) -> f64) -> Vec<f64> {
    let mut out = vec![0.0; m];
    for (u, row) in weights.iter().enumerate() {
        let v = value(u);
        for &(d, w) in row {
            out[d as usize] += w * v;
        }
    }
    out
}
