"""Call centre for China's 12348 public legal service hotline, on Asterisk."""
