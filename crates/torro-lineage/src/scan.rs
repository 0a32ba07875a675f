//! Finds the statements of a script, including the DML inside procedure bodies.
//!
//! sqlparser parses plain statements but not procedural wrappers (PL/SQL packages and
//! procedures, PL/pgSQL `DO $$`/`CREATE FUNCTION ... $$`, T-SQL batches, Snowflake
//! scripting, MySQL `CREATE PROCEDURE ... BEGIN ... END`). So we tokenize the script once
//! with the dialect's own tokenizer (which knows its strings, comments and dollar quotes)
//! and walk the tokens: where a statement can start we let sqlparser parse one statement
//! and continue after it; procedural tokens in between (`BEGIN`, `IF ... THEN`, `LOOP`,
//! declarations, `END`) are stepped over, and dollar-quoted bodies are scanned recursively.
//! No library does this splitting for us; it is small and keeps every statement's line.

use sqlparser::ast::Statement;
use sqlparser::dialect::Dialect;
use sqlparser::keywords::Keyword;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer};

/// One statement found in a script.
pub(crate) struct Found {
    pub statement: Statement,
    pub line: usize,
    pub sql: String,
    /// Inside a procedure body, where `SELECT ... INTO x` assigns a variable.
    pub in_procedure: bool,
}

/// A piece of the script that looked like a statement but could not be parsed.
pub(crate) struct Unparsed {
    pub line: usize,
    pub code: &'static str,
    pub message: String,
}

#[derive(Default)]
pub(crate) struct Scanned {
    pub found: Vec<Found>,
    pub unparsed: Vec<Unparsed>,
}

/// Bodies nested deeper than this (a dollar-quoted string holding a function that holds
/// another) are not looked into.
const MAX_BODY_DEPTH: usize = 4;

pub(crate) fn scan(sql: &str, dialect: &dyn Dialect, mssql: bool) -> Scanned {
    let mut out = Scanned::default();
    let text = client_directives(sql, mssql);
    scan_text(&text, 0, false, 0, dialect, &mut out);
    out
}

/// Replaces client-side directives that are not SQL with `;` on their own lines, keeping
/// every line where it was: MySQL's `DELIMITER x` (its custom delimiter becomes `;`),
/// T-SQL's `GO` batch separator, and SQL*Plus's `/` that ends a PL/SQL block.
fn client_directives(sql: &str, mssql: bool) -> String {
    let mut delimiter: Option<String> = None;
    let mut out = String::with_capacity(sql.len());
    for line in sql.split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        let ending = &line[body.len()..];
        let trimmed = body.trim();
        let word = trimmed.split_whitespace().next().unwrap_or("");
        if word.eq_ignore_ascii_case("delimiter") {
            let d = trimmed[word.len()..].trim();
            delimiter = (!d.is_empty() && d != ";").then(|| d.to_string());
            out.push(';');
        } else if trimmed == "/" || (mssql && trimmed.eq_ignore_ascii_case("go")) {
            out.push(';');
        } else if let Some(d) = &delimiter {
            out.push_str(&body.replace(d.as_str(), ";"));
        } else {
            out.push_str(body);
        }
        out.push_str(ending);
    }
    out
}

fn scan_text(text: &str, line_offset: usize, in_body: bool, depth: usize, dialect: &dyn Dialect, out: &mut Scanned) {
    let tokens = match Tokenizer::new(dialect, text).tokenize_with_location() {
        Ok(t) => t,
        Err(e) => {
            let line = (e.location.line as usize).max(1);
            out.unparsed.push(Unparsed {
                line: line_offset + line,
                code: "tokenize_error",
                message: format!(
                    "cannot read the SQL text from line {} on: {}",
                    line_offset + line,
                    e.message
                ),
            });
            // Keep what comes before the line that cannot be read (an unterminated string
            // or comment swallows everything after it).
            let prefix_end = LineIndex::new(text).starts.get(line - 1).copied().unwrap_or(0);
            if prefix_end > 0 && prefix_end < text.len() {
                scan_text(&text[..prefix_end], line_offset, in_body, depth, dialect, out);
            }
            return;
        }
    };
    let lines = LineIndex::new(text);
    // Positions of the significant (non-whitespace, non-comment) tokens.
    let sig: Vec<usize> = (0..tokens.len())
        .filter(|&i| !matches!(tokens[i].token, Token::Whitespace(_) | Token::EOF))
        .collect();
    let mut block_depth = 0usize;
    let mut boundary = true;
    let mut k = 0;
    while k < sig.len() {
        let i = sig[k];
        let token = &tokens[i].token;
        if matches!(token, Token::SemiColon) {
            boundary = true;
            k += 1;
            continue;
        }
        let in_procedure = in_body || block_depth > 0;
        if starts_statement(&tokens, &sig, k, boundary) {
            // Parse from here to the next `;` (a statement never spans one; T-SQL
            // statements without `;` are split by what the parser consumes).
            let end = sig[k..]
                .iter()
                .find(|&&j| matches!(tokens[j].token, Token::SemiColon))
                .copied()
                .unwrap_or(tokens.len());
            let slice = tokens[i..end].to_vec();
            let mut parser = Parser::new(dialect).with_tokens_with_locations(slice);
            match parser.parse_statement() {
                Ok(statement) => {
                    let consumed = i + parser.index().max(1);
                    let last = (i..consumed.min(tokens.len()))
                        .rev()
                        .find(|&j| !matches!(tokens[j].token, Token::Whitespace(_) | Token::EOF))
                        .unwrap_or(i);
                    out.found.push(Found {
                        statement,
                        line: line_offset + tokens[i].span.start.line as usize,
                        sql: lines.slice(text, &tokens[i], &tokens[last]).trim().to_string(),
                        in_procedure,
                    });
                    while k < sig.len() && sig[k] < consumed {
                        k += 1;
                    }
                    boundary = true;
                    continue;
                }
                Err(e) if boundary && !is_wrapper(&tokens, &sig, k) && !quiet_start(&tokens, &sig, k) => {
                    out.unparsed.push(Unparsed {
                        line: line_offset + tokens[i].span.start.line as usize,
                        code: "parse_error",
                        message: format!("cannot parse the statement starting with {token}: {e}"),
                    });
                    // Skip the rest of the statement rather than parse pieces of it.
                    while k < sig.len() && sig[k] < end {
                        k += 1;
                    }
                    continue;
                }
                Err(_) => {}
            }
        }
        // A procedural token: step over it, tracking BEGIN ... END blocks.
        match token {
            Token::Word(w) if w.keyword == Keyword::BEGIN && !begins_transaction(&tokens, &sig, k) => block_depth += 1,
            Token::Word(w) if w.keyword == Keyword::END && !ends_inner_construct(&tokens, &sig, k) => {
                block_depth = block_depth.saturating_sub(1)
            }
            Token::DollarQuotedString(body) if depth < MAX_BODY_DEPTH => {
                let start_line = tokens[i].span.start.line as usize;
                scan_text(
                    &body.value,
                    line_offset + start_line.saturating_sub(1),
                    true,
                    depth + 1,
                    dialect,
                    out,
                );
            }
            // Snowflake and BigQuery procedures may hold their body in a plain string after AS.
            Token::SingleQuotedString(body) if depth < MAX_BODY_DEPTH && follows_as_in_wrapper(&tokens, &sig, k) => {
                let start_line = tokens[i].span.start.line as usize;
                scan_text(
                    body,
                    line_offset + start_line.saturating_sub(1),
                    true,
                    depth + 1,
                    dialect,
                    out,
                );
            }
            _ => {}
        }
        boundary =
            is_word(token, &["BEGIN", "THEN", "ELSE", "LOOP", "DO", "AS", "IS"]) || matches!(token, Token::LParen);
        k += 1;
    }
}

fn is_word(token: &Token, words: &[&str]) -> bool {
    matches!(token, Token::Word(w) if w.quote_style.is_none() && words.iter().any(|x| w.value.eq_ignore_ascii_case(x)))
}

fn keyword_at(tokens: &[TokenWithSpan], sig: &[usize], k: usize) -> Option<Keyword> {
    match &tokens[*sig.get(k)?].token {
        Token::Word(w) => Some(w.keyword),
        _ => None,
    }
}

fn starts_statement(tokens: &[TokenWithSpan], sig: &[usize], k: usize, boundary: bool) -> bool {
    match keyword_at(tokens, sig, k) {
        Some(
            Keyword::SELECT
            | Keyword::INSERT
            | Keyword::UPDATE
            | Keyword::DELETE
            | Keyword::MERGE
            | Keyword::WITH
            | Keyword::COPY
            | Keyword::UNLOAD
            | Keyword::REPLACE,
        ) => true,
        Some(Keyword::CREATE) => !is_wrapper(tokens, sig, k),
        Some(Keyword::CACHE | Keyword::LOAD | Keyword::RENAME | Keyword::USE) => boundary,
        Some(Keyword::ALTER) => boundary && !is_wrapper(tokens, sig, k),
        Some(Keyword::FROM) => boundary,
        None => boundary && matches!(tokens[sig[k]].token, Token::LParen),
        _ => false,
    }
}

/// Statements that carry lineage only in some forms (`ALTER TABLE ... RENAME`, `USE`):
/// when they do not parse, nothing is lost, so no warning.
fn quiet_start(tokens: &[TokenWithSpan], sig: &[usize], k: usize) -> bool {
    matches!(keyword_at(tokens, sig, k), Some(Keyword::ALTER | Keyword::USE))
}

/// `CREATE [OR REPLACE] [DEFINER=...] PROCEDURE|FUNCTION|PACKAGE|TRIGGER|...`: a procedural
/// wrapper whose body we scan instead of parsing it whole.
fn is_wrapper(tokens: &[TokenWithSpan], sig: &[usize], k: usize) -> bool {
    if !matches!(keyword_at(tokens, sig, k), Some(Keyword::CREATE | Keyword::ALTER)) {
        return false;
    }
    for j in k + 1..(k + 14).min(sig.len()) {
        match &tokens[sig[j]].token {
            Token::Word(w) => {
                let v = w.value.to_ascii_uppercase();
                if matches!(
                    v.as_str(),
                    "PROCEDURE" | "PROC" | "FUNCTION" | "PACKAGE" | "TRIGGER" | "EVENT" | "BODY"
                ) {
                    return true;
                }
                if matches!(
                    w.keyword,
                    Keyword::TABLE | Keyword::VIEW | Keyword::INDEX | Keyword::AS | Keyword::SELECT | Keyword::SCHEMA
                ) {
                    return false;
                }
            }
            Token::LParen | Token::SemiColon => return false,
            _ => {}
        }
    }
    false
}

/// `BEGIN TRANSACTION`, `BEGIN TRAN`, `BEGIN WORK`, `BEGIN;` start no block.
fn begins_transaction(tokens: &[TokenWithSpan], sig: &[usize], k: usize) -> bool {
    match sig.get(k + 1).map(|&j| &tokens[j].token) {
        Some(Token::SemiColon) | None => true,
        Some(Token::Word(w)) => {
            matches!(w.keyword, Keyword::TRANSACTION | Keyword::WORK) || w.value.eq_ignore_ascii_case("tran")
        }
        _ => false,
    }
}

/// `END IF`, `END LOOP`, `END CASE`, ... close constructs whose opening was not counted.
fn ends_inner_construct(tokens: &[TokenWithSpan], sig: &[usize], k: usize) -> bool {
    sig.get(k + 1)
        .is_some_and(|&j| is_word(&tokens[j].token, &["IF", "LOOP", "CASE", "WHILE", "REPEAT", "FOR"]))
}

fn follows_as_in_wrapper(tokens: &[TokenWithSpan], sig: &[usize], k: usize) -> bool {
    k > 0
        && keyword_at(tokens, sig, k - 1) == Some(Keyword::AS)
        && (0..k).rev().take(64).any(|j| is_wrapper(tokens, sig, j))
}

/// Byte offsets of line starts, to cut a statement's text out of the script.
struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Self { starts }
    }

    /// Byte offset of a 1-based (line, column); columns count characters.
    fn offset(&self, text: &str, line: u64, column: u64) -> Option<usize> {
        let start = *self.starts.get((line as usize).checked_sub(1)?)?;
        let rest = text.get(start..)?;
        let col = (column as usize).checked_sub(1)?;
        Some(start + rest.char_indices().nth(col).map(|(i, _)| i).unwrap_or(rest.len()))
    }

    fn slice<'t>(&self, text: &'t str, first: &TokenWithSpan, last: &TokenWithSpan) -> &'t str {
        let start = self.offset(text, first.span.start.line, first.span.start.column);
        let end = self.offset(text, last.span.end.line, last.span.end.column);
        match (start, end) {
            (Some(s), Some(e)) if s <= e => text.get(s..e).unwrap_or(""),
            _ => "",
        }
    }
}
