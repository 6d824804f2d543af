"""CE certificates: issue (an immutable snapshot, hash-chained), PDF, public verification, CE transcript, sponsor
records."""
