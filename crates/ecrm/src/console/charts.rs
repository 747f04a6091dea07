//! Server-side SVG charts: horizontal bars and heat maps, sized by `viewBox` so they scale with the
//! page, with every value also written as text (charts are read, not only looked at).

use std::fmt::Write;

use super::html::esc;

/// One bar: its label, its length (any non-negative unit) and the text written next to it.
pub struct Bar {
    /// The row label.
    pub label: String,
    /// The bar's length, relative to the longest.
    pub value: f64,
    /// The value as text.
    pub text: String,
}

const LABEL_WIDTH: f64 = 190.0;
const BAR_AREA: f64 = 330.0;
const ROW: f64 = 30.0;

/// Horizontal bars, longest = full width.
pub fn bars(id: &str, bars: &[Bar], color: &str) -> String {
    let width = LABEL_WIDTH + BAR_AREA + 150.0;
    let height = ROW * bars.len().max(1) as f64 + 8.0;
    let max = bars.iter().map(|b| b.value).fold(0.0f64, f64::max);
    let mut out = format!(
        "<svg class=\"chart\" id=\"{id}\" viewBox=\"0 0 {width} {height}\" role=\"img\" \
         preserveAspectRatio=\"xMinYMin meet\">"
    );
    for (i, bar) in bars.iter().enumerate() {
        let y = 4.0 + ROW * i as f64;
        let length = if max > 0.0 {
            (bar.value / max * BAR_AREA).max(if bar.value > 0.0 { 2.0 } else { 0.0 })
        } else {
            0.0
        };
        let _ = write!(
            out,
            "<text x=\"{lx}\" y=\"{ty}\" text-anchor=\"end\" class=\"lbl\">{label}</text>\
             <rect x=\"{bx}\" y=\"{ry}\" width=\"{length:.1}\" height=\"{h}\" rx=\"3\" fill=\"{color}\"/>\
             <text x=\"{vx:.1}\" y=\"{ty}\" class=\"val\">{text}</text>",
            lx = LABEL_WIDTH - 10.0,
            ty = y + ROW / 2.0 + 4.0,
            label = esc(&bar.label),
            bx = LABEL_WIDTH,
            ry = y + 4.0,
            h = ROW - 10.0,
            vx = LABEL_WIDTH + length + 8.0,
            text = esc(&bar.text),
        );
    }
    out.push_str("</svg>");
    out
}

/// A cell colour on a white-to-blue ramp for a share in 0..=1, and its text colour.
fn ramp(share: f64) -> (String, &'static str) {
    let s = share.clamp(0.0, 1.0);
    let mix = |from: f64, to: f64| (from + (to - from) * s).round() as u8;
    let fill = format!(
        "#{:02x}{:02x}{:02x}",
        mix(239.0, 30.0),
        mix(246.0, 64.0),
        mix(255.0, 175.0)
    );
    (fill, if s > 0.55 { "#ffffff" } else { "#1f2937" })
}

/// A heat map: `cells[row][column]` is `(shade 0..=1, text)`, or `None` for no cell.
pub fn heat_map(
    id: &str,
    row_labels: &[String],
    column_labels: &[String],
    cells: &[Vec<Option<(f64, String)>>],
    axis: (&str, &str),
) -> String {
    let (cell_w, cell_h, left, top) = (64.0, 32.0, 120.0, 46.0);
    let width = left + cell_w * column_labels.len().max(1) as f64 + 10.0;
    let height = top + cell_h * row_labels.len().max(1) as f64 + 10.0;
    let mut out = format!(
        "<svg class=\"chart heat\" id=\"{id}\" viewBox=\"0 0 {width} {height}\" role=\"img\" \
         preserveAspectRatio=\"xMinYMin meet\">\
         <text x=\"{left}\" y=\"14\" class=\"axis\">{}</text>\
         <text x=\"4\" y=\"14\" class=\"axis\">{}</text>",
        esc(axis.0),
        esc(axis.1)
    );
    for (c, label) in column_labels.iter().enumerate() {
        let _ = write!(
            out,
            "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\" class=\"lbl\">{}</text>",
            left + cell_w * c as f64 + cell_w / 2.0,
            top - 8.0,
            esc(label)
        );
    }
    for (r, label) in row_labels.iter().enumerate() {
        let y = top + cell_h * r as f64;
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\" class=\"lbl\">{}</text>",
            left - 8.0,
            y + cell_h / 2.0 + 4.0,
            esc(label)
        );
        for (c, cell) in cells
            .get(r)
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .enumerate()
        {
            let Some((shade, text)) = cell else { continue };
            let (fill, ink) = ramp(*shade);
            let x = left + cell_w * c as f64;
            let _ = write!(
                out,
                "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{h:.1}\" fill=\"{fill}\" stroke=\"#fff\"/>\
                 <text x=\"{tx:.1}\" y=\"{ty:.1}\" text-anchor=\"middle\" class=\"cell\" style=\"fill:{ink}\">{text}</text>",
                w = cell_w,
                h = cell_h,
                tx = x + cell_w / 2.0,
                ty = y + cell_h / 2.0 + 4.0,
                text = esc(text),
            );
        }
    }
    out.push_str("</svg>");
    out
}

/// Entries (green, right) and exits (red, left) per row around a centre line: `(label, in, out)`.
pub fn flows(id: &str, rows: &[(String, u64, u64)]) -> String {
    let (label_w, half, row) = (110.0, 200.0, 26.0);
    let width = label_w + 2.0 * half + 20.0;
    let height = row * rows.len().max(1) as f64 + 8.0;
    let max = rows
        .iter()
        .map(|(_, a, b)| (*a).max(*b))
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let centre = label_w + half;
    let mut out = format!(
        "<svg class=\"chart\" id=\"{id}\" viewBox=\"0 0 {width} {height}\" role=\"img\" \
         preserveAspectRatio=\"xMinYMin meet\"><line x1=\"{centre}\" x2=\"{centre}\" y1=\"0\" y2=\"{height}\" stroke=\"#d1d5db\"/>"
    );
    for (i, (label, entered, exited)) in rows.iter().enumerate() {
        let y = 4.0 + row * i as f64;
        let right = *entered as f64 / max * (half - 50.0);
        let left = *exited as f64 / max * (half - 50.0);
        let _ = write!(
            out,
            "<text x=\"{lx}\" y=\"{ty:.1}\" class=\"lbl\">{label}</text>\
             <rect x=\"{centre}\" y=\"{ry:.1}\" width=\"{right:.1}\" height=\"{h:.1}\" fill=\"#16a34a\"/>\
             <rect x=\"{lx2:.1}\" y=\"{ry:.1}\" width=\"{left:.1}\" height=\"{h:.1}\" fill=\"#dc2626\"/>\
             <text x=\"{tin:.1}\" y=\"{ty:.1}\" class=\"val\">+{entered}</text>\
             <text x=\"{tout:.1}\" y=\"{ty:.1}\" text-anchor=\"end\" class=\"val\">−{exited}</text>",
            lx = 4.0,
            ty = y + row / 2.0 + 4.0,
            label = esc(label),
            ry = y + 4.0,
            h = row - 8.0,
            lx2 = centre - left,
            tin = centre + right + 6.0,
            tout = centre - left - 6.0,
        );
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_longest_and_escape_labels() {
        let svg = bars(
            "t",
            &[
                Bar {
                    label: "a<b".to_string(),
                    value: 10.0,
                    text: "10".to_string(),
                },
                Bar {
                    label: "c".to_string(),
                    value: 5.0,
                    text: "5".to_string(),
                },
            ],
            "#123456",
        );
        assert!(svg.contains("a&lt;b"));
        assert!(svg.contains("width=\"330.0\""));
        assert!(svg.contains("width=\"165.0\""));
    }

    #[test]
    fn heat_map_shades_cells() {
        let svg = heat_map(
            "h",
            &["r1".to_string()],
            &["c1".to_string(), "c2".to_string()],
            &[vec![Some((1.0, "100%".to_string())), None]],
            ("x", "y"),
        );
        assert!(svg.contains("fill=\"#1e40af\""));
        assert_eq!(svg.matches("<rect").count(), 1);
    }
}
