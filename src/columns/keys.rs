//! Finding which column a JSON key belongs to, once per key of every line: a small perfect
//! hash over the keys the column table names, so a lookup is one hash and one comparison.

/// A fixed set of keys, each with its ordinal (its position in the list it was built from).
pub struct KeyTable {
    names: Vec<&'static str>,
    /// ordinal + 1 by hash; 0 for none.
    buckets: [u8; 256],
    seed: u32,
}

impl KeyTable {
    pub fn new(names: Vec<&'static str>) -> KeyTable {
        assert!(names.len() < 255, "too many keys for a byte ordinal");
        // An odd multiplier that spreads these keys over distinct buckets; with a few dozen
        // keys in 256 buckets one is found within a handful of tries.
        for seed in (0x9e37_79b1u32..).step_by(2).take(100_000) {
            let mut buckets = [0u8; 256];
            let perfect = names.iter().enumerate().all(|(i, k)| {
                let h = hash(k.as_bytes(), seed);
                let free = buckets[h] == 0;
                buckets[h] = i as u8 + 1;
                free
            });
            if perfect {
                return KeyTable {
                    names,
                    buckets,
                    seed,
                };
            }
        }
        unreachable!("no perfect hash for the table's keys")
    }

    /// The ordinal of `key`, if it is one of the table's.
    #[inline]
    pub fn find(&self, key: &str) -> Option<usize> {
        let slot = self.buckets[hash(key.as_bytes(), self.seed)];
        let i = (slot as usize).checked_sub(1)?;
        (self.names[i] == key).then_some(i)
    }
}

#[inline]
fn hash(k: &[u8], seed: u32) -> usize {
    let (first, mid, last) = match k {
        [] => (0, 0, 0),
        _ => (k[0], k[k.len() / 2], k[k.len() - 1]),
    };
    let x =
        (k.len() as u32 & 0xff) | (first as u32) << 8 | (mid as u32) << 16 | (last as u32) << 24;
    (x.wrapping_mul(seed) >> 24) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_each_key_and_nothing_else() {
        let names = vec![
            "username",
            "session",
            "ip",
            "agent",
            "page",
            "host",
            "referer",
            "accept_language",
            "name",
            "event_source",
            "event_type",
            "time",
            "context",
            "event",
        ];
        let t = KeyTable::new(names.clone());
        for (i, k) in names.iter().enumerate() {
            assert_eq!(t.find(k), Some(i));
        }
        for k in ["", "x", "usernamE", "event_typ", "contexts", "pag"] {
            assert_eq!(t.find(k), None, "{k}");
        }
    }
}
