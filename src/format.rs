//! Quantities as people read them, one home for each: bytes, parameter counts, counted nouns.
//! The window, the command line and the reports use the same strings.

/// One gibibyte.
const GIB: u64 = 1 << 30;

/// Bytes for people: GiB with one decimal, or MiB below 1 GiB.
pub fn format_bytes(bytes: u64) -> String {
    if bytes >= GIB {
        format!("{:.1} GiB", bytes as f64 / GIB as f64)
    } else if bytes >= 1 << 20 {
        format!("{} MiB", bytes.div_ceil(1 << 20))
    } else if bytes >= 1 << 10 {
        // A 441,600-byte file is 432 KiB, not "1 MiB".
        format!("{} KiB", bytes.div_ceil(1 << 10))
    } else {
        plural(bytes as usize, "byte")
    }
}

/// A parameter count as people write it: `7.6B`, `494.0M`.
pub(crate) fn format_params(params: u64) -> String {
    let p = params as f64;
    if p >= 1e9 {
        format!("{:.1}B", p / 1e9)
    } else {
        format!("{:.1}M", p / 1e6)
    }
}

/// A count with its noun in the right number: `plural(1, "file")` → "1 file", 3 → "3 files".
pub fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// 671026419200 → "671,026,419,200".
pub fn group_digits(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A duration in words: "45 s", "3 min 20 s", "2 h 5 min".
pub fn duration_words(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    match s {
        0..=59 => format!("{s} s"),
        60..=3599 => format!("{} min {} s", s / 60, s % 60),
        _ => format!("{} h {} min", s / 3600, s % 3600 / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_and_params() {
        assert_eq!(format_bytes(3 << 29), "1.5 GiB");
        assert_eq!(format_bytes(1), "1 byte");
        assert_eq!(format_bytes(0), "0 bytes");
        assert_eq!(format_bytes(441_600), "432 KiB");
        assert_eq!(format_bytes(1 << 20), "1 MiB");
        assert_eq!(format_params(7_615_616_512), "7.6B");
        assert_eq!(format_params(494_032_768), "494.0M");
        assert_eq!(plural(1, "file"), "1 file");
        assert_eq!(plural(0, "file"), "0 files");
    }
}
