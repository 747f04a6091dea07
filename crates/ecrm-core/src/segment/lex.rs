//! Tokens of the segment language, each with its line and column.

use super::error::SegmentError;

/// One token.
#[derive(Debug, Clone, PartialEq)]
pub enum Token {
    Ident(String),
    Text(String),
    Number(f64),
    Date(String),
    Op(&'static str),
    LParen,
    RParen,
    Comma,
    Dot,
    End,
}

impl Token {
    /// How the token reads in an error message.
    pub fn describe(&self) -> String {
        match self {
            Token::Ident(name) => format!("`{name}`"),
            Token::Text(text) => format!("\"{text}\""),
            Token::Number(n) => format!("number {n}"),
            Token::Date(date) => format!("date {date}"),
            Token::Op(op) => format!("`{op}`"),
            Token::LParen => "`(`".to_string(),
            Token::RParen => "`)`".to_string(),
            Token::Comma => "`,`".to_string(),
            Token::Dot => "`.`".to_string(),
            Token::End => "the end of the query".to_string(),
        }
    }
}

/// A token and where it starts (1-based line and column).
#[derive(Debug, Clone, PartialEq)]
pub struct Spanned {
    pub token: Token,
    pub line: usize,
    pub column: usize,
}

/// Splits a query into tokens.
pub fn tokenize(source: &str) -> Result<Vec<Spanned>, SegmentError> {
    let chars: Vec<char> = source.chars().collect();
    let mut tokens = Vec::new();
    let (mut idx, mut line, mut column) = (0usize, 1usize, 1usize);
    while idx < chars.len() {
        let ch = chars[idx];
        let (start_line, start_column) = (line, column);
        let push = |token: Token, tokens: &mut Vec<Spanned>| {
            tokens.push(Spanned {
                token,
                line: start_line,
                column: start_column,
            });
        };
        if ch == '\n' {
            idx += 1;
            line += 1;
            column = 1;
            continue;
        }
        if ch.is_whitespace() {
            idx += 1;
            column += 1;
            continue;
        }
        let single = match ch {
            '(' => Some(Token::LParen),
            ')' => Some(Token::RParen),
            ',' => Some(Token::Comma),
            '.' if !chars.get(idx + 1).is_some_and(char::is_ascii_digit) => Some(Token::Dot),
            _ => None,
        };
        if let Some(token) = single {
            push(token, &mut tokens);
            idx += 1;
            column += 1;
            continue;
        }
        let two: String = chars[idx..chars.len().min(idx + 2)].iter().collect();
        let op = match two.as_str() {
            "<=" => Some("<="),
            ">=" => Some(">="),
            "!=" => Some("!="),
            _ => match ch {
                '<' => Some("<"),
                '>' => Some(">"),
                '=' => Some("="),
                _ => None,
            },
        };
        if let Some(op) = op {
            push(Token::Op(op), &mut tokens);
            idx += op.len();
            column += op.len();
            continue;
        }
        if ch == '"' {
            let mut text = String::new();
            let mut end = idx + 1;
            loop {
                match chars.get(end) {
                    None | Some('\n') => {
                        return Err(SegmentError::syntax(
                            start_line,
                            start_column,
                            "an unterminated string",
                            "a closing `\"`",
                        ));
                    }
                    Some('"') => break,
                    Some('\\') if chars.get(end + 1).is_some_and(|c| *c == '"' || *c == '\\') => {
                        text.push(chars[end + 1]);
                        end += 2;
                    }
                    Some(other) => {
                        text.push(*other);
                        end += 1;
                    }
                }
            }
            push(Token::Text(text), &mut tokens);
            column += end + 1 - idx;
            idx = end + 1;
            continue;
        }
        if ch.is_ascii_digit()
            || (ch == '-' && chars.get(idx + 1).is_some_and(char::is_ascii_digit))
            || ch == '.'
        {
            let mut end = idx + 1;
            while end < chars.len()
                && (chars[end].is_ascii_digit() || chars[end] == '.' || chars[end] == '-')
            {
                end += 1;
            }
            let text: String = chars[idx..end].iter().collect();
            let token = if is_date(&text) {
                Token::Date(text.clone())
            } else {
                match text.parse::<f64>() {
                    Ok(number) => Token::Number(number),
                    Err(_) => {
                        return Err(SegmentError::syntax(
                            start_line,
                            start_column,
                            &format!("`{text}`"),
                            "a number or a date (YYYY-MM-DD)",
                        ));
                    }
                }
            };
            push(token, &mut tokens);
            column += end - idx;
            idx = end;
            continue;
        }
        if ch.is_alphabetic() || ch == '_' {
            let mut end = idx + 1;
            while end < chars.len()
                && (chars[end].is_alphanumeric() || chars[end] == '_' || chars[end] == '-')
            {
                end += 1;
            }
            let word: String = chars[idx..end].iter().collect();
            push(Token::Ident(word), &mut tokens);
            column += end - idx;
            idx = end;
            continue;
        }
        return Err(SegmentError::syntax(
            line,
            column,
            &format!("`{ch}`"),
            "a field, a value, an operator or a parenthesis",
        ));
    }
    tokens.push(Spanned {
        token: Token::End,
        line,
        column,
    });
    Ok(tokens)
}

fn is_date(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes
            .iter()
            .enumerate()
            .all(|(idx, b)| idx == 4 || idx == 7 || b.is_ascii_digit())
}
