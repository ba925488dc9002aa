//! The owner filter of alert and trigger listings, the same SQL in SQLite and PostgreSQL.

use fxmon_app::ports::OwnerFilter;
use sqlx::{Database, Encode, QueryBuilder, Type};

/// Appends ` AND` the condition on `user_alerts.owner_key_id` (nothing for `Any`).
pub(crate) fn push_owner<'a, DB>(query: &mut QueryBuilder<'a, DB>, owner: OwnerFilter)
where
    DB: Database,
    i64: Encode<'a, DB> + Type<DB>,
{
    match owner {
        OwnerFilter::Any => {}
        OwnerFilter::Unowned => {
            query.push(" AND owner_key_id IS NULL");
        }
        OwnerFilter::Key(key) => {
            query.push(" AND owner_key_id = ").push_bind(key);
        }
    }
}

/// Appends ` AND` a condition keeping the rows (triggers) whose `alert_id` is an alert
/// of `owner` (nothing for `Any`).
pub(crate) fn push_alert_owner<'a, DB>(query: &mut QueryBuilder<'a, DB>, owner: OwnerFilter)
where
    DB: Database,
    i64: Encode<'a, DB> + Type<DB>,
{
    if owner == OwnerFilter::Any {
        return;
    }
    query.push(" AND alert_id IN (SELECT id FROM user_alerts WHERE 1 = 1");
    push_owner(query, owner);
    query.push(")");
}
