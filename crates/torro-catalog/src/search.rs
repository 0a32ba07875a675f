//! Words for the full-text index, and user search input turned into safe terms.
//!
//! Both sides go through the same splitter, so `customer_orders_2024.csv` is found by
//! "customer", "orders", "2024" or "customerOrders". Terms only ever hold letters and
//! digits, so no user input can produce an SQL or FTS syntax error.

use torro_model::Schema;

/// Splits `text` into lower-case words: at every character that is not a letter or
/// digit, and inside words at camelCase and letter/digit boundaries. With `keep_joined`
/// the unsplit word is kept too (`customerId` → `customerid`, `customer`, `id`).
pub fn words(text: &str, keep_joined: bool) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let push = |w: String, out: &mut Vec<String>| {
        if !w.is_empty() && !out.contains(&w) {
            out.push(w);
        }
    };
    for piece in text.split(|c: char| !c.is_alphanumeric()).filter(|p| !p.is_empty()) {
        let parts = split_camel(piece);
        if parts.len() == 1 || keep_joined {
            push(piece.to_lowercase(), &mut out);
        }
        if parts.len() > 1 {
            for p in parts {
                push(p.to_lowercase(), &mut out);
            }
        }
    }
    out
}

fn split_camel(word: &str) -> Vec<&str> {
    let chars: Vec<(usize, char)> = word.char_indices().collect();
    let mut parts = Vec::new();
    let mut start = 0;
    for i in 1..chars.len() {
        let (idx, c) = chars[i];
        let prev = chars[i - 1].1;
        let next_lower = chars.get(i + 1).is_some_and(|(_, n)| n.is_lowercase());
        let boundary = (prev.is_lowercase() && c.is_uppercase())
            || (prev.is_alphabetic() && c.is_numeric())
            || (prev.is_numeric() && c.is_alphabetic())
            || (prev.is_uppercase() && c.is_uppercase() && next_lower);
        if boundary {
            parts.push(&word[start..idx]);
            start = idx;
        }
    }
    parts.push(&word[start..]);
    parts
}

/// The text the full-text index holds for one file: words of its path (which ends
/// with the file name) and of every column path, nested members included.
pub fn search_document(path: &str, schema: Option<&Schema>) -> String {
    let mut all = words(path, true);
    if let Some(schema) = schema {
        for column in schema.column_paths() {
            for w in words(&column, true) {
                if !all.contains(&w) {
                    all.push(w);
                }
            }
        }
    }
    all.join(" ")
}

/// The terms of a user's search: split like the index, at most 16 (the rest is ignored).
/// All must match (AND); each matches as a prefix.
pub fn query_terms(input: &str) -> Vec<String> {
    let mut terms = words(input, false);
    terms.truncate(16);
    terms
}

/// InnoDB's default full-text stopwords: MySQL drops them from the index, so they are
/// matched with LIKE instead.
pub(crate) const MYSQL_STOPWORDS: &[&str] = &[
    "a", "about", "an", "are", "as", "at", "be", "by", "com", "de", "en", "for", "from", "how", "i", "in", "is", "it",
    "la", "of", "on", "or", "that", "the", "this", "to", "was", "what", "when", "where", "who", "will", "with", "und",
    "www",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_split_into_words() {
        assert_eq!(
            words("raw/customer_orders_2024.csv", false),
            ["raw", "customer", "orders", "2024", "csv"]
        );
        assert_eq!(words("customerId", true), ["customerid", "customer", "id"]);
        assert_eq!(words("HTTPServer-log", false), ["http", "server", "log"]);
        assert_eq!(words("orders2024", false), ["orders", "2024"]);
    }

    #[test]
    fn hostile_input_yields_plain_words() {
        assert_eq!(query_terms("\"*( AND ' % ) OR --"), ["and", "or"]);
        assert!(query_terms("%%%").is_empty());
        for t in query_terms("a\"b'c;d*e(f)g%h_i") {
            assert!(t.chars().all(char::is_alphanumeric), "{t}");
        }
    }
}
