"""What live feeds share to fetch: a polite HTTP client for official sites, and its named failures."""
