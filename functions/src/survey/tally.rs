//! How a stored response is counted behind its write: its counter keys (`Response::counters`) cut into chunks, each
//! chunk added in one transaction with a marker on the response naming it, so each chunk is counted exactly once
//! however often the response is delivered (DynamoDB Streams delivers at least once; a failed batch is retried).

/// Counters one transaction adds to: DynamoDB takes 100 writes in a transaction, and the chunk's marker on the
/// response is one of them.
pub const CHUNK: usize = 99;

/// How many chunks `counters` counters make.
pub fn chunk_count(counters: usize) -> u32 {
    u32::try_from(counters.div_ceil(CHUNK)).unwrap_or(u32::MAX)
}

/// The chunks of `counters`, numbered from 0, in order. The same keys always give the same chunks.
pub fn chunks(counters: &[String]) -> impl Iterator<Item = (u32, &[String])> {
    (0u32..).zip(counters.chunks(CHUNK))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_are_cut_in_transactions_of_a_chunk_and_its_marker() {
        let keys: Vec<String> = (0..905).map(|i| format!("*#q{i}#a")).collect();
        assert_eq!(chunk_count(keys.len()), 10);
        let cut: Vec<(u32, usize)> = chunks(&keys).map(|(i, c)| (i, c.len())).collect();
        assert_eq!(cut.first(), Some(&(0, 99)));
        assert_eq!(cut.last(), Some(&(9, 905 - 9 * 99)));
        assert_eq!(chunk_count(0), 0);
        assert_eq!(chunk_count(99), 1);
        assert_eq!(chunk_count(100), 2);
    }
}
