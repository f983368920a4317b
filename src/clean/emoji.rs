//! TEMPORARY stand-in until the real emoji pass lands.
#![allow(missing_docs)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum EmojiMode {
    #[default]
    Qualify,
    Keep,
    Strip,
    Shortcode,
}
impl std::str::FromStr for EmojiMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "qualify" => Self::Qualify,
            "keep" => Self::Keep,
            "strip" => Self::Strip,
            "shortcode" => Self::Shortcode,
            _ => return Err(format!("unknown emoji mode `{s}`")),
        })
    }
}
impl EmojiMode {
    pub const ALL: [&'static str; 4] = ["qualify", "keep", "strip", "shortcode"];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Qualify => "qualify",
            Self::Keep => "keep",
            Self::Strip => "strip",
            Self::Shortcode => "shortcode",
        }
    }
}
pub fn apply(_text: &str, _mode: EmojiMode) -> Option<String> {
    None
}
