//! Column expressions for derived counts in method files, such as
//! `women_10plus = "STP32_2_SE * (1 - STP34_1_ED / STP27_PERS)"` or
//! `care_dependent = "pop_0_5 + pop_60_plus"`.
//!
//! The grammar (a recursive-descent parser; usual precedence, left-associative):
//!
//! ```text
//! expr    := term (('+' | '-') term)*
//! term    := unary (('*' | '/') unary)*
//! unary   := '-' unary | primary
//! primary := number | identifier | '(' expr ')'
//! ```
//!
//! Numbers are decimal (`3`, `0.5`, `.5`, `1e3`, `2.5E-2`). An identifier starts with a letter
//! (any Unicode letter: DANE columns are named like `MAYORES_30AÑOS`) or `_`, and continues with
//! letters, digits, `_` and `.`; any other column name is written between backquotes
//! (`` `pop 0-5` ``). Evaluation is row-wise over `Option<f64>` columns: a missing operand gives
//! a missing value, and so do a division by zero and a non-finite (overflowing) result, whose
//! rows are reported.

use std::fmt;

use thiserror::Error;

/// Nesting depth (parentheses and unary minus) beyond which an expression is refused, so that
/// parsing, evaluating and printing never exhaust the stack.
const MAX_DEPTH: usize = 200;

/// Errors of parsing or evaluating an expression. Parse errors carry the expression text, the
/// byte offset of the problem and the token found there.
#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum ExprError {
    /// The expression is empty or only whitespace.
    #[error("the expression is empty")]
    Empty,
    /// A token that does not fit the grammar where it stands.
    #[error("in the expression {text:?}, at byte {offset}: found {found}, expected {expected}")]
    Unexpected {
        /// The whole expression.
        text: String,
        /// Byte offset of the offending token.
        offset: usize,
        /// The offending token (quoted), or `end of input`.
        found: String,
        /// What the grammar allows there.
        expected: &'static str,
    },
    /// A backquoted column name without its closing backquote.
    #[error("in the expression {text:?}, at byte {offset}: the backquote is never closed")]
    Unterminated {
        /// The whole expression.
        text: String,
        /// Byte offset of the opening backquote.
        offset: usize,
    },
    /// Parentheses or unary minus nested deeper than careblock accepts.
    #[error("in the expression {text:?}, at byte {offset}: nested more than {MAX_DEPTH} levels deep")]
    TooDeep {
        /// The whole expression.
        text: String,
        /// Byte offset where the limit was passed.
        offset: usize,
    },
    /// A referenced column that the lookup does not know.
    #[error("the expression refers to the column {column:?}, which does not exist")]
    UnknownColumn {
        /// The column name.
        column: String,
    },
    /// A column whose length is not the number of rows evaluated.
    #[error("column {column:?} has {found} values, expected {expected}")]
    Length {
        /// The column name.
        column: String,
        /// The number of rows evaluated.
        expected: usize,
        /// The column's length.
        found: usize,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Add,
    Sub,
    Mul,
    Div,
}

impl Op {
    fn symbol(self) -> char {
        match self {
            Op::Add => '+',
            Op::Sub => '-',
            Op::Mul => '*',
            Op::Div => '/',
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Num(f64),
    Col(String),
    Neg(Box<Node>),
    Bin(Op, Box<Node>, Box<Node>),
}

/// A parsed column expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    root: Node,
}

/// The values of an expression over `n` rows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Evaluated {
    /// One value per row; `None` where an operand was missing, a division by zero occurred, or
    /// the result was not finite.
    pub values: Vec<Option<f64>>,
    /// Rows (ascending) where a division by zero, with both operands present, made the value
    /// missing.
    pub divisions_by_zero: Vec<usize>,
    /// Rows (ascending) where a non-finite value (an overflow, or a non-finite input) made the
    /// value missing.
    pub non_finite: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(f64),
    Ident(String),
    Op(Op),
    Open,
    Close,
    /// A character that starts no token.
    Bad(char),
    End,
}

struct Token {
    tok: Tok,
    offset: usize,
    /// The token's source text.
    text: String,
}

fn is_ident_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

fn is_ident_continue(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '.'
}

fn lex(text: &str) -> Result<Vec<Token>, ExprError> {
    let bytes = text.as_bytes();
    let digits_from = |mut i: usize| {
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        i
    };
    let mut tokens = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let (tok, end) =
            if c.is_ascii_digit() || (c == '.' && bytes.get(start + 1).is_some_and(u8::is_ascii_digit)) {
                let mut end = digits_from(start);
                if bytes.get(end) == Some(&b'.') {
                    end = digits_from(end + 1);
                }
                if matches!(bytes.get(end), Some(b'e' | b'E')) {
                    let sign = usize::from(matches!(bytes.get(end + 1), Some(b'+' | b'-')));
                    if bytes.get(end + 1 + sign).is_some_and(u8::is_ascii_digit) {
                        end = digits_from(end + 1 + sign);
                    }
                }
                let literal = &text[start..end];
                let value: f64 = literal.parse().expect("a lexed decimal literal parses");
                if !value.is_finite() {
                    return Err(ExprError::Unexpected {
                        text: text.to_string(),
                        offset: start,
                        found: format!("{literal:?}"),
                        expected: "a number small enough to be finite",
                    });
                }
                (Tok::Num(value), end)
            } else if is_ident_start(c) {
                let end = text[start..]
                    .char_indices()
                    .find(|&(_, c)| !is_ident_continue(c))
                    .map_or(text.len(), |(i, _)| start + i);
                (Tok::Ident(text[start..end].to_string()), end)
            } else if c == '`' {
                let Some(close) = text[start + 1..].find('`') else {
                    return Err(ExprError::Unterminated {
                        text: text.to_string(),
                        offset: start,
                    });
                };
                let name = &text[start + 1..start + 1 + close];
                if name.is_empty() {
                    return Err(ExprError::Unexpected {
                        text: text.to_string(),
                        offset: start,
                        found: "\"``\"".to_string(),
                        expected: "a column name between the backquotes",
                    });
                }
                (Tok::Ident(name.to_string()), start + close + 2)
            } else {
                let tok = match c {
                    '+' => Tok::Op(Op::Add),
                    '-' => Tok::Op(Op::Sub),
                    '*' => Tok::Op(Op::Mul),
                    '/' => Tok::Op(Op::Div),
                    '(' => Tok::Open,
                    ')' => Tok::Close,
                    other => Tok::Bad(other),
                };
                (tok, start + c.len_utf8())
            };
        tokens.push(Token {
            tok,
            offset: start,
            text: text[start..end].to_string(),
        });
        while chars.peek().is_some_and(|&(i, _)| i < end) {
            chars.next();
        }
    }
    tokens.push(Token {
        tok: Tok::End,
        offset: text.len(),
        text: String::new(),
    });
    Ok(tokens)
}

struct Parser<'a> {
    text: &'a str,
    tokens: Vec<Token>,
    pos: usize,
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> &Token {
        &self.tokens[self.pos]
    }

    fn unexpected(&self, expected: &'static str) -> ExprError {
        let t = self.peek();
        let found = match t.tok {
            Tok::End => "end of input".to_string(),
            _ => format!("{:?}", t.text),
        };
        ExprError::Unexpected {
            text: self.text.to_string(),
            offset: t.offset,
            found,
            expected,
        }
    }

    fn deeper(&mut self) -> Result<(), ExprError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(ExprError::TooDeep {
                text: self.text.to_string(),
                offset: self.peek().offset,
            });
        }
        Ok(())
    }

    fn binary(
        &mut self,
        ops: [Op; 2],
        operand: fn(&mut Self) -> Result<Node, ExprError>,
    ) -> Result<Node, ExprError> {
        let mut left = operand(self)?;
        while let Tok::Op(op) = self.peek().tok
            && ops.contains(&op)
        {
            self.pos += 1;
            let right = operand(self)?;
            left = Node::Bin(op, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn expr(&mut self) -> Result<Node, ExprError> {
        self.binary([Op::Add, Op::Sub], Self::term)
    }

    fn term(&mut self) -> Result<Node, ExprError> {
        self.binary([Op::Mul, Op::Div], Self::unary)
    }

    fn unary(&mut self) -> Result<Node, ExprError> {
        if self.peek().tok == Tok::Op(Op::Sub) {
            self.deeper()?;
            self.pos += 1;
            let inner = self.unary()?;
            self.depth -= 1;
            return Ok(Node::Neg(Box::new(inner)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Node, ExprError> {
        const OPERAND: &str = "a number, a column name, '(' or '-'";
        let node = match &self.peek().tok {
            Tok::Num(v) => Node::Num(*v),
            Tok::Ident(name) => Node::Col(name.clone()),
            Tok::Open => {
                self.deeper()?;
                self.pos += 1;
                let inner = self.expr()?;
                if self.peek().tok != Tok::Close {
                    return Err(self.unexpected("an operator or ')'"));
                }
                self.depth -= 1;
                inner
            }
            _ => return Err(self.unexpected(OPERAND)),
        };
        self.pos += 1;
        Ok(node)
    }
}

/// Whether `name` can be written without backquotes.
fn is_plain(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(is_ident_start) && chars.all(is_ident_continue)
}

fn collect_columns<'a>(node: &'a Node, out: &mut Vec<&'a str>) {
    match node {
        Node::Num(_) => {}
        Node::Col(name) => {
            if !out.contains(&name.as_str()) {
                out.push(name);
            }
        }
        Node::Neg(inner) => collect_columns(inner, out),
        Node::Bin(_, l, r) => {
            collect_columns(l, out);
            collect_columns(r, out);
        }
    }
}

/// Column-wise evaluation state: the resolved columns and the per-row flags.
struct Eval<'c> {
    columns: Vec<(&'c str, &'c [Option<f64>])>,
    n: usize,
    div_zero: Vec<bool>,
    non_finite: Vec<bool>,
}

impl Eval<'_> {
    fn finite(&mut self, row: usize, v: f64) -> Option<f64> {
        if v.is_finite() {
            Some(v)
        } else {
            self.non_finite[row] = true;
            None
        }
    }

    fn node(&mut self, node: &Node) -> Vec<Option<f64>> {
        match node {
            Node::Num(v) => vec![Some(*v); self.n],
            Node::Col(name) => {
                let col = self
                    .columns
                    .iter()
                    .find(|(c, _)| c == name)
                    .expect("every column was resolved before evaluation")
                    .1;
                col.iter()
                    .enumerate()
                    .map(|(row, v)| v.and_then(|v| self.finite(row, v)))
                    .collect()
            }
            Node::Neg(inner) => self.node(inner).into_iter().map(|v| v.map(|v| -v)).collect(),
            Node::Bin(op, l, r) => {
                let l = self.node(l);
                let r = self.node(r);
                l.into_iter()
                    .zip(r)
                    .enumerate()
                    .map(|(row, (a, b))| {
                        let (a, b) = (a?, b?);
                        let v = match op {
                            Op::Add => a + b,
                            Op::Sub => a - b,
                            Op::Mul => a * b,
                            Op::Div if b == 0.0 => {
                                self.div_zero[row] = true;
                                return None;
                            }
                            Op::Div => a / b,
                        };
                        self.finite(row, v)
                    })
                    .collect()
            }
        }
    }
}

fn flagged(flags: &[bool]) -> Vec<usize> {
    flags
        .iter()
        .enumerate()
        .filter_map(|(i, &f)| f.then_some(i))
        .collect()
}

impl Expr {
    /// Parses an expression (see the [module documentation](self) for the grammar).
    pub fn parse(text: &str) -> Result<Expr, ExprError> {
        if text.trim().is_empty() {
            return Err(ExprError::Empty);
        }
        let mut parser = Parser {
            text,
            tokens: lex(text)?,
            pos: 0,
            depth: 0,
        };
        let root = parser.expr()?;
        if parser.peek().tok != Tok::End {
            return Err(parser.unexpected("an operator or the end of the expression"));
        }
        Ok(Expr { root })
    }

    /// The distinct column names the expression refers to, in order of first appearance.
    pub fn columns(&self) -> Vec<&str> {
        let mut out = Vec::new();
        collect_columns(&self.root, &mut out);
        out
    }

    /// Evaluates the expression over `n` rows, taking each column from `lookup` (which returns
    /// `None` for a column that does not exist). Every column must have `n` values.
    ///
    /// A row's value is `None` when an operand is missing, when a divisor is 0 with both
    /// operands present (the row is listed in `divisions_by_zero`), or when a value is not
    /// finite, from an overflow or a non-finite input (listed in `non_finite`).
    pub fn eval<'c>(
        &self,
        lookup: &dyn Fn(&str) -> Option<&'c [Option<f64>]>,
        n: usize,
    ) -> Result<Evaluated, ExprError> {
        let mut columns = Vec::new();
        for name in self.columns() {
            let col = lookup(name).ok_or_else(|| ExprError::UnknownColumn {
                column: name.to_string(),
            })?;
            if col.len() != n {
                return Err(ExprError::Length {
                    column: name.to_string(),
                    expected: n,
                    found: col.len(),
                });
            }
            columns.push((name, col));
        }
        let mut eval = Eval {
            columns,
            n,
            div_zero: vec![false; n],
            non_finite: vec![false; n],
        };
        let values = eval.node(&self.root);
        Ok(Evaluated {
            values,
            divisions_by_zero: flagged(&eval.div_zero),
            non_finite: flagged(&eval.non_finite),
        })
    }
}

fn write_node(f: &mut fmt::Formatter<'_>, node: &Node, top: bool) -> fmt::Result {
    match node {
        // `{:?}` is the shortest text that reads back to the same f64 (`0.5`, `1000.0`, `1e-7`).
        Node::Num(v) => write!(f, "{v:?}"),
        Node::Col(name) if is_plain(name) => f.write_str(name),
        Node::Col(name) => write!(f, "`{name}`"),
        Node::Neg(inner) => {
            f.write_str(if top { "-" } else { "(-" })?;
            write_node(f, inner, false)?;
            if top { Ok(()) } else { f.write_str(")") }
        }
        Node::Bin(op, l, r) => {
            if !top {
                f.write_str("(")?;
            }
            write_node(f, l, false)?;
            write!(f, " {} ", op.symbol())?;
            write_node(f, r, false)?;
            if top { Ok(()) } else { f.write_str(")") }
        }
    }
}

impl fmt::Display for Expr {
    /// The canonical text: every inner operation in parentheses, backquotes only where needed.
    /// It parses back to the same expression.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_node(f, &self.root, true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn eval_with(text: &str, cols: &[(&str, Vec<Option<f64>>)], n: usize) -> Result<Evaluated, ExprError> {
        let map: HashMap<&str, &[Option<f64>]> = cols.iter().map(|(k, v)| (*k, v.as_slice())).collect();
        Expr::parse(text)?.eval(&|name| map.get(name).copied(), n)
    }

    fn constant(text: &str) -> f64 {
        eval_with(text, &[], 1).unwrap().values[0].unwrap()
    }

    fn canonical(text: &str) -> String {
        Expr::parse(text).unwrap().to_string()
    }

    #[test]
    fn numbers() {
        assert_eq!(constant("1e3"), 1000.0);
        assert_eq!(constant("0.5"), 0.5);
        assert_eq!(constant(".25"), 0.25);
        assert_eq!(constant("2.5E-2"), 0.025);
        assert_eq!(constant("1e+2"), 100.0);
        assert_eq!(constant("7."), 7.0);
    }

    #[test]
    fn precedence_and_associativity() {
        assert_eq!(constant("2 + 3 * 4"), 14.0);
        assert_eq!(constant("(2 + 3) * 4"), 20.0);
        assert_eq!(constant("8 - 2 - 1"), 5.0);
        assert_eq!(constant("8 / 2 / 2"), 2.0);
        assert_eq!(constant("2 * 3 - 4 / 2"), 4.0);
        assert_eq!(canonical("a + b * c - d"), "(a + (b * c)) - d");
        assert_eq!(canonical("8 / 2 / 2"), "(8.0 / 2.0) / 2.0");
    }

    #[test]
    fn unary_minus() {
        assert_eq!(constant("-3"), -3.0);
        assert_eq!(constant("--3"), 3.0);
        assert_eq!(constant("2 * -3"), -6.0);
        assert_eq!(constant("-2 * 3 + 1"), -5.0);
        assert_eq!(constant("1 - -1"), 2.0);
        assert_eq!(constant("-(1 + 2)"), -3.0);
        // Binds tighter than * and /.
        assert_eq!(canonical("-a * b"), "(-a) * b");
        assert_eq!(canonical("-a"), "-a");
    }

    #[test]
    fn identifiers_columns_and_display_round_trip() {
        let e = Expr::parse("STP32_2_SE * (1 - STP34_1_ED / STP27_PERS) + STP32_2_SE").unwrap();
        assert_eq!(e.columns(), vec!["STP32_2_SE", "STP34_1_ED", "STP27_PERS"]);
        let e = Expr::parse("MAYORES_30AÑOS + _x.1 + `pop 0-5` * `ñ`").unwrap();
        assert_eq!(e.columns(), vec!["MAYORES_30AÑOS", "_x.1", "pop 0-5", "ñ"]);
        assert_eq!(e.to_string(), "(MAYORES_30AÑOS + _x.1) + (`pop 0-5` * ñ)");
        for text in [
            "MAYORES_30AÑOS + _x.1 + `pop 0-5` * `ñ`",
            "-(a - -b) / 1e-7 * 2.5e300",
            "`a`",
            "((x))",
        ] {
            let e = Expr::parse(text).unwrap();
            assert_eq!(Expr::parse(&e.to_string()).unwrap(), e, "{text} -> {e}");
        }
    }

    #[test]
    fn unicode_and_backquoted_columns_evaluate() {
        let r = eval_with(
            "MAYORES_30AÑOS - `menores de 5`",
            &[
                ("MAYORES_30AÑOS", vec![Some(10.0), Some(4.0)]),
                ("menores de 5", vec![Some(3.0), Some(1.0)]),
            ],
            2,
        )
        .unwrap();
        assert_eq!(r.values, vec![Some(7.0), Some(3.0)]);
    }

    #[test]
    fn missing_values_propagate() {
        let r = eval_with(
            "a * (1 - b / c)",
            &[
                ("a", vec![Some(10.0), None, Some(8.0), Some(4.0)]),
                ("b", vec![Some(1.0), Some(1.0), None, Some(1.0)]),
                ("c", vec![Some(4.0), Some(2.0), Some(2.0), Some(2.0)]),
            ],
            4,
        )
        .unwrap();
        assert_eq!(r.values, vec![Some(7.5), None, None, Some(2.0)]);
        assert!(r.divisions_by_zero.is_empty());
        assert!(r.non_finite.is_empty());
    }

    #[test]
    fn division_by_zero_and_overflow_are_recorded() {
        let r = eval_with(
            "a / b",
            &[
                (
                    "a",
                    vec![Some(1.0), Some(0.0), None, Some(1e300), Some(f64::INFINITY)],
                ),
                (
                    "b",
                    vec![Some(0.0), Some(-0.0), Some(0.0), Some(1e-300), Some(1.0)],
                ),
            ],
            5,
        )
        .unwrap();
        assert_eq!(r.values, vec![None; 5]);
        // Row 2: the numerator is already missing, so the division did not make it missing.
        assert_eq!(r.divisions_by_zero, vec![0, 1]);
        assert_eq!(r.non_finite, vec![3, 4]);
        let r = eval_with("x * 1e300 * 1e300", &[("x", vec![Some(1.0), Some(0.0)])], 2).unwrap();
        assert_eq!(r.values, vec![None, Some(0.0)]);
        assert_eq!(r.non_finite, vec![0]);
        // Constants broadcast over the rows.
        assert_eq!(
            eval_with("1 / 0", &[], 3).unwrap().divisions_by_zero,
            vec![0, 1, 2]
        );
    }

    #[test]
    fn parse_errors_name_the_offset_and_token() {
        let err = |text: &str| Expr::parse(text).unwrap_err();
        assert_eq!(err(""), ExprError::Empty);
        assert_eq!(err("  \t"), ExprError::Empty);
        assert_eq!(
            err("a + * b"),
            ExprError::Unexpected {
                text: "a + * b".into(),
                offset: 4,
                found: "\"*\"".into(),
                expected: "a number, a column name, '(' or '-'",
            }
        );
        assert_eq!(
            err("(a + b"),
            ExprError::Unexpected {
                text: "(a + b".into(),
                offset: 6,
                found: "end of input".into(),
                expected: "an operator or ')'",
            }
        );
        assert!(matches!(err("a b"), ExprError::Unexpected { offset: 2, found, .. } if found == "\"b\""));
        assert!(matches!(err("a)"), ExprError::Unexpected { offset: 1, .. }));
        assert!(matches!(err("2x"), ExprError::Unexpected { offset: 1, .. }));
        // Offsets are in bytes: 'Ñ' takes two.
        assert!(matches!(err("AÑO % 2"), ExprError::Unexpected { offset: 5, found, .. } if found == "\"%\""));
        assert!(matches!(err("a +"), ExprError::Unexpected { offset: 3, .. }));
        assert_eq!(
            err("a + `pop"),
            ExprError::Unterminated {
                text: "a + `pop".into(),
                offset: 4
            }
        );
        assert!(matches!(err("``"), ExprError::Unexpected { offset: 0, .. }));
        assert!(matches!(err("1e999"), ExprError::Unexpected { offset: 0, .. }));
        let deep = format!("{}1{}", "(".repeat(1000), ")".repeat(1000));
        assert!(matches!(err(&deep), ExprError::TooDeep { .. }));
        assert!(matches!(err(&"-".repeat(1000)), ExprError::TooDeep { .. }));
        let ok = format!("{}1{}", "(".repeat(100), ")".repeat(100));
        assert_eq!(constant(&ok), 1.0);
        // Messages carry the text, the position and the token.
        let msg = err("a + * b").to_string();
        assert!(
            msg.contains("\"a + * b\"") && msg.contains("byte 4") && msg.contains("\"*\""),
            "{msg}"
        );
    }

    #[test]
    fn eval_errors() {
        assert_eq!(
            eval_with("a + nope", &[("a", vec![Some(1.0)])], 1),
            Err(ExprError::UnknownColumn {
                column: "nope".into()
            })
        );
        assert_eq!(
            eval_with("a + 1", &[("a", vec![Some(1.0)])], 2),
            Err(ExprError::Length {
                column: "a".into(),
                expected: 2,
                found: 1
            })
        );
    }
}
