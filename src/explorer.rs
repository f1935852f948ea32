//! An explorer in the browser: one self-contained HTML page (script and
//! data inline, no network access) with the 2-D map of an embedding,
//! points coloured by label with the legend, the id and labels on hover,
//! pan and zoom, and a search box that finds a node and highlights its k
//! nearest neighbours in the full-dimensional space (precomputed here, so
//! the page needs no vectors). Drawn on a canvas through a grid index, it
//! stays responsive to ~100,000 points.
//!
//! The page opened as `map.html#search=ID` runs that search on load; it
//! writes the neighbours found into `#neighbours` and `data-ready` (points
//! drawn) or `data-error` (a script error) on `<body>`, which is how a
//! headless browser checks it.

use crate::embeddings::{Embeddings, Side};
use crate::error::{Error, Result};
use crate::plot::Groups;
use rayon::prelude::*;
use serde::Serialize;

/// What the page shows.
pub struct Page<'a> {
    /// Each row's point on the plane.
    pub points: &'a [[f32; 2]],
    /// Each row's labels (for hover), possibly none.
    pub labels: &'a [Vec<String>],
    /// Colour groups and the legend.
    pub groups: &'a Groups,
    /// Caption.
    pub title: String,
}

/// The `k` nearest rows of every row by cosine in the full-dimensional
/// space (itself excluded), row-major `n × k'` with k' = min(k, n − 1):
/// what the page's search highlights. Exact (every pair), parallel over
/// rows, and the same for any thread count.
pub fn neighbours(emb: &Embeddings, side: Side, k: usize) -> Vec<u32> {
    let index = emb.index(side);
    let k = k.min(index.len().saturating_sub(1));
    (0..index.len())
        .into_par_iter()
        .flat_map_iter(|i| {
            index.nearest_to(index.row(i), k, 0, &[i]).into_iter().map(|n| index.id(&n.label).unwrap_or(0) as u32)
        })
        .collect()
}

#[derive(Serialize)]
struct Data<'a> {
    title: &'a str,
    ids: &'a [String],
    x: Vec<f32>,
    y: Vec<f32>,
    labels: &'a [Vec<String>],
    group: Vec<i32>,
    legend: &'a [String],
    grey: Option<&'a str>,
    colours: Vec<String>,
    k: usize,
    neighbours: &'a [u32],
}

/// The page as HTML bytes: `ids` name the rows of `page.points`, and
/// `neighbours` (from [`neighbours`]) lists k per row.
///
/// # Errors
/// [`Error::InvalidConfig`] when the lengths disagree.
pub fn page(page: &Page, ids: &[String], neighbours: &[u32]) -> Result<Vec<u8>> {
    let n = page.points.len();
    let k = neighbours.len().checked_div(n).unwrap_or(0);
    let agree = ids.len() == n
        && page.labels.len() == n
        && (page.groups.of.is_empty() || page.groups.of.len() == n)
        && neighbours.len() == n * k
        && neighbours.iter().all(|&j| (j as usize) < n);
    if !agree {
        return Err(Error::InvalidConfig {
            param: "page",
            reason: "points, ids, labels and neighbours disagree".into(),
        });
    }
    // Coordinates to [0, 1] (the aspect kept), four decimals: the page's
    // size grows by the bytes a point needs, not by f32 noise.
    let (mut lo, mut hi) = ([f32::INFINITY; 2], [f32::NEG_INFINITY; 2]);
    for p in page.points {
        for a in 0..2 {
            lo[a] = lo[a].min(p[a]);
            hi[a] = hi[a].max(p[a]);
        }
    }
    let span = (hi[0] - lo[0]).max(hi[1] - lo[1]).max(f32::MIN_POSITIVE);
    let unit = |v: f32, a: usize| ((v - lo[a]) / span * 1e4).round() / 1e4;
    let data = Data {
        title: &page.title,
        ids,
        x: page.points.iter().map(|p| unit(p[0], 0)).collect(),
        y: page.points.iter().map(|p| unit(p[1], 1)).collect(),
        labels: page.labels,
        group: (0..n).map(|i| page.groups.of.get(i).copied().flatten().map_or(-1, |g| g as i32)).collect(),
        legend: &page.groups.names,
        grey: page.groups.grey.as_deref(),
        colours: crate::plot::palette_hex(),
        k,
        neighbours,
    };
    let json = serde_json::to_string(&data).map_err(|e| Error::Numerical(e.to_string()))?;
    // Inside <script>, "</" could close the element: escape it.
    let json = json.replace("</", "<\\/");
    let title = html_escape(&page.title);
    Ok(TEMPLATE.replace("{{TITLE}}", &title).replace("{{DATA}}", &json).into_bytes())
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

const TEMPLATE: &str = include_str!("explorer.html");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neighbours_are_the_nearest_rows_by_cosine_and_the_page_holds_them() {
        // Four points on a circle: 0 and 1 close, 2 and 3 close.
        let emb = Embeddings::from_matrix(
            ["a", "b", "c", "d"].map(String::from).to_vec(),
            2,
            vec![1.0, 0.0, 0.9, 0.1, -1.0, 0.0, -0.9, -0.2],
        );
        let nb = neighbours(&emb, Side::Left, 1);
        assert_eq!(nb, [1, 0, 3, 2]);
        assert_eq!(neighbours(&emb, Side::Left, 10).len(), 4 * 3);
        let points = [[0.0, 0.0], [1.0, 0.0], [5.0, 5.0], [4.0, 5.0]];
        let labels = vec![vec!["x</script>".to_owned()], vec![], vec![], vec![]];
        let groups = Groups::from_labels(&labels, 10);
        let p = Page { points: &points, labels: &labels, groups: &groups, title: "t <&>".into() };
        let html = String::from_utf8(page(&p, emb.labels(), &nb).unwrap()).unwrap();
        assert!(html.contains("<title>t &lt;&amp;&gt;</title>"), "{}", &html[..300]);
        assert!(html.contains(r#""neighbours":[1,0,3,2]"#) && html.contains(r#""x":[0.0,0.2,1.0,0.8]"#));
        // No closing tag from the data, and nothing fetched from elsewhere.
        assert!(!html.contains("x</script>") && html.contains(r"x<\/script>"));
        assert!(!html.contains("http://") && !html.contains("https://") && !html.contains(" src="));
        assert!(page(&p, emb.labels(), &nb[..3]).is_err());
    }
}
