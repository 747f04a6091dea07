use ecrm_store::{ApiKeyRecord, AuditEntry, Store};

use crate::support::ctx;

pub fn api_keys_are_found_by_hash(store: &dyn Store) {
    let key = ApiKeyRecord {
        id: 0,
        name: "web".to_string(),
        role: "write".to_string(),
        source: Some("web-shop".to_string()),
        prefix: "ek_w_ab12".to_string(),
        key_hash: "f00d".to_string(),
        created_at: 1,
        revoked_at: None,
    };
    let id = store.create_api_key(&key).expect("create");
    let found = store.find_api_key("f00d").expect("find").expect("present");
    assert_eq!(found.id, id);
    assert_eq!(found.source.as_deref(), Some("web-shop"));
    assert!(store.find_api_key("beef").expect("find").is_none());
    assert_eq!(store.list_api_keys().expect("list").len(), 1);
    let entry = AuditEntry {
        at: ctx(1).at,
        actor: "key:1".to_string(),
        action: "keys.create".to_string(),
        target: "key:2".to_string(),
        detail: serde_json::json!({}),
    };
    store.append_audit(&entry).expect("audit");
}
