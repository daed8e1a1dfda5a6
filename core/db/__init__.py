"""SQLite storage: connection (WAL, one writer), numbered migrations, typed queries."""
