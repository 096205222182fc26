// tests/support anchor
