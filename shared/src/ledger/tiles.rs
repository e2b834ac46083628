//! C2SP tlog-tiles geometry for hash tiles: tile paths and which stored tree
//! nodes a tile holds (<https://c2sp.org/tlog-tiles>).
//!
//! A tile at level `L` with index `N` is 256 consecutive Merkle tree hashes
//! at tree level `8·L`: the nodes `N·256 .. N·256+W` (`W` = 256 for a full
//! tile, 1..=255 for a partial one). Every such node is a *perfect* subtree,
//! exactly what the sequencer stores (`merkle::NodeId`), so a tile is a range
//! read of stored nodes and nothing is recomputed.
//!
//! Paths are `<L>/<N>[.p/<W>]` (relative to `<prefix>/tile/`), `N` in
//! zero-padded 3-digit groups, all but the last prefixed with `x`
//! (1234067 → `x001/x234/067`). The parser accepts only the canonical
//! spelling, so one tile has one URL. Pure: no storage, no I/O.

use std::ops::Range;

use super::hash::NodeId;

/// Hashes in a full tile.
pub const TILE_WIDTH: u64 = 256;
/// Tree levels per tile level.
pub const TILE_HEIGHT: u8 = 8;
/// Highest tile level whose nodes fit a 64-level tree (8·7 = 56).
pub const MAX_TILE_LEVEL: u8 = 7;

/// One hash tile, full (`width == 256`) or partial.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TileId {
    pub level: u8,
    pub index: u64,
    pub width: u16,
}

/// Why a tile path was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TilePathError {
    #[error("not a tile path: {0}")]
    Malformed(&'static str),
    #[error("tile level above {MAX_TILE_LEVEL} cannot exist in a 64-level tree")]
    LevelTooHigh,
}

fn canonical_decimal(s: &str) -> Option<u64> {
    let ok =
        !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && (s == "0" || !s.starts_with('0'));
    ok.then(|| s.parse().ok()).flatten()
}

impl TileId {
    pub fn full(level: u8, index: u64) -> Self {
        Self {
            level,
            index,
            width: TILE_WIDTH as u16,
        }
    }

    pub fn is_full(&self) -> bool {
        u64::from(self.width) == TILE_WIDTH
    }

    /// The tree level of this tile's hashes.
    pub fn node_level(&self) -> u8 {
        self.level * TILE_HEIGHT
    }

    /// Indexes (at [`TileId::node_level`]) of the hashes in this tile.
    pub fn node_range(&self) -> Range<u64> {
        let start = self.index.saturating_mul(TILE_WIDTH);
        start..start.saturating_add(u64::from(self.width))
    }

    /// The stored nodes this tile holds, in order.
    pub fn nodes(&self) -> impl Iterator<Item = NodeId> {
        let level = self.node_level();
        self.node_range().map(move |i| NodeId::new(level, i))
    }

    /// Leaves a tree needs for every hash of this tile to exist, or `None`
    /// when that is beyond any u64-sized tree.
    pub fn min_tree_size(&self) -> Option<u64> {
        let end = self.node_range().end;
        end.checked_mul(1u64.checked_shl(u32::from(self.node_level()))?)
            .filter(|n| n >> self.node_level() == end)
    }

    /// Parses `<L>/<N>[.p/<W>]`, canonical spelling only.
    pub fn parse(path: &str) -> Result<Self, TilePathError> {
        use TilePathError::Malformed as Bad;
        let (level, rest) = path.split_once('/').ok_or(Bad("no level"))?;
        let level = canonical_decimal(level).ok_or(Bad("level must be a decimal number"))?;
        if level > u64::from(MAX_TILE_LEVEL) {
            return Err(TilePathError::LevelTooHigh);
        }
        let (index_path, width) = match rest.split_once(".p/") {
            Some((n, w)) => {
                let w = canonical_decimal(w).ok_or(Bad("width must be a decimal number"))?;
                if !(1..TILE_WIDTH).contains(&w) {
                    return Err(Bad("partial width must be 1..=255"));
                }
                (n, w as u16)
            }
            None => (rest, TILE_WIDTH as u16),
        };
        let groups: Vec<&str> = index_path.split('/').collect();
        let mut index: u64 = 0;
        for (i, g) in groups.iter().enumerate() {
            let digits = if i + 1 < groups.len() {
                g.strip_prefix('x')
                    .ok_or(Bad("inner index groups start with x"))?
            } else {
                g
            };
            if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(Bad("index groups are three digits"));
            }
            let d: u64 = digits.parse().map_err(|_| Bad("index"))?;
            index = index
                .checked_mul(1000)
                .and_then(|n| n.checked_add(d))
                .ok_or(Bad("index too large"))?;
        }
        let tile = Self {
            level: level as u8,
            index,
            width,
        };
        if tile.path() != path {
            return Err(Bad("not in canonical form"));
        }
        Ok(tile)
    }

    /// `<L>/<N>[.p/<W>]`.
    pub fn path(&self) -> String {
        let mut n = self.index;
        let mut index = format!("{:03}", n % 1000);
        n /= 1000;
        while n > 0 {
            index = format!("x{:03}/{index}", n % 1000);
            n /= 1000;
        }
        if self.is_full() {
            format!("{}/{index}", self.level)
        } else {
            format!("{}/{index}.p/{}", self.level, self.width)
        }
    }
}

/// Width of the right-most (partial) tile at `level` for a tree of `size`
/// leaves: `floor(size / 256^level) mod 256` (0 when there is none).
pub fn partial_width(level: u8, size: u64) -> u16 {
    let shift = u32::from(level) * u32::from(TILE_HEIGHT);
    (size.checked_shr(shift).unwrap_or(0) % TILE_WIDTH) as u16
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_the_spec_examples() {
        let t = TileId::full(0, 1_234_067);
        assert_eq!(t.path(), "0/x001/x234/067");
        assert_eq!(TileId::parse("0/x001/x234/067").unwrap(), t);
        let p = TileId {
            level: 2,
            index: 5,
            width: 17,
        };
        assert_eq!(p.path(), "2/005.p/17");
        assert_eq!(TileId::parse("2/005.p/17").unwrap(), p);
        assert_eq!(TileId::full(1, 1000).path(), "1/x001/000");
    }

    #[test]
    fn non_canonical_or_impossible_paths_are_refused() {
        for bad in [
            "",
            "0",
            "0/5",
            "0/0005",
            "00/005",
            "0/x000/005",
            "0/001/005",
            "0/005.p/0",
            "0/005.p/256",
            "0/005.p/017",
            "0/005.p/",
            "0/x005",
            "0/005/",
            "8/000",
            "a/000",
            "0/-01",
            "0/005.p/1/2",
            "entries/000",
        ] {
            assert!(TileId::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(TileId::parse("8/000"), Err(TilePathError::LevelTooHigh));
    }

    #[test]
    fn geometry_matches_the_spec_example_of_70000_leaves() {
        // 273 full level-0 tiles, a partial of 112; one full level-1 tile and
        // a partial of 17; a partial level-2 tile of 1.
        assert_eq!(partial_width(0, 70_000), 112);
        assert_eq!(partial_width(1, 70_000), 17);
        assert_eq!(partial_width(2, 70_000), 1);
        assert_eq!(partial_width(3, 70_000), 0);
        assert_eq!(70_000 / 256, 273);
        assert_eq!(partial_width(1, 256), 1);
        let t = TileId {
            level: 1,
            index: 0,
            width: 17,
        };
        assert_eq!(t.node_level(), 8);
        assert_eq!(t.node_range(), 0..17);
        assert_eq!(t.min_tree_size(), Some(17 * 256));
        assert_eq!(TileId::full(0, 2).min_tree_size(), Some(768));
        assert_eq!(TileId::full(7, u64::MAX / 256).min_tree_size(), None);
        assert_eq!(t.nodes().last(), Some(NodeId::new(8, 16)));
    }
}
