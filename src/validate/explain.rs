//! Schema errors in plain words, at the innermost value that is wrong.
//!
//! A JSON Schema validator reports a wrong value inside a `oneOf` as the
//! whole `oneOf` failing ("… is not valid under any of the schemas listed in
//! the 'oneOf' keyword", quoting the whole array). A person needs the one
//! value to fix. So each error is narrowed the way Python `jsonschema`'s
//! `best_match` narrows it ([`best_match`]): among the errors of the
//! branches, the deepest one, preferring a nested `anyOf`/`oneOf` (to narrow
//! again), then the branch whose `type` fits the value; when the best two
//! tie, the error stays where it is.
//!
//! The message is then written from the schema itself ([`Checker::words`]):
//! the node that failed gives the expected types, values or pattern, and its
//! `title` and `examples` annotations say what the value is (`42 should be a
//! string (an entity type such as "bold")`). A value is quoted only when it
//! is short; a long one is described (`this array (12 items)`).

use super::dates::{self, Offset};
use crate::error::{Error, ErrorKind, Position, Result};
use jsonschema::error::ValidationErrorKind as Kind;
use jsonschema::ValidationError;
use serde_json::Value;
use std::fmt::Write;

/// A value longer than this (compact JSON, in characters) is described,
/// not quoted.
const MAX_QUOTED: usize = 40;
/// Enum values listed in a message before `…`.
const MAX_LISTED: usize = 6;

/// One problem a schema found: where (a JSON pointer; `key` when the place
/// is the member's key rather than its value) and what, in words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Found {
    pub pointer: String,
    pub key: bool,
    pub message: String,
    /// `schema` for what any 2020-12 validator reports; `check` for what
    /// tgnorm asserts beyond it (`format`, which the standard leaves an
    /// annotation, and integers a 64-bit reader cannot hold).
    pub rule: &'static str,
    /// Missing keys of one object, gathered into one message.
    missing: Option<(Vec<String>, String)>,
}

impl Found {
    fn new(pointer: String, key: bool, message: String) -> Found {
        Found { pointer, key, message, rule: "schema", missing: None }
    }
}

/// A compiled schema and its document (for titles, examples, types).
pub(super) struct Checker {
    validator: jsonschema::Validator,
    doc: Value,
}

impl Checker {
    /// Compiles a bundled schema; `resources` are the schemas it refers to
    /// by `$id`. `format` keywords are assertions (`date-time`,
    /// `local-date-time`: a real date and time, see `dates.rs`).
    pub(super) fn new(schema: &str, resources: &[(&str, &str)]) -> Result<Checker> {
        let bad = |e: String| Error::new(Position::file("<bundled schema>"), ErrorKind::Data(e));
        let doc: Value = serde_json::from_str(schema).map_err(|e| bad(e.to_string()))?;
        let mut registry = jsonschema::Registry::new();
        for (uri, text) in resources {
            let value: Value = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
            registry = registry.add(*uri, value).map_err(|e| bad(e.to_string()))?;
        }
        let registry = registry.prepare().map_err(|e| bad(e.to_string()))?;
        let validator = jsonschema::options()
            .with_registry(&registry)
            .should_validate_formats(true)
            .with_format("date-time", dates::assert_date_time)
            .with_format("local-date-time", dates::assert_local_date_time)
            .build(&doc)
            .map_err(|e| bad(e.to_string()))?;
        Ok(Checker { validator, doc })
    }

    /// Every problem with `instance`, narrowed and in words, in the order
    /// the validator finds them; one line per problem (missing keys of one
    /// object are one problem).
    pub(super) fn problems(&self, instance: &Value) -> Vec<Found> {
        let mut out: Vec<Found> = Vec::new();
        for error in self.validator.iter_errors(instance) {
            let best = self.best_match(&error);
            for found in self.words(best) {
                merge(&mut out, found);
            }
        }
        if out.is_empty() {
            out = self.integers_in_disguise(instance);
        }
        out
    }

    /// True when [`Checker::problems`] would find nothing, found faster
    /// (the validator's own yes or no, without collecting errors).
    pub(super) fn is_valid(&self, instance: &Value) -> bool {
        self.validator.is_valid(instance) && self.integers_in_disguise(instance).is_empty()
    }

    /// JSON Schema counts `1.0` and `18446744073709551616` as integers; a
    /// reader holding 64-bit integers cannot. Such numbers (parsed as
    /// floats with no fraction) are replaced by `0.5` in a copy, and the
    /// schema says which of them stand where an integer must be.
    fn integers_in_disguise(&self, instance: &Value) -> Vec<Found> {
        let mut floats = Vec::new();
        integral_floats(instance, &mut String::new(), &mut floats);
        if floats.is_empty() {
            return Vec::new();
        }
        let mut probe = instance.clone();
        for (pointer, _) in &floats {
            if let Some(v) = probe.pointer_mut(pointer) {
                *v = Value::from(0.5);
            }
        }
        let mut out = Vec::new();
        for error in self.validator.iter_errors(&probe) {
            let pointer = error.instance_path().as_str();
            let Some((_, f)) = floats.iter().find(|(p, _)| p == pointer) else { continue };
            // Integers up to u64::MAX parse as integers; a float this large
            // was written beyond the range (or as an exponent that is).
            let message = if *f >= 1.8e19 || *f < -9.2e18 {
                format!("{f:.0} is beyond the range of a 64-bit integer")
            } else {
                format!(
                    "{} should be a whole number, written without a fraction or exponent",
                    Value::from(*f)
                )
            };
            let found = Found { rule: "check", ..Found::new(pointer.to_owned(), false, message) };
            merge(&mut out, found);
        }
        out
    }

    /// True when the value fits the `type` of the schema node the error's
    /// keyword belongs to (Python's `_matches_type`).
    /// A keyword inside `then`, `else` or `allOf` takes the type of the
    /// schema those belong to (a `text_link` part's `required` is still a
    /// part's, an object).
    fn matches_type(&self, e: &ValidationError<'_>) -> bool {
        let mut at = parent(e.schema_path().as_str());
        loop {
            if let Some(t) = self.node(&at).and_then(|n| n.get("type")) {
                return fits(e.instance(), t);
            }
            let up = parent(&at);
            let last = at.get(up.len()..).unwrap_or_default();
            let applicator = matches!(last, "/then" | "/else")
                || (up.ends_with("/allOf")
                    && last.get(1..).is_some_and(|n| n.parse::<u32>().is_ok()));
            if !applicator {
                return false;
            }
            at = if up.ends_with("/allOf") { parent(&up) } else { up };
        }
    }

    /// Python `jsonschema`'s relevance, smallest first: deeper, then
    /// `anyOf`/`oneOf` (to narrow further), then the value's type fits.
    fn relevance(&self, e: &ValidationError<'_>) -> (i64, bool, bool) {
        let depth = e.instance_path().as_str().matches('/').count() as i64;
        let weak = matches!(e.kind(), Kind::AnyOf { .. } | Kind::OneOfNotValid { .. });
        (-depth, !weak, !self.matches_type(e))
    }

    /// Narrows an `anyOf`/`oneOf` error to the error of its best branch,
    /// again and again, stopping where the best two tie.
    fn best_match<'e>(&self, error: &'e ValidationError<'e>) -> &'e ValidationError<'e> {
        let mut best = error;
        loop {
            let (Kind::AnyOf { context } | Kind::OneOfNotValid { context }) = best.kind() else {
                return best;
            };
            let mut ranked: Vec<(_, &ValidationError<'_>)> =
                context.iter().flatten().map(|e| (self.relevance(e), e)).collect();
            ranked.sort_by_key(|(key, _)| *key);
            match ranked.as_slice() {
                [(a, _), (b, _), ..] if a == b => return best,
                [(_, first), ..] => best = first,
                [] => return best,
            }
        }
    }

    /// The node a keyword belongs to, or, when that node is an untitled
    /// branch of a `oneOf`/`anyOf`, the titled node holding the branches
    /// (a peer id's string branch speaks as "a peer id").
    fn titled(&self, keyword: &str) -> Option<&Value> {
        let at = parent(keyword);
        let node = self.node(&at)?;
        if node.get("title").is_some() {
            return Some(node);
        }
        let up = parent(&at);
        let owner = up.strip_suffix("/oneOf").or_else(|| up.strip_suffix("/anyOf"));
        match owner.and_then(|o| self.node(o)) {
            Some(owner) if owner.get("title").is_some() => Some(owner),
            _ => Some(node),
        }
    }

    /// The schema node at a JSON pointer into the document.
    fn node(&self, pointer: &str) -> Option<&Value> {
        self.doc.pointer(pointer)
    }

    /// The problem(s) one error stands for, in words.
    fn words(&self, e: &ValidationError<'_>) -> Vec<Found> {
        let pointer = e.instance_path().as_str().to_owned();
        let path = e.schema_path().as_str();
        let node = self.titled(path);
        let value = e.instance();
        let shown = quote(value);
        let one = |message: String| vec![Found::new(pointer.clone(), false, message)];
        match e.kind() {
            Kind::AdditionalProperties { unexpected } => {
                let owner = self.object_noun(node, &pointer);
                unexpected
                    .iter()
                    .map(|k| {
                        let message =
                            format!("unknown key {k:?}: {owner} objects have no such key");
                        Found::new(format!("{pointer}/{}", escape(k)), true, message)
                    })
                    .collect()
            }
            Kind::FalseSchema => {
                // `properties: {"from": false}`: the key is known but not
                // allowed in this kind of object.
                let key = pointer.rsplit('/').next().unwrap_or_default().replace("~1", "/");
                let owner = self.node(&grandparent(path)).and_then(|n| self.noun(n, false));
                let message = match owner {
                    Some(owner) => format!("key {key:?} is not allowed in {owner}"),
                    None => format!("key {key:?} is not allowed here"),
                };
                vec![Found::new(pointer, true, message)]
            }
            Kind::Required { property } => {
                let key = property.as_str().unwrap_or_default();
                let owner = self.owner_of_required(path, &pointer);
                let mut found = Found::new(pointer.clone(), false, String::new());
                found.missing = Some((vec![key.to_owned()], owner));
                found.message = missing_message(&found);
                vec![found]
            }
            Kind::Type { .. } => {
                let own = self.node(&parent(path)).and_then(|n| n.get("type"));
                let expected = own.map(type_names);
                one(self.should_be(&shown, expected, node))
            }
            Kind::AnyOf { .. } | Kind::OneOfNotValid { .. } => one(self.no_branch(e, &shown)),
            Kind::Format { format } => {
                let offset =
                    if format == "local-date-time" { Offset::Forbidden } else { Offset::Optional };
                let why = value.as_str().and_then(|s| dates::check(s, offset).err());
                let message =
                    format!("{shown} {}", why.unwrap_or_else(|| format!("is not a {format}")));
                vec![Found { rule: "check", ..Found::new(pointer, false, message) }]
            }
            _ => one(self.other(e, &shown, node)),
        }
    }

    /// `V should be TYPES (a NOUN such as EXAMPLE)`.
    fn should_be(&self, shown: &str, expected: Option<String>, node: Option<&Value>) -> String {
        let expected = expected.unwrap_or_else(|| "something else".into());
        match node.and_then(|n| self.noun(n, true)) {
            Some(noun) => format!("{shown} should be {expected} ({noun})"),
            None => format!("{shown} should be {expected}"),
        }
    }

    /// An `anyOf`/`oneOf` the narrowing stopped at: the value's type fits
    /// no branch (then the types), or it fits and something else does not
    /// (then what the branches are).
    fn no_branch(&self, e: &ValidationError<'_>, shown: &str) -> String {
        let path = e.schema_path().as_str();
        let node = self.node(&parent(path));
        let branches: Vec<&Value> = self
            .node(path)
            .and_then(Value::as_array)
            .map(|a| a.iter().collect())
            .unwrap_or_default();
        let mut types: Vec<&str> = Vec::new();
        let mut all_known = true;
        for b in &branches {
            let b = self.deref(b);
            match branch_types(b) {
                Some(ts) => ts.into_iter().for_each(|t| {
                    if !types.contains(&t) {
                        types.push(t)
                    }
                }),
                None => all_known = false,
            }
        }
        let value = e.instance();
        let fits_some = types.iter().any(|t| fits(value, &Value::String((*t).to_owned())));
        if all_known && !types.is_empty() && !fits_some {
            let names: Vec<Value> = types.iter().map(|t| Value::String((*t).to_owned())).collect();
            return self.should_be(shown, Some(type_names(&Value::Array(names))), node);
        }
        if let Some(noun) = node.and_then(|n| self.noun(n, true)) {
            return format!("{shown} should be {noun}");
        }
        let described: Vec<String> = branches.iter().map(|b| self.describe(b)).collect();
        format!("{shown} should be {}", join_or(&described))
    }

    /// What a branch accepts, in words: its title, a constant, a list of
    /// values, or its types.
    fn describe(&self, branch: &Value) -> String {
        let b = self.deref(branch);
        if let Some(noun) = self.noun(b, true) {
            return noun;
        }
        if let Some(c) = b.get("const") {
            return c.to_string();
        }
        if let Some(values) = b.get("enum").and_then(Value::as_array) {
            return format!("one of {}", list(values));
        }
        if let Some(t) = b.get("type") {
            return type_names(t);
        }
        match b.get("required").and_then(Value::as_array).map(Vec::as_slice) {
            Some([key]) => format!("an object with the key {key}"),
            _ => "another form".into(),
        }
    }

    /// Enum, const, pattern, bounds, sizes: `V should be …`.
    fn other(&self, e: &ValidationError<'_>, shown: &str, node: Option<&Value>) -> String {
        let noun = node.and_then(|n| self.noun(n, true));
        match (e.kind(), noun) {
            (Kind::Enum { options }, _) => match options.as_array() {
                Some(values) => format!("{shown} should be one of {}", list(values)),
                None => format!("{shown} is not an allowed value"),
            },
            (Kind::Constant { expected_value }, _) => {
                format!("{shown} should be {expected_value}")
            }
            (Kind::Pattern { .. }, Some(noun)) => format!("{shown} should be {noun}"),
            (Kind::Pattern { pattern }, None) => format!("{shown} does not match {pattern}"),
            (Kind::Minimum { limit }, _) => format!("{shown} should be at least {limit}"),
            (Kind::Maximum { limit }, _) => format!("{shown} should be at most {limit}"),
            (Kind::MinItems { limit }, _) => format!("{shown} should have at least {limit} items"),
            (Kind::MaxItems { limit }, _) => format!("{shown} should have at most {limit} items"),
            (Kind::MinProperties { limit }, _) => format!(
                "{shown} should have at least {limit} key{} (leave the key out when empty)",
                if *limit == 1 { "" } else { "s" }
            ),
            (Kind::UniqueItems, _) => format!("{shown} lists an item twice"),
            (Kind::Not { .. }, _) => format!("{shown} is not allowed here"),
            _ => e.to_string(),
        }
    }

    /// `a NOUN such as EXAMPLE` from a node's `title` and `examples`
    /// (the example only with `example`).
    fn noun(&self, node: &Value, example: bool) -> Option<String> {
        let title = node.get("title")?.as_str()?;
        let mut out = format!("{} {title}", article(title));
        if let (true, Some(ex)) = (example, node.get("examples").and_then(|e| e.get(0))) {
            out.push_str(&format!(" such as {ex}"));
        }
        Some(out)
    }

    /// The noun for objects of a node (`post objects`): its title, else the
    /// key the object is under.
    fn object_noun(&self, node: Option<&Value>, pointer: &str) -> String {
        if let Some(title) = node.and_then(|n| n.get("title")).and_then(Value::as_str) {
            return title.to_owned();
        }
        let last = pointer.rsplit('/').find(|s| s.parse::<u64>().is_err()).unwrap_or_default();
        if last.is_empty() {
            "these".into()
        } else {
            last.replace("~1", "/").replace("~0", "~")
        }
    }

    /// Who must have a required key: the title of the node holding
    /// `required` (or of the schema it is a `then` of), else the key the
    /// object is under.
    fn owner_of_required(&self, path: &str, pointer: &str) -> String {
        let node = self.node(&parent(path));
        if let Some(noun) = node.and_then(|n| self.noun(n, false)) {
            return noun;
        }
        let mut up = parent(path);
        while !up.is_empty() {
            up = parent(&up);
            let titled = self.node(&up).and_then(|n| self.noun(n, false));
            if let Some(noun) = titled {
                return noun;
            }
            if up.ends_with("/properties") || up.ends_with("/items") {
                break;
            }
        }
        match self.object_noun(None, pointer).as_str() {
            "these" => "the top-level object".into(),
            key => format!("{} {key:?} object", article(key)),
        }
    }

    /// Follows a local `$ref` (`#/$defs/…`) once.
    fn deref<'v>(&'v self, node: &'v Value) -> &'v Value {
        node.get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix('#'))
            .and_then(|p| self.node(p))
            .unwrap_or(node)
    }
}

/// The pointers of every number in `value` parsed as a float without a
/// fraction (`1.0`, `1e3`, integers beyond 64 bits).
fn integral_floats(value: &Value, at: &mut String, out: &mut Vec<(String, f64)>) {
    let len = at.len();
    match value {
        Value::Number(n) if n.is_f64() => {
            if let Some(f) = n.as_f64().filter(|f| f.fract() == 0.0) {
                out.push((at.clone(), f));
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let _ = write!(at, "/{i}");
                integral_floats(item, at, out);
                at.truncate(len);
            }
        }
        Value::Object(members) => {
            for (k, v) in members {
                at.push('/');
                at.push_str(&escape(k));
                integral_floats(v, at, out);
                at.truncate(len);
            }
        }
        _ => {}
    }
}

/// Adds a problem: missing keys of one object join one message; any other
/// problem at a place that already has one is left out (two keywords of
/// one node often say the same thing, e.g. `pattern` and `format`).
fn merge(out: &mut Vec<Found>, found: Found) {
    let same_place = |f: &Found| {
        f.pointer == found.pointer
            && f.key == found.key
            && f.missing.is_some() == found.missing.is_some()
    };
    match (out.iter_mut().find(|f| same_place(f)), found.missing) {
        (Some(f), Some((keys, owner))) => {
            if let Some((all, first_owner)) = f.missing.as_mut() {
                if *first_owner == owner {
                    all.extend(keys);
                    f.message = missing_message(f);
                    return;
                }
            }
            out.push(Found { missing: Some((keys, owner)), ..found });
        }
        (Some(_), None) => {}
        (None, missing) => out.push(Found { missing, ..found }),
    }
}

/// `missing key "id" (a post must have it)`, `missing keys "id" and "kind" (…)`.
fn missing_message(found: &Found) -> String {
    let Some((keys, owner)) = &found.missing else { return found.message.clone() };
    let quoted: Vec<String> = keys.iter().map(|k| format!("{k:?}")).collect();
    match quoted.as_slice() {
        [one] => format!("missing key {one} ({owner} must have it)"),
        [first @ .., _] if quoted.len() > SHOWN_KEYS => format!(
            "missing {} keys: {}, … ({owner} must have them all; `tgnorm schema` lists them)",
            quoted.len(),
            first.get(..SHOWN_KEYS - 1).unwrap_or(first).join(", ")
        ),
        _ => format!("missing keys {} ({owner} must have them)", join_and(&quoted)),
    }
}

/// How many missing keys a message names before it only counts the rest
/// (an empty object misses all 18 of a post's).
const SHOWN_KEYS: usize = 4;

/// `a and b`, `a, b and c`.
fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// The pointer one level up (`/a/b/c` → `/a/b`).
fn parent(pointer: &str) -> String {
    pointer.rsplit_once('/').map(|(head, _)| head.to_owned()).unwrap_or_default()
}

fn grandparent(pointer: &str) -> String {
    parent(&parent(pointer))
}

/// A JSON pointer token for a key.
fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// `a` or `an` before a noun.
fn article(noun: &str) -> &'static str {
    let lower = noun.to_lowercase();
    let vowel = lower.starts_with(['a', 'e', 'i', 'o', 'u']);
    if vowel && !lower.starts_with("uni") && !lower.starts_with("us") {
        "an"
    } else {
        "a"
    }
}

/// The value quoted when short, else described by kind and size.
fn quote(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() <= MAX_QUOTED {
        return text;
    }
    match value {
        Value::String(s) => format!("this string ({} characters)", s.chars().count()),
        Value::Array(a) => format!("this array ({} items)", a.len()),
        Value::Object(o) => format!("this object ({} keys)", o.len()),
        _ => text,
    }
}

/// `"a", "b" or "c"`; long lists cut (`"a", "b", … (20 in all)`).
fn list(values: &[Value]) -> String {
    let shown: Vec<String> = values.iter().take(MAX_LISTED).map(Value::to_string).collect();
    if values.len() > MAX_LISTED {
        format!("{}, … ({} in all)", shown.join(", "), values.len())
    } else {
        join_or(&shown)
    }
}

/// `a`, `a or b`, `a, b or c`.
fn join_or(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// `a string`, `a string or null` from a `type` keyword's value.
fn type_names(types: &Value) -> String {
    let name = |t: &str| -> String {
        match t {
            "string" => "a string".into(),
            "integer" => "an integer".into(),
            "number" => "a number".into(),
            "object" => "an object".into(),
            "array" => "an array".into(),
            "boolean" => "true or false".into(),
            "null" => "null".into(),
            other => other.to_owned(),
        }
    };
    match types {
        Value::String(t) => name(t),
        Value::Array(ts) => {
            let names: Vec<String> = ts.iter().filter_map(Value::as_str).map(name).collect();
            join_or(&names)
        }
        _ => "something else".into(),
    }
}

/// The JSON types a branch accepts, when it says (`type`, `const`,
/// `enum`); `None` when it does not.
fn branch_types(branch: &Value) -> Option<Vec<&'static str>> {
    let of = |v: &Value| -> &'static str {
        match v {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(n) if n.is_f64() => "number",
            Value::Number(_) => "integer",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        }
    };
    let known = |t: &str| -> Option<&'static str> {
        ["null", "boolean", "number", "integer", "string", "array", "object"]
            .into_iter()
            .find(|k| *k == t)
    };
    if let Some(t) = branch.get("type") {
        return match t {
            Value::String(s) => known(s).map(|k| vec![k]),
            Value::Array(ts) => ts.iter().map(|t| t.as_str().and_then(known)).collect(),
            _ => None,
        };
    }
    if let Some(c) = branch.get("const") {
        return Some(vec![of(c)]);
    }
    let values = branch.get("enum")?.as_array()?;
    let mut out: Vec<&'static str> = Vec::new();
    for v in values {
        if !out.contains(&of(v)) {
            out.push(of(v));
        }
    }
    Some(out)
}

/// True when `value` is of the JSON Schema type(s) in `types`.
fn fits(value: &Value, types: &Value) -> bool {
    let one = |t: &str| match t {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "string" => value.is_string(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        "number" => value.is_number(),
        "integer" => {
            value.is_i64() || value.is_u64() || value.as_f64().is_some_and(|f| f.fract() == 0.0)
        }
        _ => false,
    };
    match types {
        Value::String(t) => one(t),
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).any(one),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn found(schema: &str, instance: Value) -> Vec<(String, bool, String)> {
        let checker = Checker::new(schema, &[]).unwrap();
        checker.problems(&instance).into_iter().map(|f| (f.pointer, f.key, f.message)).collect()
    }

    /// The error inside `text` (a `oneOf` of a string and an array of
    /// `oneOf` string-or-part) is narrowed to the part's `type`.
    #[test]
    fn narrows_to_the_innermost_value() {
        let message = json!({"id": 1, "type": "message", "date": "2024-01-01T00:00:00",
            "text": ["a", {"type": 42, "text": "6/10"}]});
        let got = found(crate::schema::TDESKTOP_MESSAGE, message);
        let want = "42 should be a string (an entity type such as \"bold\")";
        assert_eq!(got, [("/text/1/type".to_owned(), false, want.to_owned())]);
    }

    /// A branch whose type fits wins over one whose type does not; a tie
    /// stays at the `oneOf` and lists the branches.
    #[test]
    fn prefers_the_branch_whose_type_fits() {
        let part = json!({"id": 1, "type": "message", "date": "2024-01-01T00:00:00",
            "text": [{"type": "text_link", "text": "x"}]});
        let got = found(crate::schema::TDESKTOP_MESSAGE, part);
        let want = "missing key \"href\" (a text_link part must have it)";
        assert_eq!(got, [("/text/0".to_owned(), false, want.to_owned())]);
        let post = json!({"edited_at": false, "date": "2020-11-12T12:53:52"});
        let got = found(crate::schema::POST, post);
        let at = |pointer: &str| got.iter().find(|(p, _, _)| p == pointer).unwrap().2.clone();
        assert_eq!(at("/edited_at"), "false should be a string or null");
        assert_eq!(
            at("/date"),
            "\"2020-11-12T12:53:52\" should be a date-time with an offset such as \"2024-07-04T10:15:00+05:30\""
        );
        let got = found(crate::schema::POST, json!({"edited": false}));
        assert_eq!(
            got.iter().find(|(p, _, _)| p == "/edited").unwrap().2,
            "false should be one of true or null"
        );
    }

    /// Missing keys of one object are one problem; unknown keys one each,
    /// at the key.
    #[test]
    fn keys_missing_and_unknown() {
        let got = found(crate::schema::POST, json!({"Ben": 1, "Jerry": 2}));
        assert_eq!(got.len(), 3, "{got:?}");
        assert_eq!(
            got[0].2,
            "missing 19 keys: \"chat\", \"id\", \"kind\", … (a post must have them all; \
             `tgnorm schema` lists them)"
        );
        assert_eq!(
            got[1],
            ("/Ben".to_owned(), true, "unknown key \"Ben\": post objects have no such key".into())
        );
        assert_eq!(got[2].0, "/Jerry");
    }

    #[test]
    fn values_are_quoted_only_when_short() {
        assert_eq!(quote(&json!([1, 2])), "[1,2]");
        assert_eq!(
            quote(&json!(["a long string value here", "and another one"])),
            "this array (2 items)"
        );
        assert_eq!(quote(&json!("x".repeat(50))), "this string (50 characters)");
        assert_eq!(article("entity type"), "an");
        assert_eq!(article("Unix time string"), "a");
        assert_eq!(list(&[json!("a"), json!("b"), json!("c")]), "\"a\", \"b\" or \"c\"");
    }

    /// `1.0` and 2^64 pass JSON Schema's `integer` but not a 64-bit reader.
    #[test]
    fn integers_in_disguise() {
        let m = json!({"id": 1.0, "type": "message", "date": "2024-01-01T00:00:00", "text": "",
            "width": 18446744073709551616.0_f64, "location_information": {"latitude": 2.0, "longitude": 1.5}});
        let got = found(crate::schema::TDESKTOP_MESSAGE, m);
        assert_eq!(
            got,
            [
                (
                    "/id".to_owned(),
                    false,
                    "1.0 should be a whole number, written without a fraction or exponent".into()
                ),
                (
                    "/width".to_owned(),
                    false,
                    "18446744073709551616 is beyond the range of a 64-bit integer".into()
                ),
            ]
        );
    }
}
