//! What the whole-store tables of the profile pass share (order lines, activities): interned
//! category and brand names, and the counting sort that groups rows by customer in byte order.

use std::sync::Arc;

/// Category and brand names stored once; code 0 is "none".
#[derive(Debug)]
pub struct Names {
    names: Vec<Arc<str>>,
    index: foldhash::HashMap<Arc<str>, u32>,
}

impl Default for Names {
    fn default() -> Self {
        Names {
            names: vec![Arc::from("")],
            index: foldhash::HashMap::default(),
        }
    }
}

impl Names {
    /// The code of `name` (0 for none), adding it when new.
    pub fn intern(&mut self, name: Option<&str>) -> u32 {
        let Some(name) = name else { return 0 };
        if let Some(&code) = self.index.get(name) {
            return code;
        }
        let code = self.names.len() as u32;
        let shared: Arc<str> = Arc::from(name);
        self.names.push(Arc::clone(&shared));
        self.index.insert(shared, code);
        code
    }

    /// The name of `code`, `None` for 0.
    pub fn name(&self, code: u32) -> Option<&str> {
        (code != 0).then(|| &*self.names[code as usize])
    }

    /// The shared name of `code` (no copy of the text), `None` for 0.
    pub fn shared(&self, code: u32) -> Option<Arc<str>> {
        (code != 0).then(|| Arc::clone(&self.names[code as usize]))
    }
}

/// Rows grouped by customer: customer `i` (in byte order of the ids) owns the rows
/// `order[offsets[i]..offsets[i + 1]]`, in the order they arrived.
#[derive(Debug, Default)]
pub struct Grouped {
    /// Where each customer's rows start in `order`, and one past the last.
    pub offsets: Vec<usize>,
    /// Row numbers, customer by customer.
    pub order: Vec<u32>,
}

/// Sorts `ids` into byte order and groups the rows whose customers (indexes into `ids` as they
/// were) `customers` lists, with a stable counting sort: no comparison of rows.
pub fn group_by_customer(ids: &mut Vec<String>, customers: &[u32]) -> Grouped {
    let mut by_id: Vec<u32> = (0..ids.len() as u32).collect();
    by_id.sort_unstable_by(|&a, &b| ids[a as usize].as_bytes().cmp(ids[b as usize].as_bytes()));
    let mut rank = vec![0u32; ids.len()];
    for (position, &customer) in by_id.iter().enumerate() {
        rank[customer as usize] = position as u32;
    }
    *ids = by_id
        .iter()
        .map(|&c| std::mem::take(&mut ids[c as usize]))
        .collect();
    let mut offsets = vec![0usize; ids.len() + 1];
    for &customer in customers {
        offsets[rank[customer as usize] as usize + 1] += 1;
    }
    for index in 1..offsets.len() {
        offsets[index] += offsets[index - 1];
    }
    let mut next = offsets.clone();
    let mut order = vec![0u32; customers.len()];
    for (row, &customer) in customers.iter().enumerate() {
        let slot = &mut next[rank[customer as usize] as usize];
        order[*slot] = row as u32;
        *slot += 1;
    }
    Grouped { offsets, order }
}

#[cfg(test)]
mod tests {
    use super::{Names, group_by_customer};

    #[test]
    fn groups_rows_by_customer_in_byte_order_keeping_arrival_order() {
        let mut ids = vec!["b".to_string(), "a".to_string(), "c".to_string()];
        // Rows 0..5 belong to b, a, b, c, a.
        let grouped = group_by_customer(&mut ids, &[0, 1, 0, 2, 1]);
        assert_eq!(ids, ["a", "b", "c"]);
        assert_eq!(grouped.offsets, [0, 2, 4, 5]);
        assert_eq!(grouped.order, [1, 4, 0, 2, 3]);
    }

    #[test]
    fn names_are_stored_once() {
        let mut names = Names::default();
        assert_eq!(names.intern(None), 0);
        let shoes = names.intern(Some("shoes"));
        assert_eq!(names.intern(Some("shoes")), shoes);
        assert_eq!(names.name(shoes), Some("shoes"));
        assert_eq!(names.name(0), None);
    }
}
