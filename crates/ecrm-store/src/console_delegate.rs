//! The `Store` methods of the web console, delegated to each backend's inherent methods of the same
//! meaning (one list for both backends).

/// Expands, inside `impl Store for X`, to the console methods calling `X`'s inherent methods.
macro_rules! console_store_methods {
    () => {
        fn create_console_user(&self, user: &crate::ConsoleUserInput) -> StoreResult<i64> {
            self.console_user_insert(user)
        }

        fn find_console_user(
            &self,
            username: &str,
        ) -> StoreResult<Option<crate::ConsoleUserRecord>> {
            self.console_user_by_name(username)
        }

        fn list_console_users(&self) -> StoreResult<Vec<crate::ConsoleUserRecord>> {
            self.console_users()
        }

        fn delete_console_user(&self, username: &str) -> StoreResult<bool> {
            self.console_user_delete(username)
        }

        fn set_console_user_password(
            &self,
            username: &str,
            password_hash: &str,
        ) -> StoreResult<bool> {
            self.console_user_set_password(username, password_hash)
        }

        fn create_console_session(&self, session: &crate::ConsoleSessionRecord) -> StoreResult<()> {
            self.console_session_insert(session)
        }

        fn find_console_session(
            &self,
            token_hash: &str,
            now: ecrm_core::time::Millis,
        ) -> StoreResult<Option<crate::ConsoleSession>> {
            self.console_session_find(token_hash, now)
        }

        fn delete_console_session(&self, token_hash: &str) -> StoreResult<()> {
            self.console_session_delete(token_hash)
        }

        fn trait_values(
            &self,
            names: &[&str],
            sink: &mut dyn FnMut(&str, &str, &str) -> StoreResult<()>,
        ) -> StoreResult<u64> {
            self.trait_values_of(names, sink)
        }

        fn event_name_counts(&self) -> StoreResult<Vec<crate::EventNameCount>> {
            self.event_counts()
        }

        fn customer_count(&self) -> StoreResult<u64> {
            self.customers_counted()
        }

        fn write_snapshot(&self, snapshot: &crate::SnapshotRecord) -> StoreResult<()> {
            self.snapshot_write(snapshot)
        }

        fn snapshot(&self, name: &str) -> StoreResult<Option<crate::SnapshotRecord>> {
            self.snapshot_read(name)
        }
    };
}
