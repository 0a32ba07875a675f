//! Authentication. OpenID Connect login lives in [`oidc`].

pub mod oidc;
