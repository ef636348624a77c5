"""What every domain shares: errors, text normalisation, provinces, clock and ids, keyset paging."""
