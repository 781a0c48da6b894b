//! "Did you mean" among many names: the same answer as [`super::did_you_mean`], found without
//! comparing the word with every name.
//!
//! The names are kept once, lowercased, in a trie. A word is compared with the trie depth
//! first, one row of the edit distance table a node (the row of a node's prefix is shared by
//! every name below it). A subtree is left as soon as the smallest value of its row, which no
//! name below can go under, is over what any name below could be allowed (a third of the longer
//! of the word and the subtree's longest name, at least 1) or over the closest distance found
//! so far (equal is still followed: the first name in order wins a tie).

/// The names a word is matched against, indexed once for many words.
pub(crate) struct Suggestions<'a> {
    nodes: Vec<Node<'a>>,
}

#[derive(Default)]
struct Node<'a> {
    /// Each child by the lowercase character that leads to it.
    children: Vec<(char, u32)>,
    /// The names whose lowercase form ends here, with their length in characters.
    ends: Vec<(&'a str, usize)>,
    /// The length in characters of the longest name at or below this node.
    longest: usize,
}

impl<'a> Suggestions<'a> {
    /// Indexes `candidates` (duplicates are harmless).
    pub(crate) fn new<I>(candidates: I) -> Suggestions<'a>
    where
        I: IntoIterator<Item = &'a str>,
    {
        let mut nodes = vec![Node::default()];
        for name in candidates {
            let chars = name.chars().count();
            let mut at = 0usize;
            nodes[0].longest = nodes[0].longest.max(chars);
            for c in name.chars().flat_map(char::to_lowercase) {
                let found = nodes[at]
                    .children
                    .iter()
                    .find(|(k, _)| *k == c)
                    .map(|&(_, i)| i as usize);
                at = match found {
                    Some(i) => i,
                    None => {
                        let i = nodes.len();
                        nodes.push(Node::default());
                        nodes[at].children.push((c, i as u32));
                        i
                    }
                };
                nodes[at].longest = nodes[at].longest.max(chars);
            }
            nodes[at].ends.push((name, chars));
        }
        Suggestions { nodes }
    }

    /// What [`super::did_you_mean`] says for `word` and these names.
    pub(crate) fn suggest(&self, word: &str) -> Option<String> {
        self.closest(word)
            .map(|(_, name)| format!("did you mean `{name}`?"))
    }

    /// The closest name allowed for `word` and its distance: the least (distance, name).
    /// Searched with a growing bound on the distance (0, then the least distance a subtree was
    /// left for, ...): the first bound that finds a name has found the closest, and a walk
    /// bounded by a small distance visits far fewer prefixes than one bounded by what a long
    /// name allows (thousands of names lie within a third of their length of a word).
    fn closest(&self, word: &str) -> Option<(usize, &'a str)> {
        let lower: Vec<char> = word.to_lowercase().chars().collect();
        let word_chars = word.chars().count();
        let mut bound = 0;
        loop {
            match self.closest_within(&lower, word_chars, bound) {
                (Some(found), _) => return Some(found),
                (None, Some(next)) => bound = next,
                (None, None) => return None,
            }
        }
    }

    /// The least (distance, name) allowed for the word with a distance at most `bound`; else
    /// the least distance over `bound` that a subtree was left for (the next bound worth a
    /// walk), if any.
    fn closest_within(
        &self,
        lower: &[char],
        word_chars: usize,
        bound: usize,
    ) -> (Option<(usize, &'a str)>, Option<usize>) {
        let width = lower.len() + 1;
        let allowed = |longest: usize| (word_chars.max(longest) / 3).max(1);
        let mut best: Option<(usize, &'a str)> = None;
        let mut next: Option<usize> = None;
        // A name over the bound but allowed is what the next bound is for.
        let consider = |best: &mut Option<(usize, &'a str)>,
                        next: &mut Option<usize>,
                        ends: &[(&'a str, usize)],
                        distance| {
            for &(name, chars) in ends {
                if distance > allowed(chars) {
                    continue;
                }
                if distance > bound {
                    *next = Some(next.map_or(distance, |n| n.min(distance)));
                } else if best.is_none_or(|b| (distance, name) < b) {
                    *best = Some((distance, name));
                }
            }
        };
        // One row of the table a depth, in one buffer: row `d` is the word against the
        // current node's prefix of length `d`.
        let mut rows: Vec<usize> = (0..width).collect();
        consider(&mut best, &mut next, &self.nodes[0].ends, lower.len());
        // Depth first with a stack of its own (a name's length is no limit on the depth):
        // each frame a node and the next of its children to look at.
        let mut frames: Vec<(usize, usize)> = vec![(0, 0)];
        while let Some(frame) = frames.last_mut() {
            let (at, i) = *frame;
            let Some(&(c, child)) = self.nodes[at].children.get(i) else {
                frames.pop();
                continue;
            };
            frame.1 += 1;
            let child = child as usize;
            let depth = frames.len() - 1;
            if rows.len() < (depth + 2) * width {
                rows.resize((depth + 2) * width, 0);
            }
            let (done, rest) = rows.split_at_mut((depth + 1) * width);
            let row = &done[depth * width..];
            let next_row = &mut rest[..width];
            next_row[0] = row[0] + 1;
            let mut least = next_row[0];
            for (j, &w) in lower.iter().enumerate() {
                let substitute = row[j] + usize::from(w != c);
                let value = substitute.min(row[j + 1] + 1).min(next_row[j] + 1);
                next_row[j + 1] = value;
                least = least.min(value);
            }
            let allowed_here = allowed(self.nodes[child].longest);
            let limit = best.map_or(bound, |(d, _)| d.min(bound));
            if least > limit.min(allowed_here) {
                // Left for the bound alone: a larger bound would come here.
                if least > bound && least <= allowed_here {
                    next = Some(next.map_or(least, |n| n.min(least)));
                }
                continue;
            }
            consider(
                &mut best,
                &mut next,
                &self.nodes[child].ends,
                next_row[lower.len()],
            );
            frames.push((child, 0));
        }
        (best, next)
    }
}

#[cfg(test)]
mod tests {
    use super::super::did_you_mean;
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_closest_name_is_found_among_many() {
        let names: Vec<String> = (0..2000).map(|i| format!("r_call_{i}")).collect();
        let index = Suggestions::new(names.iter().map(String::as_str));
        assert_eq!(
            index.suggest("call_17"),
            Some("did you mean `r_call_17`?".into())
        );
        assert_eq!(index.suggest("zzz"), None);
        assert_eq!(
            index.suggest("R_CALL_1999"),
            Some("did you mean `r_call_1999`?".into())
        );
    }

    /// Names close to each other, in a few scripts and cases (`İ` lowercases to two characters,
    /// `ß` is its own lowercase).
    fn name() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop::sample::select(vec!['a', 'b', 'A', 'B', '_', '1', 'İ', 'ß', 'é', 'É', 'x']),
            0..9,
        )
        .prop_map(|chars| chars.into_iter().collect())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn the_index_says_what_the_plain_comparison_says(
            word in name(),
            names in proptest::collection::vec(name(), 0..30),
        ) {
            let index = Suggestions::new(names.iter().map(String::as_str));
            prop_assert_eq!(
                index.suggest(&word),
                did_you_mean(&word, names.iter().map(String::as_str))
            );
        }
    }
}
