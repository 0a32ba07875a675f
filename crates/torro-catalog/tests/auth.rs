//! Users, tokens, sessions and the audit search: every test runs on SQLite, PostgreSQL and
//! MariaDB/MySQL through `backend_suite!`.
//!
//! Run: `cargo nextest run -p torro-catalog --test auth` (with `TORRO_TEST_POSTGRES_URL`
//! and `TORRO_TEST_MYSQL_URL` set, or those servers on their default local ports).

use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use torro_catalog::testing::TestDb;
use torro_catalog::{AuthStore, CatalogError};
use torro_model::lineage::{ChangeContext, EdgeInput, LineageOrigin};
use torro_model::{
    Actor, AuditEntry, AuditQuery, AuthSource, NewApiToken, NewAuditEntry, NewSession, NewUser, Role, User, UserPatch,
};

torro_catalog::backend_suite!(
    users_are_created_once_and_updated_with_audit,
    disabling_or_a_new_password_ends_sessions,
    credentials_are_looked_up_exactly,
    oidc_users_are_created_then_refreshed,
    sessions_expire_idle_absolute_and_with_their_user,
    tokens_check_expiry_revocation_and_throttle_last_use,
    audit_rows_name_actor_role_and_address_never_hashes,
    audit_search_filters_pages_and_includes_lineage,
    hostile_strings_are_data_not_sql,
);

const HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$secret-hash-one";
const HASH2: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$secret-hash-two";
const TOKEN_HASH: &str = "a3f1c0ffee0000000000000000000000000000000000000000000000000000aa";

fn auth(db: &TestDb) -> &dyn AuthStore {
    db.store.auth()
}

fn admin() -> Actor {
    Actor::user("root", Role::Admin, Some("203.0.113.9".into()))
}

fn local(name: &str, role: Role) -> NewUser {
    NewUser {
        username: name.into(),
        display_name: Some(format!("{name} display")),
        email: Some(format!("{name}@example.com")),
        role,
        password_hash: Some(HASH.into()),
        auth_source: AuthSource::Local,
        oidc: None,
    }
}

fn oidc(name: &str, subject: &str, role: Role) -> NewUser {
    NewUser {
        username: name.into(),
        display_name: Some("Oidc Person".into()),
        email: Some("oidc@example.com".into()),
        role,
        password_hash: None,
        auth_source: AuthSource::Oidc,
        oidc: Some(("https://idp.example.com".into(), subject.into())),
    }
}

fn t(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000 + secs, 0).unwrap()
}

fn session(id_hash: &str, user_id: i64, created: DateTime<Utc>) -> NewSession {
    NewSession {
        id_hash: id_hash.into(),
        user_id,
        csrf_token: format!("csrf-{id_hash}"),
        created_at: created,
        expires_at: created + Duration::hours(12),
        source_ip: Some("198.51.100.1".into()),
        user_agent: Some("test-agent/1.0".into()),
    }
}

fn token(user_id: i64, hash: &str, expires_at: Option<DateTime<Utc>>) -> NewApiToken {
    NewApiToken {
        user_id,
        name: "ci".into(),
        prefix: "torro_pat_ab".into(),
        token_hash: hash.into(),
        expires_at,
    }
}

/// Every audit row of `(entity_type, id)`, oldest first.
async fn audit_of(db: &TestDb, entity_type: &str, id: i64) -> Vec<AuditEntry> {
    let mut rows = db.store.audit_log(entity_type, id).await.unwrap();
    rows.reverse();
    rows
}

fn assert_no_secret(entries: &[AuditEntry]) {
    for e in entries {
        let text = serde_json::to_string(e).unwrap();
        for secret in [HASH, HASH2, TOKEN_HASH, "password_hash", "token_hash"] {
            assert!(!text.contains(secret), "audit row leaks {secret:?}: {text}");
        }
    }
}

async fn users_are_created_once_and_updated_with_audit(db: &TestDb) {
    let a = auth(db);
    assert_eq!(a.count_users().await.unwrap(), 0);
    let ana = a.create_user(&local("ana", Role::Engineer), &admin()).await.unwrap();
    assert_eq!(
        (
            ana.username.as_str(),
            ana.role,
            ana.auth_source,
            ana.disabled,
            ana.last_login_at
        ),
        ("ana", Role::Engineer, AuthSource::Local, false, None)
    );
    assert_eq!(ana.email.as_deref(), Some("ana@example.com"));
    assert_eq!(a.get_user(ana.id).await.unwrap(), Some(ana.clone()));

    match a.create_user(&local("ana", Role::Viewer), &admin()).await {
        Err(CatalogError::AlreadyExists(m)) => assert!(m.contains("\"ana\""), "names the username: {m}"),
        other => panic!("expected AlreadyExists, got {other:?}"),
    }
    // Usernames compare exactly: another case is another user.
    let big = a.create_user(&local("Ana", Role::Viewer), &admin()).await.unwrap();
    assert_ne!(big.id, ana.id);
    for bad in ["  ", "ana ", " ana", "\tana"] {
        assert!(
            matches!(
                a.create_user(&local(bad, Role::Viewer), &admin()).await,
                Err(CatalogError::InvalidInput { ref field, .. }) if field == "username"
            ),
            "{bad:?}"
        );
    }
    assert_eq!(a.count_users().await.unwrap(), 2);
    let names: Vec<String> = a.list_users().await.unwrap().into_iter().map(|u| u.username).collect();
    assert_eq!(names, ["Ana", "ana"], "by username, byte order");

    let patch = UserPatch {
        role: Some(Role::Steward),
        display_name: Some(None),
        email: Some(Some("ana@corp.example".into())),
        ..UserPatch::default()
    };
    let updated = a.update_user(ana.id, &patch, &admin()).await.unwrap();
    assert_eq!(
        (updated.role, updated.display_name.as_deref(), updated.email.as_deref()),
        (Role::Steward, None, Some("ana@corp.example"))
    );
    assert!(updated.updated_at >= ana.updated_at);
    // Fields left out of the patch stay.
    let same = a.update_user(ana.id, &UserPatch::default(), &admin()).await.unwrap();
    assert_eq!(
        (same.role, same.email.as_deref()),
        (Role::Steward, Some("ana@corp.example"))
    );

    assert!(matches!(
        a.update_user(ana.id + 1000, &patch, &admin()).await,
        Err(CatalogError::NotFound(_))
    ));

    let log = audit_of(db, "user", ana.id).await;
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["create", "update", "update"]);
    assert_eq!(log[0].before, None);
    assert_eq!(log[0].after.as_ref().unwrap()["username"], json!("ana"));
    assert_eq!(log[1].before.as_ref().unwrap()["role"], json!("engineer"));
    assert_eq!(log[1].after.as_ref().unwrap()["role"], json!("steward"));
    assert_no_secret(&log);
}

async fn disabling_or_a_new_password_ends_sessions(db: &TestDb) {
    let a = auth(db);
    let now = Utc::now();
    let bob = a.create_user(&local("bob", Role::Viewer), &admin()).await.unwrap();
    a.create_session(&session("s1", bob.id, now)).await.unwrap();
    assert!(
        a.session_user("s1", now, now - Duration::hours(1))
            .await
            .unwrap()
            .is_some()
    );

    let changed = a
        .update_user(
            bob.id,
            &UserPatch {
                password_hash: Some(HASH2.into()),
                ..UserPatch::default()
            },
            &admin(),
        )
        .await
        .unwrap();
    assert!(!changed.disabled);
    assert!(
        a.session_user("s1", now, now - Duration::hours(1))
            .await
            .unwrap()
            .is_none(),
        "a new password ends the old sessions"
    );
    let (_, hash) = a.user_credentials("bob").await.unwrap().unwrap();
    assert_eq!(hash.as_deref(), Some(HASH2));

    a.create_session(&session("s2", bob.id, now)).await.unwrap();
    a.create_session(&session("s3", bob.id, now)).await.unwrap();
    let token = a
        .create_token(&token(bob.id, TOKEN_HASH, None), &admin())
        .await
        .unwrap();
    assert!(a.token_user(TOKEN_HASH, now).await.unwrap().is_some());
    let off = a
        .update_user(
            bob.id,
            &UserPatch {
                disabled: Some(true),
                ..UserPatch::default()
            },
            &admin(),
        )
        .await
        .unwrap();
    assert!(off.disabled);
    for s in ["s2", "s3"] {
        assert!(
            a.session_user(s, now, now - Duration::hours(1))
                .await
                .unwrap()
                .is_none()
        );
    }
    assert!(
        a.token_user(TOKEN_HASH, now).await.unwrap().is_none(),
        "a disabled user's token is refused"
    );
    assert_eq!(
        a.get_token(token.id).await.unwrap().unwrap().revoked_at,
        None,
        "but not revoked"
    );

    let log = audit_of(db, "user", bob.id).await;
    assert_eq!(log[1].after.as_ref().unwrap()["password"], json!("changed"));
    assert_eq!(log[1].before.as_ref().unwrap().get("password"), None);
    assert_eq!(log[2].after.as_ref().unwrap()["disabled"], json!(true));
    assert_no_secret(&log);
}

async fn credentials_are_looked_up_exactly(db: &TestDb) {
    let a = auth(db);
    let cy = a.create_user(&local("cy", Role::Admin), &admin()).await.unwrap();
    let (user, hash) = a.user_credentials("cy").await.unwrap().unwrap();
    assert_eq!((user.id, hash.as_deref()), (cy.id, Some(HASH)));
    for other in ["CY", "cy ", "c%", "c_", ""] {
        assert!(
            a.user_credentials(other).await.unwrap().is_none(),
            "{other:?} is not cy"
        );
    }
    let o = a
        .upsert_oidc_user(&oidc("olga", "sub-1", Role::Viewer), &Actor::system("oidc"))
        .await
        .unwrap();
    let (user, hash) = a.user_credentials("olga").await.unwrap().unwrap();
    assert_eq!((user.id, user.auth_source, hash), (o.id, AuthSource::Oidc, None));

    a.record_login(cy.id, t(5)).await.unwrap();
    assert_eq!(a.get_user(cy.id).await.unwrap().unwrap().last_login_at, Some(t(5)));
}

async fn oidc_users_are_created_then_refreshed(db: &TestDb) {
    let a = auth(db);
    let by = Actor::system("oidc");
    let first = a
        .upsert_oidc_user(&oidc("olga", "sub-1", Role::Viewer), &by)
        .await
        .unwrap();
    assert_eq!((first.auth_source, first.role), (AuthSource::Oidc, Role::Viewer));
    let again = a
        .upsert_oidc_user(&oidc("olga", "sub-1", Role::Viewer), &by)
        .await
        .unwrap();
    assert_eq!(again, first, "same claims: nothing changes");
    assert_eq!(
        audit_of(db, "user", first.id).await.len(),
        1,
        "no audit row when nothing changed"
    );

    let mut claims = oidc("olga", "sub-1", Role::Steward);
    claims.email = Some("olga@new.example".into());
    let refreshed = a.upsert_oidc_user(&claims, &by).await.unwrap();
    assert_eq!(refreshed.id, first.id);
    assert_eq!(
        (refreshed.role, refreshed.email.as_deref()),
        (Role::Steward, Some("olga@new.example"))
    );
    let log = audit_of(db, "user", first.id).await;
    assert_eq!(
        log.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
        ["create", "update"]
    );
    assert_eq!(log[1].actor, "system:oidc");
    assert_eq!(log[1].before.as_ref().unwrap()["role"], json!("viewer"));

    // Another subject of the same issuer is another person, even with the same display name.
    let other = a
        .upsert_oidc_user(&oidc("olga2", "sub-2", Role::Viewer), &by)
        .await
        .unwrap();
    assert_ne!(other.id, first.id);
    // A username taken by someone else is refused, naming it.
    match a.upsert_oidc_user(&oidc("olga", "sub-3", Role::Viewer), &by).await {
        Err(CatalogError::AlreadyExists(m)) => assert!(m.contains("olga"), "{m}"),
        other => panic!("expected AlreadyExists, got {other:?}"),
    }
    // A local user cannot come through the OIDC path, nor get a password when OIDC.
    assert!(matches!(
        a.upsert_oidc_user(&local("lou", Role::Viewer), &by).await,
        Err(CatalogError::InvalidInput { .. })
    ));
    assert!(matches!(
        a.update_user(
            first.id,
            &UserPatch {
                password_hash: Some(HASH.into()),
                ..UserPatch::default()
            },
            &admin()
        )
        .await,
        Err(CatalogError::InvalidInput { ref field, .. }) if field == "password"
    ));
}

async fn sessions_expire_idle_absolute_and_with_their_user(db: &TestDb) {
    let a = auth(db);
    let dee = a.create_user(&local("dee", Role::Viewer), &admin()).await.unwrap();
    let idle = Duration::minutes(30);
    a.create_session(&session("fresh", dee.id, t(0))).await.unwrap();

    let (s, u) = a.session_user("fresh", t(60), t(60) - idle).await.unwrap().unwrap();
    assert_eq!((u.id, s.user_id, s.csrf_token.as_str()), (dee.id, dee.id, "csrf-fresh"));
    assert_eq!(
        (s.created_at, s.last_seen_at, s.expires_at),
        (t(0), t(60), t(0) + Duration::hours(12))
    );
    // Use keeps it alive past the idle limit counted from its creation.
    let later = t(60) + Duration::minutes(29);
    assert!(a.session_user("fresh", later, later - idle).await.unwrap().is_some());

    // Idle: not seen for longer than the limit; it is deleted on the way.
    a.create_session(&session("idle", dee.id, t(0))).await.unwrap();
    let at = t(0) + Duration::minutes(31);
    assert!(a.session_user("idle", at, at - idle).await.unwrap().is_none());
    assert!(
        a.session_user("idle", t(1), t(0) - idle).await.unwrap().is_none(),
        "the idle session was deleted"
    );

    // Absolute: past expires_at, however recently used.
    a.create_session(&session("old", dee.id, t(0))).await.unwrap();
    let mut at = t(0);
    while at < t(0) + Duration::hours(12) - Duration::minutes(20) {
        at += Duration::minutes(20);
        assert!(a.session_user("old", at, at - idle).await.unwrap().is_some());
    }
    let end = t(0) + Duration::hours(12);
    assert!(a.session_user("old", end, end - idle).await.unwrap().is_none());

    // Deleted (logout) and unknown.
    a.create_session(&session("bye", dee.id, t(0))).await.unwrap();
    a.delete_session("bye").await.unwrap();
    a.delete_session("bye").await.unwrap();
    assert!(a.session_user("bye", t(1), t(0) - idle).await.unwrap().is_none());
    assert!(a.session_user("never", t(1), t(0) - idle).await.unwrap().is_none());

    // A session of a user that does not exist is refused.
    assert!(matches!(
        a.create_session(&session("ghost", dee.id + 1000, t(0))).await,
        Err(CatalogError::NotFound(_))
    ));

    // Disabled user: the session no longer authenticates.
    let eve = a.create_user(&local("eve", Role::Viewer), &admin()).await.unwrap();
    let now = Utc::now();
    a.create_session(&session("eve-s", eve.id, now)).await.unwrap();
    assert!(a.session_user("eve-s", now, now - idle).await.unwrap().is_some());
    a.update_user(
        eve.id,
        &UserPatch {
            disabled: Some(true),
            ..UserPatch::default()
        },
        &admin(),
    )
    .await
    .unwrap();
    assert!(a.session_user("eve-s", now, now - idle).await.unwrap().is_none());
}

async fn tokens_check_expiry_revocation_and_throttle_last_use(db: &TestDb) {
    let a = auth(db);
    let fay = a.create_user(&local("fay", Role::Engineer), &admin()).await.unwrap();
    let gus = a.create_user(&local("gus", Role::Viewer), &admin()).await.unwrap();
    let by = Actor::user("fay", Role::Engineer, Some("192.0.2.1".into()));

    let tok = a.create_token(&token(fay.id, TOKEN_HASH, None), &by).await.unwrap();
    assert_eq!(
        (
            tok.user_id,
            tok.username.as_str(),
            tok.name.as_str(),
            tok.prefix.as_str()
        ),
        (fay.id, "fay", "ci", "torro_pat_ab")
    );
    assert_eq!((tok.last_used_at, tok.revoked_at, tok.expires_at), (None, None, None));
    let text = serde_json::to_string(&tok).unwrap();
    assert!(!text.contains(TOKEN_HASH), "the hash is never returned: {text}");

    // Valid; last use recorded at most once a minute.
    let (used, user) = a.token_user(TOKEN_HASH, t(0)).await.unwrap().unwrap();
    assert_eq!((used.id, user.id, used.last_used_at), (tok.id, fay.id, Some(t(0))));
    let (used, _) = a.token_user(TOKEN_HASH, t(30)).await.unwrap().unwrap();
    assert_eq!(used.last_used_at, Some(t(0)), "not rewritten within the minute");
    assert_eq!(a.get_token(tok.id).await.unwrap().unwrap().last_used_at, Some(t(0)));
    let (used, _) = a.token_user(TOKEN_HASH, t(61)).await.unwrap().unwrap();
    assert_eq!(used.last_used_at, Some(t(61)));
    assert_eq!(a.get_token(tok.id).await.unwrap().unwrap().last_used_at, Some(t(61)));

    assert!(
        a.token_user(&TOKEN_HASH.replace('a', "b"), t(0))
            .await
            .unwrap()
            .is_none()
    );
    assert!(a.token_user("", t(0)).await.unwrap().is_none());

    // Expiry is exclusive: usable before, refused from expires_at on.
    let exp_hash = "e".repeat(64);
    let exp = a
        .create_token(&token(gus.id, &exp_hash, Some(t(100))), &admin())
        .await
        .unwrap();
    assert!(a.token_user(&exp_hash, t(99)).await.unwrap().is_some());
    assert!(a.token_user(&exp_hash, t(100)).await.unwrap().is_none());

    // Revocation is idempotent and keeps the first time.
    let revoked = a.revoke_token(tok.id, &by).await.unwrap();
    let first_revoke = revoked.revoked_at.expect("revoked");
    assert!(a.token_user(TOKEN_HASH, t(200)).await.unwrap().is_none());
    let again = a.revoke_token(tok.id, &admin()).await.unwrap();
    assert_eq!(again.revoked_at, Some(first_revoke));
    assert!(matches!(
        a.revoke_token(tok.id + 1000, &by).await,
        Err(CatalogError::NotFound(_))
    ));

    // Listing: newest first, per user or all, revoked included.
    let all: Vec<i64> = a.list_tokens(None).await.unwrap().iter().map(|t| t.id).collect();
    assert_eq!(all, [exp.id, tok.id]);
    let fays = a.list_tokens(Some(fay.id)).await.unwrap();
    assert_eq!((fays.len(), fays[0].revoked_at), (1, Some(first_revoke)));
    assert!(a.list_tokens(Some(fay.id + 1000)).await.unwrap().is_empty());

    // Unknown user, reused hash, blank name.
    assert!(matches!(
        a.create_token(&token(fay.id + 1000, &"f".repeat(64), None), &by).await,
        Err(CatalogError::NotFound(_))
    ));
    assert!(matches!(
        a.create_token(&token(fay.id, TOKEN_HASH, None), &by).await,
        Err(CatalogError::AlreadyExists(_))
    ));
    let mut blank = token(fay.id, &"c".repeat(64), None);
    blank.name = " ".into();
    assert!(matches!(
        a.create_token(&blank, &by).await,
        Err(CatalogError::InvalidInput { .. })
    ));

    let log = audit_of(db, "token", tok.id).await;
    assert_eq!(
        log.iter()
            .map(|e| (e.action.as_str(), e.actor.as_str()))
            .collect::<Vec<_>>(),
        [("create", "fay"), ("revoke", "fay")],
        "revoking again changes nothing and writes nothing"
    );
    assert_eq!(log[1].after.as_ref().unwrap()["revoked_at"], json!(first_revoke));
    assert_no_secret(&log);
}

async fn audit_rows_name_actor_role_and_address_never_hashes(db: &TestDb) {
    let a = auth(db);
    let by = Actor::user("root", Role::Admin, Some("2001:db8::42".into()));
    let hal = a.create_user(&local("hal", Role::Viewer), &by).await.unwrap();
    let row = &audit_of(db, "user", hal.id).await[0];
    assert_eq!(
        (row.actor.as_str(), row.role.as_deref(), row.source_ip.as_deref()),
        ("root", Some("admin"), Some("2001:db8::42"))
    );

    a.record_audit(&NewAuditEntry {
        entity_type: "session".into(),
        entity_id: hal.id,
        action: "login_failed".into(),
        actor: Actor {
            name: "hal".into(),
            role: None,
            source_ip: Some("198.51.100.23".into()),
        },
        at: t(0),
        before: None,
        after: Some(json!({"reason": "bad password"})),
        comment: Some("3rd attempt".into()),
    })
    .await
    .unwrap();
    let row = &audit_of(db, "session", hal.id).await[0];
    assert_eq!(
        (
            row.action.as_str(),
            row.actor.as_str(),
            row.role.as_deref(),
            row.source_ip.as_deref(),
            row.at
        ),
        ("login_failed", "hal", None, Some("198.51.100.23"), t(0))
    );
    assert_eq!(row.comment.as_deref(), Some("3rd attempt"));
    assert_eq!(row.after, Some(json!({"reason": "bad password"})));

    let blank = NewAuditEntry {
        entity_type: "".into(),
        entity_id: 1,
        action: "login".into(),
        actor: Actor::system("t"),
        at: t(0),
        before: None,
        after: None,
        comment: None,
    };
    assert!(matches!(
        a.record_audit(&blank).await,
        Err(CatalogError::InvalidInput { .. })
    ));

    let everything = a
        .search_audit(&AuditQuery {
            page: 1,
            size: 100,
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert_no_secret(&everything.items);
}

fn login(actor: &str, id: i64, action: &str, at: DateTime<Utc>) -> NewAuditEntry {
    NewAuditEntry {
        entity_type: "session".into(),
        entity_id: id,
        action: action.into(),
        actor: Actor {
            name: actor.into(),
            role: Some("viewer".into()),
            source_ip: Some("192.0.2.50".into()),
        },
        at,
        before: None,
        after: None,
        comment: None,
    }
}

fn q() -> AuditQuery {
    AuditQuery {
        page: 1,
        size: 50,
        ..AuditQuery::default()
    }
}

async fn search(a: &dyn AuthStore, query: AuditQuery) -> (i64, Vec<(String, i64, String, String)>) {
    let page = a.search_audit(&query).await.unwrap();
    let rows = page
        .items
        .iter()
        .map(|e| (e.entity_type.clone(), e.entity_id, e.action.clone(), e.actor.clone()))
        .collect();
    (page.total, rows)
}

async fn audit_search_filters_pages_and_includes_lineage(db: &TestDb) {
    let a = auth(db);
    // Ten logins by two people at known times, newest last.
    for i in 0..10 {
        let who = if i % 2 == 0 { "ivy" } else { "jon" };
        let action = if i == 9 { "logout" } else { "login" };
        a.record_audit(&login(who, 100 + i, action, t(i * 60))).await.unwrap();
    }
    // A lineage edge written later, by an engineer from an address.
    let ctx = ChangeContext {
        actor: Actor::user("kim", Role::Engineer, Some("198.51.100.77".into())),
        source_system: "test".into(),
        ingestion_id: None,
        origin: Some(LineageOrigin::Manual),
        at: Some(t(3600)),
    };
    db.store
        .lineage()
        .add_edges(
            &[EdgeInput::new(
                "postgres://db:5432/shop.public.a",
                "postgres://db:5432/shop.public.b",
            )],
            &ctx,
        )
        .await
        .unwrap();

    let (total, rows) = search(a, q()).await;
    let lineage_rows = rows.iter().filter(|r| r.0.starts_with("lineage_")).count();
    assert!(lineage_rows >= 3, "two datasets and an edge: {rows:?}");
    assert_eq!(total, 10 + lineage_rows as i64);
    assert_eq!(rows.len() as i64, total);
    assert!(
        rows.iter().all(|r| r.0 != "edge" && r.0 != "dataset"),
        "lineage types are prefixed"
    );
    assert_eq!(
        rows.last().unwrap(),
        &("session".to_string(), 100, "login".to_string(), "ivy".to_string())
    );
    let page = a.search_audit(&q()).await.unwrap();
    assert!(page.items.windows(2).all(|w| w[0].at >= w[1].at), "newest first");
    let edge = page.items.iter().find(|e| e.entity_type == "lineage_edge").unwrap();
    assert_eq!(
        (
            edge.actor.as_str(),
            edge.role.as_deref(),
            edge.source_ip.as_deref(),
            edge.comment.as_deref()
        ),
        ("kim", Some("engineer"), Some("198.51.100.77"), None)
    );

    // Each filter alone.
    let (n, rows) = search(
        a,
        AuditQuery {
            actor: Some("ivy".into()),
            ..q()
        },
    )
    .await;
    assert_eq!((n, rows.len()), (5, 5));
    assert!(rows.iter().all(|r| r.3 == "ivy"));
    for near in ["ivy ", "IVY", "iv", "iv%"] {
        assert_eq!(
            search(
                a,
                AuditQuery {
                    actor: Some(near.into()),
                    ..q()
                }
            )
            .await
            .0,
            0,
            "{near:?}"
        );
    }
    let (n, _) = search(
        a,
        AuditQuery {
            action: Some("login ".into()),
            ..q()
        },
    )
    .await;
    assert_eq!(n, 0, "trailing spaces count on every backend");
    let (n, _) = search(
        a,
        AuditQuery {
            actor: Some("kim".into()),
            ..q()
        },
    )
    .await;
    assert_eq!(n, lineage_rows as i64, "the actor filter reaches lineage rows");
    let (n, rows) = search(
        a,
        AuditQuery {
            entity_type: Some("lineage_edge".into()),
            ..q()
        },
    )
    .await;
    assert_eq!((n, rows[0].0.as_str(), rows[0].2.as_str()), (1, "lineage_edge", "open"));
    let (n, _) = search(
        a,
        AuditQuery {
            entity_type: Some("edge".into()),
            ..q()
        },
    )
    .await;
    assert_eq!(n, 0, "unprefixed lineage types match nothing");
    let (n, _) = search(
        a,
        AuditQuery {
            entity_type: Some("session".into()),
            ..q()
        },
    )
    .await;
    assert_eq!(n, 10);
    let (n, rows) = search(
        a,
        AuditQuery {
            entity_id: Some(103),
            ..q()
        },
    )
    .await;
    assert_eq!((n, rows[0].1), (1, 103));
    let (n, rows) = search(
        a,
        AuditQuery {
            action: Some("logout".into()),
            ..q()
        },
    )
    .await;
    assert_eq!((n, rows[0].3.as_str()), (1, "jon"));
    // since is inclusive, until exclusive.
    let (n, rows) = search(
        a,
        AuditQuery {
            since: Some(t(120)),
            until: Some(t(300)),
            ..q()
        },
    )
    .await;
    assert_eq!(n, 3, "{rows:?}");
    assert_eq!(rows.iter().map(|r| r.1).collect::<Vec<_>>(), [104, 103, 102]);
    let (n, _) = search(
        a,
        AuditQuery {
            since: Some(t(3600)),
            ..q()
        },
    )
    .await;
    assert_eq!(n, lineage_rows as i64);
    // Filters combine.
    let (n, _) = search(
        a,
        AuditQuery {
            actor: Some("jon".into()),
            action: Some("login".into()),
            since: Some(t(0)),
            until: Some(t(600)),
            ..q()
        },
    )
    .await;
    assert_eq!(n, 4);

    // Paging: 1-based, the total counts all pages, a page past the end is empty.
    let only_sessions = AuditQuery {
        entity_type: Some("session".into()),
        size: 4,
        ..q()
    };
    let mut seen = Vec::new();
    for page in 1..=3 {
        let p = a
            .search_audit(&AuditQuery {
                page,
                ..only_sessions.clone()
            })
            .await
            .unwrap();
        assert_eq!((p.total, p.page, p.size), (10, page, 4));
        seen.extend(p.items.iter().map(|e| e.entity_id));
    }
    assert_eq!(seen, (100..110).rev().collect::<Vec<_>>());
    let past = a
        .search_audit(&AuditQuery {
            page: 4,
            ..only_sessions.clone()
        })
        .await
        .unwrap();
    assert!(past.items.is_empty());
    let zero = a
        .search_audit(&AuditQuery {
            page: 0,
            ..only_sessions
        })
        .await
        .unwrap();
    assert_eq!(
        (zero.page, zero.items[0].entity_id),
        (1, 109),
        "page 0 reads as the first page"
    );
}

const HOSTILE: [&str; 6] = [
    "'; DROP TABLE users; --",
    "%' OR '1'='1",
    "\\",
    "\"quoted\" and 'single'",
    "Zoë 🦀 名前",
    "a_b%c",
];

async fn hostile_strings_are_data_not_sql(db: &TestDb) {
    let a = auth(db);
    let mut users: Vec<User> = Vec::new();
    for name in HOSTILE {
        let mut u = local(name, Role::Viewer);
        u.display_name = Some(name.into());
        u.email = Some(format!("{name}@example.com"));
        users.push(
            a.create_user(&u, &Actor::user(name, Role::Admin, Some(name.into())))
                .await
                .unwrap(),
        );
    }
    assert_eq!(
        a.count_users().await.unwrap(),
        HOSTILE.len() as i64,
        "the users table is still there"
    );
    for (name, user) in HOSTILE.iter().zip(&users) {
        let (found, _) = a.user_credentials(name).await.unwrap().unwrap();
        assert_eq!((found.id, found.username.as_str()), (user.id, *name));
        assert_eq!(found.display_name.as_deref(), Some(*name));
        let (n, rows) = search(
            a,
            AuditQuery {
                actor: Some(name.to_string()),
                ..q()
            },
        )
        .await;
        assert_eq!((n, rows[0].1), (1, user.id), "actor {name:?} matches only itself");
        let row = &audit_of(db, "user", user.id).await[0];
        assert_eq!((row.actor.as_str(), row.source_ip.as_deref()), (*name, Some(*name)));
    }
    // Patterns are not wildcards, and no filter value escapes its parameter.
    assert!(a.user_credentials("%").await.unwrap().is_none());
    assert!(a.user_credentials("a_b_c").await.unwrap().is_none());
    for filter in ["%", "%' OR '1'='1' --", "' OR 1=1 --", "*"] {
        let query = AuditQuery {
            actor: Some(filter.into()),
            entity_type: Some(filter.into()),
            action: Some(filter.into()),
            ..q()
        };
        assert_eq!(search(a, query).await.0, 0, "{filter:?}");
    }
    let (n, _) = search(
        a,
        AuditQuery {
            entity_type: Some("lineage_'; DROP TABLE lineage_audit; --".into()),
            ..q()
        },
    )
    .await;
    assert_eq!(n, 0);
    let (n, _) = search(
        a,
        AuditQuery {
            entity_type: Some("user".into()),
            ..q()
        },
    )
    .await;
    assert_eq!(n, HOSTILE.len() as i64, "every row is still there");
    assert!(db.store.lineage().lineage_audit(None, 10).await.unwrap().is_empty());

    // Tokens and sessions with odd names and ids.
    let tok = a
        .create_token(&token(users[0].id, "'; DELETE FROM api_tokens; --", None), &admin())
        .await;
    let mut named = token(users[1].id, TOKEN_HASH, None);
    named.name = HOSTILE[1].into();
    let named = a.create_token(&named, &admin()).await.unwrap();
    assert_eq!(named.name, HOSTILE[1]);
    assert!(tok.is_ok());
    assert_eq!(a.list_tokens(None).await.unwrap().len(), 2);
    a.create_session(&session(HOSTILE[0], users[0].id, Utc::now()))
        .await
        .unwrap();
    assert!(
        a.session_user(HOSTILE[1], Utc::now(), Utc::now() - Duration::hours(1))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        a.session_user(HOSTILE[0], Utc::now(), Utc::now() - Duration::hours(1))
            .await
            .unwrap()
            .is_some()
    );
}
