//! A strict reader of UCI files, the syntax of OpenWrt's `/etc/config/*`
//! (what libuci reads and `uci export` writes):
//!
//! ```text
//! # a comment
//! package odin-agent            # optional
//! config agent 'agent'          # a section: type, optional name
//!     option controller '192.0.2.1:6777'
//!     list ssid 'odin'          # a list option: one value per line
//! config radio                  # an anonymous section (@radio[0])
//!     option phy phy0
//! ```
//!
//! Values are words: unquoted (a backslash escapes the next character),
//! `'single quoted'` (taken as written), or `"double quoted"` (a backslash
//! escapes the next character); adjacent parts join into one word
//! (`'it'\''s'`, as `uci export` writes a quote). A quoted value may span
//! lines, and a backslash at the end of a line continues it. `#` where a
//! word begins comments out the rest of the line; `;` ends a statement.
//!
//! The meaning follows libuci's: a named section given twice is one
//! section (an error if the types differ), a later `option` replaces an
//! earlier one, `list` after `option` of the same name makes a list of
//! both, and an empty `option` value removes the option. It is stricter
//! than libuci in one way: a statement with more words than it takes is
//! an error (libuci in its default strict mode agrees).
//!
//! Errors name the line; nothing here panics, whatever the input (a
//! property test feeds it arbitrary text).

use core::fmt;

/// A parsed UCI file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Package {
    /// The name a `package` statement gave, if any.
    pub name: Option<String>,
    /// The sections, in the order they first appear.
    pub sections: Vec<Section>,
}

/// One `config` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// Its type (`config TYPE`).
    pub kind: String,
    /// Its name; `None` for an anonymous section.
    pub name: Option<String>,
    /// The line of its (first) `config` statement.
    pub line: usize,
    /// Its options, in the order they first appear.
    pub options: Vec<Opt>,
}

/// One option of a section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opt {
    /// Its name.
    pub name: String,
    /// Its value.
    pub value: Value,
    /// The line of the statement that last set it.
    pub line: usize,
}

/// An option's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// `option NAME VALUE`.
    Single(String),
    /// `list NAME VALUE`, one value per statement.
    List(Vec<String>),
}

/// A syntax error, with the line it was found on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// The line (1-based).
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for Error {}

impl Package {
    /// The sections of type `kind`, in order.
    pub fn sections_of<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Section> + 'a {
        self.sections.iter().filter(move |s| s.kind == kind)
    }
}

impl Section {
    /// The option `name`, if set.
    pub fn get(&self, name: &str) -> Option<&Opt> {
        self.options.iter().find(|o| o.name == name)
    }
}

impl Value {
    /// The values: one for an option, each for a list.
    pub fn values(&self) -> &[String] {
        match self {
            Value::Single(v) => core::slice::from_ref(v),
            Value::List(v) => v,
        }
    }
}

/// Parses a UCI file.
pub fn parse(text: &str) -> Result<Package, Error> {
    let mut lexer = Lexer {
        chars: text.chars().peekable(),
        line: 1,
    };
    let mut package = Package::default();
    // The section statements apply to (an index into `sections`).
    let mut current: Option<usize> = None;
    while let Some((line, words)) = lexer.statement()? {
        let err = |message: String| Error { line, message };
        let Some((command, args)) = words.split_first() else {
            continue;
        };
        match command.as_str() {
            "package" | "p" => {
                let [name] = args else {
                    return Err(err(arity("package", "a name", args.len())));
                };
                if !valid_package_name(name) {
                    return Err(err(format!("invalid package name {name:?}")));
                }
                if package.name.is_some() || !package.sections.is_empty() {
                    return Err(err("`package` must come first, and once".into()));
                }
                package.name = Some(name.clone());
            }
            "config" | "c" => {
                let (kind, name) = match args {
                    [kind] => (kind, None),
                    [kind, name] if name.is_empty() => (kind, None),
                    [kind, name] => (kind, Some(name)),
                    _ => {
                        return Err(err(arity(
                            "config",
                            "a type and an optional name",
                            args.len(),
                        )))
                    }
                };
                if !valid_type(kind) {
                    return Err(err(format!("invalid section type {kind:?}")));
                }
                if let Some(name) = name {
                    if !valid_name(name) {
                        return Err(err(format!(
                            "invalid section name {name:?} (letters, digits and _ only)"
                        )));
                    }
                }
                let existing = name.and_then(|n| {
                    package
                        .sections
                        .iter()
                        .position(|s| s.name.as_deref() == Some(n.as_str()))
                });
                current = Some(match existing {
                    Some(i) => {
                        let s = package.sections.get(i).ok_or_else(|| err(lost()))?;
                        if s.kind != *kind {
                            return Err(err(format!(
                                "section '{}' was declared with type {:?} on line {}, here with {kind:?}",
                                s.name.as_deref().unwrap_or_default(),
                                s.kind,
                                s.line
                            )));
                        }
                        i
                    }
                    None => {
                        package.sections.push(Section {
                            kind: kind.clone(),
                            name: name.cloned(),
                            line,
                            options: Vec::new(),
                        });
                        package.sections.len() - 1
                    }
                });
            }
            word @ ("option" | "o" | "list" | "l") => {
                let list = word.starts_with('l');
                let what = if list { "list" } else { "option" };
                let (name, value) = match args {
                    [name] => (name, String::new()),
                    [name, value] => (name, value.clone()),
                    _ => return Err(err(arity(what, "a name and a value", args.len()))),
                };
                if !valid_name(name) {
                    return Err(err(format!(
                        "invalid option name {name:?} (letters, digits and _ only)"
                    )));
                }
                let section = current
                    .and_then(|i| package.sections.get_mut(i))
                    .ok_or_else(|| err(format!("`{what}` before the first `config`")))?;
                set(section, name, value, list, line);
            }
            other => {
                return Err(err(format!(
                    "unknown statement {other:?} (expected package, config, option or list)"
                )))
            }
        }
    }
    Ok(package)
}

fn lost() -> String {
    "internal error: section lost".into()
}

fn arity(what: &str, takes: &str, given: usize) -> String {
    if given == 0 {
        format!("`{what}` needs {takes}")
    } else {
        format!("`{what}` takes {takes}, not {given} words")
    }
}

/// Applies one `option` or `list` statement, as libuci does.
fn set(section: &mut Section, name: &str, value: String, list: bool, line: usize) {
    let existing = section.options.iter().position(|o| o.name == name);
    match (list, existing) {
        // An empty option value removes the option (`uci set x.y.z=`).
        (false, Some(i)) if value.is_empty() => {
            section.options.remove(i);
        }
        (false, None) if value.is_empty() => {}
        (false, Some(i)) => {
            if let Some(o) = section.options.get_mut(i) {
                o.value = Value::Single(value);
                o.line = line;
            }
        }
        (true, Some(i)) => {
            if let Some(o) = section.options.get_mut(i) {
                o.value = match core::mem::replace(&mut o.value, Value::List(Vec::new())) {
                    Value::Single(old) => Value::List(vec![old, value]),
                    Value::List(mut values) => {
                        values.push(value);
                        Value::List(values)
                    }
                };
                o.line = line;
            }
        }
        (list, None) => section.options.push(Opt {
            name: name.to_owned(),
            value: if list {
                Value::List(vec![value])
            } else {
                Value::Single(value)
            },
            line,
        }),
    }
}

/// Option and section names: letters, digits and `_` (libuci's rule).
fn valid_name(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Package names: names that may also hold `-`.
fn valid_package_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Section types: printable ASCII without spaces.
fn valid_type(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| (33..=126).contains(&b))
}

struct Lexer<'a> {
    chars: core::iter::Peekable<core::str::Chars<'a>>,
    line: usize,
}

impl Lexer<'_> {
    fn next(&mut self) -> Option<char> {
        let c = self.chars.next();
        if c == Some('\n') {
            self.line += 1;
        }
        c
    }

    /// The words of the next statement and the line it starts on; `None`
    /// at the end of the input. A statement ends at an unquoted newline,
    /// a `;`, or the end.
    fn statement(&mut self) -> Result<Option<(usize, Vec<String>)>, Error> {
        let mut words = Vec::new();
        let mut start = None;
        loop {
            match self.chars.peek().copied() {
                None => break,
                Some('\n') => {
                    self.next();
                    if start.is_some() {
                        break;
                    }
                }
                Some(';') => {
                    self.next();
                    if start.is_some() {
                        break;
                    }
                }
                Some(c) if c.is_whitespace() => {
                    self.next();
                }
                Some('#') => self.skip_line(),
                Some(_) => {
                    start.get_or_insert(self.line);
                    let (word, comment) = self.word()?;
                    words.push(word);
                    if comment {
                        self.skip_line();
                    }
                }
            }
        }
        Ok(start.map(|line| (line, words)))
    }

    /// Skips to the end of the line (the newline stays).
    fn skip_line(&mut self) {
        while self.chars.peek().is_some_and(|&c| c != '\n') {
            self.next();
        }
    }

    /// One word; `true` with it when a `#` ended it (the rest of the line
    /// is a comment).
    fn word(&mut self) -> Result<(String, bool), Error> {
        let mut word = String::new();
        loop {
            match self.chars.peek().copied() {
                None | Some(';') => return Ok((word, false)),
                Some(c) if c.is_whitespace() => return Ok((word, false)),
                Some('#') => return Ok((word, true)),
                Some('\'') => {
                    let line = self.line;
                    self.next();
                    loop {
                        match self.next() {
                            None => return Err(unterminated(line, '\'')),
                            Some('\'') => break,
                            Some(c) => word.push(c),
                        }
                    }
                }
                Some('"') => {
                    let line = self.line;
                    self.next();
                    loop {
                        match self.next() {
                            None => return Err(unterminated(line, '"')),
                            Some('"') => break,
                            Some('\\') => self.escaped(&mut word),
                            Some(c) => word.push(c),
                        }
                    }
                }
                Some('\\') => {
                    self.next();
                    self.escaped(&mut word);
                }
                Some(c) => {
                    self.next();
                    word.push(c);
                }
            }
        }
    }

    /// After a backslash: the next character as itself, or nothing for a
    /// line continuation (`\` then a newline, or `\r\n`).
    fn escaped(&mut self, word: &mut String) {
        match self.next() {
            None | Some('\n') => {}
            Some('\r') if self.chars.peek() == Some(&'\n') => {
                self.next();
            }
            Some(c) => word.push(c),
        }
    }
}

fn unterminated(line: usize, quote: char) -> Error {
    Error {
        line,
        message: format!("unterminated {quote}-quoted value (it starts here)"),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn single(s: &str) -> Value {
        Value::Single(s.into())
    }

    #[test]
    fn reads_what_uci_export_writes() {
        let text = "package odin-agent\n\nconfig agent 'agent'\n\toption controller '192.0.2.1:6777'\n\
                    \tlist ssid 'odin'\n\tlist ssid 'it'\\''s'\n\nconfig radio\n\toption phy 'phy0'\n";
        let p = parse(text).unwrap();
        assert_eq!(p.name.as_deref(), Some("odin-agent"));
        assert_eq!(p.sections.len(), 2);
        let agent = &p.sections[0];
        assert_eq!(
            (agent.kind.as_str(), agent.name.as_deref(), agent.line),
            ("agent", Some("agent"), 3)
        );
        assert_eq!(
            agent.get("controller").unwrap().value,
            single("192.0.2.1:6777")
        );
        assert_eq!(
            agent.get("ssid").unwrap().value,
            Value::List(vec!["odin".into(), "it's".into()])
        );
        assert_eq!(agent.get("ssid").unwrap().line, 6);
        let radio = &p.sections[1];
        assert_eq!((radio.name.as_deref(), radio.line), (None, 8));
        assert_eq!(radio.get("phy").unwrap().value, single("phy0"));
        assert_eq!(p.sections_of("radio").count(), 1);
    }

    #[test]
    fn quoting_comments_and_statements_as_libuci_reads_them() {
        let text = "config x a # comment\n\
                    o plain value\\ with\\ spaces\n\
                    o dq \"say \\\"hi\\\"\"\n\
                    o joined 'a'\"b\"c\n\
                    o cut va#lue ignored words\n\
                    o multi 'one\ntwo'\n\
                    o cont abc\\\ndef\n\
                    # a whole-line comment\n\
                    o a 1; o b 2\n\
                    c y; l l1 x; l l1 y\n";
        let p = parse(text).unwrap();
        let a = &p.sections[0];
        let v = |n: &str| a.get(n).unwrap().value.clone();
        assert_eq!(v("plain"), single("value with spaces"));
        assert_eq!(v("dq"), single("say \"hi\""));
        assert_eq!(v("joined"), single("abc"));
        assert_eq!(v("cut"), single("va"));
        assert_eq!(v("multi"), single("one\ntwo"));
        assert_eq!(v("cont"), single("abcdef"));
        assert_eq!((v("a"), v("b")), (single("1"), single("2")));
        // Lines count across the multi-line value and the continuation.
        assert_eq!(a.get("a").unwrap().line, 11);
        let y = &p.sections[1];
        assert_eq!((y.kind.as_str(), y.line), ("y", 12));
        assert_eq!(
            y.get("l1").unwrap().value,
            Value::List(vec!["x".into(), "y".into()])
        );
    }

    #[test]
    fn later_statements_change_earlier_ones_as_in_uci() {
        let text = "config t 'n'\n option a 1\n option a 2\n option gone x\n option gone ''\n\
                    option never ''\n option l first\n list l second\n\
                    config t 'n'\n option b 3\n";
        let p = parse(text).unwrap();
        assert_eq!(p.sections.len(), 1, "a named section given twice is one");
        let s = &p.sections[0];
        assert_eq!(s.get("a").unwrap().value, single("2"));
        assert_eq!(s.get("a").unwrap().line, 3);
        assert!(s.get("gone").is_none() && s.get("never").is_none());
        assert_eq!(
            s.get("l").unwrap().value,
            Value::List(vec!["first".into(), "second".into()])
        );
        assert_eq!(s.get("b").unwrap().value, single("3"));
        assert_eq!(s.get("l").unwrap().value.values().len(), 2);
        assert_eq!(s.get("b").unwrap().value.values(), ["3".to_string()]);
    }

    #[test]
    fn errors_name_the_line() {
        let cases: &[(&str, usize, &str)] = &[
            ("option a b\n", 1, "before the first `config`"),
            (
                "config t\n\n  optoin a b\n",
                3,
                "unknown statement \"optoin\"",
            ),
            ("config t\n option a b c\n", 2, "not 3 words"),
            ("config t\n option\n", 2, "needs a name"),
            ("config\n", 1, "needs a type"),
            ("config t n extra\n", 1, "not 3 words"),
            ("config t 'a-b'\n", 1, "invalid section name"),
            ("config t\n option 'my-opt' v\n", 2, "invalid option name"),
            ("config t\n option a 'open\n\n", 2, "unterminated '"),
            ("config t\n option a \"x\n", 2, "unterminated \""),
            (
                "config t 'n'\nconfig u 'n'\n",
                2,
                "declared with type \"t\" on line 1",
            ),
            ("config t\npackage p\n", 2, "must come first"),
            ("config ''\n", 1, "invalid section type"),
        ];
        for (text, line, needle) in cases {
            let e = parse(text).unwrap_err();
            assert_eq!(e.line, *line, "{text:?}: {e}");
            assert!(e.message.contains(needle), "{text:?}: {e}");
            assert!(e.to_string().starts_with(&format!("line {line}: ")));
        }
    }

    #[test]
    fn empty_and_comment_only_files_have_no_sections() {
        for text in ["", "\n\n", "# nothing\n  # here\n", ";;\n"] {
            assert_eq!(parse(text).unwrap(), Package::default());
        }
    }

    proptest! {
        #[test]
        fn never_panics_on_arbitrary_text(text in "\\PC*") {
            let _ = parse(&text);
        }

        #[test]
        fn never_panics_on_text_made_of_its_own_tokens(
            parts in proptest::collection::vec(
                prop_oneof![
                    Just("config"), Just("option"), Just("list"), Just("package"),
                    Just(" "), Just("\n"), Just("'"), Just("\""), Just("\\"), Just("#"),
                    Just(";"), Just("\r"), Just("t"), Just("n_1"), Just("-"),
                ],
                0..40,
            )
        ) {
            let text: String = parts.concat();
            if let Err(e) = parse(&text) {
                // The line of an error is a line of the text.
                prop_assert!(e.line >= 1 && e.line <= text.matches('\n').count() + 1);
            }
        }

        #[test]
        fn a_written_value_reads_back(value in "[^\\x00]{1,40}") {
            // As `uci export` writes it: single quotes, a quote as '\''.
            let quoted = value.replace('\'', "'\\''");
            let text = format!("config t 'n'\n\toption v '{quoted}'\n");
            let p = parse(&text).unwrap();
            prop_assert_eq!(&p.sections[0].get("v").unwrap().value, &Value::Single(value));
        }
    }
}
