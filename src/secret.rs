//! Secrets as a type. A value that came from a secret source (a secret parameter, a secret
//! variable, a secret node output, or anything computed from one) is carried as [`Text`] with
//! `secret` set, and every printer shows it through [`Text::shown`]. Whether something is shown
//! is decided by where the value came from, never by searching output for secret text.

pub(crate) mod names;

use serde::{Serialize, Serializer};
use std::fmt;

/// What every output shows instead of a secret value, whole: a string with a secret anywhere in
/// it is secret as a whole, so neither its length nor its other parts are shown.
pub const MASK: &str = "•••";

/// A string and whether it derives from a secret.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Text {
    value: String,
    secret: bool,
    /// Computed from a secret (compared with something, sliced, tested): then even whether
    /// it is empty would tell of the secret, so it shows as the mask when empty too.
    computed: bool,
}

impl Text {
    /// A value that derives from no secret.
    pub fn plain(value: impl Into<String>) -> Text {
        Text {
            value: value.into(),
            secret: false,
            computed: false,
        }
    }

    /// A value that derives from a secret.
    pub fn secret(value: impl Into<String>) -> Text {
        Text {
            value: value.into(),
            secret: true,
            computed: false,
        }
    }

    /// `secret` decides which of the two.
    pub fn new(value: impl Into<String>, secret: bool) -> Text {
        Text {
            value: value.into(),
            secret,
            computed: false,
        }
    }

    /// A URL as runs show it: secret whole when it carries a credential typed in clear (user
    /// information, a credential parameter's value), the URL read as browsers read it.
    pub fn url(value: impl Into<String>) -> Text {
        names::url_shown(Text::plain(value))
    }

    /// A value computed from a secret: shown as the mask even when empty.
    pub fn computed(value: impl Into<String>) -> Text {
        Text {
            value: value.into(),
            secret: true,
            computed: true,
        }
    }

    /// Whether the value was computed from a secret (see [`Text::computed`]).
    pub fn is_computed(&self) -> bool {
        self.computed
    }

    /// The real value: for sending, comparing and computing, never for showing.
    pub fn expose(&self) -> &str {
        &self.value
    }

    /// Whether the value derives from a secret, and so shows as the mask.
    pub fn is_secret(&self) -> bool {
        self.secret
    }

    /// The value as any output shows it: [`MASK`] when it derives from a secret (an empty secret
    /// shows as empty: that it is empty is no secret; but not an empty value computed from one).
    pub fn shown(&self) -> &str {
        if self.secret && (self.computed || !self.value.is_empty()) {
            MASK
        } else {
            &self.value
        }
    }

    /// The same value, secret also when `secret` is.
    pub fn tainted_by(mut self, secret: bool) -> Text {
        self.secret |= secret;
        self
    }
}

/// Debug output never holds a secret either.
impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.shown(), f)
    }
}

/// Serialised (JSON traces) as it is shown.
impl Serialize for Text {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.shown())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_is_shown_whole_as_the_mask_whatever_its_length() {
        for value in ["p", "pa", "pas", "passphra", &"x".repeat(40)] {
            let t = Text::secret(value);
            assert_eq!(t.shown(), MASK);
            assert_eq!(format!("{t:?}"), format!("{MASK:?}"));
            assert_eq!(serde_json::to_string(&t).unwrap(), format!("\"{MASK}\""));
        }
        assert_eq!(Text::secret("").shown(), "");
        assert_eq!(Text::plain("p").shown(), "p");
        assert_eq!(Text::plain("p").tainted_by(true).shown(), MASK);
        // Whether a comparison with a secret came out empty is the secret's.
        assert_eq!(Text::computed("").shown(), MASK);
    }
}
