//! The `Store` methods of segments and the change cursor, delegated to each backend's inherent
//! methods of the same meaning (one list for both backends).

/// Expands, inside `impl Store for X`, to the segment methods calling `X`'s inherent methods.
macro_rules! segment_store_methods {
    () => {
        fn customer_changes_since(
            &self,
            cursor: &crate::ChangeCursor,
            limit: usize,
        ) -> StoreResult<crate::ChangeBatch> {
            self.changes_since(cursor, limit)
        }

        fn change_cursor_head(&self) -> StoreResult<crate::ChangeCursor> {
            self.cursor_head()
        }

        fn change_consumer_position(
            &self,
            consumer: &str,
        ) -> StoreResult<Option<crate::ChangeCursor>> {
            self.consumer_position(consumer)
        }

        fn save_change_consumer_position(
            &self,
            consumer: &str,
            cursor: &crate::ChangeCursor,
            at: ecrm_core::time::Millis,
        ) -> StoreResult<()> {
            self.save_consumer_position(consumer, cursor, at)
        }

        fn segment_facts(
            &self,
            customers: Option<&[String]>,
            traits: Option<&[String]>,
            sink: &mut dyn FnMut(crate::FactRow) -> StoreResult<()>,
        ) -> StoreResult<u64> {
            self.facts(customers, traits, sink)
        }

        fn event_aggregates(
            &self,
            aggregate: &ecrm_core::segment::Aggregate,
            since: Option<ecrm_core::time::Millis>,
            customers: Option<&[String]>,
        ) -> StoreResult<Vec<(String, f64)>> {
            self.aggregates(aggregate, since, customers)
        }

        fn segments(&self) -> StoreResult<Vec<crate::SegmentRecord>> {
            self.segments_all()
        }

        fn segment(&self, id: i64) -> StoreResult<Option<crate::SegmentRecord>> {
            self.segment_get(id)
        }

        fn segment_by_name(&self, name: &str) -> StoreResult<Option<crate::SegmentRecord>> {
            self.segment_named(name)
        }

        fn create_segment(&self, segment: &crate::NewSegment) -> StoreResult<crate::SegmentRecord> {
            self.segment_create(segment)
        }

        fn update_segment(
            &self,
            id: i64,
            name: &str,
            definition: &str,
            at: ecrm_core::time::Millis,
        ) -> StoreResult<crate::SegmentRecord> {
            self.segment_update(id, name, definition, at)
        }

        fn delete_segment(&self, id: i64) -> StoreResult<()> {
            self.segment_delete(id)
        }

        fn apply_membership_changes(
            &self,
            changes: &[crate::MembershipChange],
        ) -> StoreResult<u64> {
            self.memberships_apply(changes)
        }

        fn apply_membership_changes_chunked(
            &self,
            changes: &mut dyn Iterator<Item = crate::MembershipChange>,
            chunk: usize,
        ) -> StoreResult<u64> {
            self.memberships_apply_chunked(changes, chunk)
        }

        fn segment_members(
            &self,
            segment_id: i64,
            after: Option<&str>,
            limit: usize,
        ) -> StoreResult<Vec<crate::MembershipRecord>> {
            self.members(segment_id, after, limit)
        }

        fn segment_sizes(&self) -> StoreResult<Vec<(i64, u64)>> {
            self.sizes()
        }

        fn segment_flows(
            &self,
            since: ecrm_core::time::Millis,
        ) -> StoreResult<Vec<crate::SegmentFlow>> {
            self.flows(since)
        }

        fn segment_flows_by_period(
            &self,
            since: ecrm_core::time::Millis,
            period_millis: ecrm_core::time::Millis,
        ) -> StoreResult<Vec<crate::SegmentPeriodFlow>> {
            if period_millis <= 0 {
                return Err(crate::StoreError::Other(
                    "segment flow periods must be longer than 0 ms".to_string(),
                ));
            }
            self.period_flows(since, period_millis)
        }

        fn customer_memberships(
            &self,
            customer_id: &str,
        ) -> StoreResult<Vec<crate::MembershipRecord>> {
            self.memberships_of(customer_id)
        }

        fn segment_changes(
            &self,
            query: &crate::SegmentChangeQuery,
        ) -> StoreResult<Vec<crate::SegmentChangeRecord>> {
            self.changes_of(query)
        }
    };
}
