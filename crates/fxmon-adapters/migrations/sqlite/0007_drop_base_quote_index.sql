-- History looks rows up by `pair` (the unique key's index) rather than by (base, quote),
-- as the PostgreSQL store does: this index only made every insert slower.
DROP INDEX fx_rates_base_quote_timestamp;
