//! The recursive-descent parser of the segment language (grammar in `docs/segments.md`).
//! Fields and values are checked against a [`Schema`] while parsing, so every error has a position.

use super::ast::{
    Aggregate, AggregateFn, Cmp, DateValue, Expr, Literal, PropertyFilter, Span, TimeUnit, When,
};
use super::error::SegmentError;
use super::lex::{Spanned, Token, tokenize};
use super::schema::Schema;

/// Parses and checks a query.
pub fn parse(source: &str, schema: &Schema) -> Result<Expr, SegmentError> {
    let tokens = tokenize(source)?;
    let mut parser = Parser {
        tokens,
        position: 0,
        schema,
    };
    let expr = parser.or_expr()?;
    parser.expect_end()?;
    Ok(expr)
}

struct Parser<'s> {
    tokens: Vec<Spanned>,
    position: usize,
    schema: &'s Schema,
}

impl Parser<'_> {
    fn peek(&self) -> &Spanned {
        &self.tokens[self.position.min(self.tokens.len() - 1)]
    }

    fn advance(&mut self) -> Spanned {
        let token = self.peek().clone();
        if self.position < self.tokens.len() - 1 {
            self.position += 1;
        }
        token
    }

    fn error(&self, expected: &str) -> SegmentError {
        let at = self.peek();
        SegmentError::syntax(at.line, at.column, &at.token.describe(), expected)
    }

    fn is_word(&self, word: &str) -> bool {
        matches!(&self.peek().token, Token::Ident(name) if name.eq_ignore_ascii_case(word))
    }

    fn eat_word(&mut self, word: &str) -> bool {
        if self.is_word(word) {
            self.advance();
            return true;
        }
        false
    }

    fn expect_word(&mut self, word: &str) -> Result<(), SegmentError> {
        if self.eat_word(word) {
            return Ok(());
        }
        Err(self.error(&format!("`{word}`")))
    }

    fn expect(&mut self, token: Token, what: &str) -> Result<(), SegmentError> {
        if self.peek().token == token {
            self.advance();
            return Ok(());
        }
        Err(self.error(what))
    }

    fn expect_end(&mut self) -> Result<(), SegmentError> {
        if self.peek().token == Token::End {
            return Ok(());
        }
        Err(self.error("`and`, `or` or the end of the query"))
    }

    fn or_expr(&mut self) -> Result<Expr, SegmentError> {
        let mut items = vec![self.and_expr()?];
        while self.eat_word("or") {
            items.push(self.and_expr()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Expr::Or(items)
        })
    }

    fn and_expr(&mut self) -> Result<Expr, SegmentError> {
        let mut items = vec![self.not_expr()?];
        while self.eat_word("and") {
            items.push(self.not_expr()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Expr::And(items)
        })
    }

    fn not_expr(&mut self) -> Result<Expr, SegmentError> {
        if self.eat_word("not") {
            return Ok(Expr::Not(Box::new(self.not_expr()?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, SegmentError> {
        if self.peek().token == Token::LParen {
            self.advance();
            let inner = self.or_expr()?;
            self.expect(Token::RParen, "`)`")?;
            return Ok(inner);
        }
        if self.eat_word("has") {
            let at = self.peek().clone();
            let name = self.ident("an identifier kind (email, phone, user_id, anonymous_id)")?;
            self.schema
                .check_identifier(&name)
                .map_err(|err| positioned(err, &at))?;
            return Ok(Expr::Has { identifier: name });
        }
        if self.is_word("in") {
            self.advance();
            self.expect_word("segment")?;
            let segment = self.text("a segment name in quotes")?;
            return Ok(Expr::InSegment { segment });
        }
        for function in [
            AggregateFn::Count,
            AggregateFn::Sum,
            AggregateFn::Avg,
            AggregateFn::Min,
            AggregateFn::Max,
        ] {
            if self.is_word(function.name())
                && self
                    .tokens
                    .get(self.position + 1)
                    .is_some_and(|t| t.token == Token::LParen)
            {
                self.advance();
                return self.aggregate(function);
            }
        }
        self.condition()
    }

    fn ident(&mut self, expected: &str) -> Result<String, SegmentError> {
        match self.peek().token.clone() {
            Token::Ident(name) => {
                self.advance();
                Ok(name)
            }
            _ => Err(self.error(expected)),
        }
    }

    fn text(&mut self, expected: &str) -> Result<String, SegmentError> {
        match self.peek().token.clone() {
            Token::Text(text) => {
                self.advance();
                Ok(text)
            }
            _ => Err(self.error(expected)),
        }
    }

    fn number(&mut self, expected: &str) -> Result<f64, SegmentError> {
        match self.peek().token {
            Token::Number(n) => {
                self.advance();
                Ok(n)
            }
            _ => Err(self.error(expected)),
        }
    }

    /// A dotted path: `rfm.class`, `interests.category.shoes`.
    fn path(&mut self, expected: &str) -> Result<String, SegmentError> {
        let mut path = self.ident(expected)?;
        while self.peek().token == Token::Dot {
            self.advance();
            path.push('.');
            path.push_str(&self.ident("a name after `.`")?);
        }
        Ok(path)
    }

    fn cmp(&mut self) -> Option<Cmp> {
        let cmp = match self.peek().token {
            Token::Op("=") => Cmp::Eq,
            Token::Op("!=") => Cmp::Ne,
            Token::Op("<") => Cmp::Lt,
            Token::Op("<=") => Cmp::Le,
            Token::Op(">") => Cmp::Gt,
            Token::Op(">=") => Cmp::Ge,
            _ => return None,
        };
        self.advance();
        Some(cmp)
    }

    fn literal(&mut self) -> Result<Literal, SegmentError> {
        match self.peek().token.clone() {
            Token::Text(text) | Token::Date(text) => {
                self.advance();
                Ok(Literal::Text(text))
            }
            Token::Number(n) => {
                self.advance();
                Ok(Literal::Number(n))
            }
            Token::Ident(word) if word == "true" || word == "false" => {
                self.advance();
                Ok(Literal::Bool(word == "true"))
            }
            _ => Err(self.error("a value (a number, a \"string\", true or false)")),
        }
    }

    fn condition(&mut self) -> Result<Expr, SegmentError> {
        let at = self.peek().clone();
        let field = self.path("a condition (a field, `has`, `in segment`, `not`, `(` or an aggregate like count(...))")?;
        let field_type = self
            .schema
            .field_type(&field)
            .map_err(|err| positioned(err, &at))?;
        if self.eat_word("in") {
            self.expect(Token::LParen, "`(`")?;
            let mut values = Vec::new();
            loop {
                let value_at = self.peek().clone();
                let value = self.literal()?;
                field_type
                    .check(&field, &value)
                    .map_err(|err| positioned(err, &value_at))?;
                values.push(value);
                if self.peek().token == Token::Comma {
                    self.advance();
                    continue;
                }
                self.expect(Token::RParen, "`,` or `)`")?;
                break;
            }
            return Ok(Expr::In { field, values });
        }
        for (word, when) in [("before", When::Before), ("after", When::After)] {
            if self.eat_word(word) {
                if !field_type.is_date() {
                    return Err(positioned(
                        SegmentError::syntax(
                            0,
                            0,
                            &format!("`{field}` ({})", field_type.name()),
                            "a date field before `before`/`after`",
                        ),
                        &at,
                    ));
                }
                let date = self.date_value()?;
                return Ok(Expr::Date { field, when, date });
            }
        }
        let Some(cmp) = self.cmp() else {
            return Err(self.error("a comparison (=, !=, <, <=, >, >=), `in`, `before` or `after`"));
        };
        let value_at = self.peek().clone();
        let value = self.literal()?;
        field_type
            .check(&field, &value)
            .map_err(|err| positioned(err, &value_at))?;
        Ok(Expr::Compare { field, cmp, value })
    }

    fn date_value(&mut self) -> Result<DateValue, SegmentError> {
        match self.peek().token.clone() {
            Token::Date(date) => {
                self.advance();
                Ok(DateValue::Absolute(date))
            }
            Token::Number(_) => {
                let span = self.span()?;
                self.expect_word("ago")?;
                Ok(DateValue::Ago(span))
            }
            _ => Err(self.error("a date (YYYY-MM-DD) or `N days ago`")),
        }
    }

    fn span(&mut self) -> Result<Span, SegmentError> {
        let at = self.peek().clone();
        let n = self.number("a whole number")?;
        if n < 0.0 || n.fract() != 0.0 || n > 100_000.0 {
            return Err(SegmentError::syntax(
                at.line,
                at.column,
                &format!("number {n}"),
                "a whole number of time units",
            ));
        }
        let unit_word = self.ident("a time unit (hours, days, weeks, months, years)")?;
        let unit = match unit_word.to_ascii_lowercase().trim_end_matches('s') {
            "hour" => TimeUnit::Hours,
            "day" => TimeUnit::Days,
            "week" => TimeUnit::Weeks,
            "month" => TimeUnit::Months,
            "year" => TimeUnit::Years,
            _ => {
                return Err(SegmentError::syntax(
                    at.line,
                    at.column + 1,
                    &format!("`{unit_word}`"),
                    "a time unit (hours, days, weeks, months, years)",
                ));
            }
        };
        Ok(Span { n: n as u32, unit })
    }

    fn aggregate(&mut self, function: AggregateFn) -> Result<Expr, SegmentError> {
        self.expect(Token::LParen, "`(`")?;
        self.expect_word("event")?;
        let event = self.text("an event name in quotes, e.g. \"Product Viewed\"")?;
        let property = if self.peek().token == Token::Dot {
            self.advance();
            Some(self.ident("a property name after `.`")?)
        } else {
            None
        };
        if function != AggregateFn::Count && property.is_none() {
            return Err(self.error(&format!(
                "`.property` after the event name: {}() needs a numeric property",
                function.name()
            )));
        }
        let mut filters = Vec::new();
        if self.eat_word("where") {
            loop {
                let property = self.path("a property name")?;
                let Some(cmp) = self.cmp() else {
                    return Err(self.error("a comparison (=, !=, <, <=, >, >=)"));
                };
                let value = self.literal()?;
                filters.push(PropertyFilter {
                    property,
                    cmp,
                    value,
                });
                if !self.eat_word("and") {
                    break;
                }
            }
        }
        let window = if self.eat_word("in") {
            self.expect_word("last")?;
            Some(self.span()?)
        } else {
            None
        };
        self.expect(Token::RParen, "`where`, `in last N days` or `)`")?;
        let Some(cmp) = self.cmp() else {
            return Err(self.error("a comparison after the aggregate"));
        };
        let value = self.number("a number")?;
        Ok(Expr::Aggregate {
            aggregate: Aggregate {
                function,
                event,
                property,
                filters,
                window,
            },
            cmp,
            value,
        })
    }
}

fn positioned(mut err: SegmentError, at: &Spanned) -> SegmentError {
    err.line = at.line;
    err.column = at.column;
    err
}
