"""Certificate rendering: data in, bytes out. No database, no WeChat."""
