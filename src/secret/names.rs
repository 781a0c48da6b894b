//! Where a name says a secret is: the one word list that decides which variables hold secrets
//! (what `check` calls a credential-named or sensitive variable), which request headers and
//! which query parameters carry credentials, for both targets: a Flow Designer flow's
//! variables, headers, query parameters and URL parameters, and the headers and URL parameters
//! of a Webex Connect run's requests. Told by the words of a name, never by a value.

/// The words of a name: split at anything but letters (digits too: `ApiKey2` names a key as
/// `ApiKey` does) and at camelCase humps, lowercased (`JDSToken` -> jds, token;
/// `x-token-passphrase` -> x, token, passphrase).
fn words(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut words = Vec::new();
    let mut word = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_ascii_alphabetic() {
            if !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
            continue;
        }
        let hump = c.is_ascii_uppercase()
            && i > 0
            && (chars[i - 1].is_ascii_lowercase()
                || (chars[i - 1].is_ascii_uppercase()
                    && chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase())));
        if hump && !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
        word.push(c.to_ascii_lowercase());
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// Whether a variable or parameter name says it carries a credential: its last word is one
/// (`botToken`, `x-token-passphrase`; not `TokenSource`).
pub(crate) fn is_credential_name(name: &str) -> bool {
    const LAST: [&str; 9] = [
        "token",
        "passphrase",
        "password",
        "passwd",
        "secret",
        "apikey",
        "credential",
        "credentials",
        "authorization",
    ];
    let w = words(name);
    w.last().is_some_and(|last| LAST.contains(&last.as_str()))
        || w.windows(2)
            .last()
            .is_some_and(|p| p[0] == "api" && p[1] == "key")
}

/// What a variable's name says it holds, when that is sensitive: a card number, a CVV or CVC,
/// a PIN, a password, passcode or passphrase, a token or one-time code (`otp`), a secret or an
/// API key. Told by the words of the
/// name (`subFlowCVV_makePayment` -> sub, flow, cvv, make, payment), so that `shipping` is no
/// PIN; a name whose last word says it is about the thing rather than the thing itself
/// (`tokenUrl`, `TokenSource`, `pinLength`, `passwordPolicy`) is not taken.
pub(crate) fn sensitive_name(name: &str) -> Option<&'static str> {
    const ABOUT: [&str; 20] = [
        "url", "uri", "endpoint", "host", "source", "status", "type", "length", "len", "count",
        "attempts", "retries", "policy", "hint", "prompt", "label", "message", "error", "expiry",
        "expires",
    ];
    let w = words(name);
    if w.last().is_some_and(|last| ABOUT.contains(&last.as_str())) {
        return None;
    }
    let has = |word: &str| w.iter().any(|x| x == word);
    let pair = |a: &str, b: &str| w.windows(2).any(|p| p[0] == a && p[1] == b);
    Some(
        if pair("card", "number") || has("cardnumber") || (has("pan") && has("card")) {
            "a card number"
        } else if has("cvv") || has("cvc") || has("cvv2") || has("cvc2") {
            "a card security code"
        } else if has("pin") {
            "a PIN"
        } else if has("password") || has("passwd") || has("pwd") || has("passcode") {
            "a password"
        } else if has("passphrase") {
            "a passphrase"
        } else if has("token") || has("otp") || has("totp") {
            "a token"
        } else if has("secret") {
            "a secret"
        } else if has("apikey") || pair("api", "key") {
            "an API key"
        } else {
            return None;
        },
    )
}

/// Whether a variable's name says it holds a secret: a credential name ([`is_credential_name`])
/// or a sensitive one ([`sensitive_name`]).
pub(crate) fn is_secret_name(name: &str) -> bool {
    is_credential_name(name) || sensitive_name(name).is_some()
}

/// A header or query parameter name that carries a credential: a name a variable holding a
/// secret has ([`is_secret_name`]: `x-token-passphrase`, `pwd`, `pin`, `cvv`), a key (`key`,
/// `x-api-key`), or a cookie (`Cookie`, which the runner's HTTP client drops on a cross-origin
/// redirect as it does `Authorization`). Told of the name as the server reads it: a query
/// parameter written percent-encoded (`ke%79`) is `key` to it.
pub(crate) fn is_credential_header(name: &str) -> bool {
    // Asked of the same few names (`id`, `Accept`) for every request of a flow: remembered.
    thread_local! {
        static KNOWN: std::cell::RefCell<std::collections::HashMap<String, bool>> =
            Default::default();
    }
    if let Some(known) = KNOWN.with(|k| k.borrow().get(name).copied()) {
        return known;
    }
    let answer = credential_header_words(name);
    KNOWN.with(|k| {
        let mut known = k.borrow_mut();
        // Bounded: names are a flow's few, but a file may hold many.
        if known.len() >= 4096 {
            known.clear();
        }
        known.insert(name.to_string(), answer);
    });
    answer
}

/// [`is_credential_header`], worked out.
fn credential_header_words(name: &str) -> bool {
    let name = percent_decoded(name);
    // Header names are read in any case (`PiN` is `pin` to a server): the name is also read
    // lowercased whole, where its humps would split it (`PiN` -> pi, n).
    [name.to_string(), name.to_ascii_lowercase()]
        .iter()
        .any(|name| {
            is_secret_name(name)
                || words(name)
                    .last()
                    .is_some_and(|w| w == "key" || w == "cookie")
        })
}

/// Whether a property of an activity whose kind is not known says it may carry a credential
/// or where one is sent: a word of its name is (or begins with) `url`, `uri`, `header`, `auth`,
/// `password`, `token`, `key`, `secret` or `cookie` (`httpRequestUrl`, `requestHeaders`,
/// `authToken`, `apiKey`), or it is a credential name ([`is_credential_header`]: `pin`, `pwd`).
/// The conservative reading: what such a property holds cannot be told apart, so any typed
/// value there is taken for a credential [assumed]. `authenticated` (HTTP requests' flag) says
/// whether, not what: it is not taken.
pub(crate) fn may_name_credential_place(name: &str) -> bool {
    // `pass` for passwords, passcodes and passphrases; `conn`ection strings, which carry a
    // password; `cred`entials; `otp`, `jwt`, `sas`, `pem`, `session` and `signature` for codes,
    // tokens, keys and signed requests; `auth` anywhere (`oauth`); a word ending in `url` or
    // `uri` (`myurl`, `proxyuris`) names one too.
    const STEMS: [&str; 17] = [
        "url",
        "uri",
        "header",
        "pass",
        "pwd",
        "token",
        "key",
        "secret",
        "cookie",
        "bearer",
        "connection",
        "connstr",
        "cred",
        "signature",
        "session",
        "jwt",
        "pincode",
    ];
    let decoded = percent_decoded(name);
    // Also read lowercased whole, where humps would split a word (`URLs` -> ur, ls).
    let lower = decoded.to_ascii_lowercase();
    (words(&decoded).iter().chain(&words(&lower))).any(|w| {
        w != "authenticated"
            && (STEMS.iter().any(|stem| w.starts_with(stem))
                || w.contains("auth")
                || ["url", "uri", "urls", "uris", "otp"]
                    .iter()
                    .any(|end| w.ends_with(end))
                || ["sas", "pem", "conn"].contains(&w.as_str()))
    }) || is_credential_header(&decoded)
}

/// The headers HTTP itself carries credentials in.
pub(crate) const HTTP_CREDENTIAL_HEADERS: [&str; 3] =
    ["authorization", "proxy-authorization", "cookie"];

/// A request header's value as a run shows it: secret also when the header carries a credential
/// by its name (one of HTTP's own, or [`is_credential_header`]: `x-api-key`, `pin`), whatever it
/// was made from. Both runners show requests through it.
pub(crate) fn header_value_shown(name: &str, value: super::Text) -> super::Text {
    // A header of any name that carries a URL with a credential carries the credential.
    let url = text_carries_url_credential(value.expose(), &[]);
    value.tainted_by(is_credential_place(name) || url)
}

/// A request URL as a run shows it: secret whole also when a query parameter named as a
/// credential (`?pwd=`, `?apikey=`) has a value, or the URL has user information (a user name,
/// with or without a password: `https://TOKEN@host`).
pub(crate) fn url_shown(url: super::Text) -> super::Text {
    let text = url.expose();
    let named = credential_parameters(text)
        .iter()
        .any(|(_, value)| !value.is_empty())
        || url_userinfo(text).is_some_and(|u| !u.is_empty());
    url.tainted_by(named)
}

/// How a target writes what is not typed text in a value: Flow Designer's Pebble blocks.
pub(crate) const PEBBLE_BLOCKS: &[(&str, &str)] = &[("{{", "}}")];

/// How a Webex Connect spec or document writes what is not typed text: `$(...)` references,
/// and template tags (`{{ ... }}`, `{% ... %}`) before rendering.
pub(crate) const CONNECT_REFERENCES: &[(&str, &str)] = &[("$(", ")"), ("{{", "}}"), ("{%", "%}")];

/// The text of a value outside references (`delimiters`: what a target reads as a name, not
/// as text) and auth scheme words (`Bearer`, `Basic`, `Token`, `Digest`): what was typed. An
/// unclosed opening hides the rest, as the target reads it as one.
pub(crate) fn literal_part(value: &str, delimiters: &[(&str, &str)]) -> String {
    outside_references(value, delimiters)
        .split_whitespace()
        .filter(|w| {
            !matches!(
                w.to_ascii_lowercase().as_str(),
                "bearer" | "basic" | "token" | "digest"
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether a part of a URL (its user information, a query parameter's value) holds typed text:
/// anything outside references but blanks. No word is excused here, as in a header's value an
/// auth scheme word is: `https://token@host` sends `token` as the user name.
pub(crate) fn url_part_typed(part: &str, delimiters: &[(&str, &str)]) -> bool {
    !outside_references(part, delimiters).trim().is_empty()
}

/// The text of a value outside references, as written.
fn outside_references(value: &str, delimiters: &[(&str, &str)]) -> String {
    let mut out = String::new();
    let mut rest = value;
    loop {
        let first = delimiters
            .iter()
            .filter_map(|(open, close)| rest.find(open).map(|at| (at, *open, *close)))
            .min_by_key(|(at, _, _)| *at);
        let Some((at, open, close)) = first else {
            break;
        };
        out.push_str(&rest[..at]);
        let inner = &rest[at + open.len()..];
        rest = inner
            .find(close)
            .map_or("", |end| &inner[end + close.len()..]);
    }
    out.push_str(rest);
    out
}

/// Whether a request header's name says it carries a credential: one of HTTP's own
/// (`Authorization`, `Cookie`) or [`is_credential_header`] (`x-api-key`, `pin`).
pub(crate) fn is_credential_place(name: &str) -> bool {
    HTTP_CREDENTIAL_HEADERS
        .iter()
        .any(|c| c.eq_ignore_ascii_case(name))
        || is_credential_header(name)
}

/// Whether a header, as written, types a credential in clear: its name carries one
/// ([`is_credential_place`]) and its value holds typed text ([`literal_part`]), not only
/// references. Such a value is secret by its place, whatever it says.
pub(crate) fn header_types_credential(
    name: &str,
    value: &str,
    delimiters: &[(&str, &str)],
) -> bool {
    is_credential_place(name) && !literal_part(value, delimiters).is_empty()
}

/// As [`header_types_credential`], for a Webex Connect request: the headers its flow lists in
/// `[flow] credential_headers` (`declared`) carry credentials too, and a header of any name
/// whose value types a URL with a credential in clear (`Referer: https://user:pass@host/`), as
/// in a Flow Designer request.
pub(crate) fn connect_header_types_credential(
    name: &str,
    value: &str,
    declared: &[String],
) -> bool {
    let declared = declared.iter().any(|d| d.eq_ignore_ascii_case(name));
    header_types_credential(name, value, CONNECT_REFERENCES)
        || (declared && !literal_part(value, CONNECT_REFERENCES).is_empty())
        || text_carries_url_credential(value, CONNECT_REFERENCES)
}

/// Where a URL, as written, carries a credential in clear: a credential-named query parameter
/// with a typed value (`?apikey=...`), or user information with typed text in it
/// (`https://user:pass@host`, `https://TOKEN@host`). Places as reviewers read them; none when
/// the URL's credentials are references or absent.
pub(crate) fn url_credentials(url: &str, delimiters: &[(&str, &str)]) -> Vec<String> {
    let mut found: Vec<String> = credential_parameters(url)
        .into_iter()
        .filter(|(_, value)| url_part_typed(value, delimiters))
        .map(|(name, _)| format!("URL parameter `{name}`"))
        .collect();
    if url_userinfo(url).is_some_and(|userinfo| url_part_typed(userinfo, delimiters)) {
        found.push("URL user information".to_string());
    }
    found
}

/// The byte ranges of `url` a request sends as a credential: its user information and each
/// credential query parameter's value ([`url_userinfo`], [`credential_parameters`]), empty
/// ones left out.
pub(crate) fn credential_ranges(url: &str) -> Vec<std::ops::Range<usize>> {
    // Both readers give slices of `url` itself: where each lies is its offset from the start.
    let range = |part: &str| {
        let start = (part.as_ptr() as usize).wrapping_sub(url.as_ptr() as usize);
        start..start + part.len()
    };
    let parameters = credential_parameters(url)
        .into_iter()
        .map(|(_, value)| value);
    (parameters.chain(url_userinfo(url)))
        .filter(|part| !part.is_empty())
        .map(range)
        .collect()
}

/// The names whose values, put in `template` in place of what they stand for (`places`: each
/// name with the byte range it replaces, in order), land in what the URL made sends as a
/// credential ([`credential_ranges`]). A name with no value puts nothing in place.
pub(crate) fn credential_sources<'t>(
    template: &str,
    places: Vec<(&'t str, std::ops::Range<usize>)>,
    mut value: impl FnMut(&str) -> Option<String>,
) -> Vec<&'t str> {
    if places.is_empty() {
        return Vec::new();
    }
    let mut url = String::with_capacity(template.len());
    let mut placed = Vec::with_capacity(places.len());
    let mut last = 0;
    for (name, range) in places {
        url.push_str(template.get(last..range.start).unwrap_or_default());
        let start = url.len();
        url.push_str(&value(name).unwrap_or_default());
        placed.push((name, start..url.len()));
        last = range.end;
    }
    url.push_str(template.get(last..).unwrap_or_default());
    let credentials = credential_ranges(&url);
    let overlaps = |at: &std::ops::Range<usize>| {
        !at.is_empty() && (credentials.iter()).any(|c| at.start < c.end && c.start < at.end)
    };
    let mut sources: Vec<&str> = (placed.into_iter())
        .filter(|(_, at)| overlaps(at))
        .map(|(name, _)| name)
        .collect();
    sources.sort_unstable();
    sources.dedup();
    sources
}

/// Whether `text` carries a URL with a credential typed in clear anywhere in it: at its start
/// ([`url_credentials`]), or further in, as a person reading the text would take it: from any
/// scheme followed by a slash or backslash (`see https://user:pass@host`, `HTTPS:\\u:p@h`), or
/// from a web scheme with none (`see https:user:pass@host`), read up to the next space.
pub(crate) fn text_carries_url_credential(text: &str, delimiters: &[(&str, &str)]) -> bool {
    if !url_credentials(text, delimiters).is_empty() {
        return true;
    }
    // Words, as far as a space: a browser drops tabs and line breaks inside a URL.
    for word in text.split(' ') {
        let mut read = 0;
        for (at, _) in word.match_indices(':') {
            // The scheme's first letter: back over letters, digits, `+`, `-` and `.`.
            let start = word[..at]
                .char_indices()
                .rev()
                .take_while(|(_, c)| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
                .last()
                .map_or(at, |(i, _)| i);
            let scheme = &word[start..at];
            let slashed = word[at + 1..].starts_with(['/', '\\']);
            let web = WEB_SCHEMES.iter().any(|w| scheme.eq_ignore_ascii_case(w));
            if scheme.is_empty() || !(slashed || web) {
                continue;
            }
            // Each reading runs to the word's end: past a bound, a word this full of schemes
            // is taken for one that carries a credential, rather than read for ever.
            read += 1;
            if read > 64 || !url_credentials(&word[start..], delimiters).is_empty() {
                return true;
            }
        }
    }
    false
}

/// A URL as a diagnostic's message quotes it: a Webex Connect URL with each credential typed
/// in clear shown as [`super::MASK`] ([`url_with_credentials_masked`]). Text that is no URL
/// to a browser (a message is often about such text: `http s://user:pass@host`) still has what
/// stands between `://` and the `@` before the host hidden: it was typed as user information.
pub(crate) fn url_in_message(url: &str) -> String {
    let masked = url_with_credentials_masked(url, CONNECT_REFERENCES);
    if url_userinfo(url).is_some() {
        return masked;
    }
    let Some(at) = masked.find("://").map(|i| i + 3) else {
        return masked;
    };
    let authority_end = masked[at..]
        .find(['/', '\\', '?', '#'])
        .map_or(masked.len(), |i| at + i);
    match masked[at..authority_end].rfind('@') {
        Some(i) => format!("{}{}{}", &masked[..at], super::MASK, &masked[at + i..]),
        None => masked,
    }
}

/// A URL as a sheet shows it: each credential typed in clear ([`url_credentials`]: the user
/// information, a credential parameter's value) replaced by [`super::MASK`], the rest as written, so that a
/// person still reads where the request goes.
pub(crate) fn url_with_credentials_masked(url: &str, delimiters: &[(&str, &str)]) -> String {
    let offset = |part: &str| part.as_ptr() as usize - url.as_ptr() as usize;
    let mut ranges: Vec<std::ops::Range<usize>> = credential_parameters(url)
        .into_iter()
        .filter(|(_, value)| url_part_typed(value, delimiters))
        .map(|(_, value)| offset(value)..offset(value) + value.len())
        .collect();
    if let Some(p) = url_userinfo(url).filter(|p| url_part_typed(p, delimiters)) {
        ranges.push(offset(p)..offset(p) + p.len());
    }
    ranges.sort_by_key(|r| r.start);
    let mut out = String::new();
    let mut at = 0;
    for r in ranges {
        if r.start < at {
            continue;
        }
        out.push_str(&url[at..r.start]);
        out.push_str(super::MASK);
        at = r.end;
    }
    out.push_str(&url[at..]);
    out
}

/// `%XX` escapes decoded (anything else kept as it is; invalid UTF-8 replaced).
fn percent_decoded(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains('%') {
        return std::borrow::Cow::Borrowed(text);
    }
    let bytes = text.as_bytes();
    let hex = |b: u8| char::from(b).to_digit(16);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| Some((hex(*bytes.get(i + 1)?)?, hex(*bytes.get(i + 2)?)?)))
            .flatten();
        match escaped {
            Some((high, low)) => {
                out.push((high * 16 + low) as u8);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    std::borrow::Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

/// The parameters of a URL whose names say they carry a credential ([`is_credential_header`]),
/// as (name, value) in the order written (`?apikey=k1&pwd=p` gives both). Parameters are read
/// as servers commonly read them [assumed]: after the first `?`, separated by `&`, by `;` or by
/// a further `?` (`?a=1;apikey=k` and `?a=1?apikey=k` both give `apikey`), and in the path as
/// a segment's parameters after a `;` (`/v1;apikey=k/x`), so that a credential is found
/// whichever of these ways a server splits the URL.
pub(crate) fn credential_parameters(url: &str) -> Vec<(&str, &str)> {
    // A fragment is not sent, but is shown with the URL: a credential there is one all the same.
    let (path, query) = match url.split_once('?') {
        Some(split) => split,
        None => url.split_once('#').unwrap_or((url, "")),
    };
    let segments = path.split(['/', '\\', '#']);
    let matrix = segments.flat_map(|segment| segment.split(';').skip(1));
    matrix
        .chain(query.split(['&', ';', '?', '#']))
        .filter_map(|pair| pair.split_once('='))
        .filter(|(name, _)| is_credential_header(&without_tabs_or_newlines(name)))
        .collect()
}

/// Text with ASCII tabs and line breaks left out, as browsers read a URL (`ht\ttps://` is
/// `https://`).
fn without_tabs_or_newlines(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains(['\t', '\n', '\r']) {
        std::borrow::Cow::Owned(text.replace(['\t', '\n', '\r'], ""))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// The schemes whose URLs need no slash before their authority (WHATWG's special schemes).
const WEB_SCHEMES: [&str; 5] = ["http", "https", "ws", "wss", "ftp"];

/// The user information of a URL (`https://user:pass@host/` gives `user:pass`,
/// `https://TOKEN@host/` gives `TOKEN`), when it has one: a credential whole, with or without a
/// password, since an HTTP client sends it as Basic authentication (`run --live` does).
/// Read as browsers read a URL of a web scheme (the WHATWG URL standard), whatever the case of
/// the scheme: any run of `/` and `\` after `scheme:` starts the authority, a `\` ends it as a
/// `/` does, and the last `@` before its end ends the user information
/// (`HTTPS:/\user:pass@host` has the user information `user:pass`). Leading spaces and control
/// characters are passed over, and a web scheme's authority needs no slash (`https:user:pass@host`).
/// A scheme-relative URL (`//user:pass@host/`, any two of `/` and `\`) takes the scheme of the
/// page or request it is resolved against: its user information is sent all the same.
pub(crate) fn url_userinfo(url: &str) -> Option<&str> {
    let url = url.trim_start_matches(|c: char| c <= ' ');
    fn authority_of(after: &str) -> &str {
        after.split(['/', '\\', '?', '#']).next().unwrap_or("")
    }
    let slashes = without_tabs_or_newlines(url.get(..4).unwrap_or(url));
    if slashes.starts_with(['/', '\\']) && slashes[1..].starts_with(['/', '\\']) {
        let after = url.trim_start_matches(['/', '\\', '\t', '\n', '\r']);
        return authority_of(after)
            .rsplit_once('@')
            .map(|(userinfo, _)| userinfo);
    }
    let (scheme, rest) = url.split_once(':')?;
    // Tabs and line breaks are left out wherever they are, as browsers do.
    let scheme = without_tabs_or_newlines(scheme);
    // A scheme, or a reference that gives one (`$(Scheme)`): no path, query, user or space.
    let scheme_like = !scheme.is_empty()
        && !scheme.contains(['/', '\\', '?', '#', '@'])
        && !scheme.contains(char::is_whitespace);
    let after = rest.trim_start_matches(['/', '\\', '\t', '\n', '\r']);
    let web = WEB_SCHEMES.iter().any(|s| scheme.eq_ignore_ascii_case(s));
    if !scheme_like || (after.len() == rest.len() && !web) {
        return None;
    }
    authority_of(after)
        .rsplit_once('@')
        .map(|(userinfo, _)| userinfo)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_credential_url_further_in_a_text_is_one() {
        let r = CONNECT_REFERENCES;
        assert!(text_carries_url_credential("https://u:pw@h.example/", r));
        assert!(text_carries_url_credential(
            "see https://u:pw@h.example/ now",
            r
        ));
        assert!(text_carries_url_credential(
            "ping (https://h.example/?apikey=K1)",
            r
        ));
        assert!(!text_carries_url_credential(
            "see https://h.example/ now",
            r
        ));
        assert!(!text_carries_url_credential("no URL here: a@b", r));
        // A web scheme needs no slash; any scheme may take backslashes.
        assert!(text_carries_url_credential(
            "see https:bob:pw@h.example/",
            r
        ));
        assert!(text_carries_url_credential("see HTTPS:\\bob:pw@h/", r));
        assert!(text_carries_url_credential("see x-app:/\\bob:pw@h/", r));
        assert!(!text_carries_url_credential("note: call bob:pw@h later", r));
        assert!(!text_carries_url_credential("see https:h.example/", r));
        // A word too full of schemes to read is taken for one that carries a credential.
        assert!(text_carries_url_credential(&"http:".repeat(100_000), r));
    }

    #[test]
    fn url_user_information_is_read_as_browsers_read_the_url() {
        for url in [
            "https://u:PW@h.example.com/",
            "HTTPS://u:PW@h.example.com/",
            "https:/\\u:PW@h.example.com/",
            "https:\\\\u:PW@h.example.com\\x",
            "$(Scheme)://u:PW@h.example.com/",
            " https://u:PW@h.example.com/",
            "\t\nhttps://u:PW@h.example.com/",
            "https:u:PW@h.example.com/",
            "HTTP:\\u:PW@h.example.com/",
            "ht\ttps://u:PW@h.example.com/",
            "https:/\n/u:PW@h.example.com/",
            "//u:PW@h.example.com/",
            " \\\\u:PW@h.example.com",
            "/\t/u:PW@h.example.com/x@y",
        ] {
            assert_eq!(url_userinfo(url), Some("u:PW"), "{url}");
            assert!(!url_in_message(url).contains("PW"), "{url}");
            assert!(!url_in_message(url).contains("u:"), "{url}");
        }
        // A user name alone is sent as Basic authentication: a credential all the same.
        for url in [
            "https://TOKEN@h.example.com/",
            "HTTPS:\\\\TOKEN@h.example.com",
        ] {
            assert_eq!(url_userinfo(url), Some("TOKEN"), "{url}");
            assert!(!url_in_message(url).contains("TOKEN"), "{url}");
            assert!(
                url_shown(super::super::Text::plain(url)).is_secret(),
                "{url}"
            );
        }
        for url in [
            "mailto:u:PW@h.example.com",
            "https://h.example.com/?next=a:b@c",
            "a b:/u:p@h",
            "/u:p@h/",
            "/path/x@y",
        ] {
            assert_eq!(url_userinfo(url), None, "{url}");
        }
        // No URL to a browser, but typed as one: a message hides the user information all the same.
        assert_eq!(
            url_in_message("http s://u:PW@h.example.com/p?next=a:b@c"),
            "http s://•••@h.example.com/p?next=a:b@c"
        );
        assert_eq!(
            url_in_message("https://h.example.com/?apikey=K&x=1"),
            "https://h.example.com/?apikey=•••&x=1"
        );
    }

    #[test]
    fn one_word_list_decides_variables_headers_and_parameters() {
        for name in [
            "pwd",
            "pin",
            "cvv",
            "x-api-key",
            "apiPassword",
            "Cookie",
            "ke%79",
            "PiN",
            "pIn",
            "cOOkie",
            "X-API-KEY",
            "ApiKey1",
            "Password1",
            "X-Api-Key2",
            "Token2",
            "pin1",
            "Authorization2",
            "Passcode",
            "otp",
        ] {
            assert!(is_credential_header(name), "{name}");
        }
        for name in ["pwd", "pin", "cvv", "apiPassword", "x-token-passphrase"] {
            assert!(is_secret_name(name), "{name}");
        }
        for name in [
            "shipping",
            "pinLength",
            "Content-Type",
            "TokenSource",
            "lang",
        ] {
            assert!(
                !is_credential_header(name) && !is_secret_name(name),
                "{name}"
            );
        }
    }

    #[test]
    fn properties_of_unknown_kinds_are_credential_places_by_the_words_of_their_names() {
        for name in [
            "httpRequestUrl",
            "requestHeaders",
            "authToken",
            "Authorization",
            "apiKey",
            "clientSecret",
            "password",
            "keys",
            "uriTemplate",
            "pin",
            "Pwd2",
            "bearer",
            "connectionString",
            "myurl",
            "proxyuri",
            "userPass",
            "passcode",
            "otp",
            "signature",
            "oauth",
            "connStr",
            "cred",
            "jwt",
            "totp",
            "sas",
            "pincode",
            "URLs",
            "session",
            "pem",
        ] {
            assert!(may_name_credential_place(name), "{name}");
        }
        for name in [
            "description",
            "timeout",
            "method",
            "target",
            "monkey",
            "body",
        ] {
            assert!(!may_name_credential_place(name), "{name}");
        }
    }

    #[test]
    fn parameters_after_a_second_question_mark_or_a_semicolon_are_read_too() {
        for url in [
            "https://a.example/x?a=1?apikey=K",
            "https://a.example/x?a=1;apikey=K",
            "https://a.example/x?a=1;b=2&apikey=K",
            // A path segment's parameters, and a fragment with no query before it.
            "https://a.example/v1;apikey=K/x",
            "https://a.example/v1;b=2;apikey=K",
            "https://a.example\\v1;apikey=K",
            "https://a.example/x#apikey=K",
        ] {
            assert_eq!(credential_parameters(url), vec![("apikey", "K")], "{url}");
            assert!(!url_in_message(url).contains('K'), "{url}");
            assert!(
                url_shown(super::super::Text::plain(url)).is_secret(),
                "{url}"
            );
        }
        assert_eq!(
            url_in_message("https://a.example/x?a=1;apikey=K?pwd=P&lang=en"),
            "https://a.example/x?a=1;apikey=•••?pwd=•••&lang=en"
        );
    }

    #[test]
    fn urls_name_credentials_in_parameters_and_passwords() {
        assert_eq!(
            credential_parameters("https://a.example/x?lang=en&pwd=p1&pin=1#apikey=k"),
            vec![("pwd", "p1"), ("pin", "1"), ("apikey", "k")]
        );
        assert_eq!(url_userinfo("https://u:p@a.example/"), Some("u:p"));
        assert_eq!(url_userinfo("https://a.example/?x=u:p@b"), None);
        assert_eq!(url_userinfo("https://u@a.example/"), Some("u"));
        assert_eq!(url_userinfo("https://a.example/"), None);
    }

    #[test]
    fn a_typed_credential_is_told_by_its_place_and_a_reference_is_not() {
        let connect = CONNECT_REFERENCES;
        assert!(header_types_credential("pin", "1234", connect));
        assert!(header_types_credential(
            "Authorization",
            "Basic dTpw",
            connect
        ));
        assert!(!header_types_credential(
            "Authorization",
            "Bearer $(JDSToken)",
            connect
        ));
        assert!(!header_types_credential(
            "x-token-passphrase",
            "$(x-token-passphrase)",
            connect
        ));
        assert!(!header_types_credential("Accept", "json", connect));
        // A Webex Connect flow's own credential headers are credential places too.
        let declared = ["X-Custom".to_string()];
        assert!(connect_header_types_credential(
            "x-custom", "abc", &declared
        ));
        assert!(!connect_header_types_credential(
            "x-custom", "$(Key)", &declared
        ));
        assert!(!connect_header_types_credential("x-custom", "abc", &[]));
        // `$(...)` is a reference in Webex Connect, typed text in Flow Designer.
        assert!(header_types_credential("pin", "$(pin)", PEBBLE_BLOCKS));
        let url = "https://u:pw@a.example/x?lang=en&apikey=k1&key=$(Key)";
        assert_eq!(
            url_credentials(url, connect),
            vec!["URL parameter `apikey`", "URL user information"]
        );
        assert_eq!(
            url_with_credentials_masked(url, connect),
            "https://•••@a.example/x?lang=en&apikey=•••&key=$(Key)"
        );
        assert_eq!(
            url_credentials("https://TOKEN@a.example/", connect),
            vec!["URL user information"]
        );
        assert!(url_credentials("https://$(User)@a.example/", connect).is_empty());
        assert!(url_credentials("https://a.example/?key=$(Key)", connect).is_empty());
    }
}
